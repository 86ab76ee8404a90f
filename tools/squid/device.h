/*
 * device.h - the device of a proxy request: Squid's CLIENT field, a device
 * id or an address named by reverse DNS (smpolicy-squid(8)).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_SQUID_DEVICE_H
#define SMP_SQUID_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#define DEVICE_NAME_MAX 128     /* a device id is at most 128 characters */
#define DEVICE_SLOTS 4096       /* addresses remembered */
#define DEVICE_TTL_MS 60000     /* how long a reverse lookup's answer is used */
#define DEVICE_NEGATIVE_TTL_MS 10000   /* ... and a failed one's */

struct device_slot {
	char addr[48];             /* the address as Squid wrote it; "" = empty */
	char name[DEVICE_NAME_MAX + 1];
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
 * The device id of client: DEVICE_NONE for NULL, "" or "-"; for an IPv4
 * or IPv6 address the host name reverse DNS gives it (getnameinfo with
 * NI_NAMEREQD, so that /etc/hosts counts too) when that name's forward
 * lookup gives the address back, up to its first dot; else the address
 * itself (no device has it: device-unknown);
 * anything else is a device id already.  The string lives until the next
 * call.
 */
const char *device_of(struct devices *c, const char *client, int64_t now_ms);

/* The device name of the address addr (into name, DEVICE_NAME_MAX + 1
 * bytes) as device_of() gives it; false when it has none.  Waits on the
 * resolver; safe from any thread. */
bool device_reverse_name(const char *addr, char *name);

/* Remember what a lookup of addr gave: name, or NULL (or "") for none,
 * so that device_of() answers from it for DEVICE_TTL_MS (for none,
 * DEVICE_NEGATIVE_TTL_MS). */
void device_remember(struct devices *c, const char *addr, const char *name, int64_t now_ms);

#endif
