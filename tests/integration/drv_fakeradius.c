/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * A tiny fake RADIUS server for tests/integration/radius.sh: the replies a
 * real FreeRADIUS will not send.
 *   drv_fakeradius PORT SECRET_FILE MODE [DELAY_MS]
 * listens on 127.0.0.1:PORT (UDP), prints "READY", then for each request a
 * line
 *   REQUEST id=N auth=HEX first=TYPE ma=ok|bad|none user=NAME pw=PASSWORD
 * (the password recovered per RFC 2865 5.2: this is a test peer) and answers
 * as MODE says:
 *   silent             nothing
 *   accept             a correct Access-Accept with Message-Authenticator
 *   no-ma              a correct Access-Accept without Message-Authenticator
 *   forge              only broken Access-Accepts: wrong Identifier, wrong
 *                      Response Authenticator, wrong, doubled or short
 *                      Message-Authenticator, truncated, bad attribute
 *                      length, oversize, the request reflected (one without
 *                      Message-Authenticator is no-ma's: it ends the wait)
 *   forge-then-reject  the same, then after DELAY_MS a correct Access-Reject
 *   other-port         a correct Access-Accept, but from another UDP port
 *   slow-accept        a correct Access-Accept DELAY_MS after each request,
 *                      many pending at once, nothing printed per request
 *                      (an OTP appliance that takes its time, for the load
 *                      tests and `make bench-load`)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "radius_packet.h"
#include "secret.h"

static const uint8_t *secret;
static size_t secret_len;

/* Builds a reply: a Reply-Message, then (when with_ma) a Message-Authenticator. */
static size_t
reply(uint8_t *buf, uint8_t code, uint8_t id, const uint8_t *req_auth,
    int with_ma)
{
	static const char msg[] = "fake";
	size_t pos = RADIUS_HEADER_LEN, ma_off = 0;

	buf[0] = code;
	buf[1] = id;
	memcpy(buf + 4, req_auth, RADIUS_AUTH_LEN);
	buf[pos++] = 18;		/* Reply-Message */
	buf[pos++] = 2 + sizeof(msg) - 1;
	memcpy(buf + pos, msg, sizeof(msg) - 1);
	pos += sizeof(msg) - 1;
	if (with_ma) {
		buf[pos++] = RADIUS_ATTR_MESSAGE_AUTHENTICATOR;
		buf[pos++] = 2 + RADIUS_MA_LEN;
		ma_off = pos;
		memset(buf + pos, 0, RADIUS_MA_LEN);
		pos += RADIUS_MA_LEN;
	}
	buf[2] = (uint8_t)(pos >> 8);
	buf[3] = (uint8_t)pos;
	if (with_ma)
		radius_pkt_sign_ma(buf, pos, ma_off, req_auth, secret,
		    secret_len);
	radius_pkt_sign_reply(buf, pos, req_auth, secret, secret_len);
	return pos;
}

static void
send_to(int fd, const uint8_t *buf, size_t len, const struct sockaddr_in *to)
{
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to,
	    sizeof(*to)) < 0)
		perror("sendto");
}

/* Every way a reply can be broken; each would be an Accept if believed. */
static void
forge(int fd, const uint8_t *req, size_t req_len, const struct sockaddr_in *to)
{
	uint8_t b[RADIUS_PACKET_MAX + 100];
	uint8_t id = req[1];
	const uint8_t *ra = req + 4;
	size_t len;

	/* Wrong Identifier, otherwise perfect (for its Identifier). */
	len = reply(b, RADIUS_CODE_ACCESS_ACCEPT, (uint8_t)(id + 1), ra, 1);
	send_to(fd, b, len, to);
	/* Wrong Response Authenticator. */
	len = reply(b, RADIUS_CODE_ACCESS_ACCEPT, id, ra, 1);
	b[5] ^= 1;
	send_to(fd, b, len, to);
	/* Wrong Message-Authenticator, Response Authenticator made to fit. */
	len = reply(b, RADIUS_CODE_ACCESS_ACCEPT, id, ra, 1);
	b[len - 1] ^= 1;
	radius_pkt_sign_reply(b, len, ra, secret, secret_len);
	send_to(fd, b, len, to);
	/* Two Message-Authenticators, the first one right. */
	len = reply(b, RADIUS_CODE_ACCESS_ACCEPT, id, ra, 1);
	memcpy(b + len, b + len - 18, 18);
	len += 18;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	radius_pkt_sign_reply(b, len, ra, secret, secret_len);
	send_to(fd, b, len, to);
	/* Truncated: Length says 4 bytes more than sent. */
	len = reply(b, RADIUS_CODE_ACCESS_ACCEPT, id, ra, 1);
	b[3] += 4;
	radius_pkt_sign_reply(b, len + 4, ra, secret, secret_len);
	send_to(fd, b, len, to);
	/* An attribute length running past the end. */
	len = reply(b, RADIUS_CODE_ACCESS_ACCEPT, id, ra, 1);
	b[RADIUS_HEADER_LEN + 1] = 200;
	radius_pkt_sign_reply(b, len, ra, secret, secret_len);
	send_to(fd, b, len, to);
	/* A datagram over 4096 bytes. */
	len = reply(b, RADIUS_CODE_ACCESS_ACCEPT, id, ra, 1);
	memset(b + len, 0, sizeof(b) - len);
	send_to(fd, b, sizeof(b), to);
	/* The request itself, reflected. */
	send_to(fd, req, req_len, to);
	/* A Message-Authenticator of the wrong size (10 bytes). */
	len = reply(b, RADIUS_CODE_ACCESS_ACCEPT, id, ra, 0);
	b[len] = RADIUS_ATTR_MESSAGE_AUTHENTICATOR;
	b[len + 1] = 12;
	memset(b + len + 2, 0, 10);
	len += 12;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	radius_pkt_sign_reply(b, len, ra, secret, secret_len);
	send_to(fd, b, len, to);
}

/* Prints the request as the test reads it; the password unhidden. */
static void
describe(const uint8_t *p, size_t n)
{
	char user[256] = "", pw[129] = "", hex[33];
	const char *ma = "none";
	size_t pos, len, i, j, ma_off = 0;
	uint8_t prev[16], b[16], copy[RADIUS_PACKET_MAX];

	if (n < RADIUS_HEADER_LEN || p[0] != RADIUS_CODE_ACCESS_REQUEST)
		return;
	len = (size_t)p[2] << 8 | p[3];
	if (len > n || len < RADIUS_HEADER_LEN)
		return;
	for (pos = RADIUS_HEADER_LEN; pos + 2 <= len && p[pos + 1] >= 2 &&
	    pos + p[pos + 1] <= len; pos += p[pos + 1]) {
		const uint8_t *v = p + pos + 2;
		size_t vl = p[pos + 1] - 2u;

		if (p[pos] == RADIUS_ATTR_USER_NAME && vl < sizeof(user))
			memcpy(user, v, vl), user[vl] = '\0';
		if (p[pos] == RADIUS_ATTR_MESSAGE_AUTHENTICATOR && vl == 16)
			ma_off = pos + 2;
		if (p[pos] == RADIUS_ATTR_USER_PASSWORD && vl % 16 == 0 &&
		    vl <= 128) {
			memcpy(prev, p + 4, 16);
			for (i = 0; i < vl; i += 16) {
				gnutls_hash_hd_t h;

				gnutls_hash_init(&h, GNUTLS_DIG_MD5);
				gnutls_hash(h, secret, secret_len);
				gnutls_hash(h, prev, 16);
				gnutls_hash_deinit(h, b);
				for (j = 0; j < 16; j++)
					pw[i + j] = (char)(v[i + j] ^ b[j]);
				memcpy(prev, v + i, 16);
			}
			pw[vl] = '\0';
		}
	}
	if (ma_off) {
		memcpy(copy, p, len);
		radius_pkt_sign_ma(copy, len, ma_off, p + 4, secret, secret_len);
		ma = memcmp(copy + ma_off, p + ma_off, 16) == 0 ? "ok" : "bad";
	}
	for (i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", p[4 + i]);
	printf("REQUEST id=%u auth=%s first=%u ma=%s user=%s pw=%s\n", p[1],
	    hex, len > RADIUS_HEADER_LEN ? p[RADIUS_HEADER_LEN] : 0, ma, user,
	    pw);
	fflush(stdout);
}

/* A request waiting for its delayed answer (slow-accept). */
struct pending {
	int64_t due;
	struct sockaddr_in peer;
	uint8_t id;
	uint8_t auth[RADIUS_AUTH_LEN];
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* slow-accept: every request is answered delay_ms later, in arrival order. */
static void
slow_accept(int fd, long delay_ms)
{
	enum { QMAX = 65536 };
	static struct pending q[QMAX];
	uint8_t req[RADIUS_PACKET_MAX], b[RADIUS_PACKET_MAX];
	size_t head = 0, len = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t now = now_ms();
		int timeout = -1;

		while (len > 0 && q[head].due <= now) {
			size_t n = reply(b, RADIUS_CODE_ACCESS_ACCEPT, q[head].id,
			    q[head].auth, 1);

			send_to(fd, b, n, &q[head].peer);
			head = (head + 1) % QMAX;
			len--;
		}
		if (len > 0)
			timeout = (int)(q[head].due - now);
		if (poll(&p, 1, timeout) <= 0)
			continue;
		for (;;) {
			struct pending *e = &q[(head + len) % QMAX];
			socklen_t peer_len = sizeof(e->peer);
			ssize_t n = recvfrom(fd, req, sizeof(req), MSG_DONTWAIT,
			    (struct sockaddr *)&e->peer, &peer_len);

			if (n < 0)
				break;
			if (n < RADIUS_HEADER_LEN || req[0] != RADIUS_CODE_ACCESS_REQUEST ||
			    len == QMAX)
				continue;
			e->due = now_ms() + delay_ms;
			e->id = req[1];
			memcpy(e->auth, req + 4, RADIUS_AUTH_LEN);
			len++;
		}
	}
}

int
main(int argc, char **argv)
{
	struct secret s = { 0 };
	struct sockaddr_in addr, peer;
	socklen_t peer_len;
	uint8_t req[RADIUS_PACKET_MAX], b[RADIUS_PACKET_MAX];
	const char *mode;
	ssize_t n;
	size_t len;
	int fd, other;
	long delay_ms = 0;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: drv_fakeradius PORT SECRET_FILE MODE "
		    "[DELAY_MS]\n");
		return 2;
	}
	mode = argv[3];
	if (argc == 5)
		delay_ms = atol(argv[4]);
	if (secret_read_file(argv[2], &s) != SECRET_OK) {
		fprintf(stderr, "cannot read %s\n", argv[2]);
		return 2;
	}
	secret = s.data;
	secret_len = s.len;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    (other = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
		perror("socket/bind");
		return 2;
	}
	printf("READY\n");
	fflush(stdout);
	if (strcmp(mode, "slow-accept") == 0)
		slow_accept(fd, delay_ms);
	for (;;) {
		peer_len = sizeof(peer);
		n = recvfrom(fd, req, sizeof(req), 0, (struct sockaddr *)&peer,
		    &peer_len);
		if (n < RADIUS_HEADER_LEN)
			continue;
		describe(req, (size_t)n);
		if (strcmp(mode, "accept") == 0) {
			len = reply(b, RADIUS_CODE_ACCESS_ACCEPT, req[1], req + 4, 1);
			send_to(fd, b, len, &peer);
		} else if (strcmp(mode, "no-ma") == 0) {
			len = reply(b, RADIUS_CODE_ACCESS_ACCEPT, req[1], req + 4, 0);
			send_to(fd, b, len, &peer);
		} else if (strcmp(mode, "forge") == 0) {
			forge(fd, req, (size_t)n, &peer);
		} else if (strcmp(mode, "forge-then-reject") == 0) {
			struct timespec ts = { delay_ms / 1000,
			    (delay_ms % 1000) * 1000000 };

			forge(fd, req, (size_t)n, &peer);
			nanosleep(&ts, NULL);
			len = reply(b, RADIUS_CODE_ACCESS_REJECT, req[1], req + 4, 1);
			send_to(fd, b, len, &peer);
		} else if (strcmp(mode, "other-port") == 0) {
			len = reply(b, RADIUS_CODE_ACCESS_ACCEPT, req[1], req + 4, 1);
			send_to(other, b, len, &peer);
		}
		/* silent: nothing */
	}
}
