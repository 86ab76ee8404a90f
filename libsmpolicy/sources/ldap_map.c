/*
 * ldap_map.c - the one table of smpolicy-ldap(5): which attribute of which object
 * class carries each key of smpolicy.conf(5).  The export, the directory reader
 * and the schema files (ldap/smpolicy.schema, tested against this table)
 * all follow it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sources/directory.h"

#include <stddef.h>

const struct ldap_attr ldap_settings_attrs[] = {
	{ "max_approved_per_office", "smpMaxApprovedPerOffice", LV_INT },
	{ "cap_counts", "smpCapCounts", LV_STR },
	{ "warn_days", "smpWarnDays", LV_INT },
	{ "long_term_max_days", "smpLongTermMaxDays", LV_INT },
	{ "device_domains", "smpDeviceDomains", LV_STRLIST },
	{ "time_zone", "smpTimeZone", LV_STR },
	{ NULL, NULL, LV_STR },
};

static const struct ldap_attr platform_attrs[] = {
	{ "name", "smpName", LV_STR },
	{ "domains", "smpDomains", LV_STRLIST },
	{ "mobile_only", "smpMobileOnly", LV_BOOL },
	{ "private_messaging", "smpPrivateMessaging", LV_BOOL },
	{ NULL, NULL, LV_STR },
};

static const struct ldap_attr office_attrs[] = {
	{ "name", "smpName", LV_STR },
	{ "kind", "smpKind", LV_STR },
	{ NULL, NULL, LV_STR },
};

static const struct ldap_attr staff_attrs[] = {
	{ "name", "smpName", LV_STR },
	{ "office", "smpOffice", LV_STR },
	{ "roles", "smpRoles", LV_STRLIST },
	{ "supervisor", "smpSupervisor", LV_STR },
	{ "held", "smpHeld", LV_STRLIST },
	{ "left", "smpLeft", LV_TIME },
	{ NULL, NULL, LV_STR },
};

static const struct ldap_attr device_attrs[] = {
	{ "kind", "smpKind", LV_STR },
	{ "owner", "smpOwner", LV_STR },
	{ "office", "smpOffice", LV_STR },
	{ "apps", "smpApps", LV_STRLIST },
	{ NULL, NULL, LV_STR },
};

static const struct ldap_attr account_attrs[] = {
	{ "platform", "smpPlatform", LV_STR },
	{ "handle", "smpHandle", LV_STR },
	{ "holder", "smpHolder", LV_STR },
	{ "official", "smpOfficial", LV_BOOL },
	{ "personal_info", "smpPersonalInfo", LV_BOOL },
	{ "supervisor", "smpSupervisor", LV_STR },
	{ "password_changed", "smpPasswordChanged", LV_TIME },
	{ "password_escrowed", "smpPasswordEscrowed", LV_TIME },
	{ "compromised.reported", "smpCompromisedReported", LV_TIME },
	{ "compromised.resolved", "smpCompromisedResolved", LV_TIME },
	{ NULL, NULL, LV_STR },
};

static const struct ldap_attr approval_attrs[] = {
	{ "staff", "smpStaff", LV_STR },
	{ "kind", "smpKind", LV_STR },
	{ "platforms", "smpPlatforms", LV_STRLIST },
	{ "ticket", "smpTicket", LV_STR },
	{ "requested_by", "smpRequestedBy", LV_STR },
	{ "requested", "smpRequested", LV_TIME },
	{ "approved_cpp.by", "smpApprovedCppBy", LV_STR },
	{ "approved_cpp.on", "smpApprovedCppOn", LV_TIME },
	{ "approved_cpp.sig", "smpApprovedCppSig", LV_STR },
	{ "approved_it.by", "smpApprovedItBy", LV_STR },
	{ "approved_it.on", "smpApprovedItOn", LV_TIME },
	{ "approved_it.sig", "smpApprovedItSig", LV_STR },
	{ "starts", "smpStarts", LV_TIME },
	{ "expires", "smpExpires", LV_TIME },
	{ "revoked.on", "smpRevokedOn", LV_TIME },
	{ "revoked.by", "smpRevokedBy", LV_STR },
	{ "revoked.reason", "smpRevokedReason", LV_STR },
	{ "revoked.sig", "smpRevokedSig", LV_STR },
	{ NULL, NULL, LV_STR },
};

const struct ldap_kind ldap_kinds[] = {
	{ "platforms", "settings", "ou=platforms", "cn", "smpPolicyPlatform", platform_attrs },
	{ "offices", "settings", "ou=offices", "cn", "smpPolicyOffice", office_attrs },
	{ "staff", "records", "ou=staff", "uid", "smpPolicyStaff", staff_attrs },
	{ "devices", "records", "ou=devices", "cn", "smpPolicyDevice", device_attrs },
	{ "accounts", "records", "ou=accounts", "cn", "smpPolicyAccount", account_attrs },
	{ "approvals", "records", "ou=approvals", "cn", "smpPolicyApproval", approval_attrs },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

/* What the record commands keep in the directory beside the records, no
 * key of smpolicy.conf(5) and never rendered into the files: the
 * office's revision and claim (on smpPolicyOffice), which every sign-off of
 * its staff takes, the approval's fence, written when an expired claim on
 * it is broken, and the audit trail (edit/edit_ldap_write.c). */
const struct ldap_attr ldap_office_revision_attrs[] = {
	{ "revision", "smpRevision", LV_INT },
	{ "intent", "smpIntent", LV_STR },
	{ NULL, NULL, LV_STR },
};

const struct ldap_attr ldap_approval_fence_attrs[] = {
	{ "fence", "smpFence", LV_STR },
	{ NULL, NULL, LV_STR },
};

const struct ldap_attr ldap_audit_attrs[] = {
	{ "when", "smpAuditWhen", LV_TIME },
	{ "line", "smpAuditLine", LV_STR },
	{ NULL, NULL, LV_STR },
};
