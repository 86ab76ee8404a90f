/*
 * sig_crypto.c - the directors' keys and signing through GnuTLS: ECDSA
 * P-256 with SHA-256, the signature a DER ECDSA-Sig-Value.  A private key
 * is a PKCS#11 object named by a "pkcs11:" URI (a smartcard, a security
 * key, a SoftHSM token: GnuTLS reaches them through p11-kit) or a PEM
 * file, encrypted (PKCS#8) or not.  Verification is sig_verify.c's.  No
 * cryptography is written here.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "signatures.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sig_privkey {
	gnutls_privkey_t k;
	char pin[256];
	bool pin_set;
	bool pin_used;
};

/* Is k an ECDSA key on P-256? */
static bool p256(gnutls_pubkey_t k)
{
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
	bool ok;

	if (gnutls_pubkey_get_pk_algorithm(k, NULL) != GNUTLS_PK_ECDSA)
		return false;
	ok = gnutls_pubkey_export_ecc_raw2(k, &curve, &x, &y, 0) == 0 &&
	     curve == GNUTLS_ECC_CURVE_SECP256R1;
	gnutls_free(x.data);
	gnutls_free(y.data);
	return ok;
}

/* ---- private keys ---------------------------------------------------------- */

/* The token's PIN, once: a wrong one is not tried again (a card locks). */
static int pin_callback(void *user, int attempt, const char *token_url, const char *token_label,
                        unsigned flags, char *pin, size_t pin_max)
{
	struct sig_privkey *k = user;

	(void)token_url;
	(void)token_label;
	(void)flags;
	if (!k->pin_set || attempt > 0 || k->pin_used || strlen(k->pin) + 1 > pin_max)
		return GNUTLS_E_PKCS11_PIN_ERROR;
	k->pin_used = true;
	memcpy(pin, k->pin, strlen(k->pin) + 1);
	return 0;
}

static bool read_key_file(const char *path, gnutls_datum_t *out, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	unsigned char *buf;
	ssize_t n;

	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	buf = malloc(65536);
	n = buf != NULL ? read(fd, buf, 65535) : -1;
	close(fd);
	if (n <= 0) {
		snprintf(why, whylen, "%s: cannot read the key", path);
		free(buf);
		return false;
	}
	out->data = buf;
	out->size = (unsigned)n;
	return true;
}

smp_status sig_privkey_open(const char *key, const char *pin, struct sig_privkey **out,
                            char *why, size_t whylen)
{
	struct sig_privkey *k = calloc(1, sizeof(*k));
	int bits = 0, r;

	*out = NULL;
	if (k == NULL || gnutls_privkey_init(&k->k) < 0) {
		free(k);
		return SMP_ERR_NOMEM;
	}
	if (pin != NULL && strlen(pin) < sizeof(k->pin)) {
		memcpy(k->pin, pin, strlen(pin) + 1);
		k->pin_set = true;
	}
	if (strncmp(key, "pkcs11:", 7) == 0) {
		gnutls_privkey_set_pin_function(k->k, pin_callback, k);
		r = gnutls_privkey_import_url(k->k, key, 0);
		if (r < 0)
			snprintf(why, whylen, "%s: %s", key, gnutls_strerror(r));
	} else {
		gnutls_datum_t d = { NULL, 0 };

		r = GNUTLS_E_FILE_ERROR;
		if (read_key_file(key, &d, why, whylen)) {
			r = gnutls_privkey_import_x509_raw(k->k, &d, GNUTLS_X509_FMT_PEM,
			                                   k->pin_set ? k->pin : NULL, 0);
			if (r < 0)
				snprintf(why, whylen, "%s: %s", key,
				         r == GNUTLS_E_DECRYPTION_FAILED ? "wrong passphrase"
				                                         : gnutls_strerror(r));
			memset(d.data, 0, d.size);
			free(d.data);
		}
	}
	if (r >= 0 && gnutls_privkey_get_pk_algorithm(k->k, (unsigned *)&bits) != GNUTLS_PK_ECDSA) {
		snprintf(why, whylen, "%s: not an ECDSA key", key);
		r = -1;
	}
	if (r < 0) {
		sig_privkey_close(k);
		return SMP_ERR_REFUSED;
	}
	*out = k;
	return SMP_OK;
}

smp_status sig_privkey_sign(struct sig_privkey *k, const unsigned char *msg, size_t n,
                            char **sig_b64, char *why, size_t whylen)
{
	gnutls_datum_t m = { (unsigned char *)msg, (unsigned)n }, s = { NULL, 0 };
	int r = gnutls_privkey_sign_data2(k->k, GNUTLS_SIGN_ECDSA_SHA256, 0, &m, &s);

	*sig_b64 = NULL;
	if (r < 0) {
		snprintf(why, whylen, "cannot sign: %s", gnutls_strerror(r));
		return SMP_ERR_REFUSED;
	}
	*sig_b64 = sig_base64_encode(s.data, s.size);
	gnutls_free(s.data);
	return *sig_b64 != NULL ? SMP_OK : SMP_ERR_NOMEM;
}

static smp_status public_b64(gnutls_pubkey_t pub, char **out, char *why, size_t whylen)
{
	gnutls_datum_t d = { NULL, 0 };
	int r = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &d);

	if (r < 0) {
		snprintf(why, whylen, "cannot export the public key: %s", gnutls_strerror(r));
		return SMP_ERR_REFUSED;
	}
	if (!p256(pub)) {
		gnutls_free(d.data);
		snprintf(why, whylen, "not an ECDSA P-256 key");
		return SMP_ERR_REFUSED;
	}
	*out = sig_base64_encode(d.data, d.size);
	gnutls_free(d.data);
	return *out != NULL ? SMP_OK : SMP_ERR_NOMEM;
}

smp_status sig_privkey_public(struct sig_privkey *k, char **spki_b64, char *why, size_t whylen)
{
	gnutls_pubkey_t pub;
	smp_status rc;
	int r;

	*spki_b64 = NULL;
	if (gnutls_pubkey_init(&pub) < 0)
		return SMP_ERR_NOMEM;
	r = gnutls_pubkey_import_privkey(pub, k->k, 0, 0);
	if (r < 0) {
		snprintf(why, whylen, "cannot read the public key: %s", gnutls_strerror(r));
		rc = SMP_ERR_REFUSED;
	} else {
		rc = public_b64(pub, spki_b64, why, whylen);
	}
	gnutls_pubkey_deinit(pub);
	return rc;
}

void sig_privkey_close(struct sig_privkey *k)
{
	if (k == NULL)
		return;
	gnutls_privkey_deinit(k->k);
	memset(k->pin, 0, sizeof(k->pin));
	free(k);
}

/* ---- smpolicy keygen ----------------------------------------------------- */

smp_status smp_sig_keygen(const char *path, const char *passphrase, char **public_key,
                          smp_diags **diags)
{
	gnutls_x509_privkey_t x = NULL;
	gnutls_privkey_t pk = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	char why[256] = "";
	smp_status rc = SMP_ERR_REFUSED;
	int r, fd = -1;

	if (diags != NULL)
		*diags = NULL;
	if (path == NULL || public_key == NULL)
		return SMP_ERR_ARG;
	*public_key = NULL;
	if (gnutls_x509_privkey_init(&x) < 0 || gnutls_privkey_init(&pk) < 0 ||
	    gnutls_pubkey_init(&pub) < 0) {
		rc = SMP_ERR_NOMEM;
		goto out;
	}
	r = gnutls_x509_privkey_generate(x, GNUTLS_PK_ECDSA,
	                                 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (r >= 0)
		r = gnutls_x509_privkey_export2_pkcs8(x, GNUTLS_X509_FMT_PEM, passphrase,
		                                      passphrase != NULL ? GNUTLS_PKCS_PBES2_AES_256
		                                                         : GNUTLS_PKCS_PLAIN,
		                                      &pem);
	if (r >= 0)
		r = gnutls_privkey_import_x509(pk, x, 0);
	if (r >= 0)
		r = gnutls_pubkey_import_privkey(pub, pk, 0, 0);
	if (r < 0) {
		snprintf(why, sizeof(why), "cannot make the key: %s", gnutls_strerror(r));
		goto out;
	}
	rc = public_b64(pub, public_key, why, sizeof(why));
	if (rc != SMP_OK)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, pem.data, pem.size) != (ssize_t)pem.size || fsync(fd) != 0) {
		snprintf(why, sizeof(why), "cannot write the key: %s", strerror(errno));
		rc = SMP_ERR_IO;
	}
	if (fd >= 0 && close(fd) != 0 && rc == SMP_OK) {
		snprintf(why, sizeof(why), "cannot write the key: %s", strerror(errno));
		rc = SMP_ERR_IO;
	}
out:
	if (pem.data != NULL) {
		memset(pem.data, 0, pem.size);
		gnutls_free(pem.data);
	}
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (pk != NULL)
		gnutls_privkey_deinit(pk);   /* not the x509 key: imported without ownership */
	if (x != NULL)
		gnutls_x509_privkey_deinit(x);
	if (rc != SMP_OK) {
		free(*public_key);
		*public_key = NULL;
		if (why[0] != '\0' && diags != NULL) {
			*diags = diags_new();
			if (*diags != NULL)
				diags_add(*diags, path, 0, SMP_SEV_ERROR, NULL, "%s", why);
		}
	}
	return rc;
}

smp_status smp_sig_public_key(const char *key, const char *pin, char **public_key,
                              smp_diags **diags)
{
	struct sig_privkey *k = NULL;
	char why[256] = "";
	smp_status rc;

	if (diags != NULL)
		*diags = NULL;
	if (key == NULL || public_key == NULL)
		return SMP_ERR_ARG;
	*public_key = NULL;
	rc = sig_privkey_open(key, pin, &k, why, sizeof(why));
	if (rc == SMP_OK)
		rc = sig_privkey_public(k, public_key, why, sizeof(why));
	sig_privkey_close(k);
	if (rc != SMP_OK && why[0] != '\0' && diags != NULL) {
		*diags = diags_new();
		if (*diags != NULL)
			diags_add(*diags, key, 0, SMP_SEV_ERROR, NULL, "%s", why);
	}
	return rc;
}
