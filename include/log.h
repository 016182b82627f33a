/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Logging: to syslog or stderr, chosen at start-up. These few functions are
 * all the logging there is. Anything that came from a request goes through
 * log_escape() first, so that a peer cannot forge log lines.
 */
#ifndef OTPCEP_LOG_H
#define OTPCEP_LOG_H

#include <stddef.h>

enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG };

/*
 * Start-up only: where lines go from now on. verbose enables log_debug().
 * Syslog that cannot be reached (no /dev/log) falls back to stderr. Until
 * log_started(), warnings and errors are also written to stderr when it is a
 * terminal. On stderr, "<N>" priority prefixes when stderr is the journal.
 */
void log_init(enum log_target target, int verbose);

/* Start-up is over: stop echoing warnings to the terminal. */
void log_started(void);

/* Start-up only, before log_init(): the syslog facility (`log_facility`). */
void log_set_facility(int facility);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* At a syslog(3) priority (LOG_ERR ... LOG_DEBUG) chosen at run time. */
void log_at(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copies src (src_len bytes, not necessarily NUL-terminated) into dst with
 * every byte outside printable ASCII, and '\\' and '"', written as \xHH.
 * Always NUL-terminates; marks truncation with "...". Returns dst.
 */
char *log_escape(char *dst, size_t dst_len, const void *src, size_t src_len);

#endif
