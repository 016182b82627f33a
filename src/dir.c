/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * MS-OTPCE 3.2.5.1 step 2: "Validate that the user name is listed in Active
 * Directory": the connections and the lookup. The directory module
 * (dir.c, dir_name.c, dir_setup.c) is the only one that uses libldap.
 *
 * struct dir holds what the configuration says (URIs, bind DN and password,
 * domains, UPN suffixes) and is read-only after dir_new(), but for two shared
 * parts made for concurrency (issue 10):
 * - the pool: ldap_connections struct dir_conn, shared by all workers. A
 *   lookup takes one (waiting, within its deadline, while all are busy),
 *   has it alone, and gives it back. Each is one LDAP connection, opened on
 *   first use, kept across requests, dropped on any error and re-opened on
 *   the next lookup (or at once, when a kept connection turns out to be
 *   dead: the server restarted or closed an idle connection).
 * - dead-server memory: an ldap_uri that failed is skipped for
 *   ldap_dead_time_s while another is alive (all dead: the first is tried).
 * docs/protocol.md, "Step 2: the directory", explains the rules;
 * docs/configuration.md the keys; docs/design.md the pool.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
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
#include "metrics.h"
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
	bool leased;		/* a lookup has it (pool mutex) */
};

/* ldap_connections connections; idle ones on a stack (the warmest on top). */
struct dir_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* CLOCK_MONOTONIC: one came back */
	struct dir_conn **conns;
	size_t size;
	struct dir_conn **idle;
	size_t idle_count;
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
	pthread_mutex_lock(&w->mu);
	w->done = false;
	w->fired = false;
	clock_ts_after((long long)tv->tv_sec * 1000 + tv->tv_usec / 1000,
	    &w->until);
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

/* The counters of one connection attempt to ldap_uri i (include/metrics.h). */
static void
conn_count(const struct dir *d, size_t i, int rc, const struct dir_err *e)
{
	if (rc == LDAP_SUCCESS) {
		if (d->bind_dn)
			metrics_ldap_bind(i, true);
		else
			metrics_ldap_answered(i);
	} else if (strcmp(e->stage, "bind") == 0) {
		metrics_ldap_bind(i, false);
	} else {
		metrics_ldap_error(i);
		metrics_ldap_down(i);
	}
}

static void
err_log(const struct dir_err *e)
{
	log_warnx("step 2: %s: %s: %s%s%s", e->uri, e->stage,
	    ldap_err2string(e->rc), e->diag[0] ? ": " : "", e->diag);
}

static bool
uri_usable(const struct dir *d, size_t i, long long now)
{
	return now >= atomic_load(&d->uri_dead_until[i]);
}

/* Issue 10: ldap_uri i failed; skip it for ldap_dead_time_s. */
static void
uri_mark_dead(const struct dir *d, size_t i)
{
	long long old;

	if (d->dead_time_ms == 0)
		return;
	old = atomic_exchange(&d->uri_dead_until[i], clock_ms() +
	    d->dead_time_ms);
	if (old == 0)
		log_warnx("step 2: %s: skipped for %lld s while another "
		    "ldap_uri is alive", d->uris[i], d->dead_time_ms / 1000);
}

static void
uri_mark_alive(const struct dir *d, size_t i)
{
	if (atomic_exchange(&d->uri_dead_until[i], 0) != 0)
		log_info("step 2: %s: alive again", d->uris[i]);
}

/*
 * Connects c to the first ldap_uri that answers, in order, skipping those
 * that failed within ldap_dead_time_s while another is alive (when all did,
 * the first is tried). Returns DIR_FOUND when connected, else
 * DIR_UNAVAILABLE with the reason in the audit line.
 */
static enum dir_result
conn_establish(struct dir_conn *c, long long deadline, struct audit *a)
{
	const struct dir *d = c->d;
	struct dir_err e;
	long long now = clock_ms();
	bool any_usable = false;
	size_t i;
	int rc = LDAP_SERVER_DOWN;

	memset(&e, 0, sizeof(e));
	for (i = 0; i < d->uri_count; i++)
		any_usable |= uri_usable(d, i, now);
	for (i = 0; i < d->uri_count; i++) {
		if (!uri_usable(d, i, now) && (any_usable || i > 0)) {
			log_debug("step 2: skipping %s (dead)", d->uris[i]);
			continue;
		}
		if (clock_ms() >= deadline)
			break;	/* no time left: the next server is not to blame */
		rc = conn_open(c, d->uris[i], deadline, &c->ld, &e);
		conn_count(d, i, rc, &e);
		if (rc == LDAP_SUCCESS) {
			c->uri_index = i;
			uri_mark_alive(d, i);
			log_debug("step 2: connected to %s", d->uris[i]);
			return DIR_FOUND;
		}
		err_log(&e);
		/* A wrong service password is wrong everywhere; more tries
		 * would only lock the account out. The server is alive. */
		if (rc == LDAP_INVALID_CREDENTIALS)
			break;
		uri_mark_dead(d, i);
	}
	if (e.uri == NULL) {
		/* Nothing tried: the deadline had passed. */
		audit_reason(a, "step 2: directory unavailable: no time left");
		return DIR_UNAVAILABLE;
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
	bool fresh, ran;
	int rc, attempt, count;

	memset(&e, 0, sizeof(e));
	for (attempt = 0; ; attempt++) {
		fresh = false;
		if (c->ld == NULL) {
			if ((ret = conn_establish(c, deadline, a)) != DIR_FOUND)
				return ret;
			fresh = true;
		}
		ran = false;
		if (!step_time(d, deadline, &tv)) {
			rc = LDAP_TIMEOUT;	/* no time left: not the server's fault */
		} else {
			ran = true;
			/* Size limit 2: enough to tell one entry from several. The
			 * timeout is also the server's time limit (RFC 4511 4.5.1.5). */
			rc = ldap_search_ext_s(c->ld, base, LDAP_SCOPE_SUBTREE, filter,
			    attrs, 0, NULL, NULL, &tv, 2, &res);
		}
		if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) {
			metrics_ldap_answered(c->uri_index);
			break;
		}
		if (ran)
			metrics_ldap_error(c->uri_index);
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
			metrics_ldap_reconnect(c->uri_index);
			continue;
		}
		/* A server that does not answer a search is dead too. */
		if (ran && (rc == LDAP_TIMEOUT || conn_lost(rc)))
			uri_mark_dead(d, c->uri_index);
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
	struct dir_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->d = d;
	c->wd.fd = -1;
	c->cb.lc_add = watchdog_add;
	c->cb.lc_del = watchdog_del;
	c->cb.lc_arg = &c->wd;
	if (clock_sync_init(&c->wd.mu, &c->wd.cv) != 0) {
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

/* ---- the pool ---------------------------------------------------------- */

struct dir_pool *
dir_pool_new(const struct dir *d, unsigned size)
{
	struct dir_pool *p;
	size_t i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->conns = calloc(size, sizeof(*p->conns));
	p->idle = calloc(size, sizeof(*p->idle));
	if (p->conns == NULL || p->idle == NULL)
		goto fail;
	for (p->size = 0; p->size < size; p->size++)
		if ((p->conns[p->size] = dir_conn_new(d)) == NULL)
			goto fail;
	/* The first connection on top: one client opens one connection. */
	for (i = 0; i < size; i++)
		p->idle[i] = p->conns[size - 1 - i];
	p->idle_count = size;
	if (clock_sync_init(&p->mu, &p->cv) != 0)
		goto fail;
	return p;
fail:
	for (i = 0; i < p->size; i++)
		dir_conn_free(p->conns[i]);
	free(p->conns);
	free(p->idle);
	free(p);
	return NULL;
}

void
dir_pool_free(struct dir_pool *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->size; i++)
		dir_conn_free(p->conns[i]);
	free(p->conns);
	free(p->idle);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/*
 * Takes an idle connection for this lookup alone, waiting while all
 * ldap_connections are busy, at most until deadline (clock_ms()). Returns it,
 * or NULL with the reason in the audit line.
 */
static struct dir_conn *
pool_acquire(const struct dir *d, long long deadline, struct audit *a)
{
	struct dir_pool *p = d->pool;
	struct dir_conn *c = NULL;
	struct timespec ts;
	long long left;
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	while (p->idle_count == 0 && rc != ETIMEDOUT) {
		if ((left = deadline - clock_ms()) <= 0)
			break;
		clock_ts_after(left, &ts);
		rc = pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	if (p->idle_count > 0) {
		c = p->idle[--p->idle_count];
		if (c->leased) {
			/* Cannot happen; if it did, two requests would share it. */
			log_err("step 2: connection pool: a leased connection "
			    "was idle");
			p->idle_count++;
			c = NULL;
		} else {
			c->leased = true;
		}
	}
	pthread_mutex_unlock(&p->mu);
	if (c == NULL)
		audit_reason(a, "step 2: directory unavailable: all %zu "
		    "ldap_connections busy until the deadline", p->size);
	return c;
}

static void
pool_release(const struct dir *d, struct dir_conn *c)
{
	struct dir_pool *p = d->pool;

	pthread_mutex_lock(&p->mu);
	c->leased = false;
	p->idle[p->idle_count++] = c;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

enum dir_result
dir_lookup(const struct dir *d, const char *username, struct dir_user *out,
    struct audit *a)
{
	struct dir_conn *c = NULL;
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

	/* Every network step gets ldap_timeout_ms; the whole lookup, with its
	 * wait for a connection, at most one per server plus one for the search. */
	deadline = clock_ms() + (long long)d->timeout_ms * (long long)(d->uri_count + 1);
	if ((c = pool_acquire(d, deadline, a)) == NULL) {
		r = DIR_UNAVAILABLE;
		goto cleanup;
	}
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
	if (name.upn && !dir_dn_same(out->dn, by_upn.dn)) {
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
	if (c != NULL)
		pool_release(d, c);
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
dir_probe(const struct dir *d, const char **uri, struct audit *a)
{
	struct dir_conn *c;
	enum dir_result r;

	*uri = NULL;
	if (!d->configured) {
		audit_reason(a, "not configured (ldap_uri, domain)");
		return DIR_NOT_CONFIGURED;
	}
	/* A fresh connection and bind of its own, as a new pool connection makes. */
	if ((c = dir_conn_new(d)) == NULL) {
		audit_reason(a, "out of memory");
		return DIR_NOMEM;
	}
	r = conn_establish(c, clock_ms() + (long long)d->timeout_ms *
	    (long long)d->uri_count, a);
	if (r == DIR_FOUND)
		*uri = d->uris[c->uri_index];
	dir_conn_free(c);
	return r;
}

size_t
dir_uri_count(const struct dir *d)
{
	return d->uri_count;
}

enum dir_result
dir_probe_uri(const struct dir *d, size_t i, struct audit *a)
{
	struct dir_conn *c;
	struct dir_err e;
	LDAP *ld = NULL;
	int rc;

	if (!d->configured || i >= d->uri_count) {
		audit_reason(a, "not configured (ldap_uri, domain)");
		return DIR_NOT_CONFIGURED;
	}
	if ((c = dir_conn_new(d)) == NULL) {
		audit_reason(a, "out of memory");
		return DIR_NOMEM;
	}
	memset(&e, 0, sizeof(e));
	rc = conn_open(c, d->uris[i], clock_ms() + (long long)d->timeout_ms, &ld,
	    &e);
	conn_count(d, i, rc, &e);
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	dir_conn_free(c);
	if (rc == LDAP_SUCCESS)
		return DIR_FOUND;
	audit_reason(a, "%s: %s%s%s", e.stage, ldap_err2string(e.rc),
	    e.diag[0] ? ": " : "", e.diag);
	return DIR_UNAVAILABLE;
}
