/*
 * revocations.c - a workstation's memory of the revocations it has seen in
 * the directory, copy_dir/revoked: an approval once seen revoked stays
 * revoked on this machine, even if the directory later drops the
 * revocation (a write that deletes it, a replica that never had it).  Each
 * sync puts the remembered revocations back into the world it read before
 * rendering it, then adds the ones it sees; the file is replaced whole,
 * fsynced, before the new copy is installed, so that neither a crash nor a
 * re-sync loses one.  Only root, removing a line, forgets one.
 *
 *   version = 1;
 *   revoked = (
 *     { id = "LT-2026-001"; on = "2026-11-20"; by = "dcpp";
 *       reason = "left the agency"; sig = "MEUCIQ..."; }
 *   );
 *
 * The values are the directory's own attribute values, so that a signed
 * revocation put back still verifies.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "directory_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REVOKED_FILE "revoked"

/* The revocation fields, as approval_attrs (ldap_map.c) names them. */
static const char *const rv_keys[] = { "revoked.on", "revoked.by", "revoked.reason",
                                       "revoked.sig" };
static const char *const rv_names[] = { "on", "by", "reason", "sig" };
#define NRV 4

struct remembered {
	char *id;
	char *v[NRV];              /* NULL where absent */
};

struct revmem {
	struct remembered *v;
	size_t n, cap;
	/* v's ids -> their index: a sync looks up every approval of the
	 * world, and the memory only grows, so no linear search */
	struct idmap ix;
	size_t ixcap;              /* ids ix holds room for */
	struct arena mem;          /* ix's slots */
};

static void revmem_free(struct revmem *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].id);
		for (int k = 0; k < NRV; k++)
			free(m->v[i].v[k]);
	}
	free(m->v);
	arena_release(&m->mem);
	memset(m, 0, sizeof(*m));
}

static struct remembered *revmem_find(const struct revmem *m, const char *id)
{
	uint32_t i = m->ixcap > 0 ? idmap_find(&m->ix, id) : NONE;

	return i != NONE ? &m->v[i] : NULL;
}

static struct remembered *revmem_add(struct revmem *m, const char *id)
{
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 16;
		struct remembered *nv = realloc(m->v, nc * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		m->v = nv;
		m->cap = nc;
	}
	if (m->n == m->ixcap) {   /* a larger index, rebuilt (the old slots stay in mem) */
		size_t nc = m->ixcap ? m->ixcap * 2 : 64;
		struct idmap ix;

		if (!idmap_init(&ix, &m->mem, nc))
			return NULL;
		for (size_t i = 0; i < m->n; i++)
			idmap_insert(&ix, m->v[i].id, (uint32_t)i);
		m->ix = ix;
		m->ixcap = nc;
	}
	memset(&m->v[m->n], 0, sizeof(m->v[m->n]));
	m->v[m->n].id = strdup(id);
	if (m->v[m->n].id == NULL)
		return NULL;
	idmap_insert(&m->ix, m->v[m->n].id, (uint32_t)m->n);
	return &m->v[m->n++];
}

static int attr_index(const struct ldap_kind *k, const char *key)
{
	for (int i = 0; k->attrs[i].key != NULL; i++)
		if (strcmp(k->attrs[i].key, key) == 0)
			return i;
	return -1;
}

/* Read copy_dir/revoked (absent: nothing remembered yet). */
static smp_status revmem_read(const char *copy_dir, unsigned flags, struct revmem *m,
                              smp_diags *d)
{
	char *path = NULL, *text = NULL;
	size_t len;
	config_t cfg;
	const config_setting_t *list;
	smp_status rc;

	memset(m, 0, sizeof(*m));
	if (asprintf(&path, "%s/" REVOKED_FILE, copy_dir) < 0)
		return SMP_ERR_NOMEM;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		free(path);
		return SMP_OK;
	}
	rc = file_read_secure(path, NULL, flags | SMP_LOAD_PRIVATE, &text, &len, d);
	if (rc != SMP_OK) {
		free(path);
		return rc;
	}
	config_init(&cfg);
	if (config_read_string(&cfg, text) != CONFIG_TRUE ||
	    (list = config_lookup(&cfg, "revoked")) == NULL || !config_setting_is_list(list)) {
		diags_add(d, path, (unsigned)config_error_line(&cfg), SMP_SEV_ERROR, NULL,
		          "the revocations this machine has seen cannot be read: %s (it is never "
		          "ignored: repair it from its copy in a backup)",
		          config_error_text(&cfg) ? config_error_text(&cfg) : "no revoked list");
		rc = SMP_ERR_PARSE;
	}
	for (int i = 0; rc == SMP_OK && i < config_setting_length(list); i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		const char *id = NULL;
		struct remembered *r;

		if (!config_setting_lookup_string(e, "id", &id) || revmem_find(m, id) != NULL)
			continue;
		r = revmem_add(m, id);
		if (r == NULL) {
			rc = SMP_ERR_NOMEM;
			break;
		}
		for (int k = 0; k < NRV; k++) {
			const char *v = NULL;

			if (config_setting_lookup_string(e, rv_names[k], &v) && (r->v[k] = strdup(v)) == NULL)
				rc = SMP_ERR_NOMEM;
		}
	}
	config_destroy(&cfg);
	free(text);
	free(path);
	if (rc != SMP_OK)
		revmem_free(m);
	return rc;
}

/* Put every remembered revocation into w's approvals that lack one, and
 * remember those w has.  Returns how many were put back, or -1 on OOM;
 * *grew says whether m learnt one. */
static long revmem_merge(struct revmem *m, struct dir_world *w, bool *grew)
{
	long put = 0;

	*grew = false;
	for (size_t i = 0; i < w->n; i++) {
		struct dir_entry *e = &w->v[i];
		const struct ldap_kind *k = e->kind;
		struct remembered *r;
		int ix[NRV];

		if (k == NULL || strcmp(k->list, "approvals") != 0 || e->id == NULL)
			continue;
		for (int j = 0; j < NRV; j++)
			ix[j] = attr_index(k, rv_keys[j]);
		if (ix[0] < 0)
			continue;
		r = revmem_find(m, e->id);
		if (e->values[ix[0]] != NULL) {
			if (r != NULL)
				continue;   /* the first seen is kept */
			r = revmem_add(m, e->id);
			if (r == NULL)
				return -1;
			for (int j = 0; j < NRV; j++)
				if (ix[j] >= 0 && e->values[ix[j]] != NULL &&
				    (r->v[j] = strdup(e->values[ix[j]][0])) == NULL)
					return -1;
			*grew = true;
		} else if (r != NULL && r->v[0] != NULL) {
			size_t na = 0;
			const char *const **nv;

			while (k->attrs[na].key != NULL)
				na++;
			nv = arena_alloc(&w->mem, na * sizeof(*nv));
			if (nv == NULL)
				return -1;
			memcpy(nv, e->values, na * sizeof(*nv));
			for (int j = 0; j < NRV; j++) {
				const char **one;

				if (ix[j] < 0 || r->v[j] == NULL)
					continue;
				one = arena_alloc(&w->mem, 2 * sizeof(*one));
				if (one == NULL || (one[0] = arena_strdup(&w->mem, r->v[j])) == NULL)
					return -1;
				nv[ix[j]] = one;
			}
			e->values = nv;
			put++;
		}
	}
	return put;
}

static void quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Replace copy_dir/revoked with m: temp, fsync, rename, fsync the folder. */
static smp_status revmem_write(const char *copy_dir, const struct revmem *m, smp_diags *d)
{
	char *path = NULL, *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	smp_status rc;

	if (f == NULL)
		return SMP_ERR_NOMEM;
	fputs("# the revocations this machine has seen in the directory (smpolicy sync):\n"
	      "# each stays in force here whatever the directory says later\nversion = 1;\n"
	      "revoked = (\n", f);
	for (size_t i = 0; i < m->n; i++) {
		fputs("  { id = ", f);
		quote(f, m->v[i].id);
		fputs(";", f);
		for (int k = 0; k < NRV; k++) {
			if (m->v[i].v[k] == NULL)
				continue;
			fprintf(f, " %s = ", rv_names[k]);
			quote(f, m->v[i].v[k]);
			fputs(";", f);
		}
		fputs(i + 1 < m->n ? " },\n" : " }\n", f);
	}
	fputs(");\n", f);
	if (fclose(f) != 0 || buf == NULL) {
		free(buf);
		return SMP_ERR_NOMEM;
	}
	rc = private_replace(copy_dir, REVOKED_FILE, ".revoked.", buf, len, &path);
	if (rc == SMP_ERR_IO)
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "cannot keep the revocations seen: %s", strerror(errno));
	free(path);
	free(buf);
	return rc;
}

smp_status dir_remember_revocations(const char *copy_dir, unsigned flags, bool write,
                                    struct dir_world *w, smp_diags *d)
{
	struct revmem m;
	bool grew = false;
	long put;
	smp_status rc = revmem_read(copy_dir, flags, &m, d);

	if (rc != SMP_OK)
		return rc;
	put = revmem_merge(&m, w, &grew);
	if (put < 0)
		rc = SMP_ERR_NOMEM;
	else if (put > 0)
		diags_add(d, copy_dir, 0, SMP_SEV_WARNING, NULL, "%ld revocation%s this machine "
		          "has seen before %s no longer in the directory: kept in force (%s/"
		          REVOKED_FILE ")", put, put == 1 ? "" : "s", put == 1 ? "is" : "are",
		          copy_dir);
	if (rc == SMP_OK && grew && write)
		rc = revmem_write(copy_dir, &m, d);
	revmem_free(&m);
	return rc;
}
