/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * drv_memscan KEY-FILE PID...: looks for the private key's secret numbers
 * (RSA d, p, q; the EC private scalar k) in the memory of each process:
 * every readable anonymous mapping, the heap and the stacks, read through
 * /proc/PID/mem; each number in both byte orders (big-endian as in DER,
 * little-endian as in GMP/nettle limbs on this machine). One line per
 * process:
 *   PID COMM found N [d/be p/le ...]
 * Exit 0 when every process was scanned, 1 on an error (a key that cannot
 * be read, a process that cannot be read: then the test must not pass).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "../testutil.h"

#define MAX_SECRETS 8
#define SCAN_CHUNK (4UL << 20)
#define SCAN_OVERLAP 4096UL

struct secret_num {
	const char *name;
	unsigned char *be, *le;
	size_t len;
};

static struct secret_num secrets[MAX_SECRETS];
static size_t nsecrets;

static void
add_secret(const char *name, const gnutls_datum_t *d)
{
	size_t off = 0;

	while (off < d->size && d->data[off] == 0)
		off++;	/* GnuTLS may add a leading zero to a positive number */
	if (d->size - off < 16 || nsecrets == MAX_SECRETS)
		return;
	secrets[nsecrets].name = name;
	secrets[nsecrets].len = d->size - off;
	secrets[nsecrets].be = malloc(d->size - off);
	secrets[nsecrets].le = malloc(d->size - off);
	if (secrets[nsecrets].be == NULL || secrets[nsecrets].le == NULL)
		exit(1);
	for (size_t i = 0; i < d->size - off; i++) {
		secrets[nsecrets].be[i] = d->data[off + i];
		secrets[nsecrets].le[d->size - off - 1 - i] = d->data[off + i];
	}
	nsecrets++;
}

static int
load_secrets(const char *path)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t file, m = { 0 }, e = { 0 }, d = { 0 }, p = { 0 }, q = { 0 };
	gnutls_datum_t u = { 0 }, e1 = { 0 }, e2 = { 0 }, x = { 0 }, y = { 0 };
	gnutls_datum_t k = { 0 };
	gnutls_ecc_curve_t curve;
	size_t len;
	int pk, ret = -1;

	if ((file.data = (unsigned char *)tu_read_file(path, &len)) == NULL)
		return -1;
	file.size = (unsigned)len;
	if (gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_privkey_import2(key, &file, GNUTLS_X509_FMT_PEM, NULL,
	    0) < 0) {
		fprintf(stderr, "drv_memscan: cannot read the key %s\n", path);
		goto cleanup;
	}
	pk = gnutls_x509_privkey_get_pk_algorithm(key);
	if (pk == GNUTLS_PK_RSA && gnutls_x509_privkey_export_rsa_raw2(key, &m,
	    &e, &d, &p, &q, &u, &e1, &e2) == 0) {
		add_secret("d", &d);
		add_secret("p", &p);
		add_secret("q", &q);
	} else if (pk == GNUTLS_PK_EC && gnutls_x509_privkey_export_ecc_raw(key,
	    &curve, &x, &y, &k) == 0) {
		add_secret("k", &k);
	} else {
		fprintf(stderr, "drv_memscan: neither RSA nor EC: %s\n", path);
		goto cleanup;
	}
	ret = nsecrets > 0 ? 0 : -1;
cleanup:
	gnutls_free(m.data);
	gnutls_free(e.data);
	gnutls_free(d.data);
	gnutls_free(p.data);
	gnutls_free(q.data);
	gnutls_free(u.data);
	gnutls_free(e1.data);
	gnutls_free(e2.data);
	gnutls_free(x.data);
	gnutls_free(y.data);
	gnutls_free(k.data);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	free(file.data);
	return ret;
}

/* Anonymous, heap and stack mappings: no file behind them. */
static int
wanted(const char *path)
{
	return *path == '\0' || strncmp(path, "[heap]", 6) == 0 ||
	    strncmp(path, "[stack", 6) == 0 || strncmp(path, "[anon", 5) == 0;
}

static int
scan_pid(long pid)
{
	char fn[64], line[512], comm[64] = "?", found[256] = "";
	unsigned long lo, hi, n = 0;
	unsigned seen[MAX_SECRETS][2] = { { 0 } };
	FILE *maps, *cf;
	int mem;

	snprintf(fn, sizeof(fn), "/proc/%ld/comm", pid);
	if ((cf = fopen(fn, "r")) != NULL) {
		if (fgets(comm, sizeof(comm), cf) != NULL)
			comm[strcspn(comm, "\n")] = '\0';
		fclose(cf);
	}
	snprintf(fn, sizeof(fn), "/proc/%ld/maps", pid);
	if ((maps = fopen(fn, "r")) == NULL) {
		fprintf(stderr, "drv_memscan: %s: %s\n", fn, strerror(errno));
		return -1;
	}
	snprintf(fn, sizeof(fn), "/proc/%ld/mem", pid);
	if ((mem = open(fn, O_RDONLY)) < 0) {
		fprintf(stderr, "drv_memscan: %s: %s\n", fn, strerror(errno));
		fclose(maps);
		return -1;
	}
	while (fgets(line, sizeof(line), maps) != NULL) {
		char perms[8], path[256] = "";
		unsigned char *buf;
		ssize_t got;

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255[^\n]", &lo, &hi,
		    perms, path) < 3)
			continue;
		char *pp = path;
		while (isspace((unsigned char)*pp))
			pp++;
		if (perms[0] != 'r' || !wanted(pp) || hi - lo > (1UL << 30))
			continue;
		/*
		 * In pieces of SCAN_CHUNK that overlap by SCAN_OVERLAP (more
		 * than any number's length), so that a large mapping (an
		 * AddressSanitizer build has many) costs no more memory here.
		 */
		if ((buf = malloc(SCAN_CHUNK)) == NULL)
			continue;
		for (unsigned long at = lo; at < hi; at += SCAN_CHUNK - SCAN_OVERLAP) {
			size_t want = hi - at < SCAN_CHUNK ? hi - at : SCAN_CHUNK;

			if ((got = pread(mem, buf, want, (off_t)at)) <= 0)
				continue;
			for (size_t i = 0; i < nsecrets; i++) {
				if (memmem(buf, (size_t)got, secrets[i].be,
				    secrets[i].len) != NULL)
					seen[i][0] = 1;
				if (memmem(buf, (size_t)got, secrets[i].le,
				    secrets[i].len) != NULL)
					seen[i][1] = 1;
			}
			if (want < SCAN_CHUNK)
				break;
		}
		free(buf);
	}
	close(mem);
	fclose(maps);
	for (size_t i = 0; i < nsecrets; i++) {
		for (int o = 0; o < 2; o++) {
			if (!seen[i][o])
				continue;
			n++;
			snprintf(found + strlen(found), sizeof(found) - strlen(found),
			    " %s/%s", secrets[i].name, o ? "le" : "be");
		}
	}
	printf("%ld %s found %lu%s\n", pid, comm, n, found);
	return 0;
}

int
main(int argc, char **argv)
{
	int ret = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: drv_memscan KEY-FILE PID...\n");
		return 2;
	}
	if (load_secrets(argv[1]) != 0)
		return 1;
	for (int i = 2; i < argc; i++)
		if (scan_pid(strtol(argv[i], NULL, 10)) != 0)
			ret = 1;
	for (size_t i = 0; i < nsecrets; i++) {
		free(secrets[i].be);
		free(secrets[i].le);
	}
	return ret;
}
