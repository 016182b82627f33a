/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * One request from envelope to response (MS-OTPCE 1.4, 1.7, 2.1, 2.2):
 * transport and envelope faults are HTTP errors, everything that reaches the
 * protocol is 200 with a signCertResponse. One audit line per request.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "config.h"
#include "handler.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "procedure.h"
#include "radius.h"
#include "secret.h"
#include "server.h"

static void
request_id(char id[17])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[8] = { 0 };
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* Only an identifier for the log: the time will do. */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(r, &ts.tv_nsec, sizeof(r) < sizeof(ts.tv_nsec) ?
		    sizeof(r) : sizeof(ts.tv_nsec));
	}
	for (i = 0; i < sizeof(r); i++) {
		id[2 * i] = hex[r[i] >> 4];
		id[2 * i + 1] = hex[r[i] & 15];
	}
	id[16] = '\0';
}

/* "application/xml", "text/xml" or "...+xml", with any parameters. */
static bool
content_type_is_xml(const char *ct)
{
	size_t len;

	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	len = strcspn(ct, "; \t");
	if (len == 15 && strncasecmp(ct, "application/xml", 15) == 0)
		return true;
	if (len == 8 && strncasecmp(ct, "text/xml", 8) == 0)
		return true;
	return len > 4 && strncasecmp(ct + len - 4, "+xml", 4) == 0 &&
	    memchr(ct, '/', len) != NULL;
}

static bool
version_ok(const char *v)
{
	size_t len;

	if (v == NULL)
		return false;
	while (*v == ' ' || *v == '\t')
		v++;
	len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	return len == 3 && memcmp(v, OTPCEP_PROTOCOL_VERSION, 3) == 0;
}

/*
 * Checks the envelope. Returns 0 when the body may be read (its length in
 * *len), else the HTTP status to answer.
 */
static int
envelope_check(const struct config *cfg, const struct http_request *req,
    size_t *len, struct audit *a)
{
	unsigned long long n;
	char *end;

	if (cfg->require_https && !req->https) {
		audit_reason(a, "not HTTPS and require_https is set (MS-OTPCE 2.1)");
		return 403;
	}
	if (cfg->require_client_cert && !req->client_cert_verified) {
		audit_reason(a, "no verified client certificate");
		return 403;
	}
	if (req->method == NULL || strcmp(req->method, "POST") != 0) {
		audit_reason(a, "method is not POST (MS-OTPCE 1.4)");
		return 405;
	}
	if (!version_ok(req->protocol_version)) {
		audit_reason(a, "X-OTPCEP-version missing or not 1.0 (MS-OTPCE 1.7)");
		return 400;
	}
	if (!content_type_is_xml(req->content_type)) {
		audit_reason(a, "Content-Type is not XML (MS-OTPCE 2.2)");
		return 415;
	}
	if (req->content_length == NULL || *req->content_length == '\0') {
		audit_reason(a, "no Content-Length");
		return 411;
	}
	errno = 0;
	n = strtoull(req->content_length, &end, 10);
	if (!isdigit((unsigned char)req->content_length[0]) || *end != '\0' ||
	    errno != 0) {
		audit_reason(a, "Content-Length is not a number");
		return 400;
	}
	if (n > cfg->max_request_bytes) {
		audit_reason(a, "body of %llu bytes is over max_request_bytes", n);
		return 413;
	}
	*len = (size_t)n;
	return 0;
}

/* Reads exactly len bytes. Returns 0, or 400 when the body is short. */
static int
body_read(const struct http_request *req, char *buf, size_t len,
    struct audit *a)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = req->read_body(req->read_ctx, buf + got, len - got);
		if (n <= 0) {
			audit_reason(a, "body ended after %zu of %zu bytes", got, len);
			return 400;
		}
		got += (size_t)n;
	}
	return 0;
}

#define OR_DASH(s) ((s)[0] ? (s) : "-")

/*
 * The audit line, one per request, at the severity of its outcome: Success
 * info, the user's own failures notice, a server we depend on warning, our
 * own trouble error (docs/deployment.md, "Log severities"). Every quoted
 * field is escaped (no '"' inside), so the line parses the same whatever a
 * client sent; etc/fail2ban/ relies on that.
 */
static void
audit_log(const struct audit *a, const struct http_request *req, int http,
    const char *status, long long us)
{
	char addr[64], reason[AUDIT_REASON_MAX];
	size_t i;
	int prio;

	/* Our reasons may quote (escaped) request bytes in '"': keep the field whole. */
	for (i = 0; i + 1 < sizeof(reason) && a->reason[i] != '\0'; i++)
		reason[i] = a->reason[i] == '"' ? '\'' : a->reason[i];
	reason[i] = '\0';
	log_escape(addr, sizeof(addr), req->remote_addr ? req->remote_addr : "-",
	    req->remote_addr ? strlen(req->remote_addr) : 1);
	if (http == 200 && strcmp(status, "Success") == 0)
		prio = LOG_INFO;
	else if (a->severity != 0)
		prio = a->severity;
	else
		prio = http >= 500 ? LOG_ERR : LOG_NOTICE;
	log_at(prio, "request %s from=%s client=\"%s\" user=\"%s\" "
	    "radius_user=\"%s\" http=%d status=%s reason=\"%s\" subject=\"%s\" "
	    "upn=\"%s\" key_sha256=%s ms=%lld", a->request_id, addr,
	    OR_DASH(a->client), OR_DASH(a->user), OR_DASH(a->radius_user), http,
	    status, OR_DASH(reason), OR_DASH(a->subject), OR_DASH(a->upn),
	    OR_DASH(a->key_sha256), us / 1000);
}

/* The counters of one answered request (include/metrics.h). */
static void
handler_count(const struct audit *a, int http, enum otpcep_status status,
    bool reached, long long us)
{
	metrics_request_end(http, reached ? (int)status : -1, us);
	if (reached && http == 200 && status == OTPCEP_SUCCESS)
		return;
	metrics_failure(a->failure ? (enum metrics_failure)(a->failure - 1) :
	    METRICS_FAIL_OTHER);
}

/*
 * The protocol on a body: true when the answer is decided (c->http; with
 * 200, c->out holds it), false when step 3 waits (c->proc.radius).
 */
static bool
serve_body_start(struct handler_call *c)
{
	enum msg_result m;
	long long t0 = clock_us();

	m = msg_parse_request(c->body, c->len, &c->sreq, &c->a);
	metrics_step(METRICS_STEP_PARSE, clock_us() - t0);
	if (m == MSG_NOT_SIGNCERT) {
		audit_failure(&c->a, METRICS_FAIL_BAD_REQUEST, LOG_NOTICE);
		c->http = 400;
		return true;
	}
	if (m == MSG_NOMEM) {
		audit_failure(&c->a, METRICS_FAIL_OTHER, LOG_ERR);
		c->http = 500;
		return true;
	}
	c->http = 200;
	if (m != MSG_OK) {
		/* A signCertRequest, but not a valid one: example 4.4. */
		audit_failure(&c->a, METRICS_FAIL_BAD_REQUEST, LOG_NOTICE);
		c->out.status = OTPCEP_OTHER_ERROR;
		return true;
	}
	log_escape(c->a.user, sizeof(c->a.user), c->sreq.username,
	    strlen(c->sreq.username));
	return proc_start(&c->proc, c->w, &c->sreq, &c->out, &c->a);
}

/* The answer: the document (200), then the audit line and the counters. */
static void
handler_end(struct handler_call *c)
{
	struct http_response *resp = c->resp;
	long long us;
	bool reached = c->http == 200;

	if (c->http == 200) {
		c->status = c->out.status;
		if (msg_write_response(&c->out, &resp->body,
		    &resp->body_len) != 0) {
			audit_reason(&c->a, "out of memory writing the response");
			audit_failure(&c->a, METRICS_FAIL_OTHER, LOG_ERR);
			c->http = 500;
			reached = false;
		}
	}
	proc_response_free(&c->out);
	msg_request_free(&c->sreq);
	resp->status = c->http;
	resp->allow_post = c->http == 405;
	if (c->http != 200)
		http_response_free(resp);
	us = clock_us() - c->t0;
	audit_log(&c->a, c->req, c->http, reached ?
	    otpcep_status_name(c->status) : "-", us);
	handler_count(&c->a, c->http, c->status, reached, us);
	if (c->body != NULL) {
		/* The body holds the one-time password. */
		secret_wipe(c->body, c->len);
		free(c->body);
		c->body = NULL;
	}
}

bool
handler_start(struct handler_call *c, struct worker *w,
    const struct http_request *req, struct http_response *resp)
{
	memset(c, 0, sizeof(*c));
	c->w = w;
	c->req = req;
	c->resp = resp;
	c->status = OTPCEP_OTHER_ERROR;
	c->t0 = clock_us();
	metrics_request_begin();
	memset(resp, 0, sizeof(*resp));
	request_id(c->a.request_id);
	audit_client(&c->a, req->client_subject);

	c->http = envelope_check(w->srv->cfg, req, &c->len, &c->a);
	if (c->http != 0) {
		audit_failure(&c->a, METRICS_FAIL_BAD_REQUEST, LOG_NOTICE);
		goto done;
	}
	if ((c->body = malloc(c->len + 1)) == NULL) {
		audit_reason(&c->a, "out of memory for a %zu-byte body", c->len);
		audit_failure(&c->a, METRICS_FAIL_OTHER, LOG_ERR);
		c->http = 500;
		goto done;
	}
	if ((c->http = body_read(req, c->body, c->len, &c->a)) != 0) {
		audit_failure(&c->a, METRICS_FAIL_BAD_REQUEST, LOG_NOTICE);
		goto done;
	}
	c->body[c->len] = '\0';
	if (!serve_body_start(c))
		return false;
done:
	handler_end(c);
	return true;
}

struct radius_auth *
handler_radius(const struct handler_call *c)
{
	return c->proc.radius;
}

void
handler_finish(struct handler_call *c)
{
	proc_finish(&c->proc);
	handler_end(c);
}

void
handler_serve(struct worker *w, const struct http_request *req,
    struct http_response *resp)
{
	struct handler_call *c;

	if ((c = malloc(sizeof(*c))) == NULL) {
		log_err("out of memory for a request");
		memset(resp, 0, sizeof(*resp));
		resp->status = 500;
		return;
	}
	if (!handler_start(c, w, req, resp)) {
		radius_auth_wait(handler_radius(c));
		handler_finish(c);
	}
	free(c);
}
