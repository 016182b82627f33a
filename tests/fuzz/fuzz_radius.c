/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * libFuzzer target: RADIUS replies (RFC 2865, RFC 3579). Anyone who can send
 * a UDP datagram to our port can reach radius_pkt_check_reply(), so every
 * input is checked twice: as it is (almost always a bad authenticator), and
 * with a correct Response Authenticator filled in, so that the attribute
 * walk and the Message-Authenticator check see arbitrary attributes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "radius_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[] = "fuzzing-shared-secret";
	static const uint8_t req_auth[RADIUS_AUTH_LEN] = { 1, 2, 3, 4, 5, 6, 7,
	    8, 9, 10, 11, 12, 13, 14, 15, 16 };
	uint8_t pkt[RADIUS_PACKET_MAX];
	uint8_t code;

	if (size > sizeof(pkt))
		return 0;
	memcpy(pkt, data, size);
	radius_pkt_check_reply(pkt, size, size > 1 ? pkt[1] : 0, req_auth,
	    secret, sizeof(secret) - 1, true, &code);
	if (size >= 20) {
		/* A well-formed length, then a correct authenticator over it. */
		uint16_t len = (uint16_t)size;

		pkt[2] = (uint8_t)(len >> 8);
		pkt[3] = (uint8_t)len;
		radius_pkt_sign_reply(pkt, size, req_auth, secret, sizeof(secret) - 1);
		radius_pkt_check_reply(pkt, size, pkt[1], req_auth, secret,
		    sizeof(secret) - 1, false, &code);
		radius_pkt_check_reply(pkt, size, pkt[1], req_auth, secret,
		    sizeof(secret) - 1, true, &code);
	}
	return 0;
}
