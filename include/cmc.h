/*
 * Step 4 of MS-OTPCE 3.2.5.1: co-sign the client's PKCS#10 with the dedicated
 * signing certificate, as a CMS SignedData around a CMC PKIData (RFC 5272),
 * shaped as a Windows OTPCEP server makes it (see docs/protocol.md).
 */
#ifndef OTPCEP_CMC_H
#define OTPCEP_CMC_H

#include <stddef.h>
#include <stdint.h>

#include "otpcep.h"

struct signer;

enum cmc_result {
	CMC_OK = 0,
	CMC_NO_SIGNER,		/* no valid signing certificate now: OtherError */
	CMC_FAILED,		/* encoding or signing failed: OtherError */
	CMC_NOT_BUILT,		/* not built yet: OtherError */
};

const char *cmc_strerror(enum cmc_result r);

/* On CMC_OK, *out is a new DER SignedCertRequest; free() it. */
enum cmc_result cmc_sign_request(struct signer *s, const uint8_t *csr_der,
    size_t csr_der_len, uint8_t **out, size_t *out_len, struct audit *a);

#endif
