/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Secrets (RADIUS shared secret, LDAP bind password, key password) come only
 * from their own files. A file that others may read or write is refused.
 * Buffers holding secrets are wiped before they are freed.
 */
#ifndef OTPCEP_SECRET_H
#define OTPCEP_SECRET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct secret {
	uint8_t *data;		/* NUL-terminated for convenience */
	size_t len;		/* without the NUL and the trailing newline */
};

enum secret_result {
	SECRET_OK = 0,
	SECRET_OPEN,		/* cannot open or stat (errno is set) */
	SECRET_INSECURE,	/* group-writable or world-accessible */
	SECRET_EMPTY,
	SECRET_TOO_LONG,	/* more than SECRET_MAX bytes */
	SECRET_NOMEM,
	SECRET_OWNER,		/* owned by neither root nor the service user */
};

#define SECRET_MAX 4096

/*
 * Reads the whole file at path (one trailing "\n" or "\r\n" is dropped).
 * The file must be at most mode 0640. Returns SECRET_OK and fills *out.
 */
enum secret_result secret_read_file(const char *path, struct secret *out);

/*
 * Reads a whole key file (the signing key, a PKCS#12 file) of at most max
 * bytes, kept as it is. Issue 11, "Files": the file must be regular, owned
 * by root or service_uid and of mode at most 0640; checked on the descriptor
 * that is read (open, then fstat), at every load, so a key replaced while
 * otpcep runs gets the same rule as at start-up. A symbolic link is
 * followed (the rule applies to the file it names). Returns SECRET_OK and
 * fills *out (wipe it with secret_free).
 */
enum secret_result secret_read_key(const char *path, size_t max,
    uid_t service_uid, struct secret *out);

const char *secret_strerror(enum secret_result r);

/* Wipes and frees; safe on a zeroed struct. */
void secret_free(struct secret *s);

/* Overwrites len bytes at p in a way the compiler will not optimise away. */
void secret_wipe(void *p, size_t len);

#endif
