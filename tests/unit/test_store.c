/*
 * test_store.c - the login store (libsmpolicy/policy/store_*.c):
 * a policy of one person at one device, loaded through the store's
 * indexes, must answer every request of that person at that device as
 * the parse of the files does; it must refuse (SMP_ERR_ARG) any other;
 * an edit of the records that keeps the size and puts the mtime back, or
 * one in the same tick as the compile, must never be decided from the
 * store; and no damaged store may crash the reader or allow what the
 * records deny.
 *
 * The worlds, the grid of moments and the comparison of two decisions are
 * the compiled cache's tests' (cache_world.h).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "cache_world.h"
#include "policy/store.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The store folder of a world. */
static void store_dir(const struct place *pl, char *dir, size_t n)
{
	snprintf(dir, n, "%s/store", pl->dir);
}

static smp_status write_store(const struct place *pl, const smp_policy *p, unsigned flags)
{
	char dir[300];
	smp_diags *d = NULL;
	smp_status rc;

	store_dir(pl, dir, sizeof(dir));
	rc = smp_policy_store_write(p, dir, LOAD_FLAGS | flags, &d);
	if (rc != SMP_OK) {
		fprintf(stderr, "\n  writing the store: %s\n", smp_status_string(rc));
		print_diags(d);
	}
	smp_diags_free(d);
	return rc;
}

static smp_policy *load_for(const struct place *pl, const char *user, const char *device,
                            smp_diags **diags)
{
	char dir[300];
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	smp_status rc;

	store_dir(pl, dir, sizeof(dir));
	rc = smp_policy_load_for(pl->conf, dir, LOAD_FLAGS, user, device, &p, &d);
	if (rc != SMP_OK) {
		fprintf(stderr, "\n  load_for %s@%s: %s\n", user, nz(device), smp_status_string(rc));
		print_diags(d);
	}
	if (diags != NULL)
		*diags = d;
	else
		smp_diags_free(d);
	return p;
}

/* Every request of user at device over the grid, on s (the store's) and p
 * (the parse); and what the interface tells of that person. */
static void compare_person(struct tally *t, const smp_policy *s, const smp_policy *p,
                           const struct grid *gr, const char *user, const char *device)
{
	uint64_t rs = gr->seed ^ (uint64_t)strlen(user);
	const char *held[8];
	char host[256];
	const char *dev = device;

	if (dev == NULL) {
		gethostname(host, sizeof(host));
		host[sizeof(host) - 1] = '\0';
		dev = host;
	}
	for (size_t k = 0; k < gr->nplatforms; k++) {
		const char *ids_s[8], *ids_p[8];
		size_t ns = smp_policy_accounts_held(s, user, gr->platforms[k], ids_s, 8);
		size_t np = smp_policy_accounts_held(p, user, gr->platforms[k], ids_p, 8);

		t->statics++;
		if (ns != np)
			mismatch(t, "accounts held by %s on %s: %zu, %zu\n", user, gr->platforms[k], ns, np);
		for (size_t i = 0; i < ns && i < np && i < 8; i++)
			if (!same_str(ids_s[i], ids_p[i]))
				mismatch(t, "account held by %s: %s, %s\n", user, ids_s[i], ids_p[i]);
		held[k] = np > 0 ? ids_p[0] : NULL;
	}
	if (!same_str(smp_policy_staff_office(s, user), smp_policy_staff_office(p, user)))
		mismatch(t, "the office of %s\n", user);
	if (smp_policy_platform_count(s) != smp_policy_platform_count(p) ||
	    smp_policy_warn_days(s) != smp_policy_warn_days(p) ||
	    smp_policy_office_cap(s) != smp_policy_office_cap(p))
		mismatch(t, "the catalogue or the settings\n");
	for (size_t m = 0; m < gr->nmoments; m++) {
		for (size_t k = 0; k < gr->nplatforms; k++) {
			for (unsigned c = 0; c < gr->combos; c++) {
				struct smp_request req;

				smp_request_init(&req);
				req.user = user;
				req.device = device;
				req.platform = gr->platforms[k];
				req.at = gr->moments[m];
				req.account = chance(&rs, 60) ? held[k]
				                              : gr->accounts[below(&rs, (int64_t)gr->naccounts)];
				req.action = chance(&rs, 50) ? (req.account ? SMP_ACTION_LOGIN : SMP_ACTION_VIEW)
				                             : (smp_action)below(&rs, SMP_ACTION__COUNT);
				req.purpose = (smp_purpose)below(&rs, SMP_PURPOSE__COUNT);
				req.public_info_sufficient = chance(&rs, 10);
				req.other_means_available = chance(&rs, 10);
				if (chance(&rs, 20))
					req.warn_days = (int)below(&rs, 60);
				if (smp_policy_store_state(s) == SMP_CACHE_USED &&
				    req.action != SMP_ACTION_VIEW && req.account != NULL &&
				    policy_find_account(s, req.account) == NONE) {
					/* someone else's account, or none: the store
					 * cannot say which, and refuses */
					smp_decision *d = NULL;

					t->decisions++;
					if (smp_decide(s, &req, &d) != SMP_ERR_ARG || d != NULL)
						mismatch(t, "a decision with account %s for %s\n",
						         req.account, user);
					smp_decision_free(d);
					continue;
				}
				compare_request(t, s, p, &req);
			}
		}
	}
	/* anyone else, at any other device: an error, never an answer (the
	 * whole policy of a miss answers for anyone) */
	if (smp_policy_store_state(s) == SMP_CACHE_USED) {
		struct smp_request req;
		smp_decision *d = NULL;

		smp_request_init(&req);
		req.platform = gr->platforms[0];
		req.user = strcmp(user, "ghost") == 0 ? "ghost2" : "ghost";
		req.device = dev;
		if (smp_decide(s, &req, &d) != SMP_ERR_ARG || d != NULL)
			mismatch(t, "a decision for %s on the policy of %s\n", req.user, user);
		smp_decision_free(d);
		req.user = user;
		req.device = strcmp(dev, "nowhere") == 0 ? "elsewhere" : "nowhere";
		if (smp_decide(s, &req, &d) != SMP_ERR_ARG || d != NULL)
			mismatch(t, "a decision at %s on the policy of %s@%s\n", req.device, user, dev);
		smp_decision_free(d);
	}
}

/* Worlds are written first and compiled two seconds later: the writer
 * waits for records changed in the last two seconds (the racy rule). */
static void test_store_equivalence(void)
{
	enum { N = 10 };
	static struct gen g[N];
	static struct grid gr;
	struct place pl[N];
	struct tally t = { 0 };
	unsigned long loads = 0, used = 0;
	smp_diags *dg;

	for (unsigned k = 0; k < N; k++) {
		gen_world(&g[k], SEED0 + 0x100 + k, NULL);
		CU_ASSERT_FATAL(place_new(&pl[k]));
		CU_ASSERT_FATAL(place_write(&pl[k], &g[k]));
	}
	sleep(2);
	for (unsigned k = 0; k < N; k++) {
		smp_policy *p = parse(pl[k].conf);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL_FATAL(write_store(&pl[k], p, SMP_EDIT_NOWAIT), SMP_OK);
		CU_ASSERT_FATAL(make_grid_keep(&gr, p, &g[k], 1, lite() ? 20 : 120));
		for (size_t u = 0; u < gr.nusers; u++) {
			for (size_t v = 0; v < gr.ndevices; v++) {
				smp_policy *s = load_for(&pl[k], gr.users[u], gr.devices[v], &dg);

				loads++;
				CU_ASSERT_PTR_NOT_NULL(s);
				CU_ASSERT_EQUAL(smp_diags_count(dg), 0);
				smp_diags_free(dg);
				if (s == NULL)
					continue;
				used += smp_policy_store_state(s) == SMP_CACHE_USED;
				CU_ASSERT_EQUAL(smp_policy_store_state(s), SMP_CACHE_USED);
				CU_ASSERT_EQUAL(smp_policy_cache_state(s), SMP_CACHE_OFF);
				compare_person(&t, s, p, &gr, gr.users[u], gr.devices[v]);
				{   /* one person's policy cannot check or be written */
					smp_diags *cd = NULL;

					CU_ASSERT_EQUAL(smp_policy_check(s, &cd), SMP_ERR_ARG);
					CU_ASSERT_PTR_NULL(cd);
					CU_ASSERT_EQUAL(smp_policy_cache_write(s, 0, NULL), SMP_ERR_ARG);
					CU_ASSERT_EQUAL(smp_policy_store_write(s, pl[k].dir, 0, NULL), SMP_ERR_ARG);
				}
				smp_policy_free(s);
			}
		}
		smp_policy_free(p);
		gen_free(&g[k]);
		rm_tree(pl[k].dir);
	}
	print_tally("login store against parse", &t);
	printf("  %lu loads of one person at one device, %lu from the store\n", loads, used);
	printf("  reasons:");
	for (int r = 0; r < SMP_R__COUNT; r++)
		printf(" %s=%lu", smp_reason_code((smp_reason)r), t.reasons[r]);
	printf("\n");
	CU_ASSERT_EQUAL(t.mismatches, 0);
	CU_ASSERT(t.allowed > 0 && t.untils > 0);
}

/* The store state of a load of user at device, and its decisions against
 * the parse. */
static void expect_store(const struct place *pl, const struct gen *g, const char *user,
                         const char *device, smp_cache_state state, const char *what)
{
	static struct grid gr;
	struct tally t = { 0 };
	smp_policy *s = load_for(pl, user, device, NULL), *p = parse(pl->conf);

	if (smp_policy_store_state(s) != state)
		fprintf(stderr, "\n  %s: store %s, expected %s\n", what,
		        smp_cache_state_name(smp_policy_store_state(s)), smp_cache_state_name(state));
	CU_ASSERT_EQUAL(smp_policy_store_state(s), state);
	CU_ASSERT_FATAL(s != NULL && p != NULL && make_grid_keep(&gr, p, g, 2, 60));
	compare_person(&t, s, p, &gr, user, device);
	if (state != SMP_CACHE_USED) {
		/* the whole policy: it answers for anyone */
		smp_decision *d = NULL;
		struct smp_request req;

		smp_request_init(&req);
		req.user = "ghost";
		req.platform = "facebook";
		req.device = device;
		CU_ASSERT_EQUAL(smp_decide(s, &req, &d), SMP_OK);
		smp_decision_free(d);
	}
	CU_ASSERT_EQUAL(t.mismatches, 0);
	smp_policy_free(s);
	smp_policy_free(p);
}

static void compile_store(const struct place *pl)
{
	smp_policy *p = parse(pl->conf);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(write_store(pl, p, 0), SMP_OK);   /* waits out the racy seconds */
	smp_policy_free(p);
}

/* An edit that keeps the size and puts the mtime back (touch -d): the
 * ctime moved, and the store is stale; put back, it stays stale (the
 * status is compared, not the bytes). */
static void test_store_stale_same_size(void)
{
	static struct gen g;
	struct place pl;

	hand_world(&pl, &g);
	compile_store(&pl);
	expect_store(&pl, &g, "w1", "ws1", SMP_CACHE_USED, "freshly compiled");
	CU_ASSERT_FATAL(edit_in_place(pl.rec[1], "\"LT-1\"; staff = \"w1\"", "\"LT-1\"; staff = \"w2\""));
	expect_store(&pl, &g, "w1", "ws1", SMP_CACHE_STALE, "same size, same mtime");
	expect_store(&pl, &g, "w2", "ws1", SMP_CACHE_STALE, "same size, same mtime");
	CU_ASSERT_FATAL(edit_in_place(pl.rec[1], "\"LT-1\"; staff = \"w2\"", "\"LT-1\"; staff = \"w1\""));
	expect_store(&pl, &g, "w1", "ws1", SMP_CACHE_STALE, "put back");
	compile_store(&pl);
	expect_store(&pl, &g, "w1", "ws1", SMP_CACHE_USED, "compiled again");
	/* the settings file is a source too */
	CU_ASSERT_FATAL(edit_in_place(pl.conf, "warn_days = 14", "warn_days = 15"));
	expect_store(&pl, &g, "w1", "ws1", SMP_CACHE_STALE, "the settings edited");
	rm_tree(pl.dir);
}

/* The store at pl rewritten with its sources as they are now but dated
 * `compiled` and with the digests of `digests` (the racy rule's cases). */
static void forge_store(const struct place *pl, const smp_policy *p, int64_t compiled,
                        const struct digest *digests)
{
	char dir[300], *img = NULL, *path;
	struct store_source src[MAX_FILES + 1];
	const char *why;
	size_t size;

	memset(src, 0, sizeof(src));
	for (size_t i = 0; i <= p->nrecords; i++) {
		struct stat st;

		CU_ASSERT_FATAL(stat(i == 0 ? p->config_path : p->records_paths[i - 1], &st) == 0);
		src[i] = (struct store_source){
			.mode = st.st_mode & 07777, .dev = st.st_dev, .ino = st.st_ino,
			.size = st.st_size,
			.mtime = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
			.ctime = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec,
			.uid = st.st_uid, .gid = st.st_gid,
			.digest_lo = digests[i].lo, .digest_hi = digests[i].hi,
		};
	}
	CU_ASSERT_EQUAL_FATAL(store_image(p, src, compiled, &img, &size, &why), SMP_OK);
	store_dir(pl, dir, sizeof(dir));
	path = store_path(dir, pl->conf);
	CU_ASSERT_FATAL(path != NULL && write_text(path, img, size, 0644));
	free(path);
	free(img);
}

/* git's racy-clean case: a source edited in the same tick as the compile
 * keeps the times the compile saw.  A login sees that its times are too
 * close to the compile to tell, and hashes it. */
static void test_store_racy(void)
{
	static struct gen g;
	struct place pl;
	smp_policy *before, *after;
	struct digest old[MAX_FILES + 1];

	hand_world(&pl, &g);
	compile_store(&pl);
	before = parse(pl.conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	memcpy(old, before->digests, (before->nrecords + 1) * sizeof(old[0]));
	CU_ASSERT_FATAL(edit_in_place(pl.rec[1], "\"LT-1\"; staff = \"w1\"", "\"LT-1\"; staff = \"w2\""));
	after = parse(pl.conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	/* the store of the old bytes, recording the files' times as they are
	 * now (as if the edit left them unchanged), compiled a moment after */
	struct stat st;

	CU_ASSERT_FATAL(stat(pl.rec[1], &st) == 0);
	forge_store(&pl, before, st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec + 1000, old);
	expect_store(&pl, &g, "w1", "ws1", SMP_CACHE_STALE, "edited in the compile's tick");
	expect_store(&pl, &g, "w2", "ws1", SMP_CACHE_STALE, "edited in the compile's tick");
	/* the same store with the new bytes' digests is fresh: hashed, equal */
	forge_store(&pl, after, st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec + 1000,
	            after->digests);
	expect_store(&pl, &g, "w2", "ws1", SMP_CACHE_USED, "racy, the same bytes");
	/* and what the rule guards against: compiled long after, the times
	 * alone are trusted (this store holds the old policy: a forged one) */
	forge_store(&pl, before, st.st_ctim.tv_sec * 1000000000LL + 10 * 1000000000LL, old);
	{
		smp_policy *s = load_for(&pl, "w1", "ws1", NULL);

		CU_ASSERT_EQUAL(smp_policy_store_state(s), SMP_CACHE_USED);
		smp_policy_free(s);
	}
	smp_policy_free(before);
	smp_policy_free(after);
	rm_tree(pl.dir);
}

/* Damaged stores: every byte of the header and sources, and a sample of
 * the rest, changed in turn; cut at many lengths.  Each load decides as
 * the parse does (from the store when the byte lay where no reader looks,
 * else from the files), and never crashes. */
static void test_store_damaged(void)
{
	static struct gen g;
	static struct grid gr;
	struct place pl;
	char dir[300], *path, *good;
	size_t size, flips = 0;
	unsigned long refused = 0;
	struct tally t = { .quiet = true };
	smp_policy *p;

	hand_world(&pl, &g);
	compile_store(&pl);
	store_dir(&pl, dir, sizeof(dir));
	path = store_path(dir, pl.conf);
	good = read_text(path, &size);
	CU_ASSERT_FATAL(good != NULL && size > sizeof(struct store_header));
	p = parse(pl.conf);
	CU_ASSERT_FATAL(p != NULL && make_grid_keep(&gr, p, &g, 1, 6));
	for (size_t off = 0; off < size; off = step(off, 2048) + (off >= 2048 ? 37 : 0)) {
		char *img = malloc(size);
		smp_policy *s;

		memcpy(img, good, size);
		img[off] ^= 0x5a;
		CU_ASSERT_FATAL(write_text(path, img, size, 0644));
		s = load_for(&pl, "w1", "ph1", NULL);
		CU_ASSERT_PTR_NOT_NULL(s);
		if (s != NULL) {
			refused += smp_policy_store_state(s) != SMP_CACHE_USED;
			t.mismatches = 0;
			compare_person(&t, s, p, &gr, "w1", "ph1");
			if (t.mismatches != 0)
				fprintf(stderr, "\n  a byte changed at %zu: %lu answers differ\n", off,
				        t.mismatches);
			CU_ASSERT_EQUAL(t.mismatches, 0);
		}
		smp_policy_free(s);
		free(img);
		flips++;
	}
	for (size_t len = 0; len < size; len = step(len, 512) + (len >= 512 ? 97 : 0)) {
		smp_policy *s;

		CU_ASSERT_FATAL(write_text(path, good, len, 0644));
		s = load_for(&pl, "w1", "ph1", NULL);
		CU_ASSERT_PTR_NOT_NULL(s);
		CU_ASSERT_NOT_EQUAL(smp_policy_store_state(s), SMP_CACHE_USED);
		smp_policy_free(s);
	}
	printf("\n  %zu bytes changed in turn, %lu loads refused the store\n", flips, refused);
	/* others could have written it: never read */
	CU_ASSERT_FATAL(write_text(path, good, size, 0666));
	CU_ASSERT_FATAL(chmod(path, 0666) == 0);
	{
		smp_diags *d = NULL;
		smp_policy *s = load_for(&pl, "w1", "ph1", &d);

		CU_ASSERT_EQUAL(smp_policy_store_state(s), SMP_CACHE_REJECTED);
		CU_ASSERT_EQUAL(smp_diags_count(d), 1);
		smp_diags_free(d);
		smp_policy_free(s);
	}
	/* records made less readable: stale until compiled again */
	CU_ASSERT_FATAL(chmod(path, 0644) == 0);
	expect_store(&pl, &g, "w1", "ph1", SMP_CACHE_USED, "put back");
	CU_ASSERT_FATAL(chmod(pl.rec[0], 0640) == 0);
	expect_store(&pl, &g, "w1", "ph1", SMP_CACHE_STALE, "records made less readable");
	smp_policy_free(p);
	free(good);
	free(path);
	rm_tree(pl.dir);
}

/* The in-memory reader on every user and device of a store, against its
 * arguments: ids that are not there, empty, long. */
static void test_store_edges(void)
{
	static struct gen g;
	struct place pl;
	smp_policy *p, *s = NULL;
	char dir[300], *path, *img, longid[300];
	size_t size;
	smp_cache_state st;
	const char *why;

	hand_world(&pl, &g);
	compile_store(&pl);
	store_dir(&pl, dir, sizeof(dir));
	path = store_path(dir, pl.conf);
	img = read_text(path, &size);
	CU_ASSERT_FATAL(img != NULL);
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	const char *users[] = { "w1", "", "ghost", longid, "dir-cpp" };
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		CU_ASSERT_EQUAL(store_image_read(img, size, users[i], "ws1", &s, &st, &why), SMP_OK);
		CU_ASSERT_PTR_NOT_NULL(s);
		CU_ASSERT_EQUAL(smp_policy_staff_office(s, users[i]) != NULL,
		                i == 0 || i == 4);
		smp_policy_free(s);
	}
	CU_ASSERT_EQUAL(smp_policy_load_for(pl.conf, dir, LOAD_FLAGS, NULL, "ws1", &s, NULL),
	                SMP_ERR_ARG);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(smp_policy_load_for(pl.conf, dir, LOAD_FLAGS, "w1", "ws1", NULL, NULL),
	                SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_store_write(NULL, dir, 0, NULL), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_store_state(NULL), SMP_CACHE_OFF);
	/* no store folder: a miss, the whole policy */
	CU_ASSERT_EQUAL(smp_policy_load_for(pl.conf, "/nonexistent", LOAD_FLAGS, "w1", "ws1", &s,
	                                    NULL), SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_store_state(s), SMP_CACHE_ABSENT);
	smp_policy_free(s);
	/* SMP_LOAD_NO_CACHE: not looked at */
	CU_ASSERT_EQUAL(smp_policy_load_for(pl.conf, dir, LOAD_FLAGS | SMP_LOAD_NO_CACHE, "w1",
	                                    "ws1", &s, NULL), SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_store_state(s), SMP_CACHE_OFF);
	smp_policy_free(s);
	/* a store named after one settings file is not another's */
	{
		char *other = store_path(dir, "/etc/smpolicy/smpolicy.conf");

		CU_ASSERT(other != NULL && strstr(other, "/etc-smpolicy-smpolicy.conf.login") != NULL);
		free(other);
		other = store_path(dir, "/a-b/c");
		CU_ASSERT(other != NULL && strstr(other, "/a\\x2db-c.login") != NULL);
		free(other);
	}
	p = parse(pl.conf);
	smp_policy_free(p);
	free(img);
	free(path);
	rm_tree(pl.dir);
}

/* ---- forged stores: each must be refused, never decide ------------------ */

static struct store_slot *slot_of(char *b, const char *key)
{
	struct store_header h;

	memcpy(&h, b, sizeof(h));
	for (uint64_t i = 0; i < h.staff_slots; i++) {
		struct store_slot *s = (struct store_slot *)(void *)(b + h.staff_off) + i;

		if (s->size != 0 && strcmp(b + s->key_off, key) == 0)
			return s;
	}
	return NULL;
}

/* The slot at s made consistent again: its check for its place. */
static void reseal_slot(char *b, struct store_slot *s)
{
	struct store_header h;

	memcpy(&h, b, sizeof(h));
	s->check = store_slot_check(s, (uint64_t)((char *)s - (b + h.staff_off)) / sizeof(*s));
}

/* The header's digest made to fit its bytes again. */
static void reseal_head(char *b)
{
	struct store_header h;
	struct digest dg;

	memcpy(&h, b, sizeof(h));
	h.head_lo = h.head_hi = 0;
	memcpy(b, &h, sizeof(h));
	digest_of(b, (size_t)h.staff_off, &dg);
	h.head_lo = dg.lo;
	h.head_hi = dg.hi;
	memcpy(b, &h, sizeof(h));
}

/* The store at path set to img; a login of user at ph1 must refuse it
 * with a warning that names why, and decide as the parse. */
static void store_refused(const struct place *pl, const struct gen *g, const char *path,
                           const char *img, size_t size, const char *user, const char *why,
                           const char *what)
{
	smp_diags *d = NULL;
	smp_policy *s;
	bool named = false;

	CU_ASSERT_FATAL(write_text(path, img, size, 0644));
	s = load_for(pl, user, "ph1", &d);
	for (size_t i = 0; i < smp_diags_count(d); i++)
		named |= strstr(smp_diags_get(d, i)->message, why) != NULL;
	if (!named) {
		fprintf(stderr, "\n  %s: expected a warning with \"%s\"\n", what, why);
		print_diags(d);
	}
	CU_ASSERT(named);
	smp_diags_free(d);
	smp_policy_free(s);
	expect_store(pl, g, user, "ph1", SMP_CACHE_REJECTED, what);
}

/* good (size bytes) with w1's slice replaced by the n bytes at blk,
 * unpacking to raw bytes, appended at the end (16-aligned) with its slot,
 * the digests and the file's size made to fit; malloc'd, *out_size. */
static char *with_slice(const char *good, size_t size, const char *blk, size_t n, uint32_t raw,
                        size_t *out_size)
{
	size_t at = (size + 15) / 16 * 16;
	char *b = calloc(1, at + n);
	struct store_header h;
	struct store_slot *s;
	struct digest dg, shared;

	CU_ASSERT_FATAL(b != NULL);
	memcpy(b, good, size);
	memcpy(b + at, blk, n);
	memcpy(&h, b, sizeof(h));
	shared = (struct digest){ h.shared_lo, h.shared_hi };
	s = slot_of(b, "w1");
	CU_ASSERT_FATAL(s != NULL);
	s->off = at;
	s->size = n;
	s->raw_size = raw;
	store_slice_digest(b + at, n, &shared, &dg);
	s->digest_lo = dg.lo;
	s->digest_hi = dg.hi;
	reseal_slot(b, s);
	h.file_size = at + n;
	memcpy(b, &h, sizeof(h));
	reseal_head(b);
	*out_size = at + n;
	return b;
}

/* w1's slice packed again by liblz4 from its image as changed by edit
 * (NULL: as it is), with one byte more after the block if trailing: the
 * store that holds it, malloc'd, *out_size. */
static char *repacked(const char *good, size_t size, void (*edit)(char *img, size_t n),
                      bool trailing, size_t *out_size)
{
	struct store_header h;
	const struct store_slot *s = slot_of((char *)good, "w1");
	char *buf, *blk, *b;
	size_t start, n, len;
	LZ4_stream_t *z = LZ4_createStream();

	memcpy(&h, good, sizeof(h));
	CU_ASSERT_FATAL(s != NULL && z != NULL);
	start = (size_t)h.shared_size;
	n = s->raw_size;
	buf = malloc(start + n);
	blk = malloc(store_pack_bound(n) + 1);
	CU_ASSERT_FATAL(buf != NULL && blk != NULL);
	memcpy(buf, good + h.shared_off, start);
	CU_ASSERT_FATAL(store_unpack(good + s->off, (size_t)s->size, buf, start, start + n));
	if (edit != NULL)
		edit(buf + start, n);
	len = store_pack(z, buf, start, start + n, blk, store_pack_bound(n));
	CU_ASSERT_FATAL(len > 0);
	if (trailing)
		blk[len++] = 0;
	b = with_slice(good, size, blk, len, (uint32_t)n, out_size);
	LZ4_freeStream(z);
	free(blk);
	free(buf);
	return b;
}

/* The image's first 64 bytes (the policy's first fields) all ones. */
static void edit_head(char *img, size_t n)
{
	memset(img, 0xff, n < 64 ? n : 64);
}

/* w1's own id in the image, wherever it is, made w9. */
static void edit_id(char *img, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++)
		if (memcmp(img + i, "w1", 3) == 0)
			img[i + 1] = '9';
}

/* Slices that liblz4 unpacks, or refuses, once their digests are made to
 * fit: the image as it was (taken: the forging itself is sound), then
 * changed, a block with a byte after it, and a block of matches of offset
 * 0 (which the format forbids and liblz4 takes). */
static void test_store_repacked(void)
{
	static struct gen g;
	struct place pl;
	char dir[300], *path, *good, *b;
	size_t size, n;

	hand_world(&pl, &g);
	compile_store(&pl);
	store_dir(&pl, dir, sizeof(dir));
	path = store_path(dir, pl.conf);
	good = read_text(path, &size);
	CU_ASSERT_FATAL(good != NULL && size > sizeof(struct store_header));

	b = repacked(good, size, NULL, false, &n);
	CU_ASSERT_FATAL(write_text(path, b, n, 0644));
	expect_store(&pl, &g, "w1", "ph1", SMP_CACHE_USED, "repacked as it was");
	free(b);
	b = repacked(good, size, edit_head, false, &n);
	CU_ASSERT_FATAL(write_text(path, b, n, 0644));
	expect_store(&pl, &g, "w1", "ph1", SMP_CACHE_REJECTED, "repacked, its image's head changed");
	free(b);
	b = repacked(good, size, edit_id, false, &n);
	CU_ASSERT_FATAL(write_text(path, b, n, 0644));
	expect_store(&pl, &g, "w1", "ph1", SMP_CACHE_REJECTED, "repacked, w1 made w9 in its image");
	free(b);
	b = repacked(good, size, NULL, true, &n);
	store_refused(&pl, &g, path, b, n, "w1", "cannot be unpacked", "a byte after the block");
	free(b);
	{
		/* raw bytes: one match of offset 0 (18 bytes and more), then 12
		 * literals; as long as w1's image */
		const struct store_slot *s = slot_of(good, "w1");
		uint32_t raw = s->raw_size;
		size_t len = raw - 12 - 4 - 15;   /* the match's length past 4 + 15 */
		char blk[64 + 4096];
		size_t k = 0;

		CU_ASSERT_FATAL(raw > 64 && len / 255 + 32 < sizeof(blk));
		blk[k++] = 0x0f;
		blk[k++] = 0;
		blk[k++] = 0;
		for (; len >= 255; len -= 255)
			blk[k++] = (char)255;
		blk[k++] = (char)len;
		blk[k++] = (char)0xc0;
		memset(blk + k, 'x', 12);
		k += 12;
		b = with_slice(good, size, blk, k, raw, &n);
		CU_ASSERT_FATAL(write_text(path, b, n, 0644));
		expect_store(&pl, &g, "w1", "ph1", SMP_CACHE_REJECTED, "matches of offset 0");
		free(b);
	}
	CU_ASSERT_FATAL(write_text(path, good, size, 0644));
	expect_store(&pl, &g, "w1", "ph1", SMP_CACHE_USED, "put back");
	free(good);
	free(path);
	rm_tree(pl.dir);
}

/* Damage that digests alone would not catch once the attacker fixes them:
 * the shared part damaged or taken from another store, a slot that names
 * bytes of the shared part or another person's slice, an unpacked size
 * that is not the slice's, and a file cut inside the shared part and the
 * last slice. */
static void test_store_forged(void)
{
	static struct gen g, g2;
	struct place pl, other;
	char dir[300], *path, *good, *alien, *img;
	size_t size, asize;
	struct store_header h, ah;
	struct store_slot *s, *s2;

	hand_world(&pl, &g);
	compile_store(&pl);
	hand_world(&other, &g2);   /* the same records in another folder */
	compile_store(&other);
	store_dir(&pl, dir, sizeof(dir));
	path = store_path(dir, pl.conf);
	good = read_text(path, &size);
	CU_ASSERT_FATAL(good != NULL && size > sizeof(h));
	store_dir(&other, dir, sizeof(dir));
	{
		char *apath = store_path(dir, other.conf);

		alien = read_text(apath, &asize);
		free(apath);
	}
	CU_ASSERT_FATAL(alien != NULL && asize > sizeof(h));
	memcpy(&h, good, sizeof(h));
	memcpy(&ah, alien, sizeof(ah));
	CU_ASSERT_FATAL(h.shared_size > 16 && h.shared_off + h.shared_size <= size);
	img = malloc(size);
	CU_ASSERT_FATAL(img != NULL);
	expect_store(&pl, &g, "w1", "ph1", SMP_CACHE_USED, "as written");

	/* a byte of the shared part: its magic, then its digest */
	memcpy(img, good, size);
	img[h.shared_off] ^= 0x21;
	store_refused(&pl, &g, path, img, size, "w1", "shared part is out of range",
	              "the shared part's magic");
	for (uint64_t at = h.shared_off + 8; at < h.shared_off + h.shared_size;
	     at += h.shared_size / 7 + 1) {
		memcpy(img, good, size);
		img[at] ^= 0x21;
		store_refused(&pl, &g, path, img, size, "w1", "shared part does not match",
		               "a byte of the shared part");
	}
	/* the shared part of the other store (its paths are another
	 * folder's), in place; then with the header's digests made to fit it:
	 * every slice's digest is bound to the shared part's */
	CU_ASSERT_FATAL(ah.shared_size == h.shared_size);
	CU_ASSERT(memcmp(good + h.shared_off, alien + ah.shared_off, (size_t)h.shared_size) != 0);
	memcpy(img, good, size);
	memcpy(img + h.shared_off, alien + ah.shared_off, (size_t)h.shared_size);
	store_refused(&pl, &g, path, img, size, "w1", "shared part does not match",
	               "another store's shared part");
	memcpy(&h, img, sizeof(h));
	h.shared_lo = ah.shared_lo;
	h.shared_hi = ah.shared_hi;
	memcpy(img, &h, sizeof(h));
	reseal_head(img);
	store_refused(&pl, &g, path, img, size, "w1", "a slice's digest does not match",
	               "another store's shared part, its digest fixed");
	store_refused(&pl, &g, path, img, size, "ghost", "a slice's digest does not match",
	               "another store's shared part, no one's slice");
	memcpy(&h, good, sizeof(h));

	/* w1's slot naming bytes of the shared part, its digest and check fixed */
	memcpy(img, good, size);
	s = slot_of(img, "w1");
	CU_ASSERT_FATAL(s != NULL);
	s->off = h.shared_off + 16;
	s->size = h.shared_size - 16;
	{
		struct digest dg, shared = { h.shared_lo, h.shared_hi };

		store_slice_digest(img + s->off, (size_t)s->size, &shared, &dg);
		s->digest_lo = dg.lo;
		s->digest_hi = dg.hi;
	}
	reseal_slot(img, s);
	store_refused(&pl, &g, path, img, size, "w1", "names a slice outside the file",
	               "a slot naming the shared part");
	/* w1's slot naming w2's slice, consistent: not the person's */
	memcpy(img, good, size);
	s = slot_of(img, "w1");
	s2 = slot_of(img, "w2");
	CU_ASSERT_FATAL(s != NULL && s2 != NULL);
	s->off = s2->off;
	s->size = s2->size;
	s->raw_size = s2->raw_size;
	s->digest_lo = s2->digest_lo;
	s->digest_hi = s2->digest_hi;
	reseal_slot(img, s);
	store_refused(&pl, &g, path, img, size, "w1", "a slice that is not the person's",
	               "a slot naming another person's slice");
	/* no one's slice in the header naming w1's: an unknown user would
	 * decide with w1's approvals */
	memcpy(img, good, size);
	s = slot_of(img, "w1");
	memcpy(&h, img, sizeof(h));
	h.nobody.off = s->off;
	h.nobody.size = s->size;
	h.nobody.raw_size = s->raw_size;
	h.nobody.digest_lo = s->digest_lo;
	h.nobody.digest_hi = s->digest_hi;
	memcpy(img, &h, sizeof(h));
	reseal_head(img);
	store_refused(&pl, &g, path, img, size, "ghost", "a slice that is not the person's",
	               "no one's slice naming a person's");
	memcpy(&h, good, sizeof(h));
	/* the unpacked size one less, and one more, than the slice's */
	for (int d = -1; d <= 1; d += 2) {
		memcpy(img, good, size);
		s = slot_of(img, "w1");
		s->raw_size = (uint32_t)((int64_t)s->raw_size + d);
		reseal_slot(img, s);
		store_refused(&pl, &g, path, img, size, "w1", "the size its slot says",
		               "an unpacked size that is not the slice's");
	}
	/* cut inside the shared part, and inside w1's slice, the header's size
	 * made to agree */
	{
		const struct store_slot *w1 = slot_of(good, "w1");
		uint64_t cuts[] = { h.shared_off + h.shared_size / 2, w1->off + w1->size / 2 };

		for (size_t k = 0; k < 2; k++) {
			memcpy(img, good, size);
			memcpy(&h, img, sizeof(h));
			h.file_size = cuts[k];
			memcpy(img, &h, sizeof(h));
			reseal_head(img);
			CU_ASSERT_FATAL(write_text(path, img, (size_t)cuts[k], 0644));
			expect_store(&pl, &g, k == 0 ? "ghost" : "w1", "ph1", SMP_CACHE_REJECTED,
			             "cut short, its size fixed");
		}
		memcpy(&h, good, sizeof(h));
	}
	CU_ASSERT_FATAL(write_text(path, good, size, 0644));
	expect_store(&pl, &g, "w1", "ph1", SMP_CACHE_USED, "put back");
	free(img);
	free(alien);
	free(good);
	free(path);
	rm_tree(other.dir);
	rm_tree(pl.dir);
}

/* A settings file that names the directory: its local copy's store,
 * named after the copy, serves the login while the last sync is recent;
 * past max_offline the load fails closed, store or not. */
static void write_directory(const struct place *pl, const char *synced, const char *max)
{
	char path[400], text[1200];

	snprintf(path, sizeof(path), "%s/cd", pl->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/cd/copy-1", pl->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/cd/copy-1/smpolicy.conf", pl->dir);
	CU_ASSERT_FATAL(write_text(path, hand_conf, strlen(hand_conf), 0640));
	snprintf(path, sizeof(path), "%s/cd/copy-1/records.conf", pl->dir);
	CU_ASSERT_FATAL(write_text(path, WORLD_PEOPLE, strlen(WORLD_PEOPLE), 0640));
	snprintf(path, sizeof(path), "%s/cd/copy-1/more.conf", pl->dir);
	CU_ASSERT_FATAL(write_text(path, hand_approvals, strlen(hand_approvals), 0640));
	snprintf(text, sizeof(text), "version = 1; copy = \"copy-1\"; synced = \"%s\";\n"
	         "uri = \"ldap://127.0.0.1:9\"; base = \"ou=smpolicy\"; context_csn = \"\";\n",
	         synced);
	snprintf(path, sizeof(path), "%s/cd/state", pl->dir);
	CU_ASSERT_FATAL(write_text(path, text, strlen(text), 0640));   /* private, as a sync writes it */
	snprintf(text, sizeof(text), "version = 1;\nsettings = { source = \"ldap\"; };\n"
	         "ldap = { uri = \"ldap://127.0.0.1:9\"; base = \"ou=smpolicy\";\n"
	         "  copy_dir = \"%s/cd\"; max_offline = %s; };\n", pl->dir, max);
	CU_ASSERT_FATAL(write_text(pl->conf, text, strlen(text), 0644));
}

static void test_store_directory(void)
{
	static struct grid gr;
	static struct gen g;
	struct place pl;
	struct tally t = { 0 };
	char dir[300], now[32];
	smp_policy *p = NULL, *s = NULL;
	time_t tt = time(NULL);
	struct tm tm;

	hand_world(&pl, &g);   /* its dates; the records go into the copy */
	compile_store(&pl);    /* a store from when it named files: stale, and passed by */
	gmtime_r(&tt, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	write_directory(&pl, now, "3600");
	store_dir(&pl, dir, sizeof(dir));
	CU_ASSERT_EQUAL_FATAL(smp_policy_load(pl.conf, LOAD_FLAGS, &p, NULL), SMP_OK);
	CU_ASSERT_EQUAL_FATAL(write_store(&pl, p, 0), SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_load_for(pl.conf, dir, LOAD_FLAGS, "w1", "ws1", &s, NULL),
	                SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_store_state(s), SMP_CACHE_USED);
	CU_ASSERT_FATAL(s != NULL && make_grid_keep(&gr, p, &g, 2, 60));
	compare_person(&t, s, p, &gr, "w1", "ws1");
	CU_ASSERT_EQUAL(t.mismatches, 0);
	smp_policy_free(s);
	s = NULL;
	/* past max_offline: no decision at all, although the store is fresh */
	write_directory(&pl, "2020-01-01T00:00:00Z", "3600");
	CU_ASSERT_EQUAL(smp_policy_load_for(pl.conf, dir, LOAD_FLAGS, "w1", "ws1", &s, NULL),
	                SMP_ERR_OFFLINE);
	CU_ASSERT_PTR_NULL(s);
	smp_policy_free(p);
	rm_tree(pl.dir);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("login store", NULL, NULL);
	CU_add_test(s, "random worlds: each person at each device answers as the parse",
	            test_store_equivalence);
	CU_add_test(s, "same size, same mtime: stale", test_store_stale_same_size);
	CU_add_test(s, "racy: edited in the compile's tick", test_store_racy);
	CU_add_test(s, "damaged, cut short, insecure", test_store_damaged);
	CU_add_test(s, "forged: shared part, slots, sizes, cuts", test_store_forged);
	CU_add_test(s, "forged: slices repacked by liblz4, changed, offset 0", test_store_repacked);
	CU_add_test(s, "arguments and names", test_store_edges);
	CU_add_test(s, "a directory's local copy", test_store_directory);
	return run_suites();
}
