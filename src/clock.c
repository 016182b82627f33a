/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* The monotonic clock for deadlines and durations. */
#include <pthread.h>
#include <time.h>

#include "clock.h"

long long
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
clock_ts_after(long long ms, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int
clock_sync_init(pthread_mutex_t *mu, pthread_cond_t *cv)
{
	pthread_condattr_t attr;
	int ok;

	if (pthread_condattr_init(&attr) != 0)
		return -1;
	ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(cv, &attr) == 0;
	pthread_condattr_destroy(&attr);
	if (!ok)
		return -1;
	if (pthread_mutex_init(mu, NULL) != 0) {
		pthread_cond_destroy(cv);
		return -1;
	}
	return 0;
}
