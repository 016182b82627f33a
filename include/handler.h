/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * One request, from the HTTP envelope to the response: envelope checks, body
 * read with its size limit, message parse, the procedure, the response
 * document and the audit line. Shared by the three fronts.
 */
#ifndef OTPCEP_HANDLER_H
#define OTPCEP_HANDLER_H

#include "http.h"

struct worker;

/* Always fills *resp (a 5xx on our own failure). */
void handler_serve(struct worker *w, const struct http_request *req,
    struct http_response *resp);

#endif
