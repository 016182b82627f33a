/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Replay: a stored HTTP/1.x request (request line, headers, empty line, body)
 * in, the HTTP response out, for debugging and golden-file tests. The stored
 * request stands for one that reached the web server, so it is taken as
 * having arrived over HTTPS with a verified client certificate
 * (docs/design.md, "Replay").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "front.h"
#include "handler.h"
#include "log.h"
#include "server.h"

#define REPLAY_LINE_MAX 8192
#define REPLAY_HEADERS_MAX 100

struct replay_head {
	char method[16];
	char content_type[256];
	char content_length[32];
	char version[32];
	bool has_type, has_length, has_version;
};

static ssize_t
front_replay_read(void *ctx, void *buf, size_t len)
{
	FILE *f = ctx;
	size_t n = fread(buf, 1, len, f);

	if (n == 0 && ferror(f))
		return -1;
	return (ssize_t)n;
}

/* Copies a header value without leading white space or the line end. */
static void
front_replay_value(char *dst, size_t dst_len, const char *v)
{
	size_t n;

	v += strspn(v, " \t");
	n = strcspn(v, "\r\n");
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= dst_len)
		n = dst_len - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* Reads the request line and the headers. Returns 0, or -1 (logged). */
static int
front_replay_head(FILE *f, struct replay_head *h)
{
	char line[REPLAY_LINE_MAX];
	int count = 0;

	memset(h, 0, sizeof(*h));
	if (fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "%15s", h->method) != 1 ||
	    strstr(line, " HTTP/1.") == NULL) {
		log_err("replay: the first line is not an HTTP/1.x request line");
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon;

		if (strchr(line, '\n') == NULL && !feof(f)) {
			log_err("replay: a header line is longer than %d bytes",
			    REPLAY_LINE_MAX);
			return -1;
		}
		if (strcmp(line, "\r\n") == 0 || strcmp(line, "\n") == 0)
			return 0;
		if (++count > REPLAY_HEADERS_MAX || (colon = strchr(line, ':')) == NULL) {
			log_err("replay: bad header line %d", count);
			return -1;
		}
		*colon = '\0';
		if (strcasecmp(line, "Content-Type") == 0) {
			front_replay_value(h->content_type, sizeof(h->content_type), colon + 1);
			h->has_type = true;
		} else if (strcasecmp(line, "Content-Length") == 0) {
			front_replay_value(h->content_length, sizeof(h->content_length), colon + 1);
			h->has_length = true;
		} else if (strcasecmp(line, "X-OTPCEP-version") == 0) {
			front_replay_value(h->version, sizeof(h->version), colon + 1);
			h->has_version = true;
		}
	}
	log_err("replay: the request ends before the empty line after the headers");
	return -1;
}

int
front_replay_run(struct server *srv, const char *path)
{
	struct http_request req = { 0 };
	struct http_response resp;
	struct replay_head h;
	struct worker w;
	char head[512];
	FILE *f;
	int n, ret = 1;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL) {
		log_warn("replay: %s", path);
		return 1;
	}
	if (front_replay_head(f, &h) != 0)
		goto close;
	if (worker_init(&w, srv, 0) != 0)
		goto close;
	req.method = h.method;
	req.content_type = h.has_type ? h.content_type : NULL;
	req.content_length = h.has_length ? h.content_length : NULL;
	req.protocol_version = h.has_version ? h.version : NULL;
	req.https = true;
	req.client_cert_verified = true;
	req.remote_addr = "replay";
	req.read_body = front_replay_read;
	req.read_ctx = f;
	handler_serve(&w, &req, &resp);
	n = http_format_head(&resp, true, head, sizeof(head));
	if (n >= 0 && fwrite(head, 1, (size_t)n, stdout) == (size_t)n &&
	    (resp.body_len == 0 ||
	    fwrite(resp.body, 1, resp.body_len, stdout) == resp.body_len) &&
	    fflush(stdout) == 0)
		ret = 0;
	else
		log_warn("replay: writing the response");
	http_response_free(&resp);
	worker_free(&w);
close:
	if (f != stdin)
		fclose(f);
	return ret;
}
