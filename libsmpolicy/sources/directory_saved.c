/*
 * directory_saved.c - the directory's entries as the server sent them,
 * kept by entryUUID, and the file in which a copy keeps them with the
 * sync cookie for the next incremental sync (smpolicy-ldap(5)).
 *
 * The file is written inside the new copy's folder before that folder is
 * installed, so that it is exactly as old as the copy and the cookie
 * stands for exactly its entries.  It is read as untrusted input: every
 * length and count is checked against what is left of the file, each
 * UUID must be new, and the digest over the whole must match; a file
 * that fails any of it is not used (the sync reads everything again).
 *
 *   "SMPOLICY-ENTRIES 1\n"
 *   u32 cookie length, cookie
 *   u32 entries, then per entry:
 *     16 bytes entryUUID, u32 DN length, DN, u32 attributes, per attribute:
 *     u32 name length, name, u32 values, per value: u32 length, bytes
 *   16 bytes: the XXH3-128 digest of everything before (lo, hi; big endian)
 *
 * All numbers big endian.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "directory_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "SMPOLICY-ENTRIES 1\n"
/* far above a statewide directory (~30 MB), far below memory trouble */
#define SAVED_MAX ((uint64_t)1 << 30)

/* ---- the entries by UUID -------------------------------------------------- */

static size_t uuid_hash(const unsigned char *u)
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < 16; i++)
		h = (h ^ u[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

/* The place in r->v of the live entry with this UUID, or SIZE_MAX. */
static size_t find_at(const struct raw_world *r, const unsigned char *uuid)
{
	if (r->slot == NULL)
		return SIZE_MAX;
	for (size_t i = uuid_hash(uuid) & r->mask; r->slot[i] != 0; i = (i + 1) & r->mask) {
		const struct raw_entry *e = r->v[r->slot[i] - 1];

		/* a deleted entry keeps its slot: the probe goes past it */
		if (!e->deleted && memcmp(e->uuid, uuid, 16) == 0)
			return r->slot[i] - 1;
	}
	return SIZE_MAX;
}

struct raw_entry *raw_find(const struct raw_world *r, const unsigned char *uuid)
{
	size_t at = find_at(r, uuid);

	return at != SIZE_MAX ? r->v[at] : NULL;
}

/* Put v[at] in the index r->slot (which has room). */
static void index_put(struct raw_world *r, size_t at)
{
	size_t i = uuid_hash(r->v[at]->uuid) & r->mask;

	while (r->slot[i] != 0)
		i = (i + 1) & r->mask;
	r->slot[i] = at + 1;
}

/* The index built again, in ns (size mask + 1, zeroed), of every entry
 * with a UUID where it now is. */
static void index_rebuild(struct raw_world *r, size_t *ns, size_t mask)
{
	free(r->slot);
	r->slot = ns;
	r->mask = mask;
	for (size_t k = 0; k < r->n; k++)
		if (r->v[k]->has_uuid)
			index_put(r, k);
}

static bool index_add(struct raw_world *r, size_t at)
{
	if (r->slot == NULL || (r->n + 1) * 2 > r->mask + 1) {
		size_t size = r->slot == NULL ? 1024 : (r->mask + 1) * 2;
		size_t *ns = calloc(size, sizeof(*ns));

		if (ns == NULL)
			return false;
		index_rebuild(r, ns, size - 1);   /* v[at] included */
		return true;
	}
	index_put(r, at);
	return true;
}

/* Append e (already filled) to r. */
static bool raw_append(struct raw_world *r, struct raw_entry *e)
{
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 256;
		struct raw_entry **nv = realloc(r->v, nc * sizeof(*nv));

		if (nv == NULL)
			return false;
		r->v = nv;
		r->cap = nc;
	}
	r->v[r->n++] = e;
	r->live++;
	return !e->has_uuid || index_add(r, r->n - 1);
}

static bool copy_value(struct arena *m, struct berval *to, const char *from, size_t len)
{
	char *s = arena_alloc(m, len + 1);

	if (s == NULL)
		return false;
	memcpy(s, from, len);
	to->bv_val = s;
	to->bv_len = len;
	return true;
}

smp_status raw_put(struct raw_world *r, LDAP *ld, LDAPMessage *msg, const unsigned char *uuid,
                   struct raw_entry **out)
{
	struct raw_entry *e = arena_alloc(&r->mem, sizeof(*e));
	size_t old;
	BerElement *ber = NULL;
	char *dn = ldap_get_dn(ld, msg);
	size_t cap = 0;
	bool ok = e != NULL && dn != NULL;

	if (ok) {
		e->dn = arena_strdup(&r->mem, dn);
		ok = e->dn != NULL;
	}
	ldap_memfree(dn);
	for (char *a = ok ? ldap_first_attribute(ld, msg, &ber) : NULL; a != NULL;
	     a = ldap_next_attribute(ld, msg, ber)) {
		struct berval **v;
		struct raw_attr *at;
		size_t n = 0;

		/* kept as the entry's key, not as one of its attributes */
		if (strcasecmp(a, "entryUUID") == 0) {
			ldap_memfree(a);
			continue;
		}
		v = ok ? ldap_get_values_len(ld, msg, a) : NULL;

		if (ok && e->nattrs == cap) {
			struct raw_attr *na = arena_alloc(&r->mem, (cap ? cap * 2 : 16) * sizeof(*na));

			if (na == NULL)
				ok = false;
			else {
				if (cap)
					memcpy(na, e->attrs, cap * sizeof(*na));
				e->attrs = na;
				cap = cap ? cap * 2 : 16;
			}
		}
		while (v != NULL && v[n] != NULL)
			n++;
		if (ok) {
			at = &e->attrs[e->nattrs];
			at->name = arena_strdup(&r->mem, a);
			at->n = n;
			at->v = arena_alloc(&r->mem, (n + 1) * sizeof(*at->v));
			ok = at->name != NULL && at->v != NULL;
			for (size_t j = 0; ok && j < n; j++)
				ok = copy_value(&r->mem, &at->v[j], v[j]->bv_val, v[j]->bv_len);
			e->nattrs += ok;
		}
		ldap_value_free_len(v);
		ldap_memfree(a);
	}
	ber_free(ber, 0);
	if (!ok)
		return SMP_ERR_NOMEM;
	if (uuid != NULL) {
		memcpy(e->uuid, uuid, 16);
		e->has_uuid = true;
	}
	e->seen = true;
	old = uuid != NULL ? find_at(r, uuid) : SIZE_MAX;
	if (out != NULL)
		*out = e;
	if (old != SIZE_MAX) {
		/* the same place in the order (a modify or a modrdn keeps its
		 * entryID in back-mdb), and the index still points there */
		r->v[old] = e;
		return SMP_OK;
	}
	return raw_append(r, e) ? SMP_OK : SMP_ERR_NOMEM;
}

bool raw_reorder(struct raw_world *r, size_t first, struct raw_entry *const *order)
{
	size_t *ns;

	if (r->slot == NULL) {
		memcpy(r->v + first, order, (r->n - first) * sizeof(*order));
		return true;
	}
	if ((ns = calloc(r->mask + 1, sizeof(*ns))) == NULL)
		return false;
	memcpy(r->v + first, order, (r->n - first) * sizeof(*order));
	/* every place after first moved: the index is built again */
	index_rebuild(r, ns, r->mask);
	return true;
}

void raw_delete(struct raw_world *r, struct raw_entry *e)
{
	if (!e->deleted) {
		e->deleted = true;
		r->live--;
	}
}

smp_status raw_set_cookie(struct raw_world *r, const struct berval *cookie)
{
	struct berval c = { 0, NULL };

	if (cookie->bv_len > 0 && !copy_value(&r->mem, &c, cookie->bv_val, cookie->bv_len))
		return SMP_ERR_NOMEM;
	r->cookie = c;
	return SMP_OK;
}

const struct raw_attr *raw_attr(const struct raw_entry *e, const char *name)
{
	for (size_t i = 0; i < e->nattrs; i++)
		if (strcasecmp(e->attrs[i].name, name) == 0)
			return &e->attrs[i];
	return NULL;
}

void raw_world_free(struct raw_world *r)
{
	free(r->v);
	free(r->slot);
	arena_release(&r->mem);
	memset(r, 0, sizeof(*r));
}

/* ---- the file: writing ---------------------------------------------------- */

struct obuf {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct obuf *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap : 1 << 20;
		unsigned char *np;

		while (nc < b->len + n)
			nc *= 2;
		np = realloc(b->p, nc);
		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put32(struct obuf *b, uint64_t v)
{
	unsigned char x[4] = { v >> 24, v >> 16, v >> 8, v };

	if (v > UINT32_MAX)
		b->oom = true;   /* cannot be said in the format: not written */
	put(b, x, 4);
}

static void put64(struct obuf *b, uint64_t v)
{
	put32(b, v >> 32);
	put32(b, v & 0xffffffffu);
}

static void put_bytes(struct obuf *b, const void *s, size_t n)
{
	put32(b, n);
	put(b, s, n);
}

smp_status dir_saved_write(const struct raw_world *r, const char *dir, smp_diags *d)
{
	struct obuf b = { 0 };
	struct digest g;
	char *path = NULL;
	smp_status rc = SMP_OK;
	int fd;

	put(&b, MAGIC, strlen(MAGIC));
	put_bytes(&b, r->cookie.bv_val, r->cookie.bv_len);
	put32(&b, r->live);
	for (size_t i = 0; i < r->n; i++) {
		const struct raw_entry *e = r->v[i];

		if (e->deleted)
			continue;
		put(&b, e->uuid, 16);
		put_bytes(&b, e->dn, strlen(e->dn));
		put32(&b, e->nattrs);
		for (size_t k = 0; k < e->nattrs; k++) {
			put_bytes(&b, e->attrs[k].name, strlen(e->attrs[k].name));
			put32(&b, e->attrs[k].n);
			for (size_t j = 0; j < e->attrs[k].n; j++)
				put_bytes(&b, e->attrs[k].v[j].bv_val, e->attrs[k].v[j].bv_len);
		}
	}
	if (!b.oom) {
		digest_of(b.p, b.len, &g);
		put64(&b, g.lo);
		put64(&b, g.hi);
	}
	if (b.oom || asprintf(&path, "%s/" DIR_SAVED_FILE, dir) < 0) {
		free(b.p);
		return SMP_ERR_NOMEM;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !make_private(fd, SMP_PRIVATE_FILE_MODE) || !write_all(fd, b.p, b.len) ||
	    fsync(fd) != 0) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot write the copy's entries: %s",
		          strerror(errno));
		rc = SMP_ERR_IO;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	free(b.p);
	return rc;
}

/* ---- the file: reading ---------------------------------------------------- */

struct ibuf {
	const unsigned char *p, *end;
	char *why;
	size_t whysize;
	bool bad;
};

static void bad(struct ibuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bad(struct ibuf *b, const char *fmt, ...)
{
	va_list ap;

	if (b->bad)
		return;
	b->bad = true;
	va_start(ap, fmt);
	vsnprintf(b->why, b->whysize, fmt, ap);
	va_end(ap);
}

static uint32_t get32(struct ibuf *b)
{
	uint32_t v;

	if (b->bad || b->end - b->p < 4) {
		bad(b, "it ends early");
		return 0;
	}
	v = (uint32_t)b->p[0] << 24 | (uint32_t)b->p[1] << 16 | (uint32_t)b->p[2] << 8 | b->p[3];
	b->p += 4;
	return v;
}

/* A count of items each at least min bytes long: no more than fit. */
static uint32_t get_count(struct ibuf *b, size_t min, const char *what)
{
	uint32_t n = get32(b);

	if (!b->bad && n > (size_t)(b->end - b->p) / min)
		bad(b, "%" PRIu32 " %s cannot fit in what is left of it", n, what);
	return b->bad ? 0 : n;
}

/* Length-prefixed bytes into the arena (NUL-terminated); text: no NUL
 * inside and not empty. */
static bool get_bytes(struct ibuf *b, struct arena *m, struct berval *out, bool text,
                      const char *what)
{
	uint32_t n = get32(b);

	if (!b->bad && n > (size_t)(b->end - b->p))
		bad(b, "a %s of %" PRIu32 " bytes runs past its end", what, n);
	else if (!b->bad && text && (n == 0 || memchr(b->p, '\0', n) != NULL))
		bad(b, "a %s is empty or holds a NUL byte", what);
	if (b->bad)
		return false;
	if (!copy_value(m, out, (const char *)b->p, n))
		return false;
	b->p += n;
	return true;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

smp_status dir_saved_parse(const unsigned char *data, size_t len, struct raw_world *r,
                           char *why, size_t whysize)
{
	struct ibuf b = { data, data + len, why, whysize, false };
	struct berval cookie = { 0, NULL }, bv;
	struct digest g;
	uint32_t n;
	bool nomem = false;

	if (len < strlen(MAGIC) + 16 || memcmp(data, MAGIC, strlen(MAGIC)) != 0) {
		bad(&b, "not a file of saved entries (or of another version)");
		return SMP_ERR_PARSE;
	}
	digest_of(data, len - 16, &g);
	if (g.lo != get64(data + len - 16) || g.hi != get64(data + len - 8)) {
		bad(&b, "its digest does not match its contents");
		return SMP_ERR_PARSE;
	}
	b.p += strlen(MAGIC);
	b.end -= 16;
	nomem = !get_bytes(&b, &r->mem, &cookie, false, "cookie") && !b.bad;
	r->cookie = cookie;
	n = get_count(&b, 16 + 8, "entries");
	for (uint32_t i = 0; i < n && !b.bad && !nomem; i++) {
		struct raw_entry *e = arena_alloc(&r->mem, sizeof(*e));
		uint32_t na;

		if (e == NULL || b.end - b.p < 16) {
			nomem = e == NULL;
			bad(&b, "it ends early");
			break;
		}
		memcpy(e->uuid, b.p, 16);
		b.p += 16;
		e->has_uuid = true;
		if (raw_find(r, e->uuid) != NULL) {
			bad(&b, "entry %" PRIu32 " repeats the entryUUID of an earlier one", i + 1);
			break;
		}
		if (!get_bytes(&b, &r->mem, &bv, true, "DN")) {
			nomem = !b.bad;
			break;
		}
		e->dn = bv.bv_val;
		na = get_count(&b, 8, "attributes");
		e->attrs = arena_alloc(&r->mem, (na + 1) * sizeof(*e->attrs));
		nomem = e->attrs == NULL;
		for (uint32_t k = 0; k < na && !b.bad && !nomem; k++) {
			struct raw_attr *a = &e->attrs[k];
			uint32_t nv;

			if (!get_bytes(&b, &r->mem, &bv, true, "attribute name")) {
				nomem = !b.bad;
				break;
			}
			a->name = bv.bv_val;
			nv = get_count(&b, 4, "values");
			a->v = arena_alloc(&r->mem, (nv + 1) * sizeof(*a->v));
			nomem = a->v == NULL;
			for (uint32_t j = 0; j < nv && !b.bad && !nomem; j++)
				nomem = !get_bytes(&b, &r->mem, &a->v[j], false, "value") && !b.bad;
			a->n = nv;
		}
		e->nattrs = na;
		if (!b.bad && !nomem && !raw_append(r, e))
			nomem = true;
	}
	if (!b.bad && !nomem && b.p != b.end)
		bad(&b, "%zu bytes follow its last entry", (size_t)(b.end - b.p));
	if (nomem)
		return SMP_ERR_NOMEM;
	return b.bad ? SMP_ERR_PARSE : SMP_OK;
}

smp_status dir_saved_read(const char *path, unsigned flags, struct raw_world *r, char *why,
                          size_t whysize)
{
	smp_diags *quiet = diags_new();
	struct stat st;
	unsigned char *data = NULL;
	size_t got = 0;
	smp_status rc;
	int fd = -1;

	if (quiet == NULL)
		return SMP_ERR_NOMEM;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		smp_diags_free(quiet);
		snprintf(why, whysize, "the copy keeps no entries");
		return SMP_ERR_NOTFOUND;
	}
	rc = file_open_secure(path, flags, SAVED_MAX, &fd, &st, quiet);
	if (rc != SMP_OK) {
		snprintf(why, whysize, "%s", smp_diags_count(quiet) > 0 ?
		         smp_diags_get(quiet, 0)->message : smp_status_string(rc));
		smp_diags_free(quiet);
		return rc == SMP_ERR_NOMEM ? rc : SMP_ERR_PARSE;
	}
	smp_diags_free(quiet);
	data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (data == NULL) {
		close(fd);
		return SMP_ERR_NOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, data + got, (size_t)st.st_size - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		snprintf(why, whysize, "cannot read it: %s", got ? "it shrank" : strerror(errno));
		rc = SMP_ERR_PARSE;
	} else {
		rc = dir_saved_parse(data, got, r, why, whysize);
	}
	free(data);
	return rc;
}
