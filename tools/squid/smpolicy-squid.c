/*
 * smpolicy-squid - the library's decision at the web proxy: a Squid
 * external_acl_type helper (DESIGN §8, smpolicy-squid(8)).
 *
 * A small loop, as Squid's own helpers are: read what Squid wrote, answer
 * every whole line on its channel, write the answers out before reading
 * again.  The policy is loaded once and again whenever the files it came
 * from change; while it cannot be loaded every answer is ERR.  Nothing
 * Squid sends ends the loop but the end of its input.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "smpolicy.h"
#include "device.h"
#include "proto.h"
#include "watch.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A directory-sourced policy is loaded again at least this often, even when
 * no file changed: it stops holding max_offline after its last sync. */
#define RELOAD_EVERY_MS 60000
/* While the policy cannot be loaded, it is tried again this often. */
#define RETRY_EVERY_MS 1000
#define READ_SIZE 65536

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
	bool from_copy;            /* it is the directory's local copy, not the files */
	int64_t loaded_ms;         /* when it was last tried */
	struct watch watch;
	struct devices devices;
	struct answers out;
	struct answers why;        /* a denial's message, before it is quoted */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the policy ------------------------------------------------------- */

/* Why a load failed, on standard error: Squid writes it to cache.log. */
static void report_load(const struct helper *h, smp_status st, const smp_diags *d)
{
	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);

		if (g->severity != SMP_SEV_ERROR)
			continue;
		if (g->file != NULL && g->line > 0)
			fprintf(stderr, "smpolicy-squid: %s:%u: %s\n", g->file, g->line, g->message);
		else
			fprintf(stderr, "smpolicy-squid: %s: %s\n", g->file ? g->file : h->config,
			        g->message);
	}
	fprintf(stderr, "smpolicy-squid: %s: %s; answering ERR to every request until it loads\n",
	        h->config, smp_status_string(st));
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
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
		h->from_copy = p != NULL && !same_file(h->config, smp_policy_config_path(p));
		if (st != SMP_OK)
			report_load(h, st, d);
		else if (was_down)
			fprintf(stderr, "smpolicy-squid: %s: loaded again\n", h->config);
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

	if (changed || (h->from_copy && t - h->loaded_ms >= RELOAD_EVERY_MS) ||
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
	smp_status st;

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
	req.device = device_of(&h->devices, rq->client, now_ms());
	st = smp_decide(h->policy, &req, &d);
	if (st != SMP_OK)
		answer_err(&h->out, rq->channel, UNAVAILABLE);
	else if (smp_decision_allowed(d))
		answer_ok(&h->out, rq->channel);
	else
		answer_err(&h->out, rq->channel, denial(h, d));
	smp_decision_free(d);
}

/* ---- the loop --------------------------------------------------------- */

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

static void handle_line(struct helper *h, char *line, size_t len)
{
	struct request rq;
	bool nul;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	nul = memchr(line, '\0', len) != NULL;
	if (!request_parse(line, &rq) || nul) {
		answer_err(&h->out, rq.channel,
		           "bad request: expected \"[channel-ID] USER HOST [CLIENT]\"");
		return;
	}
	/* a lookup may wait on the resolver: what is answered goes out first */
	if (device_needs_lookup(&h->devices, rq.client, now_ms()))
		flush(h);
	answer(h, &rq);
}

static void handle_overlong(struct helper *h, const char *start, size_t len)
{
	char buf[CHANNEL_MAX + 1];

	answer_err(&h->out, request_channel_prefix(start, len, buf),
	           "bad request: the line is longer than the helper reads");
}

static int run(struct helper *h)
{
	char *line = malloc(REQUEST_MAX + 1), *in = malloc(READ_SIZE);
	size_t have = 0;           /* bytes of the line so far, in line */
	bool overlong = false;     /* the line passed REQUEST_MAX: skip to its end */

	if (line == NULL || in == NULL) {
		fputs("smpolicy-squid: out of memory\n", stderr);
		free(line);
		free(in);
		return 1;
	}
	for (;;) {
		ssize_t n = read(STDIN_FILENO, in, READ_SIZE);
		size_t pos = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* the end: a last line without its newline is answered too */
			if (n == 0 && (have > 0 || overlong)) {
				refresh(h);
				line[have] = '\0';
				if (overlong)
					handle_overlong(h, line, have);
				else
					handle_line(h, line, have);
				flush(h);
			}
			break;
		}
		refresh(h);
		while (pos < (size_t)n) {
			char *nl = memchr(in + pos, '\n', (size_t)n - pos);
			size_t take = (nl ? (size_t)(nl - in) : (size_t)n) - pos;

			if (!overlong && have + take > REQUEST_MAX) {
				/* keep what fits: the channel id is at its start */
				size_t room = REQUEST_MAX - have;

				memcpy(line + have, in + pos, room);
				have += room;
				overlong = true;
			} else if (!overlong) {
				memcpy(line + have, in + pos, take);
				have += take;
			}
			pos += take;
			if (nl == NULL)
				break;
			pos++;   /* the newline */
			if (overlong) {
				handle_overlong(h, line, have);
			} else {
				line[have] = '\0';
				handle_line(h, line, have);
			}
			have = 0;
			overlong = false;
		}
		if (h->out.nomem) {
			fputs("smpolicy-squid: out of memory\n", stderr);
			break;
		}
		if (!flush(h))
			break;
	}
	free(line);
	free(in);
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
		case 'V': puts("smpolicy-squid 1.0.0"); return 0;
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
	rc = run(&h);
	smp_policy_free(h.policy);
	watch_free(&h.watch);
	devices_free(&h.devices);
	free(h.out.v);
	free(h.why.v);
	free(h.config);
	return rc;
}
