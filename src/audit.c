/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The audit line's fields about the requester and the request. Read with
 * GnuTLS from the request step 1 already checked; everything is escaped with
 * log_escape() because every byte of it came from the client.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include "audit.h"
#include "log.h"

/* The SAN otherName userPrincipalName (1.3.6.1.4.1.311.20.2.3), if any. */
static void
audit_upn(struct audit *a, gnutls_x509_crq_t crq)
{
	unsigned seq;

	for (seq = 0; seq < 64; seq++) {
		unsigned char raw[512];
		char oid[128];
		size_t raw_len = sizeof(raw), oid_len = sizeof(oid);
		unsigned int type, crit;
		gnutls_datum_t in, out = { NULL, 0 };
		unsigned int vtype;
		int r;

		r = gnutls_x509_crq_get_subject_alt_name(crq, seq, raw, &raw_len,
		    &type, &crit);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return;
		if (r < 0 || type != GNUTLS_SAN_OTHERNAME)
			continue;
		/* MS-WCCE: szOID_NT_PRINCIPAL_NAME, the UPN otherName. */
		if (gnutls_x509_crq_get_subject_alt_othername_oid(crq, seq, oid,
		    &oid_len) < 0 || strcmp(oid, "1.3.6.1.4.1.311.20.2.3") != 0)
			continue;
		in.data = raw;
		in.size = (unsigned)raw_len;
		if (gnutls_x509_othername_to_virtual(oid, &in, &vtype, &out) == 0) {
			log_escape(a->upn, sizeof(a->upn), out.data, out.size);
			gnutls_free(out.data);
		}
		return;
	}
}

void
audit_request(struct audit *a, const uint8_t *csr_der, size_t csr_der_len)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t der = { (unsigned char *)(uintptr_t)csr_der,
	    (unsigned)csr_der_len };
	gnutls_datum_t dn = { NULL, 0 }, spki = { NULL, 0 };
	unsigned char digest[32];
	size_t i;

	if (gnutls_x509_crq_init(&crq) < 0)
		return;
	if (gnutls_x509_crq_import(crq, &der, GNUTLS_X509_FMT_DER) < 0)
		goto cleanup;
	if (gnutls_x509_crq_get_dn3(crq, &dn, 0) == 0)
		log_escape(a->subject, sizeof(a->subject), dn.data, dn.size);
	audit_upn(a, crq);
	/* SHA-256 over the DER SubjectPublicKeyInfo (RFC 5280 4.1). */
	if (gnutls_pubkey_init(&pub) < 0 ||
	    gnutls_pubkey_import_x509_crq(pub, crq, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, digest) < 0)
		goto cleanup;
	for (i = 0; i < sizeof(digest); i++)
		snprintf(a->key_sha256 + 2 * i, 3, "%02x", digest[i]);
cleanup:
	gnutls_free(dn.data);
	gnutls_free(spki.data);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	gnutls_x509_crq_deinit(crq);
}

void
audit_client(struct audit *a, const char *subject_dn)
{
	if (subject_dn != NULL && *subject_dn != '\0')
		log_escape(a->client, sizeof(a->client), subject_dn,
		    strlen(subject_dn));
}
