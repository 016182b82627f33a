/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep-enroll: renews the signing certificate from AD CS (renew, watch)
 * and checks a CA (probe). The manual is docs/man/otpcep-enroll.8; the exit
 * statuses are enum enroll_exit (enroll.h).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/pkcs11.h>

#include "config.h"
#include "enroll.h"
#include "log.h"
#include "otpcep.h"
#include "renewal.h"

static const char usage_text[] =
"usage: otpcep-enroll [-c FILE] [-v] renew [--force]\n"
"       otpcep-enroll [-c FILE] [-v] watch [--loop]\n"
"       otpcep-enroll [-c FILE] [-v] probe [host\\CA]\n"
"       otpcep-enroll -h | -V\n"
"\n"
"Renews otpcep's signing certificate from Active Directory Certificate\n"
"Services over MS-ICPR (Kerberos, packet privacy) as the computer account\n"
"(enroll_ca, enroll_template, enroll_keytab, enroll_principal).\n"
"\n"
"  renew        renew now if due (--force: even if not due)\n"
"  watch        renew when half of the lifetime has passed (with jitter);\n"
"               after a failure retry every enroll_retry_s (1 h); for a\n"
"               systemd timer, or --loop to run until SIGTERM\n"
"  probe        bind, seal and send an empty request to the CA (enroll_ca,\n"
"               or the one given): a CA error is the expected answer\n"
"  -c FILE      configuration (default $OTPCEP_CONFIG, " CONFIG_DEFAULT_PATH ")\n"
"  -v           debug lines\n"
"  -h, --help   this text\n"
"  -V, --version\n"
"\n"
"Exit status: 0 renewed, not due, or the probe got the CA's answer; 1 failed\n"
"on our side; 2 the CA denied the request; 3 the request is pending at the\n"
"CA; 4 the CA cannot be reached, bound or sealed; 64 usage; 78 the\n"
"configuration is not usable. See otpcep-enroll(8).\n";

/* A usage error: the short form on stderr, EX_USAGE (the project's convention). */
static int
enroll_usage(void)
{
	fputs("usage: otpcep-enroll [-c FILE] [-v] renew [--force] | watch [--loop] |\n"
	    "                     probe [host\\CA]\n"
	    "Try 'otpcep-enroll --help'.\n", stderr);
	return ENROLL_EXIT_USAGE;
}

static volatile sig_atomic_t enroll_stop;

static void
enroll_on_signal(int sig)
{
	(void)sig;
	enroll_stop = 1;
}

static const char *
enroll_state_path(const struct config *cfg)
{
	return cfg->enroll_state_file ? cfg->enroll_state_file :
	    RENEWAL_STATE_DEFAULT;
}

/* The CA of enroll_ca (or ca_arg), and how to reach it, from the configuration. */
static int
enroll_target(const struct config *cfg, const char *ca_arg,
    struct casubmit_target *t)
{
	const char *ca = ca_arg ? ca_arg : cfg->enroll_ca;

	if (casubmit_target_parse(ca, t) != 0) {
		log_err("enroll: %s is not 'host\\CA name'", ca ? ca : "enroll_ca");
		return -1;
	}
	t->address = cfg->enroll_ca_address;
	t->epm_port = cfg->enroll_epm_port;
	t->spn = cfg->enroll_spn;
	t->keytab = cfg->enroll_keytab;
	t->principal = cfg->enroll_principal;
	t->timeout_ms = cfg->enroll_timeout_ms;
	return 0;
}

static int
enroll_load_cert(const char *path, gnutls_x509_crt_t *crt)
{
	gnutls_datum_t d = { NULL, 0 };
	int r;

	if ((r = gnutls_load_file(path, &d)) < 0 ||
	    (r = gnutls_x509_crt_init(crt)) < 0 ||
	    ((r = gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_PEM)) < 0 &&
	    (r = gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_DER)) < 0)) {
		log_err("enroll: signing_cert %s: %s", path, gnutls_strerror(r));
		gnutls_free(d.data);
		return -1;
	}
	gnutls_free(d.data);
	return 0;
}

/* Records an outcome in the state file and the log; returns status. */
static int
enroll_outcome(const struct config *cfg, struct renewal_state *st, int status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
enroll_outcome(const struct config *cfg, struct renewal_state *st, int status,
    const char *fmt, ...)
{
	char msg[RENEWAL_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->last_attempt = time(NULL);
	if (status == ENROLL_EXIT_OK) {
		st->last_success = st->last_attempt;
		st->last_error[0] = '\0';
		log_info("renew: %s", msg);
	} else {
		snprintf(st->last_error, sizeof(st->last_error), "%s", msg);
		if (status == ENROLL_EXIT_PENDING)
			log_warnx("renew: %s", msg);
		else
			log_err("renew: %s", msg);
	}
	(void)renewal_state_write(enroll_state_path(cfg), st);
	return status;
}

/* The CA answered: issued, pending, denied or error. */
static int
enroll_answer(const struct config *cfg, struct renewal_state *st,
    struct casubmit_answer *a, struct enroll_key *k, bool *keep_key)
{
	gnutls_x509_crt_t crt = NULL;
	char hrbuf[16], serial_hex[64] = "?", until[32];
	const char *hr;
	uint8_t serial[32];
	size_t serial_len = sizeof(serial), i;
	time_t na;
	struct tm tm;
	int ret;

	hr = hresult_format(a->hresult, hrbuf, sizeof(hrbuf));
	switch (a->disposition) {
	case CR_DISP_ISSUED:
		break;
	case CR_DISP_UNDER_SUBMISSION:
		st->pending_id = a->request_id;
		*keep_key = true;
		return enroll_outcome(cfg, st, ENROLL_EXIT_PENDING, "request %u "
		    "is pending at the CA (CR_DISP_UNDER_SUBMISSION, %s%s%s); "
		    "polled at the next run", a->request_id, hr,
		    a->message[0] ? ": " : "", a->message);
	default:
		st->pending_id = 0;
		st->pending_key[0] = '\0';
		return enroll_outcome(cfg, st, ENROLL_EXIT_DENIED, "the CA "
		    "refused request %u: %s, %s%s%s", a->request_id,
		    hresult_disposition_name(a->disposition), hr,
		    a->message[0] ? ": " : "", a->message);
	}
	st->pending_id = 0;
	if (install_check(cfg, &a->cert, k, time(NULL), &crt) != 0) {
		st->pending_key[0] = '\0';
		return enroll_outcome(cfg, st, ENROLL_EXIT_FAILED, "request %u "
		    "issued, but the certificate does not fit (see the log); "
		    "the current certificate stays in use", a->request_id);
	}
	if (install_pair(cfg, crt, &a->chain, k) != 0) {
		gnutls_x509_crt_deinit(crt);
		return enroll_outcome(cfg, st, ENROLL_EXIT_FAILED, "request %u "
		    "issued, but it cannot be installed (see the log)",
		    a->request_id);
	}
	*keep_key = true;	/* it is the signing key now */
	st->pending_key[0] = '\0';
	if (gnutls_x509_crt_get_serial(crt, serial, &serial_len) == 0)
		for (i = 0; i < serial_len && 2 * i + 2 < sizeof(serial_hex); i++)
			snprintf(serial_hex + 2 * i, 3, "%02x", serial[i]);
	na = gnutls_x509_crt_get_expiration_time(crt);
	gmtime_r(&na, &tm);
	strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	gnutls_x509_crt_deinit(crt);
	ret = enroll_outcome(cfg, st, ENROLL_EXIT_OK, "renewed: request %u "
	    "issued (CR_DISP_ISSUED), serial %s valid until %s, installed in %s",
	    a->request_id, serial_hex, until, cfg->signing_cert);
	return ret;
}

/* A pending request's key, kept between runs: reloaded from its file. */
static int
enroll_pending_key(const struct config *cfg, const struct renewal_state *st,
    struct enroll_key *k)
{
	gnutls_x509_privkey_t x = NULL;
	int r, ret = -1;

	memset(k, 0, sizeof(*k));
	if (strncmp(cfg->signing_key, "pkcs11:", 7) == 0) {
		log_err("renew: a pending request with a token key is not "
		    "resumed; a new request is made");
		return -1;
	}
	if ((r = gnutls_load_file(st->pending_key, &k->pem)) < 0 ||
	    (r = gnutls_x509_privkey_init(&x)) < 0 ||
	    (r = gnutls_x509_privkey_import(x, &k->pem, GNUTLS_X509_FMT_PEM)) < 0 ||
	    (r = gnutls_privkey_init(&k->key)) < 0 ||
	    (r = gnutls_privkey_import_x509(k->key, x, GNUTLS_PRIVKEY_IMPORT_COPY)) < 0 ||
	    (r = gnutls_pubkey_init(&k->pub)) < 0 ||
	    (r = gnutls_pubkey_import_privkey(k->pub, k->key, 0, 0)) < 0) {
		log_err("renew: the pending request's key %s: %s",
		    st->pending_key, gnutls_strerror(r));
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (x)
		gnutls_x509_privkey_deinit(x);
	if (ret != 0)
		newkey_free(k, false);
	return ret;
}

/* Keeps the key of a pending request in signing_key.pending (0600). */
static int
enroll_save_pending(const struct config *cfg, struct renewal_state *st,
    const struct enroll_key *k)
{
	char path[RENEWAL_ERROR_MAX];

	if (k->pkcs11)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s.pending",
	    cfg->signing_key) >= sizeof(path) ||
	    renewal_write_atomic(path, k->pem.data, k->pem.size, 0600) != 0)
		return -1;
	strcpy(st->pending_key, path);
	return renewal_state_write(enroll_state_path(cfg), st);
}

static int
cmd_renew(const struct config *cfg, bool force)
{
	struct renewal_state st;
	struct casubmit_target t;
	struct enroll_key k;
	struct casubmit_answer a;
	gnutls_x509_crt_t cur = NULL;
	gnutls_datum_t csr = { NULL, 0 };
	char why[512], attrs[300], pending_path[RENEWAL_ERROR_MAX];
	enum renewal_phase ph;
	time_t nb, na, due;
	bool keep_key = false, pending;
	enum casubmit_result sr;
	int ret = ENROLL_EXIT_FAILED;

	memset(&k, 0, sizeof(k));
	memset(&a, 0, sizeof(a));
	if (renewal_state_read(enroll_state_path(cfg), &st) < 0)
		memset(&st, 0, sizeof(st));
	if (enroll_target(cfg, NULL, &t) != 0)
		return ENROLL_EXIT_CONFIG;
	if (renewal_cert_phase(cfg->signing_cert, time(NULL), &ph, &nb, &na,
	    &due) != 0 || enroll_load_cert(cfg->signing_cert, &cur) != 0)
		return enroll_outcome(cfg, &st, ENROLL_EXIT_FAILED,
		    "signing_cert %s cannot be read", cfg->signing_cert);
	pending = st.pending_id != 0 && st.pending_key[0] != '\0';
	if (!force && !pending && ph == RENEWAL_NOT_DUE) {
		char when[32];
		struct tm tm;

		gmtime_r(&due, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		log_info("renew: not due before %s", when);
		ret = ENROLL_EXIT_OK;
		goto cleanup;
	}
	if (pending && enroll_pending_key(cfg, &st, &k) == 0) {
		/* MS-ICPR 3.2.4.1.1: a request id and no request polls it. */
		log_info("renew: polling pending request %lu", st.pending_id);
		sr = casubmit_request(&t, NULL, 0, "", (uint32_t)st.pending_id, &a,
		    why, sizeof(why));
	} else {
		st.pending_id = 0;
		st.pending_key[0] = '\0';
		if (newkey_make(cfg, cur, &k) != 0 ||
		    newkey_pkcs10(&k, cur, cfg->enroll_template, &csr) != 0) {
			ret = enroll_outcome(cfg, &st, ENROLL_EXIT_FAILED,
			    "no new key or request could be made (see the log)");
			goto cleanup;
		}
		/* MS-WCCE 3.2.1.4.2.1.4: the template by name in the attributes. */
		snprintf(attrs, sizeof(attrs), "CertificateTemplate:%s",
		    cfg->enroll_template);
		sr = casubmit_request(&t, csr.data, csr.size, attrs, 0, &a, why,
		    sizeof(why));
	}
	if (sr != CASUBMIT_OK) {
		ret = enroll_outcome(cfg, &st, sr == CASUBMIT_TRANSPORT ?
		    ENROLL_EXIT_TRANSPORT : ENROLL_EXIT_FAILED, "%s; the "
		    "current certificate stays in use", why);
		goto cleanup;
	}
	/* The pending request's key file, if this run polled one. */
	snprintf(pending_path, sizeof(pending_path), "%s",
	    pending ? st.pending_key : "");
	ret = enroll_answer(cfg, &st, &a, &k, &keep_key);
	if (ret == ENROLL_EXIT_PENDING && st.pending_key[0] == '\0' &&
	    enroll_save_pending(cfg, &st, &k) != 0)
		log_err("renew: the pending request's key cannot be kept");
	/* Issued (now installed) or refused: the held key is not needed. */
	if (ret != ENROLL_EXIT_PENDING && pending_path[0] != '\0')
		(void)unlink(pending_path);
cleanup:
	newkey_free(&k, !keep_key);
	casubmit_answer_free(&a);
	gnutls_free(csr.data);
	if (cur)
		gnutls_x509_crt_deinit(cur);
	return ret;
}

/* When watch should act next: the renewal time, or the retry time. */
static time_t
watch_next(const struct config *cfg, time_t due)
{
	struct renewal_state st;
	time_t retry;

	if (renewal_state_read(enroll_state_path(cfg), &st) != 0 ||
	    st.last_error[0] == '\0' || st.last_attempt < due)
		return due;
	retry = st.last_attempt + (time_t)cfg->enroll_retry_s;
	return retry > due ? retry : due;
}

/*
 * watch --loop asks the CA at most once a minute, even when it issues
 * certificates that are due at once (a template's lifetime shorter than
 * its renewal period); the timer's period bounds the oneshot runs.
 */
#define WATCH_MIN_INTERVAL_S 60

static int
cmd_watch(const struct config *cfg, bool loop)
{
	enum renewal_phase ph;
	time_t nb, na, due, next, now, tried = 0;
	int ret = ENROLL_EXIT_OK;

	do {
		now = time(NULL);
		if (renewal_cert_phase(cfg->signing_cert, now, &ph, &nb, &na,
		    &due) != 0)
			return ENROLL_EXIT_FAILED;
		next = watch_next(cfg, due);
		if (tried != 0 && next < tried + WATCH_MIN_INTERVAL_S)
			next = tried + WATCH_MIN_INTERVAL_S;
		if (now >= next) {
			tried = now;
			ret = cmd_renew(cfg, true);
			continue;
		}
		if (!loop) {
			log_debug("watch: nothing to do before %jd s from now",
			    (intmax_t)(next - now));
			return ENROLL_EXIT_OK;
		}
		/* Wake at least every minute: the certificate may be replaced. */
		sleep((unsigned)(next - now < 60 ? next - now : 60));
	} while (loop && !enroll_stop);
	return loop ? ENROLL_EXIT_OK : ret;
}

static int
cmd_probe(const struct config *cfg, const char *ca)
{
	struct casubmit_target t;
	struct casubmit_answer a;
	char why[512], hr[16];
	enum casubmit_result sr;

	if (enroll_target(cfg, ca, &t) != 0)
		return ENROLL_EXIT_USAGE;
	/* An empty request: a working CA answers it with an error of its own. */
	sr = casubmit_request(&t, (const uint8_t *)"", 0, "", 0, &a, why,
	    sizeof(why));
	if (sr != CASUBMIT_OK) {
		printf("%s\\%s: DOWN: %s\n", t.host, t.ca_name, why);
		return sr == CASUBMIT_TRANSPORT ? ENROLL_EXIT_TRANSPORT :
		    ENROLL_EXIT_FAILED;
	}
	printf("%s\\%s: up: bound and sealed (Kerberos, packet privacy); the "
	    "CA answered %s, %s%s%s\n", t.host, t.ca_name,
	    hresult_disposition_name(a.disposition),
	    hresult_format(a.hresult, hr, sizeof(hr)), a.message[0] ? ": " : "",
	    a.message);
	casubmit_answer_free(&a);
	return ENROLL_EXIT_OK;
}

/* The keys renew and watch need; 0 or ENROLL_EXIT_CONFIG (logged). */
static int
enroll_configured(const struct config *cfg)
{
	if (cfg->enroll_ca == NULL) {
		log_err("enroll: enroll_ca is not set in %s", cfg->path);
		return ENROLL_EXIT_CONFIG;
	}
	if (cfg->signing_cert == NULL || cfg->signing_key == NULL) {
		log_err("enroll: signing_cert and signing_key must be set in %s",
		    cfg->path);
		return ENROLL_EXIT_CONFIG;
	}
	if (strncmp(cfg->signing_key, "pkcs11:", 7) != 0 &&
	    cfg->signing_key_password_file != NULL) {
		log_err("enroll: signing_key with a password (PKCS#12 or an "
		    "encrypted key) cannot be renewed; use an unencrypted key "
		    "file readable only by otpcep, or a pkcs11: URI");
		return ENROLL_EXIT_CONFIG;
	}
	return 0;
}

/* Registers the token's module (as the responder does: docs/configuration.md). */
static int
enroll_pkcs11_init(const struct config *cfg)
{
	const char *m;
	char *module = NULL;
	int r;

	if (cfg->signing_key == NULL || strncmp(cfg->signing_key, "pkcs11:", 7) != 0)
		return 0;
	if ((m = strstr(cfg->signing_key, "module-path=")) != NULL)
		module = strndup(m + 12, strcspn(m + 12, "&"));
	r = gnutls_pkcs11_init(module ? GNUTLS_PKCS11_FLAG_MANUAL :
	    GNUTLS_PKCS11_FLAG_AUTO, NULL);
	if (r >= 0 && module)
		r = gnutls_pkcs11_add_provider(module, NULL);
	free(module);
	if (r < 0) {
		log_err("enroll: PKCS#11: %s", gnutls_strerror(r));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "force", no_argument, NULL, 'f' },
		{ "loop", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg_path = NULL, *cmd;
	struct config *cfg = NULL;
	struct sigaction sa;
	bool force = false, loop = false, verbose = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "+c:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfg_path = optarg; break;
		case 'v': verbose = true; break;
		case 'h': fputs(usage_text, stdout); return ENROLL_EXIT_OK;
		case 'V': printf("otpcep-enroll %s\n", OTPCEP_VERSION); return 0;
		default: return enroll_usage();
		}
	}
	if (optind >= argc)
		return enroll_usage();
	cmd = argv[optind++];
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'f' && strcmp(cmd, "renew") == 0)
			force = true;
		else if (c == 'l' && strcmp(cmd, "watch") == 0)
			loop = true;
		else if (c == 'h') {
			fputs(usage_text, stdout);
			return ENROLL_EXIT_OK;
		} else {
			return enroll_usage();
		}
	}
	if ((strcmp(cmd, "probe") == 0 && argc - optind > 1) ||
	    (strcmp(cmd, "probe") != 0 && argc - optind > 0) ||
	    (strcmp(cmd, "renew") != 0 && strcmp(cmd, "watch") != 0 &&
	    strcmp(cmd, "probe") != 0))
		return enroll_usage();
	log_init(LOG_TO_STDERR, verbose);
	umask(077);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = enroll_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((cfg = config_load(config_path(cfg_path))) == NULL)
		return ENROLL_EXIT_CONFIG;
	if (strcmp(cmd, "probe") == 0) {
		ret = cmd_probe(cfg, optind < argc ? argv[optind] : NULL);
	} else if ((ret = enroll_configured(cfg)) == 0) {
		if (enroll_pkcs11_init(cfg) != 0)
			ret = ENROLL_EXIT_FAILED;
		else
			ret = strcmp(cmd, "renew") == 0 ? cmd_renew(cfg, force) :
			    cmd_watch(cfg, loop);
	}
	config_free(cfg);
	return ret;
}
