/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * One CertServerRequest to a CA named `host\CA name` (include/casubmit.h),
 * through the DCE/RPC library's ICPR client (icpr_submit). Until that
 * client is in the tree, nothing is sent: every request fails closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casubmit.h"
#include "log.h"

int
casubmit_target_parse(const char *ca_string, struct casubmit_target *t)
{
	const char *bs = ca_string ? strchr(ca_string, '\\') : NULL;
	size_t hl;

	memset(t, 0, sizeof(*t));
	if (bs == NULL || bs == ca_string || bs[1] == '\0' ||
	    (hl = (size_t)(bs - ca_string)) >= sizeof(t->host) ||
	    strlen(bs + 1) >= sizeof(t->ca_name))
		return -1;
	memcpy(t->host, ca_string, hl);
	t->host[hl] = '\0';
	strcpy(t->ca_name, bs + 1);
	return 0;
}

enum casubmit_result
casubmit_request(const struct casubmit_target *t, const uint8_t *request,
    size_t request_len, const char *attributes, uint32_t request_id,
    struct casubmit_answer *a, char *why, size_t why_len)
{
	(void)request;
	(void)request_len;
	(void)attributes;
	(void)request_id;
	memset(a, 0, sizeof(*a));
	snprintf(why, why_len, "%s\\%s: the MS-ICPR client (icpr_submit) is not "
	    "built yet: nothing was sent", t->host, t->ca_name);
	log_err("%s", why);
	return CASUBMIT_FAILED;
}

void
casubmit_answer_free(struct casubmit_answer *a)
{
	gnutls_free(a->cert.data);
	memset(a, 0, sizeof(*a));
}
