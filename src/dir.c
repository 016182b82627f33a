/* MS-OTPCE 3.2.5.1 step 2. Not built yet: fails closed (issue 3). */
#include <stdlib.h>
#include <string.h>

#include "dir.h"
#include "log.h"

struct dir {
	int unused;
};

struct dir_conn {
	int unused;
};

const char *
dir_strerror(enum dir_result r)
{
	return r == DIR_FOUND ? "found" : "directory check not built yet";
}

struct dir *
dir_new(const struct config *cfg)
{
	(void)cfg;
	return calloc(1, sizeof(struct dir));
}

void
dir_free(struct dir *d)
{
	free(d);
}

struct dir_conn *
dir_conn_new(const struct dir *d)
{
	(void)d;
	return calloc(1, sizeof(struct dir_conn));
}

void
dir_conn_free(struct dir_conn *c)
{
	free(c);
}

enum dir_result
dir_lookup(struct dir_conn *c, const char *username, struct dir_user *out,
    struct audit *a)
{
	(void)c, (void)username;
	memset(out, 0, sizeof(*out));
	log_err("step 2: the directory check is not built yet");
	audit_reason(a, "step 2: directory check not built yet");
	return DIR_NOT_BUILT;
}

void
dir_user_free(struct dir_user *u)
{
	free(u->dn);
	free(u->upn);
	free(u->mail);
	free(u->account);
	free(u->domain);
	memset(u, 0, sizeof(*u));
}
