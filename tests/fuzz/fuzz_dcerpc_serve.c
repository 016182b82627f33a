/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * libFuzzer target: the server's state machine (dcerpc_serve) fed a byte
 * stream from a hostile client over a socket pair: binds, alter_contexts,
 * auth3, fragments in any order. Authenticated binds have no acceptor here
 * (bind_nak); everything else runs as in the stand-in CA. The seeds are
 * Windows' PDUs (tests/fixtures/dcerpc/).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dcerpc_conn.h"
#include "icpr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum dcerpc_err
echo(void *arg, const struct dcerpc_call_info *info, const uint8_t *stub,
    size_t stub_len, uint8_t **out, size_t *out_len, uint32_t *fault)
{
	(void)arg;
	if (info->opnum != 0) {
		*fault = DCERPC_NCA_S_OP_RNG_ERROR;
		return DCERPC_E_FAULT;
	}
	if ((*out = malloc(stub_len + 1)) == NULL)
		return DCERPC_E_NOMEM;
	memcpy(*out, stub, stub_len);
	*out_len = stub_len > 64 ? 64 : stub_len;
	return DCERPC_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dcerpc_conn conn;
	static struct dcerpc_server_iface iface;
	struct dcerpc_server_params p;
	int sv[2], one = 1 << 20;

	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	if (write(sv[0], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[0], SHUT_WR);
	iface.abstract = icpr_syntax;
	iface.call = echo;
	memset(&p, 0, sizeof(p));
	p.ifaces = &iface;
	p.n_ifaces = 1;
	p.max_stub = 256 * 1024;
	dcerpc_conn_init_fd(&conn, sv[1], 20);
	dcerpc_serve(&conn, &p);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
