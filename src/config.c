/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The configuration file: `key = value` lines, `#` comments, read once at
 * start-up. Every error is reported as file:line, and parsing goes on so that
 * one run shows all of them. docs/configuration.md is the reference.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "ca.h"
#include "config.h"
#include "log.h"
#include "msext.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_LINE 4096

enum key_type { K_STRING, K_PATH, K_BOOL, K_UINT, K_LIST, K_ENUM };

struct key_enum {
	const char *name;
	int value;
};

struct key_def {
	const char *name;
	enum key_type type;
	size_t offset;
	unsigned min, max;		/* K_UINT */
	const struct key_enum *values;	/* K_ENUM */
};

static const struct key_enum radius_username_values[] = {
	{ "account", RADIUS_USERNAME_ACCOUNT },
	{ "user", RADIUS_USERNAME_ACCOUNT },	/* the old name of "account" */
	{ "domain-user", RADIUS_USERNAME_DOMAIN_USER },
	{ "as-sent", RADIUS_USERNAME_AS_SENT },
	{ "upn", RADIUS_USERNAME_UPN },
	{ NULL, 0 },
};

static const struct key_enum digest_values[] = {
	{ "sha1", DIGEST_SHA1 },
	{ "sha256", DIGEST_SHA256 },
	{ "sha384", DIGEST_SHA384 },
	{ "sha512", DIGEST_SHA512 },
	{ NULL, 0 },
};

/* syslog(3) facilities an operator may route on (rsyslog, journald). */
static const struct key_enum facility_values[] = {
	{ "daemon", LOG_DAEMON },
	{ "auth", LOG_AUTH },
	{ "authpriv", LOG_AUTHPRIV },
	{ "user", LOG_USER },
	{ "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
	{ NULL, 0 },
};

static const struct key_enum log_values[] = {
	{ "stderr", 0 },
	{ "syslog", 1 },
	{ NULL, 0 },
};

#define OFF(f) offsetof(struct config, f)
#define STR(k) { #k, K_STRING, OFF(k), 0, 0, NULL }
#define PATH(k) { #k, K_PATH, OFF(k), 0, 0, NULL }
#define BOOL(k) { #k, K_BOOL, OFF(k), 0, 0, NULL }
#define UINT(k, lo, hi) { #k, K_UINT, OFF(k), lo, hi, NULL }
#define LIST(k) { #k, K_LIST, OFF(k), 0, 0, NULL }
#define ENUM(k, v) { #k, K_ENUM, OFF(k), 0, 0, v }

static const struct key_def keys[] = {
	UINT(workers, 1, 4096),
	UINT(worker_threads, 1, 4096),
	STR(listen),
	UINT(listen_backlog, 1, 65535),
	LIST(fastcgi_allowed_clients),
	UINT(fastcgi_timeout_ms, 100, 600000),
	{ "log", K_ENUM, OFF(log_syslog), 0, 0, log_values },
	ENUM(log_facility, facility_values),
	BOOL(log_verbose),
	BOOL(require_https),
	BOOL(require_client_cert),
	{ "max_request_bytes", K_UINT, OFF(max_request_bytes), 1024,
	    16 * 1024 * 1024, NULL },
	STR(user),
	STR(group),
	STR(metrics_listen),
	UINT(health_window_s, 1, 86400),

	STR(template),
	BOOL(allow_sha1_csr),
	UINT(min_rsa_bits, 1024, 16384),

	LIST(ldap_uri),
	STR(ldap_bind_dn),
	PATH(ldap_password_file),
	BOOL(ldap_starttls),
	PATH(ldap_ca_file),
	UINT(ldap_timeout_ms, 100, 60000),
	STR(ldap_filter),
	UINT(ldap_connections, 1, 1024),
	UINT(ldap_dead_time_s, 0, 86400),
	LIST(domain),
	LIST(upn_suffix),

	LIST(radius_server),
	PATH(radius_secret_file),
	STR(radius_nas_identifier),
	STR(radius_nas_ip),
	ENUM(radius_username, radius_username_values),
	UINT(radius_timeout_ms, 100, 60000),
	UINT(radius_retries, 0, 10),
	BOOL(radius_require_message_authenticator),
	UINT(radius_dead_time_s, 0, 86400),
	BOOL(radius_status_server),

	PATH(signing_cert),
	PATH(signing_key),
	PATH(signing_key_password_file),
	PATH(signing_chain),
	ENUM(signing_digest, digest_values),
	STR(signing_eku),
	STR(signing_client_machine),
	STR(signing_client_account),
	STR(signing_client_process),
	UINT(signing_warn_hours, 0, 24 * 365),

	LIST(ca),
	UINT(issuing_ca_count, 1, 64),

	STR(probe_user),
	PATH(probe_password_file),

	STR(enroll_ca),
	STR(enroll_template),
	PATH(enroll_keytab),
	STR(enroll_principal),
	STR(enroll_spn),
	STR(enroll_ca_address),
	UINT(enroll_epm_port, 1, 65535),
	PATH(enroll_state_file),
	UINT(enroll_retry_s, 10, 86400),
	UINT(enroll_timeout_ms, 100, 300000),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct parse_state {
	const char *name;	/* file name for messages */
	char *dir;		/* its directory, for relative paths */
	unsigned errors;
	unsigned first_line[NKEYS];
};

static void
config_error(struct parse_state *st, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void
config_vreport(const char *file, unsigned line, const char *fmt, va_list ap)
{
	char msg[768];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line)
		log_err("%s:%u: %s", file, line, msg);
	else
		log_err("%s: %s", file, msg);
}

static void
config_error(struct parse_state *st, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_vreport(st->name, line, fmt, ap);
	va_end(ap);
	st->errors++;
}

static void
config_defaults(struct config *cfg)
{
	cfg->workers = 4;
	cfg->listen_backlog = SOMAXCONN;
	cfg->fastcgi_timeout_ms = 30000;
	cfg->log_syslog = true;
	cfg->log_facility = LOG_DAEMON;
	cfg->health_window_s = 120;
	cfg->require_https = true;
	cfg->require_client_cert = true;	/* MS-OTPCE 1.3: DirectAccess clients present their computer certificate */
	cfg->max_request_bytes = 64 * 1024;
	cfg->allow_sha1_csr = true;
	cfg->min_rsa_bits = 2048;
	cfg->ldap_timeout_ms = 5000;
	cfg->ldap_connections = 8;
	cfg->ldap_dead_time_s = 30;
	/* Issue 15: OTP servers key users by account name, as the directory spells it. */
	cfg->radius_username = RADIUS_USERNAME_ACCOUNT;
	cfg->radius_dead_time_s = 30;
	cfg->radius_timeout_ms = 5000;
	cfg->radius_retries = 2;
	cfg->radius_require_message_authenticator = true;
	cfg->signing_digest = DIGEST_SHA256;
	cfg->signing_warn_hours = 24;
	cfg->issuing_ca_count = 1;
	cfg->enroll_epm_port = 135;	/* MS-RPCE 2.1.1.1: the endpoint mapper */
	cfg->enroll_retry_s = 3600;
	cfg->enroll_timeout_ms = 30000;
}

/* Fills in string defaults that need allocation. Returns -1 when out of memory. */
static int
config_default_strings(struct config *cfg)
{
	static const struct {
		size_t offset;
		const char *value;
	} defs[] = {
		/*
		 * MS-OTPCE 3.2.5.1 step 2: the account in AD; RFC 4515 escaping
		 * of %u. objectClass=user is true of computer accounts too (the
		 * computer class derives from user); objectCategory=person is
		 * not (issue 15; AD reads "person" as its class's category DN).
		 */
		{ OFF(ldap_filter), "(&(objectCategory=person)(objectClass=user)"
		    "(sAMAccountName=%u))" },
		{ OFF(radius_nas_identifier), "otpcep" },
		/* OTP signing application policy, interop-notes section 3. */
		{ OFF(signing_eku), OID_MS_OTP_SIGNING },
		{ OFF(signing_client_process), "otpcep" },
	};
	size_t i;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		char **field = (char **)((char *)cfg + defs[i].offset);

		if (*field == NULL && (*field = strdup(defs[i].value)) == NULL)
			return -1;
	}
	return 0;
}

static const struct key_def *
key_find(const char *name, size_t *index)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0) {
			*index = i;
			return &keys[i];
		}
	return NULL;
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
parse_uint(const char *v, unsigned min, unsigned max, unsigned long *out)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static char *
resolve_path(const struct parse_state *st, const char *v)
{
	char *p;

	/* A PKCS#11 URI names a key in a token, not a file (RFC 7512). */
	if (v[0] == '/' || strncmp(v, "pkcs11:", 7) == 0 || st->dir == NULL)
		return strdup(v);
	if (asprintf(&p, "%s/%s", st->dir, v) < 0)
		return NULL;
	return p;
}

static int
list_append(struct config_list *l, const char *v, unsigned line)
{
	char **items;
	unsigned *lines;

	items = realloc(l->items, (l->count + 1) * sizeof(*items));
	if (items == NULL)
		return -1;
	l->items = items;
	lines = realloc(l->lines, (l->count + 1) * sizeof(*lines));
	if (lines == NULL)
		return -1;
	l->lines = lines;
	if ((l->items[l->count] = strdup(v)) == NULL)
		return -1;
	l->lines[l->count] = line;
	l->count++;
	return 0;
}

/* Stores value v for key k. Returns 0, 1 for a bad value, -1 when out of memory. */
static int
key_store(struct config *cfg, const struct parse_state *st,
    const struct key_def *k, const char *v, unsigned line)
{
	void *field = (char *)cfg + k->offset;
	unsigned long n;
	size_t i;

	switch (k->type) {
	case K_STRING:
		return (*(char **)field = strdup(v)) == NULL ? -1 : 0;
	case K_PATH:
		return (*(char **)field = resolve_path(st, v)) == NULL ? -1 : 0;
	case K_BOOL:
		return parse_bool(v, field) == 0 ? 0 : 1;
	case K_UINT:
		if (parse_uint(v, k->min, k->max, &n) != 0)
			return 1;
		if (k->offset == OFF(max_request_bytes))
			*(size_t *)field = n;
		else
			*(unsigned *)field = (unsigned)n;
		return 0;
	case K_LIST:
		return list_append(field, v, line);
	case K_ENUM:
		for (i = 0; k->values[i].name != NULL; i++)
			if (strcmp(k->values[i].name, v) == 0) {
				if (k->offset == OFF(log_syslog))
					*(bool *)field = k->values[i].value;
				else
					*(int *)field = k->values[i].value;
				return 0;
			}
		return 1;
	}
	return 1;
}

static void
describe_bad_value(struct parse_state *st, unsigned line,
    const struct key_def *k, const char *v)
{
	char esc[96];
	char choices[128] = "";
	size_t i;

	log_escape(esc, sizeof(esc), v, strlen(v));
	switch (k->type) {
	case K_BOOL:
		config_error(st, line, "%s: '%s' is not yes or no", k->name, esc);
		break;
	case K_UINT:
		config_error(st, line, "%s: '%s' is not a whole number from %u to %u",
		    k->name, esc, k->min, k->max);
		break;
	case K_ENUM:
		for (i = 0; k->values[i].name != NULL; i++) {
			strncat(choices, i ? ", " : "", sizeof(choices) - strlen(choices) - 1);
			strncat(choices, k->values[i].name,
			    sizeof(choices) - strlen(choices) - 1);
		}
		config_error(st, line, "%s: '%s' is not one of %s", k->name, esc,
		    choices);
		break;
	default:
		config_error(st, line, "%s: bad value '%s'", k->name, esc);
	}
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool
key_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		    *s == '_'))
			return false;
	return true;
}

/* Parses one line. Returns -1 only when out of memory. */
static int
config_parse_line(struct config *cfg, struct parse_state *st, unsigned line,
    char *text)
{
	const struct key_def *k;
	char *key, *value, *eq;
	char esc[96];
	size_t index;
	int r;

	key = trim(text);
	if (*key == '\0' || *key == '#')
		return 0;
	if ((eq = strchr(key, '=')) == NULL) {
		config_error(st, line, "expected 'key = value'");
		return 0;
	}
	*eq = '\0';
	key = trim(key);
	value = trim(eq + 1);
	log_escape(esc, sizeof(esc), key, strlen(key));
	if (!key_name_ok(key) || (k = key_find(key, &index)) == NULL) {
		config_error(st, line, "unknown key '%s'", esc);
		return 0;
	}
	if (*value == '\0') {
		config_error(st, line, "%s: empty value", k->name);
		return 0;
	}
	if (k->type != K_LIST && st->first_line[index] != 0) {
		config_error(st, line, "%s: given twice (first on line %u)",
		    k->name, st->first_line[index]);
		return 0;
	}
	if (st->first_line[index] == 0)
		st->first_line[index] = line;
	if ((r = key_store(cfg, st, k, value, line)) < 0)
		return -1;
	if (r > 0)
		describe_bad_value(st, line, k, value);
	return 0;
}

static unsigned
line_of(const struct parse_state *st, const char *name)
{
	size_t index;

	return key_find(name, &index) ? st->first_line[index] : 0;
}

static bool
is_set(const struct parse_state *st, const char *name)
{
	return line_of(st, name) != 0;
}

/* Whether s is a dotted OID with at least two arcs (X.660). */
static bool
oid_valid(const char *s)
{
	unsigned arcs = 0;

	while (*s) {
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
		arcs++;
		if (*s == '.' && isdigit((unsigned char)s[1]))
			s++;
		else if (*s != '\0')
			return false;
	}
	return arcs >= 2;
}

/*
 * The keys of one step are all set or none: none means that step is not
 * configured and fails closed; some means a mistake.
 */
static void
check_group(struct parse_state *st, const char *step, const char *const *req,
    size_t n)
{
	size_t i, set = 0;

	for (i = 0; i < n; i++)
		set += is_set(st, req[i]);
	if (set == 0 || set == n)
		return;
	for (i = 0; i < n; i++)
		if (!is_set(st, req[i]))
			config_error(st, 0, "%s: '%s' is required when %s is configured",
			    step, req[i], step);
}

static void
check_list_pairs(struct parse_state *st, const struct config_list *l,
    const char *key, const char *what)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		const char *sp = strpbrk(l->items[i], " \t");

		if (sp == NULL || sp[strspn(sp, " \t")] == '\0')
			config_error(st, line_of(st, key), "%s: '%s' is not '%s'",
			    key, l->items[i], what);
	}
}

/*
 * radius_server = host[:port] [timeout_ms=N] [retries=N]
 * [message_authenticator=require|optional]: the options set that server's
 * own wait and retransmissions (Windows keeps a timeout per RADIUS server
 * too) and whether its replies must be signed (issue 15: one old server
 * while the others stay strict); without them the radius_timeout_ms,
 * radius_retries and radius_require_message_authenticator keys apply.
 */
static void
check_radius_servers(struct parse_state *st, const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->radius_server.count; i++) {
		const char *s = cfg->radius_server.items[i];
		size_t host_len = strcspn(s, " \t");
		char host[300];
		const char *opt, *colon;
		unsigned long port, v;

		if (host_len >= sizeof(host)) {
			config_error(st, line_of(st, "radius_server"),
			    "radius_server: '%s' is too long", s);
			continue;
		}
		memcpy(host, s, host_len);
		host[host_len] = '\0';
		colon = strrchr(host, ':');
		if (host[0] == '[')
			colon = strstr(host, "]:") ? strstr(host, "]:") + 1 : NULL;
		else if (colon && strchr(host, ':') != colon)
			colon = NULL;	/* a bare IPv6 address */
		if (colon && parse_uint(colon + 1, 1, 65535, &port) != 0)
			config_error(st, line_of(st, "radius_server"),
			    "radius_server: bad port in '%s'", s);
		for (opt = s + host_len; *(opt += strspn(opt, " \t")) != '\0';
		    opt += strcspn(opt, " \t")) {
			char word[64];
			size_t n = strcspn(opt, " \t");

			snprintf(word, sizeof(word), "%.*s", (int)n, opt);
			if (strncmp(word, "timeout_ms=", 11) == 0 &&
			    parse_uint(word + 11, 100, 60000, &v) == 0)
				continue;
			if (strncmp(word, "retries=", 8) == 0 &&
			    parse_uint(word + 8, 0, 10, &v) == 0)
				continue;
			if (strcmp(word, "message_authenticator=require") == 0 ||
			    strcmp(word, "message_authenticator=optional") == 0)
				continue;
			config_error(st, line_of(st, "radius_server"),
			    "radius_server: '%s' is not timeout_ms=100..60000, "
			    "retries=0..10 or message_authenticator=require|optional",
			    word);
		}
	}
}

/*
 * user and group (issue 11): the account every process runs as after
 * start-up. Resolved here, so that a name that does not exist is a
 * file:line error of --check-config, not a surprise at the privilege drop.
 * Without group, the user's primary group (as nginx and ocserv do).
 */
static void
check_service_ids(struct parse_state *st, struct config *cfg)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char buf[4096];
	int e;

	if (cfg->group != NULL && cfg->user == NULL)
		config_error(st, line_of(st, "group"),
		    "group: goes with 'user' (the service user)");
	if (cfg->user == NULL)
		return;
	e = getpwnam_r(cfg->user, &pw, buf, sizeof(buf), &pwp);
	if (pwp == NULL) {
		config_error(st, line_of(st, "user"), "user: '%s': %s", cfg->user,
		    e ? strerror(e) : "no such user");
		return;
	}
	cfg->uid = pw.pw_uid;
	cfg->gid = pw.pw_gid;
	if (cfg->group == NULL)
		return;
	e = getgrnam_r(cfg->group, &gr, buf, sizeof(buf), &grp);
	if (grp == NULL) {
		config_error(st, line_of(st, "group"), "group: '%s': %s",
		    cfg->group, e ? strerror(e) : "no such group");
		return;
	}
	cfg->gid = gr.gr_gid;
}

/* metrics_listen = HOST:PORT, [v6addr]:PORT (issue 12). */
static void
check_metrics_listen(struct parse_state *st, const struct config *cfg)
{
	const char *colon;
	unsigned long port;

	if (cfg->metrics_listen == NULL)
		return;
	colon = strrchr(cfg->metrics_listen, ':');
	if (colon == NULL || colon == cfg->metrics_listen ||
	    parse_uint(colon + 1, 1, 65535, &port) != 0 ||
	    (cfg->metrics_listen[0] == '[' && colon[-1] != ']'))
		config_error(st, line_of(st, "metrics_listen"),
		    "metrics_listen: '%s' is not HOST:PORT", cfg->metrics_listen);
}

/* Cross-field rules, all in one place, after the whole file was read. */
static void
config_validate(struct parse_state *st, struct config *cfg)
{
	static const char *const dir_keys[] = { "ldap_uri", "domain" };
	static const char *const radius_keys[] = { "radius_server",
	    "radius_secret_file" };
	static const char *const sign_keys[] = { "signing_cert", "signing_key" };
	size_t i;

	if (!is_set(st, "template"))
		config_error(st, 0, "'template' is required");
	if (!is_set(st, "ca"))
		config_error(st, 0, "'ca' is required (MS-OTPCE 3.2.5.1 step 5)");
	for (i = 0; i < cfg->ca.count; i++)
		if (!ca_name_valid(cfg->ca.items[i]))
			config_error(st, line_of(st, "ca"),
			    "ca: '%s' is not a CA configuration string 'host\\CA name'",
			    cfg->ca.items[i]);
	if (cfg->ca.count && cfg->issuing_ca_count > cfg->ca.count)
		config_error(st, line_of(st, "issuing_ca_count"),
		    "issuing_ca_count: %u, but only %zu 'ca' given",
		    cfg->issuing_ca_count, cfg->ca.count);

	check_group(st, "the directory", dir_keys, 2);
	check_group(st, "RADIUS", radius_keys, 2);
	check_group(st, "signing", sign_keys, 2);
	if (is_set(st, "ldap_password_file") != is_set(st, "ldap_bind_dn"))
		config_error(st, 0, "ldap_bind_dn and ldap_password_file go together");
	if (is_set(st, "probe_password_file") != is_set(st, "probe_user"))
		config_error(st, 0, "probe_user and probe_password_file go together");
	check_list_pairs(st, &cfg->domain, "domain", "NETBIOSNAME base-dn");
	check_list_pairs(st, &cfg->upn_suffix, "upn_suffix", "suffix NETBIOSNAME");
	check_radius_servers(st, cfg);
	check_service_ids(st, cfg);
	check_metrics_listen(st, cfg);
	if (cfg->ldap_filter && strstr(cfg->ldap_filter, "%u") == NULL)
		config_error(st, line_of(st, "ldap_filter"),
		    "ldap_filter: must contain %%u (the escaped user name)");
	if (cfg->signing_eku && !oid_valid(cfg->signing_eku))
		config_error(st, line_of(st, "signing_eku"),
		    "signing_eku: '%s' is not an OID", cfg->signing_eku);
	if (cfg->enroll_ca && !ca_name_valid(cfg->enroll_ca))
		config_error(st, line_of(st, "enroll_ca"),
		    "enroll_ca: '%s' is not a CA configuration string 'host\\CA name'",
		    cfg->enroll_ca);
	if (is_set(st, "enroll_ca") && (!is_set(st, "enroll_template") ||
	    !is_set(st, "enroll_keytab") || !is_set(st, "enroll_principal")))
		config_error(st, line_of(st, "enroll_ca"), "enroll_ca needs "
		    "enroll_template, enroll_keytab and enroll_principal");
	if (cfg->listen && strncmp(cfg->listen, "unix:", 5) != 0 &&
	    strrchr(cfg->listen, ':') == NULL)
		config_error(st, line_of(st, "listen"),
		    "listen: '%s' is not unix:PATH or HOST:PORT", cfg->listen);
}

static char *
dir_of(const char *name)
{
	const char *slash = strrchr(name, '/');

	if (slash == NULL)
		return NULL;
	if (slash == name)
		return strdup("/");
	return strndup(name, (size_t)(slash - name));
}

struct config *
config_parse(const char *name, const char *text, size_t text_len)
{
	struct parse_state st;
	struct config *cfg = NULL;
	char line[CONFIG_MAX_LINE + 1];
	size_t pos = 0, n;
	unsigned lineno = 0;
	int oom = 0;

	memset(&st, 0, sizeof(st));
	st.name = name;
	st.dir = dir_of(name);
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    (cfg->path = strdup(name)) == NULL)
		goto nomem;
	config_defaults(cfg);

	while (pos < text_len && !oom) {
		const char *nl = memchr(text + pos, '\n', text_len - pos);

		n = nl ? (size_t)(nl - (text + pos)) : text_len - pos;
		lineno++;
		if (n > CONFIG_MAX_LINE) {
			config_error(&st, lineno, "line longer than %d bytes",
			    CONFIG_MAX_LINE);
		} else if (memchr(text + pos, '\0', n) != NULL) {
			config_error(&st, lineno, "NUL byte in line");
		} else {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			oom = config_parse_line(cfg, &st, lineno, line) < 0;
		}
		pos += n + (nl != NULL);
	}
	if (oom || config_default_strings(cfg) < 0)
		goto nomem;
	config_validate(&st, cfg);
	if ((cfg->key_lines = malloc(sizeof(st.first_line))) == NULL)
		goto nomem;
	memcpy(cfg->key_lines, st.first_line, sizeof(st.first_line));
	free(st.dir);
	if (st.errors) {
		log_err("%s: %u error%s", name, st.errors, st.errors > 1 ? "s" : "");
		config_free(cfg);
		return NULL;
	}
	return cfg;

nomem:
	free(st.dir);
	log_err("%s: out of memory", name);
	config_free(cfg);
	return NULL;
}

struct config *
config_load(const char *path)
{
	struct config *cfg = NULL;
	char *text = NULL;
	size_t len;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		log_warn("%s: cannot open", path);
		return NULL;
	}
	if ((text = malloc(CONFIG_MAX_BYTES + 1)) == NULL) {
		log_err("%s: out of memory", path);
		goto cleanup;
	}
	len = fread(text, 1, CONFIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		log_warn("%s: cannot read", path);
		goto cleanup;
	}
	if (len > CONFIG_MAX_BYTES) {
		log_err("%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
		goto cleanup;
	}
	cfg = config_parse(path, text, len);
cleanup:
	free(text);
	fclose(f);
	return cfg;
}

static void
list_free(struct config_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	free(l->lines);
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < NKEYS; i++) {
		void *field = (char *)cfg + keys[i].offset;

		if (keys[i].type == K_STRING || keys[i].type == K_PATH)
			free(*(char **)field);
		else if (keys[i].type == K_LIST)
			list_free(field);
	}
	free(cfg->key_lines);
	free(cfg->path);
	free(cfg);
}

unsigned
config_line(const struct config *cfg, const char *key)
{
	size_t index;

	if (cfg->key_lines == NULL || key_find(key, &index) == NULL)
		return 0;
	return cfg->key_lines[index];
}

const char *
config_path(const char *cli_path)
{
	const char *env;

	if (cli_path != NULL)
		return cli_path;
	if ((env = getenv("OTPCEP_CONFIG")) != NULL && *env != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}
