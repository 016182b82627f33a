/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Test helper (header only): makes PKCS#10 requests with GnuTLS at test time,
 * shaped like a Windows logon request, with every part optional so that each
 * rule of step 1 can be broken on its own. Keys are made once per test
 * program (csrgen_key) and never written to disk.
 */
#ifndef OTPCEP_CSRGEN_H
#define OTPCEP_CSRGEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <gmp.h>

#include "msext.h"

struct csrgen {
	gnutls_privkey_t key;
	gnutls_digest_algorithm_t digest;	/* 0: SHA-256 */
	const char *dn;				/* RFC 4514, NULL: empty subject */
	const char *template_oid;		/* 1.3.6.1.4.1.311.21.7 */
	const char *template_name;		/* 1.3.6.1.4.1.311.20.2, BMPString */
	bool template_name_seq;			/* ... as SEQUENCE { UTF8String } */
	const uint8_t *template_raw;		/* raw 21.7 extension value */
	size_t template_raw_len;
	const char *upn[3];			/* SAN otherName UPN */
	const char *email;			/* SAN rfc822Name */
	const char *dns;			/* SAN dNSName */
	const uint8_t *san_dn;			/* SAN directoryName (DER Name up
						 * to 250 bytes), the only SAN */
	size_t san_dn_len;
	unsigned extra_extensions;		/* 1.2.3.4.N, N = 1... */
	const char *client_user;		/* ClientInfo userName */
	const uint8_t *client_info_raw;		/* raw ClientInfo value */
	size_t client_info_raw_len;
};

/* A new key: GNUTLS_PK_RSA with bits, or GNUTLS_PK_ECDSA with a curve's bits. */
static inline gnutls_privkey_t
csrgen_key(gnutls_pk_algorithm_t pk, unsigned bits)
{
	gnutls_privkey_t key;

	if (gnutls_privkey_init(&key) < 0)
		return NULL;
	if (gnutls_privkey_generate(key, pk, bits, 0) < 0) {
		gnutls_privkey_deinit(key);
		return NULL;
	}
	return key;
}

/* n as an unsigned big-endian datum (gnutls_free()). */
static inline gnutls_datum_t
csrgen_datum(const mpz_t n)
{
	gnutls_datum_t d;
	size_t len = 0;

	d.data = gnutls_malloc((mpz_sizeinbase(n, 2) + 7) / 8 + 1);
	mpz_export(d.data, &len, 1, 1, 1, 0, n);
	d.size = (unsigned)len;
	return d;
}

/*
 * An RSA key of bits with public exponent e (a decimal string): primes from
 * GnuTLS, drawn again until e is invertible, d computed here. Exponents a
 * CSP would never make (1, 3, 2^256 + 1) are the point. NULL on failure.
 */
static inline gnutls_privkey_t
csrgen_rsa_key_e(unsigned bits, const char *e_dec)
{
	gnutls_privkey_t gen = NULL, key = NULL;
	gnutls_datum_t m, e, d, p, q, u, e1, e2, dd, de;
	mpz_t P, Q, N, E, D, phi, t;
	int tries;

	mpz_inits(P, Q, N, E, D, phi, t, NULL);
	mpz_set_str(E, e_dec, 10);
	for (tries = 0; tries < 64 && key == NULL; tries++) {
		if ((gen = csrgen_key(GNUTLS_PK_RSA, bits)) == NULL)
			break;
		if (gnutls_privkey_export_rsa_raw(gen, &m, &e, &d, &p, &q, &u,
		    &e1, &e2) < 0) {
			gnutls_privkey_deinit(gen);
			break;
		}
		mpz_import(P, p.size, 1, 1, 1, 0, p.data);
		mpz_import(Q, q.size, 1, 1, 1, 0, q.data);
		gnutls_free(m.data); gnutls_free(e.data); gnutls_free(d.data);
		gnutls_free(p.data); gnutls_free(q.data); gnutls_free(u.data);
		gnutls_free(e1.data); gnutls_free(e2.data);
		gnutls_privkey_deinit(gen);
		mpz_mul(N, P, Q);
		mpz_sub_ui(t, P, 1);
		mpz_sub_ui(phi, Q, 1);
		mpz_mul(phi, phi, t);
		if (mpz_invert(D, E, phi) == 0)
			continue;	/* e shares a factor with (p-1)(q-1) */
		m = csrgen_datum(N);
		e = csrgen_datum(E);
		dd = csrgen_datum(D);
		p = csrgen_datum(P);
		q = csrgen_datum(Q);
		mpz_invert(t, Q, P);	/* coefficient: q^-1 mod p */
		u = csrgen_datum(t);
		mpz_sub_ui(t, P, 1);
		mpz_mod(t, D, t);
		e1 = csrgen_datum(t);
		mpz_sub_ui(t, Q, 1);
		mpz_mod(t, D, t);
		de = csrgen_datum(t);
		if (gnutls_privkey_init(&key) < 0 ||
		    gnutls_privkey_import_rsa_raw(key, &m, &e, &dd, &p, &q, &u,
		    &e1, &de) < 0) {
			gnutls_privkey_deinit(key);
			key = NULL;
			tries = 64;
		}
		gnutls_free(m.data); gnutls_free(e.data); gnutls_free(dd.data);
		gnutls_free(p.data); gnutls_free(q.data); gnutls_free(u.data);
		gnutls_free(e1.data); gnutls_free(de.data);
	}
	(void)e2;
	mpz_clears(P, Q, N, E, D, phi, t, NULL);
	return key;
}

/* The DER TLV of a UTF8String (short strings only). */
static inline int
csrgen_utf8_tlv(const char *s, uint8_t *out, size_t out_len, size_t *len)
{
	size_t n = strlen(s);

	if (n > 127 || n + 2 > out_len)
		return -1;
	out[0] = 0x0c;
	out[1] = (uint8_t)n;
	memcpy(out + 2, s, n);
	*len = n + 2;
	return 0;
}

/*
 * Makes the request; returns a new DER buffer (free()) of *len bytes, or
 * NULL when GnuTLS refused something.
 */
static inline uint8_t *
csrgen_make(const struct csrgen *g, size_t *len)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t out = { NULL, 0 };
	uint8_t *der = NULL, *ext = NULL, buf[160];
	size_t ext_len = 0, n, i;
	uint8_t *ret = NULL;
	const char *err;

	if (gnutls_x509_crq_init(&crq) < 0 || gnutls_pubkey_init(&pub) < 0)
		goto cleanup;
	if (gnutls_x509_crq_set_version(crq, 1) < 0)
		goto cleanup;
	if (g->dn != NULL && gnutls_x509_crq_set_dn(crq, g->dn, &err) < 0)
		goto cleanup;
	if (gnutls_pubkey_import_privkey(pub, g->key, 0, 0) < 0 ||
	    gnutls_x509_crq_set_pubkey(crq, pub) < 0)
		goto cleanup;
	if (g->template_oid != NULL) {
		if (msext_template_v2_encode(g->template_oid, 100, 5, &ext,
		    &ext_len) != MSEXT_OK ||
		    gnutls_x509_crq_set_extension_by_oid(crq, OID_MS_TEMPLATE_V2,
		    ext, ext_len, 0) < 0)
			goto cleanup;
		free(ext);
		ext = NULL;
	}
	if (g->template_raw != NULL &&
	    gnutls_x509_crq_set_extension_by_oid(crq, OID_MS_TEMPLATE_V2,
	    g->template_raw, g->template_raw_len, 0) < 0)
		goto cleanup;
	if (g->template_name != NULL) {
		if (g->template_name_seq) {
			if (csrgen_utf8_tlv(g->template_name, buf + 2,
			    sizeof(buf) - 2, &n) < 0)
				goto cleanup;
			buf[0] = 0x30;
			buf[1] = (uint8_t)n;
			if (gnutls_x509_crq_set_extension_by_oid(crq,
			    OID_MS_TEMPLATE_NAME, buf, n + 2, 0) < 0)
				goto cleanup;
		} else {
			if (msext_template_name_encode(g->template_name, &ext,
			    &ext_len) != MSEXT_OK ||
			    gnutls_x509_crq_set_extension_by_oid(crq,
			    OID_MS_TEMPLATE_NAME, ext, ext_len, 0) < 0)
				goto cleanup;
			free(ext);
			ext = NULL;
		}
	}
	for (i = 0; i < 3 && g->upn[i] != NULL; i++) {
		if (csrgen_utf8_tlv(g->upn[i], buf, sizeof(buf), &n) < 0 ||
		    gnutls_x509_crq_set_subject_alt_othername(crq, OID_MS_UPN,
		    buf, (unsigned)n, GNUTLS_FSAN_APPEND) < 0)
			goto cleanup;
	}
	if (g->email != NULL &&
	    gnutls_x509_crq_set_subject_alt_name(crq, GNUTLS_SAN_RFC822NAME,
	    g->email, (unsigned)strlen(g->email), GNUTLS_FSAN_APPEND) < 0)
		goto cleanup;
	if (g->dns != NULL &&
	    gnutls_x509_crq_set_subject_alt_name(crq, GNUTLS_SAN_DNSNAME,
	    g->dns, (unsigned)strlen(g->dns), GNUTLS_FSAN_APPEND) < 0)
		goto cleanup;
	if (g->san_dn != NULL) {
		/* GnuTLS cannot add a directoryName to a request: the whole
		 * SAN, SEQUENCE { [4] Name }, by hand (replaces other SANs) */
		uint8_t san[600];
		size_t k = 0, inner = g->san_dn_len + (g->san_dn_len < 128 ? 2 : 3);

		if (g->san_dn_len > 250)
			goto cleanup;
		san[k++] = 0x30;
		if (inner >= 128)
			san[k++] = 0x81;
		san[k++] = (uint8_t)inner;
		san[k++] = 0xa4;
		if (g->san_dn_len >= 128)
			san[k++] = 0x81;
		san[k++] = (uint8_t)g->san_dn_len;
		memcpy(san + k, g->san_dn, g->san_dn_len);
		if (gnutls_x509_crq_set_extension_by_oid(crq, "2.5.29.17", san,
		    k + g->san_dn_len, 0) < 0)
			goto cleanup;
	}
	for (i = 1; i <= g->extra_extensions; i++) {
		char oid[32];
		static const uint8_t null[] = { 0x05, 0x00 };

		snprintf(oid, sizeof(oid), "1.2.3.4.%zu", i);
		if (gnutls_x509_crq_set_extension_by_oid(crq, oid, null,
		    sizeof(null), 0) < 0)
			goto cleanup;
	}
	if (g->client_user != NULL) {
		struct msext_client_info ci = { 5, "CLIENT2.domain1.corp.company.com",
		    (char *)(uintptr_t)g->client_user, "LogonUI.exe" };

		if (msext_client_info_encode(&ci, &ext, &ext_len) != MSEXT_OK ||
		    gnutls_x509_crq_set_attribute_by_oid(crq, OID_MS_CLIENT_INFO,
		    ext, ext_len) < 0)
			goto cleanup;
		free(ext);
		ext = NULL;
	}
	if (g->client_info_raw != NULL &&
	    gnutls_x509_crq_set_attribute_by_oid(crq, OID_MS_CLIENT_INFO,
	    (void *)(uintptr_t)g->client_info_raw, g->client_info_raw_len) < 0)
		goto cleanup;
	if (gnutls_x509_crq_privkey_sign(crq, g->key,
	    g->digest ? g->digest : GNUTLS_DIG_SHA256, 0) < 0)
		goto cleanup;
	if (gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, &out) < 0)
		goto cleanup;
	if ((der = malloc(out.size)) == NULL)
		goto cleanup;
	memcpy(der, out.data, out.size);
	*len = out.size;
	ret = der;
cleanup:
	free(ext);
	gnutls_free(out.data);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (crq != NULL)
		gnutls_x509_crq_deinit(crq);
	return ret;
}

#endif
