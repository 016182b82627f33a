/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Unit tests for DCE/RPC framing (src/dcerpc_pdu.c, dcerpc_build.c,
 * dcerpc_frag.c): round trips of every PDU we build, and hostile input
 * (truncated, lengths past the end, auth_length lies, bad padding,
 * fragments out of order or over the bound). Windows-made PDUs are checked
 * in tests/test_dcerpc_windows.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dcerpc.h"
#include "icpr.h"

static uint8_t buf[DCERPC_FRAG_LIMIT];

static struct dcerpc_ctx_elem
icpr_ctx(void)
{
	struct dcerpc_ctx_elem c;

	memset(&c, 0, sizeof(c));
	c.context_id = 0;
	c.abstract = icpr_syntax;
	c.n_transfer = 1;
	c.transfer[0] = dcerpc_syntax_ndr;
	return c;
}

static void
test_uuid(void **state)
{
	struct dcerpc_uuid u;
	char s[37];
	uint8_t w[16];
	static const uint8_t wire[16] = {
		0x20, 0x60, 0xae, 0x91, 0x3c, 0x9e, 0xcf, 0x11,
		0x8d, 0x7c, 0x00, 0xaa, 0x00, 0xc0, 0x91, 0xbe,
	};

	(void)state;
	assert_true(dcerpc_uuid_parse("91ae6020-9e3c-11cf-8d7c-00aa00c091be", &u));
	assert_true(dcerpc_uuid_equal(&u, &icpr_syntax.uuid));
	dcerpc_uuid_format(&u, s);
	assert_string_equal(s, "91ae6020-9e3c-11cf-8d7c-00aa00c091be");
	dcerpc_uuid_put(w, &u);
	assert_memory_equal(w, wire, 16);
	assert_false(dcerpc_uuid_parse("91ae6020-9e3c-11cf-8d7c-00aa00c091b", &u));
	assert_false(dcerpc_uuid_parse("91ae6020x9e3c-11cf-8d7c-00aa00c091be", &u));
	assert_false(dcerpc_uuid_parse("91ae6020-9e3c-11cf-8d7c-00aa00c091bg", &u));
	assert_false(dcerpc_uuid_parse(NULL, &u));
}

static void
test_bind_round_trip(void **state)
{
	struct dcerpc_ctx_elem c = icpr_ctx();
	struct dcerpc_auth_out a = { DCERPC_AUTHN_GSS_NEGOTIATE,
	    DCERPC_AUTHN_LEVEL_PKT_PRIVACY, 79, (const uint8_t *)"TOKEN", 5 };
	struct dcerpc_pdu p;
	size_t len;

	(void)state;
	assert_int_equal(dcerpc_build_bind(buf, sizeof(buf), &len,
	    DCERPC_PTYPE_BIND, DCERPC_PFC_FIRST_FRAG | DCERPC_PFC_LAST_FRAG |
	    DCERPC_PFC_SUPPORT_HEADER_SIGN, 2, 5840, 5840, 0, &c, 1, &a),
	    DCERPC_OK);
	/* 16 + 12 + 44 + 8 + 5 */
	assert_int_equal(len, 85);
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
	assert_int_equal(p.hdr.ptype, DCERPC_PTYPE_BIND);
	assert_int_equal(p.hdr.call_id, 2);
	assert_int_equal(p.hdr.auth_length, 5);
	assert_int_equal(p.u.bind.max_xmit_frag, 5840);
	assert_int_equal(p.u.bind.n_ctx, 1);
	assert_true(dcerpc_syntax_equal(&p.u.bind.ctx[0].abstract, &icpr_syntax));
	assert_true(dcerpc_syntax_equal(&p.u.bind.ctx[0].transfer[0],
	    &dcerpc_syntax_ndr));
	assert_true(p.has_auth);
	assert_int_equal(p.auth.type, 9);
	assert_int_equal(p.auth.level, 6);
	assert_int_equal(p.auth.context_id, 79);
	assert_memory_equal(p.auth.value, "TOKEN", 5);
	/* every shorter prefix is truncated */
	for (size_t n = 0; n < len; n++)
		assert_int_not_equal(dcerpc_pdu_decode(buf, n, &p), DCERPC_OK);
	/* one byte too many is refused too */
	assert_int_equal(dcerpc_pdu_decode(buf, len + 1, &p),
	    DCERPC_E_BAD_LENGTH);
}

static void
test_bind_ack_round_trip(void **state)
{
	struct dcerpc_ctx_result r[2];
	struct dcerpc_pdu p;
	size_t len;

	(void)state;
	memset(r, 0, sizeof(r));
	r[0].transfer = dcerpc_syntax_ndr;
	r[1].result = DCERPC_RESULT_NEGOTIATE_ACK;
	r[1].reason = 3;
	assert_int_equal(dcerpc_build_bind_ack(buf, sizeof(buf), &len,
	    DCERPC_PTYPE_BIND_ACK, 3, 7, 4280, 4280, 0x1234, "49671", r, 2,
	    NULL), DCERPC_OK);
	/* 16 + 10 + "49671\0" -> 32, + 4 + 48 */
	assert_int_equal(len, 84);
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
	assert_string_equal(p.u.bind_ack.sec_addr, "49671");
	assert_int_equal(p.u.bind_ack.assoc_group, 0x1234);
	assert_int_equal(p.u.bind_ack.n_results, 2);
	assert_int_equal(p.u.bind_ack.results[1].result, 3);
	assert_true(dcerpc_syntax_equal(&p.u.bind_ack.results[0].transfer,
	    &dcerpc_syntax_ndr));
	/* sec_addr without its NUL */
	buf[31] = 'x';
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_BODY);
	buf[31] = 0;
	/* sec_addr length past the end */
	dcerpc_put16(buf + 24, 200);
	assert_int_not_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
	dcerpc_put16(buf + 24, 6);
	/* more results than bytes */
	buf[32] = 3;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_TRUNCATED);
	buf[32] = 200;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_BODY);
	/* alter_context_resp with an empty sec_addr */
	assert_int_equal(dcerpc_build_bind_ack(buf, sizeof(buf), &len,
	    DCERPC_PTYPE_ALTER_CONTEXT_RESP, 3, 7, 4280, 4280, 0x1234, NULL,
	    r, 1, NULL), DCERPC_OK);
	assert_int_equal(len, 56);
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
	assert_string_equal(p.u.bind_ack.sec_addr, "");
}

static void
test_request_with_auth(void **state)
{
	static const uint8_t stub[21] = "0123456789abcdefghij";
	struct dcerpc_auth_out a = { 16, 6, 1, NULL, 60 };
	struct dcerpc_call_frag f;
	struct dcerpc_pdu p;
	size_t len;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.ptype = DCERPC_PTYPE_REQUEST;
	f.pfc_flags = DCERPC_PFC_FIRST_FRAG | DCERPC_PFC_LAST_FRAG;
	f.call_id = 3;
	f.alloc_hint = sizeof(stub);
	f.opnum = 0;
	f.context_id = 1;
	f.stub = stub;
	f.stub_len = sizeof(stub);
	assert_int_equal(dcerpc_build_call(buf, sizeof(buf), &len, &f, &a),
	    DCERPC_OK);
	/* 24 + 21 + 11 pad + 8 + 60 */
	assert_int_equal(len, 124);
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
	assert_int_equal(p.stub_off, 24);
	assert_int_equal(p.stub_len, 21);
	assert_int_equal(p.auth.pad_len, 11);
	assert_int_equal(p.trailer_off, 56);
	assert_int_equal(p.u.request.context_id, 1);
	assert_memory_equal(buf + p.stub_off, stub, sizeof(stub));
	/* auth_pad_length beyond the stub area */
	buf[58] = 33;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_PADDING);
	buf[58] = 11;
	/* auth_length lies: larger than the PDU */
	dcerpc_put16(buf + 10, 200);
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_LENGTH);
	/* auth_length lies: trailer misaligned */
	dcerpc_put16(buf + 10, 61);
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_AUTH);
	/* auth_length lies: trailer inside the request header */
	dcerpc_put16(buf + 10, 100);
	assert_int_not_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
	dcerpc_put16(buf + 10, 60);
	/* an impossible level */
	buf[57] = 9;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_AUTH);
	buf[57] = 6;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
}

static void
test_header_checks(void **state)
{
	struct dcerpc_hdr h;
	struct dcerpc_pdu p;
	size_t len;

	(void)state;
	assert_int_equal(dcerpc_build_fault(buf, sizeof(buf), &len, 9, 0,
	    DCERPC_NCA_S_OP_RNG_ERROR, 0), DCERPC_OK);
	assert_int_equal(len, 32);
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
	assert_int_equal(p.u.fault.status, DCERPC_NCA_S_OP_RNG_ERROR);
	assert_int_equal(dcerpc_hdr_peek(buf, 15, 5840, &h), DCERPC_E_TRUNCATED);
	assert_int_equal(dcerpc_hdr_peek(buf, 16, 5840, &h), DCERPC_OK);
	assert_int_equal(h.frag_length, 32);
	/* frag_length above what we accept */
	assert_int_equal(dcerpc_hdr_peek(buf, 16, 31, &h), DCERPC_E_BAD_LENGTH);
	/* frag_length below the fault's fixed part */
	dcerpc_put16(buf + 8, 20);
	assert_int_equal(dcerpc_hdr_peek(buf, 16, 5840, &h), DCERPC_E_BAD_LENGTH);
	dcerpc_put16(buf + 8, 32);
	buf[0] = 4;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_VERSION);
	buf[0] = 5;
	buf[1] = 2;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_VERSION);
	buf[1] = 0;
	buf[4] = 0x00;	/* big-endian */
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_DREP);
	buf[4] = 0x10;
	buf[2] = 42;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_PTYPE);
	buf[2] = DCERPC_PTYPE_FAULT;
	/* auth_length beyond our bound */
	dcerpc_put16(buf + 10, DCERPC_AUTH_VALUE_MAX + 1);
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_AUTH);
}

static void
test_bind_hostile(void **state)
{
	struct dcerpc_ctx_elem c[2];
	struct dcerpc_pdu p;
	size_t len;

	(void)state;
	c[0] = icpr_ctx();
	c[1] = icpr_ctx();
	c[1].context_id = 1;
	c[1].n_transfer = 2;
	c[1].transfer[1] = dcerpc_syntax_btfn;
	assert_int_equal(dcerpc_build_bind(buf, sizeof(buf), &len,
	    DCERPC_PTYPE_BIND, 3, 1, 5840, 5840, 0, c, 2, NULL), DCERPC_OK);
	assert_int_equal(len, 16 + 12 + 44 + 64);
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
	assert_int_equal(p.u.bind.ctx[1].n_transfer, 2);
	/* n_transfer 0, too many, past the end */
	buf[72 + 2] = 0;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_BODY);
	buf[72 + 2] = 5;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_BODY);
	buf[72 + 2] = 3;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_TRUNCATED);
	buf[72 + 2] = 2;
	/* more contexts than sent, than allowed, none */
	buf[24] = 3;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_TRUNCATED);
	buf[24] = 9;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_BODY);
	buf[24] = 0;
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_E_BAD_BODY);
	buf[24] = 1;	/* bytes after the listed contexts are ignored */
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
	assert_int_equal(p.u.bind.n_ctx, 1);
	/* builder refusals */
	c[0].n_transfer = 0;
	assert_int_equal(dcerpc_build_bind(buf, sizeof(buf), &len,
	    DCERPC_PTYPE_BIND, 3, 1, 5840, 5840, 0, c, 1, NULL), DCERPC_E_ARG);
	c[0].n_transfer = 1;
	assert_int_equal(dcerpc_build_bind(buf, 50, &len,
	    DCERPC_PTYPE_BIND, 3, 1, 5840, 5840, 0, c, 1, NULL), DCERPC_E_SPACE);
	assert_int_equal(dcerpc_build_bind(buf, sizeof(buf), &len,
	    DCERPC_PTYPE_REQUEST, 3, 1, 5840, 5840, 0, c, 1, NULL), DCERPC_E_ARG);
}

static void
test_auth3_and_nak(void **state)
{
	struct dcerpc_auth_out a = { 16, 6, 0, (const uint8_t *)"APREP", 5 };
	struct dcerpc_pdu p;
	size_t len;

	(void)state;
	assert_int_equal(dcerpc_build_auth3(buf, sizeof(buf), &len, 4, &a),
	    DCERPC_OK);
	assert_int_equal(len, 16 + 4 + 8 + 5);
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
	assert_int_equal(p.hdr.ptype, DCERPC_PTYPE_AUTH3);
	assert_memory_equal(p.auth.value, "APREP", 5);
	/* auth3 without a verifier */
	assert_int_equal(dcerpc_build_auth3(buf, sizeof(buf), &len, 4, NULL),
	    DCERPC_E_ARG);
	assert_int_equal(dcerpc_build_bind_nak(buf, sizeof(buf), &len, 4,
	    DCERPC_BIND_NAK_INVALID_AUTH_TYPE), DCERPC_OK);
	assert_int_equal(dcerpc_pdu_decode(buf, len, &p), DCERPC_OK);
	assert_int_equal(p.u.bind_nak.reason, DCERPC_BIND_NAK_INVALID_AUTH_TYPE);
}

static void
frag(struct dcerpc_pdu *p, uint8_t flags, uint32_t call_id, uint8_t ptype)
{
	memset(p, 0, sizeof(*p));
	p->hdr.pfc_flags = flags;
	p->hdr.call_id = call_id;
	p->hdr.ptype = ptype;
}

static void
test_reassembly(void **state)
{
	struct dcerpc_reasm r;
	struct dcerpc_pdu p;
	static const uint8_t s[100];

	(void)state;
	dcerpc_reasm_init(&r, 250);
	/* must start with FIRST_FRAG */
	frag(&p, 0, 1, DCERPC_PTYPE_RESPONSE);
	assert_int_equal(dcerpc_reasm_add(&r, &p, s, 100), DCERPC_E_BAD_FRAG);
	frag(&p, DCERPC_PFC_FIRST_FRAG, 1, DCERPC_PTYPE_RESPONSE);
	assert_int_equal(dcerpc_reasm_add(&r, &p, s, 100), DCERPC_OK);
	/* other call, other ptype, a second FIRST_FRAG */
	frag(&p, 0, 2, DCERPC_PTYPE_RESPONSE);
	assert_int_equal(dcerpc_reasm_add(&r, &p, s, 100), DCERPC_E_BAD_FRAG);
	frag(&p, 0, 1, DCERPC_PTYPE_FAULT);
	assert_int_equal(dcerpc_reasm_add(&r, &p, s, 100), DCERPC_E_BAD_FRAG);
	frag(&p, DCERPC_PFC_FIRST_FRAG, 1, DCERPC_PTYPE_RESPONSE);
	assert_int_equal(dcerpc_reasm_add(&r, &p, s, 100), DCERPC_E_BAD_FRAG);
	frag(&p, 0, 1, DCERPC_PTYPE_RESPONSE);
	assert_int_equal(dcerpc_reasm_add(&r, &p, s, 100), DCERPC_OK);
	/* over the bound */
	assert_int_equal(dcerpc_reasm_add(&r, &p, s, 51), DCERPC_E_TOO_BIG);
	frag(&p, DCERPC_PFC_LAST_FRAG, 1, DCERPC_PTYPE_RESPONSE);
	assert_int_equal(dcerpc_reasm_add(&r, &p, s, 50), DCERPC_OK);
	assert_true(r.done);
	assert_int_equal(r.len, 250);
	/* nothing after LAST_FRAG */
	assert_int_equal(dcerpc_reasm_add(&r, &p, s, 0), DCERPC_E_BAD_FRAG);
	dcerpc_reasm_free(&r);
}

static void
test_frag_room(void **state)
{
	(void)state;
	/* 5840 - 24 - 8 - 76 = 5732 -> 5728 */
	assert_int_equal(dcerpc_frag_stub_room(5840, DCERPC_PTYPE_REQUEST,
	    false, 76), 5728);
	assert_int_equal(dcerpc_frag_stub_room(5840, DCERPC_PTYPE_REQUEST,
	    false, 0), 5816);
	assert_int_equal(dcerpc_frag_stub_room(5840, DCERPC_PTYPE_REQUEST,
	    true, 0), 5800);
	assert_int_equal(dcerpc_frag_stub_room(100, DCERPC_PTYPE_REQUEST,
	    false, 76), 0);
	assert_int_equal(dcerpc_frag_stub_room(DCERPC_FRAG_MIN,
	    DCERPC_PTYPE_RESPONSE, false, 76) % 16, 0);
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(dcerpc_strerror(DCERPC_E_TRUNCATED), "PDU truncated");
	assert_true(dcerpc_err_is_peer(DCERPC_E_BAD_AUTH));
	assert_false(dcerpc_err_is_peer(DCERPC_E_NOMEM));
	assert_false(dcerpc_err_is_peer(DCERPC_OK));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_bind_round_trip),
		cmocka_unit_test(test_bind_ack_round_trip),
		cmocka_unit_test(test_request_with_auth),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_bind_hostile),
		cmocka_unit_test(test_auth3_and_nak),
		cmocka_unit_test(test_reassembly),
		cmocka_unit_test(test_frag_room),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
