/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Base64, RFC 4648 section 4: the XML Schema base64Binary lexical form. */
#include <stdlib.h>

#include "b64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of c, -1 for '=', -2 for anything else. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	if (c == '=')
		return -1;
	return -2;
}

static int
b64_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum b64_result
b64_decode(const char *text, size_t text_len, uint8_t **out, size_t *out_len)
{
	uint8_t *buf;
	uint32_t quad = 0;
	size_t i, n = 0, len = 0, pad = 0;
	int v;

	*out = NULL;
	*out_len = 0;
	if ((buf = malloc(text_len / 4 * 3 + 3)) == NULL)
		return B64_NOMEM;
	for (i = 0; i < text_len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (b64_is_space(c))
			continue;
		v = b64_value(c);
		if (v == -2 || (pad > 0 && v != -1))
			goto invalid;	/* not base64, or data after '=' */
		if (v == -1) {
			/* '=' only in the last two places of a group of four. */
			if (n % 4 < 2 || ++pad > 2)
				goto invalid;
			v = 0;
		}
		quad = quad << 6 | (uint32_t)v;
		if (++n % 4 == 0) {
			buf[len++] = (uint8_t)(quad >> 16);
			buf[len++] = (uint8_t)(quad >> 8);
			buf[len++] = (uint8_t)quad;
			quad = 0;
		}
	}
	if (n == 0 || n % 4 != 0)
		goto invalid;
	/* The bits the padding drops must be zero (RFC 4648 3.5). */
	if (pad > 0) {
		if (buf[len - 1] != 0 || (pad == 2 && buf[len - 2] != 0))
			goto invalid;
		len -= pad;
	}
	*out = buf;
	*out_len = len;
	return B64_OK;
invalid:
	free(buf);
	return B64_INVALID;
}

char *
b64_encode(const uint8_t *data, size_t len)
{
	char *out, *p;
	size_t i;
	uint32_t v;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		*p++ = b64_alphabet[v >> 18 & 63];
		*p++ = b64_alphabet[v >> 12 & 63];
		*p++ = b64_alphabet[v >> 6 & 63];
		*p++ = b64_alphabet[v & 63];
	}
	if (i < len) {
		v = (uint32_t)data[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		*p++ = b64_alphabet[v >> 18 & 63];
		*p++ = b64_alphabet[v >> 12 & 63];
		*p++ = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
		*p++ = '=';
	}
	*p = '\0';
	return out;
}
