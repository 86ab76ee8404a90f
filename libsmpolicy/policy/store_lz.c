/*
 * store_lz.c - the login store's compression of a slice against the
 * shared part (store.h): LZ77 sequences over the bytes of the shared part
 * followed by the slice's image, so that a match may reach back into the
 * shared part.  Its own format, a few dozen lines to read: a login maps
 * no compression library and spends a few instructions per byte.
 *
 * A sequence is a token byte (high nibble: literals, low nibble: match
 * length - 4; 15 in either: more follows, in bytes added until one below
 * 255), the literals, then the match's distance back as a little-endian
 * base-128 number (at most 5 bytes); the last sequence has literals only.
 * The unpacker is written for untrusted bytes: every length and distance
 * is checked against what is left to read and to write, and the output
 * must come out exactly as long as the slot says.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "store.h"

#include <string.h>

#define MIN_MATCH 4
#define HASH_BITS 13

static uint32_t read32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t hash4(uint32_t v)
{
	return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* A match costs a token and its distance, at most 1 + 3 bytes below
 * 2^21 (the packer takes longer matches only, further back), so no more
 * than the 4 bytes it stands for; what grows is the count of literals
 * past 15, one byte per 15 at the most. */
size_t store_lz_bound(size_t n)
{
	return n + n / 8 + 32;
}

void store_lz_prime(const char *buf, size_t n, uint32_t table[STORE_LZ_TABLE])
{
	const unsigned char *b = (const unsigned char *)buf;

	memset(table, 0, STORE_LZ_TABLE * sizeof(*table));
	for (size_t i = 0; i + MIN_MATCH <= n; i++)
		table[hash4(read32(b + i))] = (uint32_t)i;
}

/* A length of the token's nibble: the nibble, and the bytes past 15. */
static unsigned char *put_length(unsigned char *o, size_t len)
{
	for (len -= 15; len >= 255; len -= 255)
		*o++ = 255;
	*o++ = (unsigned char)len;
	return o;
}

static unsigned char *put_sequence(unsigned char *o, const unsigned char *lit, size_t nlit,
                                   size_t dist, size_t match)
{
	unsigned char *token = o++;
	size_t ml = match >= MIN_MATCH ? match - MIN_MATCH : 0;

	*token = (unsigned char)((nlit < 15 ? nlit : 15) << 4 | (ml < 15 ? ml : 15));
	if (nlit >= 15)
		o = put_length(o, nlit);
	memcpy(o, lit, nlit);
	o += nlit;
	if (match == 0)
		return o;
	if (ml >= 15)
		o = put_length(o, ml);
	do {
		*o++ = (unsigned char)((dist & 0x7f) | (dist >= 0x80 ? 0x80 : 0));
		dist >>= 7;
	} while (dist > 0);
	return o;
}

size_t store_lz_pack(const char *buf, size_t start, size_t end,
                     uint32_t table[STORE_LZ_TABLE], char *out)
{
	const unsigned char *b = (const unsigned char *)buf;
	unsigned char *o = (unsigned char *)out;
	size_t ip = start, anchor = start;

	while (ip + MIN_MATCH < end) {
		uint32_t v = read32(b + ip), h = hash4(v);
		size_t cand = table[h], len = MIN_MATCH;

		table[h] = (uint32_t)ip;
		if (cand >= ip || read32(b + cand) != v ||
		    (ip - cand >= (1u << 21) &&   /* far: 6 bytes at least (the bound) */
		     (end - ip < 6 || memcmp(b + cand, b + ip, 6) != 0))) {
			ip += 1 + ((ip - anchor) >> 6);   /* faster through what does not repeat */
			continue;
		}
		while (ip + len < end && b[cand + len] == b[ip + len])
			len++;
		o = put_sequence(o, b + anchor, ip - anchor, ip - cand, len);
		ip += len;
		anchor = ip;
		if (ip + MIN_MATCH < end)   /* the place just before, for a run that goes on */
			table[hash4(read32(b + ip - 2))] = (uint32_t)(ip - 2);
	}
	o = put_sequence(o, b + anchor, end - anchor, 0, 0);
	return (size_t)(o - (unsigned char *)out);
}

/* A length of the token's nibble, from [*i, n): false if cut short or
 * larger than limit. */
static inline bool get_length(const unsigned char *s, size_t n, size_t *i, size_t *len,
                              size_t limit)
{
	unsigned char c;

	if (*len < 15)
		return true;
	do {
		if (*i >= n)
			return false;
		c = s[(*i)++];
		*len += c;
		if (*len > limit)
			return false;
	} while (c == 255);
	return true;
}

bool store_lz_unpack(const char *src, size_t n, char *buf, size_t start, size_t end)
{
	const unsigned char *s = (const unsigned char *)src;
	unsigned char *b = (unsigned char *)buf;
	size_t i = 0, o = start;

	while (i < n) {
		unsigned char token = s[i++];
		size_t nlit = token >> 4, len = token & 15, dist = 0;

		if (!get_length(s, n, &i, &nlit, end - o) || nlit > n - i || nlit > end - o)
			return false;
		/* most pieces are short: 16 bytes copied at once where they fit
		 * (the bytes past the piece are written again by the next) */
		if (nlit <= 16 && n - i >= 16 && end - o >= 16)
			memcpy(b + o, s + i, 16);
		else
			memcpy(b + o, s + i, nlit);
		i += nlit;
		o += nlit;
		if (i == n)
			break;   /* the last sequence: literals only */
		if (!get_length(s, n, &i, &len, end - o))
			return false;
		len += MIN_MATCH;
		for (unsigned shift = 0;; shift += 7) {
			if (i >= n || shift > 28)
				return false;
			dist |= (size_t)(s[i] & 0x7f) << shift;
			if (!(s[i++] & 0x80))
				break;
		}
		if (dist == 0 || dist > o || len > end - o)
			return false;
		if (dist >= 16 && end - o >= len + 16) {
			/* 16 bytes at a time, each read from bytes written before
			 * it (dist >= 16); up to 15 past the match, written again
			 * by the next piece */
			for (size_t k = 0; k < len; k += 16)
				memcpy(b + o + k, b + o - dist + k, 16);
			o += len;
			continue;
		}
		/* a short pattern repeated (dist < len), or the last bytes:
		 * copied in pieces that double, each from what is written */
		for (size_t from = o - dist; len > 0;) {
			size_t c = o - from < len ? o - from : len;

			memcpy(b + o, b + from, c);
			o += c;
			len -= c;
		}
	}
	return o == end && i == n;
}
