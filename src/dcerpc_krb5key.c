/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * RFC 4121 wrap tokens in DCE style, from a known key, with libkrb5's
 * crypto (krb5_c_encrypt_iov / krb5_c_decrypt_iov). The token is what
 * Windows and MIT put in the auth_value at packet privacy:
 *
 *   TOK_ID 05 04 | Flags | Filler FF | EC | RRC | SND_SEQ   (16 bytes)
 *   then the encrypted "trailer" rotated into the token (RFC 4121 4.2.5):
 *   EC filler | E(copy of the header) (16) | checksum | confounder
 *
 * with the PDU's DATA encrypted in place and its SIGN_ONLY parts covered by
 * the checksum. RRC counts the header copy and checksum only (28 for AES),
 * not EC: MIT's "workaround for Windows bug where it rotates by EC + RRC".
 * This backend opens Windows captures from published keys and checks MIT's
 * tokens independently; it cannot establish a context.
 */
#include <stdlib.h>
#include <string.h>
#include <krb5.h>

#include "dcerpc_sec.h"

#define TOK_HDR_LEN	16
/* RFC 4121 4.2.2: Flags. */
#define FLAG_SENT_BY_ACCEPTOR	0x01
#define FLAG_SEALED		0x02
#define FLAG_ACCEPTOR_SUBKEY	0x04
/* RFC 4121 2: key usages. */
#define KG_USAGE_ACCEPTOR_SEAL	22
#define KG_USAGE_INITIATOR_SEAL	24

struct krb5key {
	krb5_context ctx;
	krb5_keyblock key;
	bool acceptor_subkey;
	bool we_are_acceptor;
	uint64_t seq;
	size_t ec;		/* EC we send (Windows: 16 for AES) */
	size_t cksum_len;	/* checksum bytes of the enctype */
	size_t conf_len;	/* confounder bytes (the enctype's header) */
};

static enum dcerpc_err
k_step(struct dcerpc_sec *sec, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len, bool *complete)
{
	(void)sec;
	(void)in;
	(void)in_len;
	(void)out;
	(void)out_len;
	(void)complete;
	return DCERPC_E_ARG;
}

static enum dcerpc_err
k_token_len(struct dcerpc_sec *sec, size_t data_len, size_t *len)
{
	struct krb5key *k = sec->impl;

	(void)data_len;
	*len = TOK_HDR_LEN + k->ec + TOK_HDR_LEN + k->cksum_len + k->conf_len;
	return DCERPC_OK;
}

static void
put_be16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t
get_be16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

/*
 * The krb5 IOV for a token at tok (ec filler bytes) over the PDU's iov:
 * HEADER confounder, the PDU segments, DATA filler + header copy, TRAILER.
 * Returns the number of entries (at most DCERPC_SEC_MAX_IOV + 3).
 */
static size_t
krb5_layout(const struct krb5key *k, uint8_t *tok, size_t ec,
    struct dcerpc_iov *iov, size_t n_iov, krb5_crypto_iov *kiov)
{
	size_t n = 0, i;

	kiov[n].flags = KRB5_CRYPTO_TYPE_HEADER;
	kiov[n].data.data = (char *)(tok + TOK_HDR_LEN + ec + TOK_HDR_LEN +
	    k->cksum_len);
	kiov[n++].data.length = (unsigned int)k->conf_len;
	for (i = 0; i < n_iov; i++, n++) {
		kiov[n].flags = iov[i].type == DCERPC_IOV_DATA ?
		    KRB5_CRYPTO_TYPE_DATA : KRB5_CRYPTO_TYPE_SIGN_ONLY;
		kiov[n].data.data = (char *)iov[i].data;
		kiov[n].data.length = (unsigned int)iov[i].len;
	}
	kiov[n].flags = KRB5_CRYPTO_TYPE_DATA;
	kiov[n].data.data = (char *)(tok + TOK_HDR_LEN);
	kiov[n++].data.length = (unsigned int)(ec + TOK_HDR_LEN);
	kiov[n].flags = KRB5_CRYPTO_TYPE_TRAILER;
	kiov[n].data.data = (char *)(tok + TOK_HDR_LEN + ec + TOK_HDR_LEN);
	kiov[n++].data.length = (unsigned int)k->cksum_len;
	return n;
}

static enum dcerpc_err
k_wrap(struct dcerpc_sec *sec, struct dcerpc_iov *iov, size_t n_iov,
    uint8_t *token, size_t token_len)
{
	struct krb5key *k = sec->impl;
	krb5_crypto_iov kiov[DCERPC_SEC_MAX_IOV + 3];
	size_t want, n, i;
	krb5_data rnd;

	k_token_len(sec, 0, &want);
	if (token_len != want || n_iov > DCERPC_SEC_MAX_IOV)
		return DCERPC_E_ARG;
	/* RFC 4121 4.2.6.2 */
	token[0] = 0x05;
	token[1] = 0x04;
	token[2] = FLAG_SEALED | (k->we_are_acceptor ? FLAG_SENT_BY_ACCEPTOR : 0) |
	    (k->acceptor_subkey ? FLAG_ACCEPTOR_SUBKEY : 0);
	token[3] = 0xff;
	put_be16(token + 4, k->ec);
	put_be16(token + 6, 0);		/* RRC 0 in the encrypted copy */
	for (i = 0; i < 8; i++)
		token[8 + i] = (uint8_t)(k->seq >> (56 - 8 * i));
	memset(token + TOK_HDR_LEN, 0xff, k->ec);	/* EC filler */
	memcpy(token + TOK_HDR_LEN + k->ec, token, TOK_HDR_LEN);
	rnd.data = (char *)(token + token_len - k->conf_len);
	rnd.length = (unsigned int)k->conf_len;
	if (krb5_c_random_make_octets(k->ctx, &rnd) != 0)
		return DCERPC_E_INTERNAL;
	n = krb5_layout(k, token, k->ec, iov, n_iov, kiov);
	if (krb5_c_encrypt_iov(k->ctx, &k->key, k->we_are_acceptor ?
	    KG_USAGE_ACCEPTOR_SEAL : KG_USAGE_INITIATOR_SEAL, NULL, kiov, n) != 0)
		return DCERPC_E_INTERNAL;
	/* RRC: the header copy and checksum (MS-KILE 3.4.5.4.1, DCE style) */
	put_be16(token + 6, TOK_HDR_LEN + k->cksum_len);
	k->seq++;
	return DCERPC_OK;
}

static enum dcerpc_err
k_unwrap(struct dcerpc_sec *sec, struct dcerpc_iov *iov, size_t n_iov,
    const uint8_t *token, size_t token_len)
{
	struct krb5key *k = sec->impl;
	krb5_crypto_iov kiov[DCERPC_SEC_MAX_IOV + 3];
	uint8_t tok[DCERPC_AUTH_VALUE_MAX];
	uint8_t flags, want_flags;
	size_t ec, n;

	if (token_len < TOK_HDR_LEN || token_len > sizeof(tok) ||
	    n_iov > DCERPC_SEC_MAX_IOV)
		return DCERPC_E_SEC_INTEGRITY;
	memcpy(tok, token, token_len);
	flags = tok[2];
	want_flags = FLAG_SEALED | (k->we_are_acceptor ? 0 : FLAG_SENT_BY_ACCEPTOR) |
	    (k->acceptor_subkey ? FLAG_ACCEPTOR_SUBKEY : 0);
	/* RFC 4121 4.2.6.2: token id, flags, filler */
	if (tok[0] != 0x05 || tok[1] != 0x04 || tok[3] != 0xff ||
	    flags != want_flags)
		return DCERPC_E_SEC_INTEGRITY;
	ec = get_be16(tok + 4);
	if (get_be16(tok + 6) != TOK_HDR_LEN + k->cksum_len ||
	    token_len != TOK_HDR_LEN + ec + TOK_HDR_LEN + k->cksum_len +
	    k->conf_len)
		return DCERPC_E_SEC_INTEGRITY;
	n = krb5_layout(k, tok, ec, iov, n_iov, kiov);
	if (krb5_c_decrypt_iov(k->ctx, &k->key, k->we_are_acceptor ?
	    KG_USAGE_INITIATOR_SEAL : KG_USAGE_ACCEPTOR_SEAL, NULL, kiov, n) != 0)
		return DCERPC_E_SEC_INTEGRITY;
	/* RFC 4121 4.2.4: the decrypted copy equals the header, RRC aside. */
	if (memcmp(tok + TOK_HDR_LEN + ec, tok, 6) != 0 ||
	    memcmp(tok + TOK_HDR_LEN + ec + 8, tok + 8, 8) != 0)
		return DCERPC_E_SEC_INTEGRITY;
	return DCERPC_OK;
}

static const char *
k_peer_name(struct dcerpc_sec *sec)
{
	(void)sec;
	return NULL;
}

static void
k_free(struct dcerpc_sec *sec)
{
	struct krb5key *k = sec->impl;

	if (k != NULL) {
		krb5_free_keyblock_contents(k->ctx, &k->key);
		krb5_free_context(k->ctx);
		free(k);
	}
	free(sec);
}

static const struct dcerpc_sec_ops krb5key_ops = {
	"known krb5 key", k_step, k_token_len, k_wrap, k_unwrap, k_peer_name,
	k_free,
};

enum dcerpc_err
dcerpc_krb5key_new(int32_t enctype, const uint8_t *key, size_t key_len,
    bool acceptor_subkey, bool we_are_acceptor, uint64_t seq,
    uint8_t auth_type, struct dcerpc_sec **out)
{
	struct dcerpc_sec *sec = NULL;
	struct krb5key *k = NULL;
	krb5_keyblock kb;
	unsigned int conf_len, cksum_len;
	size_t len;
	enum dcerpc_err r = DCERPC_E_NOMEM;

	*out = NULL;
	if ((sec = calloc(1, sizeof(*sec))) == NULL ||
	    (k = calloc(1, sizeof(*k))) == NULL)
		goto fail;
	sec->ops = &krb5key_ops;
	sec->impl = k;
	r = DCERPC_E_ARG;
	if (krb5_init_context(&k->ctx) != 0) {
		k->ctx = NULL;
		goto fail;
	}
	kb.magic = KV5M_KEYBLOCK;
	kb.enctype = enctype;
	kb.length = (unsigned int)key_len;
	kb.contents = (krb5_octet *)(uintptr_t)key;
	if (krb5_c_keylengths(k->ctx, enctype, NULL, &len) != 0 ||
	    len != key_len || krb5_copy_keyblock_contents(k->ctx, &kb, &k->key))
		goto fail;
	if (krb5_c_crypto_length(k->ctx, enctype, KRB5_CRYPTO_TYPE_HEADER,
	    &conf_len) != 0 || krb5_c_crypto_length(k->ctx, enctype,
	    KRB5_CRYPTO_TYPE_TRAILER, &cksum_len) != 0)
		goto fail;
	k->conf_len = conf_len;
	k->cksum_len = cksum_len;
	k->ec = 16;
	k->acceptor_subkey = acceptor_subkey;
	k->we_are_acceptor = we_are_acceptor;
	k->seq = seq;
	sec->auth_type = auth_type;
	sec->auth_level = DCERPC_AUTHN_LEVEL_PKT_PRIVACY;
	sec->header_sign = true;
	sec->complete = true;
	*out = sec;
	return DCERPC_OK;
fail:
	if (k != NULL && k->ctx != NULL)
		krb5_free_context(k->ctx);
	free(k);
	free(sec);
	return r;
}
