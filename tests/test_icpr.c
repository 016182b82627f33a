/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * NDR of CertServerRequest (src/icpr.c, src/ndr.c). The reference bytes were
 * made at authoring time with impacket's NDR engine (python3-impacket,
 * impacket.dcerpc.v5.ndr, the structures of MS-ICPR 3.2.4.1.1 declared as
 * Certipy declares them), not with this code. impacket picks random
 * referent ids and leaves junk in alignment gaps: its bytes are decoded as
 * they are; for our encoder the ids are replaced by ours (0x00020000, +4,
 * ...) and the gaps zeroed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hresult.h"
#include "icpr.h"
#include "ndr.h"

/* flags 0x102, authority "CA1", id 0, "CertificateTemplate:DAOTPRA",
 * request 30 82 01 02 aa. */
static const char req_impacket[] =
    "02010000c73a000004000000000000000400000043004100310000000000000038"
    "000000181000003800000043006500720074006900660069006300610074006500"
    "540065006d0070006c006100740065003a00440041004f00540050005200410000"
    "0005000000ca3200000500000030820102aa";
static const char req_ours[] =
    "02010000000002000400000000000000040000004300410031000000000000003800"
    "0000040002003800000043006500720074006900660069006300610074006500540065"
    "006d0070006c006100740065003a00440041004f00540050005200410000000500000"
    "0080002000500000030820102aa";
/* id 17, CR_DISP_ISSUED, chain 01 02 03, cert 30 03 02 01 05, "Issued". */
static const char resp_impacket[] =
    "11000000030000000300000047e6000003000000010203ab050000003a6f00000500"
    "00003003020105ababab0e000000deb900000e000000490073007300750065006400"
    "0000bfbf00000000";
static const char resp_ours[] =
    "110000000300000003000000000002000300000001020300050000000400020005"
    "00000030030201050000000e000000080002000e00000049007300730075006500"
    "64000000000000000000";
/* id 18, CR_DISP_DENIED, no certificate, CERTSRV_E_TEMPLATE_DENIED. */
static const char resp_denied[] =
    "120000000200000000000000000000000000000000000000300000009bd40000300000"
    "00440065006e00690065006400200062007900200050006f006c006900630079002000"
    "4d006f00640075006c006500000012400980";
/* flags 0, authority NULL, id 5, empty blobs: no referents at all. */
static const char req_empty[] =
    "00000000000000000500000000000000000000000000000000000000";

static uint8_t *
unhex(const char *h, size_t *n)
{
	size_t len = strlen(h) / 2, i;
	uint8_t *p = malloc(len + 1);
	unsigned v;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		p[i] = (uint8_t)v;
	}
	*n = len;
	return p;
}

static void
test_request_encode(void **state)
{
	static const uint8_t csr[] = { 0x30, 0x82, 0x01, 0x02, 0xaa };
	struct icpr_request r;
	struct ndr_out o;
	uint8_t *want;
	size_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.flags = ICPR_CR_IN_BINARY | ICPR_CR_IN_PKCS10;
	r.authority = "CA1";
	r.attributes = "CertificateTemplate:DAOTPRA";
	r.request.data = csr;
	r.request.len = sizeof(csr);
	ndr_out_init(&o);
	assert_int_equal(icpr_request_encode(&r, &o), DCERPC_OK);
	want = unhex(req_ours, &n);
	assert_int_equal(o.len, n);
	assert_memory_equal(o.data, want, n);
	free(want);
	ndr_out_free(&o);

	memset(&r, 0, sizeof(r));
	r.request_id = 5;
	ndr_out_init(&o);
	assert_int_equal(icpr_request_encode(&r, &o), DCERPC_OK);
	want = unhex(req_empty, &n);
	assert_int_equal(o.len, n);
	assert_memory_equal(o.data, want, n);
	free(want);
	ndr_out_free(&o);

	/* text that is not UTF-8 is refused, never sent */
	memset(&r, 0, sizeof(r));
	r.authority = "CA\xff";
	ndr_out_init(&o);
	assert_int_equal(icpr_request_encode(&r, &o), DCERPC_E_ARG);
	ndr_out_free(&o);
}

static void
test_request_decode(void **state)
{
	struct icpr_request r;
	uint8_t *b;
	size_t n, end;

	(void)state;
	b = unhex(req_impacket, &n);
	assert_int_equal(icpr_request_decode(b, n, &r, &end), DCERPC_OK);
	assert_int_equal(end, n);
	assert_int_equal(r.flags, 0x102);
	assert_string_equal(r.authority, "CA1");
	assert_int_equal(r.request_id, 0);
	assert_string_equal(r.attributes, "CertificateTemplate:DAOTPRA");
	assert_int_equal(r.request.len, 5);
	assert_int_equal(r.request.data[4], 0xaa);
	icpr_request_clear(&r);
	/* every truncation is refused */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(icpr_request_decode(b, i, &r, &end),
		    DCERPC_E_BAD_NDR);
	/* authority: offset not 0, actual above max, no NUL, inner NUL */
	b[12] = 1;
	assert_int_equal(icpr_request_decode(b, n, &r, &end), DCERPC_E_BAD_NDR);
	b[12] = 0;
	b[16] = 5;
	assert_int_equal(icpr_request_decode(b, n, &r, &end), DCERPC_E_BAD_NDR);
	b[16] = 4;
	b[26] = 'x';
	assert_int_equal(icpr_request_decode(b, n, &r, &end), DCERPC_E_BAD_NDR);
	b[26] = 0;
	b[22] = 0;
	assert_int_equal(icpr_request_decode(b, n, &r, &end), DCERPC_E_BAD_NDR);
	b[22] = '1';
	/* attributes: cb and max_count disagree; odd length; lone surrogate */
	b[32] = 0x3a;
	assert_int_equal(icpr_request_decode(b, n, &r, &end), DCERPC_E_BAD_NDR);
	b[32] = 0x38;
	b[44] = 0x00;
	b[45] = 0xdc;
	assert_int_equal(icpr_request_decode(b, n, &r, &end), DCERPC_E_BAD_NDR);
	b[44] = 0x43;
	b[45] = 0x00;
	/* a huge cb with its bytes missing */
	b[32] = 0xff;
	b[33] = 0xff;
	b[34] = 0xff;
	b[35] = 0x7f;
	assert_int_equal(icpr_request_decode(b, n, &r, &end), DCERPC_E_BAD_NDR);
	free(b);

	b = unhex(req_empty, &n);
	assert_int_equal(icpr_request_decode(b, n, &r, &end), DCERPC_OK);
	assert_null(r.authority);
	assert_null(r.attributes);
	assert_int_equal(r.request_id, 5);
	assert_int_equal(r.request.len, 0);
	icpr_request_clear(&r);
	/* cb > 0 with a null pointer */
	b[16] = 4;
	assert_int_equal(icpr_request_decode(b, n, &r, &end), DCERPC_E_BAD_NDR);
	free(b);
}

static void
test_response(void **state)
{
	static const uint8_t chain[] = { 1, 2, 3 };
	static const uint8_t cert[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	struct icpr_response r;
	struct ndr_out o;
	uint8_t *b, *big;
	size_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.request_id = 17;
	r.disposition = CR_DISP_ISSUED;
	r.cert_chain.data = chain;
	r.cert_chain.len = sizeof(chain);
	r.encoded_cert.data = cert;
	r.encoded_cert.len = sizeof(cert);
	r.disposition_message = "Issued";
	ndr_out_init(&o);
	assert_int_equal(icpr_response_encode(&r, &o), DCERPC_OK);
	b = unhex(resp_ours, &n);
	assert_int_equal(o.len, n);
	assert_memory_equal(o.data, b, n);
	free(b);
	ndr_out_free(&o);

	b = unhex(resp_impacket, &n);
	assert_int_equal(icpr_response_decode(b, n, &r), DCERPC_OK);
	assert_int_equal(r.request_id, 17);
	assert_int_equal(r.disposition, CR_DISP_ISSUED);
	assert_int_equal(r.cert_chain.len, 3);
	assert_memory_equal(r.encoded_cert.data, cert, sizeof(cert));
	assert_string_equal(r.disposition_message, "Issued");
	assert_int_equal(r.status, 0);
	icpr_response_clear(&r);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(icpr_response_decode(b, i, &r),
		    DCERPC_E_BAD_NDR);
	/* garbage after the HRESULT */
	big = malloc(n + 8);
	memcpy(big, b, n);
	memset(big + n, 0, 8);
	assert_int_equal(icpr_response_decode(big, n + 8, &r), DCERPC_E_BAD_NDR);
	big[n] = 1;
	assert_int_equal(icpr_response_decode(big, n + 4, &r), DCERPC_E_BAD_NDR);
	free(big);
	free(b);

	b = unhex(resp_denied, &n);
	assert_int_equal(icpr_response_decode(b, n, &r), DCERPC_OK);
	assert_int_equal(r.disposition, CR_DISP_DENIED);
	assert_int_equal(r.status, HR_CERTSRV_E_TEMPLATE_DENIED);
	assert_string_equal(hresult_name(r.status), "CERTSRV_E_TEMPLATE_DENIED");
	assert_null(r.encoded_cert.data);
	assert_string_equal(r.disposition_message, "Denied by Policy Module");
	icpr_response_clear(&r);
	free(b);
}

static void
test_utf16(void **state)
{
	uint8_t *u;
	size_t n;
	char *s;

	(void)state;
	/* U+00E9 and U+1F512 (a surrogate pair) both ways */
	assert_true(ndr_utf8_to_utf16le("\xc3\xa9\xf0\x9f\x94\x92", true, &u,
	    &n));
	assert_int_equal(n, 8);
	assert_memory_equal(u, "\xe9\x00\x3d\xd8\x12\xdd\x00\x00", 8);
	assert_true(ndr_utf16le_to_utf8(u, 6, &s));
	assert_string_equal(s, "\xc3\xa9\xf0\x9f\x94\x92");
	free(s);
	/* a high surrogate without its pair; an embedded NUL; odd length */
	assert_false(ndr_utf16le_to_utf8(u + 2, 2, &s));
	assert_false(ndr_utf16le_to_utf8(u, 8, &s));
	assert_false(ndr_utf16le_to_utf8(u, 3, &s));
	free(u);
	/* overlong UTF-8 and a surrogate in UTF-8 are refused */
	assert_false(ndr_utf8_to_utf16le("\xc0\xaf", false, &u, &n));
	assert_false(ndr_utf8_to_utf16le("\xed\xa0\x80", false, &u, &n));
}

static void
test_ndr_reader(void **state)
{
	static const uint8_t b[] = { 1, 0, 0, 0, 2, 0, 0, 0, 3 };
	struct ndr_in in;
	const uint8_t *p;
	uint32_t v;
	uint8_t c;

	(void)state;
	ndr_in_init(&in, b, sizeof(b));
	assert_true(ndr_get_u8(&in, &c));
	/* u32 aligns to 4 first */
	assert_true(ndr_get_u32(&in, &v));
	assert_int_equal(v, 2);
	assert_false(ndr_get_u32(&in, &v));
	assert_false(ndr_get_bytes(&in, 2, &p));
	assert_true(ndr_get_bytes(&in, 1, &p));
	assert_false(ndr_get_u8(&in, &c));
	/* a conformant array whose max_count is not its size_is */
	ndr_in_init(&in, b, sizeof(b));
	assert_false(ndr_get_conf_bytes(&in, 2, &p));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_encode),
		cmocka_unit_test(test_request_decode),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_ndr_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
