/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The server side of an association (C706 12.6.4, MS-RPCE 3.3.1.5.2 and
 * 3.3.3): binds and alter_contexts with the security legs (acceptor), auth3,
 * requests reassembled and unsealed, the verification trailer checked and
 * cut off, the interface's handler called, the answer fragmented and
 * sealed. Used by the stand-in CA and its endpoint mapper in the tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcerpc_conn.h"

struct bound_ctx {
	uint16_t id;
	const struct dcerpc_server_iface *iface;
};

struct srv {
	struct dcerpc_conn *conn;
	const struct dcerpc_server_params *p;
	struct bound_ctx ctx[DCERPC_MAX_CONTEXTS];
	size_t n_ctx;
	struct dcerpc_sec *sec;
	uint8_t level;		/* the bind's auth level; 0: none */
	bool bound;
};

static enum dcerpc_err
send_fault(struct srv *s, uint32_t call_id, uint16_t ctx, uint32_t status)
{
	uint8_t out[DCERPC_FAULT_HDR_LEN];
	size_t len;

	if (dcerpc_build_fault(out, sizeof(out), &len, call_id, ctx, status,
	    DCERPC_PFC_DID_NOT_EXECUTE) != DCERPC_OK)
		return DCERPC_E_INTERNAL;
	return dcerpc_conn_write(s->conn, out, len);
}

static enum dcerpc_err
send_nak(struct srv *s, uint32_t call_id, uint16_t reason)
{
	uint8_t out[64];
	size_t len;

	if (dcerpc_build_bind_nak(out, sizeof(out), &len, call_id, reason) !=
	    DCERPC_OK)
		return DCERPC_E_INTERNAL;
	return dcerpc_conn_write(s->conn, out, len);
}

static const struct dcerpc_server_iface *
find_iface(struct srv *s, const struct dcerpc_ctx_elem *c)
{
	size_t i, j;

	for (i = 0; i < s->p->n_ifaces; i++) {
		if (!dcerpc_syntax_equal(&c->abstract, &s->p->ifaces[i].abstract))
			continue;
		for (j = 0; j < c->n_transfer; j++)
			if (dcerpc_syntax_equal(&c->transfer[j],
			    &dcerpc_syntax_ndr))
				return &s->p->ifaces[i];
	}
	return NULL;
}

/* C706 12.6.4.4: a result per presented context; NDR 2.0 only. */
static void
results_for(struct srv *s, const struct dcerpc_pdu *p,
    struct dcerpc_ctx_result *res)
{
	size_t i, j;

	for (i = 0; i < p->u.bind.n_ctx; i++) {
		const struct dcerpc_ctx_elem *c = &p->u.bind.ctx[i];
		const struct dcerpc_server_iface *f = find_iface(s, c);
		bool known = false;

		memset(&res[i], 0, sizeof(res[i]));
		if (f != NULL) {
			res[i].result = DCERPC_RESULT_ACCEPTANCE;
			res[i].transfer = dcerpc_syntax_ndr;
			for (j = 0; j < s->n_ctx; j++)
				if (s->ctx[j].id == c->context_id) {
					s->ctx[j].iface = f;
					known = true;
				}
			if (!known && s->n_ctx < DCERPC_MAX_CONTEXTS) {
				s->ctx[s->n_ctx].id = c->context_id;
				s->ctx[s->n_ctx++].iface = f;
			}
			continue;
		}
		res[i].result = DCERPC_RESULT_PROVIDER_REJECTION;
		res[i].reason = DCERPC_REASON_ABSTRACT_NOT_SUPPORTED;
		for (j = 0; j < s->p->n_ifaces; j++)
			if (dcerpc_syntax_equal(&c->abstract,
			    &s->p->ifaces[j].abstract))
				res[i].reason =
				    DCERPC_REASON_TRANSFER_NOT_SUPPORTED;
	}
}

/* One security leg carried by a bind, alter_context or auth3. */
static enum dcerpc_err
sec_leg(struct srv *s, const struct dcerpc_pdu *p, uint8_t **tok,
    size_t *tok_len)
{
	enum dcerpc_err r;

	*tok = NULL;
	*tok_len = 0;
	if (p->auth.type != s->sec->auth_type ||
	    p->auth.context_id != s->sec->auth_context_id ||
	    p->auth.level != s->level) {
		snprintf(s->conn->error, sizeof(s->conn->error),
		    "security leg with another auth type, level or context");
		return DCERPC_E_BAD_AUTH;
	}
	if (s->sec->complete) {
		snprintf(s->conn->error, sizeof(s->conn->error),
		    "security leg after the context was established");
		return DCERPC_E_UNEXPECTED;
	}
	if ((r = dcerpc_sec_step(s->sec, p->auth.value, p->auth.value_len,
	    tok, tok_len)) != DCERPC_OK) {
		snprintf(s->conn->error, sizeof(s->conn->error), "%s",
		    s->sec->error[0] ? s->sec->error : dcerpc_strerror(r));
		return r;
	}
	if (s->sec->complete && s->level == DCERPC_AUTHN_LEVEL_PKT_PRIVACY)
		s->conn->sec = s->sec;
	return DCERPC_OK;
}

static enum dcerpc_err
on_bind(struct srv *s, const struct dcerpc_pdu *p)
{
	struct dcerpc_ctx_result res[DCERPC_MAX_CONTEXTS];
	uint8_t out[DCERPC_FRAG_LIMIT], *tok = NULL;
	struct dcerpc_auth_out a;
	size_t tok_len = 0, len;
	uint8_t flags = DCERPC_PFC_FIRST_FRAG | DCERPC_PFC_LAST_FRAG;
	enum dcerpc_err r;
	bool bind = p->hdr.ptype == DCERPC_PTYPE_BIND;
	uint32_t group = p->u.bind.assoc_group;

	if (bind == s->bound) {
		snprintf(s->conn->error, sizeof(s->conn->error), "%s",
		    bind ? "a second bind" : "alter_context before bind");
		send_nak(s, p->hdr.call_id, DCERPC_BIND_NAK_REASON_NOT_SPECIFIED);
		return DCERPC_E_UNEXPECTED;
	}
	if (bind) {
		/* C706 12.6.4.3: fragment sizes, at least 1432 */
		if (p->u.bind.max_xmit_frag < DCERPC_FRAG_MIN ||
		    p->u.bind.max_recv_frag < DCERPC_FRAG_MIN) {
			snprintf(s->conn->error, sizeof(s->conn->error),
			    "fragment sizes below 1432");
			send_nak(s, p->hdr.call_id,
			    DCERPC_BIND_NAK_REASON_NOT_SPECIFIED);
			return DCERPC_E_BAD_BODY;
		}
		s->conn->max_xmit_frag = p->u.bind.max_recv_frag <
		    DCERPC_FRAG_DEFAULT ? p->u.bind.max_recv_frag :
		    DCERPC_FRAG_DEFAULT;
		s->conn->max_recv_frag = p->u.bind.max_xmit_frag <
		    DCERPC_FRAG_DEFAULT ? p->u.bind.max_xmit_frag :
		    DCERPC_FRAG_DEFAULT;
		if (group == 0)
			group = 0x10000u | ((uint32_t)getpid() & 0xffffu);
		s->conn->assoc_group = group;
		if (p->has_auth) {
			struct dcerpc_gss_params gp;
			char err[256];

			if (s->p->gss == NULL ||
			    (p->auth.type != DCERPC_AUTHN_GSS_KERBEROS &&
			    p->auth.type != DCERPC_AUTHN_GSS_NEGOTIATE)) {
				snprintf(s->conn->error, sizeof(s->conn->error),
				    "auth type %u not offered",
				    (unsigned)p->auth.type);
				send_nak(s, p->hdr.call_id,
				    DCERPC_BIND_NAK_INVALID_AUTH_TYPE);
				return DCERPC_E_BAD_AUTH;
			}
			gp = *s->p->gss;
			gp.acceptor = true;
			gp.auth_type = p->auth.type;
			if ((r = dcerpc_gss_new(&gp, &s->sec, err,
			    sizeof(err))) != DCERPC_OK) {
				snprintf(s->conn->error, sizeof(s->conn->error),
				    "%s", err);
				send_nak(s, p->hdr.call_id,
				    DCERPC_BIND_NAK_REASON_NOT_SPECIFIED);
				return r;
			}
			s->sec->auth_context_id = p->auth.context_id;
			s->sec->auth_level = p->auth.level;
			s->level = p->auth.level;
			/* MS-RPCE 3.3.1.5.2.1: header signing if offered */
			if (p->hdr.pfc_flags & DCERPC_PFC_SUPPORT_HEADER_SIGN) {
				s->sec->header_sign = true;
				flags |= DCERPC_PFC_SUPPORT_HEADER_SIGN;
			}
		}
	}
	if (p->has_auth) {
		if (s->sec == NULL) {
			snprintf(s->conn->error, sizeof(s->conn->error),
			    "security leg on an unauthenticated association");
			send_nak(s, p->hdr.call_id,
			    DCERPC_BIND_NAK_INVALID_AUTH_TYPE);
			return DCERPC_E_BAD_AUTH;
		}
		if ((r = sec_leg(s, p, &tok, &tok_len)) != DCERPC_OK) {
			send_nak(s, p->hdr.call_id,
			    DCERPC_BIND_NAK_INVALID_CHECKSUM);
			return r;
		}
		if (s->sec->header_sign)
			flags |= DCERPC_PFC_SUPPORT_HEADER_SIGN;
	}
	results_for(s, p, res);
	if (s->sec != NULL) {
		a.type = s->sec->auth_type;
		a.level = s->level;
		a.context_id = s->sec->auth_context_id;
		a.value = tok;
		a.value_len = tok_len;
	}
	r = dcerpc_build_bind_ack(out, sizeof(out), &len, bind ?
	    DCERPC_PTYPE_BIND_ACK : DCERPC_PTYPE_ALTER_CONTEXT_RESP, flags,
	    p->hdr.call_id, s->conn->max_xmit_frag, s->conn->max_recv_frag,
	    s->conn->assoc_group, bind ? s->p->sec_addr : NULL, res,
	    p->u.bind.n_ctx, tok_len > 0 ? &a : NULL);
	free(tok);
	if (r != DCERPC_OK)
		return r;
	s->bound = true;
	return dcerpc_conn_write(s->conn, out, len);
}

static const struct dcerpc_server_iface *
iface_of(struct srv *s, uint16_t ctx_id)
{
	size_t i;

	for (i = 0; i < s->n_ctx; i++)
		if (s->ctx[i].id == ctx_id)
			return s->ctx[i].iface;
	return NULL;
}

/* MS-RPCE 3.3.3.2: the trailer must repeat this call's header and context. */
static bool
vt_matches(const struct dcerpc_vt *vt, const struct dcerpc_pdu *first,
    const struct dcerpc_server_iface *f)
{
	if (vt->has_header2 && (vt->ptype != DCERPC_PTYPE_REQUEST ||
	    vt->drep[0] != 0x10 || vt->call_id != first->hdr.call_id ||
	    vt->context_id != first->u.request.context_id ||
	    vt->opnum != first->u.request.opnum))
		return false;
	if (vt->has_pcontext && (!dcerpc_syntax_equal(&vt->abstract,
	    &f->abstract) || !dcerpc_syntax_equal(&vt->transfer,
	    &dcerpc_syntax_ndr)))
		return false;
	return true;
}

static enum dcerpc_err
on_request(struct srv *s, const struct dcerpc_pdu *pdu, size_t len)
{
	struct dcerpc_call_info info;
	const struct dcerpc_server_iface *f;
	struct dcerpc_pdu first = *pdu;
	struct dcerpc_reasm ra;
	struct dcerpc_vt vt;
	uint8_t *out = NULL;
	size_t out_len = 0, vt_off;
	uint32_t fault = 0, call_id = pdu->hdr.call_id;
	enum dcerpc_err r;
	bool sealed = s->conn->sec != NULL;

	dcerpc_reasm_init(&ra, s->p->max_stub);
	if (!s->bound || (s->sec != NULL && !s->sec->complete)) {
		snprintf(s->conn->error, sizeof(s->conn->error),
		    "request before the association was ready");
		send_fault(s, call_id, 0, DCERPC_NCA_S_PROTO_ERROR);
		return DCERPC_E_UNEXPECTED;
	}
	/* the first fragment is in conn->buf already */
	if (sealed) {
		if ((r = dcerpc_unseal_pdu(s->conn->sec, s->conn->buf, len,
		    &first)) != DCERPC_OK)
			goto sec_failed;
	} else if (pdu->has_auth &&
	    pdu->auth.level >= DCERPC_AUTHN_LEVEL_PKT_INTEGRITY) {
		r = DCERPC_E_SEC_LEVEL;
		goto sec_failed;
	}
	if ((r = dcerpc_reasm_add(&ra, &first, s->conn->buf + first.stub_off,
	    first.stub_len)) != DCERPC_OK)
		goto proto;
	if (!ra.done && (r = dcerpc_recv_call(s->conn, DCERPC_PTYPE_REQUEST,
	    call_id, &ra, NULL, &fault)) != DCERPC_OK)
		goto done;
	if ((f = iface_of(s, first.u.request.context_id)) == NULL) {
		send_fault(s, call_id, first.u.request.context_id,
		    DCERPC_NCA_S_UNKNOWN_IF);
		r = DCERPC_OK;
		goto done;
	}
	/* MS-RPCE 2.2.2.13 / 3.3.3.2: verification trailer when sealed */
	vt_off = ra.len;
	if (sealed) {
		if ((r = dcerpc_vt_find(ra.data, ra.len, &vt, &vt_off)) !=
		    DCERPC_OK || !vt_matches(&vt, &first, f)) {
			snprintf(s->conn->error, sizeof(s->conn->error),
			    "verification trailer does not match the call");
			send_fault(s, call_id, first.u.request.context_id,
			    DCERPC_NCA_S_FAULT_ACCESS_DENIED);
			r = DCERPC_E_BAD_TRAILER;
			goto done;
		}
	}
	memset(&info, 0, sizeof(info));
	info.opnum = first.u.request.opnum;
	info.context_id = first.u.request.context_id;
	info.abstract = &f->abstract;
	info.auth_level = s->sec != NULL ? s->level : 0;
	info.peer_name = s->sec != NULL ? dcerpc_sec_peer_name(s->sec) : NULL;
	r = f->call(f->arg, &info, ra.data, vt_off, &out, &out_len, &fault);
	s->conn->context_id = info.context_id;
	if (r == DCERPC_OK)
		r = dcerpc_send_call(s->conn, DCERPC_PTYPE_RESPONSE, call_id, 0,
		    out, out_len);
	else
		r = send_fault(s, call_id, info.context_id, r == DCERPC_E_FAULT ?
		    fault : r == DCERPC_E_BAD_NDR ? DCERPC_NCA_S_FAULT_NDR :
		    DCERPC_NCA_S_FAULT_REMOTE_NO_MEMORY);
	goto done;
sec_failed:
	snprintf(s->conn->error, sizeof(s->conn->error), "request: %.200s",
	    s->conn->sec != NULL && s->conn->sec->error[0] ?
	    s->conn->sec->error : dcerpc_strerror(r));
	send_fault(s, call_id, pdu->u.request.context_id,
	    DCERPC_NCA_S_FAULT_ACCESS_DENIED);
	goto done;
proto:
	snprintf(s->conn->error, sizeof(s->conn->error), "request: %s",
	    dcerpc_strerror(r));
	send_fault(s, call_id, pdu->u.request.context_id,
	    DCERPC_NCA_S_PROTO_ERROR);
done:
	free(out);
	dcerpc_reasm_free(&ra);
	return r;
}

enum dcerpc_err
dcerpc_serve(struct dcerpc_conn *conn, const struct dcerpc_server_params *p)
{
	struct dcerpc_pdu pdu;
	enum dcerpc_err r;
	struct srv s;
	size_t len;

	memset(&s, 0, sizeof(s));
	s.conn = conn;
	s.p = p;
	conn->sec = NULL;
	conn->max_recv_frag = DCERPC_FRAG_LIMIT;	/* until the bind */
	for (;;) {
		uint8_t *tok;
		size_t tok_len;

		conn->error[0] = '\0';
		if ((r = dcerpc_conn_read(conn, &pdu, &len)) != DCERPC_OK) {
			if (r == DCERPC_E_CLOSED)
				r = DCERPC_OK;
			break;
		}
		switch (pdu.hdr.ptype) {
		case DCERPC_PTYPE_BIND:
		case DCERPC_PTYPE_ALTER_CONTEXT:
			r = on_bind(&s, &pdu);
			break;
		case DCERPC_PTYPE_AUTH3:
			/* MS-RPCE 2.2.2.10: the last leg; no answer */
			if (s.sec == NULL) {
				r = DCERPC_E_UNEXPECTED;
				break;
			}
			r = sec_leg(&s, &pdu, &tok, &tok_len);
			free(tok);
			break;
		case DCERPC_PTYPE_REQUEST:
			r = on_request(&s, &pdu, len);
			break;
		case DCERPC_PTYPE_CO_CANCEL:
		case DCERPC_PTYPE_ORPHANED:
		case DCERPC_PTYPE_SHUTDOWN:
			r = DCERPC_OK;
			break;
		default:
			snprintf(conn->error, sizeof(conn->error),
			    "unexpected packet type %u", (unsigned)pdu.hdr.ptype);
			r = DCERPC_E_BAD_PTYPE;
			break;
		}
		if (r != DCERPC_OK)
			break;
	}
	if (conn->error[0] == '\0' && r != DCERPC_OK)
		snprintf(conn->error, sizeof(conn->error), "%s",
		    dcerpc_strerror(r));
	conn->sec = NULL;
	dcerpc_sec_free(s.sec);
	return r;
}
