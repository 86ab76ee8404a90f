/*
 * store_write.c - writing the login store (store.h): one slice per staff
 * member and one record per device, behind two indexes, with the status
 * of every source as it was when the compile began.  The slices are
 * compressed against the shared part (liblz4): most of an image is
 * the catalogue, the settings and the offsets of a layout every person's
 * image shares, so that a statewide store is smaller than its records
 * rather than five times larger.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the bytes ---------------------------------------------------------- */

struct buf {
	char *v;
	size_t n, cap;
	bool oom;
};

/* Room for len more bytes (zeroed) at a multiple of align; its offset,
 * or SIZE_MAX on OOM. */
static size_t reserve(struct buf *b, size_t len, size_t align)
{
	size_t at = (b->n + align - 1) / align * align;

	if (b->oom || at + len > STORE_MAX_SIZE) {
		b->oom = true;
		return SIZE_MAX;
	}
	if (at + len > b->cap) {
		size_t cap = b->cap ? b->cap : 1u << 16;
		char *v;

		while (cap < at + len)
			cap *= 2;
		v = realloc(b->v, cap);
		if (v == NULL) {
			b->oom = true;
			return SIZE_MAX;
		}
		b->v = v;
		b->cap = cap;
	}
	memset(b->v + b->n, 0, at + len - b->n);
	b->n = at + len;
	return at;
}

static size_t append(struct buf *b, const void *data, size_t len, size_t align)
{
	size_t at = reserve(b, len, align);

	if (at != SIZE_MAX && len > 0)   /* data may be NULL then (a device without apps) */
		memcpy(b->v + at, data, len);
	return at;
}

static uint64_t key_hash(const char *key, size_t len)
{
	struct digest dg;

	digest_of(key, len, &dg);
	return dg.lo;
}

void store_slice_digest(const void *data, size_t n, const struct digest *shared,
                        struct digest *out)
{
	digest_of(data, n, out);
	out->lo ^= shared->lo;
	out->hi ^= shared->hi;
}

uint64_t store_slot_check(const struct store_slot *s, uint64_t i)
{
	struct {
		struct store_slot s;
		uint64_t i;
	} c;
	struct digest dg;

	memset(&c, 0, sizeof(c));
	c.s = *s;
	c.s.check = 0;
	c.i = i;
	digest_of(&c, sizeof(c), &dg);
	return dg.lo;
}

/* Put the slice s (its off, size and raw_size) under key in the index of
 * `slots` slots at index_off (the key is written after everything). */
static void index_add(struct buf *b, uint64_t index_off, uint64_t slots, const char *key,
                      struct store_slot s, const struct digest *shared)
{
	size_t len = strlen(key), key_off = append(b, key, len + 1, 1);
	struct digest dg;
	uint64_t i;

	if (key_off == SIZE_MAX || s.off == SIZE_MAX)
		return;
	s.key_len = (uint32_t)len;
	s.key_off = key_off;
	s.key_hash = key_hash(key, len);
	store_slice_digest(b->v + s.off, (size_t)s.size, shared, &dg);
	s.digest_lo = dg.lo;
	s.digest_hi = dg.hi;
	for (i = s.key_hash & (slots - 1);; i = (i + 1) & (slots - 1)) {
		struct store_slot *at = (struct store_slot *)(void *)(b->v + index_off +
		                                                      i * sizeof(s));

		if (at->size == 0) {   /* ids are unique, and half the slots stay empty */
			*at = s;
			return;
		}
	}
}

/* Every slot's check, once all are placed. */
static void index_seal(struct buf *b, uint64_t index_off, uint64_t slots)
{
	for (uint64_t i = 0; !b->oom && i < slots; i++) {
		struct store_slot *at = (struct store_slot *)(void *)(b->v + index_off +
		                                                      i * sizeof(*at));

		at->check = store_slot_check(at, i);
	}
}

static uint64_t slots_for(size_t n)
{
	uint64_t slots = 16;

	while (slots < 2 * (uint64_t)n + 1)
		slots *= 2;
	return slots;
}

/* The image of the slice of user (NONE: no one), malloc'd, and its size;
 * NULL on OOM (*why NULL) or on a fault (*why). */
static char *slice_image(const smp_policy *p, uint32_t user, uint64_t *n, const char **why)
{
	smp_policy q;
	char *img = NULL;

	memset(&q, 0, sizeof(q));
	*n = 0;
	if (slice_policy(p, user, &q))
		img = image_build(&q, 0, n, why);
	arena_release(&q.mem);
	if (img != NULL && *n > STORE_MAX_SLICE) {
		*why = "one person's records are larger than a slice may be (64 MiB)";
		free(img);
		img = NULL;
	}
	return img;
}

/* The packer's state: the shared part, then the slice being packed, in
 * one buffer, so that liblz4 finds the shared part as the prefix of the
 * slice (a match reaches back into it), and liblz4's stream. */
struct packer {
	char *work;
	size_t start, cap;
	LZ4_stream_t *z;
};

static bool packer_init(struct packer *k, const char *shared, size_t n)
{
	k->cap = n + (1u << 16);
	k->work = malloc(k->cap);
	k->z = LZ4_createStream();
	if (k->work == NULL || k->z == NULL)
		return false;
	memcpy(k->work, shared, n);
	k->start = n;
	return true;
}

static void packer_free(struct packer *k)
{
	free(k->work);
	LZ4_freeStream(k->z);
	free(k);
}

size_t store_pack_bound(size_t n)
{
	return n <= STORE_MAX_SLICE ? (size_t)LZ4_compressBound((int)n) : 0;
}

/* Each slice starts again from the shared part alone: LZ4_loadDict
 * forgets the slice before (a login unpacks one slice, not a stream).
 * liblz4 reaches 64 KiB back: the shared part stays a few kilobytes. */
size_t store_pack(LZ4_stream_t *z, const char *buf, size_t start, size_t end, char *out,
                  size_t cap)
{
	int n;

	if (start > STORE_MAX_SHARED || end < start || end - start > STORE_MAX_SLICE ||
	    cap > INT_MAX)
		return 0;
	LZ4_loadDict(z, buf, (int)start);
	n = LZ4_compress_fast_continue(z, buf + start, out, (int)(end - start), (int)cap, 1);
	return n > 0 ? (size_t)n : 0;
}

/* The slice of user (NONE: no one) appended to b, compressed against the
 * shared part; its slot's off (SIZE_MAX on OOM, with *why NULL, or on a
 * fault, with *why), size and raw_size. */
static struct store_slot add_slice(struct buf *b, const smp_policy *p, uint32_t user,
                                   struct packer *k, const char **why)
{
	struct store_slot s = { .off = SIZE_MAX };
	uint64_t n;
	char *img = slice_image(p, user, &n, why);
	size_t at;

	if (img == NULL) {
		b->oom |= *why == NULL;
		return s;
	}
	if (k->start + n > k->cap) {
		size_t cap = k->start + (size_t)n;
		char *w = realloc(k->work, cap);

		if (w == NULL) {
			b->oom = true;
			free(img);
			return s;
		}
		k->work = w;
		k->cap = cap;
	}
	memcpy(k->work + k->start, img, (size_t)n);
	free(img);
	at = reserve(b, store_pack_bound((size_t)n), 16);
	if (at == SIZE_MAX)
		return s;
	s.size = store_pack(k->z, k->work, k->start, k->start + (size_t)n, b->v + at,
	                    store_pack_bound((size_t)n));
	if (s.size == 0) {
		*why = "liblz4 could not pack a slice";
		return s;
	}
	b->n = at + s.size;
	s.off = at;
	s.raw_size = (uint32_t)n;
	return s;
}

/* The shared part: the magic, the image of no one's slice, and as a
 * sample of a person's layout the image of the first of the first few
 * staff members whose image is small (a login digests the whole shared
 * part: it stays a few kilobytes beside the catalogue); its offset in b,
 * or SIZE_MAX. */
static size_t add_shared(struct buf *b, const smp_policy *p, uint64_t *size, const char **why)
{
	static const char magic[16] = STORE_SHARED_MAGIC;   /* padded with NULs */
	size_t at = append(b, magic, sizeof(magic), 16);
	bool sampled = false;

	for (uint32_t who = NONE, k = 0; at != SIZE_MAX && !sampled && k <= 16 && k <= p->nstaff;
	     who = k++) {
		uint64_t n;
		char *img = slice_image(p, who, &n, why);

		if (img == NULL) {
			b->oom |= *why == NULL;
			return SIZE_MAX;
		}
		if (who == NONE || n <= STORE_SAMPLE_MAX) {
			append(b, img, (size_t)n, 16);
			sampled = who != NONE;
		}
		free(img);
	}
	if (b->oom)
		return SIZE_MAX;
	if (b->n - at > STORE_MAX_SHARED) {
		*why = "the settings and the catalogue are larger than a login store allows (16 MiB)";
		return SIZE_MAX;
	}
	*size = b->n - at;
	return at;
}

static struct store_slot add_device(struct buf *b, const struct device *dv)
{
	struct store_device r = { (uint32_t)dv->kind, dv->dcf_owned, (uint32_t)dv->napps,
	                          (uint32_t)strlen(dv->id),
	                          dv->void_why != NULL ? (uint32_t)strlen(dv->void_why) : 0, 0 };
	size_t at = append(b, &r, sizeof(r), 16);

	append(b, dv->apps, dv->napps * sizeof(uint32_t), 1);
	append(b, dv->id, r.id_len + 1, 1);
	if (r.why_len > 0)
		append(b, dv->void_why, r.why_len + 1, 1);
	return (struct store_slot){ .off = b->oom ? SIZE_MAX : at, .size = b->n - at };
}

smp_status store_image(const smp_policy *p, const struct store_source *sources,
                       int64_t compiled, char **out, size_t *size, const char **why)
{
	struct buf b = { 0 };
	struct store_header h = { .format = STORE_FORMAT, .byte_order = STORE_BYTE_ORDER,
	                          .compiled = compiled };
	struct digest dg, shared;
	struct packer *k = calloc(1, sizeof(*k));

	*why = NULL;
	*out = NULL;
	if (k == NULL)
		return SMP_ERR_NOMEM;
	memcpy(h.magic, STORE_MAGIC, sizeof(h.magic));
	snprintf(h.build, sizeof(h.build), "%s", cache_build());
	h.nsources = (uint32_t)policy_nsources(p);
	h.nplatforms = (uint32_t)p->nplatforms;
	reserve(&b, sizeof(h), 16);
	h.sources_off = append(&b, sources, h.nsources * sizeof(*sources), 16);
	for (uint32_t i = 0; i < h.nsources && !b.oom; i++) {
		const char *path = policy_source(p, i);
		size_t len = strlen(path), at = append(&b, path, len + 1, 1);
		struct store_source *s = (struct store_source *)(void *)(b.v + h.sources_off) + i;

		s->path_off = at;
		s->path_len = (uint32_t)len;
	}
	h.staff_slots = slots_for(p->nstaff);
	h.staff_off = reserve(&b, h.staff_slots * sizeof(struct store_slot), 16);
	h.device_slots = slots_for(p->ndevices);
	h.device_off = reserve(&b, h.device_slots * sizeof(struct store_slot), 16);
	if (b.oom || h.staff_off > STORE_MAX_HEAD) {
		*why = b.oom ? NULL : "the names of the records files are too long";
		goto fail;
	}
	h.shared_off = add_shared(&b, p, &h.shared_size, why);
	if (h.shared_off == SIZE_MAX)
		goto fail;
	digest_of(b.v + h.shared_off, (size_t)h.shared_size, &shared);
	h.shared_lo = shared.lo;
	h.shared_hi = shared.hi;
	/* the packer keeps a copy of the shared part: b may move */
	if (!packer_init(k, b.v + h.shared_off, (size_t)h.shared_size)) {
		b.oom = true;
		goto fail;
	}
	h.nobody = add_slice(&b, p, NONE, k, why);
	for (size_t i = 0; i < p->nstaff && *why == NULL && !b.oom; i++)
		index_add(&b, h.staff_off, h.staff_slots, p->staff[i].id,
		          add_slice(&b, p, (uint32_t)i, k, why), &shared);
	for (size_t i = 0; i < p->ndevices && *why == NULL && !b.oom; i++)
		index_add(&b, h.device_off, h.device_slots, p->devices[i].id,
		          add_device(&b, &p->devices[i]), &shared);
	index_seal(&b, h.staff_off, h.staff_slots);
	index_seal(&b, h.device_off, h.device_slots);
	if (b.oom || *why != NULL || h.nobody.off == SIZE_MAX)
		goto fail;
	store_slice_digest(b.v + h.nobody.off, (size_t)h.nobody.size, &shared, &dg);
	h.nobody.digest_lo = dg.lo;
	h.nobody.digest_hi = dg.hi;
	h.file_size = b.n;
	memcpy(b.v, &h, sizeof(h));
	digest_of(b.v, (size_t)h.staff_off, &dg);
	h.head_lo = dg.lo;
	h.head_hi = dg.hi;
	memcpy(b.v, &h, sizeof(h));
	packer_free(k);
	*out = b.v;
	*size = b.n;
	return SMP_OK;
fail:
	if (k != NULL)
		packer_free(k);
	free(b.v);
	if (*why == NULL && b.oom && b.n + 1 >= STORE_MAX_SIZE)
		*why = "the policy is larger than a login store may be (2 GiB)";
	return *why != NULL ? SMP_ERR_IO : SMP_ERR_NOMEM;
}

/* ---- the file ----------------------------------------------------------- */

char *store_path(const char *dir, const char *config_abs)
{
	/* systemd-escape --path: "/etc/smpolicy/smpolicy.conf" gives
	 * "etc-smpolicy-smpolicy.conf"; '-' and bytes that are not plainly
	 * printable become \xNN, so that two paths never share a name */
	size_t len = strlen(config_abs), o = 0;
	char *name = malloc(4 * len + 1), *path = NULL;
	const char *c = config_abs;

	if (name == NULL)
		return NULL;
	while (*c == '/')
		c++;
	for (; *c != '\0'; c++) {
		unsigned char x = (unsigned char)*c;

		if (x == '/')
			name[o++] = '-';
		else if (x == '-' || x == '\\' || x <= ' ' || x >= 0x7f || (x == '.' && o == 0))
			o += (size_t)sprintf(name + o, "\\x%02x", x);
		else
			name[o++] = (char)x;
	}
	name[o] = '\0';
	if (o > 200) {   /* NAME_MAX is 255: a long path is named by its digest */
		struct digest dg;

		digest_of(config_abs, len, &dg);
		snprintf(name, 4 * len + 1, "h-%016llx%016llx", (unsigned long long)dg.hi,
		         (unsigned long long)dg.lo);
	}
	if (asprintf(&path, "%s/%s.login", dir, name) < 0)
		path = NULL;
	free(name);
	return path;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t ns_of(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A source changed within STORE_RACY_NS of now would be hashed at every
 * login: wait until it is older (not with nowait: a login does not wait,
 * the next one writes the store).  SMP_OK, or SMP_ERR_LOCK. */
static smp_status settle(const smp_policy *p, bool nowait, smp_diags *d)
{
	int64_t latest = INT64_MIN, now = now_ns();

	for (size_t i = 0; i < policy_nsources(p); i++) {
		struct stat st;

		if (stat(policy_source(p, i), &st) != 0)
			continue;   /* the digests below say why */
		if (ns_of(st.st_mtim) > latest)
			latest = ns_of(st.st_mtim);
		if (ns_of(st.st_ctim) > latest)
			latest = ns_of(st.st_ctim);
	}
	if (latest <= now - STORE_RACY_NS || latest > now + STORE_RACY_NS)
		return SMP_OK;   /* old enough, or dated in the future: waiting would not help */
	if (nowait) {
		diags_add(d, p->config_path, 0, SMP_SEV_ERROR, NULL,
		          "the records changed in the last seconds: the login store is written later");
		return SMP_ERR_LOCK;
	}
	struct timespec pause = { 0, 0 };
	int64_t wait = latest + STORE_RACY_NS - now;

	pause.tv_sec = (time_t)(wait / 1000000000);
	pause.tv_nsec = (long)(wait % 1000000000);
	while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
		;
	return SMP_OK;
}

/* The sources as they are now, after `compiled`: each must still have
 * the bytes p was loaded from. */
static smp_status examine(const smp_policy *p, unsigned flags, struct store_source *src,
                          struct perm *pm, smp_diags *d)
{
	for (size_t i = 0; i < policy_nsources(p); i++) {
		const char *path = policy_source(p, i);
		struct digest dg;
		struct stat st;
		smp_status rc = file_digest_secure(path, flags, &dg, &st, d);

		if (rc != SMP_OK)
			return rc;
		if (dg.lo != p->digests[i].lo || dg.hi != p->digests[i].hi) {
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
			          "changed since the policy was loaded: no login store written");
			return SMP_ERR_IO;
		}
		src[i] = (struct store_source){
			.mode = (uint32_t)(st.st_mode & 07777), .dev = (uint64_t)st.st_dev,
			.ino = (uint64_t)st.st_ino, .size = (int64_t)st.st_size,
			.mtime = ns_of(st.st_mtim), .ctime = ns_of(st.st_ctim),
			.uid = (uint32_t)st.st_uid, .gid = (uint32_t)st.st_gid,
			.digest_lo = dg.lo, .digest_hi = dg.hi,
		};
		perm_add(pm, i, &st);
	}
	return SMP_OK;
}

/* The store folder, made root's 0755 if it is not there (its parent must
 * be); checked as the records' folders are when the store is read. */
static smp_status make_folder(const char *dir, smp_diags *d)
{
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return SMP_OK;
	diags_add(d, dir, 0, SMP_SEV_ERROR, NULL, "cannot make the login store's folder: %s",
	          strerror(errno));
	return SMP_ERR_IO;
}

/* Is name "copy-N" (N digits, not 0)?  N, or 0. */
static unsigned long copy_folder_number(const char *name)
{
	char *end;
	unsigned long n;

	if (strncmp(name, "copy-", 5) != 0 || name[5] < '1' || name[5] > '9')
		return 0;
	n = strtoul(name + 5, &end, 10);
	return *end == '\0' ? n : 0;
}

/*
 * A directory's copies come and go (copy_dir/copy-N, each sync a new N):
 * after the store of copy-N is written, the stores of its sibling copies
 * whose settings file is gone are removed, each with its lock file, so
 * that the store folder holds one store per copy that exists and not one
 * per sync ever made.  Stores named by a digest (long paths) are left.
 */
static void prune_old_copies(const char *dir, const char *config_abs)
{
	char folder[4096], parent[4096], *zero_conf = NULL, *zero = NULL;
	const char *base, *name;
	size_t lp, ls;
	DIR *dp = NULL;
	struct dirent *e;

	split_path(config_abs, folder, sizeof(folder), &base);
	split_path(folder, parent, sizeof(parent), &name);
	if (copy_folder_number(name) == 0 ||
	    asprintf(&zero_conf, "%s/copy-0/%s", parent, base) < 0)
		return;
	/* the store of copy-0 tells the name's prefix and suffix around "0" */
	zero = store_path(dir, zero_conf);
	char *mark = zero != NULL ? strstr(zero, "copy\\x2d0-") : NULL;

	if (mark == NULL || (dp = opendir(dir)) == NULL)
		goto out;
	mark += strlen("copy\\x2d");
	lp = (size_t)(mark - zero) - strlen(dir) - 1;
	ls = strlen(mark + 1);
	while ((e = readdir(dp)) != NULL) {
		const char *n = e->d_name, *digits = n + lp;
		size_t len = strlen(n), k = 0;
		char *conf = NULL, *lock = NULL;
		struct stat st;

		if (len <= lp + ls || strncmp(n, zero + strlen(dir) + 1, lp) != 0 ||
		    strcmp(n + len - ls, mark + 1) != 0)
			continue;
		while (digits + k < n + len - ls && digits[k] >= '0' && digits[k] <= '9')
			k++;
		if (k == 0 || k > 18 || digits[k] != mark[1] || digits + k != n + len - ls ||
		    digits[0] == '0')
			continue;
		if (asprintf(&conf, "%s/copy-%.*s/%s", parent, (int)k, digits, base) < 0)
			continue;
		if (lstat(conf, &st) != 0 && errno == ENOENT && asprintf(&lock, "%s.lock", n) >= 0) {
			unlinkat(dirfd(dp), n, 0);
			unlinkat(dirfd(dp), lock, 0);
		}
		free(lock);
		free(conf);
	}
out:
	if (dp != NULL)
		closedir(dp);
	free(zero);
	free(zero_conf);
}

static smp_status write_store(const smp_policy *p, const char *dir, unsigned flags,
                              smp_diags *d)
{
	bool nowait = (flags & SMP_WRITE_NOWAIT) != 0;
	char *path = store_path(dir, p->config_path), *img = NULL;
	struct store_source *src = calloc(policy_nsources(p), sizeof(*src));
	struct perm perm = { 0, 0 };
	const char *why;
	size_t size;
	int lock = -1;
	smp_status rc = SMP_ERR_NOMEM;

	if (path == NULL || src == NULL)
		goto out;
	/* settled first: a login that leaves the store to a later one makes
	 * no folder and no lock file */
	rc = settle(p, nowait, d);
	if (rc == SMP_OK)
		rc = make_folder(dir, d);
	if (rc == SMP_OK)
		rc = lock_beside(path, nowait, &lock, d);
	int64_t compiled = now_ns();

	if (rc == SMP_OK)
		rc = examine(p, flags, src, &perm, d);
	if (rc == SMP_OK) {
		rc = store_image(p, src, compiled, &img, &size, &why);
		if (rc == SMP_ERR_IO)
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot compile: %s", why);
	}
	if (rc == SMP_OK)
		rc = replace_file(path, img, size, &perm, d);
	if (rc == SMP_OK)
		prune_old_copies(dir, p->config_path);
out:
	if (lock >= 0)
		close(lock);
	free(img);
	free(src);
	free(path);
	return rc;
}

smp_status smp_policy_store_write(const smp_policy *p, const char *store_dir, unsigned flags,
                                  smp_diags **diags)
{
	smp_diags *d;

	if (diags != NULL)
		*diags = NULL;
	if (p == NULL || p->login.only_user != NULL || !flags_ok(flags, SMP_WRITE_FLAGS))
		return SMP_ERR_ARG;
	d = diags_new();
	if (d == NULL)
		return SMP_ERR_NOMEM;
	if (p->login.sig_unverified) {
		diags_add(d, store_dir != NULL ? store_dir : SMP_DEFAULT_STORE_DIR, 0, SMP_SEV_ERROR,
		          NULL, "not written: this program cannot verify the signatures "
		          "(smpolicy compile writes the login store)");
		return writer_result(SMP_ERR_REFUSED, d, diags);
	}
	return writer_result(write_store(p, store_dir != NULL ? store_dir : SMP_DEFAULT_STORE_DIR,
	                                 flags, d), d, diags);
}
