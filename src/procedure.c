/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * MS-OTPCE 3.2.5.1, "Processing A SignCert Request Message". Each step is one
 * module; each returns its own outcome, mapped here to exactly one status.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "audit.h"
#include "ca.h"
#include "clock.h"
#include "cmc.h"
#include "csr.h"
#include "dir.h"
#include "log.h"
#include "metrics.h"
#include "procedure.h"
#include "radius.h"
#include "secret.h"
#include "server.h"

/* Step 2: "If the validation fails ... AuthenticationError"; our own trouble is not the user's. */
static enum otpcep_status
status_of_dir(enum dir_result r)
{
	switch (r) {
	case DIR_FOUND:
		return OTPCEP_SUCCESS;
	case DIR_UNKNOWN_DOMAIN:
	case DIR_BAD_NAME:
	case DIR_NO_SUCH_USER:
	case DIR_AMBIGUOUS:
	case DIR_DISABLED:
		return OTPCEP_AUTHENTICATION_ERROR;
	default:
		return OTPCEP_OTHER_ERROR;
	}
}

/* Step 3: Access-Reject, Access-Challenge, and "cannot be reached". */
static enum otpcep_status
status_of_radius(enum radius_result r)
{
	switch (r) {
	case RADIUS_ACCEPT:
		return OTPCEP_SUCCESS;
	case RADIUS_REJECT:
		return OTPCEP_AUTHENTICATION_ERROR;
	case RADIUS_CHALLENGE:
		return OTPCEP_CHALLENGE_RESPONSE_REQUIRED;
	default:
		return OTPCEP_OTHER_ERROR;
	}
}

/*
 * The class and severity of each failure, for the counters and the audit
 * line: the user's own failures are notices, a server we depend on that
 * fails is a warning, our own trouble an error.
 */
static void
fail_csr(struct audit *a, enum csr_result r)
{
	switch (r) {
	case CSR_NO_TEMPLATE:
	case CSR_WRONG_TEMPLATE:
		audit_failure(a, METRICS_FAIL_TEMPLATE, LOG_NOTICE);
		break;
	case CSR_NAMES_NOBODY:
	case CSR_NAME_MISMATCH:
		audit_failure(a, METRICS_FAIL_NAMES, LOG_NOTICE);
		break;
	case CSR_NOMEM:
		audit_failure(a, METRICS_FAIL_OTHER, LOG_ERR);
		break;
	default:
		audit_failure(a, METRICS_FAIL_BAD_REQUEST, LOG_NOTICE);
	}
}

static void
fail_dir(struct audit *a, enum dir_result r)
{
	if (status_of_dir(r) == OTPCEP_AUTHENTICATION_ERROR)
		audit_failure(a, METRICS_FAIL_DIRECTORY, LOG_NOTICE);
	else if (r == DIR_UNAVAILABLE)
		audit_failure(a, METRICS_FAIL_DIRECTORY, LOG_WARNING);
	else
		audit_failure(a, METRICS_FAIL_OTHER, LOG_ERR);
}

static void
fail_radius(struct audit *a, enum radius_result r)
{
	switch (r) {
	case RADIUS_REJECT:
		audit_failure(a, METRICS_FAIL_OTP_REJECTED, LOG_NOTICE);
		break;
	case RADIUS_CHALLENGE:
		audit_failure(a, METRICS_FAIL_CHALLENGE, LOG_NOTICE);
		break;
	case RADIUS_UNREACHABLE:
	case RADIUS_UNSIGNED:	/* answered, unusably: the server's fault */
		audit_failure(a, METRICS_FAIL_RADIUS_UNREACHABLE, LOG_WARNING);
		break;
	case RADIUS_BAD_INPUT:
		audit_failure(a, METRICS_FAIL_BAD_REQUEST, LOG_NOTICE);
		break;
	default:
		audit_failure(a, METRICS_FAIL_OTHER, LOG_ERR);
	}
}

/* The end of the procedure, whichever step it ends at. */
static void
proc_end(struct proc *p, enum otpcep_status status)
{
	p->resp->status = status;
	if (status != OTPCEP_SUCCESS) {
		p->resp->issuing_ca = NULL;
		p->resp->issuing_ca_count = 0;
	}
	radius_auth_free(p->radius);
	p->radius = NULL;
	dir_user_free(&p->user);
	dir_name_free(&p->name);
	csr_free(p->csr);
	p->csr = NULL;
}

bool
proc_start(struct proc *p, struct worker *w,
    const struct sign_cert_request *req, struct sign_cert_response *resp,
    struct audit *a)
{
	const struct server *srv = w->srv;
	const char *radius_name;
	char radius_buf[RADIUS_USER_NAME_BUF];
	enum csr_result cr;
	enum dir_result dr;
	long long t;

	memset(p, 0, sizeof(*p));
	p->w = w;
	p->req = req;
	p->resp = resp;
	p->a = a;
	resp->status = OTPCEP_OTHER_ERROR;

	/* Step 1: the request itself; OtherError, before any network traffic. */
	t = clock_us();
	cr = csr_parse(srv->cfg, &srv->tmpl, req->cert_request,
	    req->cert_request_len, &p->csr, a);
	metrics_step(METRICS_STEP_CSR, clock_us() - t);
	if (cr != CSR_OK) {
		fail_csr(a, cr);
		goto fail;
	}
	/* csr_parse() filled the audit line's subject, upn and key_sha256. */

	/*
	 * Step 1, names: a name the request gives that no directory could
	 * hold is refused before the directory is asked; the match against
	 * the directory's own spelling follows step 2.
	 */
	if (dir_parse_name(srv->dir, req->username, &p->name, NULL) ==
	    DIR_FOUND && (cr = csr_match_name(p->csr, req->username, &p->name,
	    a)) != CSR_OK) {
		fail_csr(a, cr);
		goto fail;
	}

	/* Step 2: the user is listed in the directory. */
	t = clock_us();
	dr = dir_lookup(srv->dir, req->username, &p->user, a);
	metrics_step(METRICS_STEP_DIRECTORY, clock_us() - t);
	if (status_of_dir(dr) != OTPCEP_SUCCESS) {
		fail_dir(a, dr);
		proc_end(p, status_of_dir(dr));
		return true;
	}

	/* Step 1, names: every user named in the request is this user. */
	if ((cr = csr_match_user(p->csr, req->username, &p->user, a)) !=
	    CSR_OK) {
		fail_csr(a, cr);
		goto fail;
	}

	/*
	 * Step 3: user name and one-time password, PAP over RADIUS. The
	 * answer is waited for by the caller (proc_sign_cert(), or the
	 * front's RADIUS waiter), then proc_finish() goes on.
	 */
	radius_name = radius_user_name(srv->radius, req->username, &p->user,
	    radius_buf);
	if (radius_name != NULL)
		log_escape(a->radius_user, sizeof(a->radius_user), radius_name,
		    strlen(radius_name));
	p->radius_start = clock_us();
	p->radius = radius_auth_start(srv->radius, radius_name,
	    (const uint8_t *)req->one_time_password, req->one_time_password_len,
	    a);
	secret_wipe(radius_buf, sizeof(radius_buf));
	if (p->radius == NULL) {
		fail_radius(a, RADIUS_ERROR);
		goto fail;
	}
	if (!radius_auth_done(p->radius))
		return false;
	proc_finish(p);
	return true;
fail:
	proc_end(p, OTPCEP_OTHER_ERROR);
	return true;
}

void
proc_finish(struct proc *p)
{
	const struct server *srv = p->w->srv;
	struct sign_cert_response *resp = p->resp;
	struct audit *a = p->a;
	enum otpcep_status status;
	enum radius_result rr;
	uint8_t *signed_req = NULL;
	size_t signed_len = 0;
	long long t;

	/* Step 3's answer: Accept goes on; Reject, Challenge and silence do not. */
	rr = radius_auth_result(p->radius);
	metrics_step(METRICS_STEP_RADIUS, clock_us() - p->radius_start);
	status = status_of_radius(rr);
	if (status != OTPCEP_SUCCESS) {
		fail_radius(a, rr);
		goto done;
	}

	/* Step 4: co-sign with the dedicated signing certificate. */
	status = OTPCEP_OTHER_ERROR;
	t = clock_us();
	if (cmc_sign_request(srv->cfg, srv->signer, p->req->cert_request,
	    p->req->cert_request_len, &signed_req, &signed_len, a) != CMC_OK) {
		audit_failure(a, METRICS_FAIL_SIGNING, LOG_ERR);
		goto done;
	}
	metrics_step(METRICS_STEP_SIGNING, clock_us() - t);

	/* Step 5: the CA servers list must not be empty. */
	resp->issuing_ca_count = ca_choose(srv->cfg, &resp->issuing_ca);
	if (resp->issuing_ca_count == 0) {
		audit_reason(a, "step 5: the CA servers list is empty");
		audit_failure(a, METRICS_FAIL_OTHER, LOG_ERR);
		goto done;
	}

	/* Step 6: Success, the signed request and the CA names. */
	resp->signed_cert_request = signed_req;
	resp->signed_cert_request_len = signed_len;
	signed_req = NULL;
	status = OTPCEP_SUCCESS;
done:
	free(signed_req);
	proc_end(p, status);
}

enum otpcep_status
proc_sign_cert(struct worker *w, const struct sign_cert_request *req,
    struct sign_cert_response *resp, struct audit *a)
{
	struct proc p;

	if (!proc_start(&p, w, req, resp, a)) {
		radius_auth_wait(p.radius);
		proc_finish(&p);
	}
	return resp->status;
}

void
proc_response_free(struct sign_cert_response *resp)
{
	free(resp->signed_cert_request);
	resp->signed_cert_request = NULL;
	resp->signed_cert_request_len = 0;
}
