/*
 * signatures.h - the directors' signatures on sign-offs and revocations:
 * the canonical bytes they sign (docs/SIGNATURES.md), the signers pinned
 * in signers.conf, and the check of every approval's signatures at load.
 * Private to the library.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_SIGNATURES_H
#define SMP_SIGNATURES_H

#include "records/records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loader;

/* What is signed: one of an approval's three signed acts. */
enum sig_slot { SIG_CPP, SIG_IT, SIG_REVOKED };

/* A growing byte buffer for the canonical message. */
struct sig_msg {
	unsigned char *v;
	size_t n, cap;
	bool oom;
};

/* The canonical message of act slot of approval a, signed by signer at
 * on (the revocation's reason too, for SIG_REVOKED).  False on OOM;
 * free m->v. */
bool sig_message(const smp_policy *p, const struct approval *a, enum sig_slot slot,
                 const char *signer, int64_t on, const char *reason, struct sig_msg *m);

/* Strict base64 (RFC 4648, padded, no blanks, at most 4096 characters):
 * decoded into a malloc'd buffer.  1, 0 if s is not that, -1 on OOM. */
int sig_base64_decode(const char *s, unsigned char **out, size_t *n);
/* Encoded into a malloc'd string; NULL on OOM. */
char *sig_base64_encode(const unsigned char *v, size_t n);

/*
 * The signatures one caller has seen verify: a sync parses its copy twice
 * (to validate it, then to compile its cache) and verifies each signature
 * once.  A set of SHA-256 digests of (key, message, signature); zeroed to
 * start, sig_memo_free() after.  prior, if set, is what an earlier sync
 * verified (copy_dir/verified, sync/verified.c): a digest found there
 * is not verified again, and is carried into this memo.
 */
struct sig_memo {
	unsigned char (*slot)[32];   /* all zero: empty */
	size_t mask, n;
	const struct sig_memo *prior;
};
void sig_memo_free(struct sig_memo *m);
bool sig_memo_has(const struct sig_memo *m, const unsigned char d[32]);
/* Add d; false when it could not be added (memory). */
bool sig_memo_add(struct sig_memo *m, const unsigned char d[32]);

/* Check every approval's signatures against the signers of the settings
 * (settings.signers, settings.require_signatures), reading signers.conf as
 * one more source of the load.  Called by the loader once the records are
 * read; false on OOM. */
bool sig_check_policy(struct loader *L);

/* ---- sig_verify.c, sig_crypto.c: the files that call crypto libraries ---- */

/*
 * These are referenced weakly by signatures.c: a program linked from the
 * library's archive without sig_crypto.o (pam_smpolicy.so, which reads
 * the results from the compiled cache or the login store) has none of
 * them, and a load there marks signed approvals as unverifiable instead.
 */
struct sig_pubkey;
struct sig_pubkey *sig_pubkey_import(const unsigned char *spki, size_t n, const char **why)
	__attribute__((weak));
/* True if sig (DER ECDSA-Sig-Value) is key's signature of msg. */
bool sig_pubkey_verify(const struct sig_pubkey *k, const unsigned char *msg, size_t n,
                       const unsigned char *sig, size_t siglen) __attribute__((weak));
void sig_pubkey_free(struct sig_pubkey *k) __attribute__((weak));
/* out = SHA-256(spki || msg || sig), each part length-prefixed. */
void sig_memo_digest(const unsigned char *spki, size_t nspki, const unsigned char *msg,
                     size_t n, const unsigned char *sig, size_t siglen, unsigned char out[32])
	__attribute__((weak));
/* Does nothing: a program linked from the archive that must verify calls
 * it, a reference that brings sig_verify.o in (the shared library has
 * every object). */
void sig_verify_link(void);

/* A director's private key: "pkcs11:..." (a token, pin its PIN) or a PEM
 * file (pin its passphrase, NULL if not encrypted). */
struct sig_privkey;
smp_status sig_privkey_open(const char *key, const char *pin, struct sig_privkey **out,
                            char *why, size_t whylen);
/* Sign msg: the base64 of the DER signature, malloc'd. */
smp_status sig_privkey_sign(struct sig_privkey *k, const unsigned char *msg, size_t n,
                            char **sig_b64, char *why, size_t whylen);
/* The key's public key as signers.conf writes it (base64 of its DER
 * SubjectPublicKeyInfo), malloc'd. */
smp_status sig_privkey_public(struct sig_privkey *k, char **spki_b64, char *why, size_t whylen);
void sig_privkey_close(struct sig_privkey *k);

#endif /* SMP_SIGNATURES_H */
