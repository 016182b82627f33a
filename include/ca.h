/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 5 of MS-OTPCE 3.2.5.1: the CA (or CAs) the client enrolls with.
 */
#ifndef OTPCEP_CA_H
#define OTPCEP_CA_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/*
 * Points *names at the first issuing_ca_count names of the `ca` list, in rank
 * order. Returns how many (0 when the list is empty: OtherError).
 */
size_t ca_choose(const struct config *cfg, const char *const **names);

/*
 * Whether s is a CA configuration string "host\CA name" (MS-WCCE 3.1.1.4.2):
 * a non-empty DNS host name, one backslash, a non-empty CA name of printable
 * characters.
 */
bool ca_name_valid(const char *s);

#endif
