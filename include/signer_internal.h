/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Inside the signer module (src/signer.c, src/signer_load.c): one loaded pair
 * of signing certificate and key, and the loader. Not for other modules:
 * they use include/signer.h, and never see the key.
 */
#ifndef OTPCEP_SIGNER_INTERNAL_H
#define OTPCEP_SIGNER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

struct config;

/* The PIN callback's view: re-reads the PIN file when the token asks. */
struct pin_source {
	const char *password_file;	/* the config's string, or NULL */
};

struct signer_cert {
	unsigned refs;			/* under signer.lock */
	gnutls_privkey_t key;
	bool pkcs11;			/* key lives in a token */
	pthread_mutex_t *sign_lock;	/* pkcs11 only: one operation per session */
	struct pin_source pin;
	gnutls_datum_t *der;		/* [0] the signing certificate, then the chain */
	size_t der_count;
	gnutls_digest_algorithm_t digest;
	gnutls_sign_algorithm_t sign_algo;
	unsigned sign_flags;
	const char *sig_oid;
	time_t not_before;
	time_t not_after;
	char serial[64];		/* hex, for log lines */
};

/*
 * Loads signing_cert, signing_key (file, PKCS#12 or pkcs11:) and
 * signing_chain, and runs every start-up check (key matches, valid now,
 * signing_eku, a test signature). Returns a new pair with one reference, or
 * NULL after logging each reason.
 */
struct signer_cert *signer_load(const struct config *cfg);
void signer_cert_free(struct signer_cert *c);

/* "2026-11-22T01:11:43Z" in buf. */
const char *signer_fmt_time(time_t t, char *buf, size_t buf_len);
bool signer_is_pkcs11(const char *s);

#endif
