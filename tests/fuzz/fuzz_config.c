/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* libFuzzer target: the configuration parser must never crash or leak. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct config *cfg;

	if (!once) {
		/* Errors are expected by the thousand: keep them off the screen. */
		log_init(LOG_TO_SYSLOG, 0);
		once = 1;
	}
	cfg = config_parse("/fuzz/otpcep.conf", (const char *)data, size);
	config_free(cfg);
	return 0;
}
