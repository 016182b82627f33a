/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The signing certificate and its key (MS-OTPCE 3.2.5.1 step 4; issue 5,
 * "The key" and "Start-up and reload"; docs/protocol.md, "The signing
 * certificate"). GnuTLS only.
 *
 * Concurrency: the current pair is one refcounted struct signer_cert. Workers
 * take a reference in signer_acquire() and drop it in signer_release(); the
 * mutex `lock` guards only the pointer swap and the reference counts. Loading
 * a new pair (file reads, PKCS#11 log-in) happens outside that mutex, by one
 * worker at a time (`reload_lock`, taken with trylock so that nobody waits).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs11.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "secret.h"
#include "signer.h"
#include "signer_internal.h"

/* Files are looked at no more often than this (issue 5). */
#define SIGNER_CHECK_SECONDS	1
/* A near expiry is repeated in the log at most this often. */
#define SIGNER_WARN_INTERVAL	3600

const char *
signer_strerror(enum signer_result r)
{
	switch (r) {
	case SIGNER_OK: return "ok";
	case SIGNER_NO_VALID_CERT: return "no valid signing certificate";
	case SIGNER_FAILED: return "signing failed";
	case SIGNER_NOMEM: return "out of memory";
	case SIGNER_STALE: return "the signer has a newer certificate and key";
	}
	return "unknown signer error";
}

/* "2026-11-22T01:11:43Z" */
const char *
signer_fmt_time(time_t t, char *buf, size_t buf_len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, buf_len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, buf_len, "(time %lld)", (long long)t);
	return buf;
}

bool
signer_is_pkcs11(const char *s)
{
	return strncmp(s, "pkcs11:", 7) == 0;
}

/* The value of an RFC 7512 query attribute (e.g. module-path), or NULL. */
static char *
uri_query_attr(const char *uri, const char *name)
{
	const char *q = strchr(uri, '?'), *p, *end;
	size_t name_len = strlen(name);

	if (q == NULL)
		return NULL;
	for (p = q + 1; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if ((size_t)(end - p) > name_len && strncmp(p, name, name_len) == 0 &&
		    p[name_len] == '=')
			return strndup(p + name_len + 1, (size_t)(end - p) - name_len - 1);
	}
	return NULL;
}

static void
file_id_get(const char *path, struct signer_file_id *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (path == NULL || signer_is_pkcs11(path) || stat(path, &st) != 0)
		return;
	id->present = 1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtim = st.st_mtim;
	id->ctim = st.st_ctim;
}

static bool
file_id_equal(const struct signer_file_id *a, const struct signer_file_id *b)
{
	return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
	    a->mtim.tv_nsec == b->mtim.tv_nsec && a->ctim.tv_sec == b->ctim.tv_sec &&
	    a->ctim.tv_nsec == b->ctim.tv_nsec;
}

static void
files_get(const struct signer *s, struct signer_file_id ids[SIGNER_FILE_COUNT])
{
	file_id_get(s->cfg->signing_cert, &ids[SIGNER_FILE_CERT]);
	file_id_get(s->cfg->signing_key, &ids[SIGNER_FILE_KEY]);
	file_id_get(s->cfg->signing_chain, &ids[SIGNER_FILE_CHAIN]);
}

/* A signer with nothing loaded yet; NULL on error. */
static struct signer *
signer_alloc(const struct config *cfg)
{
	struct signer *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_err("step 4: out of memory");
		return NULL;
	}
	s->cfg = cfg;
	s->link_fd = -1;
	atomic_init(&s->reload_requested, 0);
	atomic_init(&s->stale, 0);
	atomic_init(&s->watch_stop, 0);
	atomic_init(&s->lost, 0);
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return NULL;
	}
	if (pthread_mutex_init(&s->reload_lock, NULL) != 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	if (pthread_mutex_init(&s->link_lock, NULL) != 0) {
		pthread_mutex_destroy(&s->reload_lock);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

/* docs/configuration.md: a step with none of its keys is not configured. */
static bool
signer_check_configured(struct signer *s)
{
	if (s->cfg->signing_cert == NULL || s->cfg->signing_key == NULL) {
		log_warnx("step 4: signing_cert not configured: requests that "
		    "reach step 4 get OtherError");
		return false;
	}
	s->configured = true;
	return true;
}

/* A freshly loaded pair gets a random generation: it names the snapshot. */
static struct signer_cert *
signer_load_new(const struct config *cfg)
{
	struct signer_cert *c = signer_load(cfg);

	if (c != NULL && gnutls_rnd(GNUTLS_RND_NONCE, &c->generation,
	    sizeof(c->generation)) < 0) {
		signer_cert_free(c);
		return NULL;
	}
	/* For /metrics and /health (shared by every process of the instance). */
	if (c != NULL)
		metrics_signing_cert(c->not_after, c->serial);
	return c;
}

struct signer *
signer_new(const struct config *cfg)
{
	struct signer *s;
	char *module = NULL;
	int r;

	if ((s = signer_alloc(cfg)) == NULL)
		return NULL;
	if (!signer_check_configured(s))
		return s;

	if (signer_is_pkcs11(cfg->signing_key)) {
		/*
		 * RFC 7512 module-path names the token's module; without it,
		 * the modules registered with p11-kit are used.
		 */
		module = uri_query_attr(cfg->signing_key, "module-path");
		r = gnutls_pkcs11_init(module ? GNUTLS_PKCS11_FLAG_MANUAL :
		    GNUTLS_PKCS11_FLAG_AUTO, NULL);
		if (r < 0) {
			log_err("step 4: PKCS#11: %s", gnutls_strerror(r));
			goto fail;
		}
		s->pkcs11_init = true;
		if (module && (r = gnutls_pkcs11_add_provider(module, NULL)) < 0) {
			log_err("step 4: PKCS#11 module %s: %s", module,
			    gnutls_strerror(r));
			goto fail;
		}
	}
	files_get(s, s->seen);
	if ((s->cur = signer_load_new(s->cfg)) == NULL) {
		log_err("step 4: the signing certificate and key are not usable; "
		    "not starting");
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &s->next_check);
	s->next_check.tv_sec += SIGNER_CHECK_SECONDS;
	s->next_warn = time(NULL) + SIGNER_WARN_INTERVAL;
	free(module);
	return s;
fail:
	free(module);
	signer_free(s);
	return NULL;
}

/* Start-up of the serving process: how long the signer may take to load. */
#define SIGNER_START_TIMEOUT_MS	30000

struct signer *
signer_new_remote(const struct config *cfg, int link_fd)
{
	struct signer *s;

	if ((s = signer_alloc(cfg)) == NULL) {
		close(link_fd);
		return NULL;
	}
	s->link_fd = link_fd;
	if (!signer_check_configured(s))
		return s;
	if (signer_link_snapshot(s, false, SIGNER_START_TIMEOUT_MS,
	    &s->cur) != SIGNER_OK) {
		log_err("step 4: the signer process has no usable signing "
		    "certificate and key; not starting");
		signer_free(s);
		return NULL;
	}
	return s;
}

void
signer_cert_unref(struct signer *s, struct signer_cert *c)
{
	bool last;

	pthread_mutex_lock(&s->lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		signer_cert_free(c);
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	(void)signer_unwatch(s);	/* before link_fd is closed */
	if (s->cur)
		signer_cert_unref(s, s->cur);
	if (s->pkcs11_init)
		gnutls_pkcs11_deinit();
	if (s->link_fd >= 0)
		close(s->link_fd);
	pthread_mutex_destroy(&s->link_lock);
	pthread_mutex_destroy(&s->reload_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void
signer_request_reload(struct signer *s)
{
	/* A lock-free atomic store: async-signal-safe (C11 7.14.1.1). */
	if (s != NULL)
		atomic_store(&s->reload_requested, 1);
}

static bool
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Picks up a pending reload: SIGHUP, or (looked at once a second) the files
 * changed. A pair that fails the checks is not taken; the current one stays,
 * and the log says so loudly. Runs in one worker at a time; others go on
 * with the current pair instead of waiting.
 */
static void
signer_maybe_reload(struct signer *s)
{
	struct signer_file_id ids[SIGNER_FILE_COUNT];
	struct signer_cert *fresh, *old;
	struct timespec mono;
	char t1[32];
	time_t now;
	bool requested, changed = false;
	size_t i;

	if (pthread_mutex_trylock(&s->reload_lock) != 0)
		return;
	requested = atomic_exchange(&s->reload_requested, 0) != 0;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	if (requested || !ts_before(&mono, &s->next_check)) {
		s->next_check = mono;
		s->next_check.tv_sec += SIGNER_CHECK_SECONDS;
		files_get(s, ids);
		for (i = 0; i < SIGNER_FILE_COUNT; i++)
			changed = changed || !file_id_equal(&ids[i], &s->seen[i]);
		if (requested || changed) {
			log_info("step 4: %s; reloading the signing certificate "
			    "and key", requested ? "reload requested (SIGHUP)" :
			    "their files changed");
			/* Remember what was tried, so a bad pair is not retried
			 * every second, only when the files change again. */
			memcpy(s->seen, ids, sizeof(ids));
			if ((fresh = signer_load_new(s->cfg)) != NULL) {
				pthread_mutex_lock(&s->lock);
				old = s->cur;
				s->cur = fresh;
				pthread_mutex_unlock(&s->lock);
				/* Workers mid-signature keep their reference. */
				signer_cert_unref(s, old);
				s->next_warn = time(NULL) + SIGNER_WARN_INTERVAL;
				metrics_signing_reload(true);
			} else {
				metrics_signing_reload(false);
				log_err("step 4: RELOAD FAILED: the new signing "
				    "certificate or key is not usable; still "
				    "signing with serial %s until it expires at %s",
				    s->cur->serial, signer_fmt_time(s->cur->not_after,
				    t1, sizeof(t1)));
			}
		}
	}
	now = time(NULL);
	if (s->cfg->signing_warn_hours > 0 && now >= s->next_warn &&
	    s->cur->not_after - now <
	    (time_t)s->cfg->signing_warn_hours * 3600 && now <= s->cur->not_after) {
		s->next_warn = now + SIGNER_WARN_INTERVAL;
		log_warnx("step 4: the signing certificate (serial %s) expires "
		    "at %s (signing_warn_hours = %u): renew it", s->cur->serial,
		    signer_fmt_time(s->cur->not_after, t1, sizeof(t1)),
		    s->cfg->signing_warn_hours);
	}
	pthread_mutex_unlock(&s->reload_lock);
}

/*
 * In a serving process: asks the signer process for its current snapshot when
 * SIGHUP asked for a reload, when a signature was refused as stale (the
 * signer reloaded), or when the snapshot held is not valid now (a renewal may
 * be waiting). On failure the current snapshot stays and the next request
 * asks again; a signature with it then fails or is refused as stale.
 */
static void
signer_remote_refresh(struct signer *s)
{
	struct signer_cert *fresh, *old;
	bool reload = atomic_exchange(&s->reload_requested, 0) != 0;
	bool stale = atomic_exchange(&s->stale, 0) != 0;
	time_t now = time(NULL);
	bool invalid;

	pthread_mutex_lock(&s->lock);
	invalid = now > s->cur->not_after || now < s->cur->not_before;
	pthread_mutex_unlock(&s->lock);
	if (!reload && !stale && !invalid)
		return;
	if (signer_link_snapshot(s, reload, SIGNER_TIMEOUT_MS, &fresh) !=
	    SIGNER_OK) {
		if (reload)
			atomic_store(&s->reload_requested, 1);
		if (stale)
			atomic_store(&s->stale, 1);
		return;
	}
	pthread_mutex_lock(&s->lock);
	old = s->cur;
	s->cur = fresh;
	pthread_mutex_unlock(&s->lock);
	signer_cert_unref(s, old);
}

enum signer_result
signer_acquire(struct signer *s, struct signer_cert **out)
{
	struct signer_cert *c;
	char t1[32];
	time_t now;

	*out = NULL;
	if (s == NULL || !s->configured) {
		log_err("step 4: signing_cert not configured");
		return SIGNER_NO_VALID_CERT;
	}
	if (s->link_fd >= 0)
		signer_remote_refresh(s);
	else
		signer_maybe_reload(s);
	pthread_mutex_lock(&s->lock);
	c = s->cur;
	c->refs++;
	pthread_mutex_unlock(&s->lock);

	/* Issue 5: never sign outside the certificate's validity. */
	now = time(NULL);
	if (now > c->not_after || now < c->not_before) {
		log_err("step 4: REFUSING TO SIGN: the signing certificate "
		    "(serial %s, %s) is %s %s; install a renewed certificate "
		    "and key (picked up without a restart)", c->serial,
		    s->cfg->signing_cert, now > c->not_after ?
		    "expired since" : "not valid before",
		    signer_fmt_time(now > c->not_after ? c->not_after : c->not_before,
		    t1, sizeof(t1)));
		signer_cert_unref(s, c);
		return SIGNER_NO_VALID_CERT;
	}
	*out = c;
	return SIGNER_OK;
}

void
signer_release(struct signer *s, struct signer_cert *c)
{
	if (s != NULL && c != NULL)
		signer_cert_unref(s, c);
}

size_t
signer_cert_count(const struct signer_cert *c)
{
	return c->der_count;
}

void
signer_cert_der(const struct signer_cert *c, size_t i, const uint8_t **der,
    size_t *der_len)
{
	if (i >= c->der_count) {
		*der = NULL;
		*der_len = 0;
		return;
	}
	*der = c->der[i].data;
	*der_len = c->der[i].size;
}

gnutls_digest_algorithm_t
signer_digest(const struct signer_cert *c)
{
	return c->digest;
}

const char *
signer_signature_oid(const struct signer_cert *c)
{
	return c->sig_oid;
}

time_t
signer_not_after(const struct signer_cert *c)
{
	return c->not_after;
}

const char *
signer_serial(const struct signer_cert *c)
{
	return c->serial;
}

void *
signer_cert_aux(struct signer_cert *c)
{
	return atomic_load(&c->aux);
}

void *
signer_cert_set_aux(struct signer_cert *c, void *p, void (*free_fn)(void *))
{
	void *expected = NULL;

	if (atomic_compare_exchange_strong(&c->aux, &expected, p)) {
		/* Read only when the last reference goes (after ours). */
		c->aux_free = free_fn;
		return p;
	}
	free_fn(p);
	return expected;
}

enum signer_result
signer_sign(const struct signer_cert *c, const uint8_t *data, size_t data_len,
    uint8_t **sig, size_t *sig_len)
{
	gnutls_datum_t in, out = { NULL, 0 };
	int r;

	*sig = NULL;
	*sig_len = 0;
	/* In a serving process the key is in the signer process: ask it. */
	if (c->remote != NULL)
		return signer_link_sign(c->remote, c->generation, data, data_len,
		    sig, sig_len);
	if (data_len > UINT32_MAX)
		return SIGNER_FAILED;
	in.data = (unsigned char *)(uintptr_t)data;
	in.size = (unsigned)data_len;
	/* PKCS#11 2.40 5.2: one operation at a time in a session. */
	if (c->sign_lock)
		pthread_mutex_lock(c->sign_lock);
	r = gnutls_privkey_sign_data2(c->key, c->sign_algo, c->sign_flags, &in,
	    &out);
	if (c->sign_lock)
		pthread_mutex_unlock(c->sign_lock);
	if (r < 0) {
		log_err("step 4: the signing key refused to sign (serial %s): %s",
		    c->serial, gnutls_strerror(r));
		return r == GNUTLS_E_MEMORY_ERROR ? SIGNER_NOMEM : SIGNER_FAILED;
	}
	if ((*sig = malloc(out.size ? out.size : 1)) == NULL) {
		gnutls_free(out.data);
		return SIGNER_NOMEM;
	}
	memcpy(*sig, out.data, out.size);
	*sig_len = out.size;
	gnutls_free(out.data);
	return SIGNER_OK;
}
