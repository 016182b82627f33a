/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The log: syslog or stderr, a handful of printf-style functions. The target
 * is chosen once at start-up; after that the state is read-only, so workers
 * may log concurrently (syslog(3) and one fprintf per line are thread-safe).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static enum log_target log_target = LOG_TO_STDERR;
static int log_verbose;
static int log_facility = LOG_DAEMON;

void
log_set_facility(int facility)
{
	log_facility = facility;
}

void
log_init(enum log_target target, int verbose)
{
	log_target = target;
	log_verbose = verbose;
	if (target == LOG_TO_SYSLOG)
		openlog("otpcep", LOG_PID | LOG_NDELAY, log_facility);
}

static void
log_vwrite(int prio, const char *fmt, va_list ap, const char *suffix)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_target == LOG_TO_SYSLOG) {
		if (suffix)
			syslog(prio, "%s: %s", line, suffix);
		else
			syslog(prio, "%s", line);
		return;
	}
	if (suffix)
		fprintf(stderr, "otpcep: %s: %s\n", line, suffix);
	else
		fprintf(stderr, "otpcep: %s\n", line);
}

#define LOG_FN(name, prio)				\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	log_vwrite(prio, fmt, ap, NULL);		\
	va_end(ap);					\
}

LOG_FN(log_err, LOG_ERR)
LOG_FN(log_warnx, LOG_WARNING)
LOG_FN(log_info, LOG_INFO)

void
log_warn(const char *fmt, ...)
{
	char err[128];
	int saved = errno;
	va_list ap;

	/* GNU strerror_r returns the message, which may not be in err. */
	const char *msg = strerror_r(saved, err, sizeof(err));

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, msg);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

static bool
escape_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\\' && c != '"';
}

char *
log_escape(char *dst, size_t dst_len, const void *src, size_t src_len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	size_t i, o = 0, need = 0, room;

	if (dst_len == 0)
		return dst;
	for (i = 0; i < src_len; i++)
		need += escape_plain(s[i]) ? 1 : 4;
	/* When it does not all fit, keep room for a visible "...". */
	room = need < dst_len ? dst_len - 1 : (dst_len > 4 ? dst_len - 4 : 0);
	for (i = 0; i < src_len; i++) {
		unsigned char c = s[i];

		if (o + (escape_plain(c) ? 1 : 4) > room)
			break;
		if (escape_plain(c)) {
			dst[o++] = (char)c;
			continue;
		}
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 15];
	}
	if (i < src_len && dst_len > 4) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}
