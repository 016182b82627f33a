/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * CertServerRequest from end to end (MS-ICPR 3.2.4.1.1 over MS-RPCE):
 * endpoint mapper, TCP, a Kerberos bind at packet privacy, one sealed call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc_conn.h"
#include "epm.h"
#include "icpr.h"

#define ICPR_RESPONSE_MAX	(1024 * 1024)	/* chains are a few KiB */

enum dcerpc_err
icpr_submit(const struct icpr_client_params *p,
    const struct icpr_request *req, struct icpr_response *resp,
    uint8_t **stub_out, uint32_t *fault_status, char *errbuf, size_t errlen)
{
	struct dcerpc_gss_params gp;
	struct dcerpc_conn *conn = NULL;
	struct dcerpc_sec *sec = NULL;
	struct ndr_out o;
	char spn[512];
	uint8_t *stub = NULL;
	size_t stub_len;
	uint16_t port = p->port;
	int timeout = p->timeout_ms > 0 ? p->timeout_ms : 30000;
	enum dcerpc_err r;

	memset(resp, 0, sizeof(*resp));
	*stub_out = NULL;
	*fault_status = 0;
	ndr_out_init(&o);
	if (p->host == NULL || p->host[0] == '\0') {
		snprintf(errbuf, errlen, "no CA host");
		return DCERPC_E_ARG;
	}
	if ((r = icpr_request_encode(req, &o)) != DCERPC_OK) {
		snprintf(errbuf, errlen, "the request cannot be encoded "
		    "(text not UTF-8, or too large)");
		goto done;
	}
	if (port == 0 && (r = epm_lookup_tcp_port(p->host, p->epm_port,
	    &icpr_syntax, timeout, &port, errbuf, errlen)) != DCERPC_OK)
		goto done;
	/* MS-ICPR 1.9 / MS-KILE: the CA's host service principal */
	if (p->spn != NULL)
		snprintf(spn, sizeof(spn), "%s", p->spn);
	else if ((size_t)snprintf(spn, sizeof(spn), "host/%s", p->host) >=
	    sizeof(spn)) {
		snprintf(errbuf, errlen, "CA host name too long");
		r = DCERPC_E_ARG;
		goto done;
	}
	memset(&gp, 0, sizeof(gp));
	gp.auth_type = p->auth_type ? p->auth_type : DCERPC_AUTHN_GSS_NEGOTIATE;
	gp.target = spn;
	gp.keytab = p->keytab;
	gp.principal = p->principal;
	gp.ccache = p->ccache;
	if ((r = dcerpc_gss_new(&gp, &sec, errbuf, errlen)) != DCERPC_OK)
		goto done;
	if ((conn = malloc(sizeof(*conn))) == NULL) {
		r = DCERPC_E_NOMEM;
		snprintf(errbuf, errlen, "out of memory");
		goto done;
	}
	if ((r = dcerpc_conn_open(conn, p->host, port, timeout)) == DCERPC_OK)
		dcerpc_conn_set_deadline(conn, timeout);	/* the whole call */
	if (r != DCERPC_OK ||
	    (r = dcerpc_client_bind(conn, &icpr_syntax, sec)) != DCERPC_OK ||
	    (r = dcerpc_client_call(conn, ICPR_OPNUM_CERT_SERVER_REQUEST,
	    o.data, o.len, ICPR_RESPONSE_MAX, &stub, &stub_len,
	    fault_status)) != DCERPC_OK) {
		snprintf(errbuf, errlen, "CA %s port %u: %s", p->host,
		    (unsigned)port, conn->error[0] ? conn->error :
		    dcerpc_strerror(r));
		goto done;
	}
	if ((r = icpr_response_decode(stub, stub_len, resp)) != DCERPC_OK) {
		snprintf(errbuf, errlen, "CA %s: CertServerRequest answer: %s",
		    p->host, dcerpc_strerror(r));
		goto done;
	}
	*stub_out = stub;
	stub = NULL;
done:
	if (conn != NULL) {
		dcerpc_conn_close(conn);
		free(conn);
	}
	dcerpc_sec_free(sec);
	free(stub);
	ndr_out_free(&o);
	return r;
}
