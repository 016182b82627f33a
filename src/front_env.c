/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * CGI/FastCGI variables to the HTTP envelope (RFC 3875 4.1): the names of
 * lighttpd and nginx (HTTPS, SSL_CLIENT_VERIFY, SSL_CLIENT_S_DN), and those
 * of IIS and IIS-compatible FastCGI fronts (HTTPS=on|off, SERVER_PORT_SECURE,
 * CERT_FLAGS, CERT_SUBJECT). docs/deployment.md, "IIS", lists them.
 */
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

/*
 * IIS's CERT_FLAGS (IIS server variables): bit 0 "a client certificate was
 * presented", bit 1 "its issuer is not in the server's list of trusted
 * issuers". Verified when bit 0 is set and bit 1 clear; a value that is not
 * a plain decimal number counts as no certificate.
 */
static bool
front_env_iis_cert_ok(const char *v)
{
	unsigned long flags = 0;
	size_t i;

	if (v == NULL || v[0] == '\0' || strlen(v) > 10)
		return false;
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		flags = flags * 10 + (unsigned long)(v[i] - '0');
	}
	return (flags & 0x1) != 0 && (flags & 0x2) == 0;
}

void
front_env_request(struct http_request *req, front_env_get get, void *ctx)
{
	const char *verify, *https, *port_secure;

	req->method = get(ctx, "REQUEST_METHOD");
	req->content_type = get(ctx, "CONTENT_TYPE");
	req->content_length = get(ctx, "CONTENT_LENGTH");
	/* RFC 3875 4.1.18: the header X-OTPCEP-version, as a variable. */
	req->protocol_version = get(ctx, "HTTP_X_OTPCEP_VERSION");
	/* IIS also says SERVER_PORT_SECURE=1; an explicit HTTPS=off wins. */
	https = get(ctx, "HTTPS");
	port_secure = get(ctx, "SERVER_PORT_SECURE");
	req->https = front_env_https(https) || (port_secure != NULL &&
	    strcmp(port_secure, "1") == 0 &&
	    (https == NULL || strcasecmp(https, "off") != 0));
	/* lighttpd mod_gnutls and nginx ($ssl_client_verify): "SUCCESS";
	 * without it, IIS's CERT_FLAGS. */
	verify = get(ctx, "SSL_CLIENT_VERIFY");
	if (verify != NULL)
		req->client_cert_verified = strcmp(verify, "SUCCESS") == 0;
	else
		req->client_cert_verified =
		    front_env_iis_cert_ok(get(ctx, "CERT_FLAGS"));
	req->remote_addr = get(ctx, "REMOTE_ADDR");
	/* The client certificate's subject, for the audit line only. */
	req->client_subject = get(ctx, "SSL_CLIENT_S_DN");
	if (req->client_subject == NULL)
		req->client_subject = get(ctx, "CERT_SUBJECT");	/* IIS */
}
