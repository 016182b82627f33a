/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * libFuzzer target: everything a DCE/RPC peer sends before and after the
 * security layer. The input goes to the PDU decoder as it is and with its
 * frag_length fixed (so the ptype bodies and the auth verifier are reached),
 * to the unsealing path (known-key backend: the token checks), to the
 * verification trailer parser, to the NDR decoders of CertServerRequest
 * (both directions) and ept_map, and to the tower parser.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc.h"
#include "dcerpc_sec.h"
#include "epm.h"
#include "icpr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };
	static struct dcerpc_sec *sec;
	static uint8_t pdu[DCERPC_FRAG_LIMIT];
	struct dcerpc_pdu p;
	struct dcerpc_vt vt;
	struct icpr_request req;
	struct icpr_response resp;
	struct epm_tower towers[EPM_MAX_TOWERS], t;
	uint32_t status;
	size_t n, end;

	if (size > sizeof(pdu))
		return 0;
	if (sec == NULL && dcerpc_krb5key_new(18, key, sizeof(key), true, true,
	    0, DCERPC_AUTHN_GSS_KERBEROS, &sec) != DCERPC_OK)
		abort();
	dcerpc_pdu_decode(data, size, &p);
	if (size >= DCERPC_HDR_LEN) {
		memcpy(pdu, data, size);
		pdu[0] = 5;
		pdu[1] = 0;
		pdu[4] = 0x10;
		pdu[5] = 0;
		dcerpc_put16(pdu + 8, (uint16_t)size);
		dcerpc_pdu_decode(pdu, size, &p);
		sec->auth_context_id = size > 20 ? dcerpc_get32(pdu + size - 4) : 0;
		dcerpc_unseal_pdu(sec, pdu, size, &p);
	}
	dcerpc_vt_parse(data, size, size / 2, &vt);
	dcerpc_vt_find(data, size, &vt, &end);
	if (icpr_request_decode(data, size, &req, &end) == DCERPC_OK)
		icpr_request_clear(&req);
	if (icpr_response_decode(data, size, &resp) == DCERPC_OK)
		icpr_response_clear(&resp);
	epm_map_request_parse(data, size, &t, &end);
	epm_map_response_parse(data, size, towers, EPM_MAX_TOWERS, &n, &status);
	epm_tower_parse(data, size, &t);
	return 0;
}
