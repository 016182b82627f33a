/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Unit tests for the listening rules (src/front_listen.c): what
 * --check-config decides from `listen` and `fastcgi_allowed_clients`, and
 * which TCP peers are let in. Sockets themselves: tests/integration/listen.sh.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "front_listen.h"
#include "log.h"

#define MINIMAL "template = 1.3.6.1.4.1.311.21.8.1\n" \
	"ca = dc1.example.com\\Example Root CA\n"

/* The number of errors --check-config's listening rules find in MINIMAL + extra. */
static unsigned
check(const char *extra)
{
	char text[1024];
	struct config *cfg;
	unsigned n;

	snprintf(text, sizeof(text), "%s%s", MINIMAL, extra);
	cfg = config_parse("/etc/otpcep/test.conf", text, strlen(text));
	assert_non_null(cfg);
	n = front_listen_check(cfg);
	config_free(cfg);
	return n;
}

static void
test_tcp_rules(void **state)
{
	(void)state;
	assert_int_equal(check(""), 0);
	assert_int_equal(check("listen = 127.0.0.1:9000\n"), 0);
	assert_int_equal(check("listen = [::1]:9000\n"), 0);
	assert_int_equal(check("listen = 127.8.9.10:9000\n"), 0);
	/* Anything but loopback needs the web servers' addresses. */
	assert_int_equal(check("listen = 0.0.0.0:9000\n"), 1);
	assert_int_equal(check("listen = :9000\n"), 1);
	assert_int_equal(check("listen = *:9000\n"), 1);
	assert_int_equal(check("listen = [::]:9000\n"), 1);
	assert_int_equal(check("listen = 192.0.2.1:9000\n"), 1);
	assert_int_equal(check("listen = 0.0.0.0:9000\n"
	    "fastcgi_allowed_clients = 192.0.2.10, 192.0.2.11\n"), 0);
	assert_int_equal(check("listen = 0.0.0.0:9000\n"
	    "fastcgi_allowed_clients = 2001:db8::10\n"), 0);
	/* Addresses only (each bad one is logged): an error for the list, and
	 * the socket is then as unprotected as without one. */
	assert_int_equal(check("listen = 0.0.0.0:9000\n"
	    "fastcgi_allowed_clients = web1.example.com 192.0.2.300\n"), 2);
	/* Bad ports and forms. */
	assert_int_equal(check("listen = 127.0.0.1:0\n"), 1);
	assert_int_equal(check("listen = 127.0.0.1:65536\n"), 1);
	assert_int_equal(check("listen = 127.0.0.1:http\n"), 1);
	assert_int_equal(check("listen = [::1:9000\n"), 1);
	assert_int_equal(check("listen = unix:\n"), 1);
}

static void
test_unix_rules(void **state)
{
	char dir[] = "/tmp/otpcep-listen-XXXXXX", path[256], line[300];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/otpcep.sock", dir);
	snprintf(line, sizeof(line), "listen = unix:%s\n", path);
	assert_int_equal(check(line), 0);	/* nothing there yet */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a socket\n", f);
	fclose(f);
	assert_int_equal(check(line), 1);	/* never deleted */
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	rmdir(dir);
	/* Truncation means rejection: a path longer than sun_path. */
	memset(path, 'a', 200);
	path[0] = '/';
	path[200] = '\0';
	snprintf(line, sizeof(line), "listen = unix:%s\n", path);
	assert_int_equal(check(line), 1);
}

static struct sockaddr_storage
addr(const char *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &((struct sockaddr_in *)ss)->sin_addr) == 1)
		ss->ss_family = AF_INET;
	else if (inet_pton(AF_INET6, a, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1)
		ss->ss_family = AF_INET6;
	return *ss;
}

static void
test_allowed(void **state)
{
	struct sockaddr_storage allowed[2], peer;
	struct front_listener l;

	(void)state;
	memset(&l, 0, sizeof(l));
	/* A Unix socket lets its peers in (its mode decides who connects). */
	addr("192.0.2.99", &peer);
	assert_true(front_listen_allowed(&l, (struct sockaddr *)&peer, sizeof(peer)));
	l.tcp = true;
	addr("192.0.2.10", &allowed[0]);
	addr("2001:db8::10", &allowed[1]);
	l.allowed = allowed;
	l.n_allowed = 2;
	addr("192.0.2.10", &peer);
	assert_true(front_listen_allowed(&l, (struct sockaddr *)&peer, sizeof(peer)));
	addr("::ffff:192.0.2.10", &peer);	/* an IPv4 peer on an IPv6 socket */
	assert_true(front_listen_allowed(&l, (struct sockaddr *)&peer, sizeof(peer)));
	addr("2001:db8::10", &peer);
	assert_true(front_listen_allowed(&l, (struct sockaddr *)&peer, sizeof(peer)));
	addr("192.0.2.11", &peer);
	assert_false(front_listen_allowed(&l, (struct sockaddr *)&peer, sizeof(peer)));
	addr("127.0.0.1", &peer);
	assert_false(front_listen_allowed(&l, (struct sockaddr *)&peer, sizeof(peer)));
	addr("::ffff:192.0.2.11", &peer);
	assert_false(front_listen_allowed(&l, (struct sockaddr *)&peer, sizeof(peer)));
	addr("2001:db8::11", &peer);
	assert_false(front_listen_allowed(&l, (struct sockaddr *)&peer, sizeof(peer)));
	/* A truncated address is never allowed. */
	addr("192.0.2.10", &peer);
	assert_false(front_listen_allowed(&l, (struct sockaddr *)&peer, 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_rules),
		cmocka_unit_test(test_unix_rules),
		cmocka_unit_test(test_allowed),
	};

	log_init(LOG_TO_STDERR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
