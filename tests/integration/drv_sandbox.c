/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * drv_sandbox serve|signer|signer-pkcs11 CALL: enters the responder's own sandbox for that
 * kind of process (src/sandbox.c, the code the responder runs), prints
 * "ENTERED", then makes CALL:
 *   ok      what every process does (memory, time, a thread when serving,
 *           an AF_UNIX socket for syslog): exits 0
 *   execve  runs /bin/true          fork     a new process
 *   inet    an AF_INET socket       ptrace   PTRACE_TRACEME
 *   write   opens a file to write (only signer-pkcs11 may: exits 0)
 *   tiocsti    types a character into its controlling terminal (a pty
 *              made before) with ioctl(TIOCSTI)
 *   tiocsti-hi the same with bits above the 32 the kernel reads
 *   tgkill     signal 0 to its parent (another process of the same user)
 *   prlimit    read its parent's RLIMIT_NOFILE with prlimit(2)
 * Before entering it prints "CALL NAME NR N", N the call's number here.
 * Each forbidden call must kill the process by SIGSYS with one line on stderr.
 */
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "sandbox.h"
#include "sanitizer_opts.h"	/* make SAN=1: no LeakSanitizer exit check */

static void *
thread_main(void *arg)
{
	return arg;
}

static int
allowed(enum sandbox_role role)
{
	struct timespec ts;
	pthread_t t;
	void *p = malloc(1 << 20);
	int fd;

	if (p == NULL || clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 1;
	free(p);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0)
		return 1;
	/* Its own limits and threads stay reachable. */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
		    setrlimit(RLIMIT_NOFILE, &rl) != 0 ||
		    pthread_kill(pthread_self(), 0) != 0)
			return 1;
	}
	/* Other ioctl requests stay allowed (libfcgi, libldap, stdio). */
	if (ioctl(fd, FIONBIO, &(int){ 1 }) != 0) {
		close(fd);
		return 1;
	}
	(void)isatty(fd);
	close(fd);
	/* Reading a file by name: both (ldap_ca_file; the signer's key files). */
	if ((fd = open("/etc/hosts", O_RDONLY | O_CLOEXEC)) < 0)
		return 1;
	close(fd);
	/* A host name as libldap resolves one (AI_ADDRCONFIG: netlink). */
	if (role == SANDBOX_SERVE) {
		struct addrinfo hints = { .ai_flags = AI_ADDRCONFIG,
		    .ai_socktype = SOCK_STREAM }, *res = NULL;

		if (getaddrinfo("localhost", "389", &hints, &res) != 0)
			return 1;
		freeaddrinfo(res);
	}
	if (role == SANDBOX_SERVE && (pthread_create(&t, NULL, thread_main,
	    NULL) != 0 || pthread_join(t, NULL) != 0))
		return 1;
	return 0;
}

/*
 * A new session whose controlling terminal is a new pty; the slave's
 * descriptor, or -1. TIOCSTI on it works unless a filter refuses it.
 */
static int
drv_ctty(void)
{
	int m, s;

	if (setsid() < 0 || (m = posix_openpt(O_RDWR | O_NOCTTY)) < 0 ||
	    grantpt(m) != 0 || unlockpt(m) != 0 ||
	    (s = open(ptsname(m), O_RDWR | O_NOCTTY)) < 0 ||
	    ioctl(s, TIOCSCTTY, 0) != 0) {
		perror("drv_sandbox: a pty as controlling terminal");
		return -1;
	}
	return s;
}

int
main(int argc, char **argv)
{
	enum sandbox_role role;
	const char *call;
	int tty = -1;

	/* argv[2] != NULL also tells gcc's UBSan build that printf gets no NULL. */
	if (argc != 3 || argv[1] == NULL || argv[2] == NULL) {
		fprintf(stderr, "usage: drv_sandbox serve|signer|signer-pkcs11 CALL\n");
		return 2;
	}
	role = strcmp(argv[1], "signer") == 0 ? SANDBOX_SIGNER :
	    strcmp(argv[1], "signer-pkcs11") == 0 ? SANDBOX_SIGNER_PKCS11 :
	    SANDBOX_SERVE;
	call = argv[2];
	/* The number the SIGSYS line must name. */
	printf("CALL %s NR %d\n", call, seccomp_syscall_resolve_name(
	    strcmp(call, "inet") == 0 ? "socket" : strcmp(call, "fork") == 0 ?
	    "clone" : strcmp(call, "write") == 0 ? "openat" :
	    strncmp(call, "tiocsti", 7) == 0 ? "ioctl" :
	    strcmp(call, "prlimit") == 0 ? "prlimit64" : call));
	/* A controlling terminal of our own, on which TIOCSTI would work. */
	if (strncmp(call, "tiocsti", 7) == 0 && (tty = drv_ctty()) < 0)
		return 4;
	if (sandbox_enter(role) != 0)
		return 3;
	printf("ENTERED\n");
	fflush(stdout);
	if (strcmp(call, "ok") == 0)
		return allowed(role);
	if (strcmp(call, "execve") == 0)
		execl("/bin/true", "true", (char *)NULL);
	else if (strcmp(call, "fork") == 0)
		(void)fork();
	else if (strcmp(call, "inet") == 0)
		(void)socket(AF_INET, SOCK_STREAM, 0);
	else if (strcmp(call, "write") == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0 && role == SANDBOX_SIGNER_PKCS11) {
			close(fd);
			return 0;	/* a token module may write its files */
		}
	}
	else if (strcmp(call, "ptrace") == 0)
		(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	else if (strcmp(call, "tgkill") == 0)
		(void)syscall(SYS_tgkill, getppid(), getppid(), 0);
	else if (strcmp(call, "prlimit") == 0) {
		struct rlimit rl;

		(void)prlimit(getppid(), RLIMIT_NOFILE, NULL, &rl);
	} else if (strcmp(call, "tiocsti") == 0)
		(void)ioctl(tty, TIOCSTI, "x");
	else if (strcmp(call, "tiocsti-hi") == 0)
		(void)syscall(SYS_ioctl, tty, (unsigned long)TIOCSTI |
		    0x100000000ul, "x");
	printf("SURVIVED %s\n", call);
	return 0;
}
