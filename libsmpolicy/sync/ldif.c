/*
 * ldif.c - the files world written as LDIF for ldapadd or slapadd
 * (smpolicy-ldap(5), the migration path): smp_policy_export_ldif().
 *
 * The world is loaded and validated first, exactly as `check` loads it;
 * then the libconfig trees of the very bytes that were validated are walked
 * with the table of ldap_map.c, so every value is exported as it is written
 * (a time keeps its text, not the instant the load made of it).  Records
 * keep their file order within each kind: decisions break ties by file
 * order, and OpenLDAP's back-mdb returns entries in the order they were
 * added, so a directory loaded from this LDIF decides as the files do.
 *
 * Nothing is written until the whole world has been turned into LDIF: a
 * value the directory cannot hold (an empty string, a list naming a value
 * twice, ids that differ only in case and so name one entry) refuses the
 * export with the FILE:LINE of the value.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "policy/policy.h"
#include "records/loader.h"
#include "sources/directory.h"

#include <ctype.h>
#include <ldap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LDIF_WIDTH 76   /* RFC 2849: fold longer lines */

struct seen_id {               /* for the ids that name one entry */
	char *folded;              /* as the directory compares an RDN value */
	const char *file;
	unsigned line;
};

struct exporter {
	FILE *out;                 /* a memory stream: written out only when whole */
	const char *base;
	const char *file;          /* the file being walked, for diagnostics */
	smp_diags *d;
	bool refused;
	bool nomem;
	struct seen_id *seen;      /* of the current kind */
	size_t nseen, capseen;
};

/* ---- LDIF lines ------------------------------------------------------- */

/* RFC 2849 SAFE-STRING, and no trailing space (ldapadd would drop it). */
static bool safe_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	if (n == 0)
		return true;
	if (p[0] == ' ' || p[0] == ':' || p[0] == '<' || p[n - 1] == ' ')
		return false;
	for (; *p; p++)
		if (*p == '\n' || *p == '\r' || *p >= 0x80)
			return false;
	return true;
}

/* Write "name: value" or "name:: BASE64", folded at LDIF_WIDTH columns. */
static void put_attr(struct exporter *x, const char *name, const char *value)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *v = (const unsigned char *)value;
	size_t n = strlen(value), col = strlen(name) + 2, i;
	bool plain = safe_string(value);
	char chunk[4];

	fprintf(x->out, "%s:%s", name, plain ? " " : ": ");
	col += plain ? 0 : 1;
	for (i = 0; i < n;) {
		size_t k = 1;

		if (plain) {
			chunk[0] = (char)v[i++];
		} else {
			unsigned w = (unsigned)v[i] << 16 | (i + 1 < n ? (unsigned)v[i + 1] << 8 : 0) |
			             (i + 2 < n ? v[i + 2] : 0);

			chunk[0] = b64[w >> 18 & 63];
			chunk[1] = b64[w >> 12 & 63];
			chunk[2] = i + 1 < n ? b64[w >> 6 & 63] : '=';
			chunk[3] = i + 2 < n ? b64[w & 63] : '=';
			k = 4;
			i += 3;
		}
		for (size_t j = 0; j < k; j++) {
			if (col == LDIF_WIDTH) {
				fputs("\n ", x->out);
				col = 1;
			}
			fputc(chunk[j], x->out);
			col++;
		}
	}
	fputc('\n', x->out);
}

/* RFC 4514: the RDN value v escaped for a DN string. */
static char *rdn_escape(const char *v)
{
	size_t n = strlen(v);
	char *r = malloc(3 * n + 1), *o = r;

	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\%02X", c);
		else if (strchr("\"+,;<>\\=", c) != NULL || (i == 0 && (c == ' ' || c == '#')) ||
		         (i == n - 1 && c == ' '))
			*o++ = '\\', *o++ = (char)c;
		else
			*o++ = (char)c;
	}
	*o = '\0';
	return r;
}

/* "dn: RDN=VALUE,PARENT" (PARENT NULL: RDN=VALUE is the whole DN). */
static void put_dn(struct exporter *x, const char *rdn, const char *value,
                   const char *parent)
{
	char *esc = rdn_escape(value), *dn = NULL;

	if (esc == NULL || asprintf(&dn, "%s=%s%s%s", rdn, esc, parent ? "," : "",
	                            parent ? parent : "") < 0) {
		x->nomem = true;
		free(esc);
		return;
	}
	fputc('\n', x->out);
	put_attr(x, "dn", dn);
	free(esc);
	free(dn);
}

/* ---- values ----------------------------------------------------------- */

static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int more = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
		           (*p & 0xf8) == 0xf0 ? 3 : -1;

		if (more < 0 || (more == 1 && *p < 0xc2))
			return false;
		for (p++; more > 0; more--, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

static void refuse(struct exporter *x, const config_setting_t *s, const char *subject,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void refuse(struct exporter *x, const config_setting_t *s, const char *subject,
                   const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int n;

	x->refused = true;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0 || !diags_add(x->d, x->file, (unsigned)config_setting_source_line(s),
	                        SMP_SEV_ERROR, subject, "%s", msg))
		x->nomem = true;
	free(n < 0 ? NULL : msg);
}

/* A string value the directory can hold (Directory String: UTF-8, not
 * empty); else refuse the export at its line. */
static bool string_ok(struct exporter *x, const config_setting_t *s, const char *id,
                      const char *attr)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] == '\0') {
		refuse(x, s, id, "%s: an empty string cannot be stored in the directory "
		       "(Directory String)", attr);
		return false;
	}
	if (!utf8_ok(v)) {
		refuse(x, s, id, "%s: not UTF-8: the directory holds UTF-8 text only", attr);
		return false;
	}
	return true;
}

/* The member "key" of rec, or for "group.key" the member key of group. */
static const config_setting_t *lookup_key(const config_setting_t *rec, const char *key)
{
	const char *dot = strchr(key, '.');
	char group[64];

	if (dot == NULL)
		return config_setting_get_member(rec, key);
	if ((size_t)(dot - key) >= sizeof(group))
		return NULL;
	memcpy(group, key, (size_t)(dot - key));
	group[dot - key] = '\0';
	rec = config_setting_get_member(rec, group);
	return rec != NULL && config_setting_is_group(rec) ? config_setting_get_member(rec, dot + 1)
	                                                    : NULL;
}

static void put_value(struct exporter *x, const struct ldap_attr *a, const config_setting_t *m,
                      const char *id)
{
	char num[32];

	switch (a->type) {
	case LV_STR:
	case LV_TIME:
		if (string_ok(x, m, id, a->attr))
			put_attr(x, a->attr, config_setting_get_string(m));
		break;
	case LV_BOOL:
		put_attr(x, a->attr, config_setting_get_bool(m) ? "TRUE" : "FALSE");
		break;
	case LV_INT:
		snprintf(num, sizeof(num), "%lld", config_setting_get_int64(m));
		put_attr(x, a->attr, num);
		break;
	case LV_STRLIST:
		for (int i = 0; i < config_setting_length(m); i++) {
			const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);

			if (!string_ok(x, e, id, a->attr))
				continue;
			for (int j = 0; j < i; j++)
				if (strcmp(config_setting_get_string(config_setting_get_elem(m, (unsigned)j)),
				           config_setting_get_string(e)) == 0)
					refuse(x, e, id, "%s: '%s' is named twice: the directory keeps a "
					       "value once", a->attr, config_setting_get_string(e));
			put_attr(x, a->attr, config_setting_get_string(e));
		}
		break;
	}
}

static void put_attrs(struct exporter *x, const struct ldap_attr *attrs,
                      const config_setting_t *rec, const char *id)
{
	for (const struct ldap_attr *a = attrs; a->key != NULL; a++) {
		const config_setting_t *m = lookup_key(rec, a->key);

		if (m != NULL)
			put_value(x, a, m, id);
	}
}

/* ---- ids that name one entry ----------------------------------------- */

/* An RDN value as uid and cn compare it (caseIgnoreMatch): case and runs
 * of spaces do not count.  ASCII only; slapd itself refuses the rest. */
static char *fold_id(const char *id)
{
	char *r = malloc(strlen(id) + 1), *o = r;

	if (r == NULL)
		return NULL;
	while (*id == ' ')
		id++;
	for (; *id; id++) {
		if (*id == ' ' && (id[1] == ' ' || id[1] == '\0'))
			continue;
		*o++ = (char)tolower((unsigned char)*id);
	}
	*o = '\0';
	return r;
}

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seen_id *)a)->folded, ((const struct seen_id *)b)->folded);
}

static void remember_id(struct exporter *x, const config_setting_t *s, const char *id)
{
	if (x->nseen == x->capseen) {
		size_t cap = x->capseen ? 2 * x->capseen : 256;
		struct seen_id *v = realloc(x->seen, cap * sizeof(*v));

		if (v == NULL) {
			x->nomem = true;
			return;
		}
		x->seen = v;
		x->capseen = cap;
	}
	x->seen[x->nseen].folded = fold_id(id);
	x->seen[x->nseen].file = x->file;
	x->seen[x->nseen].line = (unsigned)config_setting_source_line(s);
	if (x->seen[x->nseen].folded == NULL)
		x->nomem = true;
	else
		x->nseen++;
}

/* Refuse ids of one kind that the directory takes for the same entry. */
static void check_ids(struct exporter *x, const struct ldap_kind *k)
{
	qsort(x->seen, x->nseen, sizeof(*x->seen), seen_cmp);
	for (size_t i = 1; i < x->nseen; i++)
		if (strcmp(x->seen[i].folded, x->seen[i - 1].folded) == 0) {
			x->refused = true;
			if (!diags_add(x->d, x->seen[i].file, x->seen[i].line, SMP_SEV_ERROR, NULL,
			               "this %s id differs from the one at %s:%u only in case or "
			               "spaces: in the directory both are %s=%s",
			               k->list, x->seen[i - 1].file, x->seen[i - 1].line, k->rdn,
			               x->seen[i].folded))
				x->nomem = true;
		}
	for (size_t i = 0; i < x->nseen; i++)
		free(x->seen[i].folded);
	x->nseen = 0;
}

/* ---- entries ---------------------------------------------------------- */

/* Staff: the agency's person entries carry the auxiliary class. */
static void put_person(struct exporter *x, const config_setting_t *rec, const char *id)
{
	const config_setting_t *n = config_setting_get_member(rec, "name");
	const char *name = n != NULL ? config_setting_get_string(n) : NULL;
	const char *sn = id, *sp;
	char *last = NULL;

	if (name != NULL && name[0] != '\0' && utf8_ok(name)) {
		size_t len = strlen(name);

		while (len > 0 && name[len - 1] == ' ')
			len--;
		for (sp = name + len; sp > name && sp[-1] != ' '; sp--)
			;
		if (len > 0 && (last = strndup(sp, (size_t)(name + len - sp))) == NULL)
			x->nomem = true;
	}
	if (last != NULL)
		sn = last;
	put_attr(x, "objectClass", "inetOrgPerson");
	put_attr(x, "objectClass", "smpPolicyStaff");
	put_attr(x, "uid", id);
	put_attr(x, "cn", last != NULL ? name : id);
	put_attr(x, "sn", sn);
	free(last);
}

static void put_record(struct exporter *x, const struct ldap_kind *k,
                       const config_setting_t *rec, const char *parent)
{
	const config_setting_t *ids = config_setting_get_member(rec, "id");
	const char *id = ids != NULL ? config_setting_get_string(ids) : NULL;

	if (id == NULL)   /* the load refused such a world: never reached */
		return;
	if (!string_ok(x, ids, id, "id"))
		return;
	remember_id(x, ids, id);
	put_dn(x, k->rdn, id, parent);
	if (strcmp(k->rdn, "uid") == 0) {
		put_person(x, rec, id);
	} else {
		put_attr(x, "objectClass", k->oc);
		put_attr(x, "cn", id);
	}
	put_attrs(x, k->attrs, rec, id);
}

static void put_container(struct exporter *x, const char *rdn, const char *base)
{
	const char *eq = strchr(rdn, '=');

	put_dn(x, "ou", eq + 1, base);
	put_attr(x, "objectClass", "organizationalUnit");
	put_attr(x, "ou", eq + 1);
}

/* The base entry itself when its RDN is one ou=VALUE: an organizationalUnit.
 * Any other base must exist in the directory already. */
static void put_base(struct exporter *x, LDAPDN dn)
{
	LDAPRDN rdn = dn[0];
	LDAPAVA *ava = rdn != NULL ? rdn[0] : NULL;
	char *ou;

	if (ava == NULL || rdn[1] != NULL || (ava->la_flags & LDAP_AVA_BINARY) ||
	    ava->la_attr.bv_len != 2 || strncasecmp(ava->la_attr.bv_val, "ou", 2) != 0) {
		fputs("\n# The base entry is not written: only an ou=NAME base is made here;"
		      "\n# create this one first.\n", x->out);
		return;
	}
	ou = strndup(ava->la_value.bv_val, ava->la_value.bv_len);
	if (ou == NULL) {
		x->nomem = true;
		return;
	}
	fputc('\n', x->out);
	put_attr(x, "dn", x->base);
	put_attr(x, "objectClass", "organizationalUnit");
	put_attr(x, "ou", ou);
	free(ou);
}

/* ---- the trees -------------------------------------------------------- */

struct tree {
	const char *path;
	char *text;
	size_t len;
	config_t cfg;
	bool parsed;
};

/* Read path again and parse it: it must be the bytes the load validated. */
static smp_status read_tree(struct tree *t, const char *path, const struct digest *want,
                            unsigned flags, smp_diags *d)
{
	struct digest got;
	smp_status rc = file_read_secure(path, NULL, flags, &t->text, &t->len, d);

	t->path = path;
	if (rc != SMP_OK)
		return rc;
	digest_of(t->text, t->len, &got);
	if (want == NULL || got.lo != want->lo || got.hi != want->hi) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "the file changed while it was being exported; export again");
		return SMP_ERR_IO;
	}
	config_init(&t->cfg);
	t->parsed = true;
	config_set_auto_convert(&t->cfg, 0);
	if (!read_config(&t->cfg, t->text, t->len)) {
		diags_add(d, path, (unsigned)config_error_line(&t->cfg), SMP_SEV_ERROR, NULL, "%s",
		          config_error_text(&t->cfg) ? config_error_text(&t->cfg) : "syntax error");
		return SMP_ERR_PARSE;
	}
	return SMP_OK;
}

static void put_world(struct exporter *x, LDAPDN dn, unsigned flags, struct tree *trees,
                      size_t ntrees)
{
	const config_setting_t *set = config_lookup(&trees[0].cfg, "settings");

	/* no "version: 1" line: ldapadd does without, slapadd refuses it */
	fputs("# libsmpolicy records, written by smp_policy_export_ldif() for ldapadd or\n"
	      "# slapadd.  Records are in file order within each kind: load them in this\n"
	      "# order, and the directory decides as the files do.\n", x->out);
	if (!(flags & SMP_EXPORT_NO_BASE_ENTRY))
		put_base(x, dn);
	put_dn(x, "cn", LDAP_SETTINGS_RDN + 3, x->base);
	put_attr(x, "objectClass", LDAP_SETTINGS_OC);
	put_attr(x, "cn", LDAP_SETTINGS_RDN + 3);
	x->file = trees[0].path;
	if (set != NULL)
		put_attrs(x, ldap_settings_attrs, set, "settings");
	for (const struct ldap_kind *k = ldap_kinds; k->list != NULL; k++)
		put_container(x, k->container, x->base);
	for (const struct ldap_kind *k = ldap_kinds; k->list != NULL; k++) {
		bool in_settings = strcmp(k->file, "settings") == 0;
		char *parent = NULL;

		if (asprintf(&parent, "%s,%s", k->container, x->base) < 0) {
			x->nomem = true;
			return;
		}
		for (size_t i = in_settings ? 0 : 1; i < (in_settings ? 1 : ntrees); i++) {
			const config_setting_t *list = config_lookup(&trees[i].cfg, k->list);

			x->file = trees[i].path;

			for (int j = 0; list != NULL && j < config_setting_length(list); j++)
				put_record(x, k, config_setting_get_elem(list, (unsigned)j), parent);
		}
		free(parent);
		check_ids(x, k);
	}
}

/* The world of policy p, from its files, into x. */
static smp_status export_policy(struct exporter *x, const smp_policy *p, LDAPDN dn,
                                unsigned flags)
{
	size_t ntrees = p->nrecords + 1;
	struct tree *trees = calloc(ntrees, sizeof(*trees));
	smp_status rc = SMP_OK;

	if (trees == NULL)
		return SMP_ERR_NOMEM;
	for (size_t i = 0; i < ntrees && rc == SMP_OK; i++)
		rc = read_tree(&trees[i], i == 0 ? p->config_path : p->records_paths[i - 1],
		               p->digests != NULL ? &p->digests[i] : NULL, flags, x->d);
	if (rc == SMP_OK)
		put_world(x, dn, flags, trees, ntrees);
	for (size_t i = 0; i < ntrees; i++) {
		if (trees[i].parsed)
			config_destroy(&trees[i].cfg);
		free(trees[i].text);
	}
	free(trees);
	return rc;
}

smp_status smp_policy_export_ldif(const char *config_path, unsigned flags, const char *base,
                                  FILE *out, smp_diags **diags)
{
	struct exporter x = { .base = base };
	smp_policy *p = NULL;
	LDAPDN dn = NULL;
	char *buf = NULL;
	size_t size = 0;
	smp_status rc;

	if (diags != NULL)
		*diags = NULL;
	if (out == NULL || base == NULL || base[0] == '\0' || !flags_ok(flags, SMP_EXPORT_FLAGS))
		return SMP_ERR_ARG;
	x.d = diags_new();
	if (x.d == NULL)
		return SMP_ERR_NOMEM;
	if (ldap_str2dn(base, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || dn == NULL) {
		diags_add(x.d, NULL, 0, SMP_SEV_ERROR, NULL,
		          "the base '%s' is not a distinguished name (RFC 4514)", base);
		rc = SMP_ERR_ARG;
		goto done;
	}
	rc = smp_policy_load(config_path, (flags & SMP_LOAD_ALLOW_NONROOT) | SMP_LOAD_NO_CACHE, &p,
	                     diags);
	if (rc != SMP_OK)
		goto done;
	if (p->nvoids > 0) {
		/* what is exported is what was loaded: a void record would reach
		 * the directory as something else than its entry says */
		for (size_t i = 0; i < p->nvoids; i++)
			diags_add(x.d, p->voids[i].at.file, p->voids[i].at.line, SMP_SEV_ERROR,
			          p->voids[i].subject, "%s (a void record is not exported: correct it "
			          "first)", p->voids[i].why);
		rc = SMP_ERR_PARSE;
		goto done;
	}
	x.out = open_memstream(&buf, &size);
	if (x.out == NULL) {
		rc = SMP_ERR_NOMEM;
		goto done;
	}
	rc = export_policy(&x, p, dn, flags);
	if (fclose(x.out) != 0 || x.nomem || x.d->oom)
		rc = rc == SMP_OK ? SMP_ERR_NOMEM : rc;
	else if (rc == SMP_OK && x.refused)
		rc = SMP_ERR_REFUSED;
	if (rc == SMP_OK && (fwrite(buf, 1, size, out) != size || fflush(out) != 0)) {
		diags_add(x.d, NULL, 0, SMP_SEV_ERROR, NULL, "cannot write the LDIF");
		rc = SMP_ERR_IO;
	}
done:
	free(buf);
	free(x.seen);
	if (dn != NULL)
		ldap_dnfree(dn);
	smp_policy_free(p);
	if (diags != NULL && smp_diags_count(x.d) > 0) {
		diags_sort(x.d);
		if (*diags == NULL) {
			*diags = x.d;
			x.d = NULL;
		} else if (!diags_merge(diags, x.d)) {
			rc = SMP_ERR_NOMEM;
		}
	}
	smp_diags_free(x.d);
	return rc;
}
