/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The FastCGI listening socket (issue 11, "Listening"). The responder trusts
 * HTTPS and SSL_CLIENT_VERIFY as its FastCGI peer sends them, so whoever can
 * connect can claim a verified client certificate:
 *   - a TCP socket on anything but loopback needs fastcgi_allowed_clients,
 *     and a connection from any other address is closed unread;
 *   - loopback TCP is allowed with a warning (any local user can connect);
 *   - a Unix socket (mode 0660, the web server's group) is the safe choice.
 *     A live socket of another process is never replaced, a path that is not
 *     a socket is never deleted, only a stale socket is replaced, and only
 *     our own socket is removed at exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "front_listen.h"
#include "log.h"

#define SD_LISTEN_FDS_START 3

/* `listen` resolved: a Unix path, or the TCP address to bind. */
struct front_addr {
	bool is_unix;
	const char *path;
	struct sockaddr_storage ss;
	socklen_t len;
};

static bool
front_listen_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *b = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
	}
	return false;
}

/*
 * Parses `listen`: unix:PATH, HOST:PORT, [V6]:PORT or :PORT (all IPv4
 * addresses, as libfcgi read it). Returns 0, or -1 after logging.
 */
static int
front_listen_parse(const char *listen, struct front_addr *a)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *port, *h = listen;
	size_t hl;
	int rc;

	memset(a, 0, sizeof(*a));
	if (strncmp(listen, "unix:", 5) == 0) {
		a->is_unix = true;
		a->path = listen + 5;
		if (a->path[0] == '\0' ||
		    strlen(a->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			log_err("listen: '%s': a Unix socket path of 1 to %zu bytes "
			    "is needed", listen,
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			return -1;
		}
		return 0;
	}
	if (h[0] == '[') {
		const char *end = strchr(h, ']');

		if (end == NULL || end[1] != ':') {
			log_err("listen: '%s' is not [IPv6]:PORT", listen);
			return -1;
		}
		h++;
		hl = (size_t)(end - h);
		port = end + 2;
	} else {
		const char *colon = strrchr(h, ':');

		if (colon == NULL) {
			log_err("listen: '%s' is not unix:PATH or HOST:PORT", listen);
			return -1;
		}
		hl = (size_t)(colon - h);
		port = colon + 1;
	}
	if (hl >= sizeof(host)) {
		log_err("listen: host name in '%s' is too long", listen);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if (hl == 0 || strcmp(host, "*") == 0)
		hints.ai_family = AF_INET;	/* :PORT, every IPv4 address */
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port) ||
	    atol(port) < 1 || atol(port) > 65535) {
		log_err("listen: '%s': the port must be 1 to 65535", listen);
		return -1;
	}
	rc = getaddrinfo(hl == 0 || strcmp(host, "*") == 0 ? NULL : host, port,
	    &hints, &res);
	if (rc != 0 || res == NULL) {
		log_err("listen: '%s': %s", listen, gai_strerror(rc));
		return -1;
	}
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Parses fastcgi_allowed_clients into l (addresses, by spaces or commas). */
static int
front_listen_parse_allowed(const struct config *cfg, struct front_listener *l)
{
	size_t i, n = 0;
	int ret = 0;

	for (i = 0; i < cfg->fastcgi_allowed_clients.count; i++) {
		char *copy = strdup(cfg->fastcgi_allowed_clients.items[i]);
		char *save = NULL, *tok;

		if (copy == NULL)
			return -1;
		for (tok = strtok_r(copy, " ,\t", &save); tok != NULL;
		    tok = strtok_r(NULL, " ,\t", &save)) {
			struct sockaddr_storage ss;
			struct sockaddr_storage *grown;

			memset(&ss, 0, sizeof(ss));
			if (inet_pton(AF_INET, tok,
			    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
				ss.ss_family = AF_INET;
			} else if (inet_pton(AF_INET6, tok,
			    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
				ss.ss_family = AF_INET6;
			} else {
				log_err("fastcgi_allowed_clients: '%s' is not an "
				    "IPv4 or IPv6 address", tok);
				ret = -1;
				continue;
			}
			grown = realloc(l->allowed, (n + 1) * sizeof(*grown));
			if (grown == NULL) {
				free(copy);
				return -1;
			}
			l->allowed = grown;
			l->allowed[n++] = ss;
			l->n_allowed = n;
		}
		free(copy);
	}
	return ret;
}

/*
 * The TCP rules on a bound address. Returns 0 (after a warning for
 * loopback), or -1 after logging why the socket is refused.
 */
static int
front_listen_tcp_rules(const struct front_listener *l,
    const struct sockaddr *sa, const char *what)
{
	if (l->n_allowed > 0)
		return 0;
	if (!front_listen_is_loopback(sa)) {
		log_err("%s: a TCP socket on an address other than loopback needs "
		    "fastcgi_allowed_clients (the web servers' addresses): whoever "
		    "connects can claim HTTPS and a verified client certificate. "
		    "Use a Unix socket, or list the web servers", what);
		return -1;
	}
	log_warnx("%s: FastCGI over loopback TCP: any local user can connect "
	    "and claim HTTPS and a verified client certificate; a Unix socket "
	    "(mode 0660, the web server's group) is safer", what);
	return 0;
}

/*
 * What is at a Unix socket path now. Returns 0 when nothing is there or a
 * stale socket is (*stale set), 1 when another process listens on it, -1
 * when the path is not a socket or cannot be examined (logged).
 */
static int
front_listen_unix_state(const char *path, bool *stale)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	*stale = false;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		log_warn("listen: %s", path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_err("listen: %s exists and is not a socket; it is left alone "
		    "(remove it or choose another path)", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		log_warn("listen: socket");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0)
		return 1;
	if (errno == ECONNREFUSED) {
		*stale = true;
		return 0;
	}
	log_warn("listen: cannot tell whether %s is in use", path);
	return -1;
}

unsigned
front_listen_check(const struct config *cfg)
{
	struct front_listener l;
	struct front_addr a;
	unsigned errors = 0;
	bool stale;
	int st;

	memset(&l, 0, sizeof(l));
	if (front_listen_parse_allowed(cfg, &l) != 0)
		errors++;
	if (cfg->listen == NULL)
		goto done;
	if (front_listen_parse(cfg->listen, &a) != 0) {
		errors++;
		goto done;
	}
	if (!a.is_unix) {
		if (front_listen_tcp_rules(&l, (struct sockaddr *)&a.ss,
		    "listen") != 0)
			errors++;
		goto done;
	}
	if (l.n_allowed > 0)
		log_warnx("fastcgi_allowed_clients: ignored for the Unix socket "
		    "%s (its mode and group decide who connects)", a.path);
	st = front_listen_unix_state(a.path, &stale);
	if (st < 0)
		errors++;
	else if (st == 1)
		log_warnx("listen: another process listens on %s now (a running "
		    "otpcep?); start-up will refuse it while it does", a.path);
done:
	free(l.allowed);
	return errors;
}

/* Our own Unix socket: the rules above, bind, mode 0660. */
static int
front_listen_unix(const struct config *cfg, const struct front_addr *a,
    struct front_listener *l)
{
	struct sockaddr_un sun;
	struct stat st;
	bool stale;
	int rc;

	rc = front_listen_unix_state(a->path, &stale);
	if (rc == 1) {
		log_err("listen: %s: address in use (another process listens on "
		    "it; it is not replaced)", a->path);
		return -1;
	}
	if (rc < 0)
		return -1;
	if (stale) {
		log_info("listen: replacing the stale socket %s", a->path);
		if (unlink(a->path) != 0 && errno != ENOENT) {
			log_warn("listen: unlink %s", a->path);
			return -1;
		}
	}
	if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		log_warn("listen: socket");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, a->path, strlen(a->path));
	if (bind(l->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		log_warn("listen: bind %s", a->path);
		return -1;
	}
	if ((l->unix_path = strdup(a->path)) == NULL)
		return -1;
	if (lstat(a->path, &st) == 0) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	/* The web server's group must reach it (docs/deployment.md). */
	if (chmod(a->path, 0660) != 0)
		log_warn("listen: chmod %s", a->path);
	if (listen(l->fd, (int)cfg->listen_backlog) != 0) {
		log_warn("listen: listen %s", a->path);
		return -1;
	}
	return 0;
}

static int
front_listen_tcp(const struct config *cfg, const struct front_addr *a,
    struct front_listener *l)
{
	int one = 1;

	if (front_listen_tcp_rules(l, (const struct sockaddr *)&a->ss,
	    "listen") != 0)
		return -1;
	l->tcp = true;
	if ((l->fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		log_warn("listen: socket");
		return -1;
	}
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l->fd, (const struct sockaddr *)&a->ss, a->len) != 0 ||
	    listen(l->fd, (int)cfg->listen_backlog) != 0) {
		log_warn("listen: %s", cfg->listen);
		return -1;
	}
	return 0;
}

/* An inherited socket: a TCP one obeys the same rules as our own. */
static int
front_listen_inherited(struct front_listener *l, int fd, const char *from)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	l->fd = fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		log_warn("FastCGI: getsockname on the socket from %s", from);
		return -1;
	}
	if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
		l->tcp = true;
		if (front_listen_tcp_rules(l, (struct sockaddr *)&ss, from) != 0)
			return -1;
	}
	log_info("FastCGI: serving the socket from %s", from);
	return 0;
}

int
front_listen_open(const struct config *cfg, struct front_listener *l)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	struct front_addr a;
	struct stat st;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (front_listen_parse_allowed(cfg, l) != 0)
		return -1;
	if (cfg->listen != NULL) {
		l->own = true;
		if (front_listen_parse(cfg->listen, &a) != 0 ||
		    (a.is_unix ? front_listen_unix(cfg, &a, l) :
		    front_listen_tcp(cfg, &a, l)) != 0)
			return -1;
		log_info("FastCGI: listening on %s (backlog %u)", cfg->listen,
		    cfg->listen_backlog);
		return 0;
	}
	/* systemd socket activation (sd_listen_fds(3)): one socket, fd 3. */
	if (fds != NULL && pid != NULL && atol(pid) == (long)getpid()) {
		if (strcmp(fds, "1") != 0) {
			log_err("FastCGI: systemd passed %s sockets; one is expected",
			    fds);
			return -1;
		}
		return front_listen_inherited(l, SD_LISTEN_FDS_START, "systemd");
	}
	if (fstat(0, &st) == 0 && S_ISSOCK(st.st_mode))
		return front_listen_inherited(l, 0, "file descriptor 0");
	log_err("FastCGI: no socket. Set `listen`, or start otpcep from the web "
	    "server, spawn-fcgi or a systemd socket unit (for one CGI request, set "
	    "REQUEST_METHOD; for a stored one, use --replay)");
	return -1;
}

void
front_listen_unlink(struct front_listener *l)
{
	struct stat st;

	if (l->unix_path == NULL)
		return;
	/* Only our own: another process may have replaced a stale one. */
	if (lstat(l->unix_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->unix_path);
	free(l->unix_path);
	l->unix_path = NULL;
}

void
front_listen_close(struct front_listener *l)
{
	front_listen_unlink(l);
	/* An inherited socket stays theirs (systemd, the web server): only closed. */
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->allowed);
	l->allowed = NULL;
	l->n_allowed = 0;
}

/* Whether two addresses are the same host (IPv4-mapped IPv6 = IPv4). */
static bool
front_listen_same_host(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	struct in_addr a4;

	if (a->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)a)->sin6_addr;

		if (b->ss_family == AF_INET6)
			return memcmp(a6,
			    &((const struct sockaddr_in6 *)b)->sin6_addr,
			    sizeof(*a6)) == 0;
		if (!IN6_IS_ADDR_V4MAPPED(a6))
			return false;
		memcpy(&a4, a6->s6_addr + 12, sizeof(a4));
	} else if (a->sa_family == AF_INET) {
		a4 = ((const struct sockaddr_in *)a)->sin_addr;
	} else {
		return false;
	}
	return b->ss_family == AF_INET &&
	    a4.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

bool
front_listen_allowed(const struct front_listener *l,
    const struct sockaddr *peer, socklen_t peer_len)
{
	size_t i;

	if (!l->tcp || l->n_allowed == 0)
		return true;	/* Unix socket, or loopback only (checked at start) */
	if (peer_len < sizeof(struct sockaddr_in))
		return false;
	for (i = 0; i < l->n_allowed; i++)
		if (front_listen_same_host(peer, &l->allowed[i]))
			return true;
	return false;
}

const char *
front_listen_peer_name(const struct sockaddr *peer, socklen_t peer_len,
    char *buf, size_t buf_len)
{
	char host[INET6_ADDRSTRLEN], port[8];

	if (peer->sa_family != AF_INET && peer->sa_family != AF_INET6)
		return "unix";
	if (getnameinfo(peer, peer_len, host, sizeof(host), port, sizeof(port),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return "?";
	snprintf(buf, buf_len, "%s port %s", host, port);
	return buf;
}
