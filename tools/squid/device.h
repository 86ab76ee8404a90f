/*
 * device.h - the device of a proxy request: Squid's CLIENT field, a device
 * id or an address named by reverse DNS; that name stands for a device
 * only under the settings' device_domains (smp_policy_device_for_name,
 * smpolicy-squid(8)).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_SQUID_DEVICE_H
#define SMP_SQUID_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#define DEVICE_NAME_MAX 255     /* a DNS name is at most 253 characters */
#define DEVICE_SLOTS 4096       /* addresses remembered */
#define DEVICE_TTL_MS 60000     /* how long a reverse lookup's answer is used */
#define DEVICE_NEGATIVE_TTL_MS 10000   /* ... and a failed one's */

struct device_slot {
	char addr[48];             /* the address as Squid wrote it; "" = empty */
	char name[DEVICE_NAME_MAX + 1];   /* the DNS name, or the address: none */
	bool named;
	int64_t expires_ms;        /* of CLOCK_MONOTONIC */
};

struct devices {
	struct device_slot *slot;  /* DEVICE_SLOTS of them, or NULL: no cache */
};

/* The device of no CLIENT: no device the records can hold, so that the
 * decision is device-unknown, never this host's own name. */
#define DEVICE_NONE "-"

bool devices_init(struct devices *c);
void devices_free(struct devices *c);

/* True when client is an address whose name is not remembered: a lookup,
 * which may wait on the resolver, comes next. */
bool device_needs_lookup(const struct devices *c, const char *client, int64_t now_ms);

/*
 * What stands for the device of client: DEVICE_NONE for NULL, "" or "-";
 * for an IPv4 or IPv6 address the host name reverse DNS gives it
 * (getnameinfo with NI_NAMEREQD, so that /etc/hosts counts too) when that
 * name's forward lookup gives the address back, whole, with *dns set: the
 * caller asks smp_policy_device_for_name() which device, if any, it is;
 * else the address itself (no device has it: device-unknown); anything
 * else is a device id already.  The string lives until the next call.
 */
const char *device_of(struct devices *c, const char *client, int64_t now_ms, bool *dns);

/* The forward-confirmed host name of the address addr (into name,
 * DEVICE_NAME_MAX + 1 bytes), without the root's trailing dot; false when
 * it has none.  Waits on the resolver; safe from any thread. */
bool device_reverse_name(const char *addr, char *name);

/* Remember what a lookup of addr gave: name, or NULL (or "") for none,
 * so that device_of() answers from it for DEVICE_TTL_MS (for none,
 * DEVICE_NEGATIVE_TTL_MS). */
void device_remember(struct devices *c, const char *addr, const char *name, int64_t now_ms);

#endif
