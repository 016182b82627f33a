/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 3 of MS-OTPCE 3.2.5.1: the one-time password, checked with PAP over
 * RADIUS (RFC 2865), with Message-Authenticator (RFC 3579) on every request
 * and required on every reply (BlastRADIUS, CVE-2024-3596).
 * struct radius is read-only after start-up and safe to share between workers.
 */
#ifndef OTPCEP_RADIUS_H
#define OTPCEP_RADIUS_H

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
};

const char *radius_strerror(enum radius_result r);

/* Start-up: resolves servers, reads secrets; NULL (and a log line) on error. */
struct radius *radius_new(const struct config *cfg);
void radius_free(struct radius *r);

/*
 * The User-Name to send, as `radius_username` says: the name as sent, the bare
 * user, or the directory's UPN. Returns a pointer into its arguments or NULL.
 */
const char *radius_user_name(const struct radius *r, const char *as_sent,
    const struct dir_user *user);

/*
 * Asks the servers in order (radius_server): to each, one Access-Request sent
 * up to 1 + radius_retries times (same Identifier and Request Authenticator),
 * waiting radius_timeout_ms after each; a reply that fails any check is
 * dropped and the wait goes on. So the call takes at most
 * servers * radius_timeout_ms * (1 + radius_retries), plus a little.
 * Returns ACCEPT, REJECT or CHALLENGE for the first valid reply; UNREACHABLE
 * when no server gave one. Thread-safe: everything per call is on its stack.
 * password is never logged; it is not copied but the packet holding it hidden
 * is wiped.
 */
enum radius_result radius_authenticate(const struct radius *r,
    const char *user_name, const uint8_t *password, size_t password_len,
    struct audit *a);

/* The configured servers, in rank order (for otpcep --probe). */
size_t radius_server_count(const struct radius *r);
const char *radius_server_name(const struct radius *r, size_t i);

/*
 * otpcep --probe: asks server i alone with the probe user's credentials. Any
 * authenticated answer (Accept, Reject or Challenge) means the server is
 * alive and shares our secret; RADIUS_UNREACHABLE means it is not.
 */
enum radius_result radius_probe(const struct radius *r, size_t i,
    const char *user_name, const uint8_t *password, size_t password_len);
#endif
