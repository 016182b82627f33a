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

const char *
response_status_name(enum response_status s)
{
	switch (s) {
	case RESPONSE_SUCCESS: return "Success";
	case RESPONSE_AUTHENTICATION_ERROR: return "AuthenticationError";
	case RESPONSE_CHALLENGE: return "ChallengeResponseRequired";
	case RESPONSE_OTHER_ERROR: return "OtherError";
	}
	return "?";
}

static enum response_status
response_status_of(enum otpcep_status st)
{
	switch (st) {
	case OTPCEP_SUCCESS: return RESPONSE_SUCCESS;
	case OTPCEP_AUTHENTICATION_ERROR: return RESPONSE_AUTHENTICATION_ERROR;
	case OTPCEP_CHALLENGE_RESPONSE_REQUIRED: return RESPONSE_CHALLENGE;
	case OTPCEP_OTHER_ERROR: break;
	}
	return RESPONSE_OTHER_ERROR;
}

int
response_parse(const uint8_t *body, size_t body_len, struct response *out)
{
	struct sign_cert_reply reply;
	struct audit a;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	if (body_len == 0 || body_len > RESPONSE_BODY_MAX) {
		fprintf(stderr, "otpcep-client: the server's answer is %s\n",
		    body_len == 0 ? "empty" : "larger than 1 MiB");
		return -1;
	}
	if (msg_parse_response(body, body_len, &reply, &a) != MSG_OK) {
		fprintf(stderr, "otpcep-client: the server's answer is not a valid "
		    "signCertResponse (MS-OTPCE 2.2.3): %s\n", a.reason);
		return -1;
	}
	/* The reply's buffers move into the client's own struct. */
	out->status = response_status_of(reply.status);
	out->signed_cert_request = reply.signed_cert_request;
	out->signed_cert_request_len = reply.signed_cert_request_len;
	out->issuing_ca = reply.issuing_ca;
	out->issuing_ca_count = reply.issuing_ca_count;
	return 0;
}

void
response_free(struct response *r)
{
	size_t i;

	for (i = 0; i < r->issuing_ca_count; i++)
		free(r->issuing_ca[i]);
	free(r->issuing_ca);
	free(r->signed_cert_request);
	memset(r, 0, sizeof(*r));
}
