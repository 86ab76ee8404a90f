/*
 * test_commands.c - the record commands through the library: each
 * procedure's success and each refusal (the records byte for byte
 * unchanged), the full long-term procedure up to an ALLOW, the audit
 * trail, the lock, many processes signing at once against the office cap,
 * and SIGKILL at random moments of a change.
 *
 * Every test writes a fresh office into its own mkdtemp folder.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "edit_internal.h"
#include "smpolicy_testing.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FLAGS SMP_LOAD_ALLOW_NONROOT

/* Assert x is not NULL, and leave the test if it is. */
#define REQUIRE(x) \
	do { \
		CU_ASSERT_PTR_NOT_NULL(x); \
		if ((x) == NULL) \
			return; \
	} while (0)

/* ---- the world ---------------------------------------------------------- */

struct world {
	char dir[64], conf[128], recs[128], audit[128];
};

static struct world W;   /* the current test's folder */

static const char conf_fmt[] =
	"version = 1;\n"
	"settings = { records = [ \"records.conf\" ]; max_approved_per_office = %d; };\n"
	"platforms = (\n"
	"  { id = \"facebook\"; name = \"Facebook\"; },\n"
	"  { id = \"youtube\"; name = \"YouTube\"; private_messaging = false; }\n"
	");\n"
	"offices = (\n"
	"  { id = \"o1\"; name = \"Office One\"; kind = \"local\"; },\n"
	"  { id = \"o2\"; name = \"Office Two\"; kind = \"area\"; }\n"
	");\n";

static const char people[] =
	"# People of the two offices.  This comment must survive every command.\n"
	"staff = (\n"
	"  { id = \"dir-cpp\"; office = \"o2\"; roles = [ \"director_cpp\" ]; },\n"
	"  { id = \"dir-it\"; office = \"o2\"; roles = [ \"director_it\" ]; },\n"
	"  { id = \"dir-both\"; office = \"o2\"; roles = [ \"director_cpp\", \"director_it\" ]; },\n"
	"  { id = \"lom1\"; office = \"o1\"; roles = [ \"local_office_manager\" ]; },\n"
	"  { id = \"lom2\"; office = \"o2\"; roles = [ \"local_office_manager\" ]; },\n"
	"  { id = \"sup1\"; office = \"o1\"; roles = [ \"supervisor\" ]; },\n"
	"  { id = \"w1\"; office = \"o1\"; roles = [ \"worker\" ]; supervisor = \"sup1\"; },\n"
	"  { id = \"w2\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"w3\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"w4\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"w5\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"w6\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"w7\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"w8\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"w9\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"w10\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"w11\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"w12\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"x1\"; office = \"o2\"; roles = [ \"worker\" ]; }\n"
	");\n"
	"\n"
	"devices = ( { id = \"ws1\"; kind = \"workstation\"; owner = \"dcf\"; office = \"o1\"; } );\n"
	"accounts = (\n"
	"  { id = \"fb1\"; platform = \"facebook\"; holder = \"w1\"; official = true;\n"
	"    supervisor = \"sup1\"; password_escrowed = \"2026-01-01\"; }   # escrowed at creation\n"
	");\n";

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove the previous test's folder. */
static void world_cleanup(void)
{
	if (W.dir[0] != '\0')
		nftw(W.dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	W.dir[0] = '\0';
}

/* A fresh folder with the office; `approvals` is the approvals list text
 * (may be empty), cap the office cap. */
static void world(const char *approvals, int cap)
{
	char conf[2048];
	char *recs;

	world_cleanup();
	snprintf(W.dir, sizeof(W.dir), "/tmp/smp-edit-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(W.dir));
	chmod(W.dir, 0755);
	snprintf(W.conf, sizeof(W.conf), "%s/smpolicy.conf", W.dir);
	snprintf(W.recs, sizeof(W.recs), "%s/records.conf", W.dir);
	snprintf(W.audit, sizeof(W.audit), "%s/audit.log", W.dir);
	snprintf(conf, sizeof(conf), conf_fmt, cap);
	write_file(W.conf, conf, 0644);
	CU_ASSERT_FATAL(asprintf(&recs, "%s%s", people, approvals) > 0);
	write_file(W.recs, recs, 0644);
	free(recs);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;

	if (f == NULL)
		return strdup("");
	getdelim(&buf, &n, '\0', f);
	fclose(f);
	return buf ? buf : strdup("");
}

static bool records_are(const char *want)
{
	char *now = slurp(W.recs);
	bool same = strcmp(now, want) == 0;

	free(now);
	return same;
}

static smp_policy *load_ok(void)
{
	smp_policy *p = NULL;

	CU_ASSERT_EQUAL(smp_policy_load(W.conf, FLAGS, &p, NULL), SMP_OK);
	return p;
}

static size_t check_errors(void)
{
	smp_policy *p = load_ok();
	smp_diags *d = NULL;
	size_t n;

	if (p == NULL)
		return SIZE_MAX;
	smp_policy_check(p, &d);
	n = smp_diags_errors(d);
	smp_diags_free(d);
	smp_policy_free(p);
	return n;
}

static const struct approval *approval_of(const smp_policy *p, const char *id)
{
	uint32_t i = p ? policy_find_approval(p, id) : NONE;

	return i == NONE ? NULL : &p->approvals[i];
}

static size_t count_lines(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *s = text; (s = strstr(s, needle)) != NULL; s++)
		n++;
	return n;
}

static bool file_has(const char *path, const char *needle)
{
	char *text = slurp(path);
	bool yes = strstr(text, needle) != NULL;

	free(text);
	return yes;
}

static bool audit_has(const char *needle)
{
	return file_has(W.audit, needle);
}

static size_t audit_count(const char *needle)
{
	char *log = slurp(W.audit);
	size_t n = count_lines(log, needle);

	free(log);
	return n;
}

/* Expect status want and the records unchanged. */
#define REFUSED(call, want) \
	do { \
		char *before_ = slurp(W.recs); \
		smp_diags *d_ = NULL; \
		smp_status got_ = (call); \
		CU_ASSERT_EQUAL(got_, (want)); \
		CU_ASSERT_TRUE(smp_diags_errors(d_) > 0); \
		CU_ASSERT_TRUE(records_are(before_)); \
		smp_diags_free(d_); \
		free(before_); \
	} while (0)

/* Approvals: long-term requests of w1..wn in o1, CP&P-signed, and
 * IT-signed on it_on unless that is NULL. */
static char *approvals(int n, const char *it_on)
{
	struct ebuf b = { 0 };

	ebuf_adds(&b, "approvals = (\n");
	for (int i = 1; i <= n; i++) {
		ebuf_addf(&b,
		          "  { id = \"LT-2026-%03d\"; staff = \"w%d\"; kind = \"long_term\"; "
		          "platforms = [ \"facebook\" ];\n    requested_by = \"lom1\"; "
		          "requested = \"2026-02-01\";\n"
		          "    approved_cpp = { by = \"dir-cpp\"; on = \"2026-02-02\"; };", i, i);
		if (it_on != NULL)
			ebuf_addf(&b, "\n    approved_it = { by = \"dir-it\"; on = \"%s\"; };", it_on);
		ebuf_addf(&b, " }%s\n", i < n ? "," : "");
	}
	ebuf_adds(&b, ");\n");
	return b.s;
}

/* world() with approvals(n, it_on). */
static void world_signed(int n, const char *it_on, int cap)
{
	char *a = approvals(n, it_on);

	world(a, cap);
	free(a);
}

static smp_status request_lt(const char *staff, const char *by, const char *on, char **id,
                             smp_diags **d)
{
	const char *fb[] = { "facebook", NULL };
	struct smp_edit_request r = { .size = sizeof(r), .staff = staff, .kind = SMP_APPROVAL_LONG_TERM,
	                              .platforms = fb, .by = by, .on = on };

	return smp_edit_request(W.conf, FLAGS, &r, id, d);
}

/* ---- request ------------------------------------------------------------ */

static void test_request_long_term(void)
{
	char *id = NULL, *id2 = NULL;
	smp_policy *p;
	const struct approval *a;

	world("# approvals follow\napprovals = (\n);\n", 2);
	CU_ASSERT_EQUAL(request_lt("w1", "lom1", "2026-03-01", &id, NULL), SMP_OK);
	CU_ASSERT_STRING_EQUAL(id, "LT-2026-001");
	CU_ASSERT_EQUAL(request_lt("w2", "lom1", "2026-03-02", &id2, NULL), SMP_OK);
	CU_ASSERT_STRING_EQUAL(id2, "LT-2026-002");
	p = load_ok();
	a = approval_of(p, "LT-2026-001");
	REQUIRE(a);
	CU_ASSERT_EQUAL(a->kind, KIND_LONG_TERM);
	CU_ASSERT_FALSE(a->cpp.present || a->it.present);
	CU_ASSERT_STRING_EQUAL(p->staff[a->requested_by].id, "lom1");
	CU_ASSERT_TRUE(audit_has("by=lom1 action=request id=LT-2026-001 result=ok"));
	CU_ASSERT_EQUAL(check_errors(), 0);
	smp_policy_free(p);
	free(id);
	free(id2);
}

static void test_request_limited(void)
{
	const char *yt[] = { "youtube", NULL };
	struct smp_edit_request r = { .size = sizeof(r), .staff = "w3", .kind = SMP_APPROVAL_LIMITED, .platforms = yt,
	                              .by = "w3", .ticket = "NJS-4431",
	                              .starts = "2026-11-20T09:00",
	                              .expires = "2026-11-27T17:00", .on = "2026-11-20" };
	char *id = NULL, *id2 = NULL;
	smp_policy *p;
	const struct approval *a;

	world("", 2);   /* no approvals list yet: it is created */
	CU_ASSERT_EQUAL(smp_edit_request(W.conf, FLAGS, &r, &id, NULL), SMP_OK);
	CU_ASSERT_STRING_EQUAL(id, "UB-4431");
	CU_ASSERT_EQUAL(smp_edit_request(W.conf, FLAGS, &r, &id2, NULL), SMP_OK);
	CU_ASSERT_STRING_EQUAL(id2, "UB-4431-2");
	p = load_ok();
	a = approval_of(p, "UB-4431");
	REQUIRE(a);
	CU_ASSERT_STRING_EQUAL(a->ticket, "NJS-4431");
	CU_ASSERT_TRUE(a->expires.set && a->starts.set);
	smp_policy_free(p);
	free(id);
	free(id2);
}

static void test_request_refusals(void)
{
	const char *fb[] = { "facebook", NULL }, *two[] = { "facebook", "youtube", NULL };
	const char *nope[] = { "myspace", NULL }, *twice[] = { "facebook", "facebook", NULL };
	struct smp_edit_request r = { .size = sizeof(r), .staff = "w1", .kind = SMP_APPROVAL_LIMITED, .platforms = fb,
	                              .by = "w1", .ticket = "T-1", .expires = "2026-12-01" };

	world("approvals = ( );\n", 2);
	/* long-term: only a Local Office Manager of the person's office */
	REFUSED(request_lt("w1", "w2", NULL, NULL, &d_), SMP_ERR_REFUSED);
	REFUSED(request_lt("w1", "lom2", NULL, NULL, &d_), SMP_ERR_REFUSED);
	REFUSED(request_lt("nobody", "lom1", NULL, NULL, &d_), SMP_ERR_REFUSED);
	REFUSED(request_lt("w1", "nobody", NULL, NULL, &d_), SMP_ERR_REFUSED);
	REFUSED(request_lt("w1", "lom1", "2026-02-30", NULL, &d_), SMP_ERR_TIME);
	/* limited: a ticket, an expiry, one platform */
	r.ticket = NULL;
	REFUSED(smp_edit_request(W.conf, FLAGS, &r, NULL, &d_), SMP_ERR_REFUSED);
	r.ticket = "T-1";
	r.expires = NULL;
	REFUSED(smp_edit_request(W.conf, FLAGS, &r, NULL, &d_), SMP_ERR_REFUSED);
	r.expires = "2026-12-01";
	r.platforms = two;
	REFUSED(smp_edit_request(W.conf, FLAGS, &r, NULL, &d_), SMP_ERR_REFUSED);
	r.platforms = nope;
	REFUSED(smp_edit_request(W.conf, FLAGS, &r, NULL, &d_), SMP_ERR_REFUSED);
	r.platforms = twice;
	REFUSED(smp_edit_request(W.conf, FLAGS, &r, NULL, &d_), SMP_ERR_REFUSED);
	r.platforms = fb;
	r.starts = "2026-12-02";
	REFUSED(smp_edit_request(W.conf, FLAGS, &r, NULL, &d_), SMP_ERR_REFUSED);
	CU_ASSERT_EQUAL(audit_count("result=refused"), 10);
}

/* The first error's message contains text. */
static bool first_error_says(const smp_diags *d, const char *text)
{
	const struct smp_diag *g = smp_diags_get(d, 0);

	return g != NULL && g->message != NULL && strstr(g->message, text) != NULL;
}

/* A request whose access would be over, or began more than a day ago, at
 * the moment of the request (--on, or now) is refused; a start a few
 * hours back (the morning after the form) is not. */
static void test_request_not_in_the_past(void)
{
	const char *fb[] = { "facebook", NULL };
	struct smp_edit_request r = { .size = sizeof(r), .staff = "w1", .kind = SMP_APPROVAL_LIMITED, .platforms = fb,
	                              .by = "w1", .ticket = "T-9", .on = "2026-11-20T10:00" };
	smp_diags *d = NULL;
	char *id = NULL;

	world("approvals = ( );\n", 2);
	r.expires = "2026-11-20T09:59";   /* a minute before the request */
	REFUSED(smp_edit_request(W.conf, FLAGS, &r, NULL, &d_), SMP_ERR_REFUSED);
	CU_ASSERT_EQUAL(smp_edit_request(W.conf, FLAGS, &r, NULL, &d), SMP_ERR_REFUSED);
	CU_ASSERT_TRUE(first_error_says(d, "is not after the request (2026-11-20T10:00)"));
	smp_diags_free(d);
	d = NULL;
	r.expires = "2026-11-30";
	r.starts = "2026-11-19T09:59";   /* a day and a minute before */
	CU_ASSERT_EQUAL(smp_edit_request(W.conf, FLAGS, &r, NULL, &d), SMP_ERR_REFUSED);
	CU_ASSERT_TRUE(first_error_says(d, "more than a day before the request"));
	smp_diags_free(d);
	d = NULL;
	/* with no --on the moment is now: the year 2000 is past whatever the clock */
	r.on = NULL;
	r.starts = NULL;
	r.expires = "2000-01-31";
	REFUSED(smp_edit_request(W.conf, FLAGS, &r, NULL, &d_), SMP_ERR_REFUSED);
	r.on = "2026-11-20T10:00";
	r.starts = "2026-11-19T10:01";   /* within the day: accepted */
	r.expires = "2026-11-30";
	CU_ASSERT_EQUAL(smp_edit_request(W.conf, FLAGS, &r, &id, NULL), SMP_OK);
	CU_ASSERT_STRING_EQUAL(id ? id : "", "UB-9");
	free(id);
}

/* An id that is not there names the nearest one that is. */
static void test_did_you_mean(void)
{
	const char *fb[] = { "Facebok", NULL };
	struct smp_edit_request r = { .size = sizeof(r), .staff = "W1", .kind = SMP_APPROVAL_LONG_TERM, .platforms = fb,
	                              .by = "lom1", .on = "2026-11-20" };
	smp_diags *d = NULL;
	smp_policy *p;
	char *s;

	world("approvals = ( );\n", 2);
	CU_ASSERT_EQUAL(smp_edit_request(W.conf, FLAGS, &r, NULL, &d), SMP_ERR_REFUSED);
	CU_ASSERT_TRUE(first_error_says(d, "staff member 'W1' is not in the staff records; "
	                                   "did you mean 'w1'?"));
	smp_diags_free(d);
	d = NULL;
	r.staff = "w1";
	CU_ASSERT_EQUAL(smp_edit_request(W.conf, FLAGS, &r, NULL, &d), SMP_ERR_REFUSED);
	CU_ASSERT_TRUE(first_error_says(d, "; did you mean 'facebook'?"));
	smp_diags_free(d);
	d = NULL;
	CU_ASSERT_EQUAL(smp_edit_account(W.conf, FLAGS, "FB-1", SMP_ACCOUNT_COMPROMISED, NULL,
	                                 &d), SMP_ERR_NOTFOUND);
	CU_ASSERT_TRUE(first_error_says(d, "there is no account 'FB-1'; did you mean 'fb1'?"));
	smp_diags_free(d);
	d = NULL;
	/* nothing near: no suggestion */
	CU_ASSERT_EQUAL(smp_edit_account(W.conf, FLAGS, "twitter", SMP_ACCOUNT_COMPROMISED, NULL,
	                                 &d), SMP_ERR_NOTFOUND);
	CU_ASSERT_TRUE(first_error_says(d, "there is no account 'twitter'"));
	CU_ASSERT_FALSE(first_error_says(d, "did you mean"));
	smp_diags_free(d);
	/* the library function itself */
	p = load_ok();
	REQUIRE(p);
	s = smp_policy_suggest(p, SMP_ID_PLATFORM, "YouTub");
	CU_ASSERT_STRING_EQUAL(s ? s : "", "youtube");
	free(s);
	CU_ASSERT_PTR_NULL(smp_policy_suggest(p, SMP_ID_PLATFORM, "youtube"));   /* exact */
	CU_ASSERT_PTR_NULL(smp_policy_suggest(p, SMP_ID_STAFF, "w"));   /* too short to guess */
	CU_ASSERT_PTR_NULL(smp_policy_suggest(p, SMP_ID_STAFF, "worker1"));   /* 3 edits away */
	/* two edits of four letters leave too little: ws-1 is not ph-1's typo */
	CU_ASSERT_PTR_NULL(smp_policy_suggest(p, SMP_ID_DEVICE, "ph1"));
	/* another number is another record: w13 is not a typo of w1, w01 is */
	CU_ASSERT_PTR_NULL(smp_policy_suggest(p, SMP_ID_STAFF, "w13"));
	s = smp_policy_suggest(p, SMP_ID_STAFF, "W01");
	CU_ASSERT_STRING_EQUAL(s ? s : "", "w1");
	free(s);
	s = smp_policy_suggest(p, SMP_ID_DEVICE, "WS1");
	CU_ASSERT_STRING_EQUAL(s ? s : "", "ws1");
	free(s);
	s = smp_policy_suggest(p, SMP_ID_OFFICE, "1o");   /* a transposition */
	CU_ASSERT_STRING_EQUAL(s ? s : "", "o1");
	free(s);
	CU_ASSERT_PTR_NULL(smp_policy_suggest(p, (smp_id_kind)99, "o1"));
	CU_ASSERT_PTR_NULL(smp_policy_suggest(NULL, SMP_ID_OFFICE, "o1"));
	smp_policy_free(p);
}

/* ---- sign --------------------------------------------------------------- */

static void test_full_long_term_procedure(void)
{
	struct smp_request req;
	smp_decision *dec = NULL;
	smp_policy *p;
	smp_sign_off_kind k;
	bool complete = true;
	char *id = NULL;

	world("approvals = (\n);\n", 2);
	CU_ASSERT_EQUAL_FATAL(request_lt("w1", "lom1", NULL, &id, NULL), SMP_OK);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, id, "dir-cpp", NULL, &k, &complete, NULL),
	                SMP_OK);
	CU_ASSERT_EQUAL(k, SMP_SIGN_OFF_CPP);
	CU_ASSERT_FALSE(complete);
	/* not yet allowed: pending; decided from the compiled cache that
	 * the command wrote with the records */
	p = load_ok();
	CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_USED);
	smp_request_init(&req);
	req.user = "w1";
	req.platform = "facebook";
	req.device = "ws1";
	CU_ASSERT_EQUAL(smp_decide(p, &req, &dec), SMP_OK);
	CU_ASSERT_FALSE(smp_decision_allowed(dec));
	smp_decision_free(dec);
	smp_policy_free(p);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, id, "dir-it", NULL, &k, &complete, NULL),
	                SMP_OK);
	CU_ASSERT_EQUAL(k, SMP_SIGN_OFF_IT);
	CU_ASSERT_TRUE(complete);
	p = load_ok();
	CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_USED);
	smp_request_init(&req);
	req.user = "w1";
	req.platform = "facebook";
	req.device = "ws1";
	CU_ASSERT_EQUAL(smp_decide(p, &req, &dec), SMP_OK);
	CU_ASSERT_TRUE(smp_decision_allowed(dec));
	CU_ASSERT_STRING_EQUAL(smp_decision_approval(dec), id);
	smp_decision_free(dec);
	smp_policy_free(p);
	CU_ASSERT_EQUAL(check_errors(), 0);
	free(id);
}

static void test_sign_both_roles(void)
{
	smp_sign_off_kind k;
	bool complete;

	/* dated: the id's year is the request's, whatever year it is now */
	world("", 2);
	CU_ASSERT_EQUAL_FATAL(request_lt("w1", "lom1", "2026-03-01", NULL, NULL), SMP_OK);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-both", "2026-03-02", &k,
	                              &complete, NULL), SMP_OK);
	CU_ASSERT_EQUAL(k, SMP_SIGN_OFF_CPP);
	CU_ASSERT_FALSE(complete);
	/* one person holding both roles gives one sign-off, never both (§C:
	 * two directors) */
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-both", "2026-03-03", NULL, NULL,
	                      &d_), SMP_ERR_REFUSED);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-it", "2026-03-03", &k,
	                              &complete, NULL), SMP_OK);
	CU_ASSERT_EQUAL(k, SMP_SIGN_OFF_IT);
	CU_ASSERT_TRUE(complete);
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-both", NULL, NULL, NULL, &d_),
	        SMP_ERR_REFUSED);
	/* and the other way round: IT by dir-it first, then dir-both for CP&P */
	CU_ASSERT_EQUAL_FATAL(request_lt("w2", "lom1", "2026-03-01", NULL, NULL), SMP_OK);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, "LT-2026-002", "dir-it", "2026-03-02", &k,
	                              &complete, NULL), SMP_OK);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, "LT-2026-002", "dir-both", "2026-03-03", &k,
	                              &complete, NULL), SMP_OK);
	CU_ASSERT_EQUAL(k, SMP_SIGN_OFF_CPP);
	CU_ASSERT_TRUE(complete);
}

static void test_sign_refusals(void)
{
	world_signed(3, NULL, 2);
	/* the Director of IT signs the first two: the office is full */
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-it", "2026-02-03",
	                              NULL, NULL, NULL), SMP_OK);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, "LT-2026-002", "dir-it", "2026-02-04",
	                              NULL, NULL, NULL), SMP_OK);
	/* over the cap at some moment: refused (dated while both hold: signed
	 * today it would fit once their year is over) */
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-003", "dir-it", "2026-02-06", NULL, NULL,
	                      &d_), SMP_ERR_REFUSED);
	/* ... even back-dated, when it would push a holder out */
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-003", "dir-it", "2026-02-02", NULL, NULL,
	                      &d_), SMP_ERR_REFUSED);
	/* a second CP&P sign-off */
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-003", "dir-cpp", NULL, NULL, NULL, &d_),
	        SMP_ERR_REFUSED);
	/* no director role; not in the records */
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-003", "lom1", NULL, NULL, NULL, &d_),
	        SMP_ERR_REFUSED);
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-003", "nobody", NULL, NULL, NULL, &d_),
	        SMP_ERR_REFUSED);
	/* no such approval; a bad time */
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-099", "dir-it", NULL, NULL, NULL, &d_),
	        SMP_ERR_NOTFOUND);
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-003", "dir-it", "yesterday", NULL, NULL,
	                      &d_), SMP_ERR_TIME);
	CU_ASSERT_EQUAL(check_errors(), 0);
	/* once a place is free, the third may be signed */
	CU_ASSERT_EQUAL(smp_edit_revoke(W.conf, FLAGS, "LT-2026-001", "dir-it", "moved",
	                                "2026-02-05", NULL), SMP_OK);
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-003", "dir-it", "2026-02-04T12:00", NULL,
	                      NULL, &d_), SMP_ERR_REFUSED);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, "LT-2026-003", "dir-it", "2026-02-05",
	                              NULL, NULL, NULL), SMP_OK);
	CU_ASSERT_EQUAL(check_errors(), 0);
}

static void test_sign_own_and_revoked(void)
{
	smp_diags *d = NULL;

	world("approvals = (\n"
	      "  { id = \"LT-2026-001\"; staff = \"dir-cpp\"; kind = \"long_term\"; "
	      "platforms = [ \"facebook\" ]; requested_by = \"lom2\"; },\n"
	      "  { id = \"LT-2026-002\"; staff = \"w1\"; kind = \"long_term\"; "
	      "platforms = [ \"facebook\" ]; requested_by = \"lom1\";\n"
	      "    revoked = { on = \"2026-01-01\"; by = \"lom1\"; reason = \"not needed\"; }; },\n"
	      "  { id = \"LT-2026-003\"; staff = \"w2\"; kind = \"long_term\"; "
	      "platforms = [ \"facebook\" ]; requested_by = \"w3\"; }   # not by a LOM\n"
	      ");\n", 2);
	/* an approval that breaks the procedure is never signed */
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-003", "dir-cpp", NULL, NULL, NULL, &d_),
	        SMP_ERR_REFUSED);
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-cpp", NULL, NULL, NULL, &d_),
	        SMP_ERR_REFUSED);
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-002", "dir-cpp", NULL, NULL, NULL, &d_),
	        SMP_ERR_REFUSED);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-it", NULL, NULL, NULL,
	                              &d), SMP_OK);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_TRUE(audit_has("by=dir-cpp action=sign id=LT-2026-001 result=refused"));
}

/* ---- revoke ------------------------------------------------------------- */

static void test_revoke_odd_reasons(void)
{
	static const char *const odd[] = {
		"case closed", "she said \"stop\"", "C:\\Users\\path\\", "two\nlines\n",
		"tab\there", "ümlaut — ☃ 𝄞 日本語", "\x01 bell \x07", "# /* } ); not code",
	};
	size_t n = sizeof(odd) / sizeof(odd[0]);
	char *ids[8] = { 0 };
	smp_policy *p;

	world("approvals = ( );\n", 20);
	for (size_t i = 0; i < n; i++) {
		char staff[8];

		snprintf(staff, sizeof(staff), "w%zu", i + 1);
		CU_ASSERT_EQUAL_FATAL(request_lt(staff, "lom1", NULL, &ids[i], NULL), SMP_OK);
		CU_ASSERT_EQUAL(smp_edit_revoke(W.conf, FLAGS, ids[i], "lom1", odd[i], NULL, NULL),
		                SMP_OK);
	}
	p = load_ok();
	for (size_t i = 0; p != NULL && i < n; i++) {
		const struct approval *a = approval_of(p, ids[i]);

		CU_ASSERT_TRUE(a != NULL && a->revoked.present && a->revoked.reason != NULL &&
		               strcmp(a->revoked.reason, odd[i]) == 0);
		free(ids[i]);
	}
	smp_policy_free(p);
	/* every audit line is one line, whatever the reason held */
	CU_ASSERT_EQUAL(audit_count("\n"), 2 * n);
}

static void test_revoke_refusals(void)
{
	world_signed(1, NULL, 2);
	REFUSED(smp_edit_revoke(W.conf, FLAGS, "LT-2026-001", "nobody", "x", NULL, &d_),
	        SMP_ERR_REFUSED);
	REFUSED(smp_edit_revoke(W.conf, FLAGS, "LT-2026-001", "lom1", "", NULL, &d_),
	        SMP_ERR_ARG);
	REFUSED(smp_edit_revoke(W.conf, FLAGS, "LT-2026-404", "lom1", "x", NULL, &d_),
	        SMP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(smp_edit_revoke(W.conf, FLAGS, "LT-2026-001", "lom1", "x", NULL, NULL),
	                SMP_OK);
	REFUSED(smp_edit_revoke(W.conf, FLAGS, "LT-2026-001", "lom1", "again", NULL, &d_),
	        SMP_ERR_REFUSED);
}

/* Faults already in the records block nothing that does not worsen them. */
static void test_existing_faults(void)
{
	/* three fully signed in o1 by hand: over the cap of 2 */
	world_signed(3, "2026-02-03", 2);
	CU_ASSERT_TRUE(check_errors() > 0);
	/* unrelated changes go through */
	CU_ASSERT_EQUAL(request_lt("x1", "lom2", NULL, NULL, NULL), SMP_OK);
	CU_ASSERT_EQUAL(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_PASSWORD_CHANGED,
	                                 NULL, NULL), SMP_OK);
	/* revoking a holder shrinks the fault: allowed */
	CU_ASSERT_EQUAL(smp_edit_revoke(W.conf, FLAGS, "LT-2026-001", "lom1", "left",
	                                "2026-03-01", NULL), SMP_OK);
	CU_ASSERT_TRUE(check_errors() > 0);
	/* revoking the one beyond the cap from its start ends the fault */
	CU_ASSERT_EQUAL(smp_edit_revoke(W.conf, FLAGS, "LT-2026-003", "lom1", "over the cap",
	                                "2026-02-03", NULL), SMP_OK);
	CU_ASSERT_EQUAL(check_errors(), 0);
}

/* ---- account events ----------------------------------------------------- */

static void test_account_events(void)
{
	smp_policy *p;
	const struct account *a;

	world("", 2);
	CU_ASSERT_EQUAL(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_PASSWORD_CHANGED,
	                                 "2026-05-01T10:00", NULL), SMP_OK);
	CU_ASSERT_EQUAL(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_PASSWORD_ESCROWED,
	                                 "2026-05-01T11:00", NULL), SMP_OK);
	REFUSED(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_RESOLVED, NULL, &d_),
	        SMP_ERR_REFUSED);
	CU_ASSERT_EQUAL(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_COMPROMISED,
	                                 "2026-06-01", NULL), SMP_OK);
	REFUSED(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_COMPROMISED, NULL, &d_),
	        SMP_ERR_REFUSED);
	REFUSED(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_RESOLVED, "2026-05-31", &d_),
	        SMP_ERR_REFUSED);
	REFUSED(smp_edit_account(W.conf, FLAGS, "fb9", SMP_ACCOUNT_RESOLVED, NULL, &d_),
	        SMP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_RESOLVED,
	                                 "2026-06-02", NULL), SMP_OK);
	p = load_ok();
	REQUIRE(p);
	a = &p->accounts[policy_find_account(p, "fb1")];
	CU_ASSERT_TRUE(a->password_changed.set && a->password_escrowed.set);
	CU_ASSERT_TRUE(a->password_escrowed.t - a->password_changed.t == 3600);
	CU_ASSERT_TRUE(a->compromised_reported.set && a->compromised_resolved.set);
	CU_ASSERT_EQUAL(a->compromised_resolved.t - a->compromised_reported.t, 86400);
	smp_policy_free(p);
	CU_ASSERT_TRUE(file_has(W.recs, "# escrowed at creation\n"));
	CU_ASSERT_EQUAL(smp_account_event_parse("password-escrowed", &(smp_account_event){ 0 }),
	                SMP_OK);
	CU_ASSERT_EQUAL(smp_account_event_parse("hacked", &(smp_account_event){ 0 }), SMP_ERR_ARG);
}

/* ---- the file: comments, mode, temporaries, broken records ------------- */

static void test_comments_and_mode_kept(void)
{
	char *before, *after, stale[200];
	struct stat st;

	world("approvals = (\n  # requests go here\n);  // end of approvals\n", 2);
	chmod(W.recs, 0640);
	snprintf(stale, sizeof(stale), "%s/.records.conf.tmp-AbC123", W.dir);
	write_file(stale, "left by a killed command", 0600);
	before = slurp(W.recs);
	CU_ASSERT_EQUAL(request_lt("w1", "lom1", "2026-03-01", NULL, NULL), SMP_OK);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-cpp", "2026-03-02", NULL,
	                              NULL, NULL), SMP_OK);
	after = slurp(W.recs);
	/* everything before the approvals is byte for byte as it was */
	CU_ASSERT_EQUAL(strncmp(before, after, strlen(people)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(after, "  # requests go here\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(after, ");  // end of approvals\n"));
	CU_ASSERT_EQUAL(stat(W.recs, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
	CU_ASSERT_EQUAL(access(stale, F_OK), -1);   /* cleaned up under the lock */
	free(before);
	free(after);
}

static void test_broken_records_not_touched(void)
{
	char *recs;

	world("", 2);
	/* a fault of the file itself: nothing loads, nothing is changed */
	CU_ASSERT_FATAL(asprintf(&recs, "%sbogus = 1;\n", people) > 0);
	write_file(W.recs, recs, 0644);
	free(recs);
	REFUSED(request_lt("w1", "lom1", NULL, NULL, &d_), SMP_ERR_PARSE);
	chmod(W.recs, 0666);
	REFUSED(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_COMPROMISED, NULL, &d_),
	        SMP_ERR_INSECURE);
	/* a symbolic link would be replaced by the rename, not followed */
	world("", 2);
	{
		char real[160];

		snprintf(real, sizeof(real), "%s/real.conf", W.dir);
		CU_ASSERT_EQUAL(rename(W.recs, real), 0);
		CU_ASSERT_EQUAL(symlink("real.conf", W.recs), 0);
		REFUSED(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_COMPROMISED, NULL, &d_),
		        SMP_ERR_IO);
		CU_ASSERT_TRUE(file_has(real, "password_escrowed = \"2026-01-01\"; }   #"));
	}
}

/* One void record (an approval with a typo, a director's entry with an
 * unknown role): the commands change everything else, but never the void
 * record itself, nor act as a void person. */
static void test_void_records(void)
{
	char *recs, *text, *at;
	const char *xx = "roles = [ \"director_xx\" ]";

	world("", 2);
	CU_ASSERT_FATAL(asprintf(&recs, "%s"
	                         "approvals = ( { id = \"A\"; staff = \"w2\"; kind = \"limited\";\n"
	                         "  ticket = \"T-1\"; platforms = [ \"facebook\" ];\n"
	                         "  expries = \"2026-01-01\"; } );\n", people) > 0);
	write_file(W.recs, recs, 0644);
	free(recs);
	CU_ASSERT_EQUAL(request_lt("w1", "lom1", "2026-03-01", NULL, NULL), SMP_OK);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-cpp", "2026-03-02", NULL,
	                              NULL, NULL), SMP_OK);
	CU_ASSERT_TRUE(file_has(W.recs, "expries = \"2026-01-01\""));
	REFUSED(smp_edit_sign(W.conf, FLAGS, "A", "dir-cpp", NULL, NULL, NULL, &d_),
	        SMP_ERR_REFUSED);
	REFUSED(smp_edit_revoke(W.conf, FLAGS, "A", "lom1", "typo", NULL, &d_), SMP_ERR_REFUSED);
	/* the Director of IT's entry void: they sign nothing */
	text = slurp(W.recs);
	at = strstr(text, "roles = [ \"director_it\" ]");
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	memcpy(at, xx, strlen(xx));
	write_file(W.recs, text, 0644);
	free(text);
	REFUSED(smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-it", "2026-03-03", NULL, NULL,
	                      &d_), SMP_ERR_REFUSED);
	/* and the rest still works */
	CU_ASSERT_EQUAL(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_COMPROMISED, NULL, NULL),
	                SMP_OK);
}

/* ---- lock and audit ----------------------------------------------------- */

static void test_lock_busy(void)
{
	char lock[200];
	int fd;

	world_signed(1, NULL, 2);
	snprintf(lock, sizeof(lock), "%s.lock", W.recs);
	fd = open(lock, O_RDWR | O_CREAT, 0600);
	CU_ASSERT_FATAL(fd >= 0 && flock(fd, LOCK_EX) == 0);
	REFUSED(smp_edit_sign(W.conf, FLAGS | SMP_EDIT_NOWAIT, "LT-2026-001", "dir-it", NULL,
	                      NULL, NULL, &d_), SMP_ERR_LOCK);
	close(fd);
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS | SMP_EDIT_NOWAIT, "LT-2026-001", "dir-it",
	                              NULL, NULL, NULL, NULL), SMP_OK);
	CU_ASSERT_EQUAL(stat(lock, &(struct stat){ 0 }), 0);
}

struct lines {
	size_t n;
	char last[1024];
};

static int collect(void *ctx, int64_t when, const char *line)
{
	struct lines *l = ctx;

	(void)when;
	l->n++;
	snprintf(l->last, sizeof(l->last), "%s", line);
	return 0;
}

static void test_audit_trail(void)
{
	struct lines all = { 0 }, recent = { 0 };
	int64_t future = (int64_t)time(NULL) + 3600, past = 0;
	char *log;

	world_signed(1, NULL, 2);
	CU_ASSERT_EQUAL(smp_audit_read(W.conf, FLAGS, NULL, collect, &all, NULL), SMP_OK);
	CU_ASSERT_EQUAL(all.n, 0);   /* no log yet */
	CU_ASSERT_EQUAL(smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-it", NULL, NULL, NULL,
	                              NULL), SMP_OK);
	smp_edit_sign(W.conf, FLAGS, "LT-2026-001", "dir-it", NULL, NULL, NULL, NULL);
	smp_edit_revoke(W.conf, FLAGS, "LT-2026-001", "dir-it", "say \"why\"\nplease", NULL, NULL);
	CU_ASSERT_EQUAL(smp_audit_read(W.conf, FLAGS, NULL, collect, &all, NULL), SMP_OK);
	CU_ASSERT_EQUAL(all.n, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(all.last, " by=dir-it action=revoke id=LT-2026-001 "
	                                        "result=ok detail=\"revoked on "));
	CU_ASSERT_PTR_NOT_NULL(strstr(all.last, "say \\\"why\\\"\\nplease\""));
	CU_ASSERT_EQUAL(smp_audit_read(W.conf, FLAGS, &future, collect, &recent, NULL), SMP_OK);
	CU_ASSERT_EQUAL(recent.n, 0);
	CU_ASSERT_EQUAL(smp_audit_read(W.conf, FLAGS, &past, collect, &recent, NULL), SMP_OK);
	CU_ASSERT_EQUAL(recent.n, 3);
	log = slurp(W.audit);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "action=sign id=LT-2026-001 result=ok detail="));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "action=sign id=LT-2026-001 result=refused detail="));
	free(log);
}

/* ---- many processes at once --------------------------------------------- */

static void test_parallel_signatures(void)
{
	enum { N = 12 };
	pid_t pids[N];
	int go[2], ok = 0, refused = 0, other = 0;
	smp_policy *p;
	size_t signed_it = 0;

	world_signed(N, NULL, 2);
	CU_ASSERT_FATAL(pipe(go) == 0);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		CU_ASSERT_FATAL(pids[i] >= 0);
		if (pids[i] == 0) {
			char id[32], c;
			smp_status st;

			close(go[1]);
			snprintf(id, sizeof(id), "LT-2026-%03d", i + 1);
			(void)!read(go[0], &c, 1);   /* all start together */
			st = smp_edit_sign(W.conf, FLAGS, id, "dir-it", NULL, NULL, NULL, NULL);
			_exit(st == SMP_OK ? 0 : st == SMP_ERR_REFUSED ? 1 : 2);
		}
	}
	close(go[0]);
	close(go[1]);   /* EOF: go */
	for (int i = 0; i < N; i++) {
		int status = 0;

		waitpid(pids[i], &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
			refused++;
		else
			other++;
	}
	CU_ASSERT_EQUAL(ok, 2);
	CU_ASSERT_EQUAL(refused, N - 2);
	CU_ASSERT_EQUAL(other, 0);
	CU_ASSERT_EQUAL(check_errors(), 0);
	p = load_ok();
	for (size_t i = 0; p != NULL && i < p->napprovals; i++)
		signed_it += p->approvals[i].it.present;
	CU_ASSERT_EQUAL(signed_it, 2);
	smp_policy_free(p);
	CU_ASSERT_EQUAL(audit_count("\n"), N);
}

/* ---- kill -9 at random moments ------------------------------------------ */

static int64_t usec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void time_text_n(int n, char *out, size_t size)
{
	smp_time_format(1767225600 + (int64_t)n * 60, out, size);   /* 2026-01-01 + n min */
}

/* The text the change "password_changed = time n" makes of old. */
static char *expected_after(const char *old, int n)
{
	const char *path[] = { "password_changed", NULL };
	char when[40];
	struct ebuf v = { 0 }, out = { 0 };
	struct span e;
	char *why = NULL;

	time_text_n(n, when, sizeof(when));
	conf_quote(&v, when);
	CU_ASSERT_FATAL(text_find_entry(old, "accounts", "fb1", &e, &why) == SMP_OK);
	CU_ASSERT_FATAL(text_set(old, e, path, v.s, &out, &why) == SMP_OK);
	ebuf_free(&v);
	return out.s;
}

static pid_t start_change(int n)
{
	pid_t pid = fork();

	if (pid == 0) {
		char when[40];

		time_text_n(n, when, sizeof(when));
		_exit(smp_edit_account(W.conf, FLAGS, "fb1", SMP_ACCOUNT_PASSWORD_CHANGED, when,
		                       NULL) == SMP_OK ? 0 : 1);
	}
	return pid;
}

static size_t temp_files(void)
{
	DIR *dp = opendir(W.dir);
	struct dirent *e;
	size_t n = 0;

	while (dp != NULL && (e = readdir(dp)) != NULL)
		n += strncmp(e->d_name, ".records.conf.tmp-", 18) == 0;
	if (dp != NULL)
		closedir(dp);
	return n;
}

static void test_kill_at_random_moments(void)
{
	int64_t t0, span, deadline;
	int n = 1, kept_old = 0, got_new = 0, bad = 0;
	char *old;

	world_signed(2, NULL, 2);
	t0 = usec_now();
	for (int i = 0; i < 3; i++, n++)
		waitpid(start_change(n), NULL, 0);
	span = (usec_now() - t0) / 3 * 3 / 2 + 1;   /* 1.5 times one change */
	old = slurp(W.recs);
	srand((unsigned)getpid());
	for (deadline = usec_now() + 3000000; usec_now() < deadline; n++) {
		char *want = expected_after(old, n), *now;
		pid_t pid = start_change(n);
		smp_policy *p = NULL;

		usleep((useconds_t)(rand() % span));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		now = slurp(W.recs);
		if (strcmp(now, old) == 0) {
			kept_old++;
		} else if (strcmp(now, want) == 0) {
			got_new++;
			free(old);
			old = strdup(now);
		} else {
			bad++;
		}
		if (smp_policy_load(W.conf, FLAGS, &p, NULL) != SMP_OK)
			bad++;
		smp_policy_free(p);
		free(want);
		free(now);
	}
	printf("\n    %d kills: old records kept %d times, new records %d times ", kept_old + got_new,
	       kept_old, got_new);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(kept_old + got_new > 20);
	/* no stale lock: the next command gets it at once, and tidies up */
	CU_ASSERT_EQUAL(smp_edit_account(W.conf, FLAGS | SMP_EDIT_NOWAIT, "fb1",
	                                 SMP_ACCOUNT_PASSWORD_ESCROWED, NULL, NULL), SMP_OK);
	CU_ASSERT_EQUAL(temp_files(), 0);
	CU_ASSERT_EQUAL(check_errors(), 0);
	/* and the compiled cache it wrote is the records' own */
	{
		smp_policy *p = load_ok();

		CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_USED);
		smp_policy_free(p);
	}
	free(old);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "request: long-term", test_request_long_term },
		{ "request: limited, id from the ticket", test_request_limited },
		{ "request: refusals leave the records unchanged", test_request_refusals },
		{ "request: not for the past", test_request_not_in_the_past },
		{ "unknown ids: did you mean", test_did_you_mean },
		{ "request, sign, sign, then ALLOW", test_full_long_term_procedure },
		{ "sign: one director holding both roles", test_sign_both_roles },
		{ "sign: refusals, the office cap", test_sign_refusals },
		{ "sign: own approval, revoked approval", test_sign_own_and_revoked },
		{ "revoke: odd reasons round-trip", test_revoke_odd_reasons },
		{ "revoke: refusals", test_revoke_refusals },
		{ "existing faults block only what worsens them", test_existing_faults },
		{ "account: password and compromise events", test_account_events },
		{ "comments, mode kept; stale temporaries removed", test_comments_and_mode_kept },
		{ "broken or insecure records are not touched", test_broken_records_not_touched },
		{ "void records: the rest is changed, the void record never", test_void_records },
		{ "lock held elsewhere", test_lock_busy },
		{ "audit trail", test_audit_trail },
		{ "12 processes sign at once against the cap", test_parallel_signatures },
		{ "SIGKILL at random moments", test_kill_at_random_moments },
	};
	CU_pSuite s;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("edit_commands", NULL, NULL);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		CU_add_test(s, tests[i].name, tests[i].fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	world_cleanup();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
