/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * libFuzzer target: the signCertRequest parser (the first thing a client's
 * bytes reach) must never crash, leak or hang; what it accepts must write back
 * as a response without failing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct sign_cert_request req;
	struct sign_cert_response resp = { 0 };
	struct audit a = { 0 };
	char *xml;
	size_t xml_len;

	if (!once) {
		msg_init();
		once = 1;
	}
	if (msg_parse_request(data, size, &req, &a) == MSG_OK) {
		/* Echo the decoded request as if it were the signed one. */
		resp.status = OTPCEP_SUCCESS;
		resp.signed_cert_request = req.cert_request;
		resp.signed_cert_request_len = req.cert_request_len;
		if (msg_write_response(&resp, &xml, &xml_len) != 0)
			abort();
		free(xml);
	}
	msg_request_free(&req);
	return 0;
}
