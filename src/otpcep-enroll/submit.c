/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The exchange with the CA: one ICertPassage::CertServerRequest (MS-ICPR
 * 3.2.4.1.1) over ncacn_ip_tcp, Kerberos, packet privacy, through the
 * project's DCE/RPC library (include/dcerpc.h, src/dcerpc*.c, src/icpr*.c).
 * Until that library's client call is in the tree, this part is not built:
 * every exchange fails closed and says so.
 */
#include <stdio.h>
#include <string.h>

#include "enroll.h"
#include "log.h"

enum submit_result
submit_request(const struct submit_target *t, const uint8_t *request,
    size_t request_len, const char *attributes, uint32_t request_id,
    struct enroll_answer *a, char *why, size_t why_len)
{
	(void)request;
	(void)request_len;
	(void)attributes;
	(void)request_id;
	memset(a, 0, sizeof(*a));
	snprintf(why, why_len, "%s\\%s: the MS-ICPR client is not built into "
	    "this otpcep-enroll", t->host, t->ca_name);
	log_err("enroll: %s", why);
	return SUBMIT_FAILED;
}

void
submit_answer_free(struct enroll_answer *a)
{
	gnutls_free(a->cert.data);
	memset(a, 0, sizeof(*a));
}
