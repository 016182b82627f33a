/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The verification trailer (MS-RPCE 2.2.2.13): after a request's NDR data,
 * 4-byte aligned, a signature and commands that repeat what the unsigned
 * parts of the call said (header fields, presentation context), so that a
 * man in the middle cannot change them when header signing is off.
 */
#include <string.h>

#include "dcerpc_sec.h"

/* MS-RPCE 2.2.2.13.1: rpc_sec_verification_trailer.signature */
static const uint8_t vt_signature[DCERPC_VT_SIGNATURE_LEN] = {
	0x8a, 0xe3, 0x13, 0x71, 0x02, 0xf4, 0x36, 0x71,
};

enum dcerpc_err
dcerpc_vt_append(uint8_t *out, size_t cap, size_t stub_len, size_t *out_len,
    const struct dcerpc_vt *vt)
{
	size_t off = (stub_len + 3) & ~(size_t)3, need;
	uint8_t *last = NULL;

	need = off + DCERPC_VT_SIGNATURE_LEN +
	    (vt->has_bitmask1 ? 8 : 0) + (vt->has_pcontext ? 44 : 0) +
	    (vt->has_header2 ? 20 : 0);
	if (need > cap)
		return DCERPC_E_SPACE;
	if (need == off + DCERPC_VT_SIGNATURE_LEN)
		return DCERPC_E_ARG;
	memset(out + stub_len, 0, off - stub_len);
	memcpy(out + off, vt_signature, DCERPC_VT_SIGNATURE_LEN);
	off += DCERPC_VT_SIGNATURE_LEN;
	/* MS-RPCE 2.2.2.13.2: SEC_VT_COMMAND_BITMASK_1 */
	if (vt->has_bitmask1) {
		last = out + off;
		dcerpc_put16(out + off, DCERPC_VT_CMD_BITMASK_1);
		dcerpc_put16(out + off + 2, 4);
		dcerpc_put32(out + off + 4, vt->bitmask1);
		off += 8;
	}
	/* MS-RPCE 2.2.2.13.4: SEC_VT_COMMAND_PCONTEXT */
	if (vt->has_pcontext) {
		last = out + off;
		dcerpc_put16(out + off, DCERPC_VT_CMD_PCONTEXT);
		dcerpc_put16(out + off + 2, 40);
		dcerpc_syntax_put(out + off + 4, &vt->abstract);
		dcerpc_syntax_put(out + off + 24, &vt->transfer);
		off += 44;
	}
	/* MS-RPCE 2.2.2.13.3: SEC_VT_COMMAND_HEADER2 */
	if (vt->has_header2) {
		last = out + off;
		dcerpc_put16(out + off, DCERPC_VT_CMD_HEADER2);
		dcerpc_put16(out + off + 2, 16);
		out[off + 4] = vt->ptype;
		out[off + 5] = 0;
		out[off + 6] = 0;
		out[off + 7] = 0;
		memcpy(out + off + 8, vt->drep, 4);
		dcerpc_put32(out + off + 12, vt->call_id);
		dcerpc_put16(out + off + 16, vt->context_id);
		dcerpc_put16(out + off + 18, vt->opnum);
		off += 20;
	}
	dcerpc_put16(last, (uint16_t)(dcerpc_get16(last) | DCERPC_VT_CMD_END));
	*out_len = off;
	return DCERPC_OK;
}

enum dcerpc_err
dcerpc_vt_parse(const uint8_t *stub, size_t stub_len, size_t ndr_end,
    struct dcerpc_vt *vt)
{
	size_t off = (ndr_end + 3) & ~(size_t)3, i;
	bool end = false;

	memset(vt, 0, sizeof(*vt));
	if (ndr_end > stub_len)
		return DCERPC_E_ARG;
	if (off >= stub_len || stub_len - off < DCERPC_VT_SIGNATURE_LEN ||
	    memcmp(stub + off, vt_signature, DCERPC_VT_SIGNATURE_LEN) != 0) {
		/* No trailer: only alignment zeros may follow the NDR data. */
		for (i = ndr_end; i < stub_len; i++)
			if (stub[i] != 0 || i - ndr_end >= 8)
				return DCERPC_E_BAD_TRAILER;
		return DCERPC_OK;
	}
	for (i = ndr_end; i < off; i++)
		if (stub[i] != 0)
			return DCERPC_E_BAD_TRAILER;
	off += DCERPC_VT_SIGNATURE_LEN;
	while (!end) {
		uint16_t cmd, len;
		const uint8_t *v;

		if (stub_len - off < 4)
			return DCERPC_E_BAD_TRAILER;
		cmd = dcerpc_get16(stub + off);
		len = dcerpc_get16(stub + off + 2);
		off += 4;
		if (stub_len - off < len)
			return DCERPC_E_BAD_TRAILER;
		v = stub + off;
		off += len;
		end = (cmd & DCERPC_VT_CMD_END) != 0;
		switch (cmd & 0x3fff) {
		case DCERPC_VT_CMD_BITMASK_1:
			if (len != 4 || vt->has_bitmask1)
				return DCERPC_E_BAD_TRAILER;
			vt->has_bitmask1 = true;
			vt->bitmask1 = dcerpc_get32(v);
			break;
		case DCERPC_VT_CMD_PCONTEXT:
			if (len != 40 || vt->has_pcontext)
				return DCERPC_E_BAD_TRAILER;
			vt->has_pcontext = true;
			dcerpc_syntax_get(v, &vt->abstract);
			dcerpc_syntax_get(v + 20, &vt->transfer);
			break;
		case DCERPC_VT_CMD_HEADER2:
			if (len != 16 || vt->has_header2)
				return DCERPC_E_BAD_TRAILER;
			vt->has_header2 = true;
			vt->ptype = v[0];
			memcpy(vt->drep, v + 4, 4);
			vt->call_id = dcerpc_get32(v + 8);
			vt->context_id = dcerpc_get16(v + 12);
			vt->opnum = dcerpc_get16(v + 14);
			break;
		default:
			/* MS-RPCE 2.2.2.13.1: unknown must-process -> reject */
			if (cmd & DCERPC_VT_CMD_MUST_PROCESS)
				return DCERPC_E_BAD_TRAILER;
			break;
		}
	}
	/* MS-RPCE 2.2.2.13: the trailer ends the stub. */
	if (off != stub_len)
		return DCERPC_E_BAD_TRAILER;
	return DCERPC_OK;
}

enum dcerpc_err
dcerpc_vt_find(const uint8_t *stub, size_t stub_len, struct dcerpc_vt *vt,
    size_t *vt_off)
{
	size_t off;

	memset(vt, 0, sizeof(*vt));
	*vt_off = stub_len;
	/*
	 * MS-RPCE 2.2.2.13: the trailer ends the stub and starts 4-aligned;
	 * a server that does not know where the NDR data ends looks for the
	 * signature backwards, as Samba does. The smallest trailer is the
	 * signature and one 8-byte command.
	 */
	if (stub_len < DCERPC_VT_SIGNATURE_LEN + 8)
		return DCERPC_OK;
	off = (stub_len - DCERPC_VT_SIGNATURE_LEN - 8) & ~(size_t)3;
	for (;;) {
		if (memcmp(stub + off, vt_signature, DCERPC_VT_SIGNATURE_LEN) ==
		    0) {
			enum dcerpc_err r = dcerpc_vt_parse(stub, stub_len,
			    off, vt);

			if (r == DCERPC_OK)
				*vt_off = off;
			return r;
		}
		if (off < 4)
			break;
		off -= 4;
	}
	return DCERPC_OK;
}
