/*
 * client.c - a small program deciding one request with libsmpolicy, built
 * against the installed library:
 *
 *   cc client.c $(pkg-config --cflags --libs smpolicy) -o client
 *   ./client /etc/smpolicy/smpolicy.conf jdoe facebook ws-essex-0042 [ACCOUNT ACTION [TIME]]
 *
 * It prints ALLOW or DENY with every reason, and exits 0, 1, or 2 on error.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <smpolicy.h>

#include <stdio.h>

static void print_diags(const smp_diags *d)
{
	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);

		fprintf(stderr, "%s:%u: %s\n", g->file ? g->file : "?", g->line, g->message);
	}
}

int main(int argc, char **argv)
{
	struct smp_request req;
	smp_policy *policy = NULL;
	smp_diags *diags = NULL;
	smp_decision *d = NULL;
	smp_status st;
	int rc;

	if (argc < 5 || argc > 8) {
		fprintf(stderr, "usage: %s CONFIG USER PLATFORM DEVICE [ACCOUNT ACTION [TIME]]\n", argv[0]);
		return 2;
	}
	st = smp_policy_load(argv[1], 0, &policy, &diags);
	print_diags(diags);
	smp_diags_free(diags);
	if (st != SMP_OK) {
		fprintf(stderr, "%s: %s\n", argv[1], smp_status_string(st));
		return 2;
	}
	smp_request_init(&req);
	req.user = argv[2];
	req.platform = argv[3];
	req.device = argv[4];
	if (argc > 5)
		req.account = argv[5];
	if ((argc > 6 && smp_action_parse(argv[6], &req.action) != SMP_OK) ||
	    (argc > 7 && smp_time_parse(argv[7], SMP_TIME_START, &req.at) != SMP_OK)) {
		fprintf(stderr, "%s: bad action or time\n", argv[0]);
		smp_policy_free(policy);
		return 2;
	}
	st = smp_decide(policy, &req, &d);
	if (st != SMP_OK) {
		fprintf(stderr, "decide: %s\n", smp_status_string(st));
		smp_policy_free(policy);
		return 2;   /* an error is never an ALLOW */
	}
	printf("%s\n", smp_decision_allowed(d) ? "ALLOW" : "DENY");
	for (size_t i = 0; i < smp_decision_reason_count(d); i++) {
		smp_reason r = smp_decision_reason(d, i);

		printf("%s (manual IX-H-2-100 %s): %s\n", smp_reason_code(r), smp_reason_section(r),
		       smp_decision_reason_message(d, i));
	}
	for (size_t i = 0; i < smp_decision_warning_count(d); i++)
		printf("%s: %s\n", smp_warning_code(smp_decision_warning(d, i)),
		       smp_decision_warning_message(d, i));
	rc = smp_decision_allowed(d) ? 0 : 1;
	smp_decision_free(d);
	smp_policy_free(policy);
	return rc;
}
