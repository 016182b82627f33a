/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The signing certificate and its key. Nothing else in the program sees the
 * key: all signing goes through signer_sign(). The certificate and key are
 * reloaded when their files change or on SIGHUP (signer_request_reload());
 * a signature always uses one consistent snapshot (struct signer_cert), held
 * from signer_acquire() to signer_release(), so a reload in another worker
 * never mixes an old certificate with a new key.
 */
#ifndef OTPCEP_SIGNER_H
#define OTPCEP_SIGNER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/gnutls.h>

struct config;
struct signer;
struct signer_cert;

enum signer_result {
	SIGNER_OK = 0,
	SIGNER_NO_VALID_CERT,	/* expired, not yet valid, or none loaded: OtherError */
	SIGNER_FAILED,		/* the key (or the HSM) refused to sign: OtherError */
	SIGNER_NOMEM,
	SIGNER_STALE,		/* the signer process reloaded: acquire again and rebuild */
};

const char *signer_strerror(enum signer_result r);

/* Start-up: loads and checks certificate and key; NULL (and a log line) on error. */
struct signer *signer_new(const struct config *cfg);
/*
 * In a serving process: a signer that holds no key and asks the signer
 * process (src/signer_proc.c) over link_fd, which it takes over, for the
 * public certificates and every signature. Waits for the signer process's
 * first snapshot; NULL (and a log line) when it has none.
 */
struct signer *signer_new_remote(const struct config *cfg, int link_fd);
void signer_free(struct signer *s);

/*
 * FastCGI serving process (src/signer_link.c): a thread that watches the
 * signer link. When the signer monitor is gone (its end of the socketpair
 * closed: nothing will ever sign again) it logs why and sends SIGTERM to
 * thread notify, whose caller then stops and exits non-zero so that systemd
 * or the web server's spawner starts the whole responder again. Call with
 * SIGTERM blocked. 0 (also without a signer process), or -1 after logging.
 * signer_unwatch() stops the thread and tells whether the link was lost.
 */
int signer_watch(struct signer *s, pthread_t notify);
bool signer_unwatch(struct signer *s);

/* Async-signal-safe: asks for a reload before the next signature. */
void signer_request_reload(struct signer *s);

/*
 * Takes the current certificate and key for one signature, after picking up
 * a pending reload (SIGHUP, or the files changed on disk). Refuses with
 * SIGNER_NO_VALID_CERT (and a loud log line) when the certificate is not
 * valid now: never sign with an expired certificate.
 */
enum signer_result signer_acquire(struct signer *s, struct signer_cert **out);
void signer_release(struct signer *s, struct signer_cert *c);

/* Certificates for SignedData.certificates: 0 is the signing certificate, then `signing_chain`. */
size_t signer_cert_count(const struct signer_cert *c);
void signer_cert_der(const struct signer_cert *c, size_t i,
    const uint8_t **der, size_t *der_len);

/* The digest (`signing_digest`) used for digests and the signature. */
gnutls_digest_algorithm_t signer_digest(const struct signer_cert *c);

/*
 * The SignerInfo signatureAlgorithm OID: rsaEncryption (1.2.840.113549.1.1.1)
 * for RSA keys, as the Windows example has it; ecdsa-with-SHAxxx for EC keys.
 */
const char *signer_signature_oid(const struct signer_cert *c);

/* The signing certificate's notAfter (for `otpcep --probe`: days left). */
time_t signer_not_after(const struct signer_cert *c);

/* Its serial number in hex, for log lines. */
const char *signer_serial(const struct signer_cert *c);

/*
 * Something a caller keeps with the snapshot as long as it lives (step 4's
 * DER template, src/cmc.c): NULL until set. signer_cert_set_aux() attaches
 * p, to be freed with free_fn with the snapshot, unless another thread
 * attached one first: then p is freed now. Returns the one attached.
 */
void *signer_cert_aux(struct signer_cert *c);
void *signer_cert_set_aux(struct signer_cert *c, void *p,
    void (*free_fn)(void *));

/*
 * Signs data with the key, hashing it with signer_digest() (PKCS#1 v1.5 for
 * RSA, DER ECDSA-Sig-Value for EC). On SIGNER_OK *sig is new; free() it.
 * In a serving process the signer process signs, if c is still its current
 * pair: SIGNER_STALE otherwise (release c, acquire again, rebuild the data).
 */
enum signer_result signer_sign(const struct signer_cert *c,
    const uint8_t *data, size_t data_len, uint8_t **sig, size_t *sig_len);

#endif
