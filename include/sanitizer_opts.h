/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * make SAN=1: LeakSanitizer's check at exit stops the process's threads with
 * ptrace(2) from a clone(2) that the seccomp filters refuse (src/sandbox.c),
 * so it would kill every sandboxed process as it exits. A program whose
 * processes enter the sandbox includes this header once, in the file with its
 * main(): AddressSanitizer then starts without that check. The unit tests
 * keep LeakSanitizer, and `make valgrind` looks for leaks too. Nothing here
 * in a build without AddressSanitizer.
 */
#ifndef OTPCEP_SANITIZER_OPTS_H
#define OTPCEP_SANITIZER_OPTS_H

#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

#endif
