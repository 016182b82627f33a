/*
 * Step 2 of MS-OTPCE 3.2.5.1: the user must be listed in Active Directory.
 * The only module that uses libldap. struct dir is shared and read-only after
 * start-up; each worker owns one struct dir_conn (one LDAP connection, kept
 * across requests, re-opened when the server went away).
 */
#ifndef OTPCEP_DIR_H
#define OTPCEP_DIR_H

#include <stddef.h>

#include "otpcep.h"

struct config;
struct dir;
struct dir_conn;

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
	DIR_NOT_BUILT,		/* not built yet: OtherError */
};

const char *dir_strerror(enum dir_result r);

/* Start-up: reads the bind password file; NULL (and a log line) on error. */
struct dir *dir_new(const struct config *cfg);
void dir_free(struct dir *d);

/* Per worker; connects lazily on first use. NULL only when out of memory. */
struct dir_conn *dir_conn_new(const struct dir *d);
void dir_conn_free(struct dir_conn *c);

/* Looks up username (as sent: DOMAIN\user or user@suffix). */
enum dir_result dir_lookup(struct dir_conn *c, const char *username,
    struct dir_user *out, struct audit *a);

void dir_user_free(struct dir_user *u);

#endif
