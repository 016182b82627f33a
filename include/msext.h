/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The Microsoft certificate-request types (MS-WCCE 2.2.2.7), DER with
 * libtasn1 from src/asn/microsoft.asn. Used to read client requests (step 1),
 * to write the server's own ClientInfo (step 4) and by otpcep-client.
 */
#ifndef OTPCEP_MSEXT_H
#define OTPCEP_MSEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Object identifiers used across the project. */
#define OID_MS_TEMPLATE_NAME	"1.3.6.1.4.1.311.20.2"	/* v1: template name */
#define OID_MS_TEMPLATE_V2	"1.3.6.1.4.1.311.21.7"	/* v2: template OID */
#define OID_MS_CLIENT_INFO	"1.3.6.1.4.1.311.21.20"
#define OID_MS_UPN		"1.3.6.1.4.1.311.20.2.3"
#define OID_MS_APP_POLICIES	"1.3.6.1.4.1.311.21.10"
#define OID_MS_SMARTCARD_LOGON	"1.3.6.1.4.1.311.20.2.2"
#define OID_MS_OTP_SIGNING	"1.3.6.1.4.1.311.81.1.1"

/*
 * Decoders take strict DER with no trailing bytes; strings come out as
 * NUL-terminated UTF-8 (an embedded NUL or invalid text is MSEXT_MALFORMED).
 * Outputs are new allocations for free(); on failure they are NULL.
 */
enum msext_result {
	MSEXT_OK = 0,
	MSEXT_MALFORMED,	/* not the DER of the expected type */
	MSEXT_NOMEM,
};

/* MS-WCCE 2.2.2.7.4: SEQUENCE { clientId, machineName, userName, processName } */
struct msext_client_info {
	long client_id;		/* 5: a default request */
	char *machine;		/* UTF-8 */
	char *user;		/* UTF-8, DOMAIN\account */
	char *process;		/* UTF-8 */
};

enum msext_result msext_client_info_decode(const uint8_t *der, size_t der_len,
    struct msext_client_info *out);
enum msext_result msext_client_info_encode(const struct msext_client_info *ci,
    uint8_t **der, size_t *der_len);
void msext_client_info_free(struct msext_client_info *ci);

/*
 * MS-WCCE 2.2.2.7.7.2: SEQUENCE { templateID OID, major INTEGER OPT, minor INTEGER OPT }
 * An absent version is -1 (decode gives it, encode leaves it out). Decode
 * accepts only DER that encodes back to the same bytes; *oid is dotted.
 */
enum msext_result msext_template_v2_decode(const uint8_t *der, size_t der_len,
    char **oid, long *major, long *minor);
enum msext_result msext_template_v2_encode(const char *oid, long major,
    long minor, uint8_t **der, size_t *der_len);

/*
 * MS-WCCE 2.2.2.7.7.1: the template name. Windows sends a bare BMPString; the
 * specification writes SEQUENCE { UTF8String }. Decode accepts both and
 * returns UTF-8; encode writes the BMPString, as Windows does.
 */
enum msext_result msext_template_name_decode(const uint8_t *der,
    size_t der_len, char **name);
enum msext_result msext_template_name_encode(const char *name, uint8_t **der,
    size_t *der_len);

/*
 * RFC 2985 5.4.2: the extensionRequest attribute's value (RFC 5280 4.1
 * Extensions), decoded once. Each extension's extnID (dotted) and extnValue
 * (the OCTET STRING's contents), the first max of them; more says there
 * were more (the caller refuses those). An extnID longer than
 * MSEXT_OID_MAX - 1 is MSEXT_MALFORMED.
 */
#define MSEXT_OID_MAX	128
struct msext_extension {
	char oid[MSEXT_OID_MAX];
	uint8_t *value;
	size_t value_len;
};
struct msext_extensions {
	struct msext_extension *v;
	size_t n;
	bool more;
};
enum msext_result msext_extensions_decode(const uint8_t *der, size_t der_len,
    size_t max, struct msext_extensions *out);
void msext_extensions_free(struct msext_extensions *e);

#endif
