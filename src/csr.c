/* MS-OTPCE 3.2.5.1 step 1. Not built yet: fails closed (issue 3). */
#include <stdlib.h>

#include "csr.h"
#include "log.h"

struct csr {
	int unused;
};

const char *
csr_strerror(enum csr_result r)
{
	return r == CSR_OK ? "ok" : "certificate request check not built yet";
}

enum csr_result
csr_parse(const struct config *cfg, const uint8_t *der, size_t der_len,
    struct csr **out, struct audit *a)
{
	(void)cfg, (void)der, (void)der_len;
	*out = NULL;
	log_err("step 1: the certificate request check is not built yet");
	audit_reason(a, "step 1: certificate request check not built yet");
	return CSR_NOT_BUILT;
}

enum csr_result
csr_match_user(const struct csr *csr, const char *username,
    const struct dir_user *user, struct audit *a)
{
	(void)csr, (void)username, (void)user;
	audit_reason(a, "step 1: certificate request check not built yet");
	return CSR_NOT_BUILT;
}

void
csr_free(struct csr *csr)
{
	free(csr);
}
