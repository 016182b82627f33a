/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * What a web server passes in CGI/FastCGI variables (RFC 3875 section 4.1,
 * plus the TLS variables of lighttpd's mod_gnutls and nginx), read into a
 * struct http_request. Shared by the CGI and FastCGI fronts.
 */
#ifndef OTPCEP_FRONT_ENV_H
#define OTPCEP_FRONT_ENV_H

#include "http.h"

/* Returns the value of a variable, or NULL when it is not set. */
typedef const char *(*front_env_get)(void *ctx, const char *name);

/* Fills the envelope fields of req (not read_body/read_ctx). */
void front_env_request(struct http_request *req, front_env_get get, void *ctx);

#endif
