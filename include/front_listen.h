/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The FastCGI listening socket and who may connect to it (issue 11,
 * "Listening"; docs/configuration.md, `listen`, `listen_backlog`,
 * `fastcgi_allowed_clients`): our own Unix or TCP socket, or one inherited
 * from systemd, the web server or spawn-fcgi.
 */
#ifndef OTPCEP_FRONT_LISTEN_H
#define OTPCEP_FRONT_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct config;

struct front_listener {
	int fd;
	bool own;		/* made by us from `listen` (else inherited) */
	bool tcp;		/* AF_INET or AF_INET6 */
	char *unix_path;	/* our own Unix socket, removed at exit */
	dev_t dev;		/* ... only while it is still this one */
	ino_t ino;
	struct sockaddr_storage *allowed;	/* fastcgi_allowed_clients */
	size_t n_allowed;
};

/*
 * --check-config: every listening rule that can be decided without binding.
 * Logs each problem; returns the number of errors (warnings do not count).
 */
unsigned front_listen_check(const struct config *cfg);

/*
 * Start-up: the socket from `listen`, systemd (LISTEN_FDS) or file descriptor
 * 0, with the listening rules applied. Returns 0, or -1 after logging.
 */
int front_listen_open(const struct config *cfg, struct front_listener *l);

/*
 * Stops new connections to our own Unix socket (its name goes away, so a
 * web server's next connect() fails at once); an inherited one is left as is.
 */
void front_listen_unlink(struct front_listener *l);

/* Closes the socket; removes our own Unix socket if it is still ours. */
void front_listen_close(struct front_listener *l);

/*
 * Whether a peer of a TCP socket may talk to us: always for Unix sockets,
 * else only an address of fastcgi_allowed_clients (loopback too when the
 * list is empty and the socket is bound to loopback).
 */
bool front_listen_allowed(const struct front_listener *l,
    const struct sockaddr *peer, socklen_t peer_len);

/* A printable address of peer (for log lines) in buf. */
const char *front_listen_peer_name(const struct sockaddr *peer,
    socklen_t peer_len, char *buf, size_t buf_len);

#endif
