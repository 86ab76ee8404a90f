/*
 * hostbench - nanoseconds a call of smp_policy_platform_for_host() on a
 * world's catalogue, against smp_decide() of a view on the same policy:
 * whether the linear scan of the domains is worth an index (bench/squid
 * runs it; docs/PERFORMANCE.md, "The web proxy helper").
 *
 *     hostbench CONFIG [CALLS]
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "smpolicy.h"
#include "smpolicy_testing.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	/* platform hosts, subdomains, look-alikes, other sites, literals */
	static const char *const hosts[] = {
		"facebook.com", "www.facebook.com", "m.facebook.com", "youtube.com",
		"www.youtube.com", "pscp.tv", "notfacebook.com", "example.org", "www.nj.gov",
		"cdn.example.net", "157.240.1.35", "WWW.INSTAGRAM.COM.", "api.twitter.com",
		"mail.example.org", "t.co", "static.xx.fbcdn.net",
	};
	const size_t nhosts = sizeof(hosts) / sizeof(hosts[0]);
	smp_policy *p = NULL;
	struct smp_request req;
	long calls = argc > 2 ? atol(argv[2]) : 10000000;
	size_t found = 0, allowed = 0;
	double t0, scan, decide;

	if (argc < 2 || smp_policy_load(argv[1], SMP_LOAD_ALLOW_NONROOT, &p, NULL) != SMP_OK) {
		fputs("usage: hostbench CONFIG [CALLS] (a loadable world)\n", stderr);
		return 2;
	}
	t0 = now();
	for (long i = 0; i < calls; i++)
		found += smp_policy_platform_for_host(p, hosts[(size_t)i % nhosts]) != NULL;
	scan = (now() - t0) / (double)calls * 1e9;
	smp_request_init(&req);
	req.user = "nobody";
	req.platform = smp_policy_platform_id(p, 0);
	req.device = "ws-nowhere";
	t0 = now();
	for (long i = 0; i < calls / 10; i++) {
		smp_decision *d = NULL;

		if (smp_decide(p, &req, &d) == SMP_OK)
			allowed += smp_decision_allowed(d);
		smp_decision_free(d);
	}
	decide = (now() - t0) / (double)(calls / 10) * 1e9;
	printf("%zu platforms; platform_for_host %.1f ns a call (%zu of %zu hosts a platform's); "
	       "smp_decide (view, denied) %.1f ns\n", smp_policy_platform_count(p), scan,
	       found, (size_t)calls, decide);
	smp_policy_free(p);
	return allowed == 0 ? 0 : 1;   /* "nobody" is allowed nothing */
}
