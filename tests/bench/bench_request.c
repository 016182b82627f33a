/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * make bench-load's instruction count (callgrind): whole requests, from the
 * HTTP envelope to the response, in one process against the real slapd and
 * RADIUS server the benchmark started. The responder itself cannot run under
 * valgrind (valgrind does not support its seccomp filter), so this program
 * runs handler_serve(): the FastCGI workers' handler_start() and
 * handler_finish(), with step 3 waited for in place (radius_auth_wait())
 * instead of by the RADIUS waiter, and the signing key loaded here instead
 * of in the signer process (the same signature).
 *
 *   bench_request CONFIG BODY.xml N
 *
 * prints "N Success"; run it under
 *   valgrind --tool=callgrind --toggle-collect=handler_serve
 * to count only the requests' own instructions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "config.h"
#include "handler.h"
#include "http.h"
#include "log.h"
#include "msg.h"
#include "server.h"
#include "../testutil.h"

struct body {
	const char *data;
	size_t len, pos;
};

static ssize_t
body_read(void *ctx, void *buf, size_t len)
{
	struct body *b = ctx;
	size_t n = b->len - b->pos < len ? b->len - b->pos : len;

	memcpy(buf, b->data + b->pos, n);
	b->pos += n;
	return (ssize_t)n;
}

int
main(int argc, char **argv)
{
	struct server srv;
	struct worker w;
	struct config *cfg;
	char *xml, length[32];
	size_t xml_len;
	unsigned n, i, ok = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_request CONFIG BODY.xml N\n");
		return 64;
	}
	n = (unsigned)atoi(argv[3]);
	log_init(LOG_TO_STDERR, 0);
	if ((cfg = config_load(argv[1])) == NULL ||
	    (xml = tu_read_file(argv[2], &xml_len)) == NULL)
		return 2;
	msg_init();
	if (server_init(&srv, cfg, false) != 0 || worker_init(&w, &srv, 0) != 0)
		return 2;
	snprintf(length, sizeof(length), "%zu", xml_len);
	for (i = 0; i < n; i++) {
		struct body b = { xml, xml_len, 0 };
		struct http_request req = { 0 };
		struct http_response resp;

		req.method = "POST";
		req.content_type = "application/xml";
		req.content_length = length;
		req.protocol_version = "1.0";
		req.https = true;
		req.client_cert_verified = true;
		req.read_body = body_read;
		req.read_ctx = &b;
		handler_serve(&w, &req, &resp);
		if (resp.status == 200 && resp.body != NULL &&
		    strstr(resp.body, "statusCode=\"Success\"") != NULL)
			ok++;
		http_response_free(&resp);
	}
	printf("%u Success\n", ok);
	worker_free(&w);
	server_free(&srv);
	msg_deinit();
	config_free(cfg);
	free(xml);
	return ok == n ? 0 : 1;
}
