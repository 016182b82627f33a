/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The counters of one instance (include/metrics.h): one MAP_SHARED anonymous
 * mapping made before any fork, updated with atomic operations only, so that
 * every thread and every process of the instance counts into it without a
 * lock. Written out in the Prometheus text exposition format 0.0.4
 * (metrics_format) and judged for /health (metrics_health).
 */
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "otpcep.h"

/* HTTP statuses the responder answers (docs/protocol.md); anything else is "other". */
static const int http_codes[] = { 200, 400, 403, 405, 411, 413, 415, 500, 503 };
#define NHTTP (sizeof(http_codes) / sizeof(http_codes[0]) + 1)
/* The four MS-OTPCE 2.2.3 statuses, then "none" (the request never reached the protocol). */
#define NSTATUS 5

/* Bucket bounds in microseconds: 0.5 ms .. 30 s (RADIUS may take its full time bound). */
static const long long bucket_us[] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 30000000,
};
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct histo {
	uint64_t bucket[NBUCKETS + 1];	/* the last one: above every bound */
	uint64_t sum_us;
};

struct radius_stats {
	uint64_t requests, retransmissions, timeouts;
	uint64_t dropped[METRICS_DROP_COUNT];
	int64_t last_answer;		/* time(), 0: never */
	int64_t up, dead;
};

struct ldap_stats {
	uint64_t binds_ok, binds_failed, reconnects, errors;
	int64_t last_answer;
	int64_t up;
};

struct shared {
	uint64_t requests[NHTTP][NSTATUS];
	uint64_t failures[METRICS_FAIL_COUNT];
	struct histo steps[METRICS_STEP_COUNT];
	int64_t in_flight, busy, workers;
	struct radius_stats radius[METRICS_MAX_SERVERS];
	struct ldap_stats ldap[METRICS_MAX_SERVERS];
	int64_t not_after;		/* 0: no certificate loaded */
	uint64_t reloads, reload_failures;
	uint32_t serial_seq;		/* odd while serial is being written */
	char serial[80];
	int64_t start_time;
};

/*
 * Set once at start-up (before any fork or thread) and read-only afterwards;
 * the names are the configuration's own strings.
 */
static struct shared *sh;
static const char *radius_names[METRICS_MAX_SERVERS];
static size_t radius_count;
static const char *ldap_names[METRICS_MAX_SERVERS];
static size_t ldap_count;

#define ADD(p, n) __atomic_fetch_add((p), (n), __ATOMIC_RELAXED)
#define SET(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define GET(p) __atomic_load_n((p), __ATOMIC_RELAXED)
/*
 * How often the sequence lock on the signing certificate's slot is tried
 * (with sched_yield() between) before giving up: a writer holds it for a
 * few dozen stores, so this is only reached when it will never be freed.
 */
#define SEQ_TRIES 10000

int
metrics_init(const struct config *cfg)
{
	size_t i;
	void *p;

	if (sh != NULL)
		return 0;
	p = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warn("metrics: cannot map the shared counters");
		return -1;
	}
	sh = p;
	sh->start_time = time(NULL);
	radius_count = cfg->radius_server.count < METRICS_MAX_SERVERS ?
	    cfg->radius_server.count : METRICS_MAX_SERVERS;
	for (i = 0; i < radius_count; i++)
		radius_names[i] = cfg->radius_server.items[i];
	ldap_count = cfg->ldap_uri.count < METRICS_MAX_SERVERS ?
	    cfg->ldap_uri.count : METRICS_MAX_SERVERS;
	for (i = 0; i < ldap_count; i++)
		ldap_names[i] = cfg->ldap_uri.items[i];
	if (cfg->radius_server.count > METRICS_MAX_SERVERS ||
	    cfg->ldap_uri.count > METRICS_MAX_SERVERS)
		log_warnx("metrics: only the first %d RADIUS servers and LDAP URIs "
		    "are counted one by one", METRICS_MAX_SERVERS);
	return 0;
}

void
metrics_request_begin(void)
{
	if (sh)
		ADD(&sh->in_flight, 1);
}

static size_t
http_index(int code)
{
	size_t i;

	for (i = 0; i < NHTTP - 1; i++)
		if (http_codes[i] == code)
			return i;
	return NHTTP - 1;
}

void
metrics_request_end(int http_status, int protocol_status, long long us)
{
	size_t s;

	if (sh == NULL)
		return;
	s = protocol_status >= 0 && protocol_status < NSTATUS - 1 ?
	    (size_t)protocol_status : NSTATUS - 1;
	ADD(&sh->requests[http_index(http_status)][s], 1);
	ADD(&sh->in_flight, -1);
	metrics_step(METRICS_STEP_REQUEST, us);
}

void
metrics_step(enum metrics_step step, long long us)
{
	size_t b = 0;

	if (sh == NULL || (unsigned)step >= METRICS_STEP_COUNT)
		return;
	if (us < 0)
		us = 0;
	while (b < NBUCKETS && us > bucket_us[b])
		b++;
	ADD(&sh->steps[step].bucket[b], 1);
	ADD(&sh->steps[step].sum_us, (uint64_t)us);
}

void
metrics_failure(enum metrics_failure why)
{
	if (sh && (unsigned)why < METRICS_FAIL_COUNT)
		ADD(&sh->failures[why], 1);
}

void
metrics_worker_busy(int delta)
{
	if (sh)
		ADD(&sh->busy, delta);
}

void
metrics_workers(unsigned configured)
{
	if (sh)
		SET(&sh->workers, (int64_t)configured);
}

#define RADIUS_OK(i) (sh != NULL && (i) < radius_count)
#define LDAP_OK(i) (sh != NULL && (i) < ldap_count)

void
metrics_radius_request(size_t i)
{
	if (RADIUS_OK(i))
		ADD(&sh->radius[i].requests, 1);
}

void
metrics_radius_retransmission(size_t i)
{
	if (RADIUS_OK(i))
		ADD(&sh->radius[i].retransmissions, 1);
}

void
metrics_radius_timeout(size_t i)
{
	if (!RADIUS_OK(i))
		return;
	ADD(&sh->radius[i].timeouts, 1);
	SET(&sh->radius[i].up, 0);
}

void
metrics_radius_dropped(size_t i, enum metrics_radius_drop cause)
{
	if (RADIUS_OK(i) && (unsigned)cause < METRICS_DROP_COUNT)
		ADD(&sh->radius[i].dropped[cause], 1);
}

void
metrics_radius_answered(size_t i)
{
	if (!RADIUS_OK(i))
		return;
	SET(&sh->radius[i].last_answer, (int64_t)time(NULL));
	SET(&sh->radius[i].up, 1);
}

void
metrics_radius_dead(size_t i, bool dead)
{
	if (!RADIUS_OK(i))
		return;
	SET(&sh->radius[i].dead, dead ? 1 : 0);
	if (dead)
		SET(&sh->radius[i].up, 0);
}

void
metrics_ldap_bind(size_t i, bool ok)
{
	if (!LDAP_OK(i))
		return;
	ADD(ok ? &sh->ldap[i].binds_ok : &sh->ldap[i].binds_failed, 1);
	/* A refused bind is still an answer from the server. */
	metrics_ldap_answered(i);
}

void
metrics_ldap_reconnect(size_t i)
{
	if (LDAP_OK(i))
		ADD(&sh->ldap[i].reconnects, 1);
}

void
metrics_ldap_error(size_t i)
{
	if (LDAP_OK(i))
		ADD(&sh->ldap[i].errors, 1);
}

void
metrics_ldap_answered(size_t i)
{
	if (!LDAP_OK(i))
		return;
	SET(&sh->ldap[i].last_answer, (int64_t)time(NULL));
	SET(&sh->ldap[i].up, 1);
}

void
metrics_ldap_down(size_t i)
{
	if (LDAP_OK(i))
		SET(&sh->ldap[i].up, 0);
}

void
metrics_signing_cert(time_t not_after, const char *serial_hex)
{
	char tmp[sizeof(sh->serial)];
	uint32_t seq;
	unsigned tries;

	if (sh == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s", serial_hex ? serial_hex : "");
	/*
	 * A sequence lock: writers take it by making seq odd, readers retry.
	 * The mapping is shared with the serving process, which the signer
	 * must not trust: an odd seq left there (a writer killed mid-update,
	 * or written on purpose) is taken over after SEQ_TRIES, not waited
	 * for without end.
	 */
	for (tries = 0;; tries++) {
		seq = __atomic_load_n(&sh->serial_seq, __ATOMIC_ACQUIRE);
		if (tries >= SEQ_TRIES) {
			log_warnx("metrics: the signing certificate's shared slot "
			    "stayed locked (sequence %u): taken over", seq);
			seq |= 1;	/* odd: still locked for readers */
			__atomic_store_n(&sh->serial_seq, seq + 2,
			    __ATOMIC_RELEASE);
			seq += 1;	/* seq + 2 below: even, unlocked */
			break;
		}
		if ((seq & 1) == 0 && __atomic_compare_exchange_n(&sh->serial_seq,
		    &seq, seq + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			break;
		sched_yield();
	}
	/* Byte by byte, atomically: readers copy it at the same time. */
	for (size_t i = 0; i < sizeof(tmp); i++)
		SET(&sh->serial[i], tmp[i]);
	SET(&sh->not_after, (int64_t)not_after);
	__atomic_store_n(&sh->serial_seq, seq + 2, __ATOMIC_RELEASE);
}

void
metrics_signing_reload(bool ok)
{
	if (sh)
		ADD(ok ? &sh->reloads : &sh->reload_failures, 1);
}

/*
 * Reads the serial consistently with the sequence lock. false (and buf
 * empty, *not_after 0) when no consistent copy came within SEQ_TRIES: the
 * value is unavailable, never waited for without end (see above).
 */
static bool
read_serial(char *buf, size_t len, int64_t *not_after)
{
	size_t n = len < sizeof(sh->serial) ? len : sizeof(sh->serial);
	uint32_t s1, s2;
	unsigned tries = 0;

	/*
	 * Every load of the data is atomic with acquire order, so none of them
	 * can move after the second load of seq: no fence (which
	 * ThreadSanitizer does not support) and no plain read racing the
	 * writer's stores.
	 */
	do {
		s1 = __atomic_load_n(&sh->serial_seq, __ATOMIC_ACQUIRE);
		for (size_t i = 0; i < n; i++)
			buf[i] = __atomic_load_n(&sh->serial[i], __ATOMIC_ACQUIRE);
		*not_after = __atomic_load_n(&sh->not_after, __ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&sh->serial_seq, __ATOMIC_RELAXED);
		if ((s1 & 1) == 0 && s1 == s2) {
			buf[len - 1] = '\0';
			return true;
		}
		sched_yield();
	} while (++tries < SEQ_TRIES);
	buf[0] = '\0';
	*not_after = 0;
	return false;
}

/* ---- exposition ---------------------------------------------------- */

/* A label value per the exposition format: \\, \" and \n escaped. */
static void
put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else if ((unsigned char)*v >= 0x20)
			fputc(*v, f);
	}
}

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A server's label: the radius_server line's first word (host[:port]). */
static void
put_server(FILE *f, const char *item)
{
	char host[300];
	size_t n = strcspn(item, " \t");

	snprintf(host, sizeof(host), "%.*s", (int)n, item);
	put_label(f, host);
}

static void
put_histo(FILE *f, const char *name, const char *label,
    const struct histo *h)
{
	uint64_t cum = 0;
	size_t b;

	for (b = 0; b < NBUCKETS; b++) {
		cum += GET(&h->bucket[b]);
		fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, label,
		    *label ? "," : "", (double)bucket_us[b] / 1e6,
		    (unsigned long long)cum);
	}
	cum += GET(&h->bucket[NBUCKETS]);
	fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, label,
	    *label ? "," : "", (unsigned long long)cum);
	fprintf(f, "%s_sum%s%s%s %.6f\n", name, *label ? "{" : "", label,
	    *label ? "}" : "", (double)GET(&h->sum_us) / 1e6);
	fprintf(f, "%s_count%s%s%s %llu\n", name, *label ? "{" : "", label,
	    *label ? "}" : "", (unsigned long long)cum);
}

static const char *const status_labels[NSTATUS] = {
	"Success", "AuthenticationError", "ChallengeResponseRequired",
	"OtherError", "none",
};
static const char *const failure_labels[METRICS_FAIL_COUNT] = {
	"bad_request", "template", "names", "directory", "otp_rejected",
	"challenge", "radius_unreachable", "signing", "other",
};
static const char *const step_labels[METRICS_STEP_COUNT] = {
	"parse", "csr", "directory", "radius", "signing", "request",
};
static const char *const drop_labels[METRICS_DROP_COUNT] = {
	"malformed", "identifier", "authenticator", "message_authenticator",
};

static void
format_requests(FILE *f)
{
	size_t h, s, i;

	head(f, "otpcep_requests_total", "counter",
	    "Requests answered, by HTTP status and MS-OTPCE status (none: not reached).");
	for (h = 0; h < NHTTP; h++)
		for (s = 0; s < NSTATUS; s++) {
			uint64_t n = GET(&sh->requests[h][s]);
			char code[16];

			/* Only the pairs that can happen: 200 with a status, others without. */
			if (n == 0 && ((h == 0) != (s < NSTATUS - 1)))
				continue;
			if (h < NHTTP - 1)
				snprintf(code, sizeof(code), "%d", http_codes[h]);
			else
				snprintf(code, sizeof(code), "other");
			fprintf(f, "otpcep_requests_total{code=\"%s\",status=\"%s\"} %llu\n",
			    code, status_labels[s], (unsigned long long)n);
		}
	head(f, "otpcep_request_failures_total", "counter",
	    "Requests that did not end in Success, by class of reason.");
	for (i = 0; i < METRICS_FAIL_COUNT; i++)
		fprintf(f, "otpcep_request_failures_total{reason=\"%s\"} %llu\n",
		    failure_labels[i], (unsigned long long)GET(&sh->failures[i]));
	head(f, "otpcep_request_duration_seconds", "histogram",
	    "Time from the envelope check to the response, per request.");
	put_histo(f, "otpcep_request_duration_seconds", "",
	    &sh->steps[METRICS_STEP_REQUEST]);
	head(f, "otpcep_step_duration_seconds", "histogram",
	    "Time spent in each step of MS-OTPCE 3.2.5.1.");
	for (i = 0; i < METRICS_STEP_REQUEST; i++) {
		char label[32];

		snprintf(label, sizeof(label), "step=\"%s\"", step_labels[i]);
		put_histo(f, "otpcep_step_duration_seconds", label, &sh->steps[i]);
	}
	head(f, "otpcep_requests_in_flight", "gauge", "Requests being served now.");
	fprintf(f, "otpcep_requests_in_flight %lld\n", (long long)GET(&sh->in_flight));
	head(f, "otpcep_workers_busy", "gauge", "Worker threads running a request now (not those waiting for RADIUS).");
	fprintf(f, "otpcep_workers_busy %lld\n", (long long)GET(&sh->busy));
	head(f, "otpcep_workers", "gauge", "Configured workers (workers).");
	fprintf(f, "otpcep_workers %lld\n", (long long)GET(&sh->workers));
}

/*
 * One series per server: the 64-bit field at offset in each of count
 * structs of size stride from base, labelled key="name".
 */
static void
per_server(FILE *f, const char *name, const char *key,
    const char *const *names, size_t count, const void *base, size_t stride,
    size_t offset)
{
	size_t i;

	for (i = 0; i < count; i++) {
		const int64_t *v = (const int64_t *)(const void *)
		    ((const char *)base + i * stride + offset);

		fprintf(f, "%s{%s=\"", name, key);
		put_server(f, names[i]);
		fprintf(f, "\"} %lld\n", (long long)GET(v));
	}
}

#define RADIUS_SERIES(f, name, field) per_server(f, name, "server", \
	radius_names, radius_count, sh->radius, sizeof(sh->radius[0]), \
	offsetof(struct radius_stats, field))
#define LDAP_SERIES(f, name, field) per_server(f, name, "uri", \
	ldap_names, ldap_count, sh->ldap, sizeof(sh->ldap[0]), \
	offsetof(struct ldap_stats, field))

static void
format_radius(FILE *f)
{
	size_t i, c;

	head(f, "otpcep_radius_requests_total", "counter",
	    "RADIUS exchanges started with each server.");
	RADIUS_SERIES(f, "otpcep_radius_requests_total", requests);
	head(f, "otpcep_radius_retransmissions_total", "counter",
	    "Retransmissions of an Access-Request (same Identifier and authenticator).");
	RADIUS_SERIES(f, "otpcep_radius_retransmissions_total", retransmissions);
	head(f, "otpcep_radius_timeouts_total", "counter",
	    "Exchanges that got no valid reply from this server in time.");
	RADIUS_SERIES(f, "otpcep_radius_timeouts_total", timeouts);
	head(f, "otpcep_radius_dropped_replies_total", "counter",
	    "Replies dropped, by cause.");
	for (i = 0; i < radius_count; i++)
		for (c = 0; c < METRICS_DROP_COUNT; c++) {
			fputs("otpcep_radius_dropped_replies_total{server=\"", f);
			put_server(f, radius_names[i]);
			fprintf(f, "\",cause=\"%s\"} %llu\n", drop_labels[c],
			    (unsigned long long)GET(&sh->radius[i].dropped[c]));
		}
	head(f, "otpcep_radius_up", "gauge",
	    "1 when the server's last exchange got a valid reply.");
	RADIUS_SERIES(f, "otpcep_radius_up", up);
	head(f, "otpcep_radius_dead", "gauge",
	    "1 while the server is marked dead and skipped.");
	RADIUS_SERIES(f, "otpcep_radius_dead", dead);
	head(f, "otpcep_radius_last_answer_timestamp_seconds", "gauge",
	    "When the server last gave a valid reply (0: never).");
	RADIUS_SERIES(f, "otpcep_radius_last_answer_timestamp_seconds", last_answer);
}

static void
format_ldap(FILE *f)
{
	size_t i;

	head(f, "otpcep_ldap_binds_total", "counter", "LDAP binds, by result.");
	for (i = 0; i < ldap_count; i++) {
		fputs("otpcep_ldap_binds_total{uri=\"", f);
		put_label(f, ldap_names[i]);
		fprintf(f, "\",result=\"ok\"} %llu\n",
		    (unsigned long long)GET(&sh->ldap[i].binds_ok));
		fputs("otpcep_ldap_binds_total{uri=\"", f);
		put_label(f, ldap_names[i]);
		fprintf(f, "\",result=\"failed\"} %llu\n",
		    (unsigned long long)GET(&sh->ldap[i].binds_failed));
	}
	head(f, "otpcep_ldap_reconnects_total", "counter",
	    "Connections opened again after one was lost.");
	LDAP_SERIES(f, "otpcep_ldap_reconnects_total", reconnects);
	head(f, "otpcep_ldap_errors_total", "counter",
	    "Connect, StartTLS, bind or search errors.");
	LDAP_SERIES(f, "otpcep_ldap_errors_total", errors);
	head(f, "otpcep_ldap_up", "gauge",
	    "1 when the last contact with this URI got an answer.");
	LDAP_SERIES(f, "otpcep_ldap_up", up);
	head(f, "otpcep_ldap_last_answer_timestamp_seconds", "gauge",
	    "When this URI last answered (0: never).");
	LDAP_SERIES(f, "otpcep_ldap_last_answer_timestamp_seconds", last_answer);
}

static void
format_signing(FILE *f)
{
	char serial[sizeof(sh->serial)];
	int64_t not_after;

	head(f, "otpcep_signing_certificate_not_after_timestamp_seconds", "gauge",
	    "The signing certificate's notAfter (0: none loaded).");
	head(f, "otpcep_signing_certificate_info", "gauge",
	    "The signing certificate in use, by serial number.");
	/* Its slot stays locked: no value rather than a wrong one. */
	if (read_serial(serial, sizeof(serial), &not_after)) {
		fprintf(f, "otpcep_signing_certificate_not_after_timestamp_seconds "
		    "%lld\n", (long long)not_after);
		fputs("otpcep_signing_certificate_info{serial=\"", f);
		put_label(f, serial);
		fprintf(f, "\"} %d\n", not_after != 0);
	}
	head(f, "otpcep_signing_reloads_total", "counter",
	    "Certificate and key loaded again (SIGHUP or changed files).");
	fprintf(f, "otpcep_signing_reloads_total %llu\n",
	    (unsigned long long)GET(&sh->reloads));
	head(f, "otpcep_signing_reload_failures_total", "counter",
	    "Reloads refused (the old pair stays in use).");
	fprintf(f, "otpcep_signing_reload_failures_total %llu\n",
	    (unsigned long long)GET(&sh->reload_failures));
}

int
metrics_format(char **out, size_t *out_len)
{
	FILE *f;

	*out = NULL;
	*out_len = 0;
	if ((f = open_memstream(out, out_len)) == NULL)
		return -1;
	if (sh != NULL) {
		format_requests(f);
		format_radius(f);
		format_ldap(f);
		format_signing(f);
		head(f, "otpcep_start_time_seconds", "gauge",
		    "When this instance started.");
		fprintf(f, "otpcep_start_time_seconds %lld\n",
		    (long long)sh->start_time);
	}
	head(f, "otpcep_build_info", "gauge", "The version of otpcep serving.");
	fprintf(f, "otpcep_build_info{version=\"%s\"} 1\n", OTPCEP_VERSION);
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* ---- health -------------------------------------------------------- */

static void
health_line(char *buf, size_t buf_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
health_line(char *buf, size_t buf_len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= buf_len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, buf_len - used, fmt, ap);
	va_end(ap);
}

/* Whether any of the n last-answer times is at or after since. */
static bool
answered_since(const int64_t *first, size_t stride, size_t n, int64_t since)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int64_t t = GET((const int64_t *)(const void *)
		    ((const char *)first + i * stride));

		if (t != 0 && t >= since)
			return true;
	}
	return false;
}

void
metrics_stale(const struct config *cfg, time_t now, bool *radius, bool *ldap)
{
	int64_t since = (int64_t)now - cfg->health_window_s / 2;

	*radius = sh != NULL && radius_count > 0 &&
	    !answered_since(&sh->radius[0].last_answer, sizeof(sh->radius[0]),
	    radius_count, since);
	*ldap = sh != NULL && ldap_count > 0 &&
	    !answered_since(&sh->ldap[0].last_answer, sizeof(sh->ldap[0]),
	    ldap_count, since);
}

int
metrics_health(const struct config *cfg, time_t now, char *buf,
    size_t buf_len)
{
	char serial[sizeof(((struct shared *)0)->serial)];
	int64_t not_after, since = (int64_t)now - cfg->health_window_s;
	bool radius_ok, ldap_ok;

	if (buf_len == 0)
		return 503;
	buf[0] = '\0';
	if (sh == NULL) {
		health_line(buf, buf_len, "metrics: no shared counters\n");
		return 503;
	}
	if (!read_serial(serial, sizeof(serial), &not_after))
		health_line(buf, buf_len, "signing: the signing certificate's "
		    "state is unavailable (its shared slot stays locked)\n");
	else if (not_after == 0)
		health_line(buf, buf_len, "signing: no valid signing certificate\n");
	else if (not_after <= (int64_t)now)
		health_line(buf, buf_len, "signing: the certificate expired\n");
	else if (not_after - (int64_t)now <= (int64_t)cfg->signing_warn_hours * 3600)
		health_line(buf, buf_len, "signing: the certificate expires in "
		    "%.1f hours (signing_warn_hours = %u)\n",
		    (double)(not_after - (int64_t)now) / 3600.0,
		    cfg->signing_warn_hours);
	radius_ok = answered_since(&sh->radius[0].last_answer,
	    sizeof(sh->radius[0]), radius_count, since);
	if (radius_count == 0)
		health_line(buf, buf_len, "radius: not configured\n");
	else if (!radius_ok)
		health_line(buf, buf_len, "radius: no server answered in the last "
		    "%u s\n", cfg->health_window_s);
	ldap_ok = answered_since(&sh->ldap[0].last_answer, sizeof(sh->ldap[0]),
	    ldap_count, since);
	if (ldap_count == 0)
		health_line(buf, buf_len, "directory: not configured\n");
	else if (!ldap_ok)
		health_line(buf, buf_len, "directory: no URI answered in the last "
		    "%u s\n", cfg->health_window_s);
	if (buf[0] != '\0')
		return 503;
	snprintf(buf, buf_len, "ok\n");
	return 200;
}
