/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Reading the SignedCertRequest (CMS SignedData around a CMC PKIData) with
 * libtasn1 and src/asn/cms.asn. Strict DER, every byte used; each part is
 * copied out, so the result does not point into the input.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtasn1.h>

#include "cmsder.h"
#include "msext.h"

extern const asn1_static_node cms_asn1_tab[];

/* Built once, read-only afterwards: libtasn1 only reads it to copy types. */
static asn1_node cmsder_defs;
static pthread_once_t cmsder_defs_once = PTHREAD_ONCE_INIT;

static void
cmsder_defs_init(void)
{
	if (asn1_array2tree(cms_asn1_tab, &cmsder_defs, NULL) != ASN1_SUCCESS)
		cmsder_defs = NULL;
}

const char *
cmsder_strerror(enum cmsder_result r)
{
	switch (r) {
	case CMSDER_OK:
		return "ok";
	case CMSDER_MALFORMED:
		return "not a DER SignedData around a PKIData";
	case CMSDER_UNSUPPORTED:
		return "not a SignedCertRequest of the expected kind";
	case CMSDER_NOMEM:
		return "out of memory";
	case CMSDER_INTERNAL:
		return "the CMS ASN.1 module did not load";
	}
	return "unknown error";
}

asn1_node
cmsder_element(const char *type)
{
	asn1_node n = NULL;
	char name[64];

	if (pthread_once(&cmsder_defs_once, cmsder_defs_init) != 0 ||
	    cmsder_defs == NULL)
		return NULL;
	if ((size_t)snprintf(name, sizeof(name), "OTPCEP-CMS.%s", type) >=
	    sizeof(name))
		return NULL;
	if (asn1_create_element(cmsder_defs, name, &n) != ASN1_SUCCESS)
		return NULL;
	return n;
}

int
cmsder_encode(asn1_node n, const char *name, uint8_t **der, size_t *der_len)
{
	int len = 0, r;
	uint8_t *buf;

	*der = NULL;
	*der_len = 0;
	r = asn1_der_coding(n, name, NULL, &len, NULL);
	if (r != ASN1_MEM_ERROR)
		return r == ASN1_SUCCESS ? ASN1_GENERIC_ERROR : r;
	if (len <= 0 || (buf = malloc((size_t)len)) == NULL)
		return ASN1_MEM_ALLOC_ERROR;
	if ((r = asn1_der_coding(n, name, buf, &len, NULL)) != ASN1_SUCCESS) {
		free(buf);
		return r;
	}
	*der = buf;
	*der_len = (size_t)len;
	return ASN1_SUCCESS;
}

enum cmsder_result
cmsder_decode(const char *type, const uint8_t *der, size_t der_len, asn1_node *out)
{
	asn1_node n;
	int len;

	*out = NULL;
	if (der == NULL || der_len == 0 || der_len > INT_MAX)
		return CMSDER_MALFORMED;
	if ((n = cmsder_element(type)) == NULL)
		return CMSDER_INTERNAL;
	len = (int)der_len;
	if (asn1_der_decoding2(&n, der, &len, ASN1_DECODE_FLAG_STRICT_DER,
	    NULL) != ASN1_SUCCESS || (size_t)len != der_len) {
		asn1_delete_structure(&n);
		return CMSDER_MALFORMED;
	}
	*out = n;
	return CMSDER_OK;
}

/*
 * Reads element `name` into a new buffer (plus a NUL, not counted). Returns
 * CMSDER_OK, CMSDER_MALFORMED when absent, CMSDER_NOMEM.
 */
static enum cmsder_result
read_value(asn1_node n, const char *name, uint8_t **out, size_t *out_len)
{
	int len = 0, r;
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	r = asn1_read_value(n, name, NULL, &len);
	if (r != ASN1_MEM_ERROR && r != ASN1_SUCCESS)
		return CMSDER_MALFORMED;
	if (len < 0 || len == INT_MAX)
		return CMSDER_MALFORMED;
	if ((buf = malloc((size_t)len + 1)) == NULL)
		return CMSDER_NOMEM;
	if (len > 0 && asn1_read_value(n, name, buf, &len) != ASN1_SUCCESS) {
		free(buf);
		return CMSDER_MALFORMED;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = (size_t)len;
	return CMSDER_OK;
}

/* An OBJECT IDENTIFIER as dotted text into oid[CMSDER_OID_MAX]. */
static enum cmsder_result
read_oid(asn1_node n, const char *name, char *oid)
{
	int len = CMSDER_OID_MAX;

	if (asn1_read_value(n, name, oid, &len) != ASN1_SUCCESS || len <= 1)
		return CMSDER_MALFORMED;
	oid[CMSDER_OID_MAX - 1] = '\0';
	return CMSDER_OK;
}

/* A small INTEGER (0 .. LONG_MAX). */
static enum cmsder_result
read_long(asn1_node n, const char *name, long *v)
{
	uint8_t buf[sizeof(long)];
	int len = sizeof(buf);
	unsigned long x = 0;

	if (asn1_read_value(n, name, buf, &len) != ASN1_SUCCESS || len <= 0 ||
	    (size_t)len > sizeof(buf) || (buf[0] & 0x80) != 0)
		return CMSDER_MALFORMED;
	for (int i = 0; i < len; i++)
		x = x << 8 | buf[i];
	if (x > LONG_MAX)
		return CMSDER_MALFORMED;
	*v = (long)x;
	return CMSDER_OK;
}

/* Number of elements of a SET OF / SEQUENCE OF. */
static enum cmsder_result
count(asn1_node n, const char *name, size_t *c)
{
	int k = 0;

	if (asn1_number_of_elements(n, name, &k) != ASN1_SUCCESS) {
		/* an empty SET OF has no children */
		*c = 0;
		return CMSDER_OK;
	}
	if (k < 0)
		return CMSDER_MALFORMED;
	*c = (size_t)k;
	return CMSDER_OK;
}

/* Whether the AlgorithmIdentifier's parameters are NULL / absent. */
static void
read_params(asn1_node n, const char *prefix, bool *is_null, bool *absent)
{
	char name[128];
	uint8_t buf[4];
	int len = sizeof(buf), r;

	snprintf(name, sizeof(name), "%s.parameters", prefix);
	r = asn1_read_value(n, name, buf, &len);
	if (is_null != NULL)
		*is_null = r == ASN1_SUCCESS && len == 2 && buf[0] == 0x05 &&
		    buf[1] == 0x00;
	if (absent != NULL)
		*absent = r == ASN1_ELEMENT_NOT_FOUND;
}

/* Reads the signed attributes contentType and messageDigest of signer i. */
static enum cmsder_result
read_signed_attrs(asn1_node sd, const char *prefix, struct cmsder_signer *s)
{
	enum cmsder_result r;
	char name[160];
	size_t n;

	snprintf(name, sizeof(name), "%s.signedAttrs", prefix);
	if ((r = count(sd, name, &n)) != CMSDER_OK)
		return r;
	s->signed_attr_count = n;
	for (size_t k = 1; k <= n; k++) {
		char oid[CMSDER_OID_MAX];
		size_t values;
		uint8_t *v = NULL;
		size_t v_len = 0;

		snprintf(name, sizeof(name), "%s.signedAttrs.?%zu.attrType",
		    prefix, k);
		if ((r = read_oid(sd, name, oid)) != CMSDER_OK)
			return r;
		snprintf(name, sizeof(name), "%s.signedAttrs.?%zu.attrValues",
		    prefix, k);
		if ((r = count(sd, name, &values)) != CMSDER_OK)
			return r;
		/* RFC 5652 11.1, 11.2: both are single-valued. */
		if (strcmp(oid, OID_CMS_CONTENT_TYPE) != 0 &&
		    strcmp(oid, OID_CMS_MESSAGE_DIGEST) != 0)
			continue;
		if (values != 1)
			return CMSDER_MALFORMED;
		snprintf(name, sizeof(name), "%s.signedAttrs.?%zu.attrValues.?1",
		    prefix, k);
		if ((r = read_value(sd, name, &v, &v_len)) != CMSDER_OK)
			return r;
		if (strcmp(oid, OID_CMS_CONTENT_TYPE) == 0) {
			int len = 0;

			/* The value is one OBJECT IDENTIFIER (short length form). */
			r = CMSDER_MALFORMED;
			if (s->content_type[0] == '\0' && v_len > 2 &&
			    v_len < 0x80 && v[0] == 0x06 &&
			    (size_t)v[1] + 2 == v_len &&
			    asn1_get_object_id_der(v + 1, (int)v_len - 1, &len,
			    s->content_type, CMSDER_OID_MAX) == ASN1_SUCCESS &&
			    (size_t)len + 1 == v_len)
				r = CMSDER_OK;
			free(v);
			if (r != CMSDER_OK)
				return r;
		} else {
			int tag_len, len_len;
			unsigned char cls;
			unsigned long tag;
			long len;

			if (s->message_digest != NULL || v_len > INT_MAX ||
			    asn1_get_tag_der(v, (int)v_len, &cls, &tag_len,
			    &tag) != ASN1_SUCCESS || cls != ASN1_CLASS_UNIVERSAL ||
			    tag != ASN1_TAG_OCTET_STRING ||
			    (len = asn1_get_length_der(v + tag_len,
			    (int)v_len - tag_len, &len_len)) < 0 ||
			    (size_t)tag_len + (size_t)len_len + (size_t)len !=
			    v_len) {
				free(v);
				return CMSDER_MALFORMED;
			}
			s->message_digest_len = (size_t)len;
			s->message_digest = malloc(s->message_digest_len + 1);
			if (s->message_digest == NULL) {
				free(v);
				return CMSDER_NOMEM;
			}
			memcpy(s->message_digest, v + tag_len + len_len,
			    s->message_digest_len);
			free(v);
		}
	}
	return CMSDER_OK;
}

/* SignerInfo number i (1-based) of the decoded SignedData. */
static enum cmsder_result
read_signer(asn1_node sd, const uint8_t *sd_der, size_t sd_len, size_t i,
    struct cmsder_signer *s)
{
	enum cmsder_result r;
	char prefix[64], name[160], choice[64];
	int len, start, end;

	snprintf(prefix, sizeof(prefix), "signerInfos.?%zu", i);
	snprintf(name, sizeof(name), "%s.version", prefix);
	if ((r = read_long(sd, name, &s->version)) != CMSDER_OK)
		return r;
	snprintf(name, sizeof(name), "%s.sid", prefix);
	len = sizeof(choice);
	if (asn1_read_value(sd, name, choice, &len) != ASN1_SUCCESS)
		return CMSDER_MALFORMED;
	if (strcmp(choice, "issuerAndSerialNumber") == 0) {
		snprintf(name, sizeof(name),
		    "%s.sid.issuerAndSerialNumber.issuer", prefix);
		if ((r = read_value(sd, name, &s->issuer, &s->issuer_len)) !=
		    CMSDER_OK)
			return r;
		snprintf(name, sizeof(name),
		    "%s.sid.issuerAndSerialNumber.serialNumber", prefix);
		if ((r = read_value(sd, name, &s->serial, &s->serial_len)) !=
		    CMSDER_OK)
			return r;
	} else {
		snprintf(name, sizeof(name), "%s.sid.subjectKeyIdentifier",
		    prefix);
		if ((r = read_value(sd, name, &s->ski, &s->ski_len)) !=
		    CMSDER_OK)
			return r;
	}
	snprintf(name, sizeof(name), "%s.digestAlgorithm.algorithm", prefix);
	if ((r = read_oid(sd, name, s->digest_oid)) != CMSDER_OK)
		return r;
	snprintf(name, sizeof(name), "%s.digestAlgorithm", prefix);
	read_params(sd, name, &s->digest_params_null, NULL);
	snprintf(name, sizeof(name), "%s.signatureAlgorithm.algorithm", prefix);
	if ((r = read_oid(sd, name, s->signature_oid)) != CMSDER_OK)
		return r;
	snprintf(name, sizeof(name), "%s.signatureAlgorithm", prefix);
	read_params(sd, name, &s->signature_params_null,
	    &s->signature_params_absent);
	snprintf(name, sizeof(name), "%s.signature", prefix);
	if ((r = read_value(sd, name, &s->signature, &s->signature_len)) !=
	    CMSDER_OK)
		return r;

	/* RFC 5652 5.4: what was signed is the [0] content under a SET OF tag. */
	snprintf(name, sizeof(name), "%s.signedAttrs", prefix);
	if (asn1_der_decoding_startEnd(sd, sd_der, (int)sd_len, name, &start,
	    &end) == ASN1_SUCCESS) {
		if (start < 0 || end < start || (size_t)end >= sd_len ||
		    sd_der[start] != 0xa0)
			return CMSDER_MALFORMED;
		s->signed_attrs_len = (size_t)(end - start + 1);
		if ((s->signed_attrs = malloc(s->signed_attrs_len)) == NULL)
			return CMSDER_NOMEM;
		memcpy(s->signed_attrs, sd_der + start, s->signed_attrs_len);
		s->signed_attrs[0] = 0x31;
		if ((r = read_signed_attrs(sd, prefix, s)) != CMSDER_OK)
			return r;
	}
	snprintf(name, sizeof(name), "%s.unsignedAttrs", prefix);
	len = 0;
	s->has_unsigned_attrs = asn1_read_value(sd, name, NULL, &len) !=
	    ASN1_ELEMENT_NOT_FOUND;
	return CMSDER_OK;
}

/* The PKIData (RFC 5272 3.2.1) in the eContent. */
static enum cmsder_result
read_pki_data(struct cmsder_signed_request *out)
{
	asn1_node pki = NULL, add = NULL;
	enum cmsder_result r;
	uint8_t *v = NULL;
	size_t v_len = 0, n;
	char choice[32];
	int len;

	if ((r = cmsder_decode("PKIData", out->econtent, out->econtent_len, &pki)) !=
	    CMSDER_OK)
		return r;
	if ((r = count(pki, "controlSequence", &out->control_count)) !=
	    CMSDER_OK ||
	    (r = count(pki, "reqSequence", &out->request_count)) != CMSDER_OK ||
	    (r = count(pki, "cmsSequence", &out->cms_count)) != CMSDER_OK ||
	    (r = count(pki, "otherMsgSequence", &out->other_msg_count)) !=
	    CMSDER_OK)
		goto cleanup;

	if (out->control_count > 0) {
		if ((r = read_long(pki, "controlSequence.?1.bodyPartID",
		    &out->control_body_part_id)) != CMSDER_OK ||
		    (r = read_oid(pki, "controlSequence.?1.attrType",
		    out->control_oid)) != CMSDER_OK)
			goto cleanup;
		if (strcmp(out->control_oid, OID_MS_CMC_ADD_ATTRIBUTES) == 0) {
			if ((r = count(pki, "controlSequence.?1.attrValues",
			    &n)) != CMSDER_OK)
				goto cleanup;
			r = CMSDER_MALFORMED;
			if (n != 1)
				goto cleanup;
			if ((r = read_value(pki,
			    "controlSequence.?1.attrValues.?1", &v, &v_len)) !=
			    CMSDER_OK ||
			    (r = cmsder_decode("CmcAddAttributesInfo", v, v_len,
			    &add)) != CMSDER_OK ||
			    (r = read_long(add, "dataReference",
			    &out->control_data_reference)) != CMSDER_OK ||
			    (r = count(add, "certReferences",
			    &out->control_cert_ref_count)) != CMSDER_OK)
				goto cleanup;
			if (out->control_cert_ref_count > 0 &&
			    (r = read_long(add, "certReferences.?1",
			    &out->control_cert_ref)) != CMSDER_OK)
				goto cleanup;
			if ((r = count(add, "attributes", &n)) != CMSDER_OK)
				goto cleanup;
			for (size_t k = 1; k <= n; k++) {
				char name[64], oid[CMSDER_OID_MAX];

				snprintf(name, sizeof(name),
				    "attributes.?%zu.attrType", k);
				if ((r = read_oid(add, name, oid)) != CMSDER_OK)
					goto cleanup;
				if (strcmp(oid, OID_MS_CLIENT_INFO) != 0 ||
				    out->client_info != NULL)
					continue;
				snprintf(name, sizeof(name),
				    "attributes.?%zu.attrValues.?1", k);
				if ((r = read_value(add, name, &out->client_info,
				    &out->client_info_len)) != CMSDER_OK)
					goto cleanup;
			}
		}
	}

	/* MS-WCCE 3.2.1.4.2.1.4.1.3: exactly one PKCS#10. */
	r = CMSDER_UNSUPPORTED;
	if (out->request_count != 1)
		goto cleanup;
	len = sizeof(choice);
	if (asn1_read_value(pki, "reqSequence.?1", choice, &len) !=
	    ASN1_SUCCESS || strcmp(choice, "tcr") != 0)
		goto cleanup;
	if ((r = read_long(pki, "reqSequence.?1.tcr.bodyPartID",
	    &out->request_body_part_id)) != CMSDER_OK ||
	    (r = read_value(pki, "reqSequence.?1.tcr.certificationRequest",
	    &out->pkcs10, &out->pkcs10_len)) != CMSDER_OK)
		goto cleanup;
	r = CMSDER_OK;
cleanup:
	free(v);
	asn1_delete_structure(&pki);
	asn1_delete_structure(&add);
	return r;
}

enum cmsder_result
cmsder_parse_signed_cert_request(const uint8_t *der, size_t der_len,
    struct cmsder_signed_request *out)
{
	asn1_node ci = NULL, sd = NULL;
	uint8_t *sd_der = NULL;
	size_t sd_len = 0;
	char oid[CMSDER_OID_MAX];
	enum cmsder_result r;
	int len;

	memset(out, 0, sizeof(*out));
	if ((r = cmsder_decode("ContentInfo", der, der_len, &ci)) != CMSDER_OK)
		goto cleanup;
	if ((r = read_oid(ci, "contentType", oid)) != CMSDER_OK)
		goto cleanup;
	r = CMSDER_UNSUPPORTED;
	if (strcmp(oid, OID_CMS_SIGNED_DATA) != 0)
		goto cleanup;
	if ((r = read_value(ci, "content", &sd_der, &sd_len)) != CMSDER_OK ||
	    (r = cmsder_decode("SignedData", sd_der, sd_len, &sd)) != CMSDER_OK)
		goto cleanup;

	if ((r = read_long(sd, "version", &out->version)) != CMSDER_OK ||
	    (r = count(sd, "digestAlgorithms", &out->digest_alg_count)) !=
	    CMSDER_OK)
		goto cleanup;
	if (out->digest_alg_count > 0) {
		if ((r = read_oid(sd, "digestAlgorithms.?1.algorithm",
		    out->digest_oid)) != CMSDER_OK)
			goto cleanup;
		read_params(sd, "digestAlgorithms.?1", &out->digest_params_null,
		    NULL);
	}
	if ((r = read_oid(sd, "encapContentInfo.eContentType",
	    out->econtent_type)) != CMSDER_OK)
		goto cleanup;
	r = CMSDER_UNSUPPORTED;
	if (strcmp(out->econtent_type, OID_CMC_PKIDATA) != 0)
		goto cleanup;
	if ((r = read_value(sd, "encapContentInfo.eContent", &out->econtent,
	    &out->econtent_len)) != CMSDER_OK)
		goto cleanup;

	len = 0;
	if (asn1_read_value(sd, "certificates", NULL, &len) !=
	    ASN1_ELEMENT_NOT_FOUND) {
		if ((r = count(sd, "certificates", &out->cert_count)) !=
		    CMSDER_OK)
			goto cleanup;
	}
	if (out->cert_count > 0) {
		r = CMSDER_NOMEM;
		out->cert = calloc(out->cert_count, sizeof(*out->cert));
		out->cert_len = calloc(out->cert_count, sizeof(*out->cert_len));
		if (out->cert == NULL || out->cert_len == NULL)
			goto cleanup;
		for (size_t i = 0; i < out->cert_count; i++) {
			char name[48];

			snprintf(name, sizeof(name), "certificates.?%zu", i + 1);
			if ((r = read_value(sd, name, &out->cert[i],
			    &out->cert_len[i])) != CMSDER_OK)
				goto cleanup;
		}
	}
	len = 0;
	out->has_crls = asn1_read_value(sd, "crls", NULL, &len) !=
	    ASN1_ELEMENT_NOT_FOUND;

	if ((r = count(sd, "signerInfos", &out->signer_count)) != CMSDER_OK)
		goto cleanup;
	if (out->signer_count > 0) {
		r = CMSDER_NOMEM;
		out->signer = calloc(out->signer_count, sizeof(*out->signer));
		if (out->signer == NULL)
			goto cleanup;
		for (size_t i = 0; i < out->signer_count; i++)
			if ((r = read_signer(sd, sd_der, sd_len, i + 1,
			    &out->signer[i])) != CMSDER_OK)
				goto cleanup;
	}
	r = read_pki_data(out);
cleanup:
	free(sd_der);
	asn1_delete_structure(&ci);
	asn1_delete_structure(&sd);
	if (r != CMSDER_OK)
		cmsder_signed_request_free(out);
	return r;
}

void
cmsder_signed_request_free(struct cmsder_signed_request *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; r->cert != NULL && i < r->cert_count; i++)
		free(r->cert[i]);
	free(r->cert);
	free(r->cert_len);
	for (size_t i = 0; r->signer != NULL && i < r->signer_count; i++) {
		struct cmsder_signer *s = &r->signer[i];

		free(s->issuer);
		free(s->serial);
		free(s->ski);
		free(s->signed_attrs);
		free(s->message_digest);
		free(s->signature);
	}
	free(r->signer);
	free(r->econtent);
	free(r->client_info);
	free(r->pkcs10);
	memset(r, 0, sizeof(*r));
}
