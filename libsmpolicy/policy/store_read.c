/*
 * store_read.c - a login from the login store (store.h): the policy of
 * one person at one device, smp_policy_load_for().
 *
 * The store is mapped, not read: a login touches its header, the sources'
 * table, one or two slots of each index and two slices, whatever the
 * number of records.  The store is fresh when its header is this build's
 * and undamaged and every source has the status it had at the compile
 * (device, inode, size, mode, owner, mtime and ctime to the nanosecond: an
 * edit that keeps the size and sets the mtime back still moves the
 * ctime), after the same checks of owner, mode, folder and links as a
 * parse makes; a source whose times are too close to the compile for its
 * clock to tell (STORE_RACY_NS) is hashed as well.  The slices are
 * untrusted bytes like the compiled cache: the shared part they are
 * compressed against (liblz4, the shared part its dictionary) is checked
 * against its digest in the header, each slice against its own in its
 * slot before it is unpacked (by liblz4's bounds-checked decoder, into
 * exactly the size the slot says), and the unpacked image is
 * relocated and checked by cache.c's two passes before anything reads it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "store.h"
#include "sources/source.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Do n bytes at off lie within size? */
static bool within(uint64_t off, uint64_t n, uint64_t size)
{
	return off <= size && n <= size - off;
}

/* Why the header of a store of `size` bytes does not fit, or NULL; *state
 * says whether it is another build's (a miss) or damage. */
static const char *header_fault(const char *data, size_t size, struct store_header *h,
                                smp_cache_state *state)
{
	char build[sizeof(h->build)] = { 0 };
	struct digest dg;
	char *head;

	*state = SMP_CACHE_REJECTED;
	if (size < sizeof(*h))
		return "it is cut short";
	memcpy(h, data, sizeof(*h));
	if (memcmp(h->magic, STORE_MAGIC, sizeof(h->magic)) != 0)
		return "not a login store";
	snprintf(build, sizeof(build), "%s", cache_build());
	if (h->format != STORE_FORMAT || h->byte_order != STORE_BYTE_ORDER ||
	    memcmp(h->build, build, sizeof(build)) != 0) {
		*state = SMP_CACHE_STALE;
		return "written by another build of the library";
	}
	if (h->file_size != size)
		return "its size is not the size it says";
	if (h->sources_off != (sizeof(*h) + 15) / 16 * 16 || h->nsources == 0 ||
	    h->nsources > STORE_MAX_SOURCES || h->staff_off > STORE_MAX_HEAD ||
	    h->sources_off + h->nsources * sizeof(struct store_source) > h->staff_off ||
	    !within(h->staff_off, 0, size))
		return "its header is out of range";
	/* the header, sources and paths: a copy with the digest's fields zero */
	head = malloc((size_t)h->staff_off);
	if (head == NULL)
		return "";   /* OOM: the caller tells */
	memcpy(head, data, (size_t)h->staff_off);
	memset(head + offsetof(struct store_header, head_lo), 0, 2 * sizeof(uint64_t));
	digest_of(head, (size_t)h->staff_off, &dg);
	free(head);
	if (dg.lo != h->head_lo || dg.hi != h->head_hi)
		return "its digest does not match: the file is damaged";
	if (!within(h->shared_off, h->shared_size, size) || h->shared_size > STORE_MAX_SHARED ||
	    h->shared_off < h->staff_off || h->shared_size < 16 || h->shared_size % 16 != 0 ||
	    memcmp(data + h->shared_off, STORE_SHARED_MAGIC, 8) != 0)
		return "its shared part is out of range";
	digest_of(data + h->shared_off, (size_t)h->shared_size, &dg);
	if (dg.lo != h->shared_lo || dg.hi != h->shared_hi)
		return "the digest of its shared part does not match: the file is damaged";
	if (h->staff_slots == 0 || (h->staff_slots & (h->staff_slots - 1)) != 0 ||
	    h->staff_slots > size / sizeof(struct store_slot) ||
	    !within(h->staff_off, h->staff_slots * sizeof(struct store_slot), size) ||
	    h->device_slots == 0 || (h->device_slots & (h->device_slots - 1)) != 0 ||
	    h->device_slots > size / sizeof(struct store_slot) ||
	    !within(h->device_off, h->device_slots * sizeof(struct store_slot), size))
		return "its indexes are out of range";
	return NULL;
}

/* Does slot s name a slice within the file (outside its head and shared
 * part), with its digest?  NULL, or why not. */
static const char *slice_fault(const char *data, size_t size, const struct store_header *h,
                               const struct store_slot *s)
{
	struct digest dg, shared = { h->shared_lo, h->shared_hi };

	if (!within(s->off, s->size, size) || s->size > STORE_MAX_SLICE ||
	    s->raw_size > STORE_MAX_SLICE || s->off < h->shared_off + h->shared_size)
		return "an index names a slice outside the file";
	store_slice_digest(data + s->off, (size_t)s->size, &shared, &dg);
	if (dg.lo != s->digest_lo || dg.hi != s->digest_hi)
		return "a slice's digest does not match: the file is damaged";
	return NULL;
}

/* The slot of key in the index of `slots` slots at `off`: true and *out,
 * or false (absent, or *why set: the index or the slice is damaged). */
static bool find_slot(const char *data, size_t size, const struct store_header *h,
                      uint64_t off, uint64_t slots, const char *key, struct store_slot *out,
                      const char **why)
{
	size_t len = strlen(key);
	struct digest dg;

	digest_of(key, len, &dg);
	/* at most `slots` probes, whatever the bytes say */
	for (uint64_t k = 0, i = dg.lo & (slots - 1); k < slots; k++, i = (i + 1) & (slots - 1)) {
		struct store_slot s;

		memcpy(&s, data + off + i * sizeof(s), sizeof(s));
		if (s.check != store_slot_check(&s, i)) {
			*why = "an index slot is damaged";
			return false;
		}
		if (s.size == 0)
			return false;
		if (s.key_hash != dg.lo || s.key_len != len)
			continue;
		/* 64 bits of the id's hash agree: the id is this one, or the
		 * bytes are damaged */
		if (!within(s.key_off, (uint64_t)len + 1, size) ||
		    memcmp(data + s.key_off, key, len + 1) != 0) {
			*why = "an index slot names an id it does not hold";
			return false;
		}
		*why = slice_fault(data, size, h, &s);
		*out = s;
		return *why == NULL;
	}
	return false;
}

/* The device record s of the store in the policy p (whose catalogue the
 * record's apps index), as its one device; NULL or why not. */
static const char *attach_device(smp_policy *p, const char *data, const struct store_slot *s,
                                 const char *device)
{
	struct store_device r;
	struct device *dv;
	uint64_t need;

	if (s->size < sizeof(r) || s->raw_size != 0)
		return "a device's record is cut short";
	memcpy(&r, data + s->off, sizeof(r));
	need = sizeof(r) + (uint64_t)r.napps * sizeof(uint32_t) + (uint64_t)r.id_len + 1;
	if (need + (r.why_len > 0 ? (uint64_t)r.why_len + 1 : 0) != s->size ||
	    (r.kind != DEV_WORKSTATION && r.kind != DEV_MOBILE) || r.zero != 0 ||
	    r.dcf_owned > 1 || r.id_len != strlen(device) ||
	    memcmp(data + s->off + need - r.id_len - 1, device, (size_t)r.id_len + 1) != 0 ||
	    (r.why_len > 0 && (data[s->off + need + r.why_len] != '\0' ||
	                       memchr(data + s->off + need, '\0', r.why_len) != NULL)))
		return "a device's record is not its own";
	dv = arena_alloc(&p->mem, sizeof(*dv));
	if (dv == NULL)
		return "";
	dv->id = arena_strdup(&p->mem, device);
	if (r.why_len > 0 &&
	    (dv->void_why = arena_strndup(&p->mem, data + s->off + need, r.why_len)) == NULL)
		return "";
	dv->kind = (enum device_kind)r.kind;
	dv->dcf_owned = r.dcf_owned != 0;
	dv->office = NONE;   /* no rule reads a device's office */
	dv->napps = r.napps;
	dv->apps = arena_alloc(&p->mem, (r.napps ? r.napps : 1) * sizeof(uint32_t));
	if (dv->id == NULL || dv->apps == NULL || !idmap_init(&p->device_ix, &p->mem, 1))
		return "";
	memcpy(dv->apps, data + s->off + sizeof(r), r.napps * sizeof(uint32_t));
	for (size_t i = 0; i < r.napps; i++)
		if (dv->apps[i] >= p->nplatforms)
			return "a device's record names a platform out of range";
	p->devices = dv;
	p->ndevices = 1;
	idmap_insert(&p->device_ix, dv->id, 0);
	return NULL;
}

/* LZ4_decompress_safe_usingDict never writes past the capacity given
 * (exactly the slice's size), reads no further back than the shared part,
 * fails on malformed input, and must use all n bytes; with the shared
 * part just before the image, liblz4 reads it as the image's prefix.  It
 * takes a match of offset 0, which the format forbids, and copies the
 * bytes already at the output's place: the image is cleared first, so
 * that such a slice holds zeros, not what the memory held before. */
bool store_unpack(const char *src, size_t n, char *buf, size_t start, size_t end)
{
	if (n == 0 || n > INT_MAX || start > STORE_MAX_SHARED || end < start ||
	    end - start > STORE_MAX_SLICE)
		return false;
	memset(buf + start, 0, end - start);
	return LZ4_decompress_safe_usingDict(src, buf + start, (int)n, (int)(end - start), buf,
	                                     (int)start) == (int)(end - start);
}

/* Does each id index of the slice p find every record by its id?  The
 * image's checks see that each slot names a record by that record's id,
 * not that a lookup reaches the slot: a changed id whose slot's copy of
 * its first bytes changed with it (one byte of a packed slice can stand
 * for both) would be a record no lookup finds.  A slice holds a few dozen
 * records: each is looked up. */
static bool indexes_find_all(const smp_policy *p)
{
	for (size_t i = 0; i < p->nplatforms; i++)
		if (idmap_find(&p->platform_ix, p->platforms[i].id) != i)
			return false;
	for (size_t i = 0; i < p->noffices; i++)
		if (idmap_find(&p->office_ix, p->offices[i].id) != i)
			return false;
	for (size_t i = 0; i < p->nstaff; i++)
		if (idmap_find(&p->staff_ix, p->staff[i].id) != i)
			return false;
	for (size_t i = 0; i < p->naccounts; i++)
		if (idmap_find(&p->account_ix, p->accounts[i].id) != i)
			return false;
	for (size_t i = 0; i < p->napprovals; i++)
		if (idmap_find(&p->approval_ix, p->approvals[i].id) != i)
			return false;
	return p->ndevices == 0;   /* the device is the store's record, attached after */
}

/* The person's slice s (or the slice of no one) as a new policy in *out;
 * NULL, or why not ("" on OOM).  It is unpacked after a copy of the
 * shared part, which its matches reach back into. */
static const char *adopt_slice(const char *data, const struct store_header *h,
                               const struct store_slot *s, const char *user, smp_policy **out)
{
	smp_policy *p = calloc(1, sizeof(*p));
	size_t start = (size_t)h->shared_size, end = start + s->raw_size;
	char *buf = p != NULL && s->raw_size > 0 ? arena_block(&p->mem, end) : NULL;
	const char *why = NULL;

	*out = NULL;
	if (p != NULL && s->raw_size == 0) {
		free(p);
		return "a slice of no size";
	}
	if (buf == NULL) {
		free(p);
		return "";
	}
	memcpy(buf, data + h->shared_off, start);
	if (!store_unpack(data + s->off, (size_t)s->size, buf, start, end))
		why = "a slice that cannot be unpacked to the size its slot says: the file is damaged";
	if (why == NULL)
		why = image_adopt(p, buf + start, s->raw_size);
	if (why == NULL && !indexes_find_all(p))
		why = "a slice whose id indexes do not find its records";
	if (why == NULL && (user != NULL ? p->nstaff == 0 || strcmp(p->staff[0].id, user) != 0
	                                 : p->nstaff != 0))
		why = "a slice that is not the person's";
	if (why != NULL) {
		smp_policy_free(p);
		return why;
	}
	*out = p;
	return NULL;
}

smp_status store_image_read(const void *bytes, size_t size, const char *user,
                            const char *device, smp_policy **out, smp_cache_state *state,
                            const char **why)
{
	const char *data = bytes;
	struct store_header h;
	struct store_slot s, dslot;
	char mapped[64];
	bool found;
	smp_policy *p = NULL;

	*out = NULL;
	*why = header_fault(data, size, &h, state);
	if (*why != NULL)
		return **why == '\0' ? SMP_ERR_NOMEM : SMP_OK;
	*state = SMP_CACHE_REJECTED;
	found = find_slot(data, size, &h, h.staff_off, h.staff_slots, user, &s, why);
	if (*why != NULL)
		return SMP_OK;
	if (!found) {
		s = h.nobody;
		*why = slice_fault(data, size, &h, &s);
		if (*why != NULL)
			return SMP_OK;
	}
	*why = adopt_slice(data, &h, &s, found ? user : NULL, &p);
	if (*why == NULL && p->nplatforms != h.nplatforms)
		*why = "a slice of another catalogue";
	/* a host name under the settings' device_domains stands for its first
	 * label, as the PAM module then asks smp_decide about */
	if (*why == NULL && strchr(device, '.') != NULL &&
	    smp_policy_device_for_name(p, device, mapped, sizeof(mapped)) == SMP_OK)
		device = mapped;
	if (*why == NULL &&
	    find_slot(data, size, &h, h.device_off, h.device_slots, device, &dslot, why))
		*why = attach_device(p, data, &dslot, device);
	if (*why == NULL) {
		p->login.only_user = arena_strdup(&p->mem, user);
		p->login.only_device = arena_strdup(&p->mem, device);
		if (p->login.only_user == NULL || p->login.only_device == NULL)
			*why = "";
	}
	if (*why != NULL) {
		smp_policy_free(p);
		return **why == '\0' ? SMP_ERR_NOMEM : SMP_OK;
	}
	/* the slice's moments as the zone gives them now: another zone is a miss */
	if (!time_log_holds(p->tz, p->zone, p->nzone)) {
		*state = SMP_CACHE_STALE;
		*why = "compiled under another time zone";
		smp_policy_free(p);
		return SMP_OK;
	}
	p->login.looked = true;
	p->login.store = *state = SMP_CACHE_USED;
	*out = p;
	return SMP_OK;
}

/* ---- freshness ---------------------------------------------------------- */

static int64_t ns_of(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Is source i (its entry src, its path in the store) as it was compiled?
 * Its status into pm. */
static bool source_holds(const struct store_header *h, const struct store_source *src,
                         const char *path, size_t i, unsigned flags, struct perm *pm,
                         smp_diags *quiet)
{
	struct stat st;
	struct digest dg;
	int fd;
	bool same;

	if (file_open_secure(path, flags, SMP_MAX_FILE_SIZE, &fd, &st, quiet) != SMP_OK)
		return false;   /* the parse says why */
	close(fd);
	same = src->dev == (uint64_t)st.st_dev && src->ino == (uint64_t)st.st_ino &&
	       src->size == (int64_t)st.st_size && src->mode == (uint32_t)(st.st_mode & 07777) &&
	       src->uid == (uint32_t)st.st_uid && src->gid == (uint32_t)st.st_gid &&
	       src->mtime == ns_of(st.st_mtim) && src->ctime == ns_of(st.st_ctim);
	perm_add(pm, i, &st);
	if (!same)
		return false;
	if (src->mtime < h->compiled - STORE_RACY_NS && src->ctime < h->compiled - STORE_RACY_NS)
		return true;
	/* racily clean: changed so close to the compile that a later change
	 * in the same tick would leave the same times */
	return file_digest_secure(path, flags, &dg, &st, quiet) == SMP_OK &&
	       dg.lo == src->digest_lo && dg.hi == src->digest_hi;
}

/* Was the store at data compiled from config_abs and the files it names
 * as they are now, and has it (st) the permissions they would give it? */
static bool store_fresh(const char *data, const struct stat *st, const char *config_abs,
                        unsigned flags)
{
	struct store_header h;
	struct perm pm = { 0, 0 };
	smp_diags *quiet = diags_new();
	bool fresh = quiet != NULL;

	memcpy(&h, data, sizeof(h));   /* checked by header_fault() */
	for (uint32_t i = 0; fresh && i < h.nsources; i++) {
		struct store_source src;
		const char *path;

		memcpy(&src, data + h.sources_off + i * sizeof(src), sizeof(src));
		path = data + src.path_off;
		fresh = within(src.path_off, (uint64_t)src.path_len + 1, h.staff_off) &&
		        path[src.path_len] == '\0' && strlen(path) == src.path_len &&
		        (i > 0 || strcmp(path, config_abs) == 0) &&
		        source_holds(&h, &src, path, i, flags, &pm, quiet);
	}
	smp_diags_free(quiet);
	return fresh && perm_holds(&pm, st);
}

/* Open and map the store at path, checked as compiled_open() checks it:
 * its status (only an error of its own, such as no memory, is not SMP_OK);
 * *why says why the store cannot be used, else *map (MAP_FAILED until then)
 * holds st->st_size bytes of it.  *fd, when not -1, is the caller's to close. */
static smp_status store_map(const char *path, unsigned flags, smp_diags *quiet, int *fd,
                            struct stat *st, void **map, const char **why)
{
	smp_status rc = compiled_open(path, flags, STORE_MAX_SIZE, fd, st, why, quiet);

	if (rc != SMP_OK)
		return rc;
	if (*why == NULL && st->st_size == 0)
		*why = "it is cut short";
	if (*why == NULL) {
		*map = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, *fd, 0);
		if (*map == MAP_FAILED)
			*why = "it cannot be mapped";
	}
	return SMP_OK;
}

/* The policy of user at device from the store of config_abs in dir, if it
 * is fresh: SMP_OK and *out; otherwise *out is NULL and *state says why
 * (a rejected store is explained in d).  Only SMP_ERR_NOMEM is an error. */
static smp_status store_load(const char *config_abs, const char *dir, unsigned flags,
                             const char *user, const char *device, smp_policy **out,
                             smp_cache_state *state, smp_diags *d)
{
	char *path = store_path(dir, config_abs);
	smp_diags *quiet = diags_new();
	const char *why = NULL;
	struct stat st;
	void *map = MAP_FAILED;
	int fd = -1;
	smp_status rc = SMP_ERR_NOMEM;

	*out = NULL;
	*state = SMP_CACHE_ABSENT;
	if (path == NULL || quiet == NULL)
		goto out;
	rc = SMP_OK;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		goto out;
	*state = SMP_CACHE_REJECTED;
	rc = store_map(path, flags, quiet, &fd, &st, &map, &why);
	if (rc != SMP_OK)
		goto out;
	if (map != MAP_FAILED) {
		rc = store_image_read(map, (size_t)st.st_size, user, device, out, state, &why);
		if (*out != NULL && !store_fresh(map, &st, config_abs, flags)) {
			smp_policy_free(*out);
			*out = NULL;
			*state = SMP_CACHE_STALE;
		}
		munmap(map, (size_t)st.st_size);
	}
	if (*out == NULL && *state == SMP_CACHE_REJECTED && rc == SMP_OK)
		diags_add(d, path, 0, SMP_SEV_WARNING, NULL,
		          "the login store is ignored (%s); the files are read instead, and "
		          "smpolicy compile writes a new one", why);
out:
	if (fd >= 0)
		close(fd);
	smp_diags_free(quiet);
	free(path);
	return rc;
}

/* A settings file that names the directory has no store of its own: its
 * policy is its local copy's (smpolicy-ldap(5)), whose store bears the copy's
 * name.  The copy's smpolicy.conf when the last good sync is recent
 * enough (else NULL: the whole load then says so and fails closed), and
 * never for a files world; NULL on OOM too. */
static char *directory_copy(const char *config_abs, unsigned flags)
{
	struct smp_source src;
	struct ldap_state st;
	smp_diags *quiet = diags_new();   /* the whole load reports any fault */
	char *copy = NULL;

	if (quiet == NULL)
		return NULL;
	if (source_read(config_abs, flags, &src, quiet) == SMP_OK && src.kind == SOURCE_LDAP &&
	    ldap_state_read(src.ldap.copy_dir, flags, &st, quiet) == SMP_OK) {
		if (directory_synced_lately(&src.ldap, &st, (int64_t)time(NULL)))
			copy = config_path_absolute(st.copy);
		ldap_state_free(&st);
	}
	source_free(&src);
	smp_diags_free(quiet);
	return copy;
}

smp_status smp_policy_load_for(const char *config_path, const char *store_dir, unsigned flags,
                               const char *user, const char *device, smp_policy **out,
                               smp_diags **diags)
{
	smp_cache_state state = SMP_CACHE_OFF;
	smp_diags *sd;
	char host[256];
	smp_status rc = SMP_OK;

	if (diags != NULL)
		*diags = NULL;
	if (out != NULL)
		*out = NULL;
	if (out == NULL || user == NULL || !flags_ok(flags, SMP_LOAD_FLAGS))
		return SMP_ERR_ARG;
	if (config_path == NULL)
		config_path = SMP_DEFAULT_CONFIG;
	if (device == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			return SMP_ERR_ARG;
		host[sizeof(host) - 1] = '\0';
		device = host;
	}
	sd = diags_new();
	if (sd == NULL)
		return SMP_ERR_NOMEM;
	if (!(flags & SMP_LOAD_NO_CACHE)) {
		char *abs = config_path_absolute(config_path);   /* NULL: the load says why */

		const char *dir = store_dir != NULL ? store_dir : SMP_DEFAULT_STORE_DIR;
		char *copy;

		if (abs != NULL)
			rc = store_load(abs, dir, flags, user, device, out, &state, sd);
		/* a miss of any kind: the settings file may name the directory
		 * now, while a store from when it named files lingers */
		if (rc == SMP_OK && *out == NULL && abs != NULL &&
		    (copy = directory_copy(abs, flags)) != NULL) {
			/* the copy's files change only by a new sync, as a new copy */
			rc = store_load(copy, dir, flags | SMP_LOAD_PRIVATE, user, device, out,
			                &state, sd);
			free(copy);
		}
		free(abs);
	}
	if (rc == SMP_OK && *out == NULL) {
		/* a miss: the whole policy, which answers for this person too */
		rc = smp_policy_load(config_path, flags, out, diags);
		if (*out != NULL) {
			(*out)->login.looked = !(flags & SMP_LOAD_NO_CACHE);
			(*out)->login.store = state;
		}
	}
	if (diags != NULL && smp_diags_count(sd) > 0 && !diags_merge(diags, sd))
		rc = SMP_ERR_NOMEM;
	smp_diags_free(sd);
	if (rc != SMP_OK) {
		smp_policy_free(*out);
		*out = NULL;
	}
	return rc;
}

smp_cache_state smp_policy_store_state(const smp_policy *p)
{
	return p != NULL && p->login.looked ? p->login.store : SMP_CACHE_OFF;
}

static smp_cache_state store_check(const char *config_path, const char *store_dir,
                                   unsigned flags, char **path_out, smp_diags **diags)
{
	char *abs, *copy, *path = NULL;
	const char *dir = store_dir != NULL ? store_dir : SMP_DEFAULT_STORE_DIR;
	smp_cache_state state = SMP_CACHE_OFF;
	smp_diags *d = diags_new(), *quiet = diags_new();
	const char *why = NULL;
	struct store_header h;
	struct stat st;
	void *map = MAP_FAILED;
	int fd = -1;

	if (path_out != NULL)
		*path_out = NULL;
	if (diags != NULL)
		*diags = NULL;
	flags &= SMP_LOAD_ALLOW_NONROOT;
	abs = config_path_absolute(config_path != NULL ? config_path : SMP_DEFAULT_CONFIG);
	if (d == NULL || quiet == NULL || abs == NULL || dir[0] == '\0')
		goto out;
	/* a directory's settings are served by the store of the current copy */
	copy = directory_copy(abs, flags);
	if (copy != NULL) {
		free(abs);
		abs = copy;
		flags |= SMP_LOAD_PRIVATE;
	}
	path = store_path(dir, abs);
	if (path == NULL)
		goto out;
	state = SMP_CACHE_ABSENT;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		goto out;
	state = SMP_CACHE_REJECTED;
	if (store_map(path, flags, quiet, &fd, &st, &map, &why) != SMP_OK) {
		state = SMP_CACHE_OFF;
		goto out;
	}
	if (map != MAP_FAILED) {
		why = header_fault(map, (size_t)st.st_size, &h, &state);
		if (why == NULL)
			state = store_fresh(map, &st, abs, flags) ? SMP_CACHE_USED : SMP_CACHE_STALE;
		else if (why[0] == '\0')
			state = SMP_CACHE_OFF;   /* no memory */
		munmap(map, (size_t)st.st_size);
	}
	if (state == SMP_CACHE_REJECTED)
		diags_add(d, path, 0, SMP_SEV_WARNING, NULL, "the login store is ignored (%s)",
		          why != NULL ? why : "no reason given");
out:
	if (fd >= 0)
		close(fd);
	if (path_out != NULL && state != SMP_CACHE_OFF)
		*path_out = path;
	else
		free(path);
	free(abs);
	smp_diags_free(quiet);
	if (diags != NULL && smp_diags_count(d) > 0)
		*diags = d;
	else
		smp_diags_free(d);
	return state;
}

smp_status smp_policy_store_check(const char *config_path, const char *store_dir,
                                  unsigned flags, smp_cache_state *state, char **path_out,
                                  smp_diags **diags)
{
	if (path_out != NULL)
		*path_out = NULL;
	if (diags != NULL)
		*diags = NULL;
	if (state == NULL || !flags_ok(flags, SMP_NO_FLAGS))
		return SMP_ERR_ARG;
	*state = store_check(config_path, store_dir, flags, path_out, diags);
	return SMP_OK;
}

bool smp_policy_is_partial(const smp_policy *p)
{
	return p != NULL && p->login.only_user != NULL;
}
