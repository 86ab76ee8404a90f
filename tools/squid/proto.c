/*
 * proto.c - see proto.h.  Squid's side of the protocol: helper.cc writes
 * "channel value value ...", each value escaped by the external_acl_type's
 * quote=url (the default; "-" for a value it does not have), then the acl's
 * arguments (%DATA; "-" for none), and reads the answer back with
 * Helper::Reply, whose key=value pairs are split by strwordtok().
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

/* What a deny page shows of a message: the rest is cut, with "..." */
#define MESSAGE_MAX 1024

static bool all_digits(const char *s, size_t n)
{
	if (n == 0 || n > CHANNEL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void percent_decode(char *s)
{
	char *d = s;

	while (*s) {
		int hi, lo;

		if (s[0] == '%' && s[1] == '%') {
			*d++ = '%';
			s += 2;
		} else if (s[0] == '%' && (hi = hex(s[1])) >= 0 && (lo = hex(s[2])) >= 0 &&
		           (hi | lo) != 0) {
			*d++ = (char)(hi << 4 | lo);
			s += 3;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* channel, USER, HOST, CLIENT: what follows is the acl's %DATA */
#define FIELDS_MAX 4

bool request_parse(char *line, struct request *req)
{
	char *field[FIELDS_MAX];
	size_t n = 0, first = 0;
	char *p = line;

	memset(req, 0, sizeof(*req));
	while (n < FIELDS_MAX) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		field[n++] = p;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
	}
	if (n >= 2 && all_digits(field[0], strlen(field[0]))) {
		req->channel = field[0];
		first = 1;
	}
	if (n - first < 2)
		return false;
	if (first == 0 && n == FIELDS_MAX)
		n--;   /* no channel: the fourth field is %DATA already */
	for (size_t i = first; i < n; i++)
		percent_decode(field[i]);
	req->user = field[first];
	req->host = field[first + 1];
	req->client = n - first == 3 ? field[first + 2] : NULL;
	return true;
}

const char *request_channel_prefix(const char *start, size_t len, char *buf)
{
	size_t lead = 0, n = 0;

	while (lead < len && (start[lead] == ' ' || start[lead] == '\t'))
		lead++;
	while (lead + n < len && start[lead + n] >= '0' && start[lead + n] <= '9')
		n++;
	/* the digits must end in a blank: then more fields follow */
	if (lead + n >= len || (start[lead + n] != ' ' && start[lead + n] != '\t') ||
	    !all_digits(start + lead, n))
		return NULL;
	memcpy(buf, start + lead, n);
	buf[n] = '\0';
	return buf;
}

bool answers_reserve(struct answers *a, size_t more)
{
	char *v;
	size_t cap;

	if (a->nomem)
		return false;
	if (a->len + more <= a->cap)
		return true;
	cap = a->cap ? a->cap : 4096;
	while (cap < a->len + more)
		cap *= 2;
	v = realloc(a->v, cap);
	if (v == NULL) {
		a->nomem = true;
		return false;
	}
	a->v = v;
	a->cap = cap;
	return true;
}

static void put(struct answers *a, const char *s, size_t n)
{
	memcpy(a->v + a->len, s, n);
	a->len += n;
}

static void begin(struct answers *a, const char *channel, const char *result)
{
	if (channel != NULL) {
		put(a, channel, strlen(channel));
		put(a, " ", 1);
	}
	put(a, result, strlen(result));
}

void answer_ok(struct answers *a, const char *channel)
{
	if (!answers_reserve(a, CHANNEL_MAX + 8))
		return;
	begin(a, channel, "OK\n");
}

void answer_err(struct answers *a, const char *channel, const char *message)
{
	size_t shown = 0;

	/* every byte of the message may take two, plus the frame */
	if (!answers_reserve(a, CHANNEL_MAX + 32 + 2 * MESSAGE_MAX))
		return;
	begin(a, channel, "ERR message=\"");
	for (const unsigned char *p = (const unsigned char *)message; *p; p++) {
		if (++shown > MESSAGE_MAX - 3) {
			put(a, "...", 3);
			break;
		}
		if (*p == '"' || *p == '\\') {
			put(a, "\\", 1);
			put(a, (const char *)p, 1);
		} else if (*p < 0x20 || *p == 0x7f) {
			put(a, " ", 1);
		} else if (*p >= 0x80) {
			/* one '?' for each character, not each byte */
			if ((*p & 0xc0) != 0x80)
				put(a, "?", 1);
			else
				shown--;
		} else {
			put(a, (const char *)p, 1);
		}
	}
	put(a, "\"\n", 2);
}
