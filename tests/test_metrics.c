/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Unit tests for the shared counters, their exposition and /health (src/metrics.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "otpcep.h"

static struct config *cfg;

static int
setup(void **state)
{
	static const char text[] =
	    "template = 1.3.6.1.4.1.311.21.8.1\n"
	    "ca = dc1.example.com\\Example Root CA\n"
	    "ldap_uri = ldap://127.0.0.1:3890\n"
	    "domain = CORP DC=corp,DC=example\n"
	    "radius_server = 127.0.0.1:18120 timeout_ms=500\n"
	    "radius_server = 127.0.0.1:18121\n"
	    "radius_secret_file = /nonexistent\n"
	    "signing_warn_hours = 24\n"
	    "health_window_s = 60\n";

	(void)state;
	cfg = config_parse("/etc/otpcep/t.conf", text, sizeof(text) - 1);
	assert_non_null(cfg);
	return metrics_init(cfg);
}

static int
teardown(void **state)
{
	(void)state;
	config_free(cfg);
	return 0;
}

static char *
exposition(void)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(metrics_format(&out, &len), 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

static void
assert_has(const char *text, const char *line)
{
	/* cmocka's fail_msg() is not noreturn to gcc: say NULL apart, or the
	 * sanitizer build's -Werror=format-overflow sees a NULL '%s'. */
	if (text == NULL)
		fail_msg("no exposition");
	else if (strstr(text, line) == NULL)
		fail_msg("no '%s' in:\n%s", line, text);
}

/* A child process counts into the same place (MAP_SHARED before fork). */
static void
test_counts_across_fork(void **state)
{
	char *out;
	pid_t pid;
	int st;

	(void)state;
	metrics_request_begin();
	metrics_request_end(200, OTPCEP_SUCCESS, 1200);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		metrics_request_begin();
		metrics_request_end(200, OTPCEP_SUCCESS, 3000000);
		metrics_radius_timeout(1);
		metrics_signing_cert((time_t)2000000000, "01ab");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	metrics_request_begin();
	metrics_request_end(403, -1, 10);
	metrics_failure(METRICS_FAIL_OTP_REJECTED);
	metrics_radius_dropped(0, METRICS_DROP_MESSAGE_AUTHENTICATOR);
	metrics_radius_timeout(99);		/* out of range: ignored */
	out = exposition();
	assert_has(out, "otpcep_requests_total{code=\"200\",status=\"Success\"} 2\n");
	assert_has(out, "otpcep_requests_total{code=\"403\",status=\"none\"} 1\n");
	assert_has(out, "otpcep_request_failures_total{reason=\"otp_rejected\"} 1\n");
	assert_has(out, "otpcep_radius_timeouts_total{server=\"127.0.0.1:18121\"} 1\n");
	assert_has(out, "otpcep_radius_timeouts_total{server=\"127.0.0.1:18120\"} 0\n");
	assert_has(out, "otpcep_radius_dropped_replies_total{server=\"127.0.0.1:18120\","
	    "cause=\"message_authenticator\"} 1\n");
	assert_has(out, "otpcep_signing_certificate_not_after_timestamp_seconds 2000000000\n");
	assert_has(out, "otpcep_signing_certificate_info{serial=\"01ab\"} 1\n");
	/* Histogram: 1.2 ms in le=0.0025, 3 s in le=5, +Inf and _count equal. */
	assert_has(out, "otpcep_request_duration_seconds_bucket{le=\"0.001\"} 1\n");
	assert_has(out, "otpcep_request_duration_seconds_bucket{le=\"0.0025\"} 2\n");
	assert_has(out, "otpcep_request_duration_seconds_bucket{le=\"2.5\"} 2\n");
	assert_has(out, "otpcep_request_duration_seconds_bucket{le=\"5\"} 3\n");
	assert_has(out, "otpcep_request_duration_seconds_bucket{le=\"+Inf\"} 3\n");
	assert_has(out, "otpcep_request_duration_seconds_count 3\n");
	assert_has(out, "otpcep_requests_in_flight 0\n");
	assert_has(out, "otpcep_ldap_up{uri=\"ldap://127.0.0.1:3890\"} 0\n");
	assert_has(out, "otpcep_build_info{version=\"" OTPCEP_VERSION "\"} 1\n");
	free(out);
}

static void
test_health(void **state)
{
	char buf[512];
	time_t now = time(NULL);

	(void)state;
	/* Nothing answered yet, no certificate. */
	metrics_signing_cert(0, "");
	assert_int_equal(metrics_health(cfg, now, buf, sizeof(buf)), 503);
	assert_non_null(strstr(buf, "signing: no valid signing certificate\n"));
	assert_non_null(strstr(buf, "radius: no server answered in the last 60 s\n"));
	assert_non_null(strstr(buf, "directory: no URI answered"));

	metrics_signing_cert(now + 48 * 3600, "02");
	metrics_radius_answered(1);
	metrics_ldap_bind(0, true);
	assert_int_equal(metrics_health(cfg, now, buf, sizeof(buf)), 200);
	assert_string_equal(buf, "ok\n");

	/* Inside the warning window. */
	metrics_signing_cert(now + 3600, "03");
	assert_int_equal(metrics_health(cfg, now, buf, sizeof(buf)), 503);
	assert_non_null(strstr(buf, "signing: the certificate expires in 1.0 hours"));
	assert_null(strstr(buf, "radius"));

	/* The answers grow old. */
	metrics_signing_cert(now + 48 * 3600, "02");
	assert_int_equal(metrics_health(cfg, now + 61, buf, sizeof(buf)), 503);
	assert_non_null(strstr(buf, "radius: no server answered"));
	assert_non_null(strstr(buf, "directory: no URI answered"));
	/* Half a window without an answer: /health asks them itself. */
	{
		bool radius, ldap;

		metrics_stale(cfg, now, &radius, &ldap);
		assert_false(radius);
		assert_false(ldap);
		metrics_stale(cfg, now + 31, &radius, &ldap);
		assert_true(radius);
		assert_true(ldap);
	}
	/* A tiny buffer is still terminated. */
	assert_int_equal(metrics_health(cfg, now + 61, buf, 8), 503);
	assert_true(strlen(buf) < 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_across_fork),
		cmocka_unit_test(test_health),
	};

	log_init(LOG_TO_STDERR, 0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
