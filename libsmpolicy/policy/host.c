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
#include "policy/policy.h"

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

/* A label a device id may be: letters, digits, '-' and '_', 1 to 63. */
static bool device_label(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/*
 * A DNS name stands for a device only inside a domain the settings name
 * for devices (settings.device_domains): "ws-essex-0042.ws.dcf.example"
 * under "ws.dcf.example" is the device ws-essex-0042, while
 * "ws-essex-0042.guest.example" (the first label of any name, as a
 * reverse zone's owner may write it) or "xws.dcf.example.evil" is none.
 */
smp_status smp_policy_device_for_name(const smp_policy *p, const char *name, char *id,
                                      size_t size)
{
	size_t n;

	if (p == NULL || name == NULL || id == NULL || size == 0)
		return SMP_ERR_ARG;
	id[0] = '\0';
	n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--;   /* the root: "ws1.ws.dcf.example." is the same name */
	for (size_t i = 0; p->set.device_domains != NULL && p->set.device_domains[i] != NULL; i++) {
		const char *dom = p->set.device_domains[i];
		size_t m = strlen(dom), left;

		/* a whole-label suffix, and one label before it */
		if (m + 2 > n || name[n - m - 1] != '.' || !same_name(name + n - m, dom, m))
			continue;
		left = n - m - 1;
		if (!device_label(name, left))
			continue;
		if (left >= size)
			return SMP_ERR_ARG;
		memcpy(id, name, left);
		id[left] = '\0';
		return SMP_OK;
	}
	return SMP_ERR_NOTFOUND;
}
