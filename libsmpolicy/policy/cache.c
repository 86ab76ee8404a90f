/*
 * cache.c - the compiled cache (docs/PERFORMANCE.md): a loaded policy written as one
 * relocatable image beside smpolicy.conf, "<config>.cache", so that a
 * login need not parse the records.
 *
 * A cache is used only when it is fresh: written by this build of the
 * library (SMP_BUILD_ID, a digest of the library's sources: a changed
 * loader, rule or layout never reads an image of another), from files with
 * exactly the bytes they have now (each is read and hashed after the
 * checks a parse makes), and for a zone that answers every question the
 * load asked of it as it did then.  Anything else is a miss, and the
 * caller parses the files.  The image is checked as untrusted bytes would
 * be, its digest first, then every pointer, string, index and flag, before
 * anything else reads it (image.c: the image, its walk and its checks).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "policy/policy.h"
#include "smp_build_id.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CACHE_MAGIC "SMPCACH\n"
#define CACHE_FORMAT 2u
#define CACHE_BYTE_ORDER 0x01020304u
#define CACHE_MAX_IMAGE IMAGE_MAX_SIZE

#define STR_(x) #x
#define STR(x) STR_(x)
/* the build, and the libconfig it parsed with */
#define CACHE_BUILD SMP_BUILD_ID "/libconfig-" STR(LIBCONFIG_VER_MAJOR) "." \
	STR(LIBCONFIG_VER_MINOR) "." STR(LIBCONFIG_VER_REVISION)


_Static_assert(sizeof(struct cache_header) % 16 == 0, "the image follows 16-aligned");

_Static_assert(sizeof(CACHE_BUILD) <= sizeof(((struct cache_header *)0)->build),
               "room for the build id");

const char *cache_build(void)
{
	return CACHE_BUILD;
}

static void header_sizes(uint32_t sizes[8])
{
	sizes[0] = sizeof(smp_policy);
	sizes[1] = sizeof(struct platform);
	sizes[2] = sizeof(struct office);
	sizes[3] = sizeof(struct staff);
	sizes[4] = sizeof(struct device);
	sizes[5] = sizeof(struct account);
	sizes[6] = sizeof(struct approval);
	sizes[7] = sizeof(struct idslot) << 16 | sizeof(struct pick);
}

static size_t round16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

smp_status cache_image(const smp_policy *p, char **out, size_t *size, const char **why)
{
	struct cache_header h = { .format = CACHE_FORMAT, .byte_order = CACHE_BYTE_ORDER };
	uint64_t n = 0;
	char *buf = image_build(p, sizeof(h), &n, why);
	struct digest dg;

	if (buf == NULL)
		return *why != NULL ? SMP_ERR_IO : SMP_ERR_NOMEM;
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	strcpy(h.build, CACHE_BUILD);
	header_sizes(h.sizes);
	h.image_size = n;
	digest_of(buf + sizeof(h), (size_t)n, &dg);
	h.digest_lo = dg.lo;
	h.digest_hi = dg.hi;
	memcpy(buf, &h, sizeof(h));
	*out = buf;
	*size = sizeof(h) + (size_t)n;
	return SMP_OK;
}

static bool wanted_perm(const smp_policy *p, struct perm *pm, smp_diags *d)
{
	*pm = (struct perm){ 0, 0 };
	for (size_t i = 0; i < policy_nsources(p); i++) {
		const char *src = policy_source(p, i);
		struct stat st;

		if (stat(src, &st) != 0) {
			diags_add(d, src, 0, SMP_SEV_ERROR, NULL, "cannot examine: %s", strerror(errno));
			return false;
		}
		perm_add(pm, i, &st);
	}
	return true;
}

static smp_status write_cache(const smp_policy *p, bool nowait, smp_diags *d)
{
	char *img = NULL;
	const char *why;
	size_t size = 0;
	struct perm perm;
	int lock = -1;
	smp_status rc = lock_beside(p->cache_path, nowait, &lock, d);

	if (rc != SMP_OK) {
		if (lock >= 0)
			close(lock);
		return rc;
	}
	rc = cache_image(p, &img, &size, &why);
	if (rc == SMP_ERR_IO)
		diags_add(d, p->cache_path, 0, SMP_SEV_ERROR, NULL, "cannot compile: %s", why);
	else if (rc == SMP_OK)
		rc = wanted_perm(p, &perm, d) ? replace_file(p->cache_path, img, size, &perm, d)
		                              : SMP_ERR_IO;
	free(img);
	close(lock);
	return rc;
}

smp_status smp_policy_cache_write(const smp_policy *p, unsigned flags, smp_diags **diags)
{
	smp_diags *d;

	if (diags != NULL)
		*diags = NULL;
	if (p == NULL || p->cache_path == NULL || p->login.only_user != NULL ||
	    !flags_ok(flags, SMP_WRITE_FLAGS))
		return SMP_ERR_ARG;
	d = diags_new();
	if (d == NULL)
		return SMP_ERR_NOMEM;
	if (p->login.sig_unverified) {
		/* it would keep this program's "cannot verify" as the verdict */
		diags_add(d, p->cache_path, 0, SMP_SEV_ERROR, NULL, "not written: this program "
		          "cannot verify the signatures (smpolicy compile writes the cache)");
		return writer_result(SMP_ERR_REFUSED, d, diags);
	}
	return writer_result(write_cache(p, (flags & SMP_WRITE_NOWAIT) != 0, d), d, diags);
}

/* ---- reading ------------------------------------------------------------ */

static bool read_exact(int fd, void *buf, size_t n)
{
	char *b = buf;

	while (n > 0) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

/* Why the header does not fit this library, or NULL; *stale says whether
 * it is only another build's (a miss) rather than damage. */
static const char *header_fault(const struct cache_header *h, uint64_t file_size, bool *stale)
{
	uint32_t sizes[8];

	*stale = false;
	if (memcmp(h->magic, CACHE_MAGIC, sizeof(h->magic)) != 0)
		return "not a compiled cache";
	*stale = true;
	header_sizes(sizes);
	if (h->format != CACHE_FORMAT || h->byte_order != CACHE_BYTE_ORDER ||
	    strncmp(h->build, CACHE_BUILD, sizeof(h->build)) != 0 ||
	    memcmp(h->sizes, sizes, sizeof(sizes)) != 0)
		return "written by another build of the library";
	*stale = false;
	if (h->image_size != file_size - sizeof(*h) || h->image_size > CACHE_MAX_IMAGE ||
	    h->image_size < round16(sizeof(smp_policy)))
		return "its size is not the size it says";
	return NULL;
}

/* Are the files the cache was compiled from, and the zone, as they were,
 * and has the cache (cache_st) still the permissions they would give it? */
static bool still_fresh(const smp_policy *p, const char *config_path, unsigned flags,
                        const struct stat *cache_st)
{
	smp_diags *quiet;
	struct perm pm = { 0, 0 };
	bool fresh;

	if (strcmp(p->config_path, config_path) != 0)
		return false;
	quiet = diags_new();   /* a file that cannot be read is the parse's to report */
	if (quiet == NULL)
		return false;
	fresh = true;
	for (size_t i = 0; fresh && i < policy_nsources(p); i++) {
		struct digest dg;
		struct stat st;
		const char *src = policy_source(p, i);

		fresh = file_digest_secure(src, flags, &dg, &st, quiet) == SMP_OK &&
		        dg.lo == p->digests[i].lo && dg.hi == p->digests[i].hi;
		if (fresh)
			perm_add(&pm, i, &st);
	}
	smp_diags_free(quiet);
	/* files made less readable since: the cache must follow them */
	return fresh && perm_holds(&pm, cache_st) && time_log_holds(p->tz, p->zone, p->nzone);
}

/* Ask for transparent huge pages for the image's buffer: reading a
 * statewide image (40 MB) into 4 KiB pages took three times as long,
 * most of it in page faults.  A hint only. */
static void huge_pages(void *p, size_t size)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t from = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t to = ((uintptr_t)p + size) & ~(huge - 1);

	if (to > from)
		(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
}

/* Check the image of h, already in p's arena at img, and make p its
 * policy; NULL, or why not. */
static const char *adopt_image(const struct cache_header *h, smp_policy *p, char *img)
{
	struct digest dg;

	digest_of(img, (size_t)h->image_size, &dg);
	if (dg.lo != h->digest_lo || dg.hi != h->digest_hi)
		return "its digest does not match: the file is damaged";
	return image_adopt(p, img, h->image_size);
}

/* A new policy with an arena block of the image's size, for it to be read
 * into; NULL on OOM. */
static smp_policy *policy_for(const struct cache_header *h, char **img)
{
	smp_policy *p = calloc(1, sizeof(*p));

	*img = p != NULL ? arena_block(&p->mem, (size_t)h->image_size) : NULL;
	if (*img == NULL) {
		free(p);
		return NULL;
	}
	huge_pages(*img, (size_t)h->image_size);
	return p;
}

/* The header of an image of size bytes: SMP_OK with *why NULL when it is
 * one of this build's, else *why and *state say why not. */
static void take_header(const void *data, size_t size, struct cache_header *h,
                        smp_cache_state *state, const char **why)
{
	bool stale;

	*why = NULL;
	if (size < sizeof(*h)) {
		*why = "it is cut short";
		*state = SMP_CACHE_REJECTED;
		return;
	}
	memcpy(h, data, sizeof(*h));
	*why = header_fault(h, size, &stale);
	if (*why != NULL)
		*state = stale ? SMP_CACHE_STALE : SMP_CACHE_REJECTED;
}

smp_status cache_image_read(const void *data, size_t size, smp_policy **out,
                            smp_cache_state *state, const char **why)
{
	struct cache_header h;
	smp_policy *p;
	char *img;

	*out = NULL;
	*state = SMP_CACHE_REJECTED;
	take_header(data, size, &h, state, why);
	if (*why != NULL)
		return SMP_OK;
	p = policy_for(&h, &img);
	if (p == NULL)
		return SMP_ERR_NOMEM;
	memcpy(img, (const char *)data + sizeof(h), (size_t)h.image_size);
	*why = adopt_image(&h, p, img);
	if (*why != NULL) {
		smp_policy_free(p);
		return SMP_OK;
	}
	*state = SMP_CACHE_USED;
	*out = p;
	return SMP_OK;
}

/* cache_image_read() of the file at fd, read straight into the policy's
 * arena. */
static smp_status read_image(int fd, size_t file_size, smp_policy **out,
                             smp_cache_state *state, const char **why)
{
	char head[sizeof(struct cache_header)];
	struct cache_header h;
	smp_policy *p;
	char *img;

	*out = NULL;
	if (file_size < sizeof(head) || !read_exact(fd, head, sizeof(head))) {
		*why = "it is cut short";
		return SMP_OK;
	}
	take_header(head, file_size, &h, state, why);
	if (*why != NULL)
		return SMP_OK;
	p = policy_for(&h, &img);
	if (p == NULL)
		return SMP_ERR_NOMEM;
	*why = read_exact(fd, img, (size_t)h.image_size) ? adopt_image(&h, p, img)
	                                                  : "it could not be read whole";
	if (*why != NULL) {
		smp_policy_free(p);
		return SMP_OK;
	}
	*out = p;
	return SMP_OK;
}

smp_status cache_load(const char *config_path, unsigned flags, smp_policy **out,
                      smp_cache_state *state, smp_diags *d)
{
	char *path;
	smp_diags *quiet;
	const char *why = NULL;
	struct stat st;
	int fd;
	smp_status rc;
	smp_policy *p = NULL;

	*out = NULL;
	*state = SMP_CACHE_ABSENT;
	if (asprintf(&path, "%s.cache", config_path) < 0)
		return SMP_ERR_NOMEM;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		free(path);
		return SMP_OK;
	}
	*state = SMP_CACHE_REJECTED;
	quiet = diags_new();
	if (quiet == NULL) {
		free(path);
		return SMP_ERR_NOMEM;
	}
	rc = compiled_open(path, flags, CACHE_MAX_IMAGE + sizeof(struct cache_header), &fd, &st,
	                   &why, quiet);
	if (rc != SMP_OK)
		goto out;
	if (why == NULL) {
		rc = read_image(fd, (size_t)st.st_size, &p, state, &why);
		close(fd);
	}
	if (rc != SMP_OK)
		goto out;
	if (p != NULL && !still_fresh(p, config_path, flags, &st)) {
		*state = SMP_CACHE_STALE;
		smp_policy_free(p);
		p = NULL;
	}
	if (p != NULL) {
		p->cache = *state = SMP_CACHE_USED;
		*out = p;
	} else if (*state == SMP_CACHE_REJECTED) {
		diags_add(d, path, 0, SMP_SEV_WARNING, NULL,
		          "the compiled cache is ignored (%s); the files are read instead, "
		          "and smpolicy compile writes a new cache", why);
	}
out:
	smp_diags_free(quiet);
	free(path);
	return rc;
}

const char *smp_cache_state_name(smp_cache_state s)
{
	static const char *const names[] = {
		[SMP_CACHE_USED] = "used", [SMP_CACHE_OFF] = "off", [SMP_CACHE_ABSENT] = "absent",
		[SMP_CACHE_STALE] = "stale", [SMP_CACHE_REJECTED] = "rejected",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : NULL;
}
