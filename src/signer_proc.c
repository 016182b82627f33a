/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The signer process (issue 11; docs/design.md, "Processes"), in the shape
 * of OpenSMTPD's `ca` process and ocserv's sec-mod: the only process that
 * loads the signing key (file, PKCS#12 or pkcs11:), and the only one that
 * signs. It never sees a request: it answers the few messages of
 * include/signer_msg.h on one socketpair.
 *
 *   serving process (the one started; holds the FastCGI socket)
 *     └─ signer monitor: no key, no input; restarts the signer
 *          └─ signer: the key; its own, narrower seccomp filter
 *
 * The serving process forks the monitor before it reads any secret or
 * opens the FastCGI socket. The monitor drops privileges and forks the
 * signer, and forks a new one whenever it dies. The socketpair's signer end
 * stays with the monitor, so a new signer takes over the same channel: the
 * serving process never has to be told. Both die with the serving process
 * (PR_SET_PDEATHSIG; the signer also reads end-of-file).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "config.h"
#include "log.h"
#include "sandbox.h"
#include "signer.h"
#include "signer_internal.h"
#include "signer_msg.h"
#include "signer_proc.h"

/* Exit status of a signer that could not load a usable pair. */
#define SIGNER_EXIT_UNUSABLE	3
/* Where the monitor keeps the signer's end of the socketpair. */
#define SIGNER_LINK_FD		3

static volatile sig_atomic_t signer_proc_stop;
static struct signer *signer_proc_signer;	/* for the SIGHUP handler */

/* --- the signer ---------------------------------------------------------- */

static void
signer_proc_on_hup(int sig)
{
	(void)sig;
	signer_request_reload(signer_proc_signer);	/* async-signal-safe */
}

static void
signer_proc_reply(int fd, const struct signer_msg_hdr *req, uint32_t type,
    uint32_t status, uint64_t generation, const void *p, size_t len)
{
	struct signer_msg_hdr h = { type, status, req->id, generation,
	    (uint32_t)len, 0 };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)(uintptr_t)p, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	/* The serving process may be gone: nothing to do about it here. */
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 && errno != EPIPE)
		log_warn("signer: cannot answer the serving process");
}

/*
 * The DER of the two signed attributes cmc.c builds (RFC 5652 5.3, 11.1,
 * 11.2), for a digest of hash_len bytes: SET { contentType id-cct-PKIData,
 * messageDigest OCTET STRING } in DER order. The signer signs nothing else:
 * not a certificate, not a CRL, not arbitrary bytes.
 */
static bool
signer_proc_data_ok(const uint8_t *d, size_t len, unsigned hash_len)
{
	static const uint8_t content_type[] = {
		/* Attribute { id-contentType, SET { id-cct-PKIData } } */
		0x30, 0x17, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
		0x09, 0x03, 0x31, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05,
		0x07, 0x0c, 0x02,
	};
	static const uint8_t md_oid[] = {
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04,
	};
	uint8_t want[2 + sizeof(content_type) + 2 + sizeof(md_oid) + 4];
	size_t o = 0;

	if (hash_len == 0 || hash_len > 64)
		return false;
	want[o++] = 0x31;
	want[o++] = (uint8_t)(sizeof(content_type) + 2 + sizeof(md_oid) + 4 +
	    hash_len);
	memcpy(want + o, content_type, sizeof(content_type));
	o += sizeof(content_type);
	want[o++] = 0x30;
	want[o++] = (uint8_t)(sizeof(md_oid) + 4 + hash_len);
	memcpy(want + o, md_oid, sizeof(md_oid));
	o += sizeof(md_oid);
	want[o++] = 0x31;
	want[o++] = (uint8_t)(2 + hash_len);
	want[o++] = 0x04;
	want[o++] = (uint8_t)hash_len;
	return len == o + hash_len && memcmp(d, want, o) == 0;
}

/* SNAPSHOT: the public half of c. */
static void
signer_proc_send_snapshot(int fd, const struct signer_msg_hdr *req,
    const struct signer_cert *c)
{
	struct signer_msg_snapshot m;
	uint8_t *buf;
	size_t len = sizeof(m), i;
	uint32_t cl;

	for (i = 0; i < c->der_count; i++)
		len += sizeof(cl) + c->der[i].size;
	if (len > SIGNER_MSG_MAX - sizeof(struct signer_msg_hdr) ||
	    (buf = malloc(len)) == NULL) {
		log_err("signer: the certificates (%zu bytes) do not fit in one "
		    "message of at most %d bytes", len, SIGNER_MSG_MAX);
		signer_proc_reply(fd, req, SIGNER_MSG_ERROR, SIGNER_MSG_ST_FAILED,
		    0, NULL, 0);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.digest = (int32_t)c->digest;
	m.cert_count = (uint32_t)c->der_count;
	m.not_before = (int64_t)c->not_before;
	m.not_after = (int64_t)c->not_after;
	snprintf(m.sig_oid, sizeof(m.sig_oid), "%s", c->sig_oid);
	snprintf(m.serial, sizeof(m.serial), "%s", c->serial);
	memcpy(buf, &m, sizeof(m));
	len = sizeof(m);
	for (i = 0; i < c->der_count; i++) {
		cl = c->der[i].size;
		memcpy(buf + len, &cl, sizeof(cl));
		memcpy(buf + len + sizeof(cl), c->der[i].data, cl);
		len += sizeof(cl) + cl;
	}
	signer_proc_reply(fd, req, SIGNER_MSG_SNAPSHOT, 0, c->generation, buf,
	    len);
	free(buf);
}

static uint32_t
signer_proc_status(enum signer_result r)
{
	return r == SIGNER_NO_VALID_CERT ? SIGNER_MSG_ST_NO_VALID_CERT :
	    SIGNER_MSG_ST_FAILED;
}

/* One request of n bytes in buf (n may exceed cap: MSG_TRUNC). */
static void
signer_proc_handle(struct signer *s, int fd, const uint8_t *buf, size_t n,
    size_t cap)
{
	struct signer_msg_hdr h;
	struct signer_cert *c = NULL;
	const uint8_t *data = buf + sizeof(h);
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	enum signer_result r;

	if (n < sizeof(h)) {
		log_err("signer: a %zu-byte message: refused", n);
		return;
	}
	memcpy(&h, buf, sizeof(h));
	if (n > cap || h.len != n - sizeof(h) || h.reserved != 0 ||
	    (h.type == SIGNER_MSG_GET && (h.len != 0 ||
	    (h.flags & ~SIGNER_MSG_F_RELOAD) != 0)) ||
	    (h.type == SIGNER_MSG_SIGN && (h.len == 0 || h.flags != 0)) ||
	    (h.type != SIGNER_MSG_GET && h.type != SIGNER_MSG_SIGN)) {
		log_err("signer: a malformed request (type %u, %zu bytes): "
		    "refused", h.type, n);
		signer_proc_reply(fd, &h, SIGNER_MSG_ERROR,
		    SIGNER_MSG_ST_BAD_REQUEST, 0, NULL, 0);
		return;
	}
	if (h.type == SIGNER_MSG_GET && (h.flags & SIGNER_MSG_F_RELOAD))
		signer_request_reload(s);
	if ((r = signer_acquire(s, &c)) != SIGNER_OK) {
		signer_proc_reply(fd, &h, SIGNER_MSG_ERROR, signer_proc_status(r),
		    0, NULL, 0);
		return;
	}
	if (h.type == SIGNER_MSG_GET) {
		signer_proc_send_snapshot(fd, &h, c);
	} else if (h.generation != c->generation) {
		/* Never an old certificate with a new key: the caller rebuilds. */
		signer_proc_reply(fd, &h, SIGNER_MSG_ERROR, SIGNER_MSG_ST_STALE,
		    c->generation, NULL, 0);
	} else if (!signer_proc_data_ok(data, h.len,
	    gnutls_hash_get_len(c->digest))) {
		log_err("signer: refused to sign %u bytes that are not the "
		    "signed attributes of a SignedCertRequest", h.len);
		signer_proc_reply(fd, &h, SIGNER_MSG_ERROR,
		    SIGNER_MSG_ST_BAD_REQUEST, 0, NULL, 0);
	} else if ((r = signer_sign(c, data, h.len, &sig, &sig_len)) !=
	    SIGNER_OK) {
		signer_proc_reply(fd, &h, SIGNER_MSG_ERROR, signer_proc_status(r),
		    0, NULL, 0);
	} else {
		signer_proc_reply(fd, &h, SIGNER_MSG_SIGNATURE, 0, c->generation,
		    sig, sig_len);
	}
	free(sig);
	signer_release(s, c);
}

/*
 * The signer's life: load the pair, lock down, answer until the serving
 * process closes its end. Returns the exit status.
 */
static int
signer_proc_main(const struct config *cfg, int fd, pid_t serving)
{
	const size_t cap = sizeof(struct signer_msg_hdr) + SIGNER_SIGN_DATA_MAX;
	struct sigaction sa;
	struct ucred peer;
	socklen_t peer_len = sizeof(peer);
	uint8_t *buf = NULL;
	ssize_t n;
	int ret = 1;

	prctl(PR_SET_NAME, "otpcep-signer", 0, 0, 0);
	/*
	 * By construction the only peer is the serving process: the
	 * socketpair was made by it, before anything else could hold it.
	 * Checked all the same (SO_PEERCRED: the creator of the other end).
	 */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) != 0 ||
	    peer.pid != serving) {
		log_err("signer: the peer of the signer socket is not the "
		    "serving process (pid %ld); not signing", (long)serving);
		return 1;
	}
	if ((signer_proc_signer = signer_new(cfg)) == NULL)
		return SIGNER_EXIT_UNUSABLE;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signer_proc_on_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	if ((buf = malloc(cap)) == NULL ||
	    sandbox_enter(signer_is_pkcs11(cfg->signing_key) ?
	    SANDBOX_SIGNER_PKCS11 : SANDBOX_SIGNER) != 0)
		goto cleanup;
	log_info("signer: ready (pid %ld), signing certificate serial %s",
	    (long)getpid(), signer_proc_signer->cur->serial);
	for (;;) {
		n = recv(fd, buf, cap, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("signer: reading a request");
			goto cleanup;
		}
		if (n == 0)
			break;	/* the serving process is gone */
		signer_proc_handle(signer_proc_signer, fd, buf, (size_t)n, cap);
	}
	ret = 0;
cleanup:
	free(buf);
	signer_free(signer_proc_signer);
	signer_proc_signer = NULL;
	return ret;
}

/* --- the monitor --------------------------------------------------------- */

static void
signer_proc_on_term(int sig)
{
	signer_proc_stop = sig;
}

/* "exited with status 3", "killed by signal 31 (SIGSYS: ...)" */
static void
signer_proc_describe(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		snprintf(buf, len, "was killed by SIGSYS: a system call outside "
		    "its seccomp filter (docs/design.md, \"The sandbox\")");
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "ended (status %#x)", st);
}

static void
signer_proc_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (!signer_proc_stop && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * Forks the signer, and again whenever it dies (after a pause that grows
 * while it keeps dying young, up to 5 s). Never returns.
 */
static void __attribute__((noreturn))
signer_proc_monitor(const struct config *cfg, int fd, pid_t serving)
{
	struct sigaction sa;
	struct timespec t0, t1;
	char what[160];
	bool first = true;
	long pause_ms = 0;
	pid_t pid;
	int st;

	prctl(PR_SET_NAME, "otpcep-monitor", 0, 0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signer_proc_on_term;	/* no SA_RESTART: waitpid returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if ((pid = fork()) < 0) {
			log_warn("signer: fork");
			signer_proc_sleep_ms(1000);
			if (signer_proc_stop)
				_exit(0);
			continue;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			if (getppid() == 1)
				_exit(0);
			_exit(signer_proc_main(cfg, fd, serving));
		}
		if (!first)
			log_info("signer: restarted (pid %ld)", (long)pid);
		while (waitpid(pid, &st, 0) != pid) {
			if (errno != EINTR)
				_exit(1);
			if (signer_proc_stop)
				kill(pid, SIGTERM);
		}
		if (signer_proc_stop || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
			_exit(0);
		if (first && WIFEXITED(st) && WEXITSTATUS(st) ==
		    SIGNER_EXIT_UNUSABLE)
			_exit(1);	/* the serving process reads end-of-file */
		first = false;
		signer_proc_describe(st, what, sizeof(what));
		log_err("signer: the signer process (pid %ld) %s; starting a new "
		    "one (requests meanwhile get OtherError)", (long)pid, what);
		if (getppid() != serving)
			_exit(0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec < 2)
			pause_ms = pause_ms == 0 ? 100 : pause_ms * 2 > 5000 ?
			    5000 : pause_ms * 2;
		else
			pause_ms = 0;
		signer_proc_sleep_ms(pause_ms);
		if (signer_proc_stop)
			_exit(0);
	}
}

/*
 * In the new monitor: nothing of the serving process's descriptors but the
 * signer end of the socketpair (now SIGNER_LINK_FD) and stderr; stdin and
 * stdout (the FastCGI socket or a CGI response) become /dev/null. Returns 0
 * or -1.
 */
static int
signer_proc_detach(int fd)
{
	int null_fd;

	/* glibc's syslog descriptor is closed below: let it reconnect. */
	closelog();
	if ((null_fd = open("/dev/null", O_RDWR)) < 0 ||
	    dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0)
		return -1;
	if (fd != SIGNER_LINK_FD && dup2(fd, SIGNER_LINK_FD) < 0)
		return -1;
	return close_range(SIGNER_LINK_FD + 1, ~0U, 0) == 0 ? 0 : -1;
}

int
signer_proc_start(const struct config *cfg)
{
	pid_t serving = getpid(), pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("signer: socketpair");
		return -1;
	}
	if ((pid = fork()) < 0) {
		log_warn("signer: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* The monitor: dies with the serving process. */
		prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		if (getppid() != serving)
			_exit(0);
		close(sv[0]);
		if (signer_proc_detach(sv[1]) != 0) {
			log_warn("signer: setting up the monitor");
			_exit(1);
		}
		/* The serving process warns about root without `user`. */
		if ((cfg->user != NULL && sandbox_drop_privileges(cfg) != 0) ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
			_exit(1);
		signer_proc_monitor(cfg, SIGNER_LINK_FD, serving);
	}
	close(sv[1]);
	return sv[0];
}
