/*
 * load.c - read smpolicy.conf and the records files it names, refuse
 * insecure files, and turn the libconfig trees into the policy's arrays,
 * reporting every structural error as FILE:LINE.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- reading a file securely ------------------------------------------ */

static bool owner_ok(uid_t uid, unsigned flags)
{
	return uid == 0 || ((flags & SMP_LOAD_ALLOW_NONROOT) && uid == geteuid());
}

static smp_status check_folder(const char *path, unsigned flags, smp_diags *d)
{
	char *copy = strdup(path), *slash;
	struct stat st;
	smp_status rc = SMP_OK;

	if (copy == NULL)
		return SMP_ERR_NOMEM;
	slash = strrchr(copy, '/');
	if (slash == copy)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		strcpy(copy, ".");
	if (stat(copy, &st) != 0) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot examine folder %s: %s",
		          copy, strerror(errno));
		rc = SMP_ERR_IO;
	} else if (!owner_ok(st.st_uid, flags)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "folder %s is not owned by root (uid %ld): refusing it", copy,
		          (long)st.st_uid);
		rc = SMP_ERR_INSECURE;
	} else if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "folder %s is writable by group or others (mode %04o): refusing it",
		          copy, (unsigned)(st.st_mode & 07777));
		rc = SMP_ERR_INSECURE;
	}
	free(copy);
	return rc;
}

/*
 * path may be a symbolic link, or a chain of them: every link on the way
 * must be owned by root (like the file), and the file they lead to must be
 * the one opened (st) and sit in a folder that passes check_folder() too,
 * so that a root-owned link cannot hand the loader a file from a folder
 * that someone else can write.
 */
static smp_status check_links(const char *path, const struct stat *st, unsigned flags,
                              smp_diags *d)
{
	char *cur = strdup(path), target[PATH_MAX];
	smp_status rc = SMP_OK;
	struct stat lst, real;

	if (cur == NULL)
		return SMP_ERR_NOMEM;
	for (int hops = 0;; hops++) {
		ssize_t n;
		char *next;

		if (lstat(cur, &lst) != 0 || !S_ISLNK(lst.st_mode))
			break;
		if (!owner_ok(lst.st_uid, flags)) {
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
			          "symbolic link %s not owned by root (uid %ld): refusing it", cur,
			          (long)lst.st_uid);
			rc = SMP_ERR_INSECURE;
			break;
		}
		n = readlink(cur, target, sizeof(target) - 1);
		if (hops == 16 || n < 0) {
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot follow the link %s", cur);
			rc = SMP_ERR_IO;
			break;
		}
		target[n] = '\0';
		if (target[0] == '/' || strrchr(cur, '/') == NULL) {
			next = strdup(target);
		} else {
			int dirlen = (int)(strrchr(cur, '/') - cur);

			if (asprintf(&next, "%.*s/%s", dirlen, cur, target) < 0)
				next = NULL;
		}
		free(cur);
		cur = next;
		if (cur == NULL)
			return SMP_ERR_NOMEM;
	}
	if (rc == SMP_OK && strcmp(cur, path) != 0) {
		if (stat(cur, &real) != 0 || real.st_dev != st->st_dev || real.st_ino != st->st_ino) {
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
			          "the link changed while it was read: refusing it");
			rc = SMP_ERR_INSECURE;
		} else {
			rc = check_folder(cur, flags, d);
		}
	}
	free(cur);
	return rc;
}

static smp_status check_file(const char *path, int fd, unsigned flags, smp_diags *d,
                             size_t *size)
{
	struct stat st;
	smp_status rc;

	if (fstat(fd, &st) != 0) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot examine: %s", strerror(errno));
		return SMP_ERR_IO;
	}
	rc = check_links(path, &st, flags, d);
	if (rc != SMP_OK)
		return rc;
	if (!S_ISREG(st.st_mode)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "not a regular file");
		return SMP_ERR_IO;
	}
	if (!owner_ok(st.st_uid, flags)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "not owned by root (uid %ld): refusing it", (long)st.st_uid);
		return SMP_ERR_INSECURE;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "writable by group or others (mode %04o): refusing it",
		          (unsigned)(st.st_mode & 07777));
		return SMP_ERR_INSECURE;
	}
	if ((uint64_t)st.st_size > SMP_MAX_FILE_SIZE) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "file too large (%lld bytes; the limit is %u MiB)",
		          (long long)st.st_size, SMP_MAX_FILE_SIZE >> 20);
		return SMP_ERR_IO;
	}
	*size = (size_t)st.st_size;
	return check_folder(path, flags, d);
}

/* Read all of fd into a NUL-terminated buffer of at most limit bytes. */
static smp_status read_all(int fd, size_t hint, char **out, size_t *len)
{
	size_t cap = hint + 1, n = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return SMP_ERR_NOMEM;
	for (;;) {
		ssize_t r;

		if (n + 1 == cap) {
			char *nb;

			if (cap > SMP_MAX_FILE_SIZE) {
				free(buf);
				return SMP_ERR_IO;   /* grew while we read it */
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				return SMP_ERR_NOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return SMP_ERR_IO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return SMP_OK;
}

/* A line whose first non-blank character is '@' is a libconfig directive
 * (@include); we never follow one: the records are one file each. */
static unsigned find_directive(const char *buf)
{
	unsigned line = 1;
	bool at_start = true;

	for (const char *s = buf; *s; s++) {
		if (*s == '\n') {
			line++;
			at_start = true;
		} else if (at_start && *s == '@') {
			return line;
		} else if (*s != ' ' && *s != '\t' && *s != '\r') {
			at_start = false;
		}
	}
	return 0;
}

/*
 * libconfig checks each new setting of a group against all the earlier
 * ones, so a group of n settings costs n^2/2 comparisons: 40,000 settings
 * take 11 s, a 64 MiB file of them would never finish.  And it grows a
 * list 16 elements at a time with realloc(): once the process has freed a
 * large block (glibc then raises its mmap threshold to 32 MiB, so realloc
 * copies instead of remapping) a list of 1,000,000 entries copies some
 * 250 GB.  No group of the schema has more than a dozen settings and none
 * nests deeper than 4, and a list of SMP_MAX_LIST entries costs at most a
 * few GB of copying, so a file with a group { } (or a top level) of more
 * than SMP_MAX_GROUP settings, a list ( ) or array [ ] of more than
 * SMP_MAX_LIST entries, brackets nested deeper than SMP_MAX_DEPTH, or a
 * string of more than SMP_MAX_STRING bytes (libconfig grows it 64 bytes at
 * a time: 1.3 MB took 43 s under AddressSanitizer) is refused before
 * libconfig reads it (more records go in more files).  The
 * scan follows libconfig's lexer: comments (#, //, slash-star) and strings
 * are skipped; '=' or ':' in a group starts a setting, ',' in a list the
 * next entry.  Returns the line of the fault, 0 if none.
 */
#define SMP_STR_(x) #x
#define SMP_STR(x) SMP_STR_(x)
#define SMP_MAX_GROUP 100
#define SMP_MAX_LIST 100000
#define SMP_MAX_DEPTH 32
#define SMP_MAX_STRING 65536   /* bytes of one string, adjacent "a" "b" joined */

static unsigned find_crowded_group(const char *s, const char **why)
{
	char open[SMP_MAX_DEPTH + 1];   /* '{', '(' or '[' per level; [0] the top */
	unsigned count[SMP_MAX_DEPTH + 1], line = 1;
	int depth = 0;
	size_t run = 0;             /* bytes of the string being joined */
	bool in_string_run = false;

	open[0] = '{';
	count[0] = 0;
	for (; *s; s++) {
		switch (*s) {
		case '\n':
			line++;
			continue;
		case '#':
			while (s[1] && s[1] != '\n')
				s++;
			continue;
		case '/':
			if (s[1] == '/') {
				while (s[1] && s[1] != '\n')
					s++;
				continue;
			} else if (s[1] == '*') {
				for (s += 2; *s && !(s[0] == '*' && s[1] == '/'); s++)
					line += *s == '\n';
				if (!*s)
					return 0;   /* unterminated: libconfig says so */
				s++;
				continue;
			}
			break;
		case '"':
			/* libconfig builds a string 64 bytes at a time: refuse a
			 * long one before it copies it quadratically */
			if (!in_string_run)
				run = 0;
			for (s++; *s && *s != '"'; s++, run++) {
				if (*s == '\\' && s[1])
					s++;
				line += *s == '\n';
			}
			if (!*s)
				return 0;
			if (run > SMP_MAX_STRING) {
				*why = "a string longer than " SMP_STR(SMP_MAX_STRING) " bytes";
				return line;
			}
			in_string_run = true;
			continue;   /* "a" "b" is one string */
		case ' ':
		case '\t':
		case '\r':
			continue;
		case '{':
		case '(':
		case '[':
			if (depth == SMP_MAX_DEPTH) {
				*why = "brackets nested too deep";
				return line;
			}
			open[++depth] = *s;
			count[depth] = 0;
			break;
		case '}':
		case ')':
		case ']':
			if (depth > 0)
				depth--;
			break;
		case '=':
		case ':':
			if (open[depth] == '{' && ++count[depth] > SMP_MAX_GROUP) {
				*why = "more than " SMP_STR(SMP_MAX_GROUP) " settings in one group";
				return line;
			}
			break;
		case ',':
			if (open[depth] != '{' && ++count[depth] >= SMP_MAX_LIST) {
				*why = "more than " SMP_STR(SMP_MAX_LIST) " entries in one list "
				       "(split the records into more files)";
				return line;
			}
			break;
		}
		in_string_run = false;   /* anything but blanks and comments */
	}
	return 0;
}

smp_status file_read_secure(const char *path, const char *read_from, unsigned flags,
                            char **out, size_t *len, smp_diags *d)
{
	int fd;
	size_t size = 0;
	smp_status rc;
	unsigned line;
	const char *nul, *why = NULL;

	if (read_from == NULL)
		read_from = path;
	fd = open(read_from, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot open: %s", strerror(errno));
		return SMP_ERR_IO;
	}
	rc = check_file(read_from, fd, flags, d, &size);
	if (rc == SMP_OK) {
		rc = read_all(fd, size, out, len);
		if (rc == SMP_ERR_IO)
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot read: %s",
			          errno ? strerror(errno) : "file changed while read");
	}
	close(fd);
	if (rc != SMP_OK)
		return rc;
	if ((nul = memchr(*out, '\0', *len)) != NULL) {
		unsigned nul_line = 1;

		for (const char *c = *out; c < nul; c++)
			nul_line += *c == '\n';
		diags_add(d, path, nul_line, SMP_SEV_ERROR, NULL, "contains a NUL byte");
		rc = SMP_ERR_PARSE;
	} else if ((line = find_directive(*out)) != 0) {
		diags_add(d, path, line, SMP_SEV_ERROR, NULL,
		          "directives such as @include are not allowed");
		rc = SMP_ERR_PARSE;
	} else if ((line = find_crowded_group(*out, &why)) != 0) {
		diags_add(d, path, line, SMP_SEV_ERROR, NULL, "%s: refusing the file", why);
		rc = SMP_ERR_PARSE;
	}
	if (rc != SMP_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- the loader's state ----------------------------------------------- */

struct source {
	char *path;            /* absolute, owned by the policy arena */
	char *text;            /* malloc'd */
	size_t *lines;         /* malloc'd: offset of each line in text, or NULL */
	size_t nlines;
	config_t cfg;
	bool parsed;
	smp_status status;     /* of reading it */
};

struct loader {
	smp_policy *p;
	smp_diags *d;
	unsigned flags;
	struct source **src;   /* [0] is smpolicy.conf, then the records; each
	                          allocated once: libconfig points into them */
	size_t nsrc;
	bool nomem;
	bool failed;           /* a structural error was found */
	struct time_memo times;  /* local days met in time strings */
};

static void err_at(struct loader *L, const char *file, unsigned line, const char *subject,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void err_at(struct loader *L, const char *file, unsigned line, const char *subject,
                   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	L->failed = true;
	if (!diags_add(L->d, file, line, SMP_SEV_ERROR, subject, "%s", msg))
		L->nomem = true;
}

/* ERR(L, file, line, subject, fmt, ...); AT(s) stands for "file, line" */
#define ERR(L, ...) err_at((L), __VA_ARGS__)

static const struct source *src_of(const config_setting_t *s)
{
	/* every setting knows its config_t; the loader keeps its source in
	 * the root setting's hook */
	return s != NULL ? s->config->root->hook : NULL;
}

static const char *src_file(const config_setting_t *s)
{
	const struct source *src = src_of(s);

	return src != NULL ? src->path : NULL;
}

/* Start of line n (1-based) of src's text, or NULL.  From the line index
 * (an error per entry must not cost a scan of the file each), or, if it
 * could not be allocated, by counting. */
static const char *line_start(const struct source *src, unsigned n)
{
	const char *text = src->text;

	if (src->lines != NULL)
		return n >= 1 && n <= src->nlines ? text + src->lines[n - 1] : NULL;
	for (unsigned line = 1; *text && line < n; text++)
		if (*text == '\n')
			line++;
	return *text || n <= 1 ? text : NULL;
}

static void index_lines(struct source *s, size_t len)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		n += s->text[i] == '\n';
	s->lines = malloc(n * sizeof(*s->lines));
	if (s->lines == NULL)
		return;   /* line_start() counts instead */
	s->lines[0] = 0;
	s->nlines = 1;
	for (size_t i = 0; i < len; i++)
		if (s->text[i] == '\n')
			s->lines[s->nlines++] = i + 1;
}

static bool line_has(const struct source *src, unsigned n, const char *needle, size_t len)
{
	const char *p = line_start(src, n), *end;

	if (p == NULL)
		return false;
	end = strchr(p, '\n');
	if (end == NULL)
		end = p + strlen(p);
	for (; p + len <= end; p++)
		if (memcmp(p, needle, len) == 0)
			return true;
	return false;
}

/*
 * libconfig gives a scalar the line of the token read after it, which is
 * the next line when the value ends a line inside a list or a group
 * ("tiktok"\n];).  Find the line that really holds the setting: its name,
 * or for a list element its string value, on that line or a few above.
 */
static unsigned src_line(const config_setting_t *s)
{
	const struct source *src = src_of(s);
	char needle[64];
	size_t len;

	if (s == NULL)
		return 0;
	if (src == NULL || src->text == NULL || s->line <= 1)
		return s->line;
	if (s->name != NULL) {
		len = strlen(s->name);
		if (len >= sizeof(needle))
			return s->line;
		memcpy(needle, s->name, len);
	} else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);

		len = strcspn(v, "\"\\\n\t");
		if (len > sizeof(needle) - 2)
			len = sizeof(needle) - 2;
		needle[0] = '"';
		memcpy(needle + 1, v, len);
		len++;
	} else {
		return s->line;
	}
	for (unsigned back = 0; back < 8 && back < s->line; back++)
		if (line_has(src, s->line - back, needle, len))
			return s->line - back;
	return s->line;
}

#define AT(s) src_file(s), src_line(s)

/* ---- the schema ------------------------------------------------------- */

enum ftype { F_STR, F_BOOL, F_INT, F_STRLIST, F_TIME, F_GROUP, F_LIST };

struct field {
	const char *name;
	enum ftype type;
	bool required;
};

static const char *ftype_name(enum ftype t)
{
	switch (t) {
	case F_STR: return "a string";
	case F_BOOL: return "true or false";
	case F_INT: return "an integer";
	case F_STRLIST: return "an array of strings";
	case F_TIME: return "a time string";
	case F_GROUP: return "a group { ... }";
	case F_LIST: return "a list ( ... )";
	}
	return "?";
}

static bool type_matches(const config_setting_t *s, enum ftype t)
{
	int ty = config_setting_type(s);

	switch (t) {
	case F_STR:
	case F_TIME:
		return ty == CONFIG_TYPE_STRING;
	case F_BOOL:
		return ty == CONFIG_TYPE_BOOL;
	case F_INT:
		return ty == CONFIG_TYPE_INT || ty == CONFIG_TYPE_INT64;
	case F_GROUP:
		return ty == CONFIG_TYPE_GROUP;
	case F_LIST:
		return ty == CONFIG_TYPE_LIST || (ty == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0);
	case F_STRLIST:
		if (ty != CONFIG_TYPE_ARRAY && ty != CONFIG_TYPE_LIST)
			return false;
		for (int i = 0; i < config_setting_length(s); i++)
			if (config_setting_type(config_setting_get_elem(s, i)) != CONFIG_TYPE_STRING)
				return false;
		return true;
	}
	return false;
}

/* Levenshtein distance, small strings only: for "did you mean". */
static unsigned edit_distance(const char *a, const char *b)
{
	unsigned row[40], la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la >= 39 || lb >= 39)
		return 99;
	for (unsigned j = 0; j <= lb; j++)
		row[j] = j;
	for (unsigned i = 1; i <= la; i++) {
		unsigned prev = row[0]++;

		for (unsigned j = 1; j <= lb; j++) {
			unsigned cur = row[j];
			unsigned best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static const char *suggest(const char *name, const struct field *fields)
{
	const char *best = NULL;
	unsigned bestd = 3;

	for (const struct field *f = fields; f->name; f++) {
		unsigned dist = edit_distance(name, f->name);

		if (dist < bestd) {
			bestd = dist;
			best = f->name;
		}
	}
	return best;
}

/*
 * Check a group's members against the schema: unknown keys, wrong types and
 * missing required keys are errors.  what names the entry ("approval
 * 'LT-1'").  Returns false if anything was wrong.
 */
static bool check_fields(struct loader *L, const config_setting_t *g, const char *what,
                         const struct field *fields)
{
	bool ok = true;

	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, i);
		const struct field *f;

		for (f = fields; f->name && strcmp(f->name, m->name) != 0; f++)
			;
		if (f->name == NULL) {
			const char *s = suggest(m->name, fields);

			if (s)
				ERR(L, AT(m), NULL, "%s: unknown key '%s' (did you mean '%s'?)",
				    what, m->name, s);
			else
				ERR(L, AT(m), NULL, "%s: unknown key '%s'", what, m->name);
			ok = false;
		} else if (!type_matches(m, f->type)) {
			ERR(L, AT(m), NULL, "%s: '%s' must be %s", what, m->name, ftype_name(f->type));
			ok = false;
		}
	}
	for (const struct field *f = fields; f->name; f++) {
		if (f->required && config_setting_get_member(g, f->name) == NULL) {
			ERR(L, AT(g), NULL, "%s: missing required key '%s'", what, f->name);
			ok = false;
		}
	}
	return ok;
}

/* The member name of g if present with the right type, else NULL (a wrong
 * type has already been reported by check_fields). */
static const config_setting_t *member(const config_setting_t *g, const char *name,
                                      enum ftype t)
{
	const config_setting_t *m = config_setting_get_member(g, name);

	return (m != NULL && type_matches(m, t)) ? m : NULL;
}

static const char *str_member(const config_setting_t *g, const char *name)
{
	const config_setting_t *m = member(g, name, F_STR);

	return m ? config_setting_get_string(m) : NULL;
}

static bool bool_member(const config_setting_t *g, const char *name, bool dflt)
{
	const config_setting_t *m = member(g, name, F_BOOL);

	return m ? config_setting_get_bool(m) != 0 : dflt;
}

static char *dup_or_null(struct loader *L, const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = arena_strdup(&L->p->mem, s);
	if (d == NULL)
		L->nomem = true;
	return d;
}

/* A time member: false if present and bad (reported). */
static bool time_member(struct loader *L, const config_setting_t *g, const char *name,
                        smp_time_edge edge, const char *what, struct opt_time *out)
{
	const config_setting_t *m = member(g, name, F_TIME);
	const char *s;

	out->set = false;
	if (m == NULL)
		return true;
	s = config_setting_get_string(m);
	if (time_parse_memo(&L->times, s, edge, &out->t) != SMP_OK) {
		ERR(L, AT(m), NULL,
		    "%s: %s: '%s' is not a valid time (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], "
		    "optionally with Z or +HH:MM; it must exist in the local time zone)",
		    what, name, s);
		return false;
	}
	out->set = true;
	return true;
}

/* Resolve a reference; reports a dangling one.  Returns NONE if absent or
 * dangling. */
static uint32_t ref_member(struct loader *L, const config_setting_t *g, const char *name,
                           const struct idmap *ix, const char *kind, const char *what)
{
	const config_setting_t *m = member(g, name, F_STR);
	uint32_t i;

	if (m == NULL)
		return NONE;
	i = idmap_find(ix, config_setting_get_string(m));
	if (i == NONE)
		ERR(L, AT(m), NULL, "%s: %s '%s' does not exist", what, kind,
		    config_setting_get_string(m));
	return i;
}

/*
 * libconfig 1.5 silently truncates integers that do not fit in 32 bits
 * ("x = 99999999999;" reads as 1215752191).  Re-read the literal from the
 * text and refuse anything that was not read exactly.
 */
static bool int_exact(const struct source *src, const config_setting_t *m, long long *out)
{
	const char *s = src->text;
	long long v = config_setting_get_int64(m);
	size_t nlen = strlen(m->name);

	unsigned at = src_line(m);

	for (unsigned line = 1; *s && line < at; s++)
		if (*s == '\n')
			line++;
	for (; *s && *s != '\n'; s++) {
		if (strncmp(s, m->name, nlen) == 0 && (s == src->text || s[-1] == ' ' ||
		    s[-1] == '\t' || s[-1] == '{' || s[-1] == ';' || s[-1] == '\n')) {
			const char *q = s + nlen;
			char *end;
			long long lit;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q != '=' && *q != ':')
				continue;
			q++;
			while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
				q++;   /* "warn_days =\n  99999999999;" */
			errno = 0;
			lit = strtoll(q, &end, 0);
			if (end == q)
				continue;
			if (errno == ERANGE || lit != v)
				return false;
			*out = v;
			return true;
		}
	}
	return false;   /* the literal is not where libconfig read it: do not trust v */
}

static int int_setting(struct loader *L, const struct source *src, const config_setting_t *g,
                       const char *name, int dflt, int lo, int hi)
{
	const config_setting_t *m = member(g, name, F_INT);
	long long v;

	if (m == NULL)
		return dflt;
	if (!int_exact(src, m, &v) || v < lo || v > hi) {
		ERR(L, AT(m), NULL, "settings: %s must be an integer from %d to %d", name, lo, hi);
		return dflt;
	}
	return (int)v;
}

/* ---- file-level parsing ----------------------------------------------- */

static char *absolute_path(struct loader *L, const char *base_dir, const char *path)
{
	char *r;
	size_t n;

	if (path[0] == '/')
		return dup_or_null(L, path);
	n = strlen(base_dir) + strlen(path) + 2;
	r = arena_alloc(&L->p->mem, n);
	if (r == NULL) {
		L->nomem = true;
		return NULL;
	}
	snprintf(r, n, "%s/%s", base_dir, path);
	return r;
}

static char *folder_of(struct loader *L, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *r;

	if (slash == path)
		return dup_or_null(L, "/");
	r = arena_strndup(&L->p->mem, path, (size_t)(slash - path));
	if (r == NULL)
		L->nomem = true;
	return r;
}

static smp_status parse_source(struct loader *L, struct source *s, const char *read_from)
{
	size_t len;
	smp_status rc;

	rc = file_read_secure(s->path, read_from, L->flags, &s->text, &len, L->d);
	s->status = rc;
	if (rc != SMP_OK) {
		L->failed = true;
		return rc;
	}
	index_lines(s, len);
	config_init(&s->cfg);
	s->parsed = true;
	config_set_auto_convert(&s->cfg, 0);
	if (config_read_string(&s->cfg, s->text) != CONFIG_TRUE) {
		ERR(L, s->path, (unsigned)config_error_line(&s->cfg), NULL, "%s",
		    config_error_text(&s->cfg) ? config_error_text(&s->cfg) : "syntax error");
		return SMP_ERR_PARSE;
	}
	config_root_setting(&s->cfg)->hook = s;
	return SMP_OK;
}

static const struct field conf_top[] = {
	{ "version", F_INT, true }, { "settings", F_GROUP, true },
	{ "platforms", F_LIST, false }, { "offices", F_LIST, false }, { NULL, 0, false },
};

static const struct field settings_fields[] = {
	{ "records", F_STRLIST, true }, { "max_approved_per_office", F_INT, false },
	{ "cap_counts", F_STR, false }, { "warn_days", F_INT, false },
	{ "long_term_max_days", F_INT, false }, { "audit", F_STR, false },
	{ NULL, 0, false },
};

static const struct field records_top[] = {
	{ "staff", F_LIST, false }, { "devices", F_LIST, false },
	{ "accounts", F_LIST, false }, { "approvals", F_LIST, false }, { NULL, 0, false },
};

static void parse_settings(struct loader *L, const config_setting_t *root,
                           const char *conf_dir)
{
	const config_setting_t *st = member(root, "settings", F_GROUP);
	const config_setting_t *v = member(root, "version", F_INT);
	struct settings *set = &L->p->set;
	const char *cc, *audit;
	long long ver;

	if (v != NULL && (!int_exact(L->src[0], v, &ver) || ver != 1))
		ERR(L, AT(v), NULL, "version must be 1 (this is libsmpolicy 1)");
	set->max_per_office = 2;
	set->warn_days = 14;
	set->long_term_max_days = 365;
	if (st == NULL || !check_fields(L, st, "settings", settings_fields))
		return;
	set->max_per_office = int_setting(L, L->src[0], st, "max_approved_per_office", 2, 1, 1000000);
	set->warn_days = int_setting(L, L->src[0], st, "warn_days", 14, 0, 36500);
	set->long_term_max_days = int_setting(L, L->src[0], st, "long_term_max_days", 365, 1, 36500);
	cc = str_member(st, "cap_counts");
	if (cc != NULL && strcmp(cc, "all") != 0 && strcmp(cc, "long_term") != 0)
		ERR(L, AT(member(st, "cap_counts", F_STR)), NULL,
		    "settings: cap_counts must be \"all\" or \"long_term\", not '%s'", cc);
	set->cap_long_term_only = cc != NULL && strcmp(cc, "long_term") == 0;
	audit = str_member(st, "audit");
	if (audit != NULL && audit[0] == '\0')
		ERR(L, AT(member(st, "audit", F_STR)), NULL, "settings: audit must not be empty");
	else if (audit != NULL)
		set->audit = absolute_path(L, conf_dir, audit);
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

/* ---- entries ---------------------------------------------------------- */

/* Iterate the entries of list `name` in every source [from, to). */
struct entry_iter {
	struct loader *L;
	size_t src, to;
	int idx;
	const char *name;
};

static const config_setting_t *next_entry(struct entry_iter *it)
{
	for (; it->src < it->to; it->src++, it->idx = 0) {
		struct source *s = it->L->src[it->src];
		const config_setting_t *list;

		if (!s->parsed || config_error_type(&s->cfg) != CONFIG_ERR_NONE)
			continue;
		list = member(config_root_setting(&s->cfg), it->name, F_LIST);
		if (list != NULL && it->idx < config_setting_length(list))
			return config_setting_get_elem(list, (unsigned)it->idx++);
	}
	return NULL;
}

static size_t count_entries(struct loader *L, const char *name, size_t from, size_t to)
{
	struct entry_iter it = { L, from, to, 0, name };
	size_t n = 0;

	while (next_entry(&it) != NULL)
		n++;
	return n;
}

/*
 * First pass for one kind of entry: allocate the array, check every entry
 * is a group with a valid, unique id, and index the ids.  The id pointers
 * are stored at ids[i * stride] (the id field of each struct).
 * Returns the entries in order (malloc'd), or NULL on OOM.
 */
static const config_setting_t **index_entries(struct loader *L, const char *list,
                                              const char *kind, size_t from, size_t to,
                                              void **array, size_t elem, size_t *count,
                                              struct idmap *ix)
{
	size_t n = count_entries(L, list, from, to), k = 0;
	struct entry_iter it = { L, from, to, 0, list };
	const config_setting_t **ents = calloc(n + 1, sizeof(*ents));
	const config_setting_t *e;

	*array = arena_alloc(&L->p->mem, (n + 1) * elem);
	if (ents == NULL || *array == NULL || !idmap_init(ix, &L->p->mem, n)) {
		free(ents);
		L->nomem = true;
		return NULL;
	}
	while ((e = next_entry(&it)) != NULL) {
		const config_setting_t *idm;
		const char *id;
		char **slot = (char **)((char *)*array + k * elem);   /* id is first */
		uint32_t prev;

		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			ERR(L, AT(e), NULL, "%s: each entry must be a group { ... }", list);
			continue;
		}
		idm = config_setting_get_member(e, "id");
		if (idm == NULL) {
			ERR(L, AT(e), NULL, "%s entry: missing required key 'id'", kind);
			continue;
		}
		if (!type_matches(idm, F_STR)) {
			ERR(L, AT(idm), NULL, "%s entry: 'id' must be a string", kind);
			continue;
		}
		id = config_setting_get_string(idm);
		if (!id_is_valid(id)) {
			ERR(L, AT(idm), NULL,
			    "%s id '%s' is not valid: use 1 to %d of the characters A-Z a-z 0-9 . _ - @",
			    kind, id, SMP_MAX_ID_LEN);
			continue;
		}
		*slot = dup_or_null(L, id);
		if (*slot == NULL)
			break;
		prev = idmap_insert(ix, *slot, (uint32_t)k);
		if (prev != NONE) {
			ERR(L, AT(idm), id, "duplicate %s id '%s' (first defined at %s:%u)", kind, id,
			    ents[prev] ? src_file(ents[prev]) : "?",
			    ents[prev] ? ents[prev]->line : 0);
			*slot = NULL;
			continue;
		}
		ents[k++] = e;
	}
	*count = k;
	return ents;
}

static void set_where(struct where *w, const config_setting_t *e)
{
	w->file = src_file(e);
	w->line = config_setting_source_line(e);
}

static char *entry_what(struct loader *L, const char *kind, const char *id)
{
	size_t n = strlen(kind) + strlen(id) + 4;
	char *s = arena_alloc(&L->p->mem, n);

	if (s == NULL) {
		L->nomem = true;
		return (char *)kind;
	}
	snprintf(s, n, "%s '%s'", kind, id);
	return s;
}

/* Resolve a string list of references into indexes. */
static uint32_t *ref_list(struct loader *L, const config_setting_t *g, const char *name,
                          const struct idmap *ix, const char *kind, const char *what,
                          size_t *n)
{
	const config_setting_t *m = member(g, name, F_STRLIST);
	uint32_t *v;
	size_t k = 0;

	*n = 0;
	if (m == NULL)
		return NULL;
	v = arena_alloc(&L->p->mem, ((size_t)config_setting_length(m) + 1) * sizeof(*v));
	if (v == NULL) {
		L->nomem = true;
		return NULL;
	}
	for (int i = 0; i < config_setting_length(m); i++) {
		const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
		const char *id = config_setting_get_string(e);
		uint32_t x = idmap_find(ix, id);

		if (x == NONE) {
			ERR(L, AT(e), NULL, "%s: %s: %s '%s' does not exist", what, name, kind, id);
			continue;
		}
		for (size_t j = 0; j < k; j++)
			if (v[j] == x)
				ERR(L, AT(e), NULL, "%s: %s: '%s' is listed twice", what, name, id);
		v[k++] = x;
	}
	*n = k;
	return v;
}

static const struct field platform_fields[] = {
	{ "id", F_STR, true }, { "name", F_STR, true }, { "domains", F_STRLIST, false },
	{ "mobile_only", F_BOOL, false }, { "private_messaging", F_BOOL, false },
	{ NULL, 0, false },
};

static void load_platforms(struct loader *L)
{
	smp_policy *p = L->p;
	const config_setting_t **e = index_entries(L, "platforms", "platform", 0, 1,
	                                           (void **)&p->platforms, sizeof(*p->platforms),
	                                           &p->nplatforms, &p->platform_ix);

	for (size_t i = 0; e && i < p->nplatforms; i++) {
		struct platform *pl = &p->platforms[i];
		const char *what = entry_what(L, "platform", pl->id);
		const config_setting_t *dom;

		check_fields(L, e[i], what, platform_fields);
		set_where(&pl->at, e[i]);
		pl->name = dup_or_null(L, str_member(e[i], "name"));
		pl->mobile_only = bool_member(e[i], "mobile_only", false);
		pl->private_messaging = bool_member(e[i], "private_messaging", true);
		dom = member(e[i], "domains", F_STRLIST);
		if (dom != NULL) {
			int n = config_setting_length(dom);

			pl->domains = arena_alloc(&p->mem, ((size_t)n + 1) * sizeof(char *));
			for (int j = 0; pl->domains && j < n; j++)
				pl->domains[j] = dup_or_null(L, config_setting_get_string_elem(dom, j));
			if (pl->domains == NULL)
				L->nomem = true;
		}
	}
	free(e);
}

static const struct field office_fields[] = {
	{ "id", F_STR, true }, { "name", F_STR, true }, { "kind", F_STR, true },
	{ NULL, 0, false },
};

static void load_offices(struct loader *L)
{
	smp_policy *p = L->p;
	const config_setting_t **e = index_entries(L, "offices", "office", 0, 1,
	                                           (void **)&p->offices, sizeof(*p->offices),
	                                           &p->noffices, &p->office_ix);

	for (size_t i = 0; e && i < p->noffices; i++) {
		struct office *o = &p->offices[i];
		const char *what = entry_what(L, "office", o->id);
		const char *kind;

		check_fields(L, e[i], what, office_fields);
		set_where(&o->at, e[i]);
		o->name = dup_or_null(L, str_member(e[i], "name"));
		kind = str_member(e[i], "kind");
		if (kind != NULL && strcmp(kind, "local") != 0 && strcmp(kind, "area") != 0)
			ERR(L, AT(member(e[i], "kind", F_STR)), o->id,
			    "%s: kind must be \"local\" or \"area\", not '%s'", what, kind);
		o->kind = dup_or_null(L, kind);
	}
	free(e);
}

static const struct field staff_fields[] = {
	{ "id", F_STR, true }, { "name", F_STR, false }, { "office", F_STR, true },
	{ "roles", F_STRLIST, true }, { "supervisor", F_STR, false }, { NULL, 0, false },
};

static const struct {
	const char *name;
	unsigned bit;
} role_names[] = {
	{ "worker", ROLE_WORKER }, { "supervisor", ROLE_SUPERVISOR },
	{ "local_office_manager", ROLE_LOM }, { "director_cpp", ROLE_DIRECTOR_CPP },
	{ "director_it", ROLE_DIRECTOR_IT },
};

static unsigned parse_roles(struct loader *L, const config_setting_t *g, const char *what)
{
	const config_setting_t *m = member(g, "roles", F_STRLIST);
	unsigned bits = 0;

	for (int i = 0; m && i < config_setting_length(m); i++) {
		const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
		const char *r = config_setting_get_string(e);
		size_t k;

		for (k = 0; k < sizeof(role_names) / sizeof(role_names[0]); k++)
			if (strcmp(role_names[k].name, r) == 0)
				break;
		if (k == sizeof(role_names) / sizeof(role_names[0]))
			ERR(L, AT(e), NULL,
			    "%s: unknown role '%s' (roles: worker, supervisor, local_office_manager, "
			    "director_cpp, director_it)", what, r);
		else
			bits |= role_names[k].bit;
	}
	return bits;
}

static void load_staff(struct loader *L, const config_setting_t **e)
{
	smp_policy *p = L->p;

	for (size_t i = 0; e && i < p->nstaff; i++) {
		struct staff *s = &p->staff[i];
		const char *what = entry_what(L, "staff", s->id);

		check_fields(L, e[i], what, staff_fields);
		set_where(&s->at, e[i]);
		s->name = dup_or_null(L, str_member(e[i], "name"));
		s->office = ref_member(L, e[i], "office", &p->office_ix, "office", what);
		s->roles = parse_roles(L, e[i], what);
		s->supervisor = ref_member(L, e[i], "supervisor", &p->staff_ix, "staff member", what);
		if (s->supervisor == i)
			ERR(L, AT(e[i]), s->id, "%s: is their own supervisor", what);
	}
}

static const struct field device_fields[] = {
	{ "id", F_STR, true }, { "kind", F_STR, true }, { "owner", F_STR, true },
	{ "office", F_STR, false }, { "apps", F_STRLIST, false }, { NULL, 0, false },
};

static void load_devices(struct loader *L, const config_setting_t **e)
{
	smp_policy *p = L->p;

	for (size_t i = 0; e && i < p->ndevices; i++) {
		struct device *dv = &p->devices[i];
		const char *what = entry_what(L, "device", dv->id);
		const char *kind, *owner;

		check_fields(L, e[i], what, device_fields);
		set_where(&dv->at, e[i]);
		kind = str_member(e[i], "kind");
		owner = str_member(e[i], "owner");
		if (kind != NULL && strcmp(kind, "workstation") == 0)
			dv->kind = DEV_WORKSTATION;
		else if (kind != NULL && strcmp(kind, "mobile") == 0)
			dv->kind = DEV_MOBILE;
		else if (kind != NULL)
			ERR(L, AT(member(e[i], "kind", F_STR)), NULL,
			    "%s: kind must be \"workstation\" or \"mobile\", not '%s'", what, kind);
		if (owner != NULL && strcmp(owner, "dcf") == 0)
			dv->dcf_owned = true;
		else if (owner != NULL && strcmp(owner, "personal") != 0)
			ERR(L, AT(member(e[i], "owner", F_STR)), NULL,
			    "%s: owner must be \"dcf\" or \"personal\", not '%s'", what, owner);
		dv->office = ref_member(L, e[i], "office", &p->office_ix, "office", what);
		dv->apps = ref_list(L, e[i], "apps", &p->platform_ix, "platform", what, &dv->napps);
		if (member(e[i], "apps", F_STRLIST) != NULL && kind != NULL &&
		    strcmp(kind, "workstation") == 0)
			ERR(L, AT(member(e[i], "apps", F_STRLIST)), NULL,
			    "%s: apps are approved on mobile devices only", what);
	}
}

static const struct field account_fields[] = {
	{ "id", F_STR, true }, { "platform", F_STR, true }, { "handle", F_STR, false },
	{ "holder", F_STR, true }, { "official", F_BOOL, true },
	{ "personal_info", F_BOOL, false }, { "supervisor", F_STR, false },
	{ "password_changed", F_TIME, false }, { "password_escrowed", F_TIME, false },
	{ "compromised", F_GROUP, false }, { NULL, 0, false },
};

static const struct field compromised_fields[] = {
	{ "reported", F_TIME, true }, { "resolved", F_TIME, false }, { NULL, 0, false },
};

static void load_accounts(struct loader *L, const config_setting_t **e)
{
	smp_policy *p = L->p;

	for (size_t i = 0; e && i < p->naccounts; i++) {
		struct account *a = &p->accounts[i];
		const char *what = entry_what(L, "account", a->id);
		const config_setting_t *c;

		check_fields(L, e[i], what, account_fields);
		set_where(&a->at, e[i]);
		a->handle = dup_or_null(L, str_member(e[i], "handle"));
		a->platform = ref_member(L, e[i], "platform", &p->platform_ix, "platform", what);
		a->holder = ref_member(L, e[i], "holder", &p->staff_ix, "staff member", what);
		a->supervisor = ref_member(L, e[i], "supervisor", &p->staff_ix, "staff member", what);
		a->official = bool_member(e[i], "official", false);
		a->personal_info = bool_member(e[i], "personal_info", false);
		time_member(L, e[i], "password_changed", SMP_TIME_START, what, &a->password_changed);
		time_member(L, e[i], "password_escrowed", SMP_TIME_START, what, &a->password_escrowed);
		c = member(e[i], "compromised", F_GROUP);
		if (c != NULL && check_fields(L, c, what, compromised_fields)) {
			time_member(L, c, "reported", SMP_TIME_START, what, &a->compromised_reported);
			time_member(L, c, "resolved", SMP_TIME_START, what, &a->compromised_resolved);
			if (a->compromised_reported.set && a->compromised_resolved.set &&
			    a->compromised_resolved.t < a->compromised_reported.t)
				ERR(L, AT(c), a->id, "%s: compromise resolved before it was reported", what);
		}
	}
}

static const struct field approval_fields[] = {
	{ "id", F_STR, true }, { "staff", F_STR, true }, { "kind", F_STR, true },
	{ "platforms", F_STRLIST, true }, { "ticket", F_STR, false },
	{ "requested_by", F_STR, false }, { "requested", F_TIME, false },
	{ "approved_cpp", F_GROUP, false }, { "approved_it", F_GROUP, false },
	{ "starts", F_TIME, false }, { "expires", F_TIME, false },
	{ "revoked", F_GROUP, false }, { NULL, 0, false },
};

static const struct field sign_off_fields[] = {
	{ "by", F_STR, true }, { "on", F_TIME, true }, { NULL, 0, false },
};

static const struct field revoked_fields[] = {
	{ "on", F_TIME, true }, { "by", F_STR, true }, { "reason", F_STR, true },
	{ NULL, 0, false },
};

static void load_sign_off(struct loader *L, const config_setting_t *g, const char *name,
                          const char *what, struct sign_off *so)
{
	const config_setting_t *m = member(g, name, F_GROUP);
	struct opt_time on;

	if (m == NULL || !check_fields(L, m, what, sign_off_fields))
		return;
	so->by = ref_member(L, m, "by", &L->p->staff_ix, "staff member", what);
	if (!time_member(L, m, "on", SMP_TIME_START, what, &on) || so->by == NONE)
		return;
	so->present = true;
	so->on = on.t;
	set_where(&so->at, m);
}

static void load_approval(struct loader *L, const config_setting_t *e, struct approval *a)
{
	smp_policy *p = L->p;
	const char *what = entry_what(L, "approval", a->id);
	const char *kind, *ticket;
	const config_setting_t *r;

	check_fields(L, e, what, approval_fields);
	set_where(&a->at, e);
	a->staff = ref_member(L, e, "staff", &p->staff_ix, "staff member", what);
	kind = str_member(e, "kind");
	if (kind != NULL && strcmp(kind, "long_term") == 0)
		a->kind = KIND_LONG_TERM;
	else if (kind != NULL && strcmp(kind, "limited") == 0)
		a->kind = KIND_LIMITED;
	else if (kind != NULL)
		ERR(L, AT(member(e, "kind", F_STR)), a->id,
		    "%s: kind must be \"long_term\" or \"limited\", not '%s'", what, kind);
	a->platforms = ref_list(L, e, "platforms", &p->platform_ix, "platform", what,
	                        &a->nplatforms);
	if (member(e, "platforms", F_STRLIST) != NULL && a->nplatforms == 0 &&
	    config_setting_length(member(e, "platforms", F_STRLIST)) == 0)
		ERR(L, AT(member(e, "platforms", F_STRLIST)), a->id,
		    "%s: platforms must name at least one platform", what);
	a->platform_ids = arena_alloc(&p->mem, (a->nplatforms + 1) * sizeof(char *));
	if (a->platform_ids == NULL)
		L->nomem = true;
	for (size_t j = 0; a->platform_ids && j < a->nplatforms; j++)
		a->platform_ids[j] = p->platforms[a->platforms[j]].id;
	ticket = str_member(e, "ticket");
	if (ticket != NULL && ticket[0] == '\0')
		ERR(L, AT(member(e, "ticket", F_STR)), a->id, "%s: ticket must not be empty", what);
	a->ticket = dup_or_null(L, ticket);
	a->requested_by = ref_member(L, e, "requested_by", &p->staff_ix, "staff member", what);
	time_member(L, e, "requested", SMP_TIME_START, what, &a->requested);
	load_sign_off(L, e, "approved_cpp", what, &a->cpp);
	load_sign_off(L, e, "approved_it", what, &a->it);
	time_member(L, e, "starts", SMP_TIME_START, what, &a->starts);
	time_member(L, e, "expires", SMP_TIME_END, what, &a->expires);
	r = member(e, "revoked", F_GROUP);
	if (r != NULL && check_fields(L, r, what, revoked_fields)) {
		struct opt_time on;

		a->revoked.by = ref_member(L, r, "by", &p->staff_ix, "staff member", what);
		a->revoked.reason = dup_or_null(L, str_member(r, "reason"));
		if (time_member(L, r, "on", SMP_TIME_START, what, &on) && on.set) {
			a->revoked.present = true;
			a->revoked.on = on.t;
		}
	}
}

/* Per-staff lists of approvals and held accounts. */
static void link_staff(struct loader *L)
{
	smp_policy *p = L->p;
	size_t *na = calloc(p->nstaff + 1, sizeof(size_t));
	size_t *nc = calloc(p->nstaff + 1, sizeof(size_t));

	if (na == NULL || nc == NULL)
		goto oom;
	for (size_t i = 0; i < p->napprovals; i++)
		if (p->approvals[i].staff != NONE)
			na[p->approvals[i].staff]++;
	for (size_t i = 0; i < p->naccounts; i++)
		if (p->accounts[i].holder != NONE)
			nc[p->accounts[i].holder]++;
	for (size_t i = 0; i < p->nstaff; i++) {
		p->staff[i].approvals = arena_alloc(&p->mem, (na[i] + 1) * sizeof(uint32_t));
		p->staff[i].accounts = arena_alloc(&p->mem, (nc[i] + 1) * sizeof(uint32_t));
		if (p->staff[i].approvals == NULL || p->staff[i].accounts == NULL)
			goto oom;
	}
	for (size_t i = 0; i < p->napprovals; i++) {
		struct staff *s;

		if (p->approvals[i].staff == NONE)
			continue;
		s = &p->staff[p->approvals[i].staff];
		s->approvals[s->napprovals++] = (uint32_t)i;
	}
	for (size_t i = 0; i < p->naccounts; i++) {
		struct staff *s;

		if (p->accounts[i].holder == NONE)
			continue;
		s = &p->staff[p->accounts[i].holder];
		s->accounts[s->naccounts++] = (uint32_t)i;
	}
	/* per staff member and platform, the approvals naming it: a decision
	 * looks at these only */
	for (size_t i = 0; i < p->nstaff; i++) {
		struct staff *s = &p->staff[i];
		size_t total = 0;
		uint32_t *fill;

		s->platform_start = arena_alloc(&p->mem, (p->nplatforms + 2) * sizeof(uint32_t));
		if (s->platform_start == NULL)
			goto oom;
		for (size_t j = 0; j < s->napprovals; j++) {
			const struct approval *a = &p->approvals[s->approvals[j]];

			for (size_t k = 0; k < a->nplatforms; k++)
				s->platform_start[a->platforms[k] + 1]++;
			total += a->nplatforms;
		}
		for (size_t k = 0; k < p->nplatforms; k++)
			s->platform_start[k + 1] += s->platform_start[k];
		s->by_platform = arena_alloc(&p->mem, (total + 1) * sizeof(uint32_t));
		fill = calloc(p->nplatforms + 1, sizeof(uint32_t));
		if (s->by_platform == NULL || fill == NULL) {
			free(fill);
			goto oom;
		}
		for (size_t j = 0; j < s->napprovals; j++) {
			const struct approval *a = &p->approvals[s->approvals[j]];

			for (size_t k = 0; k < a->nplatforms; k++) {
				uint32_t pl = a->platforms[k];

				s->by_platform[s->platform_start[pl] + fill[pl]++] = s->approvals[j];
			}
		}
		free(fill);
	}
	free(na);
	free(nc);
	return;
oom:
	free(na);
	free(nc);
	L->nomem = true;
}

static void load_records(struct loader *L)
{
	smp_policy *p = L->p;
	size_t n = L->nsrc;
	const config_setting_t **st, **dv, **ac, **ap;

	/* ids first, so that references may point forward and across files */
	st = index_entries(L, "staff", "staff", 1, n, (void **)&p->staff, sizeof(*p->staff),
	                   &p->nstaff, &p->staff_ix);
	dv = index_entries(L, "devices", "device", 1, n, (void **)&p->devices,
	                   sizeof(*p->devices), &p->ndevices, &p->device_ix);
	ac = index_entries(L, "accounts", "account", 1, n, (void **)&p->accounts,
	                   sizeof(*p->accounts), &p->naccounts, &p->account_ix);
	ap = index_entries(L, "approvals", "approval", 1, n, (void **)&p->approvals,
	                   sizeof(*p->approvals), &p->napprovals, &p->approval_ix);
	if (st && dv && ac && ap && !L->nomem) {
		load_staff(L, st);
		load_devices(L, dv);
		load_accounts(L, ac);
		for (size_t i = 0; i < p->napprovals && !L->nomem; i++)
			load_approval(L, ap[i], &p->approvals[i]);
		if (!L->nomem)
			link_staff(L);
	}
	free(st);
	free(dv);
	free(ac);
	free(ap);
}

/* ---- the entry points ------------------------------------------------- */

static char *make_config_path(struct loader *L, const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return dup_or_null(L, path);
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		ERR(L, path, 0, NULL, "cannot resolve a relative path: %s", strerror(errno));
		return NULL;
	}
	return absolute_path(L, cwd, path);
}

static smp_status finish(struct loader *L, smp_status rc, smp_policy **out, smp_diags **diags)
{
	for (size_t i = 0; i < L->nsrc; i++) {
		if (L->src[i]->parsed)
			config_destroy(&L->src[i]->cfg);
		free(L->src[i]->text);
		free(L->src[i]->lines);
		free(L->src[i]);
	}
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

smp_status policy_load_ex(const char *config_path, unsigned flags,
                          const char *records_path, const char *records_from,
                          smp_policy **out, smp_diags **diags)
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
	L.src[0]->path = L.p->config_path;
	rc = parse_source(&L, L.src[0], NULL);
	if (rc != SMP_OK)
		return finish(&L, rc, out, diags);
	check_fields(&L, config_root_setting(&L.src[0]->cfg), "smpolicy.conf", conf_top);
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
	if (rc == SMP_OK && !L.failed && !L.nomem && !policy_derive(L.p))
		L.nomem = true;
	return finish(&L, rc, out, diags);
}

smp_status smp_policy_load(const char *config_path, unsigned flags, smp_policy **out,
                           smp_diags **diags)
{
	return policy_load_ex(config_path, flags, NULL, NULL, out, diags);
}

void smp_policy_free(smp_policy *p)
{
	if (p == NULL)
		return;
	arena_release(&p->mem);
	free(p);
}
