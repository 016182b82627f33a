/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Base64 (RFC 4648 section 4) for the xs:base64Binary attributes of
 * MS-OTPCE 2.2.2 and 2.2.3: strict on the alphabet and the padding, lenient
 * only on XML white space between characters.
 */
#ifndef OTPCEP_B64_H
#define OTPCEP_B64_H

#include <stddef.h>
#include <stdint.h>

enum b64_result {
	B64_OK = 0,
	B64_INVALID,	/* a character outside the alphabet, or bad padding */
	B64_NOMEM,
};

/*
 * Decodes text (text_len bytes), skipping XML white space (space, tab, CR,
 * LF). On B64_OK *out is a new buffer of *out_len bytes; free() it.
 */
enum b64_result b64_decode(const char *text, size_t text_len, uint8_t **out,
    size_t *out_len);

/* Encodes in one line, padded, NUL-terminated. NULL when out of memory. */
char *b64_encode(const uint8_t *data, size_t len);

#endif
