/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * `metrics_listen`: GET /metrics (Prometheus text exposition format 0.0.4)
 * and GET /health (for load balancers), served by GNU libmicrohttpd on its
 * own internal thread. libmicrohttpd lives only in this file. Nothing here
 * reads a request body, and nothing served says anything secret.
 */
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "config.h"
#include "log.h"
#include "metrics.h"

struct metrics_http {
	struct MHD_Daemon *daemon;
	const struct config *cfg;
	metrics_refresh_fn refresh;	/* may be NULL */
	void *refresh_ctx;
};

static enum MHD_Result
metrics_answer_text(struct MHD_Connection *conn, unsigned code,
    const char *type, void *text, size_t len, bool must_free)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, text, must_free ?
	    MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
	if (r == NULL) {
		if (must_free)
			free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
metrics_answer(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	const struct metrics_http *h = cls;
	static const char text_type[] = "text/plain; charset=utf-8";
	char health[512];
	char *body;
	size_t len;
	int code;

	(void)version;
	(void)upload_data;
	/* Nothing is read from a body: refuse methods that could send one. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return metrics_answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    text_type, (void *)(uintptr_t)"GET or HEAD only\n", 17, false);
	if (*req_cls == NULL) {
		/* The first call only announces the headers. */
		static int seen;

		*req_cls = &seen;
		return MHD_YES;
	}
	*upload_data_size = 0;
	if (strcmp(url, "/metrics") == 0) {
		if (metrics_format(&body, &len) != 0)
			return metrics_answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    text_type, (void *)(uintptr_t)"out of memory\n", 14, false);
		/* Prometheus text exposition format, version 0.0.4. */
		return metrics_answer_text(conn, MHD_HTTP_OK,
		    "text/plain; version=0.0.4; charset=utf-8", body, len, true);
	}
	if (strcmp(url, "/health") == 0) {
		bool radius, ldap;

		/*
		 * One thread serves this port, so one refresh runs at a time;
		 * after it the parts it reached are fresh for half a window.
		 */
		metrics_stale(h->cfg, time(NULL), &radius, &ldap);
		if (h->refresh != NULL && (radius || ldap))
			h->refresh(h->refresh_ctx, radius, ldap);
		code = metrics_health(h->cfg, time(NULL), health, sizeof(health));
		return metrics_answer_text(conn, (unsigned)code, text_type, health,
		    strlen(health), false);
	}
	return metrics_answer_text(conn, MHD_HTTP_NOT_FOUND, text_type,
	    (void *)(uintptr_t)"/metrics or /health\n", 20, false);
}

static void
metrics_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_warnx("metrics: %s", line);
}

/* Splits HOST:PORT or [v6]:PORT (checked by config.c) and resolves it. */
static struct addrinfo *
metrics_resolve(const char *listen)
{
	struct addrinfo hints, *res = NULL;
	const char *colon = strrchr(listen, ':');
	char host[256];
	size_t n = (size_t)(colon - listen);
	int e;

	if (listen[0] == '[' && n >= 2) {
		listen++;
		n -= 2;
	}
	if (n >= sizeof(host)) {
		log_err("metrics_listen: '%s': host name too long", listen);
		return NULL;
	}
	memcpy(host, listen, n);
	host[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((e = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		log_err("metrics_listen: cannot resolve '%s': %s", host,
		    gai_strerror(e));
		return NULL;
	}
	return res;
}

int
metrics_http_start(const struct config *cfg, metrics_refresh_fn refresh,
    void *ctx, struct metrics_http **out)
{
	struct metrics_http *h;
	struct addrinfo *ai;
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	sigset_t all, old;

	*out = NULL;
	if (cfg->metrics_listen == NULL)
		return 0;
	if ((ai = metrics_resolve(cfg->metrics_listen)) == NULL)
		return -1;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		freeaddrinfo(ai);
		log_err("metrics: out of memory");
		return -1;
	}
	h->cfg = cfg;
	h->refresh = refresh;
	h->refresh_ctx = ctx;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/*
	 * The listener's thread takes no signal: SIGTERM and SIGHUP are for the
	 * main thread's sigwait() (docs/design.md, "Signals"). It inherits the
	 * mask in force when it is created.
	 */
	sigfillset(&all);
	/* ... but the synchronous ones: the seccomp filter's SIGSYS must be logged. */
	sigdelset(&all, SIGSYS);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* Small limits: this port serves Prometheus and a load balancer, no one else. */
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, metrics_answer, h,
	    MHD_OPTION_EXTERNAL_LOGGER, metrics_mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	freeaddrinfo(ai);
	if (h->daemon == NULL) {
		log_err("metrics_listen: cannot listen on %s (address in use, or "
		    "not an address of this machine?)", cfg->metrics_listen);
		free(h);
		return -1;
	}
	log_info("metrics: serving /metrics and /health on %s",
	    cfg->metrics_listen);
	*out = h;
	return 0;
}

void
metrics_http_stop(struct metrics_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}
