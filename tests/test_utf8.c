/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* UTF-8 well-formedness (RFC 3629 section 4), the control-character policies, and caseless names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

/* Issue 15 item 6: names compared as AD compares them. */
static void
test_caseless(void **state)
{
	char *f;
	size_t len = 0;

	(void)state;
	assert_true(utf8_caseless_eq("Jörg", "JÖRG"));
	assert_true(utf8_caseless_eq("jörg", "JÖRG"));
	/* composed and decomposed ö (NFKC) */
	assert_true(utf8_caseless_eq("J\xc3\xb6rg", "Jo\xcc\x88rg"));
	/* fullwidth letters are compatibility forms of ASCII ones */
	assert_true(utf8_caseless_eq("\xef\xbd\x8a\xef\xbd\x8frg", "JORG"));
	assert_true(utf8_caseless_eq("ΣΊΣΥΦΟΣ", "σίσυφος"));
	assert_false(utf8_caseless_eq("Jörg", "Jorg"));
	assert_false(utf8_caseless_eq("Jörg", "Jörg "));
	assert_false(utf8_caseless_eq("user1", "user2"));
	assert_false(utf8_caseless_eq(NULL, "a"));
	assert_false(utf8_caseless_eq("a", NULL));
	assert_false(utf8_caseless_eq("\xc3", "\xc3"));	/* not UTF-8 */
	f = utf8_fold("JÖRG Müller", strlen("JÖRG Müller"), &len);
	assert_non_null(f);
	assert_string_equal(f, "jörg müller");
	assert_int_equal(len, strlen("jörg müller"));
	free(f);
	assert_null(utf8_fold("\xff", 1, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_ill_formed),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_caseless),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
