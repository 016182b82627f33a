/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * RADIUS packets (RFC 2865) as bytes: the Access-Request of a PAP client with
 * a Message-Authenticator (RFC 3579 3.2) first, and the checks every reply
 * must pass. No sockets, no clock, no state: everything comes in as arguments,
 * so the unit tests can reach every rule. MD5 and HMAC-MD5 come from GnuTLS.
 */
#ifndef OTPCEP_RADIUS_PACKET_H
#define OTPCEP_RADIUS_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 2865 3: packet codes. */
#define RADIUS_CODE_ACCESS_REQUEST	1
#define RADIUS_CODE_ACCESS_ACCEPT	2
#define RADIUS_CODE_ACCESS_REJECT	3
#define RADIUS_CODE_ACCESS_CHALLENGE	11
#define RADIUS_CODE_STATUS_SERVER	12	/* RFC 5997 */

/* RFC 2865 5, RFC 3162 2.1, RFC 3579 3.2: attribute types. */
#define RADIUS_ATTR_USER_NAME		1
#define RADIUS_ATTR_USER_PASSWORD	2
#define RADIUS_ATTR_NAS_IP_ADDRESS	4
#define RADIUS_ATTR_NAS_IDENTIFIER	32
#define RADIUS_ATTR_MESSAGE_AUTHENTICATOR 80
#define RADIUS_ATTR_NAS_IPV6_ADDRESS	95

#define RADIUS_HEADER_LEN	20	/* code, id, length, authenticator */
#define RADIUS_AUTH_LEN		16
#define RADIUS_PACKET_MAX	4096	/* RFC 2865 3 */
#define RADIUS_ATTR_VALUE_MAX	253	/* RFC 2865 5: length octet, 255 - 2 */
#define RADIUS_PASSWORD_MAX	128	/* RFC 2865 5.2 */
#define RADIUS_MA_LEN		16	/* RFC 3579 3.2: HMAC-MD5 */

enum radius_pkt_result {
	RADIUS_PKT_OK = 0,
	/* Building a request: our input is unfit, nothing was sent. */
	RADIUS_PKT_BAD_NAME,		/* empty, > 253 bytes, or has a NUL */
	RADIUS_PKT_BAD_PASSWORD,	/* empty, > 128 bytes, or has a NUL */
	RADIUS_PKT_BAD_NAS,		/* NAS-Identifier or address unfit */
	RADIUS_PKT_CRYPTO,		/* GnuTLS failed */
	/* Checking a reply: the packet is dropped. */
	RADIUS_PKT_SHORT,		/* fewer than 20 bytes, or than Length */
	RADIUS_PKT_BAD_LENGTH,		/* Length below 20 or above 4096 */
	RADIUS_PKT_BAD_CODE,		/* not Accept, Reject or Challenge */
	RADIUS_PKT_BAD_ID,		/* not our Identifier */
	RADIUS_PKT_BAD_ATTR,		/* an attribute runs past Length or is < 2 */
	RADIUS_PKT_BAD_AUTHENTICATOR,	/* Response Authenticator wrong */
	RADIUS_PKT_NO_MA,		/* no Message-Authenticator, and one is required */
	RADIUS_PKT_BAD_MA,		/* Message-Authenticator wrong, mis-sized or twice */
};

const char *radius_pkt_strerror(enum radius_pkt_result r);

/* What goes into one Access-Request. */
struct radius_request_attrs {
	const char *user_name;
	const uint8_t *password;
	size_t password_len;
	const char *nas_identifier;	/* NULL: none */
	const uint8_t *nas_ip;		/* 4 or 16 bytes, NULL: none */
	size_t nas_ip_len;
};

/*
 * RFC 2865 5.2: hides password (1..128 bytes) with secret and the Request
 * Authenticator: padded with NULs to a multiple of 16, each 16-byte block
 * XORed with MD5(secret + previous block), the first with MD5(secret + RA).
 * Writes *out_len (16..128) bytes to out (room for 128).
 */
enum radius_pkt_result radius_pkt_hide_password(const uint8_t *secret,
    size_t secret_len, const uint8_t req_auth[RADIUS_AUTH_LEN],
    const uint8_t *password, size_t password_len, uint8_t *out, size_t *out_len);

/*
 * Builds an Access-Request into buf (RADIUS_PACKET_MAX bytes) with the given
 * Identifier and Request Authenticator (16 random bytes, RFC 2865 3):
 * Message-Authenticator first (RFC 3579 3.2; BlastRADIUS mitigation), then
 * User-Name, User-Password, NAS-Identifier, NAS-IP(v6)-Address. Input that
 * would not fit is refused, never cut. Sets *len.
 */
enum radius_pkt_result radius_pkt_access_request(uint8_t *buf, size_t *len,
    uint8_t id, const uint8_t req_auth[RADIUS_AUTH_LEN],
    const uint8_t *secret, size_t secret_len,
    const struct radius_request_attrs *attrs);

/*
 * RFC 5997 3: a Status-Server with the given Identifier and (random) Request
 * Authenticator: Message-Authenticator first, then NAS-Identifier when not
 * NULL. Into buf (RADIUS_PACKET_MAX bytes); sets *len. The server answers
 * Access-Accept on its authentication port (RFC 5997 3), checked with
 * radius_pkt_check_reply() like any reply.
 */
enum radius_pkt_result radius_pkt_status_server(uint8_t *buf, size_t *len,
    uint8_t id, const uint8_t req_auth[RADIUS_AUTH_LEN],
    const uint8_t *secret, size_t secret_len, const char *nas_identifier);

/*
 * Checks reply (as received, reply_len bytes) against the request it answers
 * (its Identifier and Request Authenticator): size and Length, code, the
 * Identifier, attribute framing, the Response Authenticator (RFC 2865 3) and
 * the Message-Authenticator (RFC 3579 3.2): at most one, 16 bytes, correct;
 * required when require_ma. Bytes after Length are padding (RFC 2865 3).
 * Returns RADIUS_PKT_OK and sets *code, or why the reply must be dropped.
 */
enum radius_pkt_result radius_pkt_check_reply(const uint8_t *reply,
    size_t reply_len, uint8_t id, const uint8_t req_auth[RADIUS_AUTH_LEN],
    const uint8_t *secret, size_t secret_len, bool require_ma, uint8_t *code);

/*
 * Fills in the Message-Authenticator of a packet built with a zeroed one at
 * offset ma_off (the value's offset): HMAC-MD5 over the whole packet, keyed
 * with secret, with auth_for_hmac in the authenticator field while computing
 * (RFC 3579 3.2: the Request Authenticator for replies). For tests and the
 * fake server as much as for requests.
 */
enum radius_pkt_result radius_pkt_sign_ma(uint8_t *pkt, size_t len,
    size_t ma_off, const uint8_t auth_for_hmac[RADIUS_AUTH_LEN],
    const uint8_t *secret, size_t secret_len);

/*
 * Sets the Response Authenticator of a reply in pkt (len bytes, Length
 * already set): MD5(Code + Identifier + Length + Request Authenticator +
 * Attributes + secret), RFC 2865 3. For tests and the fake server.
 */
enum radius_pkt_result radius_pkt_sign_reply(uint8_t *pkt, size_t len,
    const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
    size_t secret_len);

#endif
