/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Driver for tests/integration/radius.sh: step 3 alone, against real peers.
 *   drv_radius [-v] [-j N] CONFIG USER [PASSWORD_FILE]
 * reads the configuration, starts the RADIUS client as the responder does,
 * and authenticates USER with the password from PASSWORD_FILE (or stdin; one
 * trailing newline dropped). Prints one line per authentication,
 *   ACCEPT|REJECT|CHALLENGE|UNREACHABLE|BAD_INPUT|NOT_CONFIGURED|ERROR <ms>
 * and the audit reason on stderr. -j N runs N authentications at once, each
 * in its own thread (the worker model). Exits 0 when it ran, 2 when the
 * configuration or the client could not be set up (prints SETUP_FAILED).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "radius.h"

struct job {
	const struct radius *r;
	const char *user;
	const uint8_t *pw;
	size_t pw_len;
	enum radius_result result;
	long long ms;
	struct audit audit;
};

static const char *
word(enum radius_result r)
{
	switch (r) {
	case RADIUS_ACCEPT: return "ACCEPT";
	case RADIUS_REJECT: return "REJECT";
	case RADIUS_CHALLENGE: return "CHALLENGE";
	case RADIUS_UNREACHABLE: return "UNREACHABLE";
	case RADIUS_BAD_INPUT: return "BAD_INPUT";
	case RADIUS_NOT_CONFIGURED: return "NOT_CONFIGURED";
	default: return "ERROR";
	}
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
run(void *arg)
{
	struct job *j = arg;
	long long t0 = now_ms();

	j->result = radius_authenticate(j->r, j->user, j->pw, j->pw_len,
	    &j->audit);
	j->ms = now_ms() - t0;
	return NULL;
}

int
main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct radius *r = NULL;
	struct job *jobs = NULL;
	pthread_t *threads = NULL;
	uint8_t pw[1024];
	size_t pw_len = 0, n;
	FILE *f = stdin;
	int verbose = 0, opt, ret = 2;
	unsigned count = 1, i;

	while ((opt = getopt(argc, argv, "vj:")) != -1) {
		if (opt == 'v')
			verbose = 1;
		else if (opt == 'j')
			count = (unsigned)atoi(optarg);
		else
			goto usage;
	}
	if (argc - optind < 2 || argc - optind > 3 || count < 1 || count > 64)
		goto usage;
	log_init(LOG_TO_STDERR, verbose);
	if (argc - optind == 3 && (f = fopen(argv[optind + 2], "r")) == NULL) {
		perror(argv[optind + 2]);
		goto done;
	}
	n = fread(pw, 1, sizeof(pw), f);
	if (f != stdin)
		fclose(f);
	pw_len = n;
	if (pw_len > 0 && pw[pw_len - 1] == '\n')
		pw_len--;

	if ((cfg = config_load(argv[optind])) == NULL ||
	    (r = radius_new(cfg)) == NULL) {
		printf("SETUP_FAILED\n");
		goto done;
	}
	jobs = calloc(count, sizeof(*jobs));
	threads = calloc(count, sizeof(*threads));
	if (jobs == NULL || threads == NULL)
		goto done;
	for (i = 0; i < count; i++) {
		jobs[i].r = r;
		jobs[i].user = argv[optind + 1];
		jobs[i].pw = pw;
		jobs[i].pw_len = pw_len;
		if (pthread_create(&threads[i], NULL, run, &jobs[i]) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			count = i;
			break;
		}
	}
	for (i = 0; i < count; i++) {
		pthread_join(threads[i], NULL);
		printf("%s %lld\n", word(jobs[i].result), jobs[i].ms);
		if (jobs[i].audit.reason[0])
			fprintf(stderr, "audit: %s\n", jobs[i].audit.reason);
	}
	ret = 0;
done:
	memset(pw, 0, sizeof(pw));
	free(jobs);
	free(threads);
	radius_free(r);
	config_free(cfg);
	return ret;
usage:
	fprintf(stderr, "usage: drv_radius [-v] [-j N] CONFIG USER "
	    "[PASSWORD_FILE]\n");
	return 2;
}
