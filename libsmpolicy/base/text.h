/*
 * text.h - a growing text buffer and libconfig string literals (text.c),
 * used by every folder that writes a text file.  Not installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_BASE_TEXT_H
#define SMP_BASE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct ebuf {
	char *s;          /* NUL-terminated once anything was added */
	size_t len, cap;
	bool oom;         /* an append failed: the contents are incomplete */
};

void ebuf_add(struct ebuf *b, const char *s, size_t n);
void ebuf_adds(struct ebuf *b, const char *s);
void ebuf_addf(struct ebuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ebuf_free(struct ebuf *b);

/* Append s as a libconfig string literal, quotes included; every byte
 * round-trips (quote, backslash, control characters are escaped). */
void conf_quote(struct ebuf *b, const char *s);

#endif
