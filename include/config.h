/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Configuration: one flat file of `key = value` lines, read once at start-up.
 * docs/configuration.md documents every key. After config_load() succeeds the
 * structure is read-only and shared by every worker.
 */
#ifndef OTPCEP_CONFIG_H
#define OTPCEP_CONFIG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONFIG_DEFAULT_PATH "/etc/otpcep/otpcep.conf"

/* A repeatable key's values, in file order (rank order where it matters). */
struct config_list {
	char **items;
	unsigned *lines;		/* the line of each item, for messages */
	size_t count;
};

enum radius_username_form {
	RADIUS_USERNAME_ACCOUNT,	/* the directory's sAMAccountName (default) */
	RADIUS_USERNAME_DOMAIN_USER,	/* NETBIOS\sAMAccountName, NETBIOS as configured */
	RADIUS_USERNAME_AS_SENT,	/* the name as the client sent it */
	RADIUS_USERNAME_UPN,		/* the directory's userPrincipalName */
};

enum signing_digest { DIGEST_SHA1, DIGEST_SHA256, DIGEST_SHA384, DIGEST_SHA512 };

struct config {
	char *path;			/* the file this came from */
	unsigned *key_lines;		/* first line of each key (config_line()) */

	/* Responder and HTTP envelope (MS-OTPCE 2.1, 2.2) */
	unsigned workers;
	unsigned worker_threads;	/* 0: min(workers, FRONT_THREADS_DEFAULT) */
	char *listen;			/* NULL: socket from the web server/systemd */
	unsigned listen_backlog;	/* listen(2) backlog of our own socket */
	struct config_list fastcgi_allowed_clients;	/* TCP peers allowed */
	unsigned fastcgi_timeout_ms;	/* each read/write on a FastCGI peer */
	bool log_syslog;
	int log_facility;		/* syslog(3) facility, LOG_DAEMON by default */
	bool log_verbose;
	bool require_https;
	bool require_client_cert;
	size_t max_request_bytes;

	/* The service user and group (issue 11): resolved when the file is read. */
	char *user;			/* NULL: no privilege drop */
	char *group;			/* NULL: the user's primary group */
	uid_t uid;			/* valid when user != NULL */
	gid_t gid;			/* valid when user != NULL */

	/* Operations (issue 12): metrics and health over HTTP, off by default. */
	char *metrics_listen;		/* HOST:PORT, NULL: off */
	unsigned health_window_s;

	/* Step 1: the certificate request */
	char *template;			/* OID or template name */
	bool allow_sha1_csr;
	unsigned min_rsa_bits;

	/* Step 2: the directory */
	struct config_list ldap_uri;
	char *ldap_bind_dn;
	char *ldap_password_file;
	bool ldap_starttls;
	char *ldap_ca_file;
	unsigned ldap_timeout_ms;
	char *ldap_filter;
	unsigned ldap_connections;	/* the pool shared by all workers */
	unsigned ldap_dead_time_s;	/* an ldap_uri that failed is skipped this long */
	struct config_list domain;	/* "NETBIOSNAME base-dn" */
	struct config_list upn_suffix;	/* "suffix NETBIOSNAME" */

	/* Step 3: RADIUS */
	struct config_list radius_server;	/* host[:port] */
	char *radius_secret_file;
	char *radius_nas_identifier;
	char *radius_nas_ip;
	enum radius_username_form radius_username;
	unsigned radius_timeout_ms;
	unsigned radius_retries;
	bool radius_require_message_authenticator;	/* per-server default */
	unsigned radius_dead_time_s;	/* a silent server is skipped this long */
	bool radius_status_server;	/* revive dead servers by RFC 5997 only */

	/* Step 4: signing */
	char *signing_cert;
	char *signing_key;		/* file path or pkcs11: URI */
	char *signing_key_password_file;
	char *signing_chain;
	enum signing_digest signing_digest;
	char *signing_eku;
	char *signing_client_machine;	/* NULL: gethostname() */
	char *signing_client_account;
	char *signing_client_process;
	unsigned signing_warn_hours;

	/* Step 5: CAs */
	struct config_list ca;		/* "host\CA name", rank order */
	unsigned issuing_ca_count;

	/* Operator's self-test (otpcep --probe) */
	char *probe_user;
	char *probe_password_file;

	/* Renewing the signing certificate from AD CS (otpcep-enroll, docs/adcs.md) */
	char *enroll_ca;		/* "host\CA name" (MS-WCCE configuration string) */
	char *enroll_template;		/* certificate template name, e.g. DAOTPRA */
	char *enroll_keytab;		/* the computer account's keytab */
	char *enroll_principal;		/* e.g. DA1$@DOMAIN1.CORP.COMPANY.COM */
	char *enroll_spn;		/* NULL: host/<host of enroll_ca> */
	char *enroll_ca_address;	/* NULL: resolve the host of enroll_ca */
	unsigned enroll_epm_port;	/* the endpoint mapper's port, 135 */
	char *enroll_state_file;	/* renewal state, read by otpcep --probe */
	unsigned enroll_retry_s;	/* wait after a failed or pending attempt */
	unsigned enroll_timeout_ms;	/* per network step of one CA exchange */
};

/*
 * Reads and validates the file at path. On any error, every problem found is
 * logged as "file:line: what is wrong" and NULL is returned.
 */
struct config *config_load(const char *path);

/* Same, from a buffer (for tests); name is used in messages. */
struct config *config_parse(const char *name, const char *text, size_t text_len);

void config_free(struct config *cfg);

/* The line where key was first set in cfg's file; 0 when it was not set. */
unsigned config_line(const struct config *cfg, const char *key);

/*
 * Logs one configuration problem at error level as "file:line: message", or
 * "file: message" when line is 0: the parser and the file checks report
 * every problem this way (OpenSMTPD style).
 */
void config_vreport(const char *file, unsigned line, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

/*
 * The file-stage checks (src/config_files.c): every file the configuration
 * names exists, is readable and a regular file; secrets and the signing key
 * are owned by root or the service user and mode at most 0640 (issue 11);
 * the configuration file is not writable by group or others. With resolve,
 * also that every host name resolves (--check-config). Each problem is
 * logged as "file:line: what: reason"; returns how many were found.
 */
unsigned config_check_files(const struct config *cfg, bool resolve);

/*
 * The configuration path for this run: the -c argument when given, else
 * $OTPCEP_CONFIG, else CONFIG_DEFAULT_PATH.
 */
const char *config_path(const char *cli_path);

#endif
