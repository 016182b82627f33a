/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The GSS-API backend of DCE/RPC packet privacy (MS-RPCE 3.3.1.5.2), on MIT
 * Kerberos: contexts established with GSS_C_DCE_STYLE (the three-leg
 * Kerberos exchange of MS-KILE 3.2.5.2 / 3.4.5.1: AP-REQ, AP-REP, AP-REP),
 * as krb5 (auth type 16) or SPNEGO limited to krb5 (auth type 9, RFC 4178);
 * PDUs sealed with gss_wrap_iov and opened with gss_unwrap_iov, the token in
 * one HEADER buffer (DCE style has no separate trailer: RFC 4121 4.2.5 RRC).
 * Kerberos only: NTLM cannot seal with Debian's gss-ntlmssp, and SPNEGO is
 * told never to offer it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "dcerpc_sec.h"
#include "dcerpc_spnego.h"

struct gss {
	gss_ctx_id_t ctx;
	gss_cred_id_t cred;
	gss_name_t target;
	gss_OID mech;
	bool acceptor;
	char *peer;
};

static gss_OID_desc spnego_oid = { 6, (void *)"\x2b\x06\x01\x05\x05\x02" };

/* Words for a GSS failure, major then minor (no secrets in either). */
static void
gss_words(struct dcerpc_sec *sec, const char *what, OM_uint32 maj,
    OM_uint32 min, gss_OID mech)
{
	OM_uint32 m, ctx = 0;
	gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
	size_t off;

	off = (size_t)snprintf(sec->error, sizeof(sec->error), "%s: ", what);
	if (off >= sizeof(sec->error))
		return;
	if (GSS_ERROR(maj) && gss_display_status(&m, maj, GSS_C_GSS_CODE,
	    GSS_C_NO_OID, &ctx, &b) == GSS_S_COMPLETE) {
		off += (size_t)snprintf(sec->error + off,
		    sizeof(sec->error) - off, "%.*s", (int)b.length,
		    (const char *)b.value);
		gss_release_buffer(&m, &b);
	}
	ctx = 0;
	if (min != 0 && off < sizeof(sec->error) &&
	    gss_display_status(&m, min, GSS_C_MECH_CODE, mech, &ctx, &b) ==
	    GSS_S_COMPLETE) {
		snprintf(sec->error + off, sizeof(sec->error) - off, " (%.*s)",
		    (int)b.length, (const char *)b.value);
		gss_release_buffer(&m, &b);
	}
}

/* Which of our errors a GSS failure is. */
static enum dcerpc_err
gss_err(OM_uint32 maj, OM_uint32 min)
{
	switch ((krb5_error_code)min) {
	case KRB5KRB_AP_ERR_SKEW:
		return DCERPC_E_SEC_SKEW;
	case KRB5KRB_AP_ERR_TKT_EXPIRED:
	case KRB5KDC_ERR_TGT_REVOKED:
		return DCERPC_E_SEC_EXPIRED;
	case KRB5_KT_NOTFOUND:
	case KRB5_FCC_NOFILE:
	case KRB5_CC_NOTFOUND:
	case KRB5_KT_END:
	case KRB5KDC_ERR_PREAUTH_FAILED:
	case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
		return DCERPC_E_SEC_CRED;
	default:
		break;
	}
	switch (GSS_ROUTINE_ERROR(maj)) {
	case GSS_S_NO_CRED:
	case GSS_S_DEFECTIVE_CREDENTIAL:
		return DCERPC_E_SEC_CRED;
	case GSS_S_CREDENTIALS_EXPIRED:
	case GSS_S_CONTEXT_EXPIRED:
		return DCERPC_E_SEC_EXPIRED;
	case GSS_S_BAD_SIG:
	case GSS_S_DEFECTIVE_TOKEN:
		return DCERPC_E_SEC_INTEGRITY;
	default:
		return DCERPC_E_SEC_CONTEXT;
	}
}

/* MS-RPCE 3.3.1.5.2: what a privacy context must have. */
#define NEEDED_FLAGS (GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_DCE_STYLE)

static enum dcerpc_err
g_step(struct dcerpc_sec *sec, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len, bool *complete)
{
	struct gss *g = sec->impl;
	gss_buffer_desc ib, ob = GSS_C_EMPTY_BUFFER;
	OM_uint32 maj, min, m, flags = 0;
	gss_name_t src = GSS_C_NO_NAME;
	gss_OID mech = GSS_C_NO_OID;
	enum dcerpc_err r = DCERPC_OK;
	uint8_t *raw = NULL;
	size_t raw_len;

	ib.value = (void *)(uintptr_t)in;
	ib.length = in_len;
	/* a framed DCE-style AP-REQ, as Windows accepts it (dcerpc_spnego.c) */
	if (g->acceptor && g->ctx == GSS_C_NO_CONTEXT &&
	    dcerpc_spnego_unframe(in, in_len, &raw, &raw_len)) {
		ib.value = raw;
		ib.length = raw_len;
	}
	if (g->acceptor) {
		maj = gss_accept_sec_context(&min, &g->ctx, g->cred, &ib,
		    GSS_C_NO_CHANNEL_BINDINGS, &src, &mech, &ob, &flags, NULL,
		    NULL);
	} else {
		maj = gss_init_sec_context(&min, g->cred, &g->ctx, g->target,
		    g->mech, GSS_C_DCE_STYLE | GSS_C_MUTUAL_FLAG |
		    GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG |
		    GSS_C_INTEG_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
		    in_len > 0 ? &ib : GSS_C_NO_BUFFER, &mech, &ob, &flags,
		    NULL);
	}
	if (GSS_ERROR(maj)) {
		gss_words(sec, g->acceptor ? "accepting the security context" :
		    "establishing the security context", maj, min, mech);
		r = gss_err(maj, min);
		goto done;
	}
	if (ob.length > DCERPC_AUTH_VALUE_MAX) {
		snprintf(sec->error, sizeof(sec->error),
		    "security token of %zu bytes is too large", ob.length);
		r = DCERPC_E_SEC_CONTEXT;
		goto done;
	}
	if (ob.length > 0) {
		if ((*out = malloc(ob.length)) == NULL) {
			r = DCERPC_E_NOMEM;
			goto done;
		}
		memcpy(*out, ob.value, ob.length);
		*out_len = ob.length;
	}
	*complete = maj == GSS_S_COMPLETE;
	if (*complete && (flags & NEEDED_FLAGS) != NEEDED_FLAGS) {
		snprintf(sec->error, sizeof(sec->error),
		    "the security context offers no %s",
		    !(flags & GSS_C_DCE_STYLE) ? "DCE style" :
		    "confidentiality and integrity");
		free(*out);
		*out = NULL;
		*out_len = 0;
		r = DCERPC_E_SEC_LEVEL;
		goto done;
	}
	if (*complete && g->acceptor && src != GSS_C_NO_NAME) {
		gss_buffer_desc nb = GSS_C_EMPTY_BUFFER;

		if (gss_display_name(&m, src, &nb, NULL) == GSS_S_COMPLETE) {
			free(g->peer);
			g->peer = strndup(nb.value, nb.length);
			gss_release_buffer(&m, &nb);
		}
		if (g->peer == NULL)
			r = DCERPC_E_NOMEM;
	}
done:
	free(raw);
	gss_release_buffer(&m, &ob);
	if (src != GSS_C_NO_NAME)
		gss_release_name(&m, &src);
	return r;
}

/* The IOV array for gss_*_iov: HEADER (the token) then the PDU's parts. */
static void
gss_layout(struct dcerpc_iov *iov, size_t n_iov, uint8_t *token,
    size_t token_len, gss_iov_buffer_desc *giov)
{
	size_t i;

	giov[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
	giov[0].buffer.value = token;
	giov[0].buffer.length = token_len;
	for (i = 0; i < n_iov; i++) {
		giov[i + 1].type = iov[i].type == DCERPC_IOV_DATA ?
		    GSS_IOV_BUFFER_TYPE_DATA : GSS_IOV_BUFFER_TYPE_SIGN_ONLY;
		giov[i + 1].buffer.value = iov[i].data;
		giov[i + 1].buffer.length = iov[i].len;
	}
}

static enum dcerpc_err
g_token_len(struct dcerpc_sec *sec, size_t data_len, size_t *len)
{
	struct gss *g = sec->impl;
	gss_iov_buffer_desc giov[4];
	struct dcerpc_iov iov[3];
	uint8_t dummy[1];
	OM_uint32 maj, min;
	size_t n = 0;

	if (sec->header_sign) {
		iov[n].type = DCERPC_IOV_SIGN_ONLY;
		iov[n].data = dummy;
		iov[n++].len = DCERPC_REQUEST_HDR_LEN;
	}
	iov[n].type = DCERPC_IOV_DATA;
	iov[n].data = dummy;
	iov[n++].len = data_len;
	if (sec->header_sign) {
		iov[n].type = DCERPC_IOV_SIGN_ONLY;
		iov[n].data = dummy;
		iov[n++].len = DCERPC_AUTH_TRAILER_LEN;
	}
	gss_layout(iov, n, NULL, 0, giov);
	maj = gss_wrap_iov_length(&min, g->ctx, 1, GSS_C_QOP_DEFAULT, NULL,
	    giov, (int)n + 1);
	if (GSS_ERROR(maj)) {
		gss_words(sec, "sizing a sealed PDU", maj, min, GSS_C_NO_OID);
		return gss_err(maj, min);
	}
	*len = giov[0].buffer.length;
	return *len > 0 && *len <= DCERPC_AUTH_VALUE_MAX ? DCERPC_OK :
	    DCERPC_E_INTERNAL;
}

static enum dcerpc_err
g_wrap(struct dcerpc_sec *sec, struct dcerpc_iov *iov, size_t n_iov,
    uint8_t *token, size_t token_len)
{
	struct gss *g = sec->impl;
	gss_iov_buffer_desc giov[DCERPC_SEC_MAX_IOV + 1];
	OM_uint32 maj, min;
	int conf = 0;

	if (n_iov > DCERPC_SEC_MAX_IOV)
		return DCERPC_E_ARG;
	gss_layout(iov, n_iov, token, token_len, giov);
	maj = gss_wrap_iov(&min, g->ctx, 1, GSS_C_QOP_DEFAULT, &conf, giov,
	    (int)n_iov + 1);
	if (GSS_ERROR(maj)) {
		gss_words(sec, "sealing a PDU", maj, min, GSS_C_NO_OID);
		return gss_err(maj, min);
	}
	if (!conf || giov[0].buffer.length != token_len)
		return DCERPC_E_INTERNAL;
	return DCERPC_OK;
}

static enum dcerpc_err
g_unwrap(struct dcerpc_sec *sec, struct dcerpc_iov *iov, size_t n_iov,
    const uint8_t *token, size_t token_len)
{
	struct gss *g = sec->impl;
	gss_iov_buffer_desc giov[DCERPC_SEC_MAX_IOV + 1];
	uint8_t tok[DCERPC_AUTH_VALUE_MAX];
	OM_uint32 maj, min;
	gss_qop_t qop;
	int conf = 0;

	if (n_iov > DCERPC_SEC_MAX_IOV || token_len > sizeof(tok))
		return DCERPC_E_ARG;
	/* gss_unwrap_iov may rotate the token in place: use a copy */
	memcpy(tok, token, token_len);
	gss_layout(iov, n_iov, tok, token_len, giov);
	maj = gss_unwrap_iov(&min, g->ctx, &conf, &qop, giov, (int)n_iov + 1);
	/* any supplementary status (duplicate, gap, old) is a failure too */
	if (maj != GSS_S_COMPLETE) {
		gss_words(sec, "opening a sealed PDU", maj, min, GSS_C_NO_OID);
		return GSS_ERROR(maj) ? DCERPC_E_SEC_INTEGRITY :
		    DCERPC_E_SEC_INTEGRITY;
	}
	if (!conf) {
		snprintf(sec->error, sizeof(sec->error),
		    "a PDU was signed but not sealed");
		return DCERPC_E_SEC_LEVEL;
	}
	return DCERPC_OK;
}

static const char *
g_peer_name(struct dcerpc_sec *sec)
{
	struct gss *g = sec->impl;

	return g->peer;
}

static void
g_free(struct dcerpc_sec *sec)
{
	struct gss *g = sec->impl;
	OM_uint32 m;

	if (g != NULL) {
		if (g->ctx != GSS_C_NO_CONTEXT)
			gss_delete_sec_context(&m, &g->ctx, GSS_C_NO_BUFFER);
		if (g->cred != GSS_C_NO_CREDENTIAL)
			gss_release_cred(&m, &g->cred);
		if (g->target != GSS_C_NO_NAME)
			gss_release_name(&m, &g->target);
		free(g->peer);
		free(g);
	}
	free(sec);
}

static const struct dcerpc_sec_ops gss_ops = {
	"GSS-API (Kerberos)", g_step, g_token_len, g_wrap, g_unwrap,
	g_peer_name, g_free,
};

/* Credentials: keytab / ccache from the params, krb5 only. */
static enum dcerpc_err
acquire(struct dcerpc_sec *sec, struct gss *g, const struct dcerpc_gss_params *p)
{
	gss_key_value_element_desc el[2];
	gss_key_value_set_desc store = { 0, el };
	gss_OID_set_desc krb5_set = { 1, (gss_OID)(uintptr_t)gss_mech_krb5 };
	gss_OID_set_desc spnego_set = { 1, &spnego_oid };
	bool spnego = p->auth_type == DCERPC_AUTHN_GSS_NEGOTIATE;
	gss_name_t name = GSS_C_NO_NAME;
	OM_uint32 maj, min, m;
	char ccname[64];

	if (p->acceptor) {
		if (p->keytab != NULL) {
			el[store.count].key = "keytab";
			el[store.count++].value = p->keytab;
		}
	} else if (p->keytab != NULL) {
		/* MIT gets initial credentials from the client keytab into a
		 * private memory cache (gss_acquire_cred_from, "client_keytab") */
		if (p->principal == NULL) {
			snprintf(sec->error, sizeof(sec->error),
			    "a client keytab needs a principal");
			return DCERPC_E_ARG;
		}
		snprintf(ccname, sizeof(ccname), "MEMORY:otpcep-rpc-%ld-%p",
		    (long)getpid(), (void *)g);
		el[store.count].key = "client_keytab";
		el[store.count++].value = p->keytab;
		el[store.count].key = "ccache";
		el[store.count++].value = ccname;
	} else if (p->ccache != NULL) {
		el[store.count].key = "ccache";
		el[store.count++].value = p->ccache;
	}
	if (!p->acceptor && p->principal != NULL) {
		gss_buffer_desc nb;

		nb.value = (void *)(uintptr_t)p->principal;
		nb.length = strlen(p->principal);
		maj = gss_import_name(&min, &nb, GSS_KRB5_NT_PRINCIPAL_NAME,
		    &name);
		if (GSS_ERROR(maj)) {
			gss_words(sec, "client principal", maj, min,
			    GSS_C_NO_OID);
			return DCERPC_E_ARG;
		}
	}
	/* SPNEGO needs a SPNEGO credential to be told its mechanisms */
	maj = gss_acquire_cred_from(&min, name, GSS_C_INDEFINITE,
	    spnego ? &spnego_set : &krb5_set,
	    p->acceptor ? GSS_C_ACCEPT : GSS_C_INITIATE,
	    store.count > 0 ? &store : GSS_C_NO_CRED_STORE, &g->cred, NULL,
	    NULL);
	if (name != GSS_C_NO_NAME)
		gss_release_name(&m, &name);
	if (GSS_ERROR(maj)) {
		gss_words(sec, p->acceptor ? "service keytab" :
		    "Kerberos credentials", maj, min, (gss_OID)gss_mech_krb5);
		return DCERPC_E_SEC_CRED;
	}
	/* RFC 4178 with krb5 only: never NTLM */
	if (spnego) {
		maj = gss_set_neg_mechs(&min, g->cred, &krb5_set);
		if (GSS_ERROR(maj)) {
			gss_words(sec, "limiting SPNEGO to Kerberos", maj, min,
			    GSS_C_NO_OID);
			return DCERPC_E_SEC_CONTEXT;
		}
	}
	return DCERPC_OK;
}

enum dcerpc_err
dcerpc_gss_new(const struct dcerpc_gss_params *p, struct dcerpc_sec **out,
    char *errbuf, size_t errlen)
{
	struct dcerpc_sec *sec = NULL;
	struct gss *g = NULL;
	enum dcerpc_err r = DCERPC_E_NOMEM;
	OM_uint32 maj, min;

	*out = NULL;
	if (errlen > 0)
		errbuf[0] = '\0';
	if (p->auth_type != DCERPC_AUTHN_GSS_KERBEROS &&
	    p->auth_type != DCERPC_AUTHN_GSS_NEGOTIATE) {
		snprintf(errbuf, errlen, "auth type %u is not Kerberos",
		    (unsigned)p->auth_type);
		return DCERPC_E_ARG;
	}
	if ((sec = calloc(1, sizeof(*sec))) == NULL ||
	    (g = calloc(1, sizeof(*g))) == NULL) {
		free(sec);
		snprintf(errbuf, errlen, "out of memory");
		return DCERPC_E_NOMEM;
	}
	sec->ops = &gss_ops;
	sec->impl = g;
	sec->auth_type = p->auth_type;
	sec->auth_level = DCERPC_AUTHN_LEVEL_PKT_PRIVACY;
	/* MS-RPCE 2.2.2.11: any value; Windows counts from 0x4f... */
	sec->auth_context_id = 0;
	g->acceptor = p->acceptor;
	g->ctx = GSS_C_NO_CONTEXT;
	g->cred = GSS_C_NO_CREDENTIAL;
	g->target = GSS_C_NO_NAME;
	g->mech = p->auth_type == DCERPC_AUTHN_GSS_NEGOTIATE ? &spnego_oid :
	    (gss_OID)(uintptr_t)gss_mech_krb5;
	if (!p->acceptor) {
		gss_buffer_desc nb;

		if (p->target == NULL || p->target[0] == '\0') {
			snprintf(errbuf, errlen, "no service principal to ask for");
			r = DCERPC_E_ARG;
			goto fail;
		}
		nb.value = (void *)(uintptr_t)p->target;
		nb.length = strlen(p->target);
		maj = gss_import_name(&min, &nb, GSS_KRB5_NT_PRINCIPAL_NAME,
		    &g->target);
		if (GSS_ERROR(maj)) {
			gss_words(sec, "service principal", maj, min,
			    GSS_C_NO_OID);
			r = DCERPC_E_ARG;
			goto fail;
		}
	}
	if ((r = acquire(sec, g, p)) != DCERPC_OK)
		goto fail;
	*out = sec;
	return DCERPC_OK;
fail:
	if (errlen > 0 && errbuf[0] == '\0')
		snprintf(errbuf, errlen, "%s", sec->error);
	g_free(sec);
	return r;
}

enum dcerpc_err
dcerpc_gss_to_krb5key(struct dcerpc_sec **secp)
{
	struct dcerpc_sec *sec = *secp, *k = NULL;
	struct gss *g = sec->impl;
	gss_krb5_lucid_context_v1_t *lc;
	gss_krb5_lucid_key_t *key;
	void *lucid = NULL;
	OM_uint32 maj, min, m;
	enum dcerpc_err r;

	if (sec->ops != &gss_ops || !sec->complete)
		return DCERPC_E_ARG;
	maj = gss_krb5_export_lucid_sec_context(&min, &g->ctx, 1, &lucid);
	g->ctx = GSS_C_NO_CONTEXT;	/* RFC: not to be used again */
	if (GSS_ERROR(maj)) {
		gss_words(sec, "exporting the context", maj, min, GSS_C_NO_OID);
		return DCERPC_E_SEC_CONTEXT;
	}
	lc = lucid;
	if (lc->protocol != 1) {	/* RFC 4121 tokens only */
		gss_krb5_free_lucid_sec_context(&m, lucid);
		return DCERPC_E_SEC_CONTEXT;
	}
	key = lc->cfx_kd.have_acceptor_subkey ? &lc->cfx_kd.acceptor_subkey :
	    &lc->cfx_kd.ctx_key;
	r = dcerpc_krb5key_new((int32_t)key->type, key->data, key->length,
	    lc->cfx_kd.have_acceptor_subkey != 0, !lc->initiate, lc->send_seq,
	    sec->auth_type, &k);
	gss_krb5_free_lucid_sec_context(&m, lucid);
	if (r != DCERPC_OK)
		return r;
	k->auth_context_id = sec->auth_context_id;
	k->header_sign = sec->header_sign;
	g_free(sec);
	*secp = k;
	return DCERPC_OK;
}
