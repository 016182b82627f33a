/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The issued certificate is checked with the responder's own loader
 * (signer_load: the key matches, valid now, signing_eku, a test signature)
 * before it replaces anything; then it is put where the responder's reload
 * picks it up (the signer notices changed files, docs/design.md), each file
 * replaced atomically (renewal_write_atomic), the old pair kept as .old;
 * signing_chain, when set, gets the issuers from the CA's chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/pkcs11.h>
#include <gnutls/pkcs7.h>

#include "config.h"
#include "enroll.h"
#include "log.h"
#include "renewal.h"
#include "signer_internal.h"

/* Reads a whole file into *d (gnutls_free), 0 or -1 (logged). */
static int
install_read(const char *path, gnutls_datum_t *d)
{
	int r = gnutls_load_file(path, d);

	if (r < 0)
		log_err("renew: cannot read %s: %s", path, gnutls_strerror(r));
	return r < 0 ? -1 : 0;
}

/* The mode of an existing file, else dflt. */
static unsigned
install_mode(const char *path, unsigned dflt)
{
	struct stat st;

	return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 0777) : dflt;
}

/* Copies path to path.old, with path's mode. 0 or -1. */
static int
install_keep_old(const char *path)
{
	unsigned mode = install_mode(path, 0600);
	gnutls_datum_t d = { NULL, 0 };
	char *old = NULL;
	int ret = -1;

	if (install_read(path, &d) != 0)
		return -1;
	if (asprintf(&old, "%s.old", path) < 0) {
		old = NULL;
		goto cleanup;
	}
	ret = renewal_write_atomic(old, d.data, d.size, mode);
cleanup:
	gnutls_memset(d.data, 0, d.size);
	gnutls_free(d.data);
	free(old);
	return ret;
}

int
install_check(const struct config *cfg, const gnutls_datum_t *cert_der,
    const struct enroll_key *k, time_t now, gnutls_x509_crt_t *out)
{
	struct config trial = *cfg;
	struct signer_cert *c = NULL;
	char *cert_tmp = NULL, *key_tmp = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	int r, ret = -1;

	(void)now;
	*out = NULL;
	if ((r = gnutls_x509_crt_init(out)) < 0 ||
	    (r = gnutls_x509_crt_import(*out, cert_der, GNUTLS_X509_FMT_DER)) < 0 ||
	    (r = gnutls_x509_crt_export2(*out, GNUTLS_X509_FMT_PEM, &pem)) < 0) {
		log_err("renew: the CA's answer is not a certificate: %s",
		    gnutls_strerror(r));
		goto cleanup;
	}
	/* The new pair beside the old one, checked as the responder would. */
	if (asprintf(&cert_tmp, "%s.new", cfg->signing_cert) < 0) {
		cert_tmp = NULL;
		goto cleanup;
	}
	if (renewal_write_atomic(cert_tmp, pem.data, pem.size, 0644) != 0)
		goto cleanup;
	trial.signing_cert = cert_tmp;
	trial.signing_chain = NULL;
	if (k->pkcs11) {
		trial.signing_key = k->pkcs11_url;
	} else {
		if (asprintf(&key_tmp, "%s.new", cfg->signing_key) < 0) {
			key_tmp = NULL;
			goto cleanup;
		}
		if (renewal_write_atomic(key_tmp, k->pem.data, k->pem.size, 0600) != 0)
			goto cleanup;
		trial.signing_key = key_tmp;
		trial.signing_key_password_file = NULL;
	}
	if ((c = signer_load(&trial)) == NULL) {
		log_err("renew: the issued certificate does not verify with the "
		    "new key (see above); the current pair stays in use");
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (c)
		signer_cert_free(c);
	if (cert_tmp)
		(void)unlink(cert_tmp);
	if (key_tmp)
		(void)unlink(key_tmp);
	free(cert_tmp);
	free(key_tmp);
	gnutls_free(pem.data);
	if (ret != 0 && *out) {
		gnutls_x509_crt_deinit(*out);
		*out = NULL;
	}
	return ret;
}

/* Whether obj's CKA_LABEL (as GnuTLS decodes it) is label. */
static int
install_label_is(gnutls_pkcs11_obj_t obj, const char *label)
{
	char buf[256];
	size_t size = sizeof(buf);

	return gnutls_pkcs11_obj_get_info(obj, GNUTLS_PKCS11_OBJ_LABEL, buf,
	    &size) >= 0 && size < sizeof(buf) && strcmp(buf, label) == 0;
}

/*
 * Every object of the token (token_url) labelled from: relabelled to, or
 * deleted when to is NULL. Labels are compared as the token holds them, so a
 * label that signing_key's URI percent-encodes (RFC 7512 2.3: a space, '%',
 * ';', non-ASCII) is matched and written as it is, never as its encoding.
 * Returns how many objects were changed, or -1 (logged).
 */
static int
install_relabel(const char *token_url, const char *from, const char *to)
{
	gnutls_pkcs11_obj_t *objs = NULL;
	char *url = NULL;
	unsigned n = 0, i;
	int r, done = 0;

	r = gnutls_pkcs11_obj_list_import_url4(&objs, &n, token_url,
	    GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
	if (r < 0) {
		log_err("renew: cannot list the token's objects: %s",
		    gnutls_strerror(r));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (done >= 0 && install_label_is(objs[i], from)) {
			if (to != NULL)
				r = gnutls_pkcs11_obj_set_info(objs[i],
				    GNUTLS_PKCS11_OBJ_LABEL, to, strlen(to),
				    GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
			else if ((r = gnutls_pkcs11_obj_export_url(objs[i],
			    GNUTLS_PKCS11_URL_GENERIC, &url)) >= 0) {
				r = gnutls_pkcs11_delete_url(url,
				    GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
				gnutls_free(url);
				url = NULL;
			}
			if (r < 0) {
				log_err("renew: cannot %s the token object "
				    "labelled '%s': %s", to ? "relabel" :
				    "delete", from, gnutls_strerror(r));
				done = -1;
			} else
				done++;
		}
		gnutls_pkcs11_obj_deinit(objs[i]);
	}
	gnutls_free(objs);
	return done;
}

/*
 * The label of the key signing_key names, as the token holds it (GnuTLS
 * parses the URI, percent-encoding and all). A new string, or NULL (logged).
 */
static char *
install_key_label(const char *uri)
{
	gnutls_pkcs11_obj_t obj = NULL;
	char buf[256], *label = NULL;
	size_t size = sizeof(buf);
	int r;

	if ((r = gnutls_pkcs11_obj_init(&obj)) < 0 ||
	    (r = gnutls_pkcs11_obj_import_url(obj, uri,
	    GNUTLS_PKCS11_OBJ_FLAG_LOGIN)) < 0 ||
	    (r = gnutls_pkcs11_obj_get_info(obj, GNUTLS_PKCS11_OBJ_LABEL, buf,
	    &size)) < 0) {
		log_err("renew: signing_key's token object: %s",
		    gnutls_strerror(r));
	} else if (size == 0 || size + 4 >= sizeof(buf)) {
		log_err("renew: signing_key's token object has %s label; the "
		    "renewed key cannot take its place", size ? "too long a" :
		    "no");
	} else if ((label = strdup(buf)) == NULL)
		log_err("renew: out of memory");
	if (obj)
		gnutls_pkcs11_obj_deinit(obj);
	return label;
}

/*
 * The token key: the old key becomes LABEL.old (an earlier LABEL.old is
 * deleted), the new one LABEL, so that signing_key's URI names the new key.
 */
static int
install_token_key(const struct config *cfg, struct enroll_key *k)
{
	char *label = install_key_label(cfg->signing_key), *old_label = NULL;
	char *token = newkey_token_url(cfg->signing_key);
	int ret = -1;

	if (label == NULL || token == NULL)
		goto cleanup;
	if (asprintf(&old_label, "%s.old", label) < 0) {
		old_label = NULL;
		goto cleanup;
	}
	if (install_relabel(token, old_label, NULL) < 0 ||
	    install_relabel(token, label, old_label) <= 0)
		goto cleanup;
	if (install_relabel(token, k->pkcs11_label, label) <= 0) {
		(void)install_relabel(token, old_label, label);	/* put it back */
		goto cleanup;
	}
	ret = 0;
cleanup:
	free(label);
	free(old_label);
	free(token);
	return ret;
}

/* More than any real CA hierarchy; bounds the work on a hostile answer. */
#define INSTALL_CHAIN_MAX_CERTS	64
#define INSTALL_CHAIN_MAX_DEPTH	8

/* Whether cand issued cur: names (RFC 5280 4.1.2.4) and the signature. */
static int
install_issued_by(gnutls_x509_crt_t cur, gnutls_x509_crt_t cand)
{
	unsigned status = 0;

	if (!gnutls_x509_crt_check_issuer(cur, cand))
		return 0;
	return gnutls_x509_crt_verify(cur, &cand, 1,
	    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS, &status) == 0 &&
	    status == 0;
}

/* Appends crt as PEM to *pem (gnutls_malloc'd). 0 or -1. */
static int
install_append_pem(gnutls_datum_t *pem, gnutls_x509_crt_t crt)
{
	gnutls_datum_t one = { NULL, 0 };
	unsigned char *p;
	int ret = -1;

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &one) < 0)
		return -1;
	if ((p = gnutls_realloc(pem->data, pem->size + one.size)) != NULL) {
		memcpy(p + pem->size, one.data, one.size);
		pem->data = p;
		pem->size += one.size;
		ret = 0;
	}
	gnutls_free(one.data);
	return ret;
}

int
install_chain_pem(gnutls_x509_crt_t crt, const gnutls_datum_t *chain_p7,
    gnutls_datum_t *pem)
{
	gnutls_pkcs7_t p7 = NULL;
	gnutls_x509_crt_t certs[INSTALL_CHAIN_MAX_CERTS], cur = crt;
	unsigned n = 0, i, depth;
	int count, r, ret = -1;

	pem->data = NULL;
	pem->size = 0;
	if ((r = gnutls_pkcs7_init(&p7)) < 0 ||
	    (r = gnutls_pkcs7_import(p7, chain_p7, GNUTLS_X509_FMT_DER)) < 0) {
		log_err("renew: the CA's chain is not a PKCS#7: %s",
		    gnutls_strerror(r));
		goto cleanup;
	}
	if ((count = gnutls_pkcs7_get_crt_count(p7)) < 0 ||
	    count > INSTALL_CHAIN_MAX_CERTS) {
		log_err("renew: the CA's chain holds %d certificates (at most "
		    "%d taken)", count, INSTALL_CHAIN_MAX_CERTS);
		goto cleanup;
	}
	for (i = 0; i < (unsigned)count; i++) {
		gnutls_datum_t der = { NULL, 0 };

		if ((r = gnutls_pkcs7_get_crt_raw2(p7, i, &der)) < 0 ||
		    (r = gnutls_x509_crt_init(&certs[n])) < 0) {
			gnutls_free(der.data);
			log_err("renew: the CA's chain: certificate %u: %s",
			    i + 1, gnutls_strerror(r));
			goto cleanup;
		}
		r = gnutls_x509_crt_import(certs[n], &der, GNUTLS_X509_FMT_DER);
		gnutls_free(der.data);
		n++;
		if (r < 0) {
			log_err("renew: the CA's chain: certificate %u: %s",
			    i + 1, gnutls_strerror(r));
			goto cleanup;
		}
	}
	/* RFC 5280 6.1: from the new certificate up, issuer by issuer. */
	for (depth = 0; !gnutls_x509_crt_check_issuer(cur, cur); depth++) {
		for (i = 0; i < n; i++)
			if (certs[i] != cur && install_issued_by(cur, certs[i]))
				break;
		if (i == n || depth == INSTALL_CHAIN_MAX_DEPTH) {
			log_err("renew: the CA's chain (%u certificates) has no "
			    "path from the new certificate to a self-signed "
			    "root", n);
			goto cleanup;
		}
		cur = certs[i];
		if (install_append_pem(pem, cur) != 0) {
			log_err("renew: out of memory");
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(certs[i]);
	if (p7)
		gnutls_pkcs7_deinit(p7);
	if (ret != 0) {
		gnutls_free(pem->data);
		pem->data = NULL;
		pem->size = 0;
	}
	return ret;
}

/*
 * signing_chain from the CA's chain, atomically, the old file kept as .old
 * with its mode. A missing or unusable CA chain leaves the file as it is
 * (a warning: the signing certificate still goes in). 0, or -1 when writing
 * failed.
 */
static int
install_chain(const struct config *cfg, gnutls_x509_crt_t crt,
    const gnutls_datum_t *chain_p7)
{
	gnutls_datum_t pem = { NULL, 0 };
	int ret = -1;

	if (cfg->signing_chain == NULL)
		return 0;
	if (chain_p7 == NULL || chain_p7->size == 0 ||
	    install_chain_pem(crt, chain_p7, &pem) != 0 || pem.size == 0) {
		log_warnx("renew: the CA sent no usable chain; signing_chain %s "
		    "is left as it is", cfg->signing_chain);
		gnutls_free(pem.data);
		return 0;
	}
	if (access(cfg->signing_chain, F_OK) == 0 &&
	    install_keep_old(cfg->signing_chain) != 0)
		goto cleanup;
	ret = renewal_write_atomic(cfg->signing_chain, pem.data, pem.size,
	    install_mode(cfg->signing_chain, 0644));
cleanup:
	gnutls_free(pem.data);
	return ret;
}

int
install_pair(const struct config *cfg, gnutls_x509_crt_t crt,
    const gnutls_datum_t *chain_p7, struct enroll_key *k)
{
	gnutls_datum_t pem = { NULL, 0 };
	int r, ret = -1;

	if ((r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem)) < 0) {
		log_err("renew: %s", gnutls_strerror(r));
		return -1;
	}
	if (install_keep_old(cfg->signing_cert) != 0)
		goto cleanup;
	if (k->pkcs11) {
		if (install_token_key(cfg, k) != 0)
			goto cleanup;
	} else {
		if (install_keep_old(cfg->signing_key) != 0 ||
		    renewal_write_atomic(cfg->signing_key, k->pem.data,
		    k->pem.size, install_mode(cfg->signing_key, 0600) & 0640) != 0)
			goto cleanup;
	}
	/*
	 * Key first, then chain, then certificate: a reload between them sees
	 * a pair that does not match, refuses it and keeps signing with the
	 * old snapshot until the certificate follows (docs/adcs.md).
	 */
	if (install_chain(cfg, crt, chain_p7) != 0) {
		log_err("renew: the new key is in place but the chain and the "
		    "certificate are not: restore %s.old", cfg->signing_key);
		goto cleanup;
	}
	if (renewal_write_atomic(cfg->signing_cert, pem.data, pem.size,
	    install_mode(cfg->signing_cert, 0644)) != 0) {
		log_err("renew: the new key is in place but the certificate is "
		    "not: restore %s.old", cfg->signing_key);
		goto cleanup;
	}
	ret = 0;
cleanup:
	gnutls_free(pem.data);
	return ret;
}
