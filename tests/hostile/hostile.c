/*
 * hostile.c - the loader and the decision against hostile files:
 * symbolic links, @include, huge and endless files, a million approvals,
 * crowded groups, deep nesting, NUL bytes, very long strings, integers
 * that overflow, and moments before 1970 and after 2038.
 *
 * Each test writes its files into its own mkdtemp folder (mode 0700, ours)
 * and loads with SMP_LOAD_ALLOW_NONROOT.  Tests that need another owner
 * (a link not owned by root) chown, and so run as root only; as anyone
 * else they say so and pass.  Times are printed, never asserted: the
 * meson timeout is the only clock.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "smpolicy.h"
#include "smpolicy_testing.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FLAGS SMP_LOAD_ALLOW_NONROOT
#define NOBODY 65534

_Static_assert(sizeof(time_t) == 8, "a 64-bit time_t is assumed");

static const char conf_text[] =
	"version = 1;\n"
	"settings = { records = [ \"records.conf\" ]; max_approved_per_office = 2; };\n"
	"platforms = ( { id = \"facebook\"; name = \"Facebook\"; },\n"
	"  { id = \"youtube\"; name = \"YouTube\"; private_messaging = false; } );\n"
	"offices = ( { id = \"o1\"; name = \"Office One\"; kind = \"local\"; },\n"
	"  { id = \"o2\"; name = \"Office Two\"; kind = \"area\"; } );\n";

static const char staff_text[] =
	"staff = (\n"
	"  { id = \"dir-cpp\"; office = \"o2\"; roles = [ \"director_cpp\" ]; },\n"
	"  { id = \"dir-it\"; office = \"o2\"; roles = [ \"director_it\" ]; },\n"
	"  { id = \"lom1\"; office = \"o1\"; roles = [ \"local_office_manager\" ]; },\n"
	"  { id = \"w1\"; office = \"o1\"; roles = [ \"worker\" ]; }\n"
	");\n"
	"devices = ( { id = \"ws1\"; kind = \"workstation\"; owner = \"dcf\"; office = \"o1\"; } );\n";

static char dir[64], conf[PATH_MAX + 32], recs[PATH_MAX + 32];

/* ---- helpers ----------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/smp-hostile-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(conf, sizeof(conf), "%s/smpolicy.conf", dir);
	snprintf(recs, sizeof(recs), "%s/records.conf", dir);
	return 0;
}

static int teardown(void)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_path(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(fchmod(fd, mode) == 0);
	CU_ASSERT_FATAL(write(fd, text, len) == (ssize_t)len);
	close(fd);
}

static void write_files(const char *conf_body, const char *records_body)
{
	write_path(conf, conf_body, strlen(conf_body), 0644);
	write_path(recs, records_body, strlen(records_body), 0644);
}

/* Load; returns the status and, if want is not NULL, checks that some
 * diagnostic contains it. */
static smp_status load(const char *config, smp_policy **p, const char *want)
{
	smp_diags *d = NULL;
	smp_status st = smp_policy_load(config, FLAGS, p, &d);
	bool found = want == NULL;

	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);

		if (want && strstr(g->message, want))
			found = true;
	}
	if (!found) {
		fprintf(stderr, "\n  wanted a diagnostic with '%s'; got:\n", want);
		for (size_t i = 0; i < smp_diags_count(d) && i < 5; i++)
			fprintf(stderr, "    %s:%u: %s\n", smp_diags_get(d, i)->file,
			        smp_diags_get(d, i)->line, smp_diags_get(d, i)->message);
	}
	CU_ASSERT(found);
	CU_ASSERT((st == SMP_OK) == (*p != NULL));
	smp_diags_free(d);
	return st;
}

/* Load and expect a refusal with diagnostic `want`. */
static void refused(smp_status expect, const char *want)
{
	smp_policy *p = NULL;

	CU_ASSERT_EQUAL(load(conf, &p, want), expect);
	CU_ASSERT_PTR_NULL(p);
	smp_policy_free(p);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static bool am_root(void)
{
	if (geteuid() == 0)
		return true;
	fprintf(stderr, " (needs root to chown: checked as root only) ");
	return false;
}

/* ---- symbolic links ---------------------------------------------------- */

static void test_symlink_records_not_root(void)
{
	char real[PATH_MAX];

	if (!am_root())
		return;
	snprintf(real, sizeof(real), "%s/real.conf", dir);
	write_path(conf, conf_text, strlen(conf_text), 0644);
	write_path(real, staff_text, strlen(staff_text), 0644);
	unlink(recs);
	CU_ASSERT_FATAL(symlink("real.conf", recs) == 0);
	CU_ASSERT_FATAL(lchown(recs, NOBODY, NOBODY) == 0);
	refused(SMP_ERR_INSECURE, "not owned by root");
}

static void test_symlink_config_not_root(void)
{
	char link[PATH_MAX];
	smp_policy *p = NULL;

	if (!am_root())
		return;
	write_files(conf_text, staff_text);
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	unlink(link);
	CU_ASSERT_FATAL(symlink(conf, link) == 0);
	CU_ASSERT_FATAL(lchown(link, NOBODY, NOBODY) == 0);
	CU_ASSERT_EQUAL(load(link, &p, "not owned by root"), SMP_ERR_INSECURE);
	smp_policy_free(p);
}

static void test_symlink_chain_not_root(void)
{
	char real[PATH_MAX], mid[PATH_MAX];

	if (!am_root())
		return;
	snprintf(real, sizeof(real), "%s/real.conf", dir);
	snprintf(mid, sizeof(mid), "%s/mid.conf", dir);
	write_path(conf, conf_text, strlen(conf_text), 0644);
	write_path(real, staff_text, strlen(staff_text), 0644);
	unlink(recs);
	unlink(mid);
	/* records.conf (root) -> mid.conf (nobody) -> real.conf */
	CU_ASSERT_FATAL(symlink("real.conf", mid) == 0);
	CU_ASSERT_FATAL(lchown(mid, NOBODY, NOBODY) == 0);
	CU_ASSERT_FATAL(symlink(mid, recs) == 0);
	refused(SMP_ERR_INSECURE, "not owned by root");
}

static void test_symlink_root_ok(void)
{
	char real[PATH_MAX];
	smp_policy *p = NULL;

	snprintf(real, sizeof(real), "%s/real.conf", dir);
	write_path(conf, conf_text, strlen(conf_text), 0644);
	write_path(real, staff_text, strlen(staff_text), 0644);
	unlink(recs);
	CU_ASSERT_FATAL(symlink("real.conf", recs) == 0);
	CU_ASSERT_EQUAL(load(conf, &p, NULL), SMP_OK);
	smp_policy_free(p);
}

/* A link (ours, or root's) into a folder that others may write. */
static void test_symlink_into_writable_folder(void)
{
	char open_dir[PATH_MAX], real[PATH_MAX + 32];

	snprintf(open_dir, sizeof(open_dir), "%s/open", dir);
	snprintf(real, sizeof(real), "%s/records.conf", open_dir);
	mkdir(open_dir, 0777);
	CU_ASSERT_FATAL(chmod(open_dir, 0777) == 0);
	write_path(conf, conf_text, strlen(conf_text), 0644);
	write_path(real, staff_text, strlen(staff_text), 0644);
	unlink(recs);
	CU_ASSERT_FATAL(symlink(real, recs) == 0);
	refused(SMP_ERR_INSECURE, "writable by group or others");
	unlink(real);
	rmdir(open_dir);
}

static void test_insecure_modes(void)
{
	write_files(conf_text, staff_text);
	CU_ASSERT_FATAL(chmod(recs, 0666) == 0);
	refused(SMP_ERR_INSECURE, "writable by group or others");
	CU_ASSERT_FATAL(chmod(recs, 0644) == 0);
	CU_ASSERT_FATAL(chmod(dir, 0777) == 0);
	refused(SMP_ERR_INSECURE, "writable by group or others");
	CU_ASSERT_FATAL(chmod(dir, 0700) == 0);
	if (geteuid() == 0) {
		CU_ASSERT_FATAL(chown(recs, NOBODY, NOBODY) == 0);
		refused(SMP_ERR_INSECURE, "not owned by root");
		CU_ASSERT_FATAL(chown(recs, 0, 0) == 0);
	}
}

/* ---- files that are not records --------------------------------------- */

static void test_include_refused(void)
{
	char text[4096];

	snprintf(text, sizeof(text), "@include \"/etc/passwd\"\n%s", staff_text);
	write_files(conf_text, text);
	refused(SMP_ERR_PARSE, "@include");
	snprintf(text, sizeof(text), "%s\n  \t@include \"records.conf\"\n", staff_text);
	write_files(conf_text, text);
	refused(SMP_ERR_PARSE, "@include");
	snprintf(text, sizeof(text), "@include \"records.conf\"\n%s", conf_text);
	write_files(text, staff_text);
	refused(SMP_ERR_PARSE, "@include");
}

static void test_huge_file_refused(void)
{
	int fd;

	write_path(conf, conf_text, strlen(conf_text), 0644);
	/* 100 MB (sparse): refused on its size before a byte is read */
	fd = open(recs, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(ftruncate(fd, 100 * 1000 * 1000) == 0);
	close(fd);
	refused(SMP_ERR_IO, "too large");
	/* one byte over the limit */
	fd = open(recs, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(ftruncate(fd, 64 * 1024 * 1024 + 1) == 0);
	close(fd);
	refused(SMP_ERR_IO, "too large");
}

static void test_not_regular_files(void)
{
	static const char *const names[] = { "/dev/zero", "/dev/null", "/dev/tty", "/", NULL };
	char text[512];

	/* a FIFO with no writer: refused at once, never a hang */
	unlink(recs);
	CU_ASSERT_FATAL(mkfifo(recs, 0644) == 0);
	write_path(conf, conf_text, strlen(conf_text), 0644);
	alarm(20);
	refused(SMP_ERR_IO, "not a regular file");
	alarm(0);
	unlink(recs);
	for (size_t i = 0; names[i]; i++) {
		snprintf(text, sizeof(text),
		         "version = 1;\nsettings = { records = [ \"%s\" ]; };\n", names[i]);
		write_path(conf, text, strlen(text), 0644);
		alarm(20);
		refused(SMP_ERR_IO, NULL);
		alarm(0);
	}
	/* the settings file itself */
	CU_ASSERT_EQUAL(smp_policy_load("/dev/zero", FLAGS, &(smp_policy *){ NULL }, NULL),
	                SMP_ERR_IO);
	CU_ASSERT_EQUAL(smp_policy_load(dir, FLAGS, &(smp_policy *){ NULL }, NULL), SMP_ERR_IO);
	CU_ASSERT_EQUAL(smp_policy_load("", FLAGS, &(smp_policy *){ NULL }, NULL), SMP_ERR_IO);
}

static void test_nul_byte(void)
{
	static const char text[] = "staff = (\n { id = \"w1\";\0 office = \"o1\"; roles = []; }\n);\n";

	write_path(conf, conf_text, strlen(conf_text), 0644);
	write_path(recs, text, sizeof(text) - 1, 0644);
	refused(SMP_ERR_PARSE, "NUL");
}

/* ---- size ---------------------------------------------------------------- */

/* Append to a growing buffer. */
struct buf {
	char *s;
	size_t len, cap;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap ? b->cap * 2 : 1 << 20;
		b->s = realloc(b->s, b->cap);
		CU_ASSERT_FATAL(b->s != NULL);
	}
	b->len += (size_t)n;
}

/*
 * n approvals for `persons` persons of office o1 (a cap of 2), spread over
 * `files` records files; `signed_` makes each hold from its own start, so
 * that all but two persons are over the cap.  Returns the load status.
 */
static smp_status million(size_t n, size_t persons, size_t files, bool signed_)
{
	struct buf b = { 0 }, c = { 0 };
	struct timespec t0;
	smp_policy *p = NULL;
	smp_decision *d = NULL;
	struct smp_request req;
	smp_status st;
	size_t total = 0;

	add(&c, "version = 1;\nsettings = { max_approved_per_office = 2; records = [ ");
	for (size_t f = 0; f < files; f++)
		add(&c, "%s\"records%zu.conf\"", f ? ", " : "", f);
	add(&c, " ];\n};\n%s", strstr(conf_text, "platforms"));
	write_path(conf, c.s, c.len, 0644);
	free(c.s);
	for (size_t f = 0; f < files; f++) {
		char path[PATH_MAX + 32];
		size_t from = n * f / files, to = n * (f + 1) / files;

		b.len = 0;
		if (f == 0) {
			add(&b, "staff = ( { id = \"c\"; office = \"o2\"; roles = [ \"director_cpp\" ]; },\n"
			        "  { id = \"i\"; office = \"o2\"; roles = [ \"director_it\" ]; }");
			for (size_t k = 0; k < persons; k++)
				add(&b, ",\n{id=\"s%zu\";office=\"o1\";roles=[\"worker\"];}", k);
			add(&b, " );\ndevices = ( { id = \"ws1\"; kind = \"workstation\"; owner = \"dcf\"; } );\n");
		}
		add(&b, "approvals = (\n");
		for (size_t k = from; k < to; k++) {
			if (signed_)
				add(&b, "{id=\"a%zu\";staff=\"s%zu\";kind=\"limited\";platforms=[\"youtube\"];"
				        "ticket=\"T\";approved_cpp={by=\"c\";on=\"2026-01-01Z\";};"
				        "approved_it={by=\"i\";on=\"2026-01-01Z\";};starts=\"%04zu-01-01Z\";"
				        "expires=\"9999-01-01Z\";}%s\n",
				    k, k % persons, 2026 + k % 7000, k + 1 < to ? "," : "");
			else
				add(&b, "{id=\"a%zu\";staff=\"s%zu\";kind=\"limited\";platforms=[\"youtube\"];}%s\n",
				    k, k % persons, k + 1 < to ? "," : "");
		}
		add(&b, ");\n");
		snprintf(path, sizeof(path), "%s/records%zu.conf", dir, f);
		write_path(path, b.s, b.len, 0644);
		total += b.len;
	}
	free(b.s);
	fprintf(stderr, "\n  %zu %s approvals of %zu persons in %zu file(s), %.1f MB: ", n,
	        signed_ ? "signed" : "unsigned", persons, files, (double)total / 1e6);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = load(conf, &p, NULL);
	fprintf(stderr, "%s in %.2f s", smp_status_string(st), seconds_since(&t0));
	if (st != SMP_OK)
		return st;
	CU_ASSERT_EQUAL(smp_policy_approval_count(p), n);
	smp_request_init(&req);
	req.user = "s1";
	req.platform = "youtube";
	req.device = "ws1";
	req.at = 1800000000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(smp_decide(p, &req, &d), SMP_OK);
	fprintf(stderr, "; decide %.3f s", seconds_since(&t0));
	CU_ASSERT(smp_decision_allowed(d) == signed_);   /* s1 ranks second: it holds */
	smp_decision_free(d);
	if (signed_) {
		smp_diags *cd = NULL;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		CU_ASSERT_EQUAL(smp_policy_check(p, &cd), SMP_OK);
		fprintf(stderr, "; check %.2f s, %zu errors", seconds_since(&t0), smp_diags_errors(cd));
		CU_ASSERT(smp_diags_errors(cd) >= n - 2 * (n / persons));   /* all but two persons */
		smp_diags_free(cd);
	}
	smp_policy_free(p);
	return st;
}

/* A million approvals in one list: a clear limit, said at once. */
static void test_million_one_file(void)
{
	CU_ASSERT_EQUAL(million(1000000, 1000, 1, false), SMP_ERR_PARSE);
}

/* A million approvals in ten files: loaded, in linear time. */
static void test_million_ten_files(void)
{
	CU_ASSERT_EQUAL(million(1000000, 1000, 10, false), SMP_OK);
}

static void test_many_signed_persons(void)
{
	/* every person but two over the cap: the cap sweep's worst case */
	CU_ASSERT_EQUAL(million(180000, 90000, 2, true), SMP_OK);
}

static void test_crowded_group(void)
{
	struct buf b = { 0 };
	struct timespec t0;

	add(&b, "%sdevices = ( { id = \"x\"; kind = \"workstation\"; owner = \"dcf\";", staff_text);
	for (int k = 0; k < 200000; k++)
		add(&b, " k%d = %d;", k, k);
	add(&b, " } );\n");
	write_path(conf, conf_text, strlen(conf_text), 0644);
	write_path(recs, b.s, b.len, 0644);
	free(b.s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	refused(SMP_ERR_PARSE, "settings in one group");
	fprintf(stderr, " (%.2f s) ", seconds_since(&t0));
}

static void test_deep_nesting(void)
{
	struct buf b = { 0 };

	add(&b, "x = ");
	for (int k = 0; k < 100000; k++)
		add(&b, "(");
	for (int k = 0; k < 100000; k++)
		add(&b, ")");
	add(&b, ";\n");
	write_path(conf, conf_text, strlen(conf_text), 0644);
	write_path(recs, b.s, b.len, 0644);
	free(b.s);
	refused(SMP_ERR_PARSE, "nested too deep");
}

static void test_many_errors(void)
{
	struct buf b = { 0 };
	struct timespec t0;
	smp_policy *p = NULL;
	smp_diags *d = NULL;

	/* every approval with a typo: each reported, in linear time */
	add(&b, "%sapprovals = (\n", staff_text);
	for (int k = 0; k < 100000; k++)
		add(&b, "{ id = \"a%d\"; staff = \"w1\"; kind = \"limited\"; platforms = [ \"youtube\" ];"
		        " expries = \"2026-12-31\"; }%s\n", k, k + 1 < 100000 ? "," : "");
	add(&b, ");\n");
	write_path(conf, conf_text, strlen(conf_text), 0644);
	write_path(recs, b.s, b.len, 0644);
	free(b.s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* each voids its approval alone: the load stands, check names all */
	CU_ASSERT_EQUAL_FATAL(smp_policy_load(conf, FLAGS, &p, &d), SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_void_count(p), 100000);
	smp_diags_free(d);
	d = NULL;
	CU_ASSERT_EQUAL(smp_policy_check(p, &d), SMP_OK);
	fprintf(stderr, " (100000 errors: %zu reported in %.2f s) ", smp_diags_errors(d),
	        seconds_since(&t0));
	CU_ASSERT(smp_diags_errors(d) >= 100000);
	smp_policy_free(p);
	smp_diags_free(d);
}

/* A reason of `n` bytes (escapes and invalid UTF-8); returns the status. */
static smp_status long_reason(size_t n, smp_policy **p)
{
	struct buf b = { 0 };
	char *big = malloc(n + 1);

	CU_ASSERT_FATAL(big != NULL);
	for (size_t i = 0; i < n; i++)
		big[i] = "ab\x1b[2J\xff"[i % 7];   /* an escape, invalid UTF-8 */
	big[n] = '\0';
	add(&b, "%sapprovals = ( { id = \"L\"; staff = \"w1\"; kind = \"long_term\";"
	        " platforms = [ \"facebook\" ]; requested_by = \"lom1\";"
	        " approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-01Z\"; };"
	        " approved_it = { by = \"dir-it\"; on = \"2026-01-02Z\"; };"
	        " revoked = { on = \"2026-02-01Z\"; by = \"dir-it\"; reason = \"%s\"; }; } );\n",
	    staff_text, big);
	free(big);
	write_path(conf, conf_text, strlen(conf_text), 0644);
	write_path(recs, b.s, b.len, 0644);
	free(b.s);
	return load(conf, p, n > 65536 ? "longer than" : NULL);
}

static void test_long_strings(void)
{
	smp_policy *p = NULL;
	smp_decision *d = NULL;
	struct smp_request req;
	struct buf b = { 0 };
	char *user;

	/* 8 MB: a clear limit (libconfig would copy it 64 bytes at a time) */
	CU_ASSERT_EQUAL(long_reason(8 * 1024 * 1024, &p), SMP_ERR_PARSE);
	CU_ASSERT_PTR_NULL(p);
	/* "a" "b" "c" ... are joined into one string, and counted so */
	add(&b, "%sdevices = ( { id = \"x\"; kind = \"workstation\"; owner = \"", staff_text);
	for (int k = 0; k < 20000; k++)
		add(&b, "dcfdcf\" /* */ \"");   /* 120 KB in all */
	add(&b, "\"; } );\n");
	write_path(conf, conf_text, strlen(conf_text), 0644);
	write_path(recs, b.s, b.len, 0644);
	free(b.s);
	refused(SMP_ERR_PARSE, "longer than");
	/* and so with line ends and # or // comments between the pieces */
	b = (struct buf){ 0 };
	add(&b, "%sdevices = ( { id = \"x\"; kind = \"workstation\"; owner = \"", staff_text);
	for (int k = 0; k < 20000; k++)
		add(&b, k % 2 ? "dcfdcf\" # c\n \"" : "dcfdcf\"\n// c\n\t\"");
	add(&b, "\"; } );\n");
	write_path(conf, conf_text, strlen(conf_text), 0644);
	write_path(recs, b.s, b.len, 0644);
	free(b.s);
	refused(SMP_ERR_PARSE, "longer than");
	/* 60 KB: loads, and the decision's particulars are cut */
	CU_ASSERT_EQUAL_FATAL(long_reason(60000, &p), SMP_OK);
	smp_request_init(&req);
	req.user = "w1";
	req.platform = "facebook";
	req.device = "ws1";
	req.at = 1800000000;
	CU_ASSERT_EQUAL(smp_decide(p, &req, &d), SMP_OK);
	CU_ASSERT(!smp_decision_allowed(d));
	CU_ASSERT_EQUAL(smp_decision_reason(d, 0), SMP_R_APPROVAL_REVOKED);
	CU_ASSERT(strlen(smp_decision_reason_message(d, 0)) < 2048);
	smp_decision_free(d);
	/* a very long request: ids are looked up, never copied whole */
	user = malloc(1 << 20);
	CU_ASSERT_FATAL(user != NULL);
	memset(user, 'u', (1 << 20) - 1);
	user[(1 << 20) - 1] = '\0';
	req.user = user;
	req.platform = user;
	req.device = user;
	req.account = user;
	req.action = SMP_ACTION_LOGIN;
	CU_ASSERT_EQUAL(smp_decide(p, &req, &d), SMP_OK);
	CU_ASSERT(!smp_decision_allowed(d));
	/* "SENTENCE 'uuu...": the particulars are cut at exactly 767 bytes */
	CU_ASSERT_EQUAL(smp_decision_reason(d, 0), SMP_R_UNKNOWN_USER);
	{
		const char *m = smp_decision_reason_message(d, 0);
		const char *sentence = smp_reason_sentence(SMP_R_UNKNOWN_USER);

		CU_ASSERT_EQUAL(strlen(m), strlen(sentence) + 1 + 767);
		CU_ASSERT(strncmp(m, sentence, strlen(sentence)) == 0);
		CU_ASSERT(strncmp(m + strlen(sentence), " 'uuu", 5) == 0);
	}
	smp_decision_free(d);
	free(user);
	smp_policy_free(p);
}

/* ---- integers ------------------------------------------------------------ */

static void test_integer_overflow(void)
{
	static const char *const bad[] = {
		"max_approved_per_office = 99999999999;",
		"max_approved_per_office = 4294967298;",        /* 2 once truncated */
		"max_approved_per_office =\n    4294967298;",   /* on the next line */
		"max_approved_per_office = 0x100000002;",
		"max_approved_per_office = -4294967294;",
		"max_approved_per_office = 9223372036854775807L;",
		"max_approved_per_office = 99999999999999999999;",
		"max_approved_per_office = 0;",
		"max_approved_per_office = -1;",
		"warn_days = 2147483647;",
		"warn_days = -2147483649;",
		"warn_days = 4294967310;",                      /* 14 once truncated */
		"long_term_max_days = 4294967661;",             /* 365 once truncated */
		"long_term_max_days = 0;",
		"long_term_max_days = 36501;",
		NULL,
	};
	char text[1024];

	for (size_t i = 0; bad[i]; i++) {
		smp_policy *p = NULL;
		smp_status st;

		snprintf(text, sizeof(text),
		         "version = 1;\nsettings = { records = [ \"records.conf\" ];\n  %s\n};\n",
		         bad[i]);
		write_files(text, staff_text);
		st = smp_policy_load(conf, FLAGS, &p, NULL);
		if (st != SMP_ERR_PARSE)
			fprintf(stderr, "\n  accepted: %s", bad[i]);
		CU_ASSERT_EQUAL(st, SMP_ERR_PARSE);
		smp_policy_free(p);
	}
	snprintf(text, sizeof(text), "version = 4294967297;\n%s", strchr(conf_text, '\n') + 1);
	write_files(text, staff_text);
	refused(SMP_ERR_PARSE, "version");
	/* the largest values allowed load and decide */
	snprintf(text, sizeof(text),
	         "version = 1;\nsettings = { records = [ \"records.conf\" ];"
	         " max_approved_per_office = 1000000; warn_days = 36500;"
	         " long_term_max_days = 36500; };\n%s",
	         strstr(conf_text, "platforms"));
	write_files(text, staff_text);
	{
		smp_policy *p = NULL;

		CU_ASSERT_EQUAL(load(conf, &p, NULL), SMP_OK);
		CU_ASSERT_EQUAL(smp_policy_office_cap(p), 1000000);
		smp_policy_free(p);
	}
}

/* ---- moments ------------------------------------------------------------- */

struct moment {
	const char *starts, *expires;
	int64_t inside, before, after;   /* after: the first moment it no longer holds */
};

static void test_dates_before_1970_after_2038(void)
{
	static const struct moment m[] = {
		{ "1901-12-13T20:45:52Z", "1969-12-31T23:59:59Z", -1, -2147483649LL, 0 },
		{ "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", -1, -2, 1 },
		{ "2038-01-19T03:14:07Z", "2038-01-19T03:14:08Z", 2147483647LL, 2147483646LL,
		  2147483649LL },
		{ "2106-02-07T06:28:15Z", "2106-02-07T06:28:16Z", 4294967295LL, 4294967294LL,
		  4294967297LL },
		{ "0001-01-01", "0001-01-01", -62135596800LL, -62135596801LL, -62135510400LL },
		{ "9999-12-31", "9999-12-31", 253402214400LL, 253402214399LL, 253402300800LL },
	};
	char text[4096], tb[64];

	setenv("TZ", "UTC0", 1);
	tzset();
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		smp_policy *p = NULL;
		smp_decision *d = NULL;
		struct smp_request req;
		int64_t until;

		snprintf(text, sizeof(text),
		         "%sapprovals = ( { id = \"UB-1\"; staff = \"w1\"; kind = \"limited\";"
		         " platforms = [ \"youtube\" ]; ticket = \"NJS-1\";"
		         " approved_cpp = { by = \"dir-cpp\"; on = \"0001-01-01\"; };"
		         " approved_it = { by = \"dir-it\"; on = \"0001-01-01\"; };"
		         " starts = \"%s\"; expires = \"%s\"; } );\n",
		         staff_text, m[i].starts, m[i].expires);
		write_files(conf_text, text);
		CU_ASSERT_EQUAL_FATAL(load(conf, &p, NULL), SMP_OK);
		smp_request_init(&req);
		req.user = "w1";
		req.platform = "youtube";
		req.device = "ws1";
		req.at = m[i].inside;
		CU_ASSERT_EQUAL_FATAL(smp_decide(p, &req, &d), SMP_OK);
		if (!smp_decision_allowed(d))
			fprintf(stderr, "\n  %s..%s: DENY at %lld", m[i].starts, m[i].expires,
			        (long long)m[i].inside);
		CU_ASSERT(smp_decision_allowed(d));
		CU_ASSERT(smp_decision_valid_until(d, &until) && until == m[i].after);
		smp_decision_free(d);
		req.at = m[i].before;
		CU_ASSERT_EQUAL_FATAL(smp_decide(p, &req, &d), SMP_OK);
		CU_ASSERT(!smp_decision_allowed(d));
		smp_decision_free(d);
		req.at = m[i].after;
		CU_ASSERT_EQUAL_FATAL(smp_decide(p, &req, &d), SMP_OK);
		CU_ASSERT(!smp_decision_allowed(d));
		CU_ASSERT_EQUAL(smp_decision_reason(d, 0), SMP_R_APPROVAL_EXPIRED);
		smp_decision_free(d);
		/* and the far ends of time */
		req.at = INT64_MIN;
		CU_ASSERT_EQUAL(smp_decide(p, &req, &d), SMP_OK);
		CU_ASSERT(!smp_decision_allowed(d));
		smp_decision_free(d);
		req.at = INT64_MAX;
		CU_ASSERT_EQUAL(smp_decide(p, &req, &d), SMP_OK);
		CU_ASSERT(!smp_decision_allowed(d));
		smp_decision_free(d);
		smp_policy_free(p);
	}
	CU_ASSERT_PTR_NOT_NULL(smp_time_format(-62135596800LL, tb, sizeof(tb)));
	CU_ASSERT_STRING_EQUAL(tb, "0001-01-01T00:00:00+00:00");
	CU_ASSERT_PTR_NOT_NULL(smp_time_format(253402300799LL, tb, sizeof(tb)));
	CU_ASSERT_STRING_EQUAL(tb, "9999-12-31T23:59:59+00:00");
	CU_ASSERT_PTR_NULL(smp_time_format(253402300800LL, tb, sizeof(tb)));
	CU_ASSERT_PTR_NULL(smp_time_format(INT64_MAX, tb, sizeof(tb)));
	CU_ASSERT_PTR_NULL(smp_time_format(INT64_MIN, tb, sizeof(tb)));
}

int main(void)
{
	CU_pSuite s;
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "symlink records not root", test_symlink_records_not_root },
		{ "symlink config not root", test_symlink_config_not_root },
		{ "symlink chain not root", test_symlink_chain_not_root },
		{ "symlink owned by root", test_symlink_root_ok },
		{ "symlink into a writable folder", test_symlink_into_writable_folder },
		{ "insecure modes", test_insecure_modes },
		{ "@include refused", test_include_refused },
		{ "100 MB file refused", test_huge_file_refused },
		{ "FIFO, devices, folders", test_not_regular_files },
		{ "NUL byte", test_nul_byte },
		{ "1,000,000 approvals in one list", test_million_one_file },
		{ "1,000,000 approvals in ten files", test_million_ten_files },
		{ "180,000 approvals of 90,000 persons", test_many_signed_persons },
		{ "200,000 settings in a group", test_crowded_group },
		{ "nesting 100,000 deep", test_deep_nesting },
		{ "100,000 errors", test_many_errors },
		{ "long strings: 60 KB loads, 8 MB refused", test_long_strings },
		{ "integer overflow", test_integer_overflow },
		{ "dates before 1970, after 2038", test_dates_before_1970_after_2038 },
	};

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("hostile", setup, teardown);
	for (size_t i = 0; s && i < sizeof(tests) / sizeof(tests[0]); i++)
		CU_add_test(s, tests[i].name, tests[i].fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	{
		unsigned failed = CU_get_number_of_failures();

		CU_cleanup_registry();
		return failed ? 1 : 0;
	}
}
