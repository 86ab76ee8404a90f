/*
 * suggest.c - "did you mean ...": the id of the policy nearest to one
 * that is not there, so that a mistyped or miscased id on the command
 * line points at the record meant instead of only saying it is unknown.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "policy/policy.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SUGGEST_MAX_DISTANCE 2

/* ASCII only, whatever the locale: ids are ASCII in practice, and a
 * library must not depend on the caller's LC_CTYPE. */
static unsigned char fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/*
 * Case-insensitive edit distance (insertions, deletions, substitutions
 * and transpositions of neighbours), or SIZE_MAX when it is certainly
 * more than SUGGEST_MAX_DISTANCE: ids differing that much in length are
 * not compared at all.  Three rows of SMP_MAX_ID_LEN + 1 on the stack.
 */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t rows[3][SMP_MAX_ID_LEN + 2];
	size_t *pp, *prev, *cur;

	if (la > SMP_MAX_ID_LEN || lb > SMP_MAX_ID_LEN ||
	    (la > lb ? la - lb : lb - la) > SUGGEST_MAX_DISTANCE)
		return SIZE_MAX;
	pp = rows[0];
	prev = rows[1];
	cur = rows[2];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *t;

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned char ca = fold((unsigned char)a[i - 1]);
			unsigned char cb = fold((unsigned char)b[j - 1]);

			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb));
			if (i > 1 && j > 1 && ca == fold((unsigned char)b[j - 2]) &&
			    fold((unsigned char)a[i - 2]) == cb && pp[j - 2] + 1 < cur[j])
				cur[j] = pp[j - 2] + 1;
		}
		t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

/* The next run of digits of *s, leading zeros dropped, into *num and *len;
 * false when there is none.  Advances *s past it. */
static bool next_number(const char **s, const char **num, size_t *len)
{
	const char *p = *s;

	while (*p != '\0' && (*p < '0' || *p > '9'))
		p++;
	if (*p == '\0')
		return false;
	while (*p == '0' && p[1] >= '0' && p[1] <= '9')
		p++;
	*num = p;
	while (*p >= '0' && *p <= '9')
		p++;
	*len = (size_t)(p - *num);
	*s = p;
	return true;
}

/* Do a and b hold the same numbers in the same order?  Ids are numbered
 * (ws-1, LT-2026-001, UB-4431): another number is another record, never
 * a typo worth suggesting, while ws-essex-042 for ws-essex-0042 is. */
static bool same_numbers(const char *a, const char *b)
{
	const char *na, *nb;
	size_t la, lb;

	for (;;) {
		bool ha = next_number(&a, &na, &la), hb = next_number(&b, &nb, &lb);

		if (ha != hb)
			return false;
		if (!ha)
			return true;
		if (la != lb || memcmp(na, nb, la) != 0)
			return false;
	}
}

/* The i-th id of one kind, NULL past the last. */
static const char *nth_id(const smp_policy *p, smp_id_kind kind, size_t i)
{
	switch (kind) {
	case SMP_ID_PLATFORM: return i < p->nplatforms ? p->platforms[i].id : NULL;
	case SMP_ID_OFFICE: return i < p->noffices ? p->offices[i].id : NULL;
	case SMP_ID_STAFF: return i < p->nstaff ? p->staff[i].id : NULL;
	case SMP_ID_DEVICE: return i < p->ndevices ? p->devices[i].id : NULL;
	case SMP_ID_ACCOUNT: return i < p->naccounts ? p->accounts[i].id : NULL;
	case SMP_ID_APPROVAL: return i < p->napprovals ? p->approvals[i].id : NULL;
	}
	return NULL;
}

const char *policy_suggest(const smp_policy *p, smp_id_kind kind, const char *id)
{
	const char *best = NULL, *cand;
	size_t best_d = SIZE_MAX, len;

	if (p == NULL || id == NULL || id[0] == '\0')
		return NULL;
	len = strlen(id);
	for (size_t i = 0; (cand = nth_id(p, kind, i)) != NULL; i++) {
		size_t d = distance(id, cand);

		if (d == 0 && strcmp(id, cand) == 0)
			return NULL;   /* it is there: nothing to suggest */
		/* an id of two letters is two edits from every other short id,
		 * and one of four from many (ws-1, ph-1): only an edit that
		 * leaves most of it counts, one edit up to four letters */
		if (d > SUGGEST_MAX_DISTANCE || d >= len || d >= strlen(cand) ||
		    (d > 1 && (len <= 4 || strlen(cand) <= 4)) ||
		    !same_numbers(id, cand))
			continue;
		if (d < best_d) {   /* ties: the first in file order */
			best = cand;
			best_d = d;
		}
	}
	return best;
}

char *smp_policy_suggest(const smp_policy *p, smp_id_kind kind, const char *id)
{
	const char *best = policy_suggest(p, kind, id);

	return best != NULL ? strdup(best) : NULL;
}
