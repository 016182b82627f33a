/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * One CertServerRequest to a CA named `host\CA name` (include/casubmit.h),
 * through the DCE/RPC library's ICPR client (icpr_submit).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casubmit.h"
#include "icpr.h"
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

/* A copy of b in *d (gnutls_malloc; empty when b is). 0, or -1: no memory. */
static int
casubmit_copy(gnutls_datum_t *d, const struct icpr_blob *b)
{
	if (b->len == 0)
		return 0;
	if (b->len > UINT_MAX || (d->data = gnutls_malloc(b->len)) == NULL)
		return -1;
	memcpy(d->data, b->data, b->len);
	d->size = (unsigned)b->len;
	return 0;
}

enum casubmit_result
casubmit_request(const struct casubmit_target *t, const uint8_t *request,
    size_t request_len, const char *attributes, uint32_t request_id,
    struct casubmit_answer *a, char *why, size_t why_len)
{
	struct icpr_client_params p;
	struct icpr_request req;
	struct icpr_response resp;
	uint8_t *stub = NULL;
	uint32_t fault = 0;
	char err[512], hr[16], spn[300];
	enum dcerpc_err r;
	enum casubmit_result ret = CASUBMIT_OK;

	memset(a, 0, sizeof(*a));
	memset(&p, 0, sizeof(p));
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	err[0] = '\0';
	p.host = t->address ? t->address : t->host;
	p.epm_port = (uint16_t)t->epm_port;
	/* The ticket is for the CA host's name, even when we connect to an address. */
	if (t->spn == NULL)
		snprintf(spn, sizeof(spn), "host/%s", t->host);
	p.spn = t->spn ? t->spn : spn;
	p.keytab = t->keytab;
	p.principal = t->principal;
	p.ccache = t->ccache;
	p.timeout_ms = (int)t->timeout_ms;
	/* MS-WCCE 3.2.1.4.3.1.1: binary; the CA tells PKCS#10 from CMS itself. */
	req.flags = ICPR_CR_IN_BINARY | ICPR_CR_IN_FORMATANY;
	req.authority = (char *)(uintptr_t)t->ca_name;
	req.request_id = request_id;
	req.attributes = (char *)(uintptr_t)(attributes ? attributes : "");
	req.request.data = request_len ? request : NULL;
	req.request.len = request_len;
	r = icpr_submit(&p, &req, &resp, &stub, &fault, err, sizeof(err));
	if (r == DCERPC_E_FAULT) {
		snprintf(why, why_len, "%s\\%s: the CA answered with a fault, %s%s%s",
		    t->host, t->ca_name, hresult_format(fault, hr, sizeof(hr)),
		    err[0] ? ": " : "", err);
		ret = CASUBMIT_TRANSPORT;
		goto cleanup;
	}
	if (r != DCERPC_OK) {
		snprintf(why, why_len, "%s\\%s: %s%s%s", t->host, t->ca_name,
		    dcerpc_strerror(r), err[0] ? ": " : "", err);
		ret = r == DCERPC_E_NOMEM ? CASUBMIT_FAILED : CASUBMIT_TRANSPORT;
		goto cleanup;
	}
	a->disposition = resp.disposition;
	a->hresult = resp.status;
	a->request_id = resp.request_id;
	if (resp.disposition_message != NULL)
		log_escape(a->message, sizeof(a->message),
		    resp.disposition_message, strlen(resp.disposition_message));
	/* MS-ICPR 3.2.4.1.1: pctbEncodedCert, and pctbCertChain (a PKCS#7 of
	 * the new certificate's chain; otpcep-enroll writes it to signing_chain). */
	if (casubmit_copy(&a->cert, &resp.encoded_cert) != 0 ||
	    casubmit_copy(&a->chain, &resp.cert_chain) != 0) {
		snprintf(why, why_len, "out of memory");
		ret = CASUBMIT_FAILED;
		goto cleanup;
	}
cleanup:
	icpr_response_clear(&resp);
	free(stub);
	if (ret != CASUBMIT_OK)
		casubmit_answer_free(a);
	return ret;
}

void
casubmit_answer_free(struct casubmit_answer *a)
{
	gnutls_free(a->cert.data);
	gnutls_free(a->chain.data);
	memset(a, 0, sizeof(*a));
}
