/*
 * slow_resolver.c - LD_PRELOAD for tests/squid/protocol_test.py: the
 * reverse lookup of an address in 198.51.100.0/24 (TEST-NET-2) takes
 * three seconds and finds no name, as a resolver that does not answer
 * would; every other lookup is the C library's.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

typedef int (*getnameinfo_fn)(const struct sockaddr *, socklen_t, char *, socklen_t, char *,
                              socklen_t, int);

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags)
{
	getnameinfo_fn real = (getnameinfo_fn)dlsym(RTLD_NEXT, "getnameinfo");

	if (sa->sa_family == AF_INET) {
		const unsigned char *a = (const unsigned char *)
			&((const struct sockaddr_in *)(const void *)sa)->sin_addr;

		if (a[0] == 198 && a[1] == 51 && a[2] == 100) {
			sleep(3);
			return EAI_AGAIN;
		}
	}
	return real(sa, salen, host, hostlen, serv, servlen, flags);
}
