/*
 * lmdbcmp.c - the login store's lookup against LMDB's (decided by
 * measurement, docs/PERFORMANCE.md).  Built only when liblmdb is installed (bench/meson.build);
 * bench/instructions counts both with callgrind.
 *
 *   lmdbcmp build CONFIG DIR        put every slice and device record of the
 *                                   login store's making into DIR/data.mdb,
 *                                   keyed "s:ID" and "d:ID"
 *   lmdbcmp lmdb DIR USER DEVICE    once_lmdb(): open the environment read
 *                                   only, one read transaction, the two
 *                                   values, their digests, close
 *   lmdbcmp ours CONFIG STORE USER DEVICE
 *                                   once_ours(): smp_policy_load_for(), the
 *                                   whole login load (lookup, freshness,
 *                                   checks), for the same person
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"
#include "policy/store.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, int rc)
{
	fprintf(stderr, "lmdbcmp: %s: %s\n", what, rc ? mdb_strerror(rc) : "failed");
	exit(1);
}

static void put(MDB_txn *txn, MDB_dbi dbi, char kind, const char *id, const void *v, size_t n)
{
	char key[300];
	MDB_val k, d = { n, (void *)v };
	int rc;

	snprintf(key, sizeof(key), "%c:%s", kind, id);
	k.mv_size = strlen(key);
	k.mv_data = key;
	if ((rc = mdb_put(txn, dbi, &k, &d, 0)) != 0)
		die("mdb_put", rc);
}

static int build(const char *config, const char *dir)
{
	smp_policy *p = NULL;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;

	if (smp_policy_load(config, 0, &p, NULL) != SMP_OK)
		die("smp_policy_load", 0);
	if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_mapsize(env, 1ull << 32)) ||
	    (rc = mdb_env_open(env, dir, 0, 0644)) || (rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &dbi)))
		die("mdb open", rc);
	for (size_t i = 0; i < p->nstaff; i++) {
		smp_policy q;
		uint64_t n = 0;
		const char *why = NULL;
		char *img;

		memset(&q, 0, sizeof(q));
		if (!slice_policy(p, (uint32_t)i, &q) || (img = image_build(&q, 0, &n, &why)) == NULL)
			die("slice", 0);
		put(txn, dbi, 's', p->staff[i].id, img, (size_t)n);
		free(img);
		arena_release(&q.mem);
	}
	for (size_t i = 0; i < p->ndevices; i++) {
		const struct device *dv = &p->devices[i];
		struct store_device r = { (uint32_t)dv->kind, dv->dcf_owned, (uint32_t)dv->napps,
		                          (uint32_t)strlen(dv->id) };
		size_t n = sizeof(r) + dv->napps * sizeof(uint32_t) + r.id_len + 1;
		char *b = malloc(n);

		memcpy(b, &r, sizeof(r));
		memcpy(b + sizeof(r), dv->apps, dv->napps * sizeof(uint32_t));
		memcpy(b + sizeof(r) + dv->napps * sizeof(uint32_t), dv->id, r.id_len + 1);
		put(txn, dbi, 'd', dv->id, b, n);
		free(b);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		die("mdb_txn_commit", rc);
	mdb_env_close(env);
	smp_policy_free(p);
	return 0;
}

/* The two values a login needs, with the digests the store would check. */
__attribute__((noinline)) static int once_lmdb(const char *dir, const char *user,
                                               const char *device)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	char key[300];
	struct digest dg;
	int rc, found = 0;

	if ((rc = mdb_env_create(&env)) || (rc = mdb_env_open(env, dir, MDB_RDONLY, 0644)) ||
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &dbi)))
		die("mdb open", rc);
	for (int i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "%c:%s", i ? 'd' : 's', i ? device : user);
		k.mv_size = strlen(key);
		k.mv_data = key;
		if (mdb_get(txn, dbi, &k, &v) == 0) {
			digest_of(v.mv_data, v.mv_size, &dg);
			found++;
		}
	}
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return found;
}

__attribute__((noinline)) static int once_ours(const char *config, const char *store,
                                               const char *user, const char *device)
{
	smp_policy *p = NULL;
	int used;

	if (smp_policy_load_for(config, store, 0, user, device, &p, NULL) != SMP_OK)
		die("smp_policy_load_for", 0);
	used = smp_policy_store_state(p) == SMP_CACHE_USED;
	smp_policy_free(p);
	return used;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "build") == 0)
		return build(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "lmdb") == 0)
		return once_lmdb(argv[2], argv[3], argv[4]) == 2 ? 0 : 1;
	if (argc == 6 && strcmp(argv[1], "ours") == 0)
		return once_ours(argv[2], argv[3], argv[4], argv[5]) ? 0 : 1;
	fprintf(stderr, "usage: lmdbcmp build CONFIG DIR | lmdb DIR USER DEVICE | "
	        "ours CONFIG STORE USER DEVICE\n");
	return 2;
}
