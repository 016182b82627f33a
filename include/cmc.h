/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 4 of MS-OTPCE 3.2.5.1: co-sign the client's PKCS#10 with the dedicated
 * signing certificate, as a CMS SignedData around a CMC PKIData (RFC 5272),
 * shaped as a Windows OTPCEP server makes it (see docs/protocol.md, "Step 4").
 */
#ifndef OTPCEP_CMC_H
#define OTPCEP_CMC_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include "otpcep.h"

struct config;
struct signer;

enum cmc_result {
	CMC_OK = 0,
	CMC_NO_SIGNER,		/* no valid signing certificate now: OtherError */
	CMC_FAILED,		/* encoding or signing failed: OtherError */
	CMC_BAD_REQUEST,	/* the certificate request is not one DER element: OtherError */
};

const char *cmc_strerror(enum cmc_result r);

/* The ClientInfo's default process name (MS-WCCE 2.2.2.7.4); Windows writes w3wp.exe. */
#define CMC_DEFAULT_PROCESS "otpcep"
/* MS-WCCE 2.2.2.7.4, footnote <11>: ClientId 5, a default request. */
#define CMC_CLIENT_ID 5

/*
 * Signs csr_der (the client's PKCS#10, already checked by step 1) with the
 * signer's current certificate and key. The ClientInfo names come from cfg
 * (signing_client_machine or the host name, signing_client_account,
 * signing_client_process). On CMC_OK, *out is a new DER SignedCertRequest;
 * free() it. Safe to call from several workers at once.
 */
enum cmc_result cmc_sign_request(const struct config *cfg, struct signer *s,
    const uint8_t *csr_der, size_t csr_der_len, uint8_t **out,
    size_t *out_len, struct audit *a);

/*
 * What cmc_encode() needs from a signing key: cmc_sign_request() fills it from
 * a signer snapshot; tests fill it from a key of their own.
 */
struct cmc_key {
	const void *ctx;
	size_t cert_count;		/* >= 1: 0 is the signing certificate */
	void (*cert_der)(const void *ctx, size_t i, const uint8_t **der,
	    size_t *der_len);
	gnutls_digest_algorithm_t digest;
	const char *signature_oid;	/* SignerInfo.signatureAlgorithm */
	/* Signs data (hashing it with digest); 0 and a new *sig, else -1. */
	int (*sign)(const void *ctx, const uint8_t *data, size_t data_len,
	    uint8_t **sig, size_t *sig_len);
};

/* The server's own ClientInfo (MS-WCCE 2.2.2.7.4), UTF-8, none NULL. */
struct cmc_client_info {
	const char *machine;
	const char *user;
	const char *process;
};

/*
 * Builds the SignedCertRequest (docs/protocol.md, "Step 4") around csr_der
 * with key. Deterministic for a deterministic key: no signing time, no
 * random element. On CMC_OK *out is new; free() it.
 */
enum cmc_result cmc_encode(const struct cmc_key *key,
    const struct cmc_client_info *ci, const uint8_t *csr_der,
    size_t csr_der_len, uint8_t **out, size_t *out_len, struct audit *a);

#endif
