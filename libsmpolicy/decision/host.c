/*
 * host.c - which platform a web host belongs to, through the catalogue's
 * domains (smpolicy-squid(8)): the web proxy's question before it decides.
 *
 * A linear scan: the catalogue names about twenty domains, and a scan of
 * them costs less than the hash of the host name an index would need
 * (docs/PERFORMANCE.md, "The web proxy helper").
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* s without its leading dots (".facebook.com" is Squid's spelling of "the
 * domain and its subdomains") and trailing dots (the root, "facebook.com."):
 * the name in *len bytes. */
static const char *trim_dots(const char *s, size_t *len)
{
	size_t n;

	while (*s == '.')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '.')
		n--;
	*len = n;
	return s;
}

/* ASCII only, whatever the process's locale: DNS names compare so */
static bool same_name(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return false;
	}
	return true;
}

static bool is_ip_literal(const char *host, size_t n)
{
	char buf[INET6_ADDRSTRLEN + 2];
	unsigned char addr[sizeof(struct in6_addr)];

	/* a name's last label is never all digits, and has no ':': most hosts
	 * are told from a literal without inet_pton (a third of a lookup) */
	if (n >= sizeof(buf) || (memchr(host, ':', n) == NULL &&
	                         !(host[n - 1] >= '0' && host[n - 1] <= '9')))
		return false;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {   /* a URL's [v6] */
		host++;
		n -= 2;
	}
	memcpy(buf, host, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

/* host (n bytes) is domain (m bytes) or ends in "." domain, ignoring case */
static bool within(const char *host, size_t n, const char *domain, size_t m)
{
	if (m == 0 || m > n)
		return false;
	if (m < n && host[n - m - 1] != '.')
		return false;
	return same_name(host + n - m, domain, m);
}

const char *smp_policy_platform_for_host(const smp_policy *p, const char *host)
{
	const char *best = NULL;
	size_t n, best_len = 0;

	if (p == NULL || host == NULL)
		return NULL;
	host = trim_dots(host, &n);
	if (n == 0 || is_ip_literal(host, n))
		return NULL;
	/* the longest domain that holds host wins: a catalogue that gives
	 * "m.example.com" to one platform and "example.com" to another means it */
	for (size_t i = 0; i < p->nplatforms; i++) {
		char **d = p->platforms[i].domains;

		for (size_t j = 0; d != NULL && d[j] != NULL; j++) {
			size_t m;
			const char *dom = trim_dots(d[j], &m);

			if (m > best_len && within(host, n, dom, m)) {
				best = p->platforms[i].id;
				best_len = m;
			}
		}
	}
	return best;
}

const char *smp_policy_platform_domain(const smp_policy *p, size_t i, size_t j)
{
	char **d;

	if (p == NULL || i >= p->nplatforms)
		return NULL;
	d = p->platforms[i].domains;
	for (size_t k = 0; d != NULL && d[k] != NULL; k++)
		if (k == j)
			return d[k];
	return NULL;
}
