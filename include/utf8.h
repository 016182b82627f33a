/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* UTF-8 well-formedness (RFC 3629 section 4), for names that cross modules. */
#ifndef OTPCEP_UTF8_H
#define OTPCEP_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum utf8_controls {
	UTF8_NO_NUL,		/* refuse only U+0000 */
	UTF8_NO_CONTROLS,	/* refuse every C0 and C1 control and DEL */
};

/*
 * Whether s (len bytes) is well-formed UTF-8: no overlong forms, no
 * surrogates, nothing above U+10FFFF, and no characters `controls` refuses.
 */
bool utf8_valid(const uint8_t *s, size_t len, enum utf8_controls controls);

/*
 * The caseless form of s (len bytes of UTF-8): full Unicode case folding,
 * then NFKC (RFC 4518 2.2, 2.3). A new NUL-terminated string of *out_len
 * bytes (out_len may be NULL); NULL when s is not UTF-8 or out of memory.
 */
char *utf8_fold(const char *s, size_t len, size_t *out_len);

/*
 * Whether a and b are one name ignoring case, width and compatibility forms
 * (utf8_fold() equal); false when either is NULL or not UTF-8. "Jörg" and
 * "JÖRG" are equal, "Jörg" and "Jorg" are not.
 */
bool utf8_caseless_eq(const char *a, const char *b);

#endif
