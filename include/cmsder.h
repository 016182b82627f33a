/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Reading a SignedCertRequest (MS-OTPCE 3.2.5.1 step 4): CMS SignedData
 * (RFC 5652) around a CMC PKIData (RFC 5272), DER with libtasn1 from
 * src/asn/cms.asn. cmc.c writes it; the tests, the drivers and the otpcep-ca
 * tool read it back with cmsder_parse_signed_cert_request().
 */
#ifndef OTPCEP_CMSDER_H
#define OTPCEP_CMSDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libtasn1.h>

#define OID_CMS_SIGNED_DATA	"1.2.840.113549.1.7.2"	/* RFC 5652 5.1 */
#define OID_CMS_CONTENT_TYPE	"1.2.840.113549.1.9.3"	/* RFC 5652 11.1 */
#define OID_CMS_MESSAGE_DIGEST	"1.2.840.113549.1.9.4"	/* RFC 5652 11.2 */
#define OID_CMC_PKIDATA		"1.3.6.1.5.5.7.12.2"	/* RFC 5272 3.2 */
#define OID_CMC_NO_SIGNATURE	"1.3.6.1.5.5.7.6.2"	/* RFC 5272 3.2.1 / RFC 2797 3.3.3.1 */
#define OID_MS_CMC_ADD_ATTRIBUTES "1.3.6.1.4.1.311.10.10.1"
#define OID_MS_DUMMY_SIGNER	"1.3.6.1.4.1.311.21.9"	/* the Dummy Signer's RDN */
#define OID_RSA_ENCRYPTION	"1.2.840.113549.1.1.1"

/* The Dummy Signer's name, the RDN value, a PrintableString (MS-OTPCE 4.1). */
#define CMSDER_DUMMY_SIGNER_NAME "Dummy Signer"

#define CMSDER_OID_MAX 128

enum cmsder_result {
	CMSDER_OK = 0,
	CMSDER_MALFORMED,	/* not DER, or not the structure described */
	CMSDER_UNSUPPORTED,	/* well formed, but not what a SignedCertRequest is */
	CMSDER_NOMEM,
	CMSDER_INTERNAL,	/* the ASN.1 module did not load */
};

const char *cmsder_strerror(enum cmsder_result r);

/*
 * A new empty element of type `type` of src/asn/cms.asn ("SignedData", ...),
 * or NULL. The module is loaded once (pthread_once) and only read afterwards,
 * so this is safe from every worker. Free with asn1_delete_structure().
 */
asn1_node cmsder_element(const char *type);

/*
 * Decodes der into a new element of `type`: strict DER, the whole input, no
 * trailing bytes. CMSDER_OK and *out (free with asn1_delete_structure()),
 * CMSDER_MALFORMED or CMSDER_INTERNAL.
 */
enum cmsder_result cmsder_decode(const char *type, const uint8_t *der,
    size_t der_len, asn1_node *out);

/* One SignerInfo (RFC 5652 5.3) as it was on the wire. */
struct cmsder_signer {
	long version;
	uint8_t *issuer;		/* DER Name; NULL for a subjectKeyIdentifier sid */
	size_t issuer_len;
	uint8_t *serial;		/* the INTEGER's content octets */
	size_t serial_len;
	uint8_t *ski;			/* subjectKeyIdentifier, else NULL */
	size_t ski_len;
	char digest_oid[CMSDER_OID_MAX];
	bool digest_params_null;	/* parameters present, and NULL */
	char signature_oid[CMSDER_OID_MAX];
	bool signature_params_null;
	bool signature_params_absent;
	/* The signed attributes with the SET OF tag: what was signed (RFC 5652 5.4). */
	uint8_t *signed_attrs;
	size_t signed_attrs_len;
	size_t signed_attr_count;
	char content_type[CMSDER_OID_MAX];	/* the contentType attribute; "" if absent */
	uint8_t *message_digest;	/* the messageDigest attribute; NULL if absent */
	size_t message_digest_len;
	bool has_unsigned_attrs;
	uint8_t *signature;
	size_t signature_len;
};

/* Everything otpcep puts into a SignedCertRequest, read back. */
struct cmsder_signed_request {
	long version;			/* SignedData version: 3 */
	size_t digest_alg_count;
	char digest_oid[CMSDER_OID_MAX];	/* the first of digestAlgorithms */
	bool digest_params_null;
	char econtent_type[CMSDER_OID_MAX];
	uint8_t *econtent;		/* the PKIData DER (the eContent octets) */
	size_t econtent_len;
	size_t cert_count;
	uint8_t **cert;			/* certificates, each its DER */
	size_t *cert_len;
	bool has_crls;
	size_t signer_count;
	struct cmsder_signer *signer;

	/* The PKIData (RFC 5272 3.2.1) */
	size_t control_count;
	long control_body_part_id;	/* of the first control */
	char control_oid[CMSDER_OID_MAX];
	long control_data_reference;	/* CmcAddAttributesInfo, when the control is one */
	size_t control_cert_ref_count;
	long control_cert_ref;		/* the first certReference */
	uint8_t *client_info;		/* ClientInfo DER from the control; NULL if none */
	size_t client_info_len;
	size_t request_count;
	long request_body_part_id;
	uint8_t *pkcs10;		/* the TaggedCertificationRequest, byte for byte */
	size_t pkcs10_len;
	size_t cms_count;
	size_t other_msg_count;
};

/*
 * Parses der as ContentInfo(SignedData(PKIData)). On CMSDER_OK *out holds
 * copies of every part; release it with cmsder_signed_request_free(). Any other
 * result leaves *out empty. Accepts DER only.
 */
enum cmsder_result cmsder_parse_signed_cert_request(const uint8_t *der,
    size_t der_len, struct cmsder_signed_request *out);
void cmsder_signed_request_free(struct cmsder_signed_request *r);

/*
 * Writes the DER of element `name` of n (libtasn1) into a new buffer.
 * Returns ASN1_SUCCESS, or the libtasn1 error.
 */
int cmsder_encode(asn1_node n, const char *name, uint8_t **der,
    size_t *der_len);

#endif
