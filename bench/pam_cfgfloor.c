/*
 * pam_cfgfloor.c - a floor for bench/run's PAM figures, never installed:
 * an account module that does what any libconfig-based module must do,
 * and nothing more.  It is loaded with libconfig (one more DSO, as
 * pam_smpolicy is), and parses each file named in its arguments with
 * config_read_file() and frees it.  Returns PAM_SUCCESS if every file
 * parsed, PAM_AUTH_ERR otherwise.
 *
 *   account required pam_cfgfloor.so /etc/smpolicy/smpolicy.conf /etc/smpolicy/records.conf
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <libconfig.h>
#include <security/pam_modules.h>

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv);

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	int rc = PAM_SUCCESS;

	(void)pamh;
	(void)flags;
	for (int i = 0; i < argc; i++) {
		config_t cfg;

		config_init(&cfg);
		if (config_read_file(&cfg, argv[i]) != CONFIG_TRUE)
			rc = PAM_AUTH_ERR;
		config_destroy(&cfg);
	}
	return rc;
}
