/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The client's endpoint mapper query: TCP 135, an unauthenticated bind (as
 * Windows allows for the endpoint mapper, MS-RPCE 3.3.1.5.1), one ept_map.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc_conn.h"
#include "epm.h"
#include "hresult.h"

enum dcerpc_err
epm_lookup_tcp_port(const char *host, uint16_t epm_port,
    const struct dcerpc_syntax *iface, int timeout_ms, uint16_t *port,
    char *errbuf, size_t errlen)
{
	struct epm_tower want, got[EPM_MAX_TOWERS];
	struct dcerpc_conn *conn;
	struct ndr_out o;
	uint8_t *resp = NULL;
	size_t resp_len, n, i;
	uint32_t fault = 0, status = 0;
	enum dcerpc_err r;

	*port = 0;
	ndr_out_init(&o);
	if ((conn = malloc(sizeof(*conn))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return DCERPC_E_NOMEM;
	}
	memset(&want, 0, sizeof(want));
	want.iface = *iface;
	want.transfer = dcerpc_syntax_ndr;
	want.port = EPM_PORT;
	if ((r = dcerpc_conn_open(conn, host, epm_port ? epm_port : EPM_PORT,
	    timeout_ms)) != DCERPC_OK)
		goto fail;
	dcerpc_conn_set_deadline(conn, conn->timeout_ms);	/* the whole lookup */
	if ((r = dcerpc_client_bind(conn, &epm_syntax, NULL)) != DCERPC_OK ||
	    (r = epm_map_request_build(&want, &o)) != DCERPC_OK ||
	    (r = dcerpc_client_call(conn, EPM_OPNUM_MAP, o.data, o.len, 65536,
	    &resp, &resp_len, &fault)) != DCERPC_OK)
		goto fail;
	if ((r = epm_map_response_parse(resp, resp_len, got, EPM_MAX_TOWERS,
	    &n, &status)) != DCERPC_OK) {
		snprintf(conn->error, sizeof(conn->error),
		    "ept_map answer: %s", dcerpc_strerror(r));
		goto fail;
	}
	for (i = 0; i < n && status == 0; i++) {
		if (dcerpc_syntax_equal(&got[i].iface, iface) &&
		    got[i].port != 0) {
			*port = got[i].port;
			break;
		}
	}
	if (*port == 0) {
		const char *name = hresult_name(status);

		snprintf(conn->error, sizeof(conn->error),
		    "the endpoint mapper knows no TCP endpoint for the "
		    "interface (status %s%s0x%08x)", name ? name : "",
		    name ? " " : "", (unsigned)status);
		r = DCERPC_E_UNEXPECTED;
		goto fail;
	}
	r = DCERPC_OK;
	goto done;
fail:
	snprintf(errbuf, errlen, "endpoint mapper on %s: %s", host,
	    conn->error[0] ? conn->error : dcerpc_strerror(r));
done:
	dcerpc_conn_close(conn);
	free(conn);
	free(resp);
	ndr_out_free(&o);
	return r;
}
