/*
 * diags.c - the diagnostics list a load, a check or a command hands
 * back, and the status codes' words.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

smp_diags *diags_new(void)
{
	return calloc(1, sizeof(smp_diags));
}

bool diags_add(smp_diags *d, const char *file, unsigned line, smp_severity sev,
               const char *subject, const char *fmt, ...)
{
	va_list ap;
	char small[512], *msg;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (len < 0)
		goto oom;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		struct smp_diag *nv = realloc(d->v, ncap * sizeof(*nv));

		if (nv == NULL)
			goto oom;
		d->v = nv;
		d->cap = ncap;
	}
	msg = arena_alloc(&d->mem, (size_t)len + 1);
	if (msg == NULL)
		goto oom;
	if ((size_t)len < sizeof(small)) {
		memcpy(msg, small, (size_t)len + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)len + 1, fmt, ap);
		va_end(ap);
	}
	struct smp_diag *g = &d->v[d->n];
	g->file = file ? arena_strdup(&d->mem, file) : NULL;
	g->subject = subject ? arena_strdup(&d->mem, subject) : NULL;
	if ((file && !g->file) || (subject && !g->subject))
		goto oom;
	g->line = line;
	g->severity = sev;
	g->message = msg;
	d->n++;
	return true;
oom:
	d->oom = true;
	return false;
}

struct diag_seq {
	struct smp_diag d;
	size_t seq;
};

static int diag_cmp(const void *a, const void *b)
{
	const struct diag_seq *x = a, *y = b;
	int c = strcmp(x->d.file ? x->d.file : "", y->d.file ? y->d.file : "");

	if (c != 0)
		return c;
	if (x->d.line != y->d.line)
		return x->d.line < y->d.line ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);   /* stable */
}

void diags_sort(smp_diags *d)
{
	struct diag_seq *tmp;

	if (d == NULL || d->n < 2)
		return;
	tmp = malloc(d->n * sizeof(*tmp));
	if (tmp == NULL)
		return;   /* unsorted is still complete, only less tidy */
	for (size_t i = 0; i < d->n; i++) {
		tmp[i].d = d->v[i];
		tmp[i].seq = i;
	}
	qsort(tmp, d->n, sizeof(*tmp), diag_cmp);
	for (size_t i = 0; i < d->n; i++)
		d->v[i] = tmp[i].d;
	free(tmp);
}

bool diags_merge(smp_diags **into, const smp_diags *from)
{
	if (*into == NULL) {
		*into = diags_new();
		if (*into == NULL)
			return false;
	}
	for (size_t i = 0; i < smp_diags_count(from); i++) {
		const struct smp_diag *g = &from->v[i];

		if (!diags_add(*into, g->file, g->line, g->severity, g->subject, "%s", g->message))
			return false;
	}
	diags_sort(*into);
	return true;
}

size_t smp_diags_count(const smp_diags *d)
{
	return d ? d->n : 0;
}

const struct smp_diag *smp_diags_get(const smp_diags *d, size_t i)
{
	return (d && i < d->n) ? &d->v[i] : NULL;
}

size_t smp_diags_errors(const smp_diags *d)
{
	size_t n = 0;

	for (size_t i = 0; d && i < d->n; i++)
		n += d->v[i].severity == SMP_SEV_ERROR;
	return n;
}

void smp_diags_free(smp_diags *d)
{
	if (d == NULL)
		return;
	free(d->v);
	arena_release(&d->mem);
	free(d);
}

const char *smp_status_string(smp_status s)
{
	switch (s) {
	case SMP_OK: return "success";
	case SMP_ERR_NOMEM: return "out of memory";
	case SMP_ERR_ARG: return "invalid argument";
	case SMP_ERR_IO: return "input/output error";
	case SMP_ERR_INSECURE: return "insecure file ownership or permissions";
	case SMP_ERR_PARSE: return "invalid configuration or records";
	case SMP_ERR_TIME: return "invalid time";
	case SMP_ERR_LOCK: return "records are locked by another command";
	case SMP_ERR_REFUSED: return "change refused";
	case SMP_ERR_NOTFOUND: return "no such record";
	case SMP_ERR_DIRECTORY: return "the directory could not be read";
	case SMP_ERR_OFFLINE: return "the local copy of the directory is out of date";
	}
	return "unknown status";
}
