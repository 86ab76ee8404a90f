/*
 * query.c - read-only views of a loaded policy for the command's report,
 * the PAM module and other programs.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

uint32_t policy_find_platform(const smp_policy *p, const char *id) { return idmap_find(&p->platform_ix, id); }
uint32_t policy_find_office(const smp_policy *p, const char *id) { return idmap_find(&p->office_ix, id); }
uint32_t policy_find_staff(const smp_policy *p, const char *id) { return idmap_find(&p->staff_ix, id); }
uint32_t policy_find_device(const smp_policy *p, const char *id) { return idmap_find(&p->device_ix, id); }
uint32_t policy_find_account(const smp_policy *p, const char *id) { return idmap_find(&p->account_ix, id); }
uint32_t policy_find_approval(const smp_policy *p, const char *id) { return idmap_find(&p->approval_ix, id); }

const char *smp_policy_config_path(const smp_policy *p)
{
	return p ? p->config_path : NULL;
}

size_t smp_policy_records_count(const smp_policy *p)
{
	return p ? p->nrecords : 0;
}

const char *smp_policy_records_path(const smp_policy *p, size_t i)
{
	return (p && i < p->nrecords) ? p->records_paths[i] : NULL;
}

int smp_policy_warn_days(const smp_policy *p)
{
	return p ? p->set.warn_days : 0;
}

int smp_policy_office_cap(const smp_policy *p)
{
	return p ? p->set.max_per_office : 0;
}

size_t smp_policy_office_count(const smp_policy *p)
{
	return p ? p->noffices : 0;
}

smp_status smp_policy_office(const smp_policy *p, size_t i, struct smp_office_info *out)
{
	if (p == NULL || !SIZE_OK(out))
		return SMP_ERR_ARG;
	if (i >= p->noffices)
		return SMP_ERR_NOTFOUND;
	out->id = p->offices[i].id;
	out->name = p->offices[i].name;
	out->kind = p->offices[i].kind;
	return SMP_OK;
}

size_t smp_policy_platform_count(const smp_policy *p)
{
	return p ? p->nplatforms : 0;
}

const char *smp_policy_platform_id(const smp_policy *p, size_t i)
{
	return (p && i < p->nplatforms) ? p->platforms[i].id : NULL;
}

const char *smp_policy_platform_name(const smp_policy *p, size_t i)
{
	return (p && i < p->nplatforms) ? p->platforms[i].name : NULL;
}

size_t smp_policy_approval_count(const smp_policy *p)
{
	return p ? p->napprovals : 0;
}

smp_status smp_policy_approval(const smp_policy *p, size_t i, int64_t t,
                               struct smp_approval_info *out)
{
	const struct approval *a;
	const struct staff *s;

	if (p == NULL || !SIZE_OK(out))
		return SMP_ERR_ARG;
	if (i >= p->napprovals)
		return SMP_ERR_NOTFOUND;
	a = &p->approvals[i];
	s = &p->staff[a->staff];
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->id = a->id;
	out->staff = s->id;
	out->office = s->office != NONE ? p->offices[s->office].id : NULL;
	out->kind = a->kind == KIND_LONG_TERM ? "long_term" : "limited";
	out->platforms = a->platform_ids;
	out->ticket = a->ticket;
	out->file = a->at.file;
	out->line = a->at.line;
	out->state = approval_state(p, a, t);
	out->has_start = a->start != SMP_TIME_MIN;
	out->start = a->start;
	out->has_end = a->end != SMP_TIME_MAX;
	out->end = a->end;
	out->has_revoked = a->revoked.present;
	out->revoked = a->revoked.on;
	out->signed_cpp = a->cpp.present && a->cpp.on <= t;
	out->signed_it = a->it.present && a->it.on <= t;
	if (out->state == SMP_STATE_VALID) {
		int64_t next;

		approval_over_cap(a, t, &next);
		out->valid_until = next < a->valid.to ? next : a->valid.to;
		out->has_valid_until = out->valid_until != SMP_TIME_MAX;
	}
	return SMP_OK;
}

smp_status smp_policy_time_parse(const smp_policy *p, const char *text, smp_time_edge edge,
                                 int64_t *out)
{
	return time_parse_tz(p != NULL ? p->tz : NULL, text, edge, out);
}

char *smp_policy_time_format(const smp_policy *p, int64_t t, char *buf, size_t size)
{
	return time_format_tz(p != NULL ? p->tz : NULL, t, buf, size);
}

const char *smp_policy_time_zone(const smp_policy *p)
{
	return p != NULL ? p->set.time_zone : NULL;
}

const char *smp_policy_staff_office(const smp_policy *p, const char *staff)
{
	uint32_t i;

	if (p == NULL || staff == NULL)
		return NULL;
	i = policy_find_staff(p, staff);
	if (i == NONE || p->staff[i].office == NONE)
		return NULL;
	return p->offices[p->staff[i].office].id;
}

size_t smp_policy_accounts_held(const smp_policy *p, const char *user, const char *platform,
                                const char **ids, size_t max)
{
	uint32_t u, pl;
	size_t n = 0;

	if (p == NULL || user == NULL || platform == NULL)
		return 0;
	u = policy_find_staff(p, user);
	pl = policy_find_platform(p, platform);
	if (u == NONE || pl == NONE)
		return 0;
	for (size_t i = 0; i < p->staff[u].naccounts; i++) {
		const struct account *a = &p->accounts[p->staff[u].accounts[i]];

		if (a->void_why != NULL || !a->official || a->platform != pl)
			continue;
		if (ids != NULL && n < max)
			ids[n] = a->id;
		n++;
	}
	return n;
}

void smp_free(void *p)
{
	free(p);
}

smp_status smp_policy_platform_index(const smp_policy *p, const char *id, size_t *index)
{
	uint32_t i;

	if (p == NULL || id == NULL || index == NULL)
		return SMP_ERR_ARG;
	i = idmap_find(&p->platform_ix, id);
	if (i == NONE)
		return SMP_ERR_NOTFOUND;
	*index = i;
	return SMP_OK;
}

bool smp_policy_expires(const smp_policy *p, int64_t *out)
{
	if (p == NULL || p->login.expires == 0)
		return false;
	if (out != NULL)
		*out = p->login.expires;
	return true;
}

/* The folders to watch, as one allocation: the pointers, then the text. */
struct folders {
	size_t n, max, text;
	char **f;
};

/* The folder of path, malloc'd ("." for a bare name); levels up from it. */
static char *folder_of(const char *path, int up)
{
	char *f = strdup(path);

	for (int i = 0; f != NULL && i <= up; i++) {
		char *slash = strrchr(f, '/');

		if (slash == NULL) {
			free(f);
			return strdup(i == 0 ? "." : "..");
		}
		if (slash == f)
			slash[1] = '\0';   /* "/" itself */
		else
			*slash = '\0';
	}
	return f;
}

/* false: out of memory */
static bool folder_add(struct folders *w, const char *path, int up)
{
	char *f = folder_of(path, up);

	if (f == NULL)
		return false;
	for (size_t i = 0; i < w->n; i++) {
		if (strcmp(w->f[i], f) == 0) {
			free(f);
			return true;
		}
	}
	if (w->n == w->max) {
		size_t max = w->max * 2 + 8;
		char **more = realloc(w->f, max * sizeof(*more));

		if (more == NULL) {
			free(f);
			return false;
		}
		w->f = more;
		w->max = max;
	}
	w->f[w->n++] = f;
	w->text += strlen(f) + 1;
	return true;
}

smp_status smp_policy_watch_folders(const smp_policy *p, const char *config_path, char ***out)
{
	struct folders w = { 0 };
	bool ok;
	char **v = NULL;

	if (out == NULL)
		return SMP_ERR_ARG;
	*out = NULL;
	if (config_path == NULL)
		config_path = SMP_DEFAULT_CONFIG;
	ok = folder_add(&w, config_path, 0);
	if (ok && p != NULL) {
		size_t mine = w.n;

		ok = folder_add(&w, p->config_path, 0);
		/* a directory's local copy, copy_dir/copy-N/smpolicy.conf: a sync
		 * names the next copy in copy_dir/state */
		if (ok && w.n > mine)
			ok = folder_add(&w, p->config_path, 1);
		for (size_t i = 1; ok && i < policy_nsources(p); i++)
			ok = folder_add(&w, policy_source(p, i), 0);
	}
	if (ok)
		v = malloc((w.n + 1) * sizeof(*v) + w.text);
	if (v != NULL) {
		char *t = (char *)(v + w.n + 1);

		for (size_t i = 0; i < w.n; i++) {
			size_t len = strlen(w.f[i]) + 1;

			v[i] = memcpy(t, w.f[i], len);
			t += len;
		}
		v[w.n] = NULL;
	}
	for (size_t i = 0; i < w.n; i++)
		free(w.f[i]);
	free(w.f);
	*out = v;
	return v != NULL ? SMP_OK : SMP_ERR_NOMEM;
}
