/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * When the signing certificate is due for renewal, and the renewal state
 * file (include/renewal.h; docs/adcs.md, "Renewal").
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "log.h"
#include "renewal.h"

#define RENEWAL_STATE_MAX 4096

const char *
renewal_phase_name(enum renewal_phase p)
{
	switch (p) {
	case RENEWAL_NOT_DUE: return "not due";
	case RENEWAL_DUE: return "due";
	case RENEWAL_OVERDUE: return "overdue";
	case RENEWAL_EXPIRED: return "expired";
	}
	return "?";
}

/* FNV-1a over the seed: a stable, well-spread number per certificate. */
static uint64_t
seed_hash(const uint8_t *seed, size_t seed_len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < seed_len; i++) {
		h ^= seed[i];
		h *= 1099511628211ULL;
	}
	return h;
}

time_t
renewal_due_time(time_t not_before, time_t not_after, const uint8_t *seed,
    size_t seed_len)
{
	time_t life = not_after > not_before ? not_after - not_before : 0;
	time_t jitter_max = life / 20;

	/* Windows autoenrollment renews at 80 % or the template's renewal
	 * period; DAOTPRA's period is half of its 2 days, which we follow for
	 * any lifetime. */
	return not_before + life / 2 + (jitter_max > 0 ?
	    (time_t)(seed_hash(seed, seed_len) % (uint64_t)jitter_max) : 0);
}

enum renewal_phase
renewal_phase(time_t not_before, time_t not_after, const uint8_t *seed,
    size_t seed_len, time_t now)
{
	time_t life = not_after > not_before ? not_after - not_before : 0;

	if (now >= not_after)
		return RENEWAL_EXPIRED;
	if (now >= not_after - life / 4)
		return RENEWAL_OVERDUE;
	if (now >= renewal_due_time(not_before, not_after, seed, seed_len))
		return RENEWAL_DUE;
	return RENEWAL_NOT_DUE;
}

int
renewal_cert_phase(const char *cert_path, time_t now, enum renewal_phase *phase,
    time_t *not_before, time_t *not_after, time_t *due)
{
	gnutls_datum_t d = { NULL, 0 };
	gnutls_x509_crt_t crt = NULL;
	uint8_t serial[64];
	size_t serial_len = sizeof(serial);
	int r, ret = -1;

	if ((r = gnutls_load_file(cert_path, &d)) < 0) {
		log_warnx("renewal: %s: %s", cert_path, gnutls_strerror(r));
		return -1;
	}
	if ((r = gnutls_x509_crt_init(&crt)) < 0 ||
	    ((r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM)) < 0 &&
	    (r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER)) < 0) ||
	    (r = gnutls_x509_crt_get_serial(crt, serial, &serial_len)) < 0) {
		log_warnx("renewal: %s: not a certificate: %s", cert_path,
		    gnutls_strerror(r));
		goto cleanup;
	}
	*not_before = gnutls_x509_crt_get_activation_time(crt);
	*not_after = gnutls_x509_crt_get_expiration_time(crt);
	*due = renewal_due_time(*not_before, *not_after, serial, serial_len);
	*phase = renewal_phase(*not_before, *not_after, serial, serial_len, now);
	ret = 0;
cleanup:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	gnutls_free(d.data);
	return ret;
}

/* One "key=value" line of the state file into st; -1 when malformed. */
static int
state_line(char *line, struct renewal_state *st)
{
	char *eq = strchr(line, '='), *end;
	const char *v;
	unsigned long long n;

	if (eq == NULL)
		return -1;
	*eq = '\0';
	v = eq + 1;
	if (strcmp(line, "last_error") == 0 || strcmp(line, "pending_key") == 0) {
		char *dst = line[0] == 'l' ? st->last_error : st->pending_key;

		if (strlen(v) >= RENEWAL_ERROR_MAX)
			return -1;
		strcpy(dst, v);
		return 0;
	}
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *end != '\0' || v[0] == '-')
		return -1;
	if (strcmp(line, "last_attempt") == 0)
		st->last_attempt = (time_t)n;
	else if (strcmp(line, "last_success") == 0)
		st->last_success = (time_t)n;
	else if (strcmp(line, "pending_id") == 0 && n <= UINT32_MAX)
		st->pending_id = (unsigned long)n;
	else
		return -1;
	return 0;
}

int
renewal_state_read(const char *path, struct renewal_state *st)
{
	char buf[RENEWAL_STATE_MAX + 1], *line, *save = NULL;
	FILE *f;
	size_t n;
	unsigned lineno = 0;

	memset(st, 0, sizeof(*st));
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 1;
		log_warn("renewal state %s", path);
		return -1;
	}
	n = fread(buf, 1, RENEWAL_STATE_MAX + 1, f);
	fclose(f);
	if (n > RENEWAL_STATE_MAX) {
		log_warnx("renewal state %s: larger than %d bytes", path,
		    RENEWAL_STATE_MAX);
		return -1;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		log_warnx("renewal state %s: not text", path);
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (state_line(line, st) != 0) {
			log_warnx("renewal state %s:%u: not a known key=value",
			    path, lineno);
			memset(st, 0, sizeof(*st));
			return -1;
		}
	}
	return 0;
}

int
renewal_state_write(const char *path, const struct renewal_state *st)
{
	char buf[RENEWAL_STATE_MAX], err[RENEWAL_ERROR_MAX];
	size_t i;
	int n;

	if (strchr(st->pending_key, '\n') != NULL)
		return -1;
	/* One line per key: a newline in the message would start another. */
	for (i = 0; i < sizeof(err) - 1 && st->last_error[i]; i++)
		err[i] = st->last_error[i] == '\n' || st->last_error[i] == '\r' ?
		    ' ' : st->last_error[i];
	err[i] = '\0';
	n = snprintf(buf, sizeof(buf), "last_attempt=%jd\nlast_success=%jd\n"
	    "pending_id=%lu\npending_key=%s\nlast_error=%s\n",
	    (intmax_t)st->last_attempt, (intmax_t)st->last_success,
	    st->pending_id, st->pending_key, err);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return renewal_write_atomic(path, buf, (size_t)n, 0644);
}

int
renewal_write_atomic(const char *path, const void *data, size_t len,
    unsigned mode)
{
	char *tmp = NULL, *dir = NULL, *slash;
	const uint8_t *p = data;
	struct stat old;
	int fd = -1, dfd = -1, ret = -1;
	ssize_t w;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		log_err("%s: out of memory", path);
		goto cleanup;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		log_warn("%s: cannot create a temporary file", path);
		free(tmp);
		tmp = NULL;
		goto cleanup;
	}
	/* A replaced file keeps its owner and group (the responder's user
	 * must still read it); its mode is the caller's. */
	if (stat(path, &old) == 0 && (old.st_uid != geteuid() ||
	    old.st_gid != getegid()) && fchown(fd, old.st_uid, old.st_gid) != 0)
		log_warn("%s: cannot keep the owner of %s", tmp, path);
	if (fchmod(fd, (mode_t)mode) != 0) {
		log_warn("%s: chmod", tmp);
		goto cleanup;
	}
	while (len > 0) {
		if ((w = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("%s: write", tmp);
			goto cleanup;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		log_warn("%s: cannot flush", tmp);
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		log_warn("%s: cannot rename to %s", tmp, path);
		goto cleanup;
	}
	free(tmp);
	tmp = NULL;
	/* The rename itself reaches the disk with the folder. */
	if ((dir = strdup(path)) != NULL) {
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		else
			strcpy(dir, ".");
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0)
			(void)fsync(dfd);
	}
	ret = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp != NULL) {
		(void)unlink(tmp);
		free(tmp);
	}
	free(dir);
	return ret;
}
