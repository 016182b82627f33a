/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep: the MS-OTPCE responder. One binary, three fronts: FastCGI (the
 * default), one-shot CGI (when the environment says so) and replay.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "config.h"
#include "front.h"
#include "front_listen.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "otpcep.h"
#include "probe.h"
#include "server.h"
#include "sanitizer_opts.h"	/* make SAN=1: no LeakSanitizer exit check */

#define OTPCEP_USAGE_LINE \
	"usage: otpcep [-v] [-c FILE] [--check-config | --probe | --replay FILE|-]\n"

/* A usage error: the short usage line on stderr; 64 (EX_USAGE, sysexits.h). */
static int
usage_error(void)
{
	fputs(OTPCEP_USAGE_LINE "Try 'otpcep --help'.\n", stderr);
	return 64;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    OTPCEP_USAGE_LINE
	    "\n"
	    "MS-OTPCE responder. Without options it serves FastCGI on the socket\n"
	    "it was given (or `listen`), or answers one CGI request when run as a\n"
	    "CGI program.\n"
	    "\n"
	    "  -c, --config FILE   configuration file (default: $OTPCEP_CONFIG,\n"
	    "                      else " CONFIG_DEFAULT_PATH ")\n"
	    "      --check-config  check the configuration and the files it names, then exit\n"
	    "      --probe         monitoring plugin: the signing certificate, every\n"
	    "                      ldap_uri and RADIUS server, one line each; exit 0 OK,\n"
	    "                      1 WARNING, 2 CRITICAL\n"
	    "      --replay FILE   read a stored HTTP request from FILE (- for stdin),\n"
	    "                      write the HTTP response to stdout\n"
	    "  -v, --verbose       debug logging\n"
	    "  -V, --version       print the version\n"
	    "  -h, --help          this text\n");
}

/* One-time passwords and keys must never reach a core file. */
static void
harden_process(void)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* A peer that closes early must not kill a worker. */
	signal(SIGPIPE, SIG_IGN);
	umask(077);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "replay", required_argument, NULL, 'R' },
		{ "probe", no_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_arg = NULL, *replay = NULL;
	struct config *cfg = NULL;
	struct server srv;
	struct metrics_http *mh = NULL;
	int check = 0, probe = 0, verbose = 0, c, ret = 2;

	while ((c = getopt_long(argc, argv, "c:vVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_arg = optarg; break;
		case 'C': check = 1; break;
		case 'R': replay = optarg; break;
		case 'P': probe = 1; break;
		case 'v': verbose = 1; break;
		case 'V': printf("otpcep %s\n", OTPCEP_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: return usage_error();
		}
	}
	if (optind != argc) {
		fprintf(stderr, "otpcep: unexpected argument '%s'\n", argv[optind]);
		return usage_error();
	}

	harden_process();
	log_init(LOG_TO_STDERR, verbose);
	if ((cfg = config_load(config_path(config_arg))) == NULL)
		return 2;
	/* Replay and checks are run by a person at a terminal: keep stderr. */
	log_set_facility(cfg->log_facility);
	if (!check && !probe && replay == NULL && cfg->log_syslog)
		log_init(LOG_TO_SYSLOG, verbose || cfg->log_verbose);
	else
		log_init(LOG_TO_STDERR, verbose || cfg->log_verbose);

	msg_init();
	if (check) {
		/* Every problem, each part on its own (docs/configuration.md). */
		unsigned problems = config_check_files(cfg, true) + server_check(cfg) +
		    front_listen_check(cfg);

		if (problems == 0)
			printf("%s: configuration OK\n", cfg->path);
		else
			log_err("%s: %u problem%s found", cfg->path, problems,
			    problems > 1 ? "s" : "");
		ret = problems == 0 ? 0 : 2;
		goto cleanup;
	}
	/* Unsafe or missing files stop every start (issue 11, "Files"). */
	if (config_check_files(cfg, false) != 0) {
		log_err("%s: not starting: fix the files above (otpcep "
		    "--check-config shows every problem)", cfg->path);
		goto cleanup;
	}
	/* Before any fork (the signer) and any thread: the shared counters. */
	if (metrics_init(cfg) == 0)
		metrics_workers(cfg->workers);
	/* Serving modes parse requests: the key goes to a signer process. */
	if (server_init(&srv, cfg, !check && !probe) != 0)
		goto cleanup;
	if (probe) {
		ret = probe_run(&srv);
	} else if (replay != NULL) {
		/* Each front locks down before its first request (issue 11). */
		ret = server_lockdown(&srv) != 0 ? 1 :
		    front_replay_run(&srv, replay);
	} else if (front_cgi_detected()) {
		ret = server_lockdown(&srv) != 0 ? 1 : front_cgi_run(&srv);
	} else if (metrics_http_start(cfg, server_health_refresh, &srv, &mh) == 0) {
		ret = front_fcgi_run(&srv);
		metrics_http_stop(mh);
	}
	server_free(&srv);
cleanup:
	msg_deinit();
	config_free(cfg);
	return ret;
}
