/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * ncacn_ip_tcp (MS-RPCE 2.1.1.1): one TCP connection carrying whole PDUs,
 * every read and write bounded by a timeout; the client's bind (C706 12.6.4.3,
 * MS-RPCE 3.3.1.5.2 for the security legs) and calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dcerpc_conn.h"

#define DEFAULT_TIMEOUT_MS	30000

static void
conn_reset(struct dcerpc_conn *conn, int fd, int timeout_ms)
{
	memset(conn, 0, offsetof(struct dcerpc_conn, buf));
	conn->fd = fd;
	conn->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
	conn->max_xmit_frag = DCERPC_FRAG_DEFAULT;
	/* until a bind negotiates less: a bind carrying a large ticket */
	conn->max_recv_frag = DCERPC_FRAG_LIMIT;
	conn->next_call_id = 1;
	conn->error[0] = '\0';
}

void
dcerpc_conn_init_fd(struct dcerpc_conn *conn, int fd, int timeout_ms)
{
	conn_reset(conn, fd, timeout_ms);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
dcerpc_conn_set_deadline(struct dcerpc_conn *conn, int ms)
{
	conn->deadline_ms = now_ms() + (ms > 0 ? ms : 1);
}

/*
 * Waits until fd is ready for events, within the connection's timeout and
 * before its deadline.
 */
static enum dcerpc_err
wait_fd(struct dcerpc_conn *conn, short events)
{
	struct pollfd pfd = { conn->fd, events, 0 };
	int n, wait;

	do {
		wait = conn->timeout_ms;
		if (conn->deadline_ms != 0) {
			int64_t left = conn->deadline_ms - now_ms();

			if (left <= 0)
				return DCERPC_E_TIMEOUT;
			if (left < wait)
				wait = (int)left;
		}
		n = poll(&pfd, 1, wait);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return DCERPC_E_TIMEOUT;
	return n < 0 ? DCERPC_E_IO : DCERPC_OK;
}

enum dcerpc_err
dcerpc_conn_open(struct dcerpc_conn *conn, const char *host, uint16_t port,
    int timeout_ms)
{
	struct addrinfo hints, *res = NULL, *ai;
	enum dcerpc_err r = DCERPC_E_CONNECT;
	char portstr[8];
	int fd = -1, e;

	conn_reset(conn, -1, timeout_ms);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	if ((e = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		snprintf(conn->error, sizeof(conn->error), "%s: %s", host,
		    gai_strerror(e));
		return DCERPC_E_CONNECT;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		socklen_t sl = sizeof(e);
		int err;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		conn->fd = fd;
		r = DCERPC_E_CONNECT;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			r = DCERPC_OK;
			break;
		}
		err = errno;
		/*
		 * POSIX connect(): a non-blocking connect that is under way
		 * says EINPROGRESS; how it ended (ECONNREFUSED, EHOSTUNREACH,
		 * ...) is read with SO_ERROR once the socket is writable.
		 */
		if (err == EINPROGRESS) {
			if ((r = wait_fd(conn, POLLOUT)) == DCERPC_E_IO)
				err = errno;
			else if (r == DCERPC_OK) {
				e = 0;
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e,
				    &sl) != 0)
					err = errno;
				else if (e == 0)
					break;
				else
					err = e;
				r = DCERPC_E_CONNECT;
			}
		}
		snprintf(conn->error, sizeof(conn->error), "%s port %u: %s",
		    host, (unsigned)port, r == DCERPC_E_TIMEOUT ?
		    "connection timed out" : strerror(err));
		if (r != DCERPC_E_TIMEOUT)
			r = DCERPC_E_CONNECT;
		close(fd);
		conn->fd = fd = -1;
	}
	freeaddrinfo(res);
	return fd < 0 ? (r == DCERPC_OK ? DCERPC_E_CONNECT : r) : DCERPC_OK;
}

void
dcerpc_conn_close(struct dcerpc_conn *conn)
{
	if (conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
}

enum dcerpc_err
dcerpc_conn_write(struct dcerpc_conn *conn, const uint8_t *buf, size_t len)
{
	enum dcerpc_err r;
	ssize_t n;

	while (len > 0) {
		n = send(conn->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((r = wait_fd(conn, POLLOUT)) != DCERPC_OK)
				return r;
			continue;
		}
		if (n <= 0) {
			snprintf(conn->error, sizeof(conn->error),
			    "writing: %s", strerror(errno));
			return DCERPC_E_IO;
		}
		buf += n;
		len -= (size_t)n;
	}
	return DCERPC_OK;
}

/* Reads exactly len bytes; *eof_ok allows a clean EOF before the first. */
static enum dcerpc_err
read_full(struct dcerpc_conn *conn, uint8_t *buf, size_t len, bool eof_ok)
{
	enum dcerpc_err r;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = recv(conn->fd, buf + got, len - got, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((r = wait_fd(conn, POLLIN)) != DCERPC_OK)
				return r;
			continue;
		}
		if (n < 0) {
			snprintf(conn->error, sizeof(conn->error),
			    "reading: %s", strerror(errno));
			return DCERPC_E_IO;
		}
		if (n == 0)
			return got == 0 && eof_ok ? DCERPC_E_CLOSED :
			    DCERPC_E_TRUNCATED;
		got += (size_t)n;
	}
	return DCERPC_OK;
}

enum dcerpc_err
dcerpc_conn_read(struct dcerpc_conn *conn, struct dcerpc_pdu *pdu,
    size_t *len)
{
	struct dcerpc_hdr h;
	enum dcerpc_err r;

	if ((r = read_full(conn, conn->buf, DCERPC_HDR_LEN, true)) != DCERPC_OK)
		return r;
	if ((r = dcerpc_hdr_peek(conn->buf, DCERPC_HDR_LEN,
	    conn->max_recv_frag, &h)) != DCERPC_OK) {
		snprintf(conn->error, sizeof(conn->error), "received PDU: %s",
		    dcerpc_strerror(r));
		return r;
	}
	if ((r = read_full(conn, conn->buf + DCERPC_HDR_LEN,
	    h.frag_length - DCERPC_HDR_LEN, false)) != DCERPC_OK)
		return r;
	*len = h.frag_length;
	if ((r = dcerpc_pdu_decode(conn->buf, *len, pdu)) != DCERPC_OK)
		snprintf(conn->error, sizeof(conn->error), "received PDU: %s",
		    dcerpc_strerror(r));
	return r;
}
