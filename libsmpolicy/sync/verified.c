/*
 * verified.c - copy_dir/verified: the signatures the last sync verified,
 * so that the next one verifies only the new ones (on the statewide world
 * each sync would otherwise spend 7 s of CPU on the same 120,000
 * signatures, docs/PERFORMANCE.md).  One line per signature, the hex of
 * SHA-256(key, message, signature) (records/sig_verify.c): a line stands
 * only for exactly that key over exactly those bytes.  Written whole after
 * each sync that installs a copy (temp, fsync, rename), holding exactly
 * the signatures that sync found valid; root's, in root's copy_dir, like
 * the copy it speeds up.  A file that cannot be read is ignored: every
 * signature is then verified again.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sync/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERIFIED_FILE "verified"
#define VERIFIED_HEAD "# smpolicy-verified-v1: SHA-256 of key, message and signature\n"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void dir_verified_read(const char *copy_dir, unsigned flags, struct sig_memo *m)
{
	char *path = NULL, *text = NULL;
	size_t len = 0, head = sizeof(VERIFIED_HEAD) - 1;
	smp_diags *quiet = diags_new();   /* not there, or not ours: verify again */

	memset(m, 0, sizeof(*m));
	if (quiet == NULL || asprintf(&path, "%s/" VERIFIED_FILE, copy_dir) < 0)
		path = NULL;
	if (path != NULL && access(path, F_OK) == 0 &&
	    file_read_secure(path, NULL, flags | SMP_LOAD_PRIVATE, &text, &len, quiet) == SMP_OK &&
	    len >= head && memcmp(text, VERIFIED_HEAD, head) == 0 && (len - head) % 65 == 0) {
		for (size_t at = head; at < len; at += 65) {
			unsigned char d[32];
			bool ok = text[at + 64] == '\n';

			for (size_t k = 0; ok && k < 32; k++) {
				int hi = hexval(text[at + 2 * k]), lo = hexval(text[at + 2 * k + 1]);

				ok = hi >= 0 && lo >= 0;
				d[k] = (unsigned char)(hi << 4 | (lo & 15));
			}
			if (!ok || !sig_memo_add(m, d)) {
				sig_memo_free(m);   /* damaged or no memory: verify again */
				break;
			}
		}
	}
	free(text);
	free(path);
	smp_diags_free(quiet);
}

smp_status dir_verified_write(const char *copy_dir, const struct sig_memo *m, smp_diags *d)
{
	static const char hex[] = "0123456789abcdef";
	size_t head = sizeof(VERIFIED_HEAD) - 1, len = head + m->n * 65, at = head;
	char *buf = malloc(len + 1), *path = NULL;
	smp_status rc;

	if (buf == NULL)
		return SMP_ERR_NOMEM;
	memcpy(buf, VERIFIED_HEAD, head);
	for (size_t i = 0; m->slot != NULL && i <= m->mask; i++) {
		static const unsigned char zero[32];

		if (memcmp(m->slot[i], zero, 32) == 0)
			continue;
		for (size_t k = 0; k < 32; k++) {
			buf[at++] = hex[m->slot[i][k] >> 4];
			buf[at++] = hex[m->slot[i][k] & 15];
		}
		buf[at++] = '\n';
	}
	rc = private_replace(copy_dir, VERIFIED_FILE, ".verified.", buf, at, &path);
	if (rc == SMP_ERR_IO)
		diags_add(d, path, 0, SMP_SEV_WARNING, NULL, "cannot keep the signatures verified "
		          "(the next sync verifies them all again): %s", strerror(errno));
	free(path);
	free(buf);
	return rc;
}
