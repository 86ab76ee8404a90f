/*
 * store.h - the login store's file format, shared by its
 * writer (store_write.c), its reader (store_read.c), the tests and the
 * fuzzer.  Not installed.
 *
 * One file per settings file, in the store folder (default
 * SMP_DEFAULT_STORE_DIR), named after the settings file's path:
 *
 *   struct store_header
 *   struct store_source[nsources]    the files it was compiled from, as
 *                                    stat(2) and XXH3-128 saw them
 *   their paths, each with its NUL
 *   struct store_slot[staff_slots]   an open-addressing index of staff ids
 *   struct store_slot[device_slots]  and of device ids (size 0: empty)
 *   the shared part, 16-aligned: STORE_SHARED_MAGIC (16 bytes with its
 *                                    NULs), the image of the slice of no
 *                                    one (the settings and the catalogue)
 *                                    and that of one staff member (the
 *                                    first of the first 16 whose image is
 *                                    at most STORE_SAMPLE_MAX), if any
 *   the slice of no one, then each slice followed by the id its slot
 *   names: per staff member (16-aligned) cache.c's image of the policy of
 *   that person alone (slice.c), compressed against the shared part as
 *   one LZ4 block (liblz4's block format, the shared part its dictionary,
 *   no frame): what every image repeats, the settings, the catalogue,
 *   the layout of a person's records, is stored there once, and a slice
 *   holds what is its own and where to copy the rest from; per device
 *   (16-aligned) a struct store_device
 *
 * The header, sources and paths (bytes [0, staff_off)) carry one digest,
 * which covers the shared part's place and digest; each slice its own, in
 * its slot, XORed with the shared part's, so that a slice is taken only
 * with the shared part it was compressed against.  A login reads the
 * header, checks it, stats the sources, checks the shared part (a few
 * kilobytes: the catalogue and one person), and reads two slots and two
 * slices, each checked before it is unpacked, and each unpacked image
 * checked by cache.c's two passes: what it costs does not depend on how
 * many records the store holds.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_STORE_H
#define SMP_STORE_H

#include "policy/policy.h"

#include <lz4.h>

#define STORE_MAGIC "SMPLOGN\n"
#define STORE_FORMAT 4u
#define STORE_SHARED_MAGIC "SMPSHRD\n"
#define STORE_BYTE_ORDER 0x01020304u
#define STORE_MAX_SIZE (1ull << 31)       /* a larger store is neither written nor read */
#define STORE_MAX_HEAD (1u << 20)         /* header, sources and paths */
#define STORE_MAX_SLICE (64u << 20)
#define STORE_MAX_SHARED (16u << 20)     /* the shared part */
#define STORE_SAMPLE_MAX (32u << 10)     /* its sample of a person's image */
#define STORE_MAX_SOURCES 4096
/* A source whose mtime or ctime is this close to the compile (or later)
 * may have changed within the same tick of the file system's clock after
 * it was read: a login hashes it (git's "racy clean" rule).  2 s covers
 * the coarse clocks of Linux file systems and the 2 s of FAT. */
#define STORE_RACY_NS (2 * 1000000000LL)

/* One slot of an index: the id at key_off (key_len bytes and a NUL), the
 * low 64 bits of its XXH3-128 in key_hash, and its slice: the size bytes
 * at off, whose XXH3-128 XOR the shared part's is digest_lo/hi; for a
 * staff member (and no one) the raw_size bytes of the image, compressed
 * (an LZ4 block), for a device its plain record (raw_size 0).  check is
 * store_slot_check() of the rest and of the slot's place: a login
 * verifies every slot it passes, empty ones too, so that a damaged slot
 * can never make a known id look unknown (an unknown-user DENY, or
 * device-unknown, for someone the records allow). */
struct store_slot {
	uint64_t key_off;
	uint32_t key_len, raw_size;
	uint64_t key_hash;
	uint64_t off, size;        /* size 0: an empty slot */
	uint64_t digest_lo, digest_hi;
	uint64_t check;
};

/* The check of slot s at place i of its index (s->check ignored). */
uint64_t store_slot_check(const struct store_slot *s, uint64_t i);

struct store_source {
	uint64_t path_off;         /* the absolute path, path_len bytes and a NUL */
	uint32_t path_len, mode;   /* mode: st_mode & 07777 */
	uint64_t dev, ino;
	int64_t size, mtime, ctime;   /* mtime, ctime: ns since the Epoch */
	uint32_t uid, gid;
	uint64_t digest_lo, digest_hi;
};

struct store_header {
	char magic[8];
	uint32_t format, byte_order;
	char build[80];            /* cache_build(), NUL-padded */
	uint64_t file_size;
	int64_t compiled;          /* ns since the Epoch: every source was examined after it */
	uint32_t nsources, nplatforms;
	uint64_t sources_off;
	uint64_t staff_off, staff_slots;   /* slots: a power of two */
	uint64_t device_off, device_slots;
	uint64_t shared_off, shared_size;  /* the shared part */
	uint64_t shared_lo, shared_hi;     /* its XXH3-128 */
	struct store_slot nobody;  /* the slice of no one: an unknown user's */
	uint64_t head_lo, head_hi; /* XXH3-128 of bytes [0, staff_off), these two zero */
};

/* A device's record: then napps uint32_t platform indexes (catalogue
 * order), then its id, id_len bytes and a NUL, then, for a void record
 * (why_len > 0), its fault, why_len bytes and a NUL. */
struct store_device {
	uint32_t kind, dcf_owned, napps, id_len, why_len, zero;
};

/* The bytes of the store of p whose sources (nrecords + 1 of them, in
 * p's order, their path_off ignored) were examined from `compiled` on:
 * malloc'd in *out and *size.  SMP_OK, SMP_ERR_NOMEM, or SMP_ERR_IO with
 * *why (a store that cannot be made). */
smp_status store_image(const smp_policy *p, const struct store_source *sources,
                       int64_t compiled, char **out, size_t *size, const char **why);

/* The policy of user at device from the store's bytes (data, size), as a
 * login reads it once the store is known fresh, without the freshness
 * checks (tests, fuzzing): *out, or NULL with *state (SMP_CACHE_STALE or
 * SMP_CACHE_REJECTED) and *why.  Returns SMP_OK or SMP_ERR_NOMEM. */
smp_status store_image_read(const void *data, size_t size, const char *user,
                            const char *device, smp_policy **out, smp_cache_state *state,
                            const char **why);

/* The digest a slot holds for the n bytes at data of a store whose shared
 * part's digest is shared. */
void store_slice_digest(const void *data, size_t n, const struct digest *shared,
                        struct digest *out);

/* A slice packed by liblz4 against the shared part: buf holds the shared
 * part at [0, start) and the image at [start, end).  store_pack (the
 * writer's, with a stream of LZ4_createStream) writes at most cap bytes
 * (store_pack_bound(end - start) is always enough) at out and returns how
 * many, 0 if it cannot; store_unpack (the login's) fills [start, end) of
 * buf, the shared part at [0, start), from the n bytes at src, and is
 * false unless they make exactly that, writing nothing outside it. */
size_t store_pack_bound(size_t n);
size_t store_pack(LZ4_stream_t *z, const char *buf, size_t start, size_t end, char *out,
                  size_t cap);
bool store_unpack(const char *src, size_t n, char *buf, size_t start, size_t end);

/* The store's file for the settings file config_abs in folder dir,
 * malloc'd; NULL on OOM. */
char *store_path(const char *dir, const char *config_abs);

#endif /* SMP_STORE_H */
