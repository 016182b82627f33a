/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Time for deadlines: the monotonic clock, which wall-clock changes do not move. */
#ifndef OTPCEP_CLOCK_H
#define OTPCEP_CLOCK_H

#include <pthread.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC (an arbitrary origin: differences only). */
long long clock_ms(void);

/* Microseconds on CLOCK_MONOTONIC, for durations (metrics). */
long long clock_us(void);

/* *ts = CLOCK_MONOTONIC now + ms (ms >= 0), for pthread_cond_timedwait(). */
void clock_ts_after(long long ms, struct timespec *ts);

/*
 * A mutex and a condition variable whose timed waits run on CLOCK_MONOTONIC
 * (deadlines from clock_ms(), unmoved by wall-clock changes). Returns 0, or
 * -1 with nothing left to destroy.
 */
int clock_sync_init(pthread_mutex_t *mu, pthread_cond_t *cv);

#endif
