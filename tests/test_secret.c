/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Unit tests for secret files (src/secret.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "secret.h"

static char dir[] = "/tmp/otpcep-secret-XXXXXX";

static const char *
write_file(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void
test_reads_and_strips_one_newline(void **state)
{
	struct secret s;

	(void)state;
	assert_int_equal(secret_read_file(write_file("a", "s3cret\n", 7, 0600), &s),
	    SECRET_OK);
	assert_int_equal(s.len, 6);
	assert_memory_equal(s.data, "s3cret", 6);
	secret_free(&s);
	assert_null(s.data);
	assert_int_equal(secret_read_file(write_file("b", "x y\r\n", 5, 0640), &s),
	    SECRET_OK);
	assert_int_equal(s.len, 3);
	secret_free(&s);
	/* Only one newline is dropped: the rest is the secret. */
	assert_int_equal(secret_read_file(write_file("c", "ab\n\n", 4, 0400), &s),
	    SECRET_OK);
	assert_int_equal(s.len, 3);
	secret_free(&s);
	/* Binary bytes are kept. */
	assert_int_equal(secret_read_file(write_file("d", "a\0b", 3, 0600), &s),
	    SECRET_OK);
	assert_int_equal(s.len, 3);
	secret_free(&s);
}

static void
test_refuses_insecure_modes(void **state)
{
	static const mode_t bad[] = { 0644, 0604, 0660, 0606, 0601, 0620, 0777 };
	struct secret s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(secret_read_file(write_file("m", "x", 1, bad[i]), &s),
		    SECRET_INSECURE);
		assert_null(s.data);
	}
}

static void
test_refuses_empty_long_missing(void **state)
{
	char big[SECRET_MAX + 2];
	char path[300];
	struct secret s;

	(void)state;
	assert_int_equal(secret_read_file(write_file("e", "\n", 1, 0600), &s),
	    SECRET_EMPTY);
	assert_int_equal(secret_read_file(write_file("f", "", 0, 0600), &s),
	    SECRET_EMPTY);
	memset(big, 'a', sizeof(big));
	assert_int_equal(secret_read_file(write_file("g", big, sizeof(big), 0600), &s),
	    SECRET_TOO_LONG);
	assert_int_equal(secret_read_file(write_file("h", big, SECRET_MAX, 0600), &s),
	    SECRET_OK);
	secret_free(&s);
	assert_int_equal(secret_read_file("/nonexistent/secret", &s), SECRET_OPEN);
	assert_int_equal(secret_read_file(dir, &s), SECRET_OPEN);	/* directory */
	/* A symbolic link is not followed. */
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink(write_file("i", "x", 1, 0600), path), 0);
	assert_int_equal(secret_read_file(path, &s), SECRET_OPEN);
	assert_string_equal(secret_strerror(SECRET_INSECURE),
	    "insecure permissions: must be at most 0640");
}

/*
 * A FIFO (or a device) put in a secret's or the key's place is refused at
 * once: the open must not wait for a writer (the signer re-reads the PIN
 * file and the key at run time). SIGALRM ends the test if it hangs.
 */
static void
test_fifo_refused_without_hanging(void **state)
{
	char path[300];
	struct secret s;

	(void)state;
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(secret_read_file(path, &s), SECRET_OPEN);
	assert_int_equal(secret_read_key(path, 4096, geteuid(), &s), SECRET_OPEN);
	alarm(0);
	assert_null(s.data);
	/* A key file: the rule is checked on what is read. */
	assert_int_equal(secret_read_key(write_file("k1", "key", 3, 0640), 4096,
	    geteuid(), &s), SECRET_OK);
	assert_int_equal(s.len, 3);
	assert_memory_equal(s.data, "key", 3);
	secret_free(&s);
	assert_int_equal(secret_read_key(write_file("k2", "key", 3, 0644), 4096,
	    geteuid(), &s), SECRET_INSECURE);
	assert_int_equal(secret_read_key(write_file("k3", "key", 3, 0740), 4096,
	    geteuid(), &s), SECRET_INSECURE);
	assert_int_equal(secret_read_key(write_file("k4", "key", 3, 0600), 2,
	    geteuid(), &s), SECRET_TOO_LONG);
	assert_int_equal(secret_read_key(write_file("k5", "", 0, 0600), 4096,
	    geteuid(), &s), SECRET_EMPTY);
	if (geteuid() == 0) {
		assert_int_equal(chown(write_file("k6", "key", 3, 0600), 4242, 0), 0);
		assert_int_equal(secret_read_key(write_file("k6", "key", 3, 0600),
		    4096, 0, &s), SECRET_OWNER);
	}
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_and_strips_one_newline),
		cmocka_unit_test(test_refuses_insecure_modes),
		cmocka_unit_test(test_refuses_empty_long_missing),
		cmocka_unit_test(test_fifo_refused_without_hanging),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
