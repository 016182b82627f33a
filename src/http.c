/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* The HTTP response head, the same for CGI, FastCGI and replay. */
#include <stdio.h>
#include <stdlib.h>

#include "http.h"
#include "otpcep.h"

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "Error";
}

int
http_format_head(const struct http_response *resp, bool status_line,
    char *buf, size_t buf_len)
{
	int n;

	/*
	 * MS-OTPCE 1.7: X-OTPCEP-version on every response; 2.2: the
	 * Content-Type is always application/xml;charset=utf-8.
	 */
	n = snprintf(buf, buf_len,
	    "%s%d %s\r\n"
	    "X-OTPCEP-version: " OTPCEP_PROTOCOL_VERSION "\r\n"
	    "Content-Type: application/xml;charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "%s"
	    "\r\n",
	    status_line ? "HTTP/1.1 " : "Status: ", resp->status,
	    http_reason(resp->status), resp->body_len,
	    resp->allow_post ? "Allow: POST\r\n" : "");
	if (n < 0 || (size_t)n >= buf_len)
		return -1;
	return n;
}

void
http_response_free(struct http_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}
