/*
 * test_host.c - a web host to its platform through the catalogue's domains
 * (smpolicy-squid(8)): subdomains, look-alikes, case, dots, IP literals, overlaps;
 * and a DNS name to its device through settings.device_domains: inside,
 * outside, look-alike suffixes, labels left, case, dots, faults.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"
#include "smpolicy_testing.h"

#include <CUnit/Basic.h>
#include <string.h>

static struct world W;
static smp_policy *P;

#define CONF \
	"version = 1;\n" \
	"settings = { records = [ \"records.conf\" ];\n" \
	"  device_domains = [ \"WS.dcf.example.\", \"lab.example\" ]; };\n" \
	"platforms = (\n" \
	"  { id = \"facebook\"; name = \"Facebook\"; domains = [ \"facebook.com\", \"FB.com\", \"messenger.com.\" ]; },\n" \
	"  { id = \"youtube\"; name = \"YouTube\"; domains = [ \".youtube.com\", \"youtu.be\" ]; },\n" \
	"  { id = \"blogs\"; name = \"Blogs\"; domains = [ \"blogs.example.org\" ]; },\n" \
	"  { id = \"example\"; name = \"Example\"; domains = [ \"example.org\" ]; },\n" \
	"  { id = \"snapchat\"; name = \"Snap Chat\"; mobile_only = true; },\n" \
	"  { id = \"empty\"; name = \"Empty\"; domains = [ ]; }\n" \
	");\n" \
	"offices = ( { id = \"o1\"; name = \"Office One\"; kind = \"local\"; } );\n"

#define RECORDS "staff = ( { id = \"w1\"; office = \"o1\"; roles = [ \"worker\" ]; } );\n"

static int setup(void)
{
	if (!world_write_raw(&W, CONF, RECORDS))
		return 1;
	P = world_load(&W);
	return P == NULL;
}

static int teardown(void)
{
	smp_policy_free(P);
	world_remove(&W);
	return 0;
}

static void expect(const char *host, const char *platform)
{
	const char *got = smp_policy_platform_for_host(P, host);

	if (platform == NULL ? got != NULL : got == NULL || strcmp(got, platform) != 0)
		fprintf(stderr, "host '%s': expected %s, got %s\n", host,
		        platform ? platform : "none", got ? got : "none");
	CU_ASSERT_TRUE(platform == NULL ? got == NULL
	                                : got != NULL && strcmp(got, platform) == 0);
}

static void test_exact_and_subdomains(void)
{
	expect("facebook.com", "facebook");
	expect("www.facebook.com", "facebook");
	expect("m.facebook.com", "facebook");
	expect("a.b.c.facebook.com", "facebook");
	expect("fb.com", "facebook");
	expect("messenger.com", "facebook");
	expect("youtube.com", "youtube");
	expect("www.youtube.com", "youtube");
	expect("youtu.be", "youtube");
}

static void test_look_alikes(void)
{
	expect("notfacebook.com", NULL);
	expect("facebook.com.evil.net", NULL);
	expect("facebook.co", NULL);
	expect("acebook.com", NULL);
	expect("xfb.com", NULL);
	expect("com", NULL);
	expect("example.com", NULL);
	expect("facebook-com", NULL);
}

static void test_case_and_dots(void)
{
	expect("FACEBOOK.COM", "facebook");
	expect("M.FaceBook.Com", "facebook");
	expect("fb.COM", "facebook");              /* the catalogue says "FB.com" */
	expect("facebook.com.", "facebook");       /* the root */
	expect("m.facebook.com.", "facebook");
	expect("facebook.com..", "facebook");
	expect("messenger.com", "facebook");       /* the catalogue says "messenger.com." */
	expect(".youtube.com", "youtube");
	expect("notfacebook.com.", NULL);
}

static void test_ip_literals_and_empty(void)
{
	expect("157.240.1.35", NULL);
	expect("127.0.0.1", NULL);
	expect("::1", NULL);
	expect("[2a03:2880:f12f:83:face:b00c:0:25de]", NULL);
	expect("2a03:2880:f12f:83:face:b00c::25de", NULL);
	expect("", NULL);
	expect(".", NULL);
	expect("..", NULL);
	CU_ASSERT_PTR_NULL(smp_policy_platform_for_host(P, NULL));
	CU_ASSERT_PTR_NULL(smp_policy_platform_for_host(NULL, "facebook.com"));
}

static void test_longest_domain_wins(void)
{
	expect("example.org", "example");
	expect("www.example.org", "example");
	expect("blogs.example.org", "blogs");
	expect("x.blogs.example.org", "blogs");
	expect("xblogs.example.org", "example");
}

static void test_long_host(void)
{
	char host[2048];

	memset(host, 'a', sizeof(host));
	memcpy(host + sizeof(host) - 14, ".facebook.com", 14);   /* with its NUL */
	expect(host, "facebook");
	host[sizeof(host) - 14] = 'x';
	expect(host, NULL);
}

static void test_domains_listed(void)
{
	CU_ASSERT_STRING_EQUAL(smp_policy_platform_domain(P, 0, 0), "facebook.com");
	CU_ASSERT_STRING_EQUAL(smp_policy_platform_domain(P, 0, 1), "FB.com");
	CU_ASSERT_STRING_EQUAL(smp_policy_platform_domain(P, 0, 2), "messenger.com.");
	CU_ASSERT_PTR_NULL(smp_policy_platform_domain(P, 0, 3));
	CU_ASSERT_STRING_EQUAL(smp_policy_platform_domain(P, 1, 1), "youtu.be");
	CU_ASSERT_PTR_NULL(smp_policy_platform_domain(P, 4, 0));   /* none given */
	CU_ASSERT_PTR_NULL(smp_policy_platform_domain(P, 5, 0));   /* an empty list */
	CU_ASSERT_PTR_NULL(smp_policy_platform_domain(P, 6, 0));   /* no such platform */
	CU_ASSERT_PTR_NULL(smp_policy_platform_domain(NULL, 0, 0));
}

/* ---- a DNS name to its device ------------------------------------------ */

static void expect_device(const smp_policy *p, const char *name, const char *id)
{
	char got[64] = "unset";
	smp_status st = smp_policy_device_for_name(p, name, got, sizeof(got));
	bool good = id == NULL ? st == SMP_ERR_NOTFOUND && got[0] == '\0'
	                       : st == SMP_OK && strcmp(got, id) == 0;

	if (!good)
		fprintf(stderr, "name '%s': expected %s, got %s '%s'\n", name, id ? id : "none",
		        smp_status_string(st), got);
	CU_ASSERT_TRUE(good);
}

static void test_device_inside(void)
{
	expect_device(P, "ws-essex-0042.ws.dcf.example", "ws-essex-0042");
	expect_device(P, "ws1.lab.example", "ws1");
	expect_device(P, "ws_2.ws.dcf.example", "ws_2");
	/* the label as the name spells it; the domain in any case, a trailing dot */
	expect_device(P, "WS-Essex-0042.Ws.DCF.Example", "WS-Essex-0042");
	expect_device(P, "ws1.ws.dcf.example.", "ws1");
	expect_device(P, "ws1.LAB.EXAMPLE.", "ws1");
}

static void test_device_outside(void)
{
	expect_device(P, "ws-essex-0042.guest.example", NULL);   /* the first label of any name */
	expect_device(P, "ws1.ws.dcf.example.evil", NULL);
	expect_device(P, "xws.dcf.example.evil", NULL);
	expect_device(P, "ws1.xws.dcf.example", NULL);           /* not at a label boundary */
	expect_device(P, "ws1-ws.dcf.example", NULL);
	expect_device(P, "ws1.dcf.example", NULL);               /* the parent domain */
	expect_device(P, "ws1.example", NULL);
	expect_device(P, "a.ws1.ws.dcf.example", NULL);          /* two labels left */
	expect_device(P, "ws.dcf.example", NULL);                /* none left */
	expect_device(P, ".ws.dcf.example", NULL);
	expect_device(P, "ws1..ws.dcf.example", NULL);
	expect_device(P, "ws1.ws.dcf.example..", NULL);
	expect_device(P, "ws 1.ws.dcf.example", NULL);           /* not a label */
	expect_device(P, "ws1/x.ws.dcf.example", NULL);
	expect_device(P, "ws1", NULL);                           /* no domain at all */
	expect_device(P, "", NULL);
	expect_device(P, ".", NULL);
}

static void test_device_label_length(void)
{
	char name[160], want[80];

	memset(want, 'a', 63);   /* a DNS label's most, and 64 bytes with the NUL */
	want[63] = '\0';
	snprintf(name, sizeof(name), "%s.lab.example", want);
	expect_device(P, name, want);
	memset(want, 'a', 64);
	want[64] = '\0';
	snprintf(name, sizeof(name), "%s.lab.example", want);
	expect_device(P, name, NULL);   /* longer than a DNS label */
}

static void test_device_arguments(void)
{
	char id[8];

	CU_ASSERT_EQUAL(smp_policy_device_for_name(NULL, "ws1.lab.example", id, sizeof(id)),
	                SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_device_for_name(P, NULL, id, sizeof(id)), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_device_for_name(P, "ws1.lab.example", NULL, 8), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_device_for_name(P, "ws1.lab.example", id, 0), SMP_ERR_ARG);
	/* an id that does not fit is an error, never a cut id */
	CU_ASSERT_EQUAL(smp_policy_device_for_name(P, "ws-essex-0042.lab.example", id, sizeof(id)),
	                SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_device_for_name(P, "ws12345.lab.example", id, sizeof(id)), SMP_OK);
	CU_ASSERT_STRING_EQUAL(id, "ws12345");
}

/* Without device_domains no name is a device's; with faulty ones, the
 * load fails at the entry's line. */
static void test_device_domains_setting(void)
{
	static const struct { const char *list; unsigned line; } bad[] = {
		{ "[ \"ws.dcf.example\", \"\" ]", 4 },
		{ "[ \"ws dcf.example\" ]", 4 },
		{ "[ \"ws..dcf.example\" ]", 4 },
		{ "[ \".ws.dcf.example\" ]", 4 },
		{ "[ \"-ws.dcf.example\" ]", 4 },
		{ "[ \"ws-.dcf.example\" ]", 4 },
		{ "[ \"*.dcf.example\" ]", 4 },
		{ "[ \"ws.dcf.example\",\n    \"caf\xc3\xa9.example\" ]", 5 },
		{ "[ \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example\" ]", 4 },
		{ "\"ws.dcf.example\"", 4 },
	};
	struct world w;
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	char conf[2048], text[512];

	snprintf(conf, sizeof(conf), WORLD_CONF_FMT, "");
	CU_ASSERT_TRUE_FATAL(world_write_raw(&w, conf, WORLD_PEOPLE));
	p = world_load(&w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	expect_device(p, "ws1.ws.dcf.example", NULL);
	expect_device(p, "ws1", NULL);
	smp_policy_free(p);
	world_remove(&w);
	/* an empty list is the same as none */
	snprintf(conf, sizeof(conf), WORLD_CONF_FMT, "device_domains = [ ];");
	CU_ASSERT_TRUE_FATAL(world_write_raw(&w, conf, WORLD_PEOPLE));
	p = world_load(&w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	expect_device(p, "ws1.ws.dcf.example", NULL);
	smp_policy_free(p);
	world_remove(&w);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool found = false;

		snprintf(text, sizeof(text), "\n  device_domains = %s;", bad[i].list);
		snprintf(conf, sizeof(conf), WORLD_CONF_FMT, text);
		CU_ASSERT_TRUE_FATAL(world_write_raw(&w, conf, WORLD_PEOPLE));
		p = NULL;
		d = NULL;
		CU_ASSERT_EQUAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &p, &d), SMP_ERR_PARSE);
		CU_ASSERT_PTR_NULL(p);
		for (size_t k = 0; k < smp_diags_count(d); k++)
			if (smp_diags_get(d, k)->line == bad[i].line &&
			    strstr(smp_diags_get(d, k)->message, "device_domains") != NULL)
				found = true;
		if (!found)
			fprintf(stderr, "device_domains = %s: no error at line %u (%s)\n", bad[i].list,
			        bad[i].line, smp_diags_count(d) ? smp_diags_get(d, 0)->message : "none");
		CU_ASSERT_TRUE(found);
		smp_diags_free(d);
		smp_policy_free(p);
		world_remove(&w);
	}
}

/* The compiled cache carries the setting: a policy read from it answers
 * as the one parsed. */
static void test_device_domains_cached(void)
{
	smp_policy *q = NULL;
	smp_diags *d = NULL;

	CU_ASSERT_EQUAL_FATAL(smp_policy_cache_write(P, 0, &d), SMP_OK);
	smp_diags_free(d);
	d = NULL;
	CU_ASSERT_EQUAL_FATAL(smp_policy_load(W.conf, SMP_LOAD_ALLOW_NONROOT, &q, &d), SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_cache_state(q), SMP_CACHE_USED);
	expect_device(q, "ws-essex-0042.ws.dcf.example", "ws-essex-0042");
	expect_device(q, "ws1.LAB.example.", "ws1");
	expect_device(q, "ws1.guest.example", NULL);
	smp_diags_free(d);
	smp_policy_free(q);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("platform for host", setup, teardown);
	CU_add_test(s, "a domain and its subdomains", test_exact_and_subdomains);
	CU_add_test(s, "look-alikes are no platform's", test_look_alikes);
	CU_add_test(s, "case and leading or trailing dots do not matter", test_case_and_dots);
	CU_add_test(s, "IP literals and empty hosts", test_ip_literals_and_empty);
	CU_add_test(s, "the longest domain wins", test_longest_domain_wins);
	CU_add_test(s, "a host longer than DNS allows", test_long_host);
	CU_add_test(s, "the domains as the catalogue lists them", test_domains_listed);
	s = CU_add_suite("device for name", setup, teardown);
	CU_add_test(s, "names under device_domains", test_device_inside);
	CU_add_test(s, "names outside, look-alikes, labels left", test_device_outside);
	CU_add_test(s, "a label's length", test_device_label_length);
	CU_add_test(s, "arguments", test_device_arguments);
	CU_add_test(s, "the setting: none, empty, faults at FILE:LINE", test_device_domains_setting);
	CU_add_test(s, "the setting through the compiled cache", test_device_domains_cached);
	return run_suites();
}
