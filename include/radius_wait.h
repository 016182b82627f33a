/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The RADIUS waiter (src/radius_wait.c): one thread waits for every step 3
 * in progress, so that no worker thread waits for RADIUS (issue 10).
 */
#ifndef OTPCEP_RADIUS_WAIT_H
#define OTPCEP_RADIUS_WAIT_H

struct radius_auth;
struct radius_waiter;

/* NULL on failure (logged). */
struct radius_waiter *radius_waiter_start(void);

/*
 * Waits for auth (radius_auth_start(), not done) and then calls done(ctx)
 * from the waiter's thread. Returns 0, or -1 (out of memory, stopping): the
 * caller still owns auth and may radius_auth_wait() it.
 */
int radius_waiter_add(struct radius_waiter *w, struct radius_auth *auth,
    void (*done)(void *ctx), void *ctx);

/* Sees every authentication still waiting to its end, then stops. */
void radius_waiter_free(struct radius_waiter *w);

#endif
