/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 3 of MS-OTPCE 3.2.5.1: "Validate user name, static password (if
 * available), and one-time password (OTP) ... using PAP over RADIUS".
 * A small PAP client (RFC 2865) that signs every request and requires a
 * signed reply (RFC 3579 3.2; BlastRADIUS, CVE-2024-3596). The packets
 * themselves are built and checked in radius_packet.c, one authentication
 * runs in radius_auth.c; here are the servers, their health and the
 * Status-Server monitor.
 *
 * Concurrency: struct radius is read-only after radius_new(). Each
 * authentication (struct radius_auth) opens its own UDP socket per server
 * and connect()s it, so the kernel delivers only that server's datagrams to
 * it, and the (source port, Identifier) pair of a request is unique while it waits:
 * concurrent workers cannot collide (RFC 5080 2.2.2 keys duplicates on
 * source address, port and Identifier).
 *
 * Dead-server memory (issue 10), as FreeRADIUS's home servers and Windows'
 * server scores do: the one mutable part, struct radius_health per server,
 * changed with atomics only. A server that gave no valid answer is dead for
 * radius_dead_time_s and skipped while another is alive; when all are dead
 * the first is asked. A valid answer revives it; with radius_status_server =
 * yes it stays dead past its dead time until a monitor thread (started on
 * the first death) gets a valid answer to an RFC 5997 Status-Server.
 * docs/design.md draws the state machine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "clock.h"
#include "config.h"
#include "dir.h"
#include "log.h"
#include "metrics.h"
#include "radius.h"
#include "radius_internal.h"
#include "radius_packet.h"
#include "secret.h"

#define RADIUS_DEFAULT_PORT "1812"	/* RFC 2865 3 */
/* RFC 2865 3: the secret "SHOULD be at least as large and unguessable as a well-chosen password" */
#define RADIUS_SECRET_MIN_ADVISED 16

/* The Status-Server monitor (radius_status_server = yes). */
struct radius_monitor {
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* CLOCK_MONOTONIC */
	pthread_t thread;
	bool started;
	bool stop;
	int stop_pipe[2];		/* written at shutdown: ends an exchange */
};

/* Why a reply was dropped, for the otpcep_radius_dropped_replies_total counter. */
static enum metrics_radius_drop
radius_drop_cause(enum radius_pkt_result pr)
{
	switch (pr) {
	case RADIUS_PKT_BAD_ID:
		return METRICS_DROP_IDENTIFIER;
	case RADIUS_PKT_BAD_AUTHENTICATOR:
		return METRICS_DROP_AUTHENTICATOR;
	case RADIUS_PKT_NO_MA:
	case RADIUS_PKT_BAD_MA:
		return METRICS_DROP_MESSAGE_AUTHENTICATOR;
	default:
		return METRICS_DROP_MALFORMED;
	}
}

static struct radius_monitor *radius_monitor_new(void);
static void radius_monitor_free(struct radius_monitor *m);

const char *
radius_strerror(enum radius_result r)
{
	switch (r) {
	case RADIUS_ACCEPT:
		return "Access-Accept";
	case RADIUS_REJECT:
		return "Access-Reject";
	case RADIUS_CHALLENGE:
		return "Access-Challenge";
	case RADIUS_UNREACHABLE:
		return "no valid answer from any RADIUS server";
	case RADIUS_BAD_INPUT:
		return "user name or password unfit for RADIUS";
	case RADIUS_NOT_CONFIGURED:
		return "RADIUS is not configured";
	case RADIUS_ERROR:
		return "RADIUS client failure";
	case RADIUS_UNSIGNED:
		return "answered without Message-Authenticator";
	}
	return "unknown RADIUS result";
}

/*
 * Splits "host", "host:port", "[v6]:port", "[v6]" or a bare IPv6 address
 * (config.c has checked the port) and resolves it once, at start-up.
 * Returns 0 or -1 with a log line.
 */
static int
radius_resolve(const char *spec, struct radius_server *srv)
{
	char host[256];
	const char *port = RADIUS_DEFAULT_PORT, *colon;
	struct addrinfo hints, *res = NULL;
	size_t host_len;
	int rc;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			goto bad;
		host_len = (size_t)(end - spec - 1);
		spec++;
		if (end[1] == ':')
			port = end + 2;
	} else if ((colon = strchr(spec, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		host_len = (size_t)(colon - spec);
		port = colon + 1;
	} else {
		host_len = strlen(spec);	/* a name, IPv4 or bare IPv6 */
	}
	if (host_len == 0 || host_len >= sizeof(host) || port[0] == '\0')
		goto bad;
	memcpy(host, spec, host_len);
	host[host_len] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_err("radius_server '%s': %s", srv->name, gai_strerror(rc));
		return -1;
	}
	if (res->ai_addrlen > sizeof(srv->addr)) {
		freeaddrinfo(res);
		goto bad;
	}
	memcpy(&srv->addr, res->ai_addr, res->ai_addrlen);
	srv->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	log_err("radius_server '%s': not host[:port] or [address]:port",
	    srv->name);
	return -1;
}

/*
 * radius_secret_file holds one line (the secret of every server) or one line
 * per radius_server, in the same order. A trailing "\r" on a line is not part
 * of the secret. Points each server at its secret. Returns 0 or -1.
 */
static int
radius_split_secrets(struct radius *r, const char *path)
{
	uint8_t *p = r->secrets.data, *end = p + r->secrets.len, *nl;
	size_t lines = 1, i;

	for (nl = p; (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL; nl++)
		lines++;
	if (lines != 1 && lines != r->server_count) {
		log_err("radius_secret_file %s: %zu lines, but %zu radius_server: "
		    "give one secret, or one per server in the same order",
		    path, lines, r->server_count);
		return -1;
	}
	for (i = 0; i < lines; i++) {
		size_t len;

		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl ? nl : end) - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0) {
			log_err("radius_secret_file %s: line %zu is empty",
			    path, i + 1);
			return -1;
		}
		if (len < RADIUS_SECRET_MIN_ADVISED)
			log_warnx("radius_secret_file %s: line %zu: a shared "
			    "secret of fewer than %d bytes is weak (RFC 2865 3)",
			    path, i + 1, RADIUS_SECRET_MIN_ADVISED);
		r->servers[i].secret = p;
		r->servers[i].secret_len = len;
		p = nl ? nl + 1 : end;
	}
	for (i = lines; i < r->server_count; i++) {
		r->servers[i].secret = r->servers[0].secret;
		r->servers[i].secret_len = r->servers[0].secret_len;
	}
	return 0;
}

/*
 * The options after host[:port] (config.c has checked them): timeout_ms=N,
 * retries=N and message_authenticator=require|optional for this server
 * alone; the radius_* keys otherwise.
 */
static void
radius_server_options(struct radius_server *srv, const char *item,
    const struct config *cfg)
{
	const char *opt = item + strcspn(item, " \t");

	srv->timeout_ms = cfg->radius_timeout_ms;
	srv->retries = cfg->radius_retries;
	srv->require_ma = cfg->radius_require_message_authenticator;
	while (*(opt += strspn(opt, " \t")) != '\0') {
		if (strncmp(opt, "timeout_ms=", 11) == 0)
			srv->timeout_ms = (unsigned)strtoul(opt + 11, NULL, 10);
		else if (strncmp(opt, "retries=", 8) == 0)
			srv->retries = (unsigned)strtoul(opt + 8, NULL, 10);
		else if (strncmp(opt, "message_authenticator=", 22) == 0)
			srv->require_ma = strncmp(opt + 22, "optional", 8) != 0;
		opt += strcspn(opt, " \t");
	}
}

struct radius *
radius_new(const struct config *cfg)
{
	struct radius *r;
	enum secret_result sr;
	size_t i;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_err("radius: out of memory");
		return NULL;
	}
	r->username_form = cfg->radius_username;
	r->dead_time_ms = (long long)cfg->radius_dead_time_s * 1000;
	r->status_server = cfg->radius_status_server;
	if (cfg->radius_server.count == 0) {
		/* docs/configuration.md: steps are configured whole or not at all. */
		log_warnx("step 3: RADIUS is not configured (no radius_server): "
		    "every request reaching it gets OtherError");
		return r;
	}
	if (cfg->radius_nas_identifier != NULL) {
		size_t len = strlen(cfg->radius_nas_identifier);

		if (len == 0 || len > RADIUS_ATTR_VALUE_MAX) {
			log_err("radius_nas_identifier: 1 to %d bytes",
			    RADIUS_ATTR_VALUE_MAX);
			goto fail;
		}
		if ((r->nas_identifier = strdup(cfg->radius_nas_identifier)) ==
		    NULL)
			goto nomem;
	}
	if (cfg->radius_nas_ip != NULL) {
		/* RFC 2865 5.4 NAS-IP-Address; RFC 3162 2.1 NAS-IPv6-Address */
		if (inet_pton(AF_INET, cfg->radius_nas_ip, r->nas_ip) == 1)
			r->nas_ip_len = 4;
		else if (inet_pton(AF_INET6, cfg->radius_nas_ip, r->nas_ip) == 1)
			r->nas_ip_len = 16;
		else {
			log_err("radius_nas_ip: '%s' is not an IPv4 or IPv6 "
			    "address", cfg->radius_nas_ip);
			goto fail;
		}
	}

	r->servers = calloc(cfg->radius_server.count, sizeof(*r->servers));
	r->health = calloc(cfg->radius_server.count, sizeof(*r->health));
	if (r->servers == NULL || r->health == NULL)
		goto nomem;
	r->server_count = cfg->radius_server.count;
	for (i = 0; i < r->server_count; i++) {
		const char *item = cfg->radius_server.items[i];

		r->servers[i].name = strndup(item, strcspn(item, " \t"));
		if (r->servers[i].name == NULL)
			goto nomem;
		r->servers[i].health = &r->health[i];
		r->servers[i].index = i;
		atomic_init(&r->health[i].state, RADIUS_SERVER_ALIVE);
		atomic_init(&r->health[i].dead_until, 0);
		radius_server_options(&r->servers[i], item, cfg);
		if (radius_resolve(r->servers[i].name, &r->servers[i]))
			goto fail;
		if (!r->servers[i].require_ma)
			log_warnx("radius_server %s: replies without a "
			    "Message-Authenticator are accepted (BlastRADIUS, "
			    "CVE-2024-3596)", r->servers[i].name);
	}
	if (r->status_server && (r->monitor = radius_monitor_new()) == NULL)
		goto nomem;

	sr = secret_read_file(cfg->radius_secret_file, &r->secrets);
	if (sr != SECRET_OK) {
		log_err("radius_secret_file %s: %s", cfg->radius_secret_file,
		    secret_strerror(sr));
		goto fail;
	}
	if (radius_split_secrets(r, cfg->radius_secret_file) != 0)
		goto fail;
	return r;
nomem:
	log_err("radius: out of memory");
fail:
	radius_free(r);
	return NULL;
}

void
radius_free(struct radius *r)
{
	size_t i;

	if (r == NULL)
		return;
	radius_monitor_free(r->monitor);
	for (i = 0; i < r->server_count; i++)
		free(r->servers[i].name);
	free(r->servers);
	free(r->health);
	secret_free(&r->secrets);
	free(r->nas_identifier);
	free(r);
}

const char *
radius_user_name(const struct radius *r, const char *as_sent,
    const struct dir_user *user, char buf[RADIUS_USER_NAME_BUF])
{
	bool have_account = user != NULL && user->account != NULL &&
	    user->account[0] != '\0';
	int n;

	switch (r->username_form) {
	case RADIUS_USERNAME_ACCOUNT:
		/* Issue 15: the sAMAccountName step 2 found, as AD spells it. */
		return have_account ? user->account : NULL;
	case RADIUS_USERNAME_DOMAIN_USER:
		/* NETBIOS\sAMAccountName, NETBIOS as the `domain` key spells it. */
		if (!have_account || user->domain == NULL || !user->domain[0])
			return NULL;
		n = snprintf(buf, RADIUS_USER_NAME_BUF, "%s\\%s", user->domain,
		    user->account);
		/* Style 7: too long is refused, never cut. */
		return n > 0 && n < RADIUS_USER_NAME_BUF ? buf : NULL;
	case RADIUS_USERNAME_AS_SENT:
		return as_sent;
	case RADIUS_USERNAME_UPN:
		return user != NULL && user->upn != NULL && user->upn[0] ?
		    user->upn : NULL;
	}
	return NULL;
}

/*
 * Reads one datagram from fd, the socket of an exchange with srv, and checks
 * it against the request (id, req_auth). Returns RADIUS_EX_VALID (ex->code),
 * RADIUS_EX_UNSIGNED, RADIUS_EX_ERROR, RADIUS_EX_WAIT (it was dropped, or an
 * ICMP error: the wait goes on) or RADIUS_EX_EMPTY (nothing to read).
 */
int
radius_take_reply(const struct radius_server *srv, int fd, uint8_t id,
    const uint8_t req_auth[RADIUS_AUTH_LEN], struct radius_exchange *ex)
{
	uint8_t reply[RADIUS_PACKET_MAX + 1];
	enum radius_pkt_result pr;
	ssize_t n;
	int ret = RADIUS_EX_WAIT;

	/* MSG_TRUNC: the datagram's real size, to refuse oversize. */
	n = recv(fd, reply, sizeof(reply), MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return RADIUS_EX_EMPTY;
		if (errno == EINTR)
			return RADIUS_EX_WAIT;
		/* An ICMP error (ECONNREFUSED...) is not authenticated either:
		 * note it, keep waiting. */
		ex->refused++;
		log_debug("radius %s: %s (ignored until the timeout)", srv->name,
		    strerror(errno));
		return RADIUS_EX_WAIT;
	}
	if ((size_t)n > RADIUS_PACKET_MAX) {
		ex->dropped++;
		metrics_radius_dropped(srv->index, METRICS_DROP_MALFORMED);
		log_debug("radius %s: dropped a %zd-byte datagram (RFC 2865 3: "
		    "at most 4096)", srv->name, n);
		goto cleanup;
	}
	pr = radius_pkt_check_reply(reply, (size_t)n, id, req_auth, srv->secret,
	    srv->secret_len, srv->require_ma, &ex->code);
	if (pr == RADIUS_PKT_OK) {
		metrics_radius_answered(srv->index);
		ret = RADIUS_EX_VALID;
		goto cleanup;
	}
	if (pr == RADIUS_PKT_CRYPTO) {
		log_err("radius %s: GnuTLS MD5/HMAC-MD5 failed", srv->name);
		ret = RADIUS_EX_ERROR;
		goto cleanup;
	}
	metrics_radius_dropped(srv->index, radius_drop_cause(pr));
	ex->dropped++;
	log_debug("radius %s: dropped a reply: %s", srv->name,
	    radius_pkt_strerror(pr));
	/*
	 * Its Response Authenticator was right (checked first): the server
	 * has our secret and does not sign. Never accepted (BlastRADIUS); the
	 * wait ends here: waiting longer cannot help (issue 15).
	 */
	if (pr == RADIUS_PKT_NO_MA) {
		ex->unsigned_reply = true;
		ret = RADIUS_EX_UNSIGNED;
	}
cleanup:
	secret_wipe(reply, sizeof(reply));
	return ret;
}

/*
 * A UDP socket connect()ed to srv: only datagrams from its address and port
 * reach it. Returns the descriptor, -1 on our own failure (logged), -2 when
 * srv cannot be reached (no route, say: the next server may do).
 */
int
radius_socket(const struct radius_server *srv)
{
	int fd;

	fd = socket(srv->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, IPPROTO_UDP);
	if (fd < 0) {
		log_warn("radius %s: socket", srv->name);
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&srv->addr, srv->addr_len)) {
		log_warn("radius %s: connect", srv->name);
		close(fd);
		return -2;
	}
	return fd;
}

/*
 * Sends pkt to srv up to 1 + retries times, each time waiting timeout_ms for
 * a reply that passes radius_pkt_check_reply(); anything else is dropped and
 * the wait continues to the same deadline, but for a reply that is right in
 * all but a required Message-Authenticator (RADIUS_EX_UNSIGNED). abort_fd
 * readable ends the exchange as RADIUS_EX_ERROR (the monitor's shutdown).
 * The Status-Server monitor's blocking exchange; requests use struct
 * radius_auth (radius_auth.c). Fills ex. Returns RADIUS_EX_VALID (ex->code),
 * RADIUS_EX_UNSIGNED, RADIUS_EX_SILENT or RADIUS_EX_ERROR.
 */
static int
radius_exchange(const struct radius_server *srv,
    const uint8_t *pkt, size_t pkt_len, uint8_t id,
    const uint8_t req_auth[RADIUS_AUTH_LEN], int abort_fd,
    struct radius_exchange *ex)
{
	struct pollfd pfd[2];
	long long deadline, left;
	unsigned attempt;
	int fd, n, ret = RADIUS_EX_ERROR;

	memset(ex, 0, sizeof(*ex));
	if ((fd = radius_socket(srv)) < 0)
		return fd == -2 ? RADIUS_EX_SILENT : RADIUS_EX_ERROR;
	metrics_radius_request(srv->index);
	for (attempt = 0; attempt <= srv->retries; attempt++) {
		/* RFC 2865 2.5: a retransmission is the same packet, same Identifier. */
		if (attempt > 0)
			metrics_radius_retransmission(srv->index);
		if (send(fd, pkt, pkt_len, 0) < 0)
			log_debug("radius %s: send: %s", srv->name,
			    strerror(errno));
		else
			ex->sent++;
		deadline = clock_ms() + srv->timeout_ms;
		while ((left = deadline - clock_ms()) > 0) {
			pfd[0].fd = fd;
			pfd[0].events = POLLIN;
			pfd[0].revents = 0;
			pfd[1].fd = abort_fd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			n = poll(pfd, abort_fd >= 0 ? 2 : 1, (int)left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				log_warn("radius %s: poll", srv->name);
				goto cleanup;
			}
			if (n == 0)
				break;
			if (abort_fd >= 0 && pfd[1].revents != 0)
				goto cleanup;	/* shutting down */
			if (pfd[0].revents == 0)
				continue;
			ret = radius_take_reply(srv, fd, id, req_auth, ex);
			if (ret != RADIUS_EX_WAIT && ret != RADIUS_EX_EMPTY)
				goto cleanup;
			ret = RADIUS_EX_ERROR;
		}
	}
	metrics_radius_timeout(srv->index);
	ret = RADIUS_EX_SILENT;
cleanup:
	close(fd);
	return ret;
}

/* ---- dead-server memory ------------------------------------------------ */

/*
 * Whether srv may be asked now: alive, or (without radius_status_server)
 * dead for longer than radius_dead_time_s. With radius_status_server = yes
 * only the monitor's Status-Server (or a request made when all are dead)
 * brings it back.
 */
bool
radius_usable(const struct radius *r, const struct radius_server *srv,
    long long now)
{
	if (atomic_load(&srv->health->state) == RADIUS_SERVER_ALIVE)
		return true;
	return !r->status_server &&
	    now >= atomic_load(&srv->health->dead_until);
}

void
radius_mark_alive(const struct radius_server *srv, const char *how)
{
	int old = atomic_exchange(&srv->health->state, RADIUS_SERVER_ALIVE);

	metrics_radius_dead(srv->index, false);
	if (old != RADIUS_SERVER_ALIVE)
		log_info("radius %s: alive again (%s)", srv->name, how);
}

/* Wakes the monitor, starting it on first use. */
static void
radius_monitor_kick(const struct radius *r);

/* state: RADIUS_SERVER_DEAD or RADIUS_SERVER_UNSIGNED. */
void
radius_mark_dead(const struct radius *r, const struct radius_server *srv,
    enum radius_server_state state)
{
	int old;

	/* With radius_status_server, at most one Status-Server a second. */
	atomic_store(&srv->health->dead_until, clock_ms() +
	    (r->status_server && r->dead_time_ms < 1000 ? 1000 : r->dead_time_ms));
	old = atomic_exchange(&srv->health->state, (int)state);
	metrics_radius_dead(srv->index, true);
	if (old != (int)state && r->dead_time_ms > 0)
		log_warnx("radius %s: %s: skipped for %lld s while another "
		    "server is alive%s", srv->name, state ==
		    RADIUS_SERVER_UNSIGNED ? "answers without "
		    "Message-Authenticator" : "no answer", r->dead_time_ms / 1000,
		    r->status_server ? ", then until it answers Status-Server" :
		    "");
	if (r->status_server)
		radius_monitor_kick(r);
}

enum radius_server_state
radius_server_state(const struct radius *r, size_t i, long long *left_ms)
{
	const struct radius_health *h;
	long long left;

	if (left_ms)
		*left_ms = 0;
	if (i >= radius_server_count(r))
		return RADIUS_SERVER_DEAD;
	h = r->servers[i].health;
	if (atomic_load(&h->state) == RADIUS_SERVER_ALIVE)
		return RADIUS_SERVER_ALIVE;
	left = atomic_load(&h->dead_until) - clock_ms();
	if (left_ms)
		*left_ms = left > 0 ? left : 0;
	return (enum radius_server_state)atomic_load(&h->state);
}

/*
 * A fresh Identifier and Request Authenticator (RFC 2865 3: unpredictable
 * and unique; RFC 5997 3 the same for Status-Server). Returns 0 or -1.
 */
int
radius_fresh_ids(uint8_t *id, uint8_t req_auth[RADIUS_AUTH_LEN])
{
	if (gnutls_rnd(GNUTLS_RND_RANDOM, req_auth, RADIUS_AUTH_LEN) ||
	    gnutls_rnd(GNUTLS_RND_NONCE, id, 1)) {
		log_err("radius: gnutls_rnd failed");
		return -1;
	}
	return 0;
}

/* radius_status_server(), which the monitor ends early through abort_fd. */
static enum radius_result
radius_status_exchange(const struct radius *r, size_t i, int abort_fd)
{
	const struct radius_server *srv;
	struct radius_exchange ex;
	uint8_t pkt[RADIUS_PACKET_MAX];
	uint8_t req_auth[RADIUS_AUTH_LEN];
	size_t pkt_len = 0;
	uint8_t id;
	int rc;

	if (i >= radius_server_count(r))
		return RADIUS_NOT_CONFIGURED;
	srv = &r->servers[i];
	if (radius_fresh_ids(&id, req_auth) != 0)
		return RADIUS_ERROR;
	if (radius_pkt_status_server(pkt, &pkt_len, id, req_auth, srv->secret,
	    srv->secret_len, r->nas_identifier) != RADIUS_PKT_OK) {
		log_err("radius %s: cannot build a Status-Server", srv->name);
		return RADIUS_ERROR;
	}
	rc = radius_exchange(srv, pkt, pkt_len, id, req_auth, abort_fd, &ex);
	secret_wipe(pkt, pkt_len);
	switch (rc) {
	case RADIUS_EX_VALID:
		/* RFC 5997 3: Access-Accept; any authenticated answer is life. */
		radius_mark_alive(srv, "answered Status-Server");
		return RADIUS_ACCEPT;
	case RADIUS_EX_UNSIGNED:
		radius_mark_dead(r, srv, RADIUS_SERVER_UNSIGNED);
		return RADIUS_UNSIGNED;
	case RADIUS_EX_SILENT:
		log_debug("radius %s: no valid answer to Status-Server (%u sent, "
		    "%u dropped)", srv->name, ex.sent, ex.dropped);
		radius_mark_dead(r, srv, RADIUS_SERVER_DEAD);
		return RADIUS_UNREACHABLE;
	default:
		return RADIUS_ERROR;
	}
}

enum radius_result
radius_status_server(const struct radius *r, size_t i)
{
	return radius_status_exchange(r, i, -1);
}

/* ---- the Status-Server monitor ------------------------------------------ */

static struct radius_monitor *
radius_monitor_new(void)
{
	struct radius_monitor *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	/* Made at start-up, before any sandbox: writing to it is all that is left. */
	if (pipe2(m->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		free(m);
		return NULL;
	}
	if (clock_sync_init(&m->mu, &m->cv) != 0) {
		close(m->stop_pipe[0]);
		close(m->stop_pipe[1]);
		free(m);
		return NULL;
	}
	return m;
}

static void
radius_monitor_free(struct radius_monitor *m)
{
	bool started;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = true;
	started = m->started;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
	/* A Status-Server exchange in progress ends at once. */
	if (write(m->stop_pipe[1], "x", 1) < 0)
		log_debug("radius: monitor stop: %s", strerror(errno));
	if (started)
		pthread_join(m->thread, NULL);
	close(m->stop_pipe[0]);
	close(m->stop_pipe[1]);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/*
 * The monitor: sleeps until a dead server's dead time is over, then asks it
 * with Status-Server (radius_status_server() revives it or marks it dead for
 * another radius_dead_time_s). Requests never wait for these exchanges.
 */
static void *
radius_monitor_run(void *arg)
{
	const struct radius *r = arg;
	struct radius_monitor *m = r->monitor;
	long long now, next, until;
	struct timespec ts;
	size_t i, due;

	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		now = clock_ms();
		next = LLONG_MAX;
		due = r->server_count;
		for (i = 0; i < r->server_count && due == r->server_count; i++) {
			if (atomic_load(&r->health[i].state) == RADIUS_SERVER_ALIVE)
				continue;
			until = atomic_load(&r->health[i].dead_until);
			if (until <= now)
				due = i;
			else if (until < next)
				next = until;
		}
		if (due < r->server_count) {
			pthread_mutex_unlock(&m->mu);
			radius_status_exchange(r, due, m->stop_pipe[0]);
			pthread_mutex_lock(&m->mu);
			continue;
		}
		if (next == LLONG_MAX) {
			pthread_cond_wait(&m->cv, &m->mu);
			continue;
		}
		clock_ts_after(next - now, &ts);
		pthread_cond_timedwait(&m->cv, &m->mu, &ts);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

static void
radius_monitor_kick(const struct radius *r)
{
	struct radius_monitor *m = r->monitor;
	int rc;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	if (!m->started && !m->stop) {
		/* Started on the first death: none of this before the workers run. */
		rc = pthread_create(&m->thread, NULL, radius_monitor_run,
		    (void *)(uintptr_t)r);
		if (rc == 0)
			m->started = true;
		else
			log_err("radius: cannot start the Status-Server monitor: %s",
			    strerror(rc));
	}
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

size_t
radius_server_count(const struct radius *r)
{
	return r == NULL ? 0 : r->server_count;
}

const char *
radius_server_name(const struct radius *r, size_t i)
{
	return i < radius_server_count(r) ? r->servers[i].name : NULL;
}

enum radius_result
radius_probe(const struct radius *r, size_t i, const char *user_name,
    const uint8_t *password, size_t password_len)
{
	struct radius one;
	struct audit a;

	if (i >= radius_server_count(r))
		return RADIUS_NOT_CONFIGURED;
	/* The same client, with server i alone in its list. */
	one = *r;
	one.servers = &r->servers[i];
	one.server_count = 1;
	one.monitor = NULL;	/* the real client's monitor watches r, not one */
	memset(&a, 0, sizeof(a));
	return radius_authenticate(&one, user_name, password, password_len, &a);
}
