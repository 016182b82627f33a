/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The issued certificate is checked with the responder's own loader
 * (signer_load: the key matches, valid now, signing_eku, a test signature)
 * before it replaces anything; then it is put where the responder's reload
 * picks it up (the signer notices changed files, docs/design.md), each file
 * replaced atomically (renewal_write_atomic), the old pair kept as .old.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/pkcs11.h>

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

/* The object= label of a pkcs11: URI, as a new string, or NULL. */
static char *
install_label(const char *uri)
{
	const char *p = strstr(uri, ";object="), *end;

	if (p == NULL && strncmp(uri, "pkcs11:object=", 14) == 0)
		p = uri + 6;
	if (p == NULL)
		return NULL;
	p += 8;
	end = p + strcspn(p, ";?");
	return strndup(p, (size_t)(end - p));
}

/* Sets the label of every object (private and public key) matching url. */
static int
install_relabel(const char *url, const char *label)
{
	gnutls_pkcs11_obj_t *objs = NULL;
	unsigned n = 0, i;
	char name[1024];
	int r, ret = 0;

	r = gnutls_pkcs11_obj_list_import_url4(&objs, &n, url,
	    GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
	if (r < 0 || n == 0) {
		/* url carries signing_key's query: a pin-value is censored. */
		log_err("renew: no token object %s: %s",
		    signer_key_name(url, name, sizeof(name)),
		    r < 0 ? gnutls_strerror(r) : "none found");
		return -1;
	}
	for (i = 0; i < n; i++) {
		r = gnutls_pkcs11_obj_set_info(objs[i], GNUTLS_PKCS11_OBJ_LABEL,
		    label, strlen(label), GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
		if (r < 0) {
			log_err("renew: cannot relabel a token object to %s: %s",
			    label, gnutls_strerror(r));
			ret = -1;
		}
		gnutls_pkcs11_obj_deinit(objs[i]);
	}
	gnutls_free(objs);
	return ret;
}

/*
 * The token key: the old key becomes LABEL.old (an earlier LABEL.old is
 * deleted), the new one LABEL, so that signing_key's URI names the new key.
 */
static int
install_token_key(const struct config *cfg, struct enroll_key *k)
{
	char *label = install_label(cfg->signing_key), *old_url = NULL,
	    *old_label = NULL, *new_all = NULL, *cur_all = NULL, *p;
	int ret = -1;

	if (label == NULL) {
		log_err("renew: signing_key's pkcs11: URI has no object= label; "
		    "the renewed key cannot take its place");
		return -1;
	}
	if (asprintf(&old_label, "%s.old", label) < 0 ||
	    asprintf(&new_all, "%s", k->pkcs11_url) < 0 ||
	    asprintf(&cur_all, "%s", cfg->signing_key) < 0) {
		old_label = new_all = cur_all = NULL;
		goto cleanup;
	}
	/* Both objects of each pair: drop ";type=..." from the URIs. */
	if ((p = strstr(new_all, ";type=private")) != NULL)
		memmove(p, p + 13, strlen(p + 13) + 1);
	if ((p = strstr(cur_all, ";type=private")) != NULL)
		memmove(p, p + 13, strlen(p + 13) + 1);
	p = strstr(cur_all, label);
	if (p == NULL || asprintf(&old_url, "%.*s%s%s", (int)(p - cur_all),
	    cur_all, old_label, p + strlen(label)) < 0) {
		old_url = NULL;
		goto cleanup;
	}
	(void)gnutls_pkcs11_delete_url(old_url, GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
	if (install_relabel(cur_all, old_label) != 0)
		goto cleanup;
	if (install_relabel(new_all, label) != 0) {
		(void)install_relabel(old_url, label);	/* put the old one back */
		goto cleanup;
	}
	ret = 0;
cleanup:
	free(label);
	free(old_label);
	free(old_url);
	free(new_all);
	free(cur_all);
	return ret;
}

int
install_pair(const struct config *cfg, gnutls_x509_crt_t crt,
    struct enroll_key *k)
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
	 * Key first, then certificate: a reload between the two sees a pair
	 * that does not match, refuses it and keeps signing with the old
	 * snapshot until the certificate follows (docs/adcs.md).
	 */
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
