/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* The protocol's status codes and the per-request audit record. */
#include <stdarg.h>
#include <stdio.h>

#include "otpcep.h"

const char *
otpcep_status_name(enum otpcep_status status)
{
	/* MS-OTPCE 2.2.3 and the SignCertStatusCode type of section 6. */
	switch (status) {
	case OTPCEP_SUCCESS: return "Success";
	case OTPCEP_AUTHENTICATION_ERROR: return "AuthenticationError";
	case OTPCEP_CHALLENGE_RESPONSE_REQUIRED: return "ChallengeResponseRequired";
	case OTPCEP_OTHER_ERROR: return "OtherError";
	}
	return "OtherError";
}

void
audit_reason(struct audit *a, const char *fmt, ...)
{
	va_list ap;

	if (a == NULL || a->reason[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
}

void
audit_failure(struct audit *a, int failure, int severity)
{
	if (a == NULL || a->failure != 0)
		return;
	a->failure = failure + 1;
	a->severity = severity;
}
