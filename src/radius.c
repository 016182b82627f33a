/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 3 of MS-OTPCE 3.2.5.1: "Validate user name, static password (if
 * available), and one-time password (OTP) ... using PAP over RADIUS".
 * A small PAP client (RFC 2865) that signs every request and requires a
 * signed reply (RFC 3579 3.2; BlastRADIUS, CVE-2024-3596). The packets
 * themselves are built and checked in radius_packet.c.
 *
 * Concurrency: struct radius is read-only after radius_new(). Each call of
 * radius_authenticate() opens its own UDP socket per server and connect()s
 * it, so the kernel delivers only that server's datagrams to it, and the
 * (source port, Identifier) pair of a request is unique while it waits:
 * concurrent workers cannot collide (RFC 5080 2.2.2 keys duplicates on
 * source address, port and Identifier).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "clock.h"
#include "config.h"
#include "dir.h"
#include "log.h"
#include "radius.h"
#include "radius_packet.h"
#include "secret.h"

#define RADIUS_DEFAULT_PORT "1812"	/* RFC 2865 3 */
/* RFC 2865 3: the secret "SHOULD be at least as large and unguessable as a well-chosen password" */
#define RADIUS_SECRET_MIN_ADVISED 16

struct radius_server {
	char *name;			/* host[:port] as configured, for log lines */
	unsigned timeout_ms;		/* timeout_ms= option, else radius_timeout_ms */
	unsigned retries;		/* retries= option, else radius_retries */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	const uint8_t *secret;		/* points into radius->secrets */
	size_t secret_len;
};

struct radius {
	struct radius_server *servers;	/* rank order */
	size_t server_count;		/* 0: step 3 not configured */
	struct secret secrets;		/* radius_secret_file, whole */
	char *nas_identifier;
	uint8_t nas_ip[16];
	size_t nas_ip_len;		/* 0, 4 or 16 */
	enum radius_username_form username_form;
	bool require_ma;
};

/* What one server's exchange came to. */
struct radius_exchange {
	uint8_t code;			/* of the valid reply, 0: none */
	unsigned sent;			/* transmissions */
	unsigned dropped;		/* replies that failed a check */
	unsigned refused;		/* ICMP errors reported by the socket */
};

const char *
radius_strerror(enum radius_result r)
{
	switch (r) {
	case RADIUS_ACCEPT:
		return "Access-Accept";
	case RADIUS_REJECT:
		return "Access-Reject";
	case RADIUS_CHALLENGE:
		return "Access-Challenge";
	case RADIUS_UNREACHABLE:
		return "no valid answer from any RADIUS server";
	case RADIUS_BAD_INPUT:
		return "user name or password unfit for RADIUS";
	case RADIUS_NOT_CONFIGURED:
		return "RADIUS is not configured";
	case RADIUS_ERROR:
		return "RADIUS client failure";
	}
	return "unknown RADIUS result";
}

/*
 * Splits "host", "host:port", "[v6]:port", "[v6]" or a bare IPv6 address
 * (config.c has checked the port) and resolves it once, at start-up.
 * Returns 0 or -1 with a log line.
 */
static int
radius_resolve(const char *spec, struct radius_server *srv)
{
	char host[256];
	const char *port = RADIUS_DEFAULT_PORT, *colon;
	struct addrinfo hints, *res = NULL;
	size_t host_len;
	int rc;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			goto bad;
		host_len = (size_t)(end - spec - 1);
		spec++;
		if (end[1] == ':')
			port = end + 2;
	} else if ((colon = strchr(spec, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		host_len = (size_t)(colon - spec);
		port = colon + 1;
	} else {
		host_len = strlen(spec);	/* a name, IPv4 or bare IPv6 */
	}
	if (host_len == 0 || host_len >= sizeof(host) || port[0] == '\0')
		goto bad;
	memcpy(host, spec, host_len);
	host[host_len] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_err("radius_server '%s': %s", srv->name, gai_strerror(rc));
		return -1;
	}
	if (res->ai_addrlen > sizeof(srv->addr)) {
		freeaddrinfo(res);
		goto bad;
	}
	memcpy(&srv->addr, res->ai_addr, res->ai_addrlen);
	srv->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	log_err("radius_server '%s': not host[:port] or [address]:port",
	    srv->name);
	return -1;
}

/*
 * radius_secret_file holds one line (the secret of every server) or one line
 * per radius_server, in the same order. A trailing "\r" on a line is not part
 * of the secret. Points each server at its secret. Returns 0 or -1.
 */
static int
radius_split_secrets(struct radius *r, const char *path)
{
	uint8_t *p = r->secrets.data, *end = p + r->secrets.len, *nl;
	size_t lines = 1, i;

	for (nl = p; (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL; nl++)
		lines++;
	if (lines != 1 && lines != r->server_count) {
		log_err("radius_secret_file %s: %zu lines, but %zu radius_server: "
		    "give one secret, or one per server in the same order",
		    path, lines, r->server_count);
		return -1;
	}
	for (i = 0; i < lines; i++) {
		size_t len;

		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl ? nl : end) - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0) {
			log_err("radius_secret_file %s: line %zu is empty",
			    path, i + 1);
			return -1;
		}
		if (len < RADIUS_SECRET_MIN_ADVISED)
			log_warnx("radius_secret_file %s: line %zu: a shared "
			    "secret of fewer than %d bytes is weak (RFC 2865 3)",
			    path, i + 1, RADIUS_SECRET_MIN_ADVISED);
		r->servers[i].secret = p;
		r->servers[i].secret_len = len;
		p = nl ? nl + 1 : end;
	}
	for (i = lines; i < r->server_count; i++) {
		r->servers[i].secret = r->servers[0].secret;
		r->servers[i].secret_len = r->servers[0].secret_len;
	}
	return 0;
}

/*
 * The options after host[:port] (config.c has checked them): timeout_ms=N
 * and retries=N for this server alone; the radius_* keys otherwise.
 */
static void
radius_server_options(struct radius_server *srv, const char *item,
    const struct config *cfg)
{
	const char *opt = item + strcspn(item, " \t");

	srv->timeout_ms = cfg->radius_timeout_ms;
	srv->retries = cfg->radius_retries;
	while (*(opt += strspn(opt, " \t")) != '\0') {
		if (strncmp(opt, "timeout_ms=", 11) == 0)
			srv->timeout_ms = (unsigned)strtoul(opt + 11, NULL, 10);
		else if (strncmp(opt, "retries=", 8) == 0)
			srv->retries = (unsigned)strtoul(opt + 8, NULL, 10);
		opt += strcspn(opt, " \t");
	}
}

struct radius *
radius_new(const struct config *cfg)
{
	struct radius *r;
	enum secret_result sr;
	size_t i;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_err("radius: out of memory");
		return NULL;
	}
	r->username_form = cfg->radius_username;
	r->require_ma = cfg->radius_require_message_authenticator;
	if (cfg->radius_server.count == 0) {
		/* docs/configuration.md: steps are configured whole or not at all. */
		log_warnx("step 3: RADIUS is not configured (no radius_server): "
		    "every request reaching it gets OtherError");
		return r;
	}
	if (!r->require_ma)
		log_warnx("radius_require_message_authenticator = no: replies "
		    "without a Message-Authenticator are accepted "
		    "(BlastRADIUS, CVE-2024-3596)");

	if (cfg->radius_nas_identifier != NULL) {
		size_t len = strlen(cfg->radius_nas_identifier);

		if (len == 0 || len > RADIUS_ATTR_VALUE_MAX) {
			log_err("radius_nas_identifier: 1 to %d bytes",
			    RADIUS_ATTR_VALUE_MAX);
			goto fail;
		}
		if ((r->nas_identifier = strdup(cfg->radius_nas_identifier)) ==
		    NULL)
			goto nomem;
	}
	if (cfg->radius_nas_ip != NULL) {
		/* RFC 2865 5.4 NAS-IP-Address; RFC 3162 2.1 NAS-IPv6-Address */
		if (inet_pton(AF_INET, cfg->radius_nas_ip, r->nas_ip) == 1)
			r->nas_ip_len = 4;
		else if (inet_pton(AF_INET6, cfg->radius_nas_ip, r->nas_ip) == 1)
			r->nas_ip_len = 16;
		else {
			log_err("radius_nas_ip: '%s' is not an IPv4 or IPv6 "
			    "address", cfg->radius_nas_ip);
			goto fail;
		}
	}

	r->servers = calloc(cfg->radius_server.count, sizeof(*r->servers));
	if (r->servers == NULL)
		goto nomem;
	r->server_count = cfg->radius_server.count;
	for (i = 0; i < r->server_count; i++) {
		const char *item = cfg->radius_server.items[i];

		r->servers[i].name = strndup(item, strcspn(item, " \t"));
		if (r->servers[i].name == NULL)
			goto nomem;
		radius_server_options(&r->servers[i], item, cfg);
		if (radius_resolve(r->servers[i].name, &r->servers[i]))
			goto fail;
	}

	sr = secret_read_file(cfg->radius_secret_file, &r->secrets);
	if (sr != SECRET_OK) {
		log_err("radius_secret_file %s: %s", cfg->radius_secret_file,
		    secret_strerror(sr));
		goto fail;
	}
	if (radius_split_secrets(r, cfg->radius_secret_file) != 0)
		goto fail;
	return r;
nomem:
	log_err("radius: out of memory");
fail:
	radius_free(r);
	return NULL;
}

void
radius_free(struct radius *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->server_count; i++)
		free(r->servers[i].name);
	free(r->servers);
	secret_free(&r->secrets);
	free(r->nas_identifier);
	free(r);
}

const char *
radius_user_name(const struct radius *r, const char *as_sent,
    const struct dir_user *user)
{
	const char *bs;

	switch (r->username_form) {
	case RADIUS_USERNAME_AS_SENT:
		return as_sent;
	case RADIUS_USERNAME_USER:
		/* The directory's sAMAccountName, else what follows "DOMAIN\". */
		if (user != NULL && user->account != NULL && user->account[0])
			return user->account;
		if (as_sent == NULL)
			return NULL;
		if ((bs = strrchr(as_sent, '\\')) != NULL)
			return bs[1] ? bs + 1 : NULL;
		return strchr(as_sent, '@') ? NULL : as_sent;
	case RADIUS_USERNAME_UPN:
		return user != NULL && user->upn != NULL && user->upn[0] ?
		    user->upn : NULL;
	}
	return NULL;
}

/*
 * Sends pkt to srv up to 1 + retries times, each time waiting timeout_ms for
 * a reply that passes radius_pkt_check_reply(); anything else is dropped and
 * the wait continues to the same deadline. Fills ex. Returns 0 when a valid
 * reply came (ex->code), 1 when none did, -1 on a local failure.
 */
static int
radius_exchange(const struct radius *r, const struct radius_server *srv,
    const uint8_t *pkt, size_t pkt_len, uint8_t id,
    const uint8_t req_auth[RADIUS_AUTH_LEN], struct radius_exchange *ex)
{
	uint8_t reply[RADIUS_PACKET_MAX + 1];
	struct pollfd pfd;
	long long deadline, left;
	enum radius_pkt_result pr;
	unsigned attempt;
	ssize_t n;
	int fd, ret = -1;

	memset(ex, 0, sizeof(*ex));
	fd = socket(srv->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		log_warn("radius %s: socket", srv->name);
		return -1;
	}
	/* Only datagrams from this server's address and port reach fd. */
	if (connect(fd, (const struct sockaddr *)&srv->addr, srv->addr_len)) {
		/* No route to this server, say: the next one may do. */
		log_warn("radius %s: connect", srv->name);
		ret = 1;
		goto cleanup;
	}
	for (attempt = 0; attempt <= srv->retries; attempt++) {
		/* RFC 2865 2.5: a retransmission is the same packet, same Identifier. */
		if (send(fd, pkt, pkt_len, 0) < 0)
			log_debug("radius %s: send: %s", srv->name,
			    strerror(errno));
		else
			ex->sent++;
		deadline = clock_ms() + srv->timeout_ms;
		while ((left = deadline - clock_ms()) > 0) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			n = poll(&pfd, 1, (int)left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				log_warn("radius %s: poll", srv->name);
				goto cleanup;
			}
			if (n == 0)
				break;
			/* MSG_TRUNC: the datagram's real size, to refuse oversize. */
			n = recv(fd, reply, sizeof(reply), MSG_TRUNC);
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				/*
				 * An ICMP error (ECONNREFUSED...) is not
				 * authenticated either: note it, keep waiting.
				 */
				ex->refused++;
				log_debug("radius %s: %s (ignored until the "
				    "timeout)", srv->name, strerror(errno));
				continue;
			}
			if ((size_t)n > RADIUS_PACKET_MAX) {
				ex->dropped++;
				log_debug("radius %s: dropped a %zd-byte datagram "
				    "(RFC 2865 3: at most 4096)", srv->name, n);
				continue;
			}
			pr = radius_pkt_check_reply(reply, (size_t)n, id,
			    req_auth, srv->secret, srv->secret_len,
			    r->require_ma, &ex->code);
			if (pr == RADIUS_PKT_OK) {
				ret = 0;
				goto cleanup;
			}
			if (pr == RADIUS_PKT_CRYPTO) {
				log_err("radius %s: GnuTLS MD5/HMAC-MD5 failed",
				    srv->name);
				goto cleanup;
			}
			ex->dropped++;
			log_debug("radius %s: dropped a reply: %s", srv->name,
			    radius_pkt_strerror(pr));
		}
	}
	ret = 1;
cleanup:
	close(fd);
	secret_wipe(reply, sizeof(reply));
	return ret;
}

enum radius_result
radius_authenticate(const struct radius *r, const char *user_name,
    const uint8_t *password, size_t password_len, struct audit *a)
{
	enum radius_result result = RADIUS_ERROR;
	struct radius_request_attrs attrs;
	struct radius_exchange ex;
	enum radius_pkt_result pr;
	uint8_t pkt[RADIUS_PACKET_MAX];
	uint8_t req_auth[RADIUS_AUTH_LEN];
	size_t pkt_len = 0, i;
	unsigned dropped = 0;
	uint8_t id;
	int rc;

	if (r == NULL || r->server_count == 0) {
		log_err("step 3: RADIUS is not configured (radius_server, "
		    "radius_secret_file)");
		audit_reason(a, "step 3: RADIUS is not configured");
		return RADIUS_NOT_CONFIGURED;
	}
	if (user_name == NULL) {
		log_warnx("step 3: no User-Name to send (radius_username: the "
		    "directory gave no %s)", r->username_form ==
		    RADIUS_USERNAME_UPN ? "userPrincipalName" : "account name");
		audit_reason(a, "step 3: no User-Name for radius_username");
		return RADIUS_BAD_INPUT;
	}
	memset(&attrs, 0, sizeof(attrs));
	attrs.user_name = user_name;
	attrs.password = password;
	attrs.password_len = password_len;
	attrs.nas_identifier = r->nas_identifier;
	attrs.nas_ip = r->nas_ip_len ? r->nas_ip : NULL;
	attrs.nas_ip_len = r->nas_ip_len;

	for (i = 0; i < r->server_count; i++) {
		const struct radius_server *srv = &r->servers[i];

		/*
		 * RFC 2865 3: the Request Authenticator is unpredictable and
		 * unique; the Identifier random, fresh for every server.
		 */
		if (gnutls_rnd(GNUTLS_RND_RANDOM, req_auth, sizeof(req_auth)) ||
		    gnutls_rnd(GNUTLS_RND_NONCE, &id, 1)) {
			log_err("step 3: gnutls_rnd failed");
			audit_reason(a, "step 3: no random numbers");
			goto cleanup;
		}
		pr = radius_pkt_access_request(pkt, &pkt_len, id, req_auth,
		    srv->secret, srv->secret_len, &attrs);
		if (pr == RADIUS_PKT_BAD_NAME || pr == RADIUS_PKT_BAD_PASSWORD) {
			/* Style 7: truncation means rejection. */
			log_warnx("step 3: not sent: %s", radius_pkt_strerror(pr));
			audit_reason(a, "step 3: %s", radius_pkt_strerror(pr));
			result = RADIUS_BAD_INPUT;
			goto cleanup;
		}
		if (pr != RADIUS_PKT_OK) {
			log_err("step 3: cannot build the Access-Request: %s",
			    radius_pkt_strerror(pr));
			audit_reason(a, "step 3: %s", radius_pkt_strerror(pr));
			goto cleanup;
		}

		rc = radius_exchange(r, srv, pkt, pkt_len, id, req_auth, &ex);
		secret_wipe(pkt, pkt_len);
		dropped += ex.dropped;
		if (rc < 0) {
			audit_reason(a, "step 3: local failure asking %s",
			    srv->name);
			goto cleanup;
		}
		if (rc == 0) {
			log_debug("step 3: %s from %s (%u sent, %u dropped)",
			    ex.code == RADIUS_CODE_ACCESS_ACCEPT ? "Access-Accept" :
			    ex.code == RADIUS_CODE_ACCESS_REJECT ? "Access-Reject" :
			    "Access-Challenge", srv->name, ex.sent, ex.dropped);
			/* MS-OTPCE 3.2.5.1 step 3 */
			switch (ex.code) {
			case RADIUS_CODE_ACCESS_ACCEPT:
				result = RADIUS_ACCEPT;
				break;
			case RADIUS_CODE_ACCESS_REJECT:
				audit_reason(a, "step 3: Access-Reject from %s",
				    srv->name);
				result = RADIUS_REJECT;
				break;
			default:
				/* This protocol cannot carry State back: no second round. */
				audit_reason(a, "step 3: Access-Challenge from %s",
				    srv->name);
				result = RADIUS_CHALLENGE;
				break;
			}
			goto cleanup;
		}
		log_warnx("step 3: no valid answer from RADIUS server %s "
		    "(%u sent, %u replies dropped, %u ICMP errors)", srv->name,
		    ex.sent, ex.dropped, ex.refused);
	}
	audit_reason(a, "step 3: no valid answer from %zu RADIUS server%s "
	    "(%u replies dropped)", r->server_count,
	    r->server_count == 1 ? "" : "s", dropped);
	result = RADIUS_UNREACHABLE;
cleanup:
	secret_wipe(pkt, sizeof(pkt));
	secret_wipe(req_auth, sizeof(req_auth));
	return result;
}

size_t
radius_server_count(const struct radius *r)
{
	return r == NULL ? 0 : r->server_count;
}

const char *
radius_server_name(const struct radius *r, size_t i)
{
	return i < radius_server_count(r) ? r->servers[i].name : NULL;
}

enum radius_result
radius_probe(const struct radius *r, size_t i, const char *user_name,
    const uint8_t *password, size_t password_len)
{
	struct radius one;
	struct audit a;

	if (i >= radius_server_count(r))
		return RADIUS_NOT_CONFIGURED;
	/* The same client, with server i alone in its list. */
	one = *r;
	one.servers = &r->servers[i];
	one.server_count = 1;
	memset(&a, 0, sizeof(a));
	return radius_authenticate(&one, user_name, password, password_len, &a);
}
