/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep --probe: the operator's self-test with the production configuration,
 * shaped as a monitoring plugin (Nagios, Icinga, Zabbix external checks): a
 * summary line, then one line per part on standard output; nothing is served.
 */
#ifndef OTPCEP_PROBE_H
#define OTPCEP_PROBE_H

struct server;

/*
 * Returns the plugin exit status: 0 OK, 1 WARNING (the signing certificate
 * expires within signing_warn_hours, or one of several servers is down),
 * 2 CRITICAL (a part is down or not configured), 3 UNKNOWN (no memory).
 */
int probe_run(struct server *srv);

#endif
