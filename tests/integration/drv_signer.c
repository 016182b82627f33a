/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Driver for tests/integration/signer.sh: loads the signer from a
 * configuration file, then reads commands from stdin, one per line, and
 * answers each with one line on stdout:
 *   sign   acquire, sign a test text, verify the signature with the public key
 *          of certificate 0: "OK serial=... oid=... certs=N digest=NAME"
 *          or "ERR <signer_strerror>" or "BAD <why>"
 *   hold   acquire and keep the snapshot (as a worker mid-signature would)
 *   held   sign and verify with the held snapshot, then release it
 *   quit
 * SIGHUP calls signer_request_reload() from a sigwait() thread, as the
 * responder does, and prints "HUP taken" on stderr. Exit status 3
 * when signer_new() refuses the configuration.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "config.h"
#include "log.h"
#include "signer.h"

static struct signer *the_signer;

/*
 * SIGHUP, taken as the responder takes it: a thread waits for it with
 * sigwait() and asks for a reload, then says so on stderr ("HUP taken"), so
 * the test knows the request is in before it asks for the next signature.
 */
static void *
hup_thread(void *arg)
{
	const sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		signer_request_reload(the_signer);
		fprintf(stderr, "HUP taken\n");
	}
	return NULL;
}

static void
sign_and_verify(struct signer_cert *c)
{
	static const char text[] = "drv_signer test text";
	const gnutls_datum_t data = { (unsigned char *)(uintptr_t)text,
	    sizeof(text) - 1 };
	const uint8_t *der;
	size_t der_len, sig_len;
	uint8_t *sig = NULL;
	gnutls_datum_t dd, sd;
	gnutls_pubkey_t pub = NULL;
	gnutls_x509_crt_t crt;
	gnutls_sign_algorithm_t algo;
	enum signer_result r;
	int pk, gr;

	if ((r = signer_sign(c, data.data, data.size, &sig, &sig_len)) != SIGNER_OK) {
		printf("ERR %s\n", signer_strerror(r));
		return;
	}
	signer_cert_der(c, 0, &der, &der_len);
	dd.data = (unsigned char *)(uintptr_t)der;
	dd.size = (unsigned)der_len;
	sd.data = sig;
	sd.size = (unsigned)sig_len;
	gnutls_x509_crt_init(&crt);
	if ((gr = gnutls_pubkey_init(&pub)) >= 0 &&
	    (gr = gnutls_x509_crt_import(crt, &dd, GNUTLS_X509_FMT_DER)) >= 0)
		gr = gnutls_pubkey_import_x509(pub, crt, 0);
	gnutls_x509_crt_deinit(crt);
	pk = gnutls_pubkey_get_pk_algorithm(pub, NULL);
	algo = gnutls_pk_to_sign((gnutls_pk_algorithm_t)pk, signer_digest(c));
	if (gr < 0 || (gr = gnutls_pubkey_verify_data2(pub, algo,
	    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &data, &sd)) < 0)
		printf("BAD verify: %s\n", gnutls_strerror(gr));
	else
		printf("OK serial=%s oid=%s certs=%zu digest=%s\n",
		    signer_serial(c), signer_signature_oid(c),
		    signer_cert_count(c),
		    gnutls_digest_get_name(signer_digest(c)));
	gnutls_pubkey_deinit(pub);
	free(sig);
}

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct signer_cert *c, *held = NULL;
	enum signer_result r;
	char line[64];
	pthread_t hup_tid;
	sigset_t hup;

	if (argc != 2) {
		fprintf(stderr, "usage: drv_signer CONFIG\n");
		return 2;
	}
	log_init(LOG_TO_STDERR, 1);
	if ((cfg = config_load(argv[1])) == NULL)
		return 2;
	if ((the_signer = signer_new(cfg)) == NULL) {
		config_free(cfg);
		printf("NEW FAILED\n");
		return 3;
	}
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hup, NULL);
	if (pthread_create(&hup_tid, NULL, hup_thread, &hup) != 0)
		return 2;
	pthread_detach(hup_tid);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("READY\n");
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "quit") == 0)
			break;
		if (strcmp(line, "sign") == 0 || strcmp(line, "hold") == 0) {
			if ((r = signer_acquire(the_signer, &c)) != SIGNER_OK) {
				printf("ERR %s\n", signer_strerror(r));
				continue;
			}
			if (strcmp(line, "hold") == 0) {
				signer_release(the_signer, held);
				held = c;
				printf("HELD serial=%s\n", signer_serial(c));
				continue;
			}
			sign_and_verify(c);
			signer_release(the_signer, c);
		} else if (strcmp(line, "held") == 0 && held != NULL) {
			sign_and_verify(held);
			signer_release(the_signer, held);
			held = NULL;
		} else {
			printf("? %s\n", line);
		}
	}
	signer_release(the_signer, held);
	signer_free(the_signer);
	config_free(cfg);
	return 0;
}
