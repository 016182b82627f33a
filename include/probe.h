/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep --probe: the operator's self-test with the production configuration.
 * One line per part on standard output; nothing is served.
 */
#ifndef OTPCEP_PROBE_H
#define OTPCEP_PROBE_H

struct server;

/* Returns 0 when every part is up, 1 when one is down or not configured. */
int probe_run(struct server *srv);

#endif
