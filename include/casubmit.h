/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Submitting a certificate request to an AD CS CA named by its configuration
 * string `host\CA name` (MS-WCCE 1.3), over MS-ICPR with Kerberos at packet
 * privacy (icpr_submit), as the computer account (keytab) or the user
 * (credential cache). Used by otpcep-enroll (renewal) and otpcep-client
 * --submit; the answer is reduced to what they act on and log.
 */
#ifndef OTPCEP_CASUBMIT_H
#define OTPCEP_CASUBMIT_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include "hresult.h"

/* Where and as whom. */
struct casubmit_target {
	char host[256];			/* CA host: DNS name, the SPN's host */
	char ca_name[256];		/* the CA's common name */
	const char *address;		/* connect here; NULL: host */
	unsigned epm_port;		/* the endpoint mapper; 0: 135 */
	const char *spn;		/* NULL: host/<host> */
	const char *keytab;		/* with principal; NULL: the ccache */
	const char *principal;
	const char *ccache;		/* NULL: the default (KRB5CCNAME) */
	unsigned timeout_ms;		/* 0: 30000 */
};

/*
 * Splits "host\CA name" into t->host and t->ca_name (the other fields are
 * zeroed). 0, or -1 when it is not a configuration string.
 */
int casubmit_target_parse(const char *ca_string, struct casubmit_target *t);

/* The CA's answer to one CertServerRequest (MS-ICPR 3.2.4.1.1). */
struct casubmit_answer {
	uint32_t disposition;		/* CR_DISP_* */
	uint32_t hresult;		/* the status behind a denial or error */
	uint32_t request_id;		/* for polling a pending request */
	gnutls_datum_t cert;		/* DER, when issued (gnutls_free) */
	gnutls_datum_t chain;		/* pctbCertChain: PKCS#7 of the chain, DER,
					 * when the CA sent one (gnutls_free) */
	char message[512];		/* the CA's disposition message, escaped */
};

enum casubmit_result {
	CASUBMIT_OK = 0,		/* the CA answered: see the disposition */
	CASUBMIT_TRANSPORT,		/* unreachable, bind, sealing, Kerberos, fault */
	CASUBMIT_FAILED,		/* our side (memory) */
};

/*
 * Sends one CertServerRequest: request (DER: PKCS#10 or CMS, sent as
 * CR_IN_BINARY | CR_IN_FORMATANY), or none with request_id to poll a
 * pending one; attributes ("CertificateTemplate:NAME", or ""). CASUBMIT_OK
 * with *a filled when the CA answered, whatever it said; otherwise the
 * reason, for the log, in why.
 */
enum casubmit_result casubmit_request(const struct casubmit_target *t,
    const uint8_t *request, size_t request_len, const char *attributes,
    uint32_t request_id, struct casubmit_answer *a, char *why, size_t why_len);
void casubmit_answer_free(struct casubmit_answer *a);

#endif
