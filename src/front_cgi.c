/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * One-shot CGI (RFC 3875): the request in the environment and on stdin, the
 * response with a CGI Status: header on stdout. For debugging a deployment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "front.h"
#include "front_env.h"
#include "handler.h"
#include "log.h"
#include "server.h"

bool
front_cgi_detected(void)
{
	/* RFC 3875 4.1.4 and 4.1.12: set by every CGI web server. */
	return getenv("GATEWAY_INTERFACE") != NULL ||
	    getenv("REQUEST_METHOD") != NULL;
}

static const char *
front_cgi_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static ssize_t
front_cgi_read(void *ctx, void *buf, size_t len)
{
	ssize_t n;

	(void)ctx;
	do
		n = read(STDIN_FILENO, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Writes all of buf; -1 when the web server went away. */
static int
front_cgi_write(const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(STDOUT_FILENO, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
front_cgi_run(struct server *srv)
{
	struct http_request req = { 0 };
	struct http_response resp;
	struct worker w;
	char head[512];
	int n, ret = 1;

	if (worker_init(&w, srv, 0) != 0)
		return 1;
	front_env_request(&req, front_cgi_getenv, NULL);
	req.read_body = front_cgi_read;
	handler_serve(&w, &req, &resp);
	n = http_format_head(&resp, false, head, sizeof(head));
	if (n < 0 || front_cgi_write(head, (size_t)n) != 0 ||
	    front_cgi_write(resp.body, resp.body_len) != 0)
		log_warn("CGI: the web server went away before the response was written");
	else
		ret = 0;
	http_response_free(&resp);
	worker_free(&w);
	return ret;
}
