/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Fragmentation of calls (C706 12.6.3.1: PFC_FIRST_FRAG / PFC_LAST_FRAG,
 * frag_length at most the peer's max_recv_frag) and reassembly, bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "dcerpc.h"

size_t
dcerpc_frag_stub_room(uint16_t max_frag, uint8_t ptype, bool object,
    size_t token_len)
{
	size_t fixed = DCERPC_REQUEST_HDR_LEN, room;

	if (ptype == DCERPC_PTYPE_REQUEST && object)
		fixed += 16;
	if (token_len != 0)
		fixed += DCERPC_AUTH_TRAILER_LEN + token_len;
	if (max_frag <= fixed)
		return 0;
	room = max_frag - fixed;
	/* With auth only the last fragment may need auth padding. */
	if (token_len != 0)
		room -= room % DCERPC_AUTH_PAD_ALIGN;
	return room;
}

void
dcerpc_reasm_init(struct dcerpc_reasm *r, size_t max_stub)
{
	memset(r, 0, sizeof(*r));
	r->max_stub = max_stub == 0 ? DCERPC_STUB_MAX : max_stub;
}

enum dcerpc_err
dcerpc_reasm_add(struct dcerpc_reasm *r, const struct dcerpc_pdu *pdu,
    const uint8_t *stub, size_t stub_len)
{
	uint8_t flags = pdu->hdr.pfc_flags;

	if (r->done)
		return DCERPC_E_BAD_FRAG;
	if (!r->started) {
		if (!(flags & DCERPC_PFC_FIRST_FRAG))
			return DCERPC_E_BAD_FRAG;
		r->started = true;
		r->call_id = pdu->hdr.call_id;
		r->ptype = pdu->hdr.ptype;
	} else if ((flags & DCERPC_PFC_FIRST_FRAG) ||
	    pdu->hdr.call_id != r->call_id || pdu->hdr.ptype != r->ptype) {
		return DCERPC_E_BAD_FRAG;
	}
	if (stub_len > r->max_stub - r->len)
		return DCERPC_E_TOO_BIG;
	if (r->len + stub_len > r->cap) {
		size_t cap = r->cap == 0 ? 8192 : r->cap;
		uint8_t *n;

		while (cap < r->len + stub_len)
			cap *= 2;
		if (cap > r->max_stub)
			cap = r->max_stub;
		if ((n = realloc(r->data, cap)) == NULL)
			return DCERPC_E_NOMEM;
		r->data = n;
		r->cap = cap;
	}
	if (stub_len > 0)
		memcpy(r->data + r->len, stub, stub_len);
	r->len += stub_len;
	if (flags & DCERPC_PFC_LAST_FRAG)
		r->done = true;
	return DCERPC_OK;
}

void
dcerpc_reasm_free(struct dcerpc_reasm *r)
{
	free(r->data);
	r->data = NULL;
	r->len = r->cap = 0;
}
