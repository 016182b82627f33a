/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * make bench: the cost of one request's CPU work, stage by stage, with real
 * inputs (the Windows-made PKCS#10 of example 4.1) and a real signing key,
 * and the process's peak memory. Network steps (LDAP, RADIUS) are measured
 * by their own integration tests; here each stage runs in a loop.
 *
 *   bench_core CONFIG REQUEST.xml [ITERATIONS]
 *
 * CONFIG names the template of the request and a signing certificate/key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cmc.h"
#include "config.h"
#include "csr.h"
#include "dir.h"
#include "log.h"
#include "msg.h"
#include "signer.h"
#include "../testutil.h"

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The request file, or exit: a benchmark without its input measures nothing. */
static char *
read_file(const char *path, size_t *len)
{
	char *buf = tu_read_file(path, len);

	if (buf == NULL) {
		fprintf(stderr, "bench: cannot read %s\n", path);
		exit(2);
	}
	return buf;
}

static void
report(const char *what, double t0, unsigned n)
{
	double us = (now_us() - t0) / n;

	printf("%-44s %9.1f us/op %9.0f op/s\n", what, us, 1e6 / us);
}

int
main(int argc, char **argv)
{
	struct sign_cert_request req;
	struct sign_cert_response resp = { 0 };
	struct dir_user user = { 0 };
	struct config *cfg;
	struct signer *s;
	struct csr *csr;
	struct audit a;
	struct rusage ru;
	unsigned n, i;
	char *xml, *out_xml;
	uint8_t *signed_req;
	size_t xml_len, out_len, signed_len;
	double t0;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_core CONFIG REQUEST.xml [ITERATIONS]\n");
		return 2;
	}
	n = argc > 3 ? (unsigned)atoi(argv[3]) : 2000;
	log_init(LOG_TO_STDERR, 0);
	msg_init();
	if ((cfg = config_load(argv[1])) == NULL || (s = signer_new(cfg)) == NULL)
		return 2;
	xml = read_file(argv[2], &xml_len);

	t0 = now_us();
	for (i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		if (msg_parse_request(xml, xml_len, &req, &a) != MSG_OK)
			return fprintf(stderr, "parse: %s\n", a.reason), 1;
		msg_request_free(&req);
	}
	report("msg_parse_request (example 4.1)", t0, n);
	memset(&a, 0, sizeof(a));
	msg_parse_request(xml, xml_len, &req, &a);

	user.dn = "CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com";
	user.upn = "user1@domain1.corp.company.com";
	user.account = "user1";
	user.domain = "DOMAIN1";
	t0 = now_us();
	for (i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		if (csr_parse(cfg, NULL, req.cert_request, req.cert_request_len, &csr,
		    &a) != CSR_OK || csr_match_user(csr, req.username, &user,
		    &a) != CSR_OK)
			return fprintf(stderr, "csr: %s\n", a.reason), 1;
		csr_free(csr);
	}
	report("csr_parse + csr_match_user (step 1)", t0, n);

	t0 = now_us();
	for (i = 0; i < n / 4 + 1; i++) {
		memset(&a, 0, sizeof(a));
		if (cmc_sign_request(cfg, s, req.cert_request,
		    req.cert_request_len, &signed_req, &signed_len, &a) != CMC_OK)
			return fprintf(stderr, "cmc: %s\n", a.reason), 1;
		if (i + 1 < n / 4 + 1)
			free(signed_req);
	}
	report("cmc_sign_request (step 4, signing key)", t0, n / 4 + 1);

	resp.status = OTPCEP_SUCCESS;
	resp.signed_cert_request = signed_req;
	resp.signed_cert_request_len = signed_len;
	resp.issuing_ca = (const char *const *)cfg->ca.items;
	resp.issuing_ca_count = 1;
	t0 = now_us();
	for (i = 0; i < n; i++) {
		if (msg_write_response(&resp, &out_xml, &out_len) != 0)
			return 1;
		free(out_xml);
	}
	report("msg_write_response (Success)", t0, n);

	getrusage(RUSAGE_SELF, &ru);
	printf("%-44s %9ld KiB\n", "peak resident memory", ru.ru_maxrss);
	free(signed_req);
	msg_request_free(&req);
	free(xml);
	signer_free(s);
	config_free(cfg);
	msg_deinit();
	return 0;
}
