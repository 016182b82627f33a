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
	RADIUS_BAD_INPUT,	/* name or password too long: OtherError */
	RADIUS_NOT_BUILT,	/* not built yet: OtherError */
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

/* Asks the servers in order. password is not logged, copied only to wipe. */
enum radius_result radius_authenticate(const struct radius *r,
    const char *user_name, const uint8_t *password, size_t password_len,
    struct audit *a);

#endif
