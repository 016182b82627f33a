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
};

#define SECRET_MAX 4096

/*
 * Reads the whole file at path (one trailing "\n" or "\r\n" is dropped).
 * The file must be at most mode 0640. Returns SECRET_OK and fills *out.
 */
enum secret_result secret_read_file(const char *path, struct secret *out);

const char *secret_strerror(enum secret_result r);

/* Wipes and frees; safe on a zeroed struct. */
void secret_free(struct secret *s);

/* Overwrites len bytes at p in a way the compiler will not optimise away. */
void secret_wipe(void *p, size_t len);

#endif
