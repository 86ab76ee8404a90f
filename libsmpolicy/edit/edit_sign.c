/*
 * edit_sign.c - the directors' signatures in the record commands: the
 * signature a sign-off or a revocation carries (sign, revoke with a key),
 * and the migration that signs the sign-offs a director gave before
 * signatures were required (smpolicy sign --resign).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "records/signatures.h"
#include "txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

smp_status edit_signature(struct txn *t, const struct approval *a, enum sig_slot slot,
                          const char *by, int64_t on, const char *reason,
                          const struct smp_signing *key, char **sig)
{
	struct sig_privkey *k = NULL;
	struct sig_msg m;
	char why[512] = "";
	smp_status rc;

	*sig = NULL;
	if (key->key == NULL || key->key[0] == '\0')
		return FAIL(t, SMP_ERR_ARG, NULL, 0, a->id, "no signing key given");
	if (!sig_message(t->base, a, slot, by, on, reason, &m))
		return SMP_ERR_NOMEM;
	rc = sig_privkey_open(key->key, key->pin, &k, why, sizeof(why));
	if (rc == SMP_OK)
		rc = sig_privkey_sign(k, m.v, m.n, sig, why, sizeof(why));
	sig_privkey_close(k);
	free(m.v);
	if (rc != SMP_OK && rc != SMP_ERR_NOMEM)
		return FAIL(t, rc, NULL, 0, a->id, "cannot sign approval '%s': %s", a->id, why);
	return rc;
}

/* ---- smpolicy sign --resign ------------------------------------------------ */

/* Does a's signature in slot k not count yet?  A policy from the compiled
 * cache keeps no verdict of each signature: then the caller's list (made
 * from the records) said so. */
static bool to_sign(const smp_policy *p, const struct approval *a, int k)
{
	return p->sigs == NULL || p->sigs[a - p->approvals].s[k].state != SIG_VALID;
}

/* The slot of a's sign-off by staff index s still to sign, or -1. */
static int unsigned_slot(const smp_policy *p, const struct approval *a, uint32_t s, int64_t at)
{
	if (a->revoked.present && a->revoked.on <= at)
		return -1;
	if (a->end != SMP_TIME_MAX && a->end <= at)
		return -1;
	if (a->cpp.present && a->cpp.by == s && to_sign(p, a, SIG_CPP) &&
	    (p->staff[s].roles & ROLE_DIRECTOR_CPP))
		return SIG_CPP;
	if (a->it.present && a->it.by == s && to_sign(p, a, SIG_IT) &&
	    (p->staff[s].roles & ROLE_DIRECTOR_IT))
		return SIG_IT;
	return -1;
}

static smp_status resign_one(const char *config, unsigned flags, const char *id,
                             const char *by, int64_t at, const struct smp_signing *key,
                             smp_diags **diags)
{
	struct txn t;
	smp_status rc;

	if (txn_init(&t, config, flags, "sign") != SMP_OK)
		return SMP_ERR_NOMEM;
	t.audit.by = by;
	t.audit.id = id;
	rc = txn_begin(&t);
	if (rc == SMP_OK) {
		const struct approval *a = find_approval(&t, id);
		const struct staff *s = find_staff(t.base, by);
		int slot = a != NULL && s != NULL
		           ? unsigned_slot(t.base, a, (uint32_t)(s - t.base->staff), at) : -1;
		const struct sign_off *so = slot == SIG_CPP ? &a->cpp : slot == SIG_IT ? &a->it : NULL;
		const char *path[] = { slot == SIG_CPP ? "approved_cpp" : "approved_it", "sig", NULL };
		char *sig = NULL;
		struct ebuf value = { 0 };

		if (a == NULL)
			rc = SMP_ERR_NOTFOUND;
		else if (so == NULL)   /* signed, revoked or lapsed meanwhile */
			rc = SMP_ERR_NOTFOUND;
		else
			rc = edit_signature(&t, a, (enum sig_slot)slot, by, so->on, NULL, key, &sig);
		if (rc == SMP_OK) {
			conf_quote(&value, sig);
			rc = value.oom ? SMP_ERR_NOMEM
			               : edit_entry(&t, a->at.file, "approvals", id, path, value.s);
			snprintf(t.detail, sizeof(t.detail), "%s signed (migration)", path[0]);
		}
		free(sig);
		ebuf_free(&value);
		if (rc == SMP_OK)
			rc = commit(&t);
	}
	return txn_end(&t, rc, diags);
}

struct resign_args {
	int64_t at;
	const struct smp_signing *key;
};

/* On the directory: the files' own migration of one approval, on a
 * private rendering, carried back as the director's own write. */
static smp_status apply_resign(const struct dir_edit *e, const char *conf, unsigned flags,
                               char **new_id, smp_diags **d)
{
	const struct resign_args *a = e->args;

	(void)new_id;
	return resign_one(conf, flags, e->id, e->by, a->at, a->key, d);
}

smp_status smp_edit_resign(const char *config_path, unsigned flags, const char *by,
                           const char *at, const char *password,
                           const struct smp_signing *key, bool dry_run,
                           void (*each)(const char *id, void *ctx), void *ctx,
                           smp_diags **diags)
{
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	int64_t moment;
	uint32_t s;
	smp_status rc;
	char **ids = NULL;
	size_t n = 0;
	bool dir;
	struct smp_source src = { 0 };
	struct resign_args args;
	if (diags != NULL)
		*diags = NULL;
	if (by == NULL || (!dry_run && (key == NULL || key->key == NULL)) ||
	    !flags_ok(flags, SMP_EDIT_FLAGS) || (key != NULL && !SIZE_OK(key)))
		return SMP_ERR_ARG;
	moment = (int64_t)time(NULL);
	rc = at != NULL ? smp_time_parse(at, SMP_TIME_START, &moment) : SMP_OK;
	if (rc != SMP_OK)
		return rc;
	dir = edit_source(config_path, flags, &src) == SOURCE_LDAP;
	/* the candidates: the records as read now (a directory's local copy;
	 * each one is read again from the directory before it is signed) */
	rc = smp_policy_load(config_path, (flags & SMP_LOAD_ALLOW_NONROOT) | SMP_LOAD_NO_CACHE, &p,
	                     &d);
	if (rc != SMP_OK)
		goto out;
	s = policy_find_staff(p, by);
	if (s == NONE) {
		rc = SMP_ERR_NOTFOUND;
		goto out;
	}
	ids = calloc(p->napprovals + 1, sizeof(*ids));
	if (ids == NULL) {
		rc = SMP_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->napprovals; i++)
		if (unsigned_slot(p, &p->approvals[i], s, moment) >= 0)
			ids[n++] = p->approvals[i].id;
	for (size_t i = 0; i < n && rc == SMP_OK; i++) {
		smp_diags *one = NULL;

		if (!dry_run && dir) {
			struct dir_edit e = { "sign", by, password, "approvals", ids[i], false,
			                      apply_resign, &args };

			args = (struct resign_args){ moment, key };
			rc = dir_edit_run(&src.ldap, flags, &e, NULL, &one);
		} else if (!dry_run) {
			rc = resign_one(config_path, flags, ids[i], by, moment, key, &one);
		}
		if (rc == SMP_OK && each != NULL)
			each(ids[i], ctx);
		if (one != NULL && !diags_merge(&d, one))
			rc = SMP_ERR_NOMEM;
		smp_diags_free(one);
	}
out:
	free(ids);
	smp_policy_free(p);
	source_free(&src);
	if (diags != NULL && smp_diags_count(d) > 0)
		*diags = d;
	else
		smp_diags_free(d);
	return rc;
}
