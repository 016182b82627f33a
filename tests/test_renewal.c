/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Unit tests for the renewal schedule and state file (src/renewal.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "renewal.h"

static char dir[] = "/tmp/otpcep-renewal-XXXXXX";
static const uint8_t serial_a[] = { 0x12, 0x34, 0x56 };
static const uint8_t serial_b[] = { 0x7f, 0x00, 0x01, 0x02 };

#define DAY 86400

static void
test_due_at_half_with_bounded_stable_jitter(void **state)
{
	time_t nb = 1700000000, na = nb + 2 * DAY, d1, d2, d3;

	(void)state;
	d1 = renewal_due_time(nb, na, serial_a, sizeof(serial_a));
	d2 = renewal_due_time(nb, na, serial_a, sizeof(serial_a));
	d3 = renewal_due_time(nb, na, serial_b, sizeof(serial_b));
	assert_int_equal(d1, d2);		/* the same certificate: the same time */
	assert_true(d1 >= nb + DAY && d1 < nb + DAY + 2 * DAY / 20);
	assert_true(d3 >= nb + DAY && d3 < nb + DAY + 2 * DAY / 20);
	assert_true(d1 != d3);			/* another serial: another minute */
	/* A degenerate certificate (notAfter before notBefore) has no jitter. */
	assert_int_equal(renewal_due_time(nb, nb - 10, serial_a, 3), nb);
}

static void
test_phases(void **state)
{
	time_t nb = 1700000000, na = nb + 2 * DAY;
	time_t due = renewal_due_time(nb, na, serial_a, sizeof(serial_a));

	(void)state;
	assert_int_equal(renewal_phase(nb, na, serial_a, 3, nb), RENEWAL_NOT_DUE);
	assert_int_equal(renewal_phase(nb, na, serial_a, 3, due - 1), RENEWAL_NOT_DUE);
	assert_int_equal(renewal_phase(nb, na, serial_a, 3, due), RENEWAL_DUE);
	assert_int_equal(renewal_phase(nb, na, serial_a, 3, na - DAY / 2 - 1), RENEWAL_DUE);
	assert_int_equal(renewal_phase(nb, na, serial_a, 3, na - DAY / 2), RENEWAL_OVERDUE);
	assert_int_equal(renewal_phase(nb, na, serial_a, 3, na - 1), RENEWAL_OVERDUE);
	assert_int_equal(renewal_phase(nb, na, serial_a, 3, na), RENEWAL_EXPIRED);
	assert_string_equal(renewal_phase_name(RENEWAL_OVERDUE), "overdue");
}

static void
test_state_round_trip(void **state)
{
	char path[256];
	struct renewal_state w, r;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(renewal_state_read(path, &r), 1);	/* never ran */
	assert_int_equal(r.last_attempt, 0);
	memset(&w, 0, sizeof(w));
	w.last_attempt = 1700000100;
	w.last_success = 1700000000;
	w.pending_id = 4711;
	strcpy(w.last_error, "CA: denied, CERTSRV_E_TEMPLATE_DENIED\nforged=1");
	assert_int_equal(renewal_state_write(path, &w), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(renewal_state_read(path, &r), 0);
	assert_int_equal(r.last_attempt, w.last_attempt);
	assert_int_equal(r.last_success, w.last_success);
	assert_int_equal(r.pending_id, 4711);
	/* A newline in a message cannot add a key. */
	assert_string_equal(r.last_error, "CA: denied, CERTSRV_E_TEMPLATE_DENIED forged=1");
}

static void
test_state_malformed(void **state)
{
	char path[256];
	struct renewal_state r;
	FILE *f;
	static const char *const bad[] = {
		"last_attempt=-5\n", "last_attempt=12x\n", "bogus=1\n",
		"no equals sign\n", "pending_id=99999999999\n",
	};
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad", dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(bad[i], f);
		fclose(f);
		assert_int_equal(renewal_state_read(path, &r), -1);
		assert_int_equal(r.last_attempt, 0);
	}
}

static void
test_write_atomic_replaces_whole(void **state)
{
	char path[256], buf[64];
	FILE *f;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	assert_int_equal(renewal_write_atomic(path, "old contents, longer\n", 21, 0600), 0);
	assert_int_equal(renewal_write_atomic(path, "new\n", 4, 0600), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "new\n", 4);
	/* A folder that does not exist: an error, no file. */
	assert_int_equal(renewal_write_atomic("/nonexistent-otpcep/x", "a", 1, 0600), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_at_half_with_bounded_stable_jitter),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_malformed),
		cmocka_unit_test(test_write_atomic_replaces_whole),
	};
	char cmd[300];
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
