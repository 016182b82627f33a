/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 3 of MS-OTPCE 3.2.5.1, one Access-Request's way through the RADIUS
 * servers (RFC 2865): the first usable server is asked, retransmissions
 * repeat the packet (2.5), a server that gives no valid answer is marked
 * dead and the next one asked. radius.c holds the servers and their health;
 * radius_packet.c builds and checks the packets; radius_wait.c waits for
 * many of these at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "radius.h"
#include "radius_internal.h"
#include "secret.h"

/*
 * One Access-Request's way through the servers, as a state machine: the
 * workers do not wait for RADIUS (issue 10: a thread per waiting request
 * cost a third of the throughput at 1024 at once); src/radius_wait.c drives
 * many of these from one thread, radius_auth_wait() one alone.
 */
struct radius_auth {
	const struct radius *r;
	struct audit *a;
	char *user_name;		/* copies: the caller's may go */
	uint8_t *password;
	size_t password_len;
	struct radius_request_attrs attrs;
	long long started;		/* clock_ms(): which servers are usable */
	bool any_usable;
	size_t next;			/* the next server to consider */
	size_t asked;
	unsigned dropped;
	const char *unsigned_by;
	/* The exchange with the server asked now (RFC 2865 2.5). */
	const struct radius_server *srv;
	int fd;
	unsigned exchanges;		/* sockets opened so far */
	uint8_t id;
	uint8_t req_auth[RADIUS_AUTH_LEN];
	uint8_t pkt[RADIUS_PACKET_MAX];
	size_t pkt_len;
	unsigned attempt;
	long long deadline;
	struct radius_exchange ex;
	bool done;
	enum radius_result result;
};

static void
auth_finish(struct radius_auth *x, enum radius_result result)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	x->srv = NULL;
	secret_wipe(x->pkt, sizeof(x->pkt));
	secret_wipe(x->req_auth, sizeof(x->req_auth));
	x->done = true;
	x->result = result;
}

/* RFC 2865 2.5: a retransmission is the same packet, same Identifier. */
static void
auth_send(struct radius_auth *x)
{
	if (x->attempt > 0)
		metrics_radius_retransmission(x->srv->index);
	if (send(x->fd, x->pkt, x->pkt_len, 0) < 0)
		log_debug("radius %s: send: %s", x->srv->name, strerror(errno));
	else
		x->ex.sent++;
	x->deadline = clock_ms() + x->srv->timeout_ms;
}

/* No server is left to ask. */
static void
auth_exhausted(struct radius_auth *x)
{
	if (x->unsigned_by != NULL) {
		audit_reason(x->a, "step 3: server %s answered without "
		    "Message-Authenticator", x->unsigned_by);
		auth_finish(x, RADIUS_UNSIGNED);
		return;
	}
	audit_reason(x->a, "step 3: no valid answer from %zu RADIUS server%s "
	    "(%u replies dropped%s)", x->asked, x->asked == 1 ? "" : "s",
	    x->dropped, x->asked < x->r->server_count ?
	    "; the others are dead" : "");
	auth_finish(x, RADIUS_UNREACHABLE);
}

/* srv gave no valid answer (or cannot be reached): dead for a while. */
static void
auth_silent(struct radius_auth *x, const struct radius_server *srv)
{
	log_warnx("step 3: no valid answer from RADIUS server %s (%u sent, %u "
	    "replies dropped, %u ICMP errors)", srv->name, x->ex.sent,
	    x->ex.dropped, x->ex.refused);
	radius_mark_dead(x->r, srv, RADIUS_SERVER_DEAD);
}

/*
 * Asks the next server that may be asked: dead servers are skipped while
 * another is alive; when all are dead, the first is asked (as FreeRADIUS
 * and NPS do). Finishes when none is left.
 */
static void
auth_next_server(struct radius_auth *x)
{
	const struct radius *r = x->r;
	enum radius_pkt_result pr;
	int fd;

	for (; x->next < r->server_count; x->next++) {
		const struct radius_server *srv = &r->servers[x->next];

		if (!radius_usable(r, srv, x->started) &&
		    (x->any_usable || x->next > 0)) {
			log_debug("step 3: skipping RADIUS server %s (dead)",
			    srv->name);
			continue;
		}
		x->asked++;
		memset(&x->ex, 0, sizeof(x->ex));
		if (radius_fresh_ids(&x->id, x->req_auth) != 0) {
			audit_reason(x->a, "step 3: no random numbers");
			auth_finish(x, RADIUS_ERROR);
			return;
		}
		pr = radius_pkt_access_request(x->pkt, &x->pkt_len, x->id,
		    x->req_auth, srv->secret, srv->secret_len, &x->attrs);
		if (pr == RADIUS_PKT_BAD_NAME || pr == RADIUS_PKT_BAD_PASSWORD) {
			/* Style 7: truncation means rejection. */
			log_warnx("step 3: not sent: %s", radius_pkt_strerror(pr));
			audit_reason(x->a, "step 3: %s", radius_pkt_strerror(pr));
			auth_finish(x, RADIUS_BAD_INPUT);
			return;
		}
		if (pr != RADIUS_PKT_OK) {
			log_err("step 3: cannot build the Access-Request: %s",
			    radius_pkt_strerror(pr));
			audit_reason(x->a, "step 3: %s", radius_pkt_strerror(pr));
			auth_finish(x, RADIUS_ERROR);
			return;
		}
		if ((fd = radius_socket(srv)) == -1) {
			audit_reason(x->a, "step 3: local failure asking %s",
			    srv->name);
			auth_finish(x, RADIUS_ERROR);
			return;
		}
		if (fd == -2) {
			auth_silent(x, srv);
			continue;
		}
		x->srv = srv;
		x->fd = fd;
		x->exchanges++;
		x->attempt = 0;
		x->next++;
		metrics_radius_request(srv->index);
		auth_send(x);
		return;
	}
	auth_exhausted(x);
}

/* The exchange with x->srv ended (rc: a RADIUS_EX_ outcome). */
static void
auth_server_done(struct radius_auth *x, int rc)
{
	const struct radius_server *srv = x->srv;

	close(x->fd);
	x->fd = -1;
	x->srv = NULL;
	secret_wipe(x->pkt, sizeof(x->pkt));
	x->dropped += x->ex.dropped;
	switch (rc) {
	case RADIUS_EX_VALID:
		radius_mark_alive(srv, "answered a request");
		log_debug("step 3: %s from %s (%u sent, %u dropped)",
		    x->ex.code == RADIUS_CODE_ACCESS_ACCEPT ? "Access-Accept" :
		    x->ex.code == RADIUS_CODE_ACCESS_REJECT ? "Access-Reject" :
		    "Access-Challenge", srv->name, x->ex.sent, x->ex.dropped);
		/* MS-OTPCE 3.2.5.1 step 3 */
		switch (x->ex.code) {
		case RADIUS_CODE_ACCESS_ACCEPT:
			auth_finish(x, RADIUS_ACCEPT);
			break;
		case RADIUS_CODE_ACCESS_REJECT:
			audit_reason(x->a, "step 3: Access-Reject from %s",
			    srv->name);
			auth_finish(x, RADIUS_REJECT);
			break;
		default:
			/* This protocol cannot carry State back: no second round. */
			audit_reason(x->a, "step 3: Access-Challenge from %s",
			    srv->name);
			auth_finish(x, RADIUS_CHALLENGE);
			break;
		}
		return;
	case RADIUS_EX_UNSIGNED:
		/* Issue 15: say why at once; never accepted (RFC 3579 3.2). */
		log_warnx("step 3: RADIUS server %s answered without "
		    "Message-Authenticator: dropped (sign replies there, or set "
		    "message_authenticator=optional on its radius_server line)",
		    srv->name);
		if (x->unsigned_by == NULL)
			x->unsigned_by = srv->name;
		radius_mark_dead(x->r, srv, RADIUS_SERVER_UNSIGNED);
		break;
	case RADIUS_EX_SILENT:
		auth_silent(x, srv);
		break;
	default:
		audit_reason(x->a, "step 3: local failure asking %s", srv->name);
		auth_finish(x, RADIUS_ERROR);
		return;
	}
	auth_next_server(x);
}

struct radius_auth *
radius_auth_start(const struct radius *r, const char *user_name,
    const uint8_t *password, size_t password_len, struct audit *a)
{
	struct radius_auth *x;
	size_t i;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		log_err("step 3: out of memory");
		audit_reason(a, "step 3: out of memory");
		return NULL;
	}
	x->r = r;
	x->a = a;
	x->fd = -1;
	if (r == NULL || r->server_count == 0) {
		log_err("step 3: RADIUS is not configured (radius_server, "
		    "radius_secret_file)");
		audit_reason(a, "step 3: RADIUS is not configured");
		auth_finish(x, RADIUS_NOT_CONFIGURED);
		return x;
	}
	if (user_name == NULL) {
		log_warnx("step 3: no User-Name to send (radius_username: the "
		    "directory gave no %s)", r->username_form ==
		    RADIUS_USERNAME_UPN ? "userPrincipalName" : "account name");
		audit_reason(a, "step 3: no User-Name for radius_username");
		auth_finish(x, RADIUS_BAD_INPUT);
		return x;
	}
	if ((x->user_name = strdup(user_name)) == NULL ||
	    (x->password = malloc(password_len ? password_len : 1)) == NULL) {
		log_err("step 3: out of memory");
		audit_reason(a, "step 3: out of memory");
		auth_finish(x, RADIUS_ERROR);
		return x;
	}
	memcpy(x->password, password, password_len);
	x->password_len = password_len;
	x->attrs.user_name = x->user_name;
	x->attrs.password = x->password;
	x->attrs.password_len = password_len;
	x->attrs.nas_identifier = r->nas_identifier;
	x->attrs.nas_ip = r->nas_ip_len ? r->nas_ip : NULL;
	x->attrs.nas_ip_len = r->nas_ip_len;
	x->started = clock_ms();
	for (i = 0; i < r->server_count; i++)
		x->any_usable |= radius_usable(r, &r->servers[i], x->started);
	auth_next_server(x);
	return x;
}

/* At most this many datagrams are read per turn: a flood cannot hold the waiter. */
#define RADIUS_READS_PER_TURN 16

void
radius_auth_run(struct radius_auth *x, bool readable)
{
	unsigned i;
	int rc;

	if (x == NULL || x->done)
		return;
	for (i = 0; readable && i < RADIUS_READS_PER_TURN; i++) {
		rc = radius_take_reply(x->srv, x->fd, x->id, x->req_auth, &x->ex);
		if (rc == RADIUS_EX_EMPTY)
			break;
		if (rc != RADIUS_EX_WAIT) {
			auth_server_done(x, rc);
			return;
		}
	}
	if (clock_ms() < x->deadline)
		return;
	if (++x->attempt <= x->srv->retries) {
		auth_send(x);
		return;
	}
	metrics_radius_timeout(x->srv->index);
	auth_server_done(x, RADIUS_EX_SILENT);
}

bool
radius_auth_done(const struct radius_auth *x)
{
	return x == NULL || x->done;
}

int
radius_auth_fd(const struct radius_auth *x, unsigned *exchange)
{
	if (exchange != NULL)
		*exchange = x != NULL ? x->exchanges : 0;
	return x != NULL && !x->done ? x->fd : -1;
}

long long
radius_auth_deadline(const struct radius_auth *x)
{
	return x != NULL && !x->done ? x->deadline : 0;
}

enum radius_result
radius_auth_result(const struct radius_auth *x)
{
	return x != NULL && x->done ? x->result : RADIUS_ERROR;
}

void
radius_auth_wait(struct radius_auth *x)
{
	struct pollfd p;
	long long left;
	int n;

	while (x != NULL && !x->done) {
		p.fd = x->fd;
		p.events = POLLIN;
		p.revents = 0;
		left = x->deadline - clock_ms();
		n = poll(&p, 1, left > 0 ? (int)left : 0);
		if (n < 0 && errno != EINTR) {
			log_warn("radius %s: poll", x->srv->name);
			audit_reason(x->a, "step 3: local failure asking %s",
			    x->srv->name);
			auth_finish(x, RADIUS_ERROR);
			return;
		}
		radius_auth_run(x, n > 0);
	}
}

void
radius_auth_free(struct radius_auth *x)
{
	if (x == NULL)
		return;
	if (!x->done)
		auth_finish(x, RADIUS_ERROR);
	if (x->password != NULL) {
		secret_wipe(x->password, x->password_len);
		free(x->password);
	}
	free(x->user_name);
	secret_wipe(x, sizeof(*x));
	free(x);
}

enum radius_result
radius_authenticate(const struct radius *r, const char *user_name,
    const uint8_t *password, size_t password_len, struct audit *a)
{
	struct radius_auth *x;
	enum radius_result result;

	if ((x = radius_auth_start(r, user_name, password, password_len,
	    a)) == NULL)
		return RADIUS_ERROR;
	radius_auth_wait(x);
	result = radius_auth_result(x);
	radius_auth_free(x);
	return result;
}

