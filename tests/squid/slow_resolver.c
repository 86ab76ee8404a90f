/*
 * slow_resolver.c - LD_PRELOAD for tests/squid: a resolver the tests
 * control.
 *
 *   - the reverse lookup of an address in 198.51.100.0/24 (TEST-NET-2)
 *     takes three seconds and finds no name, as a resolver that does not
 *     answer would;
 *   - SMP_TEST_NAMES="ADDR=NAME[@FWD],..." gives the IPv4 address ADDR the
 *     reverse-DNS name NAME, and NAME the forward address FWD (ADDR when
 *     no @FWD: a forward-confirmed name), so that a test can name its
 *     clients as any reverse zone might;
 *   - every other lookup is the C library's.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef int (*getnameinfo_fn)(const struct sockaddr *, socklen_t, char *, socklen_t, char *,
                              socklen_t, int);
typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *,
                              struct addrinfo **);

/* Entry i of SMP_TEST_NAMES: its address, name and forward address; false
 * past the end. */
static int entry(size_t i, char addr[512], char name[512], char fwd[512])
{
	const char *s = getenv("SMP_TEST_NAMES");
	char item[512], *eq, *at;
	size_t n;

	for (; s != NULL && *s != '\0'; i--) {
		n = strcspn(s, ",");
		if (i == 0) {
			if (n >= sizeof(item))
				return 0;
			memcpy(item, s, n);
			item[n] = '\0';
			eq = strchr(item, '=');
			if (eq == NULL)
				return 0;
			*eq = '\0';
			at = strchr(eq + 1, '@');
			if (at != NULL)
				*at = '\0';
			snprintf(addr, 512, "%s", item);
			snprintf(name, 512, "%s", eq + 1);
			snprintf(fwd, 512, "%s", at != NULL ? at + 1 : item);
			return 1;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags)
{
	getnameinfo_fn real = (getnameinfo_fn)dlsym(RTLD_NEXT, "getnameinfo");

	if (sa->sa_family == AF_INET) {
		const struct in_addr *in = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		const unsigned char *a = (const unsigned char *)in;
		char text[INET_ADDRSTRLEN], addr[512], name[512], fwd[512];

		if (a[0] == 198 && a[1] == 51 && a[2] == 100) {
			sleep(3);
			return EAI_AGAIN;
		}
		inet_ntop(AF_INET, in, text, sizeof(text));
		for (size_t i = 0; entry(i, addr, name, fwd); i++) {
			if (strcmp(addr, text) != 0)
				continue;
			if (strlen(name) >= hostlen)
				return EAI_OVERFLOW;
			strcpy(host, name);
			return 0;
		}
	}
	return real(sa, salen, host, hostlen, serv, servlen, flags);
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
	getaddrinfo_fn real = (getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo");
	char addr[512], name[512], fwd[512];

	for (size_t i = 0; node != NULL && entry(i, addr, name, fwd); i++) {
		struct {
			struct addrinfo ai;
			struct sockaddr_in sin;
		} *r;

		if (strcmp(node, name) != 0)
			continue;
		if (hints != NULL && hints->ai_family != AF_UNSPEC && hints->ai_family != AF_INET)
			return EAI_NONAME;
		/* one block, as the C library's: its freeaddrinfo frees it */
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return EAI_MEMORY;
		r->sin.sin_family = AF_INET;
		if (inet_pton(AF_INET, fwd, &r->sin.sin_addr) != 1) {
			free(r);
			return EAI_NONAME;
		}
		r->ai.ai_family = AF_INET;
		r->ai.ai_socktype = hints != NULL ? hints->ai_socktype : SOCK_STREAM;
		r->ai.ai_addrlen = sizeof(r->sin);
		r->ai.ai_addr = (struct sockaddr *)&r->sin;
		*res = &r->ai;
		return 0;
	}
	return real(node, service, hints, res);
}
