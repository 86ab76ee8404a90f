/*
 * suites.c - see suites.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "suites.h"

#include <CUnit/Basic.h>

int run_suites(void)
{
	unsigned failed;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
