/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The serving process's end of the signer link (include/signer_msg.h): it
 * asks the signer process for the public snapshot and for signatures, and
 * never sees the key. One exchange at a time (the signer process is one
 * thread anyway); every wait is bounded, so a dead or stuck signer costs a
 * request OtherError, never a hang (issue 11).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "log.h"
#include "signer.h"
#include "signer_internal.h"
#include "signer_msg.h"

/* Milliseconds left until deadline (CLOCK_MONOTONIC), at least 0. */
static int
ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

/* Waits for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd p = { fd, events, 0 };
	int r;

	for (;;) {
		r = poll(&p, 1, ms_left(deadline));
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/*
 * Sends req (+ payload) and receives the reply with the same id into reply
 * (at most reply_cap bytes, header included). Replies to earlier requests
 * that timed out are dropped. Returns SIGNER_OK with *reply_len set, or
 * SIGNER_FAILED after logging (timeout, signer gone, malformed reply).
 */
static enum signer_result
link_exchange(struct signer *s, struct signer_msg_hdr *req,
    const void *payload, size_t payload_len, uint8_t *reply, size_t reply_cap,
    size_t *reply_len, int timeout_ms)
{
	struct iovec iov[2] = {
		{ req, sizeof(*req) },
		{ (void *)(uintptr_t)payload, payload_len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = payload_len ? 2 : 1 };
	struct signer_msg_hdr got;
	struct timespec deadline, rt;
	enum signer_result ret = SIGNER_FAILED;
	const char *why = NULL;
	ssize_t n;
	int w;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	/* The lock is waited for within the same bound. */
	clock_gettime(CLOCK_REALTIME, &rt);
	rt.tv_sec += timeout_ms / 1000 + 1;
	if (pthread_mutex_timedlock(&s->link_lock, &rt) != 0) {
		log_err("step 4: the signer process is busy: no answer within "
		    "%d ms", timeout_ms);
		return SIGNER_FAILED;
	}
	req->id = ++s->next_id;
	req->len = (uint32_t)payload_len;
	req->reserved = 0;
	for (;;) {
		n = sendmsg(s->link_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || (w = wait_fd(s->link_fd, POLLOUT,
		    &deadline)) < 0) {
			why = "cannot reach it";
			goto cleanup;
		}
		if (w == 0) {
			why = "it takes no more requests (timed out)";
			goto cleanup;
		}
	}
	if ((size_t)n != sizeof(*req) + payload_len) {
		why = "short write";
		goto cleanup;
	}
	for (;;) {
		if ((w = wait_fd(s->link_fd, POLLIN, &deadline)) <= 0) {
			why = w == 0 ? "no answer in time (timed out)" :
			    "cannot read its answer";
			goto cleanup;
		}
		n = recv(s->link_fd, reply, reply_cap, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			why = "cannot read its answer";
			goto cleanup;
		}
		if (n == 0) {
			why = "it is gone";
			goto cleanup;
		}
		if ((size_t)n < sizeof(got))
			continue;	/* not a reply of ours: dropped */
		memcpy(&got, reply, sizeof(got));
		if (got.id != req->id)
			continue;	/* a late reply to a request that timed out */
		if ((size_t)n > reply_cap || got.len != (size_t)n - sizeof(got)) {
			why = "malformed answer";
			goto cleanup;
		}
		*reply_len = (size_t)n;
		ret = SIGNER_OK;
		break;
	}
cleanup:
	pthread_mutex_unlock(&s->link_lock);
	if (why != NULL)
		log_err("step 4: the signer process: %s", why);
	return ret;
}

/* Maps a SIGNER_MSG_ERROR reply to a result, with a log line. */
static enum signer_result
link_error(const struct signer_msg_hdr *h)
{
	switch (h->flags) {
	case SIGNER_MSG_ST_STALE:
		return SIGNER_STALE;
	case SIGNER_MSG_ST_NO_VALID_CERT:
		log_err("step 4: the signer process has no valid signing "
		    "certificate (see its log lines)");
		return SIGNER_NO_VALID_CERT;
	case SIGNER_MSG_ST_BAD_REQUEST:
		log_err("step 4: the signer process refused the request as "
		    "malformed");
		return SIGNER_FAILED;
	default:
		log_err("step 4: the signer process could not sign (see its "
		    "log lines)");
		return SIGNER_FAILED;
	}
}

/* Decodes a SNAPSHOT payload into a new keyless signer_cert; NULL if malformed. */
static struct signer_cert *
snapshot_decode(struct signer *s, const uint8_t *p, size_t len)
{
	struct signer_msg_snapshot m;
	struct signer_cert *c;
	uint32_t cl;
	size_t i;

	if (len < sizeof(m))
		return NULL;
	memcpy(&m, p, sizeof(m));
	p += sizeof(m);
	len -= sizeof(m);
	if (m.cert_count == 0 || m.cert_count > 64 ||
	    memchr(m.sig_oid, '\0', sizeof(m.sig_oid)) == NULL ||
	    memchr(m.serial, '\0', sizeof(m.serial)) == NULL ||
	    gnutls_hash_get_len((gnutls_digest_algorithm_t)m.digest) == 0)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->der = calloc(m.cert_count, sizeof(*c->der))) == NULL)
		goto fail;
	for (i = 0; i < m.cert_count; i++) {
		if (len < sizeof(cl))
			goto fail;
		memcpy(&cl, p, sizeof(cl));
		p += sizeof(cl);
		len -= sizeof(cl);
		if (cl == 0 || cl > len || (c->der[i].data = gnutls_malloc(cl)) ==
		    NULL)
			goto fail;
		memcpy(c->der[i].data, p, cl);
		c->der[i].size = cl;
		c->der_count = i + 1;
		p += cl;
		len -= cl;
	}
	if (len != 0)
		goto fail;
	c->refs = 1;
	c->remote = s;
	c->digest = (gnutls_digest_algorithm_t)m.digest;
	/* The OID is kept in the snapshot: serial[] has room, sig_oid is a pointer. */
	if ((c->sig_oid_buf = strdup(m.sig_oid)) == NULL)
		goto fail;
	c->sig_oid = c->sig_oid_buf;
	c->not_before = (time_t)m.not_before;
	c->not_after = (time_t)m.not_after;
	memcpy(c->serial, m.serial, sizeof(c->serial));
	return c;
fail:
	signer_cert_free(c);
	return NULL;
}

enum signer_result
signer_link_snapshot(struct signer *s, bool reload, int timeout_ms,
    struct signer_cert **out)
{
	struct signer_msg_hdr req = { 0 }, h;
	enum signer_result r;
	uint8_t *reply;
	size_t reply_len = 0;

	*out = NULL;
	if ((reply = malloc(SIGNER_MSG_MAX)) == NULL)
		return SIGNER_NOMEM;
	req.type = SIGNER_MSG_GET;
	req.flags = reload ? SIGNER_MSG_F_RELOAD : 0;
	r = link_exchange(s, &req, NULL, 0, reply, SIGNER_MSG_MAX, &reply_len,
	    timeout_ms);
	if (r != SIGNER_OK)
		goto cleanup;
	memcpy(&h, reply, sizeof(h));
	if (h.type == SIGNER_MSG_ERROR) {
		r = link_error(&h);
		goto cleanup;
	}
	if (h.type != SIGNER_MSG_SNAPSHOT || (*out = snapshot_decode(s,
	    reply + sizeof(h), h.len)) == NULL) {
		log_err("step 4: the signer process sent a malformed snapshot");
		r = SIGNER_FAILED;
		goto cleanup;
	}
	(*out)->generation = h.generation;
	r = SIGNER_OK;
cleanup:
	free(reply);
	return r;
}

enum signer_result
signer_link_sign(struct signer *s, uint64_t generation, const uint8_t *data,
    size_t data_len, uint8_t **sig, size_t *sig_len)
{
	struct signer_msg_hdr req = { 0 }, h;
	uint8_t reply[sizeof(h) + 2048];
	size_t reply_len = 0;
	enum signer_result r;

	*sig = NULL;
	*sig_len = 0;
	if (data_len == 0 || data_len > SIGNER_SIGN_DATA_MAX) {
		log_err("step 4: %zu bytes to sign: not a sign request", data_len);
		return SIGNER_FAILED;
	}
	req.type = SIGNER_MSG_SIGN;
	req.generation = generation;
	if ((r = link_exchange(s, &req, data, data_len, reply, sizeof(reply),
	    &reply_len, SIGNER_TIMEOUT_MS)) != SIGNER_OK)
		return r;
	memcpy(&h, reply, sizeof(h));
	if (h.type == SIGNER_MSG_ERROR) {
		r = link_error(&h);
		if (r == SIGNER_STALE)
			atomic_store(&s->stale, 1);
		return r;
	}
	if (h.type != SIGNER_MSG_SIGNATURE || h.len == 0) {
		log_err("step 4: the signer process sent a malformed signature");
		return SIGNER_FAILED;
	}
	if ((*sig = malloc(h.len)) == NULL)
		return SIGNER_NOMEM;
	memcpy(*sig, reply + sizeof(h), h.len);
	*sig_len = h.len;
	return SIGNER_OK;
}

/* --- the monitor gone for good (docs/design.md, "Processes") ------------- */

/* How often the watcher looks at its stop flag, in milliseconds. */
#define WATCH_TICK_MS		250
/*
 * A hang-up this close to our own SIGTERM is the same shutdown (systemd
 * signals the whole control group, a terminal the whole process group): the
 * watcher waits this long for signer_unwatch() before calling it a loss.
 */
#define WATCH_GRACE_MS		1000
/* The last resort when the orderly stop after a loss does not end. */
#define WATCH_EXIT_MS		30000

/* Sleeps up to ms while not told to stop; true when told to stop. */
static bool
watch_sleep(struct signer *s, long ms)
{
	struct timespec ts = { 0, 50 * 1000000L };

	for (; ms > 0; ms -= 50) {
		if (atomic_load(&s->watch_stop))
			return true;
		nanosleep(&ts, NULL);
	}
	return atomic_load(&s->watch_stop) != 0;
}

/*
 * The monitor holds the signer's end of the socketpair and hands it to each
 * new signer; when the monitor itself ends, the last holder is gone and our
 * end reads hang-up (POLLHUP: the peer of a SOCK_SEQPACKET socket closed),
 * for ever. Requests meanwhile get OtherError from link_exchange ("it is
 * gone"); the serving process then stops and exits 1 to be started again.
 */
static void *
watch_main(void *arg)
{
	struct signer *s = arg;
	struct pollfd p = { s->link_fd, 0, 0 };
	sigset_t set;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!atomic_load(&s->watch_stop)) {
		p.revents = 0;
		r = poll(&p, 1, WATCH_TICK_MS);
		if (r < 0 && errno != EINTR) {
			log_warn("signer: watching the signer socket");
			return NULL;
		}
		if (r <= 0 || (p.revents & (POLLHUP | POLLERR | POLLNVAL)) == 0)
			continue;
		if (watch_sleep(s, WATCH_GRACE_MS))
			return NULL;	/* our own shutdown */
		atomic_store(&s->lost, 1);
		log_err("signer: the signer monitor process is gone (the signer "
		    "socket was hung up): nothing can be signed any more, every "
		    "request would get OtherError; stopping, exit status 1, so "
		    "that systemd or the web server starts the responder again");
		pthread_kill(s->watch_notify, SIGTERM);
		if (watch_sleep(s, WATCH_EXIT_MS))
			return NULL;
		log_err("signer: the orderly stop did not end within %d s: "
		    "exiting now", WATCH_EXIT_MS / 1000);
		_exit(1);
	}
	return NULL;
}

int
signer_watch(struct signer *s, pthread_t notify)
{
	if (s == NULL || s->link_fd < 0 || s->watching)
		return 0;
	s->watch_notify = notify;
	atomic_store(&s->watch_stop, 0);
	if ((errno = pthread_create(&s->watch_thread, NULL, watch_main, s)) !=
	    0) {
		log_warn("signer: pthread_create (the signer socket's watcher)");
		return -1;
	}
	s->watching = true;
	return 0;
}

bool
signer_unwatch(struct signer *s)
{
	if (s == NULL)
		return false;
	if (s->watching) {
		atomic_store(&s->watch_stop, 1);
		pthread_join(s->watch_thread, NULL);
		s->watching = false;
	}
	return atomic_load(&s->lost) != 0;
}
