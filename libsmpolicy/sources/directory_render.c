/*
 * directory_render.c - the directory's entries written as a files world
 * in the grammar of smpolicy.conf(5) (smpolicy.conf and records.conf), so that
 * the one records loader validates and loads them as it does any files;
 * and its diagnostics named back by DN.  Each entry is preceded by a
 * comment with its DN and each attribute is on a line of its own, and the
 * map of what every line came from is kept in memory.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "directory_sync.h"
#include "base/text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One file being written, with the map of its lines. */
struct out {
	struct arena *mem;          /* the labels of groups' lines */
	struct ebuf b;
	struct dir_line *lines;
	size_t n, cap;
	bool oom;
};

/* A new line begins: say what it came from. */
static void mark(struct out *o, const char *dn, const char *attr)
{
	if (o->n == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 1024;
		struct dir_line *nv = realloc(o->lines, ncap * sizeof(*nv));

		if (nv == NULL) {
			o->oom = true;
			return;
		}
		o->lines = nv;
		o->cap = ncap;
	}
	o->lines[o->n++] = (struct dir_line){ dn, attr };
}

/* A comment line: control characters of s shown as '?' (a line end would
 * end the comment). */
static void comment(struct out *o, const char *dn, const char *label, const char *s)
{
	mark(o, dn, NULL);
	ebuf_adds(&o->b, label);
	for (; *s; s++)
		ebuf_add(&o->b, (unsigned char)*s < 0x20 || *s == 0x7f ? "?" : s, 1);
	ebuf_add(&o->b, "\n", 1);
}

static void put_value(struct out *o, const struct ldap_attr *a, const char *const *v)
{
	switch (a->type) {
	case LV_BOOL:
		ebuf_adds(&o->b, strcmp(v[0], "TRUE") == 0 ? "true" : "false");
		break;
	case LV_INT:
		ebuf_adds(&o->b, v[0]);   /* digits: directory_read.c checked */
		break;
	case LV_STRLIST:
		ebuf_adds(&o->b, "[ ");
		for (size_t i = 0; v[i] != NULL; i++) {
			if (i > 0)
				ebuf_adds(&o->b, ", ");
			conf_quote(&o->b, v[i]);
		}
		ebuf_adds(&o->b, v[0] != NULL ? " ]" : "]");
		break;
	case LV_STR:
	case LV_TIME:
		conf_quote(&o->b, v[0]);
		break;
	}
}

static void put_attr(struct out *o, const struct dir_entry *e, const struct ldap_attr *a,
                     const char *name, const char *indent)
{
	mark(o, e->dn, a->attr);
	ebuf_addf(&o->b, "%s%s = ", indent, name);
	put_value(o, a, e->values[a - (e->kind != NULL ? e->kind->attrs : ldap_settings_attrs)]);
	ebuf_adds(&o->b, ";\n");
}

/* The keys of entry e, one a line; "approved_cpp.by" and
 * "approved_cpp.on" as a group approved_cpp = { by; on; }. */
static void put_attrs(struct out *o, const struct dir_entry *e, const struct ldap_attr *t,
                      const char *indent)
{
	for (size_t i = 0; t[i].key != NULL;) {
		const char *dot = strchr(t[i].key, '.');
		size_t glen, j;
		int first = -1;

		if (dot == NULL) {
			if (e->values[i] != NULL)
				put_attr(o, e, &t[i], t[i].key, indent);
			i++;
			continue;
		}
		glen = (size_t)(dot - t[i].key) + 1;
		for (j = i; t[j].key != NULL && strncmp(t[j].key, t[i].key, glen) == 0; j++)
			if (e->values[j] != NULL && first < 0)
				first = (int)j;
		if (first >= 0) {
			/* the group's line stands for all its attributes (a missing
			 * key of the group is reported there): "smpRevoked*" */
			size_t common = strlen(t[i].attr);
			char *label;

			for (size_t k = i + 1; k < j; k++)
				while (strncmp(t[i].attr, t[k].attr, common) != 0)
					common--;
			label = arena_alloc(o->mem, common + 2);
			if (label == NULL)
				o->oom = true;
			else
				snprintf(label, common + 2, "%.*s*", (int)common, t[i].attr);
			mark(o, e->dn, label);
			ebuf_addf(&o->b, "%s%.*s = {\n", indent, (int)glen - 1, t[i].key);
			for (size_t k = i; k < j; k++) {
				char deeper[32];

				snprintf(deeper, sizeof(deeper), "%s  ", indent);
				if (e->values[k] != NULL)
					put_attr(o, e, &t[k], t[k].key + glen, deeper);
			}
			mark(o, e->dn, NULL);
			ebuf_addf(&o->b, "%s};\n", indent);
		}
		i = j;
	}
}

/* The list of kind k: its entries in the server's order. */
static void put_list(struct out *o, const struct dir_world *w, const struct ldap_kind *k,
                     const char *container_dn)
{
	size_t last = w->n;

	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].kind == k)
			last = i;
	comment(o, container_dn, "# dn: ", container_dn);
	mark(o, container_dn, NULL);
	ebuf_addf(&o->b, "%s = (\n", k->list);
	for (size_t i = 0; i < w->n; i++) {
		const struct dir_entry *e = &w->v[i];

		if (e->kind != k)
			continue;
		comment(o, e->dn, "  # dn: ", e->dn);
		mark(o, e->dn, k->rdn);
		ebuf_adds(&o->b, "  { id = ");
		conf_quote(&o->b, e->id);
		ebuf_adds(&o->b, ";\n");
		if (e->void_why != NULL) {
			/* the entry's own faults: the loader voids the record */
			mark(o, e->dn, NULL);
			ebuf_adds(&o->b, "    void = ");
			conf_quote(&o->b, e->void_why);
			ebuf_adds(&o->b, ";\n");
		}
		put_attrs(o, e, k->attrs, "    ");
		mark(o, e->dn, NULL);
		ebuf_adds(&o->b, i == last ? "  }\n" : "  },\n");
	}
	mark(o, container_dn, NULL);
	ebuf_adds(&o->b, ");\n");
}

static const struct dir_entry *settings_entry(const struct dir_world *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].kind == NULL)
			return &w->v[i];
	return NULL;
}

static void put_settings(struct out *o, const struct dir_world *w, const struct ldap_settings *s,
                         const char *base)
{
	const struct dir_entry *e = settings_entry(w);
	const char *dn = e != NULL ? e->dn : base;

	comment(o, base, "# smpolicy.conf - the directory ", s->uri);
	comment(o, base, "# under ", s->base);
	comment(o, base, "# as smpolicy sync read it: the next sync replaces this copy; ",
	        "change the directory, not this file.");
	mark(o, base, NULL);
	ebuf_adds(&o->b, "version = 1;\n");
	comment(o, dn, "# dn: ", dn);
	mark(o, dn, NULL);
	ebuf_adds(&o->b, "settings = {\n");
	mark(o, dn, NULL);
	ebuf_adds(&o->b, "  records = [ \"records.conf\" ];\n");
	if (e != NULL)
		put_attrs(o, e, ldap_settings_attrs, "  ");
	if (s->audit != NULL) {
		mark(o, s->config_path, "audit");
		ebuf_adds(&o->b, "  audit = ");
		conf_quote(&o->b, s->audit);
		ebuf_adds(&o->b, ";\n");
	}
	mark(o, s->config_path, "require_signatures");
	ebuf_adds(&o->b, s->require_signatures ? "  require_signatures = true;\n"
	                                       : "  require_signatures = false;\n");
	if (s->signers != NULL) {
		mark(o, s->config_path, "signers");
		ebuf_adds(&o->b, "  signers = ");
		conf_quote(&o->b, s->signers);
		ebuf_adds(&o->b, ";\n");
	}
	mark(o, dn, NULL);
	ebuf_adds(&o->b, "};\n");
}

/* Write o's text to dir/name (new, private: mode 0640 in the private
 * group) and fsync it. */
static smp_status write_out(struct out *o, const char *dir, const char *name, char **path,
                            smp_diags *d)
{
	char *raw;
	int fd;
	bool ok;

	*path = NULL;
	if (o->oom || o->b.oom || asprintf(&raw, "%s/%s", dir, name) < 0)
		return SMP_ERR_NOMEM;
	/* spelled as the loader spells it, so that its diagnostics are ours */
	*path = config_path_absolute(raw);
	free(raw);
	if (*path == NULL)
		return SMP_ERR_NOMEM;
	fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          SMP_PRIVATE_FILE_MODE);
	ok = fd >= 0 && make_private(fd, SMP_PRIVATE_FILE_MODE) &&
	     write_all(fd, o->b.s, o->b.len) && fsync(fd) == 0;
	if (!ok)
		diags_add(d, *path, 0, SMP_SEV_ERROR, NULL, "cannot write the local copy: %s",
		          strerror(errno));
	if (fd >= 0 && close(fd) != 0 && ok) {
		diags_add(d, *path, 0, SMP_SEV_ERROR, NULL, "cannot write the local copy: %s",
		          strerror(errno));
		ok = false;
	}
	return ok ? SMP_OK : SMP_ERR_IO;
}

smp_status dir_render(const struct dir_world *w, const struct ldap_settings *s,
                      const char *dir, struct dir_render *r, smp_diags *d)
{
	struct out conf = { .mem = &r->mem }, rec = { .mem = &r->mem };
	smp_status rc;
	char dn[2048];

	memset(r, 0, sizeof(*r));
	r->base = arena_strdup(&r->mem, s->base);
	if (r->base == NULL)
		return SMP_ERR_NOMEM;
	put_settings(&conf, w, s, r->base);
	comment(&rec, r->base, "# records.conf - the directory ", s->uri);
	comment(&rec, r->base, "# under ", s->base);
	for (const struct ldap_kind *k = ldap_kinds; k->list != NULL; k++) {
		const char *cdn;

		snprintf(dn, sizeof(dn), "%s,%s", k->container, s->base);
		cdn = arena_strdup(&r->mem, dn);
		if (cdn == NULL) {
			conf.oom = true;
			break;
		}
		put_list(strcmp(k->file, "settings") == 0 ? &conf : &rec, w, k, cdn);
	}
	if (w->nstrays > 0) {
		/* the entries in no place of a record: void, each on its line */
		mark(&rec, r->base, NULL);
		ebuf_adds(&rec.b, "void = (\n");
		for (size_t i = 0; i < w->nstrays; i++) {
			comment(&rec, w->strays[i].dn, "  # dn: ", w->strays[i].dn);
			mark(&rec, w->strays[i].dn, NULL);
			ebuf_adds(&rec.b, "  { why = ");
			conf_quote(&rec.b, w->strays[i].why);
			ebuf_adds(&rec.b, i + 1 < w->nstrays ? "; },\n" : "; }\n");
		}
		mark(&rec, r->base, NULL);
		ebuf_adds(&rec.b, ");\n");
	}
	rc = write_out(&conf, dir, "smpolicy.conf", &r->conf_path, d);
	if (rc == SMP_OK)
		rc = write_out(&rec, dir, "records.conf", &r->records_path, d);
	r->conf_lines = conf.lines;
	r->nconf = conf.n;
	r->records_lines = rec.lines;
	r->nrecords = rec.n;
	ebuf_free(&conf.b);
	ebuf_free(&rec.b);
	return rc;
}

bool dir_translate(const struct dir_render *r, const smp_diags *from, bool demote,
                   smp_diags *to)
{
	for (size_t i = 0; i < smp_diags_count(from); i++) {
		const struct smp_diag *g = smp_diags_get(from, i);
		const struct dir_line *map = NULL;
		size_t n = 0;
		smp_severity sev = demote ? SMP_SEV_WARNING : g->severity;
		bool ok;

		if (g->file != NULL && r->conf_path != NULL && strcmp(g->file, r->conf_path) == 0) {
			map = r->conf_lines;
			n = r->nconf;
		} else if (g->file != NULL && r->records_path != NULL &&
		           strcmp(g->file, r->records_path) == 0) {
			map = r->records_lines;
			n = r->nrecords;
		}
		if (map == NULL) {
			ok = diags_add(to, g->file, g->line, sev, g->subject, "%s", g->message);
		} else {
			const struct dir_line *l = g->line >= 1 && g->line <= n ? &map[g->line - 1] : NULL;
			const char *attr = l != NULL ? l->attr : NULL;

			ok = diags_add(to, l != NULL ? l->dn : r->base, 0, sev, g->subject, "%s%s%s",
			               attr != NULL ? attr : "", attr != NULL ? ": " : "", g->message);
		}
		if (!ok)
			return false;
	}
	return true;
}

void dir_render_free(struct dir_render *r)
{
	free(r->conf_path);
	free(r->records_path);
	free(r->conf_lines);
	free(r->records_lines);
	arena_release(&r->mem);
	memset(r, 0, sizeof(*r));
}
