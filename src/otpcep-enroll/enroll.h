/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep-enroll: renews the responder's signing certificate from Active
 * Directory Certificate Services over MS-ICPR as the computer account
 * (docs/adcs.md, docs/man/otpcep-enroll.8). One file per part: the new key
 * and its PKCS#10 (newkey.c), checking and installing the answer
 * (install.c), the commands (main.c); the exchange with the CA is the
 * library's (include/casubmit.h).
 */
#ifndef OTPCEP_ENROLL_H
#define OTPCEP_ENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "casubmit.h"

struct config;

/* Exit statuses (docs/man/otpcep-enroll.8). */
enum enroll_exit {
	ENROLL_EXIT_OK = 0,		/* renewed, not due, or the probe got a CA answer */
	ENROLL_EXIT_FAILED = 1,		/* our side: files, keys, the token */
	ENROLL_EXIT_DENIED = 2,		/* the CA refused the request */
	ENROLL_EXIT_PENDING = 3,	/* the CA holds the request pending */
	ENROLL_EXIT_TRANSPORT = 4,	/* the CA cannot be reached, bound or sealed */
	ENROLL_EXIT_CONFIG = 78,	/* EX_CONFIG: the configuration is not usable */
	ENROLL_EXIT_USAGE = 64,		/* EX_USAGE */
};

/* A new key for the next signing certificate, where the current one lives. */
struct enroll_key {
	gnutls_privkey_t key;		/* to sign the PKCS#10 */
	gnutls_pubkey_t pub;
	bool pkcs11;
	char *pkcs11_url;		/* the new key's object in the token */
	char *pkcs11_label;		/* its temporary label */
	gnutls_datum_t pem;		/* a file key: PKCS#8 PEM, wiped on free */
};

/*
 * Makes a new key of the same algorithm and size as the current
 * certificate's: in the same PKCS#11 token when signing_key is a pkcs11:
 * URI (generated there, never exported), else in memory (written by
 * install.c). 0, or -1 (logged).
 */
int newkey_make(const struct config *cfg, gnutls_x509_crt_t current,
    struct enroll_key *k);
/* Frees the handles; remove_from_token also deletes an unused token key. */
void newkey_free(struct enroll_key *k, bool remove_from_token);

/*
 * The PKCS#10 for the renewal: the current certificate's subject, the new
 * key, the v1 template name extension (1.3.6.1.4.1.311.20.2) naming
 * template, signed with the new key (SHA-256). 0 and *der (gnutls_free), or -1.
 */
int newkey_pkcs10(const struct enroll_key *k, gnutls_x509_crt_t current,
    const char *template, gnutls_datum_t *der);

/*
 * The token part of a pkcs11: URI (RFC 7512): the path attributes that name
 * the token, and module-path; object, id and type name the old key and are
 * dropped. Attributes are kept as written (percent-encoded). A new string,
 * or NULL.
 */
char *newkey_token_url(const char *uri);

/*
 * Checks the issued certificate before anything is replaced: the signing
 * EKU (signing_eku, 1.3.6.1.4.1.311.81.1.1), its public key is the new key,
 * valid now. 0, or -1 with the reason logged.
 */
int install_check(const struct config *cfg, const gnutls_datum_t *cert_der,
    const struct enroll_key *k, time_t now, gnutls_x509_crt_t *out);

/*
 * Puts the new pair where the responder's reload picks it up: the current
 * pair is copied to signing_cert.old (and signing_key.old), then the new key
 * (file keys), the chain and the new certificate replace them, each
 * atomically, in that order. For a token key, the new key takes the old
 * key's label and the old one is kept as LABEL.old. With signing_chain set,
 * the chain is crt's issuers taken from the CA's chain_p7 (pctbCertChain;
 * see install_chain_pem), the old file kept as signing_chain.old; a CA chain
 * that is missing or does not lead from crt to a root leaves signing_chain
 * as it is (a warning). 0, or -1 (logged; the old pair stays in use).
 */
int install_pair(const struct config *cfg, gnutls_x509_crt_t crt,
    const gnutls_datum_t *chain_p7, struct enroll_key *k);

/*
 * The issuers of crt in chain_p7 (a DER PKCS#7 of certificates, as
 * MS-ICPR's pctbCertChain), issuer first, up to and including the
 * self-signed root, as PEM in *pem (gnutls_free): each found by name
 * (RFC 5280 4.1.2.4) and its signature on the one below checked; other
 * certificates (crt itself, duplicates) are left out. 0, or -1 when
 * chain_p7 is not a PKCS#7 or holds no path from crt to a root (logged).
 */
int install_chain_pem(gnutls_x509_crt_t crt, const gnutls_datum_t *chain_p7,
    gnutls_datum_t *pem);

#endif
