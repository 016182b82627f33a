/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Unit tests for the signing certificate and key (src/signer.c). Keys and
 * certificates are made here with GnuTLS, so each test can pick exact
 * validity times and extensions; tests/integration/signer.sh covers PKCS#12,
 * PKCS#11 and the certtool-made PKI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "config.h"
#include "signer.h"
#include "signer_internal.h"

#define OTP_EKU "1.3.6.1.4.1.311.81.1.1"
/* SEQUENCE { SEQUENCE { OID 1.3.6.1.4.1.311.81.1.1 } } (MS-OTPCE 4.1) */
static const unsigned char app_policies[] = {
	0x30, 0x0e, 0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82,
	0x37, 0x51, 0x01, 0x01,
};

static char dir[] = "/tmp/otpcep-signer-XXXXXX";
static gnutls_x509_privkey_t ca_key, rsa_a, rsa_b, ec_key;
static gnutls_x509_crt_t ca_crt;
static unsigned serial_counter = 1;

enum { F_EKU = 1, F_APPPOL = 2, F_OTHER_EKU = 4 };

static const char *
path_of(const char *name)
{
	static char paths[8][256];
	static unsigned n;
	char *p = paths[n++ % 8];

	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static gnutls_x509_privkey_t
new_key(gnutls_pk_algorithm_t pk, unsigned bits)
{
	gnutls_x509_privkey_t k;

	assert_int_equal(gnutls_x509_privkey_init(&k), 0);
	assert_int_equal(gnutls_x509_privkey_generate(k, pk, bits, 0), 0);
	return k;
}

static void
write_datum(const char *name, const gnutls_datum_t *d)
{
	FILE *f = fopen(path_of(name), "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(d->data, 1, d->size, f), d->size);
	fclose(f);
}

static void
write_key(const char *name, gnutls_x509_privkey_t k, gnutls_x509_crt_fmt_t fmt)
{
	gnutls_datum_t d;

	assert_int_equal(gnutls_x509_privkey_export2(k, fmt, &d), 0);
	write_datum(name, &d);
	gnutls_free(d.data);
	assert_int_equal(chmod(path_of(name), 0600), 0);
}

/* A certificate for key k, valid [now+from, now+to], signed by the test CA. */
static void
write_cert(const char *name, gnutls_x509_privkey_t k, long from, long to,
    unsigned flags)
{
	gnutls_x509_crt_t c;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)app_policies,
	    sizeof(app_policies) };
	unsigned char serial[4];
	time_t now = time(NULL);

	serial_counter++;
	serial[0] = 0x10;
	serial[1] = (unsigned char)(serial_counter >> 16);
	serial[2] = (unsigned char)(serial_counter >> 8);
	serial[3] = (unsigned char)serial_counter;
	assert_int_equal(gnutls_x509_crt_init(&c), 0);
	assert_int_equal(gnutls_x509_crt_set_version(c, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_key(c, k), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(c, serial, sizeof(serial)), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(c, now + from), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(c, now + to), 0);
	assert_int_equal(gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME,
	    0, name, strlen(name)), 0);
	assert_int_equal(gnutls_x509_crt_set_key_usage(c,
	    GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
	if (flags & F_EKU)
		assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(c, OTP_EKU, 0), 0);
	if (flags & F_OTHER_EKU)
		assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(c,
		    GNUTLS_KP_TLS_WWW_SERVER, 0), 0);
	if (flags & F_APPPOL)
		assert_int_equal(gnutls_x509_crt_set_extension_by_oid(c,
		    "1.3.6.1.4.1.311.21.10", d.data, d.size, 0), 0);
	if (ca_crt)
		assert_int_equal(gnutls_x509_crt_sign2(c, ca_crt, ca_key,
		    GNUTLS_DIG_SHA256, 0), 0);
	else
		assert_int_equal(gnutls_x509_crt_sign2(c, c, k, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &d), 0);
	write_datum(name, &d);
	gnutls_free(d.data);
	gnutls_x509_crt_deinit(c);
}

static int
setup(void **state)
{
	gnutls_datum_t d;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	ca_key = new_key(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	rsa_a = new_key(GNUTLS_PK_RSA, 2048);
	rsa_b = new_key(GNUTLS_PK_RSA, 2048);
	ec_key = new_key(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	write_cert("ca.pem", ca_key, -60, 86400, 0);
	if (gnutls_load_file(path_of("ca.pem"), &d) < 0 ||
	    gnutls_x509_crt_init(&ca_crt) < 0 ||
	    gnutls_x509_crt_import(ca_crt, &d, GNUTLS_X509_FMT_PEM) < 0)
		return -1;
	gnutls_free(d.data);
	write_key("a.key", rsa_a, GNUTLS_X509_FMT_PEM);
	write_key("a.der", rsa_a, GNUTLS_X509_FMT_DER);
	write_key("b.key", rsa_b, GNUTLS_X509_FMT_PEM);
	write_key("ec.key", ec_key, GNUTLS_X509_FMT_PEM);
	write_cert("a.pem", rsa_a, -60, 2 * 86400, F_EKU | F_APPPOL);
	write_cert("b.pem", rsa_b, -60, 2 * 86400, F_EKU | F_APPPOL);
	write_cert("ec.pem", ec_key, -60, 2 * 86400, F_EKU);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	gnutls_x509_crt_deinit(ca_crt);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_x509_privkey_deinit(rsa_a);
	gnutls_x509_privkey_deinit(rsa_b);
	gnutls_x509_privkey_deinit(ec_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A configuration with just the signing keys (all signer.c reads). */
static void
cfg_init(struct config *cfg, const char *cert, const char *key)
{
	static char cert_path[256], key_path[256];

	memset(cfg, 0, sizeof(*cfg));
	if (cert) {
		snprintf(cert_path, sizeof(cert_path), "%s", path_of(cert));
		cfg->signing_cert = cert_path;
	}
	if (key) {
		snprintf(key_path, sizeof(key_path), "%s", path_of(key));
		cfg->signing_key = key_path;
	}
	cfg->signing_digest = DIGEST_SHA256;
	cfg->signing_eku = (char *)(uintptr_t)OTP_EKU;
	cfg->signing_warn_hours = 24;
}

/* Signs text with c and verifies it with the public key of c's certificate 0. */
static void
sign_verify(const struct signer_cert *c, uint8_t **sig_out, size_t *sig_len_out)
{
	static const char text[] = "to be signed";
	const gnutls_datum_t data = { (unsigned char *)(uintptr_t)text,
	    sizeof(text) - 1 };
	const uint8_t *der;
	size_t der_len, sig_len;
	uint8_t *sig;
	gnutls_datum_t dd, sd;
	gnutls_x509_crt_t crt;
	gnutls_pubkey_t pub;
	int pk;

	assert_int_equal(signer_sign(c, data.data, data.size, &sig, &sig_len),
	    SIGNER_OK);
	signer_cert_der(c, 0, &der, &der_len);
	assert_non_null(der);
	dd.data = (unsigned char *)(uintptr_t)der;
	dd.size = (unsigned)der_len;
	sd.data = sig;
	sd.size = (unsigned)sig_len;
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &dd, GNUTLS_X509_FMT_DER), 0);
	assert_int_equal(gnutls_pubkey_init(&pub), 0);
	assert_int_equal(gnutls_pubkey_import_x509(pub, crt, 0), 0);
	pk = gnutls_pubkey_get_pk_algorithm(pub, NULL);
	assert_true(gnutls_pubkey_verify_data2(pub,
	    gnutls_pk_to_sign((gnutls_pk_algorithm_t)pk, signer_digest(c)),
	    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &data, &sd) >= 0);
	/* A changed byte must not verify. */
	sig[sig_len / 2] ^= 1;
	assert_true(gnutls_pubkey_verify_data2(pub,
	    gnutls_pk_to_sign((gnutls_pk_algorithm_t)pk, signer_digest(c)),
	    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &data, &sd) < 0);
	sig[sig_len / 2] ^= 1;
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
	if (sig_out) {
		*sig_out = sig;
		*sig_len_out = sig_len;
	} else {
		free(sig);
	}
}

/* The CN of the snapshot's certificate ("a.pem", ...). */
static void
assert_cert_name(const struct signer_cert *c, const char *name)
{
	const uint8_t *der;
	size_t der_len, len;
	gnutls_datum_t dd;
	gnutls_x509_crt_t crt;
	char cn[64];

	signer_cert_der(c, 0, &der, &der_len);
	dd.data = (unsigned char *)(uintptr_t)der;
	dd.size = (unsigned)der_len;
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &dd, GNUTLS_X509_FMT_DER), 0);
	len = sizeof(cn);
	assert_int_equal(gnutls_x509_crt_get_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &len), 0);
	assert_string_equal(cn, name);
	gnutls_x509_crt_deinit(crt);
}

static void
copy_file(const char *from, const char *to)
{
	char tmp[300], cmd[700];

	/* Replace by rename, as a PKI client does. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path_of(to));
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && mv '%s' '%s'", path_of(from),
	    tmp, tmp, path_of(to));
	assert_int_equal(system(cmd), 0);
}

/* A pkcs11: URI in a log line never shows its pin-value (RFC 7512 2.3). */
static void
test_key_name_censors_pin(void **state)
{
	char buf[256], small[24];

	(void)state;
	assert_string_equal(signer_key_name("/etc/otpcep/sign.key", buf,
	    sizeof(buf)), "/etc/otpcep/sign.key");
	assert_string_equal(signer_key_name("pkcs11:token=t;object=k"
	    "?module-path=/m.so&pin-value=1234&x=y", buf, sizeof(buf)),
	    "pkcs11:token=t;object=k?module-path=/m.so&pin-value=(censored)&x=y");
	assert_null(strstr(signer_key_name("pkcs11:object=k?pin-value=1234"
	    "&pin-value=5678", buf, sizeof(buf)), "5678"));
	assert_null(strstr(signer_key_name("pkcs11:object=k?pin-value=1234",
	    small, sizeof(small)), "1234"));
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(signer_strerror(SIGNER_OK), "ok");
	assert_string_equal(signer_strerror(SIGNER_NO_VALID_CERT),
	    "no valid signing certificate");
	assert_string_equal(signer_strerror(SIGNER_FAILED), "signing failed");
	assert_string_equal(signer_strerror(SIGNER_NOMEM), "out of memory");
	assert_string_equal(signer_strerror((enum signer_result)99),
	    "unknown signer error");
}

static void
test_not_configured_fails_closed(void **state)
{
	struct config cfg;
	struct signer *s;
	struct signer_cert *c = (struct signer_cert *)&cfg;

	(void)state;
	cfg_init(&cfg, NULL, NULL);
	assert_non_null(s = signer_new(&cfg));
	assert_int_equal(signer_acquire(s, &c), SIGNER_NO_VALID_CERT);
	assert_null(c);
	signer_request_reload(s);
	assert_int_equal(signer_acquire(s, &c), SIGNER_NO_VALID_CERT);
	signer_release(s, NULL);
	signer_free(s);
	signer_free(NULL);
}

static void
test_rsa_pem_signs_deterministically(void **state)
{
	struct config cfg;
	struct signer *s;
	struct signer_cert *c;
	uint8_t *sig1, *sig2;
	size_t len1, len2;
	const uint8_t *der;
	size_t der_len;
	gnutls_datum_t pem, want;

	(void)state;
	cfg_init(&cfg, "a.pem", "a.key");
	assert_non_null(s = signer_new(&cfg));
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	assert_string_equal(signer_signature_oid(c), "1.2.840.113549.1.1.1");
	assert_int_equal(signer_digest(c), GNUTLS_DIG_SHA256);
	assert_int_equal(signer_cert_count(c), 1);
	assert_true(signer_not_after(c) > time(NULL) + 86400);
	assert_true(signer_not_after(c) <= time(NULL) + 2 * 86400);
	/* Certificate 0 is the file's certificate, as DER. */
	assert_int_equal(gnutls_load_file(path_of("a.pem"), &pem), 0);
	assert_int_equal(gnutls_pem_base64_decode2("CERTIFICATE", &pem, &want), 0);
	signer_cert_der(c, 0, &der, &der_len);
	assert_int_equal(der_len, want.size);
	assert_memory_equal(der, want.data, der_len);
	gnutls_free(pem.data);
	gnutls_free(want.data);
	signer_cert_der(c, 1, &der, &der_len);
	assert_null(der);
	assert_int_equal(der_len, 0);
	/* PKCS#1 v1.5: the same input gives the same signature. */
	sign_verify(c, &sig1, &len1);
	sign_verify(c, &sig2, &len2);
	assert_int_equal(len1, 256);
	assert_int_equal(len1, len2);
	assert_memory_equal(sig1, sig2, len1);
	free(sig1);
	free(sig2);
	signer_release(s, c);
	signer_free(s);
}

static void
test_rsa_der_key_and_chain(void **state)
{
	struct config cfg;
	struct signer *s;
	struct signer_cert *c;
	const uint8_t *der;
	size_t der_len;

	(void)state;
	cfg_init(&cfg, "a.pem", "a.der");
	cfg.signing_chain = (char *)(uintptr_t)path_of("ca.pem");
	assert_non_null(s = signer_new(&cfg));
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	assert_int_equal(signer_cert_count(c), 2);
	signer_cert_der(c, 1, &der, &der_len);
	assert_non_null(der);
	assert_true(der_len > 100);
	sign_verify(c, NULL, NULL);
	signer_release(s, c);
	signer_free(s);
}

static void
test_ec_every_digest(void **state)
{
	static const struct {
		enum signing_digest d;
		gnutls_digest_algorithm_t g;
		const char *oid;
	} cases[] = {
		{ DIGEST_SHA1, GNUTLS_DIG_SHA1, "1.2.840.10045.4.1" },
		{ DIGEST_SHA256, GNUTLS_DIG_SHA256, "1.2.840.10045.4.3.2" },
		{ DIGEST_SHA384, GNUTLS_DIG_SHA384, "1.2.840.10045.4.3.3" },
		{ DIGEST_SHA512, GNUTLS_DIG_SHA512, "1.2.840.10045.4.3.4" },
	};
	struct config cfg;
	struct signer *s;
	struct signer_cert *c;
	uint8_t *sig1, *sig2;
	size_t len1, len2, i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg_init(&cfg, "ec.pem", "ec.key");
		cfg.signing_digest = cases[i].d;
		assert_non_null(s = signer_new(&cfg));
		assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
		assert_int_equal(signer_digest(c), cases[i].g);
		assert_string_equal(signer_signature_oid(c), cases[i].oid);
		/* RFC 6979: deterministic ECDSA for software keys. */
		sign_verify(c, &sig1, &len1);
		sign_verify(c, &sig2, &len2);
		assert_int_equal(len1, len2);
		assert_memory_equal(sig1, sig2, len1);
		free(sig1);
		free(sig2);
		signer_release(s, c);
		signer_free(s);
	}
	/* RSA with sha1, for old CAs: still rsaEncryption. */
	cfg_init(&cfg, "a.pem", "a.key");
	cfg.signing_digest = DIGEST_SHA1;
	assert_non_null(s = signer_new(&cfg));
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	assert_string_equal(signer_signature_oid(c), "1.2.840.113549.1.1.1");
	sign_verify(c, NULL, NULL);
	signer_release(s, c);
	signer_free(s);
}

static void
test_refused_at_start(void **state)
{
	struct config cfg;

	(void)state;
	write_cert("expired.pem", rsa_a, -3 * 86400, -60, F_EKU);
	write_cert("future.pem", rsa_a, 3600, 86400, F_EKU);
	write_cert("noeku.pem", rsa_a, -60, 86400, F_OTHER_EKU);
	write_cert("bare.pem", rsa_a, -60, 86400, 0);
	write_key("empty.key", rsa_a, GNUTLS_X509_FMT_PEM);
	assert_int_equal(truncate(path_of("empty.key"), 0), 0);

	cfg_init(&cfg, "expired.pem", "a.key");
	assert_null(signer_new(&cfg));
	cfg_init(&cfg, "future.pem", "a.key");
	assert_null(signer_new(&cfg));
	cfg_init(&cfg, "noeku.pem", "a.key");
	assert_null(signer_new(&cfg));
	cfg_init(&cfg, "bare.pem", "a.key");
	assert_null(signer_new(&cfg));
	/* a.pem carries the OTP policy, not this one. */
	cfg_init(&cfg, "a.pem", "a.key");
	cfg.signing_eku = (char *)(uintptr_t)"1.3.6.1.5.5.7.3.2";
	assert_null(signer_new(&cfg));
	/* Keys that do not belong to the certificate. */
	cfg_init(&cfg, "a.pem", "b.key");
	assert_null(signer_new(&cfg));
	cfg_init(&cfg, "a.pem", "ec.key");
	assert_null(signer_new(&cfg));
	cfg_init(&cfg, "ec.pem", "a.key");
	assert_null(signer_new(&cfg));
	/* Files that are missing, empty, or the wrong kind. */
	cfg_init(&cfg, "missing.pem", "a.key");
	assert_null(signer_new(&cfg));
	cfg_init(&cfg, "a.pem", "missing.key");
	assert_null(signer_new(&cfg));
	cfg_init(&cfg, "a.pem", "empty.key");
	assert_null(signer_new(&cfg));
	cfg_init(&cfg, "a.key", "a.key");
	assert_null(signer_new(&cfg));
	cfg_init(&cfg, "a.pem", "a.pem");
	assert_null(signer_new(&cfg));
	cfg_init(&cfg, "a.pem", "a.key");
	cfg.signing_chain = (char *)(uintptr_t)path_of("a.key");
	assert_null(signer_new(&cfg));
	/* A password file that others may read. */
	cfg_init(&cfg, "a.pem", "a.key");
	write_key("open.pass", rsa_a, GNUTLS_X509_FMT_PEM);
	chmod(path_of("open.pass"), 0644);
	cfg.signing_key_password_file = (char *)(uintptr_t)path_of("open.pass");
	assert_null(signer_new(&cfg));
}

static void
test_eku_forms_accepted(void **state)
{
	struct config cfg;
	struct signer *s;
	struct signer_cert *c;

	(void)state;
	write_cert("apppol.pem", rsa_a, -60, 86400, F_APPPOL);
	write_cert("ekuonly.pem", rsa_a, -60, 86400, F_EKU | F_OTHER_EKU);
	cfg_init(&cfg, "apppol.pem", "a.key");
	assert_non_null(s = signer_new(&cfg));
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	sign_verify(c, NULL, NULL);
	signer_release(s, c);
	signer_free(s);
	cfg_init(&cfg, "ekuonly.pem", "a.key");
	assert_non_null(s = signer_new(&cfg));
	signer_free(s);
	/* A configured signing_eku replaces the default. */
	cfg_init(&cfg, "ekuonly.pem", "a.key");
	cfg.signing_eku = (char *)(uintptr_t)"1.3.6.1.5.5.7.3.1";
	assert_non_null(s = signer_new(&cfg));
	signer_free(s);
}

static void
test_reload_on_request_and_file_change(void **state)
{
	struct config cfg;
	struct signer *s;
	struct signer_cert *c, *held;

	(void)state;
	copy_file("a.pem", "live.pem");
	copy_file("a.key", "live.key");
	cfg_init(&cfg, "live.pem", "live.key");
	assert_non_null(s = signer_new(&cfg));
	assert_int_equal(signer_acquire(s, &held), SIGNER_OK);
	assert_cert_name(held, "a.pem");

	/* Renewal: new certificate and key; SIGHUP makes it immediate. */
	copy_file("b.pem", "live.pem");
	copy_file("b.key", "live.key");
	signer_request_reload(s);
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	assert_cert_name(c, "b.pem");
	sign_verify(c, NULL, NULL);
	signer_release(s, c);
	/* The snapshot taken before still signs with the old key. */
	assert_cert_name(held, "a.pem");
	sign_verify(held, NULL, NULL);
	signer_release(s, held);

	/* A bad renewal (key does not match) keeps the current pair. */
	copy_file("a.key", "live.key");
	signer_request_reload(s);
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	assert_cert_name(c, "b.pem");
	sign_verify(c, NULL, NULL);
	signer_release(s, c);

	/* Noticed without a request, within about a second. */
	copy_file("a.pem", "live.pem");
	sleep(2);
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	assert_cert_name(c, "a.pem");
	sign_verify(c, NULL, NULL);
	signer_release(s, c);

	/* A certificate file that disappears: keep the current pair. */
	unlink(path_of("live.pem"));
	signer_request_reload(s);
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	assert_cert_name(c, "a.pem");
	signer_release(s, c);
	signer_free(s);
}

static void
test_expires_while_running(void **state)
{
	struct config cfg;
	struct signer *s;
	struct signer_cert *c;

	(void)state;
	write_cert("short.pem", rsa_a, -60, 2, F_EKU);
	copy_file("short.pem", "short-live.pem");
	cfg_init(&cfg, "short-live.pem", "a.key");
	assert_non_null(s = signer_new(&cfg));
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	signer_release(s, c);
	/* The renewal that arrives is expired too: refused, old one kept. */
	write_cert("expired2.pem", rsa_a, -86400, -10, F_EKU);
	copy_file("expired2.pem", "short-live.pem");
	sleep(4);
	c = (struct signer_cert *)&cfg;
	assert_int_equal(signer_acquire(s, &c), SIGNER_NO_VALID_CERT);
	assert_null(c);
	/* A good renewal brings signing back. */
	copy_file("a.pem", "short-live.pem");
	signer_request_reload(s);
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	assert_cert_name(c, "a.pem");
	signer_release(s, c);
	signer_free(s);
}

/*
 * Issue 11, "Files": the key file rule (at most 0640, owner root or the
 * service user, a regular file) holds at every load, not only at start-up:
 * a renewal that leaves the key readable by others is refused and the
 * current pair kept.
 */
static void
test_key_file_rule_at_every_load(void **state)
{
	struct config cfg;
	struct signer *s;
	struct signer_cert *c;

	(void)state;
	copy_file("a.pem", "rule.pem");
	copy_file("a.key", "rule.key");
	cfg_init(&cfg, "rule.pem", "rule.key");
	assert_non_null(s = signer_new(&cfg));

	/* A renewal whose key others may read: refused, a.pem kept. */
	copy_file("b.pem", "rule.pem");
	copy_file("b.key", "rule.key");
	assert_int_equal(chmod(path_of("rule.key"), 0644), 0);
	signer_request_reload(s);
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	assert_cert_name(c, "a.pem");
	signer_release(s, c);
	/* Mode 0640 (the service's group) is allowed. */
	assert_int_equal(chmod(path_of("rule.key"), 0640), 0);
	signer_request_reload(s);
	assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
	assert_cert_name(c, "b.pem");
	sign_verify(c, NULL, NULL);
	signer_release(s, c);
	if (geteuid() == 0) {
		/* Owned by someone else: refused; b.pem kept. */
		copy_file("a.pem", "rule.pem");
		copy_file("a.key", "rule.key");
		assert_int_equal(chown(path_of("rule.key"), 4242, 4242), 0);
		signer_request_reload(s);
		assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
		assert_cert_name(c, "b.pem");
		signer_release(s, c);
		assert_int_equal(chown(path_of("rule.key"), 0, 0), 0);
		signer_request_reload(s);
		assert_int_equal(signer_acquire(s, &c), SIGNER_OK);
		assert_cert_name(c, "a.pem");
		signer_release(s, c);
	}
	signer_free(s);

	/* The same at start-up, and a FIFO in the key's place does not hang. */
	assert_int_equal(chmod(path_of("rule.key"), 0604), 0);
	assert_null(signer_new(&cfg));
	assert_int_equal(unlink(path_of("rule.key")), 0);
	assert_int_equal(mkfifo(path_of("rule.key"), 0600), 0);
	assert_null(signer_new(&cfg));
	assert_int_equal(unlink(path_of("rule.key")), 0);
}

struct worker_arg {
	struct signer *s;
	unsigned ok;
};

static void *
worker(void *p)
{
	struct worker_arg *w = p;
	struct signer_cert *c;
	unsigned i;

	for (i = 0; i < 40; i++) {
		if (signer_acquire(w->s, &c) != SIGNER_OK)
			continue;
		sign_verify(c, NULL, NULL);
		signer_release(w->s, c);
		w->ok++;
	}
	return NULL;
}

/* Workers sign while the pair is swapped under them (run with valgrind/ASan). */
static void
test_concurrent_reloads(void **state)
{
	struct config cfg;
	struct worker_arg w[4];
	pthread_t t[4];
	unsigned i;

	(void)state;
	copy_file("ec.pem", "conc.pem");
	copy_file("ec.key", "conc.key");
	cfg_init(&cfg, "conc.pem", "conc.key");
	assert_non_null(w[0].s = signer_new(&cfg));
	for (i = 0; i < 4; i++) {
		w[i].s = w[0].s;
		w[i].ok = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (i = 0; i < 20; i++) {
		signer_request_reload(w[0].s);
		usleep(2000);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].ok, 40);
	}
	signer_free(w[0].s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_key_name_censors_pin),
		cmocka_unit_test(test_not_configured_fails_closed),
		cmocka_unit_test(test_rsa_pem_signs_deterministically),
		cmocka_unit_test(test_rsa_der_key_and_chain),
		cmocka_unit_test(test_ec_every_digest),
		cmocka_unit_test(test_refused_at_start),
		cmocka_unit_test(test_eku_forms_accepted),
		cmocka_unit_test(test_reload_on_request_and_file_change),
		cmocka_unit_test(test_expires_while_running),
		cmocka_unit_test(test_key_file_rule_at_every_load),
		cmocka_unit_test(test_concurrent_reloads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
