/*
 * procedures.c - the manual's procedures, each one transaction of edit.c:
 * request (Procedures A), sign (§C), revoke, and the account events of §D.
 * This is the files' writer (files_*); edit_source.c chooses it or the
 * directory's (edit_ldap*.c), which applies it to a private rendering.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "records/signatures.h"
#include "txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* ---- request ------------------------------------------------------------ */

/* The highest N of the ids "<prefix>N" (digits only). */
/* Is id an approval's, or a void record's (one dropped from the records,
 * whose person is gone, still holds its id: a new one must not reuse it)? */
static bool approval_id_taken(const smp_policy *p, const char *id)
{
	if (policy_find_approval(p, id) != NONE)
		return true;
	for (size_t i = 0; i < p->nvoids; i++)
		if (p->voids[i].subject != NULL && strcmp(p->voids[i].subject, id) == 0)
			return true;
	return false;
}

static unsigned long highest_serial(const smp_policy *p, const char *prefix)
{
	size_t n = strlen(prefix);
	unsigned long best = 0;

	for (size_t i = 0; i < p->napprovals + p->nvoids; i++) {
		const char *id = i < p->napprovals ? p->approvals[i].id
		                                   : p->voids[i - p->napprovals].subject, *s;
		char *end;
		unsigned long v;

		if (id == NULL || strncmp(id, prefix, n) != 0 || id[n] < '0' || id[n] > '9')
			continue;
		s = id + n;
		v = strtoul(s, &end, 10);
		if (*end == '\0' && v > best)
			best = v;
	}
	return best;
}

/*
 * A fresh approval id.  Long-term: LT-YYYY-NNN, numbered per year of the
 * request.  Limited: UB-<the digits of the Unblock Form ticket>, as the
 * Helpdesk knows it, with -2, -3 ... if that id is taken; UB-YYYY-NNN for a
 * ticket without digits.
 */
static void new_approval_id(const smp_policy *p, const struct smp_edit_request *req,
                            const char *requested, char *out, size_t n)
{
	char digits[33] = "", prefix[32];
	size_t k = 0;

	if (req->kind == SMP_APPROVAL_LIMITED && req->ticket != NULL)
		for (const char *s = req->ticket; *s && k < sizeof(digits) - 1; s++)
			if (*s >= '0' && *s <= '9')
				digits[k++] = *s;
	digits[k] = '\0';
	if (k > 0) {
		snprintf(out, n, "UB-%s", digits);
		for (unsigned i = 2; approval_id_taken(p, out); i++)
			snprintf(out, n, "UB-%s-%u", digits, i);
		return;
	}
	snprintf(prefix, sizeof(prefix), "%s-%.4s-",
	         req->kind == SMP_APPROVAL_LONG_TERM ? "LT" : "UB", requested);
	snprintf(out, n, "%s%03lu", prefix, highest_serial(p, prefix) + 1);
}

static smp_status check_request_args(struct txn *t, const struct smp_edit_request *req)
{
	if (req->staff == NULL || req->by == NULL || req->platforms == NULL ||
	    req->platforms[0] == NULL ||
	    (req->kind != SMP_APPROVAL_LONG_TERM && req->kind != SMP_APPROVAL_LIMITED))
		return FAIL(t, SMP_ERR_ARG, NULL, 0, NULL,
		            "a request needs the staff member, the kind, at least one platform "
		            "and who requests it");
	if (req->ticket != NULL && req->ticket[0] == '\0')
		return FAIL(t, SMP_ERR_ARG, NULL, 0, NULL, "the ticket must not be empty");
	return SMP_OK;
}

static smp_status check_platforms(struct txn *t, const char *const *platforms)
{
	for (size_t i = 0; platforms[i] != NULL; i++) {
		char hint[SMP_MAX_ID_LEN + 32];

		if (policy_find_platform(t->base, platforms[i]) == NONE)
			return FAIL(t, SMP_ERR_REFUSED, NULL, 0, platforms[i],
			            "refused: '%s' is not in the platform catalogue (settings "
			            "file)%s", platforms[i],
			            did_you_mean(t->base, SMP_ID_PLATFORM, platforms[i], hint,
			                         sizeof(hint)));
		for (size_t j = 0; j < i; j++)
			if (strcmp(platforms[i], platforms[j]) == 0)
				return FAIL(t, SMP_ERR_REFUSED, NULL, 0, platforms[i],
				            "refused: platform '%s' is named twice", platforms[i]);
	}
	return SMP_OK;
}

/* A void record (its entry has a fault of its own) is neither changed nor
 * acted on through a command: what it holds was not read, so a change
 * could not be checked against it.  Its entry is corrected by hand (or in
 * the directory) first. */
static smp_status refuse_void(struct txn *t, const char *kind, const char *id,
                              const char *why, const struct where *at)
{
	return FAIL(t, SMP_ERR_REFUSED, at->file, at->line, id,
	            "refused: the %s record '%s' is void (%s); correct its entry first", kind,
	            id, why);
}

/* Procedures A: who may ask for what. */
static smp_status check_procedure_a(struct txn *t, const struct smp_edit_request *req)
{
	const struct staff *s = find_staff(t->base, req->staff);
	const struct staff *by = find_staff(t->base, req->by);
	size_t np = 0;

	if (s == NULL)
		return refuse_unknown_staff(t, "staff member", req->staff);
	if (by == NULL)
		return refuse_unknown_staff(t, "requester", req->by);
	if (s->void_why != NULL)
		return refuse_void(t, "staff", s->id, s->void_why, &s->at);
	if (by->void_why != NULL)
		return refuse_void(t, "staff", by->id, by->void_why, &by->at);
	while (req->platforms[np] != NULL)
		np++;
	if (req->kind == SMP_APPROVAL_LONG_TERM &&
	    (!(by->roles & ROLE_LOM) || s->office == NONE || by->office != s->office))
		return FAIL(t, SMP_ERR_REFUSED, NULL, 0, req->staff,
		            "refused: long-term access must be requested by a Local Office "
		            "Manager of the person's office (Procedures A); '%s' is not a "
		            "local_office_manager of '%s'", req->by, office_id(t->base, s));
	if (req->kind == SMP_APPROVAL_LIMITED && req->ticket == NULL)
		return FAIL(t, SMP_ERR_REFUSED, NULL, 0, req->staff,
		            "refused: limited access needs the NJS Helpdesk Unblock Form ticket "
		            "(Procedures A): give --ticket");
	if (req->kind == SMP_APPROVAL_LIMITED && req->expires == NULL)
		return FAIL(t, SMP_ERR_REFUSED, NULL, 0, req->staff,
		            "refused: the duration of limited access must be specified in "
		            "advance (Procedures A): give --expires");
	if (req->kind == SMP_APPROVAL_LIMITED && np != 1)
		return FAIL(t, SMP_ERR_REFUSED, NULL, 0, req->staff,
		            "refused: limited access is to one particular site (Procedures A); "
		            "%zu platforms were named", np);
	return check_platforms(t, req->platforms);
}

struct request_times {
	char requested[TIME_TEXT], starts[TIME_TEXT], expires[TIME_TEXT];
	int64_t t_requested, t_starts, t_expires;
};

/* How far before the request a start may be backdated: a request typed
 * the morning after the Unblock Form was filed, not a record of the past. */
#define REQUEST_BACKDATE_MAX (24 * 3600)

/*
 * A request is for access to come: one that has lapsed before it is made
 * would be approved and signed for nothing, and `check` finds nothing
 * wrong with it, so it is refused when made.  The moment of the request
 * is --on when given (so that a request can be recorded, and tested, at
 * a fixed day), else now.
 */
static smp_status request_not_past(struct txn *t, const struct smp_edit_request *req,
                                   const struct request_times *rt)
{
	int64_t at = req->on != NULL ? rt->t_requested : (int64_t)time(NULL);
	char when[TIME_TEXT];

	if (req->on != NULL)
		snprintf(when, sizeof(when), "%s", req->on);
	else if (smp_time_format(at, when, sizeof(when)) == NULL)
		snprintf(when, sizeof(when), "now");
	if (req->expires != NULL && rt->t_expires <= at)
		return FAIL(t, SMP_ERR_REFUSED, NULL, 0, NULL,
		            "refused: expires (%s) is not after the request (%s): the access "
		            "would be over before it was approved", req->expires, when);
	if (req->starts != NULL && rt->t_starts < at - REQUEST_BACKDATE_MAX)
		return FAIL(t, SMP_ERR_REFUSED, NULL, 0, NULL,
		            "refused: starts (%s) is more than a day before the request (%s); "
		            "access cannot be approved for the past", req->starts, when);
	return SMP_OK;
}

static smp_status request_times(struct txn *t, const struct smp_edit_request *req,
                                struct request_times *rt)
{
	smp_status rc = SMP_OK;

	if (req->on == NULL)
		today(t->base->tz, rt->requested, &rt->t_requested);
	else
		rc = time_text(t, "requested", req->on, SMP_TIME_START, rt->requested,
		               &rt->t_requested);
	if (rc == SMP_OK && req->starts != NULL)
		rc = time_text(t, "starts", req->starts, SMP_TIME_START, rt->starts, &rt->t_starts);
	if (rc == SMP_OK && req->expires != NULL)
		rc = time_text(t, "expires", req->expires, SMP_TIME_END, rt->expires,
		               &rt->t_expires);
	if (rc == SMP_OK && req->starts != NULL && req->expires != NULL &&
	    rt->t_expires <= rt->t_starts)
		rc = FAIL(t, SMP_ERR_REFUSED, NULL, 0, NULL,
		          "refused: expires (%s) is not after starts (%s)", req->expires,
		          req->starts);
	if (rc == SMP_OK)
		rc = request_not_past(t, req, rt);
	return rc;
}

/* name = "value"; after a space unless at the start of a line */
static void add_field(struct ebuf *b, const char *name, const char *value)
{
	bool line_start = b->len > 0 && b->s[b->len - 1] == '\n';

	ebuf_addf(b, "%s%s = ", line_start ? "" : " ", name);
	conf_quote(b, value);
	ebuf_adds(b, ";");
}

static void request_entry(struct ebuf *b, const struct smp_edit_request *req, const char *id,
                          const struct request_times *rt)
{
	ebuf_adds(b, "{");
	add_field(b, "id", id);
	add_field(b, "staff", req->staff);
	add_field(b, "kind", req->kind == SMP_APPROVAL_LONG_TERM ? "long_term" : "limited");
	ebuf_adds(b, " platforms = [");
	for (size_t i = 0; req->platforms[i] != NULL; i++) {
		ebuf_adds(b, i ? ", " : " ");
		conf_quote(b, req->platforms[i]);
	}
	ebuf_adds(b, " ];");
	if (req->ticket != NULL)
		add_field(b, "ticket", req->ticket);
	ebuf_adds(b, "\n");
	add_field(b, "requested_by", req->by);
	add_field(b, "requested", rt->requested);
	if (req->starts != NULL || req->expires != NULL)
		ebuf_adds(b, "\n");
	if (req->starts != NULL)
		add_field(b, "starts", rt->starts);
	if (req->expires != NULL)
		add_field(b, "expires", rt->expires);
	ebuf_adds(b, " }");
}

/* The records file new approvals go to: the first that has approvals, or
 * the first of all. */
static smp_status request_target(struct txn *t)
{
	for (size_t i = 0; i < t->base->nrecords; i++) {
		smp_status rc = read_target(t, t->base->records_paths[i]);

		if (rc != SMP_OK || text_has_setting(t->text, "approvals"))
			return rc;
		free(t->text);
		t->text = NULL;
	}
	return read_target(t, t->base->records_paths[0]);
}

static smp_status do_request(struct txn *t, const struct smp_edit_request *req, char *id,
                             size_t idlen)
{
	struct request_times rt = { 0 };
	struct ebuf entry = { 0 };
	char *why = NULL;
	smp_status rc = check_procedure_a(t, req);

	if (rc == SMP_OK)
		rc = request_times(t, req, &rt);
	if (rc == SMP_OK)
		rc = request_target(t);
	if (rc != SMP_OK)
		return rc;
	new_approval_id(t->base, req, rt.requested, id, idlen);
	t->audit.id = id;
	request_entry(&entry, req, id, &rt);
	rc = entry.oom ? SMP_ERR_NOMEM
	               : text_append_entry(t->text, "approvals", entry.s, &t->out, &why);
	ebuf_free(&entry);
	if (rc != SMP_OK)
		return text_error(t, rc, why);
	snprintf(t->detail, sizeof(t->detail), "%s approval of %s requested on %s",
	         req->kind == SMP_APPROVAL_LONG_TERM ? "long_term" : "limited", req->staff,
	         rt.requested);
	return commit(t);
}

smp_status files_request(const char *config_path, unsigned flags,
                         const struct smp_edit_request *req, const char *password,
                         char **new_id, smp_diags **diags)
{
	struct txn t;
	char id[SMP_MAX_ID_LEN + 1] = "";
	char *copy = NULL;
	smp_status rc;

	(void)password;   /* files are guarded by their owner and mode, not a bind */
	if (diags != NULL)
		*diags = NULL;
	if (new_id != NULL)
		*new_id = NULL;
	if (req == NULL)
		return SMP_ERR_ARG;
	/* room for the id before the change: once it is made, running out of
	 * memory must not report a failure (a retry would request twice) */
	if (new_id != NULL && (copy = malloc(sizeof(id))) == NULL)
		return SMP_ERR_NOMEM;
	if (txn_init(&t, config_path, flags, "request") != SMP_OK) {
		free(copy);
		return SMP_ERR_NOMEM;
	}
	t.audit.by = req->by;
	rc = check_request_args(&t, req);
	if (rc == SMP_OK)
		rc = txn_begin(&t);
	if (rc == SMP_OK)
		rc = do_request(&t, req, id, sizeof(id));
	rc = txn_end(&t, rc, diags);
	if (rc == SMP_OK && new_id != NULL) {
		memcpy(copy, id, sizeof(id));
		*new_id = copy;
	} else {
		free(copy);
	}
	return rc;
}

/* ---- sign ---------------------------------------------------------------- */

static const char *sign_off_name(smp_sign_off_kind k)
{
	return k == SMP_SIGN_OFF_CPP ? "approved_cpp" : "approved_it";
}

static const char *director_title(smp_sign_off_kind k)
{
	return k == SMP_SIGN_OFF_CPP ? "Director of CP&P" : "Director of Information Technology";
}

/* Which sign-off the signer gives: their role says; one holding both
 * gives the missing one, CP&P first. */
/* The other sign-off of a, if it is by s: §C's two directors are two
 * persons, whatever roles one of them holds. */
static smp_status refuse_second_by_same(struct txn *t, const struct approval *a,
                                        const struct staff *s)
{
	const struct sign_off *other = a->cpp.present ? &a->cpp : a->it.present ? &a->it : NULL;

	if (other == NULL || other->by == NONE || strcmp(t->base->staff[other->by].id, s->id) != 0)
		return SMP_OK;
	return FAIL(t, SMP_ERR_REFUSED, a->at.file, a->at.line, a->id,
	            "refused: '%s' gave approval '%s' its %s sign-off already; the other must be "
	            "given by another person (§C: the Director of CP&P and the Director of IT)",
	            s->id, a->id, other == &a->cpp ? "CP&P" : "IT");
}

static smp_status choose_sign_off(struct txn *t, const struct approval *a,
                                  const struct staff *s, smp_sign_off_kind *k)
{
	bool cpp = s->roles & ROLE_DIRECTOR_CPP, it = s->roles & ROLE_DIRECTOR_IT;

	if ((cpp || it) && !(a->cpp.present && a->it.present) &&
	    refuse_second_by_same(t, a, s) != SMP_OK)
		return SMP_ERR_REFUSED;

	if (cpp && !a->cpp.present) {
		*k = SMP_SIGN_OFF_CPP;
		return SMP_OK;
	}
	if (it && !a->it.present) {
		*k = SMP_SIGN_OFF_IT;
		return SMP_OK;
	}
	if (!cpp && !it)
		return FAIL(t, SMP_ERR_REFUSED, a->at.file, a->at.line, a->id,
		            "refused: '%s' holds neither the director_cpp nor the director_it role; "
		            "only the Director of CP&P and the Director of Information Technology "
		            "approve access (§C)", s->id);
	*k = cpp ? SMP_SIGN_OFF_CPP : SMP_SIGN_OFF_IT;
	return FAIL(t, SMP_ERR_REFUSED, a->at.file, a->at.line, a->id,
	            "refused: approval '%s' already has the %s's sign-off (%s by '%s')", a->id,
	            director_title(*k), sign_off_name(*k),
	            author_id(t->base, (cpp ? a->cpp : a->it).by, (cpp ? a->cpp : a->it).absent));
}

static smp_status check_signer(struct txn *t, const struct approval *a, const char *by,
                               smp_sign_off_kind *k)
{
	const struct staff *s = find_staff(t->base, by);

	if (s == NULL)
		return refuse_unknown_staff(t, "signer", by);
	if (a->is_void)
		return refuse_void(t, "approval", a->id, a->invalid_why, &a->at);
	if (s->void_why != NULL)
		return refuse_void(t, "staff", s->id, s->void_why, &s->at);
	if (a->staff != NONE && strcmp(t->base->staff[a->staff].id, by) == 0)
		return FAIL(t, SMP_ERR_REFUSED, a->at.file, a->at.line, a->id,
		            "refused: '%s' cannot sign their own approval '%s'", by, a->id);
	if (a->revoked.present)
		return FAIL(t, SMP_ERR_REFUSED, a->at.file, a->at.line, a->id,
		            "refused: approval '%s' was revoked; request a new one", a->id);
	if (a->invalid_why != NULL)   /* a signature would not make it valid */
		return FAIL(t, SMP_ERR_REFUSED, a->at.file, a->at.line, a->id,
		            "refused: approval '%s' breaks the procedure (%s); correct it or "
		            "request a new one", a->id, a->invalid_why);
	return choose_sign_off(t, a, s, k);
}

static smp_status do_sign(struct txn *t, const char *id, const char *by, const char *on,
                          const struct smp_signing *key, smp_sign_off_kind *kind,
                          bool *complete)
{
	char *sig = NULL;
	const struct approval *a = find_approval(t, id);
	const char *path[] = { NULL, NULL };
	char when[TIME_TEXT];
	struct ebuf value = { 0 };
	int64_t moment;
	smp_status rc;

	if (a == NULL)
		return SMP_ERR_NOTFOUND;
	rc = check_signer(t, a, by, kind);
	if (rc == SMP_OK)
		rc = time_text(t, "on", on, SMP_TIME_START, when, &moment);
	if (rc != SMP_OK)
		return rc;
	*complete = *kind == SMP_SIGN_OFF_CPP ? a->it.present : a->cpp.present;
	path[0] = sign_off_name(*kind);
	if (key != NULL) {
		rc = edit_signature(t, a, *kind == SMP_SIGN_OFF_CPP ? SIG_CPP : SIG_IT, by, moment,
		                    NULL, key, &sig);
		if (rc != SMP_OK)
			return rc;
	}
	ebuf_adds(&value, "{");
	add_field(&value, "by", by);
	add_field(&value, "on", when);
	if (sig != NULL)
		add_field(&value, "sig", sig);
	ebuf_adds(&value, " }");
	free(sig);
	rc = value.oom ? SMP_ERR_NOMEM : edit_entry(t, a->at.file, "approvals", id, path, value.s);
	ebuf_free(&value);
	snprintf(t->detail, sizeof(t->detail), "%s on %s%s", path[0], when,
	         *complete ? "; fully signed" : "");
	return rc == SMP_OK ? commit(t) : rc;
}

smp_status files_sign(const char *config_path, unsigned flags, const char *id,
                      const char *by, const char *on, const char *password,
                      const struct smp_signing *key, smp_sign_off_kind *recorded,
                      bool *complete, smp_diags **diags)
{
	struct txn t;
	smp_sign_off_kind kind = SMP_SIGN_OFF_CPP;
	bool done = false;
	smp_status rc;

	(void)password;   /* files are guarded by their owner and mode, not a bind */
	if (diags != NULL)
		*diags = NULL;
	if (id == NULL || by == NULL)
		return SMP_ERR_ARG;
	if (txn_init(&t, config_path, flags, "sign") != SMP_OK)
		return SMP_ERR_NOMEM;
	t.audit.by = by;
	t.audit.id = id;
	rc = txn_begin(&t);
	if (rc == SMP_OK)
		rc = do_sign(&t, id, by, on, key, &kind, &done);
	rc = txn_end(&t, rc, diags);
	if (recorded != NULL)
		*recorded = kind;
	if (complete != NULL)
		*complete = rc == SMP_OK && done;
	return rc;
}

/* ---- revoke ------------------------------------------------------------- */

static smp_status do_revoke(struct txn *t, const char *id, const char *by,
                            const char *reason, const char *on, const struct smp_signing *key)
{
	char *sig = NULL;
	const struct approval *a = find_approval(t, id);
	const char *path[] = { "revoked", NULL };
	char when[TIME_TEXT];
	struct ebuf value = { 0 };
	int64_t moment;
	smp_status rc;

	const struct staff *s = find_staff(t->base, by);

	if (a == NULL)
		return SMP_ERR_NOTFOUND;
	if (s == NULL)
		return refuse_unknown_staff(t, "revoker", by);
	if (a->is_void)
		return refuse_void(t, "approval", a->id, a->invalid_why, &a->at);
	if (s->void_why != NULL)
		return refuse_void(t, "staff", s->id, s->void_why, &s->at);
	if (a->revoked.present)
		return FAIL(t, SMP_ERR_REFUSED, a->at.file, a->at.line, a->id,
		            "refused: approval '%s' is already revoked", a->id);
	rc = time_text(t, "on", on, SMP_TIME_START, when, &moment);
	if (rc != SMP_OK)
		return rc;
	if (key != NULL) {
		rc = edit_signature(t, a, SIG_REVOKED, by, moment, reason, key, &sig);
		if (rc != SMP_OK)
			return rc;
	}
	ebuf_adds(&value, "{");
	add_field(&value, "on", when);
	add_field(&value, "by", by);
	add_field(&value, "reason", reason);
	if (sig != NULL)
		add_field(&value, "sig", sig);
	ebuf_adds(&value, " }");
	free(sig);
	rc = value.oom ? SMP_ERR_NOMEM : edit_entry(t, a->at.file, "approvals", id, path, value.s);
	ebuf_free(&value);
	snprintf(t->detail, sizeof(t->detail), "revoked on %s: %s", when, reason);
	return rc == SMP_OK ? commit(t) : rc;
}

smp_status files_revoke(const char *config_path, unsigned flags, const char *id,
                        const char *by, const char *reason, const char *on,
                        const char *password, const struct smp_signing *key,
                        smp_diags **diags)
{
	struct txn t;
	smp_status rc;

	(void)password;   /* files are guarded by their owner and mode, not a bind */
	if (diags != NULL)
		*diags = NULL;
	if (id == NULL || by == NULL || reason == NULL)
		return SMP_ERR_ARG;
	if (txn_init(&t, config_path, flags, "revoke") != SMP_OK)
		return SMP_ERR_NOMEM;
	t.audit.by = by;
	t.audit.id = id;
	rc = SMP_OK;
	if (reason[0] == '\0')
		rc = FAIL(&t, SMP_ERR_ARG, NULL, 0, id, "a revocation needs a reason");
	if (rc == SMP_OK)
		rc = txn_begin(&t);
	if (rc == SMP_OK)
		rc = do_revoke(&t, id, by, reason, on, key);
	return txn_end(&t, rc, diags);
}

/* ---- account events (§D) ------------------------------------------------ */

static const char *const event_names[SMP_ACCOUNT__COUNT] = {
	[SMP_ACCOUNT_PASSWORD_CHANGED] = "password-changed",
	[SMP_ACCOUNT_PASSWORD_ESCROWED] = "password-escrowed",
	[SMP_ACCOUNT_COMPROMISED] = "compromised",
	[SMP_ACCOUNT_RESOLVED] = "resolved",
};

const char *smp_account_event_name(smp_account_event e)
{
	return (unsigned)e < SMP_ACCOUNT__COUNT ? event_names[e] : NULL;
}

smp_status smp_account_event_parse(const char *name, smp_account_event *out)
{
	for (unsigned i = 0; name != NULL && out != NULL && i < SMP_ACCOUNT__COUNT; i++)
		if (strcmp(name, event_names[i]) == 0) {
			*out = (smp_account_event)i;
			return SMP_OK;
		}
	return SMP_ERR_ARG;
}

/* Where the event goes in the account entry, or a refusal. */
static smp_status event_setting(struct txn *t, const struct account *a, smp_account_event e,
                                int64_t moment, const char **path)
{
	bool open = a->compromised_reported.set && !a->compromised_resolved.set;

	switch (e) {
	case SMP_ACCOUNT_PASSWORD_CHANGED:
		path[0] = "password_changed";
		return SMP_OK;
	case SMP_ACCOUNT_PASSWORD_ESCROWED:
		path[0] = "password_escrowed";
		return SMP_OK;
	case SMP_ACCOUNT_COMPROMISED:
		if (open)
			return FAIL(t, SMP_ERR_REFUSED, a->at.file, a->at.line, a->id,
			            "refused: a compromise of account '%s' is already reported and "
			            "not resolved", a->id);
		path[0] = "compromised";
		return SMP_OK;
	default:
		if (!open)
			return FAIL(t, SMP_ERR_REFUSED, a->at.file, a->at.line, a->id,
			            "refused: no compromise of account '%s' is open", a->id);
		if (moment < a->compromised_reported.t)
			return FAIL(t, SMP_ERR_REFUSED, a->at.file, a->at.line, a->id,
			            "refused: a compromise cannot be resolved before it was reported");
		path[0] = "compromised";
		path[1] = "resolved";
		return SMP_OK;
	}
}

static smp_status do_account(struct txn *t, const char *id, smp_account_event e,
                             const char *on)
{
	uint32_t ai = policy_find_account(t->base, id);
	const struct account *a = ai == NONE ? NULL : &t->base->accounts[ai];
	const char *path[3] = { NULL, NULL, NULL };
	char when[TIME_TEXT];
	struct ebuf value = { 0 };
	int64_t moment;
	smp_status rc;

	char hint[SMP_MAX_ID_LEN + 32];

	if (a == NULL)
		return FAIL(t, SMP_ERR_NOTFOUND, NULL, 0, id, "there is no account '%s'%s", id,
		            did_you_mean(t->base, SMP_ID_ACCOUNT, id, hint, sizeof(hint)));
	if (a->void_why != NULL)
		return refuse_void(t, "account", a->id, a->void_why, &a->at);
	rc = time_text(t, "on", on, SMP_TIME_START, when, &moment);
	if (rc == SMP_OK)
		rc = event_setting(t, a, e, moment, path);
	if (rc != SMP_OK)
		return rc;
	if (e == SMP_ACCOUNT_COMPROMISED) {
		ebuf_adds(&value, "{");
		add_field(&value, "reported", when);
		ebuf_adds(&value, " }");
	} else {
		conf_quote(&value, when);
	}
	rc = value.oom ? SMP_ERR_NOMEM : edit_entry(t, a->at.file, "accounts", id, path, value.s);
	ebuf_free(&value);
	snprintf(t->detail, sizeof(t->detail), "%s on %s", event_names[e], when);
	return rc == SMP_OK ? commit(t) : rc;
}

smp_status files_account(const char *config_path, unsigned flags, const char *id,
                         smp_account_event event, const char *on, const char *by,
                         const char *password, smp_diags **diags)
{
	struct txn t;
	smp_status rc;

	(void)password;   /* files are guarded by their owner and mode, not a bind */
	if (diags != NULL)
		*diags = NULL;
	if (id == NULL || (unsigned)event >= SMP_ACCOUNT__COUNT)
		return SMP_ERR_ARG;
	if (txn_init(&t, config_path, flags, "account") != SMP_OK)
		return SMP_ERR_NOMEM;
	t.audit.by = by != NULL ? by : t.user;
	t.audit.id = id;
	rc = txn_begin(&t);
	if (rc == SMP_OK)
		rc = do_account(&t, id, event, on);
	return txn_end(&t, rc, diags);
}
