/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * MS-ICPR ICertPassage::CertServerRequest (3.2.4.1.1): the interface and
 * its NDR in both directions.
 */
#include <stdlib.h>
#include <string.h>

#include "icpr.h"

/* MS-ICPR 1.9 */
const struct dcerpc_syntax icpr_syntax = {
	{ 0x91ae6020, 0x9e3c, 0x11cf, { 0x8d, 0x7c },
	  { 0x00, 0xaa, 0x00, 0xc0, 0x91, 0xbe } }, 0, 0
};
