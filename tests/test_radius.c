/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Unit tests for the RADIUS client (src/radius_packet.c, src/radius.c).
 * The expected bytes were computed at authoring time with Python's hashlib
 * and hmac, step by step from RFC 2865 3 and 5.2 and RFC 3579 3.2, not with
 * this code; the 7.1 example of RFC 2865 is checked as printed there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "dir.h"
#include "radius.h"
#include "radius_packet.h"

static const uint8_t secret[] = "otpcep-unit-test-secret";
#define SECRET_LEN (sizeof(secret) - 1)
/* Request Authenticator of every vector below: a0 a1 ... af. */
static const uint8_t ra[16] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};

/* Hidden passwords "A", "AB..P", "AB..Q", 128 bytes of "AB..Z" repeated. */
static const uint8_t hidden_1[] = {
	0x43, 0x07, 0x69, 0x91, 0x15, 0x94, 0x1a, 0x43, 0x31, 0x3d, 0x09, 0x13,
	0x2c, 0x65, 0x45, 0xe4,
};
static const uint8_t hidden_16[] = {
	0x43, 0x45, 0x2a, 0xd5, 0x50, 0xd2, 0x5d, 0x0b, 0x78, 0x77, 0x42, 0x5f,
	0x61, 0x2b, 0x0a, 0xb4,
};
static const uint8_t hidden_17[] = {
	0x43, 0x45, 0x2a, 0xd5, 0x50, 0xd2, 0x5d, 0x0b, 0x78, 0x77, 0x42, 0x5f,
	0x61, 0x2b, 0x0a, 0xb4, 0x29, 0x7f, 0xa7, 0x6f, 0x02, 0xd4, 0x76, 0xdf,
	0xc1, 0x12, 0xc2, 0x76, 0x4c, 0x43, 0x80, 0x6d,
};
static const uint8_t hidden_128[] = {
	0x43, 0x45, 0x2a, 0xd5, 0x50, 0xd2, 0x5d, 0x0b, 0x78, 0x77, 0x42, 0x5f,
	0x61, 0x2b, 0x0a, 0xb4, 0x29, 0x2d, 0xf4, 0x3b, 0x57, 0x82, 0x21, 0x87,
	0x98, 0x48, 0x83, 0x34, 0x0f, 0x07, 0xc5, 0x2b, 0x85, 0x62, 0xb0, 0xd8,
	0x91, 0x8e, 0x6b, 0xe3, 0x1b, 0x4a, 0xd1, 0xbb, 0x91, 0xae, 0x5b, 0x7e,
	0xd1, 0x05, 0x22, 0xd9, 0x88, 0x63, 0xc6, 0x5d, 0xf1, 0x95, 0xc1, 0x56,
	0x1e, 0xae, 0x54, 0xf9, 0xa0, 0x4c, 0x45, 0x19, 0x1f, 0x40, 0x4c, 0x0d,
	0x80, 0x4d, 0xd9, 0x03, 0x47, 0xc8, 0xf6, 0xab, 0x4c, 0x6b, 0xe0, 0x17,
	0xe2, 0xfb, 0x7d, 0x13, 0xa2, 0x5c, 0x62, 0x66, 0x08, 0x83, 0x25, 0x1c,
	0x8e, 0xd9, 0xf5, 0x43, 0x49, 0x6c, 0xbe, 0x0b, 0xda, 0x08, 0x77, 0xc6,
	0xba, 0x17, 0xb9, 0xfd, 0x7d, 0xea, 0xe5, 0x03, 0xc9, 0x88, 0x3b, 0x51,
	0xc9, 0xe9, 0x40, 0x48, 0xbc, 0x1f, 0xa8, 0x2e,
};

/*
 * Access-Request, Identifier 0x42: Message-Authenticator, User-Name
 * "DOMAIN1\user", User-Password "123456", NAS-Identifier "otpcep",
 * NAS-IP-Address 192.0.2.7.
 */
static const uint8_t request_pkt[] = {
	0x01, 0x42, 0x00, 0x54, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0x50, 0x12, 0xa0, 0x7e,
	0xc9, 0x36, 0xe3, 0xed, 0x6f, 0xdf, 0x65, 0xdc, 0xab, 0x12, 0x1d, 0x3b,
	0x4b, 0x55, 0x01, 0x0e, 0x44, 0x4f, 0x4d, 0x41, 0x49, 0x4e, 0x31, 0x5c,
	0x75, 0x73, 0x65, 0x72, 0x02, 0x12, 0x33, 0x35, 0x5a, 0xa5, 0x20, 0xa2,
	0x1a, 0x43, 0x31, 0x3d, 0x09, 0x13, 0x2c, 0x65, 0x45, 0xe4, 0x20, 0x08,
	0x6f, 0x74, 0x70, 0x63, 0x65, 0x70, 0x04, 0x06, 0xc0, 0x00, 0x02, 0x07,
};

/* Its Access-Accept: Reply-Message "ok", then a Message-Authenticator. */
static const uint8_t reply_pkt[] = {
	0x02, 0x42, 0x00, 0x2a, 0x57, 0xa9, 0xca, 0xdb, 0xb5, 0xae, 0x7d, 0xa0,
	0xf0, 0xc2, 0xb8, 0x12, 0xa7, 0x0c, 0x97, 0x03, 0x12, 0x04, 0x6f, 0x6b,
	0x50, 0x12, 0xbd, 0x98, 0x0b, 0xe3, 0x19, 0x0f, 0x0f, 0x17, 0x3b, 0xe7,
	0x2c, 0x71, 0xf2, 0xd4, 0x5f, 0x3d,
};

/* RFC 2865 7.1: nemo / arctangent, secret xyzzy5461. */
static const uint8_t rfc_secret[] = "xyzzy5461";
static const uint8_t rfc_ra[16] = {
	0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57,
	0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a,
};
static const uint8_t rfc_hidden[16] = {
	0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce,
	0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a, 0x0a, 0xee,
};
/* Its Access-Accept (Identifier 0): no Message-Authenticator. */
static const uint8_t rfc_accept[] = {
	0x02, 0x00, 0x00, 0x26, 0x86, 0xfe, 0x22, 0x0e, 0x76, 0x24, 0xba, 0x2a,
	0x10, 0x05, 0xf6, 0xbf, 0x9b, 0x55, 0xe0, 0xb2, 0x06, 0x06, 0x00, 0x00,
	0x00, 0x01, 0x0f, 0x06, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x06, 0xc0, 0xa8,
	0x01, 0x03,
};

static void
password_of(uint8_t *pw, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		pw[i] = (uint8_t)('A' + i % 26);
}

static void
check_hidden(size_t len, const uint8_t *want, size_t want_len)
{
	uint8_t pw[RADIUS_PASSWORD_MAX], out[RADIUS_PASSWORD_MAX];
	size_t out_len = 0;

	password_of(pw, len);
	assert_int_equal(radius_pkt_hide_password(secret, SECRET_LEN, ra, pw,
	    len, out, &out_len), RADIUS_PKT_OK);
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);
}

static void
test_hide_rfc2865_example(void **state)
{
	uint8_t out[RADIUS_PASSWORD_MAX];
	size_t out_len;

	(void)state;
	assert_int_equal(radius_pkt_hide_password(rfc_secret,
	    sizeof(rfc_secret) - 1, rfc_ra, (const uint8_t *)"arctangent", 10,
	    out, &out_len), RADIUS_PKT_OK);
	assert_int_equal(out_len, 16);
	assert_memory_equal(out, rfc_hidden, 16);
}

static void
test_hide_lengths(void **state)
{
	(void)state;
	check_hidden(1, hidden_1, sizeof(hidden_1));
	check_hidden(16, hidden_16, sizeof(hidden_16));
	check_hidden(17, hidden_17, sizeof(hidden_17));
	check_hidden(128, hidden_128, sizeof(hidden_128));
}

static void
test_hide_refuses(void **state)
{
	uint8_t pw[RADIUS_PASSWORD_MAX + 1], out[RADIUS_PASSWORD_MAX];
	size_t out_len = 99;

	(void)state;
	password_of(pw, sizeof(pw));
	/* RFC 2865 5.2: 128 bytes at most; refused, not cut. */
	assert_int_equal(radius_pkt_hide_password(secret, SECRET_LEN, ra, pw,
	    129, out, &out_len), RADIUS_PKT_BAD_PASSWORD);
	assert_int_equal(out_len, 0);
	assert_int_equal(radius_pkt_hide_password(secret, SECRET_LEN, ra, pw,
	    0, out, &out_len), RADIUS_PKT_BAD_PASSWORD);
	pw[5] = '\0';	/* would read as padding */
	assert_int_equal(radius_pkt_hide_password(secret, SECRET_LEN, ra, pw,
	    10, out, &out_len), RADIUS_PKT_BAD_PASSWORD);
}

static struct radius_request_attrs
request_attrs(void)
{
	static const uint8_t ip[4] = { 192, 0, 2, 7 };
	struct radius_request_attrs a = {
		.user_name = "DOMAIN1\\user",
		.password = (const uint8_t *)"123456",
		.password_len = 6,
		.nas_identifier = "otpcep",
		.nas_ip = ip,
		.nas_ip_len = 4,
	};
	return a;
}

static void
test_request_bytes(void **state)
{
	struct radius_request_attrs a = request_attrs();
	uint8_t buf[RADIUS_PACKET_MAX];
	size_t len;

	(void)state;
	assert_int_equal(radius_pkt_access_request(buf, &len, 0x42, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_OK);
	assert_int_equal(len, sizeof(request_pkt));
	/* RFC 3579 3.2 and BlastRADIUS: Message-Authenticator first. */
	assert_int_equal(buf[20], RADIUS_ATTR_MESSAGE_AUTHENTICATOR);
	assert_int_equal(buf[21], 18);
	assert_memory_equal(buf, request_pkt, sizeof(request_pkt));
	/* A different secret: a different HMAC and hidden password. */
	assert_int_equal(radius_pkt_access_request(buf, &len, 0x42, ra,
	    (const uint8_t *)"x", 1, &a), RADIUS_PKT_OK);
	assert_memory_not_equal(buf + 22, request_pkt + 22, 16);
}

static void
test_request_ipv6_and_minimal(void **state)
{
	static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	struct radius_request_attrs a = request_attrs();
	uint8_t buf[RADIUS_PACKET_MAX];
	size_t len;

	(void)state;
	a.nas_ip = ip6;
	a.nas_ip_len = 16;
	assert_int_equal(radius_pkt_access_request(buf, &len, 1, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_OK);
	/* RFC 3162 2.1: NAS-IPv6-Address, 18 bytes, last. */
	assert_int_equal(buf[len - 18], RADIUS_ATTR_NAS_IPV6_ADDRESS);
	assert_int_equal(buf[len - 17], 18);
	assert_memory_equal(buf + len - 16, ip6, 16);
	assert_int_equal((size_t)(buf[2] << 8 | buf[3]), len);

	a.nas_ip_len = 5;
	assert_int_equal(radius_pkt_access_request(buf, &len, 1, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_BAD_NAS);
	a.nas_ip = NULL;
	a.nas_identifier = NULL;
	assert_int_equal(radius_pkt_access_request(buf, &len, 1, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_OK);
	/* header + MA + User-Name(14) + User-Password(18) */
	assert_int_equal(len, 20 + 18 + 14 + 18);
}

static void
test_request_limits(void **state)
{
	struct radius_request_attrs a = request_attrs();
	uint8_t buf[RADIUS_PACKET_MAX], pw[RADIUS_PASSWORD_MAX + 1];
	char name[301];
	size_t len = 99;

	(void)state;
	memset(name, 'u', sizeof(name) - 1);
	name[300] = '\0';
	a.user_name = name;	/* 300 bytes: refused, never truncated */
	assert_int_equal(radius_pkt_access_request(buf, &len, 1, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_BAD_NAME);
	assert_int_equal(len, 0);
	name[254] = '\0';
	assert_int_equal(radius_pkt_access_request(buf, &len, 1, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_BAD_NAME);
	name[253] = '\0';	/* RFC 2865 5: 253 is the most */
	assert_int_equal(radius_pkt_access_request(buf, &len, 1, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_OK);
	assert_int_equal(buf[38], RADIUS_ATTR_USER_NAME);
	assert_int_equal(buf[39], 255);
	a.user_name = "";
	assert_int_equal(radius_pkt_access_request(buf, &len, 1, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_BAD_NAME);
	a.user_name = NULL;
	assert_int_equal(radius_pkt_access_request(buf, &len, 1, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_BAD_NAME);

	a = request_attrs();
	password_of(pw, sizeof(pw));
	a.password = pw;
	a.password_len = 129;
	assert_int_equal(radius_pkt_access_request(buf, &len, 1, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_BAD_PASSWORD);
	a.password_len = 128;
	assert_int_equal(radius_pkt_access_request(buf, &len, 1, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_OK);
	assert_memory_equal(buf + 20 + 18 + 14 + 2, hidden_128, 128);

	a = request_attrs();
	name[253] = 'u';	/* 254 bytes */
	a.nas_identifier = name;
	assert_int_equal(radius_pkt_access_request(buf, &len, 1, ra, secret,
	    SECRET_LEN, &a), RADIUS_PKT_BAD_NAS);
}

static enum radius_pkt_result
check(const uint8_t *p, size_t len, bool require_ma, uint8_t *code)
{
	return radius_pkt_check_reply(p, len, 0x42, ra, secret, SECRET_LEN,
	    require_ma, code);
}

static void
test_reply_good(void **state)
{
	uint8_t code = 0, padded[sizeof(reply_pkt) + 7];

	(void)state;
	assert_int_equal(check(reply_pkt, sizeof(reply_pkt), true, &code),
	    RADIUS_PKT_OK);
	assert_int_equal(code, RADIUS_CODE_ACCESS_ACCEPT);
	/* RFC 2865 3: octets beyond Length are padding. */
	memcpy(padded, reply_pkt, sizeof(reply_pkt));
	memset(padded + sizeof(reply_pkt), 0xee, 7);
	assert_int_equal(check(padded, sizeof(padded), true, &code),
	    RADIUS_PKT_OK);
	/* RFC 2865 7.1: right, but unsigned. */
	assert_int_equal(radius_pkt_check_reply(rfc_accept, sizeof(rfc_accept),
	    0, rfc_ra, rfc_secret, sizeof(rfc_secret) - 1, false, &code),
	    RADIUS_PKT_OK);
	assert_int_equal(code, RADIUS_CODE_ACCESS_ACCEPT);
	assert_int_equal(radius_pkt_check_reply(rfc_accept, sizeof(rfc_accept),
	    0, rfc_ra, rfc_secret, sizeof(rfc_secret) - 1, true, &code),
	    RADIUS_PKT_NO_MA);
	assert_int_equal(code, 0);
}

/* A copy of reply_pkt changed by the test, then re-signed as a forger with the secret would. */
static void
resign(uint8_t *p, size_t len)
{
	assert_int_equal(radius_pkt_sign_reply(p, len, ra, secret, SECRET_LEN),
	    RADIUS_PKT_OK);
}

static void
test_sign_reply_matches_vector(void **state)
{
	uint8_t p[sizeof(reply_pkt)];

	(void)state;
	memcpy(p, reply_pkt, sizeof(p));
	memcpy(p + 4, ra, 16);
	assert_int_equal(radius_pkt_sign_ma(p, sizeof(p), 26, ra, secret,
	    SECRET_LEN), RADIUS_PKT_OK);
	resign(p, sizeof(p));
	assert_memory_equal(p, reply_pkt, sizeof(p));
}

static void
test_reply_wrong_id_and_authenticator(void **state)
{
	uint8_t p[sizeof(reply_pkt)], code;

	(void)state;
	assert_int_equal(radius_pkt_check_reply(reply_pkt, sizeof(reply_pkt),
	    0x43, ra, secret, SECRET_LEN, true, &code), RADIUS_PKT_BAD_ID);
	memcpy(p, reply_pkt, sizeof(p));
	p[4] ^= 0x80;
	assert_int_equal(check(p, sizeof(p), true, &code),
	    RADIUS_PKT_BAD_AUTHENTICATOR);
	/* Another request's authenticator, or another secret. */
	assert_int_equal(radius_pkt_check_reply(reply_pkt, sizeof(reply_pkt),
	    0x42, rfc_ra, secret, SECRET_LEN, true, &code),
	    RADIUS_PKT_BAD_AUTHENTICATOR);
	assert_int_equal(radius_pkt_check_reply(reply_pkt, sizeof(reply_pkt),
	    0x42, ra, rfc_secret, 9, true, &code),
	    RADIUS_PKT_BAD_AUTHENTICATOR);
	/* A changed attribute breaks the authenticator. */
	memcpy(p, reply_pkt, sizeof(p));
	p[22] = 'K';
	assert_int_equal(check(p, sizeof(p), true, &code),
	    RADIUS_PKT_BAD_AUTHENTICATOR);
	/* Changed code: Accept made of a Reject. */
	memcpy(p, reply_pkt, sizeof(p));
	p[0] = RADIUS_CODE_ACCESS_REJECT;
	assert_int_equal(check(p, sizeof(p), true, &code),
	    RADIUS_PKT_BAD_AUTHENTICATOR);
}

static void
test_reply_message_authenticator(void **state)
{
	uint8_t p[sizeof(reply_pkt) + 18], code;

	(void)state;
	/* Wrong MA, Response Authenticator made to fit. */
	memcpy(p, reply_pkt, sizeof(reply_pkt));
	p[sizeof(reply_pkt) - 1] ^= 1;
	resign(p, sizeof(reply_pkt));
	assert_int_equal(check(p, sizeof(reply_pkt), true, &code),
	    RADIUS_PKT_BAD_MA);
	/* A present MA is checked even when not required (RFC 3579 3.2). */
	assert_int_equal(check(p, sizeof(reply_pkt), false, &code),
	    RADIUS_PKT_BAD_MA);
	/* Missing: only Reply-Message left. */
	memcpy(p, reply_pkt, sizeof(reply_pkt));
	p[3] = 24;
	resign(p, 24);
	assert_int_equal(check(p, 24, true, &code), RADIUS_PKT_NO_MA);
	assert_int_equal(check(p, 24, false, &code), RADIUS_PKT_OK);
	assert_int_equal(code, RADIUS_CODE_ACCESS_ACCEPT);
	/* Twice. */
	memcpy(p, reply_pkt, sizeof(reply_pkt));
	memcpy(p + sizeof(reply_pkt), reply_pkt + 24, 18);
	p[3] = sizeof(p);
	resign(p, sizeof(p));
	assert_int_equal(check(p, sizeof(p), true, &code), RADIUS_PKT_BAD_MA);
	/* Wrong size: 17 bytes of value. */
	memcpy(p, reply_pkt, sizeof(reply_pkt));
	p[25] = 19;
	p[sizeof(reply_pkt)] = 0;
	p[3] = sizeof(reply_pkt) + 1;
	resign(p, sizeof(reply_pkt) + 1);
	assert_int_equal(check(p, sizeof(reply_pkt) + 1, true, &code),
	    RADIUS_PKT_BAD_MA);
	/* The MA of another secret, with the right Response Authenticator. */
	memcpy(p, reply_pkt, sizeof(reply_pkt));
	assert_int_equal(radius_pkt_sign_ma(p, sizeof(reply_pkt), 26, ra,
	    rfc_secret, 9), RADIUS_PKT_OK);
	resign(p, sizeof(reply_pkt));
	assert_int_equal(check(p, sizeof(reply_pkt), true, &code),
	    RADIUS_PKT_BAD_MA);
}

static void
test_reply_framing(void **state)
{
	uint8_t p[RADIUS_PACKET_MAX + 8], code = 0;

	(void)state;
	/* Truncated: shorter than the header, or than Length. */
	assert_int_equal(check(reply_pkt, 19, true, &code), RADIUS_PKT_SHORT);
	assert_int_equal(check(reply_pkt, 0, true, &code), RADIUS_PKT_SHORT);
	assert_int_equal(check(reply_pkt, sizeof(reply_pkt) - 1, true, &code),
	    RADIUS_PKT_SHORT);
	/* Length below 20, above 4096. */
	memcpy(p, reply_pkt, sizeof(reply_pkt));
	p[2] = 0, p[3] = 19;
	assert_int_equal(check(p, sizeof(reply_pkt), true, &code),
	    RADIUS_PKT_BAD_LENGTH);
	memset(p + sizeof(reply_pkt), 0, sizeof(p) - sizeof(reply_pkt));
	p[2] = 0x10, p[3] = 0x01;
	assert_int_equal(check(p, sizeof(p), true, &code),
	    RADIUS_PKT_BAD_LENGTH);
	/* Codes that are no answer to an Access-Request. */
	memcpy(p, reply_pkt, sizeof(reply_pkt));
	p[0] = RADIUS_CODE_ACCESS_REQUEST;
	resign(p, sizeof(reply_pkt));
	assert_int_equal(check(p, sizeof(reply_pkt), true, &code),
	    RADIUS_PKT_BAD_CODE);
	p[0] = 5;	/* Accounting-Response */
	assert_int_equal(check(p, sizeof(reply_pkt), true, &code),
	    RADIUS_PKT_BAD_CODE);
	/* Attribute length 0, 1, past Length. */
	memcpy(p, reply_pkt, sizeof(reply_pkt));
	p[21] = 0;
	assert_int_equal(check(p, sizeof(reply_pkt), true, &code),
	    RADIUS_PKT_BAD_ATTR);
	p[21] = 1;
	assert_int_equal(check(p, sizeof(reply_pkt), true, &code),
	    RADIUS_PKT_BAD_ATTR);
	p[21] = 4;
	p[25] = 19;
	assert_int_equal(check(p, sizeof(reply_pkt), true, &code),
	    RADIUS_PKT_BAD_ATTR);
	/* A lone type octet at the end. */
	memcpy(p, reply_pkt, sizeof(reply_pkt));
	p[sizeof(reply_pkt)] = 18;
	p[3] = sizeof(reply_pkt) + 1;
	assert_int_equal(check(p, sizeof(reply_pkt) + 1, true, &code),
	    RADIUS_PKT_BAD_ATTR);
	assert_int_equal(code, 0);
}

/* --- radius.c: start-up, User-Name forms, local refusals --- */

static char dir[] = "/tmp/otpcep-radius-XXXXXX";

static const char *
write_secret(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static struct config *
make_config(const char *extra)
{
	char text[2048];
	struct config *cfg;

	snprintf(text, sizeof(text), "template = T\nca = h\\CA\n%s", extra);
	cfg = config_parse("test.conf", text, strlen(text));
	assert_non_null(cfg);
	return cfg;
}

/* Starts a client on a config with two servers and this secret file text. */
static struct radius *
start(const char *secret_text, mode_t mode, const char *more)
{
	char extra[1024];
	struct config *cfg;
	struct radius *r;

	snprintf(extra, sizeof(extra), "radius_server = 127.0.0.1:9\n"
	    "radius_server = [::1]:9\nradius_secret_file = %s\n%s",
	    write_secret("s", secret_text, mode), more);
	cfg = make_config(extra);
	r = radius_new(cfg);
	config_free(cfg);
	return r;
}

static void
test_new_secrets(void **state)
{
	struct radius *r;

	(void)state;
	r = start("one-secret-for-all-servers\n", 0600, "");
	assert_non_null(r);
	radius_free(r);
	r = start("secret-of-server-one\r\nsecret-of-server-two\n", 0600, "");
	assert_non_null(r);
	radius_free(r);
	/* Three lines for two servers, an empty line, loose permissions. */
	assert_null(start("a-secret-one-1234\nb-secret-two-1234\nc\n", 0600, ""));
	assert_null(start("a-secret-one-1234\n\n", 0600, ""));
	assert_null(start("\nb-secret-two-1234", 0600, ""));
	assert_null(start("one-secret-for-all-servers\n", 0644, ""));
}

static void
test_new_nas(void **state)
{
	struct radius *r;

	(void)state;
	r = start("one-secret-for-all-servers\n", 0600,
	    "radius_nas_ip = 2001:db8::1\n");
	assert_non_null(r);
	radius_free(r);
	r = start("one-secret-for-all-servers\n", 0600,
	    "radius_nas_ip = 192.0.2.1\n");
	assert_non_null(r);
	radius_free(r);
	assert_null(start("one-secret-for-all-servers\n", 0600,
	    "radius_nas_ip = 192.0.2.256\n"));
	assert_null(start("one-secret-for-all-servers\n", 0600,
	    "radius_nas_ip = host.example\n"));
}

static void
test_user_name_forms(void **state)
{
	struct dir_user u = { .account = (char *)"jdoe",
	    .upn = (char *)"john.doe@example.com", .domain = (char *)"DOMAIN1" };
	struct dir_user empty = { 0 };
	char buf[RADIUS_USER_NAME_BUF], long_account[300];
	struct radius *r;

	(void)state;
	/* Default (issue 15): the directory's sAMAccountName, whatever was typed. */
	r = start("one-secret-for-all-servers\n", 0600, "");
	assert_non_null(r);
	assert_string_equal(radius_user_name(r, "domain1\\JDOE", &u, buf), "jdoe");
	assert_string_equal(radius_user_name(r, "john.doe@example.com", &u, buf),
	    "jdoe");
	assert_null(radius_user_name(r, "DOM\\Bob", &empty, buf));
	assert_null(radius_user_name(r, "DOM\\Bob", NULL, buf));
	radius_free(r);

	/* "user" is the old name of "account". */
	r = start("one-secret-for-all-servers\n", 0600, "radius_username = user\n");
	assert_non_null(r);
	assert_string_equal(radius_user_name(r, "DOMAIN1\\JDOE", &u, buf), "jdoe");
	radius_free(r);

	r = start("one-secret-for-all-servers\n", 0600,
	    "radius_username = domain-user\n");
	assert_non_null(r);
	assert_string_equal(radius_user_name(r, "domain1\\JDOE", &u, buf),
	    "DOMAIN1\\jdoe");
	assert_string_equal(radius_user_name(r, "john.doe@example.com", &u, buf),
	    "DOMAIN1\\jdoe");
	assert_null(radius_user_name(r, "DOM\\Bob", &empty, buf));
	/* Too long for a User-Name: refused, never cut (style 7). */
	memset(long_account, 'a', sizeof(long_account) - 1);
	long_account[sizeof(long_account) - 1] = '\0';
	u.account = long_account;
	assert_null(radius_user_name(r, "DOMAIN1\\a", &u, buf));
	u.account = (char *)"jdoe";
	radius_free(r);

	r = start("one-secret-for-all-servers\n", 0600,
	    "radius_username = as-sent\n");
	assert_non_null(r);
	assert_string_equal(radius_user_name(r, "domain1\\JDOE", &u, buf),
	    "domain1\\JDOE");
	radius_free(r);

	r = start("one-secret-for-all-servers\n", 0600, "radius_username = upn\n");
	assert_non_null(r);
	assert_string_equal(radius_user_name(r, "DOM\\Bob", &u, buf),
	    "john.doe@example.com");
	assert_null(radius_user_name(r, "DOM\\Bob", &empty, buf));
	assert_null(radius_user_name(r, "DOM\\Bob", NULL, buf));
	radius_free(r);
}

/* RFC 5997 3: Status-Server, computed with Python's hmac at authoring time. */
static void
test_status_server_bytes(void **state)
{
	static const uint8_t want[] = {
		0x0c, 0x42, 0x00, 0x2e, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
		0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
		0x50, 0x12, 0x01, 0x99, 0x1e, 0x9b, 0x8b, 0xab, 0x27, 0x72,
		0x23, 0x0d, 0xa5, 0x5f, 0x5d, 0x56, 0xec, 0x48, 0x20, 0x08,
		0x6f, 0x74, 0x70, 0x63, 0x65, 0x70,
	};
	uint8_t buf[RADIUS_PACKET_MAX];
	char long_nas[300];
	size_t len;

	(void)state;
	assert_int_equal(radius_pkt_status_server(buf, &len, 0x42, ra, secret,
	    SECRET_LEN, "otpcep"), RADIUS_PKT_OK);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* Without NAS-Identifier: the Message-Authenticator alone. */
	assert_int_equal(radius_pkt_status_server(buf, &len, 0x42, ra, secret,
	    SECRET_LEN, NULL), RADIUS_PKT_OK);
	assert_int_equal(len, 38);
	assert_int_equal(buf[0], RADIUS_CODE_STATUS_SERVER);
	assert_int_equal(buf[20], RADIUS_ATTR_MESSAGE_AUTHENTICATOR);
	memset(long_nas, 'n', sizeof(long_nas) - 1);
	long_nas[sizeof(long_nas) - 1] = '\0';
	assert_int_equal(radius_pkt_status_server(buf, &len, 0x42, ra, secret,
	    SECRET_LEN, long_nas), RADIUS_PKT_BAD_NAS);
	assert_int_equal(len, 0);
}

static void
test_server_state_fresh(void **state)
{
	struct radius *r;
	long long left = -1;

	(void)state;
	r = start("one-secret-for-all-servers\n", 0600, "");
	assert_non_null(r);
	assert_int_equal(radius_server_state(r, 0, &left), RADIUS_SERVER_ALIVE);
	assert_int_equal(left, 0);
	/* No such server: never "alive". */
	assert_int_equal(radius_server_state(r, 99, NULL), RADIUS_SERVER_DEAD);
	assert_int_equal(radius_status_server(r, 99), RADIUS_NOT_CONFIGURED);
	radius_free(r);
}

static void
test_authenticate_refuses_locally(void **state)
{
	struct audit a = { 0 };
	struct radius *r;
	uint8_t pw[RADIUS_PASSWORD_MAX + 1];
	char name[301];

	(void)state;
	r = start("one-secret-for-all-servers\n", 0600, "");
	assert_non_null(r);
	memset(name, 'u', 300);
	name[300] = '\0';
	/* Refused before anything is sent: no wait on port 9. */
	assert_int_equal(radius_authenticate(r, name, (const uint8_t *)"1", 1,
	    &a), RADIUS_BAD_INPUT);
	assert_non_null(strstr(a.reason, "253"));
	password_of(pw, sizeof(pw));
	memset(&a, 0, sizeof(a));
	assert_int_equal(radius_authenticate(r, "bob", pw, 129, &a),
	    RADIUS_BAD_INPUT);
	assert_non_null(strstr(a.reason, "128"));
	assert_int_equal(radius_authenticate(r, NULL, pw, 6, &a),
	    RADIUS_BAD_INPUT);
	radius_free(r);
}

static void
test_not_configured(void **state)
{
	struct config *cfg = make_config("");
	struct audit a = { 0 };
	struct radius *r;

	(void)state;
	r = radius_new(cfg);
	assert_non_null(r);
	assert_int_equal(radius_authenticate(r, "bob", (const uint8_t *)"1", 1,
	    &a), RADIUS_NOT_CONFIGURED);
	assert_non_null(strstr(a.reason, "not configured"));
	radius_free(r);
	config_free(cfg);
}

static void
test_strerror(void **state)
{
	int i;

	(void)state;
	for (i = RADIUS_ACCEPT; i <= RADIUS_UNSIGNED; i++)
		assert_string_not_equal(radius_strerror(i),
		    "unknown RADIUS result");
	for (i = RADIUS_PKT_OK; i <= RADIUS_PKT_BAD_MA; i++)
		assert_string_not_equal(radius_pkt_strerror(i),
		    "unknown RADIUS packet error");
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/s", dir);
	unlink(path);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hide_rfc2865_example),
		cmocka_unit_test(test_hide_lengths),
		cmocka_unit_test(test_hide_refuses),
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_request_ipv6_and_minimal),
		cmocka_unit_test(test_request_limits),
		cmocka_unit_test(test_reply_good),
		cmocka_unit_test(test_sign_reply_matches_vector),
		cmocka_unit_test(test_reply_wrong_id_and_authenticator),
		cmocka_unit_test(test_reply_message_authenticator),
		cmocka_unit_test(test_reply_framing),
		cmocka_unit_test(test_new_secrets),
		cmocka_unit_test(test_new_nas),
		cmocka_unit_test(test_user_name_forms),
		cmocka_unit_test(test_status_server_bytes),
		cmocka_unit_test(test_server_state_fresh),
		cmocka_unit_test(test_authenticate_refuses_locally),
		cmocka_unit_test(test_not_configured),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
