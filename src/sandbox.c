/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Privilege drop and seccomp (issue 11; docs/design.md, "The sandbox").
 * libseccomp only here. Each process kind has an allow list of system calls
 * by name; anything else raises SIGSYS (SCMP_ACT_TRAP), whose handler writes
 * one line with the call's number to stderr (async-signal-safe: write(2)
 * only) and ends the process by that signal, so a parent sees it too.
 *
 * To extend a filter: add the call's name to the list of the process that
 * needs it, with a comment saying who needs it and why, and test it through
 * the real stack (tests/integration/sandbox.sh runs the whole flow under
 * the filters). `scmp_sys_resolver NUMBER` names a number from the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <seccomp.h>

#include "config.h"
#include "log.h"
#include "sandbox.h"

/*
 * Both kinds of process: memory, time, signals, exit, reading and writing
 * descriptors they hold, the log (stderr, or syslog over an AF_UNIX socket
 * that glibc may reconnect).
 */
static const char *const sandbox_common[] = {
	/* memory (malloc, GnuTLS, libtasn1) */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	/* descriptors already open, and the log */
	"read", "write", "readv", "writev", "pread64", "close", "lseek",
	"fstat", "newfstatat", "statx", "fcntl", "dup", "dup2", "dup3",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "poll", "ppoll",
	/* glibc's syslog(3) reconnects to /dev/log (AF_UNIX only, see below) */
	"connect", "getsockopt", "setsockopt", "getsockname", "getpeername",
	"shutdown",
	/* locks, time, randomness */
	"futex", "clock_gettime", "clock_getres", "gettimeofday", "time",
	"nanosleep", "clock_nanosleep", "getrandom",
	/* signals: SIGHUP, SIGTERM, the SIGSYS handler itself */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait",
	"sigaltstack", "getpid", "gettid", "getppid",
	/* tgkill: own threads only (sandbox_arg_rules) */
	/* identity checks (GnuTLS, getpwuid in libraries), limits */
	"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
	"uname", "sysinfo", "sched_yield", "sched_getaffinity",
	/* prlimit64: own limits only (sandbox_arg_rules) */
	"restart_syscall", "exit", "exit_group",
	/* Files by name (openat: see sandbox_arg_rules), directories. */
	"access", "faccessat", "faccessat2", "getdents64", "readlink",
	"readlinkat",
	/* ioctl: every request but two (sandbox_arg_rules) */
	NULL,
};

/* The serving process: threads, the FastCGI socket, LDAP, RADIUS, metrics. */
static const char *const sandbox_serve[] = {
	/* worker threads (clone is limited to threads below) */
	"set_robust_list", "get_robust_list", "rseq", "set_tid_address",
	"membarrier",
	/* FastCGI (accept), LDAP and RADIUS clients, the metrics listener */
	"accept", "accept4", "bind", "listen", "sendmmsg", "recvmmsg",
	"select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "eventfd2", "pipe", "pipe2",
	"getcwd",
	/* front_fcgi.c removes its own `listen = unix:` socket at exit */
	"unlink", "unlinkat",
	NULL,
};

/* The signer process: one thread, its socketpair, its files. */
static const char *const sandbox_signer[] = {
	/* SoftHSM2 and other token modules lock their files */
	"flock",
	NULL,
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/*
 * make SAN=1 / SAN=thread only: the sanitizers' runtimes read
 * /proc/self/maps with open(2) (not openat) to write a report.
 */
static const char *const sandbox_sanitizer[] = { "open", NULL };
#endif

static const char *sandbox_role_now = "process";

const char *
sandbox_role_name(enum sandbox_role role)
{
	return role == SANDBOX_SERVE ? "serving process" : "signer process";
}

/* Appends the decimal v to buf at *o (async-signal-safe). */
static void
sandbox_put_num(char *buf, size_t buf_len, size_t *o, unsigned long v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && n < sizeof(tmp));
	while (n > 0 && *o + 1 < buf_len)
		buf[(*o)++] = tmp[--n];
}

static void
sandbox_put_str(char *buf, size_t buf_len, size_t *o, const char *s)
{
	while (*s != '\0' && *o + 1 < buf_len)
		buf[(*o)++] = *s++;
}

/*
 * SIGSYS from SCMP_ACT_TRAP: one line on stderr, then death by SIGSYS. Only
 * async-signal-safe calls (signal-safety(7)), all in the filters.
 */
static void
sandbox_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[256];
	size_t o = 0;
	sigset_t set;
	ssize_t w;

	(void)uc;
	sandbox_put_str(line, sizeof(line), &o, "otpcep: seccomp: forbidden "
	    "system call ");
	sandbox_put_num(line, sizeof(line), &o, (unsigned long)si->si_syscall);
	sandbox_put_str(line, sizeof(line), &o, " in the ");
	sandbox_put_str(line, sizeof(line), &o, sandbox_role_now);
	sandbox_put_str(line, sizeof(line), &o, " (pid ");
	sandbox_put_num(line, sizeof(line), &o, (unsigned long)getpid());
	sandbox_put_str(line, sizeof(line), &o, "): killed (name it with "
	    "`scmp_sys_resolver NUMBER`; docs/design.md, \"The sandbox\")\n");
	w = write(STDERR_FILENO, line, o);
	(void)w;
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

static int
sandbox_allow_list(scmp_filter_ctx ctx, const char *const *names)
{
	int nr, r;

	for (; *names != NULL; names++) {
		/* A call this architecture does not have is simply not added. */
		if ((nr = seccomp_syscall_resolve_name(*names)) == __NR_SCMP_ERROR)
			continue;
		if (nr < 0)
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0) {
			log_err("seccomp: cannot allow %s: %s", *names, strerror(-r));
			return -1;
		}
	}
	return 0;
}

/*
 * Allows ioctl for every request in [lo, hi] with the upper 32 bits of the
 * argument zero, as aligned blocks (one masked comparison each: libseccomp
 * takes one comparison per argument and rule). 0 or a negative errno.
 */
static int
sandbox_allow_ioctl_range(scmp_filter_ctx ctx, uint64_t lo, uint64_t hi)
{
	uint64_t size;
	int r;

	while (lo <= hi) {
		for (size = 1; (lo & (size * 2 - 1)) == 0 &&
		    lo + size * 2 - 1 <= hi; size *= 2)
			;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_MASKED_EQ, ~(size - 1), lo))) < 0)
			return r;
		lo += size;
	}
	return 0;
}

/*
 * ioctl for libfcgi, libldap (FIONBIO, FIONREAD), stdio (TCGETS) and the
 * like: every request but TIOCSTI and TIOCLINUX. On a terminal (an operator
 * running `otpcep --replay` on a stored, hostile request, stderr a tty)
 * those type into the operator's shell, out of any sandbox (CVE-2017-5226,
 * bubblewrap). The kernel reads the request as 32 bits (ksys_ioctl), so
 * TIOCSTI with any upper bits must not match either: the allowed ranges
 * require them zero (or all one with bit 31 set: a sign-extended int
 * request, which is never one of the two). Anything else is the default
 * action: killed, and logged.
 */
static int
sandbox_ioctl_rules(scmp_filter_ctx ctx)
{
	int r;

	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_LT, TIOCSTI))) < 0 ||
	    (r = sandbox_allow_ioctl_range(ctx, TIOCSTI + 1,
	    TIOCLINUX - 1)) < 0 ||
	    (r = sandbox_allow_ioctl_range(ctx, TIOCLINUX + 1,
	    0xffffffffu)) < 0)
		return r;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_GE, 0xffffffff80000000u));
}

/* Rules with arguments: socket families, clone only for threads. */
static int
sandbox_arg_rules(scmp_filter_ctx ctx, enum sandbox_role role)
{
	int r;

	/* syslog(3): AF_UNIX everywhere; LDAP and RADIUS: IPv4/IPv6 when serving. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX))) < 0)
		return r;
	if ((r = sandbox_ioctl_rules(ctx)) < 0)
		return r;
	/*
	 * The serving process, the monitor and the signer run as the same
	 * user: a taken-over process must not signal the others (tgkill) or
	 * change their limits (prlimit64: no descriptors for the signer's
	 * next reload). Its own: raise(), pthread_kill(), get/setrlimit (pid 0).
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
	    SCMP_A0(SCMP_CMP_EQ, 0))) < 0)
		return r;
	/* A PKCS#11 module (SoftHSM2) reads and writes its token files. */
	if (role == SANDBOX_SIGNER_PKCS11)
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 0);
	/*
	 * Otherwise files are opened for reading only: the signer re-reads
	 * the certificate and key at every reload; the serving process reads
	 * ldap_ca_file for each new LDAP connection (libldap makes a TLS
	 * context per connection), /etc/hosts, /etc/resolv.conf and the like
	 * for a host name. Opening anything to write or create is refused.
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, O_WRONLY | O_RDWR | O_CREAT | O_TRUNC |
	    O_APPEND, 0))) < 0)
		return r;
	if (role == SANDBOX_SIGNER)
		return 0;
	/*
	 * getaddrinfo(AI_ADDRCONFIG) asks the kernel for the local addresses
	 * over NETLINK_ROUTE when libldap resolves a host name.
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_INET))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_INET6))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
	    SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
	    SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE))) < 0)
		return r;
	/*
	 * ops (metrics_listen): libmicrohttpd names its listener thread
	 * ("MHD-single", PR_SET_NAME) as it starts, which may be after the
	 * filter is in place. Naming a thread is all prctl may do.
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
	    SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME))) < 0)
		return r;
	/*
	 * pthread_create: clone with CLONE_THREAD. A new process (fork, or
	 * clone without CLONE_THREAD) is refused. clone3 passes its flags in
	 * memory a filter cannot read: ENOSYS makes glibc fall back to clone.
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0)) < 0)
		return r;
	return 0;
}

int
sandbox_enter(enum sandbox_role role)
{
	scmp_filter_ctx ctx;
	struct sigaction sa;
	int r, ret = -1;

	sandbox_role_now = sandbox_role_name(role);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0) {
		log_warn("seccomp: SIGSYS handler");
		return -1;
	}
	/* A filter needs no privilege with it; no setuid program can gain any. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_warn("PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
		log_err("seccomp: out of memory");
		return -1;
	}
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0) {
		log_err("seccomp: TSYNC: %s", strerror(-r));
		goto cleanup;
	}
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	if (sandbox_allow_list(ctx, sandbox_sanitizer) != 0)
		goto cleanup;
#endif
	if (sandbox_allow_list(ctx, sandbox_common) != 0 ||
	    sandbox_allow_list(ctx, role == SANDBOX_SERVE ? sandbox_serve :
	    sandbox_signer) != 0)
		goto cleanup;
	if ((r = sandbox_arg_rules(ctx, role)) < 0) {
		log_err("seccomp: argument rules: %s", strerror(-r));
		goto cleanup;
	}
	if ((r = seccomp_load(ctx)) < 0) {
		log_err("seccomp: loading the %s filter: %s",
		    sandbox_role_now, strerror(-r));
		goto cleanup;
	}
	log_debug("seccomp: the %s filter is in place", sandbox_role_now);
	ret = 0;
cleanup:
	seccomp_release(ctx);
	return ret;
}

int
sandbox_drop_privileges(const struct config *cfg)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (cfg->user == NULL) {
		if (geteuid() == 0)
			log_warnx("otpcep runs as root and `user` is not set: "
			    "every process keeps root's privileges (set `user` "
			    "and `group`, docs/deployment.md)");
		return 0;
	}
	if (geteuid() != 0) {
		if (getuid() == cfg->uid && geteuid() == cfg->uid)
			return 0;
		log_err("user = %s: otpcep runs as uid %ld, neither root nor "
		    "that user: cannot change to it", cfg->user, (long)geteuid());
		return -1;
	}
	if (setgroups(1, &cfg->gid) != 0 ||
	    setresgid(cfg->gid, cfg->gid, cfg->gid) != 0 ||
	    setresuid(cfg->uid, cfg->uid, cfg->uid) != 0) {
		log_warn("cannot become user %s (uid %ld, gid %ld)", cfg->user,
		    (long)cfg->uid, (long)cfg->gid);
		return -1;
	}
	/* Checked, not assumed: all three ids changed and root is out of reach. */
	if (getresuid(&ruid, &euid, &suid) != 0 ||
	    getresgid(&rgid, &egid, &sgid) != 0 ||
	    ruid != cfg->uid || euid != cfg->uid || suid != cfg->uid ||
	    rgid != cfg->gid || egid != cfg->gid || sgid != cfg->gid ||
	    (cfg->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))) {
		log_err("the privilege drop to %s did not hold; not starting",
		    cfg->user);
		return -1;
	}
	/*
	 * prctl(2), PR_SET_DUMPABLE: changing the effective ids resets the
	 * flag to fs.suid_dumpable, which is 1 or 2 on some systems. Not
	 * dumpable again: no core file of the key or a one-time password
	 * (a core_pattern pipe ignores RLIMIT_CORE), and no /proc/PID/mem or
	 * ptrace for a process of the same user (the serving process may not
	 * read the signer).
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
		log_warn("PR_SET_DUMPABLE after becoming %s", cfg->user);
		return -1;
	}
	return 0;
}
