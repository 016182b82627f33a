/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The reference beside `make bench-load`'s results: how many signatures per
 * second GnuTLS makes with a key on every core, nothing else.
 *   bench_sign KEY.pem SECONDS
 * prints "N signatures/s (T threads)". SHA-256 over a 1 KiB message, as the
 * responder signs its SignedCertRequest.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

static gnutls_datum_t key_pem;
static atomic_bool stop;
static atomic_ulong total;

static void *
signer_thread(void *arg)
{
	gnutls_privkey_t key = NULL;
	unsigned char msg[1024];
	gnutls_datum_t in = { msg, sizeof(msg) }, sig;
	unsigned long n = 0;

	(void)arg;
	memset(msg, 0x5a, sizeof(msg));
	if (gnutls_privkey_init(&key) < 0 ||
	    gnutls_privkey_import_x509_raw(key, &key_pem, GNUTLS_X509_FMT_PEM,
	    NULL, 0) < 0) {
		fprintf(stderr, "bench_sign: cannot load the key\n");
		exit(1);
	}
	while (!atomic_load(&stop)) {
		if (gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0, &in,
		    &sig) < 0) {
			fprintf(stderr, "bench_sign: signing failed\n");
			exit(1);
		}
		gnutls_free(sig.data);
		n++;
	}
	atomic_fetch_add(&total, n);
	gnutls_privkey_deinit(key);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th[256];
	long i, threads = sysconf(_SC_NPROCESSORS_ONLN);
	struct timespec t0, t1;
	double secs;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_sign KEY.pem SECONDS\n");
		return 64;
	}
	if (threads < 1 || threads > 256)
		threads = 1;
	if (gnutls_load_file(argv[1], &key_pem) < 0) {
		fprintf(stderr, "bench_sign: cannot read %s\n", argv[1]);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, signer_thread, NULL);
	sleep((unsigned)atoi(argv[2]));
	atomic_store(&stop, true);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.0f signatures/s (%ld threads)\n", (double)total / secs, threads);
	gnutls_free(key_pem.data);
	return 0;
}
