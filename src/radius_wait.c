/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The RADIUS waiter (issue 10): one thread that waits for the answers of
 * every step 3 in progress, so that a request waiting for its one-time
 * password's verdict holds no worker thread. With a thread per waiting
 * request, 1024 requests waiting 200 ms each cost the responder half again
 * as much CPU per request as 32 did (docs/design.md, "Load"); here the
 * workers stay few and warm.
 *
 * epoll(7) watches each authentication's socket, a binary heap orders their
 * deadlines (timeouts and retransmissions); radius_auth_run() does the
 * protocol. A finished authentication is handed back through its callback,
 * from this thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "radius.h"
#include "radius_wait.h"

#define WAIT_EVENTS 64

struct wait_item {
	struct radius_auth *auth;
	void (*done)(void *ctx);
	void *ctx;
	unsigned exchange;	/* the socket registered (radius_auth_fd) */
	long long deadline;	/* radius_auth_deadline(), as last read */
	size_t heap_i;
	struct wait_item *next;	/* in the incoming list */
};

struct radius_waiter {
	int ep;
	int wake;			/* eventfd: new items, stop */
	pthread_t thread;
	bool started;

	pthread_mutex_t mu;		/* the two below */
	struct wait_item *incoming;	/* added since the last turn */
	bool stop;

	/* The thread's own: the items waiting, by deadline. */
	struct wait_item **heap;
	size_t heap_n, heap_cap;
};

/* ---- the deadline heap ---------------------------------------------------- */

static void
heap_set(struct radius_waiter *w, size_t i, struct wait_item *it)
{
	w->heap[i] = it;
	it->heap_i = i;
}

static void
heap_up(struct radius_waiter *w, size_t i)
{
	struct wait_item *it = w->heap[i];

	while (i > 0 && w->heap[(i - 1) / 2]->deadline > it->deadline) {
		heap_set(w, i, w->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(w, i, it);
}

static void
heap_down(struct radius_waiter *w, size_t i)
{
	struct wait_item *it = w->heap[i];
	size_t c;

	while ((c = 2 * i + 1) < w->heap_n) {
		if (c + 1 < w->heap_n && w->heap[c + 1]->deadline <
		    w->heap[c]->deadline)
			c++;
		if (w->heap[c]->deadline >= it->deadline)
			break;
		heap_set(w, i, w->heap[c]);
		i = c;
	}
	heap_set(w, i, it);
}

static int
heap_push(struct radius_waiter *w, struct wait_item *it)
{
	if (w->heap_n == w->heap_cap) {
		size_t n = w->heap_cap ? w->heap_cap * 2 : 256;
		struct wait_item **p = realloc(w->heap, n * sizeof(*p));

		if (p == NULL)
			return -1;
		w->heap = p;
		w->heap_cap = n;
	}
	it->deadline = radius_auth_deadline(it->auth);
	heap_set(w, w->heap_n++, it);
	heap_up(w, it->heap_i);
	return 0;
}

static void
heap_remove(struct radius_waiter *w, struct wait_item *it)
{
	struct wait_item *last;
	size_t i = it->heap_i;

	if (--w->heap_n == i)
		return;
	last = w->heap[w->heap_n];
	heap_set(w, i, last);
	heap_down(w, i);
	heap_up(w, last->heap_i);
}

/* ---- the thread ------------------------------------------------------------ */

/* Watches the item's current socket. Returns 0, or -1 (logged). */
static int
item_watch(struct radius_waiter *w, struct wait_item *it)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = it };
	int fd = radius_auth_fd(it->auth, &it->exchange);

	/* A socket closed by the authentication left the set by itself. */
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0 &&
	    (errno != EEXIST || epoll_ctl(w->ep, EPOLL_CTL_MOD, fd, &ev) != 0)) {
		log_warn("radius: epoll_ctl");
		return -1;
	}
	return 0;
}

/*
 * Hands a finished item back; the authentication belongs to the caller
 * again. Its socket is closed, which took it out of the epoll set.
 */
static void
item_done(struct radius_waiter *w, struct wait_item *it, bool in_heap)
{
	if (in_heap)
		heap_remove(w, it);
	it->done(it->ctx);
	free(it);
}

/* After radius_auth_run(): finished, another server asked, or a new deadline. */
static void
item_after_run(struct radius_waiter *w, struct wait_item *it)
{
	unsigned exchange;

	if (radius_auth_done(it->auth)) {
		item_done(w, it, true);
		return;
	}
	(void)radius_auth_fd(it->auth, &exchange);
	if (exchange != it->exchange && item_watch(w, it) != 0) {
		/* Cannot watch it: waited for here, blocking, rather than lost. */
		radius_auth_wait(it->auth);
		item_done(w, it, true);
		return;
	}
	it->deadline = radius_auth_deadline(it->auth);
	heap_down(w, it->heap_i);
	heap_up(w, it->heap_i);
}

/* Takes the items added since the last turn. Returns the stop flag. */
static bool
take_incoming(struct radius_waiter *w)
{
	struct wait_item *it, *next;
	bool stop;
	uint64_t v;

	while (read(w->wake, &v, sizeof(v)) > 0)
		;
	pthread_mutex_lock(&w->mu);
	it = w->incoming;
	w->incoming = NULL;
	stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	for (; it != NULL; it = next) {
		next = it->next;
		if (heap_push(w, it) != 0) {
			log_err("radius: out of memory in the waiter; a request "
			    "waits for its answer blocking");
			radius_auth_wait(it->auth);
			item_done(w, it, false);
		} else if (item_watch(w, it) != 0) {
			radius_auth_wait(it->auth);
			item_done(w, it, true);
		}
	}
	return stop;
}

/* epoll_wait()'s timeout: until the nearest deadline, -1 when none. */
static int
next_timeout(const struct radius_waiter *w)
{
	long long left;

	if (w->heap_n == 0)
		return -1;
	left = w->heap[0]->deadline - clock_ms();
	return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

static void *
waiter_main(void *arg)
{
	struct radius_waiter *w = arg;
	struct epoll_event ev[WAIT_EVENTS];
	int i, n;

	for (;;) {
		if (take_incoming(w) && w->heap_n == 0)
			break;
		n = epoll_wait(w->ep, ev, WAIT_EVENTS, next_timeout(w));
		if (n < 0 && errno != EINTR) {
			log_warn("radius: epoll_wait");
			n = 0;
		}
		for (i = 0; i < n; i++) {
			struct wait_item *it = ev[i].data.ptr;

			if (it == NULL)
				continue;	/* the eventfd */
			radius_auth_run(it->auth, true);
			item_after_run(w, it);
		}
		while (w->heap_n > 0 && w->heap[0]->deadline <= clock_ms()) {
			radius_auth_run(w->heap[0]->auth, false);
			item_after_run(w, w->heap[0]);
		}
	}
	return NULL;
}

/* ---- the interface ------------------------------------------------------- */

struct radius_waiter *
radius_waiter_start(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct radius_waiter *w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_err("radius: out of memory for the waiter");
		return NULL;
	}
	w->ep = w->wake = -1;
	pthread_mutex_init(&w->mu, NULL);
	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (w->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    epoll_ctl(w->ep, EPOLL_CTL_ADD, w->wake, &ev) != 0) {
		log_warn("radius: the waiter's epoll");
		goto fail;
	}
	if ((errno = pthread_create(&w->thread, NULL, waiter_main, w)) != 0) {
		log_warn("radius: pthread_create (the waiter)");
		goto fail;
	}
	w->started = true;
	return w;
fail:
	radius_waiter_free(w);
	return NULL;
}

int
radius_waiter_add(struct radius_waiter *w, struct radius_auth *auth,
    void (*done)(void *ctx), void *ctx)
{
	struct wait_item *it;
	uint64_t one = 1;
	bool stop;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		return -1;
	it->auth = auth;
	it->done = done;
	it->ctx = ctx;
	pthread_mutex_lock(&w->mu);
	if (!(stop = w->stop)) {
		it->next = w->incoming;
		w->incoming = it;
	}
	pthread_mutex_unlock(&w->mu);
	if (stop) {
		free(it);
		return -1;
	}
	if (write(w->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("radius: eventfd write");
	return 0;
}

void
radius_waiter_free(struct radius_waiter *w)
{
	uint64_t one = 1;

	if (w == NULL)
		return;
	if (w->started) {
		/* Every authentication still waiting is seen to its end first. */
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_mutex_unlock(&w->mu);
		if (write(w->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("radius: eventfd write");
		pthread_join(w->thread, NULL);
	}
	free(w->heap);
	if (w->ep >= 0)
		close(w->ep);
	if (w->wake >= 0)
		close(w->wake);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
