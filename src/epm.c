/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The endpoint mapper's ept_map (C706 appendix I) and its towers (C706
 * appendix L) for ncacn_ip_tcp, as bytes: no sockets here.
 */
#include <string.h>

#include "epm.h"

/* C706 appendix I: e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0 */
const struct dcerpc_syntax epm_syntax = {
	{ 0xe1af8308, 0x5d1f, 0x11c9, { 0x91, 0xa4 },
	  { 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa } }, 3, 0
};

#define TOWER_LEN	75	/* 2 + 2 * 25 (uuid floors) + 7 + 7 + 9 */

/* C706 appendix L: a floor is lhs_len, lhs, rhs_len, rhs (LE lengths). */
static size_t
put_floor(uint8_t *p, const uint8_t *lhs, size_t lhs_len, const uint8_t *rhs,
    size_t rhs_len)
{
	dcerpc_put16(p, (uint16_t)lhs_len);
	memcpy(p + 2, lhs, lhs_len);
	dcerpc_put16(p + 2 + lhs_len, (uint16_t)rhs_len);
	memcpy(p + 4 + lhs_len, rhs, rhs_len);
	return 4 + lhs_len + rhs_len;
}

static size_t
put_uuid_floor(uint8_t *p, const struct dcerpc_syntax *s)
{
	uint8_t lhs[19], rhs[2];

	lhs[0] = EPM_PROT_UUID;
	dcerpc_uuid_put(lhs + 1, &s->uuid);
	dcerpc_put16(lhs + 17, s->ver_major);
	dcerpc_put16(rhs, s->ver_minor);
	return put_floor(p, lhs, sizeof(lhs), rhs, sizeof(rhs));
}

enum dcerpc_err
epm_tower_build(const struct epm_tower *t, uint8_t *out, size_t cap,
    size_t *out_len)
{
	uint8_t id, rhs[4];
	size_t off = 2;

	if (cap < TOWER_LEN)
		return DCERPC_E_SPACE;
	dcerpc_put16(out, 5);
	off += put_uuid_floor(out + off, &t->iface);
	off += put_uuid_floor(out + off, &t->transfer);
	id = EPM_PROT_NCACN;
	memset(rhs, 0, sizeof(rhs));
	off += put_floor(out + off, &id, 1, rhs, 2);
	id = EPM_PROT_TCP;
	rhs[0] = (uint8_t)(t->port >> 8);	/* big-endian (appendix L) */
	rhs[1] = (uint8_t)t->port;
	off += put_floor(out + off, &id, 1, rhs, 2);
	id = EPM_PROT_IP;
	off += put_floor(out + off, &id, 1, t->ip, 4);
	*out_len = off;
	return DCERPC_OK;
}

/* Reads one floor at *off, which must have exactly the sizes given. */
static bool
get_floor(const uint8_t *p, size_t len, size_t *off, size_t lhs_len,
    size_t rhs_len, const uint8_t **lhs, const uint8_t **rhs)
{
	if (len - *off < 4 + lhs_len + rhs_len ||
	    dcerpc_get16(p + *off) != lhs_len ||
	    dcerpc_get16(p + *off + 2 + lhs_len) != rhs_len)
		return false;
	*lhs = p + *off + 2;
	*rhs = p + *off + 4 + lhs_len;
	*off += 4 + lhs_len + rhs_len;
	return true;
}

static bool
get_uuid_floor(const uint8_t *p, size_t len, size_t *off,
    struct dcerpc_syntax *s)
{
	const uint8_t *lhs, *rhs;

	if (!get_floor(p, len, off, 19, 2, &lhs, &rhs) ||
	    lhs[0] != EPM_PROT_UUID)
		return false;
	dcerpc_uuid_get(lhs + 1, &s->uuid);
	s->ver_major = dcerpc_get16(lhs + 17);
	s->ver_minor = dcerpc_get16(rhs);
	return true;
}

enum dcerpc_err
epm_tower_parse(const uint8_t *p, size_t len, struct epm_tower *t)
{
	const uint8_t *lhs, *rhs;
	size_t off = 2;

	memset(t, 0, sizeof(*t));
	if (len != TOWER_LEN || dcerpc_get16(p) != 5)
		return DCERPC_E_BAD_NDR;
	if (!get_uuid_floor(p, len, &off, &t->iface) ||
	    !get_uuid_floor(p, len, &off, &t->transfer))
		return DCERPC_E_BAD_NDR;
	if (!get_floor(p, len, &off, 1, 2, &lhs, &rhs) ||
	    lhs[0] != EPM_PROT_NCACN)
		return DCERPC_E_BAD_NDR;
	if (!get_floor(p, len, &off, 1, 2, &lhs, &rhs) ||
	    lhs[0] != EPM_PROT_TCP)
		return DCERPC_E_BAD_NDR;
	t->port = (uint16_t)(rhs[0] << 8 | rhs[1]);
	if (!get_floor(p, len, &off, 1, 4, &lhs, &rhs) ||
	    lhs[0] != EPM_PROT_IP)
		return DCERPC_E_BAD_NDR;
	memcpy(t->ip, rhs, 4);
	return off == len ? DCERPC_OK : DCERPC_E_BAD_NDR;
}

/* twr_t (C706 appendix I): conformant struct, max_count first. */
static enum dcerpc_err
put_tower(struct ndr_out *o, const struct epm_tower *t)
{
	uint8_t tower[TOWER_LEN];
	size_t len;
	enum dcerpc_err r;

	if ((r = epm_tower_build(t, tower, sizeof(tower), &len)) != DCERPC_OK)
		return r;
	ndr_put_u32(o, (uint32_t)len);
	ndr_put_u32(o, (uint32_t)len);
	ndr_put_bytes(o, tower, len);
	ndr_put_align(o, 4);
	return DCERPC_OK;
}

static bool
get_tower(struct ndr_in *in, struct epm_tower *t)
{
	uint32_t max, len;
	const uint8_t *p;

	if (!ndr_get_u32(in, &max) || !ndr_get_u32(in, &len) || len != max ||
	    len > EPM_TOWER_MAX || !ndr_get_bytes(in, len, &p))
		return false;
	if (epm_tower_parse(p, len, t) != DCERPC_OK)
		return false;
	return ndr_get_align(in, 4);
}

enum dcerpc_err
epm_map_request_build(const struct epm_tower *want, struct ndr_out *o)
{
	static const uint8_t zero[20];
	enum dcerpc_err r;

	/* [in, ptr] object: a nil UUID, referent 1, as Windows sends it */
	ndr_put_u32(o, 1);
	ndr_put_bytes(o, zero, 16);
	/* [in, ptr] map_tower, referent 2 */
	ndr_put_u32(o, 2);
	if ((r = put_tower(o, want)) != DCERPC_OK)
		return r;
	/* [in, out] entry_handle: nil context handle; [in] max_towers */
	ndr_put_bytes(o, zero, 20);
	ndr_put_u32(o, EPM_MAX_TOWERS);
	return o->failed ? DCERPC_E_NOMEM : DCERPC_OK;
}

enum dcerpc_err
epm_map_request_parse(const uint8_t *stub, size_t len,
    struct epm_tower *want, size_t *ndr_end)
{
	const uint8_t *p;
	struct ndr_in in;
	uint32_t max_towers;
	bool present;

	ndr_in_init(&in, stub, len);
	if (!ndr_get_ptr(&in, &present) ||
	    (present && !ndr_get_bytes(&in, 16, &p)))
		return DCERPC_E_BAD_NDR;
	if (!ndr_get_ptr(&in, &present) || !present || !get_tower(&in, want))
		return DCERPC_E_BAD_NDR;
	if (!ndr_get_bytes(&in, 20, &p) || !ndr_get_u32(&in, &max_towers) ||
	    max_towers == 0)
		return DCERPC_E_BAD_NDR;
	*ndr_end = in.off;
	return DCERPC_OK;
}

enum dcerpc_err
epm_map_response_build(const struct epm_tower *towers, size_t n,
    uint32_t status, struct ndr_out *o)
{
	static const uint8_t zero[20];
	enum dcerpc_err r;
	size_t i;

	if (n > EPM_MAX_TOWERS)
		return DCERPC_E_ARG;
	ndr_put_bytes(o, zero, 20);		/* entry_handle: done */
	ndr_put_u32(o, (uint32_t)n);		/* num_towers */
	/* towers[]: size_is(max_towers), length_is(num_towers) */
	ndr_put_u32(o, EPM_MAX_TOWERS);
	ndr_put_u32(o, 0);
	ndr_put_u32(o, (uint32_t)n);
	for (i = 0; i < n; i++)
		ndr_put_u32(o, (uint32_t)(3 + i));	/* referents */
	for (i = 0; i < n; i++)
		if ((r = put_tower(o, &towers[i])) != DCERPC_OK)
			return r;
	ndr_put_u32(o, status);
	return o->failed ? DCERPC_E_NOMEM : DCERPC_OK;
}

enum dcerpc_err
epm_map_response_parse(const uint8_t *stub, size_t len,
    struct epm_tower *towers, size_t max, size_t *n, uint32_t *status)
{
	uint32_t num, max_count, offset, actual, i;
	bool present[EPM_MAX_TOWERS];
	const uint8_t *p;
	struct ndr_in in;

	*n = 0;
	ndr_in_init(&in, stub, len);
	if (!ndr_get_bytes(&in, 20, &p) || !ndr_get_u32(&in, &num) ||
	    !ndr_get_u32(&in, &max_count) || !ndr_get_u32(&in, &offset) ||
	    !ndr_get_u32(&in, &actual))
		return DCERPC_E_BAD_NDR;
	if (offset != 0 || actual != num || actual > max_count ||
	    actual > EPM_MAX_TOWERS)
		return DCERPC_E_BAD_NDR;
	for (i = 0; i < actual; i++)
		if (!ndr_get_ptr(&in, &present[i]))
			return DCERPC_E_BAD_NDR;
	for (i = 0; i < actual; i++) {
		struct epm_tower t;

		if (!present[i])
			continue;
		if (!get_tower(&in, &t))
			return DCERPC_E_BAD_NDR;
		if (*n < max)
			towers[(*n)++] = t;
	}
	if (!ndr_get_u32(&in, status) || in.off != len)
		return DCERPC_E_BAD_NDR;
	return DCERPC_OK;
}
