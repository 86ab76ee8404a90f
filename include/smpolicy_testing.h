/*
 * smpolicy_testing.h - the one flag of libsmpolicy that is not part of its
 * interface, for the project's own tests, fuzzers and benchmarks.  Not
 * installed (include/meson.build installs smpolicy.h alone).
 *
 * SMP_LOAD_ALLOW_NONROOT accepts files and folders owned by the calling
 * user as well as by root (group/other-writable ones are refused anyway),
 * so that tests can build their worlds without root.  Every function that
 * takes flags accepts it besides its own set.  It only ever widens whose
 * files the calling process itself trusts: a program that does not pass
 * it (the PAM module never does) is not affected, and nothing outside the
 * calling program (no environment variable, no file) can set it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMPOLICY_TESTING_H
#define SMPOLICY_TESTING_H

#include "smpolicy.h"

#define SMP_LOAD_ALLOW_NONROOT (1u << 0)

#endif /* SMPOLICY_TESTING_H */
