/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * MS-ICPR: ICertPassage::CertServerRequest (opnum 0, MS-ICPR 3.2.4.1.1), its
 * NDR both ways (the client encodes the request and decodes the answer, the
 * stand-in CA the opposite), the names of dispositions and HRESULTs for
 * logs, and the client's whole path: endpoint mapper, sealed bind, call.
 */
#ifndef OTPCEP_ICPR_H
#define OTPCEP_ICPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcerpc.h"
#include "ndr.h"

/* MS-ICPR 1.9: 91ae6020-9e3c-11cf-8d7c-00aa00c091be v0.0 */
extern const struct dcerpc_syntax icpr_syntax;
#define ICPR_OPNUM_CERT_SERVER_REQUEST	0

/* MS-ICPR 3.2.4.1.1 (MS-WCCE 3.2.1.4.3.1.1): dwFlags. */
#define ICPR_CR_IN_BASE64HEADER		0x00000000u
#define ICPR_CR_IN_BASE64		0x00000001u
#define ICPR_CR_IN_BINARY		0x00000002u
#define ICPR_CR_IN_FORMATANY		0x00000000u
#define ICPR_CR_IN_PKCS10		0x00000100u
#define ICPR_CR_IN_KEYGEN		0x00000200u
#define ICPR_CR_IN_PKCS7		0x00000300u
#define ICPR_CR_IN_CMC			0x00000400u
#define ICPR_CR_IN_RPC			0x00020000u

/* Dispositions (CR_DISP_*) and HRESULT names for logs: include/hresult.h. */

/* Bound on a [string] authority in units (MS-ICPR: a CA name). */
#define ICPR_AUTHORITY_MAX		1024

/* A CERTTRANSBLOB (MS-WCCE 2.2.2.2): cb bytes at pb (NULL when cb is 0). */
struct icpr_blob {
	const uint8_t *data;
	size_t len;
};

/*
 * The [in] side. Encoding reads it; decoding fills it, the blobs pointing
 * into the stub and the strings malloc'd (free with icpr_request_clear).
 * authority: the CA's name ("CA" of host\CA), NULL for a null pointer.
 * attributes: "name:value" lines separated by "\n" (MS-WCCE 3.2.1.4.3.1.1:
 * "CertificateTemplate:DAOTPRA"), UTF-8 here, UTF-16LE + NUL on the wire;
 * NULL or "" for an empty blob.
 */
struct icpr_request {
	uint32_t flags;
	char *authority;
	uint32_t request_id;	/* 0 for a new request, else the one to poll */
	char *attributes;
	struct icpr_blob request;
};

/*
 * The [out] side. Blobs point into the stub when decoded; the disposition
 * message is UTF-8 (malloc'd when decoded; free with icpr_response_clear).
 * status is CertServerRequest's return value (an HRESULT).
 */
struct icpr_response {
	uint32_t request_id;
	uint32_t disposition;
	struct icpr_blob cert_chain;	/* PKCS#7 with the chain */
	struct icpr_blob encoded_cert;	/* the certificate, DER */
	char *disposition_message;
	uint32_t status;
};

/* MS-ICPR 3.2.4.1.1: request stub. */
enum dcerpc_err icpr_request_encode(const struct icpr_request *r,
    struct ndr_out *o);
/* *ndr_end: where NDR stopped (a verification trailer may follow). */
enum dcerpc_err icpr_request_decode(const uint8_t *stub, size_t len,
    struct icpr_request *r, size_t *ndr_end);
void icpr_request_clear(struct icpr_request *r);

enum dcerpc_err icpr_response_encode(const struct icpr_response *r,
    struct ndr_out *o);
enum dcerpc_err icpr_response_decode(const uint8_t *stub, size_t len,
    struct icpr_response *r);
void icpr_response_clear(struct icpr_response *r);

/* How the client reaches the CA. */
struct icpr_client_params {
	const char *host;	/* the CA's DNS name ("host" of host\CA) */
	uint16_t epm_port;	/* 0: 135 */
	uint16_t port;		/* 0: ask the endpoint mapper */
	const char *spn;	/* NULL: "host/<host>" */
	uint8_t auth_type;	/* 0: DCERPC_AUTHN_GSS_NEGOTIATE */
	const char *keytab;	/* client keytab, or NULL: credential cache */
	const char *principal;	/* with keytab */
	const char *ccache;	/* NULL: the default */
	int timeout_ms;		/* 0: 30000 */
};

/*
 * Sends one CertServerRequest at packet privacy and decodes the answer:
 * endpoint mapper (unless port), TCP, GSS (Kerberos, DCE style) bind, the
 * sealed call. On DCERPC_OK resp is filled (blobs point into *stub_out,
 * which the caller frees after icpr_response_clear); the CA's HRESULT is in
 * resp->status. On a fault, *fault_status is set and DCERPC_E_FAULT returned.
 * Words for the log in errbuf on any failure.
 */
enum dcerpc_err icpr_submit(const struct icpr_client_params *p,
    const struct icpr_request *req, struct icpr_response *resp,
    uint8_t **stub_out, uint32_t *fault_status, char *errbuf, size_t errlen);

#endif
