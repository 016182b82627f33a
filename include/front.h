/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The three ways a request reaches the responder. Each returns the process
 * exit status. Only front_fcgi.c uses libfcgi.
 */
#ifndef OTPCEP_FRONT_H
#define OTPCEP_FRONT_H

#include <stdbool.h>

struct server;

/* FastCGI: serves until SIGTERM with cfg->workers threads. */
int front_fcgi_run(struct server *srv);

/* One-shot CGI: the request in the environment and on stdin. */
int front_cgi_run(struct server *srv);

/* Whether the environment looks like a CGI invocation. */
bool front_cgi_detected(void);

/* Replay: a stored HTTP request from path ("-" for stdin), the response on stdout. */
int front_replay_run(struct server *srv, const char *path);

#endif
