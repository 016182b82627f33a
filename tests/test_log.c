/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Unit tests for log escaping, journald priorities (src/log.c) and the audit record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
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

/* The first audit_failure() wins, like the reason. */
static void
test_audit_failure_first_wins(void **state)
{
	struct audit a;

	(void)state;
	memset(&a, 0, sizeof(a));
	audit_failure(&a, 4, LOG_NOTICE);
	audit_failure(&a, 7, LOG_ERR);
	assert_int_equal(a.failure, 5);
	assert_int_equal(a.severity, LOG_NOTICE);
}

/*
 * Writes two lines with stderr on a file, JOURNAL_STREAM set to that file's
 * device and inode when journal is true, and returns what was written.
 */
static char *
capture(bool journal)
{
	char path[] = "/tmp/otpcep-log-XXXXXX";
	static char out[1024];
	struct stat st;
	char env[64];
	FILE *f;
	int fd, saved;
	size_t n;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + (journal ? 0 : 1));
	setenv("JOURNAL_STREAM", env, 1);
	saved = dup(2);
	assert_int_equal(dup2(fd, 2), 2);
	log_init(LOG_TO_STDERR, 0);
	log_at(LOG_NOTICE, "request %d", 1);
	log_err("trouble");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	log_init(LOG_TO_STDERR, 0);
	f = fdopen(fd, "r");
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(path);
	return out;
}

/* systemd.exec(5): stderr is the journal when JOURNAL_STREAM names it. */
static void
test_journal_priorities(void **state)
{
	(void)state;
	assert_string_equal(capture(true), "<5>request 1\n<3>trouble\n");
	assert_string_equal(capture(false),
	    "otpcep: request 1\notpcep: trouble\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_truncates_visibly),
		cmocka_unit_test(test_audit_first_reason_wins),
		cmocka_unit_test(test_audit_failure_first_wins),
		cmocka_unit_test(test_journal_priorities),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
