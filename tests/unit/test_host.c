/*
 * test_host.c - a web host to its platform through the catalogue's domains
 * (smpolicy-squid(8)): subdomains, look-alikes, case, dots, IP literals, overlaps.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"

#include <CUnit/Basic.h>
#include <string.h>

static struct world W;
static smp_policy *P;

#define CONF \
	"version = 1;\n" \
	"settings = { records = [ \"records.conf\" ]; };\n" \
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
	return run_suites();
}
