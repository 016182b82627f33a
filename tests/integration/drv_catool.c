/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Driver for tests/integration/catool.sh: makes the SignedCertRequests that
 * the real signer refuses to make, so that otpcep-ca can be shown to refuse
 * them too.
 *
 *   drv_catool sign CERT.pem KEY.pem DIGEST CSR.der OUT.der
 *       cmc_encode() (the encoder step 4 uses) with a certificate and key of
 *       our own, skipping signer_new()'s checks: a certificate without the
 *       OTP EKU signs, and the CSR goes in unchecked. DIGEST: sha1, sha256...
 *   drv_catool strip IN.der OUT.der
 *       keeps only the first SignerInfo (the Dummy Signer): "unsigned".
 *   drv_catool requests N IN.der OUT.der
 *       rewrites reqSequence to hold N (0 or 2) copies of the PKCS#10.
 *
 * Everything is re-encoded with libtasn1 from src/asn/cms.asn (cmsder.h).
 * Exit status: 0 written, 2 usage or files, 3 encoding failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libtasn1.h>

#include "cmc.h"
#include "cmsder.h"
#include "../testutil.h"

struct own_key {
	gnutls_datum_t cert;		/* DER */
	gnutls_privkey_t priv;
	gnutls_digest_algorithm_t digest;
};

static void
own_cert_der(const void *ctx, size_t i, const uint8_t **der, size_t *der_len)
{
	const struct own_key *k = ctx;

	(void)i;
	*der = k->cert.data;
	*der_len = k->cert.size;
}

static int
own_sign(const void *ctx, const uint8_t *data, size_t data_len, uint8_t **sig,
    size_t *sig_len)
{
	const struct own_key *k = ctx;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)data,
	    (unsigned)data_len }, s = { NULL, 0 };

	if (gnutls_privkey_sign_data(k->priv, k->digest, 0, &d, &s) < 0)
		return -1;
	if ((*sig = malloc(s.size)) == NULL) {
		gnutls_free(s.data);
		return -1;
	}
	memcpy(*sig, s.data, s.size);
	*sig_len = s.size;
	gnutls_free(s.data);
	return 0;
}

static int
write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL)
		return 2;
	ok = fwrite(data, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	return ok ? 0 : 2;
}

static int
do_sign(char **argv)
{
	struct own_key k = { { NULL, 0 }, NULL, GNUTLS_DIG_UNKNOWN };
	struct cmc_client_info ci = { "drv.example.test", "EXAMPLE\\DRV$",
	    "drv_catool" };
	struct audit a = { .reason = "" };
	gnutls_datum_t pem = { NULL, 0 }, keyf = { NULL, 0 };
	gnutls_x509_crt_t crt = NULL;
	uint8_t *out = NULL;
	size_t out_len = 0, csr_len = 0;
	char *csr = NULL;
	int rc = 2, pk;

	if (gnutls_load_file(argv[2], &pem) < 0 ||
	    gnutls_load_file(argv[3], &keyf) < 0 ||
	    (csr = tu_read_file(argv[5], &csr_len)) == NULL) {
		fprintf(stderr, "drv_catool: cannot read the inputs\n");
		goto cleanup;
	}
	k.digest = gnutls_digest_get_id(argv[4]);
	if (k.digest == GNUTLS_DIG_UNKNOWN ||
	    gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &k.cert) < 0 ||
	    gnutls_privkey_init(&k.priv) < 0 ||
	    gnutls_privkey_import_x509_raw(k.priv, &keyf, GNUTLS_X509_FMT_PEM,
	    NULL, 0) < 0) {
		fprintf(stderr, "drv_catool: bad certificate, key or digest\n");
		goto cleanup;
	}
	pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
	struct cmc_key key = {
		&k, 1, own_cert_der, k.digest,
		pk == GNUTLS_PK_RSA ? OID_RSA_ENCRYPTION :
		    gnutls_sign_get_oid(gnutls_pk_to_sign(GNUTLS_PK_ECDSA,
		    k.digest)),
		own_sign,
	};
	rc = 3;
	if (key.signature_oid == NULL ||
	    cmc_encode(&key, &ci, (const uint8_t *)csr, csr_len, &out,
	    &out_len, &a) != CMC_OK) {
		fprintf(stderr, "drv_catool: cmc_encode failed (%s)\n",
		    a.reason);
		goto cleanup;
	}
	rc = write_file(argv[6], out, out_len);
cleanup:
	free(out);
	free(csr);
	gnutls_free(pem.data);
	gnutls_free(keyf.data);
	gnutls_free(k.cert.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (k.priv != NULL)
		gnutls_privkey_deinit(k.priv);
	return rc;
}

/* Decodes der as `type`; NULL if it does not decode. */
static asn1_node
decode(const char *type, const uint8_t *der, size_t len)
{
	asn1_node n = cmsder_element(type);
	int l = (int)len;

	if (n == NULL || asn1_der_decoding(&n, der, l, NULL) != ASN1_SUCCESS) {
		asn1_delete_structure(&n);
		return NULL;
	}
	return n;
}

/* Element name of n in a new buffer. */
static uint8_t *
value(asn1_node n, const char *name, int *len)
{
	uint8_t *buf;

	*len = 0;
	if (asn1_read_value(n, name, NULL, len) != ASN1_MEM_ERROR ||
	    (buf = malloc((size_t)*len)) == NULL)
		return NULL;
	if (asn1_read_value(n, name, buf, len) != ASN1_SUCCESS) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* op "strip" or "requests": edits the SignedData and writes it out. */
static int
do_edit(const char *op, long n_requests, const char *in, const char *outp)
{
	asn1_node ci = NULL, sd = NULL, pki = NULL;
	uint8_t *sd_der = NULL, *pki_der = NULL, *csr = NULL, *enc = NULL;
	uint8_t *sd_new = NULL, *out = NULL;
	size_t in_len = 0, enc_len = 0, sd_new_len = 0, out_len = 0;
	char *raw;
	int len, csr_len, k, rc = 3;

	if ((raw = tu_read_file(in, &in_len)) == NULL)
		return 2;
	if ((ci = decode("ContentInfo", (uint8_t *)raw, in_len)) == NULL ||
	    (sd_der = value(ci, "content", &len)) == NULL ||
	    (sd = decode("SignedData", sd_der, (size_t)len)) == NULL)
		goto cleanup;
	if (strcmp(op, "strip") == 0) {
		while (asn1_number_of_elements(sd, "signerInfos", &k) ==
		    ASN1_SUCCESS && k > 1)
			if (asn1_delete_element(sd, "signerInfos.?2") !=
			    ASN1_SUCCESS)
				goto cleanup;
	} else {
		if ((pki_der = value(sd, "encapContentInfo.eContent", &len)) ==
		    NULL || (pki = decode("PKIData", pki_der, (size_t)len)) ==
		    NULL || (csr = value(pki,
		    "reqSequence.?1.tcr.certificationRequest", &csr_len)) ==
		    NULL)
			goto cleanup;
		if (n_requests == 0) {
			if (asn1_delete_element(pki, "reqSequence.?1") !=
			    ASN1_SUCCESS)
				goto cleanup;
		} else {
			if (asn1_write_value(pki, "reqSequence", "NEW", 1) !=
			    ASN1_SUCCESS ||
			    asn1_write_value(pki, "reqSequence.?LAST", "tcr",
			    1) != ASN1_SUCCESS ||
			    asn1_write_value(pki, "reqSequence.?LAST.tcr."
			    "bodyPartID", "3", 0) != ASN1_SUCCESS ||
			    asn1_write_value(pki, "reqSequence.?LAST.tcr."
			    "certificationRequest", csr, csr_len) !=
			    ASN1_SUCCESS)
				goto cleanup;
		}
		if (cmsder_encode(pki, "", &enc, &enc_len) != ASN1_SUCCESS ||
		    asn1_write_value(sd, "encapContentInfo.eContent", enc,
		    (int)enc_len) != ASN1_SUCCESS)
			goto cleanup;
	}
	if (cmsder_encode(sd, "", &sd_new, &sd_new_len) != ASN1_SUCCESS ||
	    asn1_write_value(ci, "content", sd_new, (int)sd_new_len) !=
	    ASN1_SUCCESS || cmsder_encode(ci, "", &out, &out_len) !=
	    ASN1_SUCCESS)
		goto cleanup;
	rc = write_file(outp, out, out_len);
cleanup:
	if (rc == 3)
		fprintf(stderr, "drv_catool: %s: editing failed\n", op);
	asn1_delete_structure(&ci);
	asn1_delete_structure(&sd);
	asn1_delete_structure(&pki);
	free(raw);
	free(sd_der);
	free(pki_der);
	free(csr);
	free(enc);
	free(sd_new);
	free(out);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "sign") == 0)
		return do_sign(argv);
	if (argc == 4 && strcmp(argv[1], "strip") == 0)
		return do_edit("strip", 0, argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "requests") == 0 &&
	    (strcmp(argv[2], "0") == 0 || strcmp(argv[2], "2") == 0))
		return do_edit("requests", atol(argv[2]), argv[3], argv[4]);
	fprintf(stderr, "usage: drv_catool sign CERT.pem KEY.pem DIGEST CSR.der "
	    "OUT.der\n       drv_catool strip IN.der OUT.der\n"
	    "       drv_catool requests 0|2 IN.der OUT.der\n");
	return 2;
}
