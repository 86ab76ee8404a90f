/*
 * edit_ldap.c - the record commands on records in the directory (smpolicy-ldap(5)):
 * bound as the person acting, checked by the files' own rules,
 * written by single-entry modifies that assert what they were checked
 * against (RFC 4528).
 *
 * One attempt: bind as uid=BY,ou=staff,<base> with BY's password; read
 * what the change hangs on (the record's entryCSN and, for a sign-off,
 * its person's office, that office's smpRevision and claim) and only then
 * the whole directory (the sync's reader, directory_read.c); render it
 * as a files world in a private folder and make the change there with
 * the files' own writer, files_* (every check of the procedure, the cap over
 * the whole world); the difference of the changed entry is the LDAP
 * change, which edit_ldap_write.c writes (a sign-off under a claim of its
 * office), slapd's ACLs judging every write as BY.  When another command
 * got there first, an assertion fails, nothing of this attempt is
 * written, and the next attempt starts again from the reads.  Why that
 * keeps the office cap: docs/SEMANTICS.md.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "edit_ldap.h"

#include <ftw.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRIES 40        /* attempts before giving up on a busy office */

/* ---- small things -------------------------------------------------------- */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	remove(path);
	return 0;
}

/* The private folder and what the files' edit left in it. */
static void remove_tree(char **dir)
{
	if (*dir != NULL)
		nftw(*dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	free(*dir);
	*dir = NULL;
}

/* The last line of a small file, malloc'd; NULL if none. */
static char *last_line(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *last = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL)
		return NULL;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		free(last);
		last = strdup(line);
	}
	free(line);
	fclose(f);
	return last;
}

/* ---- binding as the person ----------------------------------------------- */

/* Every command leaves an audit entry in ou=audit: the first one makes it
 * (access.ldif lets staff add that entry, nothing else), and without it
 * none runs. */
static smp_status audit_container(struct run *r)
{
	static const char *const attrs[] = { "ou", NULL };
	char *oc[] = { "organizationalUnit", NULL }, *ou[] = { LDAP_AUDIT_CONTAINER + 3, NULL };
	LDAPMod m[2] = { { .mod_op = LDAP_MOD_ADD, .mod_type = "objectClass", .mod_values = oc },
	                 { .mod_op = LDAP_MOD_ADD, .mod_type = "ou", .mod_values = ou } };
	LDAPMod *mods[3] = { &m[0], &m[1], NULL };
	char *dn = container_dn(r, LDAP_AUDIT_CONTAINER), *v[1] = { NULL };
	bool found = false;
	smp_status rc = dn != NULL ? read_entry(r, dn, attrs, v, &found) : SMP_ERR_NOMEM;
	int lrc;

	if (rc == SMP_OK && !found &&
	    (lrc = ldap_add_ext_s(r->c.ld, dn, mods, NULL, NULL)) != LDAP_SUCCESS &&
	    lrc != LDAP_ALREADY_EXISTS) {
		diags_add(r->d, dn, 0, SMP_SEV_ERROR, NULL,
		          "the directory has no %s, where every record command leaves its audit "
		          "entry, and %s may not create it (%s): an administrator adds it "
		          "(ldap/README.md); nothing was written", dn, r->bind_dn,
		          ldap_err2string(lrc));
		rc = SMP_ERR_DIRECTORY;
	}
	free(v[0]);
	free(dn);
	return rc;
}

/* A refused bind does not say whether the entry exists (slapd answers
 * invalidCredentials for both).  The settings' own identity, when this
 * caller may use it, can tell: true only when it sees no such entry. */
static bool person_unknown(struct run *r)
{
	static const char *const attrs[] = { "uid", NULL };
	struct run look = { .s = r->s, .flags = r->flags };
	char *v[1] = { NULL };
	bool found = true;

	if (r->s.bind_dn == NULL || (look.d = diags_new()) == NULL)
		return false;
	look.s.uri = r->s.write_uri != NULL ? r->s.write_uri : r->s.uri;
	if (dir_open(&look.c, &look.s, r->flags, look.d) == SMP_OK &&
	    read_entry(&look, r->bind_dn, attrs, v, &found) != SMP_OK)
		found = true;
	dir_close(&look.c);
	free(v[0]);
	smp_diags_free(look.d);
	return !found;
}

/*
 * Connect and bind as the person (directory_conn.c's one connection
 * setup: TLS, timeouts, a simple bind).  The settings' own bind_dn is not used:
 * what the directory lets this command write is what the person may.
 */
static smp_status bind_as(struct run *r)
{
	struct ldap_settings conn = r->s;
	smp_diags *bd;
	char *staff;
	smp_status rc;
	int lrc;

	conn.bind_dn = NULL;            /* dir_open connects; we bind */
	if (r->s.write_uri != NULL)
		conn.uri = r->s.write_uri;  /* the cap needs one provider: docs/SEMANTICS.md */
	conn.bind_password_file = NULL;
	if (r->e->password == NULL || r->e->password[0] == '\0') {
		diags_add(r->d, r->s.config_path, 0, SMP_SEV_ERROR, NULL,
		          "the records are changed in the directory %s, bound as '%s': the "
		          "command needs their password (an empty one would bind anonymously)",
		          r->s.uri, r->e->by);
		return SMP_ERR_ARG;
	}
	staff = container_dn(r, "ou=staff");
	r->bind_dn = staff != NULL ? child_dn("uid", r->e->by, staff) : NULL;
	free(staff);
	if (r->bind_dn == NULL)
		return SMP_ERR_NOMEM;
	rc = dir_open(&r->c, &conn, r->flags, r->d);
	/* conn lives on this stack only; messages name the URI written to
	 * (r->s is a shallow copy of the caller's settings: nothing is freed) */
	if (r->s.write_uri != NULL)
		r->s.uri = r->s.write_uri;
	r->c.s = &r->s;
	if (rc != SMP_OK)
		return rc;
	r->c.d = bd = diags_new();
	rc = bd != NULL ? dir_bind(&r->c, r->bind_dn, r->e->password, NULL) : SMP_ERR_NOMEM;
	r->c.d = r->d;
	if (rc == SMP_ERR_DIRECTORY && ldap_get_option(r->c.ld, LDAP_OPT_RESULT_CODE, &lrc) ==
	                               LDAP_OPT_SUCCESS) {
		if (unreachable(lrc))
			rc = say_unreachable(r, lrc);
		else if (lrc == LDAP_INVALID_CREDENTIALS && person_unknown(r))
			diags_add(r->d, r->s.uri, 0, SMP_SEV_ERROR, NULL, "no such person in the "
			          "directory: %s (is '%s' the uid?); nothing was written", r->bind_dn,
			          r->e->by);
		else if (lrc == LDAP_INVALID_CREDENTIALS)
			diags_add(r->d, r->s.uri, 0, SMP_SEV_ERROR, NULL, "wrong password for %s, or no "
			          "such person (only ldap.bind_dn could tell which); nothing was written",
			          r->bind_dn);
		else if (!diags_merge(&r->d, bd))
			rc = SMP_ERR_NOMEM;
	} else if (rc != SMP_OK && !diags_merge(&r->d, bd)) {
		rc = SMP_ERR_NOMEM;
	}
	smp_diags_free(bd);
	return rc == SMP_OK ? audit_container(r) : rc;
}

/* ---- what the change hangs on -------------------------------------------- */

struct base_read {
	const char *const *attrs;
	char *v[4];
	bool nomem;
};

static smp_status take_base(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct base_read *b = ctx;

	for (size_t i = 0; b->attrs[i] != NULL; i++) {
		struct berval **v = ldap_get_values_len(ld, e, b->attrs[i]);

		if (v != NULL && v[0] != NULL && b->v[i] == NULL &&
		    (b->v[i] = strndup(v[0]->bv_val, v[0]->bv_len)) == NULL)
			b->nomem = true;
		ldap_value_free_len(v);
	}
	return b->nomem ? SMP_ERR_NOMEM : SMP_OK;
}

/* The first value of each of attrs (up to 4) of entry dn, into out[];
 * *found false when there is no such entry. */
smp_status read_entry(struct run *r, const char *dn, const char *const *attrs,
                             char **out, bool *found)
{
	struct base_read b = { .attrs = attrs };
	bool noobject = false;
	smp_status rc = dir_search(&r->c, dn, LDAP_SCOPE_BASE, "(objectClass=*)", (char **)attrs,
	                           false, take_base, &b, &noobject);

	*found = rc == SMP_OK && !noobject;
	for (size_t i = 0; attrs[i] != NULL; i++)
		out[i] = b.v[i];
	return rc;
}

/* The record's entryCSN and, for a sign-off, the office of its person and
 * that office's smpRevision and claim: read before the world, so that a
 * write asserting them finds them unchanged only if the world read after
 * them is what the directory still holds (docs/SEMANTICS.md). */
static smp_status read_anchor(struct run *r)
{
	static const char *const rec_attrs[] = { "entryCSN", "smpStaff", NULL };
	static const char *const staff_attrs[] = { "smpOffice", NULL };
	static const char *const office_attrs[] = { LDAP_REVISION_ATTR, LDAP_INTENT_ATTR, NULL };
	const struct dir_edit *e = r->e;
	char *v[3] = { NULL, NULL, NULL }, *cont, *dn;
	smp_status rc;
	bool found;

	if (e->id == NULL)
		return SMP_OK;   /* a request adds an entry: nothing to assert */
	cont = container_dn(r, strcmp(e->list, "approvals") == 0 ? "ou=approvals" : "ou=accounts");
	dn = cont != NULL ? child_dn("cn", e->id, cont) : NULL;
	free(cont);
	if (dn == NULL)
		return SMP_ERR_NOMEM;
	rc = read_entry(r, dn, rec_attrs, v, &found);
	free(dn);
	r->csn = v[0];
	r->staff = v[1];
	if (rc != SMP_OK || !found || !e->sign)
		return rc;   /* not found: the files' edit says so in its words */
	if (r->staff == NULL)
		return SMP_OK;   /* no person: the check refuses it */
	cont = container_dn(r, "ou=staff");
	dn = cont != NULL ? child_dn("uid", r->staff, cont) : NULL;
	free(cont);
	if (dn == NULL)
		return SMP_ERR_NOMEM;
	v[0] = NULL;
	rc = read_entry(r, dn, staff_attrs, v, &found);
	free(dn);
	if (rc != SMP_OK || v[0] == NULL) {
		free(v[0]);
		return rc;   /* no office: the check refuses the dangling person */
	}
	cont = container_dn(r, "ou=offices");
	r->office_dn = cont != NULL ? child_dn("cn", v[0], cont) : NULL;
	free(cont);
	free(v[0]);
	if (r->office_dn == NULL)
		return SMP_ERR_NOMEM;
	v[0] = NULL;
	rc = read_entry(r, r->office_dn, office_attrs, v, &found);
	r->revision = v[0];
	r->intent = v[1];
	if (rc == SMP_OK && !found) {
		free(r->office_dn);
		r->office_dn = NULL;   /* no such office: the check refuses it */
	}
	return rc;
}

/* Is the world's office of the sign-off's person (as the files will read
 * it) the office claimed?  Both none is the same: the check refuses that. */
static bool same_office(const struct run *r, const struct dir_world *w)
{
	char *cont = container_dn(r, "ou=offices"), *dn = NULL;
	bool same = false;

	for (size_t i = 0; i < w->n && cont != NULL && r->staff != NULL; i++) {
		const struct dir_entry *x = &w->v[i];

		if (x->kind == NULL || strcmp(x->kind->list, "staff") != 0 ||
		    strcmp(x->id, r->staff) != 0)
			continue;
		for (size_t a = 0; x->kind->attrs[a].key != NULL; a++)
			if (strcmp(x->kind->attrs[a].key, "office") == 0 && x->values[a] != NULL)
				dn = child_dn("cn", x->values[a][0], cont);
	}
	same = dn == NULL ? r->office_dn == NULL
	                  : r->office_dn != NULL && strcmp(dn, r->office_dn) == 0;
	free(dn);
	free(cont);
	return same;
}

/* ---- the change as LDAP --------------------------------------------------- */

static void free_values(char **v);

/* The values of a's key in a files entry, as the directory holds them:
 * NULL-terminated, malloc'd (an empty list when absent), or NULL on OOM;
 * *n their count. */
static char **values_of(const config_setting_t *entry, const struct ldap_attr *a, size_t *n)
{
	config_setting_t *s = entry != NULL
	                      ? config_setting_lookup((config_setting_t *)entry, a->key) : NULL;
	int count = s == NULL ? 0 : a->type == LV_STRLIST ? config_setting_length(s) : 1;
	char **v = calloc((size_t)count + 1, sizeof(char *));
	bool ok = v != NULL;

	for (int i = 0; ok && i < count; i++) {
		const config_setting_t *x = a->type == LV_STRLIST ? config_setting_get_elem(s, i) : s;
		const char *str = config_setting_get_string(x);

		if (a->type == LV_BOOL)
			v[i] = strdup(config_setting_get_bool(x) ? "TRUE" : "FALSE");
		else if (a->type == LV_INT && asprintf(&v[i], "%lld",
		                                        (long long)config_setting_get_int64(x)) < 0)
			v[i] = NULL;
		else if (a->type != LV_INT)
			v[i] = strdup(str != NULL ? str : "");
		ok = v[i] != NULL;
	}
	if (!ok) {
		free_values(v);
		return NULL;
	}
	*n = (size_t)count;
	return v;
}

static void free_values(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static bool same_values(char *const *a, char *const *b)
{
	size_t i = 0;

	for (; a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return a[i] == NULL && b[i] == NULL;
}

static void change_free(struct change *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free_values(ch->mod[i].mod_values);
	memset(ch, 0, sizeof(*ch));
}

static bool change_add(struct change *ch, int op, const char *attr, char **values)
{
	if (ch->n + 1 >= sizeof(ch->mod) / sizeof(ch->mod[0])) {
		free_values(values);
		return false;
	}
	ch->mod[ch->n] = (LDAPMod){ .mod_op = op, .mod_type = (char *)attr,
	                            .mod_values = values };
	ch->mods[ch->n] = &ch->mod[ch->n];
	ch->n++;
	ch->mods[ch->n] = NULL;
	if (strncmp(attr, "smp", 3) == 0)
		snprintf(ch->names + strlen(ch->names), sizeof(ch->names) - strlen(ch->names),
		         "%s%s", ch->names[0] ? ", " : "", attr);
	return true;
}

static const config_setting_t *find_record(const config_t *cfg, const char *list,
                                           const char *id)
{
	config_setting_t *l = config_lookup(cfg, list);

	for (int i = 0; l != NULL && i < config_setting_length(l); i++) {
		config_setting_t *x = config_setting_get_elem(l, (unsigned)i);
		const char *v;

		if (config_setting_lookup_string(x, "id", &v) && strcmp(v, id) == 0)
			return x;
	}
	return NULL;
}

static const struct ldap_kind *kind_of(const char *list)
{
	for (const struct ldap_kind *k = ldap_kinds; k->list != NULL; k++)
		if (strcmp(k->list, list) == 0)
			return k;
	return NULL;
}

/* The difference of record id between the records texts before and
 * after, as LDAP modifications (an add when it is new). */
static smp_status diff(const char *before, const char *after, const char *list,
                       const char *id, struct change *ch)
{
	const struct ldap_kind *k = kind_of(list);
	config_t old, new;
	const config_setting_t *o, *n;
	bool ok = true;

	memset(ch, 0, sizeof(*ch));
	config_init(&old);
	config_init(&new);
	if (k == NULL || !config_read_string(&old, before) || !config_read_string(&new, after)) {
		config_destroy(&old);
		config_destroy(&new);
		return SMP_ERR_PARSE;
	}
	o = find_record(&old, list, id);
	n = find_record(&new, list, id);
	ch->add = o == NULL;
	if (n != NULL && ch->add) {
		char **oc = calloc(2, sizeof(char *)), **cn = calloc(2, sizeof(char *));

		if (oc != NULL)
			oc[0] = strdup(k->oc);
		if (cn != NULL)
			cn[0] = strdup(id);
		ok = oc != NULL && cn != NULL && oc[0] != NULL && cn[0] != NULL;
		ok = change_add(ch, LDAP_MOD_ADD, "objectClass", oc) && ok;
		ok = change_add(ch, LDAP_MOD_ADD, k->rdn, cn) && ok;
	}
	for (const struct ldap_attr *a = k->attrs; n != NULL && ok && a->key != NULL; a++) {
		size_t no = 0, nn = 0;
		char **ov = values_of(o, a, &no), **nv = values_of(n, a, &nn);

		if (ov == NULL || nv == NULL) {
			ok = false;
		} else if (!same_values(ov, nv)) {
			int op = nn == 0 ? LDAP_MOD_DELETE : no == 0 ? LDAP_MOD_ADD : LDAP_MOD_REPLACE;

			if (nn == 0) {
				free_values(nv);
				nv = NULL;
			}
			ok = change_add(ch, op, a->attr, nv);
			nv = NULL;
		}
		free_values(ov);
		free_values(nv);
	}
	config_destroy(&old);
	config_destroy(&new);
	if (n == NULL)
		return SMP_ERR_NOTFOUND;
	return ok ? SMP_OK : SMP_ERR_NOMEM;
}

/* ---- one attempt, and the command ----------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[8192];
	size_t n;

	if (f == NULL || m == NULL) {
		if (f != NULL)
			fclose(f);
		if (m != NULL)
			fclose(m);
		free(buf);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	return fclose(m) == 0 ? buf : (free(buf), NULL);
}

static void attempt_free(struct run *r)
{
	remove_tree(&r->temp);
	free(r->csn);
	free(r->staff);
	free(r->office_dn);
	free(r->revision);
	free(r->intent);
	free(r->line);
	free(r->new_id);
	r->csn = r->staff = r->office_dn = r->revision = r->intent = r->line = r->new_id = NULL;
	smp_diags_free(r->ad);
	r->ad = NULL;
}

static const char *first_error(const smp_diags *d)
{
	for (size_t i = 0; i < smp_diags_count(d); i++)
		if (smp_diags_get(d, i)->severity == SMP_SEV_ERROR)
			return smp_diags_get(d, i)->message;
	return NULL;
}

/* The change made to the files rendering of the world, checked there by
 * the files' own rules; the audit line it wrote. */
static smp_status apply(struct run *r, const struct dir_render *rd, char **before,
                        char **after)
{
	unsigned files = r->flags | SMP_LOAD_ALLOW_NONROOT | SMP_EDIT_NOWAIT;
	smp_diags *fd = NULL;
	char *log = NULL;
	smp_status rc;

	*before = slurp(rd->records_path);
	if (*before == NULL)
		return SMP_ERR_NOMEM;
	/* the private folder is the caller's own: SMP_LOAD_ALLOW_NONROOT is
	 * for it only (the settings file was checked as any other) */
	rc = r->e->apply(r->e, rd->conf_path, files, &r->new_id, &fd);
	if (!dir_translate(rd, fd, false, r->ad))
		rc = SMP_ERR_NOMEM;
	smp_diags_free(fd);
	if (asprintf(&log, "%s/audit.log", r->temp) < 0)
		return SMP_ERR_NOMEM;
	r->line = last_line(log);
	free(log);
	if (rc == SMP_ERR_REFUSED)
		dl_audit_alone(r, r->line);
	if (rc == SMP_OK && ((*after = slurp(rd->records_path)) == NULL || r->line == NULL))
		rc = SMP_ERR_NOMEM;
	return rc;
}

static smp_status attempt(struct run *r, bool *conflict)
{
	struct dir_world w = { 0 };
	struct dir_render rd = { 0 };
	struct ldap_settings render = r->s;
	struct change ch = { 0 };
	const char *id;
	char *before = NULL, *after = NULL, *cont = NULL, *record_dn = NULL;
	smp_status rc;

	*conflict = false;
	render.audit = NULL;   /* the files' audit line goes to the private folder */
	rc = read_anchor(r);
	if (rc == SMP_OK && r->intent != NULL)
		return dl_break_claim(r, conflict);   /* another sign-off holds the office */
	if (rc == SMP_OK) {
		rc = dir_read_world(&r->c, &w, r->ad);
		if (rc == SMP_ERR_PARSE)
			diags_add(r->ad, r->s.uri, 0, SMP_SEV_ERROR, NULL, "the directory's records "
			          "have structural faults (above); fix them first (smpolicy check --online)");
	}
	if (rc == SMP_OK && r->e->sign && !same_office(r, &w)) {
		*conflict = true;   /* the person moved between the reads: read again */
		goto out;
	}
	if (rc == SMP_OK)   /* private: the caller's own, mode 0700 */
		rc = dir_temp_folder(NULL, "smpolicy-edit-", 0, &r->temp, r->ad);
	if (rc == SMP_OK)
		rc = dir_render(&w, &render, r->temp, &rd, r->ad);
	if (rc == SMP_OK)
		rc = apply(r, &rd, &before, &after);
	id = r->e->id != NULL ? r->e->id : r->new_id;
	if (rc == SMP_OK && id == NULL)
		rc = SMP_ERR_NOMEM;
	if (rc == SMP_OK && r->e->id != NULL && r->csn == NULL) {
		/* the record appeared after the anchor was read: nothing to
		 * assert it by (nor, for a sign-off, an office claimed) */
		*conflict = true;
		goto out;
	}
	if (rc == SMP_OK)
		rc = diff(before, after, r->e->list, id, &ch);
	if (rc == SMP_OK) {
		cont = container_dn(r, strcmp(r->e->list, "approvals") == 0 ? "ou=approvals"
		                                                           : "ou=accounts");
		record_dn = cont != NULL ? child_dn("cn", id, cont) : NULL;
		rc = record_dn != NULL ? dl_commit(r, &ch, record_dn, conflict) : SMP_ERR_NOMEM;
	}
	if (rc == SMP_ERR_REFUSED && !*conflict && r->line != NULL &&
	    strstr(r->line, " result=ok") != NULL) {
		/* the directory refused what the files' rules allowed: say so */
		char *line = dl_refusal_line(r, first_error(r->d));

		dl_audit_alone(r, line);
		free(line);
	}
out:
	change_free(&ch);
	free(before);
	free(after);
	free(cont);
	free(record_dn);
	dir_render_free(&rd);
	dir_world_free(&w);
	return rc;
}

static void backoff(int tries)
{
	unsigned r = 0;
	int cap = tries < 10 ? 10 + 20 * tries : 200;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned)getpid();
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(5 + r % (unsigned)cap) * 1000000L;
	nanosleep(&ts, NULL);
}

smp_status dir_edit_run(const struct ldap_settings *s, unsigned flags, const struct dir_edit *e,
                        char **new_id, smp_diags **diags)
{
	/* the settings are the caller's, read once: borrowed, never freed here */
	struct run r = { .e = e, .flags = flags, .s = *s };
	bool conflict = false;
	smp_status rc = SMP_OK;

	r.d = diags_new();
	if (r.d == NULL)
		return SMP_ERR_NOMEM;
	if (rc == SMP_OK)
		rc = bind_as(&r);
	for (int tries = 1; rc == SMP_OK; tries++) {
		r.ad = diags_new();
		rc = r.ad != NULL ? attempt(&r, &conflict) : SMP_ERR_NOMEM;
		if (rc != SMP_OK || !conflict) {
			if (!diags_merge(&r.d, r.ad))
				rc = SMP_ERR_NOMEM;
			break;
		}
		attempt_free(&r);
		if (tries == MAX_TRIES) {
			diags_add(r.d, r.s.uri, 0, SMP_SEV_ERROR, e->id,
			          "other commands kept changing the same records at the same time; "
			          "gave up after %d tries; nothing was written: try again", tries);
			rc = SMP_ERR_LOCK;
			break;
		}
		backoff(tries);
	}
	if (rc == SMP_OK && new_id != NULL) {
		*new_id = r.new_id;
		r.new_id = NULL;
	}
	attempt_free(&r);
	dir_close(&r.c);
	free(r.bind_dn);
	return give_diags(r.d, rc, diags);
}
