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

#endif
