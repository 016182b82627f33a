/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep-ca: the CA step of the demo and the tests (issue 6). Active Directory
 * Certificate Services cannot run here, so this tool stands in for it: it
 * checks a SignedCertRequest as an Enterprise CA's policy does (MS-WCCE
 * 3.2.1.4.2.1.4.1.3, 3.2.2.6.2.1.4.5; /work/shared/spec/interop-notes.md
 * section 1) and issues the short-lived logon certificate from a local CA.
 * See docs/man/otpcep-ca.1 and docs/protocol.md, "The CA step".
 */
#ifndef OTPCEP_CATOOL_H
#define OTPCEP_CATOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "msext.h"

/*
 * Exit statuses: one per reason, documented in docs/man/otpcep-ca.1. The
 * refusals (10 and up) are the request's fault; 1, 2 and 40 are ours or the
 * operator's.
 */
enum catool_status {
	CATOOL_OK = 0,
	CATOOL_USAGE = 64,		/* bad options (EX_USAGE, sysexits.h) */
	CATOOL_FILES = 2,		/* a file cannot be read or written, CA unusable */
	CATOOL_MALFORMED = 10,		/* not DER/PEM/base64 of a SignedData */
	CATOOL_NOT_SIGNED_DATA = 11,	/* contentType is not id-signedData */
	CATOOL_NOT_PKIDATA = 12,	/* eContentType is not id-cct-PKIData */
	CATOOL_REQUEST_COUNT = 13,	/* not exactly one PKCS#10 */
	CATOOL_NOT_SIGNED = 14,		/* no signer besides the null signer */
	CATOOL_BAD_NULL_SIGNER = 15,	/* first signer is not a valid id-alg-noSignature */
	CATOOL_UNSUPPORTED_ALG = 16,	/* digest or signature algorithm not accepted */
	CATOOL_CERT_MISSING = 17,	/* signer's certificate not in `certificates` */
	CATOOL_BAD_SIGNATURE = 18,	/* a signature over the signed attributes fails */
	CATOOL_CONTENT_TYPE = 19,	/* contentType attribute absent or not PKIData */
	CATOOL_DIGEST_MISMATCH = 20,	/* messageDigest absent or not digest(eContent) */
	CATOOL_UNTRUSTED = 21,		/* signer's chain does not lead to --trust */
	CATOOL_EXPIRED = 22,		/* a certificate of the chain is not valid now */
	CATOOL_NO_EKU = 23,		/* signer's EKU lacks --require-eku */
	CATOOL_BAD_PKCS10 = 24,		/* inner PKCS#10 unreadable or its signature fails */
	CATOOL_NO_UPN = 25,		/* the PKCS#10 carries no single UPN */
	CATOOL_WEAK_KEY = 26,		/* its key breaks the key rules (csr_check_key) */
	CATOOL_NO_TEMPLATE = 27,	/* CERTSRV_E_NO_CERT_TYPE, with --template */
	CATOOL_TEMPLATE_UNSUPPORTED = 28, /* CERTSRV_E_UNSUPPORTED_CERT_TYPE */
	CATOOL_TEMPLATE_CONFLICT = 29,	/* CERTSRV_E_TEMPLATE_CONFLICT */
	CATOOL_ISSUE_FAILED = 40,	/* issuing failed on our side */
};

/* A short name of a status for messages ("untrusted", ...). */
const char *catool_status_name(enum catool_status s);

/* Writes the reason (printf-style) into why and returns st. */
enum catool_status catool_refuse(char *why, size_t why_len,
    enum catool_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A template the CA was told to issue (--template NAME=OID, OID or NAME). */
struct catool_template {
	const char *oid;	/* NULL: known by name only */
	const char *name;	/* NULL: known by OID only */
};

#define CATOOL_TEMPLATES_MAX 8

/* What the checks need. */
struct catool_policy {
	gnutls_x509_trust_list_t trust;
	const char *require_eku;
	time_t now;
	struct catool_template templates[CATOOL_TEMPLATES_MAX];
	size_t template_count;	/* 0: templates are not checked */
};

/* What the checks found; release with catool_verified_free(). */
struct catool_verified {
	gnutls_x509_crq_t crq;		/* the inner PKCS#10, verified */
	char *upn;			/* its UPN, UTF-8, NUL-terminated */
	size_t signers;			/* real signers verified */
	char *signer_dn;		/* the first real signer's subject */
};

/*
 * Runs every check of the CA's policy over a DER SignedCertRequest. Returns
 * CATOOL_OK and fills *v, or the first refusal, with its reason written to
 * why (why_len bytes, NUL-terminated); *v is then empty.
 */
enum catool_status catool_verify(const struct catool_policy *p,
    const uint8_t *der, size_t der_len, struct catool_verified *v,
    char *why, size_t why_len);
void catool_verified_free(struct catool_verified *v);

/*
 * The one UPN (otherName 1.3.6.1.4.1.311.20.2.3, a UTF8String) of a DER
 * subjectAltName extension value, as a new NUL-terminated string in *upn.
 * CATOOL_OK, CATOOL_NO_UPN (none, several, or not text) or CATOOL_BAD_PKCS10.
 */
enum catool_status catool_upn(const gnutls_datum_t *ext, char **upn,
    char *why, size_t why_len);

/* The issuing CA: certificate and key, checked to be a pair. */
struct catool_ca {
	gnutls_x509_crt_t crt;
	gnutls_privkey_t key;
};

/*
 * Loads the CA (PEM or DER certificate, unencrypted PEM or DER key) and checks
 * that they belong together and that the certificate may sign certificates.
 * CATOOL_OK, or CATOOL_FILES with the reason in why.
 */
enum catool_status catool_ca_load(struct catool_ca *ca, const char *cert_path,
    const char *key_path, time_t now, char *why, size_t why_len);
void catool_ca_free(struct catool_ca *ca);

/*
 * Issues the logon certificate for v->crq: subject and key from the request,
 * the UPN, EKU smart card logon + client auth, key usage digitalSignature
 * (+ keyEncipherment for RSA), valid from now for lifetime seconds, a random
 * serial. On CATOOL_OK *out is a new certificate; else the reason is in why.
 */
enum catool_status catool_issue(const struct catool_ca *ca,
    const struct catool_verified *v, time_t now, unsigned long lifetime,
    gnutls_x509_crt_t *out, char *why, size_t why_len);

/* Prints subject, UPN, issuer, validity, serial, EKU and key usage readably. */
void catool_print(FILE *f, gnutls_x509_crt_t crt);

#endif
