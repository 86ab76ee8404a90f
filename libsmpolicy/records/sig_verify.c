/*
 * sig_verify.c - verifying the directors' signatures with OpenSSL's
 * libcrypto: ECDSA P-256 over SHA-256, a DER ECDSA-Sig-Value, against a
 * DER SubjectPublicKeyInfo pinned in signers.conf.
 *
 * libcrypto rather than GnuTLS here for speed alone: every signature of
 * the records is verified at each sync and compile, and libcrypto's P-256
 * verifies in about half the time of GnuTLS's (bench/sigbench measures
 * both parses; docs/PERFORMANCE.md).  Signing stays with GnuTLS, which
 * reaches PKCS#11 tokens by URI.  No cryptography is written here.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "signatures.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

struct sig_pubkey {
	EVP_PKEY *k;
	EVP_PKEY_CTX *ctx;   /* verify_init'ed once: a verification is one call */
};

struct sig_pubkey *sig_pubkey_import(const unsigned char *spki, size_t n, const char **why)
{
	struct sig_pubkey *pk = calloc(1, sizeof(*pk));
	const unsigned char *at = spki;
	char group[64] = "";

	*why = "out of memory";
	if (pk == NULL)
		return NULL;
	pk->k = d2i_PUBKEY(NULL, &at, (long)n);
	if (pk->k == NULL || at != spki + n)
		*why = "not a DER SubjectPublicKeyInfo";
	else if (EVP_PKEY_get_base_id(pk->k) != EVP_PKEY_EC ||
	         EVP_PKEY_get_utf8_string_param(pk->k, "group", group, sizeof(group), NULL) != 1 ||
	         strcmp(group, "prime256v1") != 0)
		*why = "not an ECDSA P-256 public key";
	else if ((pk->ctx = EVP_PKEY_CTX_new(pk->k, NULL)) == NULL ||
	         EVP_PKEY_verify_init(pk->ctx) != 1)
		*why = "the key cannot verify";
	else
		return pk;
	sig_pubkey_free(pk);
	return NULL;
}

bool sig_pubkey_verify(const struct sig_pubkey *k, const unsigned char *msg, size_t n,
                       const unsigned char *sig, size_t siglen)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	unsigned int hn = 0;

	if (EVP_Digest(msg, n, h, &hn, EVP_sha256(), NULL) != 1 || hn != sizeof(h))
		return false;
	return EVP_PKEY_verify(k->ctx, sig, siglen, h, sizeof(h)) == 1;
}

void sig_pubkey_free(struct sig_pubkey *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_CTX_free(k->ctx);
	EVP_PKEY_free(k->k);
	free(k);
}

void sig_memo_digest(const unsigned char *spki, size_t nspki, const unsigned char *msg,
                     size_t n, const unsigned char *sig, size_t siglen, unsigned char out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint64_t len[3] = { nspki, n, siglen };
	bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	          EVP_DigestUpdate(c, len, sizeof(len)) == 1 &&
	          EVP_DigestUpdate(c, spki, nspki) == 1 && EVP_DigestUpdate(c, msg, n) == 1 &&
	          EVP_DigestUpdate(c, sig, siglen) == 1 && EVP_DigestFinal_ex(c, out, NULL) == 1;

	if (!ok)
		memset(out, 0, 32);   /* the empty slot: never found, never added */
	EVP_MD_CTX_free(c);
}

void sig_verify_link(void)
{
}
