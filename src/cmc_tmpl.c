/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 4's template (include/cmc_internal.h): the DER of a SignedCertRequest
 * that does not depend on the request, made once per signer snapshot. The
 * elements with an inner structure of their own (ClientInfo, the
 * CmcAddAttributesInfo around it, the Dummy Signer's Name) are written by
 * libtasn1 from src/asn/cms.asn; the SEQUENCEs and SETs around them by the
 * small DER writer below (X.690 8.1 and 10: definite lengths, minimal).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libtasn1.h>

#include "cmc.h"
#include "cmc_internal.h"
#include "cmsder.h"
#include "log.h"
#include "msext.h"

/* --- the DER writer ------------------------------------------------------ */

static bool
der_reserve(struct der *d, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (d->failed || more > SIZE_MAX / 2 - d->len) {
		d->failed = true;
		return false;
	}
	if (d->len + more <= d->cap)
		return true;
	cap = d->cap ? d->cap : 256;
	while (cap < d->len + more)
		cap *= 2;
	if ((p = realloc(d->p, cap)) == NULL) {
		d->failed = true;
		return false;
	}
	d->p = p;
	d->cap = cap;
	return true;
}

void
der_put(struct der *d, const void *p, size_t n)
{
	if (n == 0 || !der_reserve(d, n))
		return;
	memcpy(d->p + d->len, p, n);
	d->len += n;
}

/* Tag and definite length (X.690 8.1.3.3-5) in hdr; returns its size. */
static size_t
der_header(uint8_t tag, size_t n, uint8_t hdr[8])
{
	size_t k = 0, i;

	hdr[0] = tag;
	if (n < 0x80) {
		hdr[1] = (uint8_t)n;
		return 2;
	}
	for (size_t v = n; v != 0; v >>= 8)
		k++;
	hdr[1] = (uint8_t)(0x80 | k);
	for (i = 0; i < k; i++)
		hdr[2 + i] = (uint8_t)(n >> (8 * (k - 1 - i)));
	return 2 + k;
}

void
der_put_tlv(struct der *d, uint8_t tag, const void *p, size_t n)
{
	uint8_t hdr[8];

	der_put(d, hdr, der_header(tag, n, hdr));
	der_put(d, p, n);
}

void
der_wrap(struct der *d, uint8_t tag)
{
	uint8_t hdr[8];
	size_t h = der_header(tag, d->len, hdr);

	if (!der_reserve(d, h))
		return;
	if (d->len > 0)
		memmove(d->p + h, d->p, d->len);
	memcpy(d->p, hdr, h);
	d->len += h;
}

void
der_free(struct der *d)
{
	free(d->p);
	memset(d, 0, sizeof(*d));
}

/* --- the template -------------------------------------------------------- */

/* Dotted decimal with at least two arcs, nothing else (X.660). */
static bool
oid_text_ok(const char *oid)
{
	size_t arcs = 0, n;

	for (;;) {
		if ((n = strspn(oid, "0123456789")) == 0)
			return false;
		arcs++;
		oid += n;
		if (*oid == '\0')
			return arcs >= 2;
		if (*oid++ != '.')
			return false;
	}
}

/* DER of an OID given in dotted text. */
static void
der_put_oid(struct der *d, const char *oid)
{
	unsigned char buf[64];
	int len = sizeof(buf);

	/* asn1_object_id_der() is the one OID encoder libtasn1 exports. */
	if (!oid_text_ok(oid) ||
	    asn1_object_id_der(oid, buf, &len, 0) != ASN1_SUCCESS) {
		d->failed = true;
		return;
	}
	der_put(d, buf, (size_t)len);
}

/*
 * AlgorithmIdentifier { oid, NULL }, or { oid } for ecdsa-with-SHAxxx
 * (RFC 5754 3.3 / RFC 5758 3.2: no parameters); every other algorithm gets
 * NULL, as rsaEncryption and SHA-1 have in MS-OTPCE 4.1.
 */
static void
der_put_algorithm(struct der *d, const char *oid)
{
	static const uint8_t der_null[] = { DER_NULL, 0x00 };
	struct der a = { 0 };

	der_put_oid(&a, oid);
	if (strncmp(oid, "1.2.840.10045.", 14) != 0)
		der_put(&a, der_null, sizeof(der_null));
	der_wrap(&a, DER_SEQ);
	if (a.failed)
		d->failed = true;
	else
		der_put(d, a.p, a.len);
	der_free(&a);
}

static int
write_text(asn1_node n, const char *name, const char *text)
{
	return asn1_write_value(n, name, text, 0);
}

static int
write_bytes(asn1_node n, const char *name, const void *v, size_t len)
{
	if (len > INT_MAX)
		return ASN1_VALUE_NOT_VALID;
	return asn1_write_value(n, name, v, (int)len);
}

/*
 * DER of the CmcAddAttributesInfo holding the server's ClientInfo (MS-WCCE
 * 2.2.2.7.4): dataReference 0 (the PKIData itself), certReferences { 1 }
 * (bodyPartID of the PKCS#10), attributes { ClientInfo }. As in MS-OTPCE 4.1.
 */
static int
encode_add_attributes(const struct cmc_client_info *ci, struct der *out)
{
	struct msext_client_info info = {
		CMC_CLIENT_ID, (char *)(uintptr_t)ci->machine,
		(char *)(uintptr_t)ci->user, (char *)(uintptr_t)ci->process,
	};
	asn1_node add = NULL;
	uint8_t *info_der = NULL, *der = NULL;
	size_t info_len = 0, der_len = 0;
	int r;

	switch (msext_client_info_encode(&info, &info_der, &info_len)) {
	case MSEXT_OK:
		break;
	case MSEXT_NOMEM:
		return ASN1_MEM_ALLOC_ERROR;
	default:
		return ASN1_VALUE_NOT_VALID;
	}
	if ((add = cmsder_element("CmcAddAttributesInfo")) == NULL) {
		r = ASN1_MEM_ALLOC_ERROR;
		goto cleanup;
	}
	if ((r = write_text(add, "dataReference", "0")) != ASN1_SUCCESS ||
	    (r = write_text(add, "certReferences", "NEW")) != ASN1_SUCCESS ||
	    (r = write_text(add, "certReferences.?LAST", "1")) != ASN1_SUCCESS ||
	    (r = write_text(add, "attributes", "NEW")) != ASN1_SUCCESS ||
	    (r = write_text(add, "attributes.?LAST.attrType",
	    OID_MS_CLIENT_INFO)) != ASN1_SUCCESS ||
	    (r = write_text(add, "attributes.?LAST.attrValues", "NEW")) !=
	    ASN1_SUCCESS ||
	    (r = write_bytes(add, "attributes.?LAST.attrValues.?LAST", info_der,
	    info_len)) != ASN1_SUCCESS ||
	    (r = cmsder_encode(add, "", &der, &der_len)) != ASN1_SUCCESS)
		goto cleanup;
	der_put(out, der, der_len);
cleanup:
	free(der);
	free(info_der);
	asn1_delete_structure(&add);
	return r;
}

/* The Dummy Signer's issuer: Name { RDN { 1.3.6.1.4.1.311.21.9 = PrintableString } }. */
static int
encode_dummy_name(struct der *out)
{
	static const char name[] = CMSDER_DUMMY_SIGNER_NAME;
	unsigned char tl[ASN1_MAX_TL_SIZE];
	unsigned tl_len = sizeof(tl);
	uint8_t value[ASN1_MAX_TL_SIZE + sizeof(name)], *der = NULL;
	size_t der_len = 0;
	asn1_node n = NULL;
	int r;

	if ((r = asn1_encode_simple_der(ASN1_ETYPE_PRINTABLE_STRING,
	    (const unsigned char *)name, sizeof(name) - 1, tl, &tl_len)) !=
	    ASN1_SUCCESS)
		return r;
	memcpy(value, tl, tl_len);
	memcpy(value + tl_len, name, sizeof(name) - 1);
	if ((n = cmsder_element("Name")) == NULL)
		return ASN1_MEM_ALLOC_ERROR;
	if ((r = write_text(n, "", "NEW")) != ASN1_SUCCESS ||
	    (r = write_text(n, "?LAST", "NEW")) != ASN1_SUCCESS ||
	    (r = write_text(n, "?LAST.?LAST.type", OID_MS_DUMMY_SIGNER)) !=
	    ASN1_SUCCESS ||
	    (r = write_bytes(n, "?LAST.?LAST.value", value,
	    tl_len + sizeof(name) - 1)) != ASN1_SUCCESS ||
	    (r = cmsder_encode(n, "", &der, &der_len)) != ASN1_SUCCESS)
		goto cleanup;
	der_put(out, der, der_len);
cleanup:
	free(der);
	asn1_delete_structure(&n);
	return r;
}

/*
 * SignerInfo version 1 up to its signedAttrs (RFC 5652 5.3): version,
 * sid issuerAndSerialNumber { issuer, serial }, digestAlgorithm.
 */
static void
der_put_signer_head(struct der *d, const uint8_t *issuer, size_t issuer_len,
    const uint8_t *serial, size_t serial_len, const char *digest_oid)
{
	static const uint8_t version1[] = { DER_INTEGER, 0x01, 0x01 };
	struct der sid = { 0 };

	der_put(d, version1, sizeof(version1));
	der_put(&sid, issuer, issuer_len);
	der_put_tlv(&sid, DER_INTEGER, serial, serial_len);
	der_wrap(&sid, DER_SEQ);
	if (sid.failed)
		d->failed = true;
	else
		der_put(d, sid.p, sid.len);
	der_free(&sid);
	der_put_algorithm(d, digest_oid);
}

/*
 * The signing certificate's issuer Name (DER, as in the certificate) and
 * serial number (INTEGER content octets). Returns 0, or -1 after logging.
 */
static int
cert_issuer_serial(const uint8_t *der, size_t der_len, gnutls_datum_t *issuer,
    uint8_t *serial, size_t *serial_len)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)der, (unsigned)der_len };
	int r, ret = -1;

	issuer->data = NULL;
	if ((r = gnutls_x509_crt_init(&crt)) < 0 ||
	    (r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER)) < 0 ||
	    (r = gnutls_x509_crt_get_raw_issuer_dn(crt, issuer)) < 0 ||
	    (r = gnutls_x509_crt_get_serial(crt, serial, serial_len)) < 0) {
		log_err("step 4: reading the signing certificate's issuer and "
		    "serial: %s", gnutls_strerror(r));
		gnutls_free(issuer->data);
		issuer->data = NULL;
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return ret;
}

bool
der_one_sequence(const uint8_t *der, size_t der_len)
{
	unsigned char cls;
	unsigned long tag;
	int tag_len, len_len;
	long len;

	if (der_len < 2 || der_len > INT_MAX)
		return false;
	if (asn1_get_tag_der(der, (int)der_len, &cls, &tag_len, &tag) !=
	    ASN1_SUCCESS || cls != ASN1_CLASS_STRUCTURED || tag != ASN1_TAG_SEQUENCE)
		return false;
	len = asn1_get_length_der(der + tag_len, (int)der_len - tag_len,
	    &len_len);
	return len >= 0 &&
	    (size_t)tag_len + (size_t)len_len + (size_t)len == der_len;
}

int
der_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	int c = memcmp(a, b, a_len < b_len ? a_len : b_len);

	if (c != 0)
		return c;
	return a_len < b_len ? -1 : a_len > b_len;
}

/* [0] IMPLICIT SET OF Certificate, DER order. Returns 0 or -1 (logged). */
static int
put_certificates(const struct cmc_key *key, struct der *out)
{
	const uint8_t **c;
	size_t *c_len, i, j;
	int ret = -1;

	c = calloc(key->cert_count, sizeof(*c));
	c_len = calloc(key->cert_count, sizeof(*c_len));
	if (c == NULL || c_len == NULL)
		goto cleanup;
	for (i = 0; i < key->cert_count; i++) {
		key->cert_der(key->ctx, i, &c[i], &c_len[i]);
		if (c[i] == NULL || !der_one_sequence(c[i], c_len[i])) {
			log_err("step 4: signing certificate %zu is not DER", i);
			goto cleanup;
		}
	}
	/* Insertion sort: a chain has a handful of certificates. */
	for (i = 1; i < key->cert_count; i++) {
		for (j = i; j > 0 && der_cmp(c[j], c_len[j], c[j - 1],
		    c_len[j - 1]) < 0; j--) {
			const uint8_t *tp = c[j];
			size_t tl = c_len[j];

			c[j] = c[j - 1];
			c_len[j] = c_len[j - 1];
			c[j - 1] = tp;
			c_len[j - 1] = tl;
		}
	}
	for (i = 0; i < key->cert_count; i++)
		der_put(out, c[i], c_len[i]);
	der_wrap(out, DER_CTX0);
	ret = 0;
cleanup:
	free(c);
	free(c_len);
	return ret;
}

void
cmc_template_free(void *p)
{
	struct cmc_template *t = p;

	if (t == NULL)
		return;
	free(t->machine);
	free(t->user);
	free(t->process);
	der_free(&t->control_seq);
	der_free(&t->digest_algs);
	der_free(&t->certificates);
	der_free(&t->dummy_head);
	der_free(&t->dummy_sig_alg);
	der_free(&t->real_head);
	der_free(&t->real_sig_alg);
	der_free(&t->oid_pkidata);
	der_free(&t->oid_signed_data);
	der_free(&t->content_type_attr);
	der_free(&t->oid_message_digest);
	free(t);
}

bool
cmc_template_matches(const struct cmc_template *t,
    const struct cmc_client_info *ci)
{
	return strcmp(t->machine, ci->machine) == 0 &&
	    strcmp(t->user, ci->user) == 0 && strcmp(t->process, ci->process) == 0;
}

struct cmc_template *
cmc_template_new(const struct cmc_key *key, const struct cmc_client_info *ci,
    struct audit *a)
{
	static const uint8_t body_part_2[] = { DER_INTEGER, 0x01, 0x02 };
	static const uint8_t serial_0[] = { 0x00 };
	struct cmc_template *t;
	struct der attr = { 0 }, name = { 0 };
	gnutls_datum_t issuer = { NULL, 0 };
	uint8_t serial[64];
	size_t serial_len = sizeof(serial);
	const char *digest_oid = gnutls_digest_get_oid(key->digest);
	const uint8_t *cert;
	size_t cert_len;
	int r = ASN1_SUCCESS;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->machine = strdup(ci->machine)) == NULL ||
	    (t->user = strdup(ci->user)) == NULL ||
	    (t->process = strdup(ci->process)) == NULL) {
		log_err("step 4: out of memory");
		audit_reason(a, "step 4: out of memory");
		cmc_template_free(t);
		return NULL;
	}
	t->digest = key->digest;

	/*
	 * controlSequence: one TaggedAttribute (RFC 5272 3.2.1.2) { bodyPartID
	 * 2, szOID_CMC_ADD_ATTRIBUTES, { CmcAddAttributesInfo } }.
	 */
	if ((r = encode_add_attributes(ci, &attr)) != ASN1_SUCCESS)
		goto asn_error;
	der_wrap(&attr, DER_SET);
	der_put(&t->control_seq, body_part_2, sizeof(body_part_2));
	der_put_oid(&t->control_seq, OID_MS_CMC_ADD_ATTRIBUTES);
	der_put(&t->control_seq, attr.p, attr.len);
	der_wrap(&t->control_seq, DER_SEQ);
	der_wrap(&t->control_seq, DER_SEQ);

	der_put_algorithm(&t->digest_algs, digest_oid);
	der_wrap(&t->digest_algs, DER_SET);

	key->cert_der(key->ctx, 0, &cert, &cert_len);
	if (cert == NULL || cert_issuer_serial(cert, cert_len, &issuer, serial,
	    &serial_len) != 0 || put_certificates(key, &t->certificates) != 0) {
		audit_reason(a, "step 4: signing certificate unreadable");
		goto fail;
	}
	/* MS-WCCE 3.1.1.4.3.1.3: the null-signed primary, serial 0. */
	if ((r = encode_dummy_name(&name)) != ASN1_SUCCESS)
		goto asn_error;
	der_put_signer_head(&t->dummy_head, name.p, name.len, serial_0,
	    sizeof(serial_0), digest_oid);
	der_put_algorithm(&t->dummy_sig_alg, OID_CMC_NO_SIGNATURE);
	der_put_signer_head(&t->real_head, issuer.data, issuer.size, serial,
	    serial_len, digest_oid);
	der_put_algorithm(&t->real_sig_alg, key->signature_oid);

	der_put_oid(&t->oid_pkidata, OID_CMC_PKIDATA);
	der_put_oid(&t->oid_signed_data, OID_CMS_SIGNED_DATA);
	der_put_oid(&t->oid_message_digest, OID_CMS_MESSAGE_DIGEST);
	/* RFC 5652 11.1: Attribute { id-contentType, SET { id-cct-PKIData } } */
	der_put_oid(&t->content_type_attr, OID_CMS_CONTENT_TYPE);
	der_put_tlv(&t->content_type_attr, DER_SET, t->oid_pkidata.p,
	    t->oid_pkidata.len);
	der_wrap(&t->content_type_attr, DER_SEQ);

	if (t->control_seq.failed || t->digest_algs.failed ||
	    t->certificates.failed || t->dummy_head.failed ||
	    t->dummy_sig_alg.failed || t->real_head.failed ||
	    t->real_sig_alg.failed || t->oid_pkidata.failed ||
	    t->oid_signed_data.failed || t->oid_message_digest.failed ||
	    t->content_type_attr.failed || attr.failed || name.failed) {
		r = ASN1_MEM_ALLOC_ERROR;
		goto asn_error;
	}
	der_free(&attr);
	der_free(&name);
	gnutls_free(issuer.data);
	return t;

asn_error:
	log_err("step 4: encoding the SignedCertRequest: %s", asn1_strerror(r));
	audit_reason(a, "step 4: encoding failed");
fail:
	der_free(&attr);
	der_free(&name);
	gnutls_free(issuer.data);
	cmc_template_free(t);
	return NULL;
}
