/*
 * load.c - one load of the records: smpolicy.conf and the records files it
 * names, read through file_secure.c into libconfig trees (sources/tree.c), their
 * settings here, their entries by entries.c, then derived (validate.c).
 * Every structural error is reported as FILE:LINE.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "loader.h"
#include "signatures.h"
#include "sources/source.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct field conf_top[] = {
	{ "version", F_INT, true }, { "settings", F_GROUP, true },
	{ "platforms", F_LIST, false }, { "offices", F_LIST, false },
	{ "ldap", F_GROUP, false }, { NULL, 0, false },
};

enum { SET_RECORDS, SET_MAX, SET_CAP_COUNTS, SET_WARN_DAYS, SET_LT_MAX, SET_AUDIT, SET_SOURCE,
       SET_DEVICE_DOMAINS, SET_TIME_ZONE, SET_REQUIRE_SIGS, SET_SIGNERS, SET_N };
static const struct field settings_fields[SET_N + 1] = {
	[SET_RECORDS] = { "records", F_STRLIST, true },
	[SET_MAX] = { "max_approved_per_office", F_INT, false },
	[SET_CAP_COUNTS] = { "cap_counts", F_STR, false },
	[SET_WARN_DAYS] = { "warn_days", F_INT, false },
	[SET_LT_MAX] = { "long_term_max_days", F_INT, false },
	[SET_AUDIT] = { "audit", F_STR, false },
	[SET_SOURCE] = { "source", F_STR, false },
	[SET_DEVICE_DOMAINS] = { "device_domains", F_STRLIST, false },
	[SET_TIME_ZONE] = { "time_zone", F_STR, false },
	[SET_REQUIRE_SIGS] = { "require_signatures", F_BOOL, false },
	[SET_SIGNERS] = { "signers", F_STR, false },
};

static const struct field records_top[] = {
	{ "staff", F_LIST, false }, { "devices", F_LIST, false },
	{ "accounts", F_LIST, false }, { "approvals", F_LIST, false },
	{ "void", F_LIST, false }, { NULL, 0, false },
};

/*
 * s as a DNS domain in lower case, without the root's trailing dot, into
 * out (254 bytes); false unless it is one: labels of letters, digits, '-'
 * and '_' (not at a label's ends but '_'), 1 to 63 each, 253 in all.  The
 * devices' names are matched against it (smp_policy_device_for_name).
 */
static bool device_domain(const char *s, char out[254])
{
	size_t n = strlen(s), label = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		           (c >= 'A' && c <= 'Z') || (c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
	return true;
}

static void parse_device_domains(struct loader *L, const config_setting_t *list)
{
	int n = list != NULL ? config_setting_length(list) : 0;
	char **v;

	if (n == 0)
		return;   /* none: no reverse-DNS name stands for a device */
	v = arena_alloc(&L->p->mem, ((size_t)n + 1) * sizeof(char *));
	if (v == NULL) {
		L->nomem = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		const char *s = config_setting_get_string(e);
		char norm[254];

		v[i] = NULL;
		if (s == NULL || !device_domain(s, norm)) {
			ERR(L, AT(e), NULL, "settings: device_domains: '%s' is not a DNS domain "
			    "(labels of letters, digits and '-', 1 to 63 each, 253 in all)",
			    s != NULL ? s : "");
			continue;
		}
		v[i] = dup_or_null(L, norm);
	}
	v[n] = NULL;
	L->p->set.device_domains = v;
}

/* settings.time_zone: every time without an offset is read in it, on
 * every host, whatever the process's TZ. */
static void parse_time_zone(struct loader *L, const config_setting_t *m)
{
	const char *name = str_of(m);
	char why[512];
	smp_status rc;

	if (name == NULL)
		return;
	rc = zone_load(name, &L->p->mem, &L->p->tz, why, sizeof(why));
	if (rc == SMP_ERR_NOMEM) {
		L->nomem = true;
		return;
	}
	if (rc != SMP_OK) {
		ERR(L, AT(m), NULL, "settings: time_zone: %s", why);
		return;
	}
	L->p->set.time_zone = dup_or_null(L, name);
	L->zone.tz = L->p->tz;   /* the records are read in it */
}

/* settings.require_signatures (default off for files: a directory's copy
 * says on) and settings.signers, the pinned signers (default signers.conf
 * beside this file, read when signatures are required or it is named). */
static void parse_signature_settings(struct loader *L, const config_setting_t *req,
                                     const config_setting_t *signers, const char *conf_dir)
{
	struct settings *set = &L->p->set;
	const char *path = str_of(signers);

	set->require_signatures = bool_of(req, false);
	if (path != NULL && path[0] == '\0')
		ERR(L, AT(signers), NULL, "settings: signers must not be empty");
	else if (path != NULL)
		set->signers = absolute_path(L, conf_dir, path);
	else if (set->require_signatures)
		set->signers = absolute_path(L, conf_dir, "signers.conf");
}

static void parse_settings(struct loader *L, const config_setting_t *root,
                           const char *conf_dir)
{
	const config_setting_t *st = member(root, "settings", F_GROUP);
	const config_setting_t *v = member(root, "version", F_INT);
	struct settings *set = &L->p->set;
	const config_setting_t *m[SET_N];
	const char *cc, *audit;
	long long ver;

	if (v != NULL && (!int_exact(L->src[0], v, &ver) || ver != 1))
		ERR(L, AT(v), NULL, "version must be 1 (this is libsmpolicy 1)");
	set->max_per_office = 2;
	set->warn_days = 14;
	set->long_term_max_days = 365;
	if (st == NULL || !take_fields(L, st, "settings", settings_fields, m))
		return;
	set->max_per_office = int_setting(L, L->src[0], m[SET_MAX], 2, 1, 1000000);
	set->max_line = m[SET_MAX] != NULL ? src_line(m[SET_MAX]) : 0;
	set->cap_counts_line = m[SET_CAP_COUNTS] != NULL ? src_line(m[SET_CAP_COUNTS]) : 0;
	set->warn_days = int_setting(L, L->src[0], m[SET_WARN_DAYS], 14, 0, 36500);
	set->long_term_max_days = int_setting(L, L->src[0], m[SET_LT_MAX], 365, 1, 36500);
	cc = str_of(m[SET_CAP_COUNTS]);
	if (cc != NULL && strcmp(cc, "all") != 0 && strcmp(cc, "long_term") != 0)
		ERR(L, AT(m[SET_CAP_COUNTS]), NULL,
		    "settings: cap_counts must be \"all\" or \"long_term\", not '%s'", cc);
	set->cap_long_term_only = cc != NULL && strcmp(cc, "long_term") == 0;
	parse_device_domains(L, m[SET_DEVICE_DOMAINS]);
	parse_time_zone(L, m[SET_TIME_ZONE]);
	audit = str_of(m[SET_AUDIT]);
	if (audit != NULL && audit[0] == '\0')
		ERR(L, AT(m[SET_AUDIT]), NULL, "settings: audit must not be empty");
	else if (audit != NULL)
		set->audit = absolute_path(L, conf_dir, audit);
	parse_signature_settings(L, m[SET_REQUIRE_SIGS], m[SET_SIGNERS], conf_dir);
}

/* settings.source: "files" (the default) or another source of
 * sources/source.c, such as "ldap" (smpolicy-ldap(5): the records are the
 * directory's, read from its local copy).  True for another source, which
 * this reader does not read; a name that is no source is an error, and so
 * is an ldap group beside files, which would otherwise be silently
 * ignored. */
static bool names_other_source(struct loader *L, const config_setting_t *root)
{
	const config_setting_t *st = member(root, "settings", F_GROUP);
	const config_setting_t *src = st != NULL ? config_setting_get_member(st, "source") : NULL;
	const config_setting_t *ldap = member(root, "ldap", F_GROUP);
	const char *v = src != NULL && type_matches(src, F_STR) ? str_of(src) : NULL;
	enum source_kind kind = SOURCE_FILES;

	if (v != NULL && source_kind_of(v, &kind) && kind != SOURCE_FILES)
		return true;
	if (v != NULL && kind == SOURCE_FILES && strcmp(v, source_name(SOURCE_FILES)) != 0)
		ERR(L, AT(src), NULL, "settings: source must be \"files\" or \"ldap\", not '%s'", v);
	else if (ldap != NULL)
		ERR(L, AT(ldap), NULL,
		    "ldap = { ... } is read only with settings.source = \"ldap\"; "
		    "this file's records are files");
	return false;
}

static bool open_records(struct loader *L, const config_setting_t *root, const char *conf_dir,
                         const char *override_path, const char *override_from)
{
	const config_setting_t *st = member(root, "settings", F_GROUP);
	const config_setting_t *rec = st ? member(st, "records", F_STRLIST) : NULL;
	size_t n;

	if (rec == NULL)
		return false;
	n = (size_t)config_setting_length(rec);
	if (n == 0) {
		ERR(L, AT(rec), NULL, "settings: records must name at least one file");
		return false;
	}
	struct source **grown = realloc(L->src, (n + 1) * sizeof(*L->src));

	if (grown == NULL) {
		L->nomem = true;
		return false;
	}
	L->src = grown;
	L->p->records_paths = arena_alloc(&L->p->mem, (n + 1) * sizeof(char *));
	if (L->p->records_paths == NULL) {
		L->nomem = true;
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(rec, (unsigned)i);
		const char *name = config_setting_get_string(e);
		struct source *s;

		if (name[0] == '\0') {
			ERR(L, AT(e), NULL, "settings: records: empty file name");
			continue;
		}
		char *path = absolute_path(L, conf_dir, name);
		bool twice = false;

		if (path == NULL)
			return false;
		for (size_t j = 1; j < L->nsrc; j++)
			twice = twice || strcmp(L->src[j]->path, path) == 0;
		if (twice) {
			ERR(L, AT(e), NULL, "settings: records: '%s' is named twice", name);
			continue;
		}
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			L->nomem = true;
			return false;
		}
		L->src[L->nsrc] = s;
		L->nsrc++;
		s->path = path;
		L->p->records_paths[L->p->nrecords++] = s->path;
		parse_source(L, s, (override_path && strcmp(override_path, s->path) == 0)
		                       ? override_from : NULL);
		if (s->parsed && config_error_type(&s->cfg) == CONFIG_ERR_NONE)
			check_fields(L, config_root_setting(&s->cfg), "records file", records_top);
	}
	if (L->p->set.audit == NULL && L->p->nrecords > 0) {
		char *dir = folder_of(L, L->p->records_paths[0]);

		if (dir != NULL)
			L->p->set.audit = absolute_path(L, dir, "audit.log");
	}
	return true;
}

/* ---- the entry points ------------------------------------------------- */


static char *make_config_path(struct loader *L, const char *path)
{
	char *abs = config_path_absolute(path), *r;

	if (abs == NULL) {
		if (errno == ENOMEM)
			L->nomem = true;
		else
			ERR(L, path, 0, NULL, "cannot resolve a relative path: %s", strerror(errno));
		return NULL;
	}
	r = dup_or_null(L, abs);
	free(abs);
	return r;
}

/* What the compiled cache needs of this load: the sources' digests, the
 * zone's answers and the cache's path.  False on OOM. */
static bool keep_provenance(struct loader *L)
{
	smp_policy *p = L->p;
	size_t len = strlen(p->config_path);

	if (L->zone.oom || L->nsrc != policy_nsources(p))
		return false;
	p->digests = arena_alloc(&p->mem, L->nsrc * sizeof(*p->digests));
	p->zone = arena_alloc(&p->mem, (L->zone.n + 1) * sizeof(*p->zone));
	p->cache_path = arena_alloc(&p->mem, len + sizeof(".cache"));
	if (p->digests == NULL || p->zone == NULL || p->cache_path == NULL)
		return false;
	for (size_t i = 0; i < L->nsrc; i++)
		p->digests[i] = L->src[i]->digest;
	if (L->zone.n > 0)
		memcpy(p->zone, L->zone.v, L->zone.n * sizeof(*p->zone));
	p->nzone = L->zone.n;
	memcpy(p->cache_path, p->config_path, len);
	memcpy(p->cache_path + len, ".cache", sizeof(".cache"));
	return true;
}

/* The void records into the policy (smpolicy check reports them); when
 * the load fails for another fault, into the diagnostics as errors, so
 * that one reading shows every fault.  False on OOM. */
static bool keep_voids(struct loader *L, bool loaded)
{
	smp_policy *p = L->p;

	if (!loaded) {
		for (size_t i = 0; i < L->nvoids; i++) {
			const struct void_record *v = &L->voids[i];

			if (!diags_add(L->d, v->at.file, v->at.line, SMP_SEV_ERROR, v->subject,
			               "%s", v->why))
				return false;
		}
		return true;
	}
	p->nvoids = 0;
	p->voids = arena_alloc(&p->mem, (L->nvoids + 1) * sizeof(*p->voids));
	if (p->voids == NULL)
		return false;
	if (L->nvoids > 0)
		memcpy(p->voids, L->voids, L->nvoids * sizeof(*p->voids));
	p->nvoids = L->nvoids;
	return true;
}

static smp_status finish(struct loader *L, smp_status rc, smp_policy **out, smp_diags **diags)
{
	if (rc == SMP_OK && !L->failed && !L->nomem && !keep_provenance(L))
		L->nomem = true;
	if (!L->nomem &&
	    !keep_voids(L, rc == SMP_OK && !L->failed && smp_diags_errors(L->d) == 0))
		L->nomem = true;
	free(L->voids);
	time_log_free(&L->zone);
	for (size_t i = 0; i < L->nsrc; i++)
		source_drop(L->src[i]);
	free(L->src);
	time_memo_free(&L->times);
	if (rc == SMP_OK && L->nomem)
		rc = SMP_ERR_NOMEM;
	if (rc == SMP_OK && (L->failed || smp_diags_errors(L->d) > 0))
		rc = SMP_ERR_PARSE;
	if (L->d->oom && rc == SMP_OK)
		rc = SMP_ERR_NOMEM;
	if (rc != SMP_OK) {
		smp_policy_free(L->p);
		L->p = NULL;
	}
	*out = L->p;
	diags_sort(L->d);
	if (diags != NULL && smp_diags_count(L->d) > 0) {
		*diags = L->d;
	} else {
		if (diags != NULL && rc == SMP_ERR_NOMEM && L->d->n == 0)
			*diags = NULL;
		smp_diags_free(L->d);
	}
	return rc;
}

static smp_status load_files(const char *config_path, unsigned flags,
                             const char *records_path, const char *records_from,
                             smp_policy **out, smp_diags **diags, bool *directory,
                             struct source **settings, struct sig_memo *memo);

smp_status policy_load_ex(const char *config_path, unsigned flags,
                          const char *records_path, const char *records_from,
                          smp_policy **out, smp_diags **diags)
{
	return policy_load_files(config_path, flags, records_path, records_from, out, diags, NULL,
	                         NULL);
}

smp_status policy_load_files(const char *config_path, unsigned flags,
                             const char *records_path, const char *records_from,
                             smp_policy **out, smp_diags **diags, bool *directory,
                             struct source **settings)
{
	return load_files(config_path, flags, records_path, records_from, out, diags, directory,
	                  settings, NULL);
}

smp_status policy_load_memo(const char *config_path, unsigned flags, struct sig_memo *memo,
                            smp_policy **out, smp_diags **diags)
{
	return load_files(config_path, flags | SMP_LOAD_NO_CACHE, NULL, NULL, out, diags, NULL,
	                  NULL, memo);
}

static smp_status load_files(const char *config_path, unsigned flags,
                             const char *records_path, const char *records_from,
                             smp_policy **out, smp_diags **diags, bool *directory,
                             struct source **settings, struct sig_memo *memo)
{
	struct loader L = { 0 };
	const char *conf_dir;
	smp_status rc;

	if (diags != NULL)
		*diags = NULL;
	if (out == NULL)
		return SMP_ERR_ARG;
	*out = NULL;
	if (config_path == NULL)
		config_path = SMP_DEFAULT_CONFIG;
	L.flags = flags;
	L.sig_memo = memo;
	L.times.log = &L.zone;
	L.d = diags_new();
	L.p = calloc(1, sizeof(*L.p));
	L.src = calloc(1, sizeof(*L.src));
	if (L.src != NULL)
		L.src[0] = calloc(1, sizeof(**L.src));
	if (L.d == NULL || L.p == NULL || L.src == NULL || L.src[0] == NULL) {
		smp_diags_free(L.d);
		free(L.p);
		if (L.src != NULL)
			free(L.src[0]);
		free(L.src);
		return SMP_ERR_NOMEM;
	}
	L.nsrc = 1;
	L.p->config_path = make_config_path(&L, config_path);
	if (L.p->config_path == NULL)
		return finish(&L, L.nomem ? SMP_ERR_NOMEM : SMP_ERR_IO, out, diags);
	if (settings != NULL && *settings != NULL) {
		/* parsed a moment ago, from this path, to learn the source */
		free(L.src[0]);
		L.src[0] = *settings;
		*settings = NULL;
	}
	L.src[0]->path = L.p->config_path;
	if (!L.src[0]->parsed && (rc = parse_source(&L, L.src[0], NULL)) != SMP_OK)
		return finish(&L, rc, out, diags);
	check_fields(&L, config_root_setting(&L.src[0]->cfg), "smpolicy.conf", conf_top);
	if (names_other_source(&L, config_root_setting(&L.src[0]->cfg))) {
		if (directory != NULL) {
			/* the caller read this file as files a moment ago
			 * (sources/source.c) and says it changed */
			*directory = true;
			L.failed = true;   /* no policy of these files: finish() frees it */
			finish(&L, SMP_OK, out, NULL);
			return SMP_OK;
		}
		ERR(&L, L.p->config_path, 0, NULL,
		    "settings.source is \"ldap\": the records are the directory's, read from "
		    "its local copy (smpolicy sync), and cannot be changed here");
		return finish(&L, SMP_ERR_PARSE, out, diags);
	}
	conf_dir = folder_of(&L, L.p->config_path);
	if (conf_dir == NULL)
		return finish(&L, SMP_ERR_NOMEM, out, diags);
	parse_settings(&L, config_root_setting(&L.src[0]->cfg), conf_dir);
	load_platforms(&L);
	load_offices(&L);
	if (!open_records(&L, config_root_setting(&L.src[0]->cfg), conf_dir, records_path,
	                  records_from))
		return finish(&L, L.nomem ? SMP_ERR_NOMEM : SMP_ERR_PARSE, out, diags);
	for (size_t i = 1; i < L.nsrc; i++) {
		if (!L.src[i]->parsed || config_error_type(&L.src[i]->cfg) != CONFIG_ERR_NONE) {
			/* report what we can of the others, but an unreadable file
			 * is a failure of its own kind */
			rc = L.src[i]->parsed ? SMP_ERR_PARSE : L.src[i]->status;
		}
	}
	load_records(&L);
	if (rc == SMP_OK && !L.failed && !L.nomem && !sig_check_policy(&L))
		L.nomem = true;
	if (rc == SMP_OK && !L.failed && !L.nomem && !policy_derive(L.p, &L.zone))
		L.nomem = true;
	return finish(&L, rc, out, diags);
}

/* The policy is made here, by its arenas: freed here too. */
void smp_policy_free(smp_policy *p)
{
	if (p == NULL)
		return;
	arena_release(&p->sigmem);
	arena_release(&p->mem);
	free(p);
}
