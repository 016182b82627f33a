/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 2 of MS-OTPCE 3.2.5.1: the user must be listed in Active Directory.
 * The only module that uses libldap. struct dir is shared by all workers and
 * read-only after start-up but for its pool of ldap_connections connections
 * (each used by one lookup at a time, kept across requests, re-opened when
 * the server went away) and its memory of dead ldap_uri servers.
 * docs/protocol.md, "Step 2: the directory", has the rules.
 */
#ifndef OTPCEP_DIR_H
#define OTPCEP_DIR_H

#include <stdbool.h>
#include <stddef.h>

#include "otpcep.h"

struct config;
struct dir;

/* The directory's view of the requesting user. */
struct dir_user {
	char *dn;		/* distinguishedName */
	char *upn;		/* userPrincipalName, may be NULL */
	char *mail;		/* mail, may be NULL */
	char *account;		/* sAMAccountName */
	char *domain;		/* NetBIOS domain name, as configured */
	unsigned long user_account_control;
};

enum dir_result {
	DIR_FOUND = 0,
	DIR_UNKNOWN_DOMAIN,	/* AuthenticationError */
	DIR_BAD_NAME,		/* not DOMAIN\user nor user@suffix: AuthenticationError */
	DIR_NO_SUCH_USER,	/* AuthenticationError */
	DIR_AMBIGUOUS,		/* more than one entry: AuthenticationError */
	DIR_DISABLED,		/* userAccountControl ACCOUNTDISABLE: AuthenticationError */
	DIR_UNAVAILABLE,	/* cannot reach or error from server: OtherError */
	DIR_NOMEM,		/* OtherError */
	DIR_NOT_CONFIGURED,	/* no ldap_uri/domain in the configuration: OtherError */
};

/* Longest user part (before @, after \) accepted, in bytes; longer is DIR_BAD_NAME. */
#define DIR_USER_MAX 256
/* Longest NetBIOS domain name (MS-ADTS: 15 characters). */
#define DIR_NETBIOS_MAX 15

const char *dir_strerror(enum dir_result r);

/* Start-up: reads the bind password file; NULL (and a log line) on error. */
struct dir *dir_new(const struct config *cfg);
void dir_free(struct dir *d);

/*
 * Looks up username (as sent: DOMAIN\user or user@suffix) on a connection of
 * the pool, which it has alone meanwhile; waits for one while all are busy,
 * within the lookup's bound (ldap_timeout_ms per ldap_uri, plus one).
 * Returns DIR_FOUND and fills *out (free with dir_user_free), or another
 * result with *out zeroed and the reason written with audit_reason().
 * Thread-safe.
 */
enum dir_result dir_lookup(const struct dir *d, const char *username,
    struct dir_user *out, struct audit *a);

void dir_user_free(struct dir_user *u);

/* The parts below are exposed for the unit tests. */

/* A request's user name, mapped to a configured domain. */
struct dir_name {
	const char *netbios;	/* the configured spelling, not the request's */
	const char *base_dn;	/* where to search */
	char *account;		/* DOMAIN\user: the user part; NULL for a UPN */
	char *upn;		/* user@suffix: the whole name; NULL for DOMAIN\user */
};

/*
 * Splits and checks username and maps its domain or UPN suffix. Returns
 * DIR_FOUND and fills *out (free with dir_name_free), or DIR_BAD_NAME,
 * DIR_UNKNOWN_DOMAIN or DIR_NOMEM with the reason in audit a (may be NULL).
 */
enum dir_result dir_parse_name(const struct dir *d, const char *username,
    struct dir_name *out, struct audit *a);
void dir_name_free(struct dir_name *n);

/*
 * Whether a and b, two DNs the directory returned, name one entry: compared
 * ignoring case and width as AD compares names (utf8_caseless_eq(), RFC 4518
 * case folding and NFKC; docs/protocol.md, "Names compared"). False when
 * either is NULL or not UTF-8.
 */
bool dir_dn_same(const char *a, const char *b);

/*
 * RFC 4515 section 3: value_len bytes of value as an assertion value, with
 * NUL, '(', ')', '*', '\\', every other control byte and every byte >= 0x80
 * written as \hh. Returns a new string, NULL when out of memory.
 */
char *dir_filter_escape(const char *value, size_t value_len);

/*
 * The search filter: tmpl with every "%u" replaced by the escaped value.
 * Returns a new string, NULL when out of memory.
 */
char *dir_filter_build(const char *tmpl, const char *value, size_t value_len);

/*
 * A distinguished name as libldap parses it (RFC 4514): RDN by RDN in the
 * string's order, each AVA with its type as written ("CN" or "2.5.4.3") and
 * its value unescaped (value_len bytes, NUL-terminated, no NUL inside), or
 * for a #hexstring (BER) value the lower-case hex digits with hex set.
 */
struct dir_ava {
	char *type;
	char *value;
	size_t value_len;
	bool hex;
};

struct dir_rdn {
	struct dir_ava *ava;
	size_t n;
};

struct dir_dn {
	struct dir_rdn *rdn;
	size_t n;
};

/*
 * Parses s into *out (free with dir_dn_free). Returns DIR_FOUND, DIR_BAD_NAME
 * (not an RFC 4514 string, or a value with NUL) or DIR_NOMEM; *out is empty
 * on error. The empty string is the empty DN (no RDN).
 */
enum dir_result dir_dn_parse(const char *s, struct dir_dn *out);
void dir_dn_free(struct dir_dn *dn);

/*
 * Start-up: the certificate template named name (its cn or displayName)
 * looked up in the directory's configuration partition (src/dir_template.c).
 * DIR_FOUND with *oid (msPKI-Cert-Template-OID) and *cn, new strings; else
 * DIR_NOT_CONFIGURED, DIR_UNAVAILABLE, DIR_NO_SUCH_USER (no such template),
 * DIR_AMBIGUOUS or DIR_NOMEM, with what was searched in the log.
 */
enum dir_result dir_template_resolve(const struct dir *d, const char *name,
    char **oid, char **cn);

/*
 * otpcep --probe: connects and binds as ldap_bind_dn to the first ldap_uri
 * that answers, in order (skipping dead ones while another is alive), on a
 * connection of its own. DIR_FOUND (and *uri, the server that answered) when
 * the bind succeeded; DIR_UNAVAILABLE with the reason in a otherwise.
 */
enum dir_result dir_probe(const struct dir *d, const char **uri,
    struct audit *a);

/* How many ldap_uri are configured (the names: cfg->ldap_uri, same order). */
size_t dir_uri_count(const struct dir *d);

/*
 * otpcep --probe, one line per ldap_uri: connects to ldap_uri i alone and
 * binds as ldap_bind_dn (anonymous without one), within ldap_timeout_ms.
 * DIR_FOUND when that worked; DIR_UNAVAILABLE with the stage and the server's
 * reason in a otherwise. The pool's connections are left alone.
 */
enum dir_result dir_probe_uri(const struct dir *d, size_t i, struct audit *a);

#endif
