/*
 * suites.h - run the registered CUnit suites, for the unit tests' main(),
 * whether they link the library (world.h) or its internals.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_TEST_SUITES_H
#define SMP_TEST_SUITES_H

/* Run the registered suites verbosely and free the registry; the exit
 * status for main: 1 if a test failed, else 0. */
int run_suites(void);

#endif
