/*
 * test_cache_zone.c - the compiled cache and the zone: a cache written
 * in one zone is used in another only if its local times mean the same
 * instants there (each zone in a child process of its own TZ).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "cache_world.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "suites.h"

/* ---- c. zones: each in a child process with its own TZ ------------------ */

struct zone_report {
	int done;                   /* 1 when the child got to the end */
	smp_status rc;
	smp_cache_state state;
	size_t nzone;               /* of the parse in the child */
	unsigned long decisions, mismatches;
};

struct zone_job {
	const struct place *pl;
	const struct gen *g;
	bool write;                 /* compile the cache (else: load and compare) */
};

static void zone_child(const struct zone_job *job, struct zone_report *r)
{
	static struct grid gr;
	struct tally t = { 0 };
	smp_policy *p = parse(job->pl->conf), *c;

	if (p == NULL)
		return;
	r->nzone = p->nzone;
	if (job->write) {
		r->rc = write_cache(p);
		r->done = 1;
		smp_policy_free(p);
		return;
	}
	c = load(job->pl->conf, LOAD_FLAGS, &r->rc, NULL);
	r->state = smp_policy_cache_state(c);
	if (c != NULL && make_grid(&gr, p, job->g, 1)) {
		compare_all(&t, c, p, &gr);
		r->decisions = t.decisions;
		r->mismatches = t.mismatches;
		r->done = 1;
	}
	smp_policy_free(c);
	smp_policy_free(p);
}

/* Run job in a child whose TZ is tz; its report in *r. */
static bool in_zone(const char *tz, const struct zone_job *job, struct zone_report *r)
{
	int fds[2], status = 0;
	pid_t pid;
	ssize_t got;

	memset(r, 0, sizeof(*r));
	if (pipe(fds) != 0)
		return false;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		struct zone_report mine = { 0 };

		close(fds[0]);
		if (setenv("TZ", tz, 1) != 0)
			_exit(3);
		tzset();
		zone_child(job, &mine);
		if (write(fds[1], &mine, sizeof(mine)) != (ssize_t)sizeof(mine))
			_exit(4);
		fflush(stdout);
		fflush(stderr);
		_exit(0);
	}
	close(fds[1]);
	got = read(fds[0], r, sizeof(*r));
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    got != (ssize_t)sizeof(*r) || !r->done) {
		fprintf(stderr, "\n  the child in %s failed (status 0x%x)\n", tz, (unsigned)status);
		return false;
	}
	return true;
}

/* Compile pl under TZ=writer_tz, then load it under tz: the state must be
 * `state`, and the policy that of a parse in tz. */
static void zone_case(const struct place *pl, const struct gen *g, const char *writer_tz,
                      const char *tz, smp_cache_state state, const char *what)
{
	struct zone_job w = { pl, g, true }, job = { pl, g, false };
	struct zone_report r;

	unlink(pl->cache);
	CU_ASSERT_FATAL(in_zone(writer_tz, &w, &r));
	CU_ASSERT_EQUAL(r.rc, SMP_OK);
	CU_ASSERT_FATAL(in_zone(tz, &job, &r));
	printf("\n  %-34s written in %-4s read in %-19s %-6s (zone answers %4zu), "
	       "%6lu decisions, %lu differ", what, writer_tz, tz, smp_cache_state_name(r.state),
	       r.nzone, r.decisions, r.mismatches);
	CU_ASSERT_EQUAL(r.rc, SMP_OK);
	CU_ASSERT_EQUAL(r.state, state);
	CU_ASSERT_EQUAL(r.mismatches, 0);
	CU_ASSERT(r.decisions > 0);
}

static void test_zone_local_times(void)
{
	static struct gen g, winter;
	const struct gen_opts wo = { .winter = true, .nfiles = 2 };
	struct place pl, pw;

	hand_world(&pl, &g);
	zone_case(&pl, &g, "UTC", "UTC", SMP_CACHE_USED, "local times");
	zone_case(&pl, &g, "UTC", "America/New_York", SMP_CACHE_STALE, "local times");
	zone_case(&pl, &g, "America/New_York", "America/New_York", SMP_CACHE_USED, "local times");
	zone_case(&pl, &g, "UTC", "Europe/London", SMP_CACHE_STALE, "local times, summer too");
	/* another name, the same answers: London is on UTC all winter */
	gen_world(&winter, SEED0 + 0x100, &wo);
	CU_ASSERT_FATAL(place_new(&pw) && place_write(&pw, &winter));
	zone_case(&pw, &winter, "UTC", "Europe/London", SMP_CACHE_USED, "local times, winter only");
	zone_case(&pw, &winter, "UTC", "UTC0", SMP_CACHE_USED, "local times, winter only");
	zone_case(&pw, &winter, "UTC", "America/New_York", SMP_CACHE_STALE, "local times, winter only");
	printf("\n");
	gen_free(&winter);
	rm_tree(pl.dir);
	rm_tree(pw.dir);
}

/*
 * Every time in the records with Z or an offset: the parse asks the zone
 * nothing for them (time_parse_memo), but a long-term approval with a
 * start lapses long_term_max_days later on the local calendar
 * (time_add_days in validate.c), which asks the zone.  So such a world is
 * stale in another zone; one whose approvals are all limited asks nothing
 * and is used in any zone.  Either way the answers are the parse's there.
 */
static void test_zone_offsets(void)
{
	static struct gen lt, lim;
	const struct gen_opts lo = { .offsets = true, .nfiles = 2 };
	const struct gen_opts li = { .offsets = true, .no_lt_start = true, .nfiles = 3 };
	struct place pl, pm;
	smp_policy *p;

	gen_world(&lt, SEED0 + 0x200, &lo);
	CU_ASSERT_FATAL(place_new(&pl) && place_write(&pl, &lt));
	p = parse(pl.conf);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(p->nzone > 0);   /* long_term_max_days asked the zone */
	smp_policy_free(p);
	zone_case(&pl, &lt, "UTC", "UTC", SMP_CACHE_USED, "offsets, long-term starts");
	zone_case(&pl, &lt, "UTC", "America/New_York", SMP_CACHE_STALE, "offsets, long-term starts");

	gen_world(&lim, SEED0 + 0x300, &li);
	CU_ASSERT_FATAL(place_new(&pm) && place_write(&pm, &lim));
	p = parse(pm.conf);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(p->nzone, 0);   /* nothing asked of the zone */
	smp_policy_free(p);
	zone_case(&pm, &lim, "UTC", "America/New_York", SMP_CACHE_USED, "offsets, limited only");
	zone_case(&pm, &lim, "UTC", "Pacific/Apia", SMP_CACHE_USED, "offsets, limited only");
	zone_case(&pm, &lim, "America/New_York", "UTC", SMP_CACHE_USED, "offsets, limited only");
	printf("\n");
	gen_free(&lt);
	gen_free(&lim);
	rm_tree(pl.dir);
	rm_tree(pm.dir);
}
int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("compiled cache: zones", NULL, NULL);
	CU_add_test(s, "local times in other zones", test_zone_local_times);
	CU_add_test(s, "times with offsets in other zones", test_zone_offsets);
	return run_suites();
}
