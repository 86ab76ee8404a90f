/*
 * entries.c - the entries of the records trees (platforms, offices, staff,
 * devices, accounts, approvals) into the policy's arrays: every key
 * checked against its table, every reference resolved, every structural
 * error named FILE:LINE.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- entries ---------------------------------------------------------- */

/* Iterate the entries of list `name` in every source [from, to). */
struct entry_iter {
	struct loader *L;
	size_t src, to;
	int idx;                      /* next entry of list; -1: list not looked up */
	const char *name;
	const config_setting_t *list;  /* the list in source src, or NULL */
};

/* The list `name` of a source that parsed, or NULL. */
static const config_setting_t *source_list(const struct source *s, const char *name)
{
	if (!s->parsed || config_error_type(&s->cfg) != CONFIG_ERR_NONE)
		return NULL;
	return member(config_root_setting(&s->cfg), name, F_LIST);
}

static const config_setting_t *next_entry(struct entry_iter *it)
{
	for (; it->src < it->to; it->src++, it->idx = -1) {
		if (it->idx < 0) {
			it->idx = 0;
			it->list = source_list(it->L->src[it->src], it->name);
		}
		if (it->list != NULL && it->idx < config_setting_length(it->list))
			return config_setting_get_elem(it->list, (unsigned)it->idx++);
	}
	return NULL;
}

static size_t count_entries(struct loader *L, const char *name, size_t from, size_t to)
{
	size_t n = 0;

	for (size_t i = from; i < to; i++) {
		const config_setting_t *list = source_list(L->src[i], name);

		if (list != NULL)
			n += (size_t)config_setting_length(list);
	}
	return n;
}

/*
 * First pass for one kind of entry: allocate the array, check every entry
 * is a group with a valid, unique id, and index the ids.  The id pointers
 * are stored at ids[i * stride] (the id field of each struct).
 * Returns the entries in order (malloc'd), or NULL on OOM.
 */
static const config_setting_t **index_entries(struct loader *L, const char *list,
                                       const char *kind, size_t from, size_t to,
                                              void **array, size_t elem, size_t *count,
                                              struct idmap *ix, const config_setting_t ***twice)
{
	size_t n = count_entries(L, list, from, to), k = 0;
	struct entry_iter it = { L, from, to, -1, list, NULL };
	const config_setting_t **ents = calloc(n + 1, sizeof(*ents));
	const config_setting_t *e;
	/* a record entry's fault voids that entry alone (struct rec_scope):
	 * one without a usable id is then left out, and an id defined twice
	 * voids both (*twice[k]: the other definition of entry k) */
	struct rec_scope none = { NULL, NULL, NULL };

	if (twice != NULL)
		*twice = calloc(n + 1, sizeof(**twice));
	*array = arena_alloc(&L->p->mem, (n + 1) * elem);
	if (ents == NULL || *array == NULL || !idmap_init(ix, &L->p->mem, n) ||
	    (twice != NULL && *twice == NULL)) {
		free(ents);
		if (twice != NULL) {
			free(*twice);
			*twice = NULL;
		}
		L->nomem = true;
		return NULL;
	}
	L->rec = twice != NULL ? &none : NULL;
	while ((e = next_entry(&it)) != NULL) {
		const config_setting_t *idm;
		const char *id;
		char **slot = (char **)((char *)*array + k * elem);   /* id is first */
		uint32_t prev;

		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			ERR(L, AT(e), NULL, "%s: each entry must be a group { ... }", list);
			continue;
		}
		idm = config_setting_get_member(e, "id");
		if (idm == NULL) {
			ERR(L, AT(e), NULL, "%s entry: missing required key 'id'", kind);
			continue;
		}
		if (!type_matches(idm, F_STR)) {
			ERR(L, AT(idm), NULL, "%s entry: 'id' must be a string", kind);
			continue;
		}
		id = config_setting_get_string(idm);
		if (!id_is_valid(id)) {
			ERR(L, AT(idm), NULL,
			    "%s id '%s' is not valid: use 1 to %d of the characters A-Z a-z 0-9 . _ - @",
			    kind, id, SMP_MAX_ID_LEN);
			continue;
		}
		*slot = dup_or_null(L, id);
		if (*slot == NULL)
			break;
		prev = idmap_insert(ix, *slot, (uint32_t)k);
		if (prev != NONE) {
			struct rec_scope dup = { id, NULL, NULL };

			L->rec = twice != NULL ? &dup : NULL;
			ERR(L, AT(idm), id, "duplicate %s id '%s' (first defined at %s:%u)", kind, id,
			    ents[prev] ? src_file(ents[prev]) : "?",
			    ents[prev] ? ents[prev]->line : 0);
			L->rec = twice != NULL ? &none : NULL;
			if (twice != NULL && (*twice)[prev] == NULL)
				(*twice)[prev] = e;
			*slot = NULL;
			continue;
		}
		ents[k++] = e;
	}
	L->rec = NULL;
	*count = k;
	return ents;
}

/* Begin loading record entry e (id, the k-th of its kind): its faults void
 * it from here; one defined twice is void already. */
static void rec_begin(struct loader *L, struct rec_scope *sc, const config_setting_t *e,
                      const char *id, const char *what, const config_setting_t *const *twice,
                      size_t k)
{
	sc->id = id;
	sc->what = what;
	sc->why = NULL;
	L->rec = sc;
	if (twice != NULL && twice[k] != NULL)
		ERR(L, AT(e), id, "%s is defined again at %s:%u: neither is used", what,
		    src_file(twice[k]), twice[k]->line);
}

static void set_where(struct where *w, const config_setting_t *e)
{
	w->file = src_file(e);
	w->line = config_setting_source_line(e);
}

/* "kind 'id'", what the messages about an entry start with */
#define WHAT_SIZE (sizeof("staff member ''") + SMP_MAX_ID_LEN)

static const char *entry_what(char buf[WHAT_SIZE], const char *kind, const char *id)
{
	size_t k = strlen(kind), n = strlen(id);

	if (k + n + 4 > WHAT_SIZE)
		return kind;   /* cannot happen: ids are checked, kinds are ours */
	memcpy(buf, kind, k);
	buf[k] = ' ';
	buf[k + 1] = '\'';
	memcpy(buf + k + 2, id, n);
	buf[k + n + 2] = '\'';
	buf[k + n + 3] = '\0';
	return buf;
}

/* Resolve a string list of references into indexes. */
static uint32_t *ref_list(struct loader *L, const config_setting_t *m,
                   const struct idmap *ix, const char *kind, const char *what,
                          size_t *n)
{
	uint32_t *v;
	size_t k = 0;

	*n = 0;
	if (m == NULL)
		return NULL;
	v = arena_alloc(&L->p->mem, ((size_t)config_setting_length(m) + 1) * sizeof(*v));
	if (v == NULL) {
		L->nomem = true;
		return NULL;
	}
	for (int i = 0; i < config_setting_length(m); i++) {
		const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
		const char *id = config_setting_get_string(e);
		uint32_t x = idmap_find(ix, id);

		if (x == NONE) {
			ERR(L, AT(e), NULL, "%s: %s: %s '%s' does not exist", what, m->name, kind, id);
			continue;
		}
		for (size_t j = 0; j < k; j++)
			if (v[j] == x)
				ERR(L, AT(e), NULL, "%s: %s: '%s' is listed twice", what, m->name, id);
		v[k++] = x;
	}
	*n = k;
	return v;
}

enum { PL_ID, PL_NAME, PL_DOMAINS, PL_MOBILE_ONLY, PL_PRIVATE, PL_N };
static const struct field platform_fields[PL_N + 1] = {
	[PL_ID] = { "id", F_STR, true }, [PL_NAME] = { "name", F_STR, true },
	[PL_DOMAINS] = { "domains", F_STRLIST, false },
	[PL_MOBILE_ONLY] = { "mobile_only", F_BOOL, false },
	[PL_PRIVATE] = { "private_messaging", F_BOOL, false },
};

void load_platforms(struct loader *L)
{
	smp_policy *p = L->p;
	const config_setting_t **e = index_entries(L, "platforms", "platform", 0, 1,
	                                           (void **)&p->platforms, sizeof(*p->platforms),
	                                           &p->nplatforms, &p->platform_ix, NULL);

	for (size_t i = 0; e && i < p->nplatforms; i++) {
		struct platform *pl = &p->platforms[i];
		char wbuf[WHAT_SIZE];
		const char *what = entry_what(wbuf, "platform", pl->id);
		const config_setting_t *m[PL_N], *dom;

		take_fields(L, e[i], what, platform_fields, m);
		set_where(&pl->at, e[i]);
		pl->name = dup_or_null(L, str_of(m[PL_NAME]));
		pl->mobile_only = bool_of(m[PL_MOBILE_ONLY], false);
		pl->private_messaging = bool_of(m[PL_PRIVATE], true);
		dom = m[PL_DOMAINS];
		if (dom != NULL) {
			int n = config_setting_length(dom);

			pl->domains = arena_alloc(&p->mem, ((size_t)n + 1) * sizeof(char *));
			for (int j = 0; pl->domains && j < n; j++)
				pl->domains[j] = dup_or_null(L, config_setting_get_string_elem(dom, j));
			if (pl->domains == NULL)
				L->nomem = true;
		}
	}
	free(e);
}

enum { OF_ID, OF_NAME, OF_KIND, OF_N };
static const struct field office_fields[OF_N + 1] = {
	[OF_ID] = { "id", F_STR, true }, [OF_NAME] = { "name", F_STR, true },
	[OF_KIND] = { "kind", F_STR, true },
};

void load_offices(struct loader *L)
{
	smp_policy *p = L->p;
	const config_setting_t **e = index_entries(L, "offices", "office", 0, 1,
	                                           (void **)&p->offices, sizeof(*p->offices),
	                                           &p->noffices, &p->office_ix, NULL);

	for (size_t i = 0; e && i < p->noffices; i++) {
		struct office *o = &p->offices[i];
		char wbuf[WHAT_SIZE];
		const char *what = entry_what(wbuf, "office", o->id);
		const config_setting_t *m[OF_N];
		const char *kind;

		take_fields(L, e[i], what, office_fields, m);
		set_where(&o->at, e[i]);
		o->name = dup_or_null(L, str_of(m[OF_NAME]));
		kind = str_of(m[OF_KIND]);
		if (kind != NULL && strcmp(kind, "local") != 0 && strcmp(kind, "area") != 0)
			ERR(L, AT(m[OF_KIND]), o->id,
			    "%s: kind must be \"local\" or \"area\", not '%s'", what, kind);
		o->kind = dup_or_null(L, kind);
	}
	free(e);
}

/*
 * "void": a record entry that says it is void, with why.  The local copy
 * of a directory writes it for an entry the directory reader found in
 * fault (directory_read.c); in files it can only void a record.  A
 * records file's list `void = ( { why = "..."; } )` holds the faults of
 * entries that could not be placed at all (no container, no id).
 */
static void said_void(struct loader *L, const config_setting_t *m, const char *id)
{
	if (m != NULL)
		ERR(L, AT(m), id, "%s", str_of(m));
}

enum { ST_ID, ST_NAME, ST_OFFICE, ST_ROLES, ST_SUPERVISOR, ST_HELD, ST_LEFT, ST_VOID, ST_N };
static const struct field staff_fields[ST_N + 1] = {
	[ST_VOID] = { "void", F_STR, false },
	[ST_HELD] = { "held", F_STRLIST, false }, [ST_LEFT] = { "left", F_TIME, false },
	[ST_ID] = { "id", F_STR, true }, [ST_NAME] = { "name", F_STR, false },
	[ST_OFFICE] = { "office", F_STR, true }, [ST_ROLES] = { "roles", F_STRLIST, false },
	[ST_SUPERVISOR] = { "supervisor", F_STR, false },
};

static unsigned parse_roles(struct loader *L, const config_setting_t *m, const char *what)
{
	unsigned bits = 0;

	for (int i = 0; m && i < config_setting_length(m); i++) {
		const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
		const char *r = config_setting_get_string(e);
		unsigned bit = role_bit(r);

		if (bit == 0)
			ERR(L, AT(e), NULL,
			    "%s: unknown role '%s' (roles: worker, supervisor, local_office_manager, "
			    "director_cpp, director_it)", what, r);
		bits |= bit;
	}
	return bits;
}

static void load_staff(struct loader *L, const config_setting_t **e,
                       const config_setting_t *const *twice)
{
	smp_policy *p = L->p;

	for (size_t i = 0; e && i < p->nstaff; i++) {
		struct staff *s = &p->staff[i];
		char wbuf[WHAT_SIZE];
		const char *what = entry_what(wbuf, "staff", s->id);
		const config_setting_t *m[ST_N];
		struct rec_scope sc;

		rec_begin(L, &sc, e[i], s->id, what, twice, i);
		take_fields(L, e[i], what, staff_fields, m);
		said_void(L, m[ST_VOID], s->id);
		set_where(&s->at, e[i]);
		s->name = dup_or_null(L, str_of(m[ST_NAME]));
		s->office = ref_of(L, m[ST_OFFICE], &p->office_ix, "office", what);
		s->roles = parse_roles(L, m[ST_ROLES], what);
		s->supervisor = ref_of(L, m[ST_SUPERVISOR], &p->staff_ix, "staff member", what);
		parse_held(L, m[ST_HELD], what, s);
		time_of(L, m[ST_LEFT], SMP_TIME_START, what, &s->left);
		if (s->supervisor == i)
			ERR(L, AT(e[i]), s->id, "%s: is their own supervisor", what);
		L->rec = NULL;
		s->void_why = sc.why;
	}
}

enum { DV_ID, DV_KIND, DV_OWNER, DV_OFFICE, DV_APPS, DV_VOID, DV_N };
static const struct field device_fields[DV_N + 1] = {
	[DV_VOID] = { "void", F_STR, false },
	[DV_ID] = { "id", F_STR, true }, [DV_KIND] = { "kind", F_STR, true },
	[DV_OWNER] = { "owner", F_STR, true }, [DV_OFFICE] = { "office", F_STR, false },
	[DV_APPS] = { "apps", F_STRLIST, false },
};

static void load_devices(struct loader *L, const config_setting_t **e,
                         const config_setting_t *const *twice)
{
	smp_policy *p = L->p;

	for (size_t i = 0; e && i < p->ndevices; i++) {
		struct device *dv = &p->devices[i];
		char wbuf[WHAT_SIZE];
		const char *what = entry_what(wbuf, "device", dv->id);
		const config_setting_t *m[DV_N];
		const char *kind, *owner;
		struct rec_scope sc;

		rec_begin(L, &sc, e[i], dv->id, what, twice, i);
		take_fields(L, e[i], what, device_fields, m);
		said_void(L, m[DV_VOID], dv->id);
		set_where(&dv->at, e[i]);
		kind = str_of(m[DV_KIND]);
		owner = str_of(m[DV_OWNER]);
		if (kind != NULL && strcmp(kind, "workstation") == 0)
			dv->kind = DEV_WORKSTATION;
		else if (kind != NULL && strcmp(kind, "mobile") == 0)
			dv->kind = DEV_MOBILE;
		else if (kind != NULL)
			ERR(L, AT(m[DV_KIND]), NULL,
			    "%s: kind must be \"workstation\" or \"mobile\", not '%s'", what, kind);
		if (owner != NULL && strcmp(owner, "dcf") == 0)
			dv->dcf_owned = true;
		else if (owner != NULL && strcmp(owner, "personal") != 0)
			ERR(L, AT(m[DV_OWNER]), NULL,
			    "%s: owner must be \"dcf\" or \"personal\", not '%s'", what, owner);
		dv->office = ref_of(L, m[DV_OFFICE], &p->office_ix, "office", what);
		dv->apps = ref_list(L, m[DV_APPS], &p->platform_ix, "platform", what, &dv->napps);
		if (m[DV_APPS] != NULL && kind != NULL && strcmp(kind, "workstation") == 0)
			ERR(L, AT(m[DV_APPS]), NULL,
			    "%s: apps are approved on mobile devices only", what);
		L->rec = NULL;
		dv->void_why = sc.why;
	}
}

enum { AC_ID, AC_PLATFORM, AC_HANDLE, AC_HOLDER, AC_OFFICIAL, AC_PERSONAL, AC_SUPERVISOR,
       AC_PW_CHANGED, AC_PW_ESCROWED, AC_COMPROMISED, AC_VOID, AC_N };
static const struct field account_fields[AC_N + 1] = {
	[AC_VOID] = { "void", F_STR, false },
	[AC_ID] = { "id", F_STR, true }, [AC_PLATFORM] = { "platform", F_STR, true },
	[AC_HANDLE] = { "handle", F_STR, false }, [AC_HOLDER] = { "holder", F_STR, true },
	[AC_OFFICIAL] = { "official", F_BOOL, true },
	[AC_PERSONAL] = { "personal_info", F_BOOL, false },
	[AC_SUPERVISOR] = { "supervisor", F_STR, false },
	[AC_PW_CHANGED] = { "password_changed", F_TIME, false },
	[AC_PW_ESCROWED] = { "password_escrowed", F_TIME, false },
	[AC_COMPROMISED] = { "compromised", F_GROUP, false },
};

enum { CO_REPORTED, CO_RESOLVED, CO_N };
static const struct field compromised_fields[CO_N + 1] = {
	[CO_REPORTED] = { "reported", F_TIME, true }, [CO_RESOLVED] = { "resolved", F_TIME, false },
};

static void load_accounts(struct loader *L, const config_setting_t **e,
                          const config_setting_t *const *twice)
{
	smp_policy *p = L->p;

	for (size_t i = 0; e && i < p->naccounts; i++) {
		struct account *a = &p->accounts[i];
		char wbuf[WHAT_SIZE];
		const char *what = entry_what(wbuf, "account", a->id);
		const config_setting_t *m[AC_N], *c, *cm[CO_N];
		struct rec_scope sc;

		rec_begin(L, &sc, e[i], a->id, what, twice, i);
		take_fields(L, e[i], what, account_fields, m);
		said_void(L, m[AC_VOID], a->id);
		set_where(&a->at, e[i]);
		a->handle = dup_or_null(L, str_of(m[AC_HANDLE]));
		a->platform = ref_of(L, m[AC_PLATFORM], &p->platform_ix, "platform", what);
		a->holder = ref_of(L, m[AC_HOLDER], &p->staff_ix, "staff member", what);
		a->supervisor = ref_of(L, m[AC_SUPERVISOR], &p->staff_ix, "staff member", what);
		a->official = bool_of(m[AC_OFFICIAL], false);
		a->personal_info = bool_of(m[AC_PERSONAL], false);
		time_of(L, m[AC_PW_CHANGED], SMP_TIME_START, what, &a->password_changed);
		time_of(L, m[AC_PW_ESCROWED], SMP_TIME_START, what, &a->password_escrowed);
		c = m[AC_COMPROMISED];
		if (c != NULL && take_fields(L, c, what, compromised_fields, cm)) {
			time_of(L, cm[CO_REPORTED], SMP_TIME_START, what, &a->compromised_reported);
			time_of(L, cm[CO_RESOLVED], SMP_TIME_START, what, &a->compromised_resolved);
			if (a->compromised_reported.set && a->compromised_resolved.set &&
			    a->compromised_resolved.t < a->compromised_reported.t)
				ERR(L, AT(c), a->id, "%s: compromise resolved before it was reported", what);
		}
		L->rec = NULL;
		a->void_why = sc.why;
	}
}

enum { AP_ID, AP_STAFF, AP_KIND, AP_PLATFORMS, AP_TICKET, AP_REQUESTED_BY, AP_REQUESTED,
       AP_CPP, AP_IT, AP_STARTS, AP_EXPIRES, AP_REVOKED, AP_VOID, AP_N };
static const struct field approval_fields[AP_N + 1] = {
	[AP_VOID] = { "void", F_STR, false },
	[AP_ID] = { "id", F_STR, true }, [AP_STAFF] = { "staff", F_STR, true },
	[AP_KIND] = { "kind", F_STR, true }, [AP_PLATFORMS] = { "platforms", F_STRLIST, true },
	[AP_TICKET] = { "ticket", F_STR, false },
	[AP_REQUESTED_BY] = { "requested_by", F_STR, false },
	[AP_REQUESTED] = { "requested", F_TIME, false },
	[AP_CPP] = { "approved_cpp", F_GROUP, false }, [AP_IT] = { "approved_it", F_GROUP, false },
	[AP_STARTS] = { "starts", F_TIME, false }, [AP_EXPIRES] = { "expires", F_TIME, false },
	[AP_REVOKED] = { "revoked", F_GROUP, false },
};

_Static_assert(AP_N <= MAX_FIELDS && AC_N <= MAX_FIELDS, "MAX_FIELDS is too small");

enum { SO_BY, SO_ON, SO_SIG, SO_N };
static const struct field sign_off_fields[SO_N + 1] = {
	[SO_BY] = { "by", F_STR, true }, [SO_ON] = { "on", F_TIME, true },
	[SO_SIG] = { "sig", F_STR, false },
};

enum { RV_ON, RV_BY, RV_REASON, RV_SIG, RV_N };
static const struct field revoked_fields[RV_N + 1] = {
	[RV_ON] = { "on", F_TIME, true }, [RV_BY] = { "by", F_STR, true },
	[RV_REASON] = { "reason", F_STR, true }, [RV_SIG] = { "sig", F_STR, false },
};

/* A signature's text, kept apart from the policy's memory (sigmem). */
static char *sig_text(struct loader *L, const config_setting_t *m)
{
	const char *s = str_of(m);
	char *c;

	if (s == NULL)
		return NULL;
	c = arena_strdup(&L->p->sigmem, s);
	if (c == NULL)
		L->nomem = true;
	return c;
}

static void load_sign_off(struct loader *L, const config_setting_t *g, const char *what,
                   struct sign_off *so, struct sig *sig)
{
	const config_setting_t *m[SO_N];
	struct opt_time on;

	if (g == NULL || !take_fields(L, g, what, sign_off_fields, m))
		return;
	so->by = author_of(L, m[SO_BY], &L->p->staff_ix, &so->absent);
	if (!time_of(L, m[SO_ON], SMP_TIME_START, what, &on) ||
	    (so->by == NONE && so->absent == NULL))
		return;
	so->present = true;
	so->on = on.t;
	sig->value = sig_text(L, m[SO_SIG]);
	set_where(&so->at, g);
}

static void load_approval(struct loader *L, const config_setting_t *e, struct approval *a,
                          struct approval_sigs *sigs)
{
	smp_policy *p = L->p;
	char wbuf[WHAT_SIZE];
	const char *what = entry_what(wbuf, "approval", a->id);
	const config_setting_t *m[AP_N], *rm[RV_N];
	const char *kind, *ticket;

	take_fields(L, e, what, approval_fields, m);
	said_void(L, m[AP_VOID], a->id);
	set_where(&a->at, e);
	a->staff = ref_of(L, m[AP_STAFF], &p->staff_ix, "staff member", what);
	kind = str_of(m[AP_KIND]);
	if (kind != NULL && strcmp(kind, "long_term") == 0)
		a->kind = KIND_LONG_TERM;
	else if (kind != NULL && strcmp(kind, "limited") == 0)
		a->kind = KIND_LIMITED;
	else if (kind != NULL)
		ERR(L, AT(m[AP_KIND]), a->id,
		    "%s: kind must be \"long_term\" or \"limited\", not '%s'", what, kind);
	a->platforms = ref_list(L, m[AP_PLATFORMS], &p->platform_ix, "platform", what,
	                        &a->nplatforms);
	if (m[AP_PLATFORMS] != NULL && a->nplatforms == 0 &&
	    config_setting_length(m[AP_PLATFORMS]) == 0)
		ERR(L, AT(m[AP_PLATFORMS]), a->id,
		    "%s: platforms must name at least one platform", what);
	a->platform_ids = arena_alloc(&p->mem, (a->nplatforms + 1) * sizeof(char *));
	if (a->platform_ids == NULL)
		L->nomem = true;
	for (size_t j = 0; a->platform_ids && j < a->nplatforms; j++)
		a->platform_ids[j] = p->platforms[a->platforms[j]].id;
	ticket = str_of(m[AP_TICKET]);
	if (ticket != NULL && ticket[0] == '\0')
		ERR(L, AT(m[AP_TICKET]), a->id, "%s: ticket must not be empty", what);
	a->ticket = dup_or_null(L, ticket);
	a->requested_by = author_of(L, m[AP_REQUESTED_BY], &p->staff_ix, &a->requested_absent);
	time_of(L, m[AP_REQUESTED], SMP_TIME_START, what, &a->requested);
	load_sign_off(L, m[AP_CPP], what, &a->cpp, &sigs->s[0]);
	load_sign_off(L, m[AP_IT], what, &a->it, &sigs->s[1]);
	time_of(L, m[AP_STARTS], SMP_TIME_START, what, &a->starts);
	time_of(L, m[AP_EXPIRES], SMP_TIME_END, what, &a->expires);
	if (m[AP_REVOKED] != NULL && take_fields(L, m[AP_REVOKED], what, revoked_fields, rm)) {
		struct opt_time on;

		a->revoked.by = author_of(L, rm[RV_BY], &p->staff_ix, &a->revoked.by_absent);
		a->revoked.reason = dup_or_null(L, str_of(rm[RV_REASON]));
		sigs->s[2].value = sig_text(L, rm[RV_SIG]);
		if (time_of(L, rm[RV_ON], SMP_TIME_START, what, &on) && on.set) {
			a->revoked.present = true;
			a->revoked.on = on.t;
		}
	}
}

/* Per-staff lists of approvals and held accounts. */
static void link_staff(struct loader *L)
{
	smp_policy *p = L->p;
	size_t *na = calloc(p->nstaff + 1, sizeof(size_t));
	size_t *nc = calloc(p->nstaff + 1, sizeof(size_t));

	if (na == NULL || nc == NULL)
		goto oom;
	for (size_t i = 0; i < p->napprovals; i++)
		if (p->approvals[i].staff != NONE)
			na[p->approvals[i].staff]++;
	for (size_t i = 0; i < p->naccounts; i++)
		if (p->accounts[i].holder != NONE)
			nc[p->accounts[i].holder]++;
	for (size_t i = 0; i < p->nstaff; i++) {
		p->staff[i].approvals = arena_alloc(&p->mem, (na[i] + 1) * sizeof(uint32_t));
		p->staff[i].accounts = arena_alloc(&p->mem, (nc[i] + 1) * sizeof(uint32_t));
		if (p->staff[i].approvals == NULL || p->staff[i].accounts == NULL)
			goto oom;
	}
	for (size_t i = 0; i < p->napprovals; i++) {
		struct staff *s;

		if (p->approvals[i].staff == NONE)
			continue;
		s = &p->staff[p->approvals[i].staff];
		s->approvals[s->napprovals++] = (uint32_t)i;
	}
	for (size_t i = 0; i < p->naccounts; i++) {
		struct staff *s;

		if (p->accounts[i].holder == NONE)
			continue;
		s = &p->staff[p->accounts[i].holder];
		s->accounts[s->naccounts++] = (uint32_t)i;
	}
	/* per staff member and platform, the approvals naming it: a decision
	 * looks at these only */
	for (size_t i = 0; i < p->nstaff; i++) {
		struct staff *s = &p->staff[i];
		size_t total = 0;
		uint32_t *fill;

		s->platform_start = arena_alloc(&p->mem, (p->nplatforms + 2) * sizeof(uint32_t));
		if (s->platform_start == NULL)
			goto oom;
		for (size_t j = 0; j < s->napprovals; j++) {
			const struct approval *a = &p->approvals[s->approvals[j]];

			for (size_t k = 0; k < a->nplatforms; k++)
				s->platform_start[a->platforms[k] + 1]++;
			total += a->nplatforms;
		}
		for (size_t k = 0; k < p->nplatforms; k++)
			s->platform_start[k + 1] += s->platform_start[k];
		s->by_platform = arena_alloc(&p->mem, (total + 1) * sizeof(*s->by_platform));
		fill = calloc(p->nplatforms + 1, sizeof(uint32_t));
		if (s->by_platform == NULL || fill == NULL) {
			free(fill);
			goto oom;
		}
		for (size_t j = 0; j < s->napprovals; j++) {
			const struct approval *a = &p->approvals[s->approvals[j]];

			for (size_t k = 0; k < a->nplatforms; k++) {
				uint32_t pl = a->platforms[k];

				s->by_platform[s->platform_start[pl] + fill[pl]++].approval =
					s->approvals[j];
			}
		}
		free(fill);
	}
	free(na);
	free(nc);
	return;
oom:
	free(na);
	free(nc);
	L->nomem = true;
}

/* The approvals whose entry is void: their fault is what a decision names
 * (approval-invalid), and the procedure is not judged.  One of no known
 * person is dropped (no one's request can reach it; it stays listed among
 * the void records); the others keep their id.  False on OOM. */
static bool settle_void_approvals(struct loader *L, const config_setting_t **e,
                                  const config_setting_t *const *twice)
{
	smp_policy *p = L->p;
	size_t k = 0;

	/* each approval's signatures, beside it and compacted with it */
	p->sigs = arena_alloc(&p->sigmem, (p->napprovals + 1) * sizeof(*p->sigs));
	if (p->sigs == NULL)
		return false;
	memset(p->sigs, 0, (p->napprovals + 1) * sizeof(*p->sigs));
	for (size_t i = 0; i < p->napprovals && !L->nomem; i++) {
		struct approval *a = &p->approvals[i];
		char wbuf[WHAT_SIZE];
		struct rec_scope sc;

		rec_begin(L, &sc, e[i], a->id, entry_what(wbuf, "approval", a->id), twice, i);
		load_approval(L, e[i], a, &p->sigs[i]);
		L->rec = NULL;
		if (sc.why != NULL) {
			a->is_void = true;
			a->invalid_why = sc.why;
		}
	}
	for (size_t i = 0; i < p->napprovals; i++)
		if (p->approvals[i].staff != NONE) {
			p->sigs[k] = p->sigs[i];
			p->approvals[k++] = p->approvals[i];
		}
	if (k == p->napprovals)
		return true;
	p->napprovals = k;
	if (!idmap_init(&p->approval_ix, &p->mem, k))
		return false;
	for (size_t i = 0; i < k; i++)
		idmap_insert(&p->approval_ix, p->approvals[i].id, (uint32_t)i);
	return true;
}

static const struct field stray_fields[] = { { "why", F_STR, true }, { NULL, 0, false } };

/* Each records file's `void` list: entries that are void and no record. */
static void load_strays(struct loader *L)
{
	struct entry_iter it = { L, 1, L->nsrc, -1, "void", NULL };
	const config_setting_t *e, *m[1];

	while ((e = next_entry(&it)) != NULL) {
		if (config_setting_type(e) != CONFIG_TYPE_GROUP ||
		    !take_fields(L, e, "void entry", stray_fields, m))
			continue;
		void_at(L, AT(e), NULL, str_of(m[0]));
	}
}

void load_records(struct loader *L)
{
	smp_policy *p = L->p;
	size_t n = L->nsrc;
	const config_setting_t **st, **dv, **ac, **ap;
	const config_setting_t **st2 = NULL, **dv2 = NULL, **ac2 = NULL, **ap2 = NULL;

	/* ids first, so that references may point forward and across files */
	st = index_entries(L, "staff", "staff", 1, n, (void **)&p->staff, sizeof(*p->staff),
	                   &p->nstaff, &p->staff_ix, &st2);
	dv = index_entries(L, "devices", "device", 1, n, (void **)&p->devices,
	                   sizeof(*p->devices), &p->ndevices, &p->device_ix, &dv2);
	ac = index_entries(L, "accounts", "account", 1, n, (void **)&p->accounts,
	                   sizeof(*p->accounts), &p->naccounts, &p->account_ix, &ac2);
	ap = index_entries(L, "approvals", "approval", 1, n, (void **)&p->approvals,
	                   sizeof(*p->approvals), &p->napprovals, &p->approval_ix, &ap2);
	if (st && dv && ac && ap && !L->nomem) {
		load_strays(L);
		load_staff(L, st, st2);
		load_devices(L, dv, dv2);
		load_accounts(L, ac, ac2);
		if (!L->nomem && !settle_void_approvals(L, ap, ap2))
			L->nomem = true;
		if (!L->nomem)
			link_staff(L);
	}
	free(st);
	free(dv);
	free(ac);
	free(ap);
	free(st2);
	free(dv2);
	free(ac2);
	free(ap2);
}
