/*
 * smpolicy-squid - the library's decision at the web proxy: a Squid
 * external_acl_type helper (smpolicy-squid(8)).
 *
 * A small loop, as Squid's own helpers are: read what Squid wrote, answer
 * every whole line on its channel, write the answers out before reading
 * again.  The policy is loaded once and again whenever the files it came
 * from change; while it cannot be loaded every answer is ERR.  Nothing
 * Squid sends ends the loop but the end of its input.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "common.h"
#include "smpolicy.h"
#include "smpolicy_testing.h"
#include "device.h"
#include "proto.h"
#include "resolver.h"
#include "watch.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* While the policy cannot be loaded, it is tried again this often. */
#define RETRY_EVERY_MS 1000
#define READ_SIZE 65536
/* Requests waiting for the resolver at most; past that they are not read. */
#define PARK_MAX 4096
/* How long a request waits for its client's name; then it is decided as a
 * device without one (device-unknown). */
#define LOOKUP_WAIT_MS 2000

#define UNAVAILABLE "The social media policy could not be checked, so access is refused. " \
                    "Please tell your system administrator."

static const char usage_text[] =
	"usage: smpolicy-squid [-c CONFIG]\n"
	"A Squid external_acl_type helper: reads \"[channel-ID] USER HOST [CLIENT]\" lines\n"
	"and answers OK, or ERR with the reason, for the view of HOST's platform.\n"
	"CONFIG defaults to $SMPOLICY_CONFIG, then " SMP_DEFAULT_CONFIG ".\n";

struct helper {
	char *config;              /* the settings file, absolute */
	unsigned flags;
	smp_policy *policy;        /* NULL: cannot be loaded; every answer is ERR */
	bool expires;              /* it stops holding at expires_at even if no file changes */
	int64_t expires_at;        /* (smp_policy_expires: a directory's copy, max_offline) */
	int64_t loaded_ms;         /* when it was last tried */
	char *last_report;         /* why the last load failed, as logged */
	struct watch watch;
	struct devices devices;
	struct answers out;
	struct answers why;        /* a denial's message, before it is quoted */
	struct resolver *resolver; /* NULL: names are looked up in the loop */
	struct parked *parked;     /* waiting for a name, oldest first */
	struct parked **parked_tail;
	size_t nparked;
	bool blocked;              /* a request without a channel waits: read no further */
	struct input {
		char *buf;             /* what Squid wrote, READ_SIZE bytes */
		size_t pos, len;       /* answered up to pos of len */
		char *line;            /* the line being read, REQUEST_MAX + 1 bytes */
		size_t have;
		bool overlong;         /* the line passed REQUEST_MAX: skip to its end */
		bool eof;
	} in;
};

/* ---- the policy ------------------------------------------------------- */

/* Why a load failed, on standard error (Squid writes it to cache.log):
 * once, not at every retry while nothing changes. */
static void report_load(struct helper *h, smp_status st, const smp_diags *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return;
	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);

		if (g->severity != SMP_SEV_ERROR)
			continue;
		fputs("smpolicy-squid: ", f);
		print_escaped(f, g->file ? g->file : h->config);
		if (g->file != NULL && g->line > 0)
			fprintf(f, ":%u", g->line);
		fputs(": ", f);
		print_escaped(f, g->message);
		fputc('\n', f);
	}
	fputs("smpolicy-squid: ", f);
	print_escaped(f, h->config);
	fprintf(f, ": %s; answering ERR to every request until it loads\n", smp_status_string(st));
	if (fclose(f) != 0 || text == NULL) {
		free(text);
		return;
	}
	if (h->last_report == NULL || strcmp(h->last_report, text) != 0)
		fputs(text, stderr);
	free(h->last_report);
	h->last_report = text;
}

/* The void records of a policy that loaded (each allows nothing, the
 * rest decides): on standard error, once per load. */
static void report_voids(const smp_policy *p)
{
	smp_diags *d = NULL;

	if (smp_policy_voids(p, &d) != SMP_OK)
		return;
	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);

		fputs("smpolicy-squid: ", stderr);
		print_escaped(stderr, g->file != NULL ? g->file : "?");
		if (g->line > 0)
			fprintf(stderr, ":%u", g->line);
		fputs(": warning: ", stderr);
		print_escaped(stderr, g->message);
		fputc('\n', stderr);
	}
	smp_diags_free(d);
}

static void load(struct helper *h)
{
	for (int round = 0; round < 3; round++) {
		smp_policy *p = NULL;
		smp_diags *d = NULL;
		smp_status st = smp_policy_load(h->config, h->flags, &p, &d);
		bool was_down = h->policy == NULL && h->loaded_ms != 0;

		h->loaded_ms = now_ms();
		smp_policy_free(h->policy);
		h->policy = p;
		h->expires = smp_policy_expires(p, &h->expires_at);
		if (st != SMP_OK) {
			report_load(h, st, d);
		} else {
			if (was_down) {
				fputs("smpolicy-squid: ", stderr);
				print_escaped(stderr, h->config);
				fputs(": loaded again\n", stderr);
			}
			report_voids(p);
			free(h->last_report);
			h->last_report = NULL;
		}
		smp_diags_free(d);
		/* a folder watched only now may have changed before: once more */
		if (!watch_add(&h->watch, h->config, p))
			return;
	}
}

/* Before answering what was just read: the policy as the files are now. */
static void refresh(struct helper *h)
{
	int64_t t = now_ms();
	bool changed = watch_changed(&h->watch);

	if (changed || (h->expires && (int64_t)time(NULL) >= h->expires_at) ||
	    (h->policy == NULL && t - h->loaded_ms >= RETRY_EVERY_MS) ||
	    (h->watch.fd < 0 && t - h->loaded_ms >= RETRY_EVERY_MS))
		load(h);
}

/* ---- one request ------------------------------------------------------ */

static void put_text(struct answers *a, const char *s)
{
	size_t n = strlen(s);

	if (!answers_reserve(a, n + 1))
		return;
	memcpy(a->v + a->len, s, n + 1);
	a->len += n;
}

/* "CODE (SECTION): MESSAGE" for every reason, "; " between them. */
static const char *denial(struct helper *h, const smp_decision *d)
{
	struct answers *w = &h->why;

	w->len = 0;
	w->nomem = false;
	put_text(w, "");
	for (size_t i = 0; i < smp_decision_reason_count(d); i++) {
		smp_reason r = smp_decision_reason(d, i);

		if (i > 0)
			put_text(w, "; ");
		put_text(w, smp_reason_code(r));
		put_text(w, " (");
		put_text(w, smp_reason_section(r));
		put_text(w, "): ");
		put_text(w, smp_decision_reason_message(d, i));
	}
	return w->nomem ? "access is refused (out of memory)" : w->v;
}

static void answer(struct helper *h, const struct request *rq)
{
	struct smp_request req;
	smp_decision *d = NULL;
	const char *platform;
	char id[DEVICE_NAME_MAX + 1];
	smp_status st;
	bool dns;

	if (h->policy == NULL) {
		answer_err(&h->out, rq->channel, UNAVAILABLE);
		return;
	}
	platform = smp_policy_platform_for_host(h->policy, rq->host);
	if (platform == NULL) {
		answer_ok(&h->out, rq->channel);
		return;
	}
	smp_request_init(&req);
	req.user = rq->user;
	req.platform = platform;
	req.action = SMP_ACTION_VIEW;
	req.device = device_of(&h->devices, rq->client, now_ms(), &dns);
	/* a reverse-DNS name is a device only under the settings'
	 * device_domains: any other says nothing of which device it is, and
	 * the address is decided as one without a name (device-unknown) */
	if (dns)
		req.device = smp_policy_device_for_name(h->policy, req.device, id, sizeof(id)) ==
		             SMP_OK ? id : rq->client;
	st = smp_decide(h->policy, &req, &d);
	if (st != SMP_OK)
		answer_err(&h->out, rq->channel, UNAVAILABLE);
	else if (smp_decision_allowed(d))
		answer_ok(&h->out, rq->channel);
	else
		answer_err(&h->out, rq->channel, denial(h, d));
	smp_decision_free(d);
}

/* ---- writing ---------------------------------------------------------- */

static bool flush(struct helper *h)
{
	const char *p = h->out.v;
	size_t n = h->out.len;

	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;   /* Squid has gone */
		p += w;
		n -= (size_t)w;
	}
	h->out.len = 0;
	return true;
}

/* ---- requests waiting for a name ------------------------------------ */

/* A request whose CLIENT is an address the resolver is naming: answered
 * when the name comes, or, past its deadline, as a device without one
 * (device-unknown: a slow resolver never lets a request through). */
struct parked {
	struct parked *next;
	int64_t deadline_ms;
	struct request rq;         /* its strings live in text */
	char text[];
};

static bool parked_for(const struct helper *h, const char *client)
{
	for (const struct parked *p = h->parked; p != NULL; p = p->next)
		if (strcmp(p->rq.client, client) == 0)
			return true;
	return false;
}

static char *copy_field(char **to, const char *s)
{
	char *at = *to;
	size_t n = s ? strlen(s) + 1 : 0;

	if (s == NULL)
		return NULL;
	memcpy(at, s, n);
	*to += n;
	return at;
}

/* Park rq until the resolver names its client; false when it cannot
 * wait (too many waiting, the resolver's queue full, no memory). */
static bool park(struct helper *h, const struct request *rq, int64_t now)
{
	size_t n = 0;
	struct parked *p;
	char *to;

	if (h->nparked >= PARK_MAX ||
	    (!parked_for(h, rq->client) && !resolver_ask(h->resolver, rq->client)))
		return false;
	for (const char *f[] = { rq->channel, rq->user, rq->host, rq->client }, **i = f; i < f + 4; i++)
		n += *i ? strlen(*i) + 1 : 0;
	p = malloc(sizeof(*p) + n);
	if (p == NULL)
		return false;
	to = p->text;
	p->rq.channel = copy_field(&to, rq->channel);
	p->rq.user = copy_field(&to, rq->user);
	p->rq.host = copy_field(&to, rq->host);
	p->rq.client = copy_field(&to, rq->client);
	p->deadline_ms = now + LOOKUP_WAIT_MS;
	p->next = NULL;
	*h->parked_tail = p;
	h->parked_tail = &p->next;
	h->nparked++;
	/* without channels Squid reads the answers in order: read on after it */
	if (rq->channel == NULL)
		h->blocked = true;
	return true;
}

/* Answer the parked requests for client (every one, with all = true, and
 * those past their deadline, with client NULL). */
static void unpark(struct helper *h, const char *client, int64_t now)
{
	struct parked **pp = &h->parked;

	while (*pp != NULL) {
		struct parked *p = *pp;

		if (client != NULL ? strcmp(p->rq.client, client) != 0 : p->deadline_ms > now) {
			pp = &p->next;
			continue;
		}
		if (client == NULL)   /* no name in time: none, for a while */
			device_remember(&h->devices, p->rq.client, NULL, now);
		answer(h, &p->rq);
		if (p->rq.channel == NULL)
			h->blocked = false;
		*pp = p->next;
		free(p);
		h->nparked--;
	}
	h->parked_tail = pp;
	while (*h->parked_tail != NULL)
		h->parked_tail = &(*h->parked_tail)->next;
}

/* The names the resolver has found, and the requests waiting for them. */
static void collect(struct helper *h)
{
	char addr[48], name[DEVICE_NAME_MAX + 1];
	int64_t now = now_ms();

	while (h->resolver != NULL && resolver_collect(h->resolver, addr, name)) {
		device_remember(&h->devices, addr, name, now);
		unpark(h, addr, now);
	}
	unpark(h, NULL, now);
}

/* ---- the loop --------------------------------------------------------- */

static void handle_line(struct helper *h, char *line, size_t len)
{
	struct request rq;
	int64_t now = now_ms();
	bool nul;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	nul = memchr(line, '\0', len) != NULL;
	if (!request_parse(line, &rq) || nul) {
		answer_err(&h->out, rq.channel,
		           "bad request: expected \"[channel-ID] USER HOST [CLIENT]\"");
		return;
	}
	if (device_needs_lookup(&h->devices, rq.client, now)) {
		if (h->resolver != NULL) {
			if (park(h, &rq, now))
				return;
			/* it cannot wait: an address without a name, for a while */
			device_remember(&h->devices, rq.client, NULL, now);
		} else {
			flush(h);   /* the lookup waits: what is answered goes out first */
		}
	}
	answer(h, &rq);
}

static void handle_overlong(struct helper *h, const char *start, size_t len)
{
	char buf[CHANNEL_MAX + 1];

	answer_err(&h->out, request_channel_prefix(start, len, buf),
	           "bad request: the line is longer than the helper reads");
}

/* The line read so far is whole: answer it and start the next. */
static void end_line(struct helper *h)
{
	struct input *in = &h->in;

	in->line[in->have] = '\0';
	if (in->overlong)
		handle_overlong(h, in->line, in->have);
	else
		handle_line(h, in->line, in->have);
	in->have = 0;
	in->overlong = false;
}

/* Answer the whole lines read and not yet answered, until a request
 * without a channel has to wait for its name. */
static void take_lines(struct helper *h)
{
	struct input *in = &h->in;

	while (in->pos < in->len && !h->blocked) {
		char *nl = memchr(in->buf + in->pos, '\n', in->len - in->pos);
		size_t take = (nl ? (size_t)(nl - in->buf) : in->len) - in->pos;

		if (!in->overlong && in->have + take > REQUEST_MAX) {
			/* keep what fits: the channel id is at its start */
			size_t room = REQUEST_MAX - in->have;

			memcpy(in->line + in->have, in->buf + in->pos, room);
			in->have += room;
			in->overlong = true;
		} else if (!in->overlong) {
			memcpy(in->line + in->have, in->buf + in->pos, take);
			in->have += take;
		}
		in->pos += take;
		if (nl == NULL)
			break;
		in->pos++;   /* the newline */
		end_line(h);
	}
	/* the end: a last line without its newline is answered too */
	if (in->eof && in->pos == in->len && !h->blocked && (in->have > 0 || in->overlong))
		end_line(h);
}

/* Wait for Squid's input, a name from the resolver, or the next deadline;
 * read what Squid wrote if there is room for it.  False on a poll error. */
static bool wait_and_read(struct helper *h)
{
	struct input *in = &h->in;
	struct pollfd fds[2];
	nfds_t n = 0;
	int timeout = -1, rc;
	bool want_input = !in->eof && !h->blocked && in->pos == in->len && h->nparked < PARK_MAX;

	if (want_input)
		fds[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	if (h->resolver != NULL && h->nparked > 0)
		fds[n++] = (struct pollfd){ .fd = resolver_fd(h->resolver), .events = POLLIN };
	if (h->nparked > 0) {
		int64_t left = h->parked->deadline_ms - now_ms();

		timeout = left < 0 ? 0 : (int)left;
	}
	if (n == 0 && timeout < 0)
		return true;   /* lines read are still to be answered: nothing to wait for */
	rc = poll(fds, n, timeout);
	if (rc < 0 && errno != EINTR)
		return false;
	if (rc > 0 && want_input && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t got = read(STDIN_FILENO, in->buf, READ_SIZE);

		if (got > 0) {
			in->pos = 0;
			in->len = (size_t)got;
		} else if (got == 0 || errno != EINTR) {
			in->eof = true;
		}
	}
	return true;
}

static int run(struct helper *h)
{
	struct input *in = &h->in;

	in->line = malloc(REQUEST_MAX + 1);
	in->buf = malloc(READ_SIZE);
	h->parked_tail = &h->parked;
	if (in->line == NULL || in->buf == NULL) {
		fputs("smpolicy-squid: out of memory\n", stderr);
		return 1;
	}
	while (!(in->eof && in->pos == in->len && h->nparked == 0 && in->have == 0 &&
	         !in->overlong)) {
		if (!wait_and_read(h))
			break;
		/* before any answer: the policy as the files are now */
		refresh(h);
		collect(h);
		take_lines(h);
		if (h->out.nomem) {
			fputs("smpolicy-squid: out of memory\n", stderr);
			break;
		}
		if (!flush(h))
			break;
	}
	return h->out.nomem ? 1 : 0;
}

/* The settings file's path made absolute, so that its folder is watched
 * whatever the working folder becomes. */
static char *absolute(const char *path)
{
	char cwd[4096];
	char *out;

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return strdup(path);
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		/* tests only: accept files owned by the calling user */
		{ "test-allow-nonroot", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct helper h;
	const char *config = getenv("SMPOLICY_CONFIG");
	int c, rc;

	memset(&h, 0, sizeof(h));
	if (config == NULL || config[0] == '\0')
		config = SMP_DEFAULT_CONFIG;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': puts("smpolicy-squid " SMP_VERSION); return 0;
		case 'T': h.flags |= SMP_LOAD_ALLOW_NONROOT; break;
		default:
			fprintf(stderr, "smpolicy-squid: unknown or incomplete option '%s'\n%s",
			        argv[optind - 1], usage_text);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "smpolicy-squid: unexpected argument '%s'\n%s", argv[optind],
		        usage_text);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);   /* Squid gone: write() fails, and the loop ends */
	h.config = absolute(config);
	if (h.config == NULL || !devices_init(&h.devices)) {
		fputs("smpolicy-squid: out of memory\n", stderr);
		return 1;
	}
	if (!watch_init(&h.watch))
		fprintf(stderr, "smpolicy-squid: inotify: %s; the policy is read again every "
		        "second instead\n", strerror(errno));
	load(&h);
	h.resolver = resolver_start();
	rc = run(&h);
	resolver_stop(h.resolver);
	while (h.parked != NULL) {
		struct parked *p = h.parked;

		h.parked = p->next;
		free(p);
	}
	free(h.in.buf);
	free(h.in.line);
	smp_policy_free(h.policy);
	watch_free(&h.watch);
	devices_free(&h.devices);
	free(h.out.v);
	free(h.why.v);
	free(h.config);
	free(h.last_report);
	return rc;
}
