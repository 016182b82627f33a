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
 * Fills a->subject, a->upn and a->key_sha256 (escaped for the log) from the
 * PKCS#10 DER csr_der. Call it after step 1 accepted the request; fields it
 * cannot read stay empty. Never fails the request.
 */
void audit_request(struct audit *a, const uint8_t *csr_der, size_t csr_der_len);

/* Fills a->client (escaped) from the client certificate's subject, or NULL. */
void audit_client(struct audit *a, const char *subject_dn);

#endif
