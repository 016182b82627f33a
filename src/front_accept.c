/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The FastCGI accept path, in place of libfcgi's OS_Accept (issue 10; why in
 * docs/design.md). libfcgi's accept held a mutex while it read a request's
 * parameters, closed a quiet Unix peer after 2 s, ended every worker on one
 * EMFILE, and its close path used select(), which corrupts memory for a
 * descriptor >= FD_SETSIZE. Here one thread polls (poll(2), any descriptor)
 * the listening socket and the connections accepted but not yet readable;
 * a readable connection goes to a queue that the workers take from, and
 * libfcgi only parses records on a descriptor it is given.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "front_accept.h"
#include "front_listen.h"
#include "log.h"

/*
 * Connections accepted beyond the free workers: a few readable ones wait
 * here instead of in the backlog, and as many stalled peers cannot stop the
 * accepting of good requests.
 */
#define FRONT_ACCEPT_AHEAD 32
#define FRONT_BACKOFF_MIN_MS 50
#define FRONT_BACKOFF_MAX_MS 1000
/* Descriptors besides the connections: LDAP and RADIUS per worker, files. */
#define FRONT_FD_PER_WORKER 3
#define FRONT_FD_SPARE 64

struct front_conn {
	int fd;
	bool kept;		/* FCGI_KEEP_CONN: idle between requests */
	int64_t deadline;	/* ms (CLOCK_MONOTONIC); 0: none */
};

struct front_accept {
	struct front_listener *l;
	unsigned timeout_ms;
	pthread_t thread;
	bool started;
	int wake;		/* eventfd: stop, a free worker, a kept conn */

	pthread_mutex_t mu;	/* everything below */
	pthread_cond_t cv;
	struct front_conn *ready;	/* readable connections, FIFO ring */
	size_t ready_head, ready_len, ready_cap;
	struct front_conn *back;	/* kept connections given back */
	size_t back_len, back_cap;
	struct front_parked *resume_head;	/* done waiting, FIFO: no */
	struct front_parked *resume_tail;	/* allocation, cannot fail */
	unsigned threads;	/* worker threads */
	unsigned capacity;	/* workers: requests in progress at most */
	unsigned parked;	/* requests waiting for RADIUS, or resumed */
	unsigned idle;		/* workers waiting in front_accept_take */
	bool starved;		/* the thread waits for a free worker */
	bool stopping;		/* SIGTERM */
	bool done;		/* the thread left: nothing more will come */
};

static int64_t
front_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
front_wake(struct front_accept *fa)
{
	uint64_t one = 1;

	if (write(fa->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("FastCGI: eventfd write");
}

void
front_accept_raise_nofile(unsigned workers)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)workers * (FRONT_FD_PER_WORKER + 1) +
	    FRONT_ACCEPT_AHEAD + FRONT_FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("getrlimit(RLIMIT_NOFILE)");
		return;
	}
	if (rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		log_warnx("RLIMIT_NOFILE: %u workers may need %lu descriptors, but "
		    "the hard limit is %lu: raising to %lu only (set LimitNOFILE= "
		    "in the service unit, or fewer workers)", workers,
		    (unsigned long)need, (unsigned long)rl.rlim_max,
		    (unsigned long)rl.rlim_max);
		need = rl.rlim_max;
		if (rl.rlim_cur >= need)
			return;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("setrlimit(RLIMIT_NOFILE, %lu)", (unsigned long)need);
	else
		log_info("RLIMIT_NOFILE raised to %lu for %u workers",
		    (unsigned long)need, workers);
}

/* Appends to a growing array; returns -1 when out of memory. */
static int
front_grow(void **arr, size_t *cap, size_t len, size_t size)
{
	void *p;
	size_t n;

	if (len < *cap)
		return 0;
	n = *cap ? *cap * 2 : 64;
	if ((p = realloc(*arr, n * size)) == NULL)
		return -1;
	*arr = p;
	*cap = n;
	return 0;
}

/* Queues a readable connection for a worker (called with mu held). */
static void
front_ready_push(struct front_accept *fa, const struct front_conn *c)
{
	if (fa->ready_len == fa->ready_cap) {
		size_t n = fa->ready_cap ? fa->ready_cap * 2 : 64, i;
		struct front_conn *p = malloc(n * sizeof(*p));

		if (p == NULL) {
			log_err("FastCGI: out of memory; a connection is closed");
			close(c->fd);
			return;
		}
		for (i = 0; i < fa->ready_len; i++)
			p[i] = fa->ready[(fa->ready_head + i) % fa->ready_cap];
		free(fa->ready);
		fa->ready = p;
		fa->ready_cap = n;
		fa->ready_head = 0;
	}
	fa->ready[(fa->ready_head + fa->ready_len) % fa->ready_cap] = *c;
	fa->ready_len++;
	pthread_cond_signal(&fa->cv);
}

/* What the accept loop keeps between turns. */
struct front_loop {
	struct front_conn *conns;	/* accepted, not yet readable */
	size_t n, cap;
	size_t fresh;			/* of them, not kept */
	struct pollfd *pfd;
	size_t pfd_cap;
	int64_t backoff_until;
	unsigned backoff_ms;
	unsigned long errors;		/* accept errors in this episode */
	int64_t last_error_log;
};

static void
front_conn_add(struct front_loop *lp, int fd, bool kept, int64_t deadline)
{
	if (front_grow((void **)&lp->conns, &lp->cap, lp->n,
	    sizeof(*lp->conns)) != 0) {
		log_err("FastCGI: out of memory; a connection is closed");
		close(fd);
		return;
	}
	lp->conns[lp->n].fd = fd;
	lp->conns[lp->n].kept = kept;
	lp->conns[lp->n].deadline = deadline;
	lp->n++;
	lp->fresh += !kept;
}

static void
front_conn_remove(struct front_loop *lp, size_t i)
{
	lp->fresh -= !lp->conns[i].kept;
	lp->conns[i] = lp->conns[--lp->n];
}

/*
 * An accept error: never a silent stop. Resource shortages (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM) and anything unexpected pause accepting with a growing
 * back-off; a connection the peer aborted is only skipped. The log says it
 * at the first error and then every 10 s while it lasts.
 */
static void
front_accept_error(struct front_loop *lp, int err, int64_t now)
{
	if (err == ECONNABORTED || err == EPROTO || err == EINTR ||
	    err == EPERM) {
		log_debug("FastCGI: accept: %s (skipped)", strerror(err));
		return;
	}
	lp->errors++;
	lp->backoff_ms = lp->backoff_ms ? lp->backoff_ms * 2 :
	    FRONT_BACKOFF_MIN_MS;
	if (lp->backoff_ms > FRONT_BACKOFF_MAX_MS)
		lp->backoff_ms = FRONT_BACKOFF_MAX_MS;
	lp->backoff_until = now + lp->backoff_ms;
	if (lp->errors == 1 || now - lp->last_error_log >= 10000) {
		log_warnx("FastCGI: accept failed: %s (%lu time%s); retrying in "
		    "%u ms", strerror(err), lp->errors, lp->errors > 1 ? "s" : "",
		    lp->backoff_ms);
		lp->last_error_log = now;
	}
}

/*
 * Accepts up to max connections (or until the backlog is empty). Returns
 * how many were taken; on the drain at stop, max is unbounded.
 */
static size_t
front_accept_some(struct front_accept *fa, struct front_loop *lp, size_t max,
    int64_t now)
{
	struct timeval tv = { fa->timeout_ms / 1000,
	    (long)(fa->timeout_ms % 1000) * 1000 };
	size_t taken = 0;

	while (taken < max) {
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof(peer);
		char name[80], peek;
		int fd;

		fd = accept4(fa->l->fd, (struct sockaddr *)&peer, &peer_len,
		    SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			front_accept_error(lp, errno, now);
			if (lp->backoff_until > now)
				break;
			continue;
		}
		if (lp->errors > 0) {
			log_info("FastCGI: accept works again after %lu error%s",
			    lp->errors, lp->errors > 1 ? "s" : "");
			lp->errors = 0;
			lp->backoff_ms = 0;
		}
		if (!front_listen_allowed(fa->l, (struct sockaddr *)&peer,
		    peer_len)) {
			/* Issue 11: closed unread; nothing of it is parsed. */
			log_warnx("FastCGI: connection from %s refused: not in "
			    "fastcgi_allowed_clients", front_listen_peer_name(
			    (struct sockaddr *)&peer, peer_len, name, sizeof(name)));
			close(fd);
			continue;
		}
		/* Every later read and write on the peer has a time limit. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
			log_warn("FastCGI: setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)");
			close(fd);
			continue;
		}
		taken++;
		/*
		 * A web server writes its request right after connecting: when
		 * it is there already, the connection goes to the workers now,
		 * without another turn of poll().
		 */
		switch (recv(fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT)) {
		case 1: {
			struct front_conn c = { fd, false, 0 };

			pthread_mutex_lock(&fa->mu);
			front_ready_push(fa, &c);
			pthread_mutex_unlock(&fa->mu);
			break;
		}
		case 0:
			log_debug("FastCGI: a peer closed its connection unused");
			close(fd);
			break;
		default:
			front_conn_add(lp, fd, false, now + fa->timeout_ms);
			break;
		}
	}
	return taken;
}

/* Stop: our own socket is drained, so that nothing queued is reset. */
static void
front_accept_drain(struct front_accept *fa, struct front_loop *lp)
{
	if (fa->l->own) {
		front_listen_unlink(fa->l);
		(void)front_accept_some(fa, lp, SIZE_MAX, front_now_ms());
		log_info("FastCGI: stopped accepting; %zu connection%s still to "
		    "serve", lp->fresh, lp->fresh == 1 ? "" : "s");
	} else {
		log_info("FastCGI: stopped accepting (the socket is shared: what "
		    "is queued on it stays for the next process)");
	}
}

/*
 * One turn: which descriptors to poll. Returns the number of pollfd entries;
 * *timeout is the wait in ms (-1: none).
 */
static size_t
front_loop_prepare(struct front_accept *fa, struct front_loop *lp,
    bool listen_on, int64_t now, int *timeout)
{
	int64_t next = -1;
	size_t i, n = 0;

	if (lp->pfd_cap < lp->n + 2) {
		struct pollfd *p = realloc(lp->pfd, (lp->n + 64) * sizeof(*p));

		if (p == NULL)
			return 0;
		lp->pfd = p;
		lp->pfd_cap = lp->n + 64;
	}
	lp->pfd[n].fd = fa->wake;
	lp->pfd[n++].events = POLLIN;
	lp->pfd[n].fd = fa->l->fd;
	lp->pfd[n++].events = listen_on ? POLLIN : 0;
	for (i = 0; i < lp->n; i++) {
		lp->pfd[n].fd = lp->conns[i].fd;
		lp->pfd[n++].events = POLLIN;
		if (lp->conns[i].deadline &&
		    (next < 0 || lp->conns[i].deadline < next))
			next = lp->conns[i].deadline;
	}
	if (lp->backoff_until > now && (next < 0 || lp->backoff_until < next))
		next = lp->backoff_until;
	*timeout = next < 0 ? -1 : (int)(next > now ? next - now : 0);
	return n;
}

/*
 * How many more connections to accept (called with mu held): a few beyond
 * the free threads, and within `workers` requests in progress, those
 * waiting for RADIUS (parked) included. The rest waits in the backlog.
 */
static size_t
front_room(const struct front_accept *fa, size_t in_hand)
{
	size_t by_threads = (size_t)fa->idle + FRONT_ACCEPT_AHEAD;
	size_t busy = (size_t)(fa->threads - fa->idle) + fa->parked + in_hand;
	size_t by_capacity = (size_t)fa->capacity + FRONT_ACCEPT_AHEAD;

	if (by_threads <= in_hand || by_capacity <= busy)
		return 0;
	by_threads -= in_hand;
	by_capacity -= busy;
	return by_threads < by_capacity ? by_threads : by_capacity;
}

static void *
front_accept_loop(void *arg)
{
	struct front_accept *fa = arg;
	struct front_loop lp;
	bool drained = false;
	size_t i, npfd;

	memset(&lp, 0, sizeof(lp));
	for (;;) {
		int64_t now = front_now_ms();
		size_t room = 0, in_hand;
		bool stopping;
		int timeout;
		uint64_t v;

		pthread_mutex_lock(&fa->mu);
		stopping = fa->stopping;
		for (i = 0; i < fa->back_len; i++) {
			if (stopping)
				close(fa->back[i].fd);
			else
				front_conn_add(&lp, fa->back[i].fd, true, 0);
		}
		fa->back_len = 0;
		in_hand = fa->ready_len + lp.fresh;
		room = front_room(fa, in_hand);
		fa->starved = room == 0;
		pthread_mutex_unlock(&fa->mu);

		if (stopping && !drained) {
			front_accept_drain(fa, &lp);
			drained = true;
			for (i = lp.n; i-- > 0;)
				if (lp.conns[i].kept) {
					close(lp.conns[i].fd);
					front_conn_remove(&lp, i);
				}
		}
		if (stopping && lp.n == 0)
			break;
		npfd = front_loop_prepare(fa, &lp, !stopping && room > 0 &&
		    lp.backoff_until <= now, now, &timeout);
		if (npfd == 0) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };

			log_err("FastCGI: out of memory in the accept loop");
			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(lp.pfd, npfd, timeout) < 0) {
			if (errno != EINTR)
				log_warn("FastCGI: poll");
			continue;
		}
		now = front_now_ms();
		if (lp.pfd[0].revents & POLLIN)
			while (read(fa->wake, &v, sizeof(v)) > 0)
				;
		/* Connections: readable ones to the workers, late ones closed. */
		pthread_mutex_lock(&fa->mu);
		for (i = lp.n; i-- > 0;) {
			struct pollfd *p = &lp.pfd[2 + i];

			if (p->fd != lp.conns[i].fd)
				continue;	/* added during this turn */
			if (p->revents) {
				front_ready_push(fa, &lp.conns[i]);
				front_conn_remove(&lp, i);
			} else if (lp.conns[i].deadline &&
			    now >= lp.conns[i].deadline) {
				log_warnx("FastCGI: a peer sent nothing in %u ms; "
				    "its connection is closed", fa->timeout_ms);
				close(lp.conns[i].fd);
				front_conn_remove(&lp, i);
			}
		}
		pthread_mutex_unlock(&fa->mu);
		if ((lp.pfd[1].revents & POLLIN) && !stopping && room > 0)
			(void)front_accept_some(fa, &lp, room, now);
		else if (lp.pfd[1].revents & (POLLERR | POLLNVAL)) {
			front_accept_error(&lp, EBADF, now);
		}
	}
	pthread_mutex_lock(&fa->mu);
	fa->done = true;
	pthread_cond_broadcast(&fa->cv);
	pthread_mutex_unlock(&fa->mu);
	free(lp.conns);
	free(lp.pfd);
	return NULL;
}

struct front_accept *
front_accept_start(struct front_listener *l, const struct config *cfg,
    unsigned threads)
{
	struct front_accept *fa;
	int fl;

	if ((fa = calloc(1, sizeof(*fa))) == NULL) {
		log_err("FastCGI: out of memory");
		return NULL;
	}
	fa->l = l;
	fa->wake = -1;
	fa->timeout_ms = cfg->fastcgi_timeout_ms;
	fa->threads = threads;
	fa->capacity = cfg->workers > threads ? cfg->workers : threads;
	pthread_mutex_init(&fa->mu, NULL);
	pthread_cond_init(&fa->cv, NULL);
	if ((fa->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		log_warn("FastCGI: eventfd");
		goto fail;
	}
	/*
	 * Non-blocking: poll() then accept4() must never block this thread
	 * (another process sharing the socket may take the connection first).
	 */
	if ((fl = fcntl(l->fd, F_GETFL)) < 0 ||
	    fcntl(l->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_warn("FastCGI: fcntl(O_NONBLOCK) on the listening socket");
		goto fail;
	}
	if ((errno = pthread_create(&fa->thread, NULL, front_accept_loop,
	    fa)) != 0) {
		log_warn("FastCGI: pthread_create (accept thread)");
		goto fail;
	}
	fa->started = true;
	return fa;
fail:
	front_accept_free(fa);
	return NULL;
}

int
front_accept_take(struct front_accept *fa, bool *kept,
    struct front_parked **resumed)
{
	int fd = -1;

	*resumed = NULL;
	pthread_mutex_lock(&fa->mu);
	fa->idle++;
	if (fa->starved) {
		fa->starved = false;
		front_wake(fa);
	}
	/* At stop: on until nothing is queued, nor waiting for RADIUS. */
	while (fa->ready_len == 0 && fa->resume_head == NULL &&
	    !(fa->done && fa->parked == 0))
		pthread_cond_wait(&fa->cv, &fa->mu);
	if (fa->resume_head != NULL) {
		/* Requests begun are finished before new ones are begun. */
		*resumed = fa->resume_head;
		if ((fa->resume_head = fa->resume_head->next) == NULL)
			fa->resume_tail = NULL;
		fa->parked--;
		if (fa->done && fa->parked == 0)
			pthread_cond_broadcast(&fa->cv);
	} else if (fa->ready_len > 0) {
		fd = fa->ready[fa->ready_head].fd;
		*kept = fa->ready[fa->ready_head].kept;
		fa->ready_head = (fa->ready_head + 1) % fa->ready_cap;
		fa->ready_len--;
	}
	fa->idle--;
	pthread_mutex_unlock(&fa->mu);
	return fd;
}

void
front_accept_park(struct front_accept *fa)
{
	pthread_mutex_lock(&fa->mu);
	fa->parked++;
	pthread_mutex_unlock(&fa->mu);
}

void
front_accept_unpark(struct front_accept *fa)
{
	pthread_mutex_lock(&fa->mu);
	fa->parked--;
	if (fa->done && fa->parked == 0)
		pthread_cond_broadcast(&fa->cv);
	pthread_mutex_unlock(&fa->mu);
}

void
front_accept_resume(struct front_accept *fa, struct front_parked *p)
{
	p->next = NULL;
	pthread_mutex_lock(&fa->mu);
	if (fa->resume_tail != NULL)
		fa->resume_tail->next = p;
	else
		fa->resume_head = p;
	fa->resume_tail = p;
	pthread_cond_signal(&fa->cv);
	pthread_mutex_unlock(&fa->mu);
}

void
front_accept_give_back(struct front_accept *fa, int fd)
{
	pthread_mutex_lock(&fa->mu);
	if (fa->done || front_grow((void **)&fa->back, &fa->back_cap,
	    fa->back_len, sizeof(*fa->back)) != 0) {
		close(fd);
	} else {
		fa->back[fa->back_len].fd = fd;
		fa->back[fa->back_len].kept = true;
		fa->back[fa->back_len].deadline = 0;
		fa->back_len++;
		front_wake(fa);
	}
	pthread_mutex_unlock(&fa->mu);
}

void
front_accept_stop(struct front_accept *fa)
{
	pthread_mutex_lock(&fa->mu);
	fa->stopping = true;
	pthread_mutex_unlock(&fa->mu);
	front_wake(fa);
}

void
front_accept_free(struct front_accept *fa)
{
	size_t i;

	if (fa == NULL)
		return;
	if (fa->started) {
		front_accept_stop(fa);
		pthread_join(fa->thread, NULL);
	}
	for (i = 0; i < fa->ready_len; i++)
		close(fa->ready[(fa->ready_head + i) % fa->ready_cap].fd);
	for (i = 0; i < fa->back_len; i++)
		close(fa->back[i].fd);
	free(fa->ready);
	free(fa->back);
	if (fa->wake >= 0)
		close(fa->wake);
	pthread_cond_destroy(&fa->cv);
	pthread_mutex_destroy(&fa->mu);
	free(fa);
}
