/*
 * tree.h - the reader of settings and records files (tree.c): a source's
 * text and its libconfig tree, the state of one load, and the helpers that
 * check a tree against its schema, for the settings (records/load.c,
 * sources/ldap_settings.c) and the entries (records/entries.c).  Not
 * installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_SOURCES_TREE_H
#define SMP_SOURCES_TREE_H

#include "sources/file_secure.h"

#include <libconfig.h>

struct sig_memo;

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

/* The record entry being loaded: a fault found while it is set voids that
 * entry alone (it is kept as void_record) instead of failing the load. */
struct rec_scope {
	const char *id;        /* NULL: an entry without a usable id */
	const char *what;      /* "approval 'X'", how its messages begin */
	char *why;             /* the first fault, in the policy's arena */
};

struct loader {
	smp_policy *p;
	struct rec_scope *rec; /* the entry being loaded, or NULL */
	struct void_record *voids;   /* malloc'd; p->voids on success */
	size_t nvoids, capvoids;
	smp_diags *d;
	unsigned flags;
	struct source **src;   /* [0] is smpolicy.conf, then the records; each
	                          allocated once: libconfig points into them */
	size_t nsrc;
	bool nomem;
	bool failed;           /* a structural error was found */
	struct time_memo times;  /* local days met in time strings */
	struct time_log zone;    /* every answer of the zone the load took */
	struct sig_memo *sig_memo;  /* signatures already verified, or NULL */
};

/* ---- where a setting is ------------------------------------------------ */

/* Record a structural error (marks the load failed). */
void err_at(struct loader *L, const char *file, unsigned line, const char *subject,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A fault of one record entry: voids it (see struct rec_scope) whether or
 * not a scope is set; id NULL for an entry without one. */
void void_at(struct loader *L, const char *file, unsigned line, const char *id,
             const char *msg);
/* ERR(L, file, line, subject, fmt, ...); AT(s) stands for "file, line" */
#define ERR(L, ...) err_at((L), __VA_ARGS__)
const char *src_file(const config_setting_t *s);
unsigned src_line(const config_setting_t *s);
#define AT(s) src_file(s), src_line(s)

/* ---- the schema ------------------------------------------------------- */

enum ftype { F_STR, F_BOOL, F_INT, F_STRLIST, F_TIME, F_GROUP, F_LIST };

struct field {
	const char *name;
	enum ftype type;
	bool required;
};

#define MAX_FIELDS 16   /* the most of any table; seen is a bit mask */

const char *ftype_name(enum ftype t);
bool type_matches(const config_setting_t *s, enum ftype t);
/* Check group g against fields (what names it in messages: "approval
 * 'LT-1'"): every key known, of its type, the required ones present; m[i]
 * receives member fields[i] or NULL.  False if anything was wrong. */
bool take_fields(struct loader *L, const config_setting_t *g, const char *what,
                 const struct field *fields, const config_setting_t **m);
/* take_fields() without keeping the members. */
bool check_fields(struct loader *L, const config_setting_t *g, const char *what,
                  const struct field *fields);
/* Member name of g if present with type t, else NULL. */
const config_setting_t *member(const config_setting_t *g, const char *name, enum ftype t);

/* ---- values ----------------------------------------------------------- */

const char *str_of(const config_setting_t *m);
bool bool_of(const config_setting_t *m, bool dflt);
char *dup_or_null(struct loader *L, const char *s);   /* into the policy's arena */
bool time_of(struct loader *L, const config_setting_t *m, smp_time_edge edge,
             const char *what, struct opt_time *out);
/* An author's reference: the staff index, or NONE with *absent the id
 * as written when no staff entry has it (not a fault by itself: what it
 * decides is validate.c's). */
uint32_t author_of(struct loader *L, const config_setting_t *m, const struct idmap *ix,
                   char **absent);
uint32_t ref_of(struct loader *L, const config_setting_t *m, const struct idmap *ix,
                const char *kind, const char *what);
bool int_exact(struct source *src, const config_setting_t *m, long long *out);
int int_setting(struct loader *L, struct source *src, const config_setting_t *m, int dflt,
                int lo, int hi);

/* ---- sources ---------------------------------------------------------- */

char *absolute_path(struct loader *L, const char *base_dir, const char *path);
char *folder_of(struct loader *L, const char *path);
bool read_config(config_t *cfg, char *text, size_t len);
/* Read s->path securely (or read_from instead, reported as s->path) and
 * parse it into s->cfg. */
smp_status parse_source(struct loader *L, struct source *s, const char *read_from);
/* Free s (its tree, text and lines; its path is not its own); NULL is
 * nothing. */
void source_drop(struct source *s);

#endif /* SMP_SOURCES_TREE_H */
