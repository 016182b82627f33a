/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * preload_forbidden.so: put into the real responder with LD_PRELOAD by
 * tests/integration/sandbox.sh, never installed. On SIGUSR2 the process that
 * gets it (the serving process, or the signer: forks keep the handler)
 * makes a system call that no filter of src/sandbox.c allows,
 * ptrace(PTRACE_TRACEME): its own seccomp filter must kill it and the line
 * naming the call must reach the log.
 */
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

static void
preload_on_usr2(int sig)
{
	(void)sig;
	syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
}

__attribute__((constructor)) static void
preload_init(void)
{
	signal(SIGUSR2, preload_on_usr2);
}
