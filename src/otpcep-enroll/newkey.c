/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The next signing key and its PKCS#10 (RFC 2986). The key has the current
 * certificate's algorithm and size; with signing_key = pkcs11: it is made
 * inside the same token (C_GenerateKeyPair: it never leaves it), under a
 * temporary label until the new certificate is installed (install.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/pkcs11.h>

#include "config.h"
#include "enroll.h"
#include "log.h"
#include "msext.h"
#include "secret.h"

/* The token's PIN from signing_key_password_file, as the responder reads it. */
static int
newkey_pin(void *userdata, int attempt, const char *token_url,
    const char *token_label, unsigned int flags, char *pin, size_t pin_max)
{
	const char *path = userdata;
	struct secret s = { NULL, 0 };
	int ret = -1;

	(void)token_url;
	(void)token_label;
	(void)flags;
	if (attempt > 0 || path == NULL || secret_read_file(path, &s) != SECRET_OK)
		return -1;
	if (s.len < pin_max) {
		memcpy(pin, s.data, s.len);
		pin[s.len] = '\0';
		ret = 0;
	}
	secret_free(&s);
	return ret;
}

char *
newkey_token_url(const char *uri)
{
	static const char *const keep[] = { "token=", "manufacturer=", "serial=",
	    "model=", "library-", "slot-" };
	const char *p = uri + 7, *end, *q = strchr(uri, '?');
	size_t i, n = strlen(uri);
	char *out = calloc(1, n + 8);

	if (out == NULL)
		return NULL;
	strcpy(out, "pkcs11:");
	while (*p && p != q) {
		end = p + strcspn(p, ";?");
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strncmp(p, keep[i], strlen(keep[i])) == 0) {
				if (out[7])
					strcat(out, ";");
				strncat(out, p, (size_t)(end - p));
			}
		p = *end == ';' ? end + 1 : end;
	}
	if (q != NULL)
		strcat(out, q);		/* module-path, pin-source */
	return out;
}

/* The algorithm and size of the current certificate's key. */
static int
newkey_params(gnutls_x509_crt_t cur, gnutls_pk_algorithm_t *pk, unsigned *bits)
{
	gnutls_ecc_curve_t curve;
	int r = gnutls_x509_crt_get_pk_algorithm(cur, bits);

	if (r == GNUTLS_PK_RSA) {
		*pk = GNUTLS_PK_RSA;
		if (*bits < 2048)
			*bits = 2048;
		return 0;
	}
	if (r == GNUTLS_PK_ECDSA &&
	    gnutls_x509_crt_get_pk_ecc_raw(cur, &curve, NULL, NULL) >= 0) {
		*pk = GNUTLS_PK_ECDSA;
		*bits = GNUTLS_CURVE_TO_BITS(curve);
		return 0;
	}
	log_err("renew: the current certificate's key is neither RSA nor ECDSA");
	return -1;
}

static int
newkey_in_token(const struct config *cfg, gnutls_pk_algorithm_t pk,
    unsigned bits, struct enroll_key *k)
{
	char *token = newkey_token_url(cfg->signing_key);
	gnutls_datum_t pubder = { NULL, 0 };
	int r, ret = -1;
	const char *q;
	size_t head;

	if (token == NULL || asprintf(&k->pkcs11_label, "otpcep-renewal-%ld",
	    (long)time(NULL)) < 0) {
		k->pkcs11_label = NULL;
		log_err("renew: out of memory");
		goto cleanup;
	}
	/* RFC 7512: path attributes (";object=") come before the "?query". */
	q = strchr(token, '?');
	head = q ? (size_t)(q - token) : strlen(token);
	if (asprintf(&k->pkcs11_url, "%.*s%sobject=%s;type=private%s", (int)head,
	    token, head > 7 ? ";" : "", k->pkcs11_label, q ? q : "") < 0) {
		k->pkcs11_url = NULL;
		log_err("renew: out of memory");
		goto cleanup;
	}
	gnutls_pkcs11_set_pin_function(newkey_pin,
	    (void *)cfg->signing_key_password_file);
	r = gnutls_pkcs11_privkey_generate3(token, pk, bits, k->pkcs11_label,
	    NULL, GNUTLS_X509_FMT_DER, &pubder, 0,
	    GNUTLS_PKCS11_OBJ_FLAG_LOGIN | GNUTLS_PKCS11_OBJ_FLAG_MARK_PRIVATE |
	    GNUTLS_PKCS11_OBJ_FLAG_MARK_SENSITIVE);
	if (r < 0) {
		log_err("renew: cannot make a key in the token: %s", gnutls_strerror(r));
		goto cleanup;
	}
	k->pkcs11 = true;
	if ((r = gnutls_privkey_init(&k->key)) < 0 ||
	    (gnutls_privkey_set_pin_function(k->key, newkey_pin,
	    (void *)cfg->signing_key_password_file), 0) ||
	    (r = gnutls_privkey_import_url(k->key, k->pkcs11_url, 0)) < 0 ||
	    (r = gnutls_pubkey_init(&k->pub)) < 0 ||
	    (r = gnutls_pubkey_import(k->pub, &pubder, GNUTLS_X509_FMT_DER)) < 0) {
		log_err("renew: the token's new key: %s", gnutls_strerror(r));
		goto cleanup;
	}
	log_info("renew: new %s key made in the token (label %s)",
	    gnutls_pk_get_name(pk), k->pkcs11_label);
	ret = 0;
cleanup:
	free(token);
	gnutls_free(pubder.data);
	return ret;
}

static int
newkey_in_memory(gnutls_pk_algorithm_t pk, unsigned bits, struct enroll_key *k)
{
	gnutls_x509_privkey_t x = NULL;
	int r, ret = -1;

	if ((r = gnutls_x509_privkey_init(&x)) < 0 ||
	    (r = gnutls_x509_privkey_generate2(x, pk, bits, 0, NULL, 0)) < 0 ||
	    (r = gnutls_x509_privkey_export2_pkcs8(x, GNUTLS_X509_FMT_PEM, NULL,
	    GNUTLS_PKCS_PLAIN, &k->pem)) < 0 ||
	    (r = gnutls_privkey_init(&k->key)) < 0 ||
	    (r = gnutls_privkey_import_x509(k->key, x,
	    GNUTLS_PRIVKEY_IMPORT_COPY)) < 0 ||
	    (r = gnutls_pubkey_init(&k->pub)) < 0 ||
	    (r = gnutls_pubkey_import_privkey(k->pub, k->key, 0, 0)) < 0) {
		log_err("renew: cannot make a new key: %s", gnutls_strerror(r));
		goto cleanup;
	}
	log_info("renew: new %s-%u key made", gnutls_pk_get_name(pk), bits);
	ret = 0;
cleanup:
	if (x)
		gnutls_x509_privkey_deinit(x);
	return ret;
}

int
newkey_make(const struct config *cfg, gnutls_x509_crt_t current,
    struct enroll_key *k)
{
	gnutls_pk_algorithm_t pk;
	unsigned bits = 0;

	memset(k, 0, sizeof(*k));
	if (newkey_params(current, &pk, &bits) != 0)
		return -1;
	if (strncmp(cfg->signing_key, "pkcs11:", 7) == 0)
		return newkey_in_token(cfg, pk, bits, k);
	return newkey_in_memory(pk, bits, k);
}

void
newkey_free(struct enroll_key *k, bool remove_from_token)
{
	int r;

	if (k->pkcs11 && remove_from_token && k->pkcs11_url != NULL &&
	    (r = gnutls_pkcs11_delete_url(k->pkcs11_url,
	    GNUTLS_PKCS11_OBJ_FLAG_LOGIN)) < 0)
		log_warnx("renew: the unused token key %s stays: %s",
		    k->pkcs11_label, gnutls_strerror(r));
	if (k->key)
		gnutls_privkey_deinit(k->key);
	if (k->pub)
		gnutls_pubkey_deinit(k->pub);
	if (k->pem.data) {
		gnutls_memset(k->pem.data, 0, k->pem.size);
		gnutls_free(k->pem.data);
	}
	free(k->pkcs11_url);
	free(k->pkcs11_label);
	memset(k, 0, sizeof(*k));
}

int
newkey_pkcs10(const struct enroll_key *k, gnutls_x509_crt_t current,
    const char *template, gnutls_datum_t *der)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t dn = { NULL, 0 };
	uint8_t *ext = NULL;
	size_t ext_len = 0;
	int r, ret = -1;

	der->data = NULL;
	der->size = 0;
	if (msext_template_name_encode(template, &ext, &ext_len) != MSEXT_OK) {
		log_err("renew: enroll_template '%s' cannot be encoded", template);
		return -1;
	}
	/*
	 * The subject is informative: AD CS builds it from the computer
	 * account's directory entry (template "Build from this Active
	 * Directory information"); the template extension (MS-WCCE
	 * 2.2.2.7.7.1) and the CertificateTemplate: attribute name it.
	 */
	/* An empty subject (no DN to copy) is left empty: the CA fills it in. */
	if (gnutls_x509_crt_get_dn3(current, &dn, 0) < 0) {
		dn.data = NULL;
		dn.size = 0;
	}
	if ((r = gnutls_x509_crq_init(&crq)) < 0 ||
	    (r = gnutls_x509_crq_set_version(crq, 1)) < 0 ||
	    (dn.size > 0 && (r = gnutls_x509_crq_set_dn(crq,
	    (const char *)dn.data, NULL)) < 0) ||
	    (r = gnutls_x509_crq_set_pubkey(crq, k->pub)) < 0 ||
	    (r = gnutls_x509_crq_set_extension_by_oid(crq, OID_MS_TEMPLATE_NAME,
	    ext, ext_len, 0)) < 0 ||
	    (r = gnutls_x509_crq_set_key_usage(crq,
	    GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0) {
		log_err("renew: cannot build the PKCS#10: %s", gnutls_strerror(r));
		goto cleanup;
	}
	if ((r = gnutls_x509_crq_privkey_sign(crq, k->key, GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (r = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, der)) < 0) {
		log_err("renew: cannot sign the PKCS#10: %s", gnutls_strerror(r));
		goto cleanup;
	}
	ret = 0;
cleanup:
	free(ext);
	gnutls_free(dn.data);
	if (crq)
		gnutls_x509_crq_deinit(crq);
	return ret;
}
