/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Unit tests for step 4, the SignedCertRequest (src/cmc.c, src/cmsder.c):
 * the parser on the MS-OTPCE 4.1 example, the encoder against that example
 * (bytes and structure), signatures checked with the public key, determinism,
 * and hostile or broken inputs. Keys are made here with GnuTLS; the
 * integration test (tests/integration/cmc.sh) does the same with the real
 * signer and openssl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libtasn1.h>

#include "cmc.h"
#include "cmsder.h"
#include "log.h"
#include "msext.h"
#include "testutil.h"

#define SPEC "tests/data/spec/"
#define OID_SHA1 "1.3.14.3.2.26"
#define OID_SHA256 "2.16.840.1.101.3.4.2.1"

/* The example's server ClientInfo (MS-OTPCE 4.1). */
static const struct cmc_client_info ex_ci = {
	"DA1.domain1.corp.company.com", "DOMAIN1\\DA1$", "w3wp.exe",
};

/* A signing key made for the tests, and what cmc_encode() sees of it. */
struct tkey {
	gnutls_privkey_t priv;
	gnutls_pubkey_t pub;
	gnutls_datum_t cert[2];		/* 0: its certificate, 1: a "chain" one */
	size_t cert_count;
	gnutls_digest_algorithm_t digest;
	gnutls_pk_algorithm_t pk;
	int fail_sign;			/* the sign callback refuses */
	int bad_cert;			/* cert_der returns garbage */
};

static struct tkey rsa_key, ec_key;
static uint8_t *ex_der, *ex_csr;
static size_t ex_len, ex_csr_len;

static void
tk_cert_der(const void *ctx, size_t i, const uint8_t **der, size_t *der_len)
{
	const struct tkey *k = ctx;
	static const uint8_t junk[] = { 0x04, 0x01, 0x00 };

	if (k->bad_cert) {
		*der = junk;
		*der_len = sizeof(junk);
		return;
	}
	*der = k->cert[i].data;
	*der_len = k->cert[i].size;
}

static int
tk_sign(const void *ctx, const uint8_t *data, size_t data_len, uint8_t **sig,
    size_t *sig_len)
{
	const struct tkey *k = ctx;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)data,
	    (unsigned)data_len }, s = { NULL, 0 };

	if (k->fail_sign)
		return -1;
	if (gnutls_privkey_sign_data(k->priv, k->digest, 0, &d, &s) < 0)
		return -1;
	*sig = malloc(s.size);
	assert_non_null(*sig);
	memcpy(*sig, s.data, s.size);
	*sig_len = s.size;
	gnutls_free(s.data);
	return 0;
}

static const char *
sig_oid(const struct tkey *k)
{
	if (k->pk == GNUTLS_PK_RSA)
		return OID_RSA_ENCRYPTION;
	switch (k->digest) {
	case GNUTLS_DIG_SHA1:
		return "1.2.840.10045.4.1";
	case GNUTLS_DIG_SHA384:
		return "1.2.840.10045.4.3.3";
	case GNUTLS_DIG_SHA512:
		return "1.2.840.10045.4.3.4";
	default:
		return "1.2.840.10045.4.3.2";
	}
}

static struct cmc_key
key_of(const struct tkey *k)
{
	struct cmc_key key = {
		k, k->cert_count, tk_cert_der, k->digest, sig_oid(k), tk_sign,
	};
	return key;
}

/* A key and a self-signed certificate with a 10-byte serial. */
static void
tk_make(struct tkey *k, gnutls_pk_algorithm_t pk, const char *dn)
{
	gnutls_x509_privkey_t xk;
	gnutls_x509_crt_t crt;
	static const uint8_t serial[] = { 0x61, 0x5f, 0xa4, 0x50, 0, 0, 0, 0,
	    0, 0x40 };
	unsigned bits = pk == GNUTLS_PK_RSA ? 2048 :
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
	time_t now = time(NULL);

	memset(k, 0, sizeof(*k));
	k->pk = pk;
	k->digest = GNUTLS_DIG_SHA256;
	assert_int_equal(gnutls_x509_privkey_init(&xk), 0);
	assert_int_equal(gnutls_x509_privkey_generate(xk, pk, bits, 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_set_version(crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(crt, serial,
	    sizeof(serial)), 0);
	assert_int_equal(gnutls_x509_crt_set_dn(crt, dn, NULL), 0);
	assert_int_equal(gnutls_x509_crt_set_issuer_dn(crt, dn, NULL), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(crt, now - 60), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(crt,
	    now + 2 * 86400), 0);
	assert_int_equal(gnutls_x509_crt_set_key(crt, xk), 0);
	assert_int_equal(gnutls_x509_crt_sign2(crt, crt, xk, GNUTLS_DIG_SHA256,
	    0), 0);
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER,
	    &k->cert[0]), 0);
	assert_int_equal(gnutls_privkey_init(&k->priv), 0);
	assert_int_equal(gnutls_privkey_import_x509(k->priv, xk,
	    GNUTLS_PRIVKEY_IMPORT_COPY), 0);
	assert_int_equal(gnutls_pubkey_init(&k->pub), 0);
	assert_int_equal(gnutls_pubkey_import_x509(k->pub, crt, 0), 0);
	k->cert_count = 1;
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(xk);
}

static void
tk_free(struct tkey *k)
{
	gnutls_privkey_deinit(k->priv);
	gnutls_pubkey_deinit(k->pub);
	gnutls_free(k->cert[0].data);
}

static int
setup(void **state)
{
	(void)state;
	log_init(LOG_TO_STDERR, 0);
	ex_der = (uint8_t *)tu_read_file(SPEC "4.1-SignedCertRequest.der",
	    &ex_len);
	ex_csr = (uint8_t *)tu_read_file(SPEC "4.1-certRequest.der",
	    &ex_csr_len);
	if (ex_der == NULL || ex_csr == NULL)
		return -1;
	tk_make(&rsa_key, GNUTLS_PK_RSA,
	    "CN=otpcep test signing CA,DC=example,DC=com");
	tk_make(&ec_key, GNUTLS_PK_ECDSA, "CN=EC");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tk_free(&rsa_key);
	tk_free(&ec_key);
	free(ex_der);
	free(ex_csr);
	return 0;
}

/* Verifies sig over data with pub (digest dig). */
static int
verify(gnutls_pubkey_t pub, gnutls_digest_algorithm_t dig, const uint8_t *data,
    size_t data_len, const uint8_t *sig, size_t sig_len)
{
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)data,
	    (unsigned)data_len };
	gnutls_datum_t s = { (unsigned char *)(uintptr_t)sig,
	    (unsigned)sig_len };
	int pk = gnutls_pubkey_get_pk_algorithm(pub, NULL);

	return gnutls_pubkey_verify_data2(pub,
	    gnutls_pk_to_sign((gnutls_pk_algorithm_t)pk, dig),
	    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &d, &s);
}

/*
 * What every SignedCertRequest must satisfy (docs/protocol.md, "Step 4"):
 * checked on the example and on every output.
 */
static void
check_signed_request(const struct cmsder_signed_request *r,
    gnutls_digest_algorithm_t dig, const char *digest_oid,
    const uint8_t *csr, size_t csr_len, gnutls_pubkey_t pub)
{
	uint8_t md[64];
	unsigned hl = gnutls_hash_get_len(dig);
	const struct cmsder_signer *d, *s;
	struct msext_client_info ci;

	assert_int_equal(r->version, 3);
	assert_int_equal(r->digest_alg_count, 1);
	assert_string_equal(r->digest_oid, digest_oid);
	assert_true(r->digest_params_null);
	assert_string_equal(r->econtent_type, OID_CMC_PKIDATA);
	assert_false(r->has_crls);
	assert_true(r->cert_count >= 1);

	/* PKIData: one control, the ClientInfo; one request; nothing else. */
	assert_int_equal(r->control_count, 1);
	assert_int_equal(r->control_body_part_id, 2);
	assert_string_equal(r->control_oid, OID_MS_CMC_ADD_ATTRIBUTES);
	assert_int_equal(r->control_data_reference, 0);
	assert_int_equal(r->control_cert_ref_count, 1);
	assert_int_equal(r->control_cert_ref, 1);
	assert_non_null(r->client_info);
	assert_int_equal(msext_client_info_decode(r->client_info,
	    r->client_info_len, &ci), MSEXT_OK);
	assert_int_equal(ci.client_id, 5);
	msext_client_info_free(&ci);
	assert_int_equal(r->request_count, 1);
	assert_int_equal(r->request_body_part_id, 1);
	assert_int_equal(r->pkcs10_len, csr_len);
	assert_memory_equal(r->pkcs10, csr, csr_len);
	assert_int_equal(r->cms_count, 0);
	assert_int_equal(r->other_msg_count, 0);

	assert_int_equal(gnutls_hash_fast(dig, r->econtent, r->econtent_len,
	    md), 0);
	assert_int_equal(r->signer_count, 2);
	d = &r->signer[0];
	s = &r->signer[1];

	/* The Dummy Signer first: digest of the signed attributes. */
	assert_int_equal(d->version, 1);
	assert_non_null(d->issuer);
	assert_int_equal(d->serial_len, 1);
	assert_int_equal(d->serial[0], 0);
	assert_string_equal(d->digest_oid, digest_oid);
	assert_true(d->digest_params_null);
	assert_string_equal(d->signature_oid, OID_CMC_NO_SIGNATURE);
	assert_true(d->signature_params_null);
	assert_int_equal(d->signed_attr_count, 2);
	assert_string_equal(d->content_type, OID_CMC_PKIDATA);
	assert_int_equal(d->message_digest_len, hl);
	assert_memory_equal(d->message_digest, md, hl);
	assert_false(d->has_unsigned_attrs);
	assert_int_equal(gnutls_hash_fast(dig, d->signed_attrs,
	    d->signed_attrs_len, md), 0);
	assert_int_equal(d->signature_len, hl);
	assert_memory_equal(d->signature, md, hl);

	/* Then the signing certificate: its signature over the same attributes. */
	assert_int_equal(s->version, 1);
	assert_non_null(s->issuer);
	assert_string_equal(s->digest_oid, digest_oid);
	assert_int_equal(s->signed_attr_count, 2);
	assert_string_equal(s->content_type, OID_CMC_PKIDATA);
	assert_int_equal(s->message_digest_len, hl);
	assert_memory_equal(s->message_digest, d->message_digest, hl);
	assert_int_equal(s->signed_attrs_len, d->signed_attrs_len);
	assert_memory_equal(s->signed_attrs, d->signed_attrs,
	    d->signed_attrs_len);
	assert_false(s->has_unsigned_attrs);
	assert_int_equal(verify(pub, dig, s->signed_attrs, s->signed_attrs_len,
	    s->signature, s->signature_len), 0);
	/* ... and not over anything else */
	assert_true(verify(pub, dig, r->econtent, r->econtent_len, s->signature,
	    s->signature_len) < 0);
}

/* The example: both signatures verify, with the certificate it carries. */
static void
test_parse_example(void **state)
{
	struct cmsder_signed_request r;
	struct msext_client_info ci;
	gnutls_x509_crt_t crt;
	gnutls_pubkey_t pub;
	gnutls_datum_t c;
	uint8_t serial[32];
	size_t serial_len = sizeof(serial);

	(void)state;
	assert_int_equal(cmsder_parse_signed_cert_request(ex_der, ex_len, &r),
	    CMSDER_OK);
	assert_int_equal(r.cert_count, 1);
	c.data = r.cert[0];
	c.size = (unsigned)r.cert_len[0];
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &c, GNUTLS_X509_FMT_DER), 0);
	assert_int_equal(gnutls_pubkey_init(&pub), 0);
	assert_int_equal(gnutls_pubkey_import_x509(pub, crt, 0), 0);
	check_signed_request(&r, GNUTLS_DIG_SHA1, OID_SHA1, ex_csr, ex_csr_len,
	    pub);
	assert_string_equal(r.signer[1].signature_oid, OID_RSA_ENCRYPTION);
	assert_true(r.signer[1].signature_params_null);
	/* the real signer's sid is the certificate's issuer and serial */
	assert_int_equal(gnutls_x509_crt_get_serial(crt, serial, &serial_len), 0);
	assert_int_equal(r.signer[1].serial_len, serial_len);
	assert_memory_equal(r.signer[1].serial, serial, serial_len);
	assert_int_equal(msext_client_info_decode(r.client_info,
	    r.client_info_len, &ci), MSEXT_OK);
	assert_string_equal(ci.machine, ex_ci.machine);
	assert_string_equal(ci.user, ex_ci.user);
	assert_string_equal(ci.process, ex_ci.process);
	msext_client_info_free(&ci);
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
	cmsder_signed_request_free(&r);
}

static void
sign(struct tkey *k, const uint8_t *csr, size_t csr_len, uint8_t **out,
    size_t *out_len)
{
	struct cmc_key key = key_of(k);
	struct audit a = { .reason = "" };

	assert_int_equal(cmc_encode(&key, &ex_ci, csr, csr_len, out, out_len,
	    &a), CMC_OK);
	assert_string_equal(a.reason, "");
}

/*
 * With SHA-1 and the example's ClientInfo, the PKIData, the signed
 * attributes and the whole Dummy SignerInfo are the example's, byte for byte.
 */
static void
test_sha1_bytes_match_example(void **state)
{
	struct cmsder_signed_request r, ex;
	uint8_t *out;
	size_t out_len;

	(void)state;
	rsa_key.digest = GNUTLS_DIG_SHA1;
	sign(&rsa_key, ex_csr, ex_csr_len, &out, &out_len);
	assert_int_equal(cmsder_parse_signed_cert_request(out, out_len, &r),
	    CMSDER_OK);
	check_signed_request(&r, GNUTLS_DIG_SHA1, OID_SHA1, ex_csr, ex_csr_len,
	    rsa_key.pub);
	assert_int_equal(cmsder_parse_signed_cert_request(ex_der, ex_len, &ex),
	    CMSDER_OK);
	assert_int_equal(r.econtent_len, ex.econtent_len);
	assert_memory_equal(r.econtent, ex.econtent, ex.econtent_len);
	assert_int_equal(r.signer[0].issuer_len, ex.signer[0].issuer_len);
	assert_memory_equal(r.signer[0].issuer, ex.signer[0].issuer,
	    ex.signer[0].issuer_len);
	assert_int_equal(r.signer[0].signed_attrs_len,
	    ex.signer[0].signed_attrs_len);
	assert_memory_equal(r.signer[0].signed_attrs, ex.signer[0].signed_attrs,
	    ex.signer[0].signed_attrs_len);
	assert_memory_equal(r.signer[0].signature, ex.signer[0].signature, 20);
	/* the Dummy SignerInfo itself: find the example's bytes in ours */
	assert_non_null(memmem(out, out_len, ex_der + 2801, 153));
	/* the signing certificate is carried as given */
	assert_int_equal(r.cert_count, 1);
	assert_int_equal(r.cert_len[0], rsa_key.cert[0].size);
	assert_memory_equal(r.cert[0], rsa_key.cert[0].data, r.cert_len[0]);
	cmsder_signed_request_free(&ex);
	cmsder_signed_request_free(&r);
	free(out);
	rsa_key.digest = GNUTLS_DIG_SHA256;
}

/*
 * An indented tree of a DER blob: tags, OIDs and small integers; the
 * eContent is opened, certificates and the real signer's issuer name are
 * elided (they differ by nature). Used to compare with example 4.1.
 */
static void
tree(FILE *f, const uint8_t *d, size_t len, const char *path, int depth)
{
	size_t off = 0;
	int idx = 0;

	while (off < len) {
		unsigned char cls;
		unsigned long tag;
		int tl, ll;
		long l;
		char child[128];
		const uint8_t *c;

		assert_int_equal(asn1_get_tag_der(d + off, (int)(len - off), &cls,
		    &tl, &tag), ASN1_SUCCESS);
		l = asn1_get_length_der(d + off + tl, (int)(len - off) - tl, &ll);
		assert_true(l >= 0);
		assert_true(off + (size_t)tl + (size_t)ll + (size_t)l <= len);
		c = d + off + tl + ll;
		snprintf(child, sizeof(child), "%s.%d", path, idx);
		fprintf(f, "%*s%s%c%lu", depth * 2, "",
		    (cls & 0xc0) == ASN1_CLASS_CONTEXT_SPECIFIC ? "cont" : "univ",
		    (cls & ASN1_CLASS_STRUCTURED) ? '+' : '-', tag);
		if ((cls & 0xc0) == 0 && tag == ASN1_TAG_OBJECT_ID) {
			char oid[128];
			int n;

			assert_int_equal(asn1_get_object_id_der(d + off + tl,
			    (int)(len - off) - tl, &n, oid, sizeof(oid)),
			    ASN1_SUCCESS);
			fprintf(f, " %s", oid);
		} else if ((cls & 0xc0) == 0 && tag == ASN1_TAG_INTEGER && l == 1) {
			fprintf(f, " %u", c[0]);
		}
		fputc('\n', f);
		if (strncmp(child, "r.0.1.0.3.", 10) == 0 ||
		    strcmp(child, "r.0.1.0.4.1.1.0") == 0)
			fprintf(f, "%*s(elided)\n", depth * 2 + 2, "");
		else if (cls & ASN1_CLASS_STRUCTURED)
			tree(f, c, (size_t)l, child, depth + 1);
		else if (strcmp(child, "r.0.1.0.2.1.0") == 0)
			tree(f, c, (size_t)l, child, depth + 1);
		off += (size_t)tl + (size_t)ll + (size_t)l;
		idx++;
	}
}

static char *
tree_of(const uint8_t *d, size_t len)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	tree(f, d, len, "r", 0);
	fclose(f);
	return s;
}

static void
test_structure_matches_example(void **state)
{
	char *a, *b;
	uint8_t *out;
	size_t out_len;

	(void)state;
	rsa_key.digest = GNUTLS_DIG_SHA1;
	sign(&rsa_key, ex_csr, ex_csr_len, &out, &out_len);
	a = tree_of(ex_der, ex_len);
	b = tree_of(out, out_len);
	/* The tree shows what is compared. */
	assert_non_null(strstr(a, "univ-6 1.3.6.1.5.5.7.12.2"));
	assert_non_null(strstr(a, "univ-6 1.3.6.1.4.1.311.10.10.1"));
	assert_non_null(strstr(a, "univ-6 1.3.6.1.4.1.311.21.20"));
	assert_non_null(strstr(a, "univ-6 1.3.6.1.5.5.7.6.2"));
	assert_non_null(strstr(a, "(elided)"));
	assert_string_equal(a, b);
	free(a);
	free(b);
	free(out);

	/* and the comparison can fail: SHA-256 is another tree */
	rsa_key.digest = GNUTLS_DIG_SHA256;
	sign(&rsa_key, ex_csr, ex_csr_len, &out, &out_len);
	a = tree_of(ex_der, ex_len);
	b = tree_of(out, out_len);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	free(out);
}

static void
test_sha256_rsa(void **state)
{
	struct cmsder_signed_request r;
	uint8_t *out;
	size_t out_len;

	(void)state;
	sign(&rsa_key, ex_csr, ex_csr_len, &out, &out_len);
	assert_int_equal(cmsder_parse_signed_cert_request(out, out_len, &r),
	    CMSDER_OK);
	check_signed_request(&r, GNUTLS_DIG_SHA256, OID_SHA256, ex_csr,
	    ex_csr_len, rsa_key.pub);
	assert_string_equal(r.signer[1].signature_oid, OID_RSA_ENCRYPTION);
	assert_true(r.signer[1].signature_params_null);
	cmsder_signed_request_free(&r);
	free(out);
}

/*
 * Whether a DER sort of signerInfos (X.690 11.6) would put the real signer
 * first: its encoding is smaller than the Dummy Signer's.
 */
static bool
der_sort_would_swap(const uint8_t *der, size_t len)
{
	asn1_node ci = cmsder_element("ContentInfo"), sd = cmsder_element("SignedData");
	uint8_t *sdd;
	int sdl = 0, s1, e1, s2, e2, n;
	bool swap;

	assert_non_null(ci);
	assert_non_null(sd);
	assert_int_equal(asn1_der_decoding(&ci, der, (int)len, NULL), ASN1_SUCCESS);
	assert_int_equal(asn1_read_value(ci, "content", NULL, &sdl), ASN1_MEM_ERROR);
	sdd = malloc((size_t)sdl);
	assert_non_null(sdd);
	assert_int_equal(asn1_read_value(ci, "content", sdd, &sdl), ASN1_SUCCESS);
	assert_int_equal(asn1_der_decoding(&sd, sdd, sdl, NULL), ASN1_SUCCESS);
	assert_int_equal(asn1_der_decoding_startEnd(sd, sdd, sdl,
	    "signerInfos.?1", &s1, &e1), ASN1_SUCCESS);
	assert_int_equal(asn1_der_decoding_startEnd(sd, sdd, sdl,
	    "signerInfos.?2", &s2, &e2), ASN1_SUCCESS);
	n = e1 - s1 < e2 - s2 ? e1 - s1 + 1 : e2 - s2 + 1;
	swap = memcmp(sdd + s2, sdd + s1, (size_t)n) < 0;
	free(sdd);
	asn1_delete_structure(&ci);
	asn1_delete_structure(&sd);
	return swap;
}

/* P-256: ecdsa-with-SHA256 without parameters (RFC 5758 3.2). */
static void
test_p256(void **state)
{
	static const gnutls_digest_algorithm_t digs[] = { GNUTLS_DIG_SHA256,
	    GNUTLS_DIG_SHA512, GNUTLS_DIG_SHA1 };
	static const char *const oids[] = { OID_SHA256,
	    "2.16.840.1.101.3.4.2.3", OID_SHA1 };

	(void)state;
	for (size_t i = 0; i < sizeof(digs) / sizeof(digs[0]); i++) {
		struct cmsder_signed_request r;
		uint8_t *out;
		size_t out_len;

		ec_key.digest = digs[i];
		sign(&ec_key, ex_csr, ex_csr_len, &out, &out_len);
		assert_int_equal(cmsder_parse_signed_cert_request(out, out_len,
		    &r), CMSDER_OK);
		/*
		 * With SHA-512 and a short issuer the real SignerInfo is the
		 * shorter one, so a DER sort would put it first: the Dummy
		 * Signer stays first all the same (check_signed_request).
		 */
		check_signed_request(&r, digs[i], oids[i], ex_csr, ex_csr_len,
		    ec_key.pub);
		if (digs[i] == GNUTLS_DIG_SHA512)
			assert_true(der_sort_would_swap(out, out_len));
		else
			assert_false(der_sort_would_swap(out, out_len));
		assert_string_equal(r.signer[1].signature_oid, sig_oid(&ec_key));
		assert_true(r.signer[1].signature_params_absent);
		cmsder_signed_request_free(&r);
		free(out);
	}
	ec_key.digest = GNUTLS_DIG_SHA256;
}

/* PKCS#1 v1.5 and no signing time: the same input gives the same bytes. */
static void
test_deterministic(void **state)
{
	uint8_t *a, *b;
	size_t a_len, b_len;
	struct cmc_client_info other = ex_ci;
	struct cmc_key key = key_of(&rsa_key);

	(void)state;
	sign(&rsa_key, ex_csr, ex_csr_len, &a, &a_len);
	sign(&rsa_key, ex_csr, ex_csr_len, &b, &b_len);
	assert_int_equal(a_len, b_len);
	assert_memory_equal(a, b, a_len);
	free(b);
	/* and a different ClientInfo gives different bytes */
	other.process = "otpcep";
	assert_int_equal(cmc_encode(&key, &other, ex_csr, ex_csr_len, &b,
	    &b_len, NULL), CMC_OK);
	assert_true(a_len != b_len || memcmp(a, b, a_len) != 0);
	free(a);
	free(b);
}

/* signing_chain: every certificate is carried, the signer is certificate 0. */
static void
test_chain(void **state)
{
	struct cmsder_signed_request r;
	uint8_t *out;
	size_t out_len;

	(void)state;
	rsa_key.cert[1] = ec_key.cert[0];
	rsa_key.cert_count = 2;
	sign(&rsa_key, ex_csr, ex_csr_len, &out, &out_len);
	rsa_key.cert_count = 1;
	assert_int_equal(cmsder_parse_signed_cert_request(out, out_len, &r),
	    CMSDER_OK);
	assert_int_equal(r.cert_count, 2);
	check_signed_request(&r, GNUTLS_DIG_SHA256, OID_SHA256, ex_csr,
	    ex_csr_len, rsa_key.pub);
	/* the real signer names the RSA certificate's issuer */
	assert_true(r.signer[1].issuer_len > 0);
	assert_non_null(memmem(rsa_key.cert[0].data, rsa_key.cert[0].size,
	    r.signer[1].issuer, r.signer[1].issuer_len));
	cmsder_signed_request_free(&r);
	free(out);
}

static void
expect_encode_fails(struct cmc_key *key, const struct cmc_client_info *ci,
    const uint8_t *csr, size_t csr_len, enum cmc_result want)
{
	struct audit a = { .reason = "" };
	uint8_t *out = (uint8_t *)1;
	size_t out_len = 1;

	assert_int_equal(cmc_encode(key, ci, csr, csr_len, &out, &out_len, &a),
	    want);
	assert_null(out);
	assert_int_equal(out_len, 0);
	assert_true(strncmp(a.reason, "step 4: ", 8) == 0);
	assert_true(cmc_strerror(want)[0] != '\0');
}

/* Input that is not exactly one DER SEQUENCE is refused, never copied. */
static void
test_bad_csr(void **state)
{
	struct cmc_key key = key_of(&rsa_key);
	uint8_t buf[2048];
	static const uint8_t huge[] = { 0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0 };
	static const uint8_t indef[] = { 0x30, 0x80, 0x02, 0x01, 0x00, 0, 0 };
	static const uint8_t octet[] = { 0x04, 0x01, 0x00 };

	(void)state;
	assert_true(ex_csr_len + 1 <= sizeof(buf));
	expect_encode_fails(&key, &ex_ci, ex_csr, 0, CMC_BAD_REQUEST);
	expect_encode_fails(&key, &ex_ci, ex_csr, 1, CMC_BAD_REQUEST);
	expect_encode_fails(&key, &ex_ci, ex_csr, ex_csr_len - 1,
	    CMC_BAD_REQUEST);
	memcpy(buf, ex_csr, ex_csr_len);
	buf[ex_csr_len] = 0;
	expect_encode_fails(&key, &ex_ci, buf, ex_csr_len + 1, CMC_BAD_REQUEST);
	expect_encode_fails(&key, &ex_ci, huge, sizeof(huge), CMC_BAD_REQUEST);
	expect_encode_fails(&key, &ex_ci, indef, sizeof(indef),
	    CMC_BAD_REQUEST);
	expect_encode_fails(&key, &ex_ci, octet, sizeof(octet),
	    CMC_BAD_REQUEST);
	expect_encode_fails(&key, &ex_ci, (const uint8_t *)"asdf", 4,
	    CMC_BAD_REQUEST);
}

/* A key that refuses, a certificate that is not one, a missing piece. */
static void
test_bad_key(void **state)
{
	struct cmc_key key = key_of(&rsa_key);
	struct cmc_client_info ci = ex_ci;

	(void)state;
	rsa_key.fail_sign = 1;
	expect_encode_fails(&key, &ex_ci, ex_csr, ex_csr_len, CMC_FAILED);
	rsa_key.fail_sign = 0;
	rsa_key.bad_cert = 1;
	expect_encode_fails(&key, &ex_ci, ex_csr, ex_csr_len, CMC_FAILED);
	rsa_key.bad_cert = 0;
	key.cert_count = 0;
	expect_encode_fails(&key, &ex_ci, ex_csr, ex_csr_len, CMC_FAILED);
	key = key_of(&rsa_key);
	key.digest = GNUTLS_DIG_UNKNOWN;
	expect_encode_fails(&key, &ex_ci, ex_csr, ex_csr_len, CMC_FAILED);
	key = key_of(&rsa_key);
	key.signature_oid = NULL;
	expect_encode_fails(&key, &ex_ci, ex_csr, ex_csr_len, CMC_FAILED);
	key.signature_oid = "not an oid";
	expect_encode_fails(&key, &ex_ci, ex_csr, ex_csr_len, CMC_FAILED);
	/* ClientInfo names must be UTF-8 (MS-WCCE 2.2.2.7.4: UTF8String) */
	key = key_of(&rsa_key);
	ci.user = "DOMAIN\\\xff";
	expect_encode_fails(&key, &ci, ex_csr, ex_csr_len, CMC_FAILED);
}

/* An empty account name (signing_client_account unset) is an empty UTF8String. */
static void
test_empty_account(void **state)
{
	struct cmc_client_info ci = { "host", "", "otpcep" };
	struct cmc_key key = key_of(&rsa_key);
	struct cmsder_signed_request r;
	struct msext_client_info out;
	uint8_t *der;
	size_t der_len;

	(void)state;
	assert_int_equal(cmc_encode(&key, &ci, ex_csr, ex_csr_len, &der,
	    &der_len, NULL), CMC_OK);
	assert_int_equal(cmsder_parse_signed_cert_request(der, der_len, &r),
	    CMSDER_OK);
	assert_int_equal(msext_client_info_decode(r.client_info,
	    r.client_info_len, &out), MSEXT_OK);
	assert_string_equal(out.machine, "host");
	assert_string_equal(out.user, "");
	assert_string_equal(out.process, "otpcep");
	msext_client_info_free(&out);
	cmsder_signed_request_free(&r);
	free(der);
}

static void
expect_parse_fails(const uint8_t *der, size_t len)
{
	struct cmsder_signed_request r;

	assert_int_not_equal(cmsder_parse_signed_cert_request(der, len, &r),
	    CMSDER_OK);
	assert_null(r.signer);
	assert_null(r.pkcs10);
	assert_null(r.cert);
	assert_null(r.econtent);
}

/* Every prefix, a trailing byte, and single-bit flips of the example. */
static void
test_parse_hostile(void **state)
{
	uint8_t *buf = malloc(ex_len + 1);
	struct cmsder_signed_request r;

	(void)state;
	assert_non_null(buf);
	expect_parse_fails(NULL, 0);
	for (size_t n = 0; n < ex_len; n += (n < 64 ? 1 : 37))
		expect_parse_fails(ex_der, n);
	memcpy(buf, ex_der, ex_len);
	buf[ex_len] = 0;
	expect_parse_fails(buf, ex_len + 1);
	/* contentType id-data instead of signedData */
	buf[14] = 0x01;
	assert_int_equal(cmsder_parse_signed_cert_request(buf, ex_len, &r),
	    CMSDER_UNSUPPORTED);
	buf[14] = ex_der[14];
	/* eContentType id-cct-PKIResponse (12.3) instead of PKIData */
	assert_int_equal(buf[52], 0x02);
	buf[52] = 0x03;
	assert_int_equal(cmsder_parse_signed_cert_request(buf, ex_len, &r),
	    CMSDER_UNSUPPORTED);
	buf[52] = ex_der[52];
	/* flips anywhere: an answer, never a crash (valgrind watches) */
	for (size_t i = 0; i < ex_len; i += 7) {
		enum cmsder_result res;

		buf[i] ^= (uint8_t)(1u << (i % 8));
		res = cmsder_parse_signed_cert_request(buf, ex_len, &r);
		if (res == CMSDER_OK)
			cmsder_signed_request_free(&r);
		else
			assert_null(r.signer);
		buf[i] = ex_der[i];
	}
	assert_int_equal(cmsder_parse_signed_cert_request(buf, ex_len, &r),
	    CMSDER_OK);
	cmsder_signed_request_free(&r);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_example),
		cmocka_unit_test(test_sha1_bytes_match_example),
		cmocka_unit_test(test_structure_matches_example),
		cmocka_unit_test(test_sha256_rsa),
		cmocka_unit_test(test_p256),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_bad_csr),
		cmocka_unit_test(test_bad_key),
		cmocka_unit_test(test_empty_account),
		cmocka_unit_test(test_parse_hostile),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
