/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * MS-OTPCE 3.2.5.1 step 1: the client's PKCS#10 request (RFC 2986), with
 * GnuTLS. csr_parse() decodes everything and checks what needs no directory
 * (signature, key, template); csr_match_user() checks every name in the
 * request against the directory entry of step 2. docs/protocol.md, "Step 1",
 * gives the reasons for each rule.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>
#include <nettle/ecc.h>
#include <nettle/ecc-curve.h>

#include "audit.h"
#include "config.h"
#include "csr.h"
#include "csr_dn.h"
#include "dir.h"
#include "log.h"
#include "msext.h"
#include "utf8.h"

#define OID_EXTENSION_REQUEST	"1.2.840.113549.1.9.14"	/* RFC 2985 5.4.2 */
#define OID_SAN			"2.5.29.17"		/* RFC 5280 4.2.1.6 */

/* Larger RSA keys make one signature check cost seconds. */
#define CSR_MAX_RSA_BITS	16384

/*
 * libtasn1 finds the n-th extension or attribute by walking the n before it,
 * so many tiny ones would cost quadratic time before anyone has
 * authenticated. A Windows request has 6 extensions and 4 attributes.
 */
#define CSR_MAX_EXTENSIONS	32
#define CSR_MAX_ATTRIBUTES	16
#define CSR_OID_MAX		128
/* An attribute value's first read buffer: a Windows extensionRequest has ~400 bytes. */
#define CSR_ATTR_GUESS		1024

struct csr {
	struct dir_dn subject;		/* without its emailAddress AVAs */
	struct csr_strs emails;		/* subject emailAddress and SAN rfc822Name */
	struct csr_strs upns;		/* SAN otherName UPN */
	struct dir_dn *san_dn;		/* SAN directoryName */
	size_t san_dn_n;
	char *san_other;		/* first SAN entry of another kind */
	struct msext_client_info client_info;
	bool has_client_info;
	char *template_oid;		/* 1.3.6.1.4.1.311.21.7, or NULL */
	char *template_name;		/* 1.3.6.1.4.1.311.20.2, or NULL */
};

const char *
csr_strerror(enum csr_result r)
{
	switch (r) {
	case CSR_OK:
		return "ok";
	case CSR_MALFORMED:
		return "not a well-formed PKCS#10 request";
	case CSR_BAD_SIGNATURE:
		return "the request's self-signature does not verify";
	case CSR_WEAK_ALGORITHM:
		return "signature algorithm not allowed";
	case CSR_WEAK_KEY:
		return "key too small or of a kind not allowed";
	case CSR_NO_TEMPLATE:
		return "the request names no certificate template";
	case CSR_WRONG_TEMPLATE:
		return "the request names another certificate template";
	case CSR_NAMES_NOBODY:
		return "the request names no user";
	case CSR_NAME_MISMATCH:
		return "a name in the request is not the requesting user";
	case CSR_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

/* ---- the request ---- */

bool
csr_is_oid(const char *s)
{
	bool digit = false;

	for (; *s != '\0'; s++) {
		if (csr_is_digit(*s))
			digit = true;
		else if (*s == '.' && digit)
			digit = false;
		else
			return false;
	}
	return digit;
}

void
csr_free(struct csr *csr)
{
	size_t i;

	if (csr == NULL)
		return;
	csr_dn_free(&csr->subject);
	csr_strs_free(&csr->emails);
	csr_strs_free(&csr->upns);
	for (i = 0; i < csr->san_dn_n; i++)
		csr_dn_free(&csr->san_dn[i]);
	free(csr->san_dn);
	free(csr->san_other);
	msext_client_info_free(&csr->client_info);
	free(csr->template_oid);
	free(csr->template_name);
	free(csr);
}

/* RFC 5280 4.2.1.6: reads the SAN extension into csr's name lists. */
static enum csr_result
csr_read_san(struct csr *csr, const gnutls_datum_t *ext, struct audit *a)
{
	gnutls_subject_alt_names_t sans = NULL;
	gnutls_datum_t san, other_oid, virt = { NULL, 0 }, str = { NULL, 0 };
	unsigned i, type, vtype;
	enum csr_result ret = CSR_MALFORMED;
	void *grow;
	int rc;

	if (gnutls_subject_alt_names_init(&sans) < 0)
		return CSR_NOMEM;
	if (gnutls_x509_ext_import_subject_alt_names(ext, sans, 0) < 0) {
		audit_reason(a, "step 1: subject alternative name is malformed");
		goto cleanup;
	}
	for (i = 0; ; i++) {
		rc = gnutls_subject_alt_names_get(sans, i, &type, &san, &other_oid);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0) {
			audit_reason(a, "step 1: subject alternative name is malformed");
			goto cleanup;
		}
		if (type == GNUTLS_SAN_OTHERNAME &&
		    strlen((const char *)other_oid.data) == other_oid.size &&
		    strcmp((const char *)other_oid.data, OID_MS_UPN) == 0) {
			if (gnutls_x509_othername_to_virtual(OID_MS_UPN, &san,
			    &vtype, &virt) < 0 ||
			    vtype != GNUTLS_SAN_OTHERNAME_MSUSERPRINCIPAL ||
			    strlen((const char *)virt.data) != virt.size) {
				audit_reason(a, "step 1: UPN in the request is malformed");
				goto cleanup;
			}
			if (!csr_strs_add(&csr->upns, (const char *)virt.data,
			    virt.size)) {
				ret = CSR_NOMEM;
				goto cleanup;
			}
			gnutls_free(virt.data);
			virt.data = NULL;
		} else if (type == GNUTLS_SAN_RFC822NAME) {
			if (memchr(san.data, '\0', san.size) != NULL) {
				audit_reason(a, "step 1: e-mail name in the request is malformed");
				goto cleanup;
			}
			if (!csr_strs_add(&csr->emails, (const char *)san.data,
			    san.size)) {
				ret = CSR_NOMEM;
				goto cleanup;
			}
		} else if (type == GNUTLS_SAN_DN) {
			/* GnuTLS gives a directoryName as its RFC 4514 string */
			if (memchr(san.data, '\0', san.size) != NULL) {
				audit_reason(a, "step 1: directory name in the request is malformed");
				goto cleanup;
			}
			if ((str.data = gnutls_malloc(san.size + 1)) == NULL) {
				ret = CSR_NOMEM;
				goto cleanup;
			}
			memcpy(str.data, san.data, san.size);
			str.data[san.size] = '\0';
			if ((grow = realloc(csr->san_dn, (csr->san_dn_n + 1) *
			    sizeof(*csr->san_dn))) == NULL) {
				ret = CSR_NOMEM;
				goto cleanup;
			}
			csr->san_dn = grow;
			if ((ret = csr_dn_parse((const char *)str.data,
			    &csr->san_dn[csr->san_dn_n])) != CSR_OK) {
				if (ret == CSR_MALFORMED)
					audit_reason(a, "step 1: directory name in the request is malformed");
				goto cleanup;
			}
			csr->san_dn_n++;
			ret = CSR_MALFORMED;
			gnutls_free(str.data);
			str.data = NULL;
		} else if (csr->san_other == NULL) {
			char what[64];

			if (type == GNUTLS_SAN_OTHERNAME)
				log_escape(what, sizeof(what), other_oid.data,
				    other_oid.size);
			else
				snprintf(what, sizeof(what), "type %u", type);
			if ((csr->san_other = strdup(what)) == NULL) {
				ret = CSR_NOMEM;
				goto cleanup;
			}
		}
	}
	ret = CSR_OK;
cleanup:
	gnutls_free(virt.data);
	gnutls_free(str.data);
	gnutls_subject_alt_names_deinit(sans);
	return ret;
}

/*
 * Notes oid as the i-th extension or attribute (kind) of at most max. Each
 * may appear once: a duplicate could make the CA read another value than
 * this check did. CSR_MALFORMED, and why in a, for too many or a repeat.
 */
static enum csr_result
csr_note_once(char (*seen)[CSR_OID_MAX], unsigned i, unsigned max,
    const char *oid, const char *kind, struct audit *a)
{
	unsigned j;

	if (i == max) {
		audit_reason(a, "step 1: more than %u %ss", max, kind);
		return CSR_MALFORMED;
	}
	for (j = 0; j < i; j++) {
		if (strcmp(seen[j], oid) == 0) {
			audit_reason(a, "step 1: %s %s appears twice", kind, oid);
			return CSR_MALFORMED;
		}
	}
	snprintf(seen[i], CSR_OID_MAX, "%s", oid);
	return CSR_OK;
}

/*
 * Reads the extensions the policy needs from the extensionRequest attribute's
 * DER (RFC 2985 5.4.2), decoded once: the two template extensions and the
 * SAN. Each may appear once (RFC 5280 4.2); a duplicate could make the CA
 * read another value than this check did.
 */
static enum csr_result
csr_read_extensions(struct csr *csr, const uint8_t *der, size_t der_len,
    struct audit *a)
{
	char seen[CSR_MAX_EXTENSIONS][CSR_OID_MAX];
	struct msext_extensions exts = { NULL, 0, false };
	const struct msext_extension *x;
	gnutls_datum_t data;
	enum csr_result ret = CSR_MALFORMED;
	long major, minor;
	unsigned i;

	if (der == NULL)
		return CSR_OK;		/* no extensionRequest: no extensions */
	switch (msext_extensions_decode(der, der_len, CSR_MAX_EXTENSIONS,
	    &exts)) {
	case MSEXT_OK:
		break;
	case MSEXT_NOMEM:
		return CSR_NOMEM;
	default:
		audit_reason(a, "step 1: request extensions are malformed");
		return CSR_MALFORMED;
	}
	for (i = 0; i < exts.n; i++) {
		x = &exts.v[i];
		if (csr_note_once(seen, i, CSR_MAX_EXTENSIONS, x->oid,
		    "extension", a) != CSR_OK)
			goto cleanup;
		if (strcmp(x->oid, OID_MS_TEMPLATE_V2) == 0) {
			/* MS-WCCE 2.2.2.7.7.2 */
			switch (msext_template_v2_decode(x->value, x->value_len,
			    &csr->template_oid, &major, &minor)) {
			case MSEXT_OK:
				break;
			case MSEXT_NOMEM:
				ret = CSR_NOMEM;
				goto cleanup;
			default:
				audit_reason(a, "step 1: template extension (OID) is malformed");
				goto cleanup;
			}
		} else if (strcmp(x->oid, OID_MS_TEMPLATE_NAME) == 0) {
			/* MS-WCCE 2.2.2.7.7.1 */
			switch (msext_template_name_decode(x->value, x->value_len,
			    &csr->template_name)) {
			case MSEXT_OK:
				break;
			case MSEXT_NOMEM:
				ret = CSR_NOMEM;
				goto cleanup;
			default:
				audit_reason(a, "step 1: template extension (name) is malformed");
				goto cleanup;
			}
		} else if (strcmp(x->oid, OID_SAN) == 0) {
			if (x->value_len > UINT32_MAX) {
				audit_reason(a, "step 1: extension %s is malformed", x->oid);
				goto cleanup;
			}
			data.data = x->value;
			data.size = (unsigned)x->value_len;
			if ((ret = csr_read_san(csr, &data, a)) != CSR_OK)
				goto cleanup;
			ret = CSR_MALFORMED;
		}
	}
	if (exts.more) {
		audit_reason(a, "step 1: more than %u extensions", CSR_MAX_EXTENSIONS);
		goto cleanup;
	}
	ret = CSR_OK;
cleanup:
	msext_extensions_free(&exts);
	return ret;
}

/*
 * Reads the attributes: each type at most once (RFC 2986 leaves it open;
 * two would let the CA and this check read different ones), extensionRequest
 * and ClientInfo single-valued, ClientInfo decoded (MS-WCCE 2.2.2.7.4).
 * The extensionRequest's DER, if there is one, goes to *ext (a new
 * allocation for free(), read once for csr_read_extensions()).
 */
static enum csr_result
csr_read_attributes(struct csr *csr, gnutls_x509_crq_t crq, uint8_t **ext,
    size_t *ext_len, struct audit *a)
{
	char oid[CSR_OID_MAX], seen[CSR_MAX_ATTRIBUTES][CSR_OID_MAX];
	size_t oid_len, der_len;
	uint8_t *der = NULL;
	unsigned i;
	enum csr_result ret = CSR_MALFORMED;
	bool is_ext;
	int rc;

	for (i = 0; ; i++) {
		oid_len = sizeof(oid);
		rc = gnutls_x509_crq_get_attribute_info(crq, i, oid, &oid_len);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0) {
			audit_reason(a, "step 1: request attributes are malformed");
			return CSR_MALFORMED;
		}
		if (csr_note_once(seen, i, CSR_MAX_ATTRIBUTES, oid, "attribute",
		    a) != CSR_OK)
			return CSR_MALFORMED;
		if (strcmp(oid, OID_MS_CLIENT_INFO) != 0 &&
		    strcmp(oid, OID_EXTENSION_REQUEST) != 0)
			continue;
		/* a second value is there when GnuTLS can read it */
		der_len = 0;
		rc = gnutls_x509_crq_get_attribute_by_oid(crq, oid, 1, NULL,
		    &der_len);
		if (rc == 0 || rc == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			audit_reason(a, "step 1: attribute %s has several values", oid);
			return CSR_MALFORMED;
		}
		is_ext = strcmp(oid, OID_EXTENSION_REQUEST) == 0;
		/* one read when the value fits CSR_ATTR_GUESS (each read costs) */
		if ((der = malloc(CSR_ATTR_GUESS)) == NULL)
			return CSR_NOMEM;
		der_len = CSR_ATTR_GUESS;
		rc = gnutls_x509_crq_get_attribute_by_oid(crq, oid, 0, der, &der_len);
		if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER && der_len > CSR_ATTR_GUESS) {
			free(der);
			if ((der = malloc(der_len)) == NULL)
				return CSR_NOMEM;
			rc = gnutls_x509_crq_get_attribute_by_oid(crq, oid, 0, der,
			    &der_len);
		}
		if (rc < 0 || der_len == 0) {
			audit_reason(a, "step 1: %s attribute is malformed",
			    is_ext ? "extensionRequest" : "ClientInfo");
			goto cleanup;
		}
		if (is_ext) {
			/* RFC 2985 5.4.2; at most once (csr_note_once above) */
			*ext = der;
			*ext_len = der_len;
			der = NULL;
			continue;
		}
		switch (msext_client_info_decode(der, der_len, &csr->client_info)) {
		case MSEXT_OK:
			csr->has_client_info = true;
			break;
		case MSEXT_NOMEM:
			ret = CSR_NOMEM;
			goto cleanup;
		default:
			audit_reason(a, "step 1: ClientInfo attribute is malformed");
			goto cleanup;
		}
		free(der);
		der = NULL;
	}
	ret = CSR_OK;
cleanup:
	free(der);
	return ret;
}

/* out (initialised) set to the unsigned big-endian n. */
static void
csr_mpz(mpz_t out, const gnutls_datum_t *n)
{
	mpz_import(out, n->size, 1, 1, 1, 0, n->data);
}

/*
 * RSA (RFC 8017 3.1; issue 15 item 8): the modulus of an allowed size, odd
 * (a product of two odd primes); the public exponent odd, at least 65537
 * (exponent 1 makes the "signature" the padded hash itself, needing no
 * private key; 3 invites Bleichenbacher's 2006 forgeries on lax verifiers)
 * and below 2^256 (NIST SP 800-56B 6.2.1, FIPS 186-5 A.1.1).
 */
static enum csr_result
csr_check_rsa(unsigned min_bits, unsigned bits, const gnutls_datum_t *m,
    const gnutls_datum_t *e, struct audit *a)
{
	mpz_t n, x;
	enum csr_result ret = CSR_WEAK_KEY;

	mpz_init(n);
	mpz_init(x);
	csr_mpz(n, m);
	csr_mpz(x, e);
	if (bits < min_bits) {
		audit_reason(a, "step 1: RSA key of %u bits, %u required", bits,
		    min_bits);
	} else if (bits > CSR_MAX_RSA_BITS || bits % 8 != 0 ||
	    mpz_sizeinbase(n, 2) != bits) {
		/* Windows' key storage providers make RSA keys in 8-bit steps */
		audit_reason(a, "step 1: RSA modulus of %u bits: not a size allowed "
		    "(a multiple of 8 from %u to %u)", bits, min_bits,
		    CSR_MAX_RSA_BITS);
	} else if (mpz_even_p(n)) {
		audit_reason(a, "step 1: RSA modulus is even");
	} else if (mpz_even_p(x)) {
		audit_reason(a, "step 1: RSA public exponent is even");
	} else if (mpz_cmp_ui(x, 65537) < 0) {
		audit_reason(a, "step 1: RSA public exponent %lu is below 65537",
		    mpz_get_ui(x));
	} else if (mpz_sizeinbase(x, 2) > 256 || mpz_cmp(x, n) >= 0) {
		audit_reason(a, "step 1: RSA public exponent is not below 2^256");
	} else {
		ret = CSR_OK;
	}
	mpz_clear(n);
	mpz_clear(x);
	return ret;
}

/*
 * EC (SEC 1 3.2.2.1; issue 15 item 8): the point lies on its curve and is
 * not the point at infinity. nettle's ecc_point_set() checks that both
 * coordinates are below p and that y^2 = x^3 - 3x + b; the point at
 * infinity has no affine coordinates and fails it too.
 */
static bool
csr_ec_point_valid(gnutls_ecc_curve_t curve, const gnutls_datum_t *xd,
    const gnutls_datum_t *yd)
{
	const struct ecc_curve *ec;
	struct ecc_point p;
	mpz_t x, y;
	bool ok;

	switch (curve) {
	case GNUTLS_ECC_CURVE_SECP256R1: ec = nettle_get_secp_256r1(); break;
	case GNUTLS_ECC_CURVE_SECP384R1: ec = nettle_get_secp_384r1(); break;
	case GNUTLS_ECC_CURVE_SECP521R1: ec = nettle_get_secp_521r1(); break;
	default: return false;
	}
	mpz_init(x);
	mpz_init(y);
	csr_mpz(x, xd);
	csr_mpz(y, yd);
	ecc_point_init(&p, ec);
	ok = ecc_point_set(&p, x, y) == 1;
	ecc_point_clear(&p);
	mpz_clear(x);
	mpz_clear(y);
	return ok;
}

enum csr_result
csr_check_key(unsigned min_rsa_bits, gnutls_x509_crq_t crq, struct audit *a)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t m = { NULL, 0 }, e = { NULL, 0 };
	gnutls_ecc_curve_t curve;
	enum csr_result ret = CSR_WEAK_KEY;
	unsigned bits = 0;
	int pk;

	pk = gnutls_x509_crq_get_pk_algorithm(crq, &bits);
	switch (pk) {
	case GNUTLS_PK_RSA:
	case GNUTLS_PK_RSA_PSS:
		if (bits > CSR_MAX_RSA_BITS) {
			/* before reading it: a huge modulus costs time */
			audit_reason(a, "step 1: RSA key of %u bits is too large", bits);
			return CSR_WEAK_KEY;
		}
		if (gnutls_x509_crq_get_key_rsa_raw(crq, &m, &e) < 0) {
			audit_reason(a, "step 1: RSA key is malformed");
			return CSR_MALFORMED;
		}
		ret = csr_check_rsa(min_rsa_bits, bits, &m, &e, a);
		goto cleanup;
	case GNUTLS_PK_ECDSA:
		if (gnutls_pubkey_init(&pub) < 0)
			return CSR_NOMEM;
		if (gnutls_pubkey_import_x509_crq(pub, crq, 0) < 0 ||
		    gnutls_pubkey_export_ecc_raw2(pub, &curve, &m, &e, 0) < 0) {
			/* GnuTLS refuses curves it does not know */
			audit_reason(a, "step 1: EC key on an unknown curve or malformed");
			goto cleanup;
		}
		if (curve != GNUTLS_ECC_CURVE_SECP256R1 &&
		    curve != GNUTLS_ECC_CURVE_SECP384R1 &&
		    curve != GNUTLS_ECC_CURVE_SECP521R1) {
			audit_reason(a, "step 1: EC curve %s not allowed",
			    gnutls_ecc_curve_get_name(curve) ?
			    gnutls_ecc_curve_get_name(curve) : "(unknown)");
			goto cleanup;
		}
		if (!csr_ec_point_valid(curve, &m, &e)) {
			audit_reason(a, "step 1: EC public key is not a point of %s",
			    gnutls_ecc_curve_get_name(curve));
			goto cleanup;
		}
		ret = CSR_OK;
		goto cleanup;
	default:
		audit_reason(a, "step 1: key algorithm %s not allowed",
		    pk >= 0 && gnutls_pk_get_name(pk) ? gnutls_pk_get_name(pk) :
		    "(unknown)");
		return CSR_WEAK_KEY;
	}
cleanup:
	gnutls_free(m.data);
	gnutls_free(e.data);
	gnutls_pubkey_deinit(pub);
	return ret;
}

/* RFC 2986 4.2: the self-signature, with an allowed hash. */
static enum csr_result
csr_check_signature(const struct config *cfg, gnutls_x509_crq_t crq,
    struct audit *a)
{
	int sign, rc;
	gnutls_digest_algorithm_t hash;

	sign = gnutls_x509_crq_get_signature_algorithm(crq);
	if (sign <= 0) {
		audit_reason(a, "step 1: signature algorithm not recognised");
		return CSR_WEAK_ALGORITHM;
	}
	hash = gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)sign);
	switch (hash) {
	case GNUTLS_DIG_SHA1:
		/* Windows 7-era clients sign with sha1WithRSA (example 4.1) */
		if (!cfg->allow_sha1_csr) {
			audit_reason(a, "step 1: SHA-1 signature and allow_sha1_csr = no");
			return CSR_WEAK_ALGORITHM;
		}
		break;
	case GNUTLS_DIG_SHA224:
	case GNUTLS_DIG_SHA256:
	case GNUTLS_DIG_SHA384:
	case GNUTLS_DIG_SHA512:
	case GNUTLS_DIG_SHA3_224:
	case GNUTLS_DIG_SHA3_256:
	case GNUTLS_DIG_SHA3_384:
	case GNUTLS_DIG_SHA3_512:
		break;
	default:
		audit_reason(a, "step 1: signature algorithm %s not allowed",
		    gnutls_sign_get_name((gnutls_sign_algorithm_t)sign) ?
		    gnutls_sign_get_name((gnutls_sign_algorithm_t)sign) : "(unknown)");
		return CSR_WEAK_ALGORITHM;
	}
	rc = gnutls_x509_crq_verify(crq, cfg->allow_sha1_csr ?
	    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 : 0);
	if (rc < 0) {
		audit_reason(a, "step 1: self-signature does not verify (%s)",
		    gnutls_strerror(rc));
		return CSR_BAD_SIGNATURE;
	}
	return CSR_OK;
}

/*
 * MS-OTPCE 3.2.5.1 step 1: the template MUST be named and "MUST be the one
 * that is configured". Every template extension the request carries must
 * name it (a CA refuses a request whose two extensions disagree,
 * CERTSRV_E_TEMPLATE_CONFLICT), and there must be at least one.
 */
static enum csr_result
csr_check_template(const struct csr_template *t, const struct csr *csr,
    struct audit *a)
{
	char esc[96];

	if (t->oid == NULL && t->name == NULL) {
		log_err("step 1: 'template' is not configured");
		audit_reason(a, "step 1: no template configured");
		return CSR_WRONG_TEMPLATE;
	}
	if ((csr->template_oid == NULL || csr->template_oid[0] == '\0') &&
	    (csr->template_name == NULL || csr->template_name[0] == '\0')) {
		audit_reason(a, "step 1: the request names no template");
		return CSR_NO_TEMPLATE;
	}
	if (csr->template_oid != NULL) {
		log_escape(esc, sizeof(esc), csr->template_oid,
		    strlen(csr->template_oid));
		if (t->oid == NULL) {
			audit_reason(a, "step 1: template %s given by OID, but the configured name %s was not resolved to an OID", esc, t->name);
			return CSR_WRONG_TEMPLATE;
		}
		if (strcmp(csr->template_oid, t->oid) != 0) {
			audit_reason(a, "step 1: template %s is not the configured one", esc);
			return CSR_WRONG_TEMPLATE;
		}
	}
	if (csr->template_name != NULL) {
		log_escape(esc, sizeof(esc), csr->template_name,
		    strlen(csr->template_name));
		if (t->name == NULL) {
			audit_reason(a, "step 1: template named \"%s\", but only an OID is configured (give the name, resolved from the directory)", esc);
			return CSR_WRONG_TEMPLATE;
		}
		/* template names are matched as AD matches cn: ignoring case */
		if (!utf8_caseless_eq(csr->template_name, t->name)) {
			audit_reason(a, "step 1: template \"%s\" is not the configured one", esc);
			return CSR_WRONG_TEMPLATE;
		}
	}
	return CSR_OK;
}

/*
 * Reads the identifier and length octets of the DER element at der (X.690
 * 8.1.2-8.1.3: one-octet tag, definite length in minimal form, at most 4
 * length octets): its tag, header size and contents length, which fit in
 * der_len. False when they do not.
 */
static bool
csr_der_head(const uint8_t *der, size_t der_len, uint8_t *tag, size_t *hdr,
    size_t *len)
{
	size_t i, n;

	if (der_len < 2 || (der[0] & 0x1f) == 0x1f)
		return false;
	*tag = der[0];
	if (der[1] < 0x80) {
		*len = der[1];
		*hdr = 2;
	} else {
		n = der[1] & 0x7f;
		if (n == 0 || n > 4 || der_len < 2 + n || der[2] == 0)
			return false;
		for (*len = 0, i = 0; i < n; i++)
			*len = *len << 8 | der[2 + i];
		if (*len < 0x80)
			return false;
		*hdr = 2 + n;
	}
	return *len <= der_len - *hdr;
}

/*
 * True when der is exactly one DER SEQUENCE (X.690 8.1.3, definite length,
 * minimal length octets). GnuTLS alone accepts some truncated inputs.
 */
static bool
csr_one_sequence(const uint8_t *der, size_t der_len)
{
	uint8_t tag;
	size_t hdr, len;

	return csr_der_head(der, der_len, &tag, &hdr, &len) && tag == 0x30 &&
	    len == der_len - hdr;
}

/*
 * The subjectPKInfo element of the PKCS#10 DER (RFC 2986 4.1:
 * CertificationRequest { certificationRequestInfo { version, subject,
 * subjectPKInfo, ... }, ... }), for the audit line's key hash. Called after
 * GnuTLS imported der, so a failure only leaves the field empty.
 */
static bool
csr_spki(const uint8_t *der, size_t der_len, const uint8_t **spki,
    size_t *spki_len)
{
	uint8_t tag;
	size_t hdr, len, i;

	/* into CertificationRequest, then certificationRequestInfo */
	for (i = 0; i < 2; i++) {
		if (!csr_der_head(der, der_len, &tag, &hdr, &len) || tag != 0x30)
			return false;
		der += hdr;
		der_len = len;
	}
	/* over version (INTEGER) and subject (SEQUENCE) */
	for (i = 0; i < 2; i++) {
		if (!csr_der_head(der, der_len, &tag, &hdr, &len) ||
		    tag != (i == 0 ? 0x02 : 0x30))
			return false;
		der += hdr + len;
		der_len -= hdr + len;
	}
	if (!csr_der_head(der, der_len, &tag, &hdr, &len) || tag != 0x30)
		return false;
	*spki = der;
	*spki_len = hdr + len;
	return true;
}

enum csr_result
csr_parse(const struct config *cfg, const struct csr_template *tmpl,
    const uint8_t *der, size_t der_len, struct csr **out, struct audit *a)
{
	struct csr_template written = { NULL, NULL };
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t d, dn = { NULL, 0 };
	struct csr *csr = NULL;
	uint8_t *ext = NULL;
	size_t ext_len = 0, spki_len = 0;
	const uint8_t *spki = NULL;
	enum csr_result ret = CSR_MALFORMED;
	int rc;

	*out = NULL;
	if (der == NULL || der_len == 0 || der_len > UINT32_MAX) {
		audit_reason(a, "step 1: the certificate request is empty");
		return CSR_MALFORMED;
	}
	if ((csr = calloc(1, sizeof(*csr))) == NULL ||
	    gnutls_x509_crq_init(&crq) < 0) {
		ret = CSR_NOMEM;
		goto cleanup;
	}
	if (!csr_one_sequence(der, der_len)) {
		audit_reason(a, "step 1: not a PKCS#10 request (DER framing)");
		goto cleanup;
	}
	d.data = (unsigned char *)(uintptr_t)der;
	d.size = (unsigned)der_len;
	if ((rc = gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_DER)) < 0) {
		audit_reason(a, "step 1: not a PKCS#10 request (%s)",
		    gnutls_strerror(rc));
		goto cleanup;
	}
	/* RFC 2986 4.1: version is 0 (v1) */
	if (gnutls_x509_crq_get_version(crq) != 1) {
		audit_reason(a, "step 1: PKCS#10 version is not 1");
		goto cleanup;
	}
	if ((ret = csr_check_key(cfg->min_rsa_bits, crq, a)) != CSR_OK ||
	    (ret = csr_check_signature(cfg, crq, a)) != CSR_OK ||
	    (ret = csr_read_attributes(csr, crq, &ext, &ext_len, a)) != CSR_OK ||
	    (ret = csr_read_extensions(csr, ext, ext_len, a)) != CSR_OK)
		goto cleanup;

	/* the subject, as RDNs, its e-mail addresses taken apart */
	if ((rc = gnutls_x509_crq_get_dn3(crq, &dn, 0)) < 0 &&
	    rc != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		audit_reason(a, "step 1: subject is malformed (%s)",
		    gnutls_strerror(rc));
		ret = CSR_MALFORMED;
		goto cleanup;
	}
	if (rc >= 0 && (ret = csr_dn_parse((const char *)dn.data,
	    &csr->subject)) != CSR_OK) {
		if (ret == CSR_MALFORMED)
			audit_reason(a, "step 1: subject is not understood");
		goto cleanup;
	}
	if ((ret = csr_dn_take_emails(&csr->subject, &csr->emails)) != CSR_OK) {
		if (ret == CSR_MALFORMED)
			audit_reason(a, "step 1: subject e-mail address is not a string");
		goto cleanup;
	}

	if (tmpl == NULL) {
		if (cfg->template != NULL && csr_is_oid(cfg->template))
			written.oid = cfg->template;
		else if (cfg->template != NULL && cfg->template[0] != '\0')
			written.name = cfg->template;
		tmpl = &written;
	}
	if ((ret = csr_check_template(tmpl, csr, a)) != CSR_OK)
		goto cleanup;
	/*
	 * For the audit line: what this request asks to be co-signed, from
	 * what step 1 read (importing the request again for it cost as much
	 * as the rest of step 1).
	 */
	if (!csr_spki(der, der_len, &spki, &spki_len))
		spki = NULL;
	audit_request(a, (const char *)dn.data, dn.data != NULL ? dn.size : 0,
	    csr->upns.n > 0 ? csr->upns.v[0] : NULL, spki, spki_len);
	*out = csr;
	csr = NULL;
	ret = CSR_OK;
cleanup:
	if (ret == CSR_NOMEM)
		audit_reason(a, "step 1: out of memory");
	free(ext);
	gnutls_free(dn.data);
	if (crq != NULL)
		gnutls_x509_crq_deinit(crq);
	csr_free(csr);
	return ret;
}

/* Writes v (from the request) escaped into buf, for a reason line. */
static const char *
csr_esc(char *buf, size_t buf_len, const char *v)
{
	return log_escape(buf, buf_len, v, v ? strlen(v) : 0);
}

/*
 * True when dn lies under base: its last base->n RDNs are base's. A user's
 * DN is under the base DN searched for it (RFC 4511 4.5.1.2, subtree).
 */
static bool
csr_dn_under(const struct dir_dn *dn, const struct dir_dn *base)
{
	struct dir_dn tail;

	if (dn->n < base->n)
		return false;
	tail.rdn = dn->rdn + (dn->n - base->n);
	tail.n = base->n;
	return csr_dn_equal(&tail, base);
}

/* The NetBIOS domain of "DOMAIN\user" is netbios, and (when given) the user part is user. */
static bool
csr_domain_user_is(const char *s, const char *netbios, const char *user)
{
	const char *sep = strchr(s, '\\');
	char *domain;
	bool same;

	if (sep == NULL || netbios == NULL)
		return false;
	if ((domain = strndup(s, (size_t)(sep - s))) == NULL)
		return false;
	same = utf8_caseless_eq(domain, netbios) &&
	    (user == NULL || utf8_caseless_eq(sep + 1, user));
	free(domain);
	return same;
}

enum csr_result
csr_match_name(const struct csr *csr, const char *username,
    const struct dir_name *name, struct audit *a)
{
	struct dir_dn base = { NULL, 0 };
	enum csr_result ret = CSR_NAME_MISMATCH;
	char esc[80];
	size_t i;

	if (csr == NULL || username == NULL || name == NULL)
		return CSR_OK;	/* nothing to decide here: csr_match_user does */

	/* Typed user@suffix: the directory entry has exactly this UPN. */
	for (i = 0; name->upn != NULL && i < csr->upns.n; i++) {
		if (!utf8_caseless_eq(csr->upns.v[i], name->upn)) {
			audit_reason(a, "step 1: UPN %s is not the user's",
			    csr_esc(esc, sizeof(esc), csr->upns.v[i]));
			goto cleanup;
		}
	}

	/*
	 * ClientInfo naming a user (not a machine account$): the typed name, or
	 * DOMAIN\sAMAccountName in the typed name's domain; for a typed
	 * DOMAIN\user that account is the typed one.
	 */
	if (csr->has_client_info) {
		const char *ci = csr->client_info.user;
		size_t len = strlen(ci);

		if ((len == 0 || ci[len - 1] != '$') &&
		    !utf8_caseless_eq(ci, username) &&
		    !csr_domain_user_is(ci, name->netbios, name->account)) {
			audit_reason(a, "step 1: ClientInfo names user %s",
			    csr_esc(esc, sizeof(esc), ci));
			goto cleanup;
		}
	}

	/* The subject and every SAN directoryName: under the domain's base DN. */
	if (name->base_dn != NULL && (csr->subject.n > 0 || csr->san_dn_n > 0)) {
		if ((ret = csr_dn_parse(name->base_dn, &base)) != CSR_OK) {
			if (ret == CSR_MALFORMED)
				ret = CSR_OK;	/* dir_setup checked it; not ours */
			goto cleanup;
		}
		ret = CSR_NAME_MISMATCH;
		if (csr->subject.n > 0 && !csr_dn_under(&csr->subject, &base)) {
			audit_reason(a, "step 1: subject is not the user's directory DN");
			goto cleanup;
		}
		for (i = 0; i < csr->san_dn_n; i++) {
			if (!csr_dn_under(&csr->san_dn[i], &base)) {
				audit_reason(a, "step 1: SAN directory name is not the user's directory DN");
				goto cleanup;
			}
		}
	}
	ret = CSR_OK;
cleanup:
	if (ret == CSR_NOMEM)
		audit_reason(a, "step 1: out of memory");
	csr_dn_free(&base);
	return ret;
}

enum csr_result
csr_match_user(const struct csr *csr, const char *username,
    const struct dir_user *user, struct audit *a)
{
	struct dir_dn user_dn = { NULL, 0 };
	enum csr_result ret = CSR_NAME_MISMATCH;
	bool named = false;
	char esc[80], *alt = NULL;
	size_t i;

	if (csr == NULL || username == NULL || user == NULL || user->dn == NULL) {
		audit_reason(a, "step 1: nothing to match the request against");
		return CSR_NAME_MISMATCH;
	}

	/* The subject DN and every SAN directoryName: the user's DN. */
	if (csr->subject.n > 0 || csr->san_dn_n > 0) {
		named = true;
		if ((ret = csr_dn_parse(user->dn, &user_dn)) != CSR_OK) {
			if (ret == CSR_NOMEM)
				goto cleanup;
			log_escape(esc, sizeof(esc), user->dn, strlen(user->dn));
			log_warnx("step 1: directory DN \"%s\" is not understood", esc);
			audit_reason(a, "step 1: the directory DN is not understood");
			ret = CSR_NAME_MISMATCH;
			goto cleanup;
		}
		ret = CSR_NAME_MISMATCH;
		if (csr->subject.n > 0 && !csr_dn_equal(&csr->subject, &user_dn)) {
			audit_reason(a, "step 1: subject is not the user's directory DN");
			goto cleanup;
		}
		for (i = 0; i < csr->san_dn_n; i++) {
			if (!csr_dn_equal(&csr->san_dn[i], &user_dn)) {
				audit_reason(a, "step 1: SAN directory name is not the user's directory DN");
				goto cleanup;
			}
		}
	}

	/* Every UPN otherName: the user's userPrincipalName. */
	for (i = 0; i < csr->upns.n; i++) {
		named = true;
		if (!utf8_caseless_eq(csr->upns.v[i], user->upn)) {
			audit_reason(a, "step 1: UPN %s is not the user's",
			    csr_esc(esc, sizeof(esc), csr->upns.v[i]));
			goto cleanup;
		}
	}

	/* Every rfc822Name and subject emailAddress: the user's mail. */
	for (i = 0; i < csr->emails.n; i++) {
		named = true;
		if (!utf8_caseless_eq(csr->emails.v[i], user->mail)) {
			audit_reason(a, "step 1: e-mail %s is not the user's",
			    csr_esc(esc, sizeof(esc), csr->emails.v[i]));
			goto cleanup;
		}
	}

	/* Any other kind of SAN names something the user is not shown to own. */
	if (csr->san_other != NULL) {
		audit_reason(a, "step 1: SAN entry of another kind (%s)",
		    csr->san_other);
		goto cleanup;
	}

	/*
	 * ClientInfo (MS-WCCE 2.2.2.7.4): at logon it names the machine account
	 * (DOMAIN\NAME$, example 4.1), which names no user. Otherwise it names
	 * the user, and must be the request's username, or the same account
	 * as DOMAIN\sAMAccountName from the directory.
	 */
	if (csr->has_client_info) {
		const char *ci_user = csr->client_info.user;
		size_t len = strlen(ci_user);

		if (len == 0 || ci_user[len - 1] != '$') {
			named = true;
			if (user->domain != NULL && user->account != NULL &&
			    asprintf(&alt, "%s\\%s", user->domain,
			    user->account) < 0) {
				alt = NULL;
				ret = CSR_NOMEM;
				goto cleanup;
			}
			if (!utf8_caseless_eq(ci_user, username) &&
			    (alt == NULL || !utf8_caseless_eq(ci_user, alt))) {
				audit_reason(a, "step 1: ClientInfo names user %s",
				    csr_esc(esc, sizeof(esc), ci_user));
				goto cleanup;
			}
		}
	}

	if (!named) {
		audit_reason(a, "step 1: the request names no user");
		ret = CSR_NAMES_NOBODY;
		goto cleanup;
	}
	ret = CSR_OK;
cleanup:
	if (ret == CSR_NOMEM)
		audit_reason(a, "step 1: out of memory");
	free(alt);
	csr_dn_free(&user_dn);
	return ret;
}
