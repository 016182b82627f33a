/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The acceptor's view of a DCE-style first token, as Windows accepts it.
 * MS-KILE 3.4.5.1 / RFC 4121 4.1: with GSS_C_DCE_STYLE the AP-REQ travels
 * raw (no RFC 2743 token framing), and MIT's acceptor insists on that ("only
 * DCE_STYLE clients are allowed to send raw AP-REQs", and the other way
 * round). Some clients (impacket) frame it anyway; Windows takes both. So
 * before MIT sees a first token, a framed krb5 AP-REQ is unframed: alone
 * (auth type 16) or as the mechToken of a SPNEGO NegTokenInit (RFC 4178
 * 4.2.1; auth type 9), whose DER is then rebuilt around it. Anything else
 * is passed on untouched; a client that is not DCE style still fails in MIT.
 */
#include <stdlib.h>
#include <string.h>

#include "dcerpc_spnego.h"

/* RFC 2743 3.1 framing of a krb5 AP-REQ: 60 len 06 09 <oid> 01 00 6e... */
static const uint8_t krb5_oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
    0x12, 0x01, 0x02, 0x02 };
static const uint8_t ms_krb5_oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x82,
    0xf7, 0x12, 0x01, 0x02, 0x02 };
static const uint8_t spnego_oid[] = { 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05,
    0x05, 0x02 };

bool
dcerpc_der_elem(const uint8_t *p, size_t len, uint8_t *tag, const uint8_t **c,
    size_t *clen, size_t *total)
{
	size_t n, hl = 2, i, k;

	if (len < 2)
		return false;
	*tag = p[0];
	n = p[1];
	if (n & 0x80) {
		k = n & 0x7f;
		if (k == 0 || k > 3 || len < 2 + k)
			return false;
		for (n = 0, i = 0; i < k; i++)
			n = n << 8 | p[2 + i];
		hl += k;
	}
	if (n > len - hl)
		return false;
	*c = p + hl;
	*clen = n;
	*total = hl + n;
	return true;
}

/* Writes a DER header for tag and len at out; returns its size. */
static size_t
put_hdr(uint8_t *out, uint8_t tag, size_t len)
{
	out[0] = tag;
	if (len < 0x80) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len < 0x100) {
		out[1] = 0x81;
		out[2] = (uint8_t)len;
		return 3;
	}
	if (len < 0x10000) {
		out[1] = 0x82;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 0x83;
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
	return 5;
}

static size_t
hdr_len(size_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : 5;
}

/* The raw AP-REQ inside a framed krb5 token, or NULL. */
static const uint8_t *
framed_ap_req(const uint8_t *p, size_t len, size_t *out_len)
{
	const uint8_t *c;
	size_t clen, total;
	uint8_t tag;

	if (!dcerpc_der_elem(p, len, &tag, &c, &clen, &total) || tag != 0x60 ||
	    total != len || clen < sizeof(krb5_oid) + 3)
		return NULL;
	if (memcmp(c, krb5_oid, sizeof(krb5_oid)) != 0 &&
	    memcmp(c, ms_krb5_oid, sizeof(ms_krb5_oid)) != 0)
		return NULL;
	c += sizeof(krb5_oid);
	clen -= sizeof(krb5_oid);
	/* TOK_ID 01 00 (KRB_AP_REQ), then [APPLICATION 14] */
	if (c[0] != 0x01 || c[1] != 0x00 || c[2] != 0x6e)
		return NULL;
	*out_len = clen - 2;
	return c + 2;
}

bool
dcerpc_spnego_unframe(const uint8_t *in, size_t in_len, uint8_t **out,
    size_t *out_len)
{
	const uint8_t *c, *init, *seq, *ap, *e;
	size_t clen, total, ilen, slen, aplen, off, elen, etotal, n, body;
	size_t mt, a30, a0, inner;
	uint8_t tag, *o;

	*out = NULL;
	/* auth type 16: the krb5 token itself */
	if ((ap = framed_ap_req(in, in_len, &aplen)) != NULL) {
		if ((*out = malloc(aplen)) == NULL)
			return false;
		memcpy(*out, ap, aplen);
		*out_len = aplen;
		return true;
	}
	/* RFC 4178 4.2: 60 { spnego OID, [0] NegTokenInit SEQUENCE { ... } } */
	if (!dcerpc_der_elem(in, in_len, &tag, &c, &clen, &total) || tag != 0x60 ||
	    total != in_len || clen < sizeof(spnego_oid) ||
	    memcmp(c, spnego_oid, sizeof(spnego_oid)) != 0)
		return false;
	c += sizeof(spnego_oid);
	clen -= sizeof(spnego_oid);
	if (!dcerpc_der_elem(c, clen, &tag, &init, &ilen, &total) || tag != 0xa0 ||
	    !dcerpc_der_elem(init, ilen, &tag, &seq, &slen, &total) || tag != 0x30)
		return false;
	/* find [2] mechToken OCTET STRING holding a framed AP-REQ */
	for (off = 0; off < slen; off += etotal) {
		const uint8_t *oc;
		size_t oclen, ot;

		if (!dcerpc_der_elem(seq + off, slen - off, &tag, &e, &elen, &etotal))
			return false;
		if (tag != 0xa2)
			continue;
		if (!dcerpc_der_elem(e, elen, &tag, &oc, &oclen, &ot) || tag != 0x04 ||
		    (ap = framed_ap_req(oc, oclen, &aplen)) == NULL)
			return false;
		/* rebuild: same elements, mechToken = 04 { raw AP-REQ } */
		mt = hdr_len(aplen) + aplen;			/* 04 */
		body = slen - etotal + hdr_len(mt) + mt;	/* 30's content */
		a30 = hdr_len(body) + body;
		a0 = hdr_len(a30) + a30;
		inner = sizeof(spnego_oid) + a0;		/* 60's content */
		n = hdr_len(inner) + inner;
		if ((*out = o = malloc(n)) == NULL)
			return false;
		o += put_hdr(o, 0x60, inner);
		memcpy(o, spnego_oid, sizeof(spnego_oid));
		o += sizeof(spnego_oid);
		o += put_hdr(o, 0xa0, a30);
		o += put_hdr(o, 0x30, body);
		memcpy(o, seq, off);
		o += off;
		o += put_hdr(o, 0xa2, mt);
		o += put_hdr(o, 0x04, aplen);
		memcpy(o, ap, aplen);
		o += aplen;
		memcpy(o, seq + off + etotal, slen - off - etotal);
		o += slen - off - etotal;
		*out_len = (size_t)(o - *out);
		return true;
	}
	return false;
}
