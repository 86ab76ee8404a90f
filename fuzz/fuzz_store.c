/*
 * fuzz_store.c - the login store's reader (policy/store_read.c): its
 * header, its shared part, the index probes with their slot checks, the
 * slices (unpacked against the shared part, then through cache.c's two
 * passes) and the device records, on stores of the fixed world
 * (fuzz/world) changed by the input.
 *
 * At start-up the world is loaded and its store built with store_image():
 * the seed that inputs mutate.  Input: a mode byte, a who byte, then a
 * list of patches (off[3] from the start, or from the end with mode & 8,
 * then a count n and n % 16 + 1 bytes XORed in there):
 *   mode % 3 == 0  the patches, as they leave the file (digests and
 *                  checks must catch them);
 *              1   the patches, then every digest and slot check made to
 *                  fit again (the shared part's too), so that unpacking
 *                  the slices, their walk, the device records and the
 *                  indexes' layout are what is tested;
 *              2   the rest of the input is the whole file.
 * who picks the user (a staff member of the world, an unknown id, an empty
 * one) and the device.  Whatever is read must be one person's policy that
 * answers for that user and device only, and decides without crashing.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "fuzz_common.h"
#include "internal.h"
#include "policy/store.h"

static char *good;
static size_t good_size;
static smp_policy *world;

#define MAX_GROW 4096

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char conf[PATH_MAX];
	struct store_source src[8];
	const char *why = NULL;

	(void)argc, (void)argv;
	world = fuzz_load_world(SMP_LOAD_NO_CACHE, conf, sizeof(conf));
	fuzz_assert(world->nrecords + 1 <= 8);
	memset(src, 0, sizeof(src));
	if (store_image(world, src, 0, &good, &good_size, &why) != SMP_OK)
		fuzz_fail("the world's store cannot be made: %s", why ? why : "out of memory");
	return 0;
}

/* Make every digest and slot check of the store at b fit its bytes, where
 * the header lets them be found. */
static void fix(char *b, size_t n)
{
	struct store_header h;
	struct digest dg, shared;

	if (n < sizeof(h))
		return;
	memcpy(&h, b, sizeof(h));
	if (h.shared_off <= n && h.shared_size <= n - h.shared_off) {
		digest_of(b + h.shared_off, (size_t)h.shared_size, &dg);
		h.shared_lo = dg.lo;
		h.shared_hi = dg.hi;
	}
	shared = (struct digest){ h.shared_lo, h.shared_hi };
	for (int ix = 0; ix < 2; ix++) {
		uint64_t off = ix ? h.device_off : h.staff_off, slots = ix ? h.device_slots : h.staff_slots;

		if (off > n || slots > (n - off) / sizeof(struct store_slot))
			continue;
		for (uint64_t i = 0; i < slots; i++) {
			struct store_slot s;

			memcpy(&s, b + off + i * sizeof(s), sizeof(s));
			if (s.size != 0 && s.off <= n && s.size <= n - s.off) {
				store_slice_digest(b + s.off, (size_t)s.size, &shared, &dg);
				s.digest_lo = dg.lo;
				s.digest_hi = dg.hi;
			}
			s.check = store_slot_check(&s, i);
			memcpy(b + off + i * sizeof(s), &s, sizeof(s));
		}
	}
	if (h.nobody.off <= n && h.nobody.size <= n - h.nobody.off) {
		store_slice_digest(b + h.nobody.off, (size_t)h.nobody.size, &shared, &dg);
		h.nobody.digest_lo = dg.lo;
		h.nobody.digest_hi = dg.hi;
	}
	h.head_lo = h.head_hi = 0;
	memcpy(b, &h, sizeof(h));
	if (h.staff_off <= n) {
		digest_of(b, (size_t)h.staff_off, &dg);
		h.head_lo = dg.lo;
		h.head_hi = dg.hi;
		memcpy(b, &h, sizeof(h));
	}
}

/* What a login does with the policy: its accounts and a decision for its
 * user and device, then one for another (which must be refused). */
static void use(const smp_policy *p, const char *user, const char *device)
{
	struct smp_request req;
	smp_decision *d = NULL;
	const char *ids[4];
	smp_status st;

	fuzz_assert(p->login.only_user != NULL && strcmp(p->login.only_user, user) == 0);
	for (size_t k = 0; k < smp_policy_platform_count(p); k++) {
		size_t n = smp_policy_accounts_held(p, user, smp_policy_platform_id(p, k), ids, 4);

		smp_request_init(&req);
		req.user = user;
		req.device = device;
		req.platform = smp_policy_platform_id(p, k);
		req.account = n > 0 ? ids[0] : NULL;
		req.action = n > 0 ? SMP_ACTION_LOGIN : SMP_ACTION_VIEW;
		req.at = (int64_t)1798761600 + (int64_t)k * 86400 * 40;
		st = smp_decide(p, &req, &d);
		fuzz_assert(st == SMP_OK || st == SMP_ERR_NOMEM);
		for (size_t i = 0; i < smp_decision_reason_count(d); i++)
			(void)strlen(smp_decision_reason_message(d, i));
		smp_decision_free(d);
		d = NULL;
	}
	smp_request_init(&req);
	req.user = "someone-else";
	req.device = device;
	req.platform = "facebook";
	fuzz_assert(smp_decide(p, &req, &d) == SMP_ERR_ARG && d == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const devices[] = { "ws-essex-0042", "ph-essex-0007", "nowhere", "" };
	const uint8_t *in = data, *end = data + size;
	char *work, user[64];
	size_t len = good_size;
	smp_policy *p = NULL;
	smp_cache_state state;
	const char *why = NULL;
	uint8_t mode, who;
	smp_status st;

	if (size < 2)
		return 0;
	mode = *in++;
	who = *in++;
	work = malloc(good_size + MAX_GROW);
	fuzz_assert(work != NULL);
	if (mode % 3 == 2) {
		len = (size_t)(end - in) < good_size + MAX_GROW ? (size_t)(end - in)
		                                                  : good_size + MAX_GROW;
		memcpy(work, in, len);
	} else {
		memcpy(work, good, good_size);
		while (end - in >= 4) {
			size_t off = ((size_t)in[0] | (size_t)in[1] << 8 | (size_t)in[2] << 16) % len;
			size_t n = in[3] % 16 + 1;

			in += 4;
			if (mode & 8)
				off = len - 1 - off;
			for (size_t i = 0; i < n && in < end; i++, in++)
				work[(off + i) % len] ^= (char)*in;
		}
		if (mode % 3 == 1)
			fix(work, len);
	}
	if (who % 4 == 3)
		snprintf(user, sizeof(user), "%s", who & 4 ? "" : "no-such-person");
	else if (world->nstaff > 0)
		snprintf(user, sizeof(user), "%s", world->staff[(who >> 2) % world->nstaff].id);
	else
		snprintf(user, sizeof(user), "ghost");
	st = store_image_read(work, len, user, devices[(who >> 5) % 4], &p, &state, &why);
	fuzz_assert(st == SMP_OK || st == SMP_ERR_NOMEM);
	if (p == NULL) {
		fuzz_assert(st == SMP_ERR_NOMEM || (why != NULL && state != SMP_CACHE_USED));
	} else {
		fuzz_assert(state == SMP_CACHE_USED && smp_policy_store_state(p) == SMP_CACHE_USED);
		use(p, user, devices[(who >> 5) % 4]);
	}
	smp_policy_free(p);
	free(work);
	return 0;
}
