/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Counters of one otpcep instance, for Prometheus (`metrics_listen`, issue
 * 12). They live in one MAP_SHARED anonymous mapping made by metrics_init()
 * at start-up, before any fork, so the worker threads, the signer process and
 * any other process of the instance all count into the same place; every
 * update is one atomic operation (no lock on the request path).
 *
 * Every function here may be called before metrics_init() or when it failed:
 * it then does nothing. Indexes are positions in the configuration's lists
 * (`radius_server`, `ldap_uri`, in file order); an index out of range is
 * ignored.
 */
#ifndef OTPCEP_METRICS_H
#define OTPCEP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct config;

/* Most RADIUS servers and LDAP URIs counted one by one; later ones are not counted. */
#define METRICS_MAX_SERVERS 16

/* Timed steps of a request (MS-OTPCE 3.2.5.1), and the whole request. */
enum metrics_step {
	METRICS_STEP_PARSE = 0,		/* signCertRequest XML */
	METRICS_STEP_CSR,		/* step 1: PKCS#10 checks and names */
	METRICS_STEP_DIRECTORY,		/* step 2: LDAP lookup */
	METRICS_STEP_RADIUS,		/* step 3: the one-time password */
	METRICS_STEP_SIGNING,		/* step 4: co-signing */
	METRICS_STEP_REQUEST,		/* the whole request, envelope to response */
	METRICS_STEP_COUNT
};

/* Why a request did not end in Success, by class (label `reason`). */
enum metrics_failure {
	METRICS_FAIL_BAD_REQUEST = 0,	/* envelope, XML, PKCS#10 malformed or weak */
	METRICS_FAIL_TEMPLATE,		/* no or another certificate template */
	METRICS_FAIL_NAMES,		/* a name in the request is not the user */
	METRICS_FAIL_DIRECTORY,		/* user unknown/disabled, or directory down */
	METRICS_FAIL_OTP_REJECTED,	/* Access-Reject */
	METRICS_FAIL_CHALLENGE,		/* Access-Challenge */
	METRICS_FAIL_RADIUS_UNREACHABLE,/* no valid RADIUS answer */
	METRICS_FAIL_SIGNING,		/* no valid signing certificate, or signing failed */
	METRICS_FAIL_OTHER,		/* anything else: out of memory, step not configured, ... */
	METRICS_FAIL_COUNT
};

/* Why a RADIUS reply was dropped (label `cause`). */
enum metrics_radius_drop {
	METRICS_DROP_MALFORMED = 0,	/* not a RADIUS packet, bad length or attributes */
	METRICS_DROP_IDENTIFIER,	/* another Identifier than ours */
	METRICS_DROP_AUTHENTICATOR,	/* wrong Response Authenticator */
	METRICS_DROP_MESSAGE_AUTHENTICATOR, /* missing or wrong Message-Authenticator */
	METRICS_DROP_COUNT
};

/*
 * Start-up, before any fork and before any thread: makes the shared area for
 * cfg's servers. Returns 0, or -1 (logged) when the mapping fails.
 */
int metrics_init(const struct config *cfg);

/* A request was taken (in flight) / answered with this HTTP status and, when
 * it reached the protocol, this MS-OTPCE status (enum otpcep_status, or -1). */
void metrics_request_begin(void);
void metrics_request_end(int http_status, int protocol_status, long long us);

/* One observation of a step's duration in microseconds. */
void metrics_step(enum metrics_step step, long long us);

/* A request failed, for this class of reason. */
void metrics_failure(enum metrics_failure why);

/* A worker started (+1) or finished (-1) serving a request; the configured number. */
void metrics_worker_busy(int delta);
void metrics_workers(unsigned configured);

/* RADIUS server i (its position in `radius_server`). */
void metrics_radius_request(size_t i);		/* an exchange started */
void metrics_radius_retransmission(size_t i);
void metrics_radius_timeout(size_t i);		/* no valid reply in time */
void metrics_radius_dropped(size_t i, enum metrics_radius_drop cause);
void metrics_radius_answered(size_t i);		/* a valid reply: server is up */
void metrics_radius_dead(size_t i, bool dead);	/* dead-server memory */

/* LDAP URI i (its position in `ldap_uri`). */
void metrics_ldap_bind(size_t i, bool ok);
void metrics_ldap_reconnect(size_t i);
void metrics_ldap_error(size_t i);
void metrics_ldap_answered(size_t i);		/* any answer: server is up */
void metrics_ldap_down(size_t i);		/* cannot connect */

/* The signing certificate now in use (after each load), and reload outcomes. */
void metrics_signing_cert(time_t not_after, const char *serial_hex);
void metrics_signing_reload(bool ok);

/*
 * The Prometheus text exposition format (version 0.0.4) of every counter:
 * a new NUL-terminated buffer in *out (free()), its length in *out_len.
 * Returns 0, or -1 when out of memory.
 */
int metrics_format(char **out, size_t *out_len);

/*
 * /health: 200 when the signing certificate is valid beyond
 * signing_warn_hours and a RADIUS server and a directory URI answered within
 * health_window_s; else 503. Writes "ok\n" or one line per failing part into
 * buf (always NUL-terminated). Returns the HTTP status.
 */
int metrics_health(const struct config *cfg, time_t now, char *buf,
    size_t buf_len);

/*
 * Which parts have not answered for half of health_window_s: /health then
 * asks them itself (metrics_refresh_fn) before it judges, so that a quiet
 * responder is not reported down for want of requests.
 */
void metrics_stale(const struct config *cfg, time_t now, bool *radius,
    bool *ldap);

/*
 * Asks the stale parts for an answer (server.c: Status-Server to each RADIUS
 * server when radius_status_server = yes, a bind to each ldap_uri); the
 * answers are counted as any other.
 */
typedef void (*metrics_refresh_fn)(void *ctx, bool radius, bool ldap);

/* Serving metrics_listen with libmicrohttpd (src/metrics_http.c). */
struct metrics_http;

/* Starts the listener when cfg->metrics_listen is set; *out is NULL when
 * it is not. refresh (may be NULL) is called with ctx by /health. Returns 0,
 * or -1 (logged) when it cannot listen. */
int metrics_http_start(const struct config *cfg, metrics_refresh_fn refresh,
    void *ctx, struct metrics_http **out);
void metrics_http_stop(struct metrics_http *h);

#endif
