/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Driver for tests/integration/dir.sh: one struct dir (with its pool of
 * ldap_connections, as the responder has), looking up each name in turn.
 *
 *   drv_dir [-v] [-p MS] CONFIG NAME...   look up the names, pausing MS
 *                                         milliseconds between two
 *   drv_dir [-v] CONFIG -                 one name per line from stdin,
 *                                         answered as each line arrives
 *   drv_dir [-v] -t N -r R CONFIG NAME... N threads (workers) sharing the
 *                                         pool, each looking up the names
 *                                         R times
 *
 * One line per lookup on stdout:
 *   RESULT ms=N name=... dn=... upn=... mail=... account=... domain=... reason=...
 * RESULT is FOUND, UNKNOWN_DOMAIN, BAD_NAME, NO_SUCH_USER, AMBIGUOUS,
 * DISABLED, UNAVAILABLE, NOMEM or NOT_CONFIGURED. Log lines go to stderr.
 * Exit status: 0, or 2 when the configuration or the directory set-up fails.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dir.h"
#include "log.h"

static const char *
result_name(enum dir_result r)
{
	switch (r) {
	case DIR_FOUND: return "FOUND";
	case DIR_UNKNOWN_DOMAIN: return "UNKNOWN_DOMAIN";
	case DIR_BAD_NAME: return "BAD_NAME";
	case DIR_NO_SUCH_USER: return "NO_SUCH_USER";
	case DIR_AMBIGUOUS: return "AMBIGUOUS";
	case DIR_DISABLED: return "DISABLED";
	case DIR_UNAVAILABLE: return "UNAVAILABLE";
	case DIR_NOMEM: return "NOMEM";
	case DIR_NOT_CONFIGURED: return "NOT_CONFIGURED";
	}
	return "?";
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
esc(char *buf, size_t len, const char *s)
{
	return s ? log_escape(buf, len, s, strlen(s)) : "-";
}

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void
lookup(const struct dir *d, const char *name)
{
	char e1[256], e2[256], e3[256], e4[256], e5[256], e6[64];
	struct dir_user u;
	struct audit a;
	enum dir_result r;
	long long t0;

	memset(&a, 0, sizeof(a));
	t0 = now_ms();
	r = dir_lookup(d, name, &u, &a);
	pthread_mutex_lock(&out_lock);
	printf("%s ms=%lld name=%s dn=%s upn=%s mail=%s account=%s domain=%s "
	    "reason=%s\n", result_name(r), now_ms() - t0, esc(e1, sizeof(e1), name),
	    esc(e2, sizeof(e2), u.dn), esc(e3, sizeof(e3), u.upn),
	    esc(e4, sizeof(e4), u.mail), esc(e5, sizeof(e5), u.account),
	    esc(e6, sizeof(e6), u.domain), a.reason[0] ? a.reason : "-");
	fflush(stdout);
	/* The interface promises a zeroed user on failure. */
	if (r != DIR_FOUND && (u.dn || u.upn || u.mail || u.account || u.domain)) {
		printf("BUG: user not cleared after %s\n", result_name(r));
		fflush(stdout);
	}
	pthread_mutex_unlock(&out_lock);
	dir_user_free(&u);
}

/* One worker: the shared struct dir and its pool. */
struct worker_arg {
	const struct dir *d;
	char **names;
	int count;
	long rounds;
	int failed;
};

static void *
worker(void *p)
{
	struct worker_arg *w = p;
	long i;
	int k;

	for (i = 0; i < w->rounds; i++)
		for (k = 0; k < w->count; k++)
			lookup(w->d, w->names[k]);
	return NULL;
}

static int
run_threads(const struct dir *d, long threads, long rounds, char **names,
    int count)
{
	struct worker_arg *args;
	pthread_t *tids;
	long i, started = 0;
	int ret = 0;

	args = calloc((size_t)threads, sizeof(*args));
	tids = calloc((size_t)threads, sizeof(*tids));
	if (args == NULL || tids == NULL)
		ret = 2;
	for (i = 0; ret == 0 && i < threads; i++) {
		args[i] = (struct worker_arg){ d, names, count, rounds, 0 };
		if (pthread_create(&tids[i], NULL, worker, &args[i]) != 0)
			ret = 2;
		else
			started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
		if (args[i].failed)
			ret = 2;
	}
	free(args);
	free(tids);
	return ret;
}

int
main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct dir *d = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long pause_ms = 0, threads = 0, rounds = 1;
	int opt, i, verbose = 0, ret = 2;

	/* As the responder does (src/main.c): a closed peer must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "vp:t:r:")) != -1) {
		switch (opt) {
		case 'v': verbose = 1; break;
		case 'p': pause_ms = strtol(optarg, NULL, 10); break;
		case 't': threads = strtol(optarg, NULL, 10); break;
		case 'r': rounds = strtol(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (argc - optind < 2)
		goto usage;
	log_init(LOG_TO_STDERR, verbose);
	if ((cfg = config_load(argv[optind])) == NULL ||
	    (d = dir_new(cfg)) == NULL)
		goto cleanup;
	if (threads > 0) {
		ret = run_threads(d, threads, rounds, argv + optind + 1,
		    argc - optind - 1);
		goto cleanup;
	}
	if (strcmp(argv[optind + 1], "-") == 0) {
		while ((n = getline(&line, &cap, stdin)) > 0) {
			if (line[n - 1] == '\n')
				line[--n] = '\0';
			lookup(d, line);
		}
	} else {
		for (i = optind + 1; i < argc; i++) {
			if (i > optind + 1 && pause_ms > 0)
				usleep((useconds_t)pause_ms * 1000);
			lookup(d, argv[i]);
		}
	}
	ret = 0;
cleanup:
	free(line);
	dir_free(d);
	config_free(cfg);
	return ret;
usage:
	fprintf(stderr, "usage: drv_dir [-v] [-p MS] [-t THREADS -r ROUNDS] "
	    "CONFIG NAME... | CONFIG -\n");
	return 2;
}
