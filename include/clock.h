/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Time for deadlines: the monotonic clock, which wall-clock changes do not move. */
#ifndef OTPCEP_CLOCK_H
#define OTPCEP_CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC (an arbitrary origin: differences only). */
long long clock_ms(void);

/* Microseconds on CLOCK_MONOTONIC, for durations (metrics). */
long long clock_us(void);

#endif
