/*
 * faultinject.c - fail every allocation and every file operation of the
 * load, decide and edit paths in turn (-Dfault_injection=true).
 *
 * The test is linked with the library's static archive and
 * -Wl,--wrap=malloc,--wrap=read,... (tests/hostile/meson.build), so every
 * call the library makes to one of those functions comes here first.
 * Under _FILE_OFFSET_BITS=64 glibc's headers name open, openat, fstat and
 * mkostemp by their 64-bit names: those are the names wrapped.
 * While `armed`, the calls are counted and the N-th fails (NULL and ENOMEM
 * for an allocation, -1 and an errno for a file operation).  For each
 * operation the test runs N = 1, 2, ... until a run makes fewer than N
 * calls, so every call along the path fails once.  Each failure must give
 * a clean error and nothing else:
 *
 *  - load: SMP_OK with a policy that decides exactly as the fault-free
 *    one, or an error and no policy (it fails closed);
 *  - decide: SMP_OK with the fault-free decision, or an error and no
 *    decision (never an ALLOW the fault-free run does not give);
 *  - edit: SMP_OK with the records exactly as a fault-free run writes
 *    them, or an error with the records byte for byte as they were;
 *    never a temporary file left behind;
 *  - the login store: a load of one person decides as the fault-free
 *    one or fails cleanly; a write leaves a whole, fresh store;
 *  - no leak: under LeakSanitizer each run is leak-checked on its own (the
 *    report names the operation and N); under valgrind, at exit.
 *
 * Calls made inside libc and libconfig are not wrapped (--wrap only
 * reaches the calls linked here): their failures are libconfig's to
 * handle; see docs/SECURITY.md.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_N 50000

/* ---- the wrapped calls ------------------------------------------------ */

static bool armed;
static unsigned long calls, fail_at;
static const char *failed_what;

/* Count one call; true if this one must fail. */
static bool fail_now(const char *what)
{
	if (!armed)
		return false;
	if (++calls != fail_at)
		return false;
	failed_what = what;
	return true;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_vasprintf(char **out, const char *fmt, va_list ap);
int __real_open64(const char *path, int flags, ...);
int __real_openat64(int dirfd, const char *path, int flags, ...);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_fsync(int fd);
int __real_rename(const char *from, const char *to);
int __real_mkostemp64(char *tmpl, int flags);
int __real_fstat64(int fd, struct stat *st);
int __real_close(int fd);
int __real_flock(int fd, int op);
int __real_fchmod(int fd, mode_t mode);
int __real_fchown(int fd, uid_t uid, gid_t gid);
DIR *__real_opendir(const char *path);
int __real_unlink(const char *path);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_vasprintf(char **out, const char *fmt, va_list ap);
int __wrap_asprintf(char **out, const char *fmt, ...);
int __wrap_open64(const char *path, int flags, ...);
int __wrap_openat64(int dirfd, const char *path, int flags, ...);
ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __wrap_fsync(int fd);
int __wrap_rename(const char *from, const char *to);
int __wrap_mkostemp64(char *tmpl, int flags);
int __wrap_fstat64(int fd, struct stat *st);
int __wrap_close(int fd);
int __wrap_flock(int fd, int op);
int __wrap_fchmod(int fd, mode_t mode);
int __wrap_fchown(int fd, uid_t uid, gid_t gid);
DIR *__wrap_opendir(const char *path);
int __wrap_unlink(const char *path);

#define FAIL_WITH(what, err, value) \
	do { \
		if (fail_now(what)) { \
			errno = (err); \
			return (value); \
		} \
	} while (0)

void *__wrap_malloc(size_t n) { FAIL_WITH("malloc", ENOMEM, NULL); return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { FAIL_WITH("calloc", ENOMEM, NULL); return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { FAIL_WITH("realloc", ENOMEM, NULL); return __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { FAIL_WITH("strdup", ENOMEM, NULL); return __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { FAIL_WITH("strndup", ENOMEM, NULL); return __real_strndup(s, n); }

int __wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	FAIL_WITH("vasprintf", ENOMEM, -1);
	return __real_vasprintf(out, fmt, ap);
}

int __wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	FAIL_WITH("asprintf", ENOMEM, -1);
	va_start(ap, fmt);
	r = __real_vasprintf(out, fmt, ap);
	va_end(ap);
	return r;
}

int __wrap_open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	FAIL_WITH("open", EMFILE, -1);
	return __real_open64(path, flags, mode);
}

int __wrap_openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	FAIL_WITH("openat", EMFILE, -1);
	return __real_openat64(dirfd, path, flags, mode);
}

ssize_t __wrap_read(int fd, void *buf, size_t n) { FAIL_WITH("read", EIO, -1); return __real_read(fd, buf, n); }
ssize_t __wrap_write(int fd, const void *buf, size_t n) { FAIL_WITH("write", ENOSPC, -1); return __real_write(fd, buf, n); }
int __wrap_fsync(int fd) { FAIL_WITH("fsync", EIO, -1); return __real_fsync(fd); }
int __wrap_rename(const char *a, const char *b) { FAIL_WITH("rename", EIO, -1); return __real_rename(a, b); }
int __wrap_mkostemp64(char *t, int flags) { FAIL_WITH("mkostemp", EMFILE, -1); return __real_mkostemp64(t, flags); }
int __wrap_fstat64(int fd, struct stat *st) { FAIL_WITH("fstat", EIO, -1); return __real_fstat64(fd, st); }
int __wrap_flock(int fd, int op) { FAIL_WITH("flock", ENOLCK, -1); return __real_flock(fd, op); }
int __wrap_fchmod(int fd, mode_t m) { FAIL_WITH("fchmod", EPERM, -1); return __real_fchmod(fd, m); }
int __wrap_fchown(int fd, uid_t u, gid_t g) { FAIL_WITH("fchown", EPERM, -1); return __real_fchown(fd, u, g); }
DIR *__wrap_opendir(const char *path) { FAIL_WITH("opendir", ENOMEM, NULL); return __real_opendir(path); }
int __wrap_unlink(const char *path) { FAIL_WITH("unlink", EIO, -1); return __real_unlink(path); }

/* close() frees the descriptor even when it reports an error. */
int __wrap_close(int fd)
{
	if (fail_now("close")) {
		__real_close(fd);
		errno = EIO;
		return -1;
	}
	return __real_close(fd);
}

/* ---- the harness ------------------------------------------------------- */

int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static unsigned failures;
static char dir[64], conf[PATH_MAX], recs[PATH_MAX];

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			failures++; \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
		} \
	} while (0)

static const char conf_text[] =
	"version = 1;\n"
	"settings = { records = [ \"records.conf\" ]; max_approved_per_office = 2;\n"
	"  warn_days = 14; long_term_max_days = 365; };\n"
	"platforms = ( { id = \"facebook\"; name = \"Facebook\"; domains = [ \"fb.com\" ]; },\n"
	"  { id = \"youtube\"; name = \"YouTube\"; private_messaging = false; },\n"
	"  { id = \"snapchat\"; name = \"Snap Chat\"; mobile_only = true; } );\n"
	"offices = ( { id = \"o1\"; name = \"Office One\"; kind = \"local\"; },\n"
	"  { id = \"o2\"; name = \"Office Two\"; kind = \"area\"; } );\n";

static const char records_text[] =
	"# the records of the fault-injection test\n"
	"staff = (\n"
	"  { id = \"dir-cpp\"; office = \"o2\"; roles = [ \"director_cpp\" ]; },\n"
	"  { id = \"dir-it\"; office = \"o2\"; roles = [ \"director_it\" ]; },\n"
	"  { id = \"lom1\"; office = \"o1\"; roles = [ \"local_office_manager\" ]; },\n"
	"  { id = \"sup1\"; office = \"o1\"; roles = [ \"supervisor\" ]; },\n"
	"  { id = \"w1\"; name = \"Worker One\"; office = \"o1\"; roles = [ \"worker\" ]; supervisor = \"sup1\"; },\n"
	"  { id = \"w2\"; office = \"o1\"; roles = [ \"worker\" ]; },\n"
	"  { id = \"w3\"; office = \"o1\"; roles = [ \"worker\" ]; }\n"
	");\n"
	"devices = (\n"
	"  { id = \"ws1\"; kind = \"workstation\"; owner = \"dcf\"; office = \"o1\"; },\n"
	"  { id = \"ph1\"; kind = \"mobile\"; owner = \"dcf\"; office = \"o1\"; apps = [ \"snapchat\" ]; }\n"
	");\n"
	"accounts = (\n"
	"  { id = \"fb1\"; platform = \"facebook\"; holder = \"w1\"; official = true; supervisor = \"sup1\";\n"
	"    password_changed = \"2026-01-01Z\"; password_escrowed = \"2026-01-01Z\"; },\n"
	"  { id = \"yt2\"; platform = \"youtube\"; holder = \"w2\"; official = true;\n"
	"    password_escrowed = \"2026-01-01Z\"; }\n"
	");\n"
	"approvals = (\n"
	"  { id = \"LT-2026-001\"; staff = \"w1\"; kind = \"long_term\"; platforms = [ \"facebook\", \"snapchat\" ];\n"
	"    requested_by = \"lom1\"; requested = \"2026-01-10Z\";\n"
	"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-12Z\"; };\n"
	"    approved_it = { by = \"dir-it\"; on = \"2026-01-13Z\"; };\n"
	"    starts = \"2026-01-13Z\"; expires = \"2026-12-31Z\"; },\n"
	"  { id = \"UB-4431\"; staff = \"w2\"; kind = \"limited\"; platforms = [ \"youtube\" ];\n"
	"    ticket = \"NJS-4431\"; requested_by = \"w2\"; requested = \"2026-11-18Z\";\n"
	"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-11-19Z\"; };\n"
	"    starts = \"2026-11-20T09:00Z\"; expires = \"2026-11-27T17:00Z\"; },\n"
	"  { id = \"LT-2026-002\"; staff = \"w3\"; kind = \"long_term\"; platforms = [ \"facebook\" ];\n"
	"    requested_by = \"lom1\"; requested = \"2026-02-01Z\";\n"
	"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-02-02Z\"; };\n"
	"    approved_it = { by = \"dir-it\"; on = \"2026-02-03Z\"; };\n"
	"    revoked = { on = \"2026-06-01Z\"; by = \"dir-it\"; reason = \"case closed\"; }; }\n"
	");\n";

static void write_file(const char *path, const char *text)
{
	size_t n = strlen(text);
	int fd = __real_open64(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || __real_fchmod(fd, 0644) != 0 || __real_write(fd, text, n) != (ssize_t)n) {
		perror(path);
		exit(2);
	}
	__real_close(fd);
}

/* The file's bytes, NUL-terminated; *len (if not NULL) their number. */
static char *read_bytes(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = __real_malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static char *read_file(const char *path)
{
	return read_bytes(path, NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Fresh records, and nothing else but the settings. */
static void reset_world(void)
{
	DIR *d = __real_opendir(dir);
	struct dirent *e;
	char path[PATH_MAX + 300];

	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		__real_unlink(path);
	}
	if (d)
		closedir(d);
	write_file(conf, conf_text);
	write_file(recs, records_text);
}


/* A temporary file of a writer left in folder (dir: the records'). */
static bool temp_left_in(const char *folder)
{
	DIR *d = __real_opendir(folder);
	struct dirent *e;
	bool found = false;

	while (d && (e = readdir(d)) != NULL)
		found |= strstr(e->d_name, ".tmp") != NULL;
	if (d)
		closedir(d);
	return found;
}

static bool temp_left(void)
{
	return temp_left_in(dir);
}

static void leak_check(const char *op, unsigned long n)
{
	if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check() != 0) {
		failures++;
		fprintf(stderr, "FAIL: a leak after %s with call %lu (%s) failing\n", op, n,
		        failed_what ? failed_what : "none");
	}
}

/* ---- what a policy decides: its fingerprint ---------------------------- */

static const int64_t moments[] = { 1768435200 /* 2026-01-15Z */, 1779000000, 1795651200,
                                   1798761600 /* 2027-01-01Z */ };
static const char *const users[] = { "w1", "w2", "w3", "nobody" };
static const char *const platforms[] = { "facebook", "youtube", "snapchat" };

/* Per decision "|A" (allow) or "|D" (deny) and the reason codes, or "E|"
 * when smp_decide() failed: appended to out at *len. */
static void fingerprint_one(const smp_policy *p, const struct smp_request *req, char *out,
                            size_t *len, size_t size)
{
	smp_decision *d = NULL;

	if (smp_decide(p, req, &d) != SMP_OK) {
		*len += (size_t)snprintf(out + *len, size - *len, "E|");
		return;
	}
	*len += (size_t)snprintf(out + *len, size - *len, "|%c", smp_decision_allowed(d) ? 'A' : 'D');
	for (size_t r = 0; r < smp_decision_reason_count(d); r++)
		*len += (size_t)snprintf(out + *len, size - *len, "%d,", (int)smp_decision_reason(d, r));
	smp_decision_free(d);
}

static void fingerprint(const smp_policy *p, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t m = 0; m < sizeof(moments) / sizeof(moments[0]); m++)
		for (size_t u = 0; u < 4; u++)
			for (size_t k = 0; k < 3; k++) {
				struct smp_request req;

				smp_request_init(&req);
				req.user = users[u];
				req.platform = platforms[k];
				req.device = k == 2 ? "ph1" : "ws1";
				req.account = "fb1";
				req.action = u == 0 ? SMP_ACTION_LOGIN : SMP_ACTION_VIEW;
				req.at = moments[m];
				fingerprint_one(p, &req, out, &len, size);
			}
}

/* ---- the operations ---------------------------------------------------- */

static char reference_fp[8192];

/* Run op with call n failing; returns the number of calls it made. */
static unsigned long armed_run(unsigned long n)
{
	calls = 0;
	fail_at = n;
	failed_what = NULL;
	armed = true;
	return n;   /* the caller disarms */
}

static unsigned long disarm(void)
{
	armed = false;
	return calls;
}

/* Every call of a load of config failing in turn. */
static void fault_load_of(const char *what, const char *config)
{
	unsigned long n, made = 0;
	char fp[8192];

	for (n = 1; n < MAX_N; n++) {
		smp_policy *p = NULL;
		smp_diags *d = NULL;
		smp_status st;

		armed_run(n);
		st = smp_policy_load(config, SMP_LOAD_ALLOW_NONROOT, &p, &d);
		made = disarm();
		CHECK((st == SMP_OK) == (p != NULL), "%s, call %lu (%s)", what, n, failed_what);
		if (st == SMP_OK && p != NULL) {
			fingerprint(p, fp, sizeof(fp));
			CHECK(strcmp(fp, reference_fp) == 0,
			      "%s with call %lu (%s) failing gave a different policy", what, n,
			      failed_what);
		} else {
			CHECK(st == SMP_ERR_NOMEM || st == SMP_ERR_IO || st == SMP_ERR_INSECURE,
			      "%s with call %lu (%s) failing: %s", what, n, failed_what,
			      smp_status_string(st));
		}
		smp_policy_free(p);
		smp_diags_free(d);
		leak_check(what, n);
		if (made < n)
			break;
	}
	printf("%s: %lu calls failed in turn\n", what, n - 1);
}

/* what: "load", or "cache load" when a fresh cache is beside the files. */
static void fault_load(const char *what)
{
	fault_load_of(what, conf);
}

/* A settings file naming the directory, whose local copy holds the same
 * world: its settings, its state and the copy fail in turn, and every
 * failure is a clean error, never another policy. */
static void fault_directory(void)
{
	char site[64], path[PATH_MAX + 64], text[PATH_MAX + 512], when[32];
	time_t now = time(NULL);
	struct tm tm;

	snprintf(site, sizeof(site), "/tmp/smp-faults-dir-XXXXXX");
	if (mkdtemp(site) == NULL) {
		CHECK(false, "mkdtemp");
		return;
	}
	chmod(site, 0755);
	snprintf(path, sizeof(path), "%s/copy", site);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/copy/copy-1", site);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/copy/copy-1/smpolicy.conf", site);
	write_file(path, conf_text);
	snprintf(path, sizeof(path), "%s/copy/copy-1/records.conf", site);
	write_file(path, records_text);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(text, sizeof(text), "version = 1; copy = \"copy-1\"; synced = \"%s\";\n"
	         "uri = \"ldap://127.0.0.1:9\"; base = \"ou=smpolicy\"; context_csn = \"\";\n",
	         when);
	snprintf(path, sizeof(path), "%s/copy/state", site);
	write_file(path, text);
	snprintf(text, sizeof(text), "version = 1;\nsettings = { source = \"ldap\"; };\n"
	         "ldap = { uri = \"ldap://127.0.0.1:9\"; base = \"ou=smpolicy\";\n"
	         "  copy_dir = \"%s/copy\"; };\n", site);
	snprintf(path, sizeof(path), "%s/smpolicy.conf", site);
	write_file(path, text);
	fault_load_of("directory load", path);
	nftw(site, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* The compiled cache: with a fresh cache beside the files, every call of
 * a load failing in turn still gives the policy or a clean error
 * (fault_load: a failure on the cache's path is a miss, and the files are
 * parsed); and
 * every call of a cache write failing in turn gives SMP_OK and a cache
 * the next load uses, or an error, no temporary file, and the cache that
 * was there before, untouched. */
static bool cache_fresh(void)
{
	smp_policy *p = NULL;
	bool used = smp_policy_load(conf, SMP_LOAD_ALLOW_NONROOT, &p, NULL) == SMP_OK &&
	            smp_policy_cache_state(p) == SMP_CACHE_USED;

	smp_policy_free(p);
	return used;
}

static void fault_cache(void)
{
	unsigned long n, made = 0;
	char cache[PATH_MAX + 8];
	smp_policy *p = NULL;
	size_t before_len = 0;
	char *before;

	reset_world();
	snprintf(cache, sizeof(cache), "%s.cache", conf);
	CHECK(smp_policy_load(conf, SMP_LOAD_ALLOW_NONROOT, &p, NULL) == SMP_OK &&
	      smp_policy_cache_write(p, 0, NULL) == SMP_OK && cache_fresh(),
	      "the world's cache cannot be written");
	fault_load("cache load");
	before = read_bytes(cache, &before_len);
	for (n = 1; n < MAX_N; n++) {
		smp_diags *d = NULL;
		smp_status st;
		size_t now_len = 0;
		char *now;

		armed_run(n);
		st = smp_policy_cache_write(p, 0, &d);
		made = disarm();
		/* the same policy: whether written again or not, the same bytes */
		now = read_bytes(cache, &now_len);
		CHECK(now != NULL && before != NULL && now_len == before_len &&
		      memcmp(now, before, now_len) == 0,
		      "cache write with call %lu (%s) failing: the cache is not whole", n,
		      failed_what);
		CHECK(st == SMP_OK || st == SMP_ERR_NOMEM || smp_diags_errors(d) > 0,
		      "cache write with call %lu (%s) failing: %s without a word", n, failed_what,
		      smp_status_string(st));
		CHECK(!temp_left(), "cache write with call %lu (%s) failing left a temporary file",
		      n, failed_what);
		CHECK(cache_fresh(), "cache write with call %lu (%s) failing: the cache is stale",
		      n, failed_what);
		free(now);
		smp_diags_free(d);
		leak_check("cache write", n);
		if (made < n)
			break;
	}
	printf("cache write: %lu calls failed in turn\n", n - 1);
	free(before);
	smp_policy_free(p);
}

/* ---- the login store ---------------------------------------------------- */

/* What a policy of w1 at ws1 decides: as fingerprint(), that person only. */
static void fingerprint_w1(const smp_policy *p, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t m = 0; m < sizeof(moments) / sizeof(moments[0]); m++)
		for (size_t k = 0; k < 3; k++) {
			struct smp_request req;

			smp_request_init(&req);
			req.user = "w1";
			req.platform = platforms[k];
			req.device = "ws1";
			req.account = k == 0 ? "fb1" : NULL;
			req.action = k == 0 ? SMP_ACTION_LOGIN : SMP_ACTION_VIEW;
			req.at = moments[m];
			fingerprint_one(p, &req, out, &len, size);
		}
}


static smp_cache_state store_state(const char *store, char *fp, size_t size)
{
	smp_policy *p = NULL;
	smp_cache_state st;

	if (smp_policy_load_for(conf, store, SMP_LOAD_ALLOW_NONROOT, "w1", "ws1", &p, NULL) != SMP_OK)
		return SMP_CACHE_REJECTED;
	st = smp_policy_store_state(p);
	if (fp != NULL)
		fingerprint_w1(p, fp, size);
	smp_policy_free(p);
	return st;
}

/* The login store: every call of a load of one person from a fresh store
 * failing in turn gives that person's policy, deciding as the fault-free
 * one, or a clean error (a failure on the store's path is a miss, and the
 * whole policy is loaded); every call of a store write failing in turn
 * gives SMP_OK, or an error and no temporary file, and in both cases a
 * store the next login uses. */
static void fault_store(void)
{
	char store[PATH_MAX], ref[4096], fp[4096];
	unsigned long n, made = 0;
	smp_policy *p = NULL;

	reset_world();
	snprintf(store, sizeof(store), "%s/store", dir);
	CHECK(smp_policy_load(conf, SMP_LOAD_ALLOW_NONROOT, &p, NULL) == SMP_OK &&
	      smp_policy_store_write(p, store, SMP_LOAD_ALLOW_NONROOT, NULL) == SMP_OK &&
	      store_state(store, ref, sizeof(ref)) == SMP_CACHE_USED,
	      "the world's login store cannot be written");
	for (n = 1; n < MAX_N; n++) {
		smp_policy *q = NULL;
		smp_diags *d = NULL;
		smp_status st;

		armed_run(n);
		st = smp_policy_load_for(conf, store, SMP_LOAD_ALLOW_NONROOT, "w1", "ws1", &q, &d);
		made = disarm();
		CHECK((st == SMP_OK) == (q != NULL), "store load, call %lu (%s)", n, failed_what);
		if (q != NULL) {
			fingerprint_w1(q, fp, sizeof(fp));
			CHECK(strcmp(fp, ref) == 0, "store load with call %lu (%s) failing decides "
			      "otherwise", n, failed_what);
		} else {
			CHECK(st == SMP_ERR_NOMEM || st == SMP_ERR_IO || st == SMP_ERR_INSECURE,
			      "store load with call %lu (%s) failing: %s", n, failed_what,
			      smp_status_string(st));
		}
		smp_policy_free(q);
		smp_diags_free(d);
		leak_check("store load", n);
		if (made < n)
			break;
	}
	printf("store load: %lu calls failed in turn\n", n - 1);
	for (n = 1; n < MAX_N; n++) {
		smp_diags *d = NULL;
		smp_status st;

		armed_run(n);
		st = smp_policy_store_write(p, store, SMP_LOAD_ALLOW_NONROOT, &d);
		made = disarm();
		CHECK(st == SMP_OK || st == SMP_ERR_NOMEM || smp_diags_errors(d) > 0,
		      "store write with call %lu (%s) failing: %s without a word", n, failed_what,
		      smp_status_string(st));
		CHECK(!temp_left_in(store), "store write with call %lu (%s) failing left a "
		      "temporary file", n, failed_what);
		CHECK(store_state(store, fp, sizeof(fp)) == SMP_CACHE_USED && strcmp(fp, ref) == 0,
		      "store write with call %lu (%s) failing: the store is not whole and fresh", n,
		      failed_what);
		smp_diags_free(d);
		leak_check("store write", n);
		if (made < n)
			break;
	}
	printf("store write: %lu calls failed in turn\n", n - 1);
	smp_policy_free(p);
}

/* fp is the reference with some decisions replaced by errors. */
static bool same_or_error(const char *fp, const char *ref)
{
	while (*fp && *ref) {
		const char *next_ref = strchr(ref + 1, '|');
		size_t len = next_ref ? (size_t)(next_ref - ref) : strlen(ref);

		if (strncmp(fp, "E|", 2) == 0) {
			fp += 2;
		} else if (strncmp(fp, ref, len) == 0 && (fp[len] == '|' || fp[len] == 'E' ||
		                                          fp[len] == '\0')) {
			fp += len;
		} else {
			return false;
		}
		ref += len;
	}
	return *fp == '\0' && *ref == '\0';
}

static void fault_decide(const smp_policy *p)
{
	unsigned long n, made = 0;
	char fp[8192];

	for (n = 1; n < MAX_N; n++) {
		armed_run(n);
		fingerprint(p, fp, sizeof(fp));
		made = disarm();
		/* a failed decision is an error (E), never another answer */
		CHECK(same_or_error(fp, reference_fp),
		      "decide with call %lu (%s) failing gave another answer", n, failed_what);
		leak_check("decide", n);
		if (made < n)
			break;
	}
	printf("decide: %lu calls failed in turn\n", n - 1);
}

typedef smp_status (*edit_fn)(smp_diags **d);

static smp_status op_sign(smp_diags **d)
{
	return smp_edit_sign(conf, SMP_LOAD_ALLOW_NONROOT | SMP_EDIT_NOWAIT, "UB-4431", "dir-it",
	                     "2026-11-19T12:00Z", NULL, NULL, d);
}

static smp_status op_revoke(smp_diags **d)
{
	return smp_edit_revoke(conf, SMP_LOAD_ALLOW_NONROOT | SMP_EDIT_NOWAIT, "LT-2026-001",
	                       "dir-it", "a \"quoted\"\nreason \x1b[2J", "2026-11-20", d);
}

static smp_status op_account(smp_diags **d)
{
	return smp_edit_account(conf, SMP_LOAD_ALLOW_NONROOT | SMP_EDIT_NOWAIT, "fb1",
	                        SMP_ACCOUNT_COMPROMISED, "2026-11-21T08:00Z", d);
}

static smp_status op_request(smp_diags **d)
{
	static const char *const yt[] = { "youtube", NULL };
	struct smp_edit_request r = { .size = sizeof(r), .staff = "w1", .kind = SMP_APPROVAL_LIMITED,
	                              .platforms = yt, .by = "w1", .ticket = "NJS-5000",
	                              .expires = "2026-12-01", .on = "2026-11-22" };
	char *id = NULL;
	smp_status st = smp_edit_request(conf, SMP_LOAD_ALLOW_NONROOT | SMP_EDIT_NOWAIT, &r, &id, d);

	free(id);
	return st;
}

static bool said(const smp_diags *d, const char *text)
{
	for (size_t i = 0; i < smp_diags_count(d); i++)
		if (strstr(smp_diags_get(d, i)->message, text) != NULL)
			return true;
	return false;
}

static void fault_edit(const char *name, edit_fn fn)
{
	unsigned long n, made = 0;
	char *want, *got;
	smp_status st;
	smp_diags *d = NULL;

	reset_world();
	st = fn(&d);
	smp_diags_free(d);
	CHECK(st == SMP_OK, "%s without faults: %s", name, smp_status_string(st));
	want = read_file(recs);
	for (n = 1; n < MAX_N; n++) {
		reset_world();
		d = NULL;
		armed_run(n);
		st = fn(&d);
		made = disarm();
		got = read_file(recs);
		CHECK(got != NULL, "%s with call %lu (%s) failing: the records are gone", name, n,
		      failed_what);
		if (got != NULL && st == SMP_OK)
			CHECK(strcmp(got, want) == 0,
			      "%s with call %lu (%s) failing said OK but wrote other records", name, n,
			      failed_what);
		else if (got != NULL && st == SMP_ERR_IO && said(d, "the change itself was made"))
			/* the audit line could not be written after the rename:
			 * an error that says the change was made (see SECURITY.md) */
			CHECK(strcmp(got, want) == 0,
			      "%s with call %lu (%s) failing: made, but not as without faults", name,
			      n, failed_what);
		else if (got != NULL)
			CHECK(strcmp(got, records_text) == 0,
			      "%s with call %lu (%s) failing (%s) changed the records", name, n,
			      failed_what, smp_status_string(st));
		CHECK(!temp_left(), "%s with call %lu (%s) failing left a temporary file", name, n,
		      failed_what);
		free(got);
		smp_diags_free(d);
		leak_check(name, n);
		if (made < n)
			break;
	}
	free(want);
	printf("%s: %lu calls failed in turn\n", name, n - 1);
}

int main(void)
{
	smp_policy *p = NULL;

	snprintf(dir, sizeof(dir), "/tmp/smp-faults-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(conf, sizeof(conf), "%s/smpolicy.conf", dir);
	snprintf(recs, sizeof(recs), "%s/records.conf", dir);
	reset_world();
	if (smp_policy_load(conf, SMP_LOAD_ALLOW_NONROOT, &p, NULL) != SMP_OK) {
		fprintf(stderr, "the world does not load\n");
		return 2;
	}
	fingerprint(p, reference_fp, sizeof(reference_fp));
	CHECK(strchr(reference_fp, 'A') != NULL && strchr(reference_fp, 'E') == NULL,
	      "the reference decides: %s", reference_fp);

	fault_load("load");
	fault_directory();
	fault_decide(p);
	fault_cache();
	fault_store();
	smp_policy_free(p);
	fault_edit("sign", op_sign);
	fault_edit("revoke", op_revoke);
	fault_edit("account", op_account);
	fault_edit("request", op_request);

	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	printf("%u failure%s\n", failures, failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
