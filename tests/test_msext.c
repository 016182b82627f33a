/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The Microsoft request types (MS-WCCE 2.2.2.7): the bytes of the MS-OTPCE
 * 4.1 example, round trips, and hostile DER (truncated, wrong tags, huge
 * lengths, trailing bytes, bad text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "msext.h"

/* Example 4.1, attribute 1.3.6.1.4.1.311.21.20 (the client's ClientInfo). */
static const uint8_t ex_client_info[] = {
	0x30, 0x44, 0x02, 0x01, 0x05, 0x0c, 0x20, 'C', 'L', 'I', 'E', 'N', 'T',
	'2', '.', 'd', 'o', 'm', 'a', 'i', 'n', '1', '.', 'c', 'o', 'r', 'p',
	'.', 'c', 'o', 'm', 'p', 'a', 'n', 'y', '.', 'c', 'o', 'm', 0x0c, 0x10,
	'D', 'O', 'M', 'A', 'I', 'N', '1', '\\', 'C', 'L', 'I', 'E', 'N', 'T',
	'2', '$', 0x0c, 0x0b, 'L', 'o', 'g', 'o', 'n', 'U', 'I', '.', 'e', 'x',
	'e',
};

/* Example 4.1, extension 1.3.6.1.4.1.311.21.7 (template OID, 100, 5). */
static const uint8_t ex_template_v2[] = {
	0x30, 0x2c, 0x06, 0x24, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x15,
	0x08, 0x8d, 0xc4, 0x6b, 0xdf, 0xd5, 0x22, 0x86, 0x99, 0x87, 0x2e, 0x81,
	0xea, 0xd8, 0x21, 0x86, 0xd4, 0xe5, 0x79, 0x4b, 0x87, 0xbb, 0xb6, 0x1d,
	0x83, 0x94, 0x88, 0x71, 0x02, 0x01, 0x64, 0x02, 0x01, 0x05,
};
#define EX_TEMPLATE_OID "1.3.6.1.4.1.311.21.8.221803.1567394.12993454.3845153.13972217.75.15653661.6620273"

/* Windows' template name, as in cmc-encoded-asn-1.md: BMPString "User". */
static const uint8_t bmp_user[] = {
	0x1e, 0x08, 0x00, 'U', 0x00, 's', 0x00, 'e', 0x00, 'r',
};

/* MS-WCCE 2.2.2.7.7.1 as written: SEQUENCE { UTF8String "User" }. */
static const uint8_t seq_user[] = {
	0x30, 0x06, 0x0c, 0x04, 'U', 's', 'e', 'r',
};

/*
 * RFC 2985 5.4.2 extensionRequest: { 1.2.3, critical, 04 01 aa },
 * { 2.5.29.17, 30 00 }.
 */
static const uint8_t ext_req[] = {
	0x30, 0x17,
	0x30, 0x0a, 0x06, 0x02, 0x2a, 0x03, 0x01, 0x01, 0xff, 0x04, 0x01, 0xaa,
	0x30, 0x09, 0x06, 0x03, 0x55, 0x1d, 0x11, 0x04, 0x02, 0x30, 0x00,
};

static void
test_extensions_decode(void **state)
{
	static const uint8_t empty[] = { 0x30, 0x00 };
	struct msext_extensions e;

	(void)state;
	assert_int_equal(msext_extensions_decode(ext_req, sizeof(ext_req), 32,
	    &e), MSEXT_OK);
	assert_int_equal(e.n, 2);
	assert_false(e.more);
	assert_string_equal(e.v[0].oid, "1.2.3");
	assert_int_equal(e.v[0].value_len, 1);
	assert_int_equal(e.v[0].value[0], 0xaa);
	assert_string_equal(e.v[1].oid, "2.5.29.17");
	assert_int_equal(e.v[1].value_len, 2);
	assert_memory_equal(e.v[1].value, "\x30\x00", 2);
	msext_extensions_free(&e);
	/* only the first max, and a flag for the rest */
	assert_int_equal(msext_extensions_decode(ext_req, sizeof(ext_req), 1,
	    &e), MSEXT_OK);
	assert_int_equal(e.n, 1);
	assert_true(e.more);
	assert_string_equal(e.v[0].oid, "1.2.3");
	msext_extensions_free(&e);
	assert_int_equal(msext_extensions_decode(empty, sizeof(empty), 32, &e),
	    MSEXT_OK);
	assert_int_equal(e.n, 0);
	assert_false(e.more);
	msext_extensions_free(&e);
}

static void
test_extensions_hostile(void **state)
{
	/* BER indefinite length, for the same two extensions */
	static const uint8_t indefinite[] = {
		0x30, 0x80,
		0x30, 0x0a, 0x06, 0x02, 0x2a, 0x03, 0x01, 0x01, 0xff, 0x04, 0x01, 0xaa,
		0x00, 0x00,
	};
	/* no extnValue; a SET instead of the SEQUENCE OF */
	static const uint8_t no_value[] = {
		0x30, 0x06, 0x30, 0x04, 0x06, 0x02, 0x2a, 0x03,
	};
	static const uint8_t set[] = { 0x31, 0x00 };
	uint8_t buf[sizeof(ext_req) + 1], oid_der[200];
	struct msext_extensions e;
	size_t i, n;

	(void)state;
	assert_int_equal(msext_extensions_decode(indefinite, sizeof(indefinite),
	    32, &e), MSEXT_MALFORMED);
	assert_null(e.v);
	assert_int_equal(msext_extensions_decode(no_value, sizeof(no_value), 32,
	    &e), MSEXT_MALFORMED);
	assert_int_equal(msext_extensions_decode(set, sizeof(set), 32, &e),
	    MSEXT_MALFORMED);
	assert_int_equal(msext_extensions_decode(NULL, 0, 32, &e),
	    MSEXT_MALFORMED);
	/* every truncation, and a trailing byte */
	for (i = 0; i < sizeof(ext_req); i++)
		assert_int_equal(msext_extensions_decode(ext_req, i, 32, &e),
		    MSEXT_MALFORMED);
	memcpy(buf, ext_req, sizeof(ext_req));
	buf[sizeof(ext_req)] = 0;
	assert_int_equal(msext_extensions_decode(buf, sizeof(buf), 32, &e),
	    MSEXT_MALFORMED);
	/* an extnID of 1.2.3.3.3...: 2 + 2 * 90 characters, over the 127 */
	n = 0;
	oid_der[n++] = 0x30;
	oid_der[n++] = 0x81;
	oid_der[n++] = 0;		/* filled below */
	oid_der[n++] = 0x30;
	oid_der[n++] = 0x81;
	oid_der[n++] = 0;
	oid_der[n++] = 0x06;
	oid_der[n++] = 91;
	oid_der[n++] = 0x2a;
	for (i = 0; i < 90; i++)
		oid_der[n++] = 0x03;
	oid_der[n++] = 0x04;
	oid_der[n++] = 0x00;
	oid_der[5] = (uint8_t)(n - 6);
	oid_der[2] = (uint8_t)(n - 3);
	assert_int_equal(msext_extensions_decode(oid_der, n, 32, &e),
	    MSEXT_MALFORMED);
	assert_null(e.v);
}

static void
test_client_info_example(void **state)
{
	struct msext_client_info ci;

	(void)state;
	assert_int_equal(msext_client_info_decode(ex_client_info,
	    sizeof(ex_client_info), &ci), MSEXT_OK);
	assert_int_equal(ci.client_id, 5);
	assert_string_equal(ci.machine, "CLIENT2.domain1.corp.company.com");
	assert_string_equal(ci.user, "DOMAIN1\\CLIENT2$");
	assert_string_equal(ci.process, "LogonUI.exe");
	msext_client_info_free(&ci);
}

static void
test_client_info_round_trip(void **state)
{
	struct msext_client_info in = { 5, "DA1.domain1.corp.company.com",
	    "DOMAIN1\\DA1$", "w3wp.exe" }, out;
	uint8_t *der = NULL;
	size_t der_len = 0;

	(void)state;
	assert_int_equal(msext_client_info_encode(&in, &der, &der_len), MSEXT_OK);
	assert_int_equal(msext_client_info_decode(der, der_len, &out), MSEXT_OK);
	assert_int_equal(out.client_id, 5);
	assert_string_equal(out.machine, in.machine);
	assert_string_equal(out.user, in.user);
	assert_string_equal(out.process, in.process);
	msext_client_info_free(&out);
	free(der);

	/* the example's own bytes come back exactly */
	in.machine = "CLIENT2.domain1.corp.company.com";
	in.user = "DOMAIN1\\CLIENT2$";
	in.process = "LogonUI.exe";
	assert_int_equal(msext_client_info_encode(&in, &der, &der_len), MSEXT_OK);
	assert_int_equal(der_len, sizeof(ex_client_info));
	assert_memory_equal(der, ex_client_info, der_len);
	free(der);
}

static void
test_client_info_encode_refuses(void **state)
{
	struct msext_client_info in = { 5, "m", NULL, "p" };
	uint8_t *der = (uint8_t *)1;
	size_t der_len = 1;

	(void)state;
	assert_int_equal(msext_client_info_encode(&in, &der, &der_len),
	    MSEXT_MALFORMED);
	assert_null(der);
	in.user = "bad \xff utf-8";
	assert_int_equal(msext_client_info_encode(&in, &der, &der_len),
	    MSEXT_MALFORMED);
	assert_null(der);
}

/* Every proper prefix of a valid encoding is refused, and so is any suffix. */
static void
expect_client_info_bad(const uint8_t *der, size_t der_len)
{
	struct msext_client_info ci;

	assert_int_equal(msext_client_info_decode(der, der_len, &ci),
	    MSEXT_MALFORMED);
	assert_null(ci.machine);
	assert_null(ci.user);
	assert_null(ci.process);
}

static void
test_client_info_truncated(void **state)
{
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(ex_client_info); n++)
		expect_client_info_bad(ex_client_info, n);
	expect_client_info_bad(NULL, 0);
}

static void
test_client_info_hostile(void **state)
{
	uint8_t buf[sizeof(ex_client_info) + 8];
	/* outer length says 2^31 - 1 */
	static const uint8_t huge[] = { 0x30, 0x84, 0x7f, 0xff, 0xff, 0xff,
	    0x02, 0x01, 0x05 };
	/* indefinite length (BER, not DER) */
	static const uint8_t indef[] = { 0x30, 0x80, 0x02, 0x01, 0x05, 0x0c,
	    0x00, 0x0c, 0x00, 0x0c, 0x00, 0x00, 0x00 };
	/* non-minimal length encoding of a short string */
	static const uint8_t longform[] = { 0x30, 0x0c, 0x02, 0x01, 0x05, 0x0c,
	    0x81, 0x01, 'a', 0x0c, 0x01, 'b', 0x0c, 0x01, 'c' };
	/* a NUL inside userName */
	static const uint8_t nul[] = { 0x30, 0x0c, 0x02, 0x01, 0x05, 0x0c,
	    0x01, 'a', 0x0c, 0x02, 'b', 0x00, 0x0c, 0x01, 'c' };
	/* clientId too big for long */
	static const uint8_t bigint[] = { 0x30, 0x16, 0x02, 0x0a, 0x01, 0x02,
	    0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0c, 0x01, 'a',
	    0x0c, 0x01, 'b', 0x0c, 0x01, 'c' };
	/* userName as a PrintableString instead of UTF8String */
	static const uint8_t wrongtag[] = { 0x30, 0x0b, 0x02, 0x01, 0x05, 0x0c,
	    0x01, 'a', 0x13, 0x01, 'b', 0x0c, 0x01, 'c' };
	/* an overlong UTF-8 '/' */
	static const uint8_t overlong[] = { 0x30, 0x0c, 0x02, 0x01, 0x05, 0x0c,
	    0x01, 'a', 0x0c, 0x02, 0xc0, 0xaf, 0x0c, 0x01, 'c' };
	/* a field missing */
	static const uint8_t missing[] = { 0x30, 0x09, 0x02, 0x01, 0x05, 0x0c,
	    0x01, 'a', 0x0c, 0x01, 'b' };
	/* a SET where a SEQUENCE belongs */
	static const uint8_t set[] = { 0x31, 0x0c, 0x02, 0x01, 0x05, 0x0c,
	    0x01, 'a', 0x0c, 0x01, 'b', 0x0c, 0x01, 'c' };
	size_t i;

	(void)state;
	expect_client_info_bad(huge, sizeof(huge));
	expect_client_info_bad(indef, sizeof(indef));
	expect_client_info_bad(longform, sizeof(longform));
	expect_client_info_bad(nul, sizeof(nul));
	expect_client_info_bad(bigint, sizeof(bigint));
	expect_client_info_bad(wrongtag, sizeof(wrongtag));
	expect_client_info_bad(overlong, sizeof(overlong));
	expect_client_info_bad(missing, sizeof(missing));
	expect_client_info_bad(set, sizeof(set));

	/* trailing bytes after a valid encoding */
	memcpy(buf, ex_client_info, sizeof(ex_client_info));
	buf[sizeof(ex_client_info)] = 0;
	expect_client_info_bad(buf, sizeof(ex_client_info) + 1);

	/* every single-byte corruption of a length or tag is refused or
	 * decodes to something that still parses: never a crash */
	for (i = 0; i < sizeof(ex_client_info); i++) {
		struct msext_client_info ci;
		unsigned v;

		for (v = 0; v < 256; v += 17) {
			memcpy(buf, ex_client_info, sizeof(ex_client_info));
			buf[i] ^= (uint8_t)v;
			if (msext_client_info_decode(buf, sizeof(ex_client_info),
			    &ci) == MSEXT_OK) {
				assert_non_null(ci.user);
				msext_client_info_free(&ci);
			}
		}
	}
}

static void
test_template_v2_example(void **state)
{
	char *oid = NULL;
	long major = 0, minor = 0;
	uint8_t *der = NULL;
	size_t der_len = 0;

	(void)state;
	assert_int_equal(msext_template_v2_decode(ex_template_v2,
	    sizeof(ex_template_v2), &oid, &major, &minor), MSEXT_OK);
	assert_string_equal(oid, EX_TEMPLATE_OID);
	assert_int_equal(major, 100);
	assert_int_equal(minor, 5);

	assert_int_equal(msext_template_v2_encode(oid, 100, 5, &der, &der_len),
	    MSEXT_OK);
	assert_int_equal(der_len, sizeof(ex_template_v2));
	assert_memory_equal(der, ex_template_v2, der_len);
	free(der);
	free(oid);
}

static void
test_template_v2_optional_versions(void **state)
{
	char *oid = NULL;
	long major = 0, minor = 0;
	uint8_t *der = NULL;
	size_t der_len = 0;

	(void)state;
	assert_int_equal(msext_template_v2_encode("1.2.3.4", -1, -1, &der,
	    &der_len), MSEXT_OK);
	assert_int_equal(der[0], 0x30);
	assert_int_equal(der[1], der_len - 2);
	assert_int_equal(msext_template_v2_decode(der, der_len, &oid, &major,
	    &minor), MSEXT_OK);
	assert_string_equal(oid, "1.2.3.4");
	assert_int_equal(major, -1);
	assert_int_equal(minor, -1);
	free(oid);
	free(der);

	assert_int_equal(msext_template_v2_encode("1.2.3.4", 7, -1, &der,
	    &der_len), MSEXT_OK);
	assert_int_equal(msext_template_v2_decode(der, der_len, &oid, &major,
	    &minor), MSEXT_OK);
	assert_int_equal(major, 7);
	assert_int_equal(minor, -1);
	free(oid);
	free(der);

	assert_int_equal(msext_template_v2_encode("", 1, 1, &der, &der_len),
	    MSEXT_MALFORMED);
	assert_int_equal(msext_template_v2_encode("not an oid", 1, 1, &der,
	    &der_len), MSEXT_MALFORMED);
	assert_int_equal(msext_template_v2_encode("1.2.-3", 1, 1, &der,
	    &der_len), MSEXT_MALFORMED);
	assert_null(der);
}

static void
expect_template_v2_bad(const uint8_t *der, size_t der_len)
{
	char *oid = (char *)1;
	long major, minor;

	assert_int_equal(msext_template_v2_decode(der, der_len, &oid, &major,
	    &minor), MSEXT_MALFORMED);
	assert_null(oid);
}

static void
test_template_v2_hostile(void **state)
{
	static const uint8_t empty_seq[] = { 0x30, 0x00 };
	static const uint8_t not_oid[] = { 0x30, 0x03, 0x04, 0x01, 0x2b };
	static const uint8_t empty_oid[] = { 0x30, 0x02, 0x06, 0x00 };
	static const uint8_t neg_major[] = { 0x30, 0x06, 0x06, 0x01, 0x2b,
	    0x02, 0x01, 0xff };
	static const uint8_t extra[] = { 0x30, 0x0c, 0x06, 0x01, 0x2b, 0x02,
	    0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01 };
	static const uint8_t huge_oid[] = { 0x30, 0x86, 0x01, 0x00, 0x00, 0x00,
	    0x00, 0x04, 0x06, 0x84, 0x7f, 0xff, 0xff, 0xff };
	/* an OID arc with a non-minimal 0x80 padding byte */
	static const uint8_t pad_arc[] = { 0x30, 0x04, 0x06, 0x02, 0x80, 0x01 };
	/* found by fuzz_msext: an arc past 2^63, which libtasn1 prints negative */
	static const uint8_t arc_overflow[] = { 0x30, 0x2c, 0x06, 0x24, 0x2b,
	    0x8b, 0x01, 0x04, 0x01, 0x82, 0x37, 0x15, 0x08, 0x8d, 0xc4, 0x6b,
	    0xdf, 0xd5, 0x22, 0x86, 0x99, 0x87, 0x2e, 0x81, 0xea, 0xd8, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0x79, 0x4b, 0x87, 0x25, 0x83, 0x94,
	    0x88, 0x71, 0x02, 0x01, 0x64, 0x02, 0x01, 0x05 };
	uint8_t buf[sizeof(ex_template_v2) + 1];
	size_t n;

	(void)state;
	expect_template_v2_bad(arc_overflow, sizeof(arc_overflow));
	for (n = 0; n < sizeof(ex_template_v2); n++)
		expect_template_v2_bad(ex_template_v2, n);
	memcpy(buf, ex_template_v2, sizeof(ex_template_v2));
	buf[sizeof(ex_template_v2)] = 0x00;
	expect_template_v2_bad(buf, sizeof(buf));
	expect_template_v2_bad(empty_seq, sizeof(empty_seq));
	expect_template_v2_bad(not_oid, sizeof(not_oid));
	expect_template_v2_bad(empty_oid, sizeof(empty_oid));
	expect_template_v2_bad(neg_major, sizeof(neg_major));
	expect_template_v2_bad(extra, sizeof(extra));
	expect_template_v2_bad(huge_oid, sizeof(huge_oid));
	expect_template_v2_bad(pad_arc, sizeof(pad_arc));
	/* the template name where the OID form belongs */
	expect_template_v2_bad(bmp_user, sizeof(bmp_user));
}

static void
test_template_name_both_forms(void **state)
{
	char *name = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;

	(void)state;
	assert_int_equal(msext_template_name_decode(bmp_user, sizeof(bmp_user),
	    &name), MSEXT_OK);
	assert_string_equal(name, "User");
	free(name);
	assert_int_equal(msext_template_name_decode(seq_user, sizeof(seq_user),
	    &name), MSEXT_OK);
	assert_string_equal(name, "User");
	free(name);

	/* encode writes what Windows writes */
	assert_int_equal(msext_template_name_encode("User", &der, &der_len),
	    MSEXT_OK);
	assert_int_equal(der_len, sizeof(bmp_user));
	assert_memory_equal(der, bmp_user, der_len);
	free(der);
}

static void
test_template_name_non_ascii(void **state)
{
	/* e, e-acute, a CJK ideograph, and U+1F600 (a surrogate pair) */
	static const char utf8[] = "e\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80";
	static const uint8_t bmp[] = { 0x1e, 0x0a, 0x00, 0x65, 0x00, 0xe9,
	    0x4e, 0x2d, 0xd8, 0x3d, 0xde, 0x00 };
	char *name = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;

	(void)state;
	assert_int_equal(msext_template_name_encode(utf8, &der, &der_len),
	    MSEXT_OK);
	assert_int_equal(der_len, sizeof(bmp));
	assert_memory_equal(der, bmp, der_len);
	assert_int_equal(msext_template_name_decode(der, der_len, &name),
	    MSEXT_OK);
	assert_string_equal(name, utf8);
	free(name);
	free(der);
	assert_int_equal(msext_template_name_encode("\xc0\xaf", &der, &der_len),
	    MSEXT_MALFORMED);
	assert_int_equal(msext_template_name_encode("", &der, &der_len),
	    MSEXT_MALFORMED);
	assert_null(der);
}

static void
expect_template_name_bad(const uint8_t *der, size_t der_len)
{
	char *name = (char *)1;

	assert_int_equal(msext_template_name_decode(der, der_len, &name),
	    MSEXT_MALFORMED);
	assert_null(name);
}

static void
test_template_name_hostile(void **state)
{
	static const uint8_t odd[] = { 0x1e, 0x03, 0x00, 'U', 0x00 };
	static const uint8_t nul[] = { 0x1e, 0x02, 0x00, 0x00 };
	static const uint8_t lone_hi[] = { 0x1e, 0x02, 0xd8, 0x3d };
	static const uint8_t lone_lo[] = { 0x1e, 0x04, 0xde, 0x00, 0x00, 'a' };
	static const uint8_t hi_hi[] = { 0x1e, 0x04, 0xd8, 0x3d, 0xd8, 0x3d };
	static const uint8_t printable[] = { 0x13, 0x04, 'U', 's', 'e', 'r' };
	static const uint8_t seq_bmp[] = { 0x30, 0x06, 0x1e, 0x04, 0x00, 'U',
	    0x00, 's' };
	static const uint8_t seq_two[] = { 0x30, 0x06, 0x0c, 0x01, 'U', 0x0c,
	    0x01, 's' };
	static const uint8_t seq_nul[] = { 0x30, 0x03, 0x0c, 0x01, 0x00 };
	static const uint8_t huge[] = { 0x1e, 0x84, 0xff, 0xff, 0xff, 0xfe,
	    0x00, 'U' };
	static const uint8_t trailing[] = { 0x1e, 0x02, 0x00, 'U', 0x00 };
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(bmp_user); n++)
		expect_template_name_bad(bmp_user, n);
	for (n = 0; n < sizeof(seq_user); n++)
		expect_template_name_bad(seq_user, n);
	expect_template_name_bad(odd, sizeof(odd));
	expect_template_name_bad(nul, sizeof(nul));
	expect_template_name_bad(lone_hi, sizeof(lone_hi));
	expect_template_name_bad(lone_lo, sizeof(lone_lo));
	expect_template_name_bad(hi_hi, sizeof(hi_hi));
	expect_template_name_bad(printable, sizeof(printable));
	expect_template_name_bad(seq_bmp, sizeof(seq_bmp));
	expect_template_name_bad(seq_two, sizeof(seq_two));
	expect_template_name_bad(seq_nul, sizeof(seq_nul));
	expect_template_name_bad(huge, sizeof(huge));
	expect_template_name_bad(trailing, sizeof(trailing));
	expect_template_name_bad(ex_template_v2, sizeof(ex_template_v2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_info_example),
		cmocka_unit_test(test_extensions_decode),
		cmocka_unit_test(test_extensions_hostile),
		cmocka_unit_test(test_client_info_round_trip),
		cmocka_unit_test(test_client_info_encode_refuses),
		cmocka_unit_test(test_client_info_truncated),
		cmocka_unit_test(test_client_info_hostile),
		cmocka_unit_test(test_template_v2_example),
		cmocka_unit_test(test_template_v2_optional_versions),
		cmocka_unit_test(test_template_v2_hostile),
		cmocka_unit_test(test_template_name_both_forms),
		cmocka_unit_test(test_template_name_non_ascii),
		cmocka_unit_test(test_template_name_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
