/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 1 of MS-OTPCE 3.2.5.1: the PKCS#10 of example 4.1 and requests made
 * here with GnuTLS (tests/csrgen.h), each breaking one rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <gnutls/crypto.h>

#include "config.h"
#include "csr.h"
#include "csrgen.h"
#include "dir.h"
#include "log.h"
#include "testutil.h"

#define EX_TEMPLATE_OID "1.3.6.1.4.1.311.21.8.221803.1567394.12993454.3845153.13972217.75.15653661.6620273"
#define USER_DN "CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com"
#define USER_UPN "user1@domain1.corp.company.com"
#define USER_MAIL "User.One@company.com"
#define USERNAME "DOMAIN1\\user1"
#define MACHINE "DOMAIN1\\CLIENT2$"

static gnutls_privkey_t rsa2048, rsa1024, ec256, ec384, ec224, ed25519;
static uint8_t *example;
static size_t example_len;

static struct config cfg_oid = { .template = EX_TEMPLATE_OID,
    .allow_sha1_csr = true, .min_rsa_bits = 2048 };

static struct dir_user user1 = { .dn = USER_DN, .upn = USER_UPN,
    .mail = USER_MAIL, .account = "user1", .domain = "DOMAIN1" };

static int
setup(void **state)
{
	(void)state;
	log_init(LOG_TO_STDERR, 0);
	rsa2048 = csrgen_key(GNUTLS_PK_RSA, 2048);
	rsa1024 = csrgen_key(GNUTLS_PK_RSA, 1024);
	ec256 = csrgen_key(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	ec384 = csrgen_key(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1));
	ec224 = csrgen_key(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP224R1));
	ed25519 = csrgen_key(GNUTLS_PK_EDDSA_ED25519, 256);
	example = (uint8_t *)tu_read_file("tests/data/spec/4.1-certRequest.der",
	    &example_len);
	if (rsa2048 == NULL || rsa1024 == NULL || ec256 == NULL ||
	    ec384 == NULL || ec224 == NULL || ed25519 == NULL || example == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	gnutls_privkey_deinit(rsa2048);
	gnutls_privkey_deinit(rsa1024);
	gnutls_privkey_deinit(ec256);
	gnutls_privkey_deinit(ec384);
	gnutls_privkey_deinit(ec224);
	gnutls_privkey_deinit(ed25519);
	free(example);
	return 0;
}

/* A Windows-like logon request for user1, signed with SHA-256. */
static struct csrgen
good(void)
{
	struct csrgen g = { 0 };

	g.key = rsa2048;
	g.dn = USER_DN;
	g.template_oid = EX_TEMPLATE_OID;
	g.upn[0] = USER_UPN;
	g.client_user = MACHINE;
	return g;
}

/*
 * Parses der and matches it against user; returns the first failure. Every
 * failure must leave a reason for the audit line, and no struct behind.
 */
/* The reason of the last check_der_t() that failed. */
static char last_reason[AUDIT_REASON_MAX];

static enum csr_result
check_der_t(const struct config *cfg, const struct csr_template *t,
    const uint8_t *der, size_t der_len, const char *username,
    const struct dir_user *u)
{
	struct audit a = { 0 };
	struct csr *csr = (struct csr *)1;
	enum csr_result r;

	r = csr_parse(cfg, t, der, der_len, &csr, &a);
	if (r != CSR_OK) {
		assert_null(csr);
		assert_true(a.reason[0] != '\0');
		memcpy(last_reason, a.reason, sizeof(last_reason));
		return r;
	}
	assert_non_null(csr);
	assert_string_equal(a.reason, "");
	r = csr_match_user(csr, username, u, &a);
	if (r != CSR_OK)
		assert_true(a.reason[0] != '\0');
	else
		assert_string_equal(a.reason, "");
	csr_free(csr);
	return r;
}

static enum csr_result
check_der(const struct config *cfg, const uint8_t *der, size_t der_len,
    const char *username, const struct dir_user *u)
{
	return check_der_t(cfg, NULL, der, der_len, username, u);
}

/* g checked with the configured template t (as resolved at start-up). */
static enum csr_result
check_tmpl(const struct csrgen *g, const struct csr_template *t)
{
	uint8_t *der;
	size_t der_len = 0;
	enum csr_result r;

	der = csrgen_make(g, &der_len);
	assert_non_null(der);
	r = check_der_t(&cfg_oid, t, der, der_len, USERNAME, &user1);
	free(der);
	return r;
}

static enum csr_result
check_as(const struct config *cfg, const struct csrgen *g,
    const char *username, const struct dir_user *u)
{
	uint8_t *der;
	size_t der_len = 0;
	enum csr_result r;

	der = csrgen_make(g, &der_len);
	assert_non_null(der);
	r = check_der(cfg, der, der_len, username, u);
	free(der);
	return r;
}

static enum csr_result
check(const struct csrgen *g)
{
	return check_as(&cfg_oid, g, USERNAME, &user1);
}

/* ---- example 4.1 ---- */

static void
test_example_41_passes(void **state)
{
	struct dir_user u = user1;

	(void)state;
	u.mail = NULL;
	assert_int_equal(check_der(&cfg_oid, example, example_len, USERNAME, &u),
	    CSR_OK);
	/* the same user as the directory writes its DN and UPN otherwise */
	u.dn = "cn=user 1, cn=users, dc=DOMAIN1, dc=corp, dc=company, dc=com";
	u.upn = "USER1@Domain1.Corp.Company.Com";
	assert_int_equal(check_der(&cfg_oid, example, example_len,
	    "domain1\\USER1", &u), CSR_OK);
}

static void
test_example_41_other_user(void **state)
{
	struct dir_user u = user1;

	(void)state;
	u.dn = "CN=User 2,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check_der(&cfg_oid, example, example_len, USERNAME, &u),
	    CSR_NAME_MISMATCH);
	u = user1;
	u.upn = "user2@domain1.corp.company.com";
	assert_int_equal(check_der(&cfg_oid, example, example_len, USERNAME, &u),
	    CSR_NAME_MISMATCH);
	u.upn = NULL;
	assert_int_equal(check_der(&cfg_oid, example, example_len, USERNAME, &u),
	    CSR_NAME_MISMATCH);
}

static void
test_example_41_policy(void **state)
{
	struct config cfg = cfg_oid;

	(void)state;
	/* sha1WithRSA */
	cfg.allow_sha1_csr = false;
	assert_int_equal(check_der(&cfg, example, example_len, USERNAME, &user1),
	    CSR_WEAK_ALGORITHM);
	cfg = cfg_oid;
	cfg.template = "1.3.6.1.4.1.311.21.8.1.2";
	assert_int_equal(check_der(&cfg, example, example_len, USERNAME, &user1),
	    CSR_WRONG_TEMPLATE);
	/* it names its template only by OID */
	cfg.template = "OTPLogon";
	assert_int_equal(check_der(&cfg, example, example_len, USERNAME, &user1),
	    CSR_WRONG_TEMPLATE);
	cfg.template = "";
	assert_int_equal(check_der(&cfg, example, example_len, USERNAME, &user1),
	    CSR_WRONG_TEMPLATE);
	cfg.template = NULL;
	assert_int_equal(check_der(&cfg, example, example_len, USERNAME, &user1),
	    CSR_WRONG_TEMPLATE);
	cfg = cfg_oid;
	cfg.min_rsa_bits = 4096;
	assert_int_equal(check_der(&cfg, example, example_len, USERNAME, &user1),
	    CSR_WEAK_KEY);
}

static void
test_example_41_truncated(void **state)
{
	uint8_t *buf;
	size_t n;

	(void)state;
	for (n = 0; n < example_len; n++)
		assert_int_equal(check_der(&cfg_oid, example, n, USERNAME,
		    &user1), CSR_MALFORMED);
	buf = malloc(example_len + 1);
	assert_non_null(buf);
	memcpy(buf, example, example_len);
	buf[example_len] = 0;
	assert_int_equal(check_der(&cfg_oid, buf, example_len + 1, USERNAME,
	    &user1), CSR_MALFORMED);
	free(buf);
}

/* Finds the last occurrence of needle (the outer signatureAlgorithm). */
static uint8_t *
find_last(uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n)
{
	size_t i;

	for (i = hay_len - n + 1; i-- > 0; )
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/*
 * Any change to any byte of a signed request is refused, but one: the tag
 * of the outer signatureAlgorithm's NULL parameters, which the signature
 * does not cover and GnuTLS does not look at (RFC 3279 2.2.1 wants NULL; a
 * CA reads the algorithm OID only).
 */
static void
test_example_41_every_byte(void **state)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	static const uint8_t sha1_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	    0x01, 0x01, 0x05, 0x05, 0x00 };
	uint8_t *buf, *params;
	size_t i, f, skip;

	(void)state;
	buf = malloc(example_len);
	assert_non_null(buf);
	memcpy(buf, example, example_len);
	params = find_last(buf, example_len, sha1_rsa, sizeof(sha1_rsa));
	assert_non_null(params);
	skip = (size_t)(params - buf) + 9;
	for (i = 0; i < example_len; i++) {
		if (i == skip)
			continue;
		for (f = 0; f < sizeof(flips); f++) {
			memcpy(buf, example, example_len);
			buf[i] ^= flips[f];
			if (check_der(&cfg_oid, buf, example_len, USERNAME,
			    &user1) == CSR_OK)
				fail_msg("byte %zu ^ 0x%02x accepted", i, flips[f]);
		}
	}
	free(buf);
}

static void
test_garbage(void **state)
{
	uint8_t *der;
	size_t der_len = 0;

	(void)state;
	assert_int_equal(check_der(&cfg_oid, NULL, 0, USERNAME, &user1),
	    CSR_MALFORMED);
	assert_int_equal(check_der(&cfg_oid, (const uint8_t *)"asdf", 4,
	    USERNAME, &user1), CSR_MALFORMED);
	/* a CMS message is DER, but not a PKCS#10 */
	der = (uint8_t *)tu_read_file("tests/data/spec/4.1-SignedCertRequest.der",
	    &der_len);
	assert_non_null(der);
	assert_int_equal(check_der(&cfg_oid, der, der_len, USERNAME, &user1),
	    CSR_MALFORMED);
	free(der);
}

/* ---- signatures and keys ---- */

static void
test_good_sha256(void **state)
{
	struct csrgen g = good();

	(void)state;
	assert_int_equal(check(&g), CSR_OK);
	g.digest = GNUTLS_DIG_SHA512;
	assert_int_equal(check(&g), CSR_OK);
}

static void
test_sha1(void **state)
{
	struct csrgen g = good();
	struct config cfg = cfg_oid;

	(void)state;
	g.digest = GNUTLS_DIG_SHA1;
	assert_int_equal(check(&g), CSR_OK);
	cfg.allow_sha1_csr = false;
	assert_int_equal(check_as(&cfg, &g, USERNAME, &user1),
	    CSR_WEAK_ALGORITHM);
	/* SHA-256 still passes with SHA-1 refused */
	g.digest = GNUTLS_DIG_SHA256;
	assert_int_equal(check_as(&cfg, &g, USERNAME, &user1), CSR_OK);
}

static void
test_md5_never(void **state)
{
	/* sha256WithRSAEncryption, and md5WithRSAEncryption (RFC 3279) */
	static const uint8_t sha256_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	    0x01, 0x01, 0x0b };
	struct csrgen g = good();
	uint8_t *der, *p;
	size_t der_len = 0;

	(void)state;
	der = csrgen_make(&g, &der_len);
	assert_non_null(der);
	p = find_last(der, der_len, sha256_rsa, sizeof(sha256_rsa));
	assert_non_null(p);
	p[8] = 0x04;
	assert_int_equal(check_der(&cfg_oid, der, der_len, USERNAME, &user1),
	    CSR_WEAK_ALGORITHM);
	/* md2WithRSAEncryption */
	p[8] = 0x02;
	assert_int_equal(check_der(&cfg_oid, der, der_len, USERNAME, &user1),
	    CSR_WEAK_ALGORITHM);
	free(der);
}

static void
test_bad_signature(void **state)
{
	struct csrgen g = good();
	uint8_t *der, *p;
	size_t der_len = 0;

	(void)state;
	der = csrgen_make(&g, &der_len);
	assert_non_null(der);
	der[der_len - 1] ^= 0x01;
	assert_int_equal(check_der(&cfg_oid, der, der_len, USERNAME, &user1),
	    CSR_BAD_SIGNATURE);
	der[der_len - 1] ^= 0x01;
	assert_int_equal(check_der(&cfg_oid, der, der_len, USERNAME, &user1),
	    CSR_OK);
	/* the signed part changed: "User 1" -> "User 2" */
	p = find_last(der, der_len, (const uint8_t *)"User 1", 6);
	assert_non_null(p);
	p[5] = '2';
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &user1), CSR_OK);
	assert_int_equal(check_der(&cfg_oid, der, der_len, USERNAME, &user1),
	    CSR_BAD_SIGNATURE);
	free(der);
}

static void
test_rsa_1024(void **state)
{
	struct csrgen g = good();
	struct config cfg = cfg_oid;

	(void)state;
	g.key = rsa1024;
	assert_int_equal(check(&g), CSR_WEAK_KEY);
	cfg.min_rsa_bits = 1024;
	assert_int_equal(check_as(&cfg, &g, USERNAME, &user1), CSR_OK);
	/* and a 2048-bit key under min_rsa_bits = 3072 */
	g.key = rsa2048;
	cfg.min_rsa_bits = 3072;
	assert_int_equal(check_as(&cfg, &g, USERNAME, &user1), CSR_WEAK_KEY);
}

static void
test_ec_curves(void **state)
{
	struct csrgen g = good();

	(void)state;
	g.key = ec256;
	assert_int_equal(check(&g), CSR_OK);
	g.key = ec384;
	g.digest = GNUTLS_DIG_SHA384;
	assert_int_equal(check(&g), CSR_OK);
	g.key = ec224;
	g.digest = GNUTLS_DIG_SHA256;
	assert_int_equal(check(&g), CSR_WEAK_KEY);
	g.key = ed25519;
	g.digest = GNUTLS_DIG_SHA512;
	assert_int_equal(check(&g), CSR_WEAK_KEY);
}

/* Issue 15 item 8: RSA public exponents a real key never has. */
static void
test_rsa_exponents(void **state)
{
	static const struct {
		const char *e;
		enum csr_result want;
	} cases[] = {
		{ "1", CSR_WEAK_KEY },		/* the "signature" is the padded hash */
		{ "3", CSR_WEAK_KEY },
		{ "17", CSR_WEAK_KEY },
		{ "65537", CSR_OK },
		{ "4294967297", CSR_OK },	/* 2^32 + 1 */
		/* 2^255 + 1: below 2^256 */
		{ "57896044618658097711785492504343953926634992332820282019728792003956564819969", CSR_OK },
		/* 2^256 + 1 */
		{ "115792089237316195423570985008687907853269984665640564039457584007913129639937", CSR_WEAK_KEY },
	};
	struct csrgen g = good();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		g.key = csrgen_rsa_key_e(2048, cases[i].e);
		assert_non_null(g.key);
		if (check(&g) != cases[i].want)
			fail_msg("exponent %s: %d, want %d", cases[i].e,
			    check(&g), cases[i].want);
		if (cases[i].want != CSR_OK)
			assert_non_null(strstr(last_reason, "exponent"));
		gnutls_privkey_deinit(g.key);
	}
}

/* A modulus of an odd size (not a multiple of 8 bits) is not a CSP's. */
static void
test_rsa_modulus_size(void **state)
{
	struct csrgen g = good();

	(void)state;
	g.key = csrgen_key(GNUTLS_PK_RSA, 2052);
	assert_non_null(g.key);
	assert_int_equal(check(&g), CSR_WEAK_KEY);
	gnutls_privkey_deinit(g.key);
}

/* An EC public key that is not a point of its curve (SEC 1 3.2.2.1). */
static void
test_ec_point_invalid(void **state)
{
	static const uint8_t spki_point[] = { 0x03, 0x42, 0x00, 0x04 };
	struct csrgen g = good();
	uint8_t *der, *pt = NULL;
	size_t der_len = 0, i;

	(void)state;
	g.key = ec256;
	der = csrgen_make(&g, &der_len);
	assert_non_null(der);
	assert_int_equal(check_der(&cfg_oid, der, der_len, USERNAME, &user1),
	    CSR_OK);
	for (i = 0; i + sizeof(spki_point) + 64 <= der_len; i++)
		if (memcmp(der + i, spki_point, sizeof(spki_point)) == 0) {
			pt = der + i + sizeof(spki_point);
			break;
		}
	assert_non_null(pt);
	/* y changed: off the curve (the key is refused before the signature) */
	pt[63] ^= 0x01;
	assert_int_equal(check_der(&cfg_oid, der, der_len, USERNAME, &user1),
	    CSR_WEAK_KEY);
	assert_non_null(strstr(last_reason, "not a point of"));
	/* (0, 0): not on P-256 either, and the nearest thing to infinity */
	memset(pt, 0, 64);
	assert_int_equal(check_der(&cfg_oid, der, der_len, USERNAME, &user1),
	    CSR_WEAK_KEY);
	assert_non_null(strstr(last_reason, "not a point of"));
	/* x = p: a coordinate out of range */
	memcpy(pt, "\xff\xff\xff\xff\x00\x00\x00\x01\x00\x00\x00\x00"
	    "\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff"
	    "\xff\xff\xff\xff\xff\xff", 32);
	assert_int_equal(check_der(&cfg_oid, der, der_len, USERNAME, &user1),
	    CSR_WEAK_KEY);
	free(der);
}

/* ---- template ---- */

static void
test_template_oid(void **state)
{
	struct csrgen g = good();

	(void)state;
	g.template_oid = "1.3.6.1.4.1.311.21.8.221803.1567394.12993454.3845153.13972217.75.15653661.6620274";
	assert_int_equal(check(&g), CSR_WRONG_TEMPLATE);
	/* a prefix of the configured OID is another OID */
	g.template_oid = "1.3.6.1.4.1.311.21.8.221803.1567394";
	assert_int_equal(check(&g), CSR_WRONG_TEMPLATE);
}

static void
test_template_name(void **state)
{
	struct csrgen g = good();
	struct config cfg = cfg_oid;

	(void)state;
	cfg.template = "OTPLogon";
	g.template_oid = NULL;
	g.template_name = "otplogon";
	assert_int_equal(check_as(&cfg, &g, USERNAME, &user1), CSR_OK);
	g.template_name_seq = true;
	assert_int_equal(check_as(&cfg, &g, USERNAME, &user1), CSR_OK);
	g.template_name = "OTPLogon2";
	assert_int_equal(check_as(&cfg, &g, USERNAME, &user1),
	    CSR_WRONG_TEMPLATE);
	g.template_name_seq = false;
	g.template_name = "User";
	assert_int_equal(check_as(&cfg, &g, USERNAME, &user1),
	    CSR_WRONG_TEMPLATE);
	/* a name only, where an OID is configured */
	g.template_name = "OTPLogon";
	assert_int_equal(check(&g), CSR_WRONG_TEMPLATE);
	/*
	 * Both extensions: each must name the configured template, so both
	 * must be known (issue 15 item 2; a CA refuses a conflict, 0x80094802).
	 */
	g.template_oid = EX_TEMPLATE_OID;
	assert_int_equal(check(&g), CSR_WRONG_TEMPLATE);
	assert_int_equal(check_as(&cfg, &g, USERNAME, &user1), CSR_WRONG_TEMPLATE);
}

/* Issue 15 item 6: names compared ignoring Unicode case, as AD does. */
static void
test_unicode_names(void **state)
{
	struct dir_user u = { .dn = "CN=Jörg Müller,CN=Users,DC=domain1,DC=corp,DC=company,DC=com",
	    .upn = "jörg@domain1.corp.company.com", .account = "jörg",
	    .domain = "DOMAIN1" };
	struct csrgen g = good();

	(void)state;
	g.dn = "CN=JÖRG MÜLLER,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	g.upn[0] = "JÖRG@domain1.corp.company.com";
	g.client_user = "DOMAIN1\\JÖRG";
	assert_int_equal(check_as(&cfg_oid, &g, "DOMAIN1\\Jörg", &u), CSR_OK);
	assert_int_equal(check_as(&cfg_oid, &g, "domain1\\jÖrg", &u), CSR_OK);
	/* a different name: the umlaut is not dropped */
	g.dn = "CN=Jorg Muller,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check_as(&cfg_oid, &g, "DOMAIN1\\Jörg", &u),
	    CSR_NAME_MISMATCH);
	g.dn = "CN=JÖRG MÜLLER,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	g.upn[0] = "jorg@domain1.corp.company.com";
	assert_int_equal(check_as(&cfg_oid, &g, "DOMAIN1\\Jörg", &u),
	    CSR_NAME_MISMATCH);
	g.upn[0] = "JÖRG@domain1.corp.company.com";
	g.client_user = "DOMAIN1\\Jorg";
	assert_int_equal(check_as(&cfg_oid, &g, "DOMAIN1\\Jörg", &u),
	    CSR_NAME_MISMATCH);
}

/* Runs csr_match_name() for g with the typed name read as n. */
static enum csr_result
check_typed(const struct csrgen *g, const char *username,
    const struct dir_name *n)
{
	struct audit a = { 0 };
	struct csr *csr = NULL;
	uint8_t *der;
	size_t der_len = 0;
	enum csr_result r;

	der = csrgen_make(g, &der_len);
	assert_non_null(der);
	assert_int_equal(csr_parse(&cfg_oid, NULL, der, der_len, &csr, &a),
	    CSR_OK);
	r = csr_match_name(csr, username, n, &a);
	if (r != CSR_OK)
		assert_true(a.reason[0] != '\0');
	csr_free(csr);
	free(der);
	return r;
}

/* Issue 11: what can be decided before the directory is, there. */
static void
test_names_before_directory(void **state)
{
	struct dir_name by_account = { .netbios = "DOMAIN1",
	    .base_dn = "DC=domain1,DC=corp,DC=company,DC=com",
	    .account = "user1" };
	struct dir_name by_upn = { .netbios = "DOMAIN1",
	    .base_dn = "DC=domain1,DC=corp,DC=company,DC=com",
	    .upn = USER_UPN };
	struct csrgen g = good();

	(void)state;
	assert_int_equal(check_typed(&g, USERNAME, &by_account), CSR_OK);
	assert_int_equal(check_typed(&g, USER_UPN, &by_upn), CSR_OK);
	/* ClientInfo naming another user of the typed domain */
	g.client_user = "DOMAIN1\\Administrator";
	assert_int_equal(check_typed(&g, USERNAME, &by_account),
	    CSR_NAME_MISMATCH);
	/* typed as a UPN: the account is the directory's to say, not the domain */
	assert_int_equal(check_typed(&g, USER_UPN, &by_upn), CSR_OK);
	g.client_user = "OTHER\\user1";
	assert_int_equal(check_typed(&g, USER_UPN, &by_upn), CSR_NAME_MISMATCH);
	g.client_user = "domain1\\USER1";
	assert_int_equal(check_typed(&g, USERNAME, &by_account), CSR_OK);
	g.client_user = MACHINE;
	/* a UPN other than the typed one */
	g.upn[0] = "administrator@domain1.corp.company.com";
	assert_int_equal(check_typed(&g, USER_UPN, &by_upn), CSR_NAME_MISMATCH);
	/* (typed DOMAIN\user: the UPN is the directory's to say) */
	assert_int_equal(check_typed(&g, USERNAME, &by_account), CSR_OK);
	g.upn[0] = USER_UPN;
	/* a subject outside the domain's base DN */
	g.dn = "CN=Administrator,CN=Users,DC=other,DC=example";
	assert_int_equal(check_typed(&g, USERNAME, &by_account),
	    CSR_NAME_MISMATCH);
	g.dn = "DC=com";
	assert_int_equal(check_typed(&g, USERNAME, &by_account),
	    CSR_NAME_MISMATCH);
}

static void
test_template_resolved(void **state)
{
	struct csr_template t = { EX_TEMPLATE_OID, "DAOTPLogon" };
	struct csrgen g = good();

	(void)state;
	/* a Windows v2 request: the OID only, the name configured and resolved */
	assert_int_equal(check_tmpl(&g, &t), CSR_OK);
	/* the OID and the resolved name, in any case */
	g.template_name = "daotplogon";
	assert_int_equal(check_tmpl(&g, &t), CSR_OK);
	/* the configured OID and another template's name: a conflict */
	g.template_name = "Administrator";
	assert_int_equal(check_tmpl(&g, &t), CSR_WRONG_TEMPLATE);
	/* the configured name and another OID */
	g.template_name = "DAOTPLogon";
	g.template_oid = "1.3.6.1.4.1.311.21.8.9.9.9";
	assert_int_equal(check_tmpl(&g, &t), CSR_WRONG_TEMPLATE);
	/* the name alone */
	g.template_oid = NULL;
	assert_int_equal(check_tmpl(&g, &t), CSR_OK);
	/* neither */
	g.template_name = NULL;
	assert_int_equal(check_tmpl(&g, &t), CSR_NO_TEMPLATE);
	/* a name that was not resolved: an OID cannot be shown to be it */
	t.oid = NULL;
	g.template_oid = EX_TEMPLATE_OID;
	assert_int_equal(check_tmpl(&g, &t), CSR_WRONG_TEMPLATE);
}

static void
test_no_template(void **state)
{
	struct csrgen g = good();

	(void)state;
	g.template_oid = NULL;
	assert_int_equal(check(&g), CSR_NO_TEMPLATE);
	/* an empty name is no name */
	g.template_name_seq = true;
	g.template_name = "";
	assert_int_equal(check(&g), CSR_NO_TEMPLATE);
}

static void
test_template_malformed(void **state)
{
	static const uint8_t junk[] = { 0x30, 0x03, 0x04, 0x01, 0x2b };
	static const uint8_t huge[] = { 0x30, 0x84, 0x7f, 0xff, 0xff, 0xff,
	    0x06, 0x01, 0x2b };
	struct csrgen g = good();

	(void)state;
	g.template_oid = NULL;
	g.template_raw = junk;
	g.template_raw_len = sizeof(junk);
	assert_int_equal(check(&g), CSR_MALFORMED);
	g.template_raw = huge;
	g.template_raw_len = sizeof(huge);
	assert_int_equal(check(&g), CSR_MALFORMED);
}

/* ---- names ---- */

static void
test_wrong_upn(void **state)
{
	struct csrgen g = good();

	(void)state;
	g.upn[0] = "user2@domain1.corp.company.com";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	/* every UPN must be the user's, not just one */
	g.upn[0] = USER_UPN;
	g.upn[1] = "administrator@domain1.corp.company.com";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	g.upn[0] = "USER1@DOMAIN1.CORP.COMPANY.COM";
	g.upn[1] = USER_UPN;
	assert_int_equal(check(&g), CSR_OK);
	/* a UPN suffix is not the UPN */
	g.upn[1] = "user1@domain1.corp.company.com.evil";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
}

static void
test_wrong_subject(void **state)
{
	struct csrgen g = good();

	(void)state;
	g.dn = "CN=User 2,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	/* the CN alone is not the DN */
	g.dn = "CN=User 1";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	/* one RDN more */
	g.dn = "CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com,DC=net";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	/* same RDNs, other order */
	g.dn = "CN=Users,CN=User 1,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	/* same values, other type */
	g.dn = "OU=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	/* the whole DN in one CN (escaped commas): one RDN, not six */
	g.dn = "CN=User 1\\,CN=Users\\,DC=domain1\\,DC=corp\\,DC=company\\,DC=com";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	/* case and spaces are not significant */
	g.dn = "CN=user 1,CN=USERS,DC=Domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check(&g), CSR_OK);
}

static void
test_subject_dn_forms(void **state)
{
	struct csrgen g = good();
	struct dir_user u = user1;

	(void)state;
	/* escaping: a comma inside a CN, written two ways by the directory */
	g.dn = "CN=Smith\\, John,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	u.dn = "CN=Smith\\, John,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_OK);
	u.dn = "CN=Smith\\2C John,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_OK);
	u.dn = "CN=Smith  John,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_NAME_MISMATCH);
	/* leading, trailing and repeated spaces are insignificant */
	g.dn = "CN=User   1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	u.dn = "CN= User 1\\ , CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_OK);
	/* types by OID or by name */
	g.dn = USER_DN;
	u.dn = "2.5.4.3=User 1,cn=Users,0.9.2342.19200300.100.1.25=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_OK);
	/* a multi-valued RDN is not two RDNs */
	u.dn = "CN=User 1+CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_NAME_MISMATCH);
	/* a directory DN that is not RFC 4514 matches nothing */
	g.dn = USER_DN;
	u.dn = "CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com,";
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_NAME_MISMATCH);
	u.dn = "CN=User \"1\",CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_NAME_MISMATCH);
	u.dn = "CN=User 1\\00,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_NAME_MISMATCH);
	u.dn = "CN=User 1\\q,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_NAME_MISMATCH);
	u.dn = "";
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_NAME_MISMATCH);
}

/* Appends a DER TLV (tag, content) at *p; returns the new end. */
static uint8_t *
tlv(uint8_t *p, uint8_t tag, const uint8_t *content, size_t len)
{
	*p++ = tag;
	if (len < 0x80) {
		*p++ = (uint8_t)len;
	} else {
		*p++ = 0x81;
		*p++ = (uint8_t)len;
	}
	memmove(p, content, len);
	return p + len;
}

/* An AVA: SEQUENCE { OID, UTF8String or IA5String } */
static size_t
ava(uint8_t *out, const uint8_t *oid, size_t oid_len, uint8_t str_tag,
    const char *value)
{
	uint8_t tmp[128], *p = tmp;

	p = tlv(p, 0x06, oid, oid_len);
	p = tlv(p, str_tag, (const uint8_t *)value, strlen(value));
	return (size_t)(tlv(out, 0x30, tmp, (size_t)(p - tmp)) - out);
}

static const uint8_t oid_cn[] = { 0x55, 0x04, 0x03 };
static const uint8_t oid_uid[] = { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c,
    0x64, 0x01, 0x01 };
static const uint8_t oid_dc[] = { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c,
    0x64, 0x01, 0x19 };

/*
 * The Name DC=com,DC=company,DC=corp,DC=domain1,CN=Users,{first+second}
 * in DER, its last RDN multi-valued: CN=cn and UID=uid, in that order in
 * the SET unless swap. Returns its length.
 */
static size_t
name_multi(uint8_t *out, const char *cn, const char *uid, bool swap)
{
	static const char *const dcs[] = { "com", "company", "corp", "domain1" };
	uint8_t rdns[400], *r = rdns, a1[64], a2[64], set[128];
	size_t i, n, n1, n2;

	for (i = 0; i < 4; i++) {
		n = ava(a1, oid_dc, sizeof(oid_dc), 0x16, dcs[i]);
		r = tlv(r, 0x31, a1, n);
	}
	n = ava(a1, oid_cn, sizeof(oid_cn), 0x0c, "Users");
	r = tlv(r, 0x31, a1, n);
	n1 = ava(a1, oid_cn, sizeof(oid_cn), 0x0c, cn);
	n2 = ava(a2, oid_uid, sizeof(oid_uid), 0x0c, uid);
	memcpy(set, swap ? a2 : a1, swap ? n2 : n1);
	memcpy(set + (swap ? n2 : n1), swap ? a1 : a2, swap ? n1 : n2);
	r = tlv(r, 0x31, set, n1 + n2);
	return (size_t)(tlv(out, 0x30, rdns, (size_t)(r - rdns)) - out);
}

static void
test_san_directory_name(void **state)
{
	struct csrgen g = good();
	struct dir_user u = user1;
	uint8_t name[512];

	(void)state;
	u.dn = "UID=user1+CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	g.dn = NULL;
	g.upn[0] = NULL;
	g.san_dn = name;
	g.san_dn_len = name_multi(name, "User 1", "user1", false);
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_OK);
	/* the AVAs of an RDN are a set: order does not matter */
	g.san_dn_len = name_multi(name, "User 1", "user1", true);
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_OK);
	/* but every AVA does */
	g.san_dn_len = name_multi(name, "User 1", "user2", true);
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_NAME_MISMATCH);
	u.dn = "CN=User 1,UID=user1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	g.san_dn_len = name_multi(name, "User 1", "user1", false);
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_NAME_MISMATCH);
	/* a directory name next to a good subject must be the user too */
	g.dn = USER_DN;
	u.dn = USER_DN;
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_NAME_MISMATCH);
}

static void
test_client_info_other_user(void **state)
{
	struct csrgen g = good();

	(void)state;
	g.client_user = "DOMAIN1\\user2";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	g.client_user = "DOMAIN2\\user1";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	g.client_user = "";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	/* the requesting user, in any case */
	g.client_user = "domain1\\USER1";
	assert_int_equal(check(&g), CSR_OK);
	/* username sent as a UPN: the directory's DOMAIN\account is the user */
	g.client_user = "DOMAIN1\\user1";
	assert_int_equal(check_as(&cfg_oid, &g, USER_UPN, &user1), CSR_OK);
	g.client_user = "DOMAIN1\\user2";
	assert_int_equal(check_as(&cfg_oid, &g, USER_UPN, &user1),
	    CSR_NAME_MISMATCH);
}

static void
test_client_info_machine(void **state)
{
	struct csrgen g = good();

	(void)state;
	/* at logon it names the machine account: not a user, not checked */
	g.client_user = "DOMAIN1\\CLIENT2$";
	assert_int_equal(check(&g), CSR_OK);
	g.client_user = "OTHERDOMAIN\\SERVER9$";
	assert_int_equal(check(&g), CSR_OK);
	/* ... and so it names nobody on its own */
	g.dn = NULL;
	g.upn[0] = NULL;
	assert_int_equal(check(&g), CSR_NAMES_NOBODY);
}

static void
test_client_info_malformed(void **state)
{
	/* userName as an OCTET STRING */
	static const uint8_t bad[] = { 0x30, 0x0b, 0x02, 0x01, 0x05, 0x0c,
	    0x01, 'a', 0x04, 0x01, 'b', 0x0c, 0x01, 'c' };
	/* truncated inside */
	static const uint8_t cut[] = { 0x30, 0x0b, 0x02, 0x01, 0x05, 0x0c,
	    0x01, 'a', 0x0c, 0x05, 'b' };
	struct csrgen g = good();

	(void)state;
	g.client_user = NULL;
	g.client_info_raw = bad;
	g.client_info_raw_len = sizeof(bad);
	assert_int_equal(check(&g), CSR_MALFORMED);
	g.client_info_raw = cut;
	g.client_info_raw_len = sizeof(cut);
	assert_int_equal(check(&g), CSR_MALFORMED);
}

static void
test_names_nobody(void **state)
{
	struct csrgen g = { 0 };

	(void)state;
	g.key = rsa2048;
	g.template_oid = EX_TEMPLATE_OID;
	assert_int_equal(check(&g), CSR_NAMES_NOBODY);
	/* one name is enough to name somebody */
	g.upn[0] = USER_UPN;
	assert_int_equal(check(&g), CSR_OK);
}

static void
test_email(void **state)
{
	struct csrgen g = good();
	struct dir_user u = user1;

	(void)state;
	g.email = "user.one@COMPANY.com";
	assert_int_equal(check(&g), CSR_OK);
	g.email = "user.two@company.com";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	g.email = USER_MAIL;
	u.mail = NULL;
	assert_int_equal(check_as(&cfg_oid, &g, USERNAME, &u), CSR_NAME_MISMATCH);
	/* emailAddress in the subject: matched against mail, not the DN */
	g.email = NULL;
	g.dn = "CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com,EMAIL=User.One@company.com";
	assert_int_equal(check(&g), CSR_OK);
	g.dn = "CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com,EMAIL=admin@company.com";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
	/* an address alone names the user */
	g.dn = "EMAIL=User.One@company.com";
	g.upn[0] = NULL;
	assert_int_equal(check(&g), CSR_OK);
}

/*
 * Re-signs a request whose CertificationRequestInfo was edited in place (same
 * length), as a client with the key could: the signature is the last
 * sig-size bytes of the DER (RFC 2986 4.2, the BIT STRING ends it).
 */
static void
resign(const struct csrgen *g, uint8_t *der, size_t der_len)
{
	gnutls_datum_t tbs, sig = { NULL, 0 };
	size_t hdr = (der[1] & 0x80) ? 2 + (der[1] & 0x7f) : 2;
	size_t tbs_hdr = (der[hdr + 1] & 0x80) ? 2 + (der[hdr + 1] & 0x7f) : 2;
	size_t tbs_len = 0, i;

	for (i = 2; i < tbs_hdr; i++)
		tbs_len = tbs_len << 8 | der[hdr + i];
	if (tbs_hdr == 2)
		tbs_len = der[hdr + 1];
	tbs.data = der + hdr;
	tbs.size = (unsigned)(tbs_hdr + tbs_len);
	assert_int_equal(gnutls_privkey_sign_data(g->key, GNUTLS_DIG_SHA256, 0,
	    &tbs, &sig), 0);
	assert_true(sig.size < der_len);
	memcpy(der + der_len - sig.size, sig.data, sig.size);
	gnutls_free(sig.data);
}

/* An extension twice: the CA might read the other one (RFC 5280 4.2). */
static void
test_duplicate_extension(void **state)
{
	static const uint8_t second[] = { 0x06, 0x04, 0x2a, 0x03, 0x04, 0x02 };
	struct csrgen g = good();
	struct audit a = { 0 };
	struct csr *csr = NULL;
	uint8_t *der, *p;
	size_t der_len = 0;

	(void)state;
	g.extra_extensions = 2;		/* 1.2.3.4.1 and 1.2.3.4.2 */
	der = csrgen_make(&g, &der_len);
	assert_non_null(der);
	/* Re-signed unchanged, the request still passes: the editing is sound. */
	resign(&g, der, der_len);
	assert_int_equal(check_der(&cfg_oid, der, der_len, USERNAME, &user1), CSR_OK);
	/* 1.2.3.4.2 becomes 1.2.3.4.1: the same extension twice, validly signed. */
	p = memmem(der, der_len, second, sizeof(second));
	assert_non_null(p);
	p[sizeof(second) - 1] = 0x01;
	resign(&g, der, der_len);
	assert_int_equal(csr_parse(&cfg_oid, NULL, der, der_len, &csr, &a), CSR_MALFORMED);
	assert_null(csr);
	assert_non_null(strstr(a.reason, "appears twice"));
	free(der);
}

/* Extensions the policy does not read are allowed, but not without end. */
static void
test_extension_count(void **state)
{
	struct csrgen g = good();

	(void)state;
	/* good() has 2 extensions (template, SAN) */
	g.extra_extensions = 30;
	assert_int_equal(check(&g), CSR_OK);
	g.extra_extensions = 31;
	assert_int_equal(check(&g), CSR_MALFORMED);
	assert_non_null(strstr(last_reason, "more than 32 extensions"));
	/* an extensionRequest of several KiB: read in a second, larger read */
	g.extra_extensions = 500;
	assert_int_equal(check(&g), CSR_MALFORMED);
	assert_non_null(strstr(last_reason, "more than 32 extensions"));
}

/*
 * The audit line's fields come from step 1's own reading (no second import):
 * the subject, the first SAN UPN, and the SHA-256 of the request's DER
 * SubjectPublicKeyInfo, the same as GnuTLS's export of the key gives.
 */
static void
test_audit_fields(void **state)
{
	gnutls_privkey_t keys[2] = { rsa2048, ec256 };
	struct csrgen g = good();
	struct audit a;
	struct csr *csr = NULL;
	gnutls_pubkey_t pub;
	gnutls_datum_t spki = { NULL, 0 };
	unsigned char digest[32];
	char hex[65];
	uint8_t *der;
	size_t der_len = 0, i, k;

	(void)state;
	g.upn[1] = "second@domain1.corp.company.com";
	for (k = 0; k < 2; k++) {
		g.key = keys[k];
		der = csrgen_make(&g, &der_len);
		assert_non_null(der);
		memset(&a, 0, sizeof(a));
		assert_int_equal(csr_parse(&cfg_oid, NULL, der, der_len, &csr, &a),
		    CSR_OK);
		assert_string_equal(a.upn, USER_UPN);
		assert_non_null(strstr(a.subject, "CN=User 1"));
		assert_int_equal(gnutls_pubkey_init(&pub), 0);
		assert_int_equal(gnutls_pubkey_import_privkey(pub, keys[k], 0, 0), 0);
		assert_int_equal(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER,
		    &spki), 0);
		assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data,
		    spki.size, digest), 0);
		for (i = 0; i < sizeof(digest); i++)
			snprintf(hex + 2 * i, 3, "%02x", digest[i]);
		assert_string_equal(a.key_sha256, hex);
		gnutls_free(spki.data);
		gnutls_pubkey_deinit(pub);
		csr_free(csr);
		free(der);
	}
	/* a refused request leaves them empty */
	g.upn[0] = "other@domain1.corp.company.com";
	g.template_oid = "1.2.3.4";
	der = csrgen_make(&g, &der_len);
	assert_non_null(der);
	memset(&a, 0, sizeof(a));
	assert_int_equal(csr_parse(&cfg_oid, NULL, der, der_len, &csr, &a),
	    CSR_WRONG_TEMPLATE);
	assert_string_equal(a.upn, "");
	assert_string_equal(a.key_sha256, "");
	free(der);
}

static void
test_other_san_kinds(void **state)
{
	struct csrgen g = good();

	(void)state;
	g.dns = "dc1.domain1.corp.company.com";
	assert_int_equal(check(&g), CSR_NAME_MISMATCH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_41_passes),
		cmocka_unit_test(test_audit_fields),
		cmocka_unit_test(test_example_41_other_user),
		cmocka_unit_test(test_example_41_policy),
		cmocka_unit_test(test_example_41_truncated),
		cmocka_unit_test(test_example_41_every_byte),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_good_sha256),
		cmocka_unit_test(test_sha1),
		cmocka_unit_test(test_md5_never),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_rsa_1024),
		cmocka_unit_test(test_ec_curves),
		cmocka_unit_test(test_rsa_exponents),
		cmocka_unit_test(test_rsa_modulus_size),
		cmocka_unit_test(test_ec_point_invalid),
		cmocka_unit_test(test_template_oid),
		cmocka_unit_test(test_template_name),
		cmocka_unit_test(test_template_resolved),
		cmocka_unit_test(test_unicode_names),
		cmocka_unit_test(test_names_before_directory),
		cmocka_unit_test(test_no_template),
		cmocka_unit_test(test_template_malformed),
		cmocka_unit_test(test_wrong_upn),
		cmocka_unit_test(test_wrong_subject),
		cmocka_unit_test(test_subject_dn_forms),
		cmocka_unit_test(test_san_directory_name),
		cmocka_unit_test(test_client_info_other_user),
		cmocka_unit_test(test_client_info_machine),
		cmocka_unit_test(test_client_info_malformed),
		cmocka_unit_test(test_names_nobody),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_extension_count),
		cmocka_unit_test(test_duplicate_extension),
		cmocka_unit_test(test_other_san_kinds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
