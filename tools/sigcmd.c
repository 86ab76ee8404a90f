/*
 * sigcmd.c - smpolicy keygen and smpolicy verify: a director's key and
 * the signatures of every approval (docs/SIGNATURES.md).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sigcmd.h"
#include "output.h"
#include "smpolicy.h"

#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char keygen_usage[] =
	"usage: smpolicy keygen --out FILE --pin-file FILE [--id ID --role ROLE --from TIME]\n"
	"       smpolicy keygen --public URI|FILE [--pin-file FILE]\n";
static const char verify_usage[] = "usage: smpolicy verify [--json]\n";

/* The first line of a file nobody but its owner can read. */
static char *secret_from_file(const char *path)
{
	char buf[1026];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		fprintf(stderr, "smpolicy: --pin-file %s: must be a regular file nobody else can "
		        "read (chmod 600)\n", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' }, { "public", required_argument, NULL, 'p' },
		{ "pin-file", required_argument, NULL, 'f' }, { "id", required_argument, NULL, 'i' },
		{ "role", required_argument, NULL, 'r' }, { "from", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *pub = NULL, *pin_file = NULL, *id = NULL, *role = NULL;
	const char *from = NULL;
	char *pin = NULL, *key = NULL;
	smp_diags *d = NULL;
	smp_status st;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'p': pub = optarg; break;
		case 'f': pin_file = optarg; break;
		case 'i': id = optarg; break;
		case 'r': role = optarg; break;
		case 'F': from = optarg; break;
		case 'h': fputs(keygen_usage, stdout); return 0;
		default:
			fprintf(stderr, "smpolicy: keygen: unknown or incomplete option '%s'\n%s",
			        argv[optind - 1], keygen_usage);
			return 2;
		}
	}
	if (optind < argc || (out == NULL) == (pub == NULL) ||
	    (id != NULL) != (role != NULL) || (id != NULL) != (from != NULL)) {
		fprintf(stderr, "smpolicy: keygen: give --out or --public (and --id, --role, "
		        "--from together)\n%s", keygen_usage);
		return 2;
	}
	if (out != NULL && pin_file == NULL) {
		/* a director's key never lies on a disk in clear */
		fprintf(stderr, "smpolicy: keygen: --out needs --pin-file, the passphrase that "
		        "encrypts the key\n%s", keygen_usage);
		return 2;
	}
	if (role != NULL && strcmp(role, "director_cpp") != 0 && strcmp(role, "director_it") != 0) {
		fprintf(stderr, "smpolicy: keygen: --role is director_cpp or director_it\n");
		return 2;
	}
	if (pin_file != NULL && (pin = secret_from_file(pin_file)) == NULL)
		return 2;
	st = out != NULL ? smp_sig_keygen(out, pin, &key, &d) : smp_sig_public_key(pub, pin, &key, &d);
	if (pin != NULL)
		explicit_bzero(pin, strlen(pin));
	free(pin);
	print_diags(stderr, d);
	smp_diags_free(d);
	if (st != SMP_OK) {
		fprintf(stderr, "smpolicy: keygen: %s\n", smp_status_string(st));
		return 2;
	}
	if (id != NULL)
		printf("  { id = \"%s\"; role = \"%s\"; from = \"%s\";\n    key = \"%s\"; },\n",
		       id, role, from, key);
	else
		printf("%s\n", key);
	smp_free(key);
	return 0;
}

static const char *const slot_names[] = { "approved_cpp", "approved_it", "revoked" };
static const char *const state_names[] = { "unchecked", "valid", "missing", "invalid" };

static json_object *sig_json(const struct smp_sig_info *s)
{
	json_object *o = json_object_new_object();
	char when[40];

	json_object_object_add(o, "by", json_object_new_string(s->signer ? s->signer : ""));
	if (smp_time_format(s->on, when, sizeof(when)) != NULL)
		json_object_object_add(o, "on", json_object_new_string(when));
	json_object_object_add(o, "signature", json_object_new_boolean(s->has_sig));
	json_object_object_add(o, "state", json_object_new_string(state_names[s->state]));
	if (s->why != NULL)
		json_object_object_add(o, "why", json_object_new_string(s->why));
	return o;
}

/* Every approval's signatures; exit 1 if a sign-off's does not count. */
int cmd_verify(const char *config, unsigned flags, int argc, char **argv)
{
	bool json = false, bad = false;
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	json_object *arr = NULL;
	smp_status st;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--help") == 0) {
			fputs(verify_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "smpolicy: verify: unexpected argument '%s'\n%s", argv[i],
			        verify_usage);
			return 2;
		}
	}
	st = smp_policy_load(config, flags | SMP_LOAD_NO_CACHE, &p, &d);
	print_diags(stderr, d);
	smp_diags_free(d);
	if (st != SMP_OK) {
		fprintf(stderr, "smpolicy: verify: %s\n", smp_status_string(st));
		return 2;
	}
	if (json)
		arr = json_object_new_array();
	for (size_t i = 0; i < smp_policy_approval_count(p); i++) {
		struct smp_approval_info ai = { .size = sizeof(ai) };
		json_object *o = NULL;

		smp_policy_approval(p, i, 0, &ai);
		if (json) {
			o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_string(ai.id));
			json_object_array_add(arr, o);
		} else {
			print_escaped(stdout, ai.id);
			fputs(":", stdout);
		}
		for (int k = SMP_SIG_CPP; k <= SMP_SIG_REVOKED; k++) {
			struct smp_sig_info s = { .size = sizeof(s) };
			if (smp_policy_approval_signature(p, i, (smp_sig_slot)k, &s) != SMP_OK || !s.present)
				continue;
			bad |= k != SMP_SIG_REVOKED &&
			       (s.state == SMP_SIG_MISSING || s.state == SMP_SIG_INVALID);
			if (json) {
				json_object_object_add(o, slot_names[k], sig_json(&s));
				continue;
			}
			printf(" %s by ", slot_names[k]);
			print_escaped(stdout, s.signer ? s.signer : "?");
			printf(" %s", state_names[s.state]);
			if (s.why != NULL) {
				fputs(" (", stdout);
				print_escaped(stdout, s.why);
				fputs(")", stdout);
			}
			fputs(";", stdout);
		}
		if (!json)
			fputs("\n", stdout);
	}
	if (json) {
		json_object *top = json_object_new_object();

		json_object_object_add(top, "require_signatures",
		                       json_object_new_boolean(smp_policy_requires_signatures(p)));
		json_object_object_add(top, "approvals", arr);
		puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
		                                          JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	}
	smp_policy_free(p);
	return bad ? 1 : 0;
}
