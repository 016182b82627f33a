/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* The acceptor's unframing of a DCE-style first token (src/dcerpc_spnego.c). */
#ifndef OTPCEP_DCERPC_SPNEGO_H
#define OTPCEP_DCERPC_SPNEGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * If in is a framed krb5 AP-REQ, or a SPNEGO NegTokenInit whose mechToken
 * is one, writes the same token with the raw AP-REQ to *out (malloc'd) and
 * returns true; false (nothing allocated) when there is nothing to change.
 */
bool dcerpc_spnego_unframe(const uint8_t *in, size_t in_len, uint8_t **out,
    size_t *out_len);

/*
 * One DER element (X.690 8.1, definite lengths up to 3 bytes) at p within
 * len: its tag, content and whole size. False if it does not fit.
 */
bool dcerpc_der_elem(const uint8_t *p, size_t len, uint8_t *tag,
    const uint8_t **c, size_t *clen, size_t *total);

#endif
