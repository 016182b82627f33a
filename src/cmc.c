/* MS-OTPCE 3.2.5.1 step 4. Not built yet: fails closed (issue 5). */
#include "cmc.h"
#include "log.h"

const char *
cmc_strerror(enum cmc_result r)
{
	return r == CMC_OK ? "ok" : "co-signing not built yet";
}

enum cmc_result
cmc_sign_request(struct signer *s, const uint8_t *csr_der, size_t csr_der_len,
    uint8_t **out, size_t *out_len, struct audit *a)
{
	(void)s, (void)csr_der, (void)csr_der_len;
	*out = NULL;
	*out_len = 0;
	log_err("step 4: co-signing is not built yet");
	audit_reason(a, "step 4: co-signing not built yet");
	return CMC_NOT_BUILT;
}
