/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The file stage of the configuration: what the keys name must exist, be
 * readable regular files, and, for secrets and the signing key, be safe
 * (issue 11): owned by root or the service user, mode at most 0640 (no write
 * for the group, nothing for others; as OpenSMTPD and ocserv refuse looser
 * key files). The configuration file itself must not be writable by group or
 * others: whoever can change it can point signing at a key of theirs or the
 * directory at a server of theirs. Every problem is reported, each as
 * "file:line: key path: what", with the system's reason, and the message
 * says what to run.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/* Files whose content is a secret, and the signing key (a file or PKCS#12). */
static const char *const secret_keys[] = {
	"signing_key", "ldap_password_file", "radius_secret_file",
	"signing_key_password_file", "probe_password_file", "enroll_keytab",
};

struct files_state {
	const struct config *cfg;
	unsigned problems;
};

static void
files_problem(struct files_state *fs, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
files_problem(struct files_state *fs, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_vreport(fs->cfg->path, line, fmt, ap);
	va_end(ap);
	fs->problems++;
}

static const char *
user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *p = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &p) == 0 && p != NULL)
		snprintf(buf, len, "%s", p->pw_name);
	else
		snprintf(buf, len, "%lu", (unsigned long)uid);
	return buf;
}

static const char *
group_name(gid_t gid, char *buf, size_t len)
{
	struct group gr, *g = NULL;
	char tmp[1024];

	if (getgrgid_r(gid, &gr, tmp, sizeof(tmp), &g) == 0 && g != NULL)
		snprintf(buf, len, "%s", g->gr_name);
	else
		snprintf(buf, len, "%lu", (unsigned long)gid);
	return buf;
}

/* The service user: `user`, else whoever runs otpcep. */
static uid_t
service_uid(const struct config *cfg)
{
	return cfg->user != NULL ? cfg->uid : geteuid();
}

static gid_t
service_gid(const struct config *cfg)
{
	return cfg->user != NULL ? cfg->gid : getegid();
}

/*
 * Opens path the way its reader will and checks it is a regular file.
 * Returns 0 and *st filled, or -1 after reporting the problem.
 */
static int
files_open(struct files_state *fs, unsigned line, const char *key,
    const char *path, bool nofollow, struct stat *st)
{
	int fd, flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

	if (nofollow)
		flags |= O_NOFOLLOW;
	if ((fd = open(path, flags)) < 0) {
		files_problem(fs, line, "%s %s: %s%s", key, path, strerror(errno),
		    errno == ELOOP && nofollow ? " (a symbolic link: name the file "
		    "itself)" : "");
		return -1;
	}
	if (fstat(fd, st) != 0) {
		files_problem(fs, line, "%s %s: %s", key, path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st->st_mode)) {
		files_problem(fs, line, "%s %s: not a regular file", key, path);
		return -1;
	}
	return 0;
}

/*
 * Issue 11: a secret or the signing key is refused unless owned by root or
 * the service user and of mode at most 0640.
 */
static void
files_secret(struct files_state *fs, const char *key, const char *path)
{
	const struct config *cfg = fs->cfg;
	unsigned line = config_line(cfg, key);
	char owner[64], group[64], svc_user[64], svc_group[64];
	struct stat st;
	bool owner_ok, mode_ok;

	/* A PKCS#11 URI names a key in a token, not a file (RFC 7512). */
	if (strncmp(path, "pkcs11:", 7) == 0)
		return;
	/* Secrets are read with O_NOFOLLOW (src/secret.c); the key may be a link. */
	if (files_open(fs, line, key, path, strcmp(key, "signing_key") != 0,
	    &st) != 0)
		return;
	owner_ok = st.st_uid == 0 || st.st_uid == service_uid(cfg);
	mode_ok = (st.st_mode & 0137) == 0;
	if (owner_ok && mode_ok)
		return;
	user_name(st.st_uid, owner, sizeof(owner));
	group_name(st.st_gid, group, sizeof(group));
	user_name(service_uid(cfg), svc_user, sizeof(svc_user));
	group_name(service_gid(cfg), svc_group, sizeof(svc_group));
	files_problem(fs, line, "%s %s: insecure: mode %04o, owner %s:%s; it must "
	    "be at most 0640%s and owned by root%s%s: run chmod 0640 %s; chown "
	    "root:%s %s", key, path, (unsigned)(st.st_mode & 07777), owner, group,
	    strcmp(key, "signing_key") == 0 ? " (0600 recommended for a key)" : "",
	    service_uid(cfg) != 0 ? " or " : "",
	    service_uid(cfg) != 0 ? svc_user : "", path, svc_group, path);
}

/* A file that is read but not secret: it must be there and readable. */
static void
files_plain(struct files_state *fs, const char *key, const char *path)
{
	struct stat st;

	if (path != NULL)
		(void)files_open(fs, config_line(fs->cfg, key), key, path, false, &st);
}

/* The configuration file: not writable by group or others. */
static void
files_config(struct files_state *fs)
{
	const char *path = fs->cfg->path;
	char owner[64], group[64];
	struct stat st;

	if (stat(path, &st) != 0) {
		files_problem(fs, 0, "%s", strerror(errno));
		return;
	}
	if ((st.st_mode & 022) == 0)
		return;
	files_problem(fs, 0, "insecure: the configuration file is writable by "
	    "%s (mode %04o, owner %s:%s): run chmod go-w %s",
	    (st.st_mode & 022) == 022 ? "group and others" :
	    (st.st_mode & 020) ? "its group" : "others",
	    (unsigned)(st.st_mode & 07777), user_name(st.st_uid, owner,
	    sizeof(owner)), group_name(st.st_gid, group, sizeof(group)), path);
}

/* Resolves host (no port check: config.c did that). */
static void
files_resolve(struct files_state *fs, unsigned line, const char *key,
    const char *host, size_t host_len)
{
	struct addrinfo hints, *res = NULL;
	char name[300];
	int e;

	if (host_len == 0 || host_len >= sizeof(name))
		return;
	if (host[0] == '[' && host_len >= 2 && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	}
	memcpy(name, host, host_len);
	name[host_len] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if ((e = getaddrinfo(name, NULL, &hints, &res)) != 0) {
		files_problem(fs, line, "%s: cannot resolve '%s': %s", key, name,
		    e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
		return;
	}
	freeaddrinfo(res);
}

/* host[:port] or [v6]:port or a bare IPv6 address: the host's length. */
static size_t
host_len_of(const char *s, size_t len)
{
	const char *colon;

	if (s[0] == '[') {
		const char *end = memchr(s, ']', len);

		return end ? (size_t)(end - s) + 1 : len;
	}
	colon = memchr(s, ':', len);
	/* No port, or a bare IPv6 address (more than one ':'). */
	if (colon == NULL || memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
		return len;
	return (size_t)(colon - s);
}

static void
files_hosts(struct files_state *fs)
{
	const struct config *cfg = fs->cfg;
	size_t i;

	for (i = 0; i < cfg->radius_server.count; i++) {
		const char *s = cfg->radius_server.items[i];
		size_t n = strcspn(s, " \t");

		files_resolve(fs, cfg->radius_server.lines[i], "radius_server", s,
		    host_len_of(s, n));
	}
	for (i = 0; i < cfg->ldap_uri.count; i++) {
		const char *s = cfg->ldap_uri.items[i], *h = strstr(s, "://");
		size_t n;

		/* ldapi:// names a socket path, not a host. */
		if (h == NULL || strncmp(s, "ldapi:", 6) == 0)
			continue;
		h += 3;
		n = strcspn(h, "/?");
		files_resolve(fs, cfg->ldap_uri.lines[i], "ldap_uri", h,
		    host_len_of(h, n));
	}
	if (cfg->metrics_listen != NULL) {
		const char *s = cfg->metrics_listen;

		files_resolve(fs, config_line(cfg, "metrics_listen"),
		    "metrics_listen", s, (size_t)(strrchr(s, ':') - s));
	}
}

/* The path a key holds, by name (NULL when unset or not a path key). */
static const char *
files_value(const struct config *cfg, const char *key)
{
	if (strcmp(key, "signing_key") == 0) return cfg->signing_key;
	if (strcmp(key, "ldap_password_file") == 0) return cfg->ldap_password_file;
	if (strcmp(key, "radius_secret_file") == 0) return cfg->radius_secret_file;
	if (strcmp(key, "signing_key_password_file") == 0)
		return cfg->signing_key_password_file;
	if (strcmp(key, "probe_password_file") == 0) return cfg->probe_password_file;
	if (strcmp(key, "enroll_keytab") == 0) return cfg->enroll_keytab;
	return NULL;
}

unsigned
config_check_files(const struct config *cfg, bool resolve)
{
	struct files_state fs = { cfg, 0 };
	size_t i;

	files_config(&fs);
	for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
		const char *path = files_value(cfg, secret_keys[i]);

		if (path != NULL)
			files_secret(&fs, secret_keys[i], path);
	}
	files_plain(&fs, "signing_cert", cfg->signing_cert);
	files_plain(&fs, "signing_chain", cfg->signing_chain);
	files_plain(&fs, "ldap_ca_file", cfg->ldap_ca_file);
	if (resolve)
		files_hosts(&fs);
	return fs.problems;
}
