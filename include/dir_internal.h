/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Inside the directory module (src/dir.c, dir_name.c, dir_setup.c): what
 * struct dir holds once the configuration is read. Not for other modules;
 * they use include/dir.h.
 */
#ifndef OTPCEP_DIR_INTERNAL_H
#define OTPCEP_DIR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "secret.h"

/* MS-ADTS 2.2.16, userAccountControl: ADS_UF_ACCOUNTDISABLE. */
#define DIR_UAC_ACCOUNTDISABLE 0x2UL
/* Longest UPN suffix (a DNS name, RFC 1035 2.3.4). */
#define DIR_SUFFIX_MAX 255

struct dir_domain {
	char *netbios;
	char *base_dn;
	char *dns;		/* base_dn's DC= parts joined by dots, or NULL */
};

struct dir_suffix {
	char *suffix;
	const struct dir_domain *domain;
};

struct dir {
	bool configured;
	const char *path;	/* the configuration file, for messages */
	char **uris;
	size_t uri_count;
	char *bind_dn;		/* NULL: no bind (anonymous) */
	struct secret password;
	bool starttls;
	char *ca_file;
	unsigned timeout_ms;
	char *filter;
	struct dir_domain *domains;
	size_t domain_count;
	struct dir_suffix *suffixes;
	size_t suffix_count;
};

/* The configured domain of a NetBIOS name (len bytes, any case), or NULL. */
const struct dir_domain *dir_domain_by_netbios(const struct dir *d,
    const char *name, size_t len);

struct audit;
struct dir_conn;
struct ldap;

/*
 * c's connection (opened, secured and bound first when it is not), for the
 * start-up lookups of dir_template.c; NULL, with why in a, when no server
 * answered by deadline (clock_ms()). The connection stays c's.
 */
struct ldap *dir_conn_ldap(struct dir_conn *c, long long deadline,
    struct audit *a);

#endif
