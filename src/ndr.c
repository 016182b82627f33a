/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * NDR 2.0 little-endian (C706 chapter 14): a growing writer and a bounded
 * reader for the constructions MS-ICPR and ept_map use.
 */
#include <stdlib.h>
#include <string.h>

#include "dcerpc.h"
#include "ndr.h"
#include "utf8.h"

void
ndr_out_init(struct ndr_out *o)
{
	memset(o, 0, sizeof(*o));
	/* Windows' first referent id (any non-zero value is valid). */
	o->next_ref = 0x00020000u;
}

void
ndr_out_free(struct ndr_out *o)
{
	free(o->data);
	memset(o, 0, sizeof(*o));
}

/* Room for n more bytes; sets failed instead of growing past the bound. */
static uint8_t *
reserve(struct ndr_out *o, size_t n)
{
	if (o->failed)
		return NULL;
	if (n > NDR_ARRAY_MAX * 2 - o->len) {
		o->failed = true;
		return NULL;
	}
	if (o->len + n > o->cap) {
		size_t cap = o->cap == 0 ? 256 : o->cap;
		uint8_t *d;

		while (cap < o->len + n)
			cap *= 2;
		if ((d = realloc(o->data, cap)) == NULL) {
			o->failed = true;
			return NULL;
		}
		o->data = d;
		o->cap = cap;
	}
	o->len += n;
	return o->data + o->len - n;
}

void
ndr_put_align(struct ndr_out *o, size_t n)
{
	size_t pad = (n - o->len % n) % n;
	uint8_t *p = reserve(o, pad);

	if (p != NULL)
		memset(p, 0, pad);
}

void
ndr_put_u8(struct ndr_out *o, uint8_t v)
{
	uint8_t *p = reserve(o, 1);

	if (p != NULL)
		*p = v;
}

void
ndr_put_u16(struct ndr_out *o, uint16_t v)
{
	uint8_t *p;

	ndr_put_align(o, 2);
	if ((p = reserve(o, 2)) != NULL)
		dcerpc_put16(p, v);
}

void
ndr_put_u32(struct ndr_out *o, uint32_t v)
{
	uint8_t *p;

	ndr_put_align(o, 4);
	if ((p = reserve(o, 4)) != NULL)
		dcerpc_put32(p, v);
}

void
ndr_put_bytes(struct ndr_out *o, const uint8_t *src, size_t n)
{
	uint8_t *p = reserve(o, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

void
ndr_put_ptr(struct ndr_out *o, bool present)
{
	if (!present) {
		ndr_put_u32(o, 0);
		return;
	}
	ndr_put_u32(o, o->next_ref);
	o->next_ref += 4;
}

void
ndr_put_conf_bytes(struct ndr_out *o, const uint8_t *p, size_t n)
{
	if (n > NDR_ARRAY_MAX) {
		o->failed = true;
		return;
	}
	ndr_put_u32(o, (uint32_t)n);
	ndr_put_bytes(o, p, n);
}

void
ndr_put_wstring(struct ndr_out *o, const char *s)
{
	uint8_t *u = NULL;
	size_t ulen;

	if (!ndr_utf8_to_utf16le(s, true, &u, &ulen) || ulen / 2 > NDR_ARRAY_MAX) {
		free(u);
		o->failed = true;
		return;
	}
	/* C706 14.3.4: conformant varying, offset 0, counts in units. */
	ndr_put_u32(o, (uint32_t)(ulen / 2));
	ndr_put_u32(o, 0);
	ndr_put_u32(o, (uint32_t)(ulen / 2));
	ndr_put_bytes(o, u, ulen);
	free(u);
}

void
ndr_in_init(struct ndr_in *in, const uint8_t *p, size_t len)
{
	in->p = p;
	in->len = len;
	in->off = 0;
}

bool
ndr_get_align(struct ndr_in *in, size_t n)
{
	size_t pad = (n - in->off % n) % n;

	if (pad > in->len - in->off)
		return false;
	in->off += pad;
	return true;
}

bool
ndr_get_bytes(struct ndr_in *in, size_t n, const uint8_t **p)
{
	if (n > in->len - in->off)
		return false;
	*p = in->p + in->off;
	in->off += n;
	return true;
}

bool
ndr_get_u8(struct ndr_in *in, uint8_t *v)
{
	const uint8_t *p;

	if (!ndr_get_bytes(in, 1, &p))
		return false;
	*v = *p;
	return true;
}

bool
ndr_get_u16(struct ndr_in *in, uint16_t *v)
{
	const uint8_t *p;

	if (!ndr_get_align(in, 2) || !ndr_get_bytes(in, 2, &p))
		return false;
	*v = dcerpc_get16(p);
	return true;
}

bool
ndr_get_u32(struct ndr_in *in, uint32_t *v)
{
	const uint8_t *p;

	if (!ndr_get_align(in, 4) || !ndr_get_bytes(in, 4, &p))
		return false;
	*v = dcerpc_get32(p);
	return true;
}

bool
ndr_get_ptr(struct ndr_in *in, bool *present)
{
	uint32_t id;

	if (!ndr_get_u32(in, &id))
		return false;
	*present = id != 0;
	return true;
}

bool
ndr_get_conf_bytes(struct ndr_in *in, uint32_t want, const uint8_t **p)
{
	uint32_t max;

	/* C706 14.3.3.2: max_count must be the size_is value. */
	if (!ndr_get_u32(in, &max) || max != want || max > NDR_ARRAY_MAX)
		return false;
	return ndr_get_bytes(in, max, p);
}

bool
ndr_get_wstring(struct ndr_in *in, size_t max_units, char **s)
{
	uint32_t max, offset, actual, i;
	const uint8_t *p;

	*s = NULL;
	if (!ndr_get_u32(in, &max) || !ndr_get_u32(in, &offset) ||
	    !ndr_get_u32(in, &actual))
		return false;
	/* C706 14.3.4: offset 0, 1 <= actual <= max, within our bound. */
	if (offset != 0 || actual == 0 || actual > max || max > max_units)
		return false;
	if (!ndr_get_bytes(in, (size_t)actual * 2, &p))
		return false;
	/* [string]: the last unit NUL, and no NUL before it. */
	for (i = 0; i + 1 < actual; i++)
		if (dcerpc_get16(p + 2 * i) == 0)
			return false;
	if (dcerpc_get16(p + 2 * (actual - 1)) != 0)
		return false;
	return ndr_utf16le_to_utf8(p, ((size_t)actual - 1) * 2, s);
}

/* Decodes one code point of well-formed UTF-8 (checked before). */
static uint32_t
utf8_next(const uint8_t **s)
{
	const uint8_t *p = *s;
	uint32_t c = p[0];
	size_t n = 0, i;

	if (c >= 0xf0) {
		c &= 0x07;
		n = 3;
	} else if (c >= 0xe0) {
		c &= 0x0f;
		n = 2;
	} else if (c >= 0xc0) {
		c &= 0x1f;
		n = 1;
	}
	for (i = 1; i <= n; i++)
		c = c << 6 | (p[i] & 0x3f);
	*s = p + n + 1;
	return c;
}

bool
ndr_utf8_to_utf16le(const char *s, bool nul, uint8_t **out, size_t *out_len)
{
	size_t len = strlen(s), n = 0;
	const uint8_t *p = (const uint8_t *)s, *end = p + len;
	uint8_t *u;

	*out = NULL;
	if (!utf8_valid(p, len, UTF8_NO_NUL))
		return false;
	/* at most 2 units (4 bytes) per input byte, plus the NUL */
	if ((u = malloc(len * 4 + 2)) == NULL)
		return false;
	while (p < end) {
		uint32_t c = utf8_next(&p);

		if (c >= 0x10000) {
			c -= 0x10000;
			dcerpc_put16(u + n, (uint16_t)(0xd800 | (c >> 10)));
			dcerpc_put16(u + n + 2, (uint16_t)(0xdc00 | (c & 0x3ff)));
			n += 4;
		} else {
			dcerpc_put16(u + n, (uint16_t)c);
			n += 2;
		}
	}
	if (nul) {
		dcerpc_put16(u + n, 0);
		n += 2;
	}
	*out = u;
	*out_len = n;
	return true;
}

bool
ndr_utf16le_to_utf8(const uint8_t *p, size_t len, char **out)
{
	size_t i, n = 0;
	char *s;

	*out = NULL;
	if (len % 2 != 0 || len > NDR_ARRAY_MAX)
		return false;
	/* at most 3 bytes per unit (a pair of 2 units gives 4) */
	if ((s = malloc(len / 2 * 3 + 1)) == NULL)
		return false;
	for (i = 0; i < len; i += 2) {
		uint32_t c = dcerpc_get16(p + i);

		if (c >= 0xdc00 && c <= 0xdfff)
			goto bad;	/* lone low surrogate */
		if (c >= 0xd800 && c <= 0xdbff) {
			uint32_t lo;

			if (i + 4 > len)
				goto bad;
			lo = dcerpc_get16(p + i + 2);
			if (lo < 0xdc00 || lo > 0xdfff)
				goto bad;
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		}
		if (c == 0)
			goto bad;
		if (c < 0x80) {
			s[n++] = (char)c;
		} else if (c < 0x800) {
			s[n++] = (char)(0xc0 | c >> 6);
			s[n++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			s[n++] = (char)(0xe0 | c >> 12);
			s[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
			s[n++] = (char)(0x80 | (c & 0x3f));
		} else {
			s[n++] = (char)(0xf0 | c >> 18);
			s[n++] = (char)(0x80 | ((c >> 12) & 0x3f));
			s[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
			s[n++] = (char)(0x80 | (c & 0x3f));
		}
	}
	s[n] = '\0';
	*out = s;
	return true;
bad:
	free(s);
	return false;
}
