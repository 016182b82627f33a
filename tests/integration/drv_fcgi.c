/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Test driver: a FastCGI client (FastCGI 1.0 specification, sections 3 and
 * 5: BEGIN_REQUEST as a Responder, PARAMS, STDIN, then STDOUT/STDERR up to
 * END_REQUEST), so that a test can send the variable set of a web server
 * the tests cannot run, such as IIS. One request per run.
 *
 *   drv_fcgi unix:PATH BODY-FILE NAME=VALUE...
 *
 * Writes the application's STDOUT (the CGI response) to standard output.
 * Exit status: 0 answered, 2 usage or files, 3 connection or protocol error.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../testutil.h"

#define FCGI_VERSION_1		1
#define FCGI_BEGIN_REQUEST	1
#define FCGI_END_REQUEST	3
#define FCGI_PARAMS		4
#define FCGI_STDIN		5
#define FCGI_STDOUT		6
#define FCGI_STDERR		7
#define FCGI_RESPONDER		1
#define FCGI_REQUEST_ID		1

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_all(int fd, uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = read(fd, p, len)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One record (section 3.3): header, content, no padding. */
static int
record(int fd, uint8_t type, const uint8_t *content, size_t len)
{
	uint8_t h[8] = { FCGI_VERSION_1, type, 0, FCGI_REQUEST_ID,
	    (uint8_t)(len >> 8), (uint8_t)len, 0, 0 };

	if (len > 0xffff)
		return -1;
	if (write_all(fd, h, sizeof(h)) < 0)
		return -1;
	return len > 0 ? write_all(fd, content, len) : 0;
}

/* A name-value pair length (section 3.4): 1 byte below 128, else 4. */
static size_t
nv_len(uint8_t *out, size_t n)
{
	if (n < 128) {
		out[0] = (uint8_t)n;
		return 1;
	}
	out[0] = (uint8_t)(0x80 | (n >> 24));
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	return 4;
}

int
main(int argc, char **argv)
{
	static uint8_t params[65535];
	struct sockaddr_un sun;
	uint8_t begin[8] = { 0, FCGI_RESPONDER, 0, 0, 0, 0, 0, 0 }, h[8];
	uint8_t *body, *content = NULL;
	size_t body_len = 0, plen = 0, off, chunk, clen;
	int fd, i;

	if (argc < 3 || strncmp(argv[1], "unix:", 5) != 0 ||
	    strlen(argv[1] + 5) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: drv_fcgi unix:PATH BODY-FILE NAME=VALUE...\n");
		return 2;
	}
	if ((body = (uint8_t *)tu_read_file(argv[2], &body_len)) == NULL) {
		fprintf(stderr, "drv_fcgi: cannot read %s\n", argv[2]);
		return 2;
	}
	for (i = 3; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t nl, vl;

		if (eq == NULL)
			return 2;
		nl = (size_t)(eq - argv[i]);
		vl = strlen(eq + 1);
		if (plen + 8 + nl + vl > sizeof(params))
			return 2;
		plen += nv_len(params + plen, nl);
		plen += nv_len(params + plen, vl);
		memcpy(params + plen, argv[i], nl);
		plen += nl;
		memcpy(params + plen, eq + 1, vl);
		plen += vl;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, argv[1] + 5);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "drv_fcgi: connect %s: %s\n", argv[1],
		    strerror(errno));
		return 3;
	}
	/* Section 5.1: BEGIN_REQUEST, role Responder, the connection closed after. */
	if (record(fd, FCGI_BEGIN_REQUEST, begin, sizeof(begin)) < 0 ||
	    record(fd, FCGI_PARAMS, params, plen) < 0 ||
	    record(fd, FCGI_PARAMS, NULL, 0) < 0)
		goto proto;
	/*
	 * The application may answer (and close) as soon as it has read
	 * CONTENT_LENGTH bytes, before the closing empty STDIN record: a failed
	 * write here is not an error, the answer is read all the same.
	 */
	for (off = 0; off < body_len; off += chunk) {
		chunk = body_len - off > 65535 ? 65535 : body_len - off;
		if (record(fd, FCGI_STDIN, body + off, chunk) < 0)
			break;
	}
	if (off >= body_len)
		(void)record(fd, FCGI_STDIN, NULL, 0);
	for (;;) {
		if (read_all(fd, h, sizeof(h)) < 0 || h[0] != FCGI_VERSION_1)
			goto proto;
		clen = (size_t)h[4] << 8 | h[5];
		free(content);
		if ((content = malloc(clen + h[6] + 1)) == NULL ||
		    read_all(fd, content, clen + h[6]) < 0)
			goto proto;
		if (h[1] == FCGI_STDOUT)
			fwrite(content, 1, clen, stdout);
		else if (h[1] == FCGI_STDERR)
			fwrite(content, 1, clen, stderr);
		else if (h[1] == FCGI_END_REQUEST)
			break;
	}
	free(content);
	free(body);
	close(fd);
	return 0;
proto:
	fprintf(stderr, "drv_fcgi: FastCGI exchange failed\n");
	free(content);
	free(body);
	close(fd);
	return 3;
}
