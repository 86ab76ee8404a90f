/*
 * tree.c - the records as libconfig trees (the grammar of smpolicy.conf(5), whatever
 * source wrote them): reading a source's text into its tree, where each
 * setting stands (FILE:LINE), its type against the schema's tables, its
 * value, and the structural errors they give.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sources/tree.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void err_at(struct loader *L, const char *file, unsigned line, const char *subject,
            const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (L->rec != NULL) {
		void_at(L, file, line, L->rec->id, msg);
		/* the reason a decision gives, without the "approval 'X': " the
		 * decision says already */
		const char *why = msg;
		size_t k = L->rec->what != NULL ? strlen(L->rec->what) : 0;

		if (k > 0 && strncmp(msg, L->rec->what, k) == 0 && strncmp(msg + k, ": ", 2) == 0)
			why = msg + k + 2;
		if (L->rec->why == NULL && (L->rec->why = dup_or_null(L, why)) == NULL)
			L->nomem = true;
		return;
	}
	L->failed = true;
	if (!diags_add(L->d, file, line, SMP_SEV_ERROR, subject, "%s", msg))
		L->nomem = true;
}

void void_at(struct loader *L, const char *file, unsigned line, const char *id,
             const char *msg)
{
	struct void_record *v;

	if (L->nvoids == L->capvoids) {
		size_t nc = L->capvoids ? L->capvoids * 2 : 16;
		struct void_record *nv = realloc(L->voids, nc * sizeof(*nv));

		if (nv == NULL) {
			L->nomem = true;
			return;
		}
		L->voids = nv;
		L->capvoids = nc;
	}
	v = &L->voids[L->nvoids];
	memset(v, 0, sizeof(*v));   /* padding too: it is copied into the compiled cache */
	v->at.file = file;   /* a source's path: in the policy's arena */
	v->at.line = line;
	v->subject = id != NULL ? dup_or_null(L, id) : NULL;
	v->why = dup_or_null(L, msg);
	if (v->why == NULL || (id != NULL && v->subject == NULL))
		L->nomem = true;
	else
		L->nvoids++;
}

static struct source *src_of(const config_setting_t *s)
{
	/* every setting knows its config_t; the loader keeps its source in
	 * the root setting's hook */
	return s != NULL ? s->config->root->hook : NULL;
}

const char *src_file(const config_setting_t *s)
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
unsigned src_line(const config_setting_t *s)
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


/* ---- the schema ------------------------------------------------------- */


const char *ftype_name(enum ftype t)
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

bool type_matches(const config_setting_t *s, enum ftype t)
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

		/* a short name is near too many: "cap" is not a typo of "ldap" */
		if (dist < bestd && dist <= strlen(name) / 2) {
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

bool take_fields(struct loader *L, const config_setting_t *g, const char *what,
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

bool check_fields(struct loader *L, const config_setting_t *g, const char *what,
                  const struct field *fields)
{
	const config_setting_t *m[MAX_FIELDS];

	return take_fields(L, g, what, fields, m);
}

/* The member name of g if present with the right type, else NULL (a wrong
 * type has already been reported by check_fields); for the few settings
 * looked up once per file. */
const config_setting_t *member(const config_setting_t *g, const char *name,
                               enum ftype t)
{
	const config_setting_t *m = config_setting_get_member(g, name);

	return (m != NULL && type_matches(m, t)) ? m : NULL;
}

/* The value of a member taken by take_fields(), or a default if absent. */
const char *str_of(const config_setting_t *m)
{
	return m ? config_setting_get_string(m) : NULL;
}

bool bool_of(const config_setting_t *m, bool dflt)
{
	return m ? config_setting_get_bool(m) != 0 : dflt;
}

char *dup_or_null(struct loader *L, const char *s)
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
bool time_of(struct loader *L, const config_setting_t *m, smp_time_edge edge,
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
uint32_t ref_of(struct loader *L, const config_setting_t *m, const struct idmap *ix,
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

uint32_t author_of(struct loader *L, const config_setting_t *m, const struct idmap *ix,
                   char **absent)
{
	uint32_t i;

	*absent = NULL;
	if (m == NULL)
		return NONE;
	i = idmap_find(ix, config_setting_get_string(m));
	if (i == NONE && (*absent = dup_or_null(L, config_setting_get_string(m))) == NULL)
		L->nomem = true;
	return i;
}

/*
 * libconfig 1.5 silently truncates integers that do not fit in 32 bits
 * ("x = 99999999999;" reads as 1215752191).  Re-read the literal from the
 * text and refuse anything that was not read exactly.
 */
bool int_exact(struct source *src, const config_setting_t *m, long long *out)
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

int int_setting(struct loader *L, struct source *src, const config_setting_t *m,
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

char *absolute_path(struct loader *L, const char *base_dir, const char *path)
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

char *folder_of(struct loader *L, const char *path)
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
bool read_config(config_t *cfg, char *text, size_t len)
{
	FILE *f = len > 0 ? fmemopen(text, len, "r") : NULL;
	int ok;

	if (f == NULL)
		return config_read_string(cfg, text) == CONFIG_TRUE;
	ok = config_read(cfg, f);
	fclose(f);
	return ok == CONFIG_TRUE;
}

void source_drop(struct source *s)
{
	if (s == NULL)
		return;
	if (s->parsed)
		config_destroy(&s->cfg);
	free(s->text);
	free(s->lines);
	free(s);
}

smp_status parse_source(struct loader *L, struct source *s, const char *read_from)
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
