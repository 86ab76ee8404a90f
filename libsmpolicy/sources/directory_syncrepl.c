/*
 * directory_syncrepl.c - the incremental sync (smpolicy-ldap(5)): an RFC
 * 4533 content synchronization in refreshOnly mode, with the cookie the
 * copy kept, applied to the entries the copy kept (directory_saved.c).
 *
 * The provider (slapd's syncprov with a session log) answers a refresh
 * with a recent cookie by the entries added or changed since, whole, and
 * the entryUUIDs of those deleted (a syncIdSet, refreshDeletes); with an
 * older cookie by every entry's UUID as present and the changed ones whole
 * (the present phase: what is not named is gone).  Each comes with its
 * entryUUID in a Sync State control, so the UUID is not asked for as an
 * attribute as well.  A full read is the paged search (with entryUUID),
 * its cookie the contextCSN read before it (csn_cookie()).  The
 * changes go into a copy of the saved entries in memory; the copy on disk
 * is only ever replaced whole, by the same render, validation and
 * install as a full read, so a failure half way changes nothing.
 *
 * syncprov names as present every entry as of now, those added or changed
 * since the cookie too, before it sends them whole: a present of an entry
 * the copy does not hold is noted, and only one that never came whole by
 * the end of the refresh is a disagreement.
 *
 * What does not fit (a delete of an entry the copy does not hold, a
 * present of one that never comes, an entry without its UUID) means the
 * copy and the provider disagree: the whole directory is read instead.
 * The entries a refresh adds come in another order than the paged read's
 * (the tree's); two or more are put in the paged read's by
 * dir_read_order(), so that a copy kept up is byte for byte a fresh one.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "directory_sync.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a refresh ended. */
enum refresh_end {
	REFRESH_OK,
	REFRESH_REFUSED,      /* the server said no, or sent what does not fit */
	REFRESH_UNSUPPORTED,  /* no content synchronization there (only the
	                         message differs) */
};

struct refresh {
	struct dir_conn *c;
	struct raw_world *r;
	enum refresh_end end;
	char *why;
	size_t whysize;
	unsigned char (*unheld)[16];   /* named present before the copy held them */
	size_t nunheld, capunheld;
};

static void refuse(struct refresh *x, enum refresh_end end, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(struct refresh *x, enum refresh_end end, const char *fmt, ...)
{
	va_list ap;

	if (x->end != REFRESH_OK)
		return;
	x->end = end;
	va_start(ap, fmt);
	vsnprintf(x->why, x->whysize, fmt, ap);
	va_end(ap);
}

/* The Sync Request control: refreshOnly, with cookie when not empty. */
static int request_control(const struct berval *cookie, LDAPControl **out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval bv;
	int rc;

	if (ber == NULL)
		return LDAP_NO_MEMORY;
	rc = ber_printf(ber, "{e", (ber_int_t)LDAP_SYNC_REFRESH_ONLY) < 0 ||
	     (cookie->bv_len > 0 && ber_printf(ber, "O", cookie) < 0) ||
	     ber_printf(ber, "N}") < 0 || ber_flatten2(ber, &bv, 0) < 0 ?
	     LDAP_ENCODING_ERROR : LDAP_SUCCESS;
	if (rc == LDAP_SUCCESS)
		rc = ldap_control_create(LDAP_CONTROL_SYNC, 1, &bv, 1, out);
	ber_free(ber, 1);
	return rc;
}

/* An entry named present: seen if held, else noted (it must come whole). */
static void present(struct refresh *x, const unsigned char *uuid)
{
	struct raw_entry *e = raw_find(x->r, uuid);

	if (e != NULL) {
		e->seen = true;
		return;
	}
	if (x->nunheld == x->capunheld) {
		size_t nc = x->capunheld ? x->capunheld * 2 : 64;
		unsigned char (*nv)[16] = realloc(x->unheld, nc * sizeof(*nv));

		if (nv == NULL) {
			refuse(x, REFRESH_REFUSED, "out of memory");
			return;
		}
		x->unheld = nv;
		x->capunheld = nc;
	}
	memcpy(x->unheld[x->nunheld++], uuid, 16);
}

static void take_cookie(struct refresh *x, const struct berval *cookie)
{
	if (cookie->bv_len > 0 && raw_set_cookie(x->r, cookie) != SMP_OK)
		refuse(x, REFRESH_REFUSED, "out of memory");
}

/* A search entry and its Sync State control. */
static smp_status on_entry(struct refresh *x, LDAPMessage *msg)
{
	LDAPControl **ctrls = NULL, *st;
	struct berval uuid = { 0, NULL }, cookie = { 0, NULL };
	BerElement *ber = NULL;
	ber_int_t state = -1;
	struct raw_entry *e;
	smp_status rc = SMP_OK;

	if (ldap_get_entry_controls(x->c->ld, msg, &ctrls) != LDAP_SUCCESS ||
	    (st = ldap_control_find(LDAP_CONTROL_SYNC_STATE, ctrls, NULL)) == NULL ||
	    (ber = ber_init(&st->ldctl_value)) == NULL ||
	    ber_scanf(ber, "{em", &state, &uuid) == LBER_ERROR || uuid.bv_len != 16) {
		refuse(x, REFRESH_REFUSED, "an entry came without a readable Sync State control");
		goto out;
	}
	if (ber_peek_tag(ber, &(ber_len_t){ 0 }) == LDAP_TAG_SYNC_COOKIE &&
	    ber_scanf(ber, "m", &cookie) != LBER_ERROR)
		take_cookie(x, &cookie);
	e = raw_find(x->r, (const unsigned char *)uuid.bv_val);
	switch (state) {
	case LDAP_SYNC_PRESENT:
		present(x, (const unsigned char *)uuid.bv_val);
		break;
	case LDAP_SYNC_ADD:
	case LDAP_SYNC_MODIFY:
		x->r->received++;
		rc = raw_put(x->r, x->c->ld, msg, (const unsigned char *)uuid.bv_val, NULL);
		break;
	case LDAP_SYNC_DELETE:
		x->r->received++;
		if (e == NULL)
			refuse(x, REFRESH_REFUSED, "the server deletes an entry the copy does not hold");
		else
			raw_delete(x->r, e);
		break;
	default:
		refuse(x, REFRESH_REFUSED, "an entry came with the unknown sync state %d", (int)state);
	}
out:
	if (ber != NULL)
		ber_free(ber, 1);
	ldap_controls_free(ctrls);
	return rc;
}

/* A syncInfo message: a new cookie, or a set of UUIDs deleted or present. */
static void on_info(struct refresh *x, LDAPMessage *msg)
{
	char *oid = NULL;
	struct berval *data = NULL, cookie = { 0, NULL };
	BerElement *ber = NULL;
	ber_tag_t tag;
	ber_len_t len;
	ber_int_t deletes = 0;
	BerVarray uuids = NULL;

	if (ldap_parse_intermediate(x->c->ld, msg, &oid, &data, NULL, 0) != LDAP_SUCCESS ||
	    oid == NULL || strcmp(oid, LDAP_SYNC_INFO) != 0 || data == NULL ||
	    (ber = ber_init(data)) == NULL) {
		refuse(x, REFRESH_REFUSED, "an intermediate message that is no readable syncInfo");
		goto out;
	}
	tag = ber_peek_tag(ber, &len);
	if (tag == LDAP_TAG_SYNC_NEW_COOKIE) {
		if (ber_scanf(ber, "m", &cookie) == LBER_ERROR)
			refuse(x, REFRESH_REFUSED, "a syncInfo newcookie that cannot be read");
		else
			take_cookie(x, &cookie);
	} else if (tag == LDAP_TAG_SYNC_REFRESH_DELETE || tag == LDAP_TAG_SYNC_REFRESH_PRESENT) {
		/* the end of a phase: only its cookie matters in refreshOnly */
		if (ber_scanf(ber, "{") != LBER_ERROR &&
		    ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE &&
		    ber_scanf(ber, "m", &cookie) != LBER_ERROR)
			take_cookie(x, &cookie);
	} else if (tag == LDAP_TAG_SYNC_ID_SET) {
		if (ber_scanf(ber, "{") == LBER_ERROR) {
			refuse(x, REFRESH_REFUSED, "a syncIdSet that cannot be read");
			goto out;
		}
		tag = ber_peek_tag(ber, &len);
		if (tag == LDAP_TAG_SYNC_COOKIE && ber_scanf(ber, "m", &cookie) != LBER_ERROR) {
			take_cookie(x, &cookie);
			tag = ber_peek_tag(ber, &len);
		}
		if (tag == LDAP_TAG_REFRESHDELETES && ber_scanf(ber, "b", &deletes) == LBER_ERROR)
			tag = LBER_ERROR;
		if (tag == LBER_ERROR || ber_scanf(ber, "[W]", &uuids) == LBER_ERROR) {
			refuse(x, REFRESH_REFUSED, "a syncIdSet that cannot be read");
			goto out;
		}
		for (size_t i = 0; uuids != NULL && uuids[i].bv_val != NULL; i++) {
			const unsigned char *u = (const unsigned char *)uuids[i].bv_val;
			struct raw_entry *e;

			if (uuids[i].bv_len != 16) {
				refuse(x, REFRESH_REFUSED, "a syncIdSet with a UUID that is not 16 bytes");
				break;
			}
			if (!deletes) {
				present(x, u);
				continue;
			}
			if ((e = raw_find(x->r, u)) == NULL) {
				refuse(x, REFRESH_REFUSED, "the server deletes an entry the copy does not hold");
				break;
			}
			x->r->received++;
			raw_delete(x->r, e);
		}
	} else {
		refuse(x, REFRESH_REFUSED, "a syncInfo of an unknown kind");
	}
out:
	ber_bvarray_free(uuids);
	if (ber != NULL)
		ber_free(ber, 1);
	ber_bvfree(data);
	ldap_memfree(oid);
}

/* The result: its code, and the Sync Done control's cookie and whether
 * what was not named is gone (refreshDeletes FALSE: a present phase). */
static smp_status on_result(struct refresh *x, LDAPMessage *msg)
{
	LDAPControl **ctrls = NULL, *done;
	char *text = NULL;
	int code = LDAP_SUCCESS;
	BerElement *ber = NULL;
	struct berval cookie = { 0, NULL };
	ber_int_t deletes = 0;
	ber_len_t len;
	int lrc = ldap_parse_result(x->c->ld, msg, &code, NULL, &text, NULL, &ctrls, 0);

	if (lrc != LDAP_SUCCESS) {
		ldap_memfree(text);
		return dir_fail(x->c, lrc, "cannot read the answer to a sync refresh of %s",
		                x->c->s->base);
	}
	if (code == LDAP_UNAVAILABLE_CRITICAL_EXTENSION || code == LDAP_UNWILLING_TO_PERFORM)
		refuse(x, REFRESH_UNSUPPORTED, "the server does not offer content synchronization "
		       "(%s%s%s)", ldap_err2string(code), text && *text ? ": " : "", text ? text : "");
	else if (code == LDAP_SYNC_REFRESH_REQUIRED)
		refuse(x, REFRESH_REFUSED, "the server refused the cookie (e-syncRefreshRequired%s%s)",
		       text && *text ? ": " : "", text ? text : "");
	else if (code != LDAP_SUCCESS)
		refuse(x, REFRESH_REFUSED, "the server refused the sync refresh (%s%s%s)",
		       ldap_err2string(code), text && *text ? ": " : "", text ? text : "");
	else if ((done = ldap_control_find(LDAP_CONTROL_SYNC_DONE, ctrls, NULL)) == NULL ||
	         (ber = ber_init(&done->ldctl_value)) == NULL || ber_scanf(ber, "{") == LBER_ERROR)
		refuse(x, REFRESH_REFUSED, "the sync refresh ended without a Sync Done control");
	else {
		ber_tag_t tag = ber_peek_tag(ber, &len);

		if (tag == LDAP_TAG_SYNC_COOKIE && ber_scanf(ber, "m", &cookie) != LBER_ERROR) {
			take_cookie(x, &cookie);
			tag = ber_peek_tag(ber, &len);
		}
		if (tag == LDAP_TAG_REFRESHDELETES)
			ber_scanf(ber, "b", &deletes);
		for (size_t i = 0; i < x->nunheld; i++)
			if (raw_find(x->r, x->unheld[i]) == NULL) {
				refuse(x, REFRESH_REFUSED, "the server names as present an entry the copy "
				       "does not hold and does not send it");
				break;
			}
		/* a deletion found by absence counts as one sent: the count is
		 * of the entries changed, added or deleted whichever the phase */
		if (!deletes && x->end == REFRESH_OK)
			for (size_t i = 0; i < x->r->n; i++)
				if (!x->r->v[i]->deleted && !x->r->v[i]->seen) {
					raw_delete(x->r, x->r->v[i]);
					x->r->received++;
				}
	}
	if (ber != NULL)
		ber_free(ber, 1);
	ldap_controls_free(ctrls);
	ldap_memfree(text);
	return SMP_OK;
}

/*
 * One refresh of r (the saved entries, or none) from its cookie.  SMP_OK
 * with x->end saying whether it was applied; the connection's faults are
 * errors (the server being down is no reason to read it all again).
 */
static smp_status refresh(struct refresh *x)
{
	struct dir_conn *c = x->c;
	struct timeval tv = { c->s->timeout, 0 };
	LDAPControl *ctrl = NULL, *ctrls[2] = { NULL, NULL };
	char **attrs = dir_wanted_attrs();
	smp_status rc = SMP_OK;
	int msgid, lrc;
	bool finished = false;

	for (size_t i = 0; i < x->r->n; i++)
		x->r->v[i]->seen = false;
	x->r->received = 0;
	if (attrs == NULL)
		return SMP_ERR_NOMEM;
	lrc = request_control(&x->r->cookie, &ctrl);
	if (lrc != LDAP_SUCCESS) {
		free(attrs);
		return dir_fail(c, lrc, "cannot ask for a sync refresh");
	}
	ctrls[0] = ctrl;
	/* not paged: syncprov answers a refresh whole (the workstations' DN
	 * needs an unlimited size limit on the server: smpolicy-ldap(5)) */
	lrc = ldap_search_ext(c->ld, c->s->base, LDAP_SCOPE_SUBTREE, "(objectClass=*)", attrs, 0,
	                      ctrls, NULL, &tv, 0, &msgid);
	ldap_control_free(ctrl);
	free(attrs);
	if (lrc != LDAP_SUCCESS)
		return dir_fail(c, lrc, "cannot search %s", c->s->base);
	while (!finished && rc == SMP_OK) {
		LDAPMessage *msg = NULL;

		lrc = ldap_result(c->ld, msgid, LDAP_MSG_ONE, &tv, &msg);
		if (lrc <= 0) {
			int err = LDAP_TIMEOUT;

			if (lrc < 0)
				ldap_get_option(c->ld, LDAP_OPT_RESULT_CODE, &err);
			else
				ldap_abandon_ext(c->ld, msgid, NULL, NULL);
			ldap_msgfree(msg);
			return dir_fail(c, err, "cannot read a sync refresh of %s", c->s->base);
		}
		switch (ldap_msgtype(msg)) {
		case LDAP_RES_SEARCH_ENTRY:
			rc = on_entry(x, msg);
			break;
		case LDAP_RES_INTERMEDIATE:
			on_info(x, msg);
			break;
		case LDAP_RES_SEARCH_REFERENCE:
			rc = dir_fail(c, LDAP_REFERRAL, "part of %s is held by another server (a "
			              "continuation reference), which is not followed", c->s->base);
			break;
		case LDAP_RES_SEARCH_RESULT:
			rc = on_result(x, msg);
			finished = true;
			break;
		default:
			break;
		}
		ldap_msgfree(msg);
		/* what does not fit is not read further: the whole is read again */
		if (!finished && rc == SMP_OK && x->end != REFRESH_OK) {
			ldap_abandon_ext(c->ld, msgid, NULL, NULL);
			finished = true;
		}
	}
	if (!finished)
		ldap_abandon_ext(c->ld, msgid, NULL, NULL);
	return rc;
}

/*
 * The cookie of a full read: the contextCSN the sync read before it,
 * in syncprov's own spelling ("rid=000,csn=A;B", one CSN per provider).
 * Every change after that read has a later CSN, so a refresh from it
 * brings each change the paged read may have missed; one it already
 * had comes again whole (a delete of an entry it never saw makes the
 * next sync a full read).  Another server's cookies are opaque: it
 * refuses this one, and its syncs stay full reads, saying so.
 */
static smp_status csn_cookie(struct raw_world *r, const char *context_csn)
{
	size_t n = strlen(context_csn);
	char *s = malloc(n + 16);
	struct berval bv;
	smp_status rc;

	if (s == NULL)
		return SMP_ERR_NOMEM;
	snprintf(s, n + 16, "rid=000,csn=%s", context_csn);
	for (char *p = s; *p != '\0'; p++)
		if (*p == ' ')
			*p = ';';
	bv.bv_val = s;
	bv.bv_len = strlen(s);
	rc = raw_set_cookie(r, &bv);
	free(s);
	return rc;
}

smp_status dir_sync_world(struct dir_conn *c, const char *saved, const char *context_csn,
                          unsigned flags, struct raw_world *r, struct dir_world *w,
                          struct dir_how *how, smp_diags *d)
{
	struct refresh x = { .c = c, .r = r, .end = REFRESH_OK, .why = how->why,
	                     .whysize = sizeof(how->why) };
	smp_status rc = SMP_OK;
	size_t without = 0;
	char why[400];

	how->incremental = false;
	how->received = 0;
	snprintf(how->why, sizeof(how->why), "the copy holds no cookie");
	if (saved != NULL) {
		rc = dir_saved_read(saved, flags, r, why, sizeof(why));
		if (rc == SMP_ERR_NOMEM)
			return rc;
		if (rc == SMP_ERR_PARSE)
			snprintf(how->why, sizeof(how->why), "the copy's saved entries fail a check "
			         "(%s: %s)", saved, why);
		if (rc != SMP_OK)
			raw_world_free(r);
		rc = SMP_OK;   /* no saved entries: a full read, saying why */
	}
	if (r->cookie.bv_len > 0) {
		size_t first = r->n;   /* what the refresh adds goes after */

		rc = refresh(&x);
		free(x.unheld);
		if (rc == SMP_OK && x.end == REFRESH_OK) {
			rc = dir_read_order(c, r, first, why, sizeof(why));
			if (why[0] != '\0') {
				x.end = REFRESH_REFUSED;
				snprintf(how->why, sizeof(how->why), "%s", why);
			}
		}
		if (rc == SMP_OK && x.end == REFRESH_OK) {
			how->incremental = true;
			how->why[0] = '\0';
		}
	}
	if (rc == SMP_OK && !how->incremental) {
		/*
		 * The paged read, not a refresh without a cookie: the paged
		 * search returns entries in the order they were added (back-mdb's
		 * entry IDs, which a modify or a rename keeps), the order of the
		 * files they were exported from, and changes applied later keep
		 * it; a refresh returns them in another (the tree's).
		 */
		raw_world_free(r);
		rc = dir_read_raw(c, r, true, &without);
		if (rc == SMP_OK && context_csn[0] == '\0' &&
		    strcmp(how->why, "the copy holds no cookie") == 0)
			snprintf(how->why, sizeof(how->why), "the server keeps no contextCSN, so no "
			         "cookie (content synchronization needs syncprov)");
		if (rc == SMP_OK && context_csn[0] != '\0' && without == 0)
			rc = csn_cookie(r, context_csn);
	}
	how->received = how->incremental ? r->received : r->live;
	if (rc == SMP_OK)
		rc = dir_place_world(c, r, w, d);
	return rc;
}
