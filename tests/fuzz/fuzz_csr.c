/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * libFuzzer target: step 1 on any bytes. Each input is checked twice:
 * as sent (DER framing, key rules, the self-signature), and, when GnuTLS can
 * read it as a PKCS#10 at all, re-signed here with a key of the harness, so
 * that the mutated extensions, SAN, ClientInfo and subject DN get past the
 * self-signature into the code that reads them (issue 15 item 9). Then
 * csr_match_name() and csr_match_user() run on what csr_parse() accepted.
 * Nothing may crash, hang or leak. The seeds are example 4.1's PKCS#10 and
 * Windows-shaped requests naming the template by OID, by name and both.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "config.h"
#include "csr.h"
#include "dir.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct config cfg = {
	.template = "1.3.6.1.4.1.311.21.8.221803.1567394.12993454.3845153.13972217.75.15653661.6620273",
	.allow_sha1_csr = true,
	.min_rsa_bits = 1024,
};
static const struct csr_template tmpl = {
	.oid = "1.3.6.1.4.1.311.21.8.221803.1567394.12993454.3845153.13972217.75.15653661.6620273",
	.name = "DAOTPLogon",
};
static const struct dir_user user = {
	.dn = "CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com",
	.upn = "user1@domain1.corp.company.com",
	.mail = "user1@company.com",
	.account = "user1",
	.domain = "DOMAIN1",
};
static const struct dir_name typed = {
	.netbios = "DOMAIN1",
	.base_dn = "DC=domain1,DC=corp,DC=company,DC=com",
	.account = "user1",
};

/* Step 1 as the procedure runs it, on der. */
static void
fuzz_step1(const uint8_t *der, size_t der_len, const struct csr_template *t)
{
	struct audit a = { 0 };
	struct csr *csr = NULL;

	if (csr_parse(&cfg, t, der, der_len, &csr, &a) == CSR_OK) {
		(void)csr_match_name(csr, "DOMAIN1\\user1", &typed, &a);
		(void)csr_match_user(csr, "DOMAIN1\\user1", &user, &a);
	}
	csr_free(csr);
}

/*
 * data as a PKCS#10 with the harness's key and a fresh signature, in *out
 * (gnutls_free); -1 when GnuTLS cannot read or write it.
 */
static int
fuzz_resign(const uint8_t *data, size_t size, gnutls_privkey_t key,
    gnutls_pubkey_t pub, gnutls_datum_t *out)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t in;
	int ret = -1;

	if (size > UINT32_MAX || gnutls_x509_crq_init(&crq) < 0)
		return -1;
	in.data = (unsigned char *)(uintptr_t)data;
	in.size = (unsigned)size;
	if (gnutls_x509_crq_import(crq, &in, GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_x509_crq_set_pubkey(crq, pub) >= 0 &&
	    gnutls_x509_crq_privkey_sign(crq, key, GNUTLS_DIG_SHA256, 0) >= 0 &&
	    gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, out) >= 0)
		ret = 0;
	gnutls_x509_crq_deinit(crq);
	return ret;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gnutls_privkey_t key;
	static gnutls_pubkey_t pub;
	gnutls_datum_t resigned = { NULL, 0 };

	if (key == NULL) {
		/* Errors are expected by the thousand: keep them off the screen. */
		log_init(LOG_TO_SYSLOG, 0);
		if (gnutls_privkey_init(&key) < 0 ||
		    gnutls_privkey_generate(key, GNUTLS_PK_ECDSA,
		    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
		    gnutls_pubkey_init(&pub) < 0 ||
		    gnutls_pubkey_import_privkey(pub, key, 0, 0) < 0)
			abort();
	}
	fuzz_step1(data, size, NULL);
	if (fuzz_resign(data, size, key, pub, &resigned) == 0) {
		fuzz_step1(resigned.data, resigned.size, NULL);
		fuzz_step1(resigned.data, resigned.size, &tmpl);
	}
	gnutls_free(resigned.data);
	return 0;
}
