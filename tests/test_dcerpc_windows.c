/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Windows-made bytes (tests/fixtures/dcerpc/, README there): a DCE/RPC
 * association sealed with Kerberos through SPNEGO between two Windows
 * machines. With the published service key and libkrb5 we get the ticket's
 * session key and the acceptor's subkey out of the AP-REQ and AP-REP in the
 * bind, then our framing and unsealing code (dcerpc_unseal_pdu over the
 * known-key backend) must reproduce the published plaintexts; our sealing
 * of them must verify with the same keys. The endpoint mapper's towers of
 * the same capture check our NDR of ept_map.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <krb5.h>

#include "dcerpc.h"
#include "dcerpc_sec.h"
#include "dcerpc_spnego.h"
#include "epm.h"
#include "ndr.h"
#include "testutil.h"

#define FIX "tests/fixtures/dcerpc/"

/* README: ldap/dc1.domain.local, AES256 long-term key. */
static const char service_key_hex[] =
    "85abb9b61dc2fa49d4cc04317bbd108f8f79df28239155ed7b144c5d2ebcf016";
/* README: packet 15, the request's stub. */
static const char p15_hex[] =
    "00000200000000001a204de2d64fd111a3da0000f875ae0d0000020000000000"
    "3400000000000000340000000000000000000000000000000000000000000000"
    "240c000000000000000000000000000000000000000000000000000000000000";
/* README: packet 21's and 22's tower octet strings. */
static const char p21_tower_hex[] =
    "050013000d354251e3064bd111ab0400c04fc2dcd204000200000013000d045d88"
    "8aeb1cc9119fe808002b10486002000200000001000b020000000100070200008701"
    "0009040000000000";
static const char p22_tower_hex[] =
    "050013000d354251e3064bd111ab0400c04fc2dcd204000200000013000d045d88"
    "8aeb1cc9119fe808002b10486002000200000001000b020000000100070200c20301"
    "00090400c0a80064";

static size_t
unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2, i;
	unsigned v;

	assert_true(n <= cap);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static uint8_t *
fixture(const char *name, size_t *len)
{
	char path[256];
	uint8_t *p;

	snprintf(path, sizeof(path), FIX "%s", name);
	p = (uint8_t *)tu_read_file(path, len);
	assert_non_null(p);
	return p;
}

/* ---- A few lines of DER, enough to walk Kerberos messages. ---- */

#define der_elem dcerpc_der_elem

/* The content of the child with tag want among the elements in [p, len). */
static bool
der_child(const uint8_t *p, size_t len, uint8_t want, const uint8_t **c,
    size_t *clen, size_t *total)
{
	size_t off = 0;
	uint8_t tag;

	while (off < len) {
		if (!der_elem(p + off, len - off, &tag, c, clen, total))
			return false;
		if (tag == want)
			return true;
		off += *total;
	}
	return false;
}

/* Into an [APPLICATION n] SEQUENCE's elements. */
static void
der_app_seq(const uint8_t *p, size_t len, uint8_t app, const uint8_t **c,
    size_t *clen)
{
	const uint8_t *a;
	size_t alen, t;
	uint8_t tag;

	assert_true(der_elem(p, len, &tag, &a, &alen, &t));
	assert_int_equal(tag, app);
	assert_true(der_elem(a, alen, &tag, c, clen, &t));
	assert_int_equal(tag, 0x30);
}

static int32_t
der_int(const uint8_t *p, size_t len)
{
	const uint8_t *c;
	size_t clen, t, i;
	uint8_t tag;
	int64_t v;

	assert_true(der_elem(p, len, &tag, &c, &clen, &t));
	assert_int_equal(tag, 0x02);
	assert_true(clen >= 1 && clen <= 5);
	v = (c[0] & 0x80) ? -1 : 0;
	for (i = 0; i < clen; i++)
		v = v * 256 + c[i];
	return (int32_t)v;
}

/* Decrypts an EncryptedData (SEQUENCE { [0] etype, [1] kvno, [2] cipher }). */
static krb5_data
decrypt_enc_data(krb5_context ctx, const krb5_keyblock *key, int usage,
    const uint8_t *p, size_t len)
{
	const uint8_t *seq, *f, *cipher;
	size_t seqlen, flen, clen, t;
	krb5_enc_data enc;
	krb5_data plain;
	uint8_t tag;

	assert_true(der_elem(p, len, &tag, &seq, &seqlen, &t));
	assert_int_equal(tag, 0x30);
	assert_true(der_child(seq, seqlen, 0xa0, &f, &flen, &t));
	memset(&enc, 0, sizeof(enc));
	enc.enctype = der_int(f, flen);
	assert_true(der_child(seq, seqlen, 0xa2, &f, &flen, &t));
	assert_true(der_elem(f, flen, &tag, &cipher, &clen, &t));
	assert_int_equal(tag, 0x04);
	enc.ciphertext.data = (char *)(uintptr_t)cipher;
	enc.ciphertext.length = (unsigned int)clen;
	plain.length = (unsigned int)clen;
	plain.data = malloc(clen);
	assert_non_null(plain.data);
	assert_int_equal(krb5_c_decrypt(ctx, key, usage, NULL, &enc, &plain), 0);
	return plain;
}

/* EncryptionKey (SEQUENCE { [0] keytype, [1] keyvalue }) -> keyblock. */
static void
der_key(krb5_context ctx, const uint8_t *p, size_t len, krb5_keyblock *kb)
{
	const uint8_t *seq, *f, *v;
	size_t seqlen, flen, vlen, t;
	krb5_keyblock tmp;
	uint8_t tag;

	assert_true(der_elem(p, len, &tag, &seq, &seqlen, &t));
	assert_int_equal(tag, 0x30);
	assert_true(der_child(seq, seqlen, 0xa0, &f, &flen, &t));
	tmp.magic = KV5M_KEYBLOCK;
	tmp.enctype = der_int(f, flen);
	assert_true(der_child(seq, seqlen, 0xa1, &f, &flen, &t));
	assert_true(der_elem(f, flen, &tag, &v, &vlen, &t));
	assert_int_equal(tag, 0x04);
	tmp.length = (unsigned int)vlen;
	tmp.contents = (krb5_octet *)(uintptr_t)v;
	assert_int_equal(krb5_copy_keyblock_contents(ctx, &tmp, kb), 0);
}

/*
 * The Kerberos message (AP-REQ 0x6e, AP-REP 0x6f) inside the SPNEGO token:
 * Windows puts it in mechToken / responseToken without the RFC 2743 framing
 * (DCE style). Found as the element with that tag whose SEQUENCE starts
 * with pvno 5 and runs to the end of the token.
 */
static const uint8_t *
find_krb5_msg(const uint8_t *tok, size_t len, uint8_t app, size_t *mlen)
{
	static const uint8_t pvno5[] = { 0xa0, 0x03, 0x02, 0x01, 0x05 };
	const uint8_t *c, *sc;
	size_t i, clen, sclen, total, st;
	uint8_t tag, stag;

	for (i = 0; i + 2 < len; i++) {
		if (tok[i] != app ||
		    !der_elem(tok + i, len - i, &tag, &c, &clen, &total) ||
		    i + total != len ||
		    !der_elem(c, clen, &stag, &sc, &sclen, &st) ||
		    stag != 0x30 || sclen < sizeof(pvno5) ||
		    memcmp(sc, pvno5, sizeof(pvno5)) != 0)
			continue;
		*mlen = total;
		return tok + i;
	}
	fail_msg("no Kerberos message in the SPNEGO token");
	return NULL;
}

struct keys {
	krb5_context ctx;
	krb5_keyblock session;
	krb5_keyblock client_subkey;
	krb5_keyblock acceptor_subkey;
	int32_t client_seq;
	int32_t acceptor_seq;
};

/*
 * The capture's keys through libkrb5: the ticket in the bind's AP-REQ
 * opens with the service key (usage 2), its session key opens the
 * authenticator (usage 11) and the bind_ack's AP-REP (usage 12).
 */
static void
get_keys(struct keys *k)
{
	uint8_t *bind, *ack, keybytes[32];
	size_t bind_len, ack_len, mlen, slen, flen, t;
	const uint8_t *m, *s, *f;
	struct dcerpc_pdu p;
	krb5_keyblock service;
	krb5_ticket *ticket;
	krb5_data d, plain;
	uint8_t tag;

	memset(k, 0, sizeof(*k));
	assert_int_equal(krb5_init_context(&k->ctx), 0);
	service.magic = KV5M_KEYBLOCK;
	service.enctype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
	service.length = (unsigned int)unhex(service_key_hex, keybytes, 32);
	service.contents = keybytes;

	bind = fixture("krb_10_bind.bin", &bind_len);
	assert_int_equal(dcerpc_pdu_decode(bind, bind_len, &p), DCERPC_OK);
	assert_int_equal(p.auth.type, DCERPC_AUTHN_GSS_NEGOTIATE);
	assert_int_equal(p.auth.level, DCERPC_AUTHN_LEVEL_PKT_PRIVACY);
	m = find_krb5_msg(p.auth.value, p.auth.value_len, 0x6e, &mlen);
	der_app_seq(m, mlen, 0x6e, &s, &slen);		/* AP-REQ */
	assert_true(der_child(s, slen, 0xa3, &f, &flen, &t));
	d.data = (char *)(uintptr_t)f;
	d.length = (unsigned int)flen;
	assert_int_equal(krb5_decode_ticket(&d, &ticket), 0);
	plain.length = ticket->enc_part.ciphertext.length;
	plain.data = malloc(plain.length);
	assert_int_equal(krb5_c_decrypt(k->ctx, &service, 2, NULL,
	    &ticket->enc_part, &plain), 0);
	{
		const uint8_t *es, *kf;
		size_t eslen, kflen;

		der_app_seq((const uint8_t *)plain.data, plain.length, 0x63,
		    &es, &eslen);			/* EncTicketPart */
		assert_true(der_child(es, eslen, 0xa1, &kf, &kflen, &t));
		der_key(k->ctx, kf, kflen, &k->session);
	}
	free(plain.data);
	krb5_free_ticket(k->ctx, ticket);

	assert_true(der_child(s, slen, 0xa4, &f, &flen, &t));
	plain = decrypt_enc_data(k->ctx, &k->session, 11, f, flen);
	{
		const uint8_t *as, *af;
		size_t aslen, aflen;

		der_app_seq((const uint8_t *)plain.data, plain.length, 0x62,
		    &as, &aslen);			/* Authenticator */
		assert_true(der_child(as, aslen, 0xa6, &af, &aflen, &t));
		der_key(k->ctx, af, aflen, &k->client_subkey);
		assert_true(der_child(as, aslen, 0xa7, &af, &aflen, &t));
		k->client_seq = der_int(af, aflen);
	}
	free(plain.data);

	ack = fixture("krb_12_bind_ack.bin", &ack_len);
	assert_int_equal(dcerpc_pdu_decode(ack, ack_len, &p), DCERPC_OK);
	m = find_krb5_msg(p.auth.value, p.auth.value_len, 0x6f, &mlen);
	der_app_seq(m, mlen, 0x6f, &s, &slen);		/* AP-REP */
	assert_true(der_child(s, slen, 0xa2, &f, &flen, &t));
	plain = decrypt_enc_data(k->ctx, &k->session, 12, f, flen);
	{
		const uint8_t *rs, *rf;
		size_t rslen, rflen;

		der_app_seq((const uint8_t *)plain.data, plain.length, 0x7b,
		    &rs, &rslen);			/* EncAPRepPart */
		assert_true(der_child(rs, rslen, 0xa2, &rf, &rflen, &t));
		der_key(k->ctx, rf, rflen, &k->acceptor_subkey);
		assert_true(der_child(rs, rslen, 0xa3, &rf, &rflen, &t));
		k->acceptor_seq = der_int(rf, rflen);
	}
	free(plain.data);
	(void)tag;
	free(bind);
	free(ack);
}

static void
free_keys(struct keys *k)
{
	krb5_free_keyblock_contents(k->ctx, &k->session);
	krb5_free_keyblock_contents(k->ctx, &k->client_subkey);
	krb5_free_keyblock_contents(k->ctx, &k->acceptor_subkey);
	krb5_free_context(k->ctx);
}

/* A known-key context with the acceptor's subkey, as one side or the other. */
static struct dcerpc_sec *
sec_for(const struct keys *k, bool acceptor, uint64_t seq)
{
	struct dcerpc_sec *sec;

	assert_int_equal(dcerpc_krb5key_new(k->acceptor_subkey.enctype,
	    k->acceptor_subkey.contents, k->acceptor_subkey.length, true,
	    acceptor, seq, DCERPC_AUTHN_GSS_NEGOTIATE, &sec), DCERPC_OK);
	return sec;
}

/* Framing of the whole association as Windows sent it. */
static void
test_windows_framing(void **state)
{
	static const char *const names[] = {
		"krb_10_bind.bin", "krb_12_bind_ack.bin",
		"krb_13_alter_context.bin", "krb_14_alter_context_resp.bin",
		"krb_15_request.bin", "krb_16_response.bin",
		"krb_21_epm_request.bin", "krb_22_epm_response.bin",
	};
	static const uint8_t ptypes[] = { 11, 12, 14, 15, 0, 2, 0, 2 };
	struct dcerpc_pdu p;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint8_t *b = fixture(names[i], &len);

		assert_int_equal(dcerpc_pdu_decode(b, len, &p), DCERPC_OK);
		assert_int_equal(p.hdr.ptype, ptypes[i]);
		if (i < 6) {
			assert_true(p.has_auth);
			assert_int_equal(p.auth.type, DCERPC_AUTHN_GSS_NEGOTIATE);
			assert_int_equal(p.auth.level,
			    DCERPC_AUTHN_LEVEL_PKT_PRIVACY);
		} else {
			assert_false(p.has_auth);
		}
		/* header signing offered in the bind and accepted */
		if (i < 2)
			assert_true(p.hdr.pfc_flags &
			    DCERPC_PFC_SUPPORT_HEADER_SIGN);
		if (i == 4 || i == 5) {
			/* a 76-byte token; padding to 16 (MS-RPCE 2.2.2.11) */
			assert_int_equal(p.auth.value_len, 76);
			assert_int_equal((p.trailer_off - p.stub_off) % 16, 0);
		}
		if (i == 4)
			assert_int_equal(p.auth.pad_len, 12);
		/* every truncation is refused */
		assert_int_not_equal(dcerpc_pdu_decode(b, len - 1, &p),
		    DCERPC_OK);
		free(b);
	}
}

/* Packet 15: Windows' sealed request opens to the published stub. */
static void
test_windows_unseal_request(void **state)
{
	uint8_t want[128], *b;
	struct dcerpc_sec *sec;
	struct dcerpc_pdu p;
	struct dcerpc_vt vt;
	struct keys k;
	size_t len, want_len;
	const uint8_t *stub;

	(void)state;
	get_keys(&k);
	want_len = unhex(p15_hex, want, sizeof(want));
	b = fixture("krb_15_request.bin", &len);
	sec = sec_for(&k, true, 0);
	sec->auth_context_id = 0;
	assert_int_equal(dcerpc_unseal_pdu(sec, b, len, &p), DCERPC_OK);
	stub = b + p.stub_off;
	assert_true(p.stub_len >= want_len);
	assert_memory_equal(stub, want, want_len);
	/* MS-RPCE 2.2.2.13: the verification trailer after the NDR data */
	assert_int_equal(dcerpc_vt_parse(stub, p.stub_len, want_len, &vt),
	    DCERPC_OK);
	assert_true(vt.has_pcontext);
	/* Windows bound DRSUAPI with NDR64 (71710533-beba-4937-8319-b5dbef9ccc36) */
	{
		struct dcerpc_uuid ndr64;

		assert_true(dcerpc_uuid_parse(
		    "71710533-beba-4937-8319-b5dbef9ccc36", &ndr64));
		assert_true(dcerpc_uuid_equal(&vt.transfer.uuid, &ndr64));
	}
	{
		struct dcerpc_uuid drsuapi;

		assert_true(dcerpc_uuid_parse(
		    "e3514235-4b06-11d1-ab04-00c04fc2dcd2", &drsuapi));
		assert_true(dcerpc_uuid_equal(&vt.abstract.uuid, &drsuapi));
		assert_int_equal(vt.abstract.ver_major, 4);
	}
	dcerpc_sec_free(sec);
	free(b);

	/* one bit changed anywhere: header, stub, trailer, token */
	{
		static const size_t spots[] = { 3, 13, 22, 30, 180, 186, 200,
		    250 };
		size_t i;

		for (i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
			b = fixture("krb_15_request.bin", &len);
			b[spots[i]] ^= 0x01;
			sec = sec_for(&k, true, 0);
			assert_int_not_equal(dcerpc_unseal_pdu(sec, b, len, &p),
			    DCERPC_OK);
			dcerpc_sec_free(sec);
			free(b);
		}
	}
	/* the client's own subkey is not the one in use (acceptor subkey) */
	b = fixture("krb_15_request.bin", &len);
	assert_int_equal(dcerpc_krb5key_new(k.client_subkey.enctype,
	    k.client_subkey.contents, k.client_subkey.length, true, true, 0,
	    DCERPC_AUTHN_GSS_NEGOTIATE, &sec), DCERPC_OK);
	assert_int_equal(dcerpc_unseal_pdu(sec, b, len, &p),
	    DCERPC_E_SEC_INTEGRITY);
	dcerpc_sec_free(sec);
	/* the wrong direction: as the client, the token is not ours to read */
	sec = sec_for(&k, false, 0);
	assert_int_equal(dcerpc_unseal_pdu(sec, b, len, &p),
	    DCERPC_E_SEC_INTEGRITY);
	dcerpc_sec_free(sec);
	free(b);
	free_keys(&k);
}

/* Packet 16: the answer opens as the client, and is NDR of DRSBind's out. */
static void
test_windows_unseal_response(void **state)
{
	struct dcerpc_sec *sec;
	struct dcerpc_pdu p;
	struct keys k;
	uint8_t *b;
	size_t len;

	(void)state;
	get_keys(&k);
	b = fixture("krb_16_response.bin", &len);
	sec = sec_for(&k, false, 0);
	assert_int_equal(dcerpc_unseal_pdu(sec, b, len, &p), DCERPC_OK);
	/* DRSBind returns its status (0, DWORD) last */
	assert_true(p.stub_len >= 4);
	assert_int_equal(dcerpc_get32(b + p.stub_off + p.stub_len - 4), 0);
	dcerpc_sec_free(sec);
	free(b);
	free_keys(&k);
}

/*
 * Our sealing of packet 15's plaintext, with Windows' header fields, must
 * open with the same keys; its clear parts equal Windows' bytes.
 */
static void
test_our_sealing_verifies(void **state)
{
	uint8_t *win, out[1024], plain[512];
	struct dcerpc_sec *tx, *rx;
	struct dcerpc_pdu wp, p;
	struct dcerpc_call_frag f;
	struct dcerpc_auth_out a;
	struct keys k;
	size_t len, out_len, tok;

	(void)state;
	get_keys(&k);
	win = fixture("krb_15_request.bin", &len);
	rx = sec_for(&k, true, 0);
	assert_int_equal(dcerpc_unseal_pdu(rx, win, len, &wp), DCERPC_OK);
	memcpy(plain, win + wp.stub_off, wp.stub_len);

	tx = sec_for(&k, false, 1);
	memset(&f, 0, sizeof(f));
	f.ptype = DCERPC_PTYPE_REQUEST;
	f.pfc_flags = wp.hdr.pfc_flags;
	f.call_id = wp.hdr.call_id;
	f.alloc_hint = wp.u.request.alloc_hint;
	f.context_id = wp.u.request.context_id;
	f.opnum = wp.u.request.opnum;
	f.stub = plain;
	f.stub_len = wp.stub_len;
	assert_int_equal(dcerpc_sec_token_len(tx, 0, &tok), DCERPC_OK);
	assert_int_equal(tok, 76);
	a.type = DCERPC_AUTHN_GSS_NEGOTIATE;
	a.level = DCERPC_AUTHN_LEVEL_PKT_PRIVACY;
	a.context_id = wp.auth.context_id;
	a.value = NULL;
	a.value_len = tok;
	assert_int_equal(dcerpc_build_call(out, sizeof(out), &out_len, &f, &a),
	    DCERPC_OK);
	assert_int_equal(out_len, len);
	assert_int_equal(dcerpc_seal_pdu(tx, out, out_len), DCERPC_OK);
	/* header and sec_trailer as Windows wrote them; the token's header
	 * too apart from the sequence number */
	assert_memory_equal(out, win, wp.stub_off);
	assert_memory_equal(out + wp.trailer_off, win + wp.trailer_off, 8);
	assert_memory_equal(out + wp.trailer_off + 8, win + wp.trailer_off + 8,
	    8);
	/* the stub is sealed, not in the clear */
	assert_memory_not_equal(out + wp.stub_off, plain, wp.stub_len);
	assert_int_equal(dcerpc_unseal_pdu(rx, out, out_len, &p), DCERPC_OK);
	assert_int_equal(p.stub_len, wp.stub_len);
	assert_memory_equal(out + p.stub_off, plain, wp.stub_len);

	/* header signing: a changed opnum in the clear header is caught */
	assert_int_equal(dcerpc_build_call(out, sizeof(out), &out_len, &f, &a),
	    DCERPC_OK);
	assert_int_equal(dcerpc_seal_pdu(tx, out, out_len), DCERPC_OK);
	out[22] ^= 1;
	assert_int_equal(dcerpc_unseal_pdu(rx, out, out_len, &p),
	    DCERPC_E_SEC_INTEGRITY);
	dcerpc_sec_free(tx);
	dcerpc_sec_free(rx);
	free(win);
	free_keys(&k);
}

/*
 * Packets 21 and 22: ept_map, unauthenticated. Windows bound the endpoint
 * mapper with NDR64, so the stubs are NDR64 (8-byte pointers and counts,
 * here read at their fixed offsets); the tower octet strings inside are the
 * same in any transfer syntax and must match ours byte for byte. Our NDR
 * 2.0 stubs then carry the same towers back.
 */
static void
test_windows_ept_map(void **state)
{
	uint8_t want[128], tower[EPM_TOWER_MAX], *b;
	struct epm_tower t, back, towers[EPM_MAX_TOWERS];
	struct dcerpc_pdu p;
	struct ndr_out o;
	const uint8_t *s;
	size_t len, want_len, tlen, n, end;
	uint32_t status;

	(void)state;
	b = fixture("krb_21_epm_request.bin", &len);
	assert_int_equal(dcerpc_pdu_decode(b, len, &p), DCERPC_OK);
	assert_int_equal(p.u.request.opnum, EPM_OPNUM_MAP);
	s = b + p.stub_off;
	/* object ptr (8) + uuid (16) + tower ptr (8), conformance (8), length */
	assert_int_equal(dcerpc_get32(s + 32), 75);
	assert_int_equal(dcerpc_get32(s + 40), 75);
	want_len = unhex(p21_tower_hex, want, sizeof(want));
	assert_int_equal(want_len, 75);
	assert_memory_equal(s + 44, want, want_len);
	assert_int_equal(epm_tower_parse(s + 44, 75, &t), DCERPC_OK);
	assert_int_equal(t.port, 135);
	assert_int_equal(t.iface.ver_major, 4);
	assert_true(dcerpc_syntax_equal(&t.transfer, &dcerpc_syntax_ndr));
	assert_int_equal(epm_tower_build(&t, tower, sizeof(tower), &tlen),
	    DCERPC_OK);
	assert_int_equal(tlen, want_len);
	assert_memory_equal(tower, want, want_len);
	/* hostile towers: every truncation, a wrong floor count or id */
	for (n = 0; n < want_len; n++)
		assert_int_not_equal(epm_tower_parse(want, n, &back), DCERPC_OK);
	want[0] = 4;
	assert_int_not_equal(epm_tower_parse(want, want_len, &back), DCERPC_OK);
	want[0] = 5;
	want[4] = EPM_PROT_TCP;
	assert_int_not_equal(epm_tower_parse(want, want_len, &back), DCERPC_OK);
	/* our NDR 2.0 request carries the same tower */
	ndr_out_init(&o);
	assert_int_equal(epm_map_request_build(&t, &o), DCERPC_OK);
	assert_int_equal(epm_map_request_parse(o.data, o.len, &back, &end),
	    DCERPC_OK);
	assert_int_equal(end, o.len);
	assert_int_equal(back.port, 135);
	assert_true(dcerpc_syntax_equal(&back.iface, &t.iface));
	ndr_out_free(&o);
	free(b);

	b = fixture("krb_22_epm_response.bin", &len);
	assert_int_equal(dcerpc_pdu_decode(b, len, &p), DCERPC_OK);
	s = b + p.stub_off;
	/* handle (20), num_towers (4), max (8), offset (8), actual (8),
	 * referent (8), conformance (8), tower_length (4), the tower */
	assert_int_equal(dcerpc_get32(s + 20), 1);
	assert_int_equal(dcerpc_get32(s + 56), 75);
	assert_int_equal(dcerpc_get32(s + 64), 75);
	want_len = unhex(p22_tower_hex, want, sizeof(want));
	assert_memory_equal(s + 68, want, want_len);
	assert_int_equal(epm_tower_parse(s + 68, 75, &t), DCERPC_OK);
	assert_int_equal(t.port, 49667);
	assert_int_equal(t.ip[0], 192);
	assert_int_equal(t.ip[3], 100);
	assert_int_equal(epm_tower_build(&t, tower, sizeof(tower), &tlen),
	    DCERPC_OK);
	assert_memory_equal(tower, want, want_len);
	ndr_out_init(&o);
	assert_int_equal(epm_map_response_build(&t, 1, 0, &o), DCERPC_OK);
	assert_int_equal(epm_map_response_parse(o.data, o.len, towers,
	    EPM_MAX_TOWERS, &n, &status), DCERPC_OK);
	assert_int_equal(n, 1);
	assert_int_equal(status, 0);
	assert_int_equal(towers[0].port, 49667);
	/* every truncation of our response is refused */
	for (len = 0; len < o.len; len++)
		assert_int_not_equal(epm_map_response_parse(o.data, len, towers,
		    EPM_MAX_TOWERS, &n, &status), DCERPC_OK);
	ndr_out_free(&o);
	free(b);
}

/*
 * The NTLM capture's call 5 (tests/fixtures/dcerpc/README.md): a sealed
 * answer Windows split into six fragments of at most 5840 bytes. Without
 * NTLM (which we do not implement) the stubs stay sealed, but the framing
 * is Windows': each fragment decodes, the sequence reassembles to the
 * published 33,592 bytes with 8 bytes of auth padding in the last fragment
 * only, and our own fragmenter would cut a 33,592-byte stub the same way.
 */
static void
test_windows_fragmented_response(void **state)
{
	struct dcerpc_reasm ra;
	struct dcerpc_pdu p;
	uint8_t *b;
	size_t len, off = 0, n = 0, room;
	uint32_t hint = 0;

	(void)state;
	b = fixture("ntlm_call5_response.bin", &len);
	dcerpc_reasm_init(&ra, 0);
	while (off < len) {
		struct dcerpc_hdr h;

		assert_int_equal(dcerpc_hdr_peek(b + off, len - off, 5840, &h),
		    DCERPC_OK);
		assert_int_equal(dcerpc_pdu_decode(b + off, h.frag_length, &p),
		    DCERPC_OK);
		assert_int_equal(p.hdr.ptype, DCERPC_PTYPE_RESPONSE);
		assert_true(p.has_auth);
		assert_int_equal(p.auth.level, DCERPC_AUTHN_LEVEL_PKT_PRIVACY);
		assert_int_equal(p.auth.value_len, 16);
		/* alloc_hint counts down what is left */
		if (n > 0)
			assert_int_equal(p.u.response.alloc_hint, hint);
		hint = p.u.response.alloc_hint - (uint32_t)p.stub_len;
		assert_int_equal((p.trailer_off - p.stub_off) % 16, 0);
		if (!(p.hdr.pfc_flags & DCERPC_PFC_LAST_FRAG)) {
			assert_int_equal(h.frag_length, 5840);
			assert_int_equal(p.auth.pad_len, 0);
		} else {
			assert_int_equal(p.auth.pad_len, 8);
		}
		assert_int_equal(dcerpc_reasm_add(&ra, &p, b + off + p.stub_off,
		    p.stub_len), DCERPC_OK);
		off += h.frag_length;
		n++;
	}
	assert_int_equal(n, 6);
	assert_true(ra.done);
	assert_int_equal(ra.len, 33592);
	/* the same cut: 5792 stub bytes per full fragment with a 16-byte token */
	room = dcerpc_frag_stub_room(5840, DCERPC_PTYPE_RESPONSE, false, 16);
	assert_int_equal(room, 5792);
	assert_int_equal((33592 + room - 1) / room, 6);
	/* a fragment cut short, or the reassembly bound below the total */
	assert_int_not_equal(dcerpc_pdu_decode(b, 5839, &p), DCERPC_OK);
	dcerpc_reasm_free(&ra);
	dcerpc_reasm_init(&ra, 33591);
	for (off = 0; off < len;) {
		enum dcerpc_err r;

		assert_int_equal(dcerpc_pdu_decode(b + off,
		    dcerpc_get16(b + off + 8), &p), DCERPC_OK);
		r = dcerpc_reasm_add(&ra, &p, b + off + p.stub_off, p.stub_len);
		off += dcerpc_get16(b + off + 8);
		if (off == len)
			assert_int_equal(r, DCERPC_E_TOO_BIG);
		else
			assert_int_equal(r, DCERPC_OK);
	}
	dcerpc_reasm_free(&ra);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows_framing),
		cmocka_unit_test(test_windows_unseal_request),
		cmocka_unit_test(test_windows_unseal_response),
		cmocka_unit_test(test_our_sealing_verifies),
		cmocka_unit_test(test_windows_ept_map),
		cmocka_unit_test(test_windows_fragmented_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
