/* MS-OTPCE 3.2.5.1 step 3. Not built yet: fails closed (issue 4). */
#include <stdlib.h>

#include "log.h"
#include "radius.h"

struct radius {
	int unused;
};

const char *
radius_strerror(enum radius_result r)
{
	return r == RADIUS_ACCEPT ? "accept" : "RADIUS client not built yet";
}

struct radius *
radius_new(const struct config *cfg)
{
	(void)cfg;
	return calloc(1, sizeof(struct radius));
}

void
radius_free(struct radius *r)
{
	free(r);
}

const char *
radius_user_name(const struct radius *r, const char *as_sent,
    const struct dir_user *user)
{
	(void)r, (void)user;
	return as_sent;
}

enum radius_result
radius_authenticate(const struct radius *r, const char *user_name,
    const uint8_t *password, size_t password_len, struct audit *a)
{
	(void)r, (void)user_name, (void)password, (void)password_len;
	log_err("step 3: the RADIUS client is not built yet");
	audit_reason(a, "step 3: RADIUS client not built yet");
	return RADIUS_NOT_BUILT;
}
