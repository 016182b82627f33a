/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* UTF-8 well-formedness, RFC 3629 section 4. */
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
