/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * What the audit line says about the certificate request it co-signs
 * (issue 12): the PKCS#10 subject, its SAN UPN and the SHA-256 of its
 * SubjectPublicKeyInfo, so an operator can match an issued certificate to the
 * request and the user that asked for it.
 */
#ifndef OTPCEP_AUDIT_H
#define OTPCEP_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "otpcep.h"

/*
 * Fills a->subject, a->upn (escaped for the log) and a->key_sha256 (the
 * SHA-256 of the DER SubjectPublicKeyInfo spki) from the PKCS#10 that step 1
 * accepted (csr_parse() calls it). A NULL field stays empty. Never fails the
 * request.
 */
void audit_request(struct audit *a, const char *subject, size_t subject_len,
    const char *upn, const uint8_t *spki, size_t spki_len);

/* Fills a->client (escaped) from the client certificate's subject, or NULL. */
void audit_client(struct audit *a, const char *subject_dn);

#endif
