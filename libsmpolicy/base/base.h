/*
 * base.h - what every folder of the library uses: the arena, the
 * diagnostics list, the id index, small file operations, the writers'
 * lock and a file replaced whole (base/arena.c, diags.c, idmap.c, files.c,
 * lock.c, replace.c).  Not installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_BASE_H
#define SMP_BASE_H

#include "smpolicy.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMP_MAX_ID_LEN 128

/* ---- arena: every allocation of a loaded policy lives here ------------ */

struct arena_chunk;
struct arena {
	struct arena_chunk *head;
};

void *arena_alloc(struct arena *a, size_t size);          /* zeroed; NULL on OOM */
/* A chunk of its own of exactly size bytes, all counted as used, not
 * zeroed (the compiled cache reads its image into one). */
void *arena_block(struct arena *a, size_t size);
/* The used part of each chunk: writes up to max, returns how many there
 * are.  Every allocation, with its padding (zeroed), lies in one. */
struct arena_span {
	const char *p;
	size_t used;
};
size_t arena_spans(const struct arena *a, struct arena_span *v, size_t max);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_release(struct arena *a);

/* ---- diagnostics ------------------------------------------------------ */

struct smp_diags {
	struct smp_diag *v;
	size_t n, cap;
	struct arena mem;      /* the strings */
	bool oom;              /* a diagnostic could not be recorded */
};

smp_diags *diags_new(void);
/* Append one diagnostic; message is printf-style.  Returns false on OOM
 * (and marks diags->oom). */
bool diags_add(smp_diags *d, const char *file, unsigned line, smp_severity sev,
               const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void diags_sort(smp_diags *d);   /* by file, then line; stable */
/* Append copies of every diagnostic of from to *into (made if NULL), and
 * sort it; false on OOM. */
bool diags_merge(smp_diags **into, const smp_diags *from);

#define NONE UINT32_MAX   /* no index */

/* ---- id index: open addressing, id -> index ------------------------- */

struct idslot {
	const char *key;    /* NULL = empty */
	uint32_t idx;
	uint32_t hash;      /* of key: a probe compares it before the key */
	char head[16];      /* key's first 16 bytes, NUL-padded: a key shorter
	                       than that is compared here, without reading key */
};

struct idmap {
	struct idslot *slot;
	size_t mask;
};

bool idmap_init(struct idmap *m, struct arena *a, size_t n);
/* Insert key -> idx.  Returns NONE on success, or the index already
 * holding key. */
uint32_t idmap_insert(struct idmap *m, const char *key, uint32_t idx);
uint32_t idmap_find(const struct idmap *m, const char *key);   /* NONE if absent */

/* ---- ids, paths, files, locks ---------------------------------------- */

bool id_is_valid(const char *s);
/* The folder (into dir, at most ndir bytes) and the name of a path. */
void split_path(const char *path, char *dir, size_t ndir, const char **base);
/* write(2) all of data; false with errno set. */
bool write_all(int fd, const void *data, size_t n);
/* fsync(2) the folder dir, so that a rename into it lasts; false with
 * errno set. */
bool fsync_folder(const char *dir);
/* Remove the files of folder dir named prefix and six characters more:
 * the temporary files of mkstemp(prefix "XXXXXX") left by a writer that
 * was killed (the caller holds the lock under which they are made). */
void remove_temps(const char *dir, const char *prefix);
/* Milliseconds of CLOCK_MONOTONIC. */
int64_t now_ms(void);
/* Open (creating it 0600) the lock file at path and take an exclusive
 * flock(2) on it, trying until deadline (of now_ms()) unless nowait.
 * Returns SMP_OK, SMP_ERR_LOCK (held elsewhere) or SMP_ERR_IO (errno set;
 * *fd is -1 when the file could not be opened).  *fd, when not -1, is the
 * caller's to close, which releases the lock. */
smp_status flock_path(const char *path, bool nowait, int64_t deadline, int *fd);

/* ---- replacing a file whole (replace.c) ------------------------------- */

/* The steps of a replacement, in order; a failure names its step. */
enum replace_step {
	REPLACE_DONE,      /* none failed */
	REPLACE_NOMEM,     /* the temporary file's name could not be made */
	REPLACE_CREATE,    /* the temporary file could not be created */
	REPLACE_WRITE,     /* its owner and mode, its bytes, fsync(2), close(2) */
	REPLACE_RENAME,    /* renamed over the file: the old file stays */
	REPLACE_FOLDER,    /* the folder's fsync(2): the new file is in place,
	                      but a crash now may bring the old one back */
};

/* Give the new temporary file fd its owner and mode (before any byte is
 * written to it); false with errno set. */
typedef bool replace_perm_fn(int fd, void *arg);

struct replacement {
	char *tmp;                 /* the temporary file, malloc'd; NULL if none */
	bool installed;            /* renamed over the file: nothing to remove */
	enum replace_step failed;  /* after a failure: its step (errno says why) */
};

/* Write size bytes of data to a new temporary file in path's folder, named
 * prefix and six characters (prefix NULL: ".NAME.tmp-", NAME path's last
 * component), given its owner and mode by perm(fd, arg), fsync'd and
 * closed.  False with r->failed and errno set.  Either way the caller
 * ends with replace_free(r). */
bool replace_write(struct replacement *r, const char *path, const char *prefix,
                   replace_perm_fn *perm, void *arg, const void *data, size_t size);
/* Rename r's temporary file over path, then fsync path's folder so that
 * the rename lasts.  False with r->failed (REPLACE_RENAME: the old file
 * is whole; REPLACE_FOLDER: the new one is in place) and errno. */
bool replace_install(struct replacement *r, const char *path);
/* Remove the temporary file unless installed, and free r->tmp; errno is
 * kept. */
void replace_free(struct replacement *r);
/* replace_write() then replace_install(): the old file or the new, whole,
 * whatever fails and wherever a crash comes.  The caller holds the
 * writers' lock of path (prefix's leftovers are its to remove). */
bool replace_whole(struct replacement *r, const char *path, const char *prefix,
                   replace_perm_fn *perm, void *arg, const void *data, size_t size);

#endif /* SMP_BASE_H */
