/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Inside step 3: what radius.c (the servers, their health, Status-Server)
 * shares with radius_auth.c (one authentication as a state machine). Not
 * for other modules: they use radius.h.
 */
#ifndef OTPCEP_RADIUS_INTERNAL_H
#define OTPCEP_RADIUS_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "radius.h"
#include "radius_packet.h"
#include "secret.h"

struct radius_monitor;

/* What the client remembers of one server; shared by all workers. */
struct radius_health {
	_Atomic int state;		/* enum radius_server_state */
	_Atomic long long dead_until;	/* clock_ms(); meaningful when not ALIVE */
};

struct radius_server {
	char *name;			/* host[:port] as configured, for log lines */
	unsigned timeout_ms;		/* timeout_ms= option, else radius_timeout_ms */
	unsigned retries;		/* retries= option, else radius_retries */
	bool require_ma;		/* message_authenticator=, else the key */
	struct radius_health *health;	/* points into radius->health */
	size_t index;			/* its place in radius_server, for metrics */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	const uint8_t *secret;		/* points into radius->secrets */
	size_t secret_len;
};

struct radius {
	struct radius_server *servers;	/* rank order */
	size_t server_count;		/* 0: step 3 not configured */
	struct secret secrets;		/* radius_secret_file, whole */
	char *nas_identifier;
	uint8_t nas_ip[16];
	size_t nas_ip_len;		/* 0, 4 or 16 */
	enum radius_username_form username_form;
	long long dead_time_ms;		/* radius_dead_time_s */
	bool status_server;		/* radius_status_server */
	struct radius_health *health;	/* one per server */
	struct radius_monitor *monitor;	/* NULL unless status_server */
};

/* What one server's exchange came to. */
struct radius_exchange {
	uint8_t code;			/* of the valid reply, 0: none */
	unsigned sent;			/* transmissions */
	unsigned dropped;		/* replies that failed a check */
	unsigned refused;		/* ICMP errors reported by the socket */
	bool unsigned_reply;		/* it answered without a required MA */
};

/* radius_exchange()'s outcomes. */
#define RADIUS_EX_ERROR		(-1)	/* our own failure */
#define RADIUS_EX_VALID		0	/* a valid reply: ex->code */
#define RADIUS_EX_SILENT	1	/* no valid reply within the bound */
#define RADIUS_EX_UNSIGNED	2	/* answered, without a required MA */

/* radius_take_reply(): nothing (more) to read, or a datagram dropped. */
#define RADIUS_EX_EMPTY		3
#define RADIUS_EX_WAIT		4

/*
 * Reads one datagram from fd, the socket of an exchange with srv, and checks
 * it against the request (id, req_auth). Returns RADIUS_EX_VALID (ex->code),
 * RADIUS_EX_UNSIGNED, RADIUS_EX_ERROR, RADIUS_EX_WAIT (it was dropped, or an
 * ICMP error: the wait goes on) or RADIUS_EX_EMPTY (nothing to read).
 */
int radius_take_reply(const struct radius_server *srv, int fd, uint8_t id,
    const uint8_t req_auth[RADIUS_AUTH_LEN], struct radius_exchange *ex);

/*
 * A non-blocking UDP socket connect()ed to srv. Returns the descriptor, -1
 * on our own failure (logged), -2 when srv cannot be reached.
 */
int radius_socket(const struct radius_server *srv);

/* Dead-server memory (radius.c, issue 10). */
bool radius_usable(const struct radius *r, const struct radius_server *srv,
    long long now);
void radius_mark_alive(const struct radius_server *srv, const char *how);
void radius_mark_dead(const struct radius *r, const struct radius_server *srv,
    enum radius_server_state state);

/* A fresh Identifier and Request Authenticator. Returns 0 or -1 (logged). */
int radius_fresh_ids(uint8_t *id, uint8_t req_auth[RADIUS_AUTH_LEN]);

#endif
