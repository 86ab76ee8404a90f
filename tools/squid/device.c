/*
 * device.c - see device.h.  The reverse lookups are remembered, one slot
 * per address hash (a new address takes its slot over), for a bounded
 * time: a workstation renumbered by DHCP is named anew within a minute,
 * and a proxy answering thousands of requests a second asks the resolver
 * once a minute per client.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "device.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

bool devices_init(struct devices *c)
{
	c->slot = calloc(DEVICE_SLOTS, sizeof(*c->slot));
	return c->slot != NULL;
}

void devices_free(struct devices *c)
{
	free(c->slot);
	c->slot = NULL;
}

/* The address in client, as a socket address; false for anything else. */
static bool parse_address(const char *client, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, client, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		*len = sizeof(*v4);
		return true;
	}
	if (inet_pton(AF_INET6, client, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		*len = sizeof(*v6);
		return true;
	}
	return false;
}

static bool is_none(const char *client)
{
	return client == NULL || client[0] == '\0' || strcmp(client, "-") == 0;
}

static struct device_slot *slot_of(const struct devices *c, const char *addr)
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &c->slot[h % DEVICE_SLOTS];
}

static bool fresh(const struct device_slot *s, const char *addr, int64_t now_ms)
{
	return s->expires_ms > now_ms && strcmp(s->addr, addr) == 0;
}

bool device_needs_lookup(const struct devices *c, const char *client, int64_t now_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (is_none(client) || strlen(client) >= sizeof(c->slot->addr) ||
	    !parse_address(client, &ss, &len))
		return false;
	return c->slot == NULL || !fresh(slot_of(c, client), client, now_ms);
}

static bool same_address(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		              &((const struct sockaddr_in *)b)->sin_addr, sizeof(struct in_addr)) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	              &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* The name's own addresses include the one it was found for: whoever
 * controls the reverse zone of an address cannot name it a DCF device
 * unless DCF's forward zone agrees (sshd's UseDNS, tcp_wrappers' PARANOID). */
static bool forward_confirmed(const char *host, const struct sockaddr_storage *ss)
{
	struct addrinfo hints, *res = NULL;
	bool ok = false;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = ss->ss_family;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	for (const struct addrinfo *ai = res; ai != NULL && !ok; ai = ai->ai_next)
		ok = same_address(ai->ai_addr, ss);
	freeaddrinfo(res);
	return ok;
}

/* The host name of the address, whole, into name; false when it has none
 * that its forward lookup confirms.  Which device it is, if any, is the
 * settings' to say (device_domains): its first label alone says nothing,
 * since the owner of any reverse zone chooses it. */
static bool reverse(const struct sockaddr_storage *ss, socklen_t len, char *name)
{
	char host[NI_MAXHOST];
	size_t n;

	if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), NULL, 0,
	                NI_NAMEREQD) != 0 || !forward_confirmed(host, ss))
		return false;
	n = strlen(host);
	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 0 || n > DEVICE_NAME_MAX)
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	return true;
}

bool device_reverse_name(const char *addr, char *name)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return parse_address(addr, &ss, &len) && reverse(&ss, len, name);
}

void device_remember(struct devices *c, const char *addr, const char *name, int64_t now_ms)
{
	struct device_slot *s;
	bool named = name != NULL && name[0] != '\0';

	if (c->slot == NULL || strlen(addr) >= sizeof(s->addr))
		return;
	s = slot_of(c, addr);
	strcpy(s->addr, addr);
	/* both fit: the address checked above, a name by reverse() */
	snprintf(s->name, sizeof(s->name), "%s", named ? name : addr);
	s->named = named;
	s->expires_ms = now_ms + (named ? DEVICE_TTL_MS : DEVICE_NEGATIVE_TTL_MS);
}

const char *device_of(struct devices *c, const char *client, int64_t now_ms, bool *dns)
{
	static struct device_slot uncached;
	struct device_slot *s;
	char name[DEVICE_NAME_MAX + 1];
	bool named;

	*dns = false;
	if (is_none(client))
		return DEVICE_NONE;
	if (!device_needs_lookup(c, client, now_ms)) {
		/* no address, or one remembered */
		s = c->slot != NULL && strlen(client) < sizeof(s->addr) ? slot_of(c, client) : NULL;
		if (s == NULL || !fresh(s, client, now_ms))
			return client;
		*dns = s->named;
		return s->name;
	}
	named = device_reverse_name(client, name);
	if (c->slot != NULL) {
		device_remember(c, client, named ? name : NULL, now_ms);
		*dns = slot_of(c, client)->named;
		return slot_of(c, client)->name;
	}
	snprintf(uncached.name, sizeof(uncached.name), "%s", named ? name : client);
	*dns = named;
	return uncached.name;
}
