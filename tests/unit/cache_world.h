/*
 * cache_world.h - what the compiled cache's tests (test_cache_*.c) and the
 * login store's (test_store.c) share.  A policy taken from
 * "<config>.cache" must be the policy a parse of the files gives, in every
 * answer the interface can give; a cache that is not fresh (other bytes,
 * another place, another zone, another build) is a miss; a cache that is
 * damaged or insecure is refused with a warning; and no image, however
 * broken, crashes the reader.
 *
 * The worlds are made by a seeded generator (cache_gen.c, the approach of
 * test_pick.c) with several records files, approvals in every state,
 * accounts with their events, devices with apps, optional fields present
 * or absent, and strings with quotes, backslashes, '#', '//' and UTF-8 in
 * them.  The comparison (compare_all, cache_check.c) holds a cache-loaded
 * policy to a parsed one: every decision of a grid of requests at every
 * date written (and the seconds either side), every approval's info at
 * those moments, the diagnostics of smp_policy_check, and the catalogues
 * and settings.  It counts what differs and prints the first few; it uses
 * no CUnit assertion itself, so that a child process (another zone) can
 * run it too.
 *
 * SMP_CACHE_WORLDS=N runs N random worlds instead of the default.  Under
 * valgrind or a sanitizer (or with SMP_CACHE_LITE=1) fewer worlds, lengths
 * and offsets are tried (every byte of the header and of the policy's own
 * struct still is): there the point is the memory checks, and the full
 * sweep runs in the plain build.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_TEST_CACHE_WORLD_H
#define SMP_TEST_CACHE_WORLD_H

#include "internal.h"
#include "policy/policy.h"
#include "world.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NWORLDS 40                /* random worlds of the equivalence test */
#define SEED0 0xcac4e001u
#define MAX_FILES 3
#define MAX_STAFF 16
#define MAX_DATES 640
#define MAX_MOMENTS (MAX_DATES * 3 + 64 * 9 + 64)
#define MAX_SHOWN 12              /* mismatches printed in full */
#define DAY 86400
#define NOBODY 65534              /* a uid that is not ours, for the root-only cases */
#define LOAD_FLAGS SMP_LOAD_ALLOW_NONROOT

/* ---- cache_gen.c: the seeded generator, worlds on disk ----------------- */

int64_t below(uint64_t *s, int64_t n);

bool chance(uint64_t *s, int percent);

/* Under valgrind (its preload library), a sanitizer, or SMP_CACHE_LITE=1:
 * a sample instead of every case (SMP_CACHE_LITE=0: every case anyway). */
bool lite(void);

/* The next offset or length to try after i: all of them, or under lite()
 * all in [0, dense) and a sample beyond. */
size_t step(size_t i, size_t dense);

struct text {
	char *s;
	size_t len, cap;
};

enum { L_STAFF, L_DEVICES, L_ACCOUNTS, L_APPROVALS, NLISTS };

/* A time as written, and how it is read. */
struct date {
	char text[40];
	smp_time_edge edge;
};

struct gen_opts {
	bool offsets;          /* every time carries Z or an offset */
	bool winter;           /* every date in Dec..Feb, long_term_max_days 20 */
	bool no_lt_start;      /* no long-term approval has an effective start */
	int nfiles;            /* records files, 1..MAX_FILES */
};

struct gen {
	uint64_t seed, rs;
	struct gen_opts o;
	int64_t lo, hi;
	struct text conf;
	struct text list[MAX_FILES][NLISTS];
	size_t nentries[MAX_FILES][NLISTS];
	struct date dates[MAX_DATES];
	size_t ndates;
	char staff[MAX_STAFF][48];
	int staff_office[MAX_STAFF];
	bool staff_signs;      /* a director holding both roles exists */
	size_t nstaff;
	size_t nplatforms, noffices;
	size_t napprovals, naccounts, ndevices;
};

extern const char *const platform_ids[];

/* t written in one of the formats, noted with its edge; returns the text. */
const char *when(struct gen *g, int64_t t, smp_time_edge edge);

/* A moment to write: a quarter repeat one, many fall on midnight. */
int64_t fresh(struct gen *g);

int64_t after(struct gen *g, int64_t base, int days);

void gen_free(struct gen *g);

/* The world of seed, with opts (NULL: drawn from the seed too). */
void gen_world(struct gen *g, uint64_t seed, const struct gen_opts *opts);

struct place {
	char dir[200];
	char conf[240];
	char rec[MAX_FILES][240];
	char cache[260];
	int nrec;
};

void place_paths(struct place *pl);

bool place_new(struct place *pl);

bool write_text(const char *path, const char *text, size_t len, mode_t mode);

char *read_text(const char *path, size_t *len);

bool place_write(struct place *pl, const struct gen *g);

/* Remove dir and everything in it (one level of folders deep is all the
 * tests make; folders made read-only are opened up first). */
void rm_tree(const char *dir);

/* ---- cache_check.c: loading, comparing, the hand-written world -------- */

void print_diags(const smp_diags *d);

/* Load; the diagnostics go to *diags if diags is not NULL, else are freed. */
smp_policy *load(const char *conf, unsigned flags, smp_status *rc, smp_diags **diags);

smp_policy *parse(const char *conf);

smp_status write_cache(const smp_policy *p);

struct tally {
	unsigned long decisions, infos, statics, checks, mismatches;
	unsigned long allowed, untils, warnings;
	unsigned long reasons[SMP_R__COUNT];
	unsigned long states[SMP_STATE_OVER_CAP + 1];
	unsigned long check_errors, check_warnings;
	bool quiet;            /* print nothing (the comparer's own test) */
	unsigned shown;
};

void mismatch(struct tally *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

bool same_str(const char *x, const char *y);

const char *nz(const char *s);

/* What to ask: the ids come from the parsed policy, with unknown ones. */
struct grid {
	const char *users[MAX_STAFF + 1];
	size_t nusers;
	const char *platforms[8];
	size_t nplatforms;
	const char *devices[16];
	size_t ndevices;
	const char *accounts[24];     /* [0] NULL: none named */
	size_t naccounts;
	int64_t moments[MAX_MOMENTS];
	size_t nmoments;
	unsigned combos;              /* requests per moment, user and platform */
	unsigned info_every;          /* approval infos at every n-th moment */
	uint64_t seed;
};

/* Keep k moments of the grid, evenly spread over it. */
void thin_grid(struct grid *gr, size_t k);

/* The grid for the parsed policy p of world g, in the process's zone: every
 * date written and every effective start, lapse and revocation, with the
 * seconds either side; random moments; the ends of time.  False if a
 * date does not parse here. */
bool make_grid_keep(struct grid *gr, const smp_policy *p, const struct gen *g,
                    unsigned combos, size_t keep);

/* The grid, thinned to 40 moments under lite(). */
bool make_grid(struct grid *gr, const smp_policy *p, const struct gen *g, unsigned combos);

void compare_request(struct tally *t, const smp_policy *a, const smp_policy *b,
                     const struct smp_request *req);

/* Hold policy a (from the cache) to policy b (parsed) over grid gr. */
void compare_all(struct tally *t, const smp_policy *a, const smp_policy *b,
                 const struct grid *gr);

void print_tally(const char *what, const struct tally *t);

/* A fresh cache of the world at pl: parse, write, load; the loaded policy
 * with its state checked, and the parse in *parsed. */
smp_policy *cached_and_parsed(const struct place *pl, smp_policy **parsed);

/* the hand world's settings, and its approvals in local times */
extern const char hand_conf[];
extern const char hand_approvals[];

/* The hand world on disk, and its dates in g (for make_grid). */
void hand_world(struct place *pl, struct gen *g);

/* Load pl with the cache: the state must be `state`, the policy that of a
 * parse (compared over a small grid). */
void expect_state(const struct place *pl, const struct gen *g, smp_cache_state state,
                  const char *what);

/* Compile a fresh cache of pl (and see it used). */
void compile(const struct place *pl, const struct gen *g);

/* Overwrite the first `from` in path with `to` (as long) in place, and put
 * the file's times back: same size, same mtime to the nanosecond. */
bool edit_in_place(const char *path, const char *from, const char *to);

/* An in-place edit of path makes the cache stale, and the load follows the
 * new bytes; the edit is one a policy shows (the parses differ); put back,
 * the cache is used again. */
void stale_by_edit(const struct place *pl, const struct gen *g, const char *path,
                   const char *from, const char *to);

bool copy_file(const char *from, const char *to, mode_t mode);

/* The load with the cache fails exactly as the parse does: the same status,
 * the same diagnostics (but for warnings about the cache itself when
 * cache_warns: the cache is refused then too). */
void fails_as_parse(const struct place *pl, smp_status expected, bool cache_warns);

#endif
