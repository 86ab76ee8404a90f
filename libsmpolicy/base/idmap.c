/*
 * idmap.c - the id index: an open-addressing map from a record's id to
 * its index, and what a valid id is.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "base.h"

#include <string.h>

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
