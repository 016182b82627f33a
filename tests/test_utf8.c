/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* UTF-8 well-formedness (RFC 3629 section 4) and the control-character policies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "utf8.h"

static bool
ok(const char *s, enum utf8_controls c)
{
	return utf8_valid((const uint8_t *)s, strlen(s), c);
}

static void
test_well_formed(void **state)
{
	(void)state;
	assert_true(ok("", UTF8_NO_CONTROLS));
	assert_true(ok("DOMAIN1\\user1", UTF8_NO_CONTROLS));
	assert_true(ok("J\xc3\xbcrgen", UTF8_NO_CONTROLS));		/* U+00FC */
	assert_true(ok("\xe2\x82\xac", UTF8_NO_CONTROLS));		/* U+20AC */
	assert_true(ok("\xf0\x9f\x94\x91", UTF8_NO_CONTROLS));		/* U+1F511 */
	assert_true(ok("\xf4\x8f\xbf\xbf", UTF8_NO_NUL));		/* U+10FFFF */
}

static void
test_ill_formed(void **state)
{
	(void)state;
	assert_false(ok("\xc0\xaf", UTF8_NO_NUL));		/* overlong '/' */
	assert_false(ok("\xe0\x80\xaf", UTF8_NO_NUL));		/* overlong, 3 bytes */
	assert_false(ok("\xf0\x80\x80\xaf", UTF8_NO_NUL));	/* overlong, 4 bytes */
	assert_false(ok("\xed\xa0\x80", UTF8_NO_NUL));		/* surrogate U+D800 */
	assert_false(ok("\xf4\x90\x80\x80", UTF8_NO_NUL));	/* U+110000 */
	assert_false(ok("\x80", UTF8_NO_NUL));			/* lone continuation */
	assert_false(ok("\xc3", UTF8_NO_NUL));			/* truncated */
	assert_false(ok("\xe2\x82", UTF8_NO_NUL));
	assert_false(ok("\xc3\x28", UTF8_NO_NUL));		/* bad continuation */
	assert_false(ok("\xff", UTF8_NO_NUL));
	assert_false(utf8_valid((const uint8_t *)"a\0b", 3, UTF8_NO_NUL));
}

static void
test_controls(void **state)
{
	(void)state;
	assert_true(ok("a\tb\nc\x7f", UTF8_NO_NUL));
	assert_false(ok("a\tb", UTF8_NO_CONTROLS));
	assert_false(ok("a\nb", UTF8_NO_CONTROLS));
	assert_false(ok("a\x7f", UTF8_NO_CONTROLS));		/* DEL */
	assert_false(ok("a\xc2\x85", UTF8_NO_CONTROLS));	/* C1: U+0085 NEL */
	assert_true(ok("a\xc2\xa0", UTF8_NO_CONTROLS));		/* U+00A0 is text */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_ill_formed),
		cmocka_unit_test(test_controls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
