/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * --submit: the last step of the client role (MS-OTPCE 3.1; MS-WCCE 1.4).
 * The SignedCertRequest goes unchanged to the first IssuingCA as the user
 * (their Kerberos ticket, from the credential cache), over MS-ICPR at packet
 * privacy; the issued certificate is written as PREFIX.cert.pem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/x509.h>

#include "casubmit.h"
#include "client.h"

int
client_submit(const struct submit_opts *so, const char *issuing_ca,
    const uint8_t *scr, size_t scr_len, const char *prefix)
{
	struct casubmit_target t;
	struct casubmit_answer a;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	char why[512], hr[16], *path = NULL;
	enum casubmit_result r;
	int ret = CLIENT_EXIT_CA_REFUSED, rc;

	memset(&a, 0, sizeof(a));
	if (casubmit_target_parse(issuing_ca, &t) != 0) {
		fprintf(stderr, "otpcep-client: the IssuingCA '%s' is not 'host\\CA "
		    "name'\n", issuing_ca);
		return CLIENT_EXIT_CA_REFUSED;
	}
	t.address = so->ca_address;
	t.epm_port = so->epm_port;
	t.spn = so->spn;
	t.ccache = so->ccache;
	t.timeout_ms = so->timeout_ms;
	printf("submitting to %s\n", issuing_ca);
	fflush(stdout);
	/* No attributes: the template is the request's own (its extension). */
	r = casubmit_request(&t, scr, scr_len, "", 0, &a, why, sizeof(why));
	if (r != CASUBMIT_OK) {
		fprintf(stderr, "otpcep-client: %s\n", why);
		return r == CASUBMIT_TRANSPORT ? CLIENT_EXIT_CA_UNREACHABLE :
		    CLIENT_EXIT_LOCAL;
	}
	printf("CA: %s, %s (request %u)%s%s\n",
	    hresult_disposition_name(a.disposition),
	    hresult_format(a.hresult, hr, sizeof(hr)), (unsigned)a.request_id,
	    a.message[0] ? ": " : "", a.message);
	if (a.disposition == CR_DISP_UNDER_SUBMISSION) {
		fprintf(stderr, "otpcep-client: the CA holds request %u pending; a "
		    "CA manager must approve it\n", (unsigned)a.request_id);
		goto cleanup;
	}
	if (a.disposition != CR_DISP_ISSUED || a.cert.size == 0) {
		fprintf(stderr, "otpcep-client: the CA did not issue the certificate\n");
		goto cleanup;
	}
	ret = CLIENT_EXIT_LOCAL;
	if ((rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = gnutls_x509_crt_import(crt, &a.cert, GNUTLS_X509_FMT_DER)) < 0 ||
	    (rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem)) < 0) {
		fprintf(stderr, "otpcep-client: the CA's answer is not a "
		    "certificate: %s\n", gnutls_strerror(rc));
		ret = CLIENT_EXIT_CA_REFUSED;
		goto cleanup;
	}
	if (asprintf(&path, "%s.cert.pem", prefix) < 0) {
		path = NULL;
		goto cleanup;
	}
	if (client_write(path, pem.data, pem.size, 0644) != 0)
		goto cleanup;
	printf("certificate: %s\n", path);
	ret = CLIENT_EXIT_SUCCESS;
cleanup:
	free(path);
	gnutls_free(pem.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	casubmit_answer_free(&a);
	return ret;
}
