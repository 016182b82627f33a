/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The audit line's fields about the requester and the request. Given by step
 * 1 (src/csr.c) from the request it read and checked; everything is escaped
 * with log_escape() because every byte of it came from the client.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "audit.h"
#include "log.h"

void
audit_request(struct audit *a, const char *subject, size_t subject_len,
    const char *upn, const uint8_t *spki, size_t spki_len)
{
	unsigned char digest[32];
	size_t i;

	if (subject != NULL)
		log_escape(a->subject, sizeof(a->subject), subject, subject_len);
	if (upn != NULL)
		log_escape(a->upn, sizeof(a->upn), upn, strlen(upn));
	/* SHA-256 over the DER SubjectPublicKeyInfo (RFC 5280 4.1). */
	if (spki == NULL || spki_len == 0 || spki_len > UINT32_MAX ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, spki, spki_len, digest) < 0)
		return;
	for (i = 0; i < sizeof(digest); i++)
		snprintf(a->key_sha256 + 2 * i, 3, "%02x", digest[i]);
}

void
audit_client(struct audit *a, const char *subject_dn)
{
	if (subject_dn != NULL && *subject_dn != '\0')
		log_escape(a->client, sizeof(a->client), subject_dn,
		    strlen(subject_dn));
}
