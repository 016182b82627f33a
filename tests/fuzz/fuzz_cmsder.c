/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * libFuzzer target: the SignedCertRequest reader (CMS SignedData around CMC
 * PKIData, RFC 5652 / RFC 5272), which otpcep-ca runs on files it is given.
 */
#include <stddef.h>
#include <stdint.h>

#include "cmsder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmsder_signed_request r;

	if (cmsder_parse_signed_cert_request(data, size, &r) == CMSDER_OK)
		cmsder_signed_request_free(&r);
	return 0;
}
