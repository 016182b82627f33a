/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep: an MS-OTPCE (One-Time Password Certificate Enrollment Protocol) server.
 * Types shared by every module.
 */
#ifndef OTPCEP_H
#define OTPCEP_H

#include <stddef.h>
#include <stdint.h>

#define OTPCEP_VERSION "0.1.0"
/* MS-OTPCE 1.7: the only protocol version, mandatory in request and response. */
#define OTPCEP_PROTOCOL_VERSION "1.0"
/* MS-OTPCE 2.2.1 */
#define OTPCEP_NAMESPACE "http://schemas.microsoft.com/otpcep/1.0/protocol"

/* MS-OTPCE 2.2.3: the four values of statusCode. */
enum otpcep_status {
	OTPCEP_SUCCESS = 0,
	OTPCEP_AUTHENTICATION_ERROR,
	OTPCEP_CHALLENGE_RESPONSE_REQUIRED,
	OTPCEP_OTHER_ERROR,
};

/* Returns the schema spelling of a status ("Success", "OtherError", ...). */
const char *otpcep_status_name(enum otpcep_status status);

/*
 * What the audit line says about one request. Every step may write a reason;
 * the first one written wins (it is the cause, later ones are consequences).
 * Never put a one-time password, a secret or key material in here.
 */
#define AUDIT_REASON_MAX 256
struct audit {
	char request_id[17];		/* 16 hex digits */
	char user[128];			/* escaped user name as sent, for the log */
	char radius_user[128];		/* escaped User-Name sent to RADIUS, or "" */
	char reason[AUDIT_REASON_MAX];
	/* Set with audit_failure(); the first one wins, like the reason. */
	int failure;			/* enum metrics_failure + 1; 0: none */
	int severity;			/* syslog priority of the line; 0: by status */
	/* What the line says about the requester and the request (escaped). */
	char client[256];		/* the client certificate's subject */
	char subject[256];		/* the PKCS#10 subject (RFC 4514) */
	char upn[160];			/* its SAN UPN, if any */
	char key_sha256[65];		/* SHA-256 of its SubjectPublicKeyInfo, hex */
};

/*
 * Records the class of a failure (enum metrics_failure) and the severity its
 * audit line gets: LOG_NOTICE for the user's own failures, LOG_WARNING when a
 * server we depend on failed, LOG_ERR for our own trouble. The first call wins.
 */
void audit_failure(struct audit *a, int failure, int severity);

/* Records why a step failed, printf-style, unless a reason is already set. */
void audit_reason(struct audit *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
