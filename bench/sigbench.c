/*
 * sigbench.c - what the directors' signatures cost where the records are
 * read in bulk (docs/PERFORMANCE.md, "Signatures").
 *
 *   sigbench WORLD/smpolicy.conf [REPS]
 *
 * Takes an unsigned world of bench/genworld, gives each director of it a
 * fresh P-256 key, signs every sign-off of every approval with the
 * canonical message of docs/SIGNATURES.md (the library's own encoder),
 * writes the signatures into a copy of the records (WORLD-signed/), with
 * signers.conf and require_signatures = true, and then measures on one
 * core: the parse of the signed copy (every signature verified) against
 * the parse of the same copy with require_signatures off and no
 * signers.conf (the signatures read, none verified).  The difference is
 * the verification; it is reported per signature.  Exits non-zero if any
 * approval of the signed copy is invalid for a reason the unsigned world
 * does not give it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"
#include "policy/policy.h"
#include "records/signatures.h"

#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_SIGNERS 64

struct key {
	const char *id;
	gnutls_privkey_t priv;
	char *pub_b64;
};

static struct key keys[MAX_SIGNERS];
static size_t nkeys;

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "sigbench: %s\n", what);
	exit(2);
}

static struct key *key_of(const char *id)
{
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(keys[i].id, id) == 0)
			return &keys[i];
	if (nkeys == MAX_SIGNERS)
		die("too many directors");
	struct key *k = &keys[nkeys++];
	gnutls_x509_privkey_t x;
	gnutls_pubkey_t pub;
	gnutls_datum_t d;

	k->id = id;
	if (gnutls_x509_privkey_init(&x) < 0 ||
	    gnutls_x509_privkey_generate(x, GNUTLS_PK_ECDSA,
	                                 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_privkey_init(&k->priv) < 0 ||
	    gnutls_privkey_import_x509(k->priv, x, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) < 0 ||
	    gnutls_pubkey_init(&pub) < 0 || gnutls_pubkey_import_privkey(pub, k->priv, 0, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &d) < 0)
		die("cannot make a key");
	k->pub_b64 = sig_base64_encode(d.data, d.size);
	gnutls_free(d.data);
	gnutls_pubkey_deinit(pub);
	return k;
}

static char *sign(const smp_policy *p, const struct approval *a, enum sig_slot slot,
                  const struct sign_off *so)
{
	struct key *k = key_of(p->staff[so->by].id);
	struct sig_msg m;
	gnutls_datum_t md, s;
	char *b64;

	if (!sig_message(p, a, slot, p->staff[so->by].id, so->on, NULL, &m))
		die("out of memory");
	md.data = m.v;
	md.size = (unsigned)m.n;
	if (gnutls_privkey_sign_data2(k->priv, GNUTLS_SIGN_ECDSA_SHA256, 0, &md, &s) < 0)
		die("cannot sign");
	b64 = sig_base64_encode(s.data, s.size);
	gnutls_free(s.data);
	free(m.v);
	return b64;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		die("cannot read the world");
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
		die("cannot read the world");
	fclose(f);
	buf[len] = '\0';
	*n = (size_t)len;
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		die("cannot write the signed world");
	chmod(path, 0644);
}

/* Each line's signature to insert before its last '}', by line number. */
static char **line_sig;
static size_t nlines;

static void at_line(unsigned line, char *sig)
{
	if (line == 0 || line > nlines || line_sig[line - 1] != NULL)
		die("a sign-off not on a line of its own (genworld writes one per line)");
	line_sig[line - 1] = sig;
}

static double load_ms(const char *conf, int reps, smp_policy **keep)
{
	double best = 0;

	for (int r = 0; r < reps; r++) {
		smp_policy *p = NULL;
		smp_diags *d = NULL;
		double t0 = cpu_ms();
		smp_status st = smp_policy_load(conf, SMP_LOAD_NO_CACHE, &p, &d);
		double t = cpu_ms() - t0;

		if (st != SMP_OK) {
			for (size_t i = 0; i < smp_diags_count(d) && i < 5; i++)
				fprintf(stderr, "%s\n", smp_diags_get(d, i)->message);
			die("the signed world does not load");
		}
		smp_diags_free(d);
		if (r == 0 || t < best)
			best = t;
		if (keep != NULL && r == reps - 1)
			*keep = p;
		else
			smp_policy_free(p);
	}
	return best;
}

int main(int argc, char **argv)
{
	char dir[4200], path[4300], base[4096];
	smp_policy *p = NULL, *ps = NULL, *pu = NULL;
	smp_diags *d = NULL;
	size_t n, nsig = 0, bad = 0;
	char *text, *conf;
	struct stat st;
	int reps = argc > 2 ? atoi(argv[2]) : 3;

	if (argc < 2 || reps < 1)
		die("usage: sigbench WORLD/smpolicy.conf [REPS]");
	/* the library's archive gives the verifier only to a program that
	 * names it: this one must verify */
	sig_verify_link();
	if (smp_policy_load(argv[1], SMP_LOAD_NO_CACHE, &p, &d) != SMP_OK)
		die("the world does not load");
	smp_diags_free(d);
	snprintf(base, sizeof(base), "%s", argv[1]);
	*strrchr(base, '/') = '\0';
	snprintf(dir, sizeof(dir), "%s-signed", base);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		die("cannot make the signed world's folder");
	if (p->nrecords != 1)
		die("one records file expected");
	text = slurp(p->records_paths[0], &n);
	for (size_t i = 0; i < n; i++)
		nlines += text[i] == '\n';
	line_sig = calloc(nlines + 1, sizeof(char *));
	for (size_t i = 0; i < p->napprovals; i++) {
		const struct approval *a = &p->approvals[i];

		if (a->cpp.present) {
			at_line(a->cpp.at.line, sign(p, a, SIG_CPP, &a->cpp));
			nsig++;
		}
		if (a->it.present) {
			at_line(a->it.at.line, sign(p, a, SIG_IT, &a->it));
			nsig++;
		}
	}
	/* the records with the signatures in their sign-offs */
	{
		size_t cap = n + nsig * 120 + 1, len = 0, line = 0;
		char *out = malloc(cap);

		for (char *s = text; *s != '\0';) {
			char *nl = strchr(s, '\n');
			size_t ll = nl != NULL ? (size_t)(nl - s) + 1 : strlen(s);

			if (line < nlines && line_sig[line] != NULL) {
				/* the sign-off's own '}': the first after its '{' */
				char *open = memchr(s, '{', ll);
				char *close = open != NULL ? memchr(open, '}', ll - (size_t)(open - s)) : NULL;

				if (close == NULL)
					die("a sign-off line without its '}'");
				memcpy(out + len, s, (size_t)(close - s));
				len += (size_t)(close - s);
				len += (size_t)sprintf(out + len, "sig = \"%s\"; ", line_sig[line]);
				memcpy(out + len, close, ll - (size_t)(close - s));
				len += ll - (size_t)(close - s);
			} else {
				memcpy(out + len, s, ll);
				len += ll;
			}
			s += ll;
			line++;
		}
		out[len] = '\0';
		snprintf(path, sizeof(path), "%s/records.conf", dir);
		spit(path, out);
		free(out);
	}
	/* signers.conf; smpolicy.conf with and without require_signatures */
	{
		size_t cn;
		char *c = slurp(p->config_path, &cn), *at = strstr(c, "  records = [");
		FILE *f;

		snprintf(path, sizeof(path), "%s/signers.conf", dir);
		f = fopen(path, "w");
		fprintf(f, "version = 1;\nsigners = (\n");
		for (size_t i = 0; i < nkeys; i++)
			fprintf(f, "  { id = \"%s\"; role = \"%s\"; from = \"1990-01-01\"; key = \"%s\"; }%s\n",
			        keys[i].id, p->staff[policy_find_staff(p, keys[i].id)].roles & ROLE_DIRECTOR_CPP
			                    ? "director_cpp" : "director_it",
			        keys[i].pub_b64, i + 1 < nkeys ? "," : "");
		fprintf(f, ");\n");
		fclose(f);
		chmod(path, 0644);
		if (at == NULL)
			die("smpolicy.conf without its records line");
		conf = malloc(cn + 64);
		snprintf(path, sizeof(path), "%s/smpolicy.conf", dir);
		sprintf(conf, "%.*s  require_signatures = true;\n%s", (int)(at - c), c, at);
		spit(path, conf);
		snprintf(path, sizeof(path), "%s/unverified.conf", dir);
		spit(path, c);
		free(c);
		free(conf);
	}
	if (stat(dir, &st) != 0)
		die("no signed world");
	snprintf(path, sizeof(path), "%s/unverified.conf", dir);
	double tu = load_ms(path, reps, &pu);
	snprintf(path, sizeof(path), "%s/smpolicy.conf", dir);
	double ts = load_ms(path, reps, &ps);
	for (size_t i = 0; i < ps->napprovals; i++) {
		const struct approval *a = &ps->approvals[i], *b = &pu->approvals[i];

		if ((a->invalid_why == NULL) != (b->invalid_why == NULL)) {
			if (bad++ < 3)
				fprintf(stderr, "sigbench: %s: %s\n", a->id, a->invalid_why);
		}
	}
	/* a sync's two parses of its copy share what they verified */
	double tm1, tm2, tm3;
	{
		struct sig_memo memo = { NULL, 0, 0, NULL }, next = { NULL, 0, 0, &memo };
		smp_policy *q = NULL;
		double t0 = cpu_ms();

		if (policy_load_memo(path, 0, &memo, &q, NULL) != SMP_OK)
			die("the signed world does not load with a memo");
		tm1 = cpu_ms() - t0;
		smp_policy_free(q);
		q = NULL;
		t0 = cpu_ms();
		if (policy_load_memo(path, 0, &memo, &q, NULL) != SMP_OK)
			die("the signed world does not load with a memo");
		tm2 = cpu_ms() - t0;
		for (size_t i = 0; i < q->napprovals; i++)
			if ((q->approvals[i].invalid_why == NULL) !=
			    (ps->approvals[i].invalid_why == NULL))
				bad++;
		smp_policy_free(q);
		q = NULL;
		/* the next sync: what this one verified is its prior memo */
		t0 = cpu_ms();
		if (policy_load_memo(path, 0, &next, &q, NULL) != SMP_OK)
			die("the signed world does not load with a prior memo");
		tm3 = cpu_ms() - t0;
		for (size_t i = 0; i < q->napprovals; i++)
			if ((q->approvals[i].invalid_why == NULL) !=
			    (ps->approvals[i].invalid_why == NULL))
				bad++;
		smp_policy_free(q);
		sig_memo_free(&next);
		sig_memo_free(&memo);
	}
	printf("approvals %zu  signatures %zu  directors %zu\n", ps->napprovals, nsig, nkeys);
	printf("parse, signatures not verified  %9.1f ms CPU\n", tu);
	printf("parse, every signature verified %9.1f ms CPU\n", ts);
	printf("verification                     %9.1f ms CPU, %.1f us per signature, "
	       "%.0f signatures/s on one core\n", ts - tu, (ts - tu) * 1e3 / (double)nsig,
	       (double)nsig / ((ts - tu) / 1e3));
	printf("a sync's two parses with one memo %9.1f ms CPU + %.1f ms CPU\n", tm1, tm2);
	printf("the next sync's parse (prior memo) %9.1f ms CPU\n", tm3);
	smp_policy_free(p);
	smp_policy_free(ps);
	smp_policy_free(pu);
	if (bad > 0) {
		fprintf(stderr, "sigbench: %zu approvals judged differently once verified\n", bad);
		return 1;
	}
	return 0;
}
