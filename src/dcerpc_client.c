/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The client side of an association (C706 12.6.4, MS-RPCE 3.3.1.5.2):
 * bind (with the first security token), the remaining legs by auth3 or
 * alter_context, then calls: verification trailer, fragments, sealing,
 * reassembly of the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc_conn.h"

static enum dcerpc_err
fail(struct dcerpc_conn *conn, enum dcerpc_err r, const char *what)
{
	if (conn->error[0] == '\0')
		snprintf(conn->error, sizeof(conn->error), "%s: %s", what,
		    dcerpc_strerror(r));
	return r;
}

/* Security failures carry the mechanism's words. */
static enum dcerpc_err
sec_fail(struct dcerpc_conn *conn, struct dcerpc_sec *sec, enum dcerpc_err r)
{
	snprintf(conn->error, sizeof(conn->error), "%s",
	    sec->error[0] != '\0' ? sec->error : dcerpc_strerror(r));
	return r;
}

/* C706 12.6.4.5 / MS-RPCE 2.2.2.5: what a bind_nak's reason tells an admin. */
static const char *
nak_words(uint16_t reason)
{
	switch (reason) {
	case DCERPC_BIND_NAK_PROTOCOL_VERSION_NOT_SUPPORTED:
		return ": protocol version not supported";
	case DCERPC_BIND_NAK_INVALID_AUTH_TYPE:
		return ": authentication type not accepted";
	case DCERPC_BIND_NAK_INVALID_CHECKSUM:
		return ": our Kerberos ticket was not accepted (a service "
		    "principal the server has no key for, clocks too far "
		    "apart, or an expired ticket)";
	default:
		return "";
	}
}

/* Checks a bind_ack / alter_context_resp accepted our one context. */
static enum dcerpc_err
check_ack(struct dcerpc_conn *conn, const struct dcerpc_pdu *p)
{
	const struct dcerpc_ctx_result *res = &p->u.bind_ack.results[0];

	if (p->u.bind_ack.n_results < 1)
		return fail(conn, DCERPC_E_BAD_BODY, "bind_ack");
	if (res->result != DCERPC_RESULT_ACCEPTANCE) {
		snprintf(conn->error, sizeof(conn->error),
		    "the server rejected the interface (result %u, reason %u)",
		    (unsigned)res->result, (unsigned)res->reason);
		return DCERPC_E_BIND_REJECTED;
	}
	if (!dcerpc_syntax_equal(&res->transfer, &dcerpc_syntax_ndr))
		return fail(conn, DCERPC_E_BIND_REJECTED, "transfer syntax");
	return DCERPC_OK;
}

/* Sends bind or alter_context with token (NULL: none). */
static enum dcerpc_err
send_bind(struct dcerpc_conn *conn, uint8_t ptype, uint32_t call_id,
    struct dcerpc_sec *sec, const uint8_t *tok, size_t tok_len)
{
	uint8_t out[DCERPC_FRAG_LIMIT];
	struct dcerpc_ctx_elem c;
	struct dcerpc_auth_out a;
	enum dcerpc_err r;
	size_t len;

	memset(&c, 0, sizeof(c));
	c.context_id = conn->context_id;
	c.abstract = conn->abstract;
	c.n_transfer = 1;
	c.transfer[0] = dcerpc_syntax_ndr;
	if (sec != NULL) {
		a.type = sec->auth_type;
		a.level = sec->auth_level;
		a.context_id = sec->auth_context_id;
		a.value = tok;
		a.value_len = tok_len;
	}
	r = dcerpc_build_bind(out, sizeof(out), &len, ptype,
	    DCERPC_PFC_FIRST_FRAG | DCERPC_PFC_LAST_FRAG |
	    (sec != NULL ? DCERPC_PFC_SUPPORT_HEADER_SIGN : 0), call_id,
	    DCERPC_FRAG_DEFAULT, DCERPC_FRAG_DEFAULT, conn->assoc_group, &c, 1,
	    sec != NULL && tok_len > 0 ? &a : NULL);
	if (r != DCERPC_OK)
		return fail(conn, r, "building the bind");
	return dcerpc_conn_write(conn, out, len);
}

/* Reads the answer to a bind / alter_context. */
static enum dcerpc_err
read_ack(struct dcerpc_conn *conn, uint8_t want, uint32_t call_id,
    struct dcerpc_pdu *p)
{
	enum dcerpc_err r;
	size_t len;

	if ((r = dcerpc_conn_read(conn, p, &len)) != DCERPC_OK)
		return fail(conn, r, "reading the bind answer");
	if (p->hdr.ptype == DCERPC_PTYPE_BIND_NAK) {
		snprintf(conn->error, sizeof(conn->error),
		    "the server refused the bind (bind_nak, reason %u%s)",
		    (unsigned)p->u.bind_nak.reason,
		    nak_words(p->u.bind_nak.reason));
		return DCERPC_E_BIND_NAK;
	}
	if (p->hdr.ptype == DCERPC_PTYPE_FAULT) {
		snprintf(conn->error, sizeof(conn->error),
		    "the server answered the bind with fault 0x%08x",
		    (unsigned)p->u.fault.status);
		return DCERPC_E_FAULT;
	}
	if (p->hdr.ptype != want || p->hdr.call_id != call_id)
		return fail(conn, DCERPC_E_UNEXPECTED, "bind answer");
	return check_ack(conn, p);
}

enum dcerpc_err
dcerpc_client_bind(struct dcerpc_conn *conn,
    const struct dcerpc_syntax *abstract, struct dcerpc_sec *sec)
{
	uint8_t *tok = NULL, out[DCERPC_FRAG_LIMIT];
	size_t tok_len = 0, len;
	struct dcerpc_pdu p;
	enum dcerpc_err r;
	uint32_t call_id = conn->next_call_id++;
	bool first = true;

	conn->abstract = *abstract;
	conn->context_id = 0;
	conn->sec = NULL;
	if (sec != NULL && (r = dcerpc_sec_step(sec, NULL, 0, &tok,
	    &tok_len)) != DCERPC_OK)
		return sec_fail(conn, sec, r);
	if (sec != NULL && tok_len == 0) {
		r = fail(conn, DCERPC_E_SEC_CONTEXT, "no first security token");
		goto done;
	}
	if ((r = send_bind(conn, DCERPC_PTYPE_BIND, call_id, sec, tok,
	    tok_len)) != DCERPC_OK)
		goto done;
	for (;;) {
		if ((r = read_ack(conn, first ? DCERPC_PTYPE_BIND_ACK :
		    DCERPC_PTYPE_ALTER_CONTEXT_RESP, call_id, &p)) != DCERPC_OK)
			goto done;
		if (first) {
			/* C706 12.6.4.4: they receive max_recv, send max_xmit */
			conn->max_xmit_frag = p.u.bind_ack.max_recv_frag;
			conn->max_recv_frag = p.u.bind_ack.max_xmit_frag <
			    DCERPC_FRAG_DEFAULT ? p.u.bind_ack.max_xmit_frag :
			    DCERPC_FRAG_DEFAULT;
			conn->assoc_group = p.u.bind_ack.assoc_group;
			if (conn->max_xmit_frag < DCERPC_FRAG_MIN ||
			    conn->max_recv_frag < DCERPC_FRAG_MIN) {
				r = fail(conn, DCERPC_E_BAD_BODY,
				    "fragment sizes below 1432");
				goto done;
			}
			if (sec != NULL)
				sec->header_sign = (p.hdr.pfc_flags &
				    DCERPC_PFC_SUPPORT_HEADER_SIGN) != 0;
			first = false;
		}
		if (sec == NULL)
			break;
		free(tok);
		tok = NULL;
		tok_len = 0;
		if (sec->complete && !p.has_auth)
			break;
		if (!p.has_auth || p.auth.type != sec->auth_type) {
			r = fail(conn, DCERPC_E_BAD_AUTH, "bind answer");
			goto done;
		}
		if ((r = dcerpc_sec_step(sec, p.auth.value, p.auth.value_len,
		    &tok, &tok_len)) != DCERPC_OK) {
			r = sec_fail(conn, sec, r);
			goto done;
		}
		if (tok_len == 0) {
			if (sec->complete)
				break;
			r = fail(conn, DCERPC_E_SEC_CONTEXT,
			    "the security exchange stalled");
			goto done;
		}
		if (sec->complete) {
			/* MS-RPCE 3.3.1.5.2.1: the last leg, no answer */
			struct dcerpc_auth_out a = { sec->auth_type,
			    sec->auth_level, sec->auth_context_id, tok, tok_len };

			if ((r = dcerpc_build_auth3(out, sizeof(out), &len,
			    call_id, &a)) != DCERPC_OK ||
			    (r = dcerpc_conn_write(conn, out, len)) !=
			    DCERPC_OK)
				goto done;
			break;
		}
		if ((r = send_bind(conn, DCERPC_PTYPE_ALTER_CONTEXT, call_id,
		    sec, tok, tok_len)) != DCERPC_OK)
			goto done;
	}
	conn->sec = sec;
	r = DCERPC_OK;
done:
	free(tok);
	return r;
}

/* Request stub + verification trailer (MS-RPCE 2.2.2.13), malloc'd. */
static enum dcerpc_err
with_trailer(struct dcerpc_conn *conn, uint32_t call_id, uint16_t opnum,
    const uint8_t *stub, size_t stub_len, uint8_t **out, size_t *out_len)
{
	struct dcerpc_vt vt;
	size_t cap = stub_len + 3 + DCERPC_VT_SIGNATURE_LEN + 8 + 44 + 20;
	enum dcerpc_err r;

	if (stub_len > DCERPC_STUB_MAX || (*out = malloc(cap)) == NULL)
		return DCERPC_E_NOMEM;
	if (stub_len > 0)
		memcpy(*out, stub, stub_len);
	if (conn->sec == NULL ||
	    conn->sec->auth_level != DCERPC_AUTHN_LEVEL_PKT_PRIVACY) {
		*out_len = stub_len;
		return DCERPC_OK;
	}
	memset(&vt, 0, sizeof(vt));
	vt.has_bitmask1 = true;
	vt.bitmask1 = conn->sec->header_sign ?
	    DCERPC_VT_CLIENT_SUPPORTS_HEADER_SIGNING : 0;
	vt.has_pcontext = true;
	vt.abstract = conn->abstract;
	vt.transfer = dcerpc_syntax_ndr;
	vt.has_header2 = true;
	vt.ptype = DCERPC_PTYPE_REQUEST;
	vt.drep[0] = 0x10;
	vt.call_id = call_id;
	vt.context_id = conn->context_id;
	vt.opnum = opnum;
	if ((r = dcerpc_vt_append(*out, cap, stub_len, out_len, &vt)) !=
	    DCERPC_OK) {
		free(*out);
		*out = NULL;
	}
	return r;
}

enum dcerpc_err
dcerpc_send_call(struct dcerpc_conn *conn, uint8_t ptype, uint32_t call_id,
    uint16_t opnum, const uint8_t *stub, size_t stub_len)
{
	uint8_t out[DCERPC_FRAG_LIMIT];
	struct dcerpc_sec *sec = conn->sec;
	bool sealed = sec != NULL &&
	    sec->auth_level == DCERPC_AUTHN_LEVEL_PKT_PRIVACY;
	struct dcerpc_call_frag f;
	struct dcerpc_auth_out a;
	size_t off = 0, tok = 0, room, len;
	enum dcerpc_err r;

	if (sealed && (r = dcerpc_sec_token_len(sec, conn->max_xmit_frag,
	    &tok)) != DCERPC_OK)
		return sec_fail(conn, sec, r);
	room = dcerpc_frag_stub_room(conn->max_xmit_frag, ptype, false, tok);
	if (room == 0)
		return fail(conn, DCERPC_E_ARG, "fragment size");
	memset(&f, 0, sizeof(f));
	f.ptype = ptype;
	f.call_id = call_id;
	f.context_id = conn->context_id;
	f.opnum = opnum;
	do {
		size_t n = stub_len - off < room ? stub_len - off : room;

		f.pfc_flags = (uint8_t)((off == 0 ? DCERPC_PFC_FIRST_FRAG : 0) |
		    (off + n == stub_len ? DCERPC_PFC_LAST_FRAG : 0));
		f.alloc_hint = (uint32_t)(stub_len - off);
		f.stub = stub + off;
		f.stub_len = n;
		if (sealed) {
			size_t data = (n + 15) & ~(size_t)15;

			if ((r = dcerpc_sec_token_len(sec, data, &tok)) !=
			    DCERPC_OK)
				return sec_fail(conn, sec, r);
			a.type = sec->auth_type;
			a.level = sec->auth_level;
			a.context_id = sec->auth_context_id;
			a.value = NULL;
			a.value_len = tok;
		}
		if ((r = dcerpc_build_call(out, sizeof(out), &len, &f,
		    sealed ? &a : NULL)) != DCERPC_OK)
			return fail(conn, r, "building a fragment");
		/* a token that grew with the data must not break the size */
		if (len > conn->max_xmit_frag)
			return fail(conn, DCERPC_E_INTERNAL, "fragment size");
		if (sealed && (r = dcerpc_seal_pdu(sec, out, len)) != DCERPC_OK)
			return sec_fail(conn, sec, r);
		if ((r = dcerpc_conn_write(conn, out, len)) != DCERPC_OK)
			return fail(conn, r, "sending");
		off += n;
	} while (off < stub_len);
	return DCERPC_OK;
}

enum dcerpc_err
dcerpc_recv_call(struct dcerpc_conn *conn, uint8_t ptype, uint32_t call_id,
    struct dcerpc_reasm *ra, struct dcerpc_pdu *first, uint32_t *fault)
{
	struct dcerpc_sec *sec = conn->sec;
	bool sealed = sec != NULL &&
	    sec->auth_level == DCERPC_AUTHN_LEVEL_PKT_PRIVACY;
	struct dcerpc_pdu p;
	enum dcerpc_err r;
	size_t len;

	while (!ra->done) {
		if ((r = dcerpc_conn_read(conn, &p, &len)) != DCERPC_OK)
			return fail(conn, r, "reading the answer");
		if (p.hdr.ptype == DCERPC_PTYPE_FAULT &&
		    ptype == DCERPC_PTYPE_RESPONSE && p.hdr.call_id == call_id) {
			*fault = p.u.fault.status;
			snprintf(conn->error, sizeof(conn->error),
			    "the server answered with fault 0x%08x",
			    (unsigned)p.u.fault.status);
			return DCERPC_E_FAULT;
		}
		if (p.hdr.ptype != ptype || (call_id != 0 &&
		    p.hdr.call_id != call_id))
			return fail(conn, DCERPC_E_UNEXPECTED, "answer");
		if (sealed) {
			if ((r = dcerpc_unseal_pdu(sec, conn->buf, len, &p)) !=
			    DCERPC_OK)
				return sec_fail(conn, sec, r);
		} else if (p.has_auth && p.auth.level >=
		    DCERPC_AUTHN_LEVEL_PKT_INTEGRITY) {
			/* signed or sealed, but we have no context for it */
			return fail(conn, DCERPC_E_SEC_LEVEL, "answer");
		}
		if (!ra->started && first != NULL)
			*first = p;
		if ((r = dcerpc_reasm_add(ra, &p, conn->buf + p.stub_off,
		    p.stub_len)) != DCERPC_OK)
			return fail(conn, r, "reassembling");
	}
	return DCERPC_OK;
}

enum dcerpc_err
dcerpc_client_call(struct dcerpc_conn *conn, uint16_t opnum,
    const uint8_t *stub, size_t stub_len, size_t max_resp, uint8_t **resp,
    size_t *resp_len, uint32_t *fault_status)
{
	uint32_t call_id = conn->next_call_id++;
	struct dcerpc_reasm ra;
	uint8_t *full = NULL;
	size_t full_len;
	enum dcerpc_err r;

	*resp = NULL;
	*resp_len = 0;
	*fault_status = 0;
	conn->error[0] = '\0';
	dcerpc_reasm_init(&ra, max_resp);
	if ((r = with_trailer(conn, call_id, opnum, stub, stub_len, &full,
	    &full_len)) != DCERPC_OK) {
		fail(conn, r, "verification trailer");
		goto done;
	}
	if ((r = dcerpc_send_call(conn, DCERPC_PTYPE_REQUEST, call_id, opnum,
	    full, full_len)) != DCERPC_OK)
		goto done;
	if ((r = dcerpc_recv_call(conn, DCERPC_PTYPE_RESPONSE, call_id, &ra,
	    NULL, fault_status)) != DCERPC_OK)
		goto done;
	*resp = ra.data;
	*resp_len = ra.len;
	ra.data = NULL;
done:
	free(full);
	dcerpc_reasm_free(&ra);
	return r;
}
