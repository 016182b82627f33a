/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Privileges and system calls (issue 11; docs/design.md, "Processes" and
 * "The sandbox"): the service user (`user`, `group`), PR_SET_NO_NEW_PRIVS,
 * and a seccomp filter (libseccomp, only here) per kind of process.
 */
#ifndef OTPCEP_SANDBOX_H
#define OTPCEP_SANDBOX_H

struct config;

enum sandbox_role {
	SANDBOX_SERVE,		/* the request-serving process: all its threads */
	SANDBOX_SIGNER,		/* the key-holding signer process: narrower */
	SANDBOX_SIGNER_PKCS11,	/* the same, with a token module that writes its files */
};

/*
 * Becomes `user` (and `group`, else the user's primary group) when running
 * as root: setgroups, setgid, setuid, then checks that root cannot be
 * regained. Without `user`, or when already that user, changes nothing.
 * Returns 0, or -1 after logging (never continue as root by mistake).
 */
int sandbox_drop_privileges(const struct config *cfg);

/*
 * Sets PR_SET_NO_NEW_PRIVS and installs role's seccomp filter on every
 * thread of the process. A system call outside the filter kills the process
 * with a line on stderr naming the call's number (SIGSYS). Returns 0, or -1
 * after logging.
 */
int sandbox_enter(enum sandbox_role role);

/* "serving process", "signer process" */
const char *sandbox_role_name(enum sandbox_role role);

#endif
