/*
 * proto.h - Squid's external ACL helper protocol, as smpolicy-squid speaks
 * it: request lines in, answer lines out (smpolicy-squid(8)).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_SQUID_PROTO_H
#define SMP_SQUID_PROTO_H

#include <stdbool.h>
#include <stddef.h>

/* Longer request lines are read to their end and answered as bad. */
#define REQUEST_MAX 8192
/* A channel id is a decimal number of at most this many digits. */
#define CHANNEL_MAX 20

/* One request line: "[channel-ID] USER HOST [CLIENT]".  The fields point
 * into the line, which request_parse() cuts up and %-decodes in place. */
struct request {
	const char *channel;   /* NULL: Squid runs the helper without concurrency */
	const char *user;
	const char *host;
	const char *client;    /* NULL when the line has none */
};

/*
 * Parse line (NUL-terminated, without its newline; modified).  The first
 * field is a channel id when it is all digits and more fields follow, as
 * Squid's own helpers read it (so a login name of digits alone needs
 * concurrency=1 or more).  Fields after CLIENT are the acl's arguments,
 * which Squid appends ("-" for none): they are ignored.  Returns true for
 * a well-formed request (at least USER and HOST); on false, req->channel
 * is still set when the line began with one, so that the answer goes back
 * on it.
 */
bool request_parse(char *line, struct request *req);

/* The channel id at the start of the first bytes of a line too long to
 * keep, copied into buf (CHANNEL_MAX + 1 bytes); NULL if it has none. */
const char *request_channel_prefix(const char *start, size_t len, char *buf);

/* Squid's rfc1738 unescaping, in place: %XX (not %00) is the byte XX, %%
 * is %, anything else stays as it is. */
void percent_decode(char *s);

/* A growing buffer of answer lines, written out by the caller. */
struct answers {
	char *v;
	size_t len, cap;
	bool nomem;            /* an answer was lost: the caller gives up */
};

/* Room for more bytes after len; false (and nomem set) when there is none. */
bool answers_reserve(struct answers *a, size_t more);
/* "[channel ]OK\n" */
void answer_ok(struct answers *a, const char *channel);
/* "[channel ]ERR message=\"TEXT\"\n": TEXT is message quoted as Squid's
 * strwordtok() reads a quoted value back (\" and \\), with control
 * characters as spaces and bytes beyond ASCII as '?' (Squid's error page
 * shows %o byte by byte, as Latin-1 entities), cut to a deny page's
 * length. */
void answer_err(struct answers *a, const char *channel, const char *message);

#endif
