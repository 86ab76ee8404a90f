/*
 * policy.h - what policy/ defines for the folders above it (decision/,
 * sync/, edit/) and the tests.  Not installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_POLICY_POLICY_H
#define SMP_POLICY_POLICY_H

#include "records/records.h"
#include "sources/source.h"

/* query.c, suggest.c */
uint32_t policy_find_platform(const smp_policy *p, const char *id);
uint32_t policy_find_office(const smp_policy *p, const char *id);
uint32_t policy_find_staff(const smp_policy *p, const char *id);
uint32_t policy_find_device(const smp_policy *p, const char *id);
uint32_t policy_find_account(const smp_policy *p, const char *id);
uint32_t policy_find_approval(const smp_policy *p, const char *id);
/* The id of that kind nearest to id (smp_policy_suggest), owned by p; NULL
 * for none, or when id is there. */
const char *policy_suggest(const smp_policy *p, smp_id_kind kind, const char *id);

/* compiled.c: what the files compiled from the records (the cache, the
 * login store) share */

/* The permissions of a file compiled from the records (the compiled cache,
 * the login store): those of the files it was read from, so that it tells
 * no one anything they do not.  Mode 0644 narrowed by each file's mode;
 * their group when they all have the same one, else no access for a
 * group.  perm_add() takes the i-th file's status (i from 0). */
struct perm {
	mode_t mode;
	gid_t gid;
};
void perm_add(struct perm *pm, size_t i, const struct stat *st);
/* Does the compiled file (st) have the permissions pm says? */
bool perm_holds(const struct perm *pm, const struct stat *st);
/* Give the temporary file at fd the permissions pm says; a group that
 * cannot be given (not root) takes the group's access away instead. */
bool set_perm(int fd, struct perm *pm);
/* Take an exclusive flock(2) on "<path>.lock" (mode 0600), waiting up to
 * 10 s unless nowait: one writer of path at a time, so that a writer may
 * remove the others' leftovers.  *fd (when not -1) is the caller's to close. */
smp_status lock_beside(const char *path, bool nowait, int *fd, smp_diags *d);
/* Replace path with size bytes of data (replace_whole()): a temporary
 * file in its folder (stale ones removed: the caller holds lock_beside()),
 * given perm, fsync'd, renamed over path, the folder fsync'd; a folder
 * that cannot be flushed is a warning. */
smp_status replace_file(const char *path, const void *data, size_t size, struct perm *perm,
                        smp_diags *d);

/* file_open_secure() of a compiled file (the cache, the login store): a
 * file that cannot be used is no error but SMP_OK with *why saying why
 * (from quiet, the caller's), for a warning; only SMP_ERR_NOMEM is. */
smp_status compiled_open(const char *path, unsigned flags, uint64_t limit, int *fd,
                         struct stat *st, const char **why, smp_diags *quiet);
/* The end of a public writer: rc (SMP_ERR_NOMEM if d missed one), and d
 * handed to *diags when it says anything (else freed). */
smp_status writer_result(smp_status rc, smp_diags *d, smp_diags **diags);

/* cache.c */

/* The header of a cache file (the tests and the fuzzer forge images with
 * it); the image follows. */
struct cache_header {
	char magic[8];
	uint32_t format;
	uint32_t byte_order;
	char build[80];             /* the build id, NUL-padded */
	uint32_t sizes[8];          /* of the walked types: the ABI, once more */
	uint64_t image_size;        /* the bytes after the header */
	uint64_t digest_lo, digest_hi;   /* XXH3-128 of those bytes */
	uint64_t zero;              /* keeps the image that follows 16-aligned */
};

/* The policy of config_path (absolute) from its compiled cache, if the
 * cache is fresh: SMP_OK and *out; otherwise *out is NULL and *state says
 * why (a rejected cache is explained in d).  Errors of its own
 * (SMP_ERR_NOMEM) are returned; anything wrong with the cache is a miss. */
smp_status cache_load(const char *config_path, unsigned flags, smp_policy **out,
                      smp_cache_state *state, smp_diags *d);
/* The cache file's bytes for p (header and image), malloc'd, in *out and
 * *size: SMP_OK, SMP_ERR_NOMEM, or SMP_ERR_IO with *why (an image that
 * cannot be made: a bug, or a policy over 1 GiB). */
smp_status cache_image(const smp_policy *p, char **out, size_t *size, const char **why);
/* Read a cache file's bytes as cache_load() reads the file, without the
 * freshness checks (tests, fuzzing): *out is the policy, or NULL with
 * *state (SMP_CACHE_STALE or SMP_CACHE_REJECTED) and *why saying why.
 * Returns SMP_OK or SMP_ERR_NOMEM. */
smp_status cache_image_read(const void *data, size_t size, smp_policy **out,
                            smp_cache_state *state, const char **why);

/* The build the compiled files are for: the library's sources and the
 * libconfig that parsed the records. */
const char *cache_build(void);
#define IMAGE_MAX_SIZE (1ull << 30)   /* a larger image is neither written nor read */

/* image.c: the image of p (the compiled cache's format, without its
 * header) behind `room` zeroed bytes: malloc'd, the image's size in
 * *size; NULL with *why on a fault, or on OOM (*why NULL). */
char *image_build(const smp_policy *p, size_t room, uint64_t *size, const char **why);
/* Check the image at img (size bytes, 16-aligned, in p's arena, its digest
 * checked by the caller), relocating it in place, and make p its policy;
 * NULL, or why not.  p->mem is kept, p->login cleared. */
const char *image_adopt(smp_policy *p, char *img, uint64_t size);

/* slice.c: the policy of one staff member (user, or NONE: of no one) cut
 * from p into *q (zeroed by the caller; its arena holds everything): the
 * settings and catalogue, that person's office, staff entry, approvals
 * with what was derived of them, accounts, and the staff entries and
 * offices they name; no devices.  Its zone holds the process's answers at
 * every moment it keeps.  false on OOM (q's arena is the caller's to
 * release). */
bool slice_policy(const smp_policy *p, uint32_t user, smp_policy *q);

/* The policy of src by the reader of its kind (policy.c's table), the
 * settings file not read again to choose it.  state is what the compiled
 * cache of src's settings file said (SMP_CACHE_OFF: not asked), kept in
 * the policy a files world loads; the files reader takes src->settings.
 * SMP_OK always with *out set; anything else with *out NULL and *diags
 * saying why. */
smp_status policy_load_source(struct smp_source *src, unsigned flags,
                              smp_cache_state state, smp_policy **out, smp_diags **diags);

#endif /* SMP_POLICY_POLICY_H */
