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

enum otpcep_status
proc_sign_cert(struct worker *w, const struct sign_cert_request *req,
    struct sign_cert_response *resp, struct audit *a)
{
	const struct server *srv = w->srv;
	enum otpcep_status status;
	struct dir_user user = { 0 };
	struct dir_name name = { 0 };
	struct csr *csr = NULL;
	const char *radius_name;
	char radius_buf[RADIUS_USER_NAME_BUF];
	uint8_t *signed_req = NULL;
	size_t signed_len = 0;
	enum csr_result cr;
	enum dir_result dr;
	enum radius_result rr;
	long long t;

	resp->status = OTPCEP_OTHER_ERROR;

	/* Step 1: the request itself; OtherError, before any network traffic. */
	status = OTPCEP_OTHER_ERROR;
	t = clock_us();
	cr = csr_parse(srv->cfg, &srv->tmpl, req->cert_request,
	    req->cert_request_len, &csr, a);
	metrics_step(METRICS_STEP_CSR, clock_us() - t);
	if (cr != CSR_OK) {
		fail_csr(a, cr);
		goto done;
	}
	/* csr_parse() filled the audit line's subject, upn and key_sha256. */

	/*
	 * Step 1, the names that need no directory: a request for another user
	 * is refused here, before step 2, so that it costs no LDAP query and
	 * its answer says nothing about whether the typed account exists.
	 * A name step 2 cannot read is left for step 2 to refuse.
	 */
	if (dir_parse_name(srv->dir, req->username, &name, NULL) == DIR_FOUND &&
	    (cr = csr_match_name(csr, req->username, &name, a)) != CSR_OK) {
		fail_csr(a, cr);
		goto done;
	}

	/* Step 2: the user is listed in the directory. */
	t = clock_us();
	dr = dir_lookup(srv->dir, req->username, &user, a);
	metrics_step(METRICS_STEP_DIRECTORY, clock_us() - t);
	status = status_of_dir(dr);
	if (status != OTPCEP_SUCCESS) {
		fail_dir(a, dr);
		goto done;
	}

	/* Step 1, names: every user named in the request is this user. */
	status = OTPCEP_OTHER_ERROR;
	if ((cr = csr_match_user(csr, req->username, &user, a)) != CSR_OK) {
		fail_csr(a, cr);
		goto done;
	}

	/* Step 3: user name and one-time password, PAP over RADIUS. */
	radius_name = radius_user_name(srv->radius, req->username, &user,
	    radius_buf);
	if (radius_name != NULL)
		log_escape(a->radius_user, sizeof(a->radius_user), radius_name,
		    strlen(radius_name));
	t = clock_us();
	rr = radius_authenticate(srv->radius, radius_name,
	    (const uint8_t *)req->one_time_password, req->one_time_password_len,
	    a);
	metrics_step(METRICS_STEP_RADIUS, clock_us() - t);
	status = status_of_radius(rr);
	if (status != OTPCEP_SUCCESS) {
		fail_radius(a, rr);
		goto done;
	}

	/* Step 4: co-sign with the dedicated signing certificate. */
	status = OTPCEP_OTHER_ERROR;
	t = clock_us();
	if (cmc_sign_request(srv->cfg, srv->signer, req->cert_request,
	    req->cert_request_len, &signed_req, &signed_len, a) != CMC_OK) {
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
	resp->status = status;
	if (status != OTPCEP_SUCCESS) {
		resp->issuing_ca = NULL;
		resp->issuing_ca_count = 0;
	}
	free(signed_req);
	dir_user_free(&user);
	dir_name_free(&name);
	csr_free(csr);
	return status;
}

void
proc_response_free(struct sign_cert_response *resp)
{
	free(resp->signed_cert_request);
	resp->signed_cert_request = NULL;
	resp->signed_cert_request_len = 0;
}
