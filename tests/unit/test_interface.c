/*
 * test_interface.c - the rules of the public interface that let it grow:
 * every function taking flags refuses every bit outside its own set,
 * every caller-sized struct is refused with a size the library does not
 * know, every accessor past its end answers as documented, a policy of
 * one person says so, and the calls the front ends ask instead of
 * working things out again (a platform by id, the folders to watch).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"
#include "smpolicy_testing.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct world W;
static smp_policy *P;
static char store[192];

static int setup(void)
{
	if (!world_write(&W, "", APPROVAL_W1_FB))
		return 1;
	snprintf(store, sizeof(store), "%s/store", W.dir);
	P = world_load(&W);
	return P == NULL;
}

static int teardown(void)
{
	smp_policy_free(P);
	world_remove(&W);
	return 0;
}

static int line_fn(void *ctx, int64_t when, const char *line)
{
	(void)ctx;
	(void)when;
	(void)line;
	return 0;
}

/* Call function `which` with flags; SMP_ERR_ARG is what a bit outside its
 * set must give, before anything is read or written. */
static smp_status call(int which, unsigned flags)
{
	static const char *const fb[] = { "facebook", NULL };
	struct smp_edit_request req;
	struct smp_signing key = { .size = sizeof(key), .key = NULL, .pin = NULL };
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	smp_sync *s = NULL;
	smp_sync_report *r = NULL;
	smp_cache_state state;
	char *text = NULL;
	size_t len = 0;
	bool yes;
	FILE *f;
	smp_status st = SMP_ERR_IO;

	smp_edit_request_init(&req);
	req.staff = "w2";
	req.platforms = fb;
	req.by = "lom1";
	switch (which) {
	case 0: st = smp_policy_load(W.conf, flags, &p, &d); break;
	case 1: st = smp_policy_load_for(W.conf, store, flags, "w1", "ws1", &p, &d); break;
	case 2: st = smp_policy_cache_write(P, flags, &d); break;
	case 3: st = smp_policy_store_write(P, store, flags, &d); break;
	case 4:
		f = open_memstream(&text, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		st = smp_policy_export_ldif(W.conf, flags, "ou=smpolicy,dc=example,dc=org", f, &d);
		fclose(f);
		free(text);
		break;
	case 5: st = smp_edit_request(W.conf, flags, &req, NULL, &d); break;
	case 6: st = smp_edit_request_as(W.conf, flags, &req, "pw", NULL, &d); break;
	case 7: st = smp_edit_sign(W.conf, flags, "LT-1", "dir-cpp", NULL, NULL, NULL, &d); break;
	case 8: st = smp_edit_sign_as(W.conf, flags, "LT-1", "dir-cpp", NULL, "pw", NULL, NULL, &d); break;
	case 9:
		st = smp_edit_sign_with(W.conf, flags, "LT-1", "dir-cpp", NULL, NULL, &key, NULL, NULL, &d);
		break;
	case 10: st = smp_edit_revoke(W.conf, flags, "LT-1", "lom1", "why", NULL, &d); break;
	case 11: st = smp_edit_revoke_as(W.conf, flags, "LT-1", "lom1", "why", NULL, "pw", &d); break;
	case 12:
		st = smp_edit_revoke_with(W.conf, flags, "LT-1", "lom1", "why", NULL, NULL, &key, &d);
		break;
	case 13:
		st = smp_edit_account(W.conf, flags, "fb1", SMP_ACCOUNT_PASSWORD_CHANGED, NULL, &d);
		break;
	case 14:
		st = smp_edit_account_as(W.conf, flags, "fb1", SMP_ACCOUNT_PASSWORD_CHANGED, NULL,
		                         "lom1", "pw", &d);
		break;
	case 15:
		st = smp_edit_resign(W.conf, flags, "dir-cpp", NULL, NULL, &key, true, NULL, NULL, &d);
		break;
	case 16: st = smp_audit_read(W.conf, flags, NULL, line_fn, NULL, &d); break;
	case 17: st = smp_config_is_directory(W.conf, flags, &yes); break;
	case 18: st = smp_directory_sync(W.conf, flags, &s, &d); break;
	case 19: st = smp_sync_report_read(W.conf, flags, &r, &d); break;
	case 20: st = smp_policy_store_check(W.conf, store, flags, &state, NULL, &d); break;
	}
	smp_policy_free(p);
	smp_diags_free(d);
	smp_sync_free(s);
	smp_sync_report_free(r);
	return st;
}

/* Each function's own set, as the header documents it. */
static const struct {
	const char *name;
	unsigned set;
} functions[] = {
	{ "smp_policy_load", SMP_LOAD_FLAGS },
	{ "smp_policy_load_for", SMP_LOAD_FLAGS },
	{ "smp_policy_cache_write", SMP_WRITE_FLAGS },
	{ "smp_policy_store_write", SMP_WRITE_FLAGS },
	{ "smp_policy_export_ldif", SMP_EXPORT_FLAGS },
	{ "smp_edit_request", SMP_EDIT_FLAGS },
	{ "smp_edit_request_as", SMP_EDIT_FLAGS },
	{ "smp_edit_sign", SMP_EDIT_FLAGS },
	{ "smp_edit_sign_as", SMP_EDIT_FLAGS },
	{ "smp_edit_sign_with", SMP_EDIT_FLAGS },
	{ "smp_edit_revoke", SMP_EDIT_FLAGS },
	{ "smp_edit_revoke_as", SMP_EDIT_FLAGS },
	{ "smp_edit_revoke_with", SMP_EDIT_FLAGS },
	{ "smp_edit_account", SMP_EDIT_FLAGS },
	{ "smp_edit_account_as", SMP_EDIT_FLAGS },
	{ "smp_edit_resign", SMP_EDIT_FLAGS },
	{ "smp_audit_read", SMP_NO_FLAGS },
	{ "smp_config_is_directory", SMP_NO_FLAGS },
	{ "smp_directory_sync", SMP_SYNC_FLAGS },
	{ "smp_sync_report_read", SMP_NO_FLAGS },
	{ "smp_policy_store_check", SMP_NO_FLAGS },
};

static void test_unknown_flags(void)
{
	for (int i = 0; i < (int)(sizeof(functions) / sizeof(functions[0])); i++) {
		for (unsigned bit = 0; bit < 32; bit++) {
			unsigned flag = 1u << bit;
			smp_status st;

			if ((functions[i].set | SMP_LOAD_ALLOW_NONROOT) & flag)
				continue;
			st = call(i, flag | SMP_LOAD_ALLOW_NONROOT);
			if (st != SMP_ERR_ARG)
				fprintf(stderr, "%s with bit %u: %s, not SMP_ERR_ARG\n", functions[i].name,
				        bit, smp_status_string(st));
			CU_ASSERT_EQUAL(st, SMP_ERR_ARG);
		}
	}
}

/* The bits of a set are taken: the loop above refuses for the bit, not
 * for the function. */
static void test_known_flags(void)
{
	bool yes = true;

	CU_ASSERT_EQUAL(call(0, SMP_LOAD_NO_CACHE | SMP_LOAD_ALLOW_NONROOT), SMP_OK);
	CU_ASSERT_EQUAL(call(2, SMP_WRITE_NOWAIT), SMP_OK);
	CU_ASSERT_EQUAL(smp_config_is_directory(W.conf, SMP_LOAD_ALLOW_NONROOT, &yes), SMP_OK);
	CU_ASSERT_FALSE(yes);
	CU_ASSERT_EQUAL(call(20, SMP_LOAD_ALLOW_NONROOT), SMP_OK);
	/* the library's own bit for its private files is not the caller's */
	CU_ASSERT_EQUAL(call(0, (1u << 29) | SMP_LOAD_ALLOW_NONROOT), SMP_ERR_ARG);
}

static void test_struct_sizes(void)
{
	static const size_t bad[] = { 0, 1, sizeof(void *), 1024 };
	struct smp_request req;
	struct smp_office_info o;
	struct smp_approval_info a;
	struct smp_sig_info g;
	struct smp_sync_info si = { .size = sizeof(si) };
	struct smp_sync_status ss = { .size = sizeof(ss) };
	struct smp_edit_request er;
	struct smp_signing key = { .size = sizeof(key) };
	smp_decision *d = NULL;

	smp_request_init(&req);
	CU_ASSERT_EQUAL(req.size, sizeof(req));
	CU_ASSERT_EQUAL(req.warn_days, -1);
	req.user = "w1";
	req.platform = "facebook";
	req.device = "ws1";
	CU_ASSERT_EQUAL(smp_decide(P, &req, &d), SMP_OK);
	smp_decision_free(d);
	smp_edit_request_init(&er);
	CU_ASSERT_EQUAL(er.size, sizeof(er));
	er.staff = "w2";
	er.by = "lom1";
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		req.size = bad[k] == sizeof(void *) ? sizeof(req) - sizeof(void *) : bad[k];
		d = (smp_decision *)&req;
		CU_ASSERT_EQUAL(smp_decide(P, &req, &d), SMP_ERR_ARG);
		CU_ASSERT_PTR_NULL(d);
		o.size = a.size = g.size = bad[k];
		CU_ASSERT_EQUAL(smp_policy_office(P, 0, &o), SMP_ERR_ARG);
		CU_ASSERT_EQUAL(smp_policy_approval(P, 0, 0, &a), SMP_ERR_ARG);
		CU_ASSERT_EQUAL(smp_policy_approval_signature(P, 0, SMP_SIG_CPP, &g), SMP_ERR_ARG);
		er.size = key.size = bad[k];
		CU_ASSERT_EQUAL(smp_edit_request(W.conf, SMP_LOAD_ALLOW_NONROOT, &er, NULL, NULL),
		                SMP_ERR_ARG);
		CU_ASSERT_EQUAL(smp_edit_sign_with(W.conf, SMP_LOAD_ALLOW_NONROOT, "LT-1", "dir-cpp",
		                                   NULL, NULL, &key, NULL, NULL, NULL), SMP_ERR_ARG);
	}
	o.size = sizeof(o);
	a.size = sizeof(a);
	g.size = sizeof(g);
	CU_ASSERT_EQUAL(smp_policy_office(P, 0, &o), SMP_OK);
	CU_ASSERT_STRING_EQUAL(o.id, "o1");
	CU_ASSERT_EQUAL(smp_policy_approval(P, 0, T("2026-02-01Z"), &a), SMP_OK);
	CU_ASSERT_STRING_EQUAL(a.id, "LT-1");
	CU_ASSERT_EQUAL(a.size, sizeof(a));
	CU_ASSERT_EQUAL(smp_policy_approval_signature(P, 0, SMP_SIG_CPP, &g), SMP_OK);
	CU_ASSERT_TRUE(g.present);
	/* past the end */
	CU_ASSERT_EQUAL(smp_policy_office(P, smp_policy_office_count(P), &o), SMP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(smp_policy_approval(P, 1, 0, &a), SMP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(smp_policy_approval_signature(P, 1, SMP_SIG_IT, &g), SMP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(smp_policy_approval_signature(P, 0, (smp_sig_slot)3, &g), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_sync_info(NULL, &si), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_sync_report_info(NULL, &ss), SMP_ERR_ARG);
}

static void test_out_of_range(void)
{
	smp_decision *d = decide(P, "w1", "facebook", "home", NULL, SMP_ACTION_VIEW,
	                         "2026-02-01Z");
	size_t n = smp_decision_reason_count(d), m = smp_decision_warning_count(d);
	smp_diags *g = NULL;
	smp_policy *p = NULL;

	CU_ASSERT_TRUE(n > 0);
	CU_ASSERT_EQUAL(smp_decision_reason(d, n), SMP_R__COUNT);
	CU_ASSERT_EQUAL(smp_decision_reason(d, (size_t)-1), SMP_R__COUNT);
	CU_ASSERT_PTR_NULL(smp_decision_reason_message(d, n));
	CU_ASSERT_EQUAL(smp_decision_warning(d, m), SMP_W__COUNT);
	CU_ASSERT_PTR_NULL(smp_decision_warning_message(d, m));
	smp_decision_free(d);
	CU_ASSERT_EQUAL(smp_decision_reason(NULL, 0), SMP_R__COUNT);
	CU_ASSERT_EQUAL(smp_decision_reason_count(NULL), 0);
	CU_ASSERT_PTR_NULL(smp_decision_approval(NULL));
	CU_ASSERT_FALSE(smp_decision_allowed(NULL));
	CU_ASSERT_PTR_NULL(smp_reason_code(SMP_R__COUNT));
	CU_ASSERT_PTR_NULL(smp_reason_section((smp_reason)-1));
	CU_ASSERT_PTR_NULL(smp_reason_sentence(SMP_R__COUNT));
	CU_ASSERT_PTR_NULL(smp_warning_code(SMP_W__COUNT));
	CU_ASSERT_PTR_NULL(smp_action_name(SMP_ACTION__COUNT));
	CU_ASSERT_PTR_NULL(smp_purpose_name(SMP_PURPOSE__COUNT));
	CU_ASSERT_PTR_NULL(smp_account_event_name(SMP_ACCOUNT__COUNT));
	CU_ASSERT_PTR_NULL(smp_approval_state_name((smp_approval_state)99));
	CU_ASSERT_PTR_NULL(smp_cache_state_name((smp_cache_state)99));
	CU_ASSERT_STRING_EQUAL(smp_status_string((smp_status)99), "unknown status");
	CU_ASSERT_PTR_NULL(smp_policy_platform_id(P, smp_policy_platform_count(P)));
	CU_ASSERT_PTR_NULL(smp_policy_platform_name(P, smp_policy_platform_count(P)));
	CU_ASSERT_PTR_NULL(smp_policy_staff_office(P, "nobody"));
	CU_ASSERT_EQUAL(smp_policy_cache_state(NULL), SMP_CACHE_OFF);
	CU_ASSERT_PTR_NULL(smp_decision_warning_message(NULL, 0));
	CU_ASSERT_PTR_NULL(smp_policy_platform_domain(P, 0, 99));
	CU_ASSERT_PTR_NULL(smp_policy_records_path(P, smp_policy_records_count(P)));
	CU_ASSERT_PTR_NULL(smp_sync_void(NULL, 0, NULL));
	/* a load that fails: diagnostics, each in range, then NULL */
	CU_ASSERT_NOT_EQUAL(smp_policy_load("/nonexistent/smpolicy.conf", 0, &p, &g), SMP_OK);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NOT_NULL(smp_diags_get(g, 0));
	CU_ASSERT_PTR_NULL(smp_diags_get(g, smp_diags_count(g)));
	smp_diags_free(g);
	smp_free(NULL);
}

static void test_partial(void)
{
	smp_policy *p = NULL;
	smp_diags *d = NULL;

	CU_ASSERT_FALSE(smp_policy_is_partial(P));
	CU_ASSERT_FALSE(smp_policy_is_partial(NULL));
	CU_ASSERT_EQUAL_FATAL(smp_policy_store_write(P, store, 0, &d), SMP_OK);
	smp_diags_free(d);
	d = NULL;
	CU_ASSERT_EQUAL_FATAL(smp_policy_load_for(W.conf, store, SMP_LOAD_ALLOW_NONROOT, "w1", "ws1",
	                                          &p, &d), SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_store_state(p), SMP_CACHE_USED);
	CU_ASSERT_TRUE(smp_policy_is_partial(p));
	/* what the header says is refused on it */
	CU_ASSERT_EQUAL(smp_policy_cache_write(p, 0, NULL), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_store_write(p, store, 0, NULL), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_check(p, &d), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_void_count(p), 0);
	smp_diags_free(d);
	smp_policy_free(p);
}

static void test_platform_index(void)
{
	size_t i = 99;

	CU_ASSERT_EQUAL(smp_policy_platform_index(P, "facebook", &i), SMP_OK);
	CU_ASSERT_EQUAL(i, 0);
	CU_ASSERT_EQUAL(smp_policy_platform_index(P, "snapchat", &i), SMP_OK);
	CU_ASSERT_EQUAL(i, 2);
	CU_ASSERT_STRING_EQUAL(smp_policy_platform_id(P, i), "snapchat");
	i = 99;
	CU_ASSERT_EQUAL(smp_policy_platform_index(P, "Facebook", &i), SMP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(smp_policy_platform_index(P, "", &i), SMP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(i, 99);
	CU_ASSERT_EQUAL(smp_policy_platform_index(P, NULL, &i), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_platform_index(NULL, "facebook", &i), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_platform_index(P, "facebook", NULL), SMP_ERR_ARG);
}

static void test_watch_folders(void)
{
	char **v = NULL;
	int64_t t = 0;

	/* settings and records side by side: their one folder, once */
	CU_ASSERT_EQUAL_FATAL(smp_policy_watch_folders(P, W.conf, &v), SMP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(v[0], W.dir);
	CU_ASSERT_PTR_NULL(v[1]);
	smp_free(v);
	/* no policy: the settings file's folder */
	CU_ASSERT_EQUAL_FATAL(smp_policy_watch_folders(NULL, "/etc/x/smpolicy.conf", &v), SMP_OK);
	CU_ASSERT_STRING_EQUAL(v[0], "/etc/x");
	CU_ASSERT_PTR_NULL(v[1]);
	smp_free(v);
	CU_ASSERT_EQUAL_FATAL(smp_policy_watch_folders(NULL, "smpolicy.conf", &v), SMP_OK);
	CU_ASSERT_STRING_EQUAL(v[0], ".");
	smp_free(v);
	CU_ASSERT_EQUAL(smp_policy_watch_folders(P, W.conf, NULL), SMP_ERR_ARG);
	/* records files hold until they change */
	CU_ASSERT_FALSE(smp_policy_expires(P, &t));
	CU_ASSERT_FALSE(smp_policy_expires(NULL, &t));
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("interface", setup, teardown);
	CU_add_test(s, "every bit outside a function's set is refused", test_unknown_flags);
	CU_add_test(s, "the bits of a set are taken", test_known_flags);
	CU_add_test(s, "struct sizes the library does not know", test_struct_sizes);
	CU_add_test(s, "accessors past the end", test_out_of_range);
	CU_add_test(s, "a policy of one person says so", test_partial);
	CU_add_test(s, "a platform by id", test_platform_index);
	CU_add_test(s, "the folders to watch and the end of a policy", test_watch_folders);
	return run_suites();
}
