/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The SignCert Request over HTTPS with libcurl (MS-OTPCE 2.1: a secured
 * channel; 2.2: Content-Type application/xml;charset=utf-8 and
 * X-OTPCEP-version: 1.0 on the request and the response).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "client.h"
#include "otpcep.h"

/* A SignCert Response is small; anything larger is not one. */
#define SEND_MAX_BODY (1024 * 1024)

struct send_ctx {
	struct send_result *out;
	bool too_big;
};

static size_t
send_body_cb(char *data, size_t size, size_t n, void *vctx)
{
	struct send_ctx *ctx = vctx;
	struct send_result *r = ctx->out;
	size_t len = size * n;
	uint8_t *nb;

	if (len > SEND_MAX_BODY - r->body_len) {
		ctx->too_big = true;
		return 0;	/* aborts the transfer */
	}
	if ((nb = realloc(r->body, r->body_len + len + 1)) == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

/* Copies the value of a "Name: value" header line, trimmed, into buf. */
static bool
send_header_value(const char *line, size_t len, const char *name, char *buf,
    size_t buf_len)
{
	size_t nl = strlen(name), vl;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return false;
	line += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	vl = len < buf_len - 1 ? len : buf_len - 1;
	memcpy(buf, line, vl);
	buf[vl] = '\0';
	return true;
}

static size_t
send_header_cb(char *line, size_t size, size_t n, void *vctx)
{
	struct send_ctx *ctx = vctx;
	size_t len = size * n;
	char v[128];

	/* A new status line (after a 100 Continue) starts the headers over. */
	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		ctx->out->version_ok = false;
		ctx->out->content_type[0] = '\0';
	} else if (send_header_value(line, len, "X-OTPCEP-version", v, sizeof(v))) {
		ctx->out->version_ok = strcmp(v, "1.0") == 0;
	} else {
		send_header_value(line, len, "Content-Type", ctx->out->content_type,
		    sizeof(ctx->out->content_type));
	}
	return len;
}

int
send_request(const struct send_params *p, const char *body, size_t body_len,
    struct send_result *out)
{
	struct send_ctx ctx = { .out = out, .too_big = false };
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL, *h;
	CURL *c = NULL;
	CURLcode cc;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if ((c = curl_easy_init()) == NULL) {
		fprintf(stderr, "otpcep-client: cannot initialise libcurl\n");
		return -1;
	}
	if ((h = curl_slist_append(hdr, "Content-Type: application/xml;charset=utf-8")) == NULL ||
	    (hdr = h, h = curl_slist_append(hdr, "X-OTPCEP-version: 1.0")) == NULL ||
	    (hdr = h, h = curl_slist_append(hdr, "Expect:")) == NULL) {
		fprintf(stderr, "otpcep-client: out of memory\n");
		goto cleanup;
	}
	hdr = h;
	/* HTTPS only (MS-OTPCE 2.1), no redirects, TLS 1.2 or later. */
	if (curl_easy_setopt(c, CURLOPT_URL, p->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, p->timeout_s) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, p->timeout_s < 10 ? p->timeout_s : 10L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, send_body_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &ctx) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, send_header_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, &ctx) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "otpcep-client/" OTPCEP_VERSION) != CURLE_OK ||
	    (p->cacert != NULL && curl_easy_setopt(c, CURLOPT_CAINFO, p->cacert) != CURLE_OK) ||
	    (p->cert != NULL && curl_easy_setopt(c, CURLOPT_SSLCERT, p->cert) != CURLE_OK) ||
	    (p->key != NULL && curl_easy_setopt(c, CURLOPT_SSLKEY, p->key) != CURLE_OK) ||
	    curl_easy_setopt(c, CURLOPT_VERBOSE, p->verbose ? 1L : 0L) != CURLE_OK) {
		fprintf(stderr, "otpcep-client: libcurl refused an option (libcurl "
		    "7.85 or later is needed)\n");
		goto cleanup;
	}
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		if (ctx.too_big)
			fprintf(stderr, "otpcep-client: %s: the response is larger than "
			    "%d bytes; this is not an MS-OTPCE server\n", p->url, SEND_MAX_BODY);
		else
			fprintf(stderr, "otpcep-client: %s: %s%s%s\n", p->url,
			    curl_easy_strerror(cc), errbuf[0] != '\0' ? ": " : "", errbuf);
		switch (cc) {
		case CURLE_UNSUPPORTED_PROTOCOL:
			fprintf(stderr, "  The URL must start with https:// (MS-OTPCE "
			    "runs over HTTPS only).\n");
			break;
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
			fprintf(stderr, "  Check the host and port in --url, and that the "
			    "web server is running and reachable.\n");
			break;
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
			fprintf(stderr, "  The server's certificate was not accepted: give "
			    "the CA that issued it with --cacert FILE, and use the name in "
			    "the certificate in --url.\n");
			break;
		case CURLE_SSL_CERTPROBLEM:
			fprintf(stderr, "  Check --cert and --key: both PEM, the key "
			    "unencrypted and belonging to the certificate.\n");
			break;
		default:
			break;
		}
		goto cleanup;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->http_status);
	ret = 0;
cleanup:
	if (ret != 0)
		send_result_free(out);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return ret;
}

void
send_result_free(struct send_result *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}
