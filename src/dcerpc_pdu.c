/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Decoding of connection-oriented DCE/RPC PDUs (C706 12.6, MS-RPCE 2.2.2),
 * strictly: every field is read only after its bytes are known present.
 */
#include <stdio.h>
#include <string.h>

#include "dcerpc.h"

/* C706 14.1: NDR 2.0. */
const struct dcerpc_syntax dcerpc_syntax_ndr = {
	{ 0x8a885d04, 0x1ceb, 0x11c9, { 0x9f, 0xe8 },
	  { 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60 } }, 2, 0
};

/* MS-RPCE 3.3.1.5.3: bind time feature negotiation 6cb71c2c-9812-4540-0300-. */
const struct dcerpc_syntax dcerpc_syntax_btfn = {
	{ 0x6cb71c2c, 0x9812, 0x4540, { 0x03, 0x00 },
	  { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } }, 1, 0
};

const char *
dcerpc_strerror(enum dcerpc_err r)
{
	switch (r) {
	case DCERPC_OK: return "success";
	case DCERPC_E_TRUNCATED: return "PDU truncated";
	case DCERPC_E_BAD_VERSION: return "not DCE/RPC version 5.0";
	case DCERPC_E_BAD_DREP: return "data representation not little-endian ASCII";
	case DCERPC_E_BAD_LENGTH: return "fragment length out of bounds";
	case DCERPC_E_BAD_PTYPE: return "unknown or unexpected packet type";
	case DCERPC_E_BAD_AUTH: return "auth verifier malformed";
	case DCERPC_E_BAD_PADDING: return "auth padding length impossible";
	case DCERPC_E_BAD_BODY: return "PDU body inconsistent";
	case DCERPC_E_BAD_FRAG: return "fragment out of sequence";
	case DCERPC_E_TOO_BIG: return "call larger than allowed";
	case DCERPC_E_BAD_TRAILER: return "verification trailer malformed or mismatched";
	case DCERPC_E_BAD_NDR: return "stub data malformed (NDR)";
	case DCERPC_E_FAULT: return "the peer answered with a fault";
	case DCERPC_E_BIND_NAK: return "bind refused (bind_nak)";
	case DCERPC_E_BIND_REJECTED: return "presentation context rejected";
	case DCERPC_E_UNEXPECTED: return "PDU out of sequence";
	case DCERPC_E_SEC_CRED: return "no Kerberos credentials";
	case DCERPC_E_SEC_CONTEXT: return "security context establishment failed";
	case DCERPC_E_SEC_SKEW: return "clock skew too great";
	case DCERPC_E_SEC_EXPIRED: return "ticket or security context expired";
	case DCERPC_E_SEC_INTEGRITY: return "sealed PDU does not verify";
	case DCERPC_E_SEC_LEVEL: return "authentication level below packet privacy";
	case DCERPC_E_CONNECT: return "cannot connect";
	case DCERPC_E_IO: return "read or write failed";
	case DCERPC_E_TIMEOUT: return "timed out";
	case DCERPC_E_CLOSED: return "connection closed by the peer";
	case DCERPC_E_NOMEM: return "out of memory";
	case DCERPC_E_SPACE: return "output buffer too small";
	case DCERPC_E_ARG: return "invalid argument";
	case DCERPC_E_INTERNAL: return "internal error";
	}
	return "unknown error";
}

bool
dcerpc_err_is_peer(enum dcerpc_err r)
{
	return r >= DCERPC_E_TRUNCATED && r <= DCERPC_E_BAD_NDR;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
dcerpc_uuid_parse(const char *s, struct dcerpc_uuid *u)
{
	uint8_t b[16];
	size_t i, n = 0;

	if (s == NULL || strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
			continue;
		}
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		b[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	u->time_low = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	u->time_mid = (uint16_t)(b[4] << 8 | b[5]);
	u->time_hi = (uint16_t)(b[6] << 8 | b[7]);
	memcpy(u->clock_seq, b + 8, 2);
	memcpy(u->node, b + 10, 6);
	return true;
}

void
dcerpc_uuid_format(const struct dcerpc_uuid *u, char out[37])
{
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    u->time_low, u->time_mid, u->time_hi, u->clock_seq[0],
	    u->clock_seq[1], u->node[0], u->node[1], u->node[2], u->node[3],
	    u->node[4], u->node[5]);
}

bool
dcerpc_uuid_equal(const struct dcerpc_uuid *a, const struct dcerpc_uuid *b)
{
	return a->time_low == b->time_low && a->time_mid == b->time_mid &&
	    a->time_hi == b->time_hi &&
	    memcmp(a->clock_seq, b->clock_seq, 2) == 0 &&
	    memcmp(a->node, b->node, 6) == 0;
}

bool
dcerpc_syntax_equal(const struct dcerpc_syntax *a,
    const struct dcerpc_syntax *b)
{
	return dcerpc_uuid_equal(&a->uuid, &b->uuid) &&
	    a->ver_major == b->ver_major && a->ver_minor == b->ver_minor;
}

void
dcerpc_uuid_put(uint8_t out[16], const struct dcerpc_uuid *u)
{
	dcerpc_put32(out, u->time_low);
	dcerpc_put16(out + 4, u->time_mid);
	dcerpc_put16(out + 6, u->time_hi);
	memcpy(out + 8, u->clock_seq, 2);
	memcpy(out + 10, u->node, 6);
}

void
dcerpc_uuid_get(const uint8_t in[16], struct dcerpc_uuid *u)
{
	u->time_low = dcerpc_get32(in);
	u->time_mid = dcerpc_get16(in + 4);
	u->time_hi = dcerpc_get16(in + 6);
	memcpy(u->clock_seq, in + 8, 2);
	memcpy(u->node, in + 10, 6);
}

void
dcerpc_syntax_get(const uint8_t in[20], struct dcerpc_syntax *s)
{
	dcerpc_uuid_get(in, &s->uuid);
	s->ver_major = dcerpc_get16(in + 16);
	s->ver_minor = dcerpc_get16(in + 18);
}

void
dcerpc_syntax_put(uint8_t out[20], const struct dcerpc_syntax *s)
{
	dcerpc_uuid_put(out, &s->uuid);
	dcerpc_put16(out + 16, s->ver_major);
	dcerpc_put16(out + 18, s->ver_minor);
}

/* The fixed size of each ptype's header, or 0 for an unknown ptype. */
static size_t
fixed_len(uint8_t ptype, uint8_t flags)
{
	switch (ptype) {
	case DCERPC_PTYPE_REQUEST:
		return DCERPC_REQUEST_HDR_LEN +
		    ((flags & DCERPC_PFC_OBJECT_UUID) ? 16 : 0);
	case DCERPC_PTYPE_RESPONSE:
		return DCERPC_RESPONSE_HDR_LEN;
	case DCERPC_PTYPE_FAULT:
		return DCERPC_FAULT_HDR_LEN;
	case DCERPC_PTYPE_BIND:
	case DCERPC_PTYPE_ALTER_CONTEXT:
		return DCERPC_HDR_LEN + 12;
	case DCERPC_PTYPE_BIND_ACK:
	case DCERPC_PTYPE_ALTER_CONTEXT_RESP:
		return DCERPC_HDR_LEN + 10;
	case DCERPC_PTYPE_BIND_NAK:
		return DCERPC_HDR_LEN + 2;
	case DCERPC_PTYPE_AUTH3:
	case DCERPC_PTYPE_SHUTDOWN:
	case DCERPC_PTYPE_CO_CANCEL:
	case DCERPC_PTYPE_ORPHANED:
		return DCERPC_HDR_LEN;
	default:
		return 0;
	}
}

enum dcerpc_err
dcerpc_hdr_peek(const uint8_t *buf, size_t len, uint16_t max_frag,
    struct dcerpc_hdr *hdr)
{
	size_t need;

	if (len < DCERPC_HDR_LEN)
		return DCERPC_E_TRUNCATED;
	/* C706 12.6.3.1: rpc_vers 5, rpc_vers_minor 0 (1 from DCE 1.1 peers). */
	if (buf[0] != 5 || buf[1] > 1)
		return DCERPC_E_BAD_VERSION;
	/* C706 14.1: drep[0] 0x10 = little-endian, ASCII; drep[1] 0 = IEEE. */
	if (buf[4] != 0x10 || buf[5] != 0)
		return DCERPC_E_BAD_DREP;
	hdr->ptype = buf[2];
	hdr->pfc_flags = buf[3];
	hdr->frag_length = dcerpc_get16(buf + 8);
	hdr->auth_length = dcerpc_get16(buf + 10);
	hdr->call_id = dcerpc_get32(buf + 12);
	need = fixed_len(hdr->ptype, hdr->pfc_flags);
	if (need == 0)
		return DCERPC_E_BAD_PTYPE;
	if (hdr->auth_length > DCERPC_AUTH_VALUE_MAX)
		return DCERPC_E_BAD_AUTH;
	if (hdr->auth_length != 0)
		need += DCERPC_AUTH_TRAILER_LEN + hdr->auth_length;
	if (hdr->frag_length < need || hdr->frag_length > max_frag)
		return DCERPC_E_BAD_LENGTH;
	return DCERPC_OK;
}

/* C706 12.6.3.1: p_cont_list_t of a bind / alter_context, up to end. */
static enum dcerpc_err
decode_bind(const uint8_t *p, size_t off, size_t end, struct dcerpc_pdu *pdu)
{
	size_t i, j;
	uint8_t n;

	pdu->u.bind.max_xmit_frag = dcerpc_get16(p + off);
	pdu->u.bind.max_recv_frag = dcerpc_get16(p + off + 2);
	pdu->u.bind.assoc_group = dcerpc_get32(p + off + 4);
	n = p[off + 8];
	off += 12;
	if (n > DCERPC_MAX_CONTEXTS)
		return DCERPC_E_BAD_BODY;
	if (n == 0 && pdu->hdr.ptype == DCERPC_PTYPE_BIND)
		return DCERPC_E_BAD_BODY;
	pdu->u.bind.n_ctx = n;
	for (i = 0; i < n; i++) {
		struct dcerpc_ctx_elem *c = &pdu->u.bind.ctx[i];

		if (end - off < 24)
			return DCERPC_E_TRUNCATED;
		c->context_id = dcerpc_get16(p + off);
		c->n_transfer = p[off + 2];
		if (c->n_transfer == 0 ||
		    c->n_transfer > DCERPC_MAX_TRANSFER_SYNTAXES)
			return DCERPC_E_BAD_BODY;
		dcerpc_syntax_get(p + off + 4, &c->abstract);
		off += 24;
		if ((end - off) / 20 < c->n_transfer)
			return DCERPC_E_TRUNCATED;
		for (j = 0; j < c->n_transfer; j++, off += 20)
			dcerpc_syntax_get(p + off, &c->transfer[j]);
	}
	/*
	 * Bytes after the last context are ignored: C706 12.6.4.3 places the
	 * verifier by auth_length, not after the list, and Windows accepts
	 * them (impacket's alter_context repeats the context element there).
	 */
	return DCERPC_OK;
}

/* C706 12.6.4.4: bind_ack / alter_context_resp body, up to end. */
static enum dcerpc_err
decode_bind_ack(const uint8_t *p, size_t off, size_t end,
    struct dcerpc_pdu *pdu)
{
	size_t i, alen;
	uint8_t n;

	pdu->u.bind_ack.max_xmit_frag = dcerpc_get16(p + off);
	pdu->u.bind_ack.max_recv_frag = dcerpc_get16(p + off + 2);
	pdu->u.bind_ack.assoc_group = dcerpc_get32(p + off + 4);
	alen = dcerpc_get16(p + off + 8);
	off += 10;
	/* port_any_t: length includes the NUL; printable ASCII before it. */
	if (alen > sizeof(pdu->u.bind_ack.sec_addr) || end - off < alen)
		return DCERPC_E_BAD_BODY;
	pdu->u.bind_ack.sec_addr[0] = '\0';
	if (alen > 0) {
		if (p[off + alen - 1] != '\0')
			return DCERPC_E_BAD_BODY;
		for (i = 0; i + 1 < alen; i++)
			if (p[off + i] < 0x20 || p[off + i] > 0x7e)
				return DCERPC_E_BAD_BODY;
		memcpy(pdu->u.bind_ack.sec_addr, p + off, alen);
	}
	off += alen;
	off = (off + 3) & ~(size_t)3;		/* C706 12.6.4.4: pad2 */
	if (off > end || end - off < 4)
		return DCERPC_E_TRUNCATED;
	n = p[off];
	off += 4;
	if (n > DCERPC_MAX_CONTEXTS)
		return DCERPC_E_BAD_BODY;
	if ((end - off) / 24 < n)
		return DCERPC_E_TRUNCATED;
	pdu->u.bind_ack.n_results = n;
	for (i = 0; i < n; i++, off += 24) {
		struct dcerpc_ctx_result *r = &pdu->u.bind_ack.results[i];

		r->result = dcerpc_get16(p + off);
		r->reason = dcerpc_get16(p + off + 2);
		if (r->result > DCERPC_RESULT_NEGOTIATE_ACK)
			return DCERPC_E_BAD_BODY;
		dcerpc_syntax_get(p + off + 4, &r->transfer);
	}
	if (end - off > 15)
		return DCERPC_E_BAD_BODY;
	return DCERPC_OK;
}

/* The body of a request / response / fault: fields, then the stub. */
static enum dcerpc_err
decode_call(const uint8_t *p, size_t end, size_t pad, struct dcerpc_pdu *pdu)
{
	size_t off = DCERPC_HDR_LEN;

	switch (pdu->hdr.ptype) {
	case DCERPC_PTYPE_REQUEST:
		pdu->u.request.alloc_hint = dcerpc_get32(p + off);
		pdu->u.request.context_id = dcerpc_get16(p + off + 4);
		pdu->u.request.opnum = dcerpc_get16(p + off + 6);
		off += 8;
		pdu->u.request.has_object =
		    (pdu->hdr.pfc_flags & DCERPC_PFC_OBJECT_UUID) != 0;
		if (pdu->u.request.has_object) {
			dcerpc_uuid_get(p + off, &pdu->u.request.object);
			off += 16;
		}
		break;
	case DCERPC_PTYPE_RESPONSE:
		pdu->u.response.alloc_hint = dcerpc_get32(p + off);
		pdu->u.response.context_id = dcerpc_get16(p + off + 4);
		pdu->u.response.cancel_count = p[off + 6];
		off += 8;
		break;
	default:
		pdu->u.fault.alloc_hint = dcerpc_get32(p + off);
		pdu->u.fault.context_id = dcerpc_get16(p + off + 4);
		pdu->u.fault.cancel_count = p[off + 6];
		pdu->u.fault.status = dcerpc_get32(p + off + 8);
		off += 16;
		break;
	}
	/* MS-RPCE 2.2.2.11: auth_pad_length bytes end the stub area. */
	if (pad > end - off)
		return DCERPC_E_BAD_PADDING;
	pdu->stub_off = off;
	pdu->stub_len = end - off - pad;
	return DCERPC_OK;
}

enum dcerpc_err
dcerpc_pdu_decode(const uint8_t *buf, size_t len, struct dcerpc_pdu *pdu)
{
	enum dcerpc_err r;
	size_t end, fixed;

	memset(pdu, 0, sizeof(*pdu));
	if ((r = dcerpc_hdr_peek(buf, len, DCERPC_FRAG_LIMIT, &pdu->hdr)) !=
	    DCERPC_OK)
		return r;
	if (len != pdu->hdr.frag_length)
		return len < pdu->hdr.frag_length ? DCERPC_E_TRUNCATED :
		    DCERPC_E_BAD_LENGTH;
	pdu->raw = buf;
	fixed = fixed_len(pdu->hdr.ptype, pdu->hdr.pfc_flags);
	end = len;
	if (pdu->hdr.auth_length != 0) {
		const uint8_t *t;

		/* MS-RPCE 2.2.2.11: sec_trailer right before auth_value. */
		pdu->has_auth = true;
		pdu->trailer_off = len - pdu->hdr.auth_length -
		    DCERPC_AUTH_TRAILER_LEN;
		/* The trailer is 4-byte aligned (MS-RPCE 2.2.2.11). */
		if (pdu->trailer_off % 4 != 0)
			return DCERPC_E_BAD_AUTH;
		t = buf + pdu->trailer_off;
		pdu->auth.type = t[0];
		pdu->auth.level = t[1];
		pdu->auth.pad_len = t[2];
		pdu->auth.context_id = dcerpc_get32(t + 4);
		pdu->auth.value = t + DCERPC_AUTH_TRAILER_LEN;
		pdu->auth.value_len = pdu->hdr.auth_length;
		if (pdu->auth.level < DCERPC_AUTHN_LEVEL_CONNECT ||
		    pdu->auth.level > DCERPC_AUTHN_LEVEL_PKT_PRIVACY)
			return DCERPC_E_BAD_AUTH;
		end = pdu->trailer_off;
		if (end < fixed)
			return DCERPC_E_BAD_AUTH;
	}
	switch (pdu->hdr.ptype) {
	case DCERPC_PTYPE_REQUEST:
	case DCERPC_PTYPE_RESPONSE:
	case DCERPC_PTYPE_FAULT:
		return decode_call(buf, end, pdu->has_auth ? pdu->auth.pad_len : 0,
		    pdu);
	case DCERPC_PTYPE_BIND:
	case DCERPC_PTYPE_ALTER_CONTEXT:
		return decode_bind(buf, DCERPC_HDR_LEN, end, pdu);
	case DCERPC_PTYPE_BIND_ACK:
	case DCERPC_PTYPE_ALTER_CONTEXT_RESP:
		return decode_bind_ack(buf, DCERPC_HDR_LEN, end, pdu);
	case DCERPC_PTYPE_BIND_NAK:
		pdu->u.bind_nak.reason = dcerpc_get16(buf + DCERPC_HDR_LEN);
		return DCERPC_OK;
	case DCERPC_PTYPE_AUTH3:
		/* MS-RPCE 2.2.2.10: 4 bytes of padding before the trailer. */
		if (!pdu->has_auth || end - DCERPC_HDR_LEN > 4)
			return DCERPC_E_BAD_BODY;
		return DCERPC_OK;
	default:	/* shutdown, co_cancel, orphaned: header only */
		return DCERPC_OK;
	}
}
