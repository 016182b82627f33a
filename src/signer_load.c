/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Loading and checking one signing certificate and key (issue 5, "The key"
 * and "Start-up and reload"): PEM or DER key files, PKCS#12, PKCS#11 tokens;
 * the certificate must match the key, be valid now and carry signing_eku.
 * Used at start-up and at every reload by src/signer.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs11.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>

#include "config.h"
#include "log.h"
#include "msext.h"
#include "secret.h"
#include "signer.h"
#include "signer_internal.h"

/* Microsoft application policies (szOID_APPLICATION_CERT_POLICIES). */
/* A key file or PKCS#12 file with its chain is a few KiB; far more is not one. */
#define SIGNER_KEY_FILE_MAX	(1024 * 1024)
#define OID_APP_POLICIES	"1.3.6.1.4.1.311.21.10"
/* RFC 8017 A.1 / RFC 3370 3.2: rsaEncryption, as in MS-OTPCE 4.1. */
#define OID_RSA_ENCRYPTION	"1.2.840.113549.1.1.1"
/* RFC 5758 3.2 and RFC 3279 2.2.3: ecdsa-with-SHA*. */
#define OID_ECDSA_SHA1		"1.2.840.10045.4.1"
#define OID_ECDSA_SHA256	"1.2.840.10045.4.3.2"
#define OID_ECDSA_SHA384	"1.2.840.10045.4.3.3"
#define OID_ECDSA_SHA512	"1.2.840.10045.4.3.4"

const char *
signer_key_name(const char *key, char *buf, size_t buf_len)
{
	const char *p, *end;
	int n;

	if (!signer_is_pkcs11(key) || (p = strstr(key, "pin-value=")) == NULL)
		return key;
	p += strlen("pin-value=");
	end = p + strcspn(p, "&;");
	/* A second pin-value (or a buffer too small): nothing of it is shown. */
	if (strstr(end, "pin-value=") != NULL)
		return "pkcs11: URI (censored)";
	n = snprintf(buf, buf_len, "%.*s(censored)%s", (int)(p - key), key, end);
	if (n < 0 || (size_t)n >= buf_len)
		return "pkcs11: URI (censored)";
	return buf;
}

static bool
looks_pem(const gnutls_datum_t *d)
{
	return memmem(d->data, d->size, "-----BEGIN ", 11) != NULL;
}

void
signer_cert_free(struct signer_cert *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->key)
		gnutls_privkey_deinit(c->key);
	for (i = 0; i < c->der_count; i++)
		gnutls_free(c->der[i].data);
	free(c->der);
	free(c->sig_oid_buf);
	if (atomic_load(&c->aux) != NULL && c->aux_free != NULL)
		c->aux_free(atomic_load(&c->aux));
	if (c->sign_lock) {
		pthread_mutex_destroy(c->sign_lock);
		free(c->sign_lock);
	}
	free(c);
}

/* Reads the signing certificate: exactly one, PEM or DER. 0 or -1 (logged). */
static int
load_cert(const char *path, gnutls_x509_crt_t *out)
{
	gnutls_datum_t d = { NULL, 0 };
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0, i;
	int r, ret = -1;

	*out = NULL;
	if ((r = gnutls_load_file(path, &d)) < 0) {
		log_err("step 4: signing_cert %s: cannot read: %s", path,
		    gnutls_strerror(r));
		goto cleanup;
	}
	if (looks_pem(&d)) {
		r = gnutls_x509_crt_list_import2(&list, &n, &d,
		    GNUTLS_X509_FMT_PEM, 0);
		if (r < 0 || n == 0) {
			log_err("step 4: signing_cert %s: not a certificate: %s",
			    path, r < 0 ? gnutls_strerror(r) : "none found");
			goto cleanup;
		}
		if (n != 1) {
			log_err("step 4: signing_cert %s holds %u certificates; put "
			    "only the signing certificate there and the others in "
			    "signing_chain", path, n);
			goto cleanup;
		}
		*out = list[0];
		list[0] = NULL;
	} else {
		if ((r = gnutls_x509_crt_init(out)) < 0 ||
		    (r = gnutls_x509_crt_import(*out, &d, GNUTLS_X509_FMT_DER)) < 0) {
			log_err("step 4: signing_cert %s: not a PEM or DER "
			    "certificate: %s", path, gnutls_strerror(r));
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	for (i = 0; i < n; i++)
		if (list[i])
			gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	gnutls_free(d.data);
	if (ret != 0 && *out) {
		gnutls_x509_crt_deinit(*out);
		*out = NULL;
	}
	return ret;
}

/* Appends DER copies of every certificate in the PEM file. 0 or -1 (logged). */
static int
load_chain(const char *path, struct signer_cert *c)
{
	gnutls_datum_t d = { NULL, 0 };
	gnutls_x509_crt_t *list = NULL;
	gnutls_datum_t *der;
	unsigned n = 0, i;
	int r, ret = -1;

	if ((r = gnutls_load_file(path, &d)) < 0) {
		log_err("step 4: signing_chain %s: cannot read: %s", path,
		    gnutls_strerror(r));
		goto cleanup;
	}
	r = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (r < 0 || n == 0) {
		log_err("step 4: signing_chain %s: no PEM certificates: %s", path,
		    r < 0 ? gnutls_strerror(r) : "none found");
		goto cleanup;
	}
	if ((der = realloc(c->der, (c->der_count + n) * sizeof(*der))) == NULL) {
		log_err("step 4: out of memory");
		goto cleanup;
	}
	c->der = der;
	for (i = 0; i < n; i++) {
		if ((r = gnutls_x509_crt_export2(list[i], GNUTLS_X509_FMT_DER,
		    &c->der[c->der_count])) < 0) {
			log_err("step 4: signing_chain %s: certificate %u: %s", path,
			    i + 1, gnutls_strerror(r));
			goto cleanup;
		}
		c->der_count++;
	}
	ret = 0;
cleanup:
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	gnutls_free(d.data);
	return ret;
}

/*
 * GnuTLS asks for the token PIN (at log-in, and again if the token drops the
 * session). The PIN is read from signing_key_password_file each time and
 * wiped at once; a wrong PIN is never retried, so as not to lock the token.
 */
static int
pin_callback(void *userdata, int attempt, const char *token_url,
    const char *token_label, unsigned int flags, char *pin, size_t pin_max)
{
	const struct pin_source *ps = userdata;
	struct secret sec = { NULL, 0 };
	enum secret_result sr;
	int ret = -1;

	(void)token_url;
	if (attempt > 0 || (flags & GNUTLS_PIN_WRONG)) {
		log_err("step 4: token '%s' refused the PIN from "
		    "signing_key_password_file; not retrying", token_label);
		return -1;
	}
	if (ps->password_file == NULL) {
		log_err("step 4: token '%s' wants a PIN: set "
		    "signing_key_password_file (or pin-value in the URI)",
		    token_label);
		return -1;
	}
	if ((sr = secret_read_file(ps->password_file, &sec)) != SECRET_OK) {
		log_err("step 4: signing_key_password_file %s: %s",
		    ps->password_file, secret_strerror(sr));
		goto cleanup;
	}
	if (sec.len >= pin_max) {
		log_err("step 4: signing_key_password_file %s: PIN too long",
		    ps->password_file);
		goto cleanup;
	}
	memcpy(pin, sec.data, sec.len + 1);
	ret = 0;
cleanup:
	secret_free(&sec);
	return ret;
}

/* The PKCS#12 password or key-file password, when configured. */
static int
read_password(const struct config *cfg, struct secret *sec)
{
	enum secret_result sr;

	memset(sec, 0, sizeof(*sec));
	if (cfg->signing_key_password_file == NULL)
		return 0;
	if ((sr = secret_read_file(cfg->signing_key_password_file, sec)) !=
	    SECRET_OK) {
		log_err("step 4: signing_key_password_file %s: %s",
		    cfg->signing_key_password_file, secret_strerror(sr));
		return -1;
	}
	return 0;
}

/* The key out of a PKCS#12 file (RFC 7292). 0 or -1 (logged). */
static int
load_pkcs12(const struct config *cfg, const gnutls_datum_t *d,
    gnutls_x509_crt_fmt_t fmt, gnutls_privkey_t key)
{
	gnutls_pkcs12_t p12 = NULL;
	gnutls_x509_privkey_t xkey = NULL;
	gnutls_x509_crt_t *chain = NULL;
	unsigned chain_len = 0, i;
	struct secret pass;
	const char *pw;
	int r, ret = -1;

	if (read_password(cfg, &pass) != 0)
		return -1;
	pw = (const char *)pass.data;
	if ((r = gnutls_pkcs12_init(&p12)) < 0 ||
	    (r = gnutls_pkcs12_import(p12, d, fmt, 0)) < 0) {
		log_err("step 4: signing_key %s: neither a private key nor a "
		    "PKCS#12 file: %s", cfg->signing_key, gnutls_strerror(r));
		goto cleanup;
	}
	if ((r = gnutls_pkcs12_verify_mac(p12, pw)) < 0) {
		log_err("step 4: signing_key %s: PKCS#12 integrity check failed "
		    "(%s): %s", cfg->signing_key, pw ? "wrong password in "
		    "signing_key_password_file?" : "no signing_key_password_file "
		    "set", gnutls_strerror(r));
		goto cleanup;
	}
	if ((r = gnutls_pkcs12_simple_parse(p12, pw, &xkey, &chain, &chain_len,
	    NULL, NULL, NULL, 0)) < 0) {
		log_err("step 4: signing_key %s: no usable key in the PKCS#12 "
		    "file: %s", cfg->signing_key, gnutls_strerror(r));
		goto cleanup;
	}
	if ((r = gnutls_privkey_import_x509(key, xkey,
	    GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE)) < 0) {
		log_err("step 4: signing_key %s: %s", cfg->signing_key,
		    gnutls_strerror(r));
		goto cleanup;
	}
	xkey = NULL;
	ret = 0;
cleanup:
	for (i = 0; i < chain_len; i++)
		gnutls_x509_crt_deinit(chain[i]);
	gnutls_free(chain);
	if (xkey)
		gnutls_x509_privkey_deinit(xkey);
	if (p12)
		gnutls_pkcs12_deinit(p12);
	secret_free(&pass);
	return ret;
}


/*
 * The key from signing_key: a pkcs11: URI, a PKCS#12 file (PEM or DER), or a
 * PEM/DER private key (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8 with the
 * password file). 0 or -1 (logged).
 */
static int
load_key(const struct config *cfg, struct signer_cert *c)
{
	gnutls_datum_t d = { NULL, 0 };
	struct secret pass = { NULL, 0 }, key_file = { NULL, 0 };
	enum secret_result sr;
	char name[512];
	gnutls_x509_crt_fmt_t fmt;
	int r, ret = -1;

	if ((r = gnutls_privkey_init(&c->key)) < 0) {
		log_err("step 4: %s", gnutls_strerror(r));
		return -1;
	}
	if (signer_is_pkcs11(cfg->signing_key)) {
		c->pkcs11 = true;
		if ((c->sign_lock = malloc(sizeof(*c->sign_lock))) == NULL ||
		    pthread_mutex_init(c->sign_lock, NULL) != 0) {
			free(c->sign_lock);
			c->sign_lock = NULL;
			log_err("step 4: out of memory");
			return -1;
		}
		c->pin.password_file = cfg->signing_key_password_file;
		gnutls_privkey_set_pin_function(c->key, pin_callback, &c->pin);
		if ((r = gnutls_privkey_import_url(c->key, cfg->signing_key, 0)) < 0) {
			log_err("step 4: signing_key %s: cannot use the token's "
			    "key: %s", signer_key_name(cfg->signing_key, name,
			    sizeof(name)), gnutls_strerror(r));
			return -1;
		}
		return 0;
	}
	/*
	 * Issue 11, "Files": the start-up rule (src/config_files.c) again at
	 * every load, on the descriptor read, so that a key file replaced
	 * while otpcep runs (a renewal, a reload) gets it too.
	 */
	if ((sr = secret_read_key(cfg->signing_key, SIGNER_KEY_FILE_MAX,
	    cfg->user != NULL ? cfg->uid : geteuid(), &key_file)) != SECRET_OK) {
		log_err("step 4: signing_key %s: %s%s", cfg->signing_key,
		    secret_strerror(sr), sr == SECRET_INSECURE ||
		    sr == SECRET_OWNER ? " (otpcep --check-config says what "
		    "to run)" : "");
		return -1;
	}
	d.data = key_file.data;
	d.size = (unsigned)key_file.len;
	fmt = looks_pem(&d) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
	if (fmt == GNUTLS_X509_FMT_PEM &&
	    memmem(d.data, d.size, "-----BEGIN PKCS12", 17) != NULL) {
		ret = load_pkcs12(cfg, &d, fmt, c->key);
		goto cleanup;
	}
	if (read_password(cfg, &pass) != 0)
		goto cleanup;
	r = gnutls_privkey_import_x509_raw(c->key, &d, fmt,
	    (const char *)pass.data, 0);
	if (r < 0 && fmt == GNUTLS_X509_FMT_DER) {
		/* Not a DER key: a DER PKCS#12 file, perhaps. */
		secret_free(&pass);
		ret = load_pkcs12(cfg, &d, fmt, c->key);
		goto cleanup;
	}
	if (r < 0) {
		log_err("step 4: signing_key %s: not a usable private key%s: %s",
		    cfg->signing_key, pass.data ? "" :
		    " (encrypted? set signing_key_password_file)",
		    gnutls_strerror(r));
		goto cleanup;
	}
	ret = 0;
cleanup:
	secret_free(&pass);
	secret_free(&key_file);
	return ret;
}

static gnutls_digest_algorithm_t
digest_of(enum signing_digest d)
{
	switch (d) {
	case DIGEST_SHA1: return GNUTLS_DIG_SHA1;
	case DIGEST_SHA256: return GNUTLS_DIG_SHA256;
	case DIGEST_SHA384: return GNUTLS_DIG_SHA384;
	case DIGEST_SHA512: return GNUTLS_DIG_SHA512;
	}
	return GNUTLS_DIG_UNKNOWN;
}

static const char *
ecdsa_oid(gnutls_digest_algorithm_t d)
{
	switch (d) {
	case GNUTLS_DIG_SHA1: return OID_ECDSA_SHA1;
	case GNUTLS_DIG_SHA256: return OID_ECDSA_SHA256;
	case GNUTLS_DIG_SHA384: return OID_ECDSA_SHA384;
	case GNUTLS_DIG_SHA512: return OID_ECDSA_SHA512;
	default: return NULL;
	}
}

/* Does the EKU extension (RFC 5280 4.2.1.12) list oid? */
static bool
has_eku(gnutls_x509_crt_t crt, const char *oid)
{
	char buf[128];
	size_t len;
	unsigned i;
	int r;

	for (i = 0;; i++) {
		len = sizeof(buf);
		r = gnutls_x509_crt_get_key_purpose_oid(crt, i, buf, &len, NULL);
		if (r == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;	/* longer than any OID we look for */
		if (r < 0)
			return false;
		if (strcmp(buf, oid) == 0)
			return true;
	}
}

/*
 * Does the Microsoft application-policies extension (1.3.6.1.4.1.311.21.10)
 * list oid? Its value has the certificatePolicies syntax (RFC 5280 4.2.1.4:
 * SEQUENCE OF PolicyInformation), so GnuTLS's policies parser decodes it.
 */
static bool
has_app_policy(gnutls_x509_crt_t crt, const char *oid)
{
	gnutls_datum_t ext = { NULL, 0 };
	gnutls_x509_policies_t pols = NULL;
	struct gnutls_x509_policy_st pol;
	unsigned crit, i;
	bool found = false;
	int r;

	if (gnutls_x509_crt_get_extension_by_oid2(crt, OID_APP_POLICIES, 0, &ext,
	    &crit) < 0)
		return false;
	if (gnutls_x509_policies_init(&pols) < 0)
		goto cleanup;
	if ((r = gnutls_x509_ext_import_policies(&ext, pols, 0)) < 0) {
		log_warnx("step 4: signing_cert: cannot decode its application "
		    "policies extension: %s", gnutls_strerror(r));
		goto cleanup;
	}
	for (i = 0; !found && gnutls_x509_policies_get(pols, i, &pol) == 0; i++)
		found = strcmp(pol.oid, oid) == 0;
cleanup:
	if (pols)
		gnutls_x509_policies_deinit(pols);
	gnutls_free(ext.data);
	return found;
}

/* Do the certificate's and the key's public keys agree? 1, 0, or -1 (unknown). */
static int
keys_match(gnutls_x509_crt_t crt, gnutls_privkey_t key)
{
	gnutls_pubkey_t a = NULL, b = NULL;
	gnutls_datum_t da = { NULL, 0 }, db = { NULL, 0 };
	int ret = -1;

	if (gnutls_pubkey_init(&a) < 0 || gnutls_pubkey_init(&b) < 0 ||
	    gnutls_pubkey_import_x509(a, crt, 0) < 0 ||
	    gnutls_pubkey_export2(a, GNUTLS_X509_FMT_DER, &da) < 0)
		goto cleanup;
	/* A token may not reveal the public key: then the test signature decides. */
	if (gnutls_pubkey_import_privkey(b, key, 0, 0) < 0 ||
	    gnutls_pubkey_export2(b, GNUTLS_X509_FMT_DER, &db) < 0)
		goto cleanup;
	ret = da.size == db.size && memcmp(da.data, db.data, da.size) == 0;
cleanup:
	gnutls_free(da.data);
	gnutls_free(db.data);
	if (a)
		gnutls_pubkey_deinit(a);
	if (b)
		gnutls_pubkey_deinit(b);
	return ret;
}

/*
 * Signs a fixed text with the key and verifies it with the certificate: proves
 * the pair belongs together and that the key (or token) signs. 0 or -1.
 */
static int
self_test(struct signer_cert *c, gnutls_x509_crt_t crt)
{
	static const char probe[] = "otpcep signer self-test";
	const gnutls_datum_t data = { (unsigned char *)(uintptr_t)probe,
	    sizeof(probe) - 1 };
	gnutls_pubkey_t pub = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	gnutls_datum_t sd;
	int r, ret = -1;

	if (signer_sign(c, data.data, data.size, &sig, &sig_len) != SIGNER_OK)
		goto cleanup;
	sd.data = sig;
	sd.size = (unsigned)sig_len;
	if ((r = gnutls_pubkey_init(&pub)) < 0 ||
	    (r = gnutls_pubkey_import_x509(pub, crt, 0)) < 0 ||
	    (r = gnutls_pubkey_verify_data2(pub, c->sign_algo,
	    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &data, &sd)) < 0) {
		log_err("step 4: a test signature does not verify with "
		    "signing_cert: %s", gnutls_strerror(r));
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (pub)
		gnutls_pubkey_deinit(pub);
	free(sig);
	return ret;
}

/*
 * Loads certificate, key and chain from the configuration and runs every
 * start-up check of issue 5: the key type, the pair matching, validity now,
 * the signing EKU. Returns a new snapshot (refs 1), or NULL after logging
 * each reason.
 */
struct signer_cert *
signer_load(const struct config *cfg)
{
	const char *eku = cfg->signing_eku ? cfg->signing_eku :
	    OID_MS_OTP_SIGNING;
	struct signer_cert *c = NULL;
	gnutls_x509_crt_t crt = NULL;
	unsigned char serial[20 * 2];
	size_t serial_len = sizeof(serial), i;
	char t1[32], t2[32];
	time_t now = time(NULL);
	int pk, r, match;
	bool ok = false;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_err("step 4: out of memory");
		return NULL;
	}
	c->refs = 1;
	if (load_cert(cfg->signing_cert, &crt) != 0 || load_key(cfg, c) != 0)
		goto cleanup;

	if (gnutls_x509_crt_get_serial(crt, serial, &serial_len) == 0) {
		for (i = 0; i < serial_len && 2 * i + 2 < sizeof(c->serial); i++)
			snprintf(c->serial + 2 * i, 3, "%02x", serial[i]);
	} else {
		snprintf(c->serial, sizeof(c->serial), "?");
	}

	/* RSA (PKCS#1 v1.5) and ECDSA only: what the Windows CA verifies. */
	pk = gnutls_privkey_get_pk_algorithm(c->key, NULL);
	c->digest = digest_of(cfg->signing_digest);
	if (pk == GNUTLS_PK_RSA) {
		c->sig_oid = OID_RSA_ENCRYPTION;
	} else if (pk == GNUTLS_PK_ECDSA) {
		c->sig_oid = ecdsa_oid(c->digest);
		/* RFC 6979 deterministic ECDSA where GnuTLS computes it. */
		if (!c->pkcs11)
			c->sign_flags = GNUTLS_PRIVKEY_FLAG_REPRODUCIBLE;
	} else {
		log_err("step 4: signing_key: a %s key; only RSA and ECDSA keys "
		    "can sign", gnutls_pk_get_name((gnutls_pk_algorithm_t)pk));
		goto cleanup;
	}
	c->sign_algo = gnutls_pk_to_sign((gnutls_pk_algorithm_t)pk, c->digest);
	if (c->sign_algo == GNUTLS_SIGN_UNKNOWN || c->sig_oid == NULL) {
		log_err("step 4: no signature algorithm for this key and "
		    "signing_digest");
		goto cleanup;
	}

	if ((match = keys_match(crt, c->key)) == 0) {
		log_err("step 4: signing_key does not match signing_cert %s "
		    "(serial %s): their public keys differ", cfg->signing_cert,
		    c->serial);
		goto cleanup;
	}
	if (self_test(c, crt) != 0) {
		log_err("step 4: signing_key cannot sign for signing_cert %s "
		    "(serial %s)%s", cfg->signing_cert, c->serial,
		    match < 0 ? ": the key does not match the certificate, or the "
		    "token refused" : "");
		goto cleanup;
	}

	/* RFC 5280 4.1.2.5: valid from notBefore through notAfter inclusive. */
	c->not_before = gnutls_x509_crt_get_activation_time(crt);
	c->not_after = gnutls_x509_crt_get_expiration_time(crt);
	if (c->not_before == (time_t)-1 || c->not_after == (time_t)-1) {
		log_err("step 4: signing_cert %s: unreadable validity",
		    cfg->signing_cert);
		goto cleanup;
	}
	if (now > c->not_after) {
		log_err("step 4: signing_cert %s (serial %s) has expired: "
		    "not after %s", cfg->signing_cert, c->serial,
		    signer_fmt_time(c->not_after, t1, sizeof(t1)));
		goto cleanup;
	}
	if (now < c->not_before) {
		log_err("step 4: signing_cert %s (serial %s) is not valid yet: "
		    "not before %s", cfg->signing_cert, c->serial,
		    signer_fmt_time(c->not_before, t1, sizeof(t1)));
		goto cleanup;
	}

	/* Issue 5; interop-notes 1: the CA looks for the OTP signing policy. */
	if (!has_eku(crt, eku)) {
		if (!has_app_policy(crt, eku)) {
			log_err("step 4: signing_cert %s (serial %s) carries %s "
			    "neither in its extended key usage nor in its "
			    "application policies", cfg->signing_cert, c->serial,
			    eku);
			goto cleanup;
		}
		log_warnx("step 4: signing_cert %s (serial %s) carries %s only "
		    "in its application policies, not in its extended key "
		    "usage; some CAs look only at the latter", cfg->signing_cert,
		    c->serial, eku);
	}

	/* SignedData.certificates: the signing certificate, then the chain. */
	if ((c->der = calloc(1, sizeof(*c->der))) == NULL) {
		log_err("step 4: out of memory");
		goto cleanup;
	}
	if ((r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &c->der[0])) < 0) {
		log_err("step 4: signing_cert %s: %s", cfg->signing_cert,
		    gnutls_strerror(r));
		goto cleanup;
	}
	c->der_count = 1;
	if (cfg->signing_chain && load_chain(cfg->signing_chain, c) != 0)
		goto cleanup;

	log_info("step 4: signing certificate serial %s, valid %s to %s, %s "
	    "key%s", c->serial, signer_fmt_time(c->not_before, t1, sizeof(t1)),
	    signer_fmt_time(c->not_after, t2, sizeof(t2)),
	    gnutls_pk_get_name((gnutls_pk_algorithm_t)pk),
	    c->pkcs11 ? " in a PKCS#11 token" : "");
	if (cfg->signing_warn_hours > 0 &&
	    c->not_after - now < (time_t)cfg->signing_warn_hours * 3600)
		log_warnx("step 4: signing_cert %s (serial %s) expires soon, at "
		    "%s (signing_warn_hours = %u): renew it", cfg->signing_cert,
		    c->serial, t2, cfg->signing_warn_hours);
	ok = true;
cleanup:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (!ok) {
		signer_cert_free(c);
		c = NULL;
	}
	return c;
}
