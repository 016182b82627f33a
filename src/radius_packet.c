/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * RADIUS packet encoding and reply checks for the PAP client of step 3
 * (RFC 2865, RFC 3579 3.2, RFC 3162). Pure functions over byte buffers.
 */
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "radius_packet.h"
#include "secret.h"

const char *
radius_pkt_strerror(enum radius_pkt_result r)
{
	switch (r) {
	case RADIUS_PKT_OK:
		return "ok";
	case RADIUS_PKT_BAD_NAME:
		return "User-Name empty, longer than 253 bytes or holding a NUL";
	case RADIUS_PKT_BAD_PASSWORD:
		return "password empty, longer than 128 bytes or holding a NUL";
	case RADIUS_PKT_BAD_NAS:
		return "NAS-Identifier or NAS address unfit";
	case RADIUS_PKT_CRYPTO:
		return "MD5 or HMAC-MD5 failed";
	case RADIUS_PKT_SHORT:
		return "shorter than its header or its Length";
	case RADIUS_PKT_BAD_LENGTH:
		return "Length out of range 20..4096";
	case RADIUS_PKT_BAD_CODE:
		return "not Access-Accept, -Reject or -Challenge";
	case RADIUS_PKT_BAD_ID:
		return "Identifier does not match the request";
	case RADIUS_PKT_BAD_ATTR:
		return "malformed attribute";
	case RADIUS_PKT_BAD_AUTHENTICATOR:
		return "wrong Response Authenticator";
	case RADIUS_PKT_NO_MA:
		return "no Message-Authenticator";
	case RADIUS_PKT_BAD_MA:
		return "wrong Message-Authenticator";
	}
	return "unknown RADIUS packet error";
}

/* Returns 0 when a and b (len bytes) are equal, in time independent of where they differ. */
static int
radius_pkt_memdiff(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < len; i++)
		d |= a[i] ^ b[i];
	return d != 0;
}

/* out = MD5(a + b); either part may be empty. Returns 0 or -1. */
static int
radius_pkt_md5(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
    uint8_t out[16])
{
	gnutls_hash_hd_t h;
	int ret = -1;

	if (gnutls_hash_init(&h, GNUTLS_DIG_MD5) < 0)
		return -1;
	if ((a_len && gnutls_hash(h, a, a_len) < 0) ||
	    (b_len && gnutls_hash(h, b, b_len) < 0))
		goto cleanup;
	ret = 0;
cleanup:
	gnutls_hash_deinit(h, out);
	return ret;
}

/* Returns true when s (len bytes) holds a NUL. */
static bool
radius_pkt_has_nul(const void *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

enum radius_pkt_result
radius_pkt_hide_password(const uint8_t *secret, size_t secret_len,
    const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *password,
    size_t password_len, uint8_t *out, size_t *out_len)
{
	enum radius_pkt_result ret = RADIUS_PKT_CRYPTO;
	uint8_t b[16];
	const uint8_t *prev = req_auth;
	size_t padded, off, i;

	*out_len = 0;
	/* RFC 2865 5.2: 128 bytes at most; a NUL would read as padding. */
	if (password_len == 0 || password_len > RADIUS_PASSWORD_MAX ||
	    radius_pkt_has_nul(password, password_len))
		return RADIUS_PKT_BAD_PASSWORD;
	padded = (password_len + 15) / 16 * 16;
	memset(out, 0, padded);
	memcpy(out, password, password_len);
	/* b1 = MD5(S + RA), c(1) = p1 xor b1; bi = MD5(S + c(i-1)), c(i) = pi xor bi */
	for (off = 0; off < padded; off += 16) {
		if (radius_pkt_md5(secret, secret_len, prev, 16, b) != 0)
			goto cleanup;
		for (i = 0; i < 16; i++)
			out[off + i] ^= b[i];
		prev = out + off;
	}
	*out_len = padded;
	ret = RADIUS_PKT_OK;
cleanup:
	secret_wipe(b, sizeof(b));
	if (ret != RADIUS_PKT_OK)
		secret_wipe(out, padded);
	return ret;
}

/* Appends one attribute; the caller has checked that it fits. */
static size_t
radius_pkt_put_attr(uint8_t *buf, size_t pos, uint8_t type, const void *val,
    size_t val_len)
{
	buf[pos] = type;
	buf[pos + 1] = (uint8_t)(val_len + 2);
	memcpy(buf + pos + 2, val, val_len);
	return pos + 2 + val_len;
}

enum radius_pkt_result
radius_pkt_sign_ma(uint8_t *pkt, size_t len, size_t ma_off,
    const uint8_t auth_for_hmac[RADIUS_AUTH_LEN], const uint8_t *secret,
    size_t secret_len)
{
	uint8_t saved[RADIUS_AUTH_LEN];
	uint8_t mac[RADIUS_MA_LEN];
	int rc;

	if (len < RADIUS_HEADER_LEN || ma_off + RADIUS_MA_LEN > len)
		return RADIUS_PKT_BAD_LENGTH;
	memcpy(saved, pkt + 4, RADIUS_AUTH_LEN);
	memcpy(pkt + 4, auth_for_hmac, RADIUS_AUTH_LEN);
	memset(pkt + ma_off, 0, RADIUS_MA_LEN);
	rc = gnutls_hmac_fast(GNUTLS_MAC_MD5, secret, secret_len, pkt, len, mac);
	memcpy(pkt + 4, saved, RADIUS_AUTH_LEN);
	if (rc < 0)
		return RADIUS_PKT_CRYPTO;
	memcpy(pkt + ma_off, mac, RADIUS_MA_LEN);
	return RADIUS_PKT_OK;
}

/*
 * RFC 2865 3: MD5(Code + Identifier + Length + Request Authenticator +
 * Attributes + Secret) over pkt (len bytes). Returns 0 or -1.
 */
static int
radius_pkt_response_auth(const uint8_t *pkt, size_t len,
    const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
    size_t secret_len, uint8_t out[RADIUS_AUTH_LEN])
{
	gnutls_hash_hd_t h;
	int ret = -1;

	if (gnutls_hash_init(&h, GNUTLS_DIG_MD5) < 0)
		return -1;
	if (gnutls_hash(h, pkt, 4) < 0 ||
	    gnutls_hash(h, req_auth, RADIUS_AUTH_LEN) < 0 ||
	    (len > RADIUS_HEADER_LEN && gnutls_hash(h,
	    pkt + RADIUS_HEADER_LEN, len - RADIUS_HEADER_LEN) < 0) ||
	    (secret_len && gnutls_hash(h, secret, secret_len) < 0))
		goto cleanup;
	ret = 0;
cleanup:
	gnutls_hash_deinit(h, out);
	return ret;
}

enum radius_pkt_result
radius_pkt_sign_reply(uint8_t *pkt, size_t len,
    const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
    size_t secret_len)
{
	uint8_t sum[RADIUS_AUTH_LEN];

	if (len < RADIUS_HEADER_LEN)
		return RADIUS_PKT_SHORT;
	if (radius_pkt_response_auth(pkt, len, req_auth, secret, secret_len,
	    sum) != 0)
		return RADIUS_PKT_CRYPTO;
	memcpy(pkt + 4, sum, RADIUS_AUTH_LEN);
	return RADIUS_PKT_OK;
}

/*
 * Writes the header of a request (Length still open) and a zeroed
 * Message-Authenticator as its first attribute (RFC 3579 3.2; BlastRADIUS:
 * first, so that no attribute can be slipped in ahead of it). Sets *ma_off
 * to the offset of its value. Returns the position after it.
 */
static size_t
radius_pkt_start(uint8_t *buf, uint8_t code, uint8_t id,
    const uint8_t req_auth[RADIUS_AUTH_LEN], size_t *ma_off)
{
	const uint8_t zero_ma[RADIUS_MA_LEN] = { 0 };

	buf[0] = code;
	buf[1] = id;
	memcpy(buf + 4, req_auth, RADIUS_AUTH_LEN);
	*ma_off = RADIUS_HEADER_LEN + 2;
	return radius_pkt_put_attr(buf, RADIUS_HEADER_LEN,
	    RADIUS_ATTR_MESSAGE_AUTHENTICATOR, zero_ma, sizeof(zero_ma));
}

/*
 * Sets Length to len and signs: RFC 3579 3.2, for a request the HMAC runs
 * over the packet as sent (its own Request Authenticator). Wipes the packet
 * when that fails.
 */
static enum radius_pkt_result
radius_pkt_finish(uint8_t *buf, size_t len, size_t ma_off,
    const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
    size_t secret_len)
{
	enum radius_pkt_result ret;

	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)(len & 0xff);
	ret = radius_pkt_sign_ma(buf, len, ma_off, req_auth, secret, secret_len);
	if (ret != RADIUS_PKT_OK)
		secret_wipe(buf, len);
	return ret;
}

enum radius_pkt_result
radius_pkt_status_server(uint8_t *buf, size_t *len, uint8_t id,
    const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
    size_t secret_len, const char *nas_identifier)
{
	enum radius_pkt_result ret;
	size_t pos, ma_off, nas_id_len = 0;

	*len = 0;
	if (nas_identifier) {
		nas_id_len = strlen(nas_identifier);
		if (nas_id_len == 0 || nas_id_len > RADIUS_ATTR_VALUE_MAX)
			return RADIUS_PKT_BAD_NAS;
	}
	/* RFC 5997 3: Code 12, a random Request Authenticator, and a
	 * Message-Authenticator, which the server MUST check. */
	pos = radius_pkt_start(buf, RADIUS_CODE_STATUS_SERVER, id, req_auth,
	    &ma_off);
	if (nas_identifier)
		pos = radius_pkt_put_attr(buf, pos, RADIUS_ATTR_NAS_IDENTIFIER,
		    nas_identifier, nas_id_len);
	ret = radius_pkt_finish(buf, pos, ma_off, req_auth, secret, secret_len);
	if (ret == RADIUS_PKT_OK)
		*len = pos;
	return ret;
}

enum radius_pkt_result
radius_pkt_access_request(uint8_t *buf, size_t *len, uint8_t id,
    const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
    size_t secret_len, const struct radius_request_attrs *attrs)
{
	enum radius_pkt_result ret;
	uint8_t hidden[RADIUS_PASSWORD_MAX];
	size_t hidden_len = 0, name_len, nas_id_len = 0, pos, ma_off;

	*len = 0;
	/* RFC 2865 5.1: User-Name is 1..253 bytes; refused, never cut. */
	if (attrs->user_name == NULL)
		return RADIUS_PKT_BAD_NAME;
	name_len = strlen(attrs->user_name);
	if (name_len == 0 || name_len > RADIUS_ATTR_VALUE_MAX)
		return RADIUS_PKT_BAD_NAME;
	if (attrs->nas_identifier) {
		nas_id_len = strlen(attrs->nas_identifier);
		if (nas_id_len == 0 || nas_id_len > RADIUS_ATTR_VALUE_MAX)
			return RADIUS_PKT_BAD_NAS;
	}
	if (attrs->nas_ip && attrs->nas_ip_len != 4 && attrs->nas_ip_len != 16)
		return RADIUS_PKT_BAD_NAS;
	ret = radius_pkt_hide_password(secret, secret_len, req_auth,
	    attrs->password, attrs->password_len, hidden, &hidden_len);
	if (ret != RADIUS_PKT_OK)
		return ret;

	/*
	 * At most 20 + 18 + 255 + 130 + 255 + 18 = 696 bytes: always fits in
	 * RADIUS_PACKET_MAX.
	 */
	pos = radius_pkt_start(buf, RADIUS_CODE_ACCESS_REQUEST, id, req_auth,
	    &ma_off);
	pos = radius_pkt_put_attr(buf, pos, RADIUS_ATTR_USER_NAME,
	    attrs->user_name, name_len);
	pos = radius_pkt_put_attr(buf, pos, RADIUS_ATTR_USER_PASSWORD, hidden,
	    hidden_len);
	if (attrs->nas_identifier)
		pos = radius_pkt_put_attr(buf, pos, RADIUS_ATTR_NAS_IDENTIFIER,
		    attrs->nas_identifier, nas_id_len);
	if (attrs->nas_ip)
		pos = radius_pkt_put_attr(buf, pos, attrs->nas_ip_len == 4 ?
		    RADIUS_ATTR_NAS_IP_ADDRESS : RADIUS_ATTR_NAS_IPV6_ADDRESS,
		    attrs->nas_ip, attrs->nas_ip_len);
	ret = radius_pkt_finish(buf, pos, ma_off, req_auth, secret, secret_len);
	if (ret != RADIUS_PKT_OK)
		goto cleanup;
	*len = pos;
cleanup:
	secret_wipe(hidden, sizeof(hidden));
	return ret;
}

enum radius_pkt_result
radius_pkt_check_reply(const uint8_t *reply, size_t reply_len, uint8_t id,
    const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
    size_t secret_len, bool require_ma, uint8_t *code)
{
	uint8_t copy[RADIUS_PACKET_MAX];
	uint8_t sum[16], mac[RADIUS_MA_LEN];
	size_t len, pos, ma_off = 0;
	unsigned ma_count = 0;

	*code = 0;
	/* RFC 2865 3: shorter than Length is dropped; beyond it is padding. */
	if (reply_len < RADIUS_HEADER_LEN)
		return RADIUS_PKT_SHORT;
	len = (size_t)reply[2] << 8 | reply[3];
	if (len < RADIUS_HEADER_LEN || len > RADIUS_PACKET_MAX)
		return RADIUS_PKT_BAD_LENGTH;
	if (len > reply_len)
		return RADIUS_PKT_SHORT;
	if (reply[0] != RADIUS_CODE_ACCESS_ACCEPT &&
	    reply[0] != RADIUS_CODE_ACCESS_REJECT &&
	    reply[0] != RADIUS_CODE_ACCESS_CHALLENGE)
		return RADIUS_PKT_BAD_CODE;
	if (reply[1] != id)
		return RADIUS_PKT_BAD_ID;

	/* RFC 2865 5: each attribute is at least 2 bytes and ends by Length. */
	for (pos = RADIUS_HEADER_LEN; pos < len; pos += reply[pos + 1]) {
		if (len - pos < 2 || reply[pos + 1] < 2 ||
		    reply[pos + 1] > len - pos)
			return RADIUS_PKT_BAD_ATTR;
		if (reply[pos] == RADIUS_ATTR_MESSAGE_AUTHENTICATOR) {
			/* RFC 3579 3.2: exactly 18 bytes; one per packet. */
			if (reply[pos + 1] != 2 + RADIUS_MA_LEN || ++ma_count > 1)
				return RADIUS_PKT_BAD_MA;
			ma_off = pos + 2;
		}
	}

	/* RFC 2865 3: the Response Authenticator. */
	if (radius_pkt_response_auth(reply, len, req_auth, secret, secret_len,
	    sum) != 0)
		return RADIUS_PKT_CRYPTO;
	if (radius_pkt_memdiff(sum, reply + 4, RADIUS_AUTH_LEN))
		return RADIUS_PKT_BAD_AUTHENTICATOR;

	/* RFC 3579 3.2: BlastRADIUS (CVE-2024-3596) makes it mandatory. */
	if (ma_count == 0) {
		if (require_ma)
			return RADIUS_PKT_NO_MA;
		*code = reply[0];
		return RADIUS_PKT_OK;
	}
	/* HMAC-MD5 over the reply with the Request Authenticator and a zero MA. */
	memcpy(copy, reply, len);
	memcpy(copy + 4, req_auth, RADIUS_AUTH_LEN);
	memset(copy + ma_off, 0, RADIUS_MA_LEN);
	if (gnutls_hmac_fast(GNUTLS_MAC_MD5, secret, secret_len, copy, len,
	    mac) < 0)
		return RADIUS_PKT_CRYPTO;
	if (radius_pkt_memdiff(mac, reply + ma_off, RADIUS_MA_LEN))
		return RADIUS_PKT_BAD_MA;
	*code = reply[0];
	return RADIUS_PKT_OK;
}
