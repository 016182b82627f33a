/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * MS-OTPCE 3.2.5.1 step 4: "sign the certificate request ... with the signing
 * certificate". The result has the exact shape of the SignedCertRequest a
 * Windows OTPCEP server produces (MS-OTPCE 4.1; docs/protocol.md, "Step 4"):
 *
 *   ContentInfo { signedData, SignedData v3 {
 *     digestAlgorithms { digest },
 *     encapContentInfo { id-cct-PKIData, PKIData {
 *       controlSequence { TaggedAttribute { 2, szOID_CMC_ADD_ATTRIBUTES,
 *         { CmcAddAttributesInfo { 0, { 1 }, { ClientInfo attribute } } } } },
 *       reqSequence { tcr { 1, the client's PKCS#10 byte for byte } },
 *       cmsSequence {}, otherMsgSequence {} } },
 *     certificates { signing certificate, chain },
 *     signerInfos { Dummy Signer (id-alg-noSignature), signing certificate } } }
 *
 * All DER is written by libtasn1 from src/asn/cms.asn; digests and the
 * signature come from GnuTLS (the key itself only through signer_sign()).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libtasn1.h>

#include "cmc.h"
#include "cmsder.h"
#include "config.h"
#include "log.h"
#include "msext.h"
#include "signer.h"

/* DER of NULL: the parameters of digest and rsaEncryption as in MS-OTPCE 4.1. */
static const uint8_t der_null[] = { 0x05, 0x00 };

const char *
cmc_strerror(enum cmc_result r)
{
	switch (r) {
	case CMC_OK:
		return "ok";
	case CMC_NO_SIGNER:
		return "no valid signing certificate";
	case CMC_FAILED:
		return "encoding or signing the request failed";
	case CMC_BAD_REQUEST:
		return "the certificate request is not one DER element";
	}
	return "unknown error";
}

/* A new element of cms.asn; ASN1_SUCCESS or ASN1_MEM_ALLOC_ERROR. */
static int
new_element(const char *type, asn1_node *n)
{
	*n = cmsder_element(type);
	return *n != NULL ? ASN1_SUCCESS : ASN1_MEM_ALLOC_ERROR;
}

/* Writes an OID (dotted text) or a decimal INTEGER given as text. */
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
 * Writes AlgorithmIdentifier `prefix` = { oid, NULL } or { oid } (absent
 * parameters). Returns ASN1_SUCCESS or the libtasn1 error.
 */
static int
write_algorithm(asn1_node n, const char *prefix, const char *oid,
    bool null_params)
{
	char name[128];
	int r;

	snprintf(name, sizeof(name), "%s.algorithm", prefix);
	if ((r = write_text(n, name, oid)) != ASN1_SUCCESS)
		return r;
	snprintf(name, sizeof(name), "%s.parameters", prefix);
	if (null_params)
		return write_bytes(n, name, der_null, sizeof(der_null));
	return asn1_write_value(n, name, NULL, 0);
}

/*
 * RFC 5754 3.3 / RFC 5758 3.2: ecdsa-with-SHAxxx has no parameters; every
 * other algorithm gets NULL, as rsaEncryption and SHA-1 have in MS-OTPCE 4.1.
 */
static bool
oid_takes_null(const char *oid)
{
	return strncmp(oid, "1.2.840.10045.", 14) != 0;
}

/*
 * DER of the ClientInfo (MS-WCCE 2.2.2.7.4) and of the CmcAddAttributesInfo
 * holding it: dataReference 0 (the PKIData itself), certReferences { 1 }
 * (bodyPartID of the PKCS#10), attributes { ClientInfo }. As in MS-OTPCE 4.1.
 */
static int
encode_add_attributes(const struct cmc_client_info *ci, uint8_t **der,
    size_t *der_len)
{
	struct msext_client_info info = {
		CMC_CLIENT_ID, (char *)(uintptr_t)ci->machine,
		(char *)(uintptr_t)ci->user, (char *)(uintptr_t)ci->process,
	};
	asn1_node add = NULL;
	uint8_t *info_der = NULL;
	size_t info_len = 0;
	int r;

	switch (msext_client_info_encode(&info, &info_der, &info_len)) {
	case MSEXT_OK:
		break;
	case MSEXT_NOMEM:
		return ASN1_MEM_ALLOC_ERROR;
	default:
		return ASN1_VALUE_NOT_VALID;
	}
	if ((r = new_element("CmcAddAttributesInfo", &add)) != ASN1_SUCCESS ||
	    (r = write_text(add, "dataReference", "0")) != ASN1_SUCCESS ||
	    (r = write_text(add, "certReferences", "NEW")) != ASN1_SUCCESS ||
	    (r = write_text(add, "certReferences.?LAST", "1")) != ASN1_SUCCESS ||
	    (r = write_text(add, "attributes", "NEW")) != ASN1_SUCCESS ||
	    (r = write_text(add, "attributes.?LAST.attrType",
	    OID_MS_CLIENT_INFO)) != ASN1_SUCCESS ||
	    (r = write_text(add, "attributes.?LAST.attrValues", "NEW")) !=
	    ASN1_SUCCESS ||
	    (r = write_bytes(add, "attributes.?LAST.attrValues.?LAST", info_der,
	    info_len)) != ASN1_SUCCESS)
		goto cleanup;
	r = cmsder_encode(add, "", der, der_len);
cleanup:
	free(info_der);
	asn1_delete_structure(&add);
	return r;
}

/*
 * The PKIData (RFC 5272 3.2.1): one control (bodyPartID 2, add attributes),
 * one request (bodyPartID 1, the PKCS#10 as given), no CMS, no other messages.
 */
static int
encode_pki_data(const struct cmc_client_info *ci,
    const uint8_t *csr, size_t csr_len, uint8_t **der, size_t *der_len)
{
	asn1_node pki = NULL;
	uint8_t *add = NULL;
	size_t add_len = 0;
	int r;

	if ((r = encode_add_attributes(ci, &add, &add_len)) != ASN1_SUCCESS)
		goto cleanup;
	if ((r = new_element("PKIData", &pki)) != ASN1_SUCCESS ||
	    (r = write_text(pki, "controlSequence", "NEW")) != ASN1_SUCCESS ||
	    (r = write_text(pki, "controlSequence.?LAST.bodyPartID", "2")) !=
	    ASN1_SUCCESS ||
	    (r = write_text(pki, "controlSequence.?LAST.attrType",
	    OID_MS_CMC_ADD_ATTRIBUTES)) != ASN1_SUCCESS ||
	    (r = write_text(pki, "controlSequence.?LAST.attrValues", "NEW")) !=
	    ASN1_SUCCESS ||
	    (r = write_bytes(pki, "controlSequence.?LAST.attrValues.?LAST", add,
	    add_len)) != ASN1_SUCCESS ||
	    (r = write_text(pki, "reqSequence", "NEW")) != ASN1_SUCCESS ||
	    (r = write_text(pki, "reqSequence.?LAST", "tcr")) != ASN1_SUCCESS ||
	    (r = write_text(pki, "reqSequence.?LAST.tcr.bodyPartID", "1")) !=
	    ASN1_SUCCESS ||
	    (r = write_bytes(pki, "reqSequence.?LAST.tcr.certificationRequest",
	    csr, csr_len)) != ASN1_SUCCESS)
		goto cleanup;
	/* cmsSequence and otherMsgSequence stay empty: SEQUENCE {} each. */
	r = cmsder_encode(pki, "", der, der_len);
cleanup:
	free(add);
	asn1_delete_structure(&pki);
	return r;
}

/*
 * Writes the two signed attributes (RFC 5652 5.3, 11.1, 11.2): contentType
 * id-cct-PKIData and messageDigest, under `prefix` (a SET OF Attribute).
 */
static int
write_signed_attrs(asn1_node n, const char *prefix, const uint8_t *ct,
    size_t ct_len, const uint8_t *md, size_t md_len)
{
	const char *dot = prefix[0] != '\0' ? "." : "";
	const char *oids[2] = { OID_CMS_CONTENT_TYPE, OID_CMS_MESSAGE_DIGEST };
	const uint8_t *values[2] = { ct, md };
	size_t lens[2] = { ct_len, md_len };
	char name[128];
	int r;

	for (int i = 0; i < 2; i++) {
		if ((r = write_text(n, prefix, "NEW")) != ASN1_SUCCESS)
			return r;
		snprintf(name, sizeof(name), "%s%s?LAST.attrType", prefix, dot);
		if ((r = write_text(n, name, oids[i])) != ASN1_SUCCESS)
			return r;
		snprintf(name, sizeof(name), "%s%s?LAST.attrValues", prefix, dot);
		if ((r = write_text(n, name, "NEW")) != ASN1_SUCCESS)
			return r;
		snprintf(name, sizeof(name), "%s%s?LAST.attrValues.?LAST", prefix,
		    dot);
		if ((r = write_bytes(n, name, values[i], lens[i])) !=
		    ASN1_SUCCESS)
			return r;
	}
	return ASN1_SUCCESS;
}

/*
 * DER of the attribute values: the OID id-cct-PKIData and the OCTET STRING
 * digest, each encoded on its own (they go into SET OF ANY).
 */
static int
encode_attr_values(const uint8_t *digest, size_t digest_len, uint8_t **ct,
    size_t *ct_len, uint8_t **md, size_t *md_len)
{
	unsigned char oid_der[64];
	int oid_len = sizeof(oid_der);
	unsigned char tl[ASN1_MAX_TL_SIZE];
	unsigned tl_len = sizeof(tl);
	int r;

	*ct = *md = NULL;
	/* asn1_object_id_der() is the one OID encoder libtasn1 exports. */
	if ((r = asn1_object_id_der(OID_CMC_PKIDATA, oid_der, &oid_len, 0)) !=
	    ASN1_SUCCESS)
		return r;
	if ((*ct = malloc((size_t)oid_len)) == NULL)
		return ASN1_MEM_ALLOC_ERROR;
	memcpy(*ct, oid_der, (size_t)oid_len);
	*ct_len = (size_t)oid_len;

	if ((r = asn1_encode_simple_der(ASN1_ETYPE_OCTET_STRING, digest,
	    (unsigned)digest_len, tl, &tl_len)) != ASN1_SUCCESS)
		goto fail;
	if ((*md = malloc(tl_len + digest_len)) == NULL) {
		r = ASN1_MEM_ALLOC_ERROR;
		goto fail;
	}
	memcpy(*md, tl, tl_len);
	memcpy(*md + tl_len, digest, digest_len);
	*md_len = tl_len + digest_len;
	return ASN1_SUCCESS;
fail:
	free(*ct);
	*ct = NULL;
	return r;
}

/* The Dummy Signer's issuer: Name { RDN { 1.3.6.1.4.1.311.21.9 = PrintableString } }. */
static int
encode_dummy_name(uint8_t **der, size_t *der_len)
{
	static const char name[] = CMSDER_DUMMY_SIGNER_NAME;
	unsigned char tl[ASN1_MAX_TL_SIZE];
	unsigned tl_len = sizeof(tl);
	uint8_t value[ASN1_MAX_TL_SIZE + sizeof(name)];
	asn1_node n = NULL;
	int r;

	if ((r = asn1_encode_simple_der(ASN1_ETYPE_PRINTABLE_STRING,
	    (const unsigned char *)name, sizeof(name) - 1, tl, &tl_len)) !=
	    ASN1_SUCCESS)
		return r;
	memcpy(value, tl, tl_len);
	memcpy(value + tl_len, name, sizeof(name) - 1);

	if ((r = new_element("Name", &n)) != ASN1_SUCCESS ||
	    (r = write_text(n, "", "NEW")) != ASN1_SUCCESS ||
	    (r = write_text(n, "?LAST", "NEW")) != ASN1_SUCCESS ||
	    (r = write_text(n, "?LAST.?LAST.type", OID_MS_DUMMY_SIGNER)) !=
	    ASN1_SUCCESS ||
	    (r = write_bytes(n, "?LAST.?LAST.value", value,
	    tl_len + sizeof(name) - 1)) != ASN1_SUCCESS)
		goto cleanup;
	r = cmsder_encode(n, "", der, der_len);
cleanup:
	asn1_delete_structure(&n);
	return r;
}

/* What goes into one SignerInfo. */
struct signer_info {
	const uint8_t *issuer;
	size_t issuer_len;
	const uint8_t *serial;		/* INTEGER content octets */
	size_t serial_len;
	const char *signature_oid;
	const uint8_t *signature;
	size_t signature_len;
};

/* Appends SignerInfo version 1 (RFC 5652 5.3: issuerAndSerialNumber sid). */
static int
write_signer_info(asn1_node sd, const struct signer_info *si,
    const char *digest_oid, const uint8_t *ct, size_t ct_len,
    const uint8_t *md, size_t md_len)
{
	int r;

	if ((r = write_text(sd, "signerInfos", "NEW")) != ASN1_SUCCESS ||
	    (r = write_text(sd, "signerInfos.?LAST.version", "1")) !=
	    ASN1_SUCCESS ||
	    (r = write_text(sd, "signerInfos.?LAST.sid",
	    "issuerAndSerialNumber")) != ASN1_SUCCESS ||
	    (r = write_bytes(sd,
	    "signerInfos.?LAST.sid.issuerAndSerialNumber.issuer", si->issuer,
	    si->issuer_len)) != ASN1_SUCCESS ||
	    (r = write_bytes(sd,
	    "signerInfos.?LAST.sid.issuerAndSerialNumber.serialNumber",
	    si->serial, si->serial_len)) != ASN1_SUCCESS ||
	    (r = write_algorithm(sd, "signerInfos.?LAST.digestAlgorithm",
	    digest_oid, true)) != ASN1_SUCCESS ||
	    (r = write_signed_attrs(sd, "signerInfos.?LAST.signedAttrs", ct,
	    ct_len, md, md_len)) != ASN1_SUCCESS ||
	    (r = write_algorithm(sd, "signerInfos.?LAST.signatureAlgorithm",
	    si->signature_oid, oid_takes_null(si->signature_oid))) !=
	    ASN1_SUCCESS ||
	    (r = write_bytes(sd, "signerInfos.?LAST.signature", si->signature,
	    si->signature_len)) != ASN1_SUCCESS ||
	    (r = asn1_write_value(sd, "signerInfos.?LAST.unsignedAttrs", NULL,
	    0)) != ASN1_SUCCESS)
		return r;
	return ASN1_SUCCESS;
}

/*
 * The signing certificate's issuer Name (DER, as in the certificate) and
 * serial number (INTEGER content octets), for its IssuerAndSerialNumber.
 * Returns 0, or -1 after logging.
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

/*
 * Checks that csr is exactly one DER SEQUENCE (step 1 parsed it already; this
 * guards the "byte for byte" copy into an ANY).
 */
static bool
one_sequence(const uint8_t *der, size_t der_len)
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

enum cmc_result
cmc_encode(const struct cmc_key *key, const struct cmc_client_info *ci,
    const uint8_t *csr_der, size_t csr_der_len, uint8_t **out, size_t *out_len,
    struct audit *a)
{
	enum cmc_result ret = CMC_FAILED;
	asn1_node sa = NULL, sd = NULL, content = NULL;
	uint8_t *pki = NULL, *ct = NULL, *md_attr = NULL, *sa_der = NULL;
	uint8_t *dummy_name = NULL, *sig = NULL, *sd_der = NULL;
	size_t pki_len = 0, ct_len = 0, md_attr_len = 0, sa_len = 0;
	size_t dummy_name_len = 0, sig_len = 0, sd_len = 0;
	uint8_t digest[64], sa_digest[64], serial[64];
	size_t serial_len = sizeof(serial);
	gnutls_datum_t issuer = { NULL, 0 };
	const char *digest_oid;
	const uint8_t *cert;
	size_t cert_len;
	unsigned hash_len;
	int r = ASN1_SUCCESS;

	*out = NULL;
	*out_len = 0;

	if (!one_sequence(csr_der, csr_der_len)) {
		log_err("step 4: the certificate request is not one DER SEQUENCE");
		audit_reason(a, "step 4: certificate request is not one DER element");
		return CMC_BAD_REQUEST;
	}
	hash_len = gnutls_hash_get_len(key->digest);
	digest_oid = gnutls_digest_get_oid(key->digest);
	if (hash_len == 0 || hash_len > sizeof(digest) || digest_oid == NULL ||
	    key->cert_count == 0 || key->signature_oid == NULL) {
		log_err("step 4: the signing key is incomplete (digest, "
		    "certificate or signature algorithm missing)");
		audit_reason(a, "step 4: signing key incomplete");
		return CMC_FAILED;
	}

	/* RFC 5652 5.4: messageDigest is the digest of the eContent octets. */
	if ((r = encode_pki_data(ci, csr_der, csr_der_len, &pki,
	    &pki_len)) != ASN1_SUCCESS)
		goto asn_error;
	if (gnutls_hash_fast(key->digest, pki, pki_len, digest) < 0)
		goto hash_error;

	/*
	 * RFC 5652 5.4: the signature (and the Dummy Signer's digest) covers
	 * the DER of the signed attributes with the SET OF tag.
	 */
	if ((r = encode_attr_values(digest, hash_len, &ct, &ct_len, &md_attr,
	    &md_attr_len)) != ASN1_SUCCESS ||
	    (r = new_element("SignedAttributes", &sa)) != ASN1_SUCCESS ||
	    (r = write_signed_attrs(sa, "", ct, ct_len, md_attr, md_attr_len)) !=
	    ASN1_SUCCESS ||
	    (r = cmsder_encode(sa, "", &sa_der, &sa_len)) != ASN1_SUCCESS)
		goto asn_error;
	/* RFC 2797 3.3.3.1 (RFC 5272 3.2.1.1): no-signature = the digest itself. */
	if (gnutls_hash_fast(key->digest, sa_der, sa_len, sa_digest) < 0)
		goto hash_error;
	if (key->sign(key->ctx, sa_der, sa_len, &sig, &sig_len) != 0) {
		log_err("step 4: the signing key refused to sign");
		audit_reason(a, "step 4: signing failed");
		goto cleanup;
	}

	key->cert_der(key->ctx, 0, &cert, &cert_len);
	if (cert == NULL || cert_issuer_serial(cert, cert_len, &issuer, serial,
	    &serial_len) != 0) {
		audit_reason(a, "step 4: signing certificate unreadable");
		goto cleanup;
	}
	if ((r = encode_dummy_name(&dummy_name, &dummy_name_len)) !=
	    ASN1_SUCCESS)
		goto asn_error;

	/* RFC 5652 5.1: version 3, because eContentType is not id-data. */
	if ((r = new_element("SignedData", &sd)) != ASN1_SUCCESS ||
	    (r = write_text(sd, "version", "3")) != ASN1_SUCCESS ||
	    (r = write_text(sd, "digestAlgorithms", "NEW")) != ASN1_SUCCESS ||
	    (r = write_algorithm(sd, "digestAlgorithms.?LAST", digest_oid,
	    true)) != ASN1_SUCCESS ||
	    (r = write_text(sd, "encapContentInfo.eContentType",
	    OID_CMC_PKIDATA)) != ASN1_SUCCESS ||
	    (r = write_bytes(sd, "encapContentInfo.eContent", pki, pki_len)) !=
	    ASN1_SUCCESS ||
	    (r = asn1_write_value(sd, "crls", NULL, 0)) != ASN1_SUCCESS)
		goto asn_error;
	for (size_t i = 0; i < key->cert_count; i++) {
		const uint8_t *c;
		size_t c_len;

		key->cert_der(key->ctx, i, &c, &c_len);
		if (c == NULL || !one_sequence(c, c_len)) {
			log_err("step 4: signing certificate %zu is not DER", i);
			audit_reason(a, "step 4: signing certificate unreadable");
			goto cleanup;
		}
		if ((r = write_text(sd, "certificates", "NEW")) != ASN1_SUCCESS ||
		    (r = write_bytes(sd, "certificates.?LAST", c, c_len)) !=
		    ASN1_SUCCESS)
			goto asn_error;
	}

	/* MS-WCCE 3.1.1.4.3.1.3: the null-signed primary first, then the RA. */
	{
		struct signer_info dummy = {
			dummy_name, dummy_name_len, (const uint8_t *)"\0", 1,
			OID_CMC_NO_SIGNATURE, sa_digest, hash_len,
		};
		struct signer_info real = {
			issuer.data, issuer.size, serial, serial_len,
			key->signature_oid, sig, sig_len,
		};

		if ((r = write_signer_info(sd, &dummy, digest_oid, ct, ct_len,
		    md_attr, md_attr_len)) != ASN1_SUCCESS ||
		    (r = write_signer_info(sd, &real, digest_oid, ct, ct_len,
		    md_attr, md_attr_len)) != ASN1_SUCCESS)
			goto asn_error;
	}
	/*
	 * The SignerInfos carry the same attribute values that were encoded and
	 * signed above, and libtasn1 encodes them the same way (DER);
	 * tests/integration/cmc.sh and golden.sh verify both signatures over
	 * the bytes on the wire, so no decode of our own output here.
	 */
	if ((r = cmsder_encode(sd, "", &sd_der, &sd_len)) != ASN1_SUCCESS)
		goto asn_error;

	/* RFC 5652 3: ContentInfo { id-signedData, [0] SignedData } */
	if ((r = new_element("ContentInfo", &content)) != ASN1_SUCCESS ||
	    (r = write_text(content, "contentType", OID_CMS_SIGNED_DATA)) !=
	    ASN1_SUCCESS ||
	    (r = write_bytes(content, "content", sd_der, sd_len)) !=
	    ASN1_SUCCESS ||
	    (r = cmsder_encode(content, "", out, out_len)) != ASN1_SUCCESS)
		goto asn_error;
	ret = CMC_OK;
	goto cleanup;

asn_error:
	log_err("step 4: encoding the SignedCertRequest: %s",
	    asn1_strerror(r));
	audit_reason(a, "step 4: encoding failed");
	goto cleanup;
hash_error:
	log_err("step 4: hashing failed");
	audit_reason(a, "step 4: hashing failed");
cleanup:
	free(pki);
	free(ct);
	free(md_attr);
	free(sa_der);
	free(dummy_name);
	free(sig);
	free(sd_der);
	gnutls_free(issuer.data);
	asn1_delete_structure(&sa);
	asn1_delete_structure(&sd);
	asn1_delete_structure(&content);
	return ret;
}

/* Adapters from the signer snapshot (include/signer.h) to struct cmc_key. */
struct cmc_snapshot {
	struct signer_cert *snap;
	enum signer_result result;	/* of the last signature */
};

static void
snapshot_cert_der(const void *ctx, size_t i, const uint8_t **der,
    size_t *der_len)
{
	const struct cmc_snapshot *cs = ctx;

	signer_cert_der(cs->snap, i, der, der_len);
}

static int
snapshot_sign(const void *ctx, const uint8_t *data, size_t data_len,
    uint8_t **sig, size_t *sig_len)
{
	struct cmc_snapshot *cs = (struct cmc_snapshot *)(uintptr_t)ctx;

	cs->result = signer_sign(cs->snap, data, data_len, sig, sig_len);
	return cs->result == SIGNER_OK ? 0 : -1;
}

enum cmc_result
cmc_sign_request(const struct config *cfg, struct signer *s,
    const uint8_t *csr_der, size_t csr_der_len, uint8_t **out,
    size_t *out_len, struct audit *a)
{
	struct cmc_snapshot cs;
	struct cmc_key key;
	struct cmc_client_info ci;
	char host[HOST_NAME_MAX + 1];
	enum signer_result sr;
	enum cmc_result ret = CMC_FAILED;

	*out = NULL;
	*out_len = 0;

	/* MS-WCCE 2.2.2.7.4: the server's own ClientInfo. */
	ci.machine = cfg->signing_client_machine;
	if (ci.machine == NULL) {
		if (gethostname(host, sizeof(host)) != 0) {
			log_warn("step 4: gethostname");
			audit_reason(a, "step 4: no host name for ClientInfo");
			return CMC_FAILED;
		}
		host[sizeof(host) - 1] = '\0';
		ci.machine = host;
	}
	ci.user = cfg->signing_client_account != NULL ?
	    cfg->signing_client_account : "";
	ci.process = cfg->signing_client_process != NULL ?
	    cfg->signing_client_process : CMC_DEFAULT_PROCESS;

	/*
	 * One snapshot for the whole signature: certificate and key agree. The
	 * signer process refuses a snapshot it has replaced since (a renewal):
	 * then the request is built again once with the new one.
	 */
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((sr = signer_acquire(s, &cs.snap)) != SIGNER_OK) {
			log_err("step 4: no signing certificate to sign with: %s",
			    signer_strerror(sr));
			audit_reason(a, "step 4: %s", signer_strerror(sr));
			return sr == SIGNER_NO_VALID_CERT ? CMC_NO_SIGNER :
			    CMC_FAILED;
		}
		cs.result = SIGNER_OK;
		key.ctx = &cs;
		key.cert_count = signer_cert_count(cs.snap);
		key.cert_der = snapshot_cert_der;
		key.digest = signer_digest(cs.snap);
		key.signature_oid = signer_signature_oid(cs.snap);
		key.sign = snapshot_sign;
		ret = cmc_encode(&key, &ci, csr_der, csr_der_len, out, out_len, a);
		signer_release(s, cs.snap);
		if (ret == CMC_OK || cs.result != SIGNER_STALE)
			break;
		log_info("step 4: the signing certificate was renewed meanwhile; "
		    "building the request again");
	}
	return ret;
}
