/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The endpoint mapper (C706 appendix I and chapter 2.11; MS-RPCE 2.2.1.2):
 * ept_map (opnum 3) asks, over an unauthenticated bind on TCP port 135,
 * which TCP port serves an interface. Towers (C706 appendix L) with five
 * floors: interface, NDR transfer syntax, RPC connection-oriented protocol
 * (0x0b), TCP port (0x07), IP address (0x09).
 */
#ifndef OTPCEP_EPM_H
#define OTPCEP_EPM_H

#include <stddef.h>
#include <stdint.h>

#include "dcerpc.h"
#include "ndr.h"

#define EPM_PORT		135
#define EPM_OPNUM_MAP		3
#define EPM_MAX_TOWERS		4	/* max_towers we ask for */
#define EPM_TOWER_MAX		1024	/* bound on one tower octet string */
/* C706 appendix L: protocol identifiers of the floors. */
#define EPM_PROT_UUID		0x0d
#define EPM_PROT_NCACN		0x0b
#define EPM_PROT_TCP		0x07
#define EPM_PROT_IP		0x09
/* C706 appendix I: ept_map's status (0: found). */
#define EPM_S_NOT_REGISTERED	0x16c9a0d6u

/* e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0 */
extern const struct dcerpc_syntax epm_syntax;

/* A tower for ncacn_ip_tcp. ip in network order (0.0.0.0 in a query). */
struct epm_tower {
	struct dcerpc_syntax iface;
	struct dcerpc_syntax transfer;
	uint16_t port;
	uint8_t ip[4];
};

/* The tower octet string (floor count, then the floors). */
enum dcerpc_err epm_tower_build(const struct epm_tower *t, uint8_t *out,
    size_t cap, size_t *out_len);
/* Parses a tower octet string; anything but the five floors above fails. */
enum dcerpc_err epm_tower_parse(const uint8_t *p, size_t len,
    struct epm_tower *t);

/* ept_map request stub: object NULL, the tower, a zero handle, max_towers. */
enum dcerpc_err epm_map_request_build(const struct epm_tower *want,
    struct ndr_out *o);
enum dcerpc_err epm_map_request_parse(const uint8_t *stub, size_t len,
    struct epm_tower *want, size_t *ndr_end);
/* ept_map response stub: handle, n towers (0..EPM_MAX_TOWERS), status. */
enum dcerpc_err epm_map_response_build(const struct epm_tower *towers,
    size_t n, uint32_t status, struct ndr_out *o);
/* Parses up to max towers into towers, *n their count; *status as sent. */
enum dcerpc_err epm_map_response_parse(const uint8_t *stub, size_t len,
    struct epm_tower *towers, size_t max, size_t *n, uint32_t *status);

/*
 * Client: asks host's endpoint mapper (TCP 135, unauthenticated, as
 * Windows allows) for the TCP port of iface. words in errbuf on failure.
 */
enum dcerpc_err epm_lookup_tcp_port(const char *host, uint16_t epm_port,
    const struct dcerpc_syntax *iface, int timeout_ms, uint16_t *port,
    char *errbuf, size_t errlen);

#endif
