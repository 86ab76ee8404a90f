/*
 * fuzz_decide.c - the decision path and its presentation: a fixed world
 * (fuzz/world: the sample office plus an office over its cap and records
 * whose text carries escapes, bidi overrides and invalid UTF-8), the
 * request from the input, the decision printed as the command prints it.
 *
 * Input: action, purpose, flags, 8 bytes of time, then user, platform,
 * device and account separated by NUL bytes.  A string "#N" names the
 * N-th staff member, platform, device or account of the world, so that the
 * fuzzer reaches the ALLOWs.  Flags: 1 public information suffices, 2 other
 * means are available, 4 no device (the host name), 8 no account, 16 the
 * time is the raw 8 bytes (else minutes around 2026-11-25), 32 also print
 * the report, 64 warn_days is the time's upper 32 bits.
 *
 * Checked: ALLOW exactly when there is no reason; a DENY names at least
 * one; reasons in table order, none twice; exactly one approval reason
 * when the user and platform are known and no approval of theirs is valid,
 * none when one is; valid_until after the moment decided; and the text
 * output is safe for a terminal (no control character but newline, well
 * formed UTF-8, no bidi override) and the JSON is valid UTF-8 JSON.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "fuzz_common.h"
#include "internal.h"
#include "policy/policy.h"
#include "output.h"

#include <json-c/json.h>
#include <limits.h>
#include <time.h>

#ifndef SMP_FUZZ_WORLD
#error "SMP_FUZZ_WORLD must name the folder of the fixed world"
#endif

static smp_policy *world;


static void free_world(void)
{
	smp_policy_free(world);
	world = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char conf[PATH_MAX];

	(void)argc;
	(void)argv;
	setenv("TZ", "America/New_York", 1);
	tzset();
	world = fuzz_load_world(0, conf, sizeof(conf));
	atexit(free_world);
	return 0;
}

/* "#N": the N-th id of a kind; anything else as it is. */
static const char *name_of(const char *s, const char *kind)
{
	const smp_policy *p = world;
	unsigned long n;

	if (s[0] != '#' || s[1] < '0' || s[1] > '9')
		return s;
	n = strtoul(s + 1, NULL, 10);
	if (strcmp(kind, "user") == 0)
		return p->nstaff ? p->staff[n % p->nstaff].id : s;
	if (strcmp(kind, "platform") == 0)
		return p->nplatforms ? p->platforms[n % p->nplatforms].id : s;
	if (strcmp(kind, "device") == 0)
		return p->ndevices ? p->devices[n % p->ndevices].id : s;
	return p->naccounts ? p->accounts[n % p->naccounts].id : s;
}

static bool is_approval_reason(smp_reason r)
{
	return r >= SMP_R_NO_APPROVAL && r <= SMP_R_OFFICE_CAP_EXCEEDED;
}

static bool approval_valid(const char *user, const char *platform, int64_t t)
{
	for (size_t i = 0; i < smp_policy_approval_count(world); i++) {
		struct smp_approval_info a = { .size = sizeof(a) };
		smp_policy_approval(world, i, t, &a);
		if (a.state != SMP_STATE_VALID || strcmp(a.staff, user) != 0)
			continue;
		for (size_t k = 0; a.platforms[k]; k++)
			if (strcmp(a.platforms[k], platform) == 0)
				return true;
	}
	return false;
}

/* Run print(f, ...) into memory and check the bytes. */
static void check_text(const char *what, char *buf, size_t len)
{
	size_t bad = fuzz_terminal_unsafe(buf, len);

	if (bad != (size_t)-1)
		fuzz_fail("%s output has an unsafe byte 0x%02x at %zu: %.*s", what,
		          (unsigned char)buf[bad], bad, (int)(len < 400 ? len : 400), buf);
}

static void check_json(const char *what, char *buf, size_t len)
{
	json_object *o;

	if (!fuzz_utf8_clean(buf, len))
		fuzz_fail("%s JSON is not clean UTF-8: %.*s", what, (int)(len < 400 ? len : 400), buf);
	o = json_tokener_parse(buf);
	if (o == NULL)
		fuzz_fail("%s JSON does not parse: %.*s", what, (int)(len < 400 ? len : 400), buf);
	json_object_put(o);
}

static void check_outputs(const smp_decision *d, const struct smp_request *req, bool report)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	fuzz_assert(f != NULL);
	fuzz_assert(print_decision_text(f, d, req) == 0);
	fclose(f);
	check_text("decision text", buf, len);
	fuzz_assert(strncmp(buf, smp_decision_allowed(d) ? "ALLOW " : "DENY ", 5) == 0);
	free(buf);

	f = open_memstream(&buf, &len);
	fuzz_assert(f != NULL);
	fuzz_assert(print_decision_json(f, d) == 0);
	fclose(f);
	check_json("decision", buf, len);
	free(buf);

	if (!report)
		return;
	f = open_memstream(&buf, &len);
	fuzz_assert(f != NULL);
	fuzz_assert(print_report_text(f, world, req->at) == 0);
	fclose(f);
	check_text("report text", buf, len);
	free(buf);
	f = open_memstream(&buf, &len);
	fuzz_assert(f != NULL);
	fuzz_assert(print_report_json(f, world, req->at) == 0);
	fclose(f);
	check_json("report", buf, len);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smp_request req;
	smp_decision *d = NULL;
	const char *str[4] = { "", "", "", "" };
	char *copy;
	unsigned flags;
	int64_t raw;
	int32_t minutes;
	size_t ns = 0, nreasons, napproval = 0;
	smp_status st;
	int64_t until;
	const char *ids[4];

	if (size < 11)
		return 0;
	smp_request_init(&req);
	req.action = (smp_action)(data[0] % (SMP_ACTION__COUNT + 1));
	req.purpose = (smp_purpose)(data[1] % (SMP_PURPOSE__COUNT + 1));
	flags = data[2];
	memcpy(&raw, data + 3, 8);
	memcpy(&minutes, data + 3, 4);
	req.at = (flags & 16) ? raw : 1795651200 + (int64_t)minutes * 60;
	if (flags & 64)   /* any warning horizon, negative and huge included */
		req.warn_days = (int)(raw >> 32);
	req.public_info_sufficient = flags & 1;
	req.other_means_available = flags & 2;

	/* the strings, NUL-terminated in a copy */
	copy = malloc(size - 11 + 1);
	fuzz_assert(copy != NULL);
	memcpy(copy, data + 11, size - 11);
	copy[size - 11] = '\0';
	for (char *s = copy; ns < 4 && s <= copy + (size - 11); s += strlen(s) + 1)
		str[ns++] = s;
	req.user = name_of(str[0], "user");
	req.platform = name_of(str[1], "platform");
	req.device = (flags & 4) ? NULL : name_of(str[2], "device");
	req.account = (flags & 8) ? NULL : name_of(str[3], "account");

	st = smp_decide(world, &req, &d);
	if ((unsigned)req.action >= SMP_ACTION__COUNT ||
	    (unsigned)req.purpose >= SMP_PURPOSE__COUNT) {
		fuzz_assert(st == SMP_ERR_ARG && d == NULL);
		free(copy);
		return 0;
	}
	if (st != SMP_OK) {
		fuzz_assert(d == NULL);
		fuzz_assert(st == SMP_ERR_NOMEM || (st == SMP_ERR_ARG && req.device == NULL));
		free(copy);
		return 0;
	}
	nreasons = smp_decision_reason_count(d);
	fuzz_assert(smp_decision_allowed(d) == (nreasons == 0));
	for (size_t i = 0; i < nreasons; i++) {
		smp_reason r = smp_decision_reason(d, i);

		fuzz_assert((unsigned)r < SMP_R__COUNT);
		fuzz_assert(i == 0 || smp_decision_reason(d, i - 1) < r);
		fuzz_assert(smp_decision_reason_message(d, i) != NULL);
		napproval += is_approval_reason(r);
	}
	fuzz_assert(smp_decision_reason(d, nreasons) == SMP_R__COUNT);
	for (size_t i = 0; i < smp_decision_warning_count(d); i++) {
		fuzz_assert((unsigned)smp_decision_warning(d, i) < SMP_W__COUNT);
		fuzz_assert(smp_decision_allowed(d));
	}
	if (policy_find_staff(world, req.user) != NONE &&
	    policy_find_platform(world, req.platform) != NONE)
		fuzz_assert(napproval == (approval_valid(req.user, req.platform, req.at) ? 0u : 1u));
	else
		fuzz_assert(napproval == 0);
	if (smp_decision_valid_until(d, &until))
		fuzz_assert(smp_decision_allowed(d) && until > req.at);
	(void)smp_policy_accounts_held(world, req.user, req.platform, ids, 4);
	check_outputs(d, &req, flags & 32);
	smp_decision_free(d);
	free(copy);
	return 0;
}
