/*
 * directory_sync.h - the pieces of smp_directory_sync() (smpolicy-ldap(5)): the
 * one connection (directory_conn.c), the reading of the directory into
 * entries (directory_read.c), their rendering as a files world
 * (directory_render.c), for the sync above them (sync/directory.c) and
 * the directory's writer (edit/edit_ldap*.c); the only files of the
 * library that call libldap, and none of them is reached from a login.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_DIRECTORY_SYNC_H
#define SMP_DIRECTORY_SYNC_H

#include "sources/directory.h"

#include <ldap.h>

/* ---- the connection (directory_conn.c) -------------------------------- */

struct dir_conn {
	LDAP *ld;
	const struct ldap_settings *s;
	smp_diags *d;
};

/*
 * Connect to s->uri and bind: LDAPv3, s->timeout for connecting and for
 * each operation, TLS always but over ldapi:// (ldaps://: TLS; ldap://:
 * StartTLS, required, and no bind nor search without it; ldapi:// with a
 * ca_file: StartTLS as well), certificates verified (DEMAND, whatever
 * ldap.conf, ldaprc or LDAPTLS_* say), options on this handle only; a simple
 * bind as s->bind_dn with the password of s->bind_password_file (a
 * private file: root's, or the caller's with SMP_LOAD_ALLOW_NONROOT, and
 * neither group- nor other-readable), or none (anonymous).  Returns
 * SMP_OK with c open, or an error with c closed and d saying why:
 * SMP_ERR_DIRECTORY, SMP_ERR_INSECURE / SMP_ERR_IO (the password file),
 * SMP_ERR_NOMEM.
 */
smp_status dir_open(struct dir_conn *c, const struct ldap_settings *s, unsigned flags,
                    smp_diags *d);
void dir_close(struct dir_conn *c);   /* unbinds; c may be closed already */
/* A simple bind of the open c as dn with password (not empty: that would
 * be an unauthenticated bind), from naming where the password came from
 * in the message, or NULL.  SMP_OK or dir_fail()'s. */
smp_status dir_bind(struct dir_conn *c, const char *dn, const char *password,
                    const char *from);

/* Record "URI: WHAT: <the result code as a sentence> (the server's
 * diagnostic message)" in c->d and return SMP_ERR_DIRECTORY (SMP_ERR_NOMEM for
 * LDAP_NO_MEMORY). */
smp_status dir_fail(struct dir_conn *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Called for each entry a search returns, in the server's order; a
 * status other than SMP_OK stops the search and is returned. */
typedef smp_status (*dir_entry_fn)(void *ctx, LDAP *ld, LDAPMessage *e);

/* Search base with scope and filter for attrs (NULL-terminated), paged
 * (LDAP_CONTROL_PAGEDRESULTS) when paged; noobject, if not NULL, is set
 * when base does not exist (no error then). */
smp_status dir_search(struct dir_conn *c, const char *base, int scope, const char *filter,
                      char **attrs, bool paged, dir_entry_fn fn, void *ctx, bool *noobject);

/* ---- DNs ---------------------------------------------------------------- */

/* Is the parsed dn at depth rdns below parsed base (0: dn is base)?
 * Attribute types and values compare without case (ou, dc, cn). */
bool dn_under(LDAPDN dn, LDAPDN base, int *depth);
/* Does rdn read "type=value" (one AVA; case ignored)? */
bool rdn_is(LDAPRDN rdn, const char *type, const char *value);

/* ---- the directory as read (directory_read.c) ------------------------- */

/* One record (or the settings entry) of the directory. */
struct dir_entry {
	const char *dn;                  /* as the server spelled it */
	const struct ldap_kind *kind;    /* NULL: the settings entry */
	const char *id;                  /* the RDN value; NULL for settings */
	const char *const **values;      /* per attribute of the kind's table
	                                    (ldap_settings_attrs for settings):
	                                    NULL-terminated, or NULL if absent */
	char *void_why;                  /* a record's own faults ("; "-joined):
	                                    it is kept, void, under its id */
};

/* An entry in no place a record may be, or with no id a record could be
 * known by, that carries something of ours: void, and named by its DN. */
struct dir_stray {
	const char *dn, *why;
};

struct dir_world {
	struct arena mem;                /* everything below */
	struct dir_entry *v;             /* the server's order */
	size_t n, cap;
	const char *context_csn;         /* "" when the server keeps none */
	size_t records;                  /* entries but the settings entry */
	struct dir_stray *strays;        /* malloc'd */
	size_t nstrays, capstrays;
};

/* ---- the entries as the server sent them (directory_saved.c) ---------- */

/* One attribute of an entry: its name as the server spelled it and its
 * values (each also NUL-terminated, for the checks that read strings). */
struct raw_attr {
	const char *name;
	size_t n;
	struct berval *v;
};

/* One entry: its DN, its attributes, and its entryUUID when it came from
 * a content synchronization (RFC 4533). */
struct raw_entry {
	unsigned char uuid[16];
	bool has_uuid;
	bool deleted;        /* removed by a later change */
	bool seen;           /* named by the current refresh */
	const char *dn;
	size_t nattrs;
	struct raw_attr *attrs;
};

/* The entries in the server's order (an entry changed keeps its place, an
 * entry added goes last, as back-mdb orders them), findable by UUID, and
 * the sync cookie that stands for them. */
struct raw_world {
	struct arena mem;
	struct raw_entry **v;
	size_t n, cap, live;
	size_t *slot;            /* open addressing: index in v + 1, or 0 */
	size_t mask;
	struct berval cookie;    /* bv_len 0: none */
	size_t received;         /* entries the last refresh changed, added or
	                            deleted (named, or by absence) */
};

/* The entry of r with this UUID that is not deleted, or NULL. */
struct raw_entry *raw_find(const struct raw_world *r, const unsigned char *uuid);
/* Keep e (a search entry of ld), with uuid if not NULL: an entry with the
 * same UUID is replaced in its place, others are added last.  *out (if
 * not NULL) is the entry kept.  SMP_OK or SMP_ERR_NOMEM. */
smp_status raw_put(struct raw_world *r, LDAP *ld, LDAPMessage *e, const unsigned char *uuid,
                   struct raw_entry **out);
/* Put r->v[first..n) in the order given (the same entries, reordered);
 * false if out of memory, r unchanged. */
bool raw_reorder(struct raw_world *r, size_t first, struct raw_entry *const *order);
void raw_delete(struct raw_world *r, struct raw_entry *e);
smp_status raw_set_cookie(struct raw_world *r, const struct berval *cookie);
void raw_world_free(struct raw_world *r);
/* Values of attribute name of e (case ignored), or NULL; *n their count. */
const struct raw_attr *raw_attr(const struct raw_entry *e, const char *name);

/* The file of a copy that keeps its entries and cookie for the next
 * incremental sync (copy-N/DIR_SAVED_FILE): written into folder dir,
 * private, fsynced; read back with every length, count and UUID checked
 * and its digest compared.  dir_saved_read: SMP_OK, or SMP_ERR_PARSE with
 * *why (static or in why_buf) saying what is wrong (SMP_ERR_NOTFOUND: no
 * file; SMP_ERR_NOMEM). */
#define DIR_SAVED_FILE "entries"
smp_status dir_saved_write(const struct raw_world *r, const char *dir, smp_diags *d);
smp_status dir_saved_read(const char *path, unsigned flags, struct raw_world *r,
                          char *why, size_t whysize);
/* The same checks on a buffer (the fuzz-ish tests call it). */
smp_status dir_saved_parse(const unsigned char *data, size_t len, struct raw_world *r,
                           char *why, size_t whysize);

/* The suffix's contextCSN: the naming context of the root DSE that holds
 * the base, its contextCSN values sorted and joined by spaces ("" if the
 * server has none). */
smp_status dir_read_csn(struct dir_conn *c, struct dir_world *w);
/*
 * Read every entry under the base into w, checking each against the
 * table of ldap_map.c: its place (a container's child, cn=settings), its
 * object class, its RDN, the count and syntax of its values.  A fault of
 * one record entry voids that entry alone (dir_entry.void_why, or a
 * dir_stray when it has no place or id); the faults of the settings entry
 * and a missing container go to d named by the DN, and make it
 * SMP_ERR_PARSE; the connection's faults are SMP_ERR_DIRECTORY.
 */
smp_status dir_read_world(struct dir_conn *c, struct dir_world *w, smp_diags *d);
/* The paged search of dir_read_world() alone: every entry under the base
 * into r, in the server's order; with uuids, each with its entryUUID
 * (*without_uuid: how many had none).  A base that does not exist is an
 * error. */
smp_status dir_read_raw(struct dir_conn *c, struct raw_world *r, bool uuids,
                        size_t *without_uuid);
/*
 * The entries r->v[first..n) that a refresh added, in the order the
 * refresh sent them, put in the server's order (the paged read's, by one
 * paged search of their entryUUIDs).  SMP_OK with why "" when placed, or
 * with why saying what did not fit (a full read follows); the
 * connection's faults are errors.
 */
smp_status dir_read_order(struct dir_conn *c, struct raw_world *r, size_t first, char *why,
                          size_t whysize);
/* What a search of the records asks for (NULL-terminated, malloc'd; the
 * names are static). */
char **dir_wanted_attrs(void);
/* The checks of dir_read_world() on entries already read: r into w. */
smp_status dir_place_world(struct dir_conn *c, const struct raw_world *r, struct dir_world *w,
                           smp_diags *d);

/* ---- the incremental sync (directory_syncrepl.c) ---------------------- */

/* How the entries were read. */
struct dir_how {
	bool incremental;       /* the changes since the copy's cookie, applied */
	size_t received;        /* entries the server sent */
	char why[512];          /* a full read: why ("" when incremental) */
};

/*
 * Read the directory into w (as dir_read_world() checks it) and its
 * entries into r: with saved (the entries file of the current copy, or
 * NULL) holding a cookie, an RFC 4533 refreshOnly search applies only
 * the changes since; otherwise, or when the server has no content
 * synchronization, refuses the cookie or sends what does not fit the
 * saved entries, the whole directory is read (the paged search, with
 * each entry's entryUUID, and context_csn, the suffix's as read before,
 * as the next cookie) and how->why says why.  The connection's faults
 * are errors as dir_read_world()'s.
 */
smp_status dir_sync_world(struct dir_conn *c, const char *saved, const char *context_csn,
                          unsigned flags, struct raw_world *r, struct dir_world *w,
                          struct dir_how *how, smp_diags *d);
void dir_world_free(struct dir_world *w);

/*
 * The revocations this machine has seen (revocations.c): put those w no
 * longer has back into its approvals, and (write) add the ones w has to
 * copy_dir/revoked, fsynced.  A warning in d says how many were put back.
 */
smp_status dir_remember_revocations(const char *copy_dir, unsigned flags, bool write,
                                    struct dir_world *w, smp_diags *d);

/* ---- the files world (directory_render.c) ----------------------------- */

/* What a line of a rendered file came from. */
struct dir_line {
	const char *dn;     /* the entry, its container, or the base */
	const char *attr;   /* the attribute, or NULL */
};

struct dir_render {
	struct arena mem;                /* the DNs of containers and base */
	const char *base;                /* where unmapped lines point */
	char *conf_path, *records_path;  /* the two files written */
	struct dir_line *conf_lines, *records_lines;   /* [line - 1] */
	size_t nconf, nrecords;
};

/*
 * Write w into folder dir (which exists) as smpolicy.conf and
 * records.conf in the grammar of smpolicy.conf(5), mode 0644, fsynced, with the
 * map of every line; audit (absolute or NULL) is the settings' audit.
 * Returns SMP_OK, SMP_ERR_IO (d says why), SMP_ERR_NOMEM.
 */
smp_status dir_render(const struct dir_world *w, const struct ldap_settings *s,
                      const char *dir, struct dir_render *r, smp_diags *d);
/* Copy each diagnostic of from into to, a diagnostic of a rendered file
 * named by the entry's DN (and attribute) instead; errors become
 * warnings when demote. False on OOM. */
bool dir_translate(const struct dir_render *r, const smp_diags *from, bool demote,
                   smp_diags *to);
void dir_render_free(struct dir_render *r);

#endif /* SMP_DIRECTORY_SYNC_H */
