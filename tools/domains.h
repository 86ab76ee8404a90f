/*
 * domains.h - `smpolicy domains`: the catalogue's domains for Squid's
 * dstdomain acl (smpolicy-squid(8)).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_DOMAINS_H
#define SMP_DOMAINS_H

#include "smpolicy.h"

#include <stdio.h>

/* Print every platform's domains to f, one a line, as ".domain" (the
 * domain and its subdomains, as smp_policy_platform_for_host() matches
 * them): lower case, without dots at either end, each once, and none that
 * another line already covers.  A domain that is no DNS name is left out
 * with a warning on standard error.  Returns 0, or 2 if f could not be
 * written or memory ran out. */
int print_domains(FILE *f, const smp_policy *p);

#endif
