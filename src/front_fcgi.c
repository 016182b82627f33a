/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * FastCGI front, the only file that uses libfcgi. `workers` threads each
 * accept and serve requests on one listening socket: from `listen`, from
 * systemd socket activation (LISTEN_FDS), or file descriptor 0 as a web
 * server or spawn-fcgi hands it over. The main thread waits for signals:
 * SIGHUP asks the signer to reload, SIGTERM/SIGINT stop accepting, let the
 * requests in progress finish and exit (docs/design.md).
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
#include "front_env.h"
#include "handler.h"
#include "log.h"
#include "server.h"
#include "signer.h"

#define FCGI_BACKLOG 64
#define SD_LISTEN_FDS_START 3

struct fcgi_worker {
	struct worker w;
	pthread_t thread;
	int listen_fd;
	pthread_mutex_t *accept_lock;
	bool started;
	atomic_bool idle;	/* waiting for a request, not serving one */
	atomic_bool done;	/* the thread has left its loop */
};

/* Interrupts a worker's accept() at shutdown (installed without SA_RESTART). */
static void
front_fcgi_wake(int sig)
{
	(void)sig;
}

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

static bool
front_fcgi_is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/*
 * The listening socket. `listen = unix:PATH` is created mode 0660 (the web
 * server's group must reach it); HOST:PORT is a TCP socket. Returns -1 after
 * logging when there is none.
 */
static int
front_fcgi_socket(const struct config *cfg)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	int fd;

	if (cfg->listen != NULL) {
		const char *path = cfg->listen;

		if (strncmp(path, "unix:", 5) == 0) {
			path += 5;
			unlink(path);	/* a stale socket from an earlier run */
		}
		if ((fd = FCGX_OpenSocket(path, FCGI_BACKLOG)) < 0) {
			log_err("FastCGI: cannot listen on %s", cfg->listen);
			return -1;
		}
		if (path != cfg->listen && chmod(path, 0660) != 0)
			log_warn("FastCGI: chmod %s", path);
		log_info("FastCGI: listening on %s", cfg->listen);
		return fd;
	}
	/* systemd socket activation (sd_listen_fds(3)): one socket, fd 3. */
	if (fds != NULL && pid != NULL && atol(pid) == (long)getpid()) {
		if (strcmp(fds, "1") != 0) {
			log_err("FastCGI: systemd passed %s sockets; one is expected", fds);
			return -1;
		}
		return SD_LISTEN_FDS_START;
	}
	if (front_fcgi_is_socket(0))
		return 0;
	log_err("FastCGI: no socket. Set `listen`, or start otpcep from the web "
	    "server, spawn-fcgi or a systemd socket unit (for one CGI request, set "
	    "REQUEST_METHOD; for a stored one, use --replay)");
	return -1;
}

/* Serves one accepted request; a peer that went away is only logged. */
static void
front_fcgi_serve(struct worker *w, FCGX_Request *r)
{
	struct http_request req = { 0 };
	struct http_response resp;
	char head[512];
	int n;

	front_env_request(&req, front_fcgi_getenv, r);
	req.read_body = front_fcgi_read;
	req.read_ctx = r;
	handler_serve(w, &req, &resp);
	n = http_format_head(&resp, false, head, sizeof(head));
	if (n < 0 || FCGX_PutStr(head, n, r->out) != n ||
	    (resp.body_len > 0 && FCGX_PutStr(resp.body, (int)resp.body_len,
	    r->out) != (int)resp.body_len) || FCGX_FFlush(r->out) != 0)
		log_warnx("worker %u: the web server went away before the "
		    "response was written", w->index);
	http_response_free(&resp);
}

static void *
front_fcgi_worker(void *arg)
{
	struct fcgi_worker *fw = arg;
	FCGX_Request r;
	int rc;

	if (FCGX_InitRequest(&r, fw->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_err("worker %u: FCGX_InitRequest failed", fw->w.index);
		return NULL;
	}
	for (;;) {
		atomic_store(&fw->idle, true);
		/* libfcgi's threaded use serialises accept (examples/threaded.c). */
		pthread_mutex_lock(fw->accept_lock);
		rc = FCGX_Accept_r(&r);
		pthread_mutex_unlock(fw->accept_lock);
		atomic_store(&fw->idle, false);
		if (rc < 0)
			break;	/* interrupted at shutdown */
		front_fcgi_serve(&fw->w, &r);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 0);
	atomic_store(&fw->done, true);
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
		log_info("signal %d: finishing the requests in progress", sig);
		return;
	}
}

/*
 * Stops the workers: no new request is taken, requests in progress finish.
 * The listening socket may be shared (systemd keeps it for the next start,
 * lighttpd with several processes), so it is not shut down: each worker idle
 * in accept() is interrupted with SIGUSR1 instead, again every 50 ms until
 * every worker has left its loop (one may reach accept() just after a signal).
 */
static void
front_fcgi_stop(struct fcgi_worker *fw, unsigned n)
{
	const struct timespec tick = { 0, 50 * 1000 * 1000 };
	bool running;
	unsigned i;

	FCGX_ShutdownPending();
	do {
		running = false;
		for (i = 0; i < n; i++) {
			if (!fw[i].started || atomic_load(&fw[i].done))
				continue;
			running = true;
			if (atomic_load(&fw[i].idle))
				pthread_kill(fw[i].thread, SIGUSR1);
		}
		if (running)
			nanosleep(&tick, NULL);
	} while (running);
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
	pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;
	struct fcgi_worker *fw = NULL;
	unsigned i, n = srv->cfg->workers;
	struct sigaction wake;
	sigset_t set;
	int fd, ret = 1;

	if (FCGX_Init() != 0 || (fd = front_fcgi_socket(srv->cfg)) < 0)
		return 1;
	/* Issue 11: the socket is open; drop privileges, seccomp (server.c). */
	if (server_lockdown(srv) != 0) {
		close(fd);
		return 1;
	}
	memset(&wake, 0, sizeof(wake));
	wake.sa_handler = front_fcgi_wake;	/* no SA_RESTART: accept() returns EINTR */
	sigemptyset(&wake.sa_mask);
	sigaction(SIGUSR1, &wake, NULL);
	/* Signals go to the main thread only: block them before the workers. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((fw = calloc(n, sizeof(*fw))) == NULL) {
		log_err("out of memory for %u workers", n);
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		fw[i].listen_fd = fd;
		fw[i].accept_lock = &accept_lock;
		if (worker_init(&fw[i].w, srv, i) != 0)
			goto stop;
		if ((errno = pthread_create(&fw[i].thread, NULL,
		    front_fcgi_worker, &fw[i])) != 0) {
			log_warn("worker %u: pthread_create", i);
			worker_free(&fw[i].w);
			goto stop;
		}
		fw[i].started = true;
	}
	log_info("otpcep: serving FastCGI with %u workers", n);
	front_fcgi_wait(srv, &set);
	ret = 0;
stop:
	front_fcgi_stop(fw, n);
cleanup:
	free(fw);
	/* An inherited socket (systemd, the web server) stays theirs: only closed. */
	close(fd);
	if (srv->cfg->listen != NULL && strncmp(srv->cfg->listen, "unix:", 5) == 0)
		unlink(srv->cfg->listen + 5);
	return ret;
}
