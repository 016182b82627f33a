/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Connection-oriented DCE/RPC PDUs as bytes (C706 chapter 12, MS-RPCE 2.2.2):
 * the common header, bind / bind_ack / bind_nak, alter_context(_resp), auth3,
 * request / response / fault, the auth_verifier (sec_trailer + auth_value)
 * with its padding, fragmentation and reassembly. No sockets, no GSS-API:
 * both the client and the stand-in server use this same code, and the unit
 * tests reach every rule. Role-agnostic: every PDU can be built and decoded.
 *
 * Decoding is strict (hostile input): every length is checked against the
 * bytes present, integers must be little-endian (drep 0x10; Windows never
 * sends anything else, and we refuse what we cannot test), characters ASCII.
 */
#ifndef OTPCEP_DCERPC_H
#define OTPCEP_DCERPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* C706 12.6.4.1: packet types (ptype). */
#define DCERPC_PTYPE_REQUEST		0
#define DCERPC_PTYPE_RESPONSE		2
#define DCERPC_PTYPE_FAULT		3
#define DCERPC_PTYPE_BIND		11
#define DCERPC_PTYPE_BIND_ACK		12
#define DCERPC_PTYPE_BIND_NAK		13
#define DCERPC_PTYPE_ALTER_CONTEXT	14
#define DCERPC_PTYPE_ALTER_CONTEXT_RESP	15
#define DCERPC_PTYPE_AUTH3		16	/* MS-RPCE 2.2.2.10 */
#define DCERPC_PTYPE_SHUTDOWN		17
#define DCERPC_PTYPE_CO_CANCEL		18
#define DCERPC_PTYPE_ORPHANED		19

/* C706 12.6.3.1, MS-RPCE 2.2.2.3: pfc_flags. */
#define DCERPC_PFC_FIRST_FRAG		0x01
#define DCERPC_PFC_LAST_FRAG		0x02
#define DCERPC_PFC_PENDING_CANCEL	0x04	/* request / response */
#define DCERPC_PFC_SUPPORT_HEADER_SIGN	0x04	/* bind / alter_context (MS-RPCE 2.2.2.3) */
#define DCERPC_PFC_CONC_MPX		0x10
#define DCERPC_PFC_DID_NOT_EXECUTE	0x20
#define DCERPC_PFC_MAYBE		0x40
#define DCERPC_PFC_OBJECT_UUID		0x80

/* MS-RPCE 2.2.1.1.7: auth types; 2.2.1.1.8: levels. */
#define DCERPC_AUTHN_NONE		0
#define DCERPC_AUTHN_GSS_NEGOTIATE	9
#define DCERPC_AUTHN_WINNT		10
#define DCERPC_AUTHN_GSS_KERBEROS	16
#define DCERPC_AUTHN_LEVEL_NONE		1
#define DCERPC_AUTHN_LEVEL_CONNECT	2
#define DCERPC_AUTHN_LEVEL_CALL		3
#define DCERPC_AUTHN_LEVEL_PKT		4
#define DCERPC_AUTHN_LEVEL_PKT_INTEGRITY 5
#define DCERPC_AUTHN_LEVEL_PKT_PRIVACY	6

/* C706 12.6.3.1: sizes. */
#define DCERPC_HDR_LEN			16
#define DCERPC_REQUEST_HDR_LEN		24	/* + 16 with PFC_OBJECT_UUID */
#define DCERPC_RESPONSE_HDR_LEN		24
#define DCERPC_FAULT_HDR_LEN		32
#define DCERPC_AUTH_TRAILER_LEN		8	/* sec_trailer (MS-RPCE 2.2.2.11) */
/* MS-RPCE 2.2.2.11: privacy pads the stub to 16 bytes (3.3.1.5.2: Kerberos). */
#define DCERPC_AUTH_PAD_ALIGN		16
/* C706 12.6.3.1: frag_length is 16 bits; 1432 is the least a peer must accept. */
#define DCERPC_FRAG_LIMIT		65535
#define DCERPC_FRAG_MIN			1432
/* Windows' usual max_xmit_frag / max_recv_frag. */
#define DCERPC_FRAG_DEFAULT		5840
/* Our own bound on one reassembled stub (answers carry a certificate chain). */
#define DCERPC_STUB_MAX			(4u * 1024 * 1024)
/* Bounds on what a bind may list (C706 12.6.3.1: p_cont_list_t). */
#define DCERPC_MAX_CONTEXTS		8
#define DCERPC_MAX_TRANSFER_SYNTAXES	4
/* auth_length beyond this is a lie or an attack: Windows' MaxTokenSize
 * default (48000) bounds a Kerberos token with a large PAC. */
#define DCERPC_AUTH_VALUE_MAX		48000

/* C706 12.6.3.1 / Appendix N: bind_nak reasons and context results. */
#define DCERPC_BIND_NAK_REASON_NOT_SPECIFIED		0
#define DCERPC_BIND_NAK_PROTOCOL_VERSION_NOT_SUPPORTED	4
#define DCERPC_BIND_NAK_INVALID_AUTH_TYPE		8
#define DCERPC_BIND_NAK_INVALID_CHECKSUM		9
#define DCERPC_RESULT_ACCEPTANCE		0
#define DCERPC_RESULT_USER_REJECTION		1
#define DCERPC_RESULT_PROVIDER_REJECTION	2
#define DCERPC_RESULT_NEGOTIATE_ACK		3	/* MS-RPCE 3.3.1.5.3 */
#define DCERPC_REASON_ABSTRACT_NOT_SUPPORTED	1
#define DCERPC_REASON_TRANSFER_NOT_SUPPORTED	2

/* C706 Appendix E, MS-RPCE 2.2.2.12: fault status values we send or name. */
#define DCERPC_NCA_S_OP_RNG_ERROR	0x1c010002u
#define DCERPC_NCA_S_UNKNOWN_IF		0x1c010003u
#define DCERPC_NCA_S_PROTO_ERROR	0x1c01000bu
#define DCERPC_NCA_S_FAULT_REMOTE_NO_MEMORY 0x1c000020u
#define DCERPC_NCA_S_FAULT_ACCESS_DENIED 0x00000005u
#define DCERPC_NCA_S_FAULT_SEC_PKG_ERROR 0x00000721u
#define DCERPC_NCA_S_FAULT_NDR		0x000006f7u

enum dcerpc_err {
	DCERPC_OK = 0,
	/* The peer sent something malformed: drop the connection. */
	DCERPC_E_TRUNCATED,	/* fewer bytes than a length says */
	DCERPC_E_BAD_VERSION,	/* rpc_vers not 5.0 */
	DCERPC_E_BAD_DREP,	/* not little-endian ASCII IEEE */
	DCERPC_E_BAD_LENGTH,	/* frag_length below the header or above limits */
	DCERPC_E_BAD_PTYPE,	/* unknown or unexpected packet type */
	DCERPC_E_BAD_AUTH,	/* auth_length lies, trailer misplaced, bad type */
	DCERPC_E_BAD_PADDING,	/* auth_pad_length impossible */
	DCERPC_E_BAD_BODY,	/* a ptype-specific field is inconsistent */
	DCERPC_E_BAD_FRAG,	/* fragment out of order, other call, too many */
	DCERPC_E_TOO_BIG,	/* reassembled stub beyond DCERPC_STUB_MAX */
	DCERPC_E_BAD_TRAILER,	/* verification trailer malformed or mismatched */
	DCERPC_E_BAD_NDR,	/* stub does not decode */
	/* The peer answered, but not with success. */
	DCERPC_E_FAULT,		/* a fault PDU (status in the caller's out arg) */
	DCERPC_E_BIND_NAK,	/* bind refused */
	DCERPC_E_BIND_REJECTED,	/* bind_ack, but our context not accepted */
	DCERPC_E_UNEXPECTED,	/* a valid PDU out of sequence / other call_id */
	/* Security (GSS-API): see the log line for the mechanism's words. */
	DCERPC_E_SEC_CRED,	/* no credentials (keytab, ccache) */
	DCERPC_E_SEC_CONTEXT,	/* context establishment failed */
	DCERPC_E_SEC_SKEW,	/* clock skew too great */
	DCERPC_E_SEC_EXPIRED,	/* ticket or context expired */
	DCERPC_E_SEC_INTEGRITY,	/* a sealed PDU does not verify */
	DCERPC_E_SEC_LEVEL,	/* below packet privacy */
	/* Transport. */
	DCERPC_E_CONNECT,	/* no TCP connection */
	DCERPC_E_IO,		/* read / write failed */
	DCERPC_E_TIMEOUT,
	DCERPC_E_CLOSED,	/* peer closed the connection */
	/* Ours. */
	DCERPC_E_NOMEM,
	DCERPC_E_SPACE,		/* the output buffer is too small */
	DCERPC_E_ARG,		/* the caller passed something unfit */
	DCERPC_E_INTERNAL,
};

/* Returns a fixed English phrase for r ("PDU truncated", ...). */
const char *dcerpc_strerror(enum dcerpc_err r);
/* Whether r means "the peer sent garbage" (as opposed to our failure). */
bool dcerpc_err_is_peer(enum dcerpc_err r);

/* C706 Appendix A: a UUID in its fields; the wire form is little-endian. */
struct dcerpc_uuid {
	uint32_t time_low;
	uint16_t time_mid;
	uint16_t time_hi;
	uint8_t clock_seq[2];
	uint8_t node[6];
};

/* C706 12.6.3.1: p_syntax_id_t (if_version: major in low 16 bits). */
struct dcerpc_syntax {
	struct dcerpc_uuid uuid;
	uint16_t ver_major;
	uint16_t ver_minor;
};

/* Parses "91ae6020-9e3c-11cf-8d7c-00aa00c091be"; false if malformed. */
bool dcerpc_uuid_parse(const char *s, struct dcerpc_uuid *u);
/* Writes the 37-byte text form (with NUL) to out. */
void dcerpc_uuid_format(const struct dcerpc_uuid *u, char out[37]);
bool dcerpc_uuid_equal(const struct dcerpc_uuid *a, const struct dcerpc_uuid *b);
bool dcerpc_syntax_equal(const struct dcerpc_syntax *a,
    const struct dcerpc_syntax *b);
/* 16-byte wire form, and back. */
void dcerpc_uuid_put(uint8_t out[16], const struct dcerpc_uuid *u);
void dcerpc_uuid_get(const uint8_t in[16], struct dcerpc_uuid *u);
/* C706 12.6.3.1: p_syntax_id_t's 20-byte wire form, and back. */
void dcerpc_syntax_put(uint8_t out[20], const struct dcerpc_syntax *s);
void dcerpc_syntax_get(const uint8_t in[20], struct dcerpc_syntax *s);

/* C706 14.2: the NDR 2.0 transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 v2. */
extern const struct dcerpc_syntax dcerpc_syntax_ndr;
/* MS-RPCE 3.3.1.5.3: bind time feature negotiation, 6cb71c2c-9812-4540-... v1. */
extern const struct dcerpc_syntax dcerpc_syntax_btfn;

/* C706 12.6.3.1: the common header. */
struct dcerpc_hdr {
	uint8_t ptype;
	uint8_t pfc_flags;
	uint16_t frag_length;
	uint16_t auth_length;
	uint32_t call_id;
};

/* MS-RPCE 2.2.2.11: sec_trailer and the auth_value after it. */
struct dcerpc_auth {
	uint8_t type;		/* DCERPC_AUTHN_* */
	uint8_t level;		/* DCERPC_AUTHN_LEVEL_* */
	uint8_t pad_len;	/* auth_pad_length: bytes between stub and trailer */
	uint32_t context_id;
	const uint8_t *value;	/* decoding: points into the PDU */
	size_t value_len;	/* == auth_length */
};

/* C706 12.6.3.1: one p_cont_elem_t of a bind / alter_context. */
struct dcerpc_ctx_elem {
	uint16_t context_id;
	struct dcerpc_syntax abstract;
	uint8_t n_transfer;
	struct dcerpc_syntax transfer[DCERPC_MAX_TRANSFER_SYNTAXES];
};

/* C706 12.6.3.1: one p_result_t of a bind_ack / alter_context_resp. */
struct dcerpc_ctx_result {
	uint16_t result;	/* DCERPC_RESULT_* */
	uint16_t reason;	/* DCERPC_REASON_* (or BTFN bits for NEGOTIATE_ACK) */
	struct dcerpc_syntax transfer;
};

/*
 * A decoded PDU: a view into the caller's buffer (nothing is copied or
 * allocated; the buffer must outlive it). The union member that is valid
 * follows hdr.ptype.
 */
struct dcerpc_pdu {
	struct dcerpc_hdr hdr;
	const uint8_t *raw;	/* the whole PDU: hdr.frag_length bytes */
	bool has_auth;		/* auth_length != 0 */
	struct dcerpc_auth auth;
	size_t trailer_off;	/* offset of sec_trailer in raw (has_auth) */
	/* request / response / fault: the stub, without auth padding. */
	size_t stub_off;
	size_t stub_len;
	union {
		struct {
			uint32_t alloc_hint;
			uint16_t context_id;
			uint16_t opnum;
			bool has_object;
			struct dcerpc_uuid object;
		} request;
		struct {
			uint32_t alloc_hint;
			uint16_t context_id;
			uint8_t cancel_count;
		} response;
		struct {
			uint32_t alloc_hint;
			uint16_t context_id;
			uint8_t cancel_count;
			uint32_t status;
		} fault;
		struct {	/* bind, alter_context */
			uint16_t max_xmit_frag;
			uint16_t max_recv_frag;
			uint32_t assoc_group;
			uint8_t n_ctx;
			struct dcerpc_ctx_elem ctx[DCERPC_MAX_CONTEXTS];
		} bind;
		struct {	/* bind_ack, alter_context_resp */
			uint16_t max_xmit_frag;
			uint16_t max_recv_frag;
			uint32_t assoc_group;
			char sec_addr[256];	/* port_any_t, NUL-terminated */
			uint8_t n_results;
			struct dcerpc_ctx_result results[DCERPC_MAX_CONTEXTS];
		} bind_ack;
		struct {
			uint16_t reason;
		} bind_nak;
	} u;
};

/*
 * Reads the common header of the first DCERPC_HDR_LEN bytes of a PDU (what a
 * stream reader needs to know how many bytes follow): checks version, drep,
 * and frag_length against [header size of the ptype, max_frag]. Returns
 * DCERPC_OK and fills hdr, or why the stream must be dropped.
 */
enum dcerpc_err dcerpc_hdr_peek(const uint8_t *buf, size_t len,
    uint16_t max_frag, struct dcerpc_hdr *hdr);

/*
 * Decodes one whole PDU of len bytes (len must equal frag_length): the header,
 * the ptype's fields, and the auth verifier at the end (auth_length bytes of
 * auth_value after an 8-byte sec_trailer, the auth padding before it inside
 * the stub area, MS-RPCE 2.2.2.11). Every count and length is checked.
 * Returns DCERPC_OK and fills pdu (a view into buf).
 */
enum dcerpc_err dcerpc_pdu_decode(const uint8_t *buf, size_t len,
    struct dcerpc_pdu *pdu);

/* ---- Building PDUs. Each writes into out (cap bytes) and sets *out_len. ---- */

/*
 * An auth verifier to append. value may be NULL: then value_len zero bytes are
 * reserved, for a token computed afterwards over the finished PDU (sealing).
 */
struct dcerpc_auth_out {
	uint8_t type;
	uint8_t level;
	uint32_t context_id;
	const uint8_t *value;
	size_t value_len;
};

/* C706 12.6.4.3 / 12.6.4.1: bind or alter_context (ptype says which). */
enum dcerpc_err dcerpc_build_bind(uint8_t *out, size_t cap, size_t *out_len,
    uint8_t ptype, uint8_t pfc_flags, uint32_t call_id,
    uint16_t max_xmit_frag, uint16_t max_recv_frag, uint32_t assoc_group,
    const struct dcerpc_ctx_elem *ctx, size_t n_ctx,
    const struct dcerpc_auth_out *auth);

/* C706 12.6.4.4 / 12.6.4.2: bind_ack or alter_context_resp. */
enum dcerpc_err dcerpc_build_bind_ack(uint8_t *out, size_t cap,
    size_t *out_len, uint8_t ptype, uint8_t pfc_flags, uint32_t call_id,
    uint16_t max_xmit_frag, uint16_t max_recv_frag, uint32_t assoc_group,
    const char *sec_addr, const struct dcerpc_ctx_result *results,
    size_t n_results, const struct dcerpc_auth_out *auth);

/* C706 12.6.4.5: bind_nak with no protocol versions list. */
enum dcerpc_err dcerpc_build_bind_nak(uint8_t *out, size_t cap,
    size_t *out_len, uint32_t call_id, uint16_t reason);

/* MS-RPCE 2.2.2.10: auth3 (4 bytes of padding, then the verifier). */
enum dcerpc_err dcerpc_build_auth3(uint8_t *out, size_t cap, size_t *out_len,
    uint32_t call_id, const struct dcerpc_auth_out *auth);

/*
 * C706 12.6.4.9 / 12.6.4.10: one request or response fragment carrying
 * stub_len bytes of stub. With auth, zero padding brings the stub to a
 * multiple of DCERPC_AUTH_PAD_ALIGN (MS-RPCE 2.2.2.11) before the sec_trailer.
 * For a request, opnum is used and object may be NULL; for a response opnum
 * is ignored. *trailer_off gets the sec_trailer's offset (may be NULL).
 */
struct dcerpc_call_frag {
	uint8_t ptype;		/* REQUEST or RESPONSE */
	uint8_t pfc_flags;	/* FIRST_FRAG / LAST_FRAG as this fragment is */
	uint32_t call_id;
	uint32_t alloc_hint;
	uint16_t context_id;
	uint16_t opnum;
	const struct dcerpc_uuid *object;
	const uint8_t *stub;
	size_t stub_len;
};
enum dcerpc_err dcerpc_build_call(uint8_t *out, size_t cap, size_t *out_len,
    const struct dcerpc_call_frag *f, const struct dcerpc_auth_out *auth);

/* C706 12.6.4.7: fault with status (no stub). */
enum dcerpc_err dcerpc_build_fault(uint8_t *out, size_t cap, size_t *out_len,
    uint32_t call_id, uint16_t context_id, uint32_t status, uint8_t pfc_extra);

/*
 * How many stub bytes fit in one request / response fragment of at most
 * max_frag bytes, with an auth_value of token_len (0: no auth) - a multiple
 * of DCERPC_AUTH_PAD_ALIGN when auth is on, so only the last fragment pads.
 * 0 when max_frag is too small.
 */
size_t dcerpc_frag_stub_room(uint16_t max_frag, uint8_t ptype, bool object,
    size_t token_len);

/*
 * Reassembly of one call's stub from its fragments (C706 12.6.3.1:
 * FIRST_FRAG .. LAST_FRAG, same call_id and ptype). Bounded by max_stub.
 */
struct dcerpc_reasm {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max_stub;
	uint32_t call_id;
	uint8_t ptype;
	bool started;
	bool done;
};

void dcerpc_reasm_init(struct dcerpc_reasm *r, size_t max_stub);
/*
 * Adds the stub of pdu (already unsealed when sealed: stub points at
 * plaintext). Checks the fragment order, call_id, ptype and the bound.
 * Sets r->done on LAST_FRAG. Returns DCERPC_OK or why the call fails.
 */
enum dcerpc_err dcerpc_reasm_add(struct dcerpc_reasm *r,
    const struct dcerpc_pdu *pdu, const uint8_t *stub, size_t stub_len);
void dcerpc_reasm_free(struct dcerpc_reasm *r);

/* Little-endian helpers for the modules of this library. */
static inline uint16_t
dcerpc_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
dcerpc_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	    ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void
dcerpc_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
dcerpc_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#endif
