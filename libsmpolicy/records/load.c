/*
 * load.c - read smpolicy.conf and the records files it names (through
 * file_secure.c), and turn the libconfig trees into the policy's arrays,
 * reporting every structural error as FILE:LINE.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the loader's state ----------------------------------------------- */

struct source {
	char *path;            /* absolute, owned by the policy arena */
	char *text;            /* malloc'd */
	size_t len;            /* of text */
	size_t *lines;         /* malloc'd when first needed: offset of each
	                          line in text; NULL if not (yet) */
	size_t nlines;
	config_t cfg;
	bool parsed;
	smp_status status;     /* of reading it */
	struct digest digest;  /* of text, for the compiled cache */
};

struct loader {
	smp_policy *p;
	smp_diags *d;
	unsigned flags;
	struct source **src;   /* [0] is smpolicy.conf, then the records; each
	                          allocated once: libconfig points into them */
	size_t nsrc;
	bool nomem;
	bool failed;           /* a structural error was found */
	struct time_memo times;  /* local days met in time strings */
	struct time_log zone;    /* every answer of the zone the load took */
};

static void err_at(struct loader *L, const char *file, unsigned line, const char *subject,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void err_at(struct loader *L, const char *file, unsigned line, const char *subject,
                   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	L->failed = true;
	if (!diags_add(L->d, file, line, SMP_SEV_ERROR, subject, "%s", msg))
		L->nomem = true;
}

/* ERR(L, file, line, subject, fmt, ...); AT(s) stands for "file, line" */
#define ERR(L, ...) err_at((L), __VA_ARGS__)

static struct source *src_of(const config_setting_t *s)
{
	/* every setting knows its config_t; the loader keeps its source in
	 * the root setting's hook */
	return s != NULL ? s->config->root->hook : NULL;
}

static const char *src_file(const config_setting_t *s)
{
	const struct source *src = src_of(s);

	return src != NULL ? src->path : NULL;
}

static void index_lines(struct source *s)
{
	size_t n = 1;
	const char *p, *end = s->text + s->len;

	for (p = s->text; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		n++;
	s->lines = malloc(n * sizeof(*s->lines));
	if (s->lines == NULL)
		return;   /* line_start() counts instead */
	s->lines[0] = 0;
	s->nlines = 1;
	for (p = s->text; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		s->lines[s->nlines++] = (size_t)(p + 1 - s->text);
}

/* Start of line n (1-based) of src's text, or NULL.  From the line index,
 * made when a line is first asked for (only errors and a few integers ask,
 * and an error per entry must not cost a scan of the file each), or, if it
 * could not be allocated, by counting. */
static const char *line_start(struct source *src, unsigned n)
{
	const char *text = src->text;

	if (src->lines == NULL)
		index_lines(src);
	if (src->lines != NULL)
		return n >= 1 && n <= src->nlines ? text + src->lines[n - 1] : NULL;
	for (unsigned line = 1; *text && line < n; text++)
		if (*text == '\n')
			line++;
	return *text || n <= 1 ? text : NULL;
}

static bool line_has(struct source *src, unsigned n, const char *needle, size_t len)
{
	const char *p = line_start(src, n), *end;

	if (p == NULL)
		return false;
	end = strchr(p, '\n');
	if (end == NULL)
		end = p + strlen(p);
	for (; p + len <= end; p++)
		if (memcmp(p, needle, len) == 0)
			return true;
	return false;
}

/*
 * libconfig gives a scalar the line of the token read after it, which is
 * the next line when the value ends a line inside a list or a group
 * ("tiktok"\n];).  Find the line that really holds the setting: its name,
 * or for a list element its string value, on that line or a few above.
 */
static unsigned src_line(const config_setting_t *s)
{
	struct source *src = src_of(s);
	char needle[64];
	size_t len;

	if (s == NULL)
		return 0;
	if (src == NULL || src->text == NULL || s->line <= 1)
		return s->line;
	if (s->name != NULL) {
		len = strlen(s->name);
		if (len >= sizeof(needle))
			return s->line;
		memcpy(needle, s->name, len);
	} else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);

		len = strcspn(v, "\"\\\n\t");
		if (len > sizeof(needle) - 2)
			len = sizeof(needle) - 2;
		needle[0] = '"';
		memcpy(needle + 1, v, len);
		len++;
	} else {
		return s->line;
	}
	for (unsigned back = 0; back < 8 && back < s->line; back++)
		if (line_has(src, s->line - back, needle, len))
			return s->line - back;
	return s->line;
}

#define AT(s) src_file(s), src_line(s)

/* ---- the schema ------------------------------------------------------- */

enum ftype { F_STR, F_BOOL, F_INT, F_STRLIST, F_TIME, F_GROUP, F_LIST };

struct field {
	const char *name;
	enum ftype type;
	bool required;
};

static const char *ftype_name(enum ftype t)
{
	switch (t) {
	case F_STR: return "a string";
	case F_BOOL: return "true or false";
	case F_INT: return "an integer";
	case F_STRLIST: return "an array of strings";
	case F_TIME: return "a time string";
	case F_GROUP: return "a group { ... }";
	case F_LIST: return "a list ( ... )";
	}
	return "?";
}

static bool type_matches(const config_setting_t *s, enum ftype t)
{
	int ty = config_setting_type(s);

	switch (t) {
	case F_STR:
	case F_TIME:
		return ty == CONFIG_TYPE_STRING;
	case F_BOOL:
		return ty == CONFIG_TYPE_BOOL;
	case F_INT:
		return ty == CONFIG_TYPE_INT || ty == CONFIG_TYPE_INT64;
	case F_GROUP:
		return ty == CONFIG_TYPE_GROUP;
	case F_LIST:
		return ty == CONFIG_TYPE_LIST || (ty == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0);
	case F_STRLIST:
		if (ty != CONFIG_TYPE_ARRAY && ty != CONFIG_TYPE_LIST)
			return false;
		for (int i = 0; i < config_setting_length(s); i++)
			if (config_setting_type(config_setting_get_elem(s, i)) != CONFIG_TYPE_STRING)
				return false;
		return true;
	}
	return false;
}

/* Levenshtein distance, small strings only: for "did you mean". */
static unsigned edit_distance(const char *a, const char *b)
{
	unsigned row[40], la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la >= 39 || lb >= 39)
		return 99;
	for (unsigned j = 0; j <= lb; j++)
		row[j] = j;
	for (unsigned i = 1; i <= la; i++) {
		unsigned prev = row[0]++;

		for (unsigned j = 1; j <= lb; j++) {
			unsigned cur = row[j];
			unsigned best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static const char *suggest(const char *name, const struct field *fields)
{
	const char *best = NULL;
	unsigned bestd = 3;

	for (const struct field *f = fields; f->name; f++) {
		unsigned dist = edit_distance(name, f->name);

		if (dist < bestd) {
			bestd = dist;
			best = f->name;
		}
	}
	return best;
}

/*
 * Check a group's members against the schema and take them: m[i] is the
 * member named fields[i].name if it is present with the right type, else
 * NULL.  Unknown keys, wrong types and missing required keys are errors.
 * One pass over the members, each name compared with the table's (libconfig's
 * lookup by name costs a strchr() per character of every member it passes,
 * and a loader asking for each field would pay it a dozen times per entry).
 * what names the entry ("approval 'LT-1'").  Returns false if anything was
 * wrong.
 */
#define MAX_FIELDS 16   /* the most of any table below; seen is a bit mask */

static bool take_fields(struct loader *L, const config_setting_t *g, const char *what,
                        const struct field *fields, const config_setting_t **m)
{
	unsigned nf, seen = 0;
	bool ok = true;
	int n = config_setting_length(g);

	for (nf = 0; fields[nf].name != NULL; nf++)
		m[nf] = NULL;
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		unsigned k;

		for (k = 0; k < nf; k++)
			if (fields[k].name[0] == s->name[0] && strcmp(fields[k].name, s->name) == 0)
				break;
		if (k == nf) {
			const char *sug = suggest(s->name, fields);

			if (sug)
				ERR(L, AT(s), NULL, "%s: unknown key '%s' (did you mean '%s'?)",
				    what, s->name, sug);
			else
				ERR(L, AT(s), NULL, "%s: unknown key '%s'", what, s->name);
			ok = false;
			continue;
		}
		seen |= 1u << k;
		if (type_matches(s, fields[k].type)) {
			m[k] = s;
		} else {
			ERR(L, AT(s), NULL, "%s: '%s' must be %s", what, s->name,
			    ftype_name(fields[k].type));
			ok = false;
		}
	}
	for (unsigned k = 0; k < nf; k++) {
		if (fields[k].required && !(seen & (1u << k))) {
			ERR(L, AT(g), NULL, "%s: missing required key '%s'", what, fields[k].name);
			ok = false;
		}
	}
	return ok;
}

static bool check_fields(struct loader *L, const config_setting_t *g, const char *what,
                         const struct field *fields)
{
	const config_setting_t *m[MAX_FIELDS];

	return take_fields(L, g, what, fields, m);
}

/* The member name of g if present with the right type, else NULL (a wrong
 * type has already been reported by check_fields); for the few settings
 * looked up once per file. */
static const config_setting_t *member(const config_setting_t *g, const char *name,
                                      enum ftype t)
{
	const config_setting_t *m = config_setting_get_member(g, name);

	return (m != NULL && type_matches(m, t)) ? m : NULL;
}

/* The value of a member taken by take_fields(), or a default if absent. */
static const char *str_of(const config_setting_t *m)
{
	return m ? config_setting_get_string(m) : NULL;
}

static bool bool_of(const config_setting_t *m, bool dflt)
{
	return m ? config_setting_get_bool(m) != 0 : dflt;
}

static char *dup_or_null(struct loader *L, const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = arena_strdup(&L->p->mem, s);
	if (d == NULL)
		L->nomem = true;
	return d;
}

/* A time member: false if present and bad (reported). */
static bool time_of(struct loader *L, const config_setting_t *m, smp_time_edge edge,
                    const char *what, struct opt_time *out)
{
	const char *s;

	out->set = false;
	if (m == NULL)
		return true;
	s = config_setting_get_string(m);
	if (time_parse_memo(&L->times, s, edge, &out->t) != SMP_OK) {
		ERR(L, AT(m), NULL,
		    "%s: %s: '%s' is not a valid time (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], "
		    "optionally with Z or +HH:MM; it must exist in the local time zone)",
		    what, m->name, s);
		return false;
	}
	out->set = true;
	return true;
}

/* Resolve a reference; reports a dangling one.  Returns NONE if absent or
 * dangling. */
static uint32_t ref_of(struct loader *L, const config_setting_t *m, const struct idmap *ix,
                       const char *kind, const char *what)
{
	uint32_t i;

	if (m == NULL)
		return NONE;
	i = idmap_find(ix, config_setting_get_string(m));
	if (i == NONE)
		ERR(L, AT(m), NULL, "%s: %s '%s' does not exist", what, kind,
		    config_setting_get_string(m));
	return i;
}

/*
 * libconfig 1.5 silently truncates integers that do not fit in 32 bits
 * ("x = 99999999999;" reads as 1215752191).  Re-read the literal from the
 * text and refuse anything that was not read exactly.
 */
static bool int_exact(struct source *src, const config_setting_t *m, long long *out)
{
	const char *s = line_start(src, src_line(m));
	long long v = config_setting_get_int64(m);
	size_t nlen = strlen(m->name);

	for (; s != NULL && *s && *s != '\n'; s++) {
		if (strncmp(s, m->name, nlen) == 0 && (s == src->text || s[-1] == ' ' ||
		    s[-1] == '\t' || s[-1] == '{' || s[-1] == ';' || s[-1] == '\n')) {
			const char *q = s + nlen;
			char *end;
			long long lit;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q != '=' && *q != ':')
				continue;
			q++;
			while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
				q++;   /* "warn_days =\n  99999999999;" */
			errno = 0;
			lit = strtoll(q, &end, 0);
			if (end == q)
				continue;
			if (errno == ERANGE || lit != v)
				return false;
			*out = v;
			return true;
		}
	}
	return false;   /* the literal is not where libconfig read it: do not trust v */
}

static int int_setting(struct loader *L, struct source *src, const config_setting_t *m,
                       int dflt, int lo, int hi)
{
	long long v;

	if (m == NULL)
		return dflt;
	if (!int_exact(src, m, &v) || v < lo || v > hi) {
		ERR(L, AT(m), NULL, "settings: %s must be an integer from %d to %d", m->name, lo, hi);
		return dflt;
	}
	return (int)v;
}

/* ---- file-level parsing ----------------------------------------------- */

static char *absolute_path(struct loader *L, const char *base_dir, const char *path)
{
	char *r;
	size_t n;

	if (path[0] == '/')
		return dup_or_null(L, path);
	n = strlen(base_dir) + strlen(path) + 2;
	r = arena_alloc(&L->p->mem, n);
	if (r == NULL) {
		L->nomem = true;
		return NULL;
	}
	snprintf(r, n, "%s/%s", base_dir, path);
	return r;
}

static char *folder_of(struct loader *L, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *r;

	if (slash == path)
		return dup_or_null(L, "/");
	r = arena_strndup(&L->p->mem, path, (size_t)(slash - path));
	if (r == NULL)
		L->nomem = true;
	return r;
}

/* libconfig's parse of text: through a memory stream, as
 * config_read_file() reads a file (config_read_string() first copies the
 * text a byte at a time). */
static bool read_config(config_t *cfg, char *text, size_t len)
{
	FILE *f = len > 0 ? fmemopen(text, len, "r") : NULL;
	int ok;

	if (f == NULL)
		return config_read_string(cfg, text) == CONFIG_TRUE;
	ok = config_read(cfg, f);
	fclose(f);
	return ok == CONFIG_TRUE;
}

static smp_status parse_source(struct loader *L, struct source *s, const char *read_from)
{
	smp_status rc;

	rc = file_read_secure(s->path, read_from, L->flags, &s->text, &s->len, L->d);
	s->status = rc;
	if (rc != SMP_OK) {
		L->failed = true;
		return rc;
	}
	digest_of(s->text, s->len, &s->digest);
	config_init(&s->cfg);
	s->parsed = true;
	config_set_auto_convert(&s->cfg, 0);
	if (!read_config(&s->cfg, s->text, s->len)) {
		ERR(L, s->path, (unsigned)config_error_line(&s->cfg), NULL, "%s",
		    config_error_text(&s->cfg) ? config_error_text(&s->cfg) : "syntax error");
		return SMP_ERR_PARSE;
	}
	config_root_setting(&s->cfg)->hook = s;
	return SMP_OK;
}

static const struct field conf_top[] = {
	{ "version", F_INT, true }, { "settings", F_GROUP, true },
	{ "platforms", F_LIST, false }, { "offices", F_LIST, false }, { NULL, 0, false },
};

enum { SET_RECORDS, SET_MAX, SET_CAP_COUNTS, SET_WARN_DAYS, SET_LT_MAX, SET_AUDIT, SET_N };
static const struct field settings_fields[SET_N + 1] = {
	[SET_RECORDS] = { "records", F_STRLIST, true },
	[SET_MAX] = { "max_approved_per_office", F_INT, false },
	[SET_CAP_COUNTS] = { "cap_counts", F_STR, false },
	[SET_WARN_DAYS] = { "warn_days", F_INT, false },
	[SET_LT_MAX] = { "long_term_max_days", F_INT, false },
	[SET_AUDIT] = { "audit", F_STR, false },
};

static const struct field records_top[] = {
	{ "staff", F_LIST, false }, { "devices", F_LIST, false },
	{ "accounts", F_LIST, false }, { "approvals", F_LIST, false }, { NULL, 0, false },
};

static void parse_settings(struct loader *L, const config_setting_t *root,
                           const char *conf_dir)
{
	const config_setting_t *st = member(root, "settings", F_GROUP);
	const config_setting_t *v = member(root, "version", F_INT);
	struct settings *set = &L->p->set;
	const config_setting_t *m[SET_N];
	const char *cc, *audit;
	long long ver;

	if (v != NULL && (!int_exact(L->src[0], v, &ver) || ver != 1))
		ERR(L, AT(v), NULL, "version must be 1 (this is libsmpolicy 1)");
	set->max_per_office = 2;
	set->warn_days = 14;
	set->long_term_max_days = 365;
	if (st == NULL || !take_fields(L, st, "settings", settings_fields, m))
		return;
	set->max_per_office = int_setting(L, L->src[0], m[SET_MAX], 2, 1, 1000000);
	set->warn_days = int_setting(L, L->src[0], m[SET_WARN_DAYS], 14, 0, 36500);
	set->long_term_max_days = int_setting(L, L->src[0], m[SET_LT_MAX], 365, 1, 36500);
	cc = str_of(m[SET_CAP_COUNTS]);
	if (cc != NULL && strcmp(cc, "all") != 0 && strcmp(cc, "long_term") != 0)
		ERR(L, AT(m[SET_CAP_COUNTS]), NULL,
		    "settings: cap_counts must be \"all\" or \"long_term\", not '%s'", cc);
	set->cap_long_term_only = cc != NULL && strcmp(cc, "long_term") == 0;
	audit = str_of(m[SET_AUDIT]);
	if (audit != NULL && audit[0] == '\0')
		ERR(L, AT(m[SET_AUDIT]), NULL, "settings: audit must not be empty");
	else if (audit != NULL)
		set->audit = absolute_path(L, conf_dir, audit);
}

static bool open_records(struct loader *L, const config_setting_t *root, const char *conf_dir,
                         const char *override_path, const char *override_from)
{
	const config_setting_t *st = member(root, "settings", F_GROUP);
	const config_setting_t *rec = st ? member(st, "records", F_STRLIST) : NULL;
	size_t n;

	if (rec == NULL)
		return false;
	n = (size_t)config_setting_length(rec);
	if (n == 0) {
		ERR(L, AT(rec), NULL, "settings: records must name at least one file");
		return false;
	}
	struct source **grown = realloc(L->src, (n + 1) * sizeof(*L->src));

	if (grown == NULL) {
		L->nomem = true;
		return false;
	}
	L->src = grown;
	L->p->records_paths = arena_alloc(&L->p->mem, (n + 1) * sizeof(char *));
	if (L->p->records_paths == NULL) {
		L->nomem = true;
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(rec, (unsigned)i);
		const char *name = config_setting_get_string(e);
		struct source *s;

		if (name[0] == '\0') {
			ERR(L, AT(e), NULL, "settings: records: empty file name");
			continue;
		}
		char *path = absolute_path(L, conf_dir, name);
		bool twice = false;

		if (path == NULL)
			return false;
		for (size_t j = 1; j < L->nsrc; j++)
			twice = twice || strcmp(L->src[j]->path, path) == 0;
		if (twice) {
			ERR(L, AT(e), NULL, "settings: records: '%s' is named twice", name);
			continue;
		}
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			L->nomem = true;
			return false;
		}
		L->src[L->nsrc] = s;
		L->nsrc++;
		s->path = path;
		L->p->records_paths[L->p->nrecords++] = s->path;
		parse_source(L, s, (override_path && strcmp(override_path, s->path) == 0)
		                       ? override_from : NULL);
		if (s->parsed && config_error_type(&s->cfg) == CONFIG_ERR_NONE)
			check_fields(L, config_root_setting(&s->cfg), "records file", records_top);
	}
	if (L->p->set.audit == NULL && L->p->nrecords > 0) {
		char *dir = folder_of(L, L->p->records_paths[0]);

		if (dir != NULL)
			L->p->set.audit = absolute_path(L, dir, "audit.log");
	}
	return true;
}

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
                                              struct idmap *ix)
{
	size_t n = count_entries(L, list, from, to), k = 0;
	struct entry_iter it = { L, from, to, -1, list, NULL };
	const config_setting_t **ents = calloc(n + 1, sizeof(*ents));
	const config_setting_t *e;

	*array = arena_alloc(&L->p->mem, (n + 1) * elem);
	if (ents == NULL || *array == NULL || !idmap_init(ix, &L->p->mem, n)) {
		free(ents);
		L->nomem = true;
		return NULL;
	}
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
			ERR(L, AT(idm), id, "duplicate %s id '%s' (first defined at %s:%u)", kind, id,
			    ents[prev] ? src_file(ents[prev]) : "?",
			    ents[prev] ? ents[prev]->line : 0);
			*slot = NULL;
			continue;
		}
		ents[k++] = e;
	}
	*count = k;
	return ents;
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

static void load_platforms(struct loader *L)
{
	smp_policy *p = L->p;
	const config_setting_t **e = index_entries(L, "platforms", "platform", 0, 1,
	                                           (void **)&p->platforms, sizeof(*p->platforms),
	                                           &p->nplatforms, &p->platform_ix);

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

static void load_offices(struct loader *L)
{
	smp_policy *p = L->p;
	const config_setting_t **e = index_entries(L, "offices", "office", 0, 1,
	                                           (void **)&p->offices, sizeof(*p->offices),
	                                           &p->noffices, &p->office_ix);

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

enum { ST_ID, ST_NAME, ST_OFFICE, ST_ROLES, ST_SUPERVISOR, ST_N };
static const struct field staff_fields[ST_N + 1] = {
	[ST_ID] = { "id", F_STR, true }, [ST_NAME] = { "name", F_STR, false },
	[ST_OFFICE] = { "office", F_STR, true }, [ST_ROLES] = { "roles", F_STRLIST, true },
	[ST_SUPERVISOR] = { "supervisor", F_STR, false },
};

static const struct {
	const char *name;
	unsigned bit;
} role_names[] = {
	{ "worker", ROLE_WORKER }, { "supervisor", ROLE_SUPERVISOR },
	{ "local_office_manager", ROLE_LOM }, { "director_cpp", ROLE_DIRECTOR_CPP },
	{ "director_it", ROLE_DIRECTOR_IT },
};

static unsigned parse_roles(struct loader *L, const config_setting_t *m, const char *what)
{
	unsigned bits = 0;

	for (int i = 0; m && i < config_setting_length(m); i++) {
		const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
		const char *r = config_setting_get_string(e);
		size_t k;

		for (k = 0; k < sizeof(role_names) / sizeof(role_names[0]); k++)
			if (strcmp(role_names[k].name, r) == 0)
				break;
		if (k == sizeof(role_names) / sizeof(role_names[0]))
			ERR(L, AT(e), NULL,
			    "%s: unknown role '%s' (roles: worker, supervisor, local_office_manager, "
			    "director_cpp, director_it)", what, r);
		else
			bits |= role_names[k].bit;
	}
	return bits;
}

static void load_staff(struct loader *L, const config_setting_t **e)
{
	smp_policy *p = L->p;

	for (size_t i = 0; e && i < p->nstaff; i++) {
		struct staff *s = &p->staff[i];
		char wbuf[WHAT_SIZE];
		const char *what = entry_what(wbuf, "staff", s->id);
		const config_setting_t *m[ST_N];

		take_fields(L, e[i], what, staff_fields, m);
		set_where(&s->at, e[i]);
		s->name = dup_or_null(L, str_of(m[ST_NAME]));
		s->office = ref_of(L, m[ST_OFFICE], &p->office_ix, "office", what);
		s->roles = parse_roles(L, m[ST_ROLES], what);
		s->supervisor = ref_of(L, m[ST_SUPERVISOR], &p->staff_ix, "staff member", what);
		if (s->supervisor == i)
			ERR(L, AT(e[i]), s->id, "%s: is their own supervisor", what);
	}
}

enum { DV_ID, DV_KIND, DV_OWNER, DV_OFFICE, DV_APPS, DV_N };
static const struct field device_fields[DV_N + 1] = {
	[DV_ID] = { "id", F_STR, true }, [DV_KIND] = { "kind", F_STR, true },
	[DV_OWNER] = { "owner", F_STR, true }, [DV_OFFICE] = { "office", F_STR, false },
	[DV_APPS] = { "apps", F_STRLIST, false },
};

static void load_devices(struct loader *L, const config_setting_t **e)
{
	smp_policy *p = L->p;

	for (size_t i = 0; e && i < p->ndevices; i++) {
		struct device *dv = &p->devices[i];
		char wbuf[WHAT_SIZE];
		const char *what = entry_what(wbuf, "device", dv->id);
		const config_setting_t *m[DV_N];
		const char *kind, *owner;

		take_fields(L, e[i], what, device_fields, m);
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
	}
}

enum { AC_ID, AC_PLATFORM, AC_HANDLE, AC_HOLDER, AC_OFFICIAL, AC_PERSONAL, AC_SUPERVISOR,
       AC_PW_CHANGED, AC_PW_ESCROWED, AC_COMPROMISED, AC_N };
static const struct field account_fields[AC_N + 1] = {
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

static void load_accounts(struct loader *L, const config_setting_t **e)
{
	smp_policy *p = L->p;

	for (size_t i = 0; e && i < p->naccounts; i++) {
		struct account *a = &p->accounts[i];
		char wbuf[WHAT_SIZE];
		const char *what = entry_what(wbuf, "account", a->id);
		const config_setting_t *m[AC_N], *c, *cm[CO_N];

		take_fields(L, e[i], what, account_fields, m);
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
	}
}

enum { AP_ID, AP_STAFF, AP_KIND, AP_PLATFORMS, AP_TICKET, AP_REQUESTED_BY, AP_REQUESTED,
       AP_CPP, AP_IT, AP_STARTS, AP_EXPIRES, AP_REVOKED, AP_N };
static const struct field approval_fields[AP_N + 1] = {
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

enum { SO_BY, SO_ON, SO_N };
static const struct field sign_off_fields[SO_N + 1] = {
	[SO_BY] = { "by", F_STR, true }, [SO_ON] = { "on", F_TIME, true },
};

enum { RV_ON, RV_BY, RV_REASON, RV_N };
static const struct field revoked_fields[RV_N + 1] = {
	[RV_ON] = { "on", F_TIME, true }, [RV_BY] = { "by", F_STR, true },
	[RV_REASON] = { "reason", F_STR, true },
};

static void load_sign_off(struct loader *L, const config_setting_t *g, const char *what,
                          struct sign_off *so)
{
	const config_setting_t *m[SO_N];
	struct opt_time on;

	if (g == NULL || !take_fields(L, g, what, sign_off_fields, m))
		return;
	so->by = ref_of(L, m[SO_BY], &L->p->staff_ix, "staff member", what);
	if (!time_of(L, m[SO_ON], SMP_TIME_START, what, &on) || so->by == NONE)
		return;
	so->present = true;
	so->on = on.t;
	set_where(&so->at, g);
}

static void load_approval(struct loader *L, const config_setting_t *e, struct approval *a)
{
	smp_policy *p = L->p;
	char wbuf[WHAT_SIZE];
	const char *what = entry_what(wbuf, "approval", a->id);
	const config_setting_t *m[AP_N], *rm[RV_N];
	const char *kind, *ticket;

	take_fields(L, e, what, approval_fields, m);
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
	a->requested_by = ref_of(L, m[AP_REQUESTED_BY], &p->staff_ix, "staff member", what);
	time_of(L, m[AP_REQUESTED], SMP_TIME_START, what, &a->requested);
	load_sign_off(L, m[AP_CPP], what, &a->cpp);
	load_sign_off(L, m[AP_IT], what, &a->it);
	time_of(L, m[AP_STARTS], SMP_TIME_START, what, &a->starts);
	time_of(L, m[AP_EXPIRES], SMP_TIME_END, what, &a->expires);
	if (m[AP_REVOKED] != NULL && take_fields(L, m[AP_REVOKED], what, revoked_fields, rm)) {
		struct opt_time on;

		a->revoked.by = ref_of(L, rm[RV_BY], &p->staff_ix, "staff member", what);
		a->revoked.reason = dup_or_null(L, str_of(rm[RV_REASON]));
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

static void load_records(struct loader *L)
{
	smp_policy *p = L->p;
	size_t n = L->nsrc;
	const config_setting_t **st, **dv, **ac, **ap;

	/* ids first, so that references may point forward and across files */
	st = index_entries(L, "staff", "staff", 1, n, (void **)&p->staff, sizeof(*p->staff),
	                   &p->nstaff, &p->staff_ix);
	dv = index_entries(L, "devices", "device", 1, n, (void **)&p->devices,
	                   sizeof(*p->devices), &p->ndevices, &p->device_ix);
	ac = index_entries(L, "accounts", "account", 1, n, (void **)&p->accounts,
	                   sizeof(*p->accounts), &p->naccounts, &p->account_ix);
	ap = index_entries(L, "approvals", "approval", 1, n, (void **)&p->approvals,
	                   sizeof(*p->approvals), &p->napprovals, &p->approval_ix);
	if (st && dv && ac && ap && !L->nomem) {
		load_staff(L, st);
		load_devices(L, dv);
		load_accounts(L, ac);
		for (size_t i = 0; i < p->napprovals && !L->nomem; i++)
			load_approval(L, ap[i], &p->approvals[i]);
		if (!L->nomem)
			link_staff(L);
	}
	free(st);
	free(dv);
	free(ac);
	free(ap);
}

/* ---- the entry points ------------------------------------------------- */


static char *make_config_path(struct loader *L, const char *path)
{
	char *abs = config_path_absolute(path), *r;

	if (abs == NULL) {
		if (errno == ENOMEM)
			L->nomem = true;
		else
			ERR(L, path, 0, NULL, "cannot resolve a relative path: %s", strerror(errno));
		return NULL;
	}
	r = dup_or_null(L, abs);
	free(abs);
	return r;
}

/* What the compiled cache needs of this load: the sources' digests, the
 * zone's answers and the cache's path.  False on OOM. */
static bool keep_provenance(struct loader *L)
{
	smp_policy *p = L->p;
	size_t len = strlen(p->config_path);

	if (L->zone.oom || L->nsrc != p->nrecords + 1)
		return false;
	p->digests = arena_alloc(&p->mem, L->nsrc * sizeof(*p->digests));
	p->zone = arena_alloc(&p->mem, (L->zone.n + 1) * sizeof(*p->zone));
	p->cache_path = arena_alloc(&p->mem, len + sizeof(".cache"));
	if (p->digests == NULL || p->zone == NULL || p->cache_path == NULL)
		return false;
	for (size_t i = 0; i < L->nsrc; i++)
		p->digests[i] = L->src[i]->digest;
	if (L->zone.n > 0)
		memcpy(p->zone, L->zone.v, L->zone.n * sizeof(*p->zone));
	p->nzone = L->zone.n;
	memcpy(p->cache_path, p->config_path, len);
	memcpy(p->cache_path + len, ".cache", sizeof(".cache"));
	return true;
}

static smp_status finish(struct loader *L, smp_status rc, smp_policy **out, smp_diags **diags)
{
	if (rc == SMP_OK && !L->failed && !L->nomem && !keep_provenance(L))
		L->nomem = true;
	time_log_free(&L->zone);
	for (size_t i = 0; i < L->nsrc; i++) {
		if (L->src[i]->parsed)
			config_destroy(&L->src[i]->cfg);
		free(L->src[i]->text);
		free(L->src[i]->lines);
		free(L->src[i]);
	}
	free(L->src);
	time_memo_free(&L->times);
	if (rc == SMP_OK && L->nomem)
		rc = SMP_ERR_NOMEM;
	if (rc == SMP_OK && (L->failed || smp_diags_errors(L->d) > 0))
		rc = SMP_ERR_PARSE;
	if (L->d->oom && rc == SMP_OK)
		rc = SMP_ERR_NOMEM;
	if (rc != SMP_OK) {
		smp_policy_free(L->p);
		L->p = NULL;
	}
	*out = L->p;
	diags_sort(L->d);
	if (diags != NULL && smp_diags_count(L->d) > 0) {
		*diags = L->d;
	} else {
		if (diags != NULL && rc == SMP_ERR_NOMEM && L->d->n == 0)
			*diags = NULL;
		smp_diags_free(L->d);
	}
	return rc;
}

smp_status policy_load_ex(const char *config_path, unsigned flags,
                          const char *records_path, const char *records_from,
                          smp_policy **out, smp_diags **diags)
{
	struct loader L = { 0 };
	const char *conf_dir;
	smp_status rc;

	if (diags != NULL)
		*diags = NULL;
	if (out == NULL)
		return SMP_ERR_ARG;
	*out = NULL;
	if (config_path == NULL)
		config_path = SMP_DEFAULT_CONFIG;
	L.flags = flags;
	L.times.log = &L.zone;
	L.d = diags_new();
	L.p = calloc(1, sizeof(*L.p));
	L.src = calloc(1, sizeof(*L.src));
	if (L.src != NULL)
		L.src[0] = calloc(1, sizeof(**L.src));
	if (L.d == NULL || L.p == NULL || L.src == NULL || L.src[0] == NULL) {
		smp_diags_free(L.d);
		free(L.p);
		if (L.src != NULL)
			free(L.src[0]);
		free(L.src);
		return SMP_ERR_NOMEM;
	}
	L.nsrc = 1;
	L.p->config_path = make_config_path(&L, config_path);
	if (L.p->config_path == NULL)
		return finish(&L, L.nomem ? SMP_ERR_NOMEM : SMP_ERR_IO, out, diags);
	L.src[0]->path = L.p->config_path;
	rc = parse_source(&L, L.src[0], NULL);
	if (rc != SMP_OK)
		return finish(&L, rc, out, diags);
	check_fields(&L, config_root_setting(&L.src[0]->cfg), "smpolicy.conf", conf_top);
	conf_dir = folder_of(&L, L.p->config_path);
	if (conf_dir == NULL)
		return finish(&L, SMP_ERR_NOMEM, out, diags);
	parse_settings(&L, config_root_setting(&L.src[0]->cfg), conf_dir);
	load_platforms(&L);
	load_offices(&L);
	if (!open_records(&L, config_root_setting(&L.src[0]->cfg), conf_dir, records_path,
	                  records_from))
		return finish(&L, L.nomem ? SMP_ERR_NOMEM : SMP_ERR_PARSE, out, diags);
	for (size_t i = 1; i < L.nsrc; i++) {
		if (!L.src[i]->parsed || config_error_type(&L.src[i]->cfg) != CONFIG_ERR_NONE) {
			/* report what we can of the others, but an unreadable file
			 * is a failure of its own kind */
			rc = L.src[i]->parsed ? SMP_ERR_PARSE : L.src[i]->status;
		}
	}
	load_records(&L);
	if (rc == SMP_OK && !L.failed && !L.nomem && !policy_derive(L.p, &L.zone))
		L.nomem = true;
	return finish(&L, rc, out, diags);
}

