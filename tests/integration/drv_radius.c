/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Driver for tests/integration/radius.sh: step 3 alone, against real peers.
 *   drv_radius [-v] [-j N] [-n ROUNDS] [-p MS] CONFIG USER [PASSWORD_FILE]
 *   drv_radius [-v] -S CONFIG
 * reads the configuration, starts the RADIUS client as the responder does,
 * and authenticates USER with the password from PASSWORD_FILE (or stdin; one
 * trailing newline dropped). Prints one line per authentication,
 *   ACCEPT|REJECT|CHALLENGE|UNREACHABLE|UNSIGNED|BAD_INPUT|NOT_CONFIGURED|ERROR <ms>
 * and the audit reason on stderr. -j N runs N authentications at once, each
 * in its own thread (the worker model); -n ROUNDS does that ROUNDS times in a
 * row on the same client (its dead-server memory), pausing MS milliseconds
 * (-p MS[,MS...]: the Nth value before round N + 1, the last one repeated)
 * between rounds, and prints "STATE i alive|dead|unsigned" per server
 * after each round. -S sends one Status-Server (RFC 5997) to each server and
 * prints "STATUS i <result> <ms>". Exits 0 when it ran, 2 when the
 * configuration or the client could not be set up (prints SETUP_FAILED).
 * With DRV_RADIUS_WAITER=1 in the environment, every authentication goes
 * through the RADIUS waiter (src/radius_wait.c), as the FastCGI front's do:
 * the job's thread only waits for the waiter's callback
 * (tests/integration/radius_waiter.sh runs radius.sh that way).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "radius.h"
#include "radius_wait.h"

struct job {
	struct radius_waiter *waiter;	/* NULL: radius_authenticate() */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool called_back;
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
	case RADIUS_UNSIGNED: return "UNSIGNED";
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

static const char *
state_word(enum radius_server_state st)
{
	switch (st) {
	case RADIUS_SERVER_ALIVE: return "alive";
	case RADIUS_SERVER_DEAD: return "dead";
	case RADIUS_SERVER_UNSIGNED: return "unsigned";
	}
	return "?";
}

static void
print_states(const struct radius *r)
{
	size_t i;

	for (i = 0; i < radius_server_count(r); i++)
		printf("STATE %zu %s\n", i, state_word(radius_server_state(r, i,
		    NULL)));
	fflush(stdout);
}

/* -S: one Status-Server to each server, in order. */
static void
status_all(const struct radius *r)
{
	long long t0;
	size_t i;
	enum radius_result res;

	for (i = 0; i < radius_server_count(r); i++) {
		t0 = now_ms();
		res = radius_status_server(r, i);
		printf("STATUS %zu %s %lld\n", i, word(res), now_ms() - t0);
	}
	fflush(stdout);
}

/* The waiter's callback, from its thread. */
static void
job_done(void *ctx)
{
	struct job *j = ctx;

	pthread_mutex_lock(&j->mu);
	j->called_back = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

/* Step 3 as the FastCGI front runs it: started here, waited for there. */
static enum radius_result
via_waiter(struct job *j)
{
	struct radius_auth *x;
	enum radius_result res;

	x = radius_auth_start(j->r, j->user, j->pw, j->pw_len, &j->audit);
	if (x == NULL)
		return RADIUS_ERROR;
	if (!radius_auth_done(x)) {
		if (radius_waiter_add(j->waiter, x, job_done, j) != 0) {
			fprintf(stderr, "radius_waiter_add failed\n");
			radius_auth_free(x);
			return RADIUS_ERROR;
		}
		pthread_mutex_lock(&j->mu);
		while (!j->called_back)
			pthread_cond_wait(&j->cv, &j->mu);
		pthread_mutex_unlock(&j->mu);
	}
	res = radius_auth_result(x);
	radius_auth_free(x);
	return res;
}

static void *
run(void *arg)
{
	struct job *j = arg;
	long long t0 = now_ms();

	if (j->waiter != NULL)
		j->result = via_waiter(j);
	else
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
	struct radius_waiter *waiter = NULL;
	struct job *jobs = NULL;
	pthread_t *threads = NULL;
	uint8_t pw[1024];
	size_t pw_len = 0, n;
	FILE *f = stdin;
	int verbose = 0, status = 0, opt, ret = 2;
	unsigned count = 1, rounds = 1, round, i;
	const char *pauses = "0";

	while ((opt = getopt(argc, argv, "vj:n:p:S")) != -1) {
		if (opt == 'v')
			verbose = 1;
		else if (opt == 'j')
			count = (unsigned)atoi(optarg);
		else if (opt == 'n')
			rounds = (unsigned)atoi(optarg);
		else if (opt == 'p')
			pauses = optarg;
		else if (opt == 'S')
			status = 1;
		else
			goto usage;
	}
	if (status && argc - optind == 1) {
		log_init(LOG_TO_STDERR, verbose);
		if ((cfg = config_load(argv[optind])) == NULL ||
		    (r = radius_new(cfg)) == NULL) {
			printf("SETUP_FAILED\n");
			goto done;
		}
		status_all(r);
		print_states(r);
		ret = 0;
		goto done;
	}
	if (argc - optind < 2 || argc - optind > 3 || count < 1 || count > 64 ||
	    rounds < 1 || rounds > 1000)
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
	if (getenv("DRV_RADIUS_WAITER") != NULL &&
	    strcmp(getenv("DRV_RADIUS_WAITER"), "1") == 0 &&
	    (waiter = radius_waiter_start()) == NULL) {
		printf("SETUP_FAILED\n");
		goto done;
	}
	jobs = calloc(count, sizeof(*jobs));
	threads = calloc(count, sizeof(*threads));
	if (jobs == NULL || threads == NULL)
		goto done;
	for (round = 0; round < rounds; round++) {
		unsigned started = count;

		if (round > 0) {
			char *end;
			long pause_ms = strtol(pauses, &end, 10);

			if (*end == ',')
				pauses = end + 1;
			if (pause_ms > 0)
				usleep((useconds_t)pause_ms * 1000);
		}
		for (i = 0; i < count; i++) {
			memset(&jobs[i], 0, sizeof(jobs[i]));
			jobs[i].waiter = waiter;
			pthread_mutex_init(&jobs[i].mu, NULL);
			pthread_cond_init(&jobs[i].cv, NULL);
			jobs[i].r = r;
			jobs[i].user = argv[optind + 1];
			jobs[i].pw = pw;
			jobs[i].pw_len = pw_len;
			if (pthread_create(&threads[i], NULL, run, &jobs[i]) != 0) {
				fprintf(stderr, "pthread_create failed\n");
				started = i;
				break;
			}
		}
		for (i = 0; i < started; i++) {
			pthread_join(threads[i], NULL);
			pthread_cond_destroy(&jobs[i].cv);
			pthread_mutex_destroy(&jobs[i].mu);
			printf("%s %lld\n", word(jobs[i].result), jobs[i].ms);
			if (jobs[i].audit.reason[0])
				fprintf(stderr, "audit: %s\n",
				    jobs[i].audit.reason);
		}
		if (rounds > 1)
			print_states(r);
		fflush(stdout);
	}
	ret = 0;
done:
	memset(pw, 0, sizeof(pw));
	free(jobs);
	free(threads);
	radius_waiter_free(waiter);
	radius_free(r);
	config_free(cfg);
	return ret;
usage:
	fprintf(stderr, "usage: drv_radius [-v] [-j N] [-n ROUNDS] [-p MS] "
	    "CONFIG USER [PASSWORD_FILE] | -S CONFIG\n");
	return 2;
}
