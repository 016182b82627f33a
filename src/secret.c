/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Secret files. Refused when group-writable or accessible by others (at most
 * mode 0640: readable by the service's group, as OpenSMTPD and ocserv do),
 * read whole, and wiped from memory when no longer needed.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

void
secret_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		explicit_bzero(p, len);
}

void
secret_free(struct secret *s)
{
	if (s->data != NULL) {
		secret_wipe(s->data, s->len + 1);
		free(s->data);
	}
	s->data = NULL;
	s->len = 0;
}

const char *
secret_strerror(enum secret_result r)
{
	switch (r) {
	case SECRET_OK: return "ok";
	case SECRET_OPEN: return "cannot open or read";
	case SECRET_INSECURE: return "insecure permissions: must be at most 0640";
	case SECRET_EMPTY: return "empty";
	case SECRET_TOO_LONG: return "too long";
	case SECRET_NOMEM: return "out of memory";
	case SECRET_OWNER: return "insecure owner: must be root or the service user";
	}
	return "unknown error";
}

/*
 * Opens path for reading as a secret file: never waiting (O_NONBLOCK: a
 * FIFO in the file's place must not hang the reader), and only a regular
 * file, checked on the descriptor itself. Returns the descriptor with *st
 * filled, or -1.
 */
static int
secret_open(const char *path, int flags, struct stat *st)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
	    flags)) < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads fd until end of file or cap bytes; the count, or -1. */
static ssize_t
secret_read_all(int fd, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

enum secret_result
secret_read_file(const char *path, struct secret *out)
{
	enum secret_result ret = SECRET_OPEN;
	uint8_t buf[SECRET_MAX + 1];
	struct stat st;
	size_t len;
	ssize_t n;
	int fd;

	out->data = NULL;
	out->len = 0;
	if ((fd = secret_open(path, O_NOFOLLOW, &st)) < 0)
		return SECRET_OPEN;
	if (st.st_mode & 027) {
		ret = SECRET_INSECURE;
		goto cleanup;
	}
	if ((n = secret_read_all(fd, buf, sizeof(buf))) < 0)
		goto cleanup;
	len = (size_t)n;
	if (len > SECRET_MAX) {
		ret = SECRET_TOO_LONG;
		goto cleanup;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len == 0) {
		ret = SECRET_EMPTY;
		goto cleanup;
	}
	if ((out->data = malloc(len + 1)) == NULL) {
		ret = SECRET_NOMEM;
		goto cleanup;
	}
	memcpy(out->data, buf, len);
	out->data[len] = '\0';
	out->len = len;
	ret = SECRET_OK;
cleanup:
	secret_wipe(buf, sizeof(buf));
	close(fd);
	return ret;
}

enum secret_result
secret_read_key(const char *path, size_t max, uid_t service_uid,
    struct secret *out)
{
	enum secret_result ret = SECRET_OPEN;
	struct stat st;
	size_t size = 0;
	ssize_t n = 0;
	int fd;

	out->data = NULL;
	out->len = 0;
	/* A symbolic link is followed: the rule applies to what it names. */
	if ((fd = secret_open(path, 0, &st)) < 0)
		return SECRET_OPEN;
	/* The rule of src/config_files.c: at most 0640, no execute bit. */
	if (st.st_mode & 0137) {
		ret = SECRET_INSECURE;
		goto cleanup;
	}
	if (st.st_uid != 0 && st.st_uid != service_uid) {
		ret = SECRET_OWNER;
		goto cleanup;
	}
	if (st.st_size <= 0) {
		ret = SECRET_EMPTY;
		goto cleanup;
	}
	if ((uintmax_t)st.st_size > max) {
		ret = SECRET_TOO_LONG;
		goto cleanup;
	}
	size = (size_t)st.st_size;
	/* One byte more than the size: a file that grows is noticed. */
	if ((out->data = malloc(size + 2)) == NULL) {
		ret = SECRET_NOMEM;
		goto cleanup;
	}
	if ((n = secret_read_all(fd, out->data, size + 1)) < 0 ||
	    (size_t)n != size)
		goto cleanup;
	out->data[size] = '\0';
	out->len = size;
	ret = SECRET_OK;
cleanup:
	close(fd);
	if (ret != SECRET_OK && out->data != NULL) {
		secret_wipe(out->data, size + 2);
		free(out->data);
		out->data = NULL;
	}
	return ret;
}
