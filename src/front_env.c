/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* CGI/FastCGI variables to the HTTP envelope (RFC 3875 4.1). */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "front_env.h"

/* HTTPS=on (lighttpd, Apache) or HTTPS=1; nginx passes $https, "on" or "". */
static bool
front_env_https(const char *v)
{
	return v != NULL && (strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0);
}

void
front_env_request(struct http_request *req, front_env_get get, void *ctx)
{
	const char *verify;

	req->method = get(ctx, "REQUEST_METHOD");
	req->content_type = get(ctx, "CONTENT_TYPE");
	req->content_length = get(ctx, "CONTENT_LENGTH");
	/* RFC 3875 4.1.18: the header X-OTPCEP-version, as a variable. */
	req->protocol_version = get(ctx, "HTTP_X_OTPCEP_VERSION");
	req->https = front_env_https(get(ctx, "HTTPS"));
	/* lighttpd mod_gnutls and nginx ($ssl_client_verify): "SUCCESS". */
	verify = get(ctx, "SSL_CLIENT_VERIFY");
	req->client_cert_verified = verify != NULL && strcmp(verify, "SUCCESS") == 0;
	req->remote_addr = get(ctx, "REMOTE_ADDR");
	/* The client certificate's subject, for the audit line only. */
	req->client_subject = get(ctx, "SSL_CLIENT_S_DN");
}
