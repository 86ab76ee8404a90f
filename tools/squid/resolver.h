/*
 * resolver.h - reverse DNS off the helper's loop: a few threads name
 * addresses while the loop goes on answering, so that a slow resolver
 * holds up only the requests that wait for its answer.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_SQUID_RESOLVER_H
#define SMP_SQUID_RESOLVER_H

#include "device.h"

#include <stdbool.h>

#define RESOLVER_THREADS 4
#define RESOLVER_QUEUE_MAX 256   /* addresses asked and not yet collected */

struct resolver;

/* Start the threads; NULL when they cannot be had (the caller then names
 * addresses itself, waiting). */
struct resolver *resolver_start(void);
/* Readable when an answer is ready to be collected. */
int resolver_fd(const struct resolver *r);
/* Ask for the name of addr (an address device_needs_lookup() named);
 * false when RESOLVER_QUEUE_MAX are outstanding or memory ran out. */
bool resolver_ask(struct resolver *r, const char *addr);
/* The next answer, without waiting: false when none is ready.  addr gets
 * the address asked (48 bytes), name its forward-confirmed host name
 * (DEVICE_NAME_MAX + 1 bytes; "" when it has none). */
bool resolver_collect(struct resolver *r, char *addr, char *name);
/* Stop the threads.  One still waiting on the resolver is left to the
 * end of the process. */
void resolver_stop(struct resolver *r);

#endif
