/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The SignCert messages (MS-OTPCE 2.2.2, 2.2.3, 6). The only module that uses
 * libxml2. Parsing is hardened: no network, no DTD, no entities, one element.
 */
#ifndef OTPCEP_MSG_H
#define OTPCEP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "otpcep.h"

/* A parsed signCertRequest. one_time_password is wiped by msg_request_free(). */
struct sign_cert_request {
	char *username;			/* UTF-8 */
	char *one_time_password;	/* UTF-8, NUL-terminated */
	size_t one_time_password_len;
	uint8_t *cert_request;		/* base64-decoded certRequest (DER) */
	size_t cert_request_len;
};

/* What the procedure answers (MS-OTPCE 3.2.5.1 step 6). */
struct sign_cert_response {
	enum otpcep_status status;
	uint8_t *signed_cert_request;		/* DER, owned; only on Success */
	size_t signed_cert_request_len;
	const char *const *issuing_ca;		/* only on Success */
	size_t issuing_ca_count;
};

enum msg_result {
	MSG_OK = 0,
	MSG_NOT_SIGNCERT,	/* not XML, or not a signCertRequest: HTTP 400 */
	MSG_INVALID,		/* a signCertRequest, but invalid: OtherError */
	MSG_NOMEM,		/* our failure: HTTP 500 */
};

/* Start-up only: initialises libxml2 for use by several threads. */
void msg_init(void);
void msg_deinit(void);

/*
 * Parses body (body_len bytes, UTF-8 or UTF-16 with BOM) into *out. On
 * MSG_NOT_SIGNCERT or MSG_INVALID the reason is in a->reason. On anything but
 * MSG_OK, *out holds nothing that needs freeing.
 */
enum msg_result msg_parse_request(const void *body, size_t body_len,
    struct sign_cert_request *out, struct audit *a);

/* Wipes the one-time password and frees everything; safe on a zeroed struct. */
void msg_request_free(struct sign_cert_request *req);

/*
 * Writes a signCertResponse document (UTF-8) for resp into a new buffer.
 * SignedCertRequest and IssuingCA are written only when status is Success.
 * Returns 0, or -1 on allocation failure.
 */
int msg_write_response(const struct sign_cert_response *resp, char **xml,
    size_t *xml_len);

/*
 * For clients (otpcep-client): writes the signCertRequest document of req
 * (2.2.2) into a new buffer, which holds the one-time password: wipe it.
 * Returns 0; -1 when out of memory; -2 when the user name or the one-time
 * password is not UTF-8 text that XML 1.0 can carry.
 */
int msg_write_request(const struct sign_cert_request *req, char **xml,
    size_t *xml_len);

/* A signCertResponse as a client reads it back (otpcep-client). */
struct sign_cert_reply {
	enum otpcep_status status;
	uint8_t *signed_cert_request;		/* DER, only with Success */
	size_t signed_cert_request_len;
	char **issuing_ca;			/* UTF-8, only with Success */
	size_t issuing_ca_count;
};

#define MSG_REPLY_MAX_CA 64

/*
 * Parses a signCertResponse (2.2.3) with the same hardening as requests.
 * MSG_NOT_SIGNCERT: not XML or not a signCertResponse; MSG_INVALID: one that
 * breaks 2.2.3 (unknown statusCode, Success without SignedCertRequest, a
 * SignedCertRequest with another status, other content); the reason in a.
 * Unknown attributes are ignored: Windows writes certificate="" (4.4).
 */
enum msg_result msg_parse_response(const void *body, size_t body_len,
    struct sign_cert_reply *out, struct audit *a);
void msg_reply_free(struct sign_cert_reply *r);

#endif
