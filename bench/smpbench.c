/*
 * smpbench.c - the measuring half of bench/run (docs/PERFORMANCE.md).
 *
 * Two paths lead to a policy: the parse (smp_policy_load with
 * SMP_LOAD_NO_CACHE: libconfig, conversion, validation) and the compiled
 * cache ("<config>.cache", written by smp_policy_cache_write or `smpolicy
 * compile`; smp_policy_load takes it when it is fresh).  Every command
 * says which path it measured, and one that means the cache exits 2
 * unless smp_policy_cache_state() says SMP_CACHE_USED.
 *
 *   smpbench load CONFIG REPS [BUDGET]
 *       First makes sure the compiled cache is fresh (writes it with
 *       smp_policy_cache_write, once, if it is absent or stale; a cache
 *       that is fresh is left alone).  Then REPS rounds, each: libconfig's
 *       bare config_init() + config_read_file() + config_destroy() of every
 *       file the policy reads (floor_ms), then the parse:
 *       smp_policy_load(SMP_LOAD_NO_CACHE) + smp_policy_free() (load_ms),
 *       and, timed apart, smp_policy_check() on that policy (check_ms),
 *       then smp_policy_load() from the cache + smp_policy_free()
 *       (cache_ms; the source files are read and hashed, as every cache
 *       load does).  Prints the median of each, in milliseconds, and
 *       cache_written 1 if it had to write the cache.  Stops early, after
 *       at least 3 rounds, once BUDGET seconds have passed.
 *   smpbench decide CONFIG REQUESTS REPS [SECONDS [both|parse|cache]]
 *       Parses CONFIG (SMP_LOAD_NO_CACHE; prints the peak resident set
 *       after it), then loads it from the compiled cache (written from the
 *       parsed policy if absent or stale), then REPS times: 1 thread on
 *       the parsed policy, 1 thread on the cache-loaded one, then 2
 *       threads on each, the threads deciding the requests of REQUESTS
 *       (bench/genworld's requests.tsv, in turn, each thread from its own
 *       offset) at the moment named in its header, for about SECONDS
 *       (default 0.25) per round.  Prints the median decisions/s (wall clock) of each; the
 *       decisions per CPU second the threads used (robust to other work on
 *       the machine); and the share of the threads' time spent waiting for
 *       a CPU (schedstat run-queue delay: other work on the machine).  The
 *       cache's keys are the parse's with a cache_ prefix; parsed_policy
 *       and cache_policy name where each came from (off, used), and
 *       cache_written 1 says it had to write the cache.  Exits 2
 *       if the two policies allow a different number of the same requests.
 *       With "parse" or "cache" (default "both"), only that policy is
 *       loaded and measured (bench/instructions: callgrind counts every
 *       smp_decide).
 *   smpbench mem CONFIG | smpbench memcache CONFIG | smpbench memfloor CONFIG
 *       Peak resident set (VmHWM) of a process that parses the policy
 *       (mem), loads it from a fresh compiled cache (memcache, which also
 *       prints the cache file's size), or only parses its files with
 *       libconfig (memfloor), and of the same process before it did.
 *   smpbench once load|cache|floor CONFIG
 *       One parse, smp_policy_load(SMP_LOAD_NO_CACHE) + free (in
 *       once_load), one load from a fresh compiled cache + free (in
 *       once_cache; exits 2 if the cache was not used), or one bare
 *       libconfig parse of the same files (in once_floor), for callgrind's
 *       --toggle-collect (bench/instructions).
 *   smpbench cachestate CONFIG
 *       Prints what smp_policy_load() made of the compiled cache ("used",
 *       "absent", "stale", "rejected"), in this process's environment.
 *   smpbench pam REPS BUDGET SVCDIR USER SERVICE SERVICE [SERVICE...]
 *       Runs `pamtester SERVICE USER acct_mgmt` under pam_wrapper
 *       (LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1
 *       PAM_WRAPPER_SERVICE_DIR=SVCDIR) for each service in turn (2 to
 *       PAM_MAX_SERVICES), REPS rounds (after one warm-up round), and
 *       prints the median wall time of the whole process for each, in
 *       milliseconds (SERVICE_ms), the median CPU time it used, user +
 *       system (SERVICE_cpu_ms: not inflated by waiting for a CPU), and
 *       their last exit codes.  Stops early, after at
 *       least 3 rounds, past BUDGET seconds.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <smpolicy.h>

#include <errno.h>
#include <libconfig.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), dcmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
	fprintf(stderr, "smpbench: %s\n", what);
	exit(2);
}

static void print_diags(const smp_diags *d)
{
	for (size_t i = 0; i < smp_diags_count(d) && i < 5; i++) {
		const struct smp_diag *g = smp_diags_get(d, i);

		fprintf(stderr, "%s:%u: %s\n", g->file ? g->file : "?", g->line, g->message);
	}
}

/* smp_policy_load(config, flags): flags SMP_LOAD_NO_CACHE is the parse, 0
 * takes the compiled cache when it is fresh.  Warnings (a cache that was
 * ignored) go to *warnings when it is not NULL. */
static smp_policy *load_flags(const char *config, unsigned flags, smp_diags **warnings)
{
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	smp_status st = smp_policy_load(config, flags, &p, &d);

	if (st != SMP_OK) {
		print_diags(d);
		fprintf(stderr, "smpbench: %s: %s\n", config, smp_status_string(st));
		exit(2);
	}
	if (warnings != NULL)
		*warnings = d;
	else
		smp_diags_free(d);
	return p;
}

/* The parse: libconfig, conversion and validation, never the cache. */
static smp_policy *load_or_die(const char *config)
{
	return load_flags(config, SMP_LOAD_NO_CACHE, NULL);
}

static void die_not_used(const char *config, smp_cache_state cs)
{
	fprintf(stderr, "smpbench: %s: the compiled cache was not used (%s); "
	        "`smpolicy -c %s compile` writes it\n", config, smp_cache_state_name(cs), config);
	exit(2);
}

/* A load from the compiled cache; exits 2 unless the cache was used. */
static smp_policy *load_cache_or_die(const char *config)
{
	smp_policy *p = load_flags(config, 0, NULL);
	smp_cache_state cs = smp_policy_cache_state(p);

	if (cs != SMP_CACHE_USED)
		die_not_used(config, cs);
	return p;
}

/* Make sure that CONFIG has a fresh compiled cache: when it is absent or
 * stale, write it (from `from`, or else from the parse the load just made)
 * with smp_policy_cache_write.  A fresh cache is left alone; a rejected one
 * (insecure or damaged) is an error.  Returns 1 when it wrote the cache. */
static int ensure_cache(const char *config, const smp_policy *from)
{
	smp_diags *w = NULL, *d = NULL;
	smp_policy *p = load_flags(config, 0, &w);
	smp_cache_state cs = smp_policy_cache_state(p);
	smp_status st;

	if (cs == SMP_CACHE_USED) {
		smp_diags_free(w);
		smp_policy_free(p);
		return 0;
	}
	if (cs != SMP_CACHE_ABSENT && cs != SMP_CACHE_STALE) {
		print_diags(w);
		die_not_used(config, cs);
	}
	smp_diags_free(w);
	st = smp_policy_cache_write(from != NULL ? from : p, 0, &d);
	if (st != SMP_OK) {
		print_diags(d);
		fprintf(stderr, "smpbench: %s: smp_policy_cache_write: %s\n", config,
		        smp_status_string(st));
		exit(2);
	}
	smp_diags_free(d);
	smp_policy_free(p);
	/* and it must now be used */
	smp_policy_free(load_cache_or_die(config));
	return 1;
}

/* ---- load ------------------------------------------------------------- */

struct files {
	char **path;
	size_t n;
};

/* The files a load reads: CONFIG and the records files it names (relative
 * to its folder), found with libconfig alone, without loading the policy. */
static struct files policy_files(const char *config)
{
	struct files f = { NULL, 0 };
	config_t cfg;
	const config_setting_t *rec;
	const char *slash = strrchr(config, '/');
	int n;

	config_init(&cfg);
	if (config_read_file(&cfg, config) != CONFIG_TRUE)
		die("config_read_file failed on the config");
	rec = config_lookup(&cfg, "settings.records");
	n = rec != NULL ? config_setting_length(rec) : 0;
	f.path = calloc((size_t)n + 1, sizeof(char *));
	if (f.path == NULL)
		die("out of memory");
	f.path[f.n++] = strdup(config);
	for (int i = 0; i < n; i++) {
		const char *r = config_setting_get_string_elem(rec, i);
		char *p;

		if (r == NULL)
			die("settings.records is not a list of strings");
		if (r[0] == '/' || slash == NULL) {
			p = strdup(r);
		} else {
			p = malloc((size_t)(slash - config) + strlen(r) + 2);
			if (p != NULL)
				sprintf(p, "%.*s/%s", (int)(slash - config), config, r);
		}
		if (p == NULL)
			die("out of memory");
		f.path[f.n++] = p;
	}
	config_destroy(&cfg);
	return f;
}

/* The floor: what libconfig alone costs for the same files. */
static void bare_parse(const struct files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		config_t cfg;

		config_init(&cfg);
		if (config_read_file(&cfg, f->path[i]) != CONFIG_TRUE)
			die("config_read_file failed");
		config_destroy(&cfg);
	}
}

static int cmd_load(const char *config, int reps, double budget)
{
	double start;
	int done = 0;

	struct files f = policy_files(config);
	double *floor = calloc((size_t)reps, sizeof(double));
	double *load = calloc((size_t)reps, sizeof(double));
	double *check = calloc((size_t)reps, sizeof(double));
	double *cache = calloc((size_t)reps, sizeof(double));
	double mf, ml, mc, mk;
	int written;

	if (floor == NULL || load == NULL || check == NULL || cache == NULL)
		die("out of memory");
	written = ensure_cache(config, NULL);   /* before the rounds, once */
	bare_parse(&f);   /* warm the page cache */
	start = now();
	for (int r = 0; r < reps && !(r >= 3 && now() - start > budget); r++, done++) {
		smp_policy *p;
		smp_diags *d = NULL;
		smp_cache_state cs;
		double t0 = now(), t1, t2, t3, t4, t5, t6, t7;

		bare_parse(&f);
		t1 = now();
		p = load_or_die(config);
		t2 = now();
		if (smp_policy_check(p, &d) != SMP_OK)
			die("smp_policy_check failed");
		t3 = now();
		if (smp_diags_errors(d) > 0)
			die("the world does not pass smp_policy_check");
		smp_diags_free(d);
		smp_policy_free(p);
		t4 = now();
		p = load_flags(config, 0, NULL);   /* the compiled cache */
		t5 = now();
		cs = smp_policy_cache_state(p);
		if (cs != SMP_CACHE_USED)
			die_not_used(config, cs);
		t6 = now();
		smp_policy_free(p);
		t7 = now();
		floor[r] = (t1 - t0) * 1e3;
		load[r] = (t2 - t1 + t4 - t3) * 1e3;   /* load and free, as the floor destroys */
		check[r] = (t3 - t2) * 1e3;
		cache[r] = (t5 - t4 + t7 - t6) * 1e3;
	}
	mf = median(floor, (size_t)done);
	ml = median(load, (size_t)done);
	mc = median(check, (size_t)done);
	mk = median(cache, (size_t)done);
	printf("floor_ms %.3f load_ms %.3f check_ms %.3f cache_ms %.3f reps %d cache_written %d\n",
	       mf, ml, mc, mk, done, written);
	return 0;
}

/* ---- decide ----------------------------------------------------------- */

struct reqs {
	struct smp_request *v;
	size_t n;
};

static char *field(char **s)
{
	char *f = *s, *tab = strchr(f, '\t');

	if (tab != NULL) {
		*tab = '\0';
		*s = tab + 1;
	} else {
		f[strcspn(f, "\n")] = '\0';
		*s = f + strlen(f);
	}
	return strcmp(f, "-") == 0 ? NULL : strdup(f);
}

static struct reqs read_requests(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[2048];
	struct reqs r = { NULL, 0 };
	size_t cap = 0;
	int64_t at = 0;
	bool have_at = false;

	if (fp == NULL)
		die("cannot open the requests file");
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *s = line, *act, *purpose;
		struct smp_request *q;

		if (line[0] == '#') {
			char *p = strstr(line, "decided at ");

			if (p != NULL) {
				char ts[64];

				if (sscanf(p + 11, "%63s", ts) != 1 ||
				    smp_time_parse(ts, SMP_TIME_START, &at) != SMP_OK)
					die("bad time in the requests header");
				have_at = true;
			}
			continue;
		}
		if (r.n == cap) {
			cap = cap ? cap * 2 : 1024;
			r.v = realloc(r.v, cap * sizeof(*r.v));
			if (r.v == NULL)
				die("out of memory");
		}
		q = &r.v[r.n++];
		smp_request_init(q);
		q->user = field(&s);
		q->platform = field(&s);
		q->device = field(&s);
		q->account = field(&s);
		act = field(&s);
		purpose = field(&s);
		if (q->user == NULL || q->platform == NULL || q->device == NULL || act == NULL ||
		    smp_action_parse(act, &q->action) != SMP_OK ||
		    (purpose != NULL && smp_purpose_parse(purpose, &q->purpose) != SMP_OK))
			die("bad request line");
		free(act);
		free(purpose);
	}
	fclose(fp);
	if (!have_at || r.n == 0)
		die("the requests file has no 'decided at' header or no requests");
	for (size_t i = 0; i < r.n; i++)
		r.v[i].at = at;
	return r;
}

struct worker {
	const smp_policy *p;
	const struct reqs *rq;
	size_t start, count;
	size_t allowed, errors;
	pthread_barrier_t *go;
	double cpu;            /* CPU seconds this thread spent deciding */
	double waited;         /* seconds it was runnable but not running */
};

/* Seconds this thread has waited on a run queue (/proc/thread-self/schedstat:
 * its second field), or 0 if the kernel does not say. */
static double thread_runq_wait(void)
{
	FILE *fp = fopen("/proc/thread-self/schedstat", "r");
	unsigned long long run = 0, wait = 0;

	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	fclose(fp);
	return (double)wait / 1e9;
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	size_t i = w->start % w->rq->n, allowed = 0, errors = 0;
	double c0, q0;

	pthread_barrier_wait(w->go);
	q0 = thread_runq_wait();
	c0 = thread_cpu();
	for (size_t k = 0; k < w->count; k++) {
		smp_decision *d = NULL;

		if (smp_decide(w->p, &w->rq->v[i], &d) != SMP_OK)
			errors++;
		else if (smp_decision_allowed(d))
			allowed++;
		smp_decision_free(d);
		if (++i == w->rq->n)
			i = 0;
	}
	/* written once, at the end: the workers' structs share cache lines */
	w->cpu = thread_cpu() - c0;
	w->waited = thread_runq_wait() - q0;
	w->allowed = allowed;
	w->errors = errors;
	return NULL;
}

/* THREADS threads deciding COUNT requests each; returns decisions/s of
 * wall-clock time, and in *per_cpu decisions per CPU second of the threads
 * (what the rate would be without other work on the machine). */
static double decide_round(const smp_policy *p, const struct reqs *rq, int threads, size_t count,
                           size_t *allowed, double *per_cpu, double *waited)
{
	double cpu = 0, wait = 0;
	pthread_t tid[64];
	struct worker w[64];
	pthread_barrier_t go;
	double t0, t1;

	pthread_barrier_init(&go, NULL, (unsigned)threads + 1);
	for (int k = 0; k < threads; k++) {
		w[k] = (struct worker){ p, rq, (size_t)k * rq->n / (size_t)threads, count, 0, 0, &go,
		                        0, 0 };
		if (pthread_create(&tid[k], NULL, work, &w[k]) != 0)
			die("pthread_create");
	}
	t0 = now();
	pthread_barrier_wait(&go);
	for (int k = 0; k < threads; k++)
		pthread_join(tid[k], NULL);
	t1 = now();
	pthread_barrier_destroy(&go);
	*allowed = 0;
	for (int k = 0; k < threads; k++) {
		if (w[k].errors)
			die("smp_decide returned an error");
		*allowed += w[k].allowed;
		cpu += w[k].cpu;
		wait += w[k].waited;
	}
	if (per_cpu != NULL)
		*per_cpu = (double)count * threads / cpu;
	if (waited != NULL)   /* share of the threads' time spent waiting for a CPU */
		*waited = wait / (threads * (t1 - t0));
	return (double)count * threads / (t1 - t0);
}

static long maxrss_kb(void);

/* The medians of one policy's rounds. */
struct rates {
	double *r1, *r2;   /* decisions/s, wall clock, 1 and 2 threads */
	double *c1, *c2;   /* decisions per CPU second of the threads */
	double *q1, *q2;   /* share of the threads' time waiting for a CPU */
};

static void rates_alloc(struct rates *t, int reps)
{
	double **v[] = { &t->r1, &t->r2, &t->c1, &t->c2, &t->q1, &t->q2 };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if ((*v[i] = calloc((size_t)reps, sizeof(double))) == NULL)
			die("out of memory");
}

static void rates_print(const char *prefix, struct rates *t, int reps)
{
	size_t n = (size_t)reps;

	printf("%sdecide1_per_s %.0f %sdecide2_per_s %.0f %sdecide1_per_cpu_s %.0f "
	       "%sdecide2_per_cpu_s %.0f %srunq1_pct %.1f %srunq2_pct %.1f ",
	       prefix, median(t->r1, n), prefix, median(t->r2, n), prefix, median(t->c1, n),
	       prefix, median(t->c2, n), prefix, 100 * median(t->q1, n), prefix,
	       100 * median(t->q2, n));
}

/* WHICH: "both" (default), or only the "parse" or the "cache" (for
 * callgrind, which counts every smp_decide: bench/instructions). */
static int cmd_decide(const char *config, const char *requests, int reps, double seconds,
                      const char *which)
{
	bool parse = strcmp(which, "cache") != 0, cache = strcmp(which, "parse") != 0;
	long before = maxrss_kb(), after = 0;
	smp_policy *p = NULL, *pc = NULL;
	struct reqs rq;
	struct rates tp, tc;
	size_t allowed = 0, allowed_c = 0, count;
	double est;
	int written = 0;

	if (parse) {
		p = load_or_die(config);   /* the parse, as the history has it */
		after = maxrss_kb();
	}
	if (cache) {
		written = ensure_cache(config, p);
		pc = load_cache_or_die(config);
		if (!parse)
			after = maxrss_kb();
	}
	rq = read_requests(requests);   /* after the peak, as the history has it */
	rates_alloc(&tp, reps);
	rates_alloc(&tc, reps);
	/* calibrate (on the parsed policy when there is one): each round takes
	 * about `seconds` */
	est = decide_round(parse ? p : pc, &rq, 1, rq.n < 20000 ? 20000 : rq.n,
	                   parse ? &allowed : &allowed_c, NULL, NULL);
	count = (size_t)(est * seconds);
	if (count < rq.n)
		count = rq.n;
	/* the two policies in turn, so that drift on the machine hits both alike */
	for (int r = 0; r < reps; r++) {
		if (parse)
			tp.r1[r] = decide_round(p, &rq, 1, count, &allowed, &tp.c1[r], &tp.q1[r]);
		if (cache)
			tc.r1[r] = decide_round(pc, &rq, 1, count, &allowed_c, &tc.c1[r], &tc.q1[r]);
		if (parse && cache && allowed != allowed_c)
			goto differ;
		if (parse)
			tp.r2[r] = decide_round(p, &rq, 2, count, &allowed, &tp.c2[r], &tp.q2[r]);
		if (cache)
			tc.r2[r] = decide_round(pc, &rq, 2, count, &allowed_c, &tc.c2[r], &tc.q2[r]);
		if (parse && cache && allowed != allowed_c)
			goto differ;
	}
	if (parse) {
		printf("parsed_policy %s ", smp_cache_state_name(smp_policy_cache_state(p)));
		rates_print("", &tp, reps);
	}
	if (cache) {
		printf("cache_policy %s cache_written %d ",
		       smp_cache_state_name(smp_policy_cache_state(pc)), written);
		rates_print("cache_", &tc, reps);
	}
	printf("requests %zu allowed_pct %.1f decisions_per_round %zu reps %d peak_kb %ld "
	       "before_kb %ld\n",
	       rq.n, 100.0 * (double)(parse ? allowed : allowed_c) / (double)(2 * count), count,
	       reps, after, before);
	smp_policy_free(pc);
	smp_policy_free(p);
	return 0;
differ:
	fprintf(stderr, "smpbench: the parsed policy allowed %zu of the requests, the policy from "
	        "the compiled cache %zu: they decide differently\n", allowed, allowed_c);
	return 2;
}

/* ---- memory ----------------------------------------------------------- */

/* Peak resident set of this process image, in KiB: VmHWM from
 * /proc/self/status (getrusage's ru_maxrss would also count the parent's
 * peak, which Linux carries across execve). */
static long maxrss_kb(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	if (fp != NULL)
		fclose(fp);
	if (kb < 0) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		kb = ru.ru_maxrss;
	}
	return kb;
}

enum mem_what { MEM_PARSE, MEM_CACHE, MEM_FLOOR };

static int cmd_mem(const char *config, enum mem_what what)
{
	long before = maxrss_kb();

	if (what == MEM_CACHE) {
		smp_policy *p = load_cache_or_die(config);
		long after = maxrss_kb();
		struct stat sb;

		if (stat(smp_policy_cache_path(p), &sb) != 0)
			die("cannot stat the compiled cache");
		printf("peak_kb %ld before_kb %ld cache_bytes %lld\n", after, before,
		       (long long)sb.st_size);
		smp_policy_free(p);
		return 0;
	}
	if (what == MEM_FLOOR) {
		/* every file parsed and kept, as the loader has them all at once */
		struct files f = policy_files(config);
		config_t *cfg = calloc(f.n, sizeof(config_t));

		if (cfg == NULL)
			die("out of memory");
		before = maxrss_kb();
		for (size_t i = 0; i < f.n; i++) {
			config_init(&cfg[i]);
			if (config_read_file(&cfg[i], f.path[i]) != CONFIG_TRUE)
				die("config_read_file failed");
		}
		printf("floor_kb %ld before_kb %ld\n", maxrss_kb(), before);
		for (size_t i = 0; i < f.n; i++)
			config_destroy(&cfg[i]);
		free(cfg);
		return 0;
	}
	smp_policy *p = load_or_die(config);
	long after = maxrss_kb();

	smp_policy_free(p);
	printf("peak_kb %ld before_kb %ld\n", after, before);
	return 0;
}

/* ---- pam -------------------------------------------------------------- */

/* Wall time of one pamtester process, in ms; *cpu_ms: the user + system
 * time it used (what waiting for a CPU does not inflate). */
static double run_pam(char *const envp[], const char *service, const char *user, int *status,
                      double *cpu_ms)
{
	struct rusage ru;
	char *argv[] = { "pamtester", (char *)service, (char *)user, "acct_mgmt", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	double t0 = now(), t1;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	if (posix_spawnp(&pid, "pamtester", &fa, NULL, argv, envp) != 0)
		die("cannot run pamtester");
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4");
	t1 = now();
	*cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	          (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	posix_spawn_file_actions_destroy(&fa);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return (t1 - t0) * 1e3;
}

#define PAM_MAX_SERVICES 6

static int cmd_pam(int reps, double budget, const char *svcdir, const char *user,
                   int nsvc, char **svcs)
{
	double start;
	int done = 0;
	size_t n = 0;
	char **envp;
	char svc[4200];
	double *t[PAM_MAX_SERVICES], *c[PAM_MAX_SERVICES], ignore;
	int st[PAM_MAX_SERVICES] = { 0 };

	for (char **e = environ; *e; e++)
		n++;
	envp = calloc(n + 4, sizeof(char *));
	if (envp == NULL)
		die("out of memory");
	for (int k = 0; k < nsvc; k++)
		if ((t[k] = calloc((size_t)reps, sizeof(double))) == NULL ||
		    (c[k] = calloc((size_t)reps, sizeof(double))) == NULL)
			die("out of memory");
	n = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && strncmp(*e, "PAM_WRAPPER", 11) != 0)
			envp[n++] = *e;
	snprintf(svc, sizeof(svc), "PAM_WRAPPER_SERVICE_DIR=%s", svcdir);
	envp[n++] = "LD_PRELOAD=libpam_wrapper.so";
	envp[n++] = "PAM_WRAPPER=1";
	envp[n++] = svc;
	envp[n] = NULL;
	for (int k = 0; k < nsvc; k++)
		run_pam(envp, svcs[k], user, &st[k], &ignore);   /* warm up */
	start = now();
	for (int r = 0; r < reps && !(r >= 3 && now() - start > budget); r++, done++)
		for (int k = 0; k < nsvc; k++)   /* in turn, so that drift hits all alike */
			t[k][r] = run_pam(envp, svcs[k], user, &st[k], &c[k][r]);
	for (int k = 0; k < nsvc; k++)
		printf("%s_ms %.3f %s_cpu_ms %.3f %s_exit %d ", svcs[k], median(t[k], (size_t)done),
		       svcs[k], median(c[k], (size_t)done), svcs[k], st[k]);
	printf("reps %d\n", done);
	return 0;
}

/* ---- once: one load or one floor, for callgrind ------------------------ */

/* Named so that `valgrind --tool=callgrind --toggle-collect=once_load`
 * counts the load alone (bench/instructions). */
__attribute__((noinline)) static void once_floor(const struct files *f)
{
	bare_parse(f);
}

__attribute__((noinline)) static void once_load(const char *config)
{
	smp_policy_free(load_or_die(config));   /* the parse: SMP_LOAD_NO_CACHE */
}

/* One load from the compiled cache and its free; returns what the load
 * made of the cache, for the caller to check (a few instructions). */
__attribute__((noinline)) static smp_cache_state once_cache(const char *config)
{
	smp_policy *p = load_flags(config, 0, NULL);
	smp_cache_state cs = smp_policy_cache_state(p);

	smp_policy_free(p);
	return cs;
}

static int cmd_once(const char *what, const char *config)
{
	struct files f = policy_files(config);

	if (strcmp(what, "floor") == 0) {
		once_floor(&f);
	} else if (strcmp(what, "cache") == 0) {
		smp_cache_state cs = once_cache(config);

		if (cs != SMP_CACHE_USED)
			die_not_used(config, cs);
	} else {
		once_load(config);
	}
	return 0;
}

static int cmd_cachestate(const char *config)
{
	smp_diags *w = NULL;
	smp_policy *p = load_flags(config, 0, &w);

	print_diags(w);
	puts(smp_cache_state_name(smp_policy_cache_state(p)));
	smp_diags_free(w);
	smp_policy_free(p);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "load") == 0)
		return cmd_load(argv[2], atoi(argv[3]) > 0 ? atoi(argv[3]) : 1,
		                argc == 5 ? atof(argv[4]) : 1e9);
	if ((argc >= 5 && argc <= 7) && strcmp(argv[1], "decide") == 0 &&
	    (argc < 7 || strcmp(argv[6], "both") == 0 || strcmp(argv[6], "parse") == 0 ||
	     strcmp(argv[6], "cache") == 0))
		return cmd_decide(argv[2], argv[3], atoi(argv[4]) > 0 ? atoi(argv[4]) : 1,
		                  argc >= 6 ? atof(argv[5]) : 0.25, argc == 7 ? argv[6] : "both");
	if (argc == 4 && strcmp(argv[1], "once") == 0 &&
	    (strcmp(argv[2], "load") == 0 || strcmp(argv[2], "cache") == 0 ||
	     strcmp(argv[2], "floor") == 0))
		return cmd_once(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "mem") == 0)
		return cmd_mem(argv[2], MEM_PARSE);
	if (argc == 3 && strcmp(argv[1], "memcache") == 0)
		return cmd_mem(argv[2], MEM_CACHE);
	if (argc == 3 && strcmp(argv[1], "memfloor") == 0)
		return cmd_mem(argv[2], MEM_FLOOR);
	if (argc == 3 && strcmp(argv[1], "cachestate") == 0)
		return cmd_cachestate(argv[2]);
	if (argc >= 8 && argc <= 6 + PAM_MAX_SERVICES && strcmp(argv[1], "pam") == 0)
		return cmd_pam(atoi(argv[2]) > 0 ? atoi(argv[2]) : 1, atof(argv[3]), argv[4], argv[5],
		               argc - 6, argv + 6);
	fprintf(stderr,
	        "usage: smpbench load CONFIG REPS [BUDGET]\n"
	        "       smpbench decide CONFIG REQUESTS REPS [SECONDS [both|parse|cache]]\n"
	        "       smpbench mem|memcache|memfloor CONFIG\n"
	        "       smpbench once load|cache|floor CONFIG\n"
	        "       smpbench cachestate CONFIG\n"
	        "       smpbench pam REPS BUDGET SVCDIR USER SERVICE SERVICE [SERVICE...]\n");
	return 2;
}
