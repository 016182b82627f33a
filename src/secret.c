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

enum secret_result
secret_read_file(const char *path, struct secret *out)
{
	enum secret_result ret = SECRET_OPEN;
	uint8_t buf[SECRET_MAX + 1];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd;

	out->data = NULL;
	out->len = 0;
	/* O_NONBLOCK: a FIFO in the file's place must not hang the reader. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
	    O_NONBLOCK)) < 0)
		return SECRET_OPEN;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto cleanup;
	if (st.st_mode & 027) {
		ret = SECRET_INSECURE;
		goto cleanup;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto cleanup;
		if (n == 0)
			break;
		len += (size_t)n;
	}
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
	size_t len = 0;
	ssize_t n;
	int fd;

	out->data = NULL;
	out->len = 0;
	/* O_NONBLOCK: a FIFO put in the key's place must not hang the signer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return SECRET_OPEN;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto cleanup;
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
	/* One byte more than the size: a file that grows is noticed. */
	if ((out->data = malloc((size_t)st.st_size + 2)) == NULL) {
		ret = SECRET_NOMEM;
		goto cleanup;
	}
	while (len < (size_t)st.st_size + 1) {
		n = read(fd, out->data + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = SECRET_OPEN;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len != (size_t)st.st_size) {
		ret = len == 0 ? SECRET_EMPTY : SECRET_OPEN;
		goto cleanup;
	}
	out->data[len] = '\0';
	out->len = len;
	ret = SECRET_OK;
cleanup:
	close(fd);
	if (ret != SECRET_OK && out->data != NULL) {
		secret_wipe(out->data, len);
		free(out->data);
		out->data = NULL;
	}
	return ret;
}
