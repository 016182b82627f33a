/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The association over a real socket pair (src/dcerpc_conn.c,
 * dcerpc_client.c, dcerpc_server.c), unauthenticated so no KDC is needed
 * (tests/integration/rpc.sh runs the Kerberos paths): the server in a child
 * process, the client here. Binds accepted and rejected, calls in many
 * fragments both ways, faults, the client's bound on the answer, and a
 * server that hangs up mid-answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "dcerpc_conn.h"
#include "epm.h"
#include "icpr.h"

/* opnum 0 echoes the stub reversed; opnum 1 answers n KiB (n = stub[0]);
 * opnum 2 faults with 0x1234; others: nca_s_op_rng_error. */
static enum dcerpc_err
echo_call(void *arg, const struct dcerpc_call_info *info, const uint8_t *stub,
    size_t stub_len, uint8_t **out, size_t *out_len, uint32_t *fault)
{
	size_t i, n;

	(void)arg;
	switch (info->opnum) {
	case 0:
		*out = malloc(stub_len + 1);
		for (i = 0; i < stub_len; i++)
			(*out)[i] = stub[stub_len - 1 - i];
		*out_len = stub_len;
		return DCERPC_OK;
	case 1:
		n = stub_len > 0 ? (size_t)stub[0] * 1024 : 0;
		*out = malloc(n + 1);
		for (i = 0; i < n; i++)
			(*out)[i] = (uint8_t)(i % 253);
		*out_len = n;
		return DCERPC_OK;
	case 2:
		*fault = 0x1234;
		return DCERPC_E_FAULT;
	default:
		*fault = DCERPC_NCA_S_OP_RNG_ERROR;
		return DCERPC_E_FAULT;
	}
}

static pid_t server_pid;

/* A server on one end of a socket pair, in a child; returns the other end. */
static int
start_server(void)
{
	static struct dcerpc_server_iface iface;
	struct dcerpc_server_params p;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	    0);
	iface.abstract = icpr_syntax;
	iface.call = echo_call;
	memset(&p, 0, sizeof(p));
	p.ifaces = &iface;
	p.n_ifaces = 1;
	p.max_stub = 1024 * 1024;
	server_pid = fork();
	assert_true(server_pid >= 0);
	if (server_pid == 0) {
		struct dcerpc_conn *c = malloc(sizeof(*c));

		close(sv[0]);
		dcerpc_conn_init_fd(c, sv[1], 5000);
		_exit(dcerpc_serve(c, &p) == DCERPC_OK ? 0 : 1);
	}
	close(sv[1]);
	return sv[0];
}

static int
stop_server(void)
{
	int st = 0;

	waitpid(server_pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static struct dcerpc_conn *
client(int fd)
{
	struct dcerpc_conn *c = malloc(sizeof(*c));

	dcerpc_conn_init_fd(c, fd, 5000);
	return c;
}

static void
test_bind_and_calls(void **state)
{
	struct dcerpc_conn *c = client(start_server());
	uint8_t *stub = malloc(100000), *resp;
	size_t resp_len, i;
	uint32_t fault;

	(void)state;
	for (i = 0; i < 100000; i++)
		stub[i] = (uint8_t)(i * 7);
	assert_int_equal(dcerpc_client_bind(c, &icpr_syntax, NULL), DCERPC_OK);
	assert_int_equal(c->max_xmit_frag, DCERPC_FRAG_DEFAULT);
	/* 100 KB out in 18 fragments, back reversed in as many */
	assert_int_equal(dcerpc_client_call(c, 0, stub, 100000, 0, &resp,
	    &resp_len, &fault), DCERPC_OK);
	assert_int_equal(resp_len, 100000);
	for (i = 0; i < 100000; i++)
		assert_int_equal(resp[i], stub[99999 - i]);
	free(resp);
	/* an empty stub, both ways */
	assert_int_equal(dcerpc_client_call(c, 0, stub, 0, 0, &resp,
	    &resp_len, &fault), DCERPC_OK);
	assert_int_equal(resp_len, 0);
	free(resp);
	/* a fault from the handler; an opnum it does not know */
	assert_int_equal(dcerpc_client_call(c, 2, stub, 4, 0, &resp, &resp_len,
	    &fault), DCERPC_E_FAULT);
	assert_int_equal(fault, 0x1234);
	assert_int_equal(dcerpc_client_call(c, 9, stub, 4, 0, &resp, &resp_len,
	    &fault), DCERPC_E_FAULT);
	assert_int_equal(fault, DCERPC_NCA_S_OP_RNG_ERROR);
	/* an answer above the client's bound ends the call */
	stub[0] = 200;
	assert_int_equal(dcerpc_client_call(c, 1, stub, 1, 100 * 1024, &resp,
	    &resp_len, &fault), DCERPC_E_TOO_BIG);
	dcerpc_conn_close(c);
	stop_server();
	free(c);
	free(stub);
}

static void
test_bind_rejected(void **state)
{
	struct dcerpc_conn *c = client(start_server());

	(void)state;
	/* the server offers ICPR only */
	assert_int_equal(dcerpc_client_bind(c, &epm_syntax, NULL),
	    DCERPC_E_BIND_REJECTED);
	assert_non_null(strstr(c->error, "rejected the interface"));
	dcerpc_conn_close(c);
	stop_server();
	free(c);
}

static void
test_hostile_client(void **state)
{
	struct dcerpc_conn *c = client(start_server());
	uint8_t pdu[64];
	struct dcerpc_pdu p;
	size_t len;

	(void)state;
	/* a request before any bind: a fault, then the server hangs up */
	{
		struct dcerpc_call_frag f;

		memset(&f, 0, sizeof(f));
		f.ptype = DCERPC_PTYPE_REQUEST;
		f.pfc_flags = 3;
		f.call_id = 1;
		assert_int_equal(dcerpc_build_call(pdu, sizeof(pdu), &len, &f,
		    NULL), DCERPC_OK);
	}
	assert_int_equal(dcerpc_conn_write(c, pdu, len), DCERPC_OK);
	assert_int_equal(dcerpc_conn_read(c, &p, &len), DCERPC_OK);
	assert_int_equal(p.hdr.ptype, DCERPC_PTYPE_FAULT);
	assert_int_equal(p.u.fault.status, DCERPC_NCA_S_PROTO_ERROR);
	assert_int_equal(dcerpc_conn_read(c, &p, &len), DCERPC_E_CLOSED);
	dcerpc_conn_close(c);
	assert_int_not_equal(stop_server(), 0);
	free(c);

	/* garbage instead of a header: the server hangs up (a reset when
	 * it leaves our bytes unread) */
	c = client(start_server());
	memset(pdu, 0x41, sizeof(pdu));
	assert_int_equal(dcerpc_conn_write(c, pdu, sizeof(pdu)), DCERPC_OK);
	{
		enum dcerpc_err r = dcerpc_conn_read(c, &p, &len);

		assert_true(r == DCERPC_E_CLOSED || r == DCERPC_E_IO);
	}
	dcerpc_conn_close(c);
	assert_int_not_equal(stop_server(), 0);
	free(c);

	/* a header announcing more than arrives, then EOF: truncated */
	c = client(start_server());
	assert_int_equal(dcerpc_client_bind(c, &icpr_syntax, NULL), DCERPC_OK);
	dcerpc_put16(pdu + 8, 200);
	pdu[0] = 5;
	pdu[1] = 0;
	pdu[2] = DCERPC_PTYPE_REQUEST;
	pdu[4] = 0x10;
	pdu[5] = 0;
	dcerpc_put16(pdu + 10, 0);
	assert_int_equal(dcerpc_conn_write(c, pdu, 40), DCERPC_OK);
	shutdown(c->fd, SHUT_WR);
	assert_int_equal(dcerpc_conn_read(c, &p, &len), DCERPC_E_CLOSED);
	dcerpc_conn_close(c);
	assert_int_not_equal(stop_server(), 0);
	free(c);
}

/*
 * A refused TCP connection is named as such: the non-blocking connect()'s
 * own error is read with SO_ERROR, not the EINPROGRESS left in errno. The
 * port is bound here and not listened on, so the kernel refuses it.
 */
static void
test_connect_refused(void **state)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct dcerpc_conn *c = malloc(sizeof(*c));
	int fd;

	(void)state;
	assert_non_null(c);
	assert_true((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	assert_int_equal(dcerpc_conn_open(c, "127.0.0.1", ntohs(sin.sin_port),
	    5000), DCERPC_E_CONNECT);
	assert_non_null(strstr(c->error, "Connection refused"));
	assert_null(strstr(c->error, "in progress"));
	assert_int_equal(c->fd, -1);
	close(fd);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_and_calls),
		cmocka_unit_test(test_bind_rejected),
		cmocka_unit_test(test_hostile_client),
		cmocka_unit_test(test_connect_refused),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
