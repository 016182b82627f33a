/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Inside the directory module (src/dir.c, dir_name.c, dir_setup.c): what
 * struct dir holds once the configuration is read. Not for other modules;
 * they use include/dir.h.
 */
#ifndef OTPCEP_DIR_INTERNAL_H
#define OTPCEP_DIR_INTERNAL_H

#include <stdatomic.h>
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

struct dir_pool;

struct dir {
	bool configured;
	const char *path;	/* the configuration file, for messages */
	char **uris;
	size_t uri_count;
	/*
	 * Dead-server memory (issue 10): when ldap_uri i last failed, it is
	 * skipped until uri_dead_until[i] (clock_ms()) while another is
	 * alive. The one part of struct dir that changes after dir_new(),
	 * with atomics; 0 is alive.
	 */
	_Atomic long long *uri_dead_until;
	long long dead_time_ms;	/* ldap_dead_time_s */
	struct dir_pool *pool;	/* ldap_connections, shared by all workers */
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

/* dir.c: the pool of ldap_connections; NULL when out of memory. */
struct dir_pool *dir_pool_new(const struct dir *d, unsigned size);
void dir_pool_free(struct dir_pool *p);

/* The configured domain of a NetBIOS name (len bytes, any case), or NULL. */
const struct dir_domain *dir_domain_by_netbios(const struct dir *d,
    const char *name, size_t len);

struct audit;
struct dir_conn;
struct ldap;

/*
 * One connection of its own, outside the pool (the pool's connections,
 * --probe, dir_template.c's start-up lookups); connects lazily. NULL only
 * when out of memory.
 */
struct dir_conn *dir_conn_new(const struct dir *d);
void dir_conn_free(struct dir_conn *c);

/*
 * c's connection (opened, secured and bound first when it is not), for the
 * start-up lookups of dir_template.c; NULL, with why in a, when no server
 * answered by deadline (clock_ms()). The connection stays c's.
 */
struct ldap *dir_conn_ldap(struct dir_conn *c, long long deadline,
    struct audit *a);

#endif
