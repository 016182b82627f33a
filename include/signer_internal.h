/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Inside the signer module (src/signer.c, src/signer_load.c): one loaded pair
 * of signing certificate and key, and the loader. Not for other modules:
 * they use include/signer.h, and never see the key.
 */
#ifndef OTPCEP_SIGNER_INTERNAL_H
#define OTPCEP_SIGNER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "signer.h"

struct config;

/* The PIN callback's view: re-reads the PIN file when the token asks. */
struct pin_source {
	const char *password_file;	/* the config's string, or NULL */
};

struct signer_cert {
	unsigned refs;			/* under signer.lock */
	uint64_t generation;		/* random per loaded pair: names the snapshot */
	struct signer *remote;		/* in a serving process: the signer to ask; key is NULL */
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
	char *sig_oid_buf;		/* a remote snapshot's own copy of sig_oid */
	time_t not_before;
	time_t not_after;
	char serial[64];		/* hex, for log lines */
	_Atomic(void *) aux;		/* signer_cert_set_aux() */
	void (*aux_free)(void *);
};

/* A serving process waits at most this long for one answer of the signer. */
#define SIGNER_TIMEOUT_MS	5000

enum { SIGNER_FILE_CERT, SIGNER_FILE_KEY, SIGNER_FILE_CHAIN, SIGNER_FILE_COUNT };

/* What stat() saw of one file; all zero when absent or not configured. */
struct signer_file_id {
	int present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
	struct timespec ctim;
};

/*
 * The signer: in the signer process (and for --check-config, --probe and the
 * tests) it holds the pair itself (link_fd < 0); in a serving process it
 * holds only the public half of the signer process's current pair and asks
 * that process for every signature over link_fd (src/signer_link.c).
 */
struct signer {
	const struct config *cfg;	/* outlives the signer (server.h) */
	bool configured;
	bool pkcs11_init;		/* gnutls_pkcs11_init() was called */
	pthread_mutex_t lock;		/* cur and every refs */
	struct signer_cert *cur;
	atomic_int reload_requested;	/* set from the SIGHUP handler */
	pthread_mutex_t reload_lock;	/* one loader at a time; guards below */
	struct timespec next_check;
	time_t next_warn;
	struct signer_file_id seen[SIGNER_FILE_COUNT];
	/* Serving process only. */
	int link_fd;			/* to the signer process, or -1 */
	pthread_mutex_t link_lock;	/* one exchange at a time; next_id */
	uint64_t next_id;
	atomic_int stale;		/* the signer has a newer pair than cur */
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
/*
 * A signing_key value (or any pkcs11: URI) as it may appear in a log line:
 * its pin-value attribute (RFC 7512 2.3) replaced by "(censored)". Returns
 * key itself, buf, or a constant string.
 */
const char *signer_key_name(const char *key, char *buf, size_t buf_len);
void signer_cert_unref(struct signer *s, struct signer_cert *c);

/*
 * src/signer_link.c, in a serving process: the signer process's current
 * public snapshot (a new struct signer_cert with one reference and no key,
 * or NULL after logging), asking it to reload first when reload is set;
 * and one signature by the snapshot named c->generation.
 */
enum signer_result signer_link_snapshot(struct signer *s, bool reload,
    int timeout_ms, struct signer_cert **out);
enum signer_result signer_link_sign(struct signer *s, uint64_t generation,
    const uint8_t *data, size_t data_len, uint8_t **sig, size_t *sig_len);

#endif
