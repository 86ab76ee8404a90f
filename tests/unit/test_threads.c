/*
 * test_threads.c - one loaded policy, eight threads deciding at once: every
 * thread must get exactly the answers a single thread gets.  Run under
 * ThreadSanitizer by tests/sanitize.sh as well.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"

#include <CUnit/Basic.h>
#include <pthread.h>
#include <string.h>

#define NTHREADS 8
#define ROUNDS 2000

struct job {
	const char *user, *platform, *device, *account;
	smp_action action;
	const char *at;
};

static const struct job jobs[] = {
	{ "w1", "facebook", "ws1", "fb1", SMP_ACTION_LOGIN, "2026-06-01T12:00Z" },
	{ "w1", "facebook", "home", NULL, SMP_ACTION_VIEW, "2026-06-01T12:00Z" },
	{ "w1", "snapchat", "ph1", "sc1", SMP_ACTION_MESSAGE, "2026-06-01T12:00Z" },
	{ "w1", "facebook", "ws1", "fb-comp", SMP_ACTION_LOGIN, "2026-05-02T00:00Z" },
	{ "w2", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-06-01T12:00Z" },
	{ "w1", "facebook", "ws1", "fb1", SMP_ACTION_LIKE, "2026-12-20T00:00Z" },
	{ "ghost", "myspace", "nowhere", "x", SMP_ACTION_POST, "2026-06-01T12:00Z" },
	{ "w1", "youtube", "ws1", "yt1", SMP_ACTION_COMMENT, "2027-06-01T00:00Z" },
};
#define NJOBS (sizeof(jobs) / sizeof(jobs[0]))

struct answer {
	bool allowed;
	size_t nreasons;
	smp_reason reasons[SMP_R__COUNT];
	int64_t until;
	size_t nwarnings;
};

static smp_policy *P;
static struct answer expected[NJOBS];
static int64_t at[NJOBS];

static bool run_job(size_t i, struct answer *out)
{
	struct smp_request req;
	smp_decision *d = NULL;

	smp_request_init(&req);
	req.user = jobs[i].user;
	req.platform = jobs[i].platform;
	req.device = jobs[i].device;
	req.account = jobs[i].account;
	req.action = jobs[i].action;
	req.at = at[i];
	if (smp_decide(P, &req, &d) != SMP_OK)
		return false;
	memset(out, 0, sizeof(*out));
	out->allowed = smp_decision_allowed(d);
	out->nreasons = smp_decision_reason_count(d);
	for (size_t k = 0; k < out->nreasons; k++)
		out->reasons[k] = smp_decision_reason(d, k);
	if (!smp_decision_valid_until(d, &out->until))
		out->until = -1;
	out->nwarnings = smp_decision_warning_count(d);
	smp_decision_free(d);
	return true;
}

static void *worker(void *arg)
{
	size_t seed = (size_t)(uintptr_t)arg, mismatches = 0;

	for (size_t r = 0; r < ROUNDS; r++) {
		size_t i = (seed + r * 7) % NJOBS;
		struct answer got;

		if (!run_job(i, &got) || memcmp(&got, &expected[i], sizeof(got)) != 0)
			mismatches++;
	}
	return (void *)(uintptr_t)mismatches;
}

static void test_eight_threads(void)
{
	struct world w;
	pthread_t th[NTHREADS];
	size_t total = 0, allowed = 0;

	CU_ASSERT_TRUE_FATAL(world_write(&w, NULL, APPROVAL_W1_FB));
	P = world_load(&w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(P);
	for (size_t i = 0; i < NJOBS; i++) {
		at[i] = T(jobs[i].at);
		CU_ASSERT_TRUE_FATAL(run_job(i, &expected[i]));
		allowed += expected[i].allowed;
	}
	/* the mix has both answers, so that a constant would be caught */
	CU_ASSERT_TRUE(allowed > 0 && allowed < NJOBS);
	for (size_t t = 0; t < NTHREADS; t++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t), 0);
	for (size_t t = 0; t < NTHREADS; t++) {
		void *ret;

		pthread_join(th[t], &ret);
		total += (size_t)(uintptr_t)ret;
	}
	CU_ASSERT_EQUAL(total, 0);
	smp_policy_free(P);
	world_remove(&w);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("threads", NULL, NULL);
	CU_add_test(s, "8 threads decide against one policy", test_eight_threads);
	return run_suites();
}
