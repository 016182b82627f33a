/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 1 of MS-OTPCE 3.2.5.1: the client's PKCS#10 certificate request
 * (RFC 2986). Decoding and policy need no network; matching the names in the
 * request against the user needs the directory entry from step 2.
 * Every failure here is OtherError.
 */
#ifndef OTPCEP_CSR_H
#define OTPCEP_CSR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/x509.h>

#include "otpcep.h"

struct config;
struct dir_name;
struct dir_user;
struct csr;

enum csr_result {
	CSR_OK = 0,
	CSR_MALFORMED,		/* not a PKCS#10 DER */
	CSR_BAD_SIGNATURE,	/* self-signature does not verify */
	CSR_WEAK_ALGORITHM,	/* signature algorithm not allowed */
	CSR_WEAK_KEY,		/* key too small or curve not allowed */
	CSR_NO_TEMPLATE,	/* names no certificate template */
	CSR_WRONG_TEMPLATE,	/* names another template than `template` */
	CSR_NAMES_NOBODY,	/* names no user at all */
	CSR_NAME_MISMATCH,	/* a name in it is not the requesting user */
	CSR_NOMEM,
};

const char *csr_strerror(enum csr_result r);

/*
 * The configured template (`template`) as step 1 compares it: its OID
 * (extension 1.3.6.1.4.1.311.21.7), its name, the cn (extension
 * 1.3.6.1.4.1.311.20.2), or both when a name was resolved from the
 * directory at start-up. NULL members are unknown.
 */
struct csr_template {
	const char *oid;
	const char *name;
};

/* True when s is an OID in dotted digits (then `template` is an OID). */
bool csr_is_oid(const char *s);

/*
 * Decodes der, verifies the self-signature, the key (cfg) and the template
 * (tmpl; NULL: cfg's `template` as written, unresolved). On CSR_OK *out is
 * a new struct csr to free with csr_free().
 */
enum csr_result csr_parse(const struct config *cfg,
    const struct csr_template *tmpl, const uint8_t *der,
    size_t der_len, struct csr **out, struct audit *a);

/*
 * Checks that every place in the request that names a user names this one:
 * username is the request's `username` attribute, user its directory entry.
 */
enum csr_result csr_match_user(const struct csr *csr, const char *username,
    const struct dir_user *user, struct audit *a);

/*
 * The part of csr_match_user() that needs no directory, run before step 2
 * (issue 11: a request for another user costs no LDAP query and tells
 * nothing about the account): every UPN is the typed user@suffix, ClientInfo
 * names the typed user or an account of the typed name's domain, and the
 * subject and SAN directoryNames lie under that domain's base DN. name is
 * dir_parse_name()'s reading of username. CSR_OK when nothing contradicts,
 * CSR_NAME_MISMATCH (why in a) or CSR_NOMEM.
 */
enum csr_result csr_match_name(const struct csr *csr, const char *username,
    const struct dir_name *name, struct audit *a);

/*
 * The request's public key (issue 15 item 8; shared with otpcep-ca): RSA
 * with a modulus of min_rsa_bits to 16384 bits in 8-bit steps, odd, and an
 * odd public exponent from 65537 to below 2^256; or EC on P-256, P-384 or
 * P-521 with a point on the curve. CSR_OK, CSR_WEAK_KEY or CSR_MALFORMED
 * (why in a), or CSR_NOMEM.
 */
enum csr_result csr_check_key(unsigned min_rsa_bits, gnutls_x509_crq_t crq,
    struct audit *a);

void csr_free(struct csr *csr);

#endif
