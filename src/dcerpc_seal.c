/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Packet privacy on whole PDUs (MS-RPCE 3.3.1.5.2): which bytes of a
 * request / response fragment are signed only, which are sealed, where the
 * token goes; the same for every backend (GSS-API, known key).
 */
#include <string.h>

#include "dcerpc_sec.h"

enum dcerpc_err
dcerpc_sec_step(struct dcerpc_sec *sec, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len)
{
	bool complete = false;
	enum dcerpc_err r;

	*out = NULL;
	*out_len = 0;
	r = sec->ops->step(sec, in, in_len, out, out_len, &complete);
	if (r == DCERPC_OK)
		sec->complete = complete;
	return r;
}

enum dcerpc_err
dcerpc_sec_token_len(struct dcerpc_sec *sec, size_t data_len, size_t *len)
{
	return sec->ops->token_len(sec, data_len, len);
}

const char *
dcerpc_sec_peer_name(struct dcerpc_sec *sec)
{
	return sec->ops->peer_name(sec);
}

void
dcerpc_sec_free(struct dcerpc_sec *sec)
{
	if (sec != NULL)
		sec->ops->free(sec);
}

enum dcerpc_err
dcerpc_sec_layout(uint8_t *buf, const struct dcerpc_pdu *pdu,
    bool header_sign, struct dcerpc_iov *iov, size_t *n_iov)
{
	size_t n = 0;

	if (!pdu->has_auth || (pdu->hdr.ptype != DCERPC_PTYPE_REQUEST &&
	    pdu->hdr.ptype != DCERPC_PTYPE_RESPONSE))
		return DCERPC_E_ARG;
	/*
	 * MS-RPCE 3.3.1.5.2.2: with header signing, the header and the
	 * sec_trailer are signed too; the stub and its padding are sealed.
	 */
	if (header_sign) {
		iov[n].type = DCERPC_IOV_SIGN_ONLY;
		iov[n].data = buf;
		iov[n++].len = pdu->stub_off;
	}
	iov[n].type = DCERPC_IOV_DATA;
	iov[n].data = buf + pdu->stub_off;
	iov[n++].len = pdu->trailer_off - pdu->stub_off;
	if (header_sign) {
		iov[n].type = DCERPC_IOV_SIGN_ONLY;
		iov[n].data = buf + pdu->trailer_off;
		iov[n++].len = DCERPC_AUTH_TRAILER_LEN;
	}
	*n_iov = n;
	return DCERPC_OK;
}

enum dcerpc_err
dcerpc_seal_pdu(struct dcerpc_sec *sec, uint8_t *pdu, size_t len)
{
	struct dcerpc_iov iov[DCERPC_SEC_MAX_IOV];
	struct dcerpc_pdu p;
	enum dcerpc_err r;
	size_t n, want;

	if (!sec->complete)
		return DCERPC_E_ARG;
	if ((r = dcerpc_pdu_decode(pdu, len, &p)) != DCERPC_OK)
		return DCERPC_E_INTERNAL;
	if ((r = dcerpc_sec_layout(pdu, &p, sec->header_sign, iov, &n)) !=
	    DCERPC_OK)
		return r;
	if ((p.trailer_off - p.stub_off) % DCERPC_AUTH_PAD_ALIGN != 0)
		return DCERPC_E_ARG;
	if ((r = sec->ops->token_len(sec, p.trailer_off - p.stub_off,
	    &want)) != DCERPC_OK)
		return r;
	if (want != p.auth.value_len)
		return DCERPC_E_ARG;
	return sec->ops->wrap(sec, iov, n, pdu + p.trailer_off +
	    DCERPC_AUTH_TRAILER_LEN, p.auth.value_len);
}

enum dcerpc_err
dcerpc_unseal_pdu(struct dcerpc_sec *sec, uint8_t *buf, size_t len,
    struct dcerpc_pdu *pdu)
{
	struct dcerpc_iov iov[DCERPC_SEC_MAX_IOV];
	enum dcerpc_err r;
	size_t n;

	if ((r = dcerpc_pdu_decode(buf, len, pdu)) != DCERPC_OK)
		return r;
	if (!pdu->has_auth)
		return DCERPC_E_SEC_LEVEL;
	if (pdu->hdr.ptype != DCERPC_PTYPE_REQUEST &&
	    pdu->hdr.ptype != DCERPC_PTYPE_RESPONSE)
		return DCERPC_E_BAD_PTYPE;
	if (pdu->auth.level != DCERPC_AUTHN_LEVEL_PKT_PRIVACY)
		return DCERPC_E_SEC_LEVEL;
	if (pdu->auth.type != sec->auth_type ||
	    pdu->auth.context_id != sec->auth_context_id)
		return DCERPC_E_BAD_AUTH;
	/* MS-RPCE 2.2.2.11: the padding aligns to 16, so it is below 16. */
	if (pdu->auth.pad_len >= DCERPC_AUTH_PAD_ALIGN)
		return DCERPC_E_BAD_PADDING;
	if (!sec->complete)
		return DCERPC_E_UNEXPECTED;
	if ((r = dcerpc_sec_layout(buf, pdu, sec->header_sign, iov, &n)) !=
	    DCERPC_OK)
		return r;
	return sec->ops->unwrap(sec, iov, n, pdu->auth.value,
	    pdu->auth.value_len);
}
