/*
 * arena.c - the arena that holds a loaded policy: every allocation of it
 * in a few large chunks, released at once.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "base.h"

#include <stdlib.h>
#include <string.h>

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
