/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * One request, from the HTTP envelope to the response: envelope checks, body
 * read with its size limit, message parse, the procedure, the response
 * document and the audit line. Shared by the three fronts.
 */
#ifndef OTPCEP_HANDLER_H
#define OTPCEP_HANDLER_H

#include <stdbool.h>

#include "audit.h"
#include "http.h"
#include "msg.h"
#include "procedure.h"

struct radius_auth;
struct worker;

/*
 * One request through the handler, for a front that does not wait for
 * RADIUS in a thread (issue 10): handler_start() answers at once (true) or
 * leaves step 3 waiting on handler_radius(c) (false); once that is done,
 * handler_finish() completes *resp. req and resp must live until then.
 */
struct handler_call {
	struct worker *w;
	const struct http_request *req;
	struct http_response *resp;
	struct audit a;
	long long t0;
	char *body;
	size_t len;
	int http;
	enum otpcep_status status;
	struct sign_cert_request sreq;
	struct sign_cert_response out;
	struct proc proc;
};

bool handler_start(struct handler_call *c, struct worker *w,
    const struct http_request *req, struct http_response *resp);
struct radius_auth *handler_radius(const struct handler_call *c);
void handler_finish(struct handler_call *c);

/* Always fills *resp (a 5xx on our own failure). */
void handler_serve(struct worker *w, const struct http_request *req,
    struct http_response *resp);

#endif
