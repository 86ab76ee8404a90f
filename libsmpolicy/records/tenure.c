/*
 * tenure.c - who held which role when: the role names, a staff entry's
 * dated tenures (held = [ "ROLE[@OFFICE] FROM [UNTIL]" ]) read from the
 * records, and the question a sign-off or a request is judged by: did
 * its author hold the role on its date?
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "loader.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	unsigned bit;
} role_names[] = {
	{ "worker", ROLE_WORKER }, { "supervisor", ROLE_SUPERVISOR },
	{ "local_office_manager", ROLE_LOM }, { "director_cpp", ROLE_DIRECTOR_CPP },
	{ "director_it", ROLE_DIRECTOR_IT },
};

/* One role name, its bit; 0 if it is none. */
unsigned role_bit(const char *r)
{
	for (size_t k = 0; k < sizeof(role_names) / sizeof(role_names[0]); k++)
		if (strcmp(role_names[k].name, r) == 0)
			return role_names[k].bit;
	return 0;
}

/* The two or three words of a tenure, one space apart, no more. */
static bool held_words(const char *v, char role[64], char from[40], char until[40], int *k)
{
	char *out[3] = { role, from, until };
	size_t cap[3] = { 64, 40, 40 };

	*k = 0;
	while (*v != '\0') {
		size_t n = strcspn(v, " ");

		if (n == 0 || *k == 3 || n >= cap[*k])
			return false;
		memcpy(out[*k], v, n);
		out[(*k)++][n] = '\0';
		v += n;
		if (*v == ' ' && *++v == '\0')
			return false;
	}
	return *k >= 2;
}

/*
 * held = [ "ROLE[@OFFICE] FROM [UNTIL]", ... ]: when each role was held
 * (UNTIL exclusive; without it, still held, and then a role of `roles`).
 * A sign-off or a request is judged by the role its author held on its
 * date, so that a retirement or a transfer changes nothing done before.
 */
void parse_held(struct loader *L, const config_setting_t *m, const char *what,
                       struct staff *s)
{
	int n = m != NULL ? config_setting_length(m) : 0;

	if (n == 0)
		return;
	s->held = arena_alloc(&L->p->mem, (size_t)n * sizeof(*s->held));
	if (s->held == NULL) {
		L->nomem = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
		const char *v = config_setting_get_string(e);
		char role[64], office[SMP_MAX_ID_LEN + 1], from[40], until[40];
		struct tenure *t = &s->held[s->nheld];
		const char *at;
		int k = 0;

		until[0] = office[0] = '\0';
		if (v == NULL || strlen(v) > 200 || !held_words(v, role, from, until, &k)) {
			ERR(L, AT(e), NULL, "%s: held: '%s' is not \"ROLE[@OFFICE] FROM [UNTIL]\"",
			    what, v != NULL ? v : "");
			continue;
		}
		if ((at = strchr(role, '@')) != NULL) {
			snprintf(office, sizeof(office), "%s", at + 1);
			role[at - role] = '\0';
		}
		t->role = role_bit(role);
		t->office = NONE;
		if (t->role == 0) {
			ERR(L, AT(e), NULL, "%s: held: unknown role '%s'", what, role);
			continue;
		}
		if (office[0] != '\0' && (t->office = idmap_find(&L->p->office_ix, office)) == NONE) {
			ERR(L, AT(e), NULL, "%s: held: office '%s' does not exist", what, office);
			continue;
		}
		if (office[0] != '\0' && t->role != ROLE_LOM) {
			ERR(L, AT(e), NULL, "%s: held: only a local_office_manager is held at an "
			    "office", what);
			continue;
		}
		t->until = SMP_TIME_MAX;
		if (time_parse_memo(&L->times, from, SMP_TIME_START, &t->from) != SMP_OK ||
		    (k == 3 && time_parse_memo(&L->times, until, SMP_TIME_START, &t->until) != SMP_OK)) {
			ERR(L, AT(e), NULL, "%s: held: '%s' has a time that is not valid", what, v);
			continue;
		}
		if (t->until <= t->from) {
			ERR(L, AT(e), NULL, "%s: held: '%s' ends before it begins", what, v);
			continue;
		}
		if (k == 2 && !(s->roles & t->role)) {
			ERR(L, AT(e), NULL, "%s: held: '%s' is still held, but %s is not in roles",
			    what, v, role);
			continue;
		}
		s->nheld++;
	}
}

/*
 * Did s hold role at t (has_t false: now, their current roles)?  *office:
 * where (a local_office_manager's).  A sign-off or a request is judged by
 * the role its author held on its date, so that a retirement or a
 * transfer, recorded as a tenure that ends (held), changes nothing done
 * before.  A role of `roles` without an open dated tenure counts as held
 * at every date (records kept before tenures were); with one, from its
 * start.  Nobody holds a role from the moment they left.
 */
bool held_at(const struct staff *s, unsigned role, bool has_t, int64_t t,
                    uint32_t *office)
{
	bool dated_open = false;

	if (has_t && s->left.set && t >= s->left.t)
		return false;
	for (size_t i = 0; i < s->nheld; i++) {
		const struct tenure *h = &s->held[i];

		if (h->role != role)
			continue;
		dated_open = dated_open || h->until == SMP_TIME_MAX;
		if (has_t ? h->from <= t && t < h->until : h->until == SMP_TIME_MAX) {
			*office = h->office != NONE ? h->office : s->office;
			return true;
		}
	}
	*office = s->office;
	return (s->roles & role) && !dated_open;
}

/* Has s ever held role, by their records? */
bool ever_held(const struct staff *s, unsigned role)
{
	for (size_t i = 0; i < s->nheld; i++)
		if (s->held[i].role == role)
			return true;
	return (s->roles & role) != 0;
}

