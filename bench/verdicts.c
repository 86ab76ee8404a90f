/*
 * verdicts.c - every decision of a requests file, in full, one line each:
 * the answer, the approval, valid_until, each reason's and warning's code
 * and message.  bench/samedecisions runs it against two builds of the
 * library and compares the outputs byte for byte.
 *
 *   verdicts parse|cache CONFIG REQUESTS
 *
 * REQUESTS is bench/genworld's requests.tsv ("decided at" header, then
 * user, platform, device, account, action, purpose; "-" for none).  Each
 * request is decided at that moment and at three others (400 days before,
 * 200 days after, two years after), so that lapsed, pending, revoked and
 * capped approvals show their messages too; every 16th request is
 * decided again for a user, then a platform, device and account, that
 * are in no record.  The policy is parsed
 * (SMP_LOAD_NO_CACHE) or loaded as smp_policy_load() loads it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <smpolicy.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *why)
{
	fprintf(stderr, "verdicts: %s\n", why);
	exit(2);
}

static char *field(char **s)
{
	char *f = *s, *tab = strchr(f, '\t');

	if (tab != NULL) {
		*tab = '\0';
		*s = tab + 1;
	} else {
		f[strcspn(f, "\n")] = '\0';
		*s = f + strlen(f);
	}
	return strcmp(f, "-") == 0 ? NULL : f;
}

static void print(const smp_policy *p, const struct smp_request *q)
{
	smp_decision *d = NULL;
	smp_status st = smp_decide(p, q, &d);
	int64_t until;

	if (st != SMP_OK) {
		printf("error %d\n", (int)st);
		return;
	}
	printf("%s approval=%s", smp_decision_allowed(d) ? "ALLOW" : "DENY",
	       smp_decision_approval(d) ? smp_decision_approval(d) : "-");
	if (smp_decision_valid_until(d, &until))
		printf(" until=%" PRId64, until);
	for (size_t i = 0; i < smp_decision_reason_count(d); i++)
		printf(" | %s: %s", smp_reason_code(smp_decision_reason(d, i)),
		       smp_decision_reason_message(d, i));
	for (size_t i = 0; i < smp_decision_warning_count(d); i++)
		printf(" | warning %s: %s", smp_warning_code(smp_decision_warning(d, i)),
		       smp_decision_warning_message(d, i));
	putchar('\n');
	smp_decision_free(d);
}

int main(int argc, char **argv)
{
	static const int64_t shift[] = { 0, -400 * 86400LL, 200 * 86400LL, 730 * 86400LL };
	smp_policy *p = NULL;
	smp_diags *diags = NULL;
	char line[4096];
	int64_t at = 0;
	unsigned long n = 0;
	FILE *fp;

	if (argc != 4 || (strcmp(argv[1], "parse") != 0 && strcmp(argv[1], "cache") != 0))
		die("usage: verdicts parse|cache CONFIG REQUESTS");
	if (smp_policy_load(argv[2], strcmp(argv[1], "parse") == 0 ? SMP_LOAD_NO_CACHE : 0, &p,
	                    &diags) != SMP_OK)
		die("the policy does not load");
	smp_diags_free(diags);
	fp = fopen(argv[3], "r");
	if (fp == NULL)
		die("cannot open the requests file");
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *s = line, *act, *purpose;
		struct smp_request q;

		if (line[0] == '#') {
			char *h = strstr(line, "decided at "), ts[64];

			if (h != NULL && (sscanf(h + 11, "%63s", ts) != 1 ||
			                  smp_time_parse(ts, SMP_TIME_START, &at) != SMP_OK))
				die("bad time in the requests header");
			continue;
		}
		if (at == 0)
			die("no 'decided at' header before the requests");
		smp_request_init(&q);
		q.user = field(&s);
		q.platform = field(&s);
		q.device = field(&s);
		q.account = field(&s);
		act = field(&s);
		purpose = field(&s);
		if (q.user == NULL || q.platform == NULL || q.device == NULL || act == NULL ||
		    smp_action_parse(act, &q.action) != SMP_OK ||
		    (purpose != NULL && smp_purpose_parse(purpose, &q.purpose) != SMP_OK))
			die("bad request line");
		for (size_t k = 0; k < sizeof(shift) / sizeof(shift[0]); k++) {
			q.at = at + shift[k];
			print(p, &q);
		}
		if (++n % 16 == 0) {   /* and now and then, ids that are in no record */
			char u[600], pl[600], dv[600], ac[600];

			snprintf(u, sizeof(u), "gone-%s", q.user);
			snprintf(pl, sizeof(pl), "%s-gone", q.platform);
			snprintf(dv, sizeof(dv), "%s.gone", q.device);
			snprintf(ac, sizeof(ac), "gone-%s", q.account ? q.account : "");
			q.at = at;
			q.user = u;
			print(p, &q);
			q.user = line;   /* the request's own user, at the start of line */
			q.platform = pl;
			q.device = dv;
			q.account = ac;
			print(p, &q);
		}
	}
	fclose(fp);
	smp_policy_free(p);
	return 0;
}
