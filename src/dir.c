/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * MS-OTPCE 3.2.5.1 step 2: "Validate that the user name is listed in Active
 * Directory": the connections and the lookup. The directory module
 * (dir.c, dir_name.c, dir_setup.c) is the only one that uses libldap.
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
#include "dir_internal.h"
#include "log.h"
#include "secret.h"

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

struct ldap *
dir_conn_ldap(struct dir_conn *c, long long deadline, struct audit *a)
{
	if (c->ld == NULL && conn_establish(c, deadline, a) != DIR_FOUND)
		return NULL;
	return c->ld;
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
