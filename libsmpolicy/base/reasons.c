/*
 * reasons.c - the one table of reason codes, manual sections and the
 * sentences a caseworker reads; and the names of actions and purposes.
 * The CLI, JSON output, the PAM module and syslog all read from here.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"

#include <string.h>

struct reason_row {
	const char *code;
	const char *section;
	const char *sentence;
};

static const struct reason_row reasons[SMP_R__COUNT] = {
	[SMP_R_UNKNOWN_USER] = { "unknown-user", "C",
		"You are not in the staff records, so no approval to use social media can apply to you." },
	[SMP_R_UNKNOWN_PLATFORM] = { "unknown-platform", "C",
		"This site or application is not in the agency's list of social media platforms." },
	[SMP_R_DEVICE_UNKNOWN] = { "device-unknown", "B",
		"This device is not a registered DCF device; official social media use needs DCF equipment." },
	[SMP_R_DEVICE_NOT_DCF] = { "device-not-dcf", "B",
		"Privately owned computers and phones may not be used for official business." },
	[SMP_R_APP_NOT_APPROVED] = { "app-not-approved", "Proc. A",
		"This platform can only be used through its app on a DCF-issued mobile device on which the app was approved." },
	[SMP_R_NO_APPROVAL] = { "no-approval", "C",
		"You have no approval from the Director of CP&P and the Director of IT to use this platform." },
	[SMP_R_APPROVAL_PENDING] = { "approval-pending", "C",
		"Your approval for this platform is still waiting for a director's signature." },
	[SMP_R_APPROVAL_EXPIRED] = { "approval-expired", "C, Proc. A",
		"Your approval for this platform has lapsed; a new request is needed." },
	[SMP_R_APPROVAL_REVOKED] = { "approval-revoked", "C",
		"Your approval for this platform was revoked." },
	[SMP_R_APPROVAL_INVALID] = { "approval-invalid", "C, Proc. A",
		"Your approval for this platform was not granted by the required procedure, so it is not valid." },
	[SMP_R_OFFICE_CAP_EXCEEDED] = { "office-cap-exceeded", "C",
		"Your office already has as many persons approved for social media as the manual allows; your approval cannot be used while that is so." },
	[SMP_R_PUBLIC_INFO_SUFFICES] = { "public-info-suffices", "D",
		"Publicly accessible information is enough for this task, so you must not log in." },
	[SMP_R_ACCOUNT_REQUIRED] = { "account-required", "D",
		"Logging in requires naming the official account you will use." },
	[SMP_R_ACCOUNT_UNKNOWN] = { "account-unknown", "D",
		"This account is not in the records of official accounts." },
	[SMP_R_ACCOUNT_NOT_OFFICIAL] = { "account-not-official", "B, D",
		"This is not an official account for this platform; personal accounts may not be used for official business." },
	[SMP_R_ACCOUNT_NOT_HELD] = { "account-not-held", "D",
		"This official account is held by another staff member." },
	[SMP_R_ACCOUNT_PERSONAL_INFO] = { "account-personal-info", "D",
		"This official account carries personal information, which official accounts must not include." },
	[SMP_R_PASSWORD_NOT_ESCROWED] = { "password-not-escrowed", "D",
		"Your supervisor has never been given this account's password." },
	[SMP_R_PASSWORD_CHANGE_UNREPORTED] = { "password-change-unreported", "D",
		"This account's password changed after your supervisor last received it; report the change to your supervisor." },
	[SMP_R_ACCOUNT_COMPROMISED] = { "account-compromised", "D",
		"This account was reported compromised and the compromise is not resolved." },
	[SMP_R_NOT_LAST_RESORT] = { "not-last-resort", "E",
		"Social media is a last resort for talking with clients; use the other means that are available." },
	[SMP_R_PUBLIC_CHANNEL] = { "public-channel", "E",
		"Client communication must use the platform's non-public messaging, never a public post or comment." },
	[SMP_R_PROHIBITED_CONDUCT] = { "prohibited-conduct", "F",
		"Friending, liking, favoriting, following, games, personal sharing and non-work chat are prohibited." },
};

static const struct reason_row warnings[SMP_W__COUNT] = {
	[SMP_W_APPROVAL_EXPIRING] = { "approval-expiring", "C",
		"Your approval for this platform lapses soon; ask for a renewal in time." },
};

const char *smp_reason_code(smp_reason r)
{
	return (unsigned)r < SMP_R__COUNT ? reasons[r].code : NULL;
}

const char *smp_reason_section(smp_reason r)
{
	return (unsigned)r < SMP_R__COUNT ? reasons[r].section : NULL;
}

const char *smp_reason_sentence(smp_reason r)
{
	return (unsigned)r < SMP_R__COUNT ? reasons[r].sentence : NULL;
}

smp_status smp_reason_parse(const char *code, smp_reason *out)
{
	for (unsigned i = 0; code != NULL && out != NULL && i < SMP_R__COUNT; i++) {
		if (strcmp(reasons[i].code, code) == 0) {
			*out = (smp_reason)i;
			return SMP_OK;
		}
	}
	return SMP_ERR_ARG;
}

const char *smp_warning_code(smp_warning w)
{
	return (unsigned)w < SMP_W__COUNT ? warnings[w].code : NULL;
}

const char *smp_warning_section(smp_warning w)
{
	return (unsigned)w < SMP_W__COUNT ? warnings[w].section : NULL;
}

const char *smp_warning_sentence(smp_warning w)
{
	return (unsigned)w < SMP_W__COUNT ? warnings[w].sentence : NULL;
}

static const char *const action_names[SMP_ACTION__COUNT] = {
	"view", "login", "message", "post", "comment", "friend", "like",
	"favorite", "follow", "game", "share_personal", "chat_nonwork",
};

static const char *const purpose_names[SMP_PURPOSE__COUNT] = {
	"info_gathering", "client_communication",
};

static smp_status parse_name(const char *const *names, unsigned n,
                             const char *name, unsigned *out)
{
	for (unsigned i = 0; name != NULL && i < n; i++) {
		if (strcmp(names[i], name) == 0) {
			*out = i;
			return SMP_OK;
		}
	}
	return SMP_ERR_ARG;
}

const char *smp_action_name(smp_action a)
{
	return (unsigned)a < SMP_ACTION__COUNT ? action_names[a] : NULL;
}

smp_status smp_action_parse(const char *name, smp_action *out)
{
	unsigned i;
	smp_status s;

	if (out == NULL)
		return SMP_ERR_ARG;
	s = parse_name(action_names, SMP_ACTION__COUNT, name, &i);
	if (s == SMP_OK)
		*out = (smp_action)i;
	return s;
}

const char *smp_purpose_name(smp_purpose p)
{
	return (unsigned)p < SMP_PURPOSE__COUNT ? purpose_names[p] : NULL;
}

smp_status smp_purpose_parse(const char *name, smp_purpose *out)
{
	unsigned i;
	smp_status s;

	if (out == NULL)
		return SMP_ERR_ARG;
	s = parse_name(purpose_names, SMP_PURPOSE__COUNT, name, &i);
	if (s == SMP_OK)
		*out = (smp_purpose)i;
	return s;
}

const char *smp_approval_state_name(smp_approval_state s)
{
	static const char *const names[] = {
		"valid", "not-started", "pending", "expired", "revoked",
		"invalid", "over-cap",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : NULL;
}
