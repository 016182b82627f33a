/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The FastCGI accept path (issue 10): one thread polls the listening socket
 * and the accepted connections, and hands a connection to a worker only once
 * it is readable. No lock is held while reading from a peer, every peer has
 * a deadline, accept errors are logged and retried with a back-off, and
 * connections are taken from the kernel's backlog only while workers are
 * free to serve them (overload waits in the backlog). docs/design.md.
 */
#ifndef OTPCEP_FRONT_ACCEPT_H
#define OTPCEP_FRONT_ACCEPT_H

#include <stdbool.h>

struct config;
struct front_accept;
struct front_listener;

/*
 * Raises RLIMIT_NOFILE to what `workers` may need (up to the hard limit),
 * and says so when it cannot.
 */
void front_accept_raise_nofile(unsigned workers);

/* Starts the accept thread on l (which must outlive it); NULL after logging. */
struct front_accept *front_accept_start(struct front_listener *l,
    const struct config *cfg, unsigned threads);

/*
 * Worker side: blocks until a connection is readable and returns it (the
 * caller owns it), or -1 once the front stops and nothing is left to serve.
 */
/* A parked request's link in the resume queue (embedded in the request). */
struct front_parked {
	struct front_parked *next;
};

int front_accept_take(struct front_accept *fa, bool *kept,
    struct front_parked **resumed);

/*
 * Requests waiting for RADIUS without a thread (issue 10): a worker parks a
 * request before handing it to the waiter (counted against `workers`), and
 * unparks it if the waiter cannot take it; the waiter's callback resumes it,
 * and front_accept_take() gives it to a worker (*resumed, before any new
 * connection). At stop the workers go on until none is parked.
 */
void front_accept_park(struct front_accept *fa);
void front_accept_unpark(struct front_accept *fa);
void front_accept_resume(struct front_accept *fa, struct front_parked *p);

/* A connection the web server keeps open (FCGI_KEEP_CONN) comes back here. */
void front_accept_give_back(struct front_accept *fa, int fd);

/*
 * SIGTERM: no new connection is taken; what was accepted is served. Our own
 * socket is drained first (its queued connections are accepted and served,
 * not reset); an inherited one keeps its queue for the next process.
 */
void front_accept_stop(struct front_accept *fa);

/* After the workers have returned: joins the thread, frees everything. */
void front_accept_free(struct front_accept *fa);

#endif
