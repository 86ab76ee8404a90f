/*
 * edit_ldap_write.c - the writes of a record command on the directory: a
 * sign-off under a claim of its office, every change asserting (RFC 4528)
 * that its entry is as it was read, and the audit entry.
 *
 * Why not one LDAP transaction (RFC 5805)?  slapd 2.5 (Debian 12) offers
 * them, and they are atomic, but with the syncprov overlay that every
 * replicated directory runs, concurrent transactions crash slapd
 * (txn_preop -> slap_send_ldap_result -> syncprov, seen in this project's
 * race test).  So the office cap rests on single-entry atomic modifies:
 *
 *   1. read the office: smpRevision R, no smpIntent (else break an old
 *      claim, below, or wait for a young one), then read the world and
 *      check the sign-off in it;
 *   2. claim the office: one modify asserting (smpRevision=R) and no
 *      smpIntent, replacing R by R+1 and adding smpIntent "TIME TOKEN ID";
 *   3. write the sign-off (by and on in one modify) asserting the
 *      approval's entryCSN as read in 1;
 *   4. release: delete that very smpIntent value (a no-op if broken).
 * A claim older than OFFICE_CLAIM_LEASE may be broken by the next
 * sign-off of that office: it first writes smpFence on the approval the
 * claim names (changing its entryCSN, so that a stalled holder's step 3
 * can never land afterwards), then deletes the claim.  docs/SEMANTICS.md
 * says why no office ends over its cap.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "edit_ldap.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* (attr=value), the value escaped for a filter. */
static char *filter_eq(const char *attr, const char *value)
{
	struct berval v = { strlen(value), (char *)value }, esc = { 0, NULL };
	char *f = NULL;

	if (ldap_bv2escaped_filter_value(&v, &esc) != 0)
		return NULL;
	if (asprintf(&f, "(%s=%s)", attr, esc.bv_val) < 0)
		f = NULL;
	ber_memfree(esc.bv_val);
	return f;
}

/* One modify (an add when add) of dn, asserting filter unless NULL: the
 * result code. */
static int write_one(struct run *r, const char *dn, bool add, LDAPMod **mods,
                     const char *filter)
{
	LDAPControl *ac = NULL, *ctrls[2] = { NULL, NULL };
	int lrc;

	if (filter != NULL) {
		lrc = ldap_create_assertion_control(r->c.ld, (char *)filter, 1, &ac);
		if (lrc != LDAP_SUCCESS)
			return lrc;
		ctrls[0] = ac;
	}
	lrc = add ? ldap_add_ext_s(r->c.ld, dn, mods, ctrls, NULL)
	          : ldap_modify_ext_s(r->c.ld, dn, mods, ctrls, NULL);
	ldap_control_free(ac);
	return lrc;
}

/* One attribute, one value, one operation. */
static int write_value(struct run *r, const char *dn, int op, const char *attr,
                       const char *value, const char *filter)
{
	char *v[2] = { (char *)value, NULL };
	LDAPMod m = { .mod_op = op, .mod_type = (char *)attr, .mod_values = v };
	LDAPMod *mods[2] = { &m, NULL };

	return write_one(r, dn, false, mods, filter);
}

static bool token(char out[17])
{
	unsigned char b[8];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return false;
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return true;
}

static smp_status write_failed(struct run *r, int lrc, const char *dn, const char *what)
{
	if (unreachable(lrc))
		return say_unreachable(r, lrc);
	if (lrc == LDAP_INSUFFICIENT_ACCESS) {
		diags_add(r->d, dn, 0, SMP_SEV_ERROR, r->e->id,
		          "the directory refused: %s may not write %s of %s (its access rules); "
		          "nothing was written", r->bind_dn, what, dn);
		return SMP_ERR_REFUSED;
	}
	return dir_fail(&r->c, lrc, "cannot write %s of %s; nothing was written", what, dn);
}

/* ---- DNs and reachability (edit_ldap.c uses them too) -------------------- */

/* value as an RDN value (RFC 4514 escapes), in type=value,parent. */
char *child_dn(const char *type, const char *value, const char *parent)
{
	struct ebuf b = { 0 };

	ebuf_addf(&b, "%s=", type);
	for (const char *s = value; *s; s++) {
		bool edge = (s == value && (*s == ' ' || *s == '#')) || (s[1] == '\0' && *s == ' ');

		if (edge || strchr(",+\"\\<>;=", *s) != NULL)
			ebuf_add(&b, "\\", 1);
		ebuf_add(&b, s, 1);
	}
	ebuf_addf(&b, ",%s", parent);
	if (b.oom) {
		ebuf_free(&b);
		return NULL;
	}
	return b.s;
}

char *container_dn(const struct run *r, const char *container)
{
	char *dn = NULL;

	return asprintf(&dn, "%s,%s", container, r->s.base) < 0 ? NULL : dn;
}

bool unreachable(int lrc)
{
	return lrc == LDAP_SERVER_DOWN || lrc == LDAP_CONNECT_ERROR || lrc == LDAP_TIMEOUT;
}

smp_status say_unreachable(struct run *r, int lrc)
{
	diags_add(r->d, r->s.uri, 0, SMP_SEV_ERROR, NULL,
	          "the directory at %s cannot be reached (%s); nothing was written", r->s.uri,
	          ldap_err2string(lrc));
	return SMP_ERR_DIRECTORY;
}

/* ---- the office's claim ------------------------------------------------- */

/*
 * "TIME TOKEN ID" as dl_commit() writes it: TIME 1 to 19 digits (seconds
 * since the epoch; more than LLONG_MAX is taken as LLONG_MAX), TOKEN 1 to
 * 16 characters, ID what follows the second blank.  False for anything
 * else.  No sscanf: "%lld" would take a sign, blanks, and overflow
 * silently.
 */
static bool claim_parse(const char *intent, long long *when, size_t *id_at)
{
	unsigned long long t = 0;
	size_t i = 0, tok;

	for (; intent[i] >= '0' && intent[i] <= '9'; i++) {
		if (i == 19)
			return false;
		t = t * 10 + (unsigned long long)(intent[i] - '0');   /* < 10^19 < 2^64 */
	}
	if (i == 0 || intent[i] != ' ')
		return false;
	*when = t > (unsigned long long)LLONG_MAX ? LLONG_MAX : (long long)t;
	tok = ++i;
	while (intent[i] != '\0' && intent[i] != ' ')
		i++;
	if (i == tok || i - tok > 16 || intent[i] != ' ')
		return false;
	*id_at = i + 1;
	return true;
}

/*
 * Does a claim made at when still hold at now?  Only while it is younger
 * than OFFICE_CLAIM_LEASE; one dated ahead of now by more than
 * OFFICE_CLAIM_SKEW never does (a clock set forward, or a forged value,
 * must not lock the office's sign-offs for years).  Both times are checked
 * against 0 and subtracted one from the other, never added: no overflow
 * whatever the directory holds.
 */
static bool claim_holds(long long when, long long now)
{
	if (when < 0 || now < 0)
		return false;
	if (when > now)
		return when - now <= OFFICE_CLAIM_SKEW;
	return now - when < OFFICE_CLAIM_LEASE;
}

smp_status dl_break_claim(struct run *r, bool *conflict)
{
	long long when = 0;
	size_t at = 0;
	char fence[17], *cont, *dn;
	int lrc;

	*conflict = true;   /* whatever happens here, the world is read again */
	if (!claim_parse(r->intent, &when, &at))
		at = strlen(r->intent);   /* not ours to parse: break it at once */
	else if (claim_holds(when, (long long)time(NULL)))
		return SMP_OK;            /* young: its holder is writing; wait */
	if (!token(fence))
		return SMP_ERR_NOMEM;
	/* the fence first: once the approval's entryCSN has moved, the
	 * holder's sign-off (asserting the old one) cannot land any more */
	cont = container_dn(r, "ou=approvals");
	dn = cont != NULL && r->intent[at] != '\0' ? child_dn("cn", r->intent + at, cont) : NULL;
	free(cont);
	if (dn != NULL) {
		lrc = write_value(r, dn, LDAP_MOD_REPLACE, LDAP_FENCE_ATTR, fence, NULL);
		if (lrc != LDAP_SUCCESS && lrc != LDAP_NO_SUCH_OBJECT) {
			smp_status rc = write_failed(r, lrc, dn, "the fence (" LDAP_FENCE_ATTR
			                             ") that breaks an expired claim");

			free(dn);
			return rc;
		}
		free(dn);
	}
	/* that very value, or nothing: someone else may have broken it */
	lrc = write_value(r, r->office_dn, LDAP_MOD_DELETE, LDAP_INTENT_ATTR, r->intent, NULL);
	if (lrc != LDAP_SUCCESS && lrc != LDAP_NO_SUCH_ATTRIBUTE)
		return write_failed(r, lrc, r->office_dn, "the office's claim (" LDAP_INTENT_ATTR ")");
	return SMP_OK;
}

/* Step 2: the office is this command's; *conflict if it was not free at R. */
static smp_status claim(struct run *r, const char *intent, bool *conflict)
{
	long long rev = 0;
	char next[32], filter[128];
	char *rv[2] = { next, NULL }, *iv[2] = { (char *)intent, NULL };
	LDAPMod m[2] = {
		{ .mod_op = LDAP_MOD_REPLACE, .mod_type = LDAP_REVISION_ATTR, .mod_values = rv },
		{ .mod_op = LDAP_MOD_ADD, .mod_type = LDAP_INTENT_ATTR, .mod_values = iv },
	};
	LDAPMod *mods[3] = { &m[0], &m[1], NULL };
	int lrc;

	/* a count of sign-offs: 1 to 18 digits, so that rev + 1 cannot
	 * overflow; anything else is no revision this library wrote */
	if (r->revision != NULL) {
		size_t n = strspn(r->revision, "0123456789");

		if (n == 0 || n > 18 || r->revision[n] != '\0') {
			diags_add(r->d, r->office_dn, 0, SMP_SEV_ERROR, NULL, "the office's "
			          LDAP_REVISION_ATTR " is not a count (1 to 18 digits): '%s'; "
			          "nothing was written", r->revision);
			return SMP_ERR_DIRECTORY;
		}
		rev = strtoll(r->revision, NULL, 10);
	}
	snprintf(next, sizeof(next), "%lld", rev + 1);
	if (r->revision != NULL)
		snprintf(filter, sizeof(filter), "(&(%s=%lld)(!(%s=*)))", LDAP_REVISION_ATTR, rev,
		         LDAP_INTENT_ATTR);
	else
		snprintf(filter, sizeof(filter), "(&(!(%s=*))(!(%s=*)))", LDAP_REVISION_ATTR,
		         LDAP_INTENT_ATTR);
	lrc = write_one(r, r->office_dn, false, mods, filter);
	if (lrc == LDAP_ASSERTION_FAILED || lrc == LDAP_TYPE_OR_VALUE_EXISTS) {
		*conflict = true;
		return SMP_OK;
	}
	return lrc == LDAP_SUCCESS ? SMP_OK
	                           : write_failed(r, lrc, r->office_dn, "the office's revision");
}

/* ---- the change and its audit entry ----------------------------------- */

/* cn=<UTC time>-<random>,ou=audit,<base>; when gets the UTC time. */
static char *audit_dn(const struct run *r, char when[32])
{
	char cn[64], rnd[17], *cont, *dn;
	time_t now = time(NULL);
	struct tm tm;

	if (!token(rnd))
		return NULL;
	gmtime_r(&now, &tm);
	strftime(when, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(cn, sizeof(cn), "%Y%m%d%H%M%SZ-", &tm);
	strncat(cn, rnd, sizeof(cn) - strlen(cn) - 1);
	cont = container_dn(r, LDAP_AUDIT_CONTAINER);
	dn = cont != NULL ? child_dn("cn", cn, cont) : NULL;
	free(cont);
	return dn;
}

/* Add the audit entry of line; the result code. */
static int audit_add(struct run *r, const char *line)
{
	char when[32], *dn = audit_dn(r, when), *cn;
	char *oc[2] = { LDAP_AUDIT_OC, NULL }, *cv[2], *wv[2] = { when, NULL };
	char *lv[2] = { (char *)line, NULL };
	LDAPMod m[4] = {
		{ .mod_op = LDAP_MOD_ADD, .mod_type = "objectClass", .mod_values = oc },
		{ .mod_op = LDAP_MOD_ADD, .mod_type = "cn", .mod_values = cv },
		{ .mod_op = LDAP_MOD_ADD, .mod_type = "smpAuditWhen", .mod_values = wv },
		{ .mod_op = LDAP_MOD_ADD, .mod_type = "smpAuditLine", .mod_values = lv },
	};
	LDAPMod *mods[5] = { &m[0], &m[1], &m[2], &m[3], NULL };
	int lrc;

	if (dn == NULL || line == NULL) {
		free(dn);
		return LDAP_NO_MEMORY;
	}
	cn = strndup(dn + 3, strcspn(dn + 3, ","));
	cv[0] = cn;
	cv[1] = NULL;
	lrc = cn != NULL ? write_one(r, dn, true, mods, NULL) : LDAP_NO_MEMORY;
	free(cn);
	free(dn);
	return lrc;
}

void dl_audit_alone(struct run *r, const char *line)
{
	int lrc = audit_add(r, line);

	if (lrc != LDAP_SUCCESS)
		diags_add(r->d, r->s.uri, 0, SMP_SEV_WARNING, NULL,
		          "the refusal could not be written to the directory's audit trail: %s",
		          ldap_err2string(lrc));
}

char *dl_refusal_line(const struct run *r, const char *why)
{
	struct audit_entry a = { .when = (int64_t)time(NULL), .by = r->e->by,
	                         .action = r->e->action, .id = r->new_id ? r->new_id : r->e->id,
	                         .result = "refused", .detail = why };
	struct ebuf b = { 0 };
	const char *u = r->line != NULL ? strstr(r->line, " user=") : NULL;
	char user[64];

	/* the login as the files' line of this very change names it */
	if (u != NULL)
		snprintf(user, sizeof(user), "%.*s", (int)strcspn(u + 6, " "), u + 6);
	else
		snprintf(user, sizeof(user), "uid-%ld", (long)getuid());
	a.user = user;
	audit_format(&b, &a);
	if (b.oom) {
		ebuf_free(&b);
		return NULL;
	}
	return b.s;
}

/* Step 3 (or the whole of a change that needs no claim): the record's
 * one modify, asserting it as read, or its add. */
static smp_status write_record(struct run *r, struct change *ch, const char *dn,
                               bool *conflict)
{
	char *filter = NULL;
	int lrc;

	if (!ch->add && r->csn != NULL && (filter = filter_eq("entryCSN", r->csn)) == NULL)
		return SMP_ERR_NOMEM;
	lrc = write_one(r, dn, ch->add, ch->mods, filter);
	free(filter);
	if (lrc == LDAP_ASSERTION_FAILED || lrc == LDAP_ALREADY_EXISTS) {
		*conflict = true;   /* changed (or fenced) since it was read; an id taken */
		return SMP_OK;
	}
	return lrc == LDAP_SUCCESS ? SMP_OK
	                           : write_failed(r, lrc, dn, ch->names[0] ? ch->names : "the entry");
}

smp_status dl_commit(struct run *r, struct change *ch, const char *record_dn, bool *conflict)
{
	char tok[17], *intent = NULL;
	smp_status rc = SMP_OK;
	int lrc;

	*conflict = false;
	if (r->e->sign && r->office_dn != NULL) {
		if (!token(tok) || asprintf(&intent, "%lld %s %s", (long long)time(NULL), tok,
		                            r->e->id) < 0)
			return SMP_ERR_NOMEM;
		rc = claim(r, intent, conflict);
		if (rc != SMP_OK || *conflict) {
			free(intent);
			return rc;
		}
	}
	rc = write_record(r, ch, record_dn, conflict);
	if (intent != NULL) {
		/* step 4, whatever step 3 did: only this very claim */
		write_value(r, r->office_dn, LDAP_MOD_DELETE, LDAP_INTENT_ATTR, intent, NULL);
		free(intent);
	}
	if (rc != SMP_OK || *conflict)
		return rc;
	lrc = audit_add(r, r->line);
	if (lrc != LDAP_SUCCESS) {
		diags_add(r->d, r->s.uri, 0, SMP_SEV_ERROR, r->e->id,
		          "the change was made, but its audit entry could not be written: %s",
		          ldap_err2string(lrc));
		return SMP_ERR_IO;
	}
	return SMP_OK;
}
