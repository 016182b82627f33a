/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Issuing the short-lived logon certificate from the local test CA, as the
 * Enterprise CA would from the smart card logon template (issue 6, "The CA
 * step"): subject and key from the verified PKCS#10, the UPN copied, EKU
 * smart card logon + client authentication, a random serial.
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

#include "catool.h"
#include "log.h"

/* Whether two public keys are the same key (their DER SubjectPublicKeyInfo). */
static bool
same_key(gnutls_pubkey_t a, gnutls_pubkey_t b)
{
	gnutls_datum_t da = { NULL, 0 }, db = { NULL, 0 };
	bool same;

	same = gnutls_pubkey_export2(a, GNUTLS_X509_FMT_DER, &da) == 0 &&
	    gnutls_pubkey_export2(b, GNUTLS_X509_FMT_DER, &db) == 0 &&
	    da.size == db.size && memcmp(da.data, db.data, da.size) == 0;
	gnutls_free(da.data);
	gnutls_free(db.data);
	return same;
}

enum catool_status
catool_ca_load(struct catool_ca *ca, const char *cert_path,
    const char *key_path, time_t now, char *why, size_t why_len)
{
	gnutls_datum_t cert = { NULL, 0 }, key = { NULL, 0 };
	gnutls_pubkey_t pc = NULL, pk = NULL;
	gnutls_x509_crt_fmt_t fmt;
	enum catool_status st = CATOOL_FILES;
	unsigned usage = 0;
	int rc;

	memset(ca, 0, sizeof(*ca));
	if ((rc = gnutls_load_file(cert_path, &cert)) < 0) {
		catool_refuse(why, why_len, st, "cannot read --ca-cert %s: %s",
		    cert_path, gnutls_strerror(rc));
		goto cleanup;
	}
	fmt = memmem(cert.data, cert.size, "-----BEGIN", 10) != NULL ?
	    GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
	if (gnutls_x509_crt_init(&ca->crt) < 0 ||
	    (rc = gnutls_x509_crt_import(ca->crt, &cert, fmt)) < 0) {
		catool_refuse(why, why_len, st, "--ca-cert %s is not a certificate",
		    cert_path);
		goto cleanup;
	}
	if ((rc = gnutls_load_file(key_path, &key)) < 0) {
		catool_refuse(why, why_len, st, "cannot read --ca-key %s: %s", key_path,
		    gnutls_strerror(rc));
		goto cleanup;
	}
	fmt = memmem(key.data, key.size, "-----BEGIN", 10) != NULL ?
	    GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
	if (gnutls_privkey_init(&ca->key) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(ca->key, &key, fmt, NULL,
	    0)) < 0) {
		catool_refuse(why, why_len, st, "--ca-key %s is not an unencrypted "
		    "private key (%s)", key_path, gnutls_strerror(rc));
		goto cleanup;
	}
	if (gnutls_pubkey_init(&pc) < 0 || gnutls_pubkey_init(&pk) < 0 ||
	    gnutls_pubkey_import_x509(pc, ca->crt, 0) < 0 ||
	    gnutls_pubkey_import_privkey(pk, ca->key, 0, 0) < 0 ||
	    !same_key(pc, pk)) {
		catool_refuse(why, why_len, st, "--ca-key %s does not belong to "
		    "--ca-cert %s", key_path, cert_path);
		goto cleanup;
	}
	/* RFC 5280 4.2.1.9, 4.2.1.3: a CA that may sign certificates. */
	if (gnutls_x509_crt_get_ca_status(ca->crt, NULL) <= 0 ||
	    (gnutls_x509_crt_get_key_usage(ca->crt, &usage, NULL) >= 0 &&
	    (usage & GNUTLS_KEY_KEY_CERT_SIGN) == 0)) {
		catool_refuse(why, why_len, st, "--ca-cert %s is not a CA certificate "
		    "allowed to sign certificates", cert_path);
		goto cleanup;
	}
	if (now < gnutls_x509_crt_get_activation_time(ca->crt) ||
	    now > gnutls_x509_crt_get_expiration_time(ca->crt)) {
		catool_refuse(why, why_len, st, "--ca-cert %s is not valid now",
		    cert_path);
		goto cleanup;
	}
	st = CATOOL_OK;
cleanup:
	if (key.data != NULL) {
		gnutls_memset(key.data, 0, key.size);
		gnutls_free(key.data);
	}
	gnutls_free(cert.data);
	gnutls_pubkey_deinit(pc);
	gnutls_pubkey_deinit(pk);
	if (st != CATOOL_OK)
		catool_ca_free(ca);
	return st;
}

void
catool_ca_free(struct catool_ca *ca)
{
	if (ca->crt != NULL)
		gnutls_x509_crt_deinit(ca->crt);
	if (ca->key != NULL)
		gnutls_privkey_deinit(ca->key);
	memset(ca, 0, sizeof(*ca));
}

enum catool_status
catool_issue(const struct catool_ca *ca, const struct catool_verified *v,
    time_t now, unsigned long lifetime, gnutls_x509_crt_t *out, char *why,
    size_t why_len)
{
	gnutls_x509_crt_t crt = NULL;
	enum catool_status st;
	uint8_t serial[16], id[64];
	size_t id_len;
	unsigned usage;
	int pk, rc;
	time_t until;

	*out = NULL;
	if (lifetime == 0 || lifetime > (unsigned long)INT_MAX ||
	    (until = now + (time_t)lifetime) >
	    gnutls_x509_crt_get_expiration_time(ca->crt))
		return catool_refuse(why, why_len, CATOOL_ISSUE_FAILED,
		    "a lifetime of %lu s would outlast the CA certificate",
		    lifetime);
	st = catool_refuse(why, why_len, CATOOL_ISSUE_FAILED, "building the "
	    "certificate failed");
	if (gnutls_x509_crt_init(&crt) < 0)
		goto cleanup;
	/* Subject DN and public key from the request (and its proof of possession). */
	if ((rc = gnutls_x509_crt_set_crq(crt, v->crq)) < 0) {
		catool_refuse(why, why_len, st, "cannot take subject and key from the "
		    "request: %s", gnutls_strerror(rc));
		goto cleanup;
	}
	/* RFC 5280 4.1.2.2: positive, at most 20 octets; 128 random bits. */
	if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) < 0)
		goto cleanup;
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
	pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
	usage = GNUTLS_KEY_DIGITAL_SIGNATURE;
	if (pk == GNUTLS_PK_RSA)
		usage |= GNUTLS_KEY_KEY_ENCIPHERMENT;
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, until) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, usage) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt,
	    OID_MS_SMARTCARD_LOGON, 0) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT,
	    0) < 0 ||
	    gnutls_x509_crt_set_subject_alt_othername(crt, OID_MS_UPN,
	    v->upn, (unsigned)strlen(v->upn),
	    GNUTLS_FSAN_SET | GNUTLS_FSAN_ENCODE_UTF8_STRING) < 0)
		goto cleanup;
	id_len = sizeof(id);
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, id,
	    &id_len) < 0 ||
	    gnutls_x509_crt_set_subject_key_id(crt, id, id_len) < 0)
		goto cleanup;
	id_len = sizeof(id);
	if (gnutls_x509_crt_get_subject_key_id(ca->crt, id, &id_len, NULL) ==
	    0 && gnutls_x509_crt_set_authority_key_id(crt, id, id_len) < 0)
		goto cleanup;
	if ((rc = gnutls_x509_crt_privkey_sign(crt, ca->crt, ca->key,
	    GNUTLS_DIG_SHA256, 0)) < 0) {
		catool_refuse(why, why_len, st, "signing the certificate failed: %s",
		    gnutls_strerror(rc));
		goto cleanup;
	}
	*out = crt;
	crt = NULL;
	st = CATOOL_OK;
cleanup:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return st;
}

/* One "label: value" line, the value escaped (it came from a request). */
static void
line(FILE *f, const char *label, const void *value, size_t len)
{
	char esc[1024];

	fprintf(f, "  %-10s %s\n", label, log_escape(esc, sizeof(esc), value,
	    len));
}

void
catool_print(FILE *f, gnutls_x509_crt_t crt)
{
	gnutls_datum_t d = { NULL, 0 };
	char buf[256], when[2][40];
	uint8_t serial[64];
	size_t len;
	time_t t[2];
	struct tm tm;

	fprintf(f, "issued certificate:\n");
	if (gnutls_x509_crt_get_dn3(crt, &d, 0) >= 0) {
		line(f, "subject:", d.data, d.size);
		gnutls_free(d.data);
	}
	if (gnutls_x509_crt_get_extension_by_oid2(crt, "2.5.29.17", 0, &d,
	    NULL) >= 0) {
		char *upn = NULL;

		if (catool_upn(&d, &upn, buf, sizeof(buf)) == CATOOL_OK)
			line(f, "UPN:", upn, strlen(upn));
		free(upn);
		gnutls_free(d.data);
	}
	if (gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) >= 0) {
		line(f, "issuer:", d.data, d.size);
		gnutls_free(d.data);
	}
	t[0] = gnutls_x509_crt_get_activation_time(crt);
	t[1] = gnutls_x509_crt_get_expiration_time(crt);
	for (int k = 0; k < 2; k++)
		if (gmtime_r(&t[k], &tm) == NULL || strftime(when[k],
		    sizeof(when[k]), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
			snprintf(when[k], sizeof(when[k]), "?");
	fprintf(f, "  %-10s %s to %s (%lld s)\n", "validity:", when[0],
	    when[1], (long long)(t[1] - t[0]));
	len = sizeof(serial);
	if (gnutls_x509_crt_get_serial(crt, serial, &len) == 0) {
		char hex[2 * sizeof(serial) + 1];

		for (size_t k = 0; k < len; k++)
			snprintf(hex + 2 * k, 3, "%02x", serial[k]);
		fprintf(f, "  %-10s %s\n", "serial:", hex);
	}
	fprintf(f, "  %-10s", "EKU:");
	for (unsigned k = 0;; k++) {
		size_t blen = sizeof(buf);

		if (gnutls_x509_crt_get_key_purpose_oid(crt, k, buf, &blen,
		    NULL) < 0)
			break;
		fprintf(f, " %s%s", buf,
		    strcmp(buf, OID_MS_SMARTCARD_LOGON) == 0 ?
		    " (smart card logon)" :
		    strcmp(buf, GNUTLS_KP_TLS_WWW_CLIENT) == 0 ?
		    " (client authentication)" : "");
	}
	fprintf(f, "\n");
	{
		unsigned usage = 0;

		if (gnutls_x509_crt_get_key_usage(crt, &usage, NULL) >= 0)
			fprintf(f, "  %-10s%s%s\n", "key usage:",
			    usage & GNUTLS_KEY_DIGITAL_SIGNATURE ?
			    " digitalSignature" : "",
			    usage & GNUTLS_KEY_KEY_ENCIPHERMENT ?
			    " keyEncipherment" : "");
	}
}
