/*
 * util.c - the arena that holds a loaded policy, the diagnostics list and
 * the id index.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* ---- arena ------------------------------------------------------------ */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

#define ARENA_CHUNK (64u * 1024u)

void *arena_alloc(struct arena *a, size_t size)
{
	const size_t align = sizeof(max_align_t);
	size_t need;
	struct arena_chunk *c = a->head;

	if (size > SIZE_MAX - align)
		return NULL;
	need = (size + align - 1) / align * align;
	if (need == 0)
		need = align;
	if (c == NULL || c->size - c->used < need) {
		size_t csize = need > ARENA_CHUNK ? need : ARENA_CHUNK;

		c = malloc(sizeof(*c) + csize);
		if (c == NULL)
			return NULL;
		c->size = csize;
		c->used = 0;
		if (need > ARENA_CHUNK / 4 && a->head != NULL) {
			/* keep filling the current chunk after a big block */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += need;
	memset(p, 0, need);   /* the padding too: the compiled cache copies it */
	return p;
}

void *arena_block(struct arena *a, size_t size)
{
	struct arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return NULL;
	c->size = c->used = size;
	c->next = a->head;
	a->head = c;
	return c->data;
}

size_t arena_spans(const struct arena *a, struct arena_span *v, size_t max)
{
	size_t n = 0;

	for (const struct arena_chunk *c = a->head; c != NULL; c = c->next, n++)
		if (n < max)
			v[n] = (struct arena_span){ (const char *)c->data, c->used };
	return n;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

/* ---- diagnostics ------------------------------------------------------ */

smp_diags *diags_new(void)
{
	return calloc(1, sizeof(smp_diags));
}

bool diags_add(smp_diags *d, const char *file, unsigned line, smp_severity sev,
               const char *subject, const char *fmt, ...)
{
	va_list ap;
	char small[512], *msg;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (len < 0)
		goto oom;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		struct smp_diag *nv = realloc(d->v, ncap * sizeof(*nv));

		if (nv == NULL)
			goto oom;
		d->v = nv;
		d->cap = ncap;
	}
	msg = arena_alloc(&d->mem, (size_t)len + 1);
	if (msg == NULL)
		goto oom;
	if ((size_t)len < sizeof(small)) {
		memcpy(msg, small, (size_t)len + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)len + 1, fmt, ap);
		va_end(ap);
	}
	struct smp_diag *g = &d->v[d->n];
	g->file = file ? arena_strdup(&d->mem, file) : NULL;
	g->subject = subject ? arena_strdup(&d->mem, subject) : NULL;
	if ((file && !g->file) || (subject && !g->subject))
		goto oom;
	g->line = line;
	g->severity = sev;
	g->message = msg;
	d->n++;
	return true;
oom:
	d->oom = true;
	return false;
}

struct diag_seq {
	struct smp_diag d;
	size_t seq;
};

static int diag_cmp(const void *a, const void *b)
{
	const struct diag_seq *x = a, *y = b;
	int c = strcmp(x->d.file ? x->d.file : "", y->d.file ? y->d.file : "");

	if (c != 0)
		return c;
	if (x->d.line != y->d.line)
		return x->d.line < y->d.line ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);   /* stable */
}

void diags_sort(smp_diags *d)
{
	struct diag_seq *tmp;

	if (d == NULL || d->n < 2)
		return;
	tmp = malloc(d->n * sizeof(*tmp));
	if (tmp == NULL)
		return;   /* unsorted is still complete, only less tidy */
	for (size_t i = 0; i < d->n; i++) {
		tmp[i].d = d->v[i];
		tmp[i].seq = i;
	}
	qsort(tmp, d->n, sizeof(*tmp), diag_cmp);
	for (size_t i = 0; i < d->n; i++)
		d->v[i] = tmp[i].d;
	free(tmp);
}

bool diags_merge(smp_diags **into, const smp_diags *from)
{
	if (*into == NULL) {
		*into = diags_new();
		if (*into == NULL)
			return false;
	}
	for (size_t i = 0; i < smp_diags_count(from); i++) {
		const struct smp_diag *g = &from->v[i];

		if (!diags_add(*into, g->file, g->line, g->severity, g->subject, "%s", g->message))
			return false;
	}
	diags_sort(*into);
	return true;
}

size_t smp_diags_count(const smp_diags *d)
{
	return d ? d->n : 0;
}

const struct smp_diag *smp_diags_get(const smp_diags *d, size_t i)
{
	return (d && i < d->n) ? &d->v[i] : NULL;
}

size_t smp_diags_errors(const smp_diags *d)
{
	size_t n = 0;

	for (size_t i = 0; d && i < d->n; i++)
		n += d->v[i].severity == SMP_SEV_ERROR;
	return n;
}

void smp_diags_free(smp_diags *d)
{
	if (d == NULL)
		return;
	free(d->v);
	arena_release(&d->mem);
	free(d);
}

/* ---- id index --------------------------------------------------------- */

static uint64_t load64(const char *s)
{
	uint64_t w;

	memcpy(&w, s, sizeof(w));
	return w;
}

static uint64_t load32(const char *s)
{
	uint32_t w;

	memcpy(&w, s, sizeof(w));
	return w;
}

static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 31);
}

/* A hash of s, eight bytes at a time, the last eight (or four) read
 * overlapping the ones before: a byte at a time makes each of a decision's
 * lookups a chain of dependent multiplies.  *len receives its length.
 * Inlined in the lookup, which runs four times a decision. */
static inline __attribute__((always_inline)) uint64_t hash_str(const char *s, size_t *len)
{
	size_t n = strlen(s), i = 0;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;

	if (n >= 8) {
		for (; i + 8 < n; i += 8)
			h = mix(h, load64(s + i));
		h = mix(h, load64(s + n - 8));
	} else if (n >= 4) {
		h = mix(h, load32(s) | load32(s + n - 4) << 32);
	} else if (n > 0) {
		h = mix(h, (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8 |
		           (uint64_t)(unsigned char)s[n - 1] << 16);
	}
	*len = n;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 29);
}

bool idmap_init(struct idmap *m, struct arena *a, size_t n)
{
	size_t size = 16;

	while (size < n * 2 + 1) {
		if (size > SIZE_MAX / 4)
			return false;
		size *= 2;
	}
	m->slot = arena_alloc(a, size * sizeof(*m->slot));
	m->mask = size - 1;
	return m->slot != NULL;
}

static bool slot_holds(const struct idslot *slot, const char *key, size_t len)
{
	/* a key shorter than the head: its bytes, read as two words that may
	 * overlap, then the head's NUL after them (a longer key differs there) */
	if (len >= 8 && len < sizeof(slot->head))
		return load64(slot->head) == load64(key) &&
		       load64(slot->head + len - 8) == load64(key + len - 8) && slot->head[len] == '\0';
	if (len >= 4 && len < 8)
		return load32(slot->head) == load32(key) &&
		       load32(slot->head + len - 4) == load32(key + len - 4) && slot->head[len] == '\0';
	if (len < sizeof(slot->head))
		return memcmp(slot->head, key, len + 1) == 0;
	return memcmp(slot->head, key, sizeof(slot->head)) == 0 &&
	       strcmp(slot->key + sizeof(slot->head), key + sizeof(slot->head)) == 0;
}

/* The slot holding key, or the empty one where it would go.  The slot's
 * bits of the hash choose where to start; its upper half and the key's
 * head, kept in the slot, settle a probe for an id of up to 15 bytes
 * without reading the key elsewhere (docs/PERFORMANCE.md: one cache line, not two). */
static inline struct idslot *idmap_slot(const struct idmap *m, const char *key, size_t len, uint64_t h)
{
	size_t i = h & m->mask;

	for (; m->slot[i].key != NULL; i = (i + 1) & m->mask)
		if (m->slot[i].hash == (uint32_t)(h >> 32) && slot_holds(&m->slot[i], key, len))
			break;
	return &m->slot[i];
}

uint32_t idmap_insert(struct idmap *m, const char *key, uint32_t idx)
{
	size_t len;
	uint64_t h = hash_str(key, &len);
	struct idslot *s = idmap_slot(m, key, len, h);

	if (s->key != NULL)
		return s->idx;
	s->key = key;
	s->idx = idx;
	s->hash = (uint32_t)(h >> 32);
	memcpy(s->head, key, len < sizeof(s->head) ? len : sizeof(s->head));   /* slot was zeroed */
	return NONE;
}

uint32_t idmap_find(const struct idmap *m, const char *key)
{
	const struct idslot *s;
	size_t len;
	uint64_t h;

	if (m->slot == NULL || key == NULL)
		return NONE;
	h = hash_str(key, &len);
	s = idmap_slot(m, key, len, h);
	return s->key != NULL ? s->idx : NONE;
}

bool id_is_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '@'))
			return false;
	}
	return n > 0 && n <= SMP_MAX_ID_LEN;
}

const char *smp_status_string(smp_status s)
{
	switch (s) {
	case SMP_OK: return "success";
	case SMP_ERR_NOMEM: return "out of memory";
	case SMP_ERR_ARG: return "invalid argument";
	case SMP_ERR_IO: return "input/output error";
	case SMP_ERR_INSECURE: return "insecure file ownership or permissions";
	case SMP_ERR_PARSE: return "invalid configuration or records";
	case SMP_ERR_TIME: return "invalid time";
	case SMP_ERR_LOCK: return "records are locked by another command";
	case SMP_ERR_REFUSED: return "change refused";
	case SMP_ERR_NOTFOUND: return "no such record";
	case SMP_ERR_DIRECTORY: return "the directory could not be read";
	case SMP_ERR_OFFLINE: return "the local copy of the directory is out of date";
	}
	return "unknown status";
}

/* ---- files ------------------------------------------------------------ */

void split_path(const char *path, char *dir, size_t ndir, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		snprintf(dir, ndir, ".");
		*base = path;
	} else if (slash == path) {
		snprintf(dir, ndir, "/");
		*base = slash + 1;
	} else {
		snprintf(dir, ndir, "%.*s", (int)(slash - path), path);
		*base = slash + 1;
	}
}

bool write_all(int fd, const void *data, size_t n)
{
	const char *s = data;

	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

bool fsync_folder(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = fd >= 0 && fsync(fd) == 0;
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
	return ok;
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

smp_status flock_path(const char *path, bool nowait, int64_t deadline, int *fd)
{
	long pause_ms = 2;

	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (*fd < 0)
		return SMP_ERR_IO;
	while (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		struct timespec ts = { 0, pause_ms * 1000000 };

		if (errno != EWOULDBLOCK && errno != EINTR)
			return SMP_ERR_IO;
		if (nowait || now_ms() >= deadline)
			return SMP_ERR_LOCK;
		nanosleep(&ts, NULL);
		if (pause_ms < 50)
			pause_ms *= 2;
	}
	return SMP_OK;
}

void remove_temps(const char *dir, const char *prefix)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (dp == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		char path[4096 + 512];

		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
		    strlen(e->d_name) != strlen(prefix) + 6)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(dp);
}
