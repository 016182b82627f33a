/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Packet privacy on PDUs (src/dcerpc_seal.c, src/dcerpc_vt.c) through the
 * known-key backend (src/dcerpc_krb5key.c) with a made-up AES256 key: seal
 * and open both ways, then what a hostile peer can change: padding, level,
 * auth type, context id, token bytes, token length, direction, replayed
 * header. And the verification trailer (MS-RPCE 2.2.2.13) both ways.
 * The same code opens Windows' bytes in tests/test_dcerpc_windows.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dcerpc.h"
#include "dcerpc_sec.h"
#include "dcerpc_spnego.h"
#include "icpr.h"

static const uint8_t key[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

static struct dcerpc_sec *
side(bool acceptor)
{
	struct dcerpc_sec *s;

	assert_int_equal(dcerpc_krb5key_new(18, key, sizeof(key), true,
	    acceptor, 0, DCERPC_AUTHN_GSS_KERBEROS, &s), DCERPC_OK);
	s->auth_context_id = 7;
	return s;
}

/* A sealed request of stub_len bytes from the client side into out. */
static size_t
sealed_request(struct dcerpc_sec *tx, uint8_t *out, size_t cap,
    size_t stub_len, uint8_t *stub)
{
	struct dcerpc_call_frag f;
	struct dcerpc_auth_out a;
	size_t len, tok, i;

	for (i = 0; i < stub_len; i++)
		stub[i] = (uint8_t)(i * 3 + 1);
	memset(&f, 0, sizeof(f));
	f.ptype = DCERPC_PTYPE_REQUEST;
	f.pfc_flags = DCERPC_PFC_FIRST_FRAG | DCERPC_PFC_LAST_FRAG;
	f.call_id = 2;
	f.alloc_hint = (uint32_t)stub_len;
	f.stub = stub;
	f.stub_len = stub_len;
	assert_int_equal(dcerpc_sec_token_len(tx, 16, &tok), DCERPC_OK);
	a.type = DCERPC_AUTHN_GSS_KERBEROS;
	a.level = DCERPC_AUTHN_LEVEL_PKT_PRIVACY;
	a.context_id = 7;
	a.value = NULL;
	a.value_len = tok;
	assert_int_equal(dcerpc_build_call(out, cap, &len, &f, &a), DCERPC_OK);
	assert_int_equal(dcerpc_seal_pdu(tx, out, len), DCERPC_OK);
	return len;
}

static void
test_seal_both_ways(void **state)
{
	struct dcerpc_sec *cl = side(false), *sv = side(true);
	uint8_t pdu[512], stub[200];
	struct dcerpc_pdu p;
	size_t len, n;

	(void)state;
	for (n = 0; n <= 33; n += 11) {
		len = sealed_request(cl, pdu, sizeof(pdu), n, stub);
		assert_int_equal(dcerpc_unseal_pdu(sv, pdu, len, &p), DCERPC_OK);
		assert_int_equal(p.stub_len, n);
		assert_memory_equal(pdu + p.stub_off, stub, n);
	}
	/* the server's direction: the client opens, the server cannot */
	len = sealed_request(sv, pdu, sizeof(pdu), 20, stub);
	assert_int_equal(dcerpc_unseal_pdu(sv, pdu, len, &p),
	    DCERPC_E_SEC_INTEGRITY);
	len = sealed_request(sv, pdu, sizeof(pdu), 20, stub);
	assert_int_equal(dcerpc_unseal_pdu(cl, pdu, len, &p), DCERPC_OK);
	dcerpc_sec_free(cl);
	dcerpc_sec_free(sv);
}

static void
test_unseal_hostile(void **state)
{
	struct dcerpc_sec *cl = side(false), *sv = side(true);
	uint8_t pdu[512], stub[64], orig[512];
	struct dcerpc_pdu p;
	size_t len, i, t;

	(void)state;
	len = sealed_request(cl, orig, sizeof(orig), 20, stub);
	t = len - 76 - 8;	/* the sec_trailer */
#define AGAIN() memcpy(pdu, orig, len)
	/* every single byte changed is caught, header and trailer included */
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 9 || i == 10 || i == 11)
			continue;	/* lengths: caught by the decoder */
		AGAIN();
		pdu[i] ^= 0x80;
		assert_int_not_equal(dcerpc_unseal_pdu(sv, pdu, len, &p),
		    DCERPC_OK);
	}
	/* the padding length lies (16 or more, past the stub) */
	AGAIN();
	pdu[t + 2] = 16;
	assert_int_equal(dcerpc_unseal_pdu(sv, pdu, len, &p),
	    DCERPC_E_BAD_PADDING);
	/* integrity level instead of privacy */
	AGAIN();
	pdu[t + 1] = DCERPC_AUTHN_LEVEL_PKT_INTEGRITY;
	assert_int_equal(dcerpc_unseal_pdu(sv, pdu, len, &p), DCERPC_E_SEC_LEVEL);
	/* another auth type, another context */
	AGAIN();
	pdu[t] = DCERPC_AUTHN_GSS_NEGOTIATE;
	assert_int_equal(dcerpc_unseal_pdu(sv, pdu, len, &p), DCERPC_E_BAD_AUTH);
	AGAIN();
	pdu[t + 4] = 8;
	assert_int_equal(dcerpc_unseal_pdu(sv, pdu, len, &p), DCERPC_E_BAD_AUTH);
	/* a shorter token (auth_length and frag_length both adjusted) */
	AGAIN();
	dcerpc_put16(pdu + 10, 72);
	dcerpc_put16(pdu + 8, (uint16_t)(len - 4));
	assert_int_not_equal(dcerpc_unseal_pdu(sv, pdu, len - 4, &p), DCERPC_OK);
	/* no verifier at all: not privacy */
	{
		struct dcerpc_call_frag f;

		memset(&f, 0, sizeof(f));
		f.ptype = DCERPC_PTYPE_REQUEST;
		f.pfc_flags = 3;
		f.stub = stub;
		f.stub_len = 20;
		assert_int_equal(dcerpc_build_call(pdu, sizeof(pdu), &len, &f,
		    NULL), DCERPC_OK);
		assert_int_equal(dcerpc_unseal_pdu(sv, pdu, len, &p),
		    DCERPC_E_SEC_LEVEL);
	}
	dcerpc_sec_free(cl);
	dcerpc_sec_free(sv);
}

static void
test_vt(void **state)
{
	uint8_t stub[256];
	struct dcerpc_vt vt, got;
	size_t len, off;

	(void)state;
	memset(stub, 0xee, 13);
	memset(&vt, 0, sizeof(vt));
	vt.has_bitmask1 = true;
	vt.bitmask1 = DCERPC_VT_CLIENT_SUPPORTS_HEADER_SIGNING;
	vt.has_pcontext = true;
	vt.abstract = icpr_syntax;
	vt.transfer = dcerpc_syntax_ndr;
	vt.has_header2 = true;
	vt.ptype = DCERPC_PTYPE_REQUEST;
	vt.drep[0] = 0x10;
	vt.call_id = 9;
	vt.context_id = 1;
	vt.opnum = 0;
	assert_int_equal(dcerpc_vt_append(stub, sizeof(stub), 13, &len, &vt),
	    DCERPC_OK);
	/* 13 -> 16, signature 8, bitmask 8, pcontext 44, header2 20 */
	assert_int_equal(len, 96);
	assert_int_equal(dcerpc_vt_parse(stub, len, 13, &got), DCERPC_OK);
	assert_true(got.has_bitmask1 && got.has_pcontext && got.has_header2);
	assert_true(dcerpc_syntax_equal(&got.abstract, &icpr_syntax));
	assert_int_equal(got.call_id, 9);
	assert_int_equal(got.context_id, 1);
	/* the server's search from the end finds it */
	assert_int_equal(dcerpc_vt_find(stub, len, &got, &off), DCERPC_OK);
	assert_int_equal(off, 16);
	/* no trailer: only alignment zeros may follow */
	assert_int_equal(dcerpc_vt_parse(stub, 16, 13, &got), DCERPC_OK);
	assert_false(got.has_header2);
	assert_int_equal(dcerpc_vt_find(stub, 13, &got, &off), DCERPC_OK);
	assert_int_equal(off, 13);
	stub[14] = 1;
	assert_int_equal(dcerpc_vt_parse(stub, 16, 13, &got),
	    DCERPC_E_BAD_TRAILER);
	stub[14] = 0;
	/* END missing (commands run off the end) */
	stub[76] = DCERPC_VT_CMD_HEADER2;
	stub[77] = 0;
	assert_int_equal(dcerpc_vt_parse(stub, len, 13, &got),
	    DCERPC_E_BAD_TRAILER);
	/* a command length past the end */
	stub[77] = 0x40;
	stub[78] = 17;
	assert_int_equal(dcerpc_vt_parse(stub, len, 13, &got),
	    DCERPC_E_BAD_TRAILER);
	stub[78] = 16;
	/* bytes after END */
	assert_int_equal(dcerpc_vt_parse(stub, len + 4, 13, &got),
	    DCERPC_E_BAD_TRAILER);
	/* an unknown command that must be processed; one that need not */
	stub[24] = 0x09;
	stub[25] = 0x80;
	assert_int_equal(dcerpc_vt_parse(stub, len, 13, &got),
	    DCERPC_E_BAD_TRAILER);
	stub[25] = 0x00;
	assert_int_equal(dcerpc_vt_parse(stub, len, 13, &got), DCERPC_OK);
	assert_false(got.has_bitmask1);
	/* the same command twice */
	stub[24] = DCERPC_VT_CMD_PCONTEXT;
	stub[26] = 40;
	assert_int_not_equal(dcerpc_vt_parse(stub, len, 13, &got), DCERPC_OK);
	/* nothing to append */
	memset(&vt, 0, sizeof(vt));
	assert_int_equal(dcerpc_vt_append(stub, sizeof(stub), 13, &len, &vt),
	    DCERPC_E_ARG);
	assert_int_equal(dcerpc_vt_append(stub, 20, 13, &len, &got),
	    DCERPC_E_SPACE);
}

/*
 * The acceptor unframes a framed DCE-style AP-REQ (impacket sends one;
 * Windows sends it raw, see the capture): alone, and inside SPNEGO.
 */
static void
test_unframe(void **state)
{
	/* 60 len, krb5 OID, 01 00, then a tiny "AP-REQ" 6e 03 30 01 00 */
	static const uint8_t framed[] = { 0x60, 0x12, 0x06, 0x09, 0x2a, 0x86,
	    0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01, 0x00, 0x6e, 0x03,
	    0x30, 0x01, 0x00 };
	static const uint8_t raw[] = { 0x6e, 0x03, 0x30, 0x01, 0x00 };
	/* SPNEGO: 60 { OID, a0 { 30 { a0 {30 {MS krb5 OID}}, a2 {04 framed} } } } */
	static const uint8_t spnego[] = { 0x60, 0x34, 0x06, 0x06, 0x2b, 0x06,
	    0x01, 0x05, 0x05, 0x02, 0xa0, 0x2a, 0x30, 0x28, 0xa0, 0x0e, 0x30,
	    0x0c, 0x06, 0x0a, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02,
	    0x02, 0x00, 0xa2, 0x16, 0x04, 0x14, 0x60, 0x12, 0x06, 0x09, 0x2a,
	    0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01, 0x00, 0x6e,
	    0x03, 0x30, 0x01, 0x00 };
	static const uint8_t spnego_raw[] = { 0x60, 0x25, 0x06, 0x06, 0x2b,
	    0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x1b, 0x30, 0x19, 0xa0, 0x0e,
	    0x30, 0x0c, 0x06, 0x0a, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01,
	    0x02, 0x02, 0x00, 0xa2, 0x07, 0x04, 0x05, 0x6e, 0x03, 0x30, 0x01,
	    0x00 };
	uint8_t *out, bad[sizeof(spnego)];
	size_t out_len, i;

	(void)state;
	assert_true(dcerpc_spnego_unframe(framed, sizeof(framed), &out,
	    &out_len));
	assert_int_equal(out_len, sizeof(raw));
	assert_memory_equal(out, raw, sizeof(raw));
	free(out);
	assert_true(dcerpc_spnego_unframe(spnego, sizeof(spnego), &out,
	    &out_len));
	assert_int_equal(out_len, sizeof(spnego_raw));
	assert_memory_equal(out, spnego_raw, sizeof(spnego_raw));
	free(out);
	/* already raw (Windows, MIT): nothing to change */
	assert_false(dcerpc_spnego_unframe(raw, sizeof(raw), &out, &out_len));
	assert_false(dcerpc_spnego_unframe(spnego_raw, sizeof(spnego_raw),
	    &out, &out_len));
	/* every truncation, and lengths that lie, change nothing */
	for (i = 0; i < sizeof(spnego); i++)
		assert_false(dcerpc_spnego_unframe(spnego, i, &out, &out_len));
	memcpy(bad, spnego, sizeof(bad));
	bad[33] = 0x7f;
	assert_false(dcerpc_spnego_unframe(bad, sizeof(bad), &out, &out_len));
	bad[33] = 0x14;
	bad[1] = 0x84;
	assert_false(dcerpc_spnego_unframe(bad, sizeof(bad), &out, &out_len));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_both_ways),
		cmocka_unit_test(test_unseal_hostile),
		cmocka_unit_test(test_vt),
		cmocka_unit_test(test_unframe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
