/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * DCE/RPC packet privacy (MS-RPCE 3.3.1.5.2): one security context, as
 * initiator (client) or acceptor (server), behind a small table of functions,
 * and the sealing of whole PDUs laid out by dcerpc.h.
 *
 * The layout is ours and shared by every backend: with header signing
 * (PFC_SUPPORT_HEADER_SIGN negotiated) the PDU header and fixed fields up to
 * the stub, then the sec_trailer, are SIGN_ONLY buffers, the stub and its auth
 * padding the DATA buffer (encrypted in place), the auth_value the token. The
 * backends:
 *  - GSS-API (src/dcerpc_gss.c, MIT krb5): GSS_C_DCE_STYLE context
 *    establishment, gss_wrap_iov / gss_unwrap_iov. Production.
 *  - a known Kerberos key (src/dcerpc_krb5key.c, libkrb5): RFC 4121 wrap
 *    tokens in DCE style computed with krb5_c_encrypt_iov. Opens captures of
 *    Windows traffic from published keys, and checks MIT's tokens
 *    independently. It cannot establish a context.
 */
#ifndef OTPCEP_DCERPC_SEC_H
#define OTPCEP_DCERPC_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcerpc.h"

/* One segment of a PDU handed to a backend, in PDU order. */
enum dcerpc_iov_type {
	DCERPC_IOV_SIGN_ONLY,	/* integrity-protected, left in the clear */
	DCERPC_IOV_DATA,	/* encrypted (wrap) / decrypted (unwrap) in place */
};

struct dcerpc_iov {
	enum dcerpc_iov_type type;
	uint8_t *data;
	size_t len;
};

#define DCERPC_SEC_MAX_IOV	3

struct dcerpc_sec;

/* What every backend provides. Unsupported steps return DCERPC_E_ARG. */
struct dcerpc_sec_ops {
	const char *name;
	/*
	 * One leg of context establishment: in (NULL/0 for an initiator's
	 * first call) -> *out (malloc'd, may be NULL/0), *complete once the
	 * context is established.
	 */
	enum dcerpc_err (*step)(struct dcerpc_sec *sec, const uint8_t *in,
	    size_t in_len, uint8_t **out, size_t *out_len, bool *complete);
	/* Size of the token sealing data_len DATA bytes. */
	enum dcerpc_err (*token_len)(struct dcerpc_sec *sec, size_t data_len,
	    size_t *len);
	/* Seals iov in place, writes exactly token_len bytes to token. */
	enum dcerpc_err (*wrap)(struct dcerpc_sec *sec, struct dcerpc_iov *iov,
	    size_t n_iov, uint8_t *token, size_t token_len);
	/* Verifies and unseals iov in place with token. */
	enum dcerpc_err (*unwrap)(struct dcerpc_sec *sec,
	    struct dcerpc_iov *iov, size_t n_iov, const uint8_t *token,
	    size_t token_len);
	/* The authenticated peer's principal (acceptor), or NULL. */
	const char *(*peer_name)(struct dcerpc_sec *sec);
	void (*free)(struct dcerpc_sec *sec);
};

struct dcerpc_sec {
	const struct dcerpc_sec_ops *ops;
	void *impl;
	uint8_t auth_type;	/* DCERPC_AUTHN_GSS_* on the wire */
	uint8_t auth_level;	/* DCERPC_AUTHN_LEVEL_PKT_PRIVACY */
	uint32_t auth_context_id;
	bool header_sign;	/* PFC_SUPPORT_HEADER_SIGN negotiated */
	bool complete;
	char error[256];	/* the last failure in words (no secrets) */
};

/* ---- GSS-API backend (MIT krb5). ---- */

struct dcerpc_gss_params {
	bool acceptor;
	/* DCERPC_AUTHN_GSS_KERBEROS (16, raw krb5 mech) or _NEGOTIATE (9,
	 * SPNEGO with the krb5 mech only). */
	uint8_t auth_type;
	/* Initiator: the CA's SPN, "host/ca.example.com" or
	 * "host/ca.example.com@REALM". Acceptor: NULL (any key in keytab). */
	const char *target;
	/* Initiator: client keytab (enroll_keytab) with principal
	 * (enroll_principal), or both NULL for the default credential cache
	 * (or ccache). Acceptor: the service keytab (NULL: KRB5_KTNAME). */
	const char *keytab;
	const char *principal;
	const char *ccache;
};

/*
 * Makes a GSS-API security context (not yet established) for PKT_PRIVACY.
 * Credentials are acquired here: a missing keytab or ccache fails now with
 * DCERPC_E_SEC_CRED and words in errbuf.
 */
enum dcerpc_err dcerpc_gss_new(const struct dcerpc_gss_params *p,
    struct dcerpc_sec **out, char *errbuf, size_t errlen);

/*
 * Turns an established GSS context into a known-key one with the same keys,
 * sequence number and role (via gss_krb5_export_lucid_sec_context; the GSS
 * context is consumed, *sec replaced; the keys never leave a dcerpc_sec).
 * For checking MIT's tokens with our own RFC 4121 code and back.
 */
enum dcerpc_err dcerpc_gss_to_krb5key(struct dcerpc_sec **sec);

/* ---- Known-key backend (RFC 4121 with libkrb5). ---- */

/*
 * A context that seals / unseals with a known key: enctype (ENCTYPE_*, e.g.
 * 18 for aes256-cts-hmac-sha1-96), key bytes, whether the acceptor asserted
 * its subkey (RFC 4121 4.2.2 flag), and which side we play (the sent-by-
 * acceptor flag of our tokens). seq is our first sequence number.
 */
enum dcerpc_err dcerpc_krb5key_new(int32_t enctype, const uint8_t *key,
    size_t key_len, bool acceptor_subkey, bool we_are_acceptor, uint64_t seq,
    uint8_t auth_type, struct dcerpc_sec **out);

/* ---- Operations on any backend. ---- */

enum dcerpc_err dcerpc_sec_step(struct dcerpc_sec *sec, const uint8_t *in,
    size_t in_len, uint8_t **out, size_t *out_len);
/* Token size for a call fragment carrying data_len stub+padding bytes. */
enum dcerpc_err dcerpc_sec_token_len(struct dcerpc_sec *sec, size_t data_len,
    size_t *len);
const char *dcerpc_sec_peer_name(struct dcerpc_sec *sec);
void dcerpc_sec_free(struct dcerpc_sec *sec);

/*
 * Seals a request / response fragment built by dcerpc_build_call() with a
 * reserved (zero) auth_value of the size dcerpc_sec_token_len() gave:
 * encrypts stub + padding in place and writes the token (MS-RPCE 3.3.1.5.2).
 */
enum dcerpc_err dcerpc_seal_pdu(struct dcerpc_sec *sec, uint8_t *pdu,
    size_t len);

/*
 * Decodes and unseals a received request / response fragment in place:
 * checks auth type, level (privacy) and context id against sec, verifies
 * the token, decrypts stub + padding; then checks the padding length
 * (MS-RPCE 2.2.2.11: below 16 and within the stub). On DCERPC_OK, pdu->stub_*
 * address the plaintext stub (without padding) inside buf.
 */
enum dcerpc_err dcerpc_unseal_pdu(struct dcerpc_sec *sec, uint8_t *buf,
    size_t len, struct dcerpc_pdu *pdu);

/*
 * The split of a decoded call PDU into backend segments (exposed for tests):
 * fills iov (DCERPC_SEC_MAX_IOV) and *n_iov, with header signing or not.
 */
enum dcerpc_err dcerpc_sec_layout(uint8_t *buf, const struct dcerpc_pdu *pdu,
    bool header_sign, struct dcerpc_iov *iov, size_t *n_iov);

/* ---- MS-RPCE 2.2.2.13: the verification trailer of a request. ---- */

#define DCERPC_VT_SIGNATURE_LEN		8
#define DCERPC_VT_CMD_BITMASK_1		0x0001
#define DCERPC_VT_CMD_PCONTEXT		0x0002
#define DCERPC_VT_CMD_HEADER2		0x0003
#define DCERPC_VT_CMD_END		0x4000
#define DCERPC_VT_CMD_MUST_PROCESS	0x8000
#define DCERPC_VT_CLIENT_SUPPORTS_HEADER_SIGNING 0x00000001u

struct dcerpc_vt {
	bool has_bitmask1;
	uint32_t bitmask1;
	bool has_pcontext;
	struct dcerpc_syntax abstract;
	struct dcerpc_syntax transfer;
	bool has_header2;
	uint8_t ptype;
	uint8_t drep[4];
	uint32_t call_id;
	uint16_t context_id;
	uint16_t opnum;
};

/*
 * Appends the trailer to a stub of stub_len bytes in out (which holds the
 * stub already): zero bytes to a 4-byte boundary, the signature, then the
 * commands present in vt, END set on the last. Sets *out_len.
 */
enum dcerpc_err dcerpc_vt_append(uint8_t *out, size_t cap, size_t stub_len,
    size_t *out_len, const struct dcerpc_vt *vt);

/*
 * Looks for a trailer after the NDR data, which ends at ndr_end: from the
 * next 4-byte boundary the signature must start, or only zero bytes may
 * follow (no trailer: vt zeroed, DCERPC_OK). Unknown commands with
 * MUST_PROCESS fail; every length is checked.
 */
enum dcerpc_err dcerpc_vt_parse(const uint8_t *stub, size_t stub_len,
    size_t ndr_end, struct dcerpc_vt *vt);

/*
 * For a server that does not know where the NDR data ends: looks for the
 * signature at 4-aligned offsets backwards from the end. On DCERPC_OK,
 * *vt_off is where the trailer starts (stub_len when there is none: vt
 * zeroed). A signature that does not parse to the end fails.
 */
enum dcerpc_err dcerpc_vt_find(const uint8_t *stub, size_t stub_len,
    struct dcerpc_vt *vt, size_t *vt_off);

#endif
