/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * libFuzzer target: the three Microsoft request-type decoders and the
 * extensionRequest decoder on any bytes
 * (in a request they are reached only after the signature verifies, so
 * fuzz_csr seldom gets there). They must never crash or leak, and what they
 * accept must encode again.
 */
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>

#include "msext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msext_client_info ci;
	char *s = NULL;
	long major, minor;
	uint8_t *der = NULL;
	size_t der_len, i;
	struct msext_extensions ext;

	if (msext_client_info_decode(data, size, &ci) == MSEXT_OK) {
		if (msext_client_info_encode(&ci, &der, &der_len) != MSEXT_OK)
			abort();
		free(der);
		der = NULL;
		msext_client_info_free(&ci);
	}
	if (msext_template_v2_decode(data, size, &s, &major, &minor) == MSEXT_OK) {
		if (msext_template_v2_encode(s, major, minor, &der,
		    &der_len) != MSEXT_OK)
			abort();
		free(der);
		der = NULL;
		free(s);
	}
	if (msext_extensions_decode(data, size, 4, &ext) == MSEXT_OK) {
		if (ext.n > 4)
			abort();
		for (i = 0; i < ext.n; i++)
			if (ext.v[i].oid[0] == '\0' ||
			    (ext.v[i].value_len > 0 && ext.v[i].value == NULL))
				abort();
		msext_extensions_free(&ext);
	}
	if (msext_template_name_decode(data, size, &s) == MSEXT_OK) {
		if (s[0] != '\0' && msext_template_name_encode(s, &der,
		    &der_len) != MSEXT_OK)
			abort();
		free(der);
		free(s);
	}
	return 0;
}
