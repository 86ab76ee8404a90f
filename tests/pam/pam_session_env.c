/*
 * pam_session_env.c - drive one PAM transaction the way a display manager
 * does (account, open session, environment, close session) and print what
 * happened, for the PAM tests under pam_wrapper.
 *
 *   pam_session_env [-s] [-S] SERVICE USER
 *
 *   -s  pass PAM_SILENT to every call
 *   -S  skip the account step (session only)
 *
 * Output, one item a line:
 *   msg error|info TEXT       each conversation message
 *   acct_mgmt NAME            the result of pam_acct_mgmt (unless -S)
 *   open_session NAME         the result of pam_open_session
 *   env NAME=VALUE            the PAM environment after the session opened
 *   close_session NAME
 * Exit status: 0 when every step succeeded, 1 when one failed, 2 on misuse.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

static const char *code_name(int rc)
{
	switch (rc) {
	case PAM_SUCCESS: return "PAM_SUCCESS";
	case PAM_PERM_DENIED: return "PAM_PERM_DENIED";
	case PAM_ACCT_EXPIRED: return "PAM_ACCT_EXPIRED";
	case PAM_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
	case PAM_AUTH_ERR: return "PAM_AUTH_ERR";
	case PAM_SESSION_ERR: return "PAM_SESSION_ERR";
	case PAM_SYSTEM_ERR: return "PAM_SYSTEM_ERR";
	case PAM_BUF_ERR: return "PAM_BUF_ERR";
	default: return "PAM_OTHER";
	}
}

/* Print every message; answer no prompt (the module asks nothing). */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)data;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_ERROR_MSG:
			printf("msg error %s\n", msg[i]->msg);
			break;
		case PAM_TEXT_INFO:
			printf("msg info %s\n", msg[i]->msg);
			break;
		default:
			printf("msg prompt %s\n", msg[i]->msg);
			return PAM_CONV_ERR;
		}
	}
	*resp = NULL;
	return PAM_SUCCESS;
}

static void print_env(pam_handle_t *pamh)
{
	char **env = pam_getenvlist(pamh);

	if (env == NULL)
		return;
	for (char **e = env; *e != NULL; e++) {
		printf("env %s\n", *e);
		free(*e);
	}
	free(env);
}

/* The session part: open, environment, close. */
static bool session(pam_handle_t *pamh, int flags)
{
	int rc = pam_open_session(pamh, flags);

	printf("open_session %s\n", code_name(rc));
	if (rc != PAM_SUCCESS)
		return false;
	print_env(pamh);
	rc = pam_close_session(pamh, flags);
	printf("close_session %s\n", code_name(rc));
	return rc == PAM_SUCCESS;
}

int main(int argc, char **argv)
{
	struct pam_conv pc = { conv, NULL };
	pam_handle_t *pamh = NULL;
	int flags = 0, opt, rc;
	bool account = true, ok;

	while ((opt = getopt(argc, argv, "sS")) != -1) {
		if (opt == 's')
			flags = PAM_SILENT;
		else if (opt == 'S')
			account = false;
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: pam_session_env [-s] [-S] SERVICE USER\n");
		return 2;
	}
	rc = pam_start(argv[optind], argv[optind + 1], &pc, &pamh);
	if (rc != PAM_SUCCESS) {
		printf("pam_start %s\n", code_name(rc));
		return 1;
	}
	ok = true;
	if (account) {
		rc = pam_acct_mgmt(pamh, flags);
		printf("acct_mgmt %s\n", code_name(rc));
		ok = rc == PAM_SUCCESS;
	}
	if (ok)
		ok = session(pamh, flags);
	pam_end(pamh, ok ? PAM_SUCCESS : PAM_ABORT);
	fflush(stdout);
	return ok ? 0 : 1;
}
