/*
 * directory_read.c - the directory's entries under the base (smpolicy-ldap(5)),
 * each checked against the one table of ldap_map.c before anything is
 * rendered: its place, its object class, its RDN, the number and syntax
 * of its values.  What is read is kept as the server gave it, in the
 * server's order; the records loader judges the rest (references, dates,
 * ids) exactly as it judges files.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "directory_sync.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the contextCSN ----------------------------------------------------- */

struct csn_ctx {
	LDAPDN base;
	char *context;       /* the naming context holding the base (malloc'd) */
	int depth;           /* how far the base lies below it */
	char **csns;         /* ldap_get_values() of the context's entry */
};

/* The root DSE: the naming context closest above the base. */
static smp_status take_context(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct csn_ctx *x = ctx;
	struct berval **v = ldap_get_values_len(ld, e, "namingContexts");

	for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
		LDAPDN nc = NULL;
		int depth;

		if (ldap_bv2dn(v[i], &nc, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
		    dn_under(x->base, nc, &depth) && (x->context == NULL || depth < x->depth)) {
			free(x->context);
			x->context = strndup(v[i]->bv_val, v[i]->bv_len);
			x->depth = depth;
		}
		ldap_dnfree(nc);
	}
	ldap_value_free_len(v);
	return SMP_OK;
}

static smp_status take_csns(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct csn_ctx *x = ctx;
	struct berval **v = ldap_get_values_len(ld, e, "contextCSN");
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	x->csns = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; x->csns != NULL && i < n; i++)
		x->csns[i] = strndup(v[i]->bv_val, v[i]->bv_len);
	ldap_value_free_len(v);
	return x->csns != NULL ? SMP_OK : SMP_ERR_NOMEM;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

smp_status dir_read_csn(struct dir_conn *c, struct dir_world *w)
{
	static char *dse_attrs[] = { "namingContexts", NULL };
	static char *csn_attrs[] = { "contextCSN", NULL };
	struct csn_ctx x = { 0 };
	smp_status rc = SMP_OK;
	size_t n = 0, len = 1;
	char *joined;

	w->context_csn = "";
	if (ldap_str2dn(c->s->base, &x.base, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return dir_fail(c, LDAP_INVALID_DN_SYNTAX, "ldap.base '%s' is not a DN", c->s->base);
	rc = dir_search(c, "", LDAP_SCOPE_BASE, "(objectClass=*)", dse_attrs, false, take_context,
	                &x, NULL);
	/* a server that names no context for the base keeps no CSN we could
	 * ask: every sync is then a full read */
	if (rc == SMP_OK && x.context != NULL)
		rc = dir_search(c, x.context, LDAP_SCOPE_BASE, "(objectClass=*)", csn_attrs, false,
		                take_csns, &x, NULL);
	while (x.csns != NULL && x.csns[n] != NULL)
		len += strlen(x.csns[n++]) + 1;
	/* several with more than one provider: one value per server id */
	if (rc == SMP_OK && n > 0) {
		qsort(x.csns, n, sizeof(char *), strp_cmp);
		joined = arena_alloc(&w->mem, len);
		if (joined == NULL)
			rc = SMP_ERR_NOMEM;
		for (size_t i = 0; joined != NULL && i < n; i++) {
			if (i > 0)
				strcat(joined, " ");
			strcat(joined, x.csns[i]);
		}
		if (joined != NULL)
			w->context_csn = joined;
	}
	for (size_t i = 0; i < n; i++)
		free(x.csns[i]);
	free(x.csns);
	free(x.context);
	ldap_dnfree(x.base);
	return rc;
}

/* ---- the entries -------------------------------------------------------- */

struct read_ctx {
	struct dir_conn *c;
	struct dir_world *w;
	smp_diags *d;
	LDAPDN base;
	bool seen[16];          /* per kind: its container exists */
	bool settings;          /* cn=settings exists */
	bool failed;            /* a structural fault */
	bool nomem;
	struct dir_entry *cur;  /* the record entry being read: its faults void it */
	const char *stray;      /* the DN of an entry with no place: its faults void it */
};

static size_t nkinds(void)
{
	size_t n = 0;

	while (ldap_kinds[n].list != NULL)
		n++;
	return n;
}

static void fault(struct read_ctx *x, const char *dn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fault(struct read_ctx *x, const char *dn, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->cur != NULL) {
		/* a record's own fault: the record is void, the rest stands */
		struct dir_entry *r = x->cur;
		size_t had = r->void_why != NULL ? strlen(r->void_why) : 0;
		char *why = arena_alloc(&x->w->mem, had + 2 + strlen(msg) + 1);

		if (why == NULL) {
			x->nomem = true;
			return;
		}
		sprintf(why, "%s%s%s", had ? r->void_why : "", had ? "; " : "", msg);
		r->void_why = why;
		return;
	}
	if (x->stray != NULL) {
		struct dir_world *w = x->w;

		if (w->nstrays == w->capstrays) {
			size_t nc = w->capstrays ? w->capstrays * 2 : 16;
			struct dir_stray *nv = realloc(w->strays, nc * sizeof(*nv));

			if (nv == NULL) {
				x->nomem = true;
				return;
			}
			w->strays = nv;
			w->capstrays = nc;
		}
		w->strays[w->nstrays].dn = arena_strdup(&w->mem, x->stray);
		w->strays[w->nstrays].why = arena_strdup(&w->mem, msg);
		if (w->strays[w->nstrays].dn == NULL || w->strays[w->nstrays].why == NULL)
			x->nomem = true;
		else
			w->nstrays++;
		return;
	}
	diags_add(x->d, dn, 0, SMP_SEV_ERROR, NULL, "%s", msg);
	x->failed = true;
}

/* The container "ou=approvals" of an RDN, or NULL. */
static const struct ldap_kind *container_of(LDAPRDN rdn)
{
	for (const struct ldap_kind *k = ldap_kinds; k->list != NULL; k++)
		if (rdn_is(rdn, "ou", k->container + 3))
			return k;
	return NULL;
}

static bool has_class(const struct raw_entry *e, const char *oc)
{
	const struct raw_attr *a = raw_attr(e, "objectClass");
	bool found = false;

	for (size_t i = 0; a != NULL && i < a->n && !found; i++)
		found = a->v[i].bv_len == strlen(oc) &&
		        strncasecmp(a->v[i].bv_val, oc, a->v[i].bv_len) == 0;
	return found;
}

/* Does the entry carry anything of ours: an smpPolicy* class or an smp*
 * attribute?  Then it is a record, wherever it is. */
static bool looks_ours(const struct raw_entry *e)
{
	const struct raw_attr *oc = raw_attr(e, "objectClass");

	for (size_t i = 0; oc != NULL && i < oc->n; i++)
		if (oc->v[i].bv_len > 9 && strncasecmp(oc->v[i].bv_val, "smpPolicy", 9) == 0)
			return true;
	for (size_t i = 0; i < e->nattrs; i++)
		if (strncasecmp(e->attrs[i].name, "smp", 3) == 0)
			return true;
	return false;
}

/* The attribute of table named a, or -1. */
static int attr_index(const struct ldap_attr *table, const char *a)
{
	for (int i = 0; table[i].key != NULL; i++)
		if (strcasecmp(table[i].attr, a) == 0)
			return i;
	return -1;
}

/* Check and keep the values of attribute i of entry r; false on OOM. */
static bool take_values(struct read_ctx *x, struct dir_entry *r, const struct ldap_attr *at,
                        int i, const struct raw_attr *v)
{
	size_t n = v->n;
	const char **out;

	if (n != 1 && at->type != LV_STRLIST) {
		fault(x, r->dn, "%s has %zu values: it takes one", at->attr, n);
		return true;
	}
	out = arena_alloc(&x->w->mem, (n + 1) * sizeof(char *));
	if (out == NULL)
		return false;
	for (size_t j = 0; j < n; j++) {
		if (memchr(v->v[j].bv_val, '\0', v->v[j].bv_len) != NULL) {
			fault(x, r->dn, "%s: a value holds a NUL byte", at->attr);
			return true;
		}
		out[j] = arena_strndup(&x->w->mem, v->v[j].bv_val, v->v[j].bv_len);
		if (out[j] == NULL)
			return false;
	}
	/* a value in fault is not kept: the copy never holds what the loader
	 * could not read back */
	if (at->type == LV_BOOL && strcmp(out[0], "TRUE") != 0 && strcmp(out[0], "FALSE") != 0) {
		fault(x, r->dn, "%s must be TRUE or FALSE, not '%s'", at->attr, out[0]);
		return true;
	}
	if (at->type == LV_INT) {
		const char *s = out[0] + (out[0][0] == '-');
		size_t digits = strspn(s, "0123456789");

		if (digits == 0 || s[digits] != '\0' || digits > 18) {
			fault(x, r->dn, "%s must be an integer, not '%s'", at->attr, out[0]);
			return true;
		}
	}
	r->values[i] = out;
	return true;
}

/* Every attribute of e that the kind's table names, in r; the smp*
 * attributes it does not name are faults (the files' "unknown key"), the
 * others (objectClass, the person entry's own) are not ours to read. */
static void take_attrs(struct read_ctx *x, const struct raw_entry *e, struct dir_entry *r,
                       const struct ldap_attr *table)
{
	for (size_t k = 0; k < e->nattrs; k++) {
		const char *a = e->attrs[k].name;
		int i = attr_index(table, a);

		if (i >= 0) {
			if (!take_values(x, r, &table[i], i, &e->attrs[k]))
				x->nomem = true;
		} else if (strncasecmp(a, "smp", 3) == 0) {
			fault(x, r->dn, "%s is not an attribute of %s%s", a,
			      r->kind != NULL ? r->kind->oc : LDAP_SETTINGS_OC,
			      strchr(a, ';') != NULL ? " (attribute options are not read)" : "");
		}
	}
}

/* Keep e as a record of kind k (NULL: the settings entry). */
static smp_status take_entry(struct read_ctx *x, const struct raw_entry *e, const char *dn,
                             LDAPRDN rdn, const struct ldap_kind *k)
{
	const struct ldap_attr *table = k != NULL ? k->attrs : ldap_settings_attrs;
	struct dir_world *w = x->w;
	struct dir_entry *r;
	size_t nattrs = 0;
	bool classed = has_class(e, k != NULL ? k->oc : LDAP_SETTINGS_OC);

	if (k == NULL && !classed) {
		fault(x, dn, "not a smpolicy record: it lacks the object class %s that the "
		      "entries of %s hold", LDAP_SETTINGS_OC, "the settings entry");
		return SMP_OK;
	}
	if (k != NULL && (rdn[1] != NULL || (rdn[0]->la_flags & LDAP_AVA_BINARY) ||
	                  strncasecmp(rdn[0]->la_attr.bv_val, k->rdn, rdn[0]->la_attr.bv_len) != 0 ||
	                  rdn[0]->la_attr.bv_len != strlen(k->rdn))) {
		x->stray = dn;   /* no id it could be known by */
		fault(x, dn, "the RDN of a record of %s must be one %s=ID", k->container, k->rdn);
		x->stray = NULL;
		return SMP_OK;
	}
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 256;
		struct dir_entry *nv = realloc(w->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return SMP_ERR_NOMEM;
		w->v = nv;
		w->cap = ncap;
	}
	while (table[nattrs].key != NULL)
		nattrs++;
	r = &w->v[w->n];
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->dn = arena_strdup(&w->mem, dn);
	r->values = arena_alloc(&w->mem, (nattrs + 1) * sizeof(*r->values));
	if (k != NULL)
		r->id = arena_strndup(&w->mem, rdn[0]->la_value.bv_val, rdn[0]->la_value.bv_len);
	if (r->dn == NULL || r->values == NULL || (k != NULL && r->id == NULL))
		return SMP_ERR_NOMEM;
	w->n++;
	w->records += k != NULL;
	x->cur = k != NULL ? r : NULL;
	if (!classed)   /* under its id, void: nothing of it is read */
		fault(x, dn, "not a smpolicy record: it lacks the object class %s that the "
		      "entries of %s hold", k->oc, k->container);
	else
		take_attrs(x, e, r, table);
	x->cur = NULL;
	return SMP_OK;
}

/*
 * One entry of the subtree, put in its place: the base itself, a
 * container, cn=settings, a container's record, or none of them.  An
 * entry in no place of ours that carries nothing of ours (the
 * workstations' own bind identity, cn=workstation under the base) is not
 * a record and is not read; one that does is a fault, never dropped.
 */
static smp_status place_entry(struct read_ctx *x, const struct raw_entry *e)
{
	const char *dn = e->dn;
	LDAPDN parsed = NULL;
	const struct ldap_kind *k;
	smp_status rc = SMP_OK;
	int depth;

	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    !dn_under(parsed, x->base, &depth)) {
		fault(x, dn, "not a DN under the base %s", x->c->s->base);
	} else if (depth == 1 && (k = container_of(parsed[0])) != NULL) {
		x->seen[k - ldap_kinds] = true;
	} else if (depth == 1 && rdn_is(parsed[0], "cn", LDAP_SETTINGS_RDN + 3)) {
		x->settings = true;
		rc = take_entry(x, e, dn, parsed[0], NULL);
	} else if (depth == 2 && (k = container_of(parsed[1])) != NULL) {
		rc = take_entry(x, e, dn, parsed[0], k);
	} else if (depth > 2 && container_of(parsed[depth - 1]) != NULL) {
		x->stray = dn;
		fault(x, dn, "not a smpolicy record: the records of %s are its direct children",
		      ldap_kinds[container_of(parsed[depth - 1]) - ldap_kinds].container);
		x->stray = NULL;
	} else if (depth > 0 && looks_ours(e)) {
		x->stray = dn;
		fault(x, dn, "not a smpolicy record: records live in cn=settings and ou=platforms, "
		      "ou=offices, ou=staff, ou=devices, ou=accounts, ou=approvals under the base");
		x->stray = NULL;
	}
	ldap_dnfree(parsed);
	return rc;
}

/* objectClass, the RDN attributes and every attribute of the table,
 * once each: what a search needs to ask for. */
static char **wanted_attrs(void)
{
	size_t cap = 3 + nkinds() * 16 + 8, n = 0;
	char **v = calloc(cap, sizeof(char *));

	if (v == NULL)
		return NULL;
	v[n++] = "objectClass";
	v[n++] = "cn";
	v[n++] = "uid";
	for (const struct ldap_kind *k = ldap_kinds;; k++) {
		const struct ldap_attr *t = k->list != NULL ? k->attrs : ldap_settings_attrs;

		for (; t->key != NULL && n + 1 < cap; t++) {
			size_t j = 0;

			while (j < n && strcasecmp(v[j], t->attr) != 0)
				j++;
			if (j == n)
				v[n++] = (char *)t->attr;
		}
		if (k->list == NULL)
			break;
	}
	return v;
}

/* A container (or the settings entry) that is not there: its records
 * would silently be none. */
static void missing(struct read_ctx *x, const char *rdn, const char *what)
{
	char dn[2048];

	snprintf(dn, sizeof(dn), "%s,%s", rdn, x->c->s->base);
	fault(x, dn, "missing: the directory has no such entry, which holds the %s", what);
}

struct keep_ctx {
	struct raw_world *r;
	bool uuids;               /* ask for entryUUID and keep it */
	size_t without;           /* entries that had none */
};

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
	       ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* The entry's one entryUUID (RFC 4530: 8-4-4-4-12 hex digits) as 16 bytes. */
static bool entry_uuid(LDAP *ld, LDAPMessage *e, unsigned char *u)
{
	struct berval **v = ldap_get_values_len(ld, e, "entryUUID");
	bool ok = v != NULL && v[0] != NULL && v[1] == NULL && v[0]->bv_len == 36;
	size_t k = 0;

	for (size_t i = 0; ok && i < 36; i++) {
		const char ch = v[0]->bv_val[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			ok = ch == '-';
			continue;
		}
		ok = hexval(ch) >= 0;
		if (ok && (k & 1) == 0)
			u[k / 2] = (unsigned char)(hexval(ch) << 4);
		else if (ok)
			u[k / 2] |= (unsigned char)hexval(ch);
		k++;
	}
	ldap_value_free_len(v);
	return ok && k == 32;
}

static smp_status keep_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct keep_ctx *k = ctx;
	unsigned char u[16];
	bool have = k->uuids && entry_uuid(ld, e, u);

	k->without += k->uuids && !have;
	return raw_put(k->r, ld, e, have ? u : NULL, NULL);
}

smp_status dir_read_raw(struct dir_conn *c, struct raw_world *r, bool uuids,
                        size_t *without_uuid)
{
	char **attrs = wanted_attrs();
	struct keep_ctx k = { r, uuids, 0 };
	bool noobject = false;
	smp_status rc;
	size_t n = 0;

	if (attrs == NULL)
		return SMP_ERR_NOMEM;
	while (attrs[n] != NULL)
		n++;
	if (uuids) {
		char **more = realloc(attrs, (n + 2) * sizeof(char *));

		if (more == NULL) {
			free(attrs);
			return SMP_ERR_NOMEM;
		}
		attrs = more;
		attrs[n] = "entryUUID";
		attrs[n + 1] = NULL;
	}
	/*
	 * One paged search of the whole subtree rather than one per
	 * container: each entry is read once, and an entry in a wrong place
	 * is seen as well.  The server's order is kept: OpenLDAP's back-mdb
	 * returns entries in the order they were added, and the export adds
	 * them in file order, so the ties the rules break by file order (the
	 * cap's "then lowest id" aside: the latest started approval, the
	 * accounts a login tries) break as they did in the files.
	 */
	rc = dir_search(c, c->s->base, LDAP_SCOPE_SUBTREE, "(objectClass=*)", attrs, true,
	                keep_entry, &k, &noobject);
	free(attrs);
	if (without_uuid != NULL)
		*without_uuid = k.without;
	/* no records at all: the settings' fault (or the ACLs'), not the
	 * records' */
	if (rc == SMP_OK && noobject)
		rc = dir_fail(c, LDAP_NO_SUCH_OBJECT, "cannot read the base %s (it does not exist, "
		              "or %s may not read it)", c->s->base,
		              c->s->bind_dn != NULL ? c->s->bind_dn : "an anonymous client");
	return rc;
}

/*
 * The order of the entries a refresh added.  syncprov sends them in the
 * order of back-mdb's tree (children by the length of their RDN, then its
 * bytes), the paged read in the order they were added; the copy must be
 * the paged read's, as the ties the rules break by file order depend on
 * it.  One added entry goes last either way; two or more are asked for
 * again, by a paged search of their UUIDs (entryUUID is indexed where
 * syncprov runs), which brings them in the paged read's order.
 */
#define ORDER_MAX 4096   /* more added at once: the whole is read instead */

struct order_ctx {
	struct raw_world *r;
	struct raw_entry **tail;   /* the added entries, by address */
	bool *got;
	size_t ntail;
	struct raw_entry **order;  /* as the server returns them */
	size_t norder;
	bool stray;                /* one returned that is no added entry, or twice */
};

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct raw_entry *const *)a;
	uintptr_t y = (uintptr_t)*(struct raw_entry *const *)b;

	return x < y ? -1 : x > y;
}

static smp_status order_entry(void *ctx, LDAP *ld, LDAPMessage *m)
{
	struct order_ctx *o = ctx;
	unsigned char u[16];
	struct raw_entry *e = entry_uuid(ld, m, u) ? raw_find(o->r, u) : NULL;
	struct raw_entry **at = e == NULL ? NULL :
	        bsearch(&e, o->tail, o->ntail, sizeof(*o->tail), ptr_cmp);

	if (at == NULL || o->got[at - o->tail]) {
		o->stray = true;
		return SMP_OK;
	}
	o->got[at - o->tail] = true;
	o->order[o->norder++] = e;
	return SMP_OK;
}

smp_status dir_read_order(struct dir_conn *c, struct raw_world *r, size_t first, char *why,
                          size_t whysize)
{
	size_t added = 0, len, k;
	struct order_ctx o = { .r = r };
	char *filter = NULL, *attrs[] = { "entryUUID", NULL };
	smp_status rc = SMP_ERR_NOMEM;

	why[0] = '\0';
	for (size_t i = first; i < r->n; i++)
		added += !r->v[i]->deleted;
	if (added < 2)
		return SMP_OK;
	if (added > ORDER_MAX) {
		snprintf(why, whysize, "%zu entries were added at once (more than %d), read whole "
		         "in the server's order", added, ORDER_MAX);
		return SMP_OK;
	}
	o.tail = malloc(added * sizeof(*o.tail));
	o.order = malloc((r->n - first) * sizeof(*o.order));
	o.got = calloc(added, sizeof(*o.got));
	/* "(|" ")" and per UUID "(entryUUID=" 36 ")" */
	len = 4 + added * (12 + 36 + 1);
	filter = malloc(len);
	if (o.tail == NULL || o.order == NULL || o.got == NULL || filter == NULL)
		goto out;
	k = (size_t)snprintf(filter, len, "(|");
	for (size_t i = first; i < r->n; i++) {
		const unsigned char *u = r->v[i]->uuid;

		if (r->v[i]->deleted)
			continue;
		o.tail[o.ntail++] = r->v[i];
		k += (size_t)snprintf(filter + k, len - k, "(entryUUID=%02x%02x%02x%02x-%02x%02x-"
		                      "%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x)", u[0], u[1],
		                      u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		                      u[12], u[13], u[14], u[15]);
	}
	snprintf(filter + k, len - k, ")");
	qsort(o.tail, o.ntail, sizeof(*o.tail), ptr_cmp);
	rc = dir_search(c, c->s->base, LDAP_SCOPE_SUBTREE, filter, attrs, true, order_entry, &o,
	                NULL);
	if (rc != SMP_OK)
		goto out;
	if (o.stray || o.norder != added) {
		snprintf(why, whysize, "the entries the refresh added are not all there when their "
		         "order is asked for (one went or came twice since)");
		goto out;
	}
	/* an entry added and deleted in the same refresh (none do) stays last */
	for (size_t i = first; i < r->n; i++)
		if (r->v[i]->deleted)
			o.order[o.norder++] = r->v[i];
	if (!raw_reorder(r, first, o.order))
		rc = SMP_ERR_NOMEM;
out:
	free(filter);
	free(o.got);
	free(o.order);
	free(o.tail);
	return rc;
}

char **dir_wanted_attrs(void)
{
	return wanted_attrs();
}

smp_status dir_place_world(struct dir_conn *c, const struct raw_world *r, struct dir_world *w,
                           smp_diags *d)
{
	struct read_ctx x = { .c = c, .w = w, .d = d };
	smp_status rc = SMP_OK;

	if (ldap_str2dn(c->s->base, &x.base, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return dir_fail(c, LDAP_INVALID_DN_SYNTAX, "ldap.base '%s' is not a DN", c->s->base);
	for (size_t i = 0; i < r->n && rc == SMP_OK; i++)
		if (!r->v[i]->deleted)
			rc = place_entry(&x, r->v[i]);
	for (size_t i = 0; rc == SMP_OK && ldap_kinds[i].list != NULL; i++)
		if (!x.seen[i])
			missing(&x, ldap_kinds[i].container, ldap_kinds[i].list);
	if (rc == SMP_OK && !x.settings)
		missing(&x, LDAP_SETTINGS_RDN, "settings");
	ldap_dnfree(x.base);
	if (rc == SMP_OK && (d->oom || x.nomem))
		rc = SMP_ERR_NOMEM;
	return rc == SMP_OK && x.failed ? SMP_ERR_PARSE : rc;
}

smp_status dir_read_world(struct dir_conn *c, struct dir_world *w, smp_diags *d)
{
	struct raw_world r = { 0 };
	smp_status rc = dir_read_raw(c, &r, false, NULL);

	if (rc == SMP_OK)
		rc = dir_place_world(c, &r, w, d);
	raw_world_free(&r);
	return rc;
}

void dir_world_free(struct dir_world *w)
{
	free(w->v);
	free(w->strays);
	arena_release(&w->mem);
	memset(w, 0, sizeof(*w));
}
