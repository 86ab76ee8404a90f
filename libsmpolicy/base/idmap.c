/*
 * idmap.c - the id index: an open-addressing map from a record's id to
 * its index, and what a valid id is.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "base.h"

#include <string.h>

/* FNV-1a of s; *len receives its length. */
static uint64_t hash_str(const char *s, size_t *len)
{
	uint64_t h = 1469598103934665603ull;
	const char *c;

	for (c = s; *c; c++) {
		h ^= (unsigned char)*c;
		h *= 1099511628211ull;
	}
	*len = (size_t)(c - s);
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
	if (len < sizeof(slot->head))   /* the NUL too: a longer key differs there */
		return memcmp(slot->head, key, len + 1) == 0;
	return memcmp(slot->head, key, sizeof(slot->head)) == 0 &&
	       strcmp(slot->key + sizeof(slot->head), key + sizeof(slot->head)) == 0;
}

/* The slot holding key, or the empty one where it would go.  The slot's
 * bits of the hash choose where to start; its upper half and the key's
 * head, kept in the slot, settle a probe for an id of up to 15 bytes
 * without reading the key elsewhere (docs/PERFORMANCE.md: one cache line, not two). */
static struct idslot *idmap_slot(const struct idmap *m, const char *key, size_t len, uint64_t h)
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
