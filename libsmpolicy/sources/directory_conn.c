/*
 * directory_conn.c - the one place where the library talks to the
 * directory (smpolicy-ldap(5)), as OpenLDAP's own clients do: one connection
 * setup (URI, TLS, bind), paged searches, and every result code turned
 * into a sentence that names the server.  Options are set on the handle,
 * never globally: the library keeps no global state.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "directory_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_PAGE_SIZE 500
#define DIR_MAX_PASSWORD 4096

smp_status dir_fail(struct dir_conn *c, int rc, const char *fmt, ...)
{
	char what[1024], *diag = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->ld != NULL)
		ldap_get_option(c->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/* GnuTLS's word for a certificate that failed verification says
	 * nothing: connect_failed() has said it better */
	if (diag != NULL && strcmp(diag, "(unknown error code)") == 0)
		diag[0] = '\0';
	diags_add(c->d, c->s->uri, 0, SMP_SEV_ERROR, NULL, "%s: %s%s%s%s", what,
	          ldap_err2string(rc), diag != NULL && diag[0] ? " (" : "",
	          diag != NULL && diag[0] ? diag : "", diag != NULL && diag[0] ? ")" : "");
	ldap_memfree(diag);
	return rc == LDAP_NO_MEMORY ? SMP_ERR_NOMEM : SMP_ERR_DIRECTORY;
}

/* ---- the bind password ------------------------------------------------- */

/* The password of s->bind_password_file, malloc'd, one trailing newline
 * taken off.  A private secret, so stricter than the records: nobody but
 * its owner may read it. */
static smp_status read_password(const struct ldap_settings *s, unsigned flags, char **out,
                                smp_diags *d)
{
	const char *path = s->bind_password_file;
	struct stat st;
	smp_status rc;
	char *buf;
	ssize_t n;
	int fd;

	*out = NULL;
	rc = file_open_secure(path, flags, DIR_MAX_PASSWORD, &fd, &st, d);
	if (rc != SMP_OK)
		return rc;
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "the bind password file is readable by group or others (mode %04o): "
		          "refusing it (chmod 0600)", (unsigned)(st.st_mode & 07777));
		close(fd);
		return SMP_ERR_INSECURE;
	}
	buf = calloc(1, DIR_MAX_PASSWORD + 1);
	if (buf == NULL) {
		close(fd);
		return SMP_ERR_NOMEM;
	}
	do
		n = read(fd, buf, DIR_MAX_PASSWORD);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot read: %s", strerror(errno));
		free(buf);
		return SMP_ERR_IO;
	}
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	/* an empty password makes a simple bind unauthenticated (RFC 4513
	 * 5.1.2): it would succeed without proving anything */
	if (n == 0 || memchr(buf, '\0', (size_t)n) != NULL) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "%s",
		          n == 0 ? "the bind password file is empty"
		                 : "the bind password file holds a NUL byte");
		free(buf);
		return SMP_ERR_PARSE;
	}
	*out = buf;
	return SMP_OK;
}

/* ---- connecting --------------------------------------------------------- */

static bool uri_is(const char *uri, const char *scheme)
{
	return strncasecmp(uri, scheme, strlen(scheme)) == 0;
}

static smp_status set_option(struct dir_conn *c, int option, const void *value,
                             const char *what)
{
	int rc = ldap_set_option(c->ld, option, value);

	return rc == LDAP_OPT_SUCCESS ? SMP_OK : dir_fail(c, rc, "cannot set %s", what);
}

/* Does this connection need TLS before anything is sent?  Every one but
 * ldapi:// without a CA file (a local socket the kernel vouches for). */
static bool tls_required(const struct ldap_settings *s)
{
	return !uri_is(s->uri, "ldapi://") || s->ca_file != NULL;
}

/*
 * TLS of this handle only, set after ldap_initialize() has read ldap.conf,
 * ~/.ldaprc, ./ldaprc and the LDAPTLS_* variables, so that none of them can
 * weaken it: certificates demanded (LDAPTLS_REQCERT=never must not make a
 * stranger's certificate pass), the library's default ciphers, TLS 1.2 at
 * least, and with ldap.ca_file its CAs alone (no CA folder from
 * elsewhere).  Then a new TLS context built from these (without it the
 * handle would share the library's global one, built from the
 * environment's).
 */
static smp_status set_tls(struct dir_conn *c)
{
	const int demand = LDAP_OPT_X_TLS_DEMAND, client = 0;
	const int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
	smp_status rc = SMP_OK;

	if (c->s->ca_file != NULL) {
		if (access(c->s->ca_file, R_OK) != 0) {
			diags_add(c->d, c->s->ca_file, 0, SMP_SEV_ERROR, NULL,
			          "cannot read the CA certificates (ldap.ca_file): %s", strerror(errno));
			return SMP_ERR_IO;
		}
		rc = set_option(c, LDAP_OPT_X_TLS_CACERTFILE, c->s->ca_file, "the CA file");
		if (rc == SMP_OK)
			rc = set_option(c, LDAP_OPT_X_TLS_CACERTDIR, "", "no CA folder");
	}
	if (rc == SMP_OK)
		rc = set_option(c, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand, "certificate checking");
	if (rc == SMP_OK)
		rc = set_option(c, LDAP_OPT_X_TLS_CIPHER_SUITE, "", "the default ciphers");
	if (rc == SMP_OK)
		rc = set_option(c, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12, "TLS 1.2 at least");
	if (rc == SMP_OK)
		rc = set_option(c, LDAP_OPT_X_TLS_NEWCTX, &client, "the TLS context");
	return rc;
}

static smp_status configure(struct dir_conn *c)
{
	const int version = LDAP_VERSION3, limit = c->s->timeout;
	struct timeval tv = { c->s->timeout, 0 };
	smp_status rc;

	rc = set_option(c, LDAP_OPT_PROTOCOL_VERSION, &version, "LDAPv3");
	if (rc == SMP_OK)
		rc = set_option(c, LDAP_OPT_NETWORK_TIMEOUT, &tv, "the connection timeout");
	if (rc == SMP_OK)
		rc = set_option(c, LDAP_OPT_TIMEOUT, &tv, "the operation timeout");
	if (rc == SMP_OK)
		rc = set_option(c, LDAP_OPT_TIMELIMIT, &limit, "the search time limit");
	/* the records come from the server named, never from one it refers to */
	if (rc == SMP_OK)
		rc = set_option(c, LDAP_OPT_REFERRALS, LDAP_OPT_OFF, "no referrals");
	if (rc == SMP_OK && tls_required(c->s))
		rc = set_tls(c);
	return rc;
}

/* Does host:port of uri take a TCP connection within the timeout?  Asked
 * only after TLS failed: libldap then says no more than "Can't contact
 * LDAP server", and a server that answers on the port but fails the
 * handshake almost always has a certificate the CA file does not vouch
 * for (or that names another host). */
static bool tcp_answers(const struct ldap_settings *s)
{
	LDAPURLDesc *lud = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char port[16];
	bool ok = false;

	if (ldap_url_parse(s->uri, &lud) != LDAP_URL_SUCCESS || lud->lud_host == NULL ||
	    strcasecmp(lud->lud_scheme, "ldapi") == 0) {
		ldap_free_urldesc(lud);
		return false;
	}
	snprintf(port, sizeof(port), "%d", lud->lud_port ? lud->lud_port
	         : strcasecmp(lud->lud_scheme, "ldaps") == 0 ? 636 : 389);
	if (getaddrinfo(lud->lud_host, port, &hints, &ai) == 0) {
		for (struct addrinfo *a = ai; a != NULL && !ok; a = a->ai_next) {
			int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			struct pollfd pfd = { fd, POLLOUT, 0 };
			int err = 0;
			socklen_t len = sizeof(err);

			if (fd < 0)
				continue;
			if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
				ok = true;
			else if (errno == EINPROGRESS && poll(&pfd, 1, s->timeout * 1000) == 1 &&
			         getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
				ok = true;
			close(fd);
		}
		freeaddrinfo(ai);
	}
	ldap_free_urldesc(lud);
	return ok;
}

/* A failure to connect (or to start TLS), said as plainly as we can. */
static smp_status connect_failed(struct dir_conn *c, int lrc, bool tls, const char *what)
{
	if (tls && (lrc == LDAP_SERVER_DOWN || lrc == LDAP_CONNECT_ERROR) && tcp_answers(c->s)) {
		if (c->s->ca_file != NULL)
			return dir_fail(c, lrc, "%s: the TLS handshake failed: the server's certificate "
			                "is not signed by a CA of ldap.ca_file %s, or does not name the "
			                "URI's host", what, c->s->ca_file);
		return dir_fail(c, lrc, "%s: the TLS handshake failed: the server's certificate is "
		                "not signed by a CA the system trusts (set ldap.ca_file), or does "
		                "not name the URI's host", what);
	}
	return dir_fail(c, lrc, "%s", what);
}

smp_status dir_open(struct dir_conn *c, const struct ldap_settings *s, unsigned flags,
                    smp_diags *d)
{
	char *password = NULL;
	smp_status rc;
	int lrc;

	c->ld = NULL;
	c->s = s;
	c->d = d;
	/* the settings reader refused any other; a second look costs nothing
	 * and keeps a list (failover, perhaps to clear text) out of libldap */
	if (!ldap_uri_single(s->uri)) {
		diags_add(d, s->uri, 0, SMP_SEV_ERROR, NULL, "not one LDAP server's URI: refusing it");
		return SMP_ERR_ARG;
	}
	lrc = ldap_initialize(&c->ld, s->uri);
	if (lrc != LDAP_SUCCESS)
		return dir_fail(c, lrc, "not a usable LDAP URI");
	rc = configure(c);
	/* connect now (and for ldaps://, shake hands): a failure here is the
	 * network's or TLS's, not the bind's */
	if (rc == SMP_OK && (lrc = ldap_connect(c->ld)) != LDAP_SUCCESS)
		rc = connect_failed(c, lrc, uri_is(s->uri, "ldaps://"), "cannot connect");
	/* ldap:// (or ldapi:// with a CA file): StartTLS or nothing, never a
	 * fallback to clear text; nothing (bind, search) is sent before */
	if (rc == SMP_OK && tls_required(s) && !uri_is(s->uri, "ldaps://") &&
	    (lrc = ldap_start_tls_s(c->ld, NULL, NULL)) != LDAP_SUCCESS)
		rc = connect_failed(c, lrc, true, uri_is(s->uri, "ldap://")
		                    ? "cannot start TLS (StartTLS, required for ldap://)"
		                    : "cannot start TLS (StartTLS, required by ldap.ca_file)");
	if (rc == SMP_OK && tls_required(s) && !ldap_tls_inplace(c->ld)) {
		diags_add(d, s->uri, 0, SMP_SEV_ERROR, NULL,
		          "the connection is not under TLS: refusing to bind or search in clear text");
		rc = SMP_ERR_DIRECTORY;
	}
	if (rc == SMP_OK && s->bind_dn != NULL)
		rc = read_password(s, flags, &password, d);
	if (rc == SMP_OK && s->bind_dn != NULL)
		rc = dir_bind(c, s->bind_dn, password, s->bind_password_file);
	if (password != NULL)
		explicit_bzero(password, strlen(password));
	free(password);
	if (rc != SMP_OK)
		dir_close(c);
	return rc;
}

smp_status dir_bind(struct dir_conn *c, const char *dn, const char *password, const char *from)
{
	struct berval cred = { strlen(password), (char *)password };
	int lrc;

	if (cred.bv_len == 0) {   /* RFC 4513 5.1.2: an unauthenticated bind */
		diags_add(c->d, c->s->uri, 0, SMP_SEV_ERROR, NULL, "cannot bind as %s with an empty "
		          "password: it would prove nothing", dn);
		return SMP_ERR_ARG;
	}
	lrc = ldap_sasl_bind_s(c->ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	if (lrc == LDAP_INVALID_CREDENTIALS)
		return dir_fail(c, lrc, "cannot bind as %s (the password%s%s is wrong, or there is "
		                "no such entry)", dn, from != NULL ? " of " : "", from ? from : "");
	if (lrc != LDAP_SUCCESS)
		return dir_fail(c, lrc, "cannot bind as %s", dn);
	return SMP_OK;
}

void dir_close(struct dir_conn *c)
{
	if (c->ld != NULL)
		ldap_unbind_ext(c->ld, NULL, NULL);
	c->ld = NULL;
}

/* ---- searching ---------------------------------------------------------- */

/* One page (or the whole answer, unpaged): the entries to fn, the result's
 * code checked, the paged-results cookie for the next page into *cookie. */
static smp_status search_page(struct dir_conn *c, const char *base, int scope,
                              const char *filter, char **attrs, LDAPControl **ctrls,
                              dir_entry_fn fn, void *ctx, bool *noobject,
                              struct berval *cookie)
{
	struct timeval tv = { c->s->timeout, 0 };
	LDAPMessage *res = NULL;
	LDAPControl **rctrls = NULL;
	char *matched = NULL, *text = NULL;
	smp_status rc = SMP_OK;
	int lrc, code = LDAP_SUCCESS;

	lrc = ldap_search_ext_s(c->ld, base, scope, filter, attrs, 0, ctrls, NULL, &tv, 0, &res);
	if (lrc != LDAP_SUCCESS && res == NULL)
		return dir_fail(c, lrc, "cannot search %s", base[0] ? base : "the root DSE");
	for (LDAPMessage *e = ldap_first_entry(c->ld, res); e != NULL && rc == SMP_OK;
	     e = ldap_next_entry(c->ld, e))
		rc = fn(ctx, c->ld, e);
	/* part of the tree held by another server: never read, so never
	 * silently left out either */
	if (rc == SMP_OK && ldap_count_references(c->ld, res) > 0)
		rc = dir_fail(c, LDAP_REFERRAL, "part of %s is held by another server (a "
		              "continuation reference), which is not followed", base);
	if (rc == SMP_OK) {
		lrc = ldap_parse_result(c->ld, res, &code, &matched, &text, NULL, &rctrls, 0);
		if (lrc != LDAP_SUCCESS)
			rc = dir_fail(c, lrc, "cannot read the answer to a search of %s", base);
		else if (code == LDAP_NO_SUCH_OBJECT && noobject != NULL)
			*noobject = true;
		else if (code != LDAP_SUCCESS)
			rc = dir_fail(c, code, "cannot search %s", base[0] ? base : "the root DSE");
	}
	cookie->bv_len = 0;
	if (rc == SMP_OK && rctrls != NULL) {
		LDAPControl *pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
		ber_int_t estimate;
		struct berval next = { 0, NULL };

		if (pr != NULL && ldap_parse_pageresponse_control(c->ld, pr, &estimate, &next) ==
		                  LDAP_SUCCESS) {
			ber_memfree(cookie->bv_val);
			*cookie = next;
		}
	}
	ldap_controls_free(rctrls);
	ldap_memfree(matched);
	ldap_memfree(text);
	ldap_msgfree(res);
	return rc;
}

smp_status dir_search(struct dir_conn *c, const char *base, int scope, const char *filter,
                      char **attrs, bool paged, dir_entry_fn fn, void *ctx, bool *noobject)
{
	struct berval cookie = { 0, NULL };
	smp_status rc;

	if (noobject != NULL)
		*noobject = false;
	do {
		LDAPControl *page = NULL, *ctrls[2] = { NULL, NULL };
		int lrc;

		if (paged) {
			/* critical: a server that cannot page must say so, not send
			 * a truncated answer under its size limit */
			lrc = ldap_create_page_control(c->ld, DIR_PAGE_SIZE, &cookie, 1, &page);
			if (lrc != LDAP_SUCCESS) {
				ber_memfree(cookie.bv_val);
				return dir_fail(c, lrc, "cannot ask for paged results");
			}
			ctrls[0] = page;
		}
		rc = search_page(c, base, scope, filter, attrs, paged ? ctrls : NULL, fn, ctx,
		                 noobject, &cookie);
		ldap_control_free(page);
	} while (rc == SMP_OK && paged && cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	return rc;
}

/* ---- DNs ---------------------------------------------------------------- */

static bool ava_is(const LDAPAVA *a, const struct berval *type, const struct berval *value)
{
	return !(a->la_flags & LDAP_AVA_BINARY) && a->la_attr.bv_len == type->bv_len &&
	       strncasecmp(a->la_attr.bv_val, type->bv_val, type->bv_len) == 0 &&
	       a->la_value.bv_len == value->bv_len &&
	       strncasecmp(a->la_value.bv_val, value->bv_val, value->bv_len) == 0;
}

static bool rdn_equal(LDAPRDN x, LDAPRDN y)
{
	size_t n = 0;

	for (; x[n] != NULL; n++)
		if (y[n] == NULL || !ava_is(x[n], &y[n]->la_attr, &y[n]->la_value))
			return false;
	return y[n] == NULL;
}

bool dn_under(LDAPDN dn, LDAPDN base, int *depth)
{
	int n = 0, nb = 0;

	while (dn != NULL && dn[n] != NULL)
		n++;
	while (base != NULL && base[nb] != NULL)
		nb++;
	if (n < nb)
		return false;
	for (int i = 0; i < nb; i++)
		if (!rdn_equal(dn[n - nb + i], base[i]))
			return false;
	*depth = n - nb;
	return true;
}

bool rdn_is(LDAPRDN rdn, const char *type, const char *value)
{
	struct berval t = { strlen(type), (char *)type }, v = { strlen(value), (char *)value };

	return rdn != NULL && rdn[0] != NULL && rdn[1] == NULL && ava_is(rdn[0], &t, &v);
}
