/*
 * The signing certificate and its key (MS-OTPCE 3.2.5.1 step 4; issue 5,
 * "The key" and "Start-up and reload"; docs/protocol.md, "The signing
 * certificate"). GnuTLS only.
 *
 * Concurrency: the current pair is one refcounted struct signer_cert. Workers
 * take a reference in signer_acquire() and drop it in signer_release(); the
 * mutex `lock` guards only the pointer swap and the reference counts. Loading
 * a new pair (file reads, PKCS#11 log-in) happens outside that mutex, by one
 * worker at a time (`reload_lock`, taken with trylock so that nobody waits).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs11.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>

#include "config.h"
#include "log.h"
#include "secret.h"
#include "signer.h"

/* Microsoft application policies (szOID_APPLICATION_CERT_POLICIES). */
#define OID_APP_POLICIES	"1.3.6.1.4.1.311.21.10"
/* RFC 8017 A.1 / RFC 3370 3.2: rsaEncryption, as in MS-OTPCE 4.1. */
#define OID_RSA_ENCRYPTION	"1.2.840.113549.1.1.1"
/* RFC 5758 3.2 and RFC 3279 2.2.3: ecdsa-with-SHA*. */
#define OID_ECDSA_SHA1		"1.2.840.10045.4.1"
#define OID_ECDSA_SHA256	"1.2.840.10045.4.3.2"
#define OID_ECDSA_SHA384	"1.2.840.10045.4.3.3"
#define OID_ECDSA_SHA512	"1.2.840.10045.4.3.4"

/* Files are looked at no more often than this (issue 5). */
#define SIGNER_CHECK_SECONDS	1
/* A near expiry is repeated in the log at most this often. */
#define SIGNER_WARN_INTERVAL	3600

enum { FILE_CERT, FILE_KEY, FILE_CHAIN, FILE_COUNT };

/* What stat() saw of one file; all zero when absent or not configured. */
struct file_id {
	int present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
	struct timespec ctim;
};

/* The PIN callback's view: re-reads the PIN file when the token asks. */
struct pin_source {
	const char *password_file;	/* the config's string, or NULL */
};

struct signer_cert {
	unsigned refs;			/* under signer.lock */
	gnutls_privkey_t key;
	bool pkcs11;			/* key lives in a token */
	pthread_mutex_t *sign_lock;	/* pkcs11 only: one operation per session */
	struct pin_source pin;
	gnutls_datum_t *der;		/* [0] the signing certificate, then the chain */
	size_t der_count;
	gnutls_digest_algorithm_t digest;
	gnutls_sign_algorithm_t sign_algo;
	unsigned sign_flags;
	const char *sig_oid;
	time_t not_before;
	time_t not_after;
	char serial[64];		/* hex, for log lines */
};

struct signer {
	const struct config *cfg;	/* outlives the signer (server.h) */
	bool configured;
	bool pkcs11_init;		/* gnutls_pkcs11_init() was called */
	pthread_mutex_t lock;		/* cur and every refs */
	struct signer_cert *cur;
	atomic_int reload_requested;	/* set from the SIGHUP handler */
	pthread_mutex_t reload_lock;	/* one loader at a time; guards below */
	struct timespec next_check;
	time_t next_warn;
	struct file_id seen[FILE_COUNT];
};

const char *
signer_strerror(enum signer_result r)
{
	switch (r) {
	case SIGNER_OK: return "ok";
	case SIGNER_NO_VALID_CERT: return "no valid signing certificate";
	case SIGNER_FAILED: return "signing failed";
	case SIGNER_NOMEM: return "out of memory";
	}
	return "unknown signer error";
}

/* "2026-11-22T01:11:43Z" */
static const char *
fmt_time(time_t t, char *buf, size_t buf_len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, buf_len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, buf_len, "(time %lld)", (long long)t);
	return buf;
}

static bool
is_pkcs11(const char *s)
{
	return strncmp(s, "pkcs11:", 7) == 0;
}

/*
 * The signing_key value as it may appear in a log line: a pkcs11: URI with
 * its pin-value attribute (RFC 7512 2.3) replaced by "(censored)".
 */
static const char *
key_name(const char *key, char *buf, size_t buf_len)
{
	const char *p, *end;
	int n;

	if (!is_pkcs11(key) || (p = strstr(key, "pin-value=")) == NULL)
		return key;
	p += strlen("pin-value=");
	end = p + strcspn(p, "&;");
	n = snprintf(buf, buf_len, "%.*s(censored)%s", (int)(p - key), key, end);
	if (n < 0 || (size_t)n >= buf_len)
		return "pkcs11: URI (censored)";
	return buf;
}

/* The value of an RFC 7512 query attribute (e.g. module-path), or NULL. */
static char *
uri_query_attr(const char *uri, const char *name)
{
	const char *q = strchr(uri, '?'), *p, *end;
	size_t name_len = strlen(name);

	if (q == NULL)
		return NULL;
	for (p = q + 1; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if ((size_t)(end - p) > name_len && strncmp(p, name, name_len) == 0 &&
		    p[name_len] == '=')
			return strndup(p + name_len + 1, (size_t)(end - p) - name_len - 1);
	}
	return NULL;
}

static void
file_id_get(const char *path, struct file_id *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (path == NULL || is_pkcs11(path) || stat(path, &st) != 0)
		return;
	id->present = 1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtim = st.st_mtim;
	id->ctim = st.st_ctim;
}

static bool
file_id_equal(const struct file_id *a, const struct file_id *b)
{
	return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
	    a->mtim.tv_nsec == b->mtim.tv_nsec && a->ctim.tv_sec == b->ctim.tv_sec &&
	    a->ctim.tv_nsec == b->ctim.tv_nsec;
}

static void
files_get(const struct signer *s, struct file_id ids[FILE_COUNT])
{
	file_id_get(s->cfg->signing_cert, &ids[FILE_CERT]);
	file_id_get(s->cfg->signing_key, &ids[FILE_KEY]);
	file_id_get(s->cfg->signing_chain, &ids[FILE_CHAIN]);
}

static bool
looks_pem(const gnutls_datum_t *d)
{
	return memmem(d->data, d->size, "-----BEGIN ", 11) != NULL;
}

static void
cert_free(struct signer_cert *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->key)
		gnutls_privkey_deinit(c->key);
	for (i = 0; i < c->der_count; i++)
		gnutls_free(c->der[i].data);
	free(c->der);
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
		log_err("step 4: signing_key %s: not a PKCS#12 file: %s",
		    cfg->signing_key, gnutls_strerror(r));
		goto cleanup;
	}
	if ((r = gnutls_pkcs12_verify_mac(p12, pw)) < 0) {
		log_err("step 4: signing_key %s: PKCS#12 integrity check failed "
		    "(wrong password in signing_key_password_file?): %s",
		    cfg->signing_key, gnutls_strerror(r));
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
	struct secret pass = { NULL, 0 };
	char name[512];
	gnutls_x509_crt_fmt_t fmt;
	int r, ret = -1;

	if ((r = gnutls_privkey_init(&c->key)) < 0) {
		log_err("step 4: %s", gnutls_strerror(r));
		return -1;
	}
	if (is_pkcs11(cfg->signing_key)) {
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
			    "key: %s", key_name(cfg->signing_key, name,
			    sizeof(name)), gnutls_strerror(r));
			return -1;
		}
		return 0;
	}
	if ((r = gnutls_load_file(cfg->signing_key, &d)) < 0) {
		log_err("step 4: signing_key %s: cannot read: %s", cfg->signing_key,
		    gnutls_strerror(r));
		return -1;
	}
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
	if (d.data) {
		gnutls_memset(d.data, 0, d.size);
		gnutls_free(d.data);
	}
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
static struct signer_cert *
signer_load(const struct signer *s)
{
	const struct config *cfg = s->cfg;
	const char *eku = cfg->signing_eku ? cfg->signing_eku :
	    "1.3.6.1.4.1.311.81.1.1";
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
		    fmt_time(c->not_after, t1, sizeof(t1)));
		goto cleanup;
	}
	if (now < c->not_before) {
		log_err("step 4: signing_cert %s (serial %s) is not valid yet: "
		    "not before %s", cfg->signing_cert, c->serial,
		    fmt_time(c->not_before, t1, sizeof(t1)));
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
	    "key%s", c->serial, fmt_time(c->not_before, t1, sizeof(t1)),
	    fmt_time(c->not_after, t2, sizeof(t2)),
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
		cert_free(c);
		c = NULL;
	}
	return c;
}

struct signer *
signer_new(const struct config *cfg)
{
	struct signer *s;
	char *module = NULL;
	int r;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_err("step 4: out of memory");
		return NULL;
	}
	s->cfg = cfg;
	atomic_init(&s->reload_requested, 0);
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return NULL;
	}
	if (pthread_mutex_init(&s->reload_lock, NULL) != 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	/* docs/configuration.md: a step with none of its keys is not configured. */
	if (cfg->signing_cert == NULL || cfg->signing_key == NULL) {
		log_warnx("step 4: signing_cert not configured: requests that "
		    "reach step 4 get OtherError");
		return s;
	}
	s->configured = true;

	if (is_pkcs11(cfg->signing_key)) {
		/*
		 * RFC 7512 module-path names the token's module; without it,
		 * the modules registered with p11-kit are used.
		 */
		module = uri_query_attr(cfg->signing_key, "module-path");
		r = gnutls_pkcs11_init(module ? GNUTLS_PKCS11_FLAG_MANUAL :
		    GNUTLS_PKCS11_FLAG_AUTO, NULL);
		if (r < 0) {
			log_err("step 4: PKCS#11: %s", gnutls_strerror(r));
			goto fail;
		}
		s->pkcs11_init = true;
		if (module && (r = gnutls_pkcs11_add_provider(module, NULL)) < 0) {
			log_err("step 4: PKCS#11 module %s: %s", module,
			    gnutls_strerror(r));
			goto fail;
		}
	}
	files_get(s, s->seen);
	if ((s->cur = signer_load(s)) == NULL) {
		log_err("step 4: the signing certificate and key are not usable; "
		    "not starting");
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &s->next_check);
	s->next_check.tv_sec += SIGNER_CHECK_SECONDS;
	s->next_warn = time(NULL) + SIGNER_WARN_INTERVAL;
	free(module);
	return s;
fail:
	free(module);
	signer_free(s);
	return NULL;
}

static void
cert_unref(struct signer *s, struct signer_cert *c)
{
	bool last;

	pthread_mutex_lock(&s->lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		cert_free(c);
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	if (s->cur)
		cert_unref(s, s->cur);
	if (s->pkcs11_init)
		gnutls_pkcs11_deinit();
	pthread_mutex_destroy(&s->reload_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void
signer_request_reload(struct signer *s)
{
	/* A lock-free atomic store: async-signal-safe (C11 7.14.1.1). */
	if (s != NULL)
		atomic_store(&s->reload_requested, 1);
}

static bool
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Picks up a pending reload: SIGHUP, or (looked at once a second) the files
 * changed. A pair that fails the checks is not taken; the current one stays,
 * and the log says so loudly. Runs in one worker at a time; others go on
 * with the current pair instead of waiting.
 */
static void
signer_maybe_reload(struct signer *s)
{
	struct file_id ids[FILE_COUNT];
	struct signer_cert *fresh, *old;
	struct timespec mono;
	char t1[32];
	time_t now;
	bool requested, changed = false;
	size_t i;

	if (pthread_mutex_trylock(&s->reload_lock) != 0)
		return;
	requested = atomic_exchange(&s->reload_requested, 0) != 0;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	if (requested || !ts_before(&mono, &s->next_check)) {
		s->next_check = mono;
		s->next_check.tv_sec += SIGNER_CHECK_SECONDS;
		files_get(s, ids);
		for (i = 0; i < FILE_COUNT; i++)
			changed = changed || !file_id_equal(&ids[i], &s->seen[i]);
		if (requested || changed) {
			log_info("step 4: %s; reloading the signing certificate "
			    "and key", requested ? "reload requested (SIGHUP)" :
			    "their files changed");
			/* Remember what was tried, so a bad pair is not retried
			 * every second, only when the files change again. */
			memcpy(s->seen, ids, sizeof(ids));
			if ((fresh = signer_load(s)) != NULL) {
				pthread_mutex_lock(&s->lock);
				old = s->cur;
				s->cur = fresh;
				pthread_mutex_unlock(&s->lock);
				/* Workers mid-signature keep their reference. */
				cert_unref(s, old);
				s->next_warn = time(NULL) + SIGNER_WARN_INTERVAL;
			} else {
				log_err("step 4: RELOAD FAILED: the new signing "
				    "certificate or key is not usable; still "
				    "signing with serial %s until it expires at %s",
				    s->cur->serial, fmt_time(s->cur->not_after,
				    t1, sizeof(t1)));
			}
		}
	}
	now = time(NULL);
	if (s->cfg->signing_warn_hours > 0 && now >= s->next_warn &&
	    s->cur->not_after - now <
	    (time_t)s->cfg->signing_warn_hours * 3600 && now <= s->cur->not_after) {
		s->next_warn = now + SIGNER_WARN_INTERVAL;
		log_warnx("step 4: the signing certificate (serial %s) expires "
		    "at %s (signing_warn_hours = %u): renew it", s->cur->serial,
		    fmt_time(s->cur->not_after, t1, sizeof(t1)),
		    s->cfg->signing_warn_hours);
	}
	pthread_mutex_unlock(&s->reload_lock);
}

enum signer_result
signer_acquire(struct signer *s, struct signer_cert **out)
{
	struct signer_cert *c;
	char t1[32];
	time_t now;

	*out = NULL;
	if (s == NULL || !s->configured) {
		log_err("step 4: signing_cert not configured");
		return SIGNER_NO_VALID_CERT;
	}
	signer_maybe_reload(s);
	pthread_mutex_lock(&s->lock);
	c = s->cur;
	c->refs++;
	pthread_mutex_unlock(&s->lock);

	/* Issue 5: never sign outside the certificate's validity. */
	now = time(NULL);
	if (now > c->not_after || now < c->not_before) {
		log_err("step 4: REFUSING TO SIGN: the signing certificate "
		    "(serial %s, %s) is %s %s; install a renewed certificate "
		    "and key (picked up without a restart)", c->serial,
		    s->cfg->signing_cert, now > c->not_after ?
		    "expired since" : "not valid before",
		    fmt_time(now > c->not_after ? c->not_after : c->not_before,
		    t1, sizeof(t1)));
		cert_unref(s, c);
		return SIGNER_NO_VALID_CERT;
	}
	*out = c;
	return SIGNER_OK;
}

void
signer_release(struct signer *s, struct signer_cert *c)
{
	if (s != NULL && c != NULL)
		cert_unref(s, c);
}

size_t
signer_cert_count(const struct signer_cert *c)
{
	return c->der_count;
}

void
signer_cert_der(const struct signer_cert *c, size_t i, const uint8_t **der,
    size_t *der_len)
{
	if (i >= c->der_count) {
		*der = NULL;
		*der_len = 0;
		return;
	}
	*der = c->der[i].data;
	*der_len = c->der[i].size;
}

gnutls_digest_algorithm_t
signer_digest(const struct signer_cert *c)
{
	return c->digest;
}

const char *
signer_signature_oid(const struct signer_cert *c)
{
	return c->sig_oid;
}

time_t
signer_not_after(const struct signer_cert *c)
{
	return c->not_after;
}

const char *
signer_serial(const struct signer_cert *c)
{
	return c->serial;
}

enum signer_result
signer_sign(const struct signer_cert *c, const uint8_t *data, size_t data_len,
    uint8_t **sig, size_t *sig_len)
{
	gnutls_datum_t in, out = { NULL, 0 };
	int r;

	*sig = NULL;
	*sig_len = 0;
	if (data_len > UINT32_MAX)
		return SIGNER_FAILED;
	in.data = (unsigned char *)(uintptr_t)data;
	in.size = (unsigned)data_len;
	/* PKCS#11 2.40 5.2: one operation at a time in a session. */
	if (c->sign_lock)
		pthread_mutex_lock(c->sign_lock);
	r = gnutls_privkey_sign_data2(c->key, c->sign_algo, c->sign_flags, &in,
	    &out);
	if (c->sign_lock)
		pthread_mutex_unlock(c->sign_lock);
	if (r < 0) {
		log_err("step 4: the signing key refused to sign (serial %s): %s",
		    c->serial, gnutls_strerror(r));
		return r == GNUTLS_E_MEMORY_ERROR ? SIGNER_NOMEM : SIGNER_FAILED;
	}
	if ((*sig = malloc(out.size ? out.size : 1)) == NULL) {
		gnutls_free(out.data);
		return SIGNER_NOMEM;
	}
	memcpy(*sig, out.data, out.size);
	*sig_len = out.size;
	gnutls_free(out.data);
	return SIGNER_OK;
}
