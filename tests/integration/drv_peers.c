/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Driver for tests/integration/peers.sh: steps 2 and 3 together, as
 * src/procedure.c chains them, against a real slapd and FreeRADIUS.
 *   drv_peers [-v] CONFIG NAME PASSWORD_FILE
 * looks NAME up in the directory (dir_lookup), chooses the User-Name as
 * radius_username says (radius_user_name) and authenticates it
 * (radius_authenticate). Prints one line,
 *   <directory result> sent=<User-Name or -> <RADIUS result>
 * e.g. "FOUND sent=jdoe ACCEPT", and the audit reason on stderr. Exit 0
 * when it ran, 2 when the configuration or a client could not be set up.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dir.h"
#include "log.h"
#include "radius.h"

int
main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct dir *d = NULL;
	struct radius *r = NULL;
	struct dir_user u = { 0 };
	struct audit a;
	char buf[RADIUS_USER_NAME_BUF], pw[256];
	const char *sent = NULL;
	enum dir_result dr;
	enum radius_result rr = RADIUS_ERROR;
	size_t pw_len = 0;
	FILE *f;
	int opt, verbose = 0, ret = 2;

	while ((opt = getopt(argc, argv, "v")) != -1) {
		if (opt != 'v')
			goto usage;
		verbose = 1;
	}
	if (argc - optind != 3)
		goto usage;
	log_init(LOG_TO_STDERR, verbose);
	if ((f = fopen(argv[optind + 2], "r")) == NULL) {
		perror(argv[optind + 2]);
		return 2;
	}
	pw_len = fread(pw, 1, sizeof(pw), f);
	fclose(f);
	if (pw_len > 0 && pw[pw_len - 1] == '\n')
		pw_len--;
	if ((cfg = config_load(argv[optind])) == NULL ||
	    (d = dir_new(cfg)) == NULL || (r = radius_new(cfg)) == NULL) {
		printf("SETUP_FAILED\n");
		goto done;
	}
	memset(&a, 0, sizeof(a));
	dr = dir_lookup(d, argv[optind + 1], &u, &a);
	if (dr == DIR_FOUND) {
		sent = radius_user_name(r, argv[optind + 1], &u, buf);
		rr = radius_authenticate(r, sent, (const uint8_t *)pw, pw_len,
		    &a);
	}
	printf("%s sent=%s %s\n", dr == DIR_FOUND ? "FOUND" : dir_strerror(dr),
	    sent ? sent : "-", dr == DIR_FOUND ? radius_strerror(rr) : "-");
	if (a.reason[0])
		fprintf(stderr, "audit: %s\n", a.reason);
	ret = 0;
done:
	memset(pw, 0, sizeof(pw));
	dir_user_free(&u);
	radius_free(r);
	dir_free(d);
	config_free(cfg);
	return ret;
usage:
	fprintf(stderr, "usage: drv_peers [-v] CONFIG NAME PASSWORD_FILE\n");
	return 2;
}
