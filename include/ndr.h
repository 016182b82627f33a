/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * NDR 2.0 (C706 chapter 14), little-endian, the few constructions MS-ICPR
 * and the endpoint mapper need: aligned integers, unique and full pointers
 * (referent ids), conformant and conformant-varying arrays, NUL-terminated
 * UTF-16 strings. The writer grows a buffer; the reader checks every length
 * against the bytes present and refuses what does not add up.
 */
#ifndef OTPCEP_NDR_H
#define OTPCEP_NDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bound on any one conformant array we accept (C706 14.3.3.2 max_count). */
#define NDR_ARRAY_MAX	(4u * 1024 * 1024)

struct ndr_out {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool failed;		/* out of memory or over NDR_ARRAY_MAX */
	uint32_t next_ref;	/* next referent id */
};

void ndr_out_init(struct ndr_out *o);
void ndr_out_free(struct ndr_out *o);
/* Zero bytes up to a multiple of n (C706 14.2.2). */
void ndr_put_align(struct ndr_out *o, size_t n);
void ndr_put_u8(struct ndr_out *o, uint8_t v);
void ndr_put_u16(struct ndr_out *o, uint16_t v);	/* aligned to 2 */
void ndr_put_u32(struct ndr_out *o, uint32_t v);	/* aligned to 4 */
void ndr_put_bytes(struct ndr_out *o, const uint8_t *p, size_t n);
/* A unique / full pointer: 0 when absent, else a fresh referent id. */
void ndr_put_ptr(struct ndr_out *o, bool present);
/* Conformant byte array: max_count, then the bytes (C706 14.3.3.2). */
void ndr_put_conf_bytes(struct ndr_out *o, const uint8_t *p, size_t n);
/*
 * [string] wchar_t*: max_count, offset 0, actual_count, UTF-16LE units with
 * the terminating NUL (C706 14.3.4), from UTF-8 s.
 * Sets failed if s is not valid UTF-8.
 */
void ndr_put_wstring(struct ndr_out *o, const char *s);

struct ndr_in {
	const uint8_t *p;
	size_t len;
	size_t off;
};

void ndr_in_init(struct ndr_in *in, const uint8_t *p, size_t len);
/* Each returns false when the bytes run out (the stub is refused). */
bool ndr_get_align(struct ndr_in *in, size_t n);
bool ndr_get_u8(struct ndr_in *in, uint8_t *v);
bool ndr_get_u16(struct ndr_in *in, uint16_t *v);
bool ndr_get_u32(struct ndr_in *in, uint32_t *v);
bool ndr_get_bytes(struct ndr_in *in, size_t n, const uint8_t **p);
/* A unique pointer's referent id: *present = (id != 0). */
bool ndr_get_ptr(struct ndr_in *in, bool *present);
/* Conformant byte array whose size_is is want (max_count must equal it). */
bool ndr_get_conf_bytes(struct ndr_in *in, uint32_t want, const uint8_t **p);
/*
 * [string] wchar_t*: offset 0, actual_count <= max_count <= max_units, the
 * last unit NUL and no other; converted to UTF-8 (malloc'd, *s).
 */
bool ndr_get_wstring(struct ndr_in *in, size_t max_units, char **s);

/*
 * UTF-8 <-> UTF-16LE for the strings MS-ICPR carries in byte blobs.
 * utf16 gets a NUL unit at the end when nul; lengths are in bytes.
 * Return false on invalid input (no replacement characters) or no memory.
 */
bool ndr_utf8_to_utf16le(const char *s, bool nul, uint8_t **out,
    size_t *out_len);
bool ndr_utf16le_to_utf8(const uint8_t *p, size_t len, char **out);

#endif
