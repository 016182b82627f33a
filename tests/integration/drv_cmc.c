/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Driver for tests/integration/cmc.sh: loads the signer from a configuration
 * file and signs certificate requests with cmc_sign_request(), as step 4 of
 * the responder does.
 *   drv_cmc CONFIG CSR.der OUT.der [OUT2.der [PAUSE]]
 * writes the SignedCertRequest to OUT.der (and, when OUT2.der is given, signs
 * the same request a second time into it, PAUSE seconds later: long enough
 * for a short-lived certificate to expire in between). Exit status: 0 signed, 2 usage or
 * files, 3 signer_new() refused the configuration, 4 cmc_sign_request()
 * failed (its reason on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmc.h"
#include "config.h"
#include "log.h"
#include "signer.h"
#include "../testutil.h"

static int
sign_to(const struct config *cfg, struct signer *s, const uint8_t *csr,
    size_t csr_len, const char *path)
{
	struct audit a = { .reason = "" };
	enum cmc_result r;
	uint8_t *out = NULL;
	size_t out_len = 0;
	FILE *f;
	int ok;

	r = cmc_sign_request(cfg, s, csr, csr_len, &out, &out_len, &a);
	if (r != CMC_OK) {
		fprintf(stderr, "drv_cmc: %s (%s)\n", cmc_strerror(r), a.reason);
		return 4;
	}
	if ((f = fopen(path, "wb")) == NULL) {
		free(out);
		return 2;
	}
	ok = fwrite(out, 1, out_len, f) == out_len;
	ok = fclose(f) == 0 && ok;
	free(out);
	return ok ? 0 : 2;
}

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct signer *s;
	char *csr;
	size_t csr_len = 0;
	int rc;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: drv_cmc CONFIG CSR.der OUT.der "
		    "[OUT2.der [PAUSE]]\n");
		return 2;
	}
	log_init(LOG_TO_STDERR, 0);
	if ((csr = tu_read_file(argv[2], &csr_len)) == NULL) {
		fprintf(stderr, "drv_cmc: cannot read %s\n", argv[2]);
		return 2;
	}
	if ((cfg = config_load(argv[1])) == NULL) {
		free(csr);
		return 2;
	}
	if ((s = signer_new(cfg)) == NULL) {
		config_free(cfg);
		free(csr);
		return 3;
	}
	rc = sign_to(cfg, s, (const uint8_t *)csr, csr_len, argv[3]);
	if (rc == 0 && argc >= 5) {
		if (argc == 6)
			sleep((unsigned)atoi(argv[5]));
		rc = sign_to(cfg, s, (const uint8_t *)csr, csr_len, argv[4]);
	}
	signer_free(s);
	config_free(cfg);
	free(csr);
	return rc;
}
