/*
 * domains.c - see domains.h.  Squid's dstdomain reads "facebook.com" as
 * that host alone and ".facebook.com" as the domain with every subdomain,
 * and warns about (and drops) an entry another one covers.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "domains.h"
#include "output.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* domain in lower case without its dots at either end, malloc'd; "" when
 * it is no DNS name (letters, digits, '-', '_' and dots between labels) */
static char *normalize(const char *domain)
{
	size_t n;
	char *out;

	while (*domain == '.')
		domain++;
	n = strlen(domain);
	while (n > 0 && domain[n - 1] == '.')
		n--;
	out = strndup(domain, n);
	for (size_t i = 0; out != NULL && i < n; i++) {
		char c = out[i];

		if (c >= 'A' && c <= 'Z')
			out[i] = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		           c == '_' || (c == '.' && out[i - 1] != '.'))) {
			out[0] = '\0';
			break;
		}
	}
	return out;
}

/* d is e or a subdomain of it */
static bool covered(const char *d, const char *e)
{
	size_t n = strlen(d), m = strlen(e);

	return n >= m && strcmp(d + n - m, e) == 0 && (n == m || d[n - m - 1] == '.');
}

struct list {
	char **v;
	size_t n, cap;
};

static bool push(struct list *l, char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		char **v = reallocarray(l->v, cap, sizeof(*v));

		if (v == NULL)
			return false;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return true;
}

static void warn_not_dns(const smp_policy *p, size_t i, const char *d)
{
	fputs("smpolicy: warning: domains: platform '", stderr);
	print_escaped(stderr, smp_policy_platform_id(p, i));
	fputs("': '", stderr);
	print_escaped(stderr, d);
	fputs("' is not a DNS name; left out\n", stderr);
}

int print_domains(FILE *f, const smp_policy *p)
{
	struct list l = { NULL, 0, 0 };
	char **v;
	size_t n;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < smp_policy_platform_count(p); i++) {
		const char *d;

		for (size_t j = 0; rc == 0 && (d = smp_policy_platform_domain(p, i, j)) != NULL; j++) {
			char *norm = normalize(d);

			if (norm != NULL && norm[0] == '\0') {
				warn_not_dns(p, i, d);
				free(norm);
			} else if (norm == NULL || !push(&l, norm)) {
				free(norm);
				rc = 2;
			}
		}
	}
	v = l.v;
	n = l.n;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		bool skip = false;

		/* left out: one an earlier line gives, or one inside another */
		for (size_t k = 0; !skip && k < n; k++)
			skip = k != i && covered(v[i], v[k]) && (strcmp(v[i], v[k]) != 0 || k < i);
		if (!skip)
			fprintf(f, ".%s\n", v[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	if (rc != 0)
		fputs("smpolicy: domains: out of memory\n", stderr);
	return fflush(f) != 0 || ferror(f) ? 2 : rc;
}
