/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Building connection-oriented DCE/RPC PDUs (C706 12.6.4, MS-RPCE 2.2.2):
 * little-endian, NDR-ASCII-IEEE data representation, sizes checked before
 * any byte is written.
 */
#include <string.h>

#include "dcerpc.h"

/* C706 12.6.3.1: the common header; frag_length is set by finish(). */
static void
put_hdr(uint8_t *out, uint8_t ptype, uint8_t flags, uint16_t auth_length,
    uint32_t call_id)
{
	out[0] = 5;
	out[1] = 0;
	out[2] = ptype;
	out[3] = flags;
	out[4] = 0x10;		/* little-endian, ASCII */
	out[5] = 0;		/* IEEE */
	out[6] = 0;
	out[7] = 0;
	dcerpc_put16(out + 8, 0);
	dcerpc_put16(out + 10, auth_length);
	dcerpc_put32(out + 12, call_id);
}

/*
 * Appends pad zero bytes, the sec_trailer and the auth_value at off, sets
 * frag_length; the whole PDU must fit in cap and in 16 bits.
 */
static enum dcerpc_err
finish(uint8_t *out, size_t cap, size_t off, size_t *out_len,
    const struct dcerpc_auth_out *auth, size_t pad)
{
	size_t total = off;

	if (auth != NULL) {
		if (auth->value_len == 0 ||
		    auth->value_len > DCERPC_AUTH_VALUE_MAX || pad > 255)
			return DCERPC_E_ARG;
		total += pad + DCERPC_AUTH_TRAILER_LEN + auth->value_len;
	}
	if (total > cap)
		return DCERPC_E_SPACE;
	if (total > DCERPC_FRAG_LIMIT)
		return DCERPC_E_ARG;
	if (auth != NULL) {
		uint8_t *t = out + off + pad;

		memset(out + off, 0, pad);
		t[0] = auth->type;
		t[1] = auth->level;
		t[2] = (uint8_t)pad;
		t[3] = 0;
		dcerpc_put32(t + 4, auth->context_id);
		if (auth->value != NULL)
			memcpy(t + DCERPC_AUTH_TRAILER_LEN, auth->value,
			    auth->value_len);
		else
			memset(t + DCERPC_AUTH_TRAILER_LEN, 0, auth->value_len);
		dcerpc_put16(out + 10, (uint16_t)auth->value_len);
	}
	dcerpc_put16(out + 8, (uint16_t)total);
	*out_len = total;
	return DCERPC_OK;
}

enum dcerpc_err
dcerpc_build_bind(uint8_t *out, size_t cap, size_t *out_len, uint8_t ptype,
    uint8_t pfc_flags, uint32_t call_id, uint16_t max_xmit_frag,
    uint16_t max_recv_frag, uint32_t assoc_group,
    const struct dcerpc_ctx_elem *ctx, size_t n_ctx,
    const struct dcerpc_auth_out *auth)
{
	size_t off = DCERPC_HDR_LEN + 12, i, j, need = off;

	if ((ptype != DCERPC_PTYPE_BIND && ptype != DCERPC_PTYPE_ALTER_CONTEXT)
	    || n_ctx > DCERPC_MAX_CONTEXTS)
		return DCERPC_E_ARG;
	for (i = 0; i < n_ctx; i++) {
		if (ctx[i].n_transfer == 0 ||
		    ctx[i].n_transfer > DCERPC_MAX_TRANSFER_SYNTAXES)
			return DCERPC_E_ARG;
		need += 24 + 20 * (size_t)ctx[i].n_transfer;
	}
	if (need > cap)
		return DCERPC_E_SPACE;
	put_hdr(out, ptype, pfc_flags, 0, call_id);
	dcerpc_put16(out + 16, max_xmit_frag);
	dcerpc_put16(out + 18, max_recv_frag);
	dcerpc_put32(out + 20, assoc_group);
	out[24] = (uint8_t)n_ctx;
	memset(out + 25, 0, 3);
	for (i = 0; i < n_ctx; i++) {
		dcerpc_put16(out + off, ctx[i].context_id);
		out[off + 2] = ctx[i].n_transfer;
		out[off + 3] = 0;
		dcerpc_syntax_put(out + off + 4, &ctx[i].abstract);
		off += 24;
		for (j = 0; j < ctx[i].n_transfer; j++, off += 20)
			dcerpc_syntax_put(out + off, &ctx[i].transfer[j]);
	}
	/* every element is a multiple of 4: no padding before the trailer */
	return finish(out, cap, off, out_len, auth, 0);
}

enum dcerpc_err
dcerpc_build_bind_ack(uint8_t *out, size_t cap, size_t *out_len,
    uint8_t ptype, uint8_t pfc_flags, uint32_t call_id,
    uint16_t max_xmit_frag, uint16_t max_recv_frag, uint32_t assoc_group,
    const char *sec_addr, const struct dcerpc_ctx_result *results,
    size_t n_results, const struct dcerpc_auth_out *auth)
{
	size_t alen = sec_addr != NULL && sec_addr[0] != '\0' ?
	    strlen(sec_addr) + 1 : 0;
	size_t off, i, need;

	if ((ptype != DCERPC_PTYPE_BIND_ACK &&
	    ptype != DCERPC_PTYPE_ALTER_CONTEXT_RESP) ||
	    n_results > DCERPC_MAX_CONTEXTS || alen > 255)
		return DCERPC_E_ARG;
	off = (DCERPC_HDR_LEN + 10 + alen + 3) & ~(size_t)3;
	need = off + 4 + 24 * n_results;
	if (need > cap)
		return DCERPC_E_SPACE;
	put_hdr(out, ptype, pfc_flags, 0, call_id);
	dcerpc_put16(out + 16, max_xmit_frag);
	dcerpc_put16(out + 18, max_recv_frag);
	dcerpc_put32(out + 20, assoc_group);
	dcerpc_put16(out + 24, (uint16_t)alen);
	memset(out + 26, 0, off - 26);
	if (alen > 0)
		memcpy(out + 26, sec_addr, alen);
	out[off] = (uint8_t)n_results;
	memset(out + off + 1, 0, 3);
	off += 4;
	for (i = 0; i < n_results; i++, off += 24) {
		dcerpc_put16(out + off, results[i].result);
		dcerpc_put16(out + off + 2, results[i].reason);
		dcerpc_syntax_put(out + off + 4, &results[i].transfer);
	}
	return finish(out, cap, off, out_len, auth, 0);
}

enum dcerpc_err
dcerpc_build_bind_nak(uint8_t *out, size_t cap, size_t *out_len,
    uint32_t call_id, uint16_t reason)
{
	/* C706 12.6.4.5: reason, then p_rt_versions_supported (5.0). */
	if (cap < DCERPC_HDR_LEN + 6)
		return DCERPC_E_SPACE;
	put_hdr(out, DCERPC_PTYPE_BIND_NAK,
	    DCERPC_PFC_FIRST_FRAG | DCERPC_PFC_LAST_FRAG, 0, call_id);
	dcerpc_put16(out + 16, reason);
	out[18] = 1;
	out[19] = 5;
	out[20] = 0;
	out[21] = 0;
	return finish(out, cap, DCERPC_HDR_LEN + 6, out_len, NULL, 0);
}

enum dcerpc_err
dcerpc_build_auth3(uint8_t *out, size_t cap, size_t *out_len,
    uint32_t call_id, const struct dcerpc_auth_out *auth)
{
	if (auth == NULL)
		return DCERPC_E_ARG;
	if (cap < DCERPC_HDR_LEN + 4)
		return DCERPC_E_SPACE;
	put_hdr(out, DCERPC_PTYPE_AUTH3,
	    DCERPC_PFC_FIRST_FRAG | DCERPC_PFC_LAST_FRAG, 0, call_id);
	memset(out + DCERPC_HDR_LEN, 0, 4);	/* MS-RPCE 2.2.2.10: pad */
	return finish(out, cap, DCERPC_HDR_LEN + 4, out_len, auth, 0);
}

enum dcerpc_err
dcerpc_build_call(uint8_t *out, size_t cap, size_t *out_len,
    const struct dcerpc_call_frag *f, const struct dcerpc_auth_out *auth)
{
	size_t off = DCERPC_HDR_LEN + 8, pad = 0;
	uint8_t flags = f->pfc_flags;

	if (f->ptype != DCERPC_PTYPE_REQUEST &&
	    f->ptype != DCERPC_PTYPE_RESPONSE)
		return DCERPC_E_ARG;
	if (f->ptype == DCERPC_PTYPE_REQUEST && f->object != NULL) {
		flags |= DCERPC_PFC_OBJECT_UUID;
		off += 16;
	} else {
		flags &= (uint8_t)~DCERPC_PFC_OBJECT_UUID;
	}
	if (f->stub_len > DCERPC_FRAG_LIMIT || off + f->stub_len > cap)
		return DCERPC_E_SPACE;
	/* MS-RPCE 2.2.2.11: pad the stub to 16 for the sec_trailer. */
	if (auth != NULL)
		pad = (DCERPC_AUTH_PAD_ALIGN - f->stub_len %
		    DCERPC_AUTH_PAD_ALIGN) % DCERPC_AUTH_PAD_ALIGN;
	put_hdr(out, f->ptype, flags, 0, f->call_id);
	dcerpc_put32(out + 16, f->alloc_hint);
	dcerpc_put16(out + 20, f->context_id);
	if (f->ptype == DCERPC_PTYPE_REQUEST) {
		dcerpc_put16(out + 22, f->opnum);
		if (f->object != NULL)
			dcerpc_uuid_put(out + 24, f->object);
	} else {
		out[22] = 0;	/* cancel_count */
		out[23] = 0;
	}
	if (f->stub_len > 0)
		memcpy(out + off, f->stub, f->stub_len);
	return finish(out, cap, off + f->stub_len, out_len, auth, pad);
}

enum dcerpc_err
dcerpc_build_fault(uint8_t *out, size_t cap, size_t *out_len,
    uint32_t call_id, uint16_t context_id, uint32_t status,
    uint8_t pfc_extra)
{
	if (cap < DCERPC_FAULT_HDR_LEN)
		return DCERPC_E_SPACE;
	put_hdr(out, DCERPC_PTYPE_FAULT, (uint8_t)(DCERPC_PFC_FIRST_FRAG |
	    DCERPC_PFC_LAST_FRAG | pfc_extra), 0, call_id);
	dcerpc_put32(out + 16, 0);
	dcerpc_put16(out + 20, context_id);
	out[22] = 0;
	out[23] = 0;
	dcerpc_put32(out + 24, status);
	dcerpc_put32(out + 28, 0);
	return finish(out, cap, DCERPC_FAULT_HDR_LEN, out_len, NULL, 0);
}
