/*
 * file_secure.c - open and read the files the library trusts (settings,
 * records, the compiled cache) only when root owns them and their
 * folders and nobody else may write them, as sshd's StrictModes does;
 * and spell a settings file's path one way.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sources/file_secure.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* xxHash as its header offers it, inline: a login maps no DSO for it */
#define XXH_INLINE_ALL
#include <xxhash.h>

/* ---- reading a file securely ------------------------------------------ */

static bool owner_ok(uid_t uid, unsigned flags)
{
	return uid == 0 || ((flags & SMP_LOAD_ALLOW_NONROOT) && uid == geteuid());
}

static smp_status check_folder(const char *path, unsigned flags, smp_diags *d)
{
	char *copy = strdup(path), *slash;
	struct stat st;
	smp_status rc = SMP_OK;

	if (copy == NULL)
		return SMP_ERR_NOMEM;
	slash = strrchr(copy, '/');
	if (slash == copy)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		strcpy(copy, ".");
	if (stat(copy, &st) != 0) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot examine folder %s: %s",
		          copy, strerror(errno));
		rc = SMP_ERR_IO;
	} else if (!owner_ok(st.st_uid, flags)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "folder %s is not owned by root (uid %ld): refusing it", copy,
		          (long)st.st_uid);
		rc = SMP_ERR_INSECURE;
	} else if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "folder %s is writable by group or others (mode %04o): refusing it",
		          copy, (unsigned)(st.st_mode & 07777));
		rc = SMP_ERR_INSECURE;
	}
	free(copy);
	return rc;
}

/*
 * path may be a symbolic link, or a chain of them: every link on the way
 * must be owned by root (like the file), and the file they lead to must be
 * the one opened (st) and sit in a folder that passes check_folder() too,
 * so that a root-owned link cannot hand the loader a file from a folder
 * that someone else can write.
 */
static smp_status check_links(const char *path, const struct stat *st, unsigned flags,
                              smp_diags *d)
{
	char *cur = strdup(path), target[PATH_MAX];
	smp_status rc = SMP_OK;
	struct stat lst, real;

	if (cur == NULL)
		return SMP_ERR_NOMEM;
	for (int hops = 0;; hops++) {
		ssize_t n;
		char *next;

		if (lstat(cur, &lst) != 0 || !S_ISLNK(lst.st_mode))
			break;
		if (!owner_ok(lst.st_uid, flags)) {
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
			          "symbolic link %s not owned by root (uid %ld): refusing it", cur,
			          (long)lst.st_uid);
			rc = SMP_ERR_INSECURE;
			break;
		}
		n = readlink(cur, target, sizeof(target) - 1);
		if (hops == 16 || n < 0) {
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot follow the link %s", cur);
			rc = SMP_ERR_IO;
			break;
		}
		target[n] = '\0';
		if (target[0] == '/' || strrchr(cur, '/') == NULL) {
			next = strdup(target);
		} else {
			int dirlen = (int)(strrchr(cur, '/') - cur);

			if (asprintf(&next, "%.*s/%s", dirlen, cur, target) < 0)
				next = NULL;
		}
		free(cur);
		cur = next;
		if (cur == NULL)
			return SMP_ERR_NOMEM;
	}
	if (rc == SMP_OK && strcmp(cur, path) != 0) {
		if (stat(cur, &real) != 0 || real.st_dev != st->st_dev || real.st_ino != st->st_ino) {
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
			          "the link changed while it was read: refusing it");
			rc = SMP_ERR_INSECURE;
		} else {
			rc = check_folder(cur, flags, d);
		}
	}
	free(cur);
	return rc;
}

static smp_status check_file(const char *path, int fd, unsigned flags, uint64_t limit,
                             smp_diags *d, struct stat *out)
{
	struct stat st;
	smp_status rc;

	if (fstat(fd, &st) != 0) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot examine: %s", strerror(errno));
		return SMP_ERR_IO;
	}
	rc = check_links(path, &st, flags, d);
	if (rc != SMP_OK)
		return rc;
	if (!S_ISREG(st.st_mode)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "not a regular file");
		return SMP_ERR_IO;
	}
	if (!owner_ok(st.st_uid, flags)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "not owned by root (uid %ld): refusing it", (long)st.st_uid);
		return SMP_ERR_INSECURE;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "writable by group or others (mode %04o): refusing it",
		          (unsigned)(st.st_mode & 07777));
		return SMP_ERR_INSECURE;
	}
	if ((flags & SMP_LOAD_PRIVATE) && (st.st_mode & S_IROTH)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "readable by others (mode %04o): the directory's local copy, its state "
		          "and its login store must be readable by root and one group only "
		          "(0640): refusing it", (unsigned)(st.st_mode & 07777));
		return SMP_ERR_INSECURE;
	}
	if ((uint64_t)st.st_size > limit) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "file too large (%lld bytes; the limit is %llu MiB)",
		          (long long)st.st_size, (unsigned long long)(limit >> 20));
		return SMP_ERR_IO;
	}
	*out = st;
	return check_folder(path, flags, d);
}

/* Read all of fd into a NUL-terminated buffer of at most limit bytes. */
static smp_status read_all(int fd, size_t hint, char **out, size_t *len)
{
	size_t cap = hint + 2, n = 0;   /* room for the NUL and the read that meets EOF */
	char *buf = malloc(cap);

	if (buf == NULL)
		return SMP_ERR_NOMEM;
	for (;;) {
		ssize_t r;

		if (n + 1 == cap) {
			char *nb;

			if (cap > SMP_MAX_FILE_SIZE) {
				free(buf);
				return SMP_ERR_IO;   /* grew while we read it */
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				return SMP_ERR_NOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return SMP_ERR_IO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return SMP_OK;
}

/* A line whose first non-blank character is '@' is a libconfig directive
 * (@include); we never follow one: the records are one file each. */
static unsigned find_directive(const char *buf)
{
	unsigned line = 1;
	bool at_start = true;

	for (const char *s = buf; *s; s++) {
		if (*s == '\n') {
			line++;
			at_start = true;
		} else if (at_start && *s == '@') {
			return line;
		} else if (*s != ' ' && *s != '\t' && *s != '\r') {
			at_start = false;
		}
	}
	return 0;
}

/*
 * libconfig checks each new setting of a group against all the earlier
 * ones, so a group of n settings costs n^2/2 comparisons: 40,000 settings
 * take 11 s, a 64 MiB file of them would never finish.  And it grows a
 * list 16 elements at a time with realloc(): once the process has freed a
 * large block (glibc then raises its mmap threshold to 32 MiB, so realloc
 * copies instead of remapping) a list of 1,000,000 entries copies some
 * 250 GB.  No group of the schema has more than a dozen settings and none
 * nests deeper than 4, and a list of SMP_MAX_LIST entries costs at most a
 * few GB of copying, so a file with a group { } (or a top level) of more
 * than SMP_MAX_GROUP settings, a list ( ) or array [ ] of more than
 * SMP_MAX_LIST entries, brackets nested deeper than SMP_MAX_DEPTH, or a
 * string of more than SMP_MAX_STRING bytes (libconfig grows it 64 bytes at
 * a time: 1.3 MB took 43 s under AddressSanitizer) is refused before
 * libconfig reads it (more records go in more files).  The
 * scan follows libconfig's lexer: comments (#, //, slash-star) and strings
 * are skipped; '=' or ':' in a group starts a setting, ',' in a list the
 * next entry.  Returns the line of the fault, 0 if none.
 */
#define SMP_STR_(x) #x
#define SMP_STR(x) SMP_STR_(x)
#define SMP_MAX_GROUP 100
#define SMP_MAX_LIST 100000
#define SMP_MAX_DEPTH 32
#define SMP_MAX_STRING 65536   /* bytes of one string, adjacent "a" "b" joined */

/* The bytes find_fault() stops at; it skips every other byte in one tight
 * loop (names, ids and dates are most of a records file). */
static const unsigned char scan_stop[256] = {
	['\0'] = 1, ['\n'] = 1, ['#'] = 1, ['/'] = 1, ['"'] = 1, ['{'] = 1, ['('] = 1,
	['['] = 1, ['}'] = 1, [')'] = 1, [']'] = 1, ['='] = 1, [':'] = 1, [','] = 1,
};

/* and the bytes it stops at inside a string */
static const unsigned char string_stop[256] = {
	['\0'] = 1, ['\n'] = 1, ['"'] = 1, ['\\'] = 1,
};

/* Whether the line starting at s is a directive, as find_directive()
 * decides it. */
static bool directive_at(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	return *s == '@';
}

/* Whether the next token after s is a string: libconfig joins "a" "b",
 * with blanks, line ends and comments between, into one string. */
static bool string_follows(const char *s)
{
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s == '#' || (s[0] == '/' && s[1] == '/')) {
			s += strcspn(s, "\n");
		} else if (s[0] == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");

			if (end == NULL)
				return false;
			s = end + 2;
		} else {
			return *s == '"';
		}
	}
}

/*
 * The limits above and find_directive() in one pass, the one run on every
 * file: the line of the first fault and what it is (NULL for a directive),
 * or 0.  A directive is found on any line, inside a string or a comment
 * too, as find_directive() finds it; when something else is found first,
 * the caller still asks find_directive(), whose fault is the one reported.
 */
static unsigned find_fault(const char *s, const char **why)
{
	char open[SMP_MAX_DEPTH + 1];   /* '{', '(' or '[' per level; [0] the top */
	unsigned count[SMP_MAX_DEPTH + 1], line = 1;
	int depth = 0;
	size_t run = 0;             /* bytes of the string being joined */
	bool joined = false;        /* the next string continues the last one */

	open[0] = '{';
	count[0] = 0;
	if (directive_at(s))
		goto directive;
	for (;; s++) {
		while (!scan_stop[(unsigned char)*s])
			s++;   /* names, numbers, blanks */
		switch (*s) {
		case '\0':
			return 0;
		case '\n':
			line++;
			if (directive_at(s + 1))
				goto directive;
			continue;
		case '#':
			s = strchrnul(s, '\n') - 1;   /* the loop steps onto the line end */
			continue;
		case '/':
			if (s[1] == '/') {
				s = strchrnul(s, '\n') - 1;
			} else if (s[1] == '*') {
				for (s += 2; *s && !(s[0] == '*' && s[1] == '/'); s++) {
					if (*s == '\n' && (line++, directive_at(s + 1)))
						goto directive;
				}
				if (!*s)
					return 0;   /* unterminated: libconfig says so */
				s++;
			}
			continue;
		case '"':
			/* libconfig builds a string 64 bytes at a time: refuse a
			 * long one before it copies it quadratically */
			if (!joined)
				run = 0;
			for (s++;; s++) {
				const char *t = s;

				while (!string_stop[(unsigned char)*s])
					s++;
				run += (size_t)(s - t);
				if (*s == '\0' || *s == '"')
					break;
				if (*s == '\\' && s[1])
					s++;
				run++;
				if (*s == '\n' && (line++, directive_at(s + 1)))
					goto directive;
			}
			if (!*s)
				return 0;
			if (run > SMP_MAX_STRING) {
				*why = "a string longer than " SMP_STR(SMP_MAX_STRING) " bytes";
				return line;
			}
			joined = string_follows(s + 1);
			continue;
		case '{':
		case '(':
		case '[':
			if (depth == SMP_MAX_DEPTH) {
				*why = "brackets nested too deep";
				return line;
			}
			open[++depth] = *s;
			count[depth] = 0;
			continue;
		case '}':
		case ')':
		case ']':
			if (depth > 0)
				depth--;
			continue;
		case '=':
		case ':':
			if (open[depth] == '{' && ++count[depth] > SMP_MAX_GROUP) {
				*why = "more than " SMP_STR(SMP_MAX_GROUP) " settings in one group";
				return line;
			}
			continue;
		case ',':
			if (open[depth] != '{' && ++count[depth] >= SMP_MAX_LIST) {
				*why = "more than " SMP_STR(SMP_MAX_LIST) " entries in one list "
				       "(split the records into more files)";
				return line;
			}
			continue;
		}
	}
directive:
	*why = NULL;
	return line;
}

/* file_open_secure(), with the errors named after path (the file read
 * may be another: read_from). */
static smp_status open_secure_as(const char *path, const char *read_from, unsigned flags,
                                 uint64_t limit, int *fd, struct stat *st, smp_diags *d)
{
	smp_status rc;

	*fd = open(read_from, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*fd < 0) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot open: %s", strerror(errno));
		return SMP_ERR_IO;
	}
	rc = check_file(read_from, *fd, flags, limit, d, st);
	if (rc != SMP_OK) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

smp_status file_open_secure(const char *path, unsigned flags, uint64_t limit, int *fd,
                            struct stat *st, smp_diags *d)
{
	return open_secure_as(path, path, flags, limit, fd, st, d);
}

void digest_of(const void *data, size_t len, struct digest *out)
{
	XXH128_hash_t h = XXH3_128bits(data, len);

	out->lo = h.low64;
	out->hi = h.high64;
}

smp_status file_digest_secure(const char *path, unsigned flags, struct digest *out,
                              struct stat *st, smp_diags *d)
{
	static const size_t bufsize = 256u * 1024u;   /* read in pieces: no page faults */
	int fd;
	smp_status rc = file_open_secure(path, flags, SMP_MAX_FILE_SIZE, &fd, st, d);
	XXH3_state_t *xs;
	char *buf;

	if (rc != SMP_OK)
		return rc;
	xs = XXH3_createState();
	buf = malloc(bufsize);
	if (xs == NULL || buf == NULL || XXH3_128bits_reset(xs) != XXH_OK) {
		rc = SMP_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf, bufsize);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot read: %s", strerror(errno));
			rc = SMP_ERR_IO;
			goto out;
		}
		if (r == 0)
			break;
		XXH3_128bits_update(xs, buf, (size_t)r);
	}
	XXH128_hash_t h = XXH3_128bits_digest(xs);

	out->lo = h.low64;
	out->hi = h.high64;
out:
	free(buf);
	XXH3_freeState(xs);
	close(fd);
	return rc;
}

smp_status file_read_secure(const char *path, const char *read_from, unsigned flags,
                            char **out, size_t *len, smp_diags *d)
{
	int fd;
	struct stat st;
	smp_status rc;
	unsigned line;
	const char *nul, *why = NULL;

	rc = open_secure_as(path, read_from != NULL ? read_from : path, flags, SMP_MAX_FILE_SIZE,
	                    &fd, &st, d);
	if (rc != SMP_OK)
		return rc;
	rc = read_all(fd, (size_t)st.st_size, out, len);
	if (rc == SMP_ERR_IO)
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot read: %s",
		          errno ? strerror(errno) : "file changed while read");
	close(fd);
	if (rc != SMP_OK)
		return rc;
	if ((nul = memchr(*out, '\0', *len)) != NULL) {
		unsigned nul_line = 1;

		for (const char *c = *out; c < nul; c++)
			nul_line += *c == '\n';
		diags_add(d, path, nul_line, SMP_SEV_ERROR, NULL, "contains a NUL byte");
		rc = SMP_ERR_PARSE;
	} else if ((line = find_fault(*out, &why)) != 0) {
		unsigned dline = why != NULL ? find_directive(*out) : line;

		if (dline != 0)
			diags_add(d, path, dline, SMP_SEV_ERROR, NULL,
			          "directives such as @include are not allowed");
		else
			diags_add(d, path, line, SMP_SEV_ERROR, NULL, "%s: refusing the file", why);
		rc = SMP_ERR_PARSE;
	}
	if (rc != SMP_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}


/* path made absolute (from the working folder), with "//" and "/./"
 * taken out, malloc'd; NULL with errno set.  ".." is kept: through a
 * symbolic link it does not mean what its text says.  One spelling per
 * file, so that "-c ./smpolicy.conf" in /etc/smpolicy names the policy
 * (and its compiled cache) as "-c /etc/smpolicy/smpolicy.conf" does. */
char *config_path_absolute(const char *path)
{
	char cwd[PATH_MAX], *r, *o;
	const char *i;

	if (path[0] == '/')
		r = strdup(path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL || asprintf(&r, "%s/%s", cwd, path) < 0)
		r = NULL;
	if (r == NULL)
		return NULL;
	for (i = o = r; *i != '\0';) {
		if (i[0] == '/' && (i[1] == '/' || (i[1] == '.' && (i[2] == '/' || i[2] == '\0')))) {
			i += i[1] == '/' ? 1 : 2;   /* drop a "/" of "//", or a "/." */
			continue;
		}
		*o++ = *i++;
	}
	if (o == r)
		*o++ = '/';
	*o = '\0';
	return r;
}
