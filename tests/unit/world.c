/*
 * world.c - see world.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"
#include "smpolicy_testing.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CUnit asserts only inside a test; suite set-up reports by return value. */
#define CHECK(cond, msg) do { if (CU_get_current_test() != NULL) { CU_ASSERT_TRUE(cond); } \
	else if (!(cond)) fprintf(stderr, "%s\n", msg); } while (0)

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

bool world_write_raw(struct world *w, const char *conf, const char *records)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(w->dir, sizeof(w->dir), "%s/smpXXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(w->dir) == NULL) {
		CHECK(false, "mkdtemp failed");
		return false;
	}
	snprintf(w->conf, sizeof(w->conf), "%s/smpolicy.conf", w->dir);
	snprintf(w->records, sizeof(w->records), "%s/records.conf", w->dir);
	if (!write_file(w->conf, conf) || !write_file(w->records, records)) {
		CHECK(false, "cannot write the world");
		return false;
	}
	return true;
}

bool world_write(struct world *w, const char *extra_settings, const char *approvals)
{
	char conf[4096];
	size_t n = strlen(WORLD_PEOPLE) + strlen(approvals) + 64;
	char *records = malloc(n);
	bool ok;

	snprintf(conf, sizeof(conf), WORLD_CONF_FMT, extra_settings ? extra_settings : "");
	snprintf(records, n, "%sapprovals = (\n%s\n);\n", WORLD_PEOPLE, approvals);
	ok = world_write_raw(w, conf, records);
	free(records);
	return ok;
}

void world_remove(struct world *w)
{
	char path[160];

	unlink(w->conf);
	unlink(w->records);
	snprintf(path, sizeof(path), "%s/audit.log", w->dir);
	unlink(path);
	rmdir(w->dir);
}

smp_policy *world_load(struct world *w)
{
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	smp_status st = smp_policy_load(w->conf, SMP_LOAD_ALLOW_NONROOT, &p, &d);

	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);

		fprintf(stderr, "%s:%u: %s\n", g->file, g->line, g->message);
	}
	smp_diags_free(d);
	CHECK(st == SMP_OK, "the world does not load");
	return p;
}

int64_t T(const char *text)
{
	int64_t t = 0;

	CU_ASSERT_EQUAL_FATAL(smp_time_parse(text, SMP_TIME_START, &t), SMP_OK);
	return t;
}

smp_decision *decide(const smp_policy *p, const char *user, const char *platform,
                     const char *device, const char *account, smp_action action,
                     const char *at)
{
	struct smp_request req;
	smp_decision *d = NULL;

	smp_request_init(&req);
	req.user = user;
	req.platform = platform;
	req.device = device;
	req.account = account;
	req.action = action;
	req.at = T(at);
	CU_ASSERT_EQUAL_FATAL(smp_decide(p, &req, &d), SMP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

bool has_reason(const smp_decision *d, smp_reason r)
{
	for (size_t i = 0; i < smp_decision_reason_count(d); i++)
		if (smp_decision_reason(d, i) == r)
			return true;
	return false;
}

bool denied_only_by(const smp_decision *d, smp_reason r)
{
	return !smp_decision_allowed(d) && smp_decision_reason_count(d) == 1 &&
	       smp_decision_reason(d, 0) == r;
}
