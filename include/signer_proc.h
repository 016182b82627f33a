/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Starting the signer process (src/signer_proc.c; docs/design.md,
 * "Processes"): the only process that holds the signing key.
 */
#ifndef OTPCEP_SIGNER_PROC_H
#define OTPCEP_SIGNER_PROC_H

struct config;

/*
 * Forks the signer monitor, which drops privileges (`user`, `group`) and
 * forks the signer, restarting it whenever it dies. Call before reading any
 * secret and before opening the FastCGI socket. Returns the serving
 * process's end of the socketpair for signer_new_remote(), or -1 after
 * logging.
 */
int signer_proc_start(const struct config *cfg);

#endif
