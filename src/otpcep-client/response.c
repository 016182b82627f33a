/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The SignCert Response (MS-OTPCE 2.2.3), read by the message module's
 * msg_parse_response(): the same hardened libxml2 reader the responder uses
 * for requests (no DTD, no entities, no network), root signCertResponse in the
 * protocol namespace, statusCode one of the four values, SignedCertRequest
 * base64 (only with Success, and then required), IssuingCA elements of text
 * only. Unknown attributes are ignored: a Windows server sends certificate=""
 * (example 4.4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "msg.h"

#define RESPONSE_BODY_MAX (1024 * 1024)

int
response_parse(const uint8_t *body, size_t body_len,
    struct sign_cert_reply *out)
{
	struct audit a;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	if (body_len == 0 || body_len > RESPONSE_BODY_MAX) {
		fprintf(stderr, "otpcep-client: the server's answer is %s\n",
		    body_len == 0 ? "empty" : "larger than 1 MiB");
		return -1;
	}
	if (msg_parse_response(body, body_len, out, &a) != MSG_OK) {
		fprintf(stderr, "otpcep-client: the server's answer is not a valid "
		    "signCertResponse (MS-OTPCE 2.2.3): %s\n", a.reason);
		return -1;
	}
	return 0;
}
