/*
 * test_threads.c - one loaded policy, eight threads deciding at once: every
 * thread must get exactly the answers a single thread gets, whether the
 * policy was parsed or taken from the compiled cache (cache.c: one image
 * read into one block, its pointers made by the reader).  Run under
 * ThreadSanitizer by tests/sanitize.sh as well.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"
#include "smpolicy_testing.h"

#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
	uint64_t text;   /* FNV-1a of every message and the approval's id */
};

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; s != NULL && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

static smp_policy *P;   /* the policy the threads decide against */
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
	out->text = fnv(0xcbf29ce484222325ull, smp_decision_approval(d));
	for (size_t k = 0; k < out->nreasons; k++)
		out->text = fnv(out->text, smp_decision_reason_message(d, k));
	for (size_t k = 0; k < out->nwarnings; k++)
		out->text = fnv(out->text, smp_decision_warning_message(d, k));
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

/* NTHREADS threads decide against P; each answer must be expected[]. */
static void decide_in_threads(void)
{
	pthread_t th[NTHREADS];
	size_t total = 0;

	for (size_t t = 0; t < NTHREADS; t++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t), 0);
	for (size_t t = 0; t < NTHREADS; t++) {
		void *ret;

		pthread_join(th[t], &ret);
		total += (size_t)(uintptr_t)ret;
	}
	CU_ASSERT_EQUAL(total, 0);
}

/* The single-threaded answers of P, in expected[]. */
static void expect_answers(void)
{
	size_t allowed = 0;

	for (size_t i = 0; i < NJOBS; i++) {
		at[i] = T(jobs[i].at);
		CU_ASSERT_TRUE_FATAL(run_job(i, &expected[i]));
		allowed += expected[i].allowed;
	}
	/* the mix has both answers, so that a constant would be caught */
	CU_ASSERT_TRUE(allowed > 0 && allowed < NJOBS);
}

static void test_eight_threads(void)
{
	struct world w;

	CU_ASSERT_TRUE_FATAL(world_write(&w, NULL, APPROVAL_W1_FB));
	P = world_load(&w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(P);
	expect_answers();
	decide_in_threads();
	smp_policy_free(P);
	world_remove(&w);
}

/* The same against a policy taken from the compiled cache; the answers
 * expected are the parse's. */
static void test_eight_threads_cached(void)
{
	struct world w;
	smp_policy *parsed = NULL;
	smp_diags *d = NULL;
	char path[160];

	CU_ASSERT_TRUE_FATAL(world_write(&w, NULL, APPROVAL_W1_FB));
	CU_ASSERT_EQUAL_FATAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT | SMP_LOAD_NO_CACHE,
	                                      &parsed, NULL), SMP_OK);
	CU_ASSERT_EQUAL_FATAL(smp_policy_cache_write(parsed, SMP_EDIT_NOWAIT, &d), SMP_OK);
	smp_diags_free(d);
	P = parsed;
	expect_answers();
	P = world_load(&w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(P);
	CU_ASSERT_EQUAL_FATAL(smp_policy_cache_state(P), SMP_CACHE_USED);
	smp_policy_free(parsed);   /* the threads see only the cache's policy */
	decide_in_threads();
	smp_policy_free(P);
	snprintf(path, sizeof(path), "%s.cache", w.conf);
	unlink(path);
	snprintf(path, sizeof(path), "%s.cache.lock", w.conf);
	unlink(path);
	world_remove(&w);
}

/* A decision's messages are written at the first read: eight threads
 * reading one decision's messages at once must all get the text one
 * thread gets, each message the same pointer. */
static smp_decision *shared;
static const char *first_read[SMP_R__COUNT];

static void *reader(void *arg)
{
	size_t bad = 0;

	(void)arg;
	for (size_t i = 0; i < smp_decision_reason_count(shared); i++) {
		const char *m = smp_decision_reason_message(shared, i);

		bad += m == NULL || strcmp(m, first_read[i]) != 0;
	}
	return (void *)(uintptr_t)bad;
}

static void test_messages_read_at_once(void)
{
	struct world w;
	smp_decision *ref;
	size_t n;

	CU_ASSERT_TRUE_FATAL(world_write(&w, NULL, APPROVAL_W1_FB));
	P = world_load(&w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(P);
	ref = decide(P, "ghost", "myspace", "nowhere", "x", SMP_ACTION_POST, "2026-06-01T12:00Z");
	n = smp_decision_reason_count(ref);
	CU_ASSERT_TRUE_FATAL(n >= 3);
	for (size_t i = 0; i < n; i++)
		first_read[i] = smp_decision_reason_message(ref, i);
	for (int round = 0; round < 200; round++) {
		pthread_t th[NTHREADS];
		size_t bad = 0;

		shared = decide(P, "ghost", "myspace", "nowhere", "x", SMP_ACTION_POST,
		                "2026-06-01T12:00Z");
		CU_ASSERT_PTR_NOT_NULL_FATAL(shared);
		for (size_t t = 0; t < NTHREADS; t++)
			CU_ASSERT_EQUAL_FATAL(pthread_create(&th[t], NULL, reader, NULL), 0);
		for (size_t t = 0; t < NTHREADS; t++) {
			void *ret;

			pthread_join(th[t], &ret);
			bad += (size_t)(uintptr_t)ret;
		}
		CU_ASSERT_EQUAL(bad, 0);
		for (size_t i = 0; i < n; i++)   /* written once: the same text at every read */
			CU_ASSERT_PTR_EQUAL(smp_decision_reason_message(shared, i),
			                    smp_decision_reason_message(shared, i));
		smp_decision_free(shared);
	}
	smp_decision_free(ref);
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
	CU_add_test(s, "8 threads decide against a policy from the compiled cache",
	            test_eight_threads_cached);
	CU_add_test(s, "8 threads read one decision's messages at once",
	            test_messages_read_at_once);
	return run_suites();
}
