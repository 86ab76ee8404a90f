/*
 * test_decide.c - every reason code of smpolicy(1): a request denied for that
 * reason alone, and the allowed request at its boundary.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

static struct world W;
static smp_policy *P;

/* A world where w1 holds LT-1 (facebook, youtube, snapchat). */
static int setup(void)
{
	if (!world_write(&W, NULL, APPROVAL_W1_FB))
		return 1;
	P = world_load(&W);
	return P == NULL;
}

static int teardown(void)
{
	smp_policy_free(P);
	world_remove(&W);
	return 0;
}

#define AT "2026-06-01T12:00Z"

static void expect_only(const char *user, const char *platform, const char *device,
                        const char *account, smp_action action, const char *at, smp_reason r)
{
	smp_decision *d = decide(P, user, platform, device, account, action, at);

	if (!denied_only_by(d, r)) {
		fprintf(stderr, "expected only %s, got %s with", smp_reason_code(r),
		        smp_decision_allowed(d) ? "ALLOW" : "DENY");
		for (size_t i = 0; i < smp_decision_reason_count(d); i++)
			fprintf(stderr, " %s", smp_reason_code(smp_decision_reason(d, i)));
		fprintf(stderr, "\n");
	}
	CU_ASSERT_TRUE(denied_only_by(d, r));
	CU_ASSERT_FALSE(smp_decision_valid_until(d, NULL));
	smp_decision_free(d);
}

static void expect_allow(const char *user, const char *platform, const char *device,
                         const char *account, smp_action action, const char *at)
{
	smp_decision *d = decide(P, user, platform, device, account, action, at);

	CU_ASSERT_TRUE(smp_decision_allowed(d));
	CU_ASSERT_EQUAL(smp_decision_reason_count(d), 0);
	CU_ASSERT_TRUE(smp_decision_valid_until(d, NULL));
	smp_decision_free(d);
}

static void test_allow_baseline(void)
{
	expect_allow("w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);
	expect_allow("w1", "facebook", "ws1", "fb1", SMP_ACTION_LOGIN, AT);
	expect_allow("w1", "facebook", "ws1", "fb1", SMP_ACTION_MESSAGE, AT);
	expect_allow("w1", "facebook", "ws1", "fb1", SMP_ACTION_POST, AT);
}

static void test_unknown_user(void)
{
	expect_only("nobody", "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT, SMP_R_UNKNOWN_USER);
	expect_allow("w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);
}

static void test_unknown_platform(void)
{
	expect_only("w1", "myspace", "ws1", NULL, SMP_ACTION_VIEW, AT, SMP_R_UNKNOWN_PLATFORM);
	expect_allow("w1", "youtube", "ws1", NULL, SMP_ACTION_VIEW, AT);
}

static void test_device_unknown(void)
{
	expect_only("w1", "facebook", "ws-nowhere", NULL, SMP_ACTION_VIEW, AT, SMP_R_DEVICE_UNKNOWN);
}

static void test_device_not_dcf(void)
{
	expect_only("w1", "facebook", "home", NULL, SMP_ACTION_VIEW, AT, SMP_R_DEVICE_NOT_DCF);
}

static void test_app_not_approved(void)
{
	/* a mobile-only platform: a workstation, a DCF phone without the app */
	expect_only("w1", "snapchat", "ws1", NULL, SMP_ACTION_VIEW, AT, SMP_R_APP_NOT_APPROVED);
	expect_only("w1", "snapchat", "ph2", NULL, SMP_ACTION_VIEW, AT, SMP_R_APP_NOT_APPROVED);
	expect_allow("w1", "snapchat", "ph1", "sc1", SMP_ACTION_MESSAGE, AT);

	/* a personal phone with the app: both rules fail */
	smp_decision *d = decide(P, "w1", "snapchat", "myphone", NULL, SMP_ACTION_VIEW, AT);
	CU_ASSERT_FALSE(smp_decision_allowed(d));
	CU_ASSERT_TRUE(has_reason(d, SMP_R_DEVICE_NOT_DCF));
	CU_ASSERT_TRUE(has_reason(d, SMP_R_APP_NOT_APPROVED));
	CU_ASSERT_EQUAL(smp_decision_reason_count(d), 2);
	smp_decision_free(d);
}

static void test_no_approval(void)
{
	expect_only("w2", "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT, SMP_R_NO_APPROVAL);
	/* the boundary: the last second before LT-1 starts, and its start */
	expect_only("w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-01-14T23:59:59Z",
	            SMP_R_NO_APPROVAL);
	expect_allow("w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-01-15T00:00:00Z");
}

static void test_public_info_suffices(void)
{
	struct smp_request req;
	smp_decision *d = NULL;

	smp_request_init(&req);
	req.user = "w1";
	req.platform = "facebook";
	req.device = "ws1";
	req.account = "fb1";
	req.action = SMP_ACTION_LOGIN;
	req.at = T(AT);
	req.public_info_sufficient = true;
	CU_ASSERT_EQUAL_FATAL(smp_decide(P, &req, &d), SMP_OK);
	CU_ASSERT_TRUE(denied_only_by(d, SMP_R_PUBLIC_INFO_SUFFICES));
	smp_decision_free(d);
	/* viewing public information is exactly what §D asks for */
	req.action = SMP_ACTION_VIEW;
	req.account = NULL;
	CU_ASSERT_EQUAL_FATAL(smp_decide(P, &req, &d), SMP_OK);
	CU_ASSERT_TRUE(smp_decision_allowed(d));
	smp_decision_free(d);
}

static void test_account_required(void)
{
	expect_only("w1", "facebook", "ws1", NULL, SMP_ACTION_LOGIN, AT, SMP_R_ACCOUNT_REQUIRED);
	expect_only("w1", "facebook", "ws1", NULL, SMP_ACTION_MESSAGE, AT, SMP_R_ACCOUNT_REQUIRED);
	expect_allow("w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);
}

static void test_account_unknown(void)
{
	expect_only("w1", "facebook", "ws1", "fb-none", SMP_ACTION_LOGIN, AT, SMP_R_ACCOUNT_UNKNOWN);
}

static void test_account_not_official(void)
{
	expect_only("w1", "facebook", "ws1", "fb-personal", SMP_ACTION_LOGIN, AT,
	            SMP_R_ACCOUNT_NOT_OFFICIAL);
	/* an official account of another platform */
	expect_only("w1", "facebook", "ws1", "yt1", SMP_ACTION_LOGIN, AT, SMP_R_ACCOUNT_NOT_OFFICIAL);
	expect_allow("w1", "youtube", "ws1", "yt1", SMP_ACTION_LOGIN, AT);
}

static void test_account_not_held(void)
{
	expect_only("w1", "facebook", "ws1", "fb2", SMP_ACTION_LOGIN, AT, SMP_R_ACCOUNT_NOT_HELD);
}

static void test_account_personal_info(void)
{
	expect_only("w1", "facebook", "ws1", "fb-pi", SMP_ACTION_LOGIN, AT,
	            SMP_R_ACCOUNT_PERSONAL_INFO);
}

static void test_password_not_escrowed(void)
{
	expect_only("w1", "facebook", "ws1", "fb-noesc", SMP_ACTION_LOGIN, AT,
	            SMP_R_PASSWORD_NOT_ESCROWED);
	/* escrowed at 2026-03-01T12:00Z: not before, yes from then */
	expect_only("w1", "facebook", "ws1", "fb-late", SMP_ACTION_LOGIN, "2026-03-01T11:59:59Z",
	            SMP_R_PASSWORD_NOT_ESCROWED);
	expect_allow("w1", "facebook", "ws1", "fb-late", SMP_ACTION_LOGIN, "2026-03-01T12:00:00Z");
}

static void test_password_change_unreported(void)
{
	expect_allow("w1", "facebook", "ws1", "fb-chg", SMP_ACTION_LOGIN, "2026-04-01T07:59:59Z");
	expect_only("w1", "facebook", "ws1", "fb-chg", SMP_ACTION_LOGIN, "2026-04-01T08:00:00Z",
	            SMP_R_PASSWORD_CHANGE_UNREPORTED);
}

static void test_account_compromised(void)
{
	expect_allow("w1", "facebook", "ws1", "fb-comp", SMP_ACTION_LOGIN, "2026-05-01T09:59:59Z");
	expect_only("w1", "facebook", "ws1", "fb-comp", SMP_ACTION_LOGIN, "2026-05-01T10:00:00Z",
	            SMP_R_ACCOUNT_COMPROMISED);
	expect_only("w1", "facebook", "ws1", "fb-comp", SMP_ACTION_LOGIN, "2026-05-03T09:59:59Z",
	            SMP_R_ACCOUNT_COMPROMISED);
	expect_allow("w1", "facebook", "ws1", "fb-comp", SMP_ACTION_LOGIN, "2026-05-03T10:00:00Z");
}

static smp_decision *client(const char *platform, const char *account, smp_action action,
                            bool other_means)
{
	struct smp_request req;
	smp_decision *d = NULL;

	smp_request_init(&req);
	req.user = "w1";
	req.platform = platform;
	req.device = "ws1";
	req.account = account;
	req.action = action;
	req.purpose = SMP_PURPOSE_CLIENT_COMMUNICATION;
	req.other_means_available = other_means;
	req.at = T(AT);
	CU_ASSERT_EQUAL_FATAL(smp_decide(P, &req, &d), SMP_OK);
	return d;
}

static void test_not_last_resort(void)
{
	smp_decision *d = client("facebook", "fb1", SMP_ACTION_MESSAGE, true);

	CU_ASSERT_TRUE(denied_only_by(d, SMP_R_NOT_LAST_RESORT));
	smp_decision_free(d);
	d = client("facebook", "fb1", SMP_ACTION_MESSAGE, false);
	CU_ASSERT_TRUE(smp_decision_allowed(d));
	smp_decision_free(d);
}

static void test_public_channel(void)
{
	smp_decision *d = client("facebook", "fb1", SMP_ACTION_POST, false);

	CU_ASSERT_TRUE(denied_only_by(d, SMP_R_PUBLIC_CHANNEL));
	smp_decision_free(d);
	d = client("facebook", "fb1", SMP_ACTION_COMMENT, false);
	CU_ASSERT_TRUE(denied_only_by(d, SMP_R_PUBLIC_CHANNEL));
	smp_decision_free(d);
	/* YouTube has no non-public messaging: a comment is the only channel */
	d = client("youtube", "yt1", SMP_ACTION_COMMENT, false);
	CU_ASSERT_TRUE(smp_decision_allowed(d));
	smp_decision_free(d);
	/* a public post for information gathering is not client contact */
	expect_allow("w1", "facebook", "ws1", "fb1", SMP_ACTION_POST, AT);
}

static void test_prohibited_conduct(void)
{
	static const smp_action prohibited[] = {
		SMP_ACTION_FRIEND, SMP_ACTION_LIKE, SMP_ACTION_FAVORITE, SMP_ACTION_FOLLOW,
		SMP_ACTION_GAME, SMP_ACTION_SHARE_PERSONAL, SMP_ACTION_CHAT_NONWORK,
	};

	for (size_t i = 0; i < sizeof(prohibited) / sizeof(prohibited[0]); i++)
		expect_only("w1", "facebook", "ws1", "fb1", prohibited[i], AT,
		            SMP_R_PROHIBITED_CONDUCT);
	expect_allow("w1", "facebook", "ws1", "fb1", SMP_ACTION_MESSAGE, AT);
}

static void test_every_failed_rule(void)
{
	/* personal device, personal account, public info, not last resort,
	 * a like: every rule that fails is listed, in table order */
	struct smp_request req;
	smp_decision *d = NULL;
	static const smp_reason want[] = {
		SMP_R_DEVICE_NOT_DCF, SMP_R_PUBLIC_INFO_SUFFICES, SMP_R_ACCOUNT_NOT_OFFICIAL,
		SMP_R_NOT_LAST_RESORT, SMP_R_PROHIBITED_CONDUCT,
	};

	smp_request_init(&req);
	req.user = "w1";
	req.platform = "facebook";
	req.device = "home";
	req.account = "fb-personal";
	req.action = SMP_ACTION_LIKE;
	req.purpose = SMP_PURPOSE_CLIENT_COMMUNICATION;
	req.public_info_sufficient = true;
	req.other_means_available = true;
	req.at = T(AT);
	CU_ASSERT_EQUAL_FATAL(smp_decide(P, &req, &d), SMP_OK);
	CU_ASSERT_FALSE(smp_decision_allowed(d));
	CU_ASSERT_EQUAL_FATAL(smp_decision_reason_count(d), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CU_ASSERT_EQUAL(smp_decision_reason(d, i), want[i]);
	smp_decision_free(d);
}

static void test_valid_until_and_warning(void)
{
	smp_decision *d;
	int64_t until = 0;

	/* LT-1 expires 2026-12-31T23:59:59Z: holds through that second */
	d = decide(P, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);
	CU_ASSERT_TRUE(smp_decision_valid_until(d, &until));
	CU_ASSERT_EQUAL(until, T("2027-01-01T00:00:00Z"));
	CU_ASSERT_EQUAL(smp_decision_warning_count(d), 0);
	smp_decision_free(d);
	/* 14 days before the lapse: warned; 14 days and a second: not */
	d = decide(P, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-12-18T00:00:00Z");
	CU_ASSERT_EQUAL(smp_decision_warning_count(d), 1);
	CU_ASSERT_EQUAL(smp_decision_warning(d, 0), SMP_W_APPROVAL_EXPIRING);
	CU_ASSERT_PTR_NOT_NULL(strstr(smp_decision_warning_message(d, 0), "LT-1"));
	smp_decision_free(d);
	d = decide(P, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-12-17T23:59:59Z");
	CU_ASSERT_EQUAL(smp_decision_warning_count(d), 0);
	smp_decision_free(d);
	expect_allow("w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-12-31T23:59:59Z");
	expect_only("w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2027-01-01T00:00:00Z",
	            SMP_R_APPROVAL_EXPIRED);
	/* an account compromise reported later shortens valid_until */
	d = decide(P, "w1", "facebook", "ws1", "fb-comp", SMP_ACTION_LOGIN, "2026-04-20T00:00:00Z");
	CU_ASSERT_TRUE(smp_decision_valid_until(d, &until));
	CU_ASSERT_EQUAL(until, T("2026-05-01T10:00:00Z"));
	smp_decision_free(d);
}

/* The messages are written when first read, after smp_decide has
 * returned: they must say what the request said even when the caller has
 * since overwritten and freed its strings, and cut a long one as before. */
static void test_messages_outlive_request(void)
{
	struct smp_request req;
	smp_decision *d = NULL;
	char *user = strdup("gone-user"), *platform = strdup("no-platform");
	char *device = strdup("ws-gone"), *account = strdup("acct-gone");
	char *longdev = malloc(2001);
	const char *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(longdev);
	smp_request_init(&req);
	req.user = user;
	req.platform = platform;
	req.device = device;
	req.account = account;
	req.action = SMP_ACTION_LOGIN;
	req.at = T(AT);
	CU_ASSERT_EQUAL_FATAL(smp_decide(P, &req, &d), SMP_OK);
	for (char *s[] = { user, platform, device, account }, **q = s; q < s + 4; q++) {
		memset(*q, 'X', strlen(*q));
		free(*q);
	}
	CU_ASSERT_EQUAL_FATAL(smp_decision_reason_count(d), 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(smp_decision_reason_message(d, 0), "'gone-user' is not in"));
	CU_ASSERT_PTR_NOT_NULL(strstr(smp_decision_reason_message(d, 1), "'no-platform' is not"));
	CU_ASSERT_PTR_NOT_NULL(strstr(smp_decision_reason_message(d, 2), "Device 'ws-gone' is"));
	CU_ASSERT_PTR_NOT_NULL(strstr(smp_decision_reason_message(d, 3), "Account 'acct-gone'"));
	CU_ASSERT_PTR_NULL(smp_decision_reason_message(d, 4));
	smp_decision_free(d);

	/* a device id of 2000 bytes: the particulars cut at 767 bytes */
	memset(longdev, 'd', 2000);
	longdev[2000] = '\0';
	smp_request_init(&req);
	req.user = "w1";
	req.platform = "facebook";
	req.device = longdev;
	req.at = T(AT);
	CU_ASSERT_EQUAL_FATAL(smp_decide(P, &req, &d), SMP_OK);
	memset(longdev, 'X', 2000);
	free(longdev);
	CU_ASSERT_EQUAL_FATAL(smp_decision_reason(d, 0), SMP_R_DEVICE_UNKNOWN);
	m = smp_decision_reason_message(d, 0);
	CU_ASSERT_EQUAL(strlen(m), strlen(smp_reason_sentence(SMP_R_DEVICE_UNKNOWN)) + 1 + 767);
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "Device 'ddddd"));
	CU_ASSERT_PTR_NULL(strchr(m, 'X'));
	smp_decision_free(d);
}

static void test_bad_requests(void)
{
	struct smp_request req;
	smp_decision *d = (smp_decision *)&req;

	smp_request_init(&req);
	req.platform = "facebook";
	CU_ASSERT_EQUAL(smp_decide(P, &req, &d), SMP_ERR_ARG);   /* no user */
	CU_ASSERT_PTR_NULL(d);
	req.user = "w1";
	req.action = SMP_ACTION__COUNT;
	CU_ASSERT_EQUAL(smp_decide(P, &req, &d), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_decide(NULL, &req, &d), SMP_ERR_ARG);
	CU_ASSERT_FALSE(smp_decision_allowed(NULL));
	smp_decision_free(NULL);
}

static void test_table(void)
{
	smp_reason r;

	for (int i = 0; i < SMP_R__COUNT; i++) {
		CU_ASSERT_PTR_NOT_NULL(smp_reason_code((smp_reason)i));
		CU_ASSERT_PTR_NOT_NULL(smp_reason_section((smp_reason)i));
		CU_ASSERT_PTR_NOT_NULL(smp_reason_sentence((smp_reason)i));
		CU_ASSERT_EQUAL(smp_reason_parse(smp_reason_code((smp_reason)i), &r), SMP_OK);
		CU_ASSERT_EQUAL(r, i);
	}
	CU_ASSERT_STRING_EQUAL(smp_reason_code(SMP_R_APPROVAL_INVALID), "approval-invalid");
	CU_ASSERT_STRING_EQUAL(smp_reason_section(SMP_R_APP_NOT_APPROVED), "Proc. A");
	CU_ASSERT_STRING_EQUAL(smp_reason_section(SMP_R_ACCOUNT_NOT_OFFICIAL), "B, D");
	CU_ASSERT_PTR_NULL(smp_reason_code(SMP_R__COUNT));
	CU_ASSERT_EQUAL(smp_reason_parse("no-such-code", &r), SMP_ERR_ARG);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("decide", setup, teardown);
	CU_add_test(s, "allow baseline", test_allow_baseline);
	CU_add_test(s, "unknown-user", test_unknown_user);
	CU_add_test(s, "unknown-platform", test_unknown_platform);
	CU_add_test(s, "device-unknown", test_device_unknown);
	CU_add_test(s, "device-not-dcf", test_device_not_dcf);
	CU_add_test(s, "app-not-approved", test_app_not_approved);
	CU_add_test(s, "no-approval", test_no_approval);
	CU_add_test(s, "public-info-suffices", test_public_info_suffices);
	CU_add_test(s, "account-required", test_account_required);
	CU_add_test(s, "account-unknown", test_account_unknown);
	CU_add_test(s, "account-not-official", test_account_not_official);
	CU_add_test(s, "account-not-held", test_account_not_held);
	CU_add_test(s, "account-personal-info", test_account_personal_info);
	CU_add_test(s, "password-not-escrowed", test_password_not_escrowed);
	CU_add_test(s, "password-change-unreported", test_password_change_unreported);
	CU_add_test(s, "account-compromised", test_account_compromised);
	CU_add_test(s, "not-last-resort", test_not_last_resort);
	CU_add_test(s, "public-channel", test_public_channel);
	CU_add_test(s, "prohibited-conduct", test_prohibited_conduct);
	CU_add_test(s, "every failed rule is listed", test_every_failed_rule);
	CU_add_test(s, "valid_until and approval-expiring", test_valid_until_and_warning);
	CU_add_test(s, "messages outlive the request's strings", test_messages_outlive_request);
	CU_add_test(s, "bad requests are errors, never ALLOW", test_bad_requests);
	CU_add_test(s, "reason table", test_table);
	return run_suites();
}
