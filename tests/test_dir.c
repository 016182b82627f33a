/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Unit tests for the directory module (src/dir.c): RFC 4515 escaping, the
 * filter, user name parsing and domain mapping, start-up checks. The lookups
 * against a real slapd are in tests/integration/dir.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "dir.h"
#include "log.h"

#define BASE "DC=domain1,DC=corp,DC=company,DC=com"
#define BASE_CONF "template = 1.2.3.4\n" \
	"ca = dc1\\CA\n" \
	"ldap_uri = ldap://127.0.0.1:1/\n" \
	"ldap_timeout_ms = 500\n" \
	"domain = DOMAIN1 " BASE "\n" \
	"domain = DOMAIN2 OU=Other, " BASE "\n" \
	"upn_suffix = corp.example DOMAIN1\n" \
	"upn_suffix = bücher.example DOMAIN2\n"

struct fixture {
	struct config *cfg;
	struct dir *d;
};

static struct config *
parse(const char *text)
{
	return config_parse("test.conf", text, strlen(text));
}

/* A struct dir from text; NULL when dir_new refuses it. */
static struct dir *
dir_from(const char *text, struct config **cfg)
{
	struct dir *d;

	*cfg = parse(text);
	assert_non_null(*cfg);
	if ((d = dir_new(*cfg)) == NULL) {
		config_free(*cfg);
		*cfg = NULL;
	}
	return d;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->d = dir_from(BASE_CONF, &f->cfg);
	assert_non_null(f->d);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	dir_free(f->d);
	config_free(f->cfg);
	free(f);
	return 0;
}

static void
check_escape(const char *in, size_t len, const char *want)
{
	char *out = dir_filter_escape(in, len);

	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void
test_escape(void **state)
{
	(void)state;
	check_escape("user1", 5, "user1");
	check_escape("", 0, "");
	/* RFC 4515 section 3: the five that must be escaped (libldap writes
	 * upper-case hex). */
	check_escape("*", 1, "\\2A");
	check_escape("(", 1, "\\28");
	check_escape(")", 1, "\\29");
	check_escape("\\", 1, "\\5C");
	check_escape("a\0b", 3, "a\\00b");
	check_escape("a*b(c)d\\e", 9, "a\\2Ab\\28c\\29d\\5Ce");
	/* Non-ASCII bytes and controls, byte by byte. */
	check_escape("j\xc3\xbcrgen", 7, "j\\C3\\BCrgen");
	check_escape("\x01\x7f\xff", 3, "\\01\\7F\\FF");
	/* Already-escaped-looking input is escaped again, not trusted. */
	check_escape("\\2a", 3, "\\5C2a");
	/* Everything else stays as it is. */
	check_escape("a=b&|!~<>,.@ -_", 15, "a=b&|!~<>,.@ -_");
}

static void
test_filter_build(void **state)
{
	char *f;

	(void)state;
	f = dir_filter_build("(&(objectClass=user)(sAMAccountName=%u))", "user1", 5);
	assert_non_null(f);
	assert_string_equal(f, "(&(objectClass=user)(sAMAccountName=user1))");
	free(f);
	f = dir_filter_build("(&(objectClass=user)(sAMAccountName=%u))", "*", 1);
	assert_string_equal(f, "(&(objectClass=user)(sAMAccountName=\\2A))");
	free(f);
	f = dir_filter_build("(|(sAMAccountName=%u)(cn=%u))", "x)(y=*", 6);
	assert_string_equal(f, "(|(sAMAccountName=x\\29\\28y=\\2A)(cn=x\\29\\28y=\\2A))");
	free(f);
	/* Only %u is special. */
	f = dir_filter_build("(a=%s%%u%)", "v", 1);
	assert_string_equal(f, "(a=%s%v%)");
	free(f);
}

/* Parses name; checks the result and, when found, the mapped parts. */
static void
check_name(const struct dir *d, const char *name, enum dir_result want,
    const char *netbios, const char *account, const char *upn)
{
	struct dir_name n;
	struct audit a;
	enum dir_result r;

	memset(&a, 0, sizeof(a));
	r = dir_parse_name(d, name, &n, &a);
	if (r != want)
		fail_msg("'%s': got %s, want %s", name, dir_strerror(r),
		    dir_strerror(want));
	if (r == DIR_FOUND) {
		assert_string_equal(n.netbios, netbios);
		if (account)
			assert_string_equal(n.account, account);
		else
			assert_null(n.account);
		if (upn)
			assert_string_equal(n.upn, upn);
		else
			assert_null(n.upn);
		assert_string_equal(a.reason, "");
	} else {
		assert_null(n.account);
		assert_null(n.upn);
		assert_null(n.base_dn);
		/* Every refusal says why. */
		assert_true(strncmp(a.reason, "step 2: ", 8) == 0);
	}
	dir_name_free(&n);
}

static void
test_parse_domain_user(void **state)
{
	struct fixture *f = *state;
	struct dir_name n;

	check_name(f->d, "DOMAIN1\\user1", DIR_FOUND, "DOMAIN1", "user1", NULL);
	/* MS-OTPCE 4.1 sends "domain1\user1": NetBIOS names ignore case, and
	 * the configured spelling is what we keep. */
	check_name(f->d, "domain1\\user1", DIR_FOUND, "DOMAIN1", "user1", NULL);
	check_name(f->d, "DOMAIN2\\other1", DIR_FOUND, "DOMAIN2", "other1", NULL);
	/* Split at the first backslash; the rest is the account, escaped later. */
	check_name(f->d, "DOMAIN1\\a\\b", DIR_FOUND, "DOMAIN1", "a\\b", NULL);
	check_name(f->d, "DOMAIN1\\*", DIR_FOUND, "DOMAIN1", "*", NULL);
	check_name(f->d, "DOMAIN1\\j\xc3\xbcrgen", DIR_FOUND, "DOMAIN1",
	    "j\xc3\xbcrgen", NULL);
	assert_int_equal(dir_parse_name(f->d, "DOMAIN2\\x", &n, NULL), DIR_FOUND);
	assert_string_equal(n.base_dn, "OU=Other, " BASE);
	dir_name_free(&n);
}

static void
test_parse_upn(void **state)
{
	struct fixture *f = *state;

	/* The domain's own DNS name, from its DC= base (RFC 2247). */
	check_name(f->d, "user1@domain1.corp.company.com", DIR_FOUND, "DOMAIN1",
	    NULL, "user1@domain1.corp.company.com");
	check_name(f->d, "User1@DOMAIN1.Corp.Company.COM", DIR_FOUND, "DOMAIN1",
	    NULL, "User1@DOMAIN1.Corp.Company.COM");
	/* An upn_suffix. */
	check_name(f->d, "u2@corp.example", DIR_FOUND, "DOMAIN1", NULL,
	    "u2@corp.example");
	/* An internationalised suffix, in another case (Unicode case folding). */
	check_name(f->d, "jörg@BÜCHER.example", DIR_FOUND, "DOMAIN2", NULL,
	    "jörg@BÜCHER.example");
	/* The suffix is after the last '@'. */
	check_name(f->d, "a@b@corp.example", DIR_FOUND, "DOMAIN1", NULL,
	    "a@b@corp.example");
	/* A backslash makes it DOMAIN\user, whatever follows. */
	check_name(f->d, "DOMAIN1\\u@corp.example", DIR_FOUND, "DOMAIN1",
	    "u@corp.example", NULL);
}

static void
test_parse_unknown_domains(void **state)
{
	struct fixture *f = *state;

	check_name(f->d, "DOMAIN3\\user1", DIR_UNKNOWN_DOMAIN, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN\\user1", DIR_UNKNOWN_DOMAIN, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN1X\\user1", DIR_UNKNOWN_DOMAIN, NULL, NULL, NULL);
	check_name(f->d, "domain1.corp.company.com\\user1", DIR_UNKNOWN_DOMAIN,
	    NULL, NULL, NULL);
	check_name(f->d, "user1@example.com", DIR_UNKNOWN_DOMAIN, NULL, NULL, NULL);
	check_name(f->d, "user1@corp.company.com", DIR_UNKNOWN_DOMAIN, NULL, NULL,
	    NULL);
	check_name(f->d, "user1@example", DIR_UNKNOWN_DOMAIN, NULL, NULL, NULL);
	/* DOMAIN2's base is not all DC= parts: it has no implicit suffix. */
	check_name(f->d, "other1@other.domain1.corp.company.com",
	    DIR_UNKNOWN_DOMAIN, NULL, NULL, NULL);
}

static void
test_parse_bad_names(void **state)
{
	struct fixture *f = *state;
	char long_name[8 + DIR_USER_MAX + 2];
	struct audit a;
	struct dir_name n;

	check_name(f->d, "", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "user1", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "\\user1", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN1\\", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "@corp.example", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "user1@", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN1\\us\ter", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN1\\user\n", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN1\\user\x7f", DIR_BAD_NAME, NULL, NULL, NULL);
	/* Not UTF-8: a lone byte, truncated, overlong, surrogate, too big, C1. */
	check_name(f->d, "DOMAIN1\\\xff", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN1\\\xc3", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN1\\\xc0\xaf", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN1\\\xe0\x80\xaf", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN1\\\xed\xa0\x80", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN1\\\xf4\x90\x80\x80", DIR_BAD_NAME, NULL, NULL, NULL);
	check_name(f->d, "DOMAIN1\\\xc2\x85", DIR_BAD_NAME, NULL, NULL, NULL);
	/* Control bytes in the domain part are refused before the lookup. */
	check_name(f->d, "DOM\x1b[2JAIN1\\user1", DIR_BAD_NAME, NULL, NULL, NULL);

	/* DIR_USER_MAX bytes pass; one more is refused, never cut. */
	memcpy(long_name, "DOMAIN1\\", 8);
	memset(long_name + 8, 'a', DIR_USER_MAX);
	long_name[8 + DIR_USER_MAX] = '\0';
	check_name(f->d, long_name, DIR_FOUND, "DOMAIN1", long_name + 8, NULL);
	long_name[8 + DIR_USER_MAX] = 'a';
	long_name[8 + DIR_USER_MAX + 1] = '\0';
	check_name(f->d, long_name, DIR_BAD_NAME, NULL, NULL, NULL);

	/* The audit line names the unknown domain, escaped. */
	memset(&a, 0, sizeof(a));
	assert_int_equal(dir_parse_name(f->d, "D\"X\\u", &n, &a), DIR_UNKNOWN_DOMAIN);
	assert_string_equal(a.reason, "step 2: unknown domain 'D\\x22X'");
}

/* A bad name is refused before any network traffic; a good one then finds
 * no server (port 1) and is our error, not the user's. */
static void
test_lookup_order(void **state)
{
	struct fixture *f = *state;
	const struct dir *c = f->d;
	struct dir_user u;
	struct audit a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(dir_lookup(c, "nodomain", &u, &a), DIR_BAD_NAME);
	assert_null(u.dn);
	memset(&a, 0, sizeof(a));
	assert_int_equal(dir_lookup(c, "DOMAIN9\\user1", &u, &a), DIR_UNKNOWN_DOMAIN);
	memset(&a, 0, sizeof(a));
	assert_int_equal(dir_lookup(c, "DOMAIN1\\user1", &u, &a), DIR_UNAVAILABLE);
	assert_null(u.dn);
	assert_non_null(strstr(a.reason, "ldap://127.0.0.1:1/"));
	assert_non_null(strstr(a.reason, "connect"));
}

static void
expect_refused(const char *extra)
{
	char text[2048];
	struct config *cfg;

	snprintf(text, sizeof(text), "%s%s", BASE_CONF, extra);
	cfg = parse(text);
	if (cfg == NULL)
		fail_msg("config_parse refused: %s", extra);
	if (dir_new(cfg) != NULL)
		fail_msg("dir_new accepted: %s", extra);
	config_free(cfg);
}

static void
test_startup_checks(void **state)
{
	(void)state;
	expect_refused("upn_suffix = other.example DOMAIN9\n");
	expect_refused("upn_suffix = corp.example DOMAIN2\n");		/* twice */
	/* twice, in another case: compared as lookups compare it (Unicode) */
	expect_refused("upn_suffix = BÜCHER.example DOMAIN1\n");
	expect_refused("upn_suffix = a@b DOMAIN1\n");
	expect_refused("domain = DOMAIN3 not a dn\n");
	expect_refused("domain = domain1 DC=other\n");			/* twice */
	expect_refused("domain = SIXTEENCHARSLONG DC=x\n");
	expect_refused("domain = DOM*AIN DC=x\n");
	expect_refused("ldap_filter = (a=%u)(b=c)\n");
	expect_refused("ldap_filter = sAMAccountName=%u\n");
	expect_refused("ldap_filter = ((a=%u)\n");
	expect_refused("ldap_filter = (a=%u\\zz)\n");
	expect_refused("ldap_uri = http://127.0.0.1/\n");
	expect_refused("ldap_uri = ldap://a/ ldap://b/\n");
	expect_refused("ldap_bind_dn = CN=x\nldap_password_file = /nonexistent/pw\n");
}

static void
test_not_configured(void **state)
{
	struct config *cfg = parse("template = 1.2.3.4\nca = dc1\\CA\n");
	struct dir *d;
	struct dir_user u;
	struct audit a;

	(void)state;
	assert_non_null(cfg);
	d = dir_new(cfg);
	assert_non_null(d);
	memset(&a, 0, sizeof(a));
	assert_int_equal(dir_lookup(d, "DOMAIN1\\user1", &u, &a), DIR_NOT_CONFIGURED);
	assert_string_equal(a.reason, "step 2: directory not configured");
	dir_free(d);
	config_free(cfg);
}

static void
test_strerror(void **state)
{
	int r, s;

	(void)state;
	for (r = DIR_FOUND; r <= DIR_NOT_CONFIGURED; r++) {
		assert_non_null(dir_strerror(r));
		for (s = DIR_FOUND; s < r; s++)
			assert_string_not_equal(dir_strerror(r), dir_strerror(s));
	}
}

/*
 * The two DNs a UPN lookup gets back (the UPN's entry, then ldap_filter's)
 * are one entry when they differ only in case, ASCII or not; a different
 * letter, a missing RDN or bytes that are not UTF-8 are another entry.
 */
static void
test_dn_same(void **state)
{
	(void)state;
	assert_true(dir_dn_same("CN=User 1,CN=Users,DC=corp",
	    "cn=USER 1,cn=users,dc=CORP"));
	assert_true(dir_dn_same("CN=Jörg Ünal,CN=Users,DC=bücher,DC=example",
	    "CN=JÖRG ÜNAL,CN=Users,DC=BÜCHER,DC=example"));
	assert_true(dir_dn_same("CN=Σίσυφος,DC=example", "CN=ΣΊΣΥΦΟΣ,DC=example"));
	assert_false(dir_dn_same("CN=Jörg,DC=example", "CN=Jorg,DC=example"));
	assert_false(dir_dn_same("CN=User 1,CN=Users,DC=corp",
	    "CN=User 1,DC=corp"));
	assert_false(dir_dn_same("CN=User 1,DC=corp", "CN=User 2,DC=corp"));
	assert_false(dir_dn_same("CN=J\xf6rg,DC=example", "CN=J\xf6rg,DC=example"));
	assert_false(dir_dn_same(NULL, "CN=a"));
	assert_false(dir_dn_same("CN=a", NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_filter_build),
		cmocka_unit_test_setup_teardown(test_parse_domain_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_upn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_unknown_domains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_order, setup, teardown),
		cmocka_unit_test(test_startup_checks),
		cmocka_unit_test(test_not_configured),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_dn_same),
	};

	log_init(LOG_TO_STDERR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
