/*
 * common.h - shared by the front ends (smpolicy, smpolicy-squid): what
 * they need alike and the library does not offer (clock.c, escape.c).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_TOOLS_COMMON_H
#define SMP_TOOLS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Milliseconds of CLOCK_MONOTONIC: for timeouts and intervals, never a date. */
int64_t now_ms(void);

/* Length of the valid UTF-8 sequence at s (2-4) that is shown as it is, or
 * 0 (invalid, overlong, a surrogate, a C1 control, a bidi override or a
 * line or paragraph separator). */
size_t utf8_len(const unsigned char *s);

/* Print s with control characters, backslashes and what utf8_len() refuses
 * escaped (\\, \n, \t, \xNN): a string from a file cannot move the cursor,
 * start a line of its own or hide text. */
void print_escaped(FILE *f, const char *s);

#endif
