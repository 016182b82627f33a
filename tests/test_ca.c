/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Unit tests for step 5, the CA servers list (src/ca.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "ca.h"
#include "config.h"
#include "log.h"

static void
test_name_valid(void **state)
{
	(void)state;
	assert_true(ca_name_valid("DC1.domain1.corp.company.com\\RootCA-DC1"));
	assert_true(ca_name_valid("ca\\Example Issuing CA 2"));
	assert_true(ca_name_valid("192.0.2.7\\CA"));
	assert_true(ca_name_valid("ca.example\\Zertifizierungsstelle \xc3\xa4"));
	assert_false(ca_name_valid(""));
	assert_false(ca_name_valid("no-backslash"));
	assert_false(ca_name_valid("\\CA"));
	assert_false(ca_name_valid("host\\"));
	assert_false(ca_name_valid("host\\a\\b"));
	assert_false(ca_name_valid("ho st\\CA"));
	assert_false(ca_name_valid("host..example\\CA"));
	assert_false(ca_name_valid(".host\\CA"));
	assert_false(ca_name_valid("host\\ CA"));
	assert_false(ca_name_valid("host\\CA "));
	assert_false(ca_name_valid("host\\C\tA"));
	assert_false(ca_name_valid("host\\C\x7f"));
}

static void
test_choose(void **state)
{
	static const char text[] = "template = T\n"
	    "ca = a.example\\One\nca = b.example\\Two\nca = c.example\\Three\n"
	    "issuing_ca_count = 2\n";
	struct config *cfg = config_parse("t.conf", text, strlen(text));
	const char *const *names;

	(void)state;
	assert_non_null(cfg);
	/* MS-OTPCE 3.2.5.1 step 6: the first or several high-ranked CAs. */
	assert_int_equal(ca_choose(cfg, &names), 2);
	assert_string_equal(names[0], "a.example\\One");
	assert_string_equal(names[1], "b.example\\Two");
	cfg->issuing_ca_count = 1;
	assert_int_equal(ca_choose(cfg, &names), 1);
	assert_string_equal(names[0], "a.example\\One");
	/* An empty list yields nothing (step 5: OtherError). */
	cfg->ca.count = 0;
	assert_int_equal(ca_choose(cfg, &names), 0);
	cfg->ca.count = 3;
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_choose),
	};

	log_init(LOG_TO_STDERR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
