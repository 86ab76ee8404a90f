/*
 * fuzz_edit.c - the record commands' text rewrite, end to end: an
 * arbitrary records file, one change through the public smp_edit_* API.
 *
 * Input: an operation byte, a selector byte, then the records file.  The
 * settings file is fixed.  Operations: revoke, sign, each account event,
 * a long-term and a limited request.  The approval, account, staff member
 * or director is picked by the selector among those of the file when it
 * loads, else a fixed id is used.  Reasons and tickets carry quotes,
 * backslashes, newlines and escapes.
 *
 * Checked: a change either succeeds, and then the new file loads and shows
 * the change, or fails, and then the file is byte for byte what it was; no
 * temporary file is left; a file that did not load is never changed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "fuzz_common.h"
#include "internal.h"
#include "policy/policy.h"

#include <dirent.h>
#include <limits.h>

#define FLAGS (SMP_LOAD_ALLOW_NONROOT | SMP_EDIT_NOWAIT)

static const char conf_text[] =
	"version = 1;\n"
	"settings = { records = [ \"records.conf\" ]; max_approved_per_office = 2; };\n"
	"platforms = (\n"
	"  { id = \"facebook\"; name = \"Facebook\"; },\n"
	"  { id = \"youtube\"; name = \"YouTube\"; private_messaging = false; },\n"
	"  { id = \"snapchat\"; name = \"Snap Chat\"; mobile_only = true; }\n"
	");\n"
	"offices = (\n"
	"  { id = \"essex-central\"; name = \"Essex Central\"; kind = \"local\"; },\n"
	"  { id = \"northern-area\"; name = \"Northern Area\"; kind = \"area\"; }\n"
	");\n";

static const char *const hostile_reason =
	"case \"closed\" \\ by the\nsupervisor \x1b[2J\r; } ); @include \"/etc/shadow\" \xff\xc3(";

/* Remove everything a previous run left in the folder but the settings. */
static void clean(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	fuzz_assert(d != NULL);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, "smpolicy.conf") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

/* No temporary file may outlive a command. */
static void no_temp_left(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	fuzz_assert(d != NULL);
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp") != NULL)
			fuzz_fail("temporary file %s left behind", e->d_name);
	closedir(d);
}

/* The n-th staff member holding `role`, or fallback. */
static const char *staff_with(const smp_policy *p, unsigned role, unsigned n, const char *fallback)
{
	size_t count = 0;

	for (size_t i = 0; p && i < p->nstaff; i++)
		count += (p->staff[i].roles & role) != 0;
	if (count == 0)
		return fallback;
	n %= count;
	for (size_t i = 0; i < p->nstaff; i++)
		if ((p->staff[i].roles & role) && n-- == 0)
			return p->staff[i].id;
	return fallback;
}

static const struct approval *find_approval(const smp_policy *p, const char *id)
{
	uint32_t i = p ? policy_find_approval(p, id) : NONE;

	return i == NONE ? NULL : &p->approvals[i];
}

static const struct account *find_account(const smp_policy *p, const char *id)
{
	uint32_t i = p ? policy_find_account(p, id) : NONE;

	return i == NONE ? NULL : &p->accounts[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_dir();
	char conf[PATH_MAX], recs[PATH_MAX];
	char *before, *after, *new_id = NULL;
	size_t before_len, after_len;
	smp_policy *p0 = NULL, *p1 = NULL;
	smp_diags *d = NULL;
	smp_status rc, st1;
	unsigned op, sel;
	const char *approval = "LT-2026-001", *account = "fb-essex-1", *staff = "jdoe";
	const char *on;

	if (size < 2)
		return 0;
	op = data[0] % 10;
	sel = data[1];
	data += 2;
	size -= 2;
	clean(dir);
	fuzz_write(dir, "smpolicy.conf", conf_text, strlen(conf_text), conf, sizeof(conf));
	fuzz_write(dir, "records.conf", data, size, recs, sizeof(recs));
	before = fuzz_read(recs, &before_len);
	fuzz_assert(before != NULL);

	if (smp_policy_load(conf, SMP_LOAD_ALLOW_NONROOT, &p0, NULL) == SMP_OK) {
		if (p0->napprovals)
			approval = p0->approvals[sel % p0->napprovals].id;
		if (p0->naccounts)
			account = p0->accounts[sel % p0->naccounts].id;
		if (p0->nstaff)
			staff = p0->staff[sel % p0->nstaff].id;
	}
	on = (sel & 0x80) ? "2026-11-25T10:30:00-05:00" : ((sel & 0x40) ? NULL : "2026-11-25");

	switch (op) {
	case 0:
		rc = smp_edit_revoke(conf, FLAGS, approval, staff_with(p0, ~0u, sel, "dir-it"),
		                     hostile_reason, on, &d);
		break;
	case 1:
	case 2:
		rc = smp_edit_sign(conf, FLAGS, approval,
		                   staff_with(p0, op == 1 ? ROLE_DIRECTOR_CPP : ROLE_DIRECTOR_IT, sel,
		                              op == 1 ? "dir-cpp" : "dir-it"),
		                   on, NULL, NULL, &d);
		break;
	case 3:
	case 4:
	case 5:
	case 6:
		rc = smp_edit_account(conf, FLAGS, account, (smp_account_event)(op - 3), on, &d);
		break;
	default: {
		static const char *const fb[] = { "facebook", NULL };
		static const char *const yt[] = { "youtube", NULL };
		struct smp_edit_request r = { .size = sizeof(r) };

		r.staff = staff;
		r.kind = op == 7 ? SMP_APPROVAL_LONG_TERM : SMP_APPROVAL_LIMITED;
		r.platforms = op == 7 ? fb : yt;
		r.by = op == 7 ? staff_with(p0, ROLE_LOM, sel, "lom-essex") : staff;
		r.ticket = op == 7 ? NULL : (op == 8 ? "NJS-\"4431\"\\\n" : "4431");
		r.expires = op == 7 ? NULL : "2026-12-01T17:00";
		r.starts = op == 9 ? "2026-11-26" : NULL;
		r.on = on;
		rc = smp_edit_request(conf, FLAGS, &r, &new_id, &d);
		break;
	}
	}
	fuzz_walk_diags(d);
	no_temp_left(dir);
	after = fuzz_read(recs, &after_len);
	fuzz_assert(after != NULL);

	if (rc != SMP_OK) {
		if (after_len != before_len || memcmp(before, after, before_len) != 0)
			fuzz_fail("op %u failed (%s) but changed the records", op, smp_status_string(rc));
	} else {
		if (p0 == NULL)
			fuzz_fail("op %u changed records that did not load", op);
		st1 = smp_policy_load(conf, SMP_LOAD_ALLOW_NONROOT, &p1, NULL);
		if (st1 != SMP_OK)
			fuzz_fail("op %u succeeded but the records no longer load: %s", op,
			          smp_status_string(st1));
		switch (op) {
		case 0: {
			const struct approval *a = find_approval(p1, approval);

			fuzz_assert(a != NULL && a->revoked.present && a->revoked.reason != NULL);
			fuzz_assert(strcmp(a->revoked.reason, hostile_reason) == 0);
			break;
		}
		case 1:
		case 2: {
			const struct approval *a0 = find_approval(p0, approval);
			const struct approval *a1 = find_approval(p1, approval);

			fuzz_assert(a0 != NULL && a1 != NULL);
			fuzz_assert(a0->cpp.present + a0->it.present + 1 ==
			            a1->cpp.present + a1->it.present);
			break;
		}
		case 3:
		case 4:
		case 5:
		case 6: {
			const struct account *a = find_account(p1, account);

			fuzz_assert(a != NULL);
			fuzz_assert(op != 3 || a->password_changed.set);
			fuzz_assert(op != 4 || a->password_escrowed.set);
			fuzz_assert(op != 5 || a->compromised_reported.set);
			fuzz_assert(op != 6 || a->compromised_resolved.set);
			break;
		}
		default:
			fuzz_assert(new_id != NULL && find_approval(p1, new_id) != NULL);
			fuzz_assert(p1->napprovals == p0->napprovals + 1);
			break;
		}
		fuzz_assert(p1->nstaff == p0->nstaff && p1->naccounts == p0->naccounts &&
		            p1->ndevices == p0->ndevices);
	}
	free(new_id);
	free(before);
	free(after);
	smp_diags_free(d);
	smp_policy_free(p0);
	smp_policy_free(p1);
	return 0;
}
