/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 3 of MS-OTPCE 3.2.5.1: the one-time password, checked with PAP over
 * RADIUS (RFC 2865), with Message-Authenticator (RFC 3579) on every request
 * and required on every reply (BlastRADIUS, CVE-2024-3596).
 * struct radius is read-only after start-up and safe to share between workers,
 * but for each server's dead-or-alive state (atomics; issue 10).
 */
#ifndef OTPCEP_RADIUS_H
#define OTPCEP_RADIUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otpcep.h"

struct config;
struct dir_user;
struct radius;

enum radius_result {
	RADIUS_ACCEPT = 0,	/* go on */
	RADIUS_REJECT,		/* AuthenticationError */
	RADIUS_CHALLENGE,	/* ChallengeResponseRequired */
	RADIUS_UNREACHABLE,	/* no valid answer from any server: OtherError */
	RADIUS_BAD_INPUT,	/* name or password unfit (too long...): OtherError */
	RADIUS_NOT_CONFIGURED,	/* no radius_server: OtherError */
	RADIUS_ERROR,		/* our own failure (socket, GnuTLS): OtherError */
	RADIUS_UNSIGNED,	/* no valid answer, and a server answered without
				 * a required Message-Authenticator: OtherError */
};

/* What the client remembers of one server (dead-server memory, issue 10). */
enum radius_server_state {
	RADIUS_SERVER_ALIVE = 0,	/* answered last, or not asked yet */
	RADIUS_SERVER_DEAD,		/* gave no valid answer */
	RADIUS_SERVER_UNSIGNED,		/* answered without a required
					 * Message-Authenticator */
};

/* Room for the User-Name radius_user_name() may build: 253 bytes and a NUL. */
#define RADIUS_USER_NAME_BUF 254

const char *radius_strerror(enum radius_result r);

/* Start-up: resolves servers, reads secrets; NULL (and a log line) on error. */
struct radius *radius_new(const struct config *cfg);
void radius_free(struct radius *r);

/*
 * The User-Name to send, as `radius_username` says (issue 15): the
 * directory's sAMAccountName ("account", the default), NETBIOS\sAMAccountName
 * with the configured NetBIOS spelling ("domain-user", built in buf), the
 * name as sent ("as-sent") or the directory's userPrincipalName ("upn").
 * Returns a pointer into its arguments or buf, or NULL when the directory
 * gave no such name or it would not fit.
 */
const char *radius_user_name(const struct radius *r, const char *as_sent,
    const struct dir_user *user, char buf[RADIUS_USER_NAME_BUF]);

/*
 * Asks the servers in order (radius_server), skipping dead ones while another
 * is alive (all dead: the first is asked): to each, one Access-Request sent
 * up to 1 + retries times (same Identifier and Request Authenticator),
 * waiting timeout_ms after each; a reply that fails any check is dropped and
 * the wait goes on, but for one without a required Message-Authenticator,
 * which ends the wait on that server at once. So the call takes at most the
 * sum of timeout_ms * (1 + retries) over the servers, plus a little.
 * Returns ACCEPT, REJECT or CHALLENGE for the first valid reply; UNSIGNED
 * when none came and a server answered unsigned (the audit reason names it);
 * UNREACHABLE when no server answered. Updates each asked server's state.
 * Thread-safe: everything per call is on its stack.
 * password is never logged; it is not copied but the packet holding it hidden
 * is wiped.
 */
enum radius_result radius_authenticate(const struct radius *r,
    const char *user_name, const uint8_t *password, size_t password_len,
    struct audit *a);

/* The configured servers, in rank order (for otpcep --probe). */
/*
 * Step 3 without a waiting thread (issue 10): radius_auth_start() copies the
 * name and password and sends to the first usable server (or finishes at
 * once: not configured, no name). Until radius_auth_done(), the caller waits
 * for radius_auth_fd() to be readable or radius_auth_deadline() (clock_ms())
 * to pass, and calls radius_auth_run(); the descriptor changes when another
 * server is asked (*exchange counts the sockets). radius_auth_wait() does
 * that alone, blocking. NULL from start: out of memory (logged, audited).
 * One thread at a time per radius_auth; the audit is written until done.
 */
struct radius_auth;
struct radius_auth *radius_auth_start(const struct radius *r,
    const char *user_name, const uint8_t *password, size_t password_len,
    struct audit *a);
bool radius_auth_done(const struct radius_auth *x);
int radius_auth_fd(const struct radius_auth *x, unsigned *exchange);
long long radius_auth_deadline(const struct radius_auth *x);
void radius_auth_run(struct radius_auth *x, bool readable);
void radius_auth_wait(struct radius_auth *x);
enum radius_result radius_auth_result(const struct radius_auth *x);
void radius_auth_free(struct radius_auth *x);

size_t radius_server_count(const struct radius *r);
const char *radius_server_name(const struct radius *r, size_t i);

/*
 * otpcep --probe: asks server i alone with the probe user's credentials. Any
 * authenticated answer (Accept, Reject or Challenge) means the server is
 * alive and shares our secret; RADIUS_UNSIGNED that it answered without a
 * Message-Authenticator its radius_server line requires; RADIUS_UNREACHABLE
 * that it did not answer.
 */
enum radius_result radius_probe(const struct radius *r, size_t i,
    const char *user_name, const uint8_t *password, size_t password_len);

/*
 * RFC 5997: one Status-Server to server i alone (Message-Authenticator
 * first, NAS-Identifier), sent up to 1 + its retries times, waiting its
 * timeout_ms after each. No user, no password: for otpcep --probe and the
 * radius_status_server monitor. Returns
 *   RADIUS_ACCEPT          a valid answer: alive and sharing our secret
 *   RADIUS_UNSIGNED        answered without a required Message-Authenticator
 *   RADIUS_UNREACHABLE     no valid answer (down, wrong secret, or the server
 *                          does not answer Status-Server)
 *   RADIUS_NOT_CONFIGURED  no server i; RADIUS_ERROR our own failure.
 * Updates server i's state (alive, dead, unsigned). Thread-safe.
 */
enum radius_result radius_status_server(const struct radius *r, size_t i);

/*
 * What the client remembers of server i now; *left_ms (may be NULL) gets how
 * long it stays skipped (0 when alive, or when its dead time is over but
 * radius_status_server keeps it dead until it answers).
 */
enum radius_server_state radius_server_state(const struct radius *r,
    size_t i, long long *left_ms);
#endif
