/*
 * fuzz_common.h - helpers shared by the fuzz targets: a private folder for
 * the files a target writes, and the checks every target makes of what the
 * library hands back.  Header-only, so that each target stays one file.
 *
 * A target calls fuzz_fail() (abort) when an invariant breaks: libFuzzer
 * reports it as a crash, and the corpus replay test fails.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_FUZZ_COMMON_H
#define SMP_FUZZ_COMMON_H

#include "smpolicy.h"
#include "smpolicy_testing.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define fuzz_fail(...) \
	do { \
		fprintf(stderr, "fuzz invariant broken at %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} while (0)

#define fuzz_assert(cond) \
	do { \
		if (!(cond)) \
			fuzz_fail("%s", #cond); \
	} while (0)

static char fuzz_dir_path[64];

static inline int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fuzz_dir_cleanup(void)
{
	if (fuzz_dir_path[0])
		nftw(fuzz_dir_path, fuzz_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A private folder (mode 0700, ours) for this process, removed at exit. */
static inline const char *fuzz_dir(void)
{
	if (fuzz_dir_path[0] == '\0') {
		const char *tmp = getenv("TMPDIR");

		snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "%s/smp-fuzz-XXXXXX",
		         tmp && tmp[0] == '/' && strlen(tmp) < 40 ? tmp : "/tmp");
		if (mkdtemp(fuzz_dir_path) == NULL) {
			perror("mkdtemp");
			abort();
		}
		atexit(fuzz_dir_cleanup);
	}
	return fuzz_dir_path;
}

/* Write data to dir/name, mode 0644 whatever the umask; the path into
 * path (PATH_MAX). */
static inline void fuzz_write(const char *dir, const char *name, const void *data, size_t len,
                       char *path, size_t pathlen)
{
	int fd;

	snprintf(path, pathlen, "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || fchmod(fd, 0644) != 0) {
		perror(path);
		abort();
	}
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			perror(path);
			abort();
		}
		data = (const char *)data + w;
		len -= (size_t)w;
	}
	close(fd);
}

static inline char *fuzz_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (buf == NULL)
				abort();
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);

		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Length of the well-formed UTF-8 sequence at s[0..n), 0 if none. */
static inline size_t fuzz_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* The code point of a well-formed sequence of length len. */
static inline unsigned fuzz_utf8_cp(const unsigned char *s, size_t len)
{
	static const unsigned mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	unsigned cp = s[0] & mask[len];

	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3fu);
	return cp;
}

/*
 * What a person's terminal may be shown: well-formed UTF-8, no control
 * character but the newline (no ESC, CR, BEL, DEL, C1), no bidi override.
 * Returns the offset of the first offending byte, or (size_t)-1.
 */
static inline size_t fuzz_terminal_unsafe(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;

	for (size_t i = 0; i < n;) {
		size_t len = fuzz_utf8_len(s + i, n - i);
		unsigned cp;

		if (len == 0)
			return i;
		cp = fuzz_utf8_cp(s + i, len);
		if ((cp < 0x20 && cp != '\n') || (cp >= 0x7f && cp < 0xa0) ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
		    cp == 0x2028 || cp == 0x2029)
			return i;
		i += len;
	}
	return (size_t)-1;
}

/* Well-formed UTF-8 without C1 controls (JSON text). */
static inline bool fuzz_utf8_clean(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;

	for (size_t i = 0; i < n;) {
		size_t len = fuzz_utf8_len(s + i, n - i);

		if (len == 0)
			return false;
		if (len == 2 && fuzz_utf8_cp(s + i, len) < 0xa0)
			return false;
		i += len;
	}
	return true;
}

/* Touch every byte of every diagnostic (ASan checks the reads). */
static inline void fuzz_walk_diags(const smp_diags *d)
{
	size_t errors = 0;

	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);

		fuzz_assert(g != NULL && g->message != NULL);
		fuzz_assert(g->severity == SMP_SEV_ERROR || g->severity == SMP_SEV_WARNING);
		errors += g->severity == SMP_SEV_ERROR;
		(void)strlen(g->message);
		if (g->file)
			(void)strlen(g->file);
		if (g->subject)
			(void)strlen(g->subject);
	}
	fuzz_assert(smp_diags_get(d, smp_diags_count(d)) == NULL);
	fuzz_assert(errors == smp_diags_errors(d));
}

#ifdef SMP_FUZZ_WORLD
/* Copy file `name` of the fixed world (SMP_FUZZ_WORLD) into dir. */
static inline void fuzz_copy_world_file(const char *dir, const char *name)
{
	char src[PATH_MAX], dst[PATH_MAX];
	size_t len;
	char *text;

	snprintf(src, sizeof(src), "%s/%s", SMP_FUZZ_WORLD, name);
	text = fuzz_read(src, &len);
	if (text == NULL) {
		perror(src);
		abort();
	}
	fuzz_write(dir, name, text, len, dst, sizeof(dst));
	free(text);
}

/* The fixed world, copied into fuzz_dir() and loaded with flags (plus
 * SMP_LOAD_ALLOW_NONROOT); its settings file's path goes to conf.  A
 * world that does not load is a broken harness: abort. */
static inline smp_policy *fuzz_load_world(unsigned flags, char *conf, size_t size)
{
	const char *dir = fuzz_dir();
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	smp_status st;

	fuzz_copy_world_file(dir, "smpolicy.conf");
	fuzz_copy_world_file(dir, "records.conf");
	snprintf(conf, size, "%s/smpolicy.conf", dir);
	st = smp_policy_load(conf, SMP_LOAD_ALLOW_NONROOT | flags, &p, &d);
	if (st != SMP_OK) {
		for (size_t i = 0; i < smp_diags_count(d); i++)
			fprintf(stderr, "%s:%u: %s\n", smp_diags_get(d, i)->file,
			        smp_diags_get(d, i)->line, smp_diags_get(d, i)->message);
		fuzz_fail("the fixed world does not load: %s", smp_status_string(st));
	}
	smp_diags_free(d);
	return p;
}
#endif

#endif /* SMP_FUZZ_COMMON_H */
