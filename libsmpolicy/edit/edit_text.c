/*
 * edit_text.c - change one setting of a hand-written libconfig file in
 * place.  libconfig's own writer would drop every comment and reflow the
 * file, so the record commands edit the text: a small lexer finds the byte
 * ranges of settings and list elements, libconfig itself says which
 * element holds an id, and the two must agree on the line before anything
 * is changed.  Everything outside the one change is copied byte for byte.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "edit_internal.h"

#include <libconfig.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64        /* nesting of { ( [ the lexer follows */
#define INLINE_WIDTH 100    /* a one-line group stays one line up to this */

/* ---- the lexer -------------------------------------------------------- */

enum tok_kind { TK_EOF, TK_ERROR, TK_NAME, TK_STRING, TK_SCALAR, TK_PUNCT };

struct tok {
	enum tok_kind kind;
	char ch;               /* TK_PUNCT: the character */
	size_t from, to;
	unsigned line;
};

struct lexer {
	const char *s;
	size_t pos;
	unsigned line;
	const char *err;       /* set once a lexical error is met */
};

static void skip_comment_block(struct lexer *lx)
{
	const char *end = strstr(lx->s + lx->pos + 2, "*/");

	if (end == NULL) {
		lx->err = "unterminated /* comment";
		lx->pos += strlen(lx->s + lx->pos);
		return;
	}
	for (const char *c = lx->s + lx->pos; c < end; c++)
		lx->line += *c == '\n';
	lx->pos = (size_t)(end - lx->s) + 2;
}

/* Skip white space and comments (#, //, slash-star). */
static void skip_blank(struct lexer *lx)
{
	for (;;) {
		char c = lx->s[lx->pos], d = c ? lx->s[lx->pos + 1] : '\0';

		if (c == '\n') {
			lx->line++;
			lx->pos++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			lx->pos++;
		} else if (c == '#' || (c == '/' && d == '/')) {
			while (lx->s[lx->pos] != '\0' && lx->s[lx->pos] != '\n')
				lx->pos++;
		} else if (c == '/' && d == '*') {
			skip_comment_block(lx);
		} else {
			return;
		}
	}
}

static void lex_string(struct lexer *lx, struct tok *t)
{
	const char *s = lx->s;

	t->kind = TK_STRING;
	for (lx->pos++; s[lx->pos] != '"'; lx->pos++) {
		if (s[lx->pos] == '\\' && s[lx->pos + 1] != '\0')
			lx->pos++;
		if (s[lx->pos] == '\n')
			lx->line++;
		if (s[lx->pos] == '\0') {
			lx->err = "unterminated string";
			t->kind = TK_ERROR;
			return;
		}
	}
	lx->pos++;
}

static bool is_scalar_char(const char *p)
{
	return *p != '\0' && strchr(" \t\r\n\f\v{}()[]=:;,\"#", *p) == NULL &&
	       !(p[0] == '/' && (p[1] == '/' || p[1] == '*'));
}

static struct tok next_tok(struct lexer *lx)
{
	struct tok t = { 0 };
	char c;

	skip_blank(lx);
	t.from = lx->pos;
	t.line = lx->line;
	c = lx->s[lx->pos];
	if (lx->err != NULL) {
		t.kind = TK_ERROR;
	} else if (c == '\0') {
		t.kind = TK_EOF;
	} else if (strchr("{}()[]=:;,", c) != NULL) {
		t.kind = TK_PUNCT;
		t.ch = c;
		lx->pos++;
	} else if (c == '"') {
		lex_string(lx, &t);
	} else if (c == '@') {
		lx->err = "directives such as @include cannot be edited";
		t.kind = TK_ERROR;
	} else {
		while (is_scalar_char(lx->s + lx->pos))
			lx->pos++;
		t.kind = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '*' ? TK_NAME
		                                                               : TK_SCALAR;
	}
	t.to = lx->pos;
	return t;
}

static bool is_punct(struct tok t, char ch)
{
	return t.kind == TK_PUNCT && t.ch == ch;
}

static bool lex_fail(struct lexer *lx, const char *msg)
{
	if (lx->err == NULL)
		lx->err = msg;
	return false;
}

/* ---- the grammar, as far as the editor needs it ----------------------- */

/* After an opening bracket t: skip to its matching closer; v.to is just
 * past it. */
static bool skip_aggregate(struct lexer *lx, struct tok t, struct span *v)
{
	char stack[MAX_DEPTH];
	size_t depth = 0;

	stack[depth++] = t.ch == '{' ? '}' : t.ch == '(' ? ')' : ']';
	while (depth > 0) {
		struct tok u = next_tok(lx);

		if (u.kind == TK_EOF || u.kind == TK_ERROR)
			return lex_fail(lx, "unbalanced brackets");
		if (u.kind != TK_PUNCT)
			continue;
		if (u.ch == '{' || u.ch == '(' || u.ch == '[') {
			if (depth == MAX_DEPTH)
				return lex_fail(lx, "nested too deeply");
			stack[depth++] = u.ch == '{' ? '}' : u.ch == '(' ? ')' : ']';
		} else if (u.ch == '}' || u.ch == ')' || u.ch == ']') {
			if (stack[--depth] != u.ch)
				return lex_fail(lx, "unbalanced brackets");
		}
	}
	v->to = lx->pos;
	return true;
}

/* One value starting with token t (adjacent strings are one value). */
static bool parse_value(struct lexer *lx, struct tok t, struct span *v)
{
	v->from = t.from;
	v->to = t.to;
	if (is_punct(t, '{') || is_punct(t, '(') || is_punct(t, '['))
		return skip_aggregate(lx, t, v);
	if (t.kind == TK_NAME || t.kind == TK_SCALAR)
		return true;
	if (t.kind != TK_STRING)
		return lex_fail(lx, "a value was expected");
	for (;;) {
		struct lexer save = *lx;
		struct tok u = next_tok(lx);

		if (u.kind != TK_STRING) {
			*lx = save;
			return true;
		}
		v->to = u.to;
	}
}

struct setting_pos {
	struct span name, value;
	size_t end;            /* past the terminator, if any */
	unsigned line;         /* of the name */
};

/* name '=' value [';' | ','], starting with the name token t. */
static bool parse_setting(struct lexer *lx, struct tok t, struct setting_pos *sp)
{
	struct tok u;
	struct lexer save;

	if (t.kind != TK_NAME)
		return lex_fail(lx, "a setting name was expected");
	sp->name = (struct span){ t.from, t.to };
	sp->line = t.line;
	u = next_tok(lx);
	if (!is_punct(u, '=') && !is_punct(u, ':'))
		return lex_fail(lx, "'=' was expected after a setting name");
	if (!parse_value(lx, next_tok(lx), &sp->value))
		return false;
	save = *lx;
	u = next_tok(lx);
	if (!is_punct(u, ';') && !is_punct(u, ','))
		*lx = save;
	sp->end = lx->pos;
	return true;
}

/* What a scan of a group's (or the file's) settings found. */
struct group_scan {
	bool found, any;
	struct setting_pos hit, first, last;
	size_t close;          /* the '}' (or the end of the text) */
};

static bool span_is(const char *text, struct span s, const char *name)
{
	size_t n = strlen(name);

	return s.to - s.from == n && memcmp(text + s.from, name, n) == 0;
}

/* Scan the settings from lx up to `closer` ('}' or '\0' for the end of
 * the text), looking for `name` (NULL: none). */
static bool scan_settings(struct lexer *lx, char closer, const char *name,
                          struct group_scan *gs)
{
	memset(gs, 0, sizeof(*gs));
	for (;;) {
		struct tok t = next_tok(lx);
		struct setting_pos sp;

		if (t.kind == TK_ERROR)
			return false;
		if ((closer == '\0' && t.kind == TK_EOF) || is_punct(t, closer)) {
			gs->close = t.from;
			return true;
		}
		if (t.kind == TK_EOF)
			return lex_fail(lx, "unexpected end of file");
		if (!parse_setting(lx, t, &sp))
			return false;
		if (!gs->any)
			gs->first = sp;
		gs->any = true;
		gs->last = sp;
		if (name != NULL && !gs->found && span_is(lx->s, sp.name, name)) {
			gs->found = true;
			gs->hit = sp;
		}
	}
}

static void lexer_at(struct lexer *lx, const char *text, size_t pos)
{
	lx->s = text;
	lx->pos = 0;
	lx->line = 1;
	lx->err = NULL;
	while (lx->pos < pos)
		lx->line += text[lx->pos++] == '\n';
}

/* The top-level setting `name`. */
static bool find_top(const char *text, const char *name, struct group_scan *gs, char **why)
{
	struct lexer lx;

	lexer_at(&lx, text, 0);
	if (scan_settings(&lx, '\0', name, gs))
		return true;
	if (why != NULL && asprintf(why, "line %u: %s", lx.line, lx.err) < 0)
		*why = NULL;
	return false;
}

bool text_has_setting(const char *text, const char *name)
{
	struct group_scan gs;

	return find_top(text, name, &gs, NULL) && gs.found;
}

/* The elements of the list whose '(' is at open. */
struct list_scan {
	size_t count;
	struct span want;      /* element number `index` */
	unsigned want_line;
	struct span last;
	size_t close;          /* the ')' */
};

static bool scan_list(const char *text, size_t open, size_t index, struct list_scan *ls,
                      struct lexer *lx)
{
	struct tok t;

	memset(ls, 0, sizeof(*ls));
	lexer_at(lx, text, open);
	t = next_tok(lx);
	if (!is_punct(t, '('))
		return lex_fail(lx, "a list ( ... ) was expected");
	for (t = next_tok(lx); !is_punct(t, ')'); t = next_tok(lx)) {
		struct span v;

		if (!parse_value(lx, t, &v))
			return false;
		if (ls->count == index) {
			ls->want = v;
			ls->want_line = t.line;
		}
		ls->last = v;
		ls->count++;
		t = next_tok(lx);
		if (is_punct(t, ')'))
			break;
		if (!is_punct(t, ','))
			return lex_fail(lx, "',' or ')' was expected in a list");
	}
	ls->close = t.from;
	return true;
}

/* ---- finding an entry ------------------------------------------------- */

/* With libconfig: the index and line of the entry `id` in list `list`. */
static smp_status conf_find(const char *text, const char *list, const char *id,
                            size_t *index, unsigned *line, char **why)
{
	config_t cfg;
	config_setting_t *l;
	smp_status rc = SMP_ERR_NOTFOUND;

	config_init(&cfg);
	config_set_auto_convert(&cfg, 0);
	if (config_read_string(&cfg, text) != CONFIG_TRUE) {
		if (asprintf(why, "line %d: %s", config_error_line(&cfg),
		             config_error_text(&cfg) ? config_error_text(&cfg) : "syntax error") < 0)
			*why = NULL;
		config_destroy(&cfg);
		return SMP_ERR_PARSE;
	}
	l = config_setting_get_member(config_root_setting(&cfg), list);
	for (int i = 0; l != NULL && config_setting_is_list(l) && i < config_setting_length(l);
	     i++) {
		config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
		const char *eid;

		if (config_setting_lookup_string(e, "id", &eid) == CONFIG_TRUE &&
		    strcmp(eid, id) == 0) {
			*index = (size_t)i;
			*line = config_setting_source_line(e);
			rc = SMP_OK;
			break;
		}
	}
	config_destroy(&cfg);
	return rc;
}

static smp_status lex_failure(struct lexer *lx, char **why)
{
	if (asprintf(why, "line %u: %s", lx->line, lx->err ? lx->err : "cannot be read") < 0)
		*why = NULL;
	return SMP_ERR_PARSE;
}

smp_status text_find_entry(const char *text, const char *list, const char *id,
                           struct span *entry, char **why)
{
	struct group_scan gs;
	struct list_scan ls;
	struct lexer lx;
	size_t index = 0;
	unsigned line = 0;
	smp_status rc;

	*why = NULL;
	rc = conf_find(text, list, id, &index, &line, why);
	if (rc != SMP_OK)
		return rc;
	if (!find_top(text, list, &gs, why))
		return SMP_ERR_PARSE;
	if (!gs.found)
		return SMP_ERR_NOTFOUND;
	if (!scan_list(text, gs.hit.value.from, index, &ls, &lx))
		return lex_failure(&lx, why);
	if (ls.count <= index || text[ls.want.from] != '{' || ls.want_line != line) {
		if (asprintf(why, "line %u: the text of %s '%s' could not be located", line,
		             list, id) < 0)
			*why = NULL;
		return SMP_ERR_PARSE;
	}
	*entry = ls.want;
	return SMP_OK;
}

/* ---- inserting -------------------------------------------------------- */

static size_t line_start(const char *text, size_t pos)
{
	while (pos > 0 && text[pos - 1] != '\n')
		pos--;
	return pos;
}

static size_t line_end(const char *text, size_t pos)
{
	while (text[pos] != '\0' && text[pos] != '\n')
		pos++;
	return pos;
}

/* The first newline in [from, to) that ends the line of `from` (only
 * blanks and comments before it), or SIZE_MAX. */
static size_t newline_after(const char *text, size_t from, size_t to)
{
	struct lexer lx;

	lexer_at(&lx, text, 0);
	lx.pos = from;
	for (;;) {
		char c = text[lx.pos];

		if (lx.pos >= to || c == '\0')
			return SIZE_MAX;
		if (c == '\n')
			return lx.pos;
		if (c == '#' || (c == '/' && text[lx.pos + 1] == '/')) {
			size_t e = line_end(text, lx.pos);

			return text[e] == '\n' && e < to ? e : SIZE_MAX;
		}
		if (c == '/' && text[lx.pos + 1] == '*') {
			skip_comment_block(&lx);
			continue;
		}
		if (c != ' ' && c != '\t' && c != '\r')
			return SIZE_MAX;
		lx.pos++;
	}
}

/* Into b: the blanks before pos on its line, everything else as spaces
 * (so the result lines up with pos). */
static void add_indent(struct ebuf *b, const char *text, size_t pos, bool keep_only_blank)
{
	size_t ls = line_start(text, pos);

	for (size_t i = ls; i < pos; i++) {
		if (text[i] == '\t')
			ebuf_add(b, "\t", 1);
		else if (text[i] == ' ' || !keep_only_blank)
			ebuf_add(b, " ", 1);
		else
			return;
	}
}

static bool only_blank_before(const char *text, size_t pos)
{
	for (size_t i = line_start(text, pos); i < pos; i++)
		if (text[i] != ' ' && text[i] != '\t')
			return false;
	return true;
}

static void add_range(struct ebuf *b, const char *text, size_t from, size_t to)
{
	ebuf_add(b, text + from, to - from);
}

/* The indentation for a new setting in the scanned group. */
static void setting_indent(struct ebuf *b, const char *text, const struct group_scan *gs)
{
	if (only_blank_before(text, gs->last.name.from))
		add_indent(b, text, gs->last.name.from, true);
	else
		add_indent(b, text, gs->first.name.from, false);
}

/* Insert `setting` (one line) after the last setting of the group scanned
 * as gs, whose '{' is at open. */
static void insert_setting(const char *text, size_t open, const struct group_scan *gs,
                           const char *setting, struct ebuf *out)
{
	size_t at, nl;
	bool one_line;

	if (!gs->any) {
		add_range(out, text, 0, open + 1);
		ebuf_addf(out, " %s ", setting);
		ebuf_adds(out, text + open + 1);
		return;
	}
	at = gs->last.end;
	one_line = line_start(text, open) == line_start(text, gs->close);
	if (one_line && line_end(text, open) - line_start(text, open) + strlen(setting) + 1 <=
	                    INLINE_WIDTH) {
		add_range(out, text, 0, at);
		ebuf_addf(out, " %s", setting);
		ebuf_adds(out, text + at);
		return;
	}
	nl = newline_after(text, at, gs->close);
	if (nl != SIZE_MAX) {
		add_range(out, text, 0, nl + 1);
		setting_indent(out, text, gs);
		ebuf_addf(out, "%s\n", setting);
		ebuf_adds(out, text + nl + 1);
		return;
	}
	add_range(out, text, 0, at);
	ebuf_adds(out, "\n");
	setting_indent(out, text, gs);
	ebuf_adds(out, setting);
	ebuf_adds(out, text + at);
}

/* "a = { b = VALUE; };" for path {a, b}. */
static void nested_setting(struct ebuf *b, const char *const *path, const char *value)
{
	size_t depth = 0;

	for (; path[depth + 1] != NULL; depth++)
		ebuf_addf(b, "%s = { ", path[depth]);
	ebuf_addf(b, "%s = %s;", path[depth], value);
	while (depth-- > 0)
		ebuf_adds(b, " };");
}

smp_status text_set(const char *text, struct span group, const char *const *path,
                    const char *value, struct ebuf *out, char **why)
{
	size_t open = group.from;

	*why = NULL;
	for (size_t k = 0; path[k] != NULL; k++) {
		struct group_scan gs;
		struct lexer lx;
		struct ebuf setting = { 0 };

		lexer_at(&lx, text, open);
		if (!is_punct(next_tok(&lx), '{') || !scan_settings(&lx, '}', path[k], &gs))
			return lex_failure(&lx, why);
		if (gs.found && path[k + 1] == NULL) {
			add_range(out, text, 0, gs.hit.value.from);
			ebuf_adds(out, value);
			ebuf_adds(out, text + gs.hit.value.to);
			return out->oom ? SMP_ERR_NOMEM : SMP_OK;
		}
		if (gs.found) {
			if (text[gs.hit.value.from] != '{') {
				if (asprintf(why, "line %u: %s is not a group { ... }", gs.hit.line,
				             path[k]) < 0)
					*why = NULL;
				return SMP_ERR_PARSE;
			}
			open = gs.hit.value.from;
			continue;
		}
		nested_setting(&setting, path + k, value);
		if (!setting.oom)
			insert_setting(text, open, &gs, setting.s, out);
		out->oom |= setting.oom;
		ebuf_free(&setting);
		return out->oom ? SMP_ERR_NOMEM : SMP_OK;
	}
	return SMP_ERR_ARG;
}

/* ---- appending an entry ----------------------------------------------- */

/* The entry's lines, the first after `indent`, the others two spaces more. */
static void add_entry_lines(struct ebuf *b, const char *indent, const char *entry)
{
	ebuf_adds(b, indent);
	for (const char *s = entry; *s; s++) {
		ebuf_add(b, s, 1);
		if (*s == '\n')
			ebuf_addf(b, "%s  ", indent);
	}
}

static void indent_of(struct ebuf *b, const char *text, size_t pos)
{
	if (only_blank_before(text, pos))
		add_indent(b, text, pos, true);
	else
		ebuf_adds(b, "  ");
}

static void append_new_list(const char *text, const char *list, const char *entry,
                            struct ebuf *out)
{
	size_t n = strlen(text);

	ebuf_adds(out, text);
	if (n > 0 && text[n - 1] != '\n')
		ebuf_adds(out, "\n");
	ebuf_addf(out, "%s%s = (\n", n > 0 ? "\n" : "", list);
	add_entry_lines(out, "  ", entry);
	ebuf_adds(out, "\n);\n");
}

static void append_to_empty(const char *text, size_t close, const char *entry,
                            struct ebuf *out)
{
	if (only_blank_before(text, close)) {
		size_t ls = line_start(text, close);

		add_range(out, text, 0, ls);
		add_entry_lines(out, "  ", entry);
		ebuf_adds(out, "\n");
		ebuf_adds(out, text + ls);
		return;
	}
	add_range(out, text, 0, close);
	ebuf_adds(out, "\n");
	add_entry_lines(out, "  ", entry);
	ebuf_adds(out, "\n");
	ebuf_adds(out, text + close);
}

static void append_after(const char *text, const struct list_scan *ls, const char *entry,
                         struct ebuf *out)
{
	struct ebuf indent = { 0 };
	size_t at = ls->last.to, nl = newline_after(text, at, ls->close);

	indent_of(&indent, text, ls->last.from);
	if (indent.oom) {
		out->oom = true;
		return;
	}
	add_range(out, text, 0, at);
	ebuf_adds(out, ",");
	if (nl != SIZE_MAX) {
		add_range(out, text, at, nl + 1);
		add_entry_lines(out, indent.s ? indent.s : "", entry);
		ebuf_adds(out, "\n");
		ebuf_adds(out, text + nl + 1);
	} else {
		ebuf_adds(out, "\n");
		add_entry_lines(out, indent.s ? indent.s : "", entry);
		ebuf_adds(out, text + at);
	}
	ebuf_free(&indent);
}

smp_status text_append_entry(const char *text, const char *list, const char *entry,
                             struct ebuf *out, char **why)
{
	struct group_scan gs;
	struct list_scan ls;
	struct lexer lx;

	*why = NULL;
	if (!find_top(text, list, &gs, why))
		return SMP_ERR_PARSE;
	if (!gs.found)
		append_new_list(text, list, entry, out);
	else if (!scan_list(text, gs.hit.value.from, SIZE_MAX, &ls, &lx))
		return lex_failure(&lx, why);
	else if (ls.count == 0)
		append_to_empty(text, ls.close, entry, out);
	else
		append_after(text, &ls, entry, out);
	return out->oom ? SMP_ERR_NOMEM : SMP_OK;
}
