/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Renewal of the signing certificate (otpcep-enroll, docs/adcs.md): when it
 * is due, and the state file that otpcep-enroll writes after every attempt
 * and `otpcep --probe` reads. Like Windows autoenrollment, a certificate is
 * renewed once half of its lifetime has passed (plus a jitter, so that many
 * servers do not ask the CA at the same minute); failed attempts are retried
 * (hourly by default) until it is renewed.
 */
#ifndef OTPCEP_RENEWAL_H
#define OTPCEP_RENEWAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RENEWAL_STATE_DEFAULT "/var/lib/otpcep/renewal.state"
#define RENEWAL_ERROR_MAX 256

/* What otpcep-enroll last did; all zero/empty when it never ran. */
struct renewal_state {
	time_t last_attempt;		/* 0: never */
	time_t last_success;		/* 0: never */
	unsigned long pending_id;	/* a request the CA holds pending, 0: none */
	char pending_key[RENEWAL_ERROR_MAX]; /* its key: file or token label */
	char last_error[RENEWAL_ERROR_MAX]; /* empty after a success */
};

enum renewal_phase {
	RENEWAL_NOT_DUE,	/* less than half of the lifetime has passed */
	RENEWAL_DUE,		/* past the renewal time: otpcep-enroll should renew */
	RENEWAL_OVERDUE,	/* less than a quarter of the lifetime is left */
	RENEWAL_EXPIRED,	/* not valid any more: every request fails */
};

const char *renewal_phase_name(enum renewal_phase p);

/*
 * The renewal time of a certificate valid from not_before to not_after: half
 * of its lifetime plus a jitter of up to a twentieth of it, derived from
 * seed (the serial number), so that every run for the same certificate picks
 * the same time.
 */
time_t renewal_due_time(time_t not_before, time_t not_after,
    const uint8_t *seed, size_t seed_len);

/* Where a certificate is at `now` (renewal_due_time() for DUE). */
enum renewal_phase renewal_phase(time_t not_before, time_t not_after,
    const uint8_t *seed, size_t seed_len, time_t now);

/*
 * The phase of the certificate in the file cert_path (PEM or DER) at now,
 * with its validity in *not_before, *not_after and its renewal time in *due.
 * 0, or -1 when it cannot be read (logged).
 */
int renewal_cert_phase(const char *cert_path, time_t now,
    enum renewal_phase *phase, time_t *not_before, time_t *not_after,
    time_t *due);

/*
 * Reads the state file: 0 and *st filled; 1 when it does not exist (*st
 * zeroed: never run); -1 when it cannot be read or is malformed (logged).
 */
int renewal_state_read(const char *path, struct renewal_state *st);

/* Writes it atomically (mode 0644: it holds no secret). 0, or -1 (logged). */
int renewal_state_write(const char *path, const struct renewal_state *st);

/*
 * Writes data to path atomically: a temporary file in the same folder with
 * the given mode, flushed to disk, renamed over path, the folder flushed.
 * A reader sees the old file or the new one, never a part. 0 or -1 (logged).
 */
int renewal_write_atomic(const char *path, const void *data, size_t len,
    unsigned mode);

#endif
