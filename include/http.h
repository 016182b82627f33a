/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The HTTP envelope of MS-OTPCE (1.4, 1.7, 2.1, 2.2), independent of how the
 * request arrived (FastCGI, CGI or replay). Each front fills a struct
 * http_request from what its web server passed and writes the struct
 * http_response back.
 */
#ifndef OTPCEP_HTTP_H
#define OTPCEP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct http_request {
	const char *method;		/* REQUEST_METHOD */
	const char *content_type;	/* CONTENT_TYPE, or NULL */
	const char *content_length;	/* CONTENT_LENGTH as passed, or NULL */
	const char *protocol_version;	/* X-OTPCEP-version, or NULL */
	bool https;			/* HTTPS=on */
	bool client_cert_verified;	/* SSL_CLIENT_VERIFY=SUCCESS */
	const char *remote_addr;	/* for the log, or NULL */
	const char *client_subject;	/* SSL_CLIENT_S_DN (IIS: CERT_SUBJECT), for the log, or NULL */
	/* Reads up to len body bytes: returns the count, 0 at the end, -1 on error. */
	ssize_t (*read_body)(void *ctx, void *buf, size_t len);
	void *read_ctx;
};

struct http_response {
	int status;			/* 200, 400, 403, 405, 411, 413, 415, 500 ... */
	bool allow_post;		/* add "Allow: POST" (with 405) */
	char *body;			/* owned; may be NULL when body_len is 0 */
	size_t body_len;
};

/* The reason phrase for an HTTP status code ("OK", "Not Found", ...). */
const char *http_reason(int status);

/*
 * Writes the response head, CGI style ("Status: 200 OK\r\n...") when
 * status_line is false, or with an HTTP/1.1 status line when true, followed by
 * the empty line. Returns the length written, or -1 if buf is too small.
 */
int http_format_head(const struct http_response *resp, bool status_line,
    char *buf, size_t buf_len);

void http_response_free(struct http_response *resp);

#endif
