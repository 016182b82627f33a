/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The checks an Enterprise CA's policy makes on a co-signed SignedCertRequest
 * before it issues (interop-notes section 1; MS-WCCE 3.2.1.4.2.1.4.1.3 for the
 * parsing rules, 3.2.2.6.2.1.4.5 for the signature requirements). Reading is
 * cmsder_parse_signed_cert_request(); the cryptography is GnuTLS.
 *
 * Order, per signer: first authenticate the signed attributes (the signature,
 * or for the null signer the digest that stands in for it), then believe what
 * they say (contentType, messageDigest), then judge the signer's certificate
 * (trust chain, validity now, EKU).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>
#include <libtasn1.h>

#include "catool.h"
#include "cmsder.h"
#include "csr.h"
#include "log.h"
#include "utf8.h"

/* The smallest RSA key the logon template allows (as otpcep's default). */
#define CATOOL_MIN_RSA_BITS 2048

#define CATOOL_CHAIN_MAX 16
/* More certificates than any real request carries (4.1 carries one). */
#define CATOOL_CERTS_MAX 32

const char *
catool_status_name(enum catool_status s)
{
	switch (s) {
	case CATOOL_OK:			return "ok";
	case CATOOL_USAGE:		return "usage";
	case CATOOL_FILES:		return "files";
	case CATOOL_MALFORMED:		return "malformed";
	case CATOOL_NOT_SIGNED_DATA:	return "not signedData";
	case CATOOL_NOT_PKIDATA:	return "not PKIData";
	case CATOOL_REQUEST_COUNT:	return "not one PKCS#10";
	case CATOOL_NOT_SIGNED:		return "not signed";
	case CATOOL_BAD_NULL_SIGNER:	return "bad null signer";
	case CATOOL_UNSUPPORTED_ALG:	return "unsupported algorithm";
	case CATOOL_CERT_MISSING:	return "signer certificate missing";
	case CATOOL_BAD_SIGNATURE:	return "bad signature";
	case CATOOL_CONTENT_TYPE:	return "wrong contentType";
	case CATOOL_DIGEST_MISMATCH:	return "messageDigest mismatch";
	case CATOOL_UNTRUSTED:		return "untrusted";
	case CATOOL_EXPIRED:		return "expired";
	case CATOOL_NO_EKU:		return "no signing EKU";
	case CATOOL_BAD_PKCS10:		return "bad PKCS#10";
	case CATOOL_NO_UPN:		return "no UPN";
	case CATOOL_WEAK_KEY:		return "bad public key";
	case CATOOL_NO_TEMPLATE:	return "no template";
	case CATOOL_TEMPLATE_UNSUPPORTED: return "template not issued here";
	case CATOOL_TEMPLATE_CONFLICT:	return "template conflict";
	case CATOOL_ISSUE_FAILED:	return "issuing failed";
	}
	return "unknown";
}

enum catool_status
catool_refuse(char *why, size_t why_len, enum catool_status st,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return st;
}

/* --- why cmsder refused: the parsing rules one by one ------------------- */

/* Decodes der as `type` of cms.asn (cmsder_decode); NULL if not. */
static asn1_node
decode_as(const char *type, const uint8_t *der, size_t der_len)
{
	asn1_node n = NULL;

	return cmsder_decode(type, der, der_len, &n) == CMSDER_OK ? n : NULL;
}

/* The value of element name, in a new buffer; NULL if absent. */
static uint8_t *
value_of(asn1_node n, const char *name, size_t *out_len)
{
	int len = 0, r;
	uint8_t *buf;

	r = asn1_read_value(n, name, NULL, &len);
	if ((r != ASN1_MEM_ERROR && r != ASN1_SUCCESS) || len <= 0)
		return NULL;
	if ((buf = malloc((size_t)len)) == NULL)
		return NULL;
	if (asn1_read_value(n, name, buf, &len) != ASN1_SUCCESS) {
		free(buf);
		return NULL;
	}
	*out_len = (size_t)len;
	return buf;
}

/*
 * cmsder refused der: find which parsing rule of MS-WCCE 3.2.1.4.2.1.4.1.3
 * it breaks, to refuse with that reason. Returns the status.
 */
static enum catool_status
diagnose(const uint8_t *der, size_t der_len, enum cmsder_result cr, char *why,
    size_t why_len)
{
	asn1_node ci = NULL, sd = NULL, pki = NULL;
	uint8_t *sd_der = NULL, *pki_der = NULL;
	size_t sd_len = 0, pki_der_len = 0;
	char oid[CMSDER_OID_MAX], choice[16];
	enum catool_status st;
	int len, k = 0;

	st = catool_refuse(why, why_len, CATOOL_MALFORMED,
	    "not a CMS SignedData around a CMC PKIData (%s)",
	    cmsder_strerror(cr));
	if ((ci = decode_as("ContentInfo", der, der_len)) == NULL)
		goto cleanup;
	len = sizeof(oid);
	if (asn1_read_value(ci, "contentType", oid, &len) != ASN1_SUCCESS)
		goto cleanup;
	if (strcmp(oid, OID_CMS_SIGNED_DATA) != 0) {
		st = catool_refuse(why, why_len, CATOOL_NOT_SIGNED_DATA,
		    "content type is %s, not id-signedData (%s)", oid,
		    OID_CMS_SIGNED_DATA);
		goto cleanup;
	}
	if ((sd_der = value_of(ci, "content", &sd_len)) == NULL ||
	    (sd = decode_as("SignedData", sd_der, sd_len)) == NULL)
		goto cleanup;
	len = sizeof(oid);
	if (asn1_read_value(sd, "encapContentInfo.eContentType", oid, &len) !=
	    ASN1_SUCCESS)
		goto cleanup;
	if (strcmp(oid, OID_CMC_PKIDATA) != 0) {
		st = catool_refuse(why, why_len, CATOOL_NOT_PKIDATA,
		    "eContentType is %s, not id-cct-PKIData (%s)", oid,
		    OID_CMC_PKIDATA);
		goto cleanup;
	}
	if ((pki_der = value_of(sd, "encapContentInfo.eContent",
	    &pki_der_len)) == NULL ||
	    (pki = decode_as("PKIData", pki_der, pki_der_len)) == NULL)
		goto cleanup;
	if (asn1_number_of_elements(pki, "reqSequence", &k) != ASN1_SUCCESS)
		k = 0;
	if (k != 1) {
		/* MS-WCCE 3.2.1.4.2.1.4.1.3: otherwise 0x8007000D */
		st = catool_refuse(why, why_len, CATOOL_REQUEST_COUNT,
		    "reqSequence holds %d requests, not exactly one PKCS#10", k);
		goto cleanup;
	}
	len = sizeof(choice);
	if (asn1_read_value(pki, "reqSequence.?1", choice, &len) ==
	    ASN1_SUCCESS && strcmp(choice, "tcr") != 0)
		st = catool_refuse(why, why_len, CATOOL_REQUEST_COUNT,
		    "the request is a %s, not a PKCS#10 (tcr)", choice);
cleanup:
	asn1_delete_structure(&ci);
	asn1_delete_structure(&sd);
	asn1_delete_structure(&pki);
	free(sd_der);
	free(pki_der);
	return st;
}

/* --- digests and signatures --------------------------------------------- */

/* The digest of a digestAlgorithm OID we accept, else GNUTLS_DIG_UNKNOWN. */
static gnutls_digest_algorithm_t
digest_of(const char *oid)
{
	gnutls_digest_algorithm_t d = gnutls_oid_to_digest(oid);

	switch (d) {
	case GNUTLS_DIG_SHA1:	/* MS-OTPCE 4.1 uses SHA-1 throughout */
	case GNUTLS_DIG_SHA256:
	case GNUTLS_DIG_SHA384:
	case GNUTLS_DIG_SHA512:
		return d;
	default:
		return GNUTLS_DIG_UNKNOWN;
	}
}

/* Whether hash(data) equals want. */
static bool
digest_equals(gnutls_digest_algorithm_t d, const uint8_t *data, size_t len,
    const uint8_t *want, size_t want_len)
{
	uint8_t h[64];
	unsigned hl = gnutls_hash_get_len(d);

	if (hl == 0 || hl > sizeof(h) || want == NULL || want_len != hl ||
	    gnutls_hash_fast(d, data, len, h) < 0)
		return false;
	return memcmp(h, want, hl) == 0;
}

/*
 * contentType and messageDigest of signer i (1-based), after its signed
 * attributes were authenticated (RFC 5652 5.4, 11.1, 11.2).
 */
static enum catool_status
check_attributes(const struct cmsder_signed_request *r, size_t i,
    gnutls_digest_algorithm_t d, char *why, size_t why_len)
{
	const struct cmsder_signer *s = &r->signer[i - 1];

	if (strcmp(s->content_type, OID_CMC_PKIDATA) != 0)
		return catool_refuse(why, why_len, CATOOL_CONTENT_TYPE,
		    "signer %zu: contentType attribute is %s, not "
		    "id-cct-PKIData", i,
		    s->content_type[0] != '\0' ? s->content_type : "absent");
	if (s->message_digest == NULL)
		return catool_refuse(why, why_len, CATOOL_DIGEST_MISMATCH,
		    "signer %zu: no messageDigest attribute", i);
	if (!digest_equals(d, r->econtent, r->econtent_len, s->message_digest,
	    s->message_digest_len))
		return catool_refuse(why, why_len, CATOOL_DIGEST_MISMATCH,
		    "signer %zu: messageDigest is not the %s digest of the "
		    "PKIData: the content was changed after signing", i,
		    gnutls_digest_get_name(d));
	return CATOOL_OK;
}

/*
 * The null signer (RFC 5272 3.2.1.1 / RFC 2797 3.3.3.1): signatureAlgorithm
 * id-alg-noSignature, "signature" = digest of the DER signed attributes.
 * MS-WCCE 3.1.1.4.3.1.3: it comes first. It proves nothing about anyone; it
 * only carries the request's digest.
 */
static enum catool_status
check_null_signer(const struct cmsder_signed_request *r, char *why,
    size_t why_len)
{
	const struct cmsder_signer *s = &r->signer[0];
	gnutls_digest_algorithm_t d;

	if (strcmp(s->signature_oid, OID_CMC_NO_SIGNATURE) != 0)
		return catool_refuse(why, why_len, CATOOL_BAD_NULL_SIGNER,
		    "signer 1: signatureAlgorithm is %s, not id-alg-noSignature "
		    "(the Dummy Signer comes first, MS-WCCE 3.1.1.4.3.1.3)",
		    s->signature_oid);
	if ((d = digest_of(s->digest_oid)) == GNUTLS_DIG_UNKNOWN)
		return catool_refuse(why, why_len, CATOOL_UNSUPPORTED_ALG,
		    "signer 1: digest algorithm %s not accepted", s->digest_oid);
	if (s->signed_attrs == NULL)
		return catool_refuse(why, why_len, CATOOL_BAD_NULL_SIGNER,
		    "signer 1: no signed attributes");
	if (!digest_equals(d, s->signed_attrs, s->signed_attrs_len,
	    s->signature, s->signature_len))
		return catool_refuse(why, why_len, CATOOL_BAD_NULL_SIGNER,
		    "signer 1 (null signer): its value is not the %s digest of "
		    "its signed attributes", gnutls_digest_get_name(d));
	return check_attributes(r, 1, d, why, why_len);
}

/* Whether the certificate's DER field equals want. */
static bool
datum_equals(const gnutls_datum_t *a, const uint8_t *want, size_t want_len)
{
	return want != NULL && a->size == want_len &&
	    memcmp(a->data, want, want_len) == 0;
}

/* Index into certs of the certificate signer s names (sid), or -1. */
static int
find_signer_cert(gnutls_x509_crt_t *certs, size_t n,
    const struct cmsder_signer *s)
{
	for (size_t k = 0; k < n; k++) {
		if (s->ski != NULL) {
			uint8_t id[64];
			size_t id_len = sizeof(id);
			unsigned crit;

			if (gnutls_x509_crt_get_subject_key_id(certs[k], id,
			    &id_len, &crit) == 0 && id_len == s->ski_len &&
			    memcmp(id, s->ski, id_len) == 0)
				return (int)k;
			continue;
		}
		gnutls_datum_t issuer;
		uint8_t serial[64];
		size_t serial_len = sizeof(serial);

		if (gnutls_x509_crt_get_raw_issuer_dn(certs[k], &issuer) < 0)
			continue;
		bool same = datum_equals(&issuer, s->issuer, s->issuer_len);
		gnutls_free(issuer.data);
		if (same && gnutls_x509_crt_get_serial(certs[k], serial,
		    &serial_len) == 0 && serial_len == s->serial_len &&
		    memcmp(serial, s->serial, serial_len) == 0)
			return (int)k;
	}
	return -1;
}

/*
 * The GnuTLS signature algorithm for a SignerInfo: rsaEncryption with the
 * digestAlgorithm (as Windows writes it, MS-OTPCE 4.1), or an algorithm OID
 * that names the same digest (sha256WithRSAEncryption, ecdsa-with-SHA256...),
 * matching the key. GNUTLS_SIGN_UNKNOWN if not acceptable.
 */
static gnutls_sign_algorithm_t
signature_of(const char *oid, gnutls_digest_algorithm_t d,
    gnutls_pk_algorithm_t pk)
{
	gnutls_sign_algorithm_t sa;

	if (pk != GNUTLS_PK_RSA && pk != GNUTLS_PK_ECDSA)
		return GNUTLS_SIGN_UNKNOWN;
	if (strcmp(oid, OID_RSA_ENCRYPTION) == 0)
		return pk == GNUTLS_PK_RSA ? gnutls_pk_to_sign(pk, d) :
		    GNUTLS_SIGN_UNKNOWN;
	sa = gnutls_oid_to_sign(oid);
	if (sa == GNUTLS_SIGN_UNKNOWN || gnutls_sign_get_hash_algorithm(sa) != d ||
	    gnutls_sign_get_pk_algorithm(sa) != pk)
		return GNUTLS_SIGN_UNKNOWN;
	return sa;
}

/*
 * Names a certificate for a message, escaped, into buf: its subject, or when
 * that is empty (the test PKI's signing certificates have none) its serial
 * and issuer. Returns buf.
 */
static const char *
subject_of(gnutls_x509_crt_t crt, char *buf, size_t buf_len)
{
	gnutls_datum_t dn = { NULL, 0 };
	uint8_t serial[64];
	size_t serial_len = sizeof(serial), k, n;
	char esc[200];

	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0 && dn.size > 0) {
		log_escape(buf, buf_len, dn.data, dn.size);
		gnutls_free(dn.data);
		return buf;
	}
	gnutls_free(dn.data);
	dn.data = NULL;
	n = (size_t)snprintf(buf, buf_len, "serial ");
	if (gnutls_x509_crt_get_serial(crt, serial, &serial_len) == 0)
		for (k = 0; k < serial_len && n + 3 < buf_len; k++, n += 2)
			snprintf(buf + n, 3, "%02x", serial[k]);
	if (gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) >= 0) {
		log_escape(esc, sizeof(esc), dn.data, dn.size);
		if (n < buf_len)
			snprintf(buf + n, buf_len - n, " from %s", esc);
		gnutls_free(dn.data);
	}
	return buf;
}

/*
 * Orders chain[0]'s issuers out of the certificates the request carries:
 * chain[k+1] is the issuer of chain[k]. Returns the chain's length.
 */
static size_t
build_chain(gnutls_x509_crt_t *certs, size_t n, size_t leaf,
    gnutls_x509_crt_t *chain)
{
	bool used[CATOOL_CERTS_MAX] = { false };
	size_t len = 1;

	/* catool_verify() refused more than CATOOL_CERTS_MAX certificates. */
	chain[0] = certs[leaf];
	used[leaf] = true;
	while (len < CATOOL_CHAIN_MAX &&
	    gnutls_x509_crt_check_issuer(chain[len - 1], chain[len - 1]) == 0) {
		size_t k;

		for (k = 0; k < n; k++)
			if (!used[k] && gnutls_x509_crt_check_issuer(
			    chain[len - 1], certs[k]) != 0)
				break;
		if (k == n)
			break;
		used[k] = true;
		chain[len++] = certs[k];
	}
	return len;
}

/* Formats t (UTC) into buf. */
static const char *
utc(time_t t, char *buf, size_t buf_len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, buf_len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, buf_len, "(time %lld)", (long long)t);
	return buf;
}

/*
 * The signer's certificate: chains to --trust (time not considered), then
 * every certificate of the chain valid now, then the OTP signing EKU in the
 * EKU extension (interop-notes 1: msPKI-RA-Application-Policies is matched
 * against the EKU of a certificate that signed the request).
 */
static enum catool_status
check_signer_cert(const struct catool_policy *p, gnutls_x509_crt_t *certs,
    size_t n, size_t leaf, size_t i, char *why, size_t why_len)
{
	gnutls_x509_crt_t chain[CATOOL_CHAIN_MAX], crt = certs[leaf];
	char name[256], when[40], oid[CMSDER_OID_MAX];
	unsigned status = 0;
	size_t len;
	time_t t;
	bool found = false;

	subject_of(crt, name, sizeof(name));
	len = build_chain(certs, n, leaf, chain);
	if (gnutls_x509_trust_list_verify_crt2(p->trust, chain, (unsigned)len,
	    NULL, 0, GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS, &status, NULL) < 0 ||
	    status != 0) {
		gnutls_datum_t out = { NULL, 0 };

		if (status == 0 ||
		    gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &out, 0) < 0)
			out.data = NULL;
		catool_refuse(why, why_len, CATOOL_UNTRUSTED,
		    "signer %zu: certificate \"%s\" is untrusted: its chain "
		    "does not lead to a --trust certificate (%s)", i, name,
		    out.data != NULL ? (const char *)out.data : "verification failed");
		gnutls_free(out.data);
		return CATOOL_UNTRUSTED;
	}

	/* RFC 5280 4.1.2.5: valid from notBefore through notAfter. */
	if ((t = gnutls_x509_crt_get_expiration_time(crt)) == (time_t)-1 ||
	    p->now > t)
		return catool_refuse(why, why_len, CATOOL_EXPIRED,
		    "signer %zu: certificate \"%s\" expired at %s", i, name,
		    utc(t, when, sizeof(when)));
	if ((t = gnutls_x509_crt_get_activation_time(crt)) == (time_t)-1 ||
	    p->now < t)
		return catool_refuse(why, why_len, CATOOL_EXPIRED,
		    "signer %zu: certificate \"%s\" is not valid before %s", i,
		    name, utc(t, when, sizeof(when)));
	status = 0;
	if (gnutls_x509_trust_list_verify_crt2(p->trust, chain, (unsigned)len,
	    NULL, 0, 0, &status, NULL) < 0 || status != 0)
		return catool_refuse(why, why_len, CATOOL_EXPIRED,
		    "signer %zu: a certificate in the chain of \"%s\" is not "
		    "valid now", i, name);

	for (unsigned k = 0; !found; k++) {
		size_t oid_len = sizeof(oid);
		int rc = gnutls_x509_crt_get_key_purpose_oid(crt, k, oid,
		    &oid_len, NULL);

		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0)
			return catool_refuse(why, why_len, CATOOL_NO_EKU,
			    "signer %zu: certificate \"%s\": unreadable "
			    "extended key usage", i, name);
		found = strcmp(oid, p->require_eku) == 0;
	}
	if (!found)
		return catool_refuse(why, why_len, CATOOL_NO_EKU,
		    "signer %zu: certificate \"%s\" does not carry %s in its "
		    "extended key usage (CERTSRV_E_SIGNATURE_REJECTED)", i, name,
		    p->require_eku);
	return CATOOL_OK;
}

/* A real signer (registration authority), signer i (1-based), i >= 2. */
static enum catool_status
check_real_signer(const struct catool_policy *p,
    const struct cmsder_signed_request *r, gnutls_x509_crt_t *certs,
    size_t i, struct catool_verified *v, char *why, size_t why_len)
{
	const struct cmsder_signer *s = &r->signer[i - 1];
	gnutls_pubkey_t pub = NULL;
	gnutls_digest_algorithm_t d;
	gnutls_sign_algorithm_t sa;
	enum catool_status st;
	int k, pk;
	gnutls_datum_t data, sig;

	if (strcmp(s->signature_oid, OID_CMC_NO_SIGNATURE) == 0)
		return catool_refuse(why, why_len, CATOOL_NOT_SIGNED,
		    "signer %zu is another null signer: no real signature", i);
	if ((d = digest_of(s->digest_oid)) == GNUTLS_DIG_UNKNOWN)
		return catool_refuse(why, why_len, CATOOL_UNSUPPORTED_ALG,
		    "signer %zu: digest algorithm %s not accepted", i,
		    s->digest_oid);
	/* RFC 5652 5.3: signed attributes are required unless id-data. */
	if (s->signed_attrs == NULL)
		return catool_refuse(why, why_len, CATOOL_CONTENT_TYPE,
		    "signer %zu: no signed attributes", i);
	if ((k = find_signer_cert(certs, r->cert_count, s)) < 0)
		return catool_refuse(why, why_len, CATOOL_CERT_MISSING,
		    "signer %zu: its certificate is not in the request's "
		    "certificates", i);
	pk = gnutls_x509_crt_get_pk_algorithm(certs[k], NULL);
	if ((sa = signature_of(s->signature_oid, d,
	    (gnutls_pk_algorithm_t)(pk < 0 ? 0 : pk))) == GNUTLS_SIGN_UNKNOWN)
		return catool_refuse(why, why_len, CATOOL_UNSUPPORTED_ALG,
		    "signer %zu: signature algorithm %s with digest %s and a "
		    "%s key not accepted", i, s->signature_oid,
		    gnutls_digest_get_name(d),
		    gnutls_pk_get_name((gnutls_pk_algorithm_t)(pk < 0 ? 0 : pk)));

	st = catool_refuse(why, why_len, CATOOL_ISSUE_FAILED, "out of memory");
	if (gnutls_pubkey_init(&pub) < 0)
		goto cleanup;
	if (gnutls_pubkey_import_x509(pub, certs[k], 0) < 0) {
		st = catool_refuse(why, why_len, CATOOL_UNSUPPORTED_ALG,
		    "signer %zu: its certificate's public key is unreadable", i);
		goto cleanup;
	}
	data.data = s->signed_attrs;
	data.size = (unsigned)s->signed_attrs_len;
	sig.data = s->signature;
	sig.size = (unsigned)s->signature_len;
	/* SHA-1 is accepted: the MS-OTPCE 4.1 example signs with it. */
	if (gnutls_pubkey_verify_data2(pub, sa,
	    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &data, &sig) < 0) {
		st = catool_refuse(why, why_len, CATOOL_BAD_SIGNATURE,
		    "signer %zu: the signature over the signed attributes does "
		    "not verify with its certificate's key (%s)", i,
		    gnutls_sign_get_name(sa));
		goto cleanup;
	}
	if ((st = check_attributes(r, i, d, why, why_len)) != CATOOL_OK ||
	    (st = check_signer_cert(p, certs, r->cert_count, (size_t)k, i,
	    why, why_len)) != CATOOL_OK)
		goto cleanup;
	if (v->signer_dn == NULL) {
		char name[256];

		subject_of(certs[k], name, sizeof(name));
		if ((v->signer_dn = strdup(name)) == NULL) {
			st = catool_refuse(why, why_len, CATOOL_ISSUE_FAILED,
			    "out of memory");
			goto cleanup;
		}
	}
	st = CATOOL_OK;
cleanup:
	gnutls_pubkey_deinit(pub);
	return st;
}

/* --- the PKCS#10 inside -------------------------------------------------- */

enum catool_status
catool_upn(const gnutls_datum_t *ext, char **upn, char *why, size_t why_len)
{
	gnutls_subject_alt_names_t sans = NULL;
	enum catool_status st;
	unsigned found = 0;

	*upn = NULL;
	st = catool_refuse(why, why_len, CATOOL_NO_UPN,
	    "the subjectAltName holds no UPN");
	if (gnutls_subject_alt_names_init(&sans) < 0 ||
	    gnutls_x509_ext_import_subject_alt_names(ext, sans, 0) < 0) {
		st = catool_refuse(why, why_len, CATOOL_BAD_PKCS10,
		    "the subjectAltName is unreadable");
		goto cleanup;
	}
	for (unsigned k = 0;; k++) {
		gnutls_datum_t san, oid;
		unsigned type;
		const uint8_t *text;
		size_t text_len;
		int tag_len, len_len;
		unsigned char cls;
		unsigned long tag;
		long len;
		int rc = gnutls_subject_alt_names_get(sans, k, &type, &san,
		    &oid);

		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0) {
			st = catool_refuse(why, why_len, CATOOL_BAD_PKCS10,
			    "the subjectAltName is unreadable");
			goto cleanup;
		}
		if (type != GNUTLS_SAN_OTHERNAME || oid.data == NULL ||
		    strlen((const char *)oid.data) != oid.size ||
		    strcmp((const char *)oid.data, OID_MS_UPN) != 0)
			continue;
		/* The raw value: a UTF8String (tag 12). */
		if (san.size > INT_MAX ||
		    asn1_get_tag_der(san.data, (int)san.size, &cls, &tag_len,
		    &tag) != ASN1_SUCCESS || cls != ASN1_CLASS_UNIVERSAL ||
		    tag != 12 || (len = asn1_get_length_der(san.data + tag_len,
		    (int)san.size - tag_len, &len_len)) <= 0 ||
		    (size_t)tag_len + (size_t)len_len + (size_t)len !=
		    san.size) {
			st = catool_refuse(why, why_len, CATOOL_NO_UPN,
			    "the UPN is not a non-empty UTF8String");
			goto cleanup;
		}
		text = san.data + tag_len + len_len;
		text_len = (size_t)len;
		if (memchr(text, '\0', text_len) != NULL) {
			st = catool_refuse(why, why_len, CATOOL_NO_UPN,
			    "the UPN holds a NUL byte");
			goto cleanup;
		}
		if (++found > 1) {
			st = catool_refuse(why, why_len, CATOOL_NO_UPN,
			    "more than one UPN");
			goto cleanup;
		}
		if ((*upn = strndup((const char *)text, text_len)) == NULL) {
			st = catool_refuse(why, why_len, CATOOL_ISSUE_FAILED,
			    "out of memory");
			goto cleanup;
		}
	}
	if (found == 1)
		st = CATOOL_OK;
cleanup:
	if (st != CATOOL_OK) {
		free(*upn);
		*upn = NULL;
	}
	gnutls_subject_alt_names_deinit(sans);
	return st;
}

/* The request's one UPN (issue 6: "UPN copied"), into *upn. */
static enum catool_status
read_upn(gnutls_x509_crq_t crq, char **upn, char *why, size_t why_len)
{
	gnutls_datum_t ext = { NULL, 0 };
	enum catool_status st;
	unsigned crit = 0;
	char inner[256];

	*upn = NULL;
	if (gnutls_x509_crq_get_extension_by_oid2(crq, "2.5.29.17", 0, &ext,
	    &crit) < 0)
		return catool_refuse(why, why_len, CATOOL_NO_UPN,
		    "the PKCS#10 has no subjectAltName, so no UPN");
	if ((st = catool_upn(&ext, upn, inner, sizeof(inner))) != CATOOL_OK)
		catool_refuse(why, why_len, st, "the PKCS#10: %s", inner);
	gnutls_free(ext.data);
	return st;
}

/*
 * The request's template extension oid, decoded into *value (a new string),
 * or *value NULL when absent. A second copy is a conflict: the CA could read
 * either. CATOOL_OK, or a refusal in why.
 */
static enum catool_status
read_template_ext(gnutls_x509_crq_t crq, const char *oid, char **value,
    char *why, size_t why_len)
{
	gnutls_datum_t ext = { NULL, 0 };
	enum msext_result mr;
	unsigned crit = 0;
	long major, minor;

	*value = NULL;
	if (gnutls_x509_crq_get_extension_by_oid2(crq, oid, 0, &ext, &crit) < 0)
		return CATOOL_OK;
	if (gnutls_x509_crq_get_extension_by_oid2(crq, oid, 1, &ext, &crit) >= 0) {
		gnutls_free(ext.data);
		return catool_refuse(why, why_len, CATOOL_TEMPLATE_CONFLICT,
		    "CERTSRV_E_TEMPLATE_CONFLICT (0x80094802): extension %s "
		    "appears twice", oid);
	}
	if (strcmp(oid, OID_MS_TEMPLATE_V2) == 0)
		mr = msext_template_v2_decode(ext.data, ext.size, value, &major,
		    &minor);
	else
		mr = msext_template_name_decode(ext.data, ext.size, value);
	gnutls_free(ext.data);
	if (mr != MSEXT_OK)
		return catool_refuse(why, why_len, CATOOL_BAD_PKCS10,
		    "the template extension %s is malformed", oid);
	return CATOOL_OK;
}

/*
 * The templates the request names, against --template (MS-WCCE 3.2.2.6.2.1.4.4
 * and the CA's errors, MS-WCCE 2.2.2.5): at least one extension; each names
 * a template this CA issues; the OID and the name, when both are there, name
 * the same one.
 */
static enum catool_status
check_templates(const struct catool_policy *p, gnutls_x509_crq_t crq,
    char *why, size_t why_len)
{
	char *oid = NULL, *name = NULL, esc[128];
	enum catool_status st;
	size_t i, by_oid = SIZE_MAX, by_name = SIZE_MAX;

	if (p->template_count == 0)
		return CATOOL_OK;
	if ((st = read_template_ext(crq, OID_MS_TEMPLATE_V2, &oid, why,
	    why_len)) != CATOOL_OK ||
	    (st = read_template_ext(crq, OID_MS_TEMPLATE_NAME, &name, why,
	    why_len)) != CATOOL_OK)
		goto cleanup;
	if (oid == NULL && name == NULL) {
		st = catool_refuse(why, why_len, CATOOL_NO_TEMPLATE,
		    "CERTSRV_E_NO_CERT_TYPE (0x80094801): the request names no "
		    "certificate template");
		goto cleanup;
	}
	for (i = 0; i < p->template_count; i++) {
		if (oid != NULL && p->templates[i].oid != NULL &&
		    strcmp(oid, p->templates[i].oid) == 0)
			by_oid = i;
		if (name != NULL && p->templates[i].name != NULL &&
		    utf8_caseless_eq(name, p->templates[i].name))
			by_name = i;
	}
	st = CATOOL_TEMPLATE_UNSUPPORTED;
	if (oid != NULL && by_oid == SIZE_MAX) {
		catool_refuse(why, why_len, st, "CERTSRV_E_UNSUPPORTED_CERT_TYPE "
		    "(0x80094800): template %s is not one this CA issues "
		    "(--template)", log_escape(esc, sizeof(esc), oid, strlen(oid)));
		goto cleanup;
	}
	if (name != NULL && by_name == SIZE_MAX) {
		catool_refuse(why, why_len, st, "CERTSRV_E_UNSUPPORTED_CERT_TYPE "
		    "(0x80094800): template \"%s\" is not one this CA issues "
		    "(--template)", log_escape(esc, sizeof(esc), name,
		    strlen(name)));
		goto cleanup;
	}
	if (oid != NULL && name != NULL && by_oid != by_name) {
		st = catool_refuse(why, why_len, CATOOL_TEMPLATE_CONFLICT,
		    "CERTSRV_E_TEMPLATE_CONFLICT (0x80094802): the template OID "
		    "%s and the name \"%s\" are two templates", oid,
		    log_escape(esc, sizeof(esc), name, strlen(name)));
		goto cleanup;
	}
	st = CATOOL_OK;
cleanup:
	free(oid);
	free(name);
	return st;
}

/* The PKCS#10 keeps its proof-of-possession signature (MS-WCCE 2.2.2.6.5). */
static enum catool_status
check_pkcs10(const struct catool_policy *p, const struct cmsder_signed_request *r,
    struct catool_verified *v, char *why, size_t why_len)
{
	struct audit a;
	enum catool_status st;
	gnutls_datum_t der;
	int rc;

	if (r->pkcs10_len > UINT_MAX)
		return catool_refuse(why, why_len, CATOOL_BAD_PKCS10,
		    "the PKCS#10 is too large");
	der.data = r->pkcs10;
	der.size = (unsigned)r->pkcs10_len;
	if (gnutls_x509_crq_init(&v->crq) < 0)
		return catool_refuse(why, why_len, CATOOL_ISSUE_FAILED,
		    "out of memory");
	if ((rc = gnutls_x509_crq_import(v->crq, &der, GNUTLS_X509_FMT_DER)) <
	    0)
		return catool_refuse(why, why_len, CATOOL_BAD_PKCS10,
		    "the request inside is not a PKCS#10 (%s)",
		    gnutls_strerror(rc));
	/* Issue 15 item 8: the responder's key rules, before the signature. */
	memset(&a, 0, sizeof(a));
	switch (csr_check_key(CATOOL_MIN_RSA_BITS, v->crq, &a)) {
	case CSR_OK:
		break;
	case CSR_NOMEM:
		return catool_refuse(why, why_len, CATOOL_ISSUE_FAILED,
		    "out of memory");
	default:
		return catool_refuse(why, why_len, CATOOL_WEAK_KEY,
		    "NTE_BAD_PUBLIC_KEY (0x80090015): the PKCS#10's key: %s",
		    strncmp(a.reason, "step 1: ", 8) == 0 ? a.reason + 8 :
		    a.reason);
	}
	if ((rc = gnutls_x509_crq_verify(v->crq,
	    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1)) < 0)
		return catool_refuse(why, why_len, CATOOL_BAD_PKCS10,
		    "the PKCS#10's own signature does not verify (%s)",
		    gnutls_strerror(rc));
	if ((st = check_templates(p, v->crq, why, why_len)) != CATOOL_OK)
		return st;
	return read_upn(v->crq, &v->upn, why, why_len);
}

/* --- all of it ----------------------------------------------------------- */

enum catool_status
catool_verify(const struct catool_policy *p, const uint8_t *der,
    size_t der_len, struct catool_verified *v, char *why, size_t why_len)
{
	struct cmsder_signed_request r;
	gnutls_x509_crt_t *certs = NULL;
	enum cmsder_result cr;
	enum catool_status st;
	size_t ncerts = 0;

	memset(v, 0, sizeof(*v));
	if ((cr = cmsder_parse_signed_cert_request(der, der_len, &r)) !=
	    CMSDER_OK)
		return diagnose(der, der_len, cr, why, why_len);

	/* MS-WCCE 3.2.1.4.2.1.4.1.3: must be signed (CRYPT_E_NO_SIGNER). */
	if (r.signer_count < 2) {
		st = catool_refuse(why, why_len, CATOOL_NOT_SIGNED,
		    r.signer_count == 0 ? "no signer at all: not signed" :
		    "only one signer: not signed by a registration authority "
		    "(CRYPT_E_NO_SIGNER)");
		goto cleanup;
	}
	if ((st = check_null_signer(&r, why, why_len)) != CATOOL_OK)
		goto cleanup;

	if (r.cert_count > CATOOL_CERTS_MAX) {
		st = catool_refuse(why, why_len, CATOOL_MALFORMED,
		    "%zu certificates in the request: more than %d",
		    r.cert_count, CATOOL_CERTS_MAX);
		goto cleanup;
	}
	st = catool_refuse(why, why_len, CATOOL_ISSUE_FAILED, "out of memory");
	if (r.cert_count > 0 &&
	    (certs = calloc(r.cert_count, sizeof(*certs))) == NULL)
		goto cleanup;
	for (; ncerts < r.cert_count; ncerts++) {
		gnutls_datum_t d = { r.cert[ncerts], (unsigned)r.cert_len[ncerts] };

		if (gnutls_x509_crt_init(&certs[ncerts]) < 0)
			goto cleanup;
		if (r.cert_len[ncerts] > UINT_MAX ||
		    gnutls_x509_crt_import(certs[ncerts], &d,
		    GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(certs[ncerts]);
			st = catool_refuse(why, why_len, CATOOL_MALFORMED,
			    "certificate %zu of the request is not an X.509 "
			    "certificate", ncerts + 1);
			goto cleanup;
		}
	}
	for (size_t i = 2; i <= r.signer_count; i++) {
		if ((st = check_real_signer(p, &r, certs, i, v, why,
		    why_len)) != CATOOL_OK)
			goto cleanup;
		v->signers++;
	}
	st = check_pkcs10(p, &r, v, why, why_len);
cleanup:
	for (size_t k = 0; k < ncerts; k++)
		gnutls_x509_crt_deinit(certs[k]);
	free(certs);
	cmsder_signed_request_free(&r);
	if (st != CATOOL_OK)
		catool_verified_free(v);
	return st;
}

void
catool_verified_free(struct catool_verified *v)
{
	if (v->crq != NULL)
		gnutls_x509_crq_deinit(v->crq);
	free(v->upn);
	free(v->signer_dn);
	memset(v, 0, sizeof(*v));
}
