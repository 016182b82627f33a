/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The certificate request of MS-OTPCE 3.1.5.1, shaped like the one a Windows
 * client sends (the 4.1 example, decoded in tests/data/spec/README.md):
 * subject = the user's directory DN, SAN otherName UPN, the template
 * extension (v2 OID 1.3.6.1.4.1.311.21.7 or v1 name 1.3.6.1.4.1.311.20.2),
 * EKU and application policies smart card logon + client authentication,
 * key usage, subject key identifier, and the ClientInfo attribute
 * (MS-WCCE 2.2.2.7.4). Self-signed with SHA-256 (RFC 2986 4.2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/x509-ext.h>

#include "client.h"
#include "msext.h"

#define OID_KP_CLIENT_AUTH	"1.3.6.1.5.5.7.3.2"
#define OID_SUBJECT_KEY_ID	"2.5.29.14"

/*
 * Application policies (MS-WCCE 2.2.2.7.7.3; the 4.1 example carries it):
 * SEQUENCE { SEQUENCE { smartcardLogon }, SEQUENCE { clientAuth } }, as DER.
 */
static const uint8_t csrgen_app_policies[] = {
	0x30, 0x1a,
	0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x14, 0x02, 0x02,
	0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02,
};

static int
csrgen_fail(const char *what, int rc)
{
	fprintf(stderr, "otpcep-client: %s: %s\n", what, gnutls_strerror(rc));
	return -1;
}

/* Adds a non-critical extension given as DER. */
static int
csrgen_ext(gnutls_x509_crq_t crq, const char *oid, const void *der, size_t len)
{
	int rc = gnutls_x509_crq_set_extension_by_oid(crq, oid, der, len, 0);

	return rc < 0 ? csrgen_fail(oid, rc) : 0;
}

/* The template extension: v2 (OID, versions) or v1 (name). */
static int
csrgen_template(gnutls_x509_crq_t crq, const struct csrgen_params *p)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	enum msext_result r;
	int ret;

	if (p->template_oid != NULL)
		r = msext_template_v2_encode(p->template_oid, p->template_major,
		    p->template_minor, &der, &der_len);
	else
		r = msext_template_name_encode(p->template_name, &der, &der_len);
	if (r != MSEXT_OK) {
		fprintf(stderr, "otpcep-client: cannot encode the template %s '%s' "
		    "(an OID is dotted numbers, e.g. 1.3.6.1.4.1.311.21.8.1.2; a name "
		    "is the template's short name)\n",
		    p->template_oid != NULL ? "OID" : "name",
		    p->template_oid != NULL ? p->template_oid : p->template_name);
		return -2;
	}
	ret = csrgen_ext(crq, p->template_oid != NULL ? OID_MS_TEMPLATE_V2 :
	    OID_MS_TEMPLATE_NAME, der, der_len);
	free(der);
	return ret;
}

static int
csrgen_client_info(gnutls_x509_crq_t crq, const struct csrgen_params *p)
{
	/* MS-WCCE 2.2.2.7.4: clientId 5 is a default request. */
	struct msext_client_info ci = {
		.client_id = 5,
		.machine = (char *)(uintptr_t)p->machine,
		.user = (char *)(uintptr_t)p->account,
		.process = (char *)(uintptr_t)p->process,
	};
	uint8_t *der = NULL;
	size_t der_len = 0;
	int rc;

	if (msext_client_info_encode(&ci, &der, &der_len) != MSEXT_OK) {
		fprintf(stderr, "otpcep-client: cannot encode ClientInfo (machine, "
		    "account and process must be UTF-8)\n");
		return -1;
	}
	rc = gnutls_x509_crq_set_attribute_by_oid(crq, OID_MS_CLIENT_INFO, der, der_len);
	free(der);
	return rc < 0 ? csrgen_fail("ClientInfo attribute", rc) : 0;
}

static int
csrgen_key_id(gnutls_x509_crq_t crq)
{
	unsigned char id[64];
	size_t id_len = sizeof(id);
	gnutls_datum_t d, ext = { NULL, 0 };
	int rc, ret;

	/* RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey. */
	rc = gnutls_x509_crq_get_key_id(crq, GNUTLS_KEYID_USE_SHA1, id, &id_len);
	if (rc < 0)
		return csrgen_fail("subject key identifier", rc);
	d.data = id;
	d.size = (unsigned)id_len;
	if ((rc = gnutls_x509_ext_export_subject_key_id(&d, &ext)) < 0)
		return csrgen_fail("subject key identifier", rc);
	ret = csrgen_ext(crq, OID_SUBJECT_KEY_ID, ext.data, ext.size);
	gnutls_free(ext.data);
	return ret;
}

int
csrgen_make(const struct csrgen_params *p, gnutls_x509_privkey_t *keyp,
    gnutls_datum_t *der)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crq_t crq = NULL;
	gnutls_privkey_t signer = NULL;
	const char *err = NULL;
	unsigned usage;
	int rc, ret = -1;

	*keyp = NULL;
	der->data = NULL;
	der->size = 0;
	if ((rc = gnutls_x509_privkey_init(&key)) < 0 ||
	    (rc = gnutls_x509_crq_init(&crq)) < 0 ||
	    (rc = gnutls_privkey_init(&signer)) < 0) {
		csrgen_fail("initialisation", rc);
		goto cleanup;
	}
	if (p->ec)
		rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
		    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	else
		rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, p->rsa_bits, 0);
	if (rc < 0) {
		csrgen_fail("key generation", rc);
		goto cleanup;
	}
	if ((rc = gnutls_x509_crq_set_version(crq, 1)) < 0 ||
	    (rc = gnutls_x509_crq_set_key(crq, key)) < 0) {
		csrgen_fail("certificate request", rc);
		goto cleanup;
	}
	if ((rc = gnutls_x509_crq_set_dn(crq, p->subject, &err)) < 0) {
		fprintf(stderr, "otpcep-client: --subject '%s' is not a DN (%s%s%s); "
		    "write it as RFC 4514, e.g. 'CN=User 1,CN=Users,DC=example,DC=com'\n",
		    p->subject, gnutls_strerror(rc), err != NULL ? " near " : "",
		    err != NULL ? err : "");
		ret = -2;
		goto cleanup;
	}
	/* MS-WCCE 2.2.2.7.10 via RFC 5280 4.2.1.6: the UPN as otherName. */
	if (p->upn != NULL &&
	    (rc = gnutls_x509_crq_set_subject_alt_othername(crq, OID_MS_UPN,
	    p->upn, (unsigned)strlen(p->upn),
	    GNUTLS_FSAN_APPEND | GNUTLS_FSAN_ENCODE_UTF8_STRING)) < 0) {
		csrgen_fail("UPN subject alternative name", rc);
		goto cleanup;
	}
	if ((rc = csrgen_template(crq, p)) != 0) {
		ret = rc;
		goto cleanup;
	}
	if ((rc = gnutls_x509_crq_set_key_purpose_oid(crq, OID_MS_SMARTCARD_LOGON, 0)) < 0 ||
	    (rc = gnutls_x509_crq_set_key_purpose_oid(crq, OID_KP_CLIENT_AUTH, 0)) < 0) {
		csrgen_fail("extended key usage", rc);
		goto cleanup;
	}
	/* Key usage as Windows asks: signature, and key encipherment for RSA. */
	usage = GNUTLS_KEY_DIGITAL_SIGNATURE;
	if (!p->ec)
		usage |= GNUTLS_KEY_KEY_ENCIPHERMENT;
	if ((rc = gnutls_x509_crq_set_key_usage(crq, usage)) < 0) {
		csrgen_fail("key usage", rc);
		goto cleanup;
	}
	if (csrgen_ext(crq, OID_MS_APP_POLICIES, csrgen_app_policies,
	    sizeof(csrgen_app_policies)) != 0 ||
	    csrgen_key_id(crq) != 0 || csrgen_client_info(crq, p) != 0)
		goto cleanup;
	if ((rc = gnutls_privkey_import_x509(signer, key, 0)) < 0 ||
	    (rc = gnutls_x509_crq_privkey_sign(crq, signer, GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (rc = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, der)) < 0) {
		csrgen_fail("signing the certificate request", rc);
		goto cleanup;
	}
	*keyp = key;
	key = NULL;
	ret = 0;
cleanup:
	gnutls_privkey_deinit(signer);
	gnutls_x509_crq_deinit(crq);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return ret;
}

int
csrgen_load(const char *path, gnutls_datum_t *der)
{
	gnutls_datum_t file = { NULL, 0 };
	gnutls_x509_crq_t crq = NULL;
	int rc, ret = -1;

	der->data = NULL;
	der->size = 0;
	if ((rc = gnutls_load_file(path, &file)) < 0) {
		fprintf(stderr, "otpcep-client: cannot read --csr %s: %s\n", path,
		    gnutls_strerror(rc));
		return -1;
	}
	if ((rc = gnutls_x509_crq_init(&crq)) < 0) {
		csrgen_fail("initialisation", rc);
		goto cleanup;
	}
	rc = gnutls_x509_crq_import(crq, &file,
	    memmem(file.data, file.size, "-----BEGIN", 10) != NULL ?
	    GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		fprintf(stderr, "otpcep-client: --csr %s is not a PKCS#10 request in "
		    "PEM or DER (%s)\n", path, gnutls_strerror(rc));
		goto cleanup;
	}
	/* RFC 2986 4.2: the request is signed by its own key. */
	if ((rc = gnutls_x509_crq_verify(crq, 0)) < 0) {
		fprintf(stderr, "otpcep-client: --csr %s: its self-signature does not "
		    "verify (%s); the server would refuse it\n", path, gnutls_strerror(rc));
		goto cleanup;
	}
	if ((rc = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, der)) < 0) {
		csrgen_fail("--csr", rc);
		goto cleanup;
	}
	ret = 0;
cleanup:
	gnutls_x509_crq_deinit(crq);
	gnutls_free(file.data);
	return ret;
}
