/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The log: syslog or stderr, a handful of printf-style functions. The target
 * is chosen once at start-up; after that the state is read-only, so workers
 * may log concurrently (syslog(3) and one fprintf per line are thread-safe).
 *
 * On stderr, when stderr is the systemd journal (JOURNAL_STREAM names its
 * device and inode, systemd.exec(5)), each line starts with the sd-daemon(3)
 * priority prefix "<N>", so journald keeps the severity.
 *
 * Start-up trouble must reach the person starting the responder: until
 * log_started(), lines of warning and worse also go to stderr when stderr is
 * a terminal. When syslog cannot be reached (no /dev/log), every line goes to
 * stderr instead, and the first one says so.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_target log_target = LOG_TO_STDERR;
static int log_verbose;
static int log_facility = LOG_DAEMON;
static bool log_journal;	/* stderr is the journal: "<N>" prefixes */
static bool log_echo;		/* start-up: warnings also to the terminal */

void
log_set_facility(int facility)
{
	log_facility = facility;
}

/* systemd.exec(5): JOURNAL_STREAM is "DEVICE:INODE" of the journal's stream. */
static bool
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/* Whether the syslog socket (_PATH_LOG) accepts a connection. */
static bool
syslog_reachable(void)
{
	struct sockaddr_un sun;
	bool ok;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", "/dev/log");
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

void
log_init(enum log_target target, int verbose)
{
	log_verbose = verbose;
	log_journal = stderr_is_journal();
	log_echo = isatty(STDERR_FILENO) == 1;
	if (target == LOG_TO_SYSLOG && !syslog_reachable()) {
		log_target = LOG_TO_STDERR;
		log_warnx("syslog (/dev/log) cannot be reached: logging to stderr");
		return;
	}
	log_target = target;
	if (target == LOG_TO_SYSLOG)
		openlog("otpcep", LOG_PID | LOG_NDELAY, log_facility);
}

void
log_started(void)
{
	log_echo = false;
}

static void
log_stderr(int prio, const char *line, const char *suffix)
{
	if (log_journal)
		fprintf(stderr, "<%d>%s%s%s\n", prio, line, suffix ? ": " : "",
		    suffix ? suffix : "");
	else
		fprintf(stderr, "otpcep: %s%s%s\n", line, suffix ? ": " : "",
		    suffix ? suffix : "");
}

static void
log_vwrite(int prio, const char *fmt, va_list ap, const char *suffix)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_target != LOG_TO_SYSLOG) {
		log_stderr(prio, line, suffix);
		return;
	}
	if (suffix)
		syslog(prio, "%s: %s", line, suffix);
	else
		syslog(prio, "%s", line);
	if (log_echo && prio <= LOG_WARNING)
		log_stderr(prio, line, suffix);
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
LOG_FN(log_notice, LOG_NOTICE)
LOG_FN(log_info, LOG_INFO)

void
log_at(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(prio, fmt, ap, NULL);
	va_end(ap);
}

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
