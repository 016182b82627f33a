/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * libFuzzer target: step 1 on any bytes. csr_parse() and, when it accepts,
 * csr_match_user() must never crash, hang or leak. The seed is the PKCS#10
 * of example 4.1, whose template the configuration below names.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "csr.h"
#include "dir.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	static const struct config cfg = {
		.template = "1.3.6.1.4.1.311.21.8.221803.1567394.12993454.3845153.13972217.75.15653661.6620273",
		.allow_sha1_csr = true,
		.min_rsa_bits = 1024,
	};
	static const struct dir_user user = {
		.dn = "CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com",
		.upn = "user1@domain1.corp.company.com",
		.mail = "user1@company.com",
		.account = "user1",
		.domain = "DOMAIN1",
	};
	struct audit a = { 0 };
	struct csr *csr = NULL;

	if (!once) {
		/* Errors are expected by the thousand: keep them off the screen. */
		log_init(LOG_TO_SYSLOG, 0);
		once = 1;
	}
	if (csr_parse(&cfg, NULL, data, size, &csr, &a) == CSR_OK)
		(void)csr_match_user(csr, "DOMAIN1\\user1", &user, &a);
	csr_free(csr);
	return 0;
}
