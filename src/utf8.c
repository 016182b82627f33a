/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * UTF-8 well-formedness (RFC 3629 section 4), and names compared without
 * regard to case the way Active Directory and LDAP compare them, with
 * libunistring (the only file that uses it). docs/protocol.md, "Names
 * compared", gives the choice: full case folding, then NFKC.
 */
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <uninorm.h>

#include "utf8.h"

/* Whether code point cp is refused as a control character. */
static bool
utf8_is_refused(uint32_t cp, enum utf8_controls controls)
{
	if (controls == UTF8_NO_NUL)
		return cp == 0;
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

bool
utf8_valid(const uint8_t *s, size_t len, enum utf8_controls controls)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		uint8_t c = s[i];

		if (c < 0x80) {
			n = 0;
			cp = c;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;	/* a continuation byte, or 0xc0, 0xc1, 0xf5.. */
		}
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* No overlong forms, no surrogates, nothing past U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    utf8_is_refused(cp, controls))
			return false;
		i += n + 1;
	}
	return true;
}

/*
 * RFC 4518 2.2 and 2.3 (caseIgnoreMatch: case folded, then NFKC), which is
 * also how AD matches account names (case and width ignored). No language:
 * a Turkish dotless i is not an i.
 */
char *
utf8_fold(const char *s, size_t len, size_t *out_len)
{
	uint8_t *folded, *out;
	size_t n = 0;

	if (s == NULL || !utf8_valid((const uint8_t *)s, len, UTF8_NO_NUL))
		return NULL;
	folded = u8_casefold((const uint8_t *)s, len, NULL, UNINORM_NFKC, NULL,
	    &n);
	if (folded == NULL)
		return NULL;
	if ((out = realloc(folded, n + 1)) == NULL) {
		free(folded);
		return NULL;
	}
	out[n] = '\0';
	if (out_len != NULL)
		*out_len = n;
	return (char *)out;
}

bool
utf8_caseless_eq(const char *a, const char *b)
{
	int cmp = 1;

	if (a == NULL || b == NULL ||
	    !utf8_valid((const uint8_t *)a, strlen(a), UTF8_NO_NUL) ||
	    !utf8_valid((const uint8_t *)b, strlen(b), UTF8_NO_NUL))
		return false;
	if (u8_casecmp((const uint8_t *)a, strlen(a), (const uint8_t *)b,
	    strlen(b), NULL, UNINORM_NFKC, &cmp) != 0)
		return false;
	return cmp == 0;
}
