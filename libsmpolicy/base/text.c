/*
 * text.c - a growing text buffer and the libconfig string literal: what
 * every writer of a text file uses (the record commands, the directory's
 * local copy and its state files).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "base/text.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void ebuf_add(struct ebuf *b, const char *s, size_t n)
{
	size_t cap;
	char *ns;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 256; cap < b->len + n + 1; cap *= 2)
			if (cap > SIZE_MAX / 4) {
				b->oom = true;
				return;
			}
		ns = realloc(b->s, cap);
		if (ns == NULL) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void ebuf_adds(struct ebuf *b, const char *s)
{
	ebuf_add(b, s, strlen(s));
}

void ebuf_addf(struct ebuf *b, const char *fmt, ...)
{
	char small[256], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		ebuf_add(b, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (big == NULL) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ebuf_add(b, big, (size_t)n);
	free(big);
}

void ebuf_free(struct ebuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

/* ---- string literals -------------------------------------------------- */

void conf_quote(struct ebuf *b, const char *s)
{
	ebuf_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': ebuf_adds(b, "\\\""); break;
		case '\\': ebuf_adds(b, "\\\\"); break;
		case '\n': ebuf_adds(b, "\\n"); break;
		case '\t': ebuf_adds(b, "\\t"); break;
		case '\r': ebuf_adds(b, "\\r"); break;
		case '\f': ebuf_adds(b, "\\f"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				ebuf_addf(b, "\\x%02x", c);
			else
				ebuf_add(b, (const char *)&c, 1);
		}
	}
	ebuf_add(b, "\"", 1);
}
