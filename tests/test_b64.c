/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Base64 for xs:base64Binary: RFC 4648 test vectors and strictness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "b64.h"

static void
expect_decodes(const char *text, const char *want)
{
	uint8_t *out = NULL;
	size_t len = 0;

	assert_int_equal(b64_decode(text, strlen(text), &out, &len), B64_OK);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);
}

static void
expect_invalid(const char *text)
{
	uint8_t *out = (uint8_t *)1;
	size_t len = 1;

	assert_int_equal(b64_decode(text, strlen(text), &out, &len), B64_INVALID);
	assert_null(out);
	assert_int_equal(len, 0);
}

/* RFC 4648 section 10. */
static void
test_rfc4648_vectors(void **state)
{
	static const char *const plain[] = { "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const coded[] = { "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	size_t i;
	char *e;

	(void)state;
	for (i = 0; i < 6; i++) {
		expect_decodes(coded[i], plain[i]);
		e = b64_encode((const uint8_t *)plain[i], strlen(plain[i]));
		assert_string_equal(e, coded[i]);
		free(e);
	}
	e = b64_encode((const uint8_t *)"", 0);
	assert_string_equal(e, "");
	free(e);
}

/* XML white space and &#xA; line breaks between characters are allowed. */
static void
test_white_space(void **state)
{
	(void)state;
	expect_decodes("Zm9v\nYmFy", "foobar");
	expect_decodes(" Zm9v\r\n\tYm Fy \n", "foobar");
	expect_decodes("Zm9vYg=\n=", "foob");
}

static void
test_invalid(void **state)
{
	(void)state;
	expect_invalid("");
	expect_invalid("   \n");
	expect_invalid("Zm9");		/* not a multiple of four */
	expect_invalid("Zm9vY");
	expect_invalid("Zm9v!mFy");	/* outside the alphabet */
	expect_invalid("Zm9v-mFy");	/* base64url is not base64 */
	expect_invalid("Zg=a");		/* data after padding */
	expect_invalid("Zg==Zm9v");	/* padding in the middle */
	expect_invalid("Z===");		/* three pad characters */
	expect_invalid("====");
	expect_invalid("Zh==");		/* non-zero bits dropped by padding */
	expect_invalid("Zm9=");
	expect_invalid("Zm\0v");
}

static void
test_binary_round_trip(void **state)
{
	uint8_t data[300], *out;
	size_t n, len, i;
	char *e;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + 7);
	for (n = 0; n <= sizeof(data); n += 37) {
		e = b64_encode(data, n);
		assert_non_null(e);
		assert_int_equal(strlen(e), (n + 2) / 3 * 4);
		if (n > 0) {
			assert_int_equal(b64_decode(e, strlen(e), &out, &len), B64_OK);
			assert_int_equal(len, n);
			assert_memory_equal(out, data, n);
			free(out);
		}
		free(e);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_white_space),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_binary_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
