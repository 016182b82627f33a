/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Unit tests for the configuration parser (src/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "log.h"

#define MINIMAL "template = 1.3.6.1.4.1.311.21.8.1\n" \
	"ca = dc1.example.com\\Example Root CA\n"

static struct config *
parse(const char *text)
{
	return config_parse("/etc/otpcep/test.conf", text, strlen(text));
}

static void
test_minimal_and_defaults(void **state)
{
	struct config *cfg = parse(MINIMAL);

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(cfg->template, "1.3.6.1.4.1.311.21.8.1");
	assert_int_equal(cfg->ca.count, 1);
	assert_string_equal(cfg->ca.items[0], "dc1.example.com\\Example Root CA");
	assert_int_equal(cfg->workers, 4);
	assert_int_equal(cfg->listen_backlog, SOMAXCONN);
	assert_int_equal(cfg->fastcgi_timeout_ms, 30000);
	assert_true(cfg->require_https);
	assert_true(cfg->require_client_cert);
	assert_int_equal(cfg->max_request_bytes, 65536);
	assert_true(cfg->allow_sha1_csr);
	assert_int_equal(cfg->min_rsa_bits, 2048);
	assert_int_equal(cfg->radius_timeout_ms, 5000);
	assert_int_equal(cfg->radius_retries, 2);
	assert_true(cfg->radius_require_message_authenticator);
	assert_int_equal(cfg->radius_username, RADIUS_USERNAME_ACCOUNT);
	assert_int_equal(cfg->radius_dead_time_s, 30);
	assert_false(cfg->radius_status_server);
	assert_int_equal(cfg->ldap_connections, 8);
	assert_int_equal(cfg->ldap_dead_time_s, 30);
	assert_int_equal(cfg->signing_digest, DIGEST_SHA256);
	assert_string_equal(cfg->signing_eku, "1.3.6.1.4.1.311.81.1.1");
	assert_string_equal(cfg->ldap_filter,
	    "(&(objectCategory=person)(objectClass=user)(sAMAccountName=%u))");
	assert_int_equal(cfg->issuing_ca_count, 1);
	assert_true(cfg->log_syslog);
	config_free(cfg);
}

static void
test_full_file(void **state)
{
	struct config *cfg = parse(
	    "# a comment\n"
	    "   # an indented comment\n"
	    "\n"
	    "template = OTPLogon\n"
	    "ca = ca1.corp.example\\CA One\n"
	    "ca = ca2.corp.example\\CA Two\n"
	    "issuing_ca_count = 2\n"
	    "workers=16\n"
	    "listen_backlog = 1024\n"
	    "fastcgi_allowed_clients = 10.0.0.5 10.0.0.6\n"
	    "fastcgi_allowed_clients = 2001:db8::5\n"
	    "fastcgi_timeout_ms = 5000\n"
	    "log = stderr\n"
	    "require_https = no\n"
	    "require_client_cert = yes\n"
	    "max_request_bytes = 131072\r\n"
	    "ldap_uri = ldap://dc1.corp.example\n"
	    "ldap_uri = ldaps://dc2.corp.example\n"
	    "ldap_bind_dn = CN=svc,CN=Users,DC=corp,DC=example\n"
	    "ldap_password_file = secrets/ldap\n"
	    "domain = CORP DC=corp,DC=example\n"
	    "upn_suffix = corp.example CORP\n"
	    "radius_server = 10.0.0.1\n"
	    "radius_server = otp2.corp.example:1645\n"
	    "radius_server = [2001:db8::1]:1812\n"
	    "radius_secret_file = /etc/otpcep/radius.secret\n"
	    "radius_username = upn\n"
	    "radius_dead_time_s = 0\n"
	    "radius_status_server = yes\n"
	    "ldap_connections = 64\n"
	    "ldap_dead_time_s = 5\n"
	    "signing_cert = /etc/otpcep/sign.pem\n"
	    "signing_key = pkcs11:token=otp;object=sign\n"
	    "signing_digest = sha1\n");

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(cfg->template, "OTPLogon");
	assert_int_equal(cfg->ca.count, 2);
	assert_string_equal(cfg->ca.items[1], "ca2.corp.example\\CA Two");
	assert_int_equal(cfg->issuing_ca_count, 2);
	assert_int_equal(cfg->workers, 16);
	assert_int_equal(cfg->listen_backlog, 1024);
	assert_int_equal(cfg->fastcgi_allowed_clients.count, 2);
	assert_int_equal(cfg->fastcgi_timeout_ms, 5000);
	assert_false(cfg->log_syslog);
	assert_false(cfg->require_https);
	assert_true(cfg->require_client_cert);
	assert_int_equal(cfg->max_request_bytes, 131072);
	assert_int_equal(cfg->ldap_uri.count, 2);
	assert_string_equal(cfg->ldap_uri.items[1], "ldaps://dc2.corp.example");
	/* Relative paths are relative to the configuration file's folder. */
	assert_string_equal(cfg->ldap_password_file, "/etc/otpcep/secrets/ldap");
	assert_string_equal(cfg->domain.items[0], "CORP DC=corp,DC=example");
	assert_int_equal(cfg->radius_server.count, 3);
	assert_int_equal(cfg->radius_username, RADIUS_USERNAME_UPN);
	assert_int_equal(cfg->radius_dead_time_s, 0);
	assert_true(cfg->radius_status_server);
	assert_int_equal(cfg->ldap_connections, 64);
	assert_int_equal(cfg->ldap_dead_time_s, 5);
	/* A PKCS#11 URI is not a path. */
	assert_string_equal(cfg->signing_key, "pkcs11:token=otp;object=sign");
	assert_int_equal(cfg->signing_digest, DIGEST_SHA1);
	config_free(cfg);
}

/* Each of these files must be refused. */
static const char *const bad_files[] = {
	"",						/* template and ca missing */
	"template = x\n",				/* ca missing */
	"ca = h\\n\n",					/* template missing */
	MINIMAL "unknown_key = 1\n",
	MINIMAL "Template = x\n",			/* keys are lower case */
	MINIMAL "template = again\n",			/* not repeatable */
	MINIMAL "workers = 0\n",
	MINIMAL "workers = 4097\n",
	MINIMAL "listen_backlog = 0\n",
	MINIMAL "listen_backlog = 65536\n",
	MINIMAL "fastcgi_timeout_ms = 99\n",
	MINIMAL "workers = four\n",
	MINIMAL "workers = -1\n",
	MINIMAL "workers = 4x\n",
	MINIMAL "workers = 99999999999999999999\n",
	MINIMAL "require_https = maybe\n",
	MINIMAL "log = file\n",
	MINIMAL "radius_username = email\n",
	MINIMAL "ldap_connections = 0\n",
	MINIMAL "ldap_connections = 1025\n",
	MINIMAL "ldap_dead_time_s = 86401\n",
	MINIMAL "radius_dead_time_s = -1\n",
	MINIMAL "radius_status_server = maybe\n",
	MINIMAL "signing_digest = md5\n",
	MINIMAL "template\n",				/* no '=' */
	MINIMAL "workers =\n",				/* empty value */
	MINIMAL "= 4\n",				/* empty key */
	MINIMAL "ca = no-backslash\n",
	MINIMAL "ca = host\\\n",			/* empty CA name */
	MINIMAL "ca = \\CA\n",				/* empty host */
	MINIMAL "ca = a\\b\\c\n",			/* two backslashes */
	MINIMAL "ca = bad host\\CA\n",
	MINIMAL "issuing_ca_count = 2\n",		/* only one ca */
	MINIMAL "ldap_uri = ldap://x\n",		/* domain missing */
	MINIMAL "domain = CORP DC=corp\n",		/* ldap_uri missing */
	MINIMAL "ldap_uri = ldap://x\ndomain = CORP\n",	/* no base DN */
	MINIMAL "radius_server = 127.0.0.1\n",		/* secret missing */
	MINIMAL "radius_secret_file = /s\n",		/* server missing */
	MINIMAL "radius_server = h:0\nradius_secret_file = /s\n",
	MINIMAL "radius_server = h:65536\nradius_secret_file = /s\n",
	MINIMAL "radius_server = h:x\nradius_secret_file = /s\n",
	MINIMAL "signing_cert = /c\n",			/* key missing */
	MINIMAL "ldap_password_file = /p\n",		/* bind DN missing */
	MINIMAL "probe_user = DAProbeUser\n",		/* password file missing */
	MINIMAL "ldap_filter = (uid=x)\n",		/* no %u */
	MINIMAL "signing_eku = not.an.oid\n",
	MINIMAL "signing_eku = 1\n",
	MINIMAL "listen = somewhere\n",
	MINIMAL "max_request_bytes = 10\n",
	MINIMAL "user = no-such-user-otpcep\n",
	MINIMAL "user = root\ngroup = no-such-group-otpcep\n",
	MINIMAL "group = root\n",			/* group without user */
	MINIMAL "log_facility = kern\n",
	MINIMAL "metrics_listen = 9100\n",
	MINIMAL "metrics_listen = 127.0.0.1:0\n",
	MINIMAL "metrics_listen = 127.0.0.1:x\n",
	MINIMAL "health_window_s = 0\n",
};

static void
test_bad_files(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		struct config *cfg = parse(bad_files[i]);

		if (cfg != NULL)
			fail_msg("accepted bad file #%zu: %s", i, bad_files[i]);
	}
}

/* user and group are resolved when the file is read (issue 11). */
static void
test_service_user(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse(MINIMAL "user = root\n");
	assert_non_null(cfg);
	assert_string_equal(cfg->user, "root");
	assert_int_equal(cfg->uid, 0);
	assert_int_equal(cfg->gid, 0);
	config_free(cfg);
	cfg = parse(MINIMAL "user = nobody\ngroup = root\nlog_facility = local3\n"
	    "metrics_listen = 127.0.0.1:9464\nhealth_window_s = 30\n");
	assert_non_null(cfg);
	assert_int_equal(cfg->uid, 65534);
	assert_int_equal(cfg->gid, 0);
	assert_int_equal(cfg->log_facility, LOG_LOCAL3);
	assert_string_equal(cfg->metrics_listen, "127.0.0.1:9464");
	assert_int_equal(cfg->health_window_s, 30);
	config_free(cfg);
	cfg = parse(MINIMAL);
	assert_non_null(cfg);
	assert_null(cfg->user);
	assert_null(cfg->metrics_listen);
	assert_int_equal(cfg->log_facility, LOG_DAEMON);
	assert_int_equal(cfg->health_window_s, 120);
	config_free(cfg);
}

/* otpcep-enroll's keys (docs/configuration.md, "Renewing the signing certificate"). */
static void
test_enroll_keys(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse(MINIMAL);
	assert_non_null(cfg);
	assert_null(cfg->enroll_ca);
	assert_int_equal(cfg->enroll_epm_port, 135);
	assert_int_equal(cfg->enroll_retry_s, 3600);
	assert_int_equal(cfg->enroll_timeout_ms, 30000);
	config_free(cfg);
	cfg = parse(MINIMAL "enroll_ca = ca1.example.com\\Example CA\n"
	    "enroll_template = DAOTPRA\nenroll_keytab = /etc/krb5.keytab\n"
	    "enroll_principal = DA1$@EXAMPLE.COM\nenroll_epm_port = 10135\n"
	    "enroll_spn = host/ca1.example.com\nenroll_state_file = state\n");
	assert_non_null(cfg);
	assert_string_equal(cfg->enroll_ca, "ca1.example.com\\Example CA");
	assert_string_equal(cfg->enroll_template, "DAOTPRA");
	assert_int_equal(cfg->enroll_epm_port, 10135);
	/* A relative path is relative to the configuration's folder. */
	assert_string_equal(cfg->enroll_state_file, "/etc/otpcep/state");
	config_free(cfg);
	/* Not a configuration string; enroll_ca alone; a port out of range. */
	assert_null(parse(MINIMAL "enroll_ca = no-backslash\n"
	    "enroll_template = T\nenroll_keytab = k\nenroll_principal = p\n"));
	assert_null(parse(MINIMAL "enroll_ca = ca1.example.com\\CA\n"));
	assert_null(parse(MINIMAL "enroll_epm_port = 0\n"));
	assert_null(parse(MINIMAL "enroll_retry_s = 5\n"));
}

static void
test_nul_and_long_lines(void **state)
{
	static const char nul[] = "template = a\0b\nca = h\\c\n";
	char *big;
	struct config *cfg;

	(void)state;
	assert_null(config_parse("t.conf", nul, sizeof(nul) - 1));
	big = malloc(10000);
	assert_non_null(big);
	memset(big, 'a', 9999);
	memcpy(big, "template = ", 11);
	big[9999] = '\0';
	cfg = config_parse("t.conf", big, strlen(big));
	assert_null(cfg);
	free(big);
}

/* Every error is reported as file:line, all in one run. */
static void
test_reports_every_error_with_line(void **state)
{
	char path[] = "/tmp/otpcep-config-XXXXXX";
	char out[4096] = "";
	FILE *f;
	int fd, saved;
	size_t n;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	saved = dup(2);
	assert_int_equal(dup2(fd, 2), 2);
	assert_null(parse(MINIMAL "bogus = 1\nworkers = x\n"));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(path);
	assert_non_null(strstr(out, "/etc/otpcep/test.conf:3: unknown key 'bogus'"));
	assert_non_null(strstr(out, "/etc/otpcep/test.conf:4: workers: 'x' is not"));
	assert_non_null(strstr(out, "2 errors"));
}

static void
test_config_load_file(void **state)
{
	char path[] = "/tmp/otpcep-config-XXXXXX";
	struct config *cfg;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, MINIMAL, strlen(MINIMAL)), (ssize_t)strlen(MINIMAL));
	close(fd);
	cfg = config_load(path);
	assert_non_null(cfg);
	assert_string_equal(cfg->path, path);
	config_free(cfg);
	unlink(path);
	assert_null(config_load(path));		/* gone */
	assert_null(config_load("/"));		/* a directory */
}

static void
test_config_path(void **state)
{
	(void)state;
	unsetenv("OTPCEP_CONFIG");
	assert_string_equal(config_path(NULL), CONFIG_DEFAULT_PATH);
	setenv("OTPCEP_CONFIG", "/srv/o.conf", 1);
	assert_string_equal(config_path(NULL), "/srv/o.conf");
	assert_string_equal(config_path("/cli.conf"), "/cli.conf");
	unsetenv("OTPCEP_CONFIG");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_service_user),
		cmocka_unit_test(test_enroll_keys),
		cmocka_unit_test(test_nul_and_long_lines),
		cmocka_unit_test(test_reports_every_error_with_line),
		cmocka_unit_test(test_config_load_file),
		cmocka_unit_test(test_config_path),
	};

	log_init(LOG_TO_STDERR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
