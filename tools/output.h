/*
 * output.h - presentation for the smpolicy command.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_OUTPUT_H
#define SMP_OUTPUT_H

#include "common.h"
#include "smpolicy.h"

#include <stdarg.h>
#include <stdio.h>

/* Does config name the directory?  false when it cannot be read. */
bool config_is_directory(const char *config, unsigned flags);

/* "smpolicy: MESSAGE" (escaped) and the usage text, on standard error. */
void print_usage_error(const char *usage, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* FILE:LINE: error: MESSAGE, one line each. */
/* Write times in the zone of p (settings.time_zone; NULL: the process's). */
void output_zone(const smp_policy *p);
void print_diags(FILE *f, const smp_diags *d);
/* These return 0, or 2 if the output could not be written. */
int print_decision_text(FILE *f, const smp_decision *d, const struct smp_request *req);
int print_decision_json(FILE *f, const smp_decision *d);
int print_report_text(FILE *f, const smp_policy *p, int64_t at);
int print_report_json(FILE *f, const smp_policy *p, int64_t at);

#endif
