/*
 * signatures.c - the directors' signatures: the canonical message of a
 * sign-off or a revocation (docs/SIGNATURES.md gives it byte for byte),
 * signers.conf (the signers' keys and tenures, a local file the directory
 * never supplies) and the check, at load, of every approval's signatures.
 * A sign-off whose signature is missing or does not verify makes its
 * approval invalid when settings.require_signatures is on; a signature
 * that is there and does not verify always does.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "signatures.h"
#include "loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIG_NAMESPACE "smpolicy-signoff-v1"

/* ---- the canonical message -------------------------------------------- */

static void msg_put(struct sig_msg *m, const void *v, size_t n)
{
	if (m->oom)
		return;
	if (m->cap - m->n < n) {
		size_t nc = m->cap ? m->cap : 256;
		unsigned char *nv;

		while (nc - m->n < n)
			nc *= 2;
		nv = realloc(m->v, nc);
		if (nv == NULL) {
			m->oom = true;
			return;
		}
		m->v = nv;
		m->cap = nc;
	}
	memcpy(m->v + m->n, v, n);
	m->n += n;
}

static void put_u32(struct sig_msg *m, uint32_t x)
{
	unsigned char b[4] = { (unsigned char)(x >> 24), (unsigned char)(x >> 16),
	                       (unsigned char)(x >> 8), (unsigned char)x };

	msg_put(m, b, 4);
}

static void put_str(struct sig_msg *m, const char *s)
{
	size_t n = strlen(s);

	put_u32(m, (uint32_t)n);
	msg_put(m, s, n);
}

static void put_time(struct sig_msg *m, int64_t t)
{
	uint64_t u = (uint64_t)t;
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(u >> (56 - 8 * i));
	msg_put(m, b, 8);
}

static void put_flag(struct sig_msg *m, bool present)
{
	unsigned char c = present ? 1 : 0;

	msg_put(m, &c, 1);
}

static void put_opt_str(struct sig_msg *m, const char *s)
{
	put_flag(m, s != NULL);
	if (s != NULL)
		put_str(m, s);
}

static void put_opt_time(struct sig_msg *m, const struct opt_time *t)
{
	put_flag(m, t->set);
	if (t->set)
		put_time(m, t->t);
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The platform ids in byte order (strcmp): a directory keeps no order of
 * a multi-valued attribute's values, so the order a record lists them in
 * is not part of what is signed. */
static void put_platforms(struct sig_msg *m, const smp_policy *p, const struct approval *a)
{
	const char **v = malloc((a->nplatforms + 1) * sizeof(*v));

	if (v == NULL) {
		m->oom = true;
		return;
	}
	for (size_t i = 0; i < a->nplatforms; i++)
		v[i] = p->platforms[a->platforms[i]].id;
	qsort(v, a->nplatforms, sizeof(*v), str_cmp);
	put_u32(m, (uint32_t)a->nplatforms);
	for (size_t i = 0; i < a->nplatforms; i++)
		put_str(m, v[i]);
	free(v);
}

static const char *const slot_names[] = { "approved_cpp", "approved_it", "revoked" };

bool sig_message(const smp_policy *p, const struct approval *a, enum sig_slot slot,
                 const char *signer, int64_t on, const char *reason, struct sig_msg *m)
{
	memset(m, 0, sizeof(*m));
	msg_put(m, SIG_NAMESPACE, sizeof(SIG_NAMESPACE));   /* with its NUL */
	put_str(m, slot_names[slot]);
	put_str(m, a->id);
	put_str(m, p->staff[a->staff].id);
	put_str(m, a->kind == KIND_LONG_TERM ? "long_term" : "limited");
	put_platforms(m, p, a);
	put_opt_str(m, a->ticket);
	put_opt_str(m, author_id(p, a->requested_by, a->requested_absent));
	put_opt_time(m, &a->requested);
	put_opt_time(m, &a->starts);
	put_opt_time(m, &a->expires);
	put_str(m, signer);
	put_time(m, on);
	if (slot == SIG_REVOKED)
		put_str(m, reason != NULL ? reason : "");
	if (m->oom) {
		free(m->v);
		m->v = NULL;
	}
	return !m->oom;
}

/* ---- base64 ------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
	const char *at = c != '\0' ? strchr(b64, c) : NULL;

	return at != NULL ? (int)(at - b64) : -1;
}

int sig_base64_decode(const char *s, unsigned char **out, size_t *n)
{
	size_t len = strlen(s), k = 0;
	unsigned char *v;

	*out = NULL;
	*n = 0;
	if (len == 0 || len % 4 != 0 || len > 4096)
		return 0;
	v = malloc(len / 4 * 3);
	if (v == NULL)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int d[4];
		bool last = i + 4 == len;

		for (int j = 0; j < 4; j++)
			d[j] = b64_value(s[i + j]);
		if (d[0] < 0 || d[1] < 0 || (d[2] < 0 && !(last && s[i + 2] == '=' && s[i + 3] == '=')) ||
		    (d[3] < 0 && !(last && s[i + 3] == '=')))
			goto bad;
		v[k++] = (unsigned char)(d[0] << 2 | d[1] >> 4);
		if (d[2] < 0) {
			if (d[1] & 0x0f)
				goto bad;   /* not the canonical spelling */
			break;
		}
		v[k++] = (unsigned char)((d[1] & 0x0f) << 4 | d[2] >> 2);
		if (d[3] < 0) {
			if (d[2] & 0x03)
				goto bad;
			break;
		}
		v[k++] = (unsigned char)((d[2] & 0x03) << 6 | d[3]);
	}
	*out = v;
	*n = k;
	return 1;
bad:
	free(v);
	return 0;
}

char *sig_base64_encode(const unsigned char *v, size_t n)
{
	char *s = malloc((n + 2) / 3 * 4 + 1), *o = s;

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t x = (uint32_t)v[i] << 16 | (i + 1 < n ? (uint32_t)v[i + 1] << 8 : 0) |
		             (i + 2 < n ? v[i + 2] : 0);

		*o++ = b64[x >> 18 & 63];
		*o++ = b64[x >> 12 & 63];
		*o++ = i + 1 < n ? b64[x >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[x & 63] : '=';
	}
	*o = '\0';
	return s;
}

/* ---- signers.conf ------------------------------------------------------ */

struct signer {
	const char *id;            /* in the source's tree */
	unsigned char *spki;       /* the key's DER (malloc'd), for the memo */
	size_t nspki;
	unsigned role;             /* ROLE_DIRECTOR_CPP or ROLE_DIRECTOR_IT */
	int64_t from, until;       /* tenure [from, until); until SMP_TIME_MAX if open */
	struct sig_pubkey *key;    /* NULL: no crypto in this program */
};

struct signers {
	struct signer *v;
	size_t n;
};

enum { SG_ID, SG_ROLE, SG_KEY, SG_FROM, SG_UNTIL, SG_N };
static const struct field signer_fields[SG_N + 1] = {
	[SG_ID] = { "id", F_STR, true }, [SG_ROLE] = { "role", F_STR, true },
	[SG_KEY] = { "key", F_STR, true }, [SG_FROM] = { "from", F_TIME, true },
	[SG_UNTIL] = { "until", F_TIME, false },
};

static const struct field signers_top[] = {
	{ "version", F_INT, true }, { "signers", F_LIST, true }, { NULL, 0, false },
};

static void load_signer(struct loader *L, const config_setting_t *e, struct signer *sg)
{
	const config_setting_t *m[SG_N];
	const char *role, *key;
	struct opt_time from, until;
	unsigned char *der;
	size_t nder;

	if (!type_matches(e, F_GROUP)) {
		ERR(L, AT(e), NULL, "signers: each signer is a group { id; role; key; from; }");
		return;
	}
	if (!take_fields(L, e, "signer", signer_fields, m))
		return;
	sg->id = str_of(m[SG_ID]);
	role = str_of(m[SG_ROLE]);
	if (strcmp(role, "director_cpp") == 0)
		sg->role = ROLE_DIRECTOR_CPP;
	else if (strcmp(role, "director_it") == 0)
		sg->role = ROLE_DIRECTOR_IT;
	else
		ERR(L, AT(m[SG_ROLE]), sg->id, "signer '%s': role must be \"director_cpp\" or "
		    "\"director_it\", not '%s'", sg->id, role);
	if (time_of(L, m[SG_FROM], SMP_TIME_START, "signer", &from) && from.set)
		sg->from = from.t;
	sg->until = SMP_TIME_MAX;
	if (time_of(L, m[SG_UNTIL], SMP_TIME_END, "signer", &until) && until.set)
		sg->until = until.t;
	if (sg->until <= sg->from)
		ERR(L, AT(e), sg->id, "signer '%s': until is not after from", sg->id);
	key = str_of(m[SG_KEY]);
	switch (sig_base64_decode(key, &der, &nder)) {
	case 1:
		break;
	case -1:
		L->nomem = true;
		return;
	default:
		ERR(L, AT(m[SG_KEY]), sg->id, "signer '%s': key is not base64 (the line "
		    "smpolicy keygen prints)", sg->id);
		return;
	}
	if (sig_pubkey_import != NULL) {
		const char *why = "not a public key";

		sg->key = sig_pubkey_import(der, nder, &why);
		if (sg->key == NULL)
			ERR(L, AT(m[SG_KEY]), sg->id, "signer '%s': key: %s", sg->id, why);
	}
	sg->spki = der;
	sg->nspki = nder;
}

/* Read settings.signers as source L->src[L->nsrc]; its faults are the
 * load's.  The tree stays with the source (the ids point into it). */
static bool read_signers(struct loader *L, struct signers *out)
{
	struct source *s = calloc(1, sizeof(*s));
	struct source **grown;
	const config_setting_t *root, *list;

	memset(out, 0, sizeof(*out));
	grown = s != NULL ? realloc(L->src, (L->nsrc + 1) * sizeof(*L->src)) : NULL;
	if (grown == NULL) {
		free(s);
		return false;
	}
	L->src = grown;
	L->src[L->nsrc++] = s;
	s->path = L->p->set.signers;
	/* read as the other sources are: for a directory's copy, private like
	 * the copy, so that its cache and store keep the copy's permissions */
	if (parse_source(L, s, NULL) != SMP_OK)
		return true;   /* reported: the load fails */
	root = config_root_setting(&s->cfg);
	check_fields(L, root, "signers.conf", signers_top);
	list = member(root, "signers", F_LIST);
	if (list == NULL)
		return true;
	out->n = (size_t)config_setting_length(list);
	out->v = calloc(out->n + 1, sizeof(*out->v));
	if (out->v == NULL)
		return false;
	for (size_t i = 0; i < out->n; i++)
		load_signer(L, config_setting_get_elem(list, (unsigned)i), &out->v[i]);
	return true;
}

static void signers_free(struct signers *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].key != NULL && sig_pubkey_free != NULL)
			sig_pubkey_free(s->v[i].key);
		free(s->v[i].spki);
	}
	free(s->v);
}

/* ---- the check ---------------------------------------------------------- */

struct check {
	struct loader *L;
	const struct signers *sg;
	bool require;
	struct sig_memo *memo;     /* NULL: none */
};

/* ---- the memo ------------------------------------------------------------ */

static const unsigned char zero32[32];

static size_t memo_home(const struct sig_memo *m, const unsigned char d[32])
{
	size_t h;

	memcpy(&h, d, sizeof(h));   /* a digest's bytes are uniform */
	return h & m->mask;
}

bool sig_memo_has(const struct sig_memo *m, const unsigned char d[32])
{
	if (m->slot == NULL || memcmp(d, zero32, 32) == 0)
		return false;
	for (size_t i = memo_home(m, d);; i = (i + 1) & m->mask) {
		if (memcmp(m->slot[i], d, 32) == 0)
			return true;
		if (memcmp(m->slot[i], zero32, 32) == 0)
			return false;
	}
}

bool sig_memo_add(struct sig_memo *m, const unsigned char d[32])
{
	if (memcmp(d, zero32, 32) == 0 || sig_memo_has(m, d))
		return true;
	if (m->slot == NULL || (m->n + 1) * 2 > m->mask + 1) {
		size_t ncap = m->slot == NULL ? 1024 : (m->mask + 1) * 2;
		struct sig_memo g = { calloc(ncap, 32), ncap - 1, 0, m->prior };

		if (g.slot == NULL)
			return false;
		for (size_t i = 0; m->slot != NULL && i <= m->mask; i++)
			if (memcmp(m->slot[i], zero32, 32) != 0)
				sig_memo_add(&g, m->slot[i]);
		free(m->slot);
		*m = g;
	}
	for (size_t i = memo_home(m, d);; i = (i + 1) & m->mask) {
		if (memcmp(m->slot[i], zero32, 32) == 0) {
			memcpy(m->slot[i], d, 32);
			m->n++;
			return true;
		}
	}
}

void sig_memo_free(struct sig_memo *m)
{
	free(m->slot);
	m->slot = NULL;
	m->mask = m->n = 0;
}

/* Does s's key verify sig over msg?  The memo first. */
static bool verifies(struct check *c, const struct signer *s, const struct sig_msg *msg,
                     const unsigned char *sig, size_t nsig)
{
	unsigned char d[32];
	bool ok;

	if (s->key == NULL)
		return false;
	if (c->memo == NULL || sig_memo_digest == NULL)
		return sig_pubkey_verify(s->key, msg->v, msg->n, sig, nsig);
	sig_memo_digest(s->spki, s->nspki, msg->v, msg->n, sig, nsig, d);
	if (sig_memo_has(c->memo, d))
		return true;
	ok = (c->memo->prior != NULL && sig_memo_has(c->memo->prior, d)) ||
	     sig_pubkey_verify(s->key, msg->v, msg->n, sig, nsig);
	if (ok)
		sig_memo_add(c->memo, d);   /* a failure only forgets */
	return ok;
}

static bool set_why(struct check *c, struct sig *sg, unsigned char state, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool set_why(struct check *c, struct sig *sg, unsigned char state, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sg->state = state;
	sg->why = arena_strdup(&c->L->p->mem, buf);
	return sg->why != NULL;
}

static void fmt_day(int64_t t, char *buf, size_t n)
{
	if (t == SMP_TIME_MAX)
		snprintf(buf, n, "(no end)");
	else if (smp_time_format(t, buf, n) == NULL)
		snprintf(buf, n, "@%lld", (long long)t);
}

/*
 * The signature sg of act slot, signed by signer (a staff id) at on: it
 * counts only if a key of signer with a role in roles, whose tenure holds
 * at on, verifies it.  The reason of the first failure is kept.
 */
static bool check_one(struct check *c, const struct approval *a, enum sig_slot slot,
                      unsigned roles, const char *signer, int64_t on, const char *reason,
                      struct sig *sg)
{
	const smp_policy *p = c->L->p;
	const char *what = slot_names[slot];
	bool known = false, in_role = false, in_tenure = false;
	unsigned char *der;
	size_t nder;
	struct sig_msg m;
	bool ok = false;
	char when[40];

	if (sg->value == NULL) {
		if (!c->require)
			return true;
		return set_why(c, sg, SIG_MISSING, "%s by '%s' has no signature "
		               "(settings.require_signatures)", what, signer);
	}
	if (sig_pubkey_verify == NULL) {
		c->L->p->login.sig_unverified = true;
		return set_why(c, sg, SIG_INVALID, "%s: this program cannot verify signatures "
		               "(smpolicy compile or sync verifies them)", what);
	}
	switch (sig_base64_decode(sg->value, &der, &nder)) {
	case 1:
		break;
	case -1:
		return false;
	default:
		return set_why(c, sg, SIG_INVALID, "%s: sig is not base64", what);
	}
	if (!sig_message(p, a, slot, signer, on, reason, &m)) {
		free(der);
		return false;
	}
	for (size_t i = 0; !ok && i < c->sg->n; i++) {
		const struct signer *s = &c->sg->v[i];

		if (s->id == NULL || strcmp(s->id, signer) != 0)
			continue;
		known = true;
		if (!(s->role & roles))
			continue;
		in_role = true;
		if (on < s->from || on >= s->until)
			continue;
		in_tenure = true;
		ok = verifies(c, s, &m, der, nder);
	}
	free(der);
	free(m.v);
	if (ok) {
		sg->state = SIG_VALID;
		return true;
	}
	fmt_day(on, when, sizeof(when));
	if (!known)
		return set_why(c, sg, SIG_INVALID, "%s: '%s' is not a signer in signers.conf",
		               what, signer);
	if (!in_role)
		return set_why(c, sg, SIG_INVALID, "%s: '%s' signs in signers.conf in another role",
		               what, signer);
	if (!in_tenure)
		return set_why(c, sg, SIG_INVALID, "%s: no key of '%s' in signers.conf was in "
		               "tenure on %s", what, signer, when);
	return set_why(c, sg, SIG_INVALID, "%s: the signature does not verify with the key of "
	               "'%s' (the approval or the sign-off changed after signing, or another "
	               "key signed it)", what, signer);
}

/* The signatures of one approval; their faults go to its invalid_why
 * through find_faults() (validate.c). */
static bool check_approval(struct check *c, struct approval *a, struct approval_sigs *g)
{
	const smp_policy *p = c->L->p;

	if (a->staff == NONE)
		return true;
	if (a->cpp.present &&
	    !check_one(c, a, SIG_CPP, ROLE_DIRECTOR_CPP, author_id(p, a->cpp.by, a->cpp.absent), a->cpp.on, NULL,
	               &g->s[SIG_CPP]))
		return false;
	if (a->it.present &&
	    !check_one(c, a, SIG_IT, ROLE_DIRECTOR_IT, author_id(p, a->it.by, a->it.absent), a->it.on, NULL,
	               &g->s[SIG_IT]))
		return false;
	/* a revocation counts whatever its signature says (it only takes
	 * access away); its signature decides whether a workstation keeps it
	 * in mind after the directory drops it */
	if (a->revoked.present && author_id(p, a->revoked.by, a->revoked.by_absent) != NULL &&
	    !check_one(c, a, SIG_REVOKED, ROLE_DIRECTOR_CPP | ROLE_DIRECTOR_IT,
	               author_id(p, a->revoked.by, a->revoked.by_absent), a->revoked.on, a->revoked.reason,
	               &g->s[SIG_REVOKED]))
		return false;
	return true;
}

bool sig_check_policy(struct loader *L)
{
	smp_policy *p = L->p;
	struct signers sg = { NULL, 0 };
	struct check c = { L, &sg, p->set.require_signatures, L->sig_memo };
	bool ok = true;

	if (p->set.signers == NULL)
		return true;   /* no signers named and none required */
	if (!read_signers(L, &sg)) {
		signers_free(&sg);
		return false;
	}
	for (size_t i = 0; ok && !L->failed && p->sigs != NULL && i < p->napprovals; i++)
		ok = check_approval(&c, &p->approvals[i], &p->sigs[i]);
	signers_free(&sg);
	return ok;
}

/* ---- queries ------------------------------------------------------------- */

smp_status smp_policy_approval_signature(const smp_policy *p, size_t i, smp_sig_slot slot,
                                         struct smp_sig_info *out)
{
	static const struct sig none = { NULL, NULL, SIG_UNCHECKED };
	const struct approval *a;
	const struct sig *g;
	const char *by;

	if (p == NULL || !SIZE_OK(out) || (unsigned)slot > SMP_SIG_REVOKED)
		return SMP_ERR_ARG;
	if (i >= p->napprovals)
		return SMP_ERR_NOTFOUND;
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	a = &p->approvals[i];
	if (slot == SMP_SIG_REVOKED) {
		out->present = a->revoked.present;
		by = author_id(p, a->revoked.by, a->revoked.by_absent);
		out->on = a->revoked.on;
	} else {
		const struct sign_off *so = slot == SMP_SIG_CPP ? &a->cpp : &a->it;

		out->present = so->present;
		by = author_id(p, so->by, so->absent);
		out->on = so->on;
	}
	g = p->sigs != NULL ? &p->sigs[i].s[slot] : &none;
	if (!out->present)
		return SMP_OK;
	out->signer = by;
	out->has_sig = g->value != NULL;
	out->state = (smp_sig_state)g->state;
	out->why = g->why;
	return SMP_OK;
}

bool smp_policy_requires_signatures(const smp_policy *p)
{
	return p != NULL && p->set.require_signatures;
}
