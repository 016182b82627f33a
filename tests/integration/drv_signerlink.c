/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * drv_signerlink CONFIG: plays the serving process against the real signer
 * process (signer_proc_start(), as the responder starts it) and sends it
 * well-formed and malformed messages (include/signer_msg.h) straight on the
 * socketpair. One line per case, "CASE NAME: ANSWER", where ANSWER is
 * SNAPSHOT, SIGNATURE, ERROR-STALE, ERROR-BAD, ERROR-OTHER or NONE (no answer
 * within 2 s). The signer must refuse everything but GET and SIGN of the two
 * signed attributes for its current generation, and keep serving after.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "signer_msg.h"
#include "signer_proc.h"
#include "sanitizer_opts.h"	/* make SAN=1: no LeakSanitizer exit check */

static int fd;
static uint64_t next_id = 100;

static const char *
answer(const struct signer_msg_hdr *h)
{
	switch (h->type) {
	case SIGNER_MSG_SNAPSHOT: return "SNAPSHOT";
	case SIGNER_MSG_SIGNATURE: return "SIGNATURE";
	case SIGNER_MSG_ERROR:
		return h->flags == SIGNER_MSG_ST_STALE ? "ERROR-STALE" :
		    h->flags == SIGNER_MSG_ST_BAD_REQUEST ? "ERROR-BAD" :
		    "ERROR-OTHER";
	}
	return "UNKNOWN";
}

/* Sends raw bytes; prints the answer (its header) to the request with id. */
static void
exchange(const char *name, const void *msg, size_t len, uint64_t id,
    struct signer_msg_hdr *got)
{
	static uint8_t buf[SIGNER_MSG_MAX + 64];
	struct pollfd p = { fd, POLLIN, 0 };
	struct signer_msg_hdr h;
	ssize_t n;

	memset(got, 0, sizeof(*got));
	if (send(fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len) {
		printf("CASE %s: SEND-FAILED\n", name);
		return;
	}
	for (;;) {
		if (poll(&p, 1, 2000) != 1) {
			printf("CASE %s: NONE\n", name);
			return;
		}
		if ((n = recv(fd, buf, sizeof(buf), 0)) < (ssize_t)sizeof(h)) {
			printf("CASE %s: EOF\n", name);
			return;
		}
		memcpy(&h, buf, sizeof(h));
		if (h.id == id)
			break;
	}
	*got = h;
	printf("CASE %s: %s\n", name, answer(&h));
}

/* A header (+ payload) in one buffer; returns its length. */
static size_t
build(uint8_t *out, uint32_t type, uint32_t flags, uint64_t gen,
    const void *p, size_t len, uint64_t *id)
{
	struct signer_msg_hdr h = { type, flags, ++next_id, gen, (uint32_t)len, 0 };

	*id = h.id;
	memcpy(out, &h, sizeof(h));
	if (len)
		memcpy(out + sizeof(h), p, len);
	return sizeof(h) + len;
}

/* The DER cmc.c signs: SET { contentType id-cct-PKIData, messageDigest }. */
static size_t
signed_attrs(uint8_t *out, unsigned hash_len)
{
	static const uint8_t ct[] = {
		0x30, 0x17, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
		0x09, 0x03, 0x31, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05,
		0x07, 0x0c, 0x02,
	};
	static const uint8_t md[] = {
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04,
	};
	size_t o = 0;

	out[o++] = 0x31;
	out[o++] = (uint8_t)(sizeof(ct) + 2 + sizeof(md) + 4 + hash_len);
	memcpy(out + o, ct, sizeof(ct));
	o += sizeof(ct);
	out[o++] = 0x30;
	out[o++] = (uint8_t)(sizeof(md) + 4 + hash_len);
	memcpy(out + o, md, sizeof(md));
	o += sizeof(md);
	out[o++] = 0x31;
	out[o++] = (uint8_t)(2 + hash_len);
	out[o++] = 0x04;
	out[o++] = (uint8_t)hash_len;
	memset(out + o, 0x5a, hash_len);
	return o + hash_len;
}

int
main(int argc, char **argv)
{
	static uint8_t msg[SIGNER_MSG_MAX + 64], big[6000];
	struct signer_msg_hdr got;
	struct config *cfg;
	uint8_t attrs[128];
	uint64_t id, gen;
	size_t len, alen;

	if (argc != 2) {
		fprintf(stderr, "usage: drv_signerlink CONFIG\n");
		return 2;
	}
	log_init(LOG_TO_STDERR, 0);
	if ((cfg = config_load(argv[1])) == NULL ||
	    (fd = signer_proc_start(cfg)) < 0)
		return 2;
	alen = signed_attrs(attrs, 32);	/* SHA-256, the configuration's digest */

	len = build(msg, SIGNER_MSG_GET, 0, 0, NULL, 0, &id);
	exchange("get", msg, len, id, &got);
	gen = got.generation;
	len = build(msg, SIGNER_MSG_SIGN, 0, gen, attrs, alen, &id);
	exchange("sign", msg, len, id, &got);
	len = build(msg, SIGNER_MSG_SIGN, 0, gen ^ 1, attrs, alen, &id);
	exchange("stale generation", msg, len, id, &got);
	len = build(msg, SIGNER_MSG_SIGN, 0, gen, "hello", 5, &id);
	exchange("arbitrary bytes", msg, len, id, &got);
	len = build(msg, SIGNER_MSG_SIGN, 0, gen, attrs, alen - 1, &id);
	exchange("truncated attributes", msg, len, id, &got);
	attrs[alen - 40] ^= 1;	/* the messageDigest attribute's OID */
	len = build(msg, SIGNER_MSG_SIGN, 0, gen, attrs, alen, &id);
	exchange("another attribute", msg, len, id, &got);
	attrs[alen - 40] ^= 1;
	memset(big, 0x31, sizeof(big));
	len = build(msg, SIGNER_MSG_SIGN, 0, gen, big, sizeof(big), &id);
	exchange("oversized", msg, len, id, &got);
	len = build(msg, 99, 0, gen, NULL, 0, &id);
	exchange("unknown type", msg, len, id, &got);
	len = build(msg, SIGNER_MSG_GET, 0x80, 0, NULL, 0, &id);
	exchange("unknown flag", msg, len, id, &got);
	len = build(msg, SIGNER_MSG_SIGN, 0, gen, attrs, alen, &id);
	((struct signer_msg_hdr *)(void *)msg)->len = (uint32_t)alen + 7;
	exchange("length mismatch", msg, len, id, &got);
	len = build(msg, SIGNER_MSG_GET, 0, 0, NULL, 0, &id);
	exchange("short header", msg, 10, id, &got);
	len = build(msg, SIGNER_MSG_SIGN, 0, gen, attrs, alen, &id);
	exchange("sign after all that", msg, len, id, &got);
	close(fd);
	config_free(cfg);
	return 0;
}
