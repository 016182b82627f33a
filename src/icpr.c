/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * MS-ICPR ICertPassage::CertServerRequest (3.2.4.1.1): the interface and
 * its NDR in both directions.
 */
#include <stdlib.h>
#include <string.h>

#include "icpr.h"

/* MS-ICPR 1.9 */
const struct dcerpc_syntax icpr_syntax = {
	{ 0x91ae6020, 0x9e3c, 0x11cf, { 0x8d, 0x7c },
	  { 0x00, 0xaa, 0x00, 0xc0, 0x91, 0xbe } }, 0, 0
};

/* CERTTRANSBLOB (MS-WCCE 2.2.2.2): cb, unique pointer, conformant bytes. */
static void
put_blob(struct ndr_out *o, const uint8_t *p, size_t len)
{
	if (len > NDR_ARRAY_MAX) {
		o->failed = true;
		return;
	}
	ndr_put_u32(o, (uint32_t)len);
	ndr_put_ptr(o, len > 0);
	if (len > 0)
		ndr_put_conf_bytes(o, p, len);
}

static bool
get_blob(struct ndr_in *in, struct icpr_blob *b)
{
	uint32_t cb;
	bool present;

	b->data = NULL;
	b->len = 0;
	if (!ndr_get_u32(in, &cb) || !ndr_get_ptr(in, &present))
		return false;
	if (!present)
		return cb == 0;
	if (!ndr_get_conf_bytes(in, cb, &b->data))
		return false;
	b->len = cb;
	if (cb == 0)
		b->data = NULL;
	return true;
}

/* A UTF-8 text as a CERTTRANSBLOB of UTF-16LE with its NUL; "" -> empty. */
static void
put_text_blob(struct ndr_out *o, const char *s)
{
	uint8_t *u = NULL;
	size_t len = 0;

	if (s == NULL || *s == '\0') {
		put_blob(o, NULL, 0);
		return;
	}
	if (!ndr_utf8_to_utf16le(s, true, &u, &len)) {
		o->failed = true;
		return;
	}
	put_blob(o, u, len);
	free(u);
}

/* UTF-16LE blob -> UTF-8 (one terminating NUL unit allowed); NULL if empty. */
static bool
text_of_blob(const struct icpr_blob *b, char **s)
{
	size_t len = b->len;

	*s = NULL;
	if (len == 0)
		return true;
	if (len % 2 != 0)
		return false;
	if (dcerpc_get16(b->data + len - 2) == 0)
		len -= 2;
	if (len == 0)
		return true;
	return ndr_utf16le_to_utf8(b->data, len, s);
}

enum dcerpc_err
icpr_request_encode(const struct icpr_request *r, struct ndr_out *o)
{
	/* MS-ICPR 3.2.4.1.1: the [in] parameters in order. */
	ndr_put_u32(o, r->flags);
	ndr_put_ptr(o, r->authority != NULL);
	if (r->authority != NULL)
		ndr_put_wstring(o, r->authority);
	ndr_put_u32(o, r->request_id);
	put_text_blob(o, r->attributes);
	put_blob(o, r->request.data, r->request.len);
	return o->failed ? DCERPC_E_ARG : DCERPC_OK;
}

enum dcerpc_err
icpr_request_decode(const uint8_t *stub, size_t len, struct icpr_request *r,
    size_t *ndr_end)
{
	struct icpr_blob attribs;
	struct ndr_in in;
	bool present;

	memset(r, 0, sizeof(*r));
	ndr_in_init(&in, stub, len);
	if (!ndr_get_u32(&in, &r->flags) || !ndr_get_ptr(&in, &present))
		goto bad;
	if (present && !ndr_get_wstring(&in, ICPR_AUTHORITY_MAX, &r->authority))
		goto bad;
	if (!ndr_get_u32(&in, &r->request_id) || !get_blob(&in, &attribs) ||
	    !get_blob(&in, &r->request))
		goto bad;
	if (!text_of_blob(&attribs, &r->attributes))
		goto bad;
	*ndr_end = in.off;
	return DCERPC_OK;
bad:
	icpr_request_clear(r);
	return DCERPC_E_BAD_NDR;
}

void
icpr_request_clear(struct icpr_request *r)
{
	free(r->authority);
	free(r->attributes);
	memset(r, 0, sizeof(*r));
}

enum dcerpc_err
icpr_response_encode(const struct icpr_response *r, struct ndr_out *o)
{
	/* MS-ICPR 3.2.4.1.1: the [out] parameters in order, then the result. */
	ndr_put_u32(o, r->request_id);
	ndr_put_u32(o, r->disposition);
	put_blob(o, r->cert_chain.data, r->cert_chain.len);
	ndr_put_align(o, 4);
	put_blob(o, r->encoded_cert.data, r->encoded_cert.len);
	ndr_put_align(o, 4);
	put_text_blob(o, r->disposition_message);
	ndr_put_u32(o, r->status);
	return o->failed ? DCERPC_E_ARG : DCERPC_OK;
}

enum dcerpc_err
icpr_response_decode(const uint8_t *stub, size_t len, struct icpr_response *r)
{
	struct icpr_blob msg;
	struct ndr_in in;
	size_t i;

	memset(r, 0, sizeof(*r));
	ndr_in_init(&in, stub, len);
	if (!ndr_get_u32(&in, &r->request_id) ||
	    !ndr_get_u32(&in, &r->disposition) ||
	    !get_blob(&in, &r->cert_chain) || !get_blob(&in, &r->encoded_cert) ||
	    !get_blob(&in, &msg) || !ndr_get_u32(&in, &r->status))
		goto bad;
	/* Nothing may follow but alignment zeros. */
	if (len - in.off > 7)
		goto bad;
	for (i = in.off; i < len; i++)
		if (stub[i] != 0)
			goto bad;
	if (!text_of_blob(&msg, &r->disposition_message))
		goto bad;
	return DCERPC_OK;
bad:
	icpr_response_clear(r);
	return DCERPC_E_BAD_NDR;
}

void
icpr_response_clear(struct icpr_response *r)
{
	free(r->disposition_message);
	memset(r, 0, sizeof(*r));
}
