/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * FastCGI front, the only file that uses libfcgi, and only to parse and
 * write records: the socket comes from front_listen.c, connections from
 * front_accept.c's accept thread; `workers` threads each take a readable
 * connection and serve its request. The main thread waits for signals:
 * SIGHUP asks the signer to reload, SIGTERM/SIGINT stop accepting, let the
 * requests accepted finish and exit (docs/design.md).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "config.h"
#include "front.h"
#include "front_accept.h"
#include "front_env.h"
#include "front_listen.h"
#include "handler.h"
#include "log.h"
#include "metrics.h"
#include "radius.h"
#include "radius_wait.h"
#include "secret.h"
#include "server.h"
#include "signer.h"

/*
 * Worker threads run the request in a small stack of their own, so that
 * thousands of them fit (`workers` up to 4096): libxml2's parser, GnuTLS,
 * libtasn1 and libldap need well under this (docs/design.md).
 */
#define FRONT_WORKER_STACK (512 * 1024)
#define FRONT_DRAIN_MAX (64 * 1024)

struct fcgi_worker {
	struct worker w;
	struct front_accept *fa;
	struct radius_waiter *waiter;
	pthread_t thread;
	bool started;
};

/* libfcgi 2.4's private FCGX_Stream_Data (fcgiapp.c), for the wipe. */
struct front_fcgi_stream_data {
	unsigned char *buff;
	int bufflen;
	unsigned char *mBuff;
	unsigned char *buffStop;
	int type, eorStop, skip, contentLen, paddingLen, isAnythingWritten,
	    rawWrite;
	FCGX_Request *reqDataPtr;
};

static atomic_bool front_fcgi_layout_warned;

static const char *
front_fcgi_getenv(void *ctx, const char *name)
{
	FCGX_Request *r = ctx;

	return FCGX_GetParam(name, r->envp);
}

static ssize_t
front_fcgi_read(void *ctx, void *buf, size_t len)
{
	FCGX_Request *r = ctx;
	int n;

	if (len > INT32_MAX)
		len = INT32_MAX;
	n = FCGX_GetStr(buf, (int)len, r->in);
	return n < 0 ? -1 : n;
}

/*
 * Issue 11: the request body, one-time password included, passes through
 * the input stream's buffer. libfcgi frees it without clearing it, so it is
 * wiped here first. The buffer is reached through the stream's private data
 * (libfcgi 2.4.x's FCGX_Stream_Data); the layout is confirmed before use:
 * the data points back to this request and the read position lies in the
 * buffer.
 */
static void
front_fcgi_wipe_stream(const FCGX_Request *r, FCGX_Stream *in)
{
	const struct front_fcgi_stream_data *d;

	if (in == NULL || in->data == NULL || !in->isReader)
		return;
	d = in->data;
	if (d->reqDataPtr == r && d->buff != NULL && d->mBuff != NULL &&
	    d->buff >= d->mBuff && d->buff - d->mBuff < 8 &&
	    d->bufflen > 0 && d->bufflen <= 65536 &&
	    in->rdNext >= d->buff && in->rdNext <= d->buff + d->bufflen) {
		secret_wipe(d->buff, (size_t)d->bufflen);
		return;
	}
	if (!atomic_exchange(&front_fcgi_layout_warned, true))
		log_warnx("FastCGI: libfcgi's stream layout is not the expected "
		    "one; its input buffer is freed without being wiped");
}

/*
 * A kept connection (FCGI_KEEP_CONN) carries the next request after this
 * one: what is left of this one's FCGI_STDIN (a body the handler did not
 * read, its closing empty record) is read and dropped first, at most
 * FRONT_DRAIN_MAX bytes; more, and the connection is not kept.
 */
static void
front_fcgi_drain(FCGX_Stream *in)
{
	char buf[4096];
	size_t total = 0;
	int n;

	while (total <= FRONT_DRAIN_MAX &&
	    (n = FCGX_GetStr(buf, (int)sizeof(buf), in)) > 0)
		total += (size_t)n;
	secret_wipe(buf, sizeof(buf));
}

/*
 * One request, from its connection to its answer. It may outlive the worker
 * turn that began it: while step 3 waits for RADIUS it is parked, and the
 * worker that takes it back finishes it (issue 10). r must not move: its
 * streams point back to it.
 */
struct fcgi_call {
	struct front_parked parked;	/* first: the resume queue's link */
	FCGX_Request r;
	struct front_accept *fa;
	struct worker *w;
	struct http_request req;
	struct http_response resp;
	struct handler_call hc;
};

/* The RADIUS waiter's callback: the request goes back to the workers. */
static void
front_fcgi_resume(void *ctx)
{
	struct fcgi_call *c = ctx;

	front_accept_resume(c->fa, &c->parked);
}

/*
 * The end of a request: the answer written and flushed, the input buffer
 * wiped; the connection given back when the web server keeps it for
 * another request, else closed.
 */
static void
front_fcgi_end(struct fcgi_call *c)
{
	FCGX_Request *r = &c->r;
	char head[512];
	bool keep;
	int n, fd = r->ipcFd;

	n = http_format_head(&c->resp, false, head, sizeof(head));
	if (n < 0 || FCGX_PutStr(head, n, r->out) != n ||
	    (c->resp.body_len > 0 && FCGX_PutStr(c->resp.body,
	    (int)c->resp.body_len, r->out) != (int)c->resp.body_len) ||
	    FCGX_FFlush(r->out) != 0)
		log_warnx("worker %u: the web server went away before the "
		    "response was written", c->w->index);
	http_response_free(&c->resp);
	metrics_worker_busy(-1);
	if (r->keepConnection)
		front_fcgi_drain(r->in);
	/* The last writer to close writes FCGI_END_REQUEST. */
	FCGX_FClose(r->err);
	FCGX_FClose(r->out);
	keep = r->keepConnection && FCGX_GetError(r->out) == 0 &&
	    FCGX_GetError(r->in) == 0 && r->in->isClosed;
	front_fcgi_wipe_stream(r, r->in);
	r->ipcFd = -1;
	r->detached = 0;
	FCGX_Free(r, 0);	/* streams and parameters, not the descriptor */
	if (keep)
		front_accept_give_back(c->fa, fd);
	else
		close(fd);
	free(c);
}

/* Step 3 waits: the request is parked with the RADIUS waiter. */
static void
front_fcgi_park(struct fcgi_worker *fw, struct fcgi_call *c)
{
	front_accept_park(fw->fa);
	metrics_worker_busy(-1);	/* the thread is free; the request is in flight */
	if (radius_waiter_add(fw->waiter, handler_radius(&c->hc),
	    front_fcgi_resume, c) == 0)
		return;
	/* No room with the waiter (out of memory): this thread waits. */
	metrics_worker_busy(1);
	front_accept_unpark(fw->fa);
	radius_auth_wait(handler_radius(&c->hc));
	handler_finish(&c->hc);
	front_fcgi_end(c);
}

/*
 * One connection: libfcgi reads the request's records from fd (its own
 * accept is skipped because ipcFd is set; its listen socket is -1, so it
 * can never reach accept or its select()-based close), and the request is
 * begun: answered at once, or parked while step 3 waits.
 */
static void
front_fcgi_begin(struct fcgi_worker *fw, int fd, bool kept)
{
	struct fcgi_call *c;
	FCGX_Request *r;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    FCGX_InitRequest(&c->r, -1, 0) != 0) {
		log_err("worker %u: out of memory for a request; its "
		    "connection is closed", fw->w.index);
		free(c);
		close(fd);
		return;
	}
	c->fa = fw->fa;
	c->w = &fw->w;
	r = &c->r;
	r->ipcFd = fd;
	r->keepConnection = 1;	/* FCGX_Accept_r's first FCGX_Finish_r keeps fd */
	r->detached = 1;	/* a failed read is closed with close(), no wait */
	if (FCGX_Accept_r(r) < 0) {
		/* libfcgi closed it (r->ipcFd is -1) unless it never got to. */
		if (r->ipcFd >= 0)
			close(r->ipcFd);
		if (kept)
			log_debug("worker %u: a kept FastCGI connection ended",
			    fw->w.index);
		else
			log_warnx("worker %u: a FastCGI peer sent no complete "
			    "request (closed, not FastCGI, or silent for "
			    "fastcgi_timeout_ms); its connection is closed",
			    fw->w.index);
		r->ipcFd = -1;
		r->detached = 0;
		FCGX_Free(r, 0);
		free(c);
		return;
	}
	metrics_worker_busy(1);
	front_env_request(&c->req, front_fcgi_getenv, r);
	c->req.read_body = front_fcgi_read;
	c->req.read_ctx = r;
	if (handler_start(&c->hc, &fw->w, &c->req, &c->resp))
		front_fcgi_end(c);
	else
		front_fcgi_park(fw, c);
}

/*
 * Threads to run the steps: `worker_threads`, else as many as `workers` up
 * to FRONT_THREADS_DEFAULT. Requests waiting for RADIUS hold none, so a few
 * dozen keep two cores busy while thousands wait (issue 10); the rest of a
 * request (LDAP from a pool of ldap_connections, the signer, FastCGI I/O)
 * waits only on bounded, local work.
 */
#define FRONT_THREADS_DEFAULT 64

static unsigned
front_fcgi_threads(const struct config *cfg)
{
	if (cfg->worker_threads > 0)
		return cfg->worker_threads;
	return cfg->workers < FRONT_THREADS_DEFAULT ? cfg->workers :
	    FRONT_THREADS_DEFAULT;
}

static void *
front_fcgi_worker(void *arg)
{
	struct fcgi_worker *fw = arg;
	struct front_parked *p;
	struct fcgi_call *resumed;
	bool kept = false;
	int fd;

	for (;;) {
		fd = front_accept_take(fw->fa, &kept, &p);
		if (p != NULL) {
			resumed = (struct fcgi_call *)p;	/* its first member */
			metrics_worker_busy(1);
			handler_finish(&resumed->hc);
			front_fcgi_end(resumed);
		} else if (fd >= 0) {
			front_fcgi_begin(fw, fd, kept);
		} else {
			break;
		}
	}
	return NULL;
}

/* Waits for SIGTERM/SIGINT; SIGHUP asks the signer to reload. */
static void
front_fcgi_wait(struct server *srv, const sigset_t *set)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: reloading the signing certificate and key");
			signer_request_reload(srv->signer);
			continue;
		}
		log_info("signal %d: finishing the requests accepted", sig);
		return;
	}
}

/* Stops accepting; the workers serve what was accepted, then return. */
static void
front_fcgi_stop(struct front_accept *fa, struct fcgi_worker *fw, unsigned n)
{
	unsigned i;

	if (fa != NULL)
		front_accept_stop(fa);
	for (i = 0; i < n; i++) {
		if (!fw[i].started)
			continue;
		pthread_join(fw[i].thread, NULL);
		worker_free(&fw[i].w);
	}
}

int
front_fcgi_run(struct server *srv)
{
	struct front_listener l;
	struct front_accept *fa = NULL;
	struct fcgi_worker *fw = NULL;
	struct radius_waiter *waiter = NULL;
	unsigned i, n = front_fcgi_threads(srv->cfg), started = 0;
	pthread_attr_t attr;
	sigset_t set;
	int ret = 1;

	front_accept_raise_nofile(srv->cfg->workers > n ? srv->cfg->workers : n);
	if (FCGX_Init() != 0) {
		log_err("FastCGI: FCGX_Init failed");
		return 1;
	}
	if (front_listen_open(srv->cfg, &l) != 0) {
		front_listen_close(&l);
		return 1;
	}
	/* Issue 11: the socket is open; drop privileges, seccomp (server.c). */
	if (server_lockdown(srv) != 0) {
		front_listen_close(&l);
		return 1;
	}
	/* Start-up is over: trouble no longer goes to a terminal too (log.c). */
	log_started();
	/* Signals go to the main thread only: block them before any thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, FRONT_WORKER_STACK);
	if ((fw = calloc(n, sizeof(*fw))) == NULL) {
		log_err("out of memory for %u workers", n);
		goto cleanup;
	}
	if ((waiter = radius_waiter_start()) == NULL)
		goto cleanup;
	if ((fa = front_accept_start(&l, srv->cfg, n)) == NULL)
		goto cleanup;
	for (i = 0; i < n; i++) {
		fw[i].fa = fa;
		fw[i].waiter = waiter;
		if (worker_init(&fw[i].w, srv, i) != 0)
			goto stop;
		if ((errno = pthread_create(&fw[i].thread, &attr,
		    front_fcgi_worker, &fw[i])) != 0) {
			log_warn("worker %u: pthread_create", i);
			worker_free(&fw[i].w);
			goto stop;
		}
		fw[i].started = true;
		started++;
	}
	/* The signer monitor gone: stop, exit 1, be restarted (signer.h). */
	if (signer_watch(srv->signer, pthread_self()) != 0)
		goto stop;
	log_info("otpcep: serving FastCGI with %u workers (requests at once; "
	    "%u threads, none held by a request waiting for RADIUS)",
	    srv->cfg->workers > started ? srv->cfg->workers : started, started);
	front_fcgi_wait(srv, &set);
	ret = signer_unwatch(srv->signer) ? 1 : 0;
stop:
	front_fcgi_stop(fa, fw, n);
	front_accept_free(fa);
	fa = NULL;
cleanup:
	front_accept_free(fa);
	/* After the workers: none is parked any more. */
	radius_waiter_free(waiter);
	pthread_attr_destroy(&attr);
	free(fw);
	front_listen_close(&l);
	if (ret == 0)
		log_info("otpcep: stopped");
	return ret;
}
