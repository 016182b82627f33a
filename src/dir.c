/*
 * MS-OTPCE 3.2.5.1 step 2: "Validate that the user name is listed in Active
 * Directory". The only file that uses libldap.
 *
 * struct dir holds what the configuration says (URIs, bind DN and password,
 * domains, UPN suffixes) and is read-only after dir_new(). Each worker owns a
 * struct dir_conn: one LDAP connection, opened on first use, kept across
 * requests, dropped on any error and re-opened on the next lookup (or at once,
 * when a kept connection turns out to be dead: the server restarted or closed
 * an idle connection). docs/protocol.md, "Step 2: the directory", explains
 * the rules; docs/configuration.md the keys.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <ldap.h>

#include "clock.h"
#include "config.h"
#include "dir.h"
#include "log.h"
#include "secret.h"
#include "utf8.h"

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

/*
 * libldap 2.5 with GnuTLS does not bound a TLS handshake with a server that
 * accepted the TCP connection and then says nothing: it spins on EAGAIN
 * whatever LDAP_OPT_NETWORK_TIMEOUT says. While a handshake runs, a watchdog
 * thread shuts the socket down at the step's deadline, which ends it.
 */
struct dir_watchdog {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct timespec until;	/* CLOCK_MONOTONIC */
	int fd;			/* the connection's socket, -1 when none */
	bool done;
	bool fired;
	pthread_t thread;
};

struct dir_conn {
	const struct dir *d;
	LDAP *ld;		/* NULL: not connected */
	size_t uri_index;	/* which ldap_uri ld talks to */
	struct dir_watchdog wd;
	struct ldap_conncb cb;	/* tells wd the socket; lives as long as ld */
};

/* What went wrong talking to one server, for the log and the audit line. */
struct dir_err {
	const char *uri;
	const char *stage;	/* "connect", "StartTLS", "bind", "search" */
	int rc;			/* LDAP result code */
	char diag[128];		/* the server's or library's message, escaped */
};

const char *
dir_strerror(enum dir_result r)
{
	switch (r) {
	case DIR_FOUND: return "found";
	case DIR_UNKNOWN_DOMAIN: return "unknown domain";
	case DIR_BAD_NAME: return "malformed user name";
	case DIR_NO_SUCH_USER: return "no such user";
	case DIR_AMBIGUOUS: return "more than one directory entry";
	case DIR_DISABLED: return "account disabled";
	case DIR_UNAVAILABLE: return "directory unavailable";
	case DIR_NOMEM: return "out of memory";
	case DIR_NOT_CONFIGURED: return "directory not configured";
	}
	return "unknown directory result";
}

/* ---- user names and filters ---------------------------------------------- */

char *
dir_filter_escape(const char *value, size_t value_len)
{
	static const char hex[] = "0123456789abcdef";
	char *out, *p;
	size_t i;

	if (value_len > (SIZE_MAX - 1) / 3 || (out = malloc(value_len * 3 + 1)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i < value_len; i++) {
		unsigned char c = (unsigned char)value[i];

		/* RFC 4515 section 3: escaped are NUL ( ) * \; we add every byte
		 * that is not printable ASCII, which the RFC allows. */
		if (c < 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '*' ||
		    c == '\\') {
			*p++ = '\\';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 0xf];
		} else {
			*p++ = (char)c;
		}
	}
	*p = '\0';
	return out;
}

char *
dir_filter_build(const char *tmpl, const char *value, size_t value_len)
{
	char *esc, *out = NULL, *p;
	const char *s;
	size_t esc_len, count = 0, len;

	if ((esc = dir_filter_escape(value, value_len)) == NULL)
		return NULL;
	esc_len = strlen(esc);
	for (s = tmpl; (s = strstr(s, "%u")) != NULL; s += 2)
		count++;
	len = strlen(tmpl);
	if (count && esc_len > (SIZE_MAX - len - 1) / count)
		goto cleanup;
	if ((out = malloc(len + count * esc_len + 1)) == NULL)
		goto cleanup;
	p = out;
	for (s = tmpl; *s; ) {
		if (s[0] == '%' && s[1] == 'u') {
			memcpy(p, esc, esc_len);
			p += esc_len;
			s += 2;
		} else {
			*p++ = *s++;
		}
	}
	*p = '\0';
cleanup:
	free(esc);
	return out;
}

static const struct dir_domain *
domain_by_netbios(const struct dir *d, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < d->domain_count; i++)
		if (strlen(d->domains[i].netbios) == len &&
		    strncasecmp(d->domains[i].netbios, name, len) == 0)
			return &d->domains[i];
	return NULL;
}

/* upn_suffix first; else a domain whose base DN spells the suffix in DC= parts. */
static const struct dir_domain *
domain_by_suffix(const struct dir *d, const char *suffix)
{
	size_t i;

	for (i = 0; i < d->suffix_count; i++)
		if (strcasecmp(d->suffixes[i].suffix, suffix) == 0)
			return d->suffixes[i].domain;
	for (i = 0; i < d->domain_count; i++)
		if (d->domains[i].dns && strcasecmp(d->domains[i].dns, suffix) == 0)
			return &d->domains[i];
	return NULL;
}

void
dir_name_free(struct dir_name *n)
{
	free(n->account);
	free(n->upn);
	memset(n, 0, sizeof(*n));
}

enum dir_result
dir_parse_name(const struct dir *d, const char *username, struct dir_name *out,
    struct audit *a)
{
	struct audit scratch;
	const struct dir_domain *dom;
	const char *sep, *user;
	char esc[64];
	size_t len, user_len;

	if (a == NULL) {
		memset(&scratch, 0, sizeof(scratch));
		a = &scratch;
	}
	memset(out, 0, sizeof(*out));
	len = username ? strlen(username) : 0;
	if (len == 0) {
		audit_reason(a, "step 2: empty user name");
		return DIR_BAD_NAME;
	}
	if (len > DIR_USER_MAX + 1 + DIR_SUFFIX_MAX) {
		audit_reason(a, "step 2: user name longer than %d bytes",
		    DIR_USER_MAX + 1 + DIR_SUFFIX_MAX);
		return DIR_BAD_NAME;
	}
	if (!utf8_valid((const uint8_t *)username, len, UTF8_NO_CONTROLS)) {
		audit_reason(a, "step 2: user name is not UTF-8 text");
		return DIR_BAD_NAME;
	}

	/* MS-OTPCE 3.1.5.1: "The name is in the domain\username format." */
	if ((sep = strchr(username, '\\')) != NULL) {
		user = sep + 1;
		user_len = len - (size_t)(user - username);
		if (sep == username || user_len == 0) {
			audit_reason(a, "step 2: user name is not DOMAIN\\user");
			return DIR_BAD_NAME;
		}
		if (user_len > DIR_USER_MAX) {
			audit_reason(a, "step 2: user part longer than %d bytes",
			    DIR_USER_MAX);
			return DIR_BAD_NAME;
		}
		dom = domain_by_netbios(d, username, (size_t)(sep - username));
		if (dom == NULL) {
			log_escape(esc, sizeof(esc), username,
			    (size_t)(sep - username));
			audit_reason(a, "step 2: unknown domain '%s'", esc);
			return DIR_UNKNOWN_DOMAIN;
		}
		if ((out->account = strndup(user, user_len)) == NULL)
			return DIR_NOMEM;
	} else if ((sep = strrchr(username, '@')) != NULL) {
		/* Our extension: user@suffix, a userPrincipalName (MS-ADTS 3.1.1.5.1.3). */
		if (sep == username || sep[1] == '\0') {
			audit_reason(a, "step 2: user name is not user@suffix");
			return DIR_BAD_NAME;
		}
		if ((size_t)(sep - username) > DIR_USER_MAX ||
		    strlen(sep + 1) > DIR_SUFFIX_MAX) {
			audit_reason(a, "step 2: user principal name too long");
			return DIR_BAD_NAME;
		}
		if ((dom = domain_by_suffix(d, sep + 1)) == NULL) {
			log_escape(esc, sizeof(esc), sep + 1, strlen(sep + 1));
			audit_reason(a, "step 2: unknown UPN suffix '%s'", esc);
			return DIR_UNKNOWN_DOMAIN;
		}
		if ((out->upn = strdup(username)) == NULL)
			return DIR_NOMEM;
	} else {
		audit_reason(a, "step 2: user name is neither DOMAIN\\user nor user@suffix");
		return DIR_BAD_NAME;
	}
	out->netbios = dom->netbios;
	out->base_dn = dom->base_dn;
	return DIR_FOUND;
}

/* ---- start-up ------------------------------------------------------------ */

static bool
netbios_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > DIR_NETBIOS_MAX)
		return false;
	for (i = 0; i < len; i++)
		/* Characters Windows refuses in NetBIOS names, and '@'. */
		if (!isgraph((unsigned char)s[i]) || strchr("\\/:*?\"<>|@", s[i]))
			return false;
	return true;
}

/*
 * Checks base as an LDAPv3 DN (RFC 4514) and computes the DNS name its DC=
 * parts spell (RFC 2247), or NULL when it has other parts. Returns -1 for a
 * bad DN, -2 when out of memory, else 0.
 */
static int
base_dn_parse(const char *base, char **dns)
{
	LDAPDN dn = NULL;
	size_t len = 0, i;
	int ret = -1;
	char *p;

	*dns = NULL;
	if (ldap_str2dn(base, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    dn == NULL || dn[0] == NULL)
		goto cleanup;
	ret = 0;
	for (i = 0; dn[i] != NULL; i++) {
		LDAPAVA *ava = dn[i][0];

		if (dn[i][1] != NULL || ava->la_attr.bv_len != 2 ||
		    strncasecmp(ava->la_attr.bv_val, "dc", 2) != 0 ||
		    ava->la_value.bv_len == 0 ||
		    memchr(ava->la_value.bv_val, '\0', ava->la_value.bv_len))
			goto cleanup;
		len += ava->la_value.bv_len + 1;
	}
	if ((*dns = malloc(len)) == NULL) {
		ret = -2;
		goto cleanup;
	}
	p = *dns;
	for (i = 0; dn[i] != NULL; i++) {
		memcpy(p, dn[i][0]->la_value.bv_val, dn[i][0]->la_value.bv_len);
		p += dn[i][0]->la_value.bv_len;
		*p++ = dn[i + 1] ? '.' : '\0';
	}
cleanup:
	if (dn)
		ldap_dnfree(dn);
	return ret;
}

/* Splits "first rest of line" at the first blank; NULL when out of memory. */
static int
split_pair(const char *item, char **first, char **rest)
{
	size_t n = strcspn(item, " \t");
	const char *r = item + n + strspn(item + n, " \t");

	*first = strndup(item, n);
	*rest = strdup(r);
	return *first && *rest ? 0 : -1;
}

static int
dir_load_domains(struct dir *d, const struct config *cfg)
{
	size_t i, j;
	int errors = 0, r;

	d->domains = calloc(cfg->domain.count, sizeof(*d->domains));
	d->suffixes = calloc(cfg->upn_suffix.count ? cfg->upn_suffix.count : 1,
	    sizeof(*d->suffixes));
	if (d->domains == NULL || d->suffixes == NULL)
		goto nomem;
	for (i = 0; i < cfg->domain.count; i++) {
		struct dir_domain *dom = &d->domains[d->domain_count++];

		if (split_pair(cfg->domain.items[i], &dom->netbios,
		    &dom->base_dn) < 0)
			goto nomem;
		if (!netbios_ok(dom->netbios)) {
			log_err("%s: domain: '%s' is not a NetBIOS domain name "
			    "(1-%d characters, none of \\/:*?\"<>|@)", d->path,
			    dom->netbios, DIR_NETBIOS_MAX);
			errors++;
		}
		if ((r = base_dn_parse(dom->base_dn, &dom->dns)) == -2)
			goto nomem;
		if (r < 0) {
			log_err("%s: domain %s: '%s' is not a DN", d->path,
			    dom->netbios, dom->base_dn);
			errors++;
		}
		for (j = 0; j < i; j++)
			if (strcasecmp(d->domains[j].netbios, dom->netbios) == 0) {
				log_err("%s: domain %s: given twice", d->path,
				    dom->netbios);
				errors++;
			}
	}
	for (i = 0; i < cfg->upn_suffix.count; i++) {
		struct dir_suffix *suf = &d->suffixes[d->suffix_count++];
		char *netbios = NULL;

		if (split_pair(cfg->upn_suffix.items[i], &suf->suffix,
		    &netbios) < 0) {
			free(netbios);
			goto nomem;
		}
		suf->domain = domain_by_netbios(d, netbios, strlen(netbios));
		if (suf->domain == NULL) {
			log_err("%s: upn_suffix %s: '%s' is not a configured domain",
			    d->path, suf->suffix, netbios);
			errors++;
		}
		free(netbios);
		if (strchr(suf->suffix, '@') || strlen(suf->suffix) > DIR_SUFFIX_MAX ||
		    !utf8_valid((const uint8_t *)suf->suffix,
		    strlen(suf->suffix), UTF8_NO_CONTROLS)) {
			log_err("%s: upn_suffix: '%s' is not a UPN suffix", d->path,
			    suf->suffix);
			errors++;
		}
		for (j = 0; j < i; j++)
			if (strcasecmp(d->suffixes[j].suffix, suf->suffix) == 0) {
				log_err("%s: upn_suffix %s: given twice", d->path,
				    suf->suffix);
				errors++;
			}
	}
	return errors ? -1 : 0;
nomem:
	log_err("%s: out of memory", d->path);
	return -1;
}

/* A filter must at least be one parenthesised item (RFC 4515 section 3). */
static bool
filter_shape_ok(const char *f)
{
	size_t depth = 0, len = strlen(f), i;

	if (len < 3 || f[0] != '(' || f[len - 1] != ')')
		return false;
	for (i = 0; i < len; i++) {
		if (f[i] == '\\') {
			if (!isxdigit((unsigned char)f[i + 1]) ||
			    !isxdigit((unsigned char)f[i + 2]))
				return false;
			i += 2;
		} else if (f[i] == '(') {
			depth++;
		} else if (f[i] == ')') {
			if (depth == 0)
				return false;
			if (--depth == 0 && i != len - 1)
				return false;
		}
	}
	return depth == 0;
}

static int
dir_load_uris(struct dir *d, const struct config *cfg)
{
	int errors = 0;
	size_t i;

	if ((d->uris = calloc(cfg->ldap_uri.count, sizeof(*d->uris))) == NULL) {
		log_err("%s: out of memory", d->path);
		return -1;
	}
	for (i = 0; i < cfg->ldap_uri.count; i++) {
		const char *u = cfg->ldap_uri.items[i];
		LDAPURLDesc *lud = NULL;

		/* One URI per key: we choose the order and know which one answered. */
		if (strpbrk(u, " \t,") != NULL ||
		    ldap_url_parse(u, &lud) != LDAP_URL_SUCCESS ||
		    lud->lud_next != NULL || (strcasecmp(lud->lud_scheme, "ldap") != 0 &&
		    strcasecmp(lud->lud_scheme, "ldaps") != 0 &&
		    strcasecmp(lud->lud_scheme, "ldapi") != 0)) {
			log_err("%s: ldap_uri: '%s' is not one ldap://, ldaps:// or "
			    "ldapi:// URI", d->path, u);
			errors++;
		} else if (!cfg->ldap_starttls && strcasecmp(lud->lud_scheme,
		    "ldap") == 0 && cfg->ldap_bind_dn) {
			log_warnx("%s: ldap_uri %s: the bind password goes in clear "
			    "text (use ldaps:// or ldap_starttls = yes)", d->path, u);
		}
		if (lud)
			ldap_free_urldesc(lud);
		if ((d->uris[i] = strdup(u)) == NULL) {
			log_err("%s: out of memory", d->path);
			return -1;
		}
		d->uri_count++;
	}
	return errors ? -1 : 0;
}

struct dir *
dir_new(const struct config *cfg)
{
	enum secret_result sr;
	struct dir *d;
	int v;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		log_err("step 2: out of memory");
		return NULL;
	}
	d->path = cfg->path ? cfg->path : "configuration";
	if (cfg->ldap_uri.count == 0 || cfg->domain.count == 0) {
		log_warnx("step 2: the directory is not configured (ldap_uri, "
		    "domain): every request will be answered OtherError");
		return d;
	}
	/* libldap's global defaults are set up once, here, before any thread. */
	ldap_get_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &v);

	d->starttls = cfg->ldap_starttls;
	d->timeout_ms = cfg->ldap_timeout_ms;
	if (dir_load_uris(d, cfg) < 0 || dir_load_domains(d, cfg) < 0)
		goto fail;
	if ((d->filter = strdup(cfg->ldap_filter)) == NULL ||
	    (cfg->ldap_bind_dn && (d->bind_dn = strdup(cfg->ldap_bind_dn)) == NULL) ||
	    (cfg->ldap_ca_file && (d->ca_file = strdup(cfg->ldap_ca_file)) == NULL)) {
		log_err("step 2: out of memory");
		goto fail;
	}
	if (!filter_shape_ok(d->filter)) {
		log_err("%s: ldap_filter: '%s' is not an LDAP filter (RFC 4515)",
		    d->path, d->filter);
		goto fail;
	}
	if (cfg->ldap_password_file) {
		sr = secret_read_file(cfg->ldap_password_file, &d->password);
		if (sr != SECRET_OK) {
			log_err("%s: ldap_password_file %s: %s", d->path,
			    cfg->ldap_password_file, secret_strerror(sr));
			goto fail;
		}
	}
	d->configured = true;
	return d;
fail:
	dir_free(d);
	return NULL;
}

void
dir_free(struct dir *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->uri_count; i++)
		free(d->uris[i]);
	free(d->uris);
	for (i = 0; i < d->domain_count; i++) {
		free(d->domains[i].netbios);
		free(d->domains[i].base_dn);
		free(d->domains[i].dns);
	}
	free(d->domains);
	for (i = 0; i < d->suffix_count; i++)
		free(d->suffixes[i].suffix);
	free(d->suffixes);
	free(d->bind_dn);
	free(d->ca_file);
	free(d->filter);
	secret_free(&d->password);
	free(d);
}

/* ---- connections --------------------------------------------------------- */

/*
 * The time one network step may take: ldap_timeout_ms, but never past the
 * lookup's deadline. Returns false when the deadline has passed.
 */
static bool
step_time(const struct dir *d, long long deadline, struct timeval *tv)
{
	long long left = deadline - clock_ms();

	if (left <= 0)
		return false;
	if (left > d->timeout_ms)
		left = d->timeout_ms;
	tv->tv_sec = (time_t)(left / 1000);
	tv->tv_usec = (suseconds_t)((left % 1000) * 1000);
	return true;
}

static void
err_set(struct dir_err *e, LDAP *ld, const char *stage, int rc)
{
	char *msg = NULL;

	e->stage = stage;
	e->rc = rc;
	e->diag[0] = '\0';
	if (ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) ==
	    LDAP_OPT_SUCCESS && msg != NULL) {
		log_escape(e->diag, sizeof(e->diag), msg, strlen(msg));
		ldap_memfree(msg);
	}
}

/* Waits for the answer to msgid. Returns its result code (LDAP_TIMEOUT when late). */
static int
wait_done(const struct dir *d, LDAP *ld, int msgid, long long deadline)
{
	LDAPMessage *res = NULL;
	struct timeval tv;
	int rc, err = LDAP_OTHER;

	if (!step_time(d, deadline, &tv))
		return LDAP_TIMEOUT;
	rc = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (rc == 0)
		return LDAP_TIMEOUT;
	if (rc < 0) {
		if (ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &err) != LDAP_OPT_SUCCESS)
			err = LDAP_OTHER;
		return err == LDAP_SUCCESS ? LDAP_OTHER : err;
	}
	rc = ldap_parse_result(ld, res, &err, NULL, NULL, NULL, NULL, 1);
	return rc != LDAP_SUCCESS ? rc : err;
}

/* LDAP_OPT_CONNECT_CB: libldap connected a socket (before any TLS). */
static int
watchdog_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
    struct ldap_conncb *ctx)
{
	struct dir_watchdog *w = ctx->lc_arg;
	ber_socket_t fd = -1;

	(void)ld, (void)srv, (void)addr;
	ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd);
	pthread_mutex_lock(&w->mu);
	w->fd = fd;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static void
watchdog_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	struct dir_watchdog *w = ctx->lc_arg;

	(void)ld, (void)sb;
	pthread_mutex_lock(&w->mu);
	w->fd = -1;
	pthread_mutex_unlock(&w->mu);
}

static void *
watchdog_run(void *arg)
{
	struct dir_watchdog *w = arg;
	int rc = 0;

	pthread_mutex_lock(&w->mu);
	while (!w->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&w->cv, &w->mu, &w->until);
	if (!w->done && w->fd >= 0) {
		shutdown(w->fd, SHUT_RDWR);
		w->fired = true;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Starts the watchdog for tv from now. Returns 0, or -1 when it cannot. */
static int
watchdog_arm(struct dir_watchdog *w, const struct timeval *tv)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&w->mu);
	w->done = false;
	w->fired = false;
	w->until.tv_sec = now.tv_sec + tv->tv_sec;
	w->until.tv_nsec = now.tv_nsec + (long)tv->tv_usec * 1000;
	if (w->until.tv_nsec >= 1000000000L) {
		w->until.tv_sec++;
		w->until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_unlock(&w->mu);
	return pthread_create(&w->thread, NULL, watchdog_run, w) == 0 ? 0 : -1;
}

/* Stops the watchdog. Returns whether it fired (the handshake timed out). */
static bool
watchdog_disarm(struct dir_watchdog *w)
{
	bool fired;

	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_lock(&w->mu);
	fired = w->fired;
	pthread_mutex_unlock(&w->mu);
	return fired;
}

static int
set_tls_options(const struct dir *d, LDAP *ld)
{
	int demand = LDAP_OPT_X_TLS_DEMAND;
	int min = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
	int is_server = 0;

	/* Verify the server's certificate and name, always (RFC 4513 3.1.3). */
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &min) != LDAP_OPT_SUCCESS ||
	    (d->ca_file && ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE,
	    d->ca_file) != LDAP_OPT_SUCCESS) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server) != LDAP_OPT_SUCCESS)
		return LDAP_LOCAL_ERROR;
	return LDAP_SUCCESS;
}

/*
 * Opens, secures and binds one connection to uri. Returns LDAP_SUCCESS with
 * *ldp set, else the LDAP result code with e saying where it failed.
 */
static int
conn_open(struct dir_conn *c, const char *uri, long long deadline, LDAP **ldp,
    struct dir_err *e)
{
	const struct dir *d = c->d;
	int version = LDAP_VERSION3, rc, msgid;
	bool ldaps = strncasecmp(uri, "ldaps:", 6) == 0;
	struct timeval tv, op;
	LDAP *ld = NULL;

	*ldp = NULL;
	e->uri = uri;
	if ((rc = ldap_initialize(&ld, uri)) != LDAP_SUCCESS) {
		err_set(e, NULL, "initialize", rc);
		return rc;
	}
	if (!step_time(d, deadline, &tv)) {
		rc = LDAP_TIMEOUT;
		err_set(e, NULL, "connect", rc);
		goto cleanup;
	}
	/* Bounded connect (network timeout); the operation timeout is a second
	 * guard for the kept connection: every wait below has its own bound. */
	op.tv_sec = (time_t)(d->timeout_ms / 1000);
	op.tv_usec = (suseconds_t)((d->timeout_ms % 1000) * 1000);
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &c->cb) != LDAP_OPT_SUCCESS ||
	    ((ldaps || d->starttls) && set_tls_options(d, ld) != LDAP_SUCCESS)) {
		rc = LDAP_LOCAL_ERROR;
		err_set(e, ld, "set options", rc);
		goto cleanup;
	}
	/* For ldaps:// this includes the TLS handshake. */
	if (ldaps && watchdog_arm(&c->wd, &tv) < 0) {
		rc = LDAP_LOCAL_ERROR;
		err_set(e, ld, "connect", rc);
		goto cleanup;
	}
	rc = ldap_connect(ld);
	if (ldaps && watchdog_disarm(&c->wd) && rc != LDAP_SUCCESS)
		rc = LDAP_TIMEOUT;
	else if (rc != LDAP_SUCCESS &&
	    (ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &rc) != LDAP_OPT_SUCCESS ||
	    rc == LDAP_SUCCESS))
		rc = LDAP_SERVER_DOWN;
	if (rc != LDAP_SUCCESS) {
		err_set(e, ld, "connect", rc);
		goto cleanup;
	}
	/* RFC 4511 4.14.1: StartTLS; a failure is an error, never a fallback. */
	if (d->starttls && !ldaps) {
		rc = ldap_extended_operation(ld, LDAP_EXOP_START_TLS, NULL, NULL,
		    NULL, &msgid);
		if (rc == LDAP_SUCCESS)
			rc = wait_done(d, ld, msgid, deadline);
		if (rc == LDAP_SUCCESS) {
			if (!step_time(d, deadline, &tv) || watchdog_arm(&c->wd, &tv) < 0) {
				rc = LDAP_TIMEOUT;
			} else {
				rc = ldap_install_tls(ld);
				if (watchdog_disarm(&c->wd) && rc != LDAP_SUCCESS)
					rc = LDAP_TIMEOUT;
			}
		}
		if (rc != LDAP_SUCCESS) {
			err_set(e, ld, "StartTLS", rc);
			goto cleanup;
		}
	}
	/* RFC 4513 5.1.3: simple bind with the service account's password. */
	if (d->bind_dn) {
		struct berval cred;

		cred.bv_val = (char *)d->password.data;
		cred.bv_len = d->password.len;
		rc = ldap_sasl_bind(ld, d->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
		    NULL, &msgid);
		if (rc == LDAP_SUCCESS)
			rc = wait_done(d, ld, msgid, deadline);
		if (rc != LDAP_SUCCESS) {
			err_set(e, ld, "bind", rc);
			goto cleanup;
		}
	}
	*ldp = ld;
	ld = NULL;
	rc = LDAP_SUCCESS;
cleanup:
	if (ld)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}

static void
conn_drop(struct dir_conn *c)
{
	if (c->ld)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
	c->ld = NULL;
}

static void
err_log(const struct dir_err *e)
{
	log_warnx("step 2: %s: %s: %s%s%s", e->uri, e->stage,
	    ldap_err2string(e->rc), e->diag[0] ? ": " : "", e->diag);
}

/*
 * Connects c to the first ldap_uri that answers, in order. Returns DIR_FOUND
 * when connected, else DIR_UNAVAILABLE with the reason in the audit line.
 */
static enum dir_result
conn_establish(struct dir_conn *c, long long deadline, struct audit *a)
{
	const struct dir *d = c->d;
	struct dir_err e;
	size_t i;
	int rc = LDAP_SERVER_DOWN;

	memset(&e, 0, sizeof(e));
	for (i = 0; i < d->uri_count; i++) {
		if ((rc = conn_open(c, d->uris[i], deadline, &c->ld, &e)) ==
		    LDAP_SUCCESS) {
			c->uri_index = i;
			log_debug("step 2: connected to %s", d->uris[i]);
			return DIR_FOUND;
		}
		err_log(&e);
		/* A wrong service password is wrong everywhere; more tries
		 * would only lock the account out. */
		if (rc == LDAP_INVALID_CREDENTIALS)
			break;
	}
	audit_reason(a, "step 2: directory unavailable: %s: %s: %s", e.uri,
	    e.stage, ldap_err2string(e.rc));
	return DIR_UNAVAILABLE;
}

/* Errors after which a kept connection is worth one fresh try. */
static bool
conn_lost(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

/* Copies the first value of attr, refusing embedded NULs. -1 when bad, -2 no memory. */
static int
attr_first(LDAP *ld, LDAPMessage *entry, const char *attr, char **out)
{
	struct berval **vals;
	int ret = 0;

	*out = NULL;
	if ((vals = ldap_get_values_len(ld, entry, attr)) == NULL)
		return 0;
	if (vals[0] != NULL) {
		if (memchr(vals[0]->bv_val, '\0', vals[0]->bv_len) != NULL)
			ret = -1;
		else if ((*out = strndup(vals[0]->bv_val, vals[0]->bv_len)) == NULL)
			ret = -2;
	}
	ldap_value_free_len(vals);
	return ret;
}

/* userAccountControl is a 32-bit INTEGER (MS-ADTS 2.2.16), decimal in LDAP. */
static int
uac_parse(const char *s, unsigned long *out)
{
	char *end;
	long long v;

	if (s == NULL || !(isdigit((unsigned char)s[0]) || s[0] == '-'))
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < INT32_MIN || v > UINT32_MAX)
		return -1;
	*out = (unsigned long)(uint32_t)v;
	return 0;
}

/* Fills u from entry. Returns DIR_FOUND, DIR_UNAVAILABLE (bad data) or DIR_NOMEM. */
static enum dir_result
entry_read(LDAP *ld, LDAPMessage *entry, struct dir_user *u, struct audit *a)
{
	char *dn, *uac = NULL;
	int r = 0;

	if ((dn = ldap_get_dn(ld, entry)) == NULL) {
		audit_reason(a, "step 2: directory entry without a DN");
		return DIR_UNAVAILABLE;
	}
	u->dn = strdup(dn);
	ldap_memfree(dn);
	if (u->dn == NULL)
		return DIR_NOMEM;
	if ((r = attr_first(ld, entry, "sAMAccountName", &u->account)) < 0 ||
	    (r = attr_first(ld, entry, "userPrincipalName", &u->upn)) < 0 ||
	    (r = attr_first(ld, entry, "mail", &u->mail)) < 0 ||
	    (r = attr_first(ld, entry, "userAccountControl", &uac)) < 0) {
		if (r == -2)
			return DIR_NOMEM;
		audit_reason(a, "step 2: directory entry with a NUL in a value");
		return DIR_UNAVAILABLE;
	}
	/* Absent: the directory does not keep it (not AD); ldap_filter decides. */
	if (uac && uac_parse(uac, &u->user_account_control) < 0) {
		free(uac);
		audit_reason(a, "step 2: userAccountControl is not a number");
		return DIR_UNAVAILABLE;
	}
	free(uac);
	return DIR_FOUND;
}

/*
 * One search under base for exactly one entry, on c's connection (opened or
 * re-opened as needed). Returns DIR_FOUND with *u filled, DIR_NO_SUCH_USER,
 * DIR_AMBIGUOUS, DIR_UNAVAILABLE or DIR_NOMEM.
 */
static enum dir_result
search_one(struct dir_conn *c, const char *base, const char *filter,
    long long deadline, struct dir_user *u, struct audit *a)
{
	static char *attrs[] = { "sAMAccountName", "userPrincipalName", "mail",
	    "userAccountControl", NULL };
	const struct dir *d = c->d;
	enum dir_result ret = DIR_UNAVAILABLE;
	LDAPMessage *res = NULL;
	struct dir_err e;
	struct timeval tv;
	bool fresh;
	int rc, attempt, count;

	memset(&e, 0, sizeof(e));
	for (attempt = 0; ; attempt++) {
		fresh = false;
		if (c->ld == NULL) {
			if ((ret = conn_establish(c, deadline, a)) != DIR_FOUND)
				return ret;
			fresh = true;
		}
		if (!step_time(d, deadline, &tv)) {
			rc = LDAP_TIMEOUT;
		} else {
			/* Size limit 2: enough to tell one entry from several. The
			 * timeout is also the server's time limit (RFC 4511 4.5.1.5). */
			rc = ldap_search_ext_s(c->ld, base, LDAP_SCOPE_SUBTREE, filter,
			    attrs, 0, NULL, NULL, &tv, 2, &res);
		}
		if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED)
			break;
		e.uri = d->uris[c->uri_index];
		err_set(&e, c->ld, "search", rc);
		err_log(&e);
		if (res) {
			ldap_msgfree(res);
			res = NULL;
		}
		conn_drop(c);
		/* A kept connection found dead (restart, idle close): once more. */
		if (!fresh && attempt == 0 && conn_lost(rc)) {
			log_info("step 2: %s: connection lost, reconnecting", e.uri);
			continue;
		}
		audit_reason(a, "step 2: directory unavailable: %s: search: %s",
		    e.uri, ldap_err2string(rc));
		return DIR_UNAVAILABLE;
	}

	count = ldap_count_entries(c->ld, res);
	if (count > 1) {
		audit_reason(a, "step 2: more than one directory entry");
		ret = DIR_AMBIGUOUS;
	} else if (rc == LDAP_SIZELIMIT_EXCEEDED || count < 0) {
		audit_reason(a, "step 2: directory unavailable: %s: search: %s",
		    d->uris[c->uri_index], ldap_err2string(rc));
		ret = DIR_UNAVAILABLE;
	} else if (count == 0) {
		audit_reason(a, "step 2: no such user in the directory");
		ret = DIR_NO_SUCH_USER;
	} else {
		ret = entry_read(c->ld, ldap_first_entry(c->ld, res), u, a);
		if (ret != DIR_FOUND)
			dir_user_free(u);
	}
	ldap_msgfree(res);
	return ret;
}

struct dir_conn *
dir_conn_new(const struct dir *d)
{
	pthread_condattr_t attr;
	struct dir_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->d = d;
	c->wd.fd = -1;
	c->cb.lc_add = watchdog_add;
	c->cb.lc_del = watchdog_del;
	c->cb.lc_arg = &c->wd;
	if (pthread_condattr_init(&attr) != 0) {
		free(c);
		return NULL;
	}
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&c->wd.cv, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		free(c);
		return NULL;
	}
	pthread_condattr_destroy(&attr);
	if (pthread_mutex_init(&c->wd.mu, NULL) != 0) {
		pthread_cond_destroy(&c->wd.cv);
		free(c);
		return NULL;
	}
	return c;
}

void
dir_conn_free(struct dir_conn *c)
{
	if (c == NULL)
		return;
	conn_drop(c);
	pthread_cond_destroy(&c->wd.cv);
	pthread_mutex_destroy(&c->wd.mu);
	free(c);
}

enum dir_result
dir_lookup(struct dir_conn *c, const char *username, struct dir_user *out,
    struct audit *a)
{
	const struct dir *d = c->d;
	struct dir_user by_upn = { 0 };
	struct dir_name name;
	enum dir_result r;
	char *filter = NULL, *upn_filter = NULL;
	const char *account;
	long long deadline;

	memset(out, 0, sizeof(*out));
	memset(&name, 0, sizeof(name));
	if (!d->configured) {
		log_err("step 2: the directory is not configured (ldap_uri, domain)");
		audit_reason(a, "step 2: directory not configured");
		return DIR_NOT_CONFIGURED;
	}
	if ((r = dir_parse_name(d, username, &name, a)) != DIR_FOUND)
		goto cleanup;

	/* Every network step gets ldap_timeout_ms; the whole lookup at most one
	 * per server plus one for the search. */
	deadline = clock_ms() + (long long)d->timeout_ms * (long long)(d->uri_count + 1);
	account = name.account;
	if (name.upn) {
		/* user@suffix: find the account by userPrincipalName, then hold
		 * it to ldap_filter like any DOMAIN\user. */
		r = DIR_NOMEM;
		if ((upn_filter = dir_filter_build("(userPrincipalName=%u)",
		    name.upn, strlen(name.upn))) == NULL)
			goto cleanup;
		r = search_one(c, name.base_dn, upn_filter, deadline, &by_upn, a);
		if (r != DIR_FOUND)
			goto cleanup;
		if ((account = by_upn.account) == NULL) {
			audit_reason(a, "step 2: the entry of this UPN has no sAMAccountName");
			r = DIR_NO_SUCH_USER;
			goto cleanup;
		}
	}
	r = DIR_NOMEM;
	if ((filter = dir_filter_build(d->filter, account, strlen(account))) == NULL)
		goto cleanup;
	if ((r = search_one(c, name.base_dn, filter, deadline, out, a)) != DIR_FOUND)
		goto cleanup;
	if (name.upn && strcasecmp(out->dn, by_upn.dn) != 0) {
		audit_reason(a, "step 2: the entry of this UPN does not match ldap_filter");
		r = DIR_NO_SUCH_USER;
		goto cleanup;
	}
	/* MS-ADTS 2.2.16: a disabled account is not a usable listing. */
	if (out->user_account_control & DIR_UAC_ACCOUNTDISABLE) {
		audit_reason(a, "step 2: account disabled (userAccountControl 0x%lx)",
		    out->user_account_control);
		r = DIR_DISABLED;
		goto cleanup;
	}
	r = DIR_NOMEM;
	if ((out->domain = strdup(name.netbios)) == NULL ||
	    (out->account == NULL && (out->account = strdup(account)) == NULL))
		goto cleanup;
	r = DIR_FOUND;
cleanup:
	if (r == DIR_NOMEM)
		audit_reason(a, "step 2: out of memory");
	if (r != DIR_FOUND)
		dir_user_free(out);
	dir_user_free(&by_upn);
	dir_name_free(&name);
	free(filter);
	free(upn_filter);
	return r;
}

void
dir_user_free(struct dir_user *u)
{
	free(u->dn);
	free(u->upn);
	free(u->mail);
	free(u->account);
	free(u->domain);
	memset(u, 0, sizeof(*u));
}

enum dir_result
dir_probe(struct dir_conn *c, const char **uri, struct audit *a)
{
	const struct dir *d = c->d;
	enum dir_result r;

	*uri = NULL;
	if (!d->configured) {
		audit_reason(a, "not configured (ldap_uri, domain)");
		return DIR_NOT_CONFIGURED;
	}
	/* A fresh connection and bind, as the first request of a worker makes. */
	conn_drop(c);
	r = conn_establish(c, clock_ms() + (long long)d->timeout_ms *
	    (long long)d->uri_count, a);
	if (r == DIR_FOUND)
		*uri = d->uris[c->uri_index];
	return r;
}
