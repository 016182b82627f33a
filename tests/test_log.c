/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Unit tests for log escaping (src/log.c) and the audit reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"
#include "otpcep.h"

static void
test_escape(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(log_escape(out, sizeof(out), "DOMAIN1\\user1", 13),
	    "DOMAIN1\\x5cuser1");
	/* A forged log line stays on one line. */
	assert_string_equal(log_escape(out, sizeof(out), "a\nb\r\"c", 6),
	    "a\\x0ab\\x0d\\x22c");
	assert_string_equal(log_escape(out, sizeof(out), "\xc3\xa4\x00", 3),
	    "\\xc3\\xa4\\x00");
	assert_string_equal(log_escape(out, sizeof(out), "", 0), "");
}

static void
test_escape_truncates_visibly(void **state)
{
	char out[8];
	char big[100];

	(void)state;
	memset(big, 'x', sizeof(big));
	log_escape(out, sizeof(out), big, sizeof(big));
	assert_string_equal(out, "xxxx...");
	log_escape(out, sizeof(out), "\n\n\n\n", 4);
	assert_true(strlen(out) < sizeof(out));
	assert_non_null(strstr(out, "..."));
	/* Exactly fits: no marker. */
	log_escape(out, sizeof(out), "abcdefg", 7);
	assert_string_equal(out, "abcdefg");
}

static void
test_audit_first_reason_wins(void **state)
{
	struct audit a;

	(void)state;
	memset(&a, 0, sizeof(a));
	audit_reason(&a, "step %d: %s", 2, "no such user");
	audit_reason(&a, "later");
	assert_string_equal(a.reason, "step 2: no such user");
	assert_string_equal(otpcep_status_name(OTPCEP_SUCCESS), "Success");
	assert_string_equal(otpcep_status_name(OTPCEP_AUTHENTICATION_ERROR),
	    "AuthenticationError");
	assert_string_equal(otpcep_status_name(OTPCEP_CHALLENGE_RESPONSE_REQUIRED),
	    "ChallengeResponseRequired");
	assert_string_equal(otpcep_status_name(OTPCEP_OTHER_ERROR), "OtherError");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_truncates_visibly),
		cmocka_unit_test(test_audit_first_reason_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
