/*
 * replay.c - the corpus replay driver (like sudo's fuzz stub): with the
 * normal compiler and no libFuzzer, feed every file named on the command
 * line, or found in a folder named there, to the target's
 * LLVMFuzzerTestOneInput.  meson test runs it over fuzz/corpus/TARGET, so
 * every seed and every input that once crashed is replayed on every run.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "fuzz_common.h"

#include <dirent.h>

/* Targets that need no set-up do not define it. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* REPLAY_SAMPLE=N: only every N-th file (a slow harness such as valgrind
 * takes a different sample each time the corpus changes, all of it at N=1). */
static unsigned long sample = 1, seen;

static size_t run_file(const char *path)
{
	size_t len;
	char *data;

	if (seen++ % sample != 0)
		return 0;
	data = fuzz_read(path, &len);

	if (data == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (getenv("REPLAY_VERBOSE"))
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 1;
}

static size_t run_path(const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, done = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	dir = opendir(path);
	if (dir == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				abort();
		}
		if (asprintf(&names[n++], "%s/%s", path, e->d_name) < 0)
			abort();
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		done += run_path(names[i]);
		free(names[i]);
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	size_t n = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|FOLDER...\n", argv[0]);
		return 2;
	}
	if (getenv("REPLAY_SAMPLE") != NULL && strtoul(getenv("REPLAY_SAMPLE"), NULL, 10) > 0)
		sample = strtoul(getenv("REPLAY_SAMPLE"), NULL, 10);
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		n += run_path(argv[i]);
	printf("replayed %zu inputs\n", n);
	return n > 0 ? 0 : 1;
}
