/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * DCE/RPC over TCP (ncacn_ip_tcp, MS-RPCE 2.1.1.1): one association on one
 * connection, client or server side. The client binds (with or without a
 * security context), completes the DCE-style three legs with auth3 or
 * alter_context as the mechanism needs, and makes calls: the stub is split
 * into fragments of the negotiated size, each sealed; the answer's fragments
 * are unsealed and reassembled. The server side runs the same steps the other
 * way for a table of interfaces (the stand-in CA and its endpoint mapper).
 */
#ifndef OTPCEP_DCERPC_CONN_H
#define OTPCEP_DCERPC_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcerpc.h"
#include "dcerpc_sec.h"

struct dcerpc_conn {
	int fd;
	int timeout_ms;			/* per read / write */
	int64_t deadline_ms;		/* CLOCK_MONOTONIC; 0: none */
	uint16_t max_xmit_frag;		/* negotiated */
	uint16_t max_recv_frag;
	uint32_t assoc_group;
	uint32_t next_call_id;
	uint16_t context_id;
	struct dcerpc_syntax abstract;	/* bound interface */
	struct dcerpc_sec *sec;		/* not owned; NULL: unauthenticated */
	uint8_t buf[DCERPC_FRAG_LIMIT];	/* one received PDU */
	char error[256];		/* the last failure in words */
};

/*
 * Opens a TCP connection to host (name or address) and port, within
 * timeout_ms. Returns DCERPC_OK with conn ready for dcerpc_client_bind().
 */
enum dcerpc_err dcerpc_conn_open(struct dcerpc_conn *conn, const char *host,
    uint16_t port, int timeout_ms);
/*
 * Bounds everything still to come on conn to ms milliseconds from now (a
 * peer that trickles bytes cannot hold us longer than that).
 */
void dcerpc_conn_set_deadline(struct dcerpc_conn *conn, int ms);
/* Takes over an accepted socket (server side). */
void dcerpc_conn_init_fd(struct dcerpc_conn *conn, int fd, int timeout_ms);
void dcerpc_conn_close(struct dcerpc_conn *conn);

/* Writes len bytes, or fails (timeout, error). */
enum dcerpc_err dcerpc_conn_write(struct dcerpc_conn *conn,
    const uint8_t *buf, size_t len);
/*
 * Reads one PDU into conn->buf (header checked with dcerpc_hdr_peek against
 * our max_recv_frag), decodes it into pdu. DCERPC_E_CLOSED at a clean EOF
 * between PDUs.
 */
enum dcerpc_err dcerpc_conn_read(struct dcerpc_conn *conn,
    struct dcerpc_pdu *pdu, size_t *len);

/*
 * Client: binds conn to abstract over NDR 2.0. With sec, the bind carries
 * the first token (auth_level PKT_PRIVACY, header signing offered), and the
 * legs continue (auth3 or alter_context) until sec->complete. A bind_nak,
 * a rejected context, or a failed leg fails with words in conn->error.
 */
enum dcerpc_err dcerpc_client_bind(struct dcerpc_conn *conn,
    const struct dcerpc_syntax *abstract, struct dcerpc_sec *sec);

/*
 * Client: one call. Appends the verification trailer when sealed, sends the
 * stub in fragments, reads and reassembles the answer (at most max_resp
 * bytes; 0: DCERPC_STUB_MAX). On DCERPC_OK *resp (malloc'd) holds the
 * response stub; on DCERPC_E_FAULT *fault_status holds the status.
 */
enum dcerpc_err dcerpc_client_call(struct dcerpc_conn *conn, uint16_t opnum,
    const uint8_t *stub, size_t stub_len, size_t max_resp, uint8_t **resp,
    size_t *resp_len, uint32_t *fault_status);

/*
 * Both sides: sends a stub as request or response fragments of at most
 * max_xmit_frag, sealed when conn->sec is at packet privacy.
 */
enum dcerpc_err dcerpc_send_call(struct dcerpc_conn *conn, uint8_t ptype,
    uint32_t call_id, uint16_t opnum, const uint8_t *stub, size_t stub_len);
/*
 * Both sides: reads fragments of ptype (call_id 0: any, the first one's)
 * until LAST_FRAG, unsealing them, into ra. *first gets the first
 * fragment's decoded header (may be NULL). A fault answering a request
 * returns DCERPC_E_FAULT with *fault.
 */
enum dcerpc_err dcerpc_recv_call(struct dcerpc_conn *conn, uint8_t ptype,
    uint32_t call_id, struct dcerpc_reasm *ra, struct dcerpc_pdu *first,
    uint32_t *fault);

/* ---- Server side. ---- */

struct dcerpc_call_info {
	uint16_t opnum;
	uint16_t context_id;
	const struct dcerpc_syntax *abstract;
	uint8_t auth_level;	/* 0: unauthenticated association */
	const char *peer_name;	/* authenticated principal, or NULL */
};

struct dcerpc_server_iface {
	struct dcerpc_syntax abstract;
	/*
	 * Handles one call: stub is the plaintext request stub (the
	 * verification trailer already checked and cut off). Returns
	 * DCERPC_OK with *out (malloc'd) as the response stub, or sets
	 * *fault (sent as a fault PDU) and returns DCERPC_E_FAULT.
	 */
	enum dcerpc_err (*call)(void *arg, const struct dcerpc_call_info *info,
	    const uint8_t *stub, size_t stub_len, uint8_t **out,
	    size_t *out_len, uint32_t *fault);
	void *arg;
};

struct dcerpc_server_params {
	const struct dcerpc_server_iface *ifaces;
	size_t n_ifaces;
	/* Acceptor params for authenticated binds; keytab NULL: KRB5_KTNAME.
	 * NULL: authenticated binds are refused (bind_nak). */
	const struct dcerpc_gss_params *gss;
	size_t max_stub;	/* 0: DCERPC_STUB_MAX */
	/* port_any_t of bind_ack (the port as text), may be NULL */
	const char *sec_addr;
};

/*
 * Serves one connection until the peer closes it or breaks the protocol:
 * binds, alter_contexts, auth3, calls. Malformed input ends the connection
 * (after a bind_nak or fault where C706 has one); the reason is in
 * conn->error. Returns DCERPC_OK at a clean close.
 */
enum dcerpc_err dcerpc_serve(struct dcerpc_conn *conn,
    const struct dcerpc_server_params *p);

#endif
