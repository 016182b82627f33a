/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Driver for tests/integration/rpc.sh: both ends of the DCE/RPC library.
 *
 *   drv_rpc serve EPM_PORT ICPR_PORT KEYTAB
 *       an endpoint mapper and a CertServerRequest echo on 127.0.0.1, the
 *       same library as the client (dcerpc_serve, GSS acceptor with KEYTAB);
 *       one child per connection; stops on SIGTERM. The echo answers
 *       CR_DISP_ISSUED with the request reversed as the certificate, a
 *       chain of RESP_KB (from the attributes "size:N") kilobytes, and
 *       "peer=<principal> level=<n> authority=<a> attributes=<...>" as the
 *       disposition message; unauthenticated or below privacy it answers
 *       E_ACCESSDENIED as AD CS does.
 *   drv_rpc submit HOST EPM_PORT SPN AUTHTYPE CRED REQ_BYTES [ATTRS]
 *       icpr_submit with CRED "keytab:FILE:PRINCIPAL", "ccache:NAME" or
 *       "default"; prints the outcome as key=value lines.
 *   drv_rpc lowlevel HOST PORT SPN LEVEL CLIENT_KEYTAB PRINCIPAL
 *       a CertServerRequest below packet privacy (LEVEL 0: unauthenticated
 *       bind; 2: connect level, Kerberos bind but nothing sealed), as the
 *       "no privacy" case needs; prints status=<HRESULT name>.
 *   drv_rpc crosscheck CLIENT_KEYTAB PRINCIPAL SPN SERVICE_KEYTAB AUTHTYPE
 *       both ends of a GSS context in one process (our GSS backend, DCE
 *       style), then MIT's sealing is opened by our RFC 4121 code (the
 *       known-key backend that opens Windows' bytes) and ours by MIT's:
 *       prints "crosscheck ok" or what failed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "dcerpc_conn.h"
#include "epm.h"
#include "hresult.h"
#include "icpr.h"

static volatile sig_atomic_t stop;
static uint16_t icpr_port;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static enum dcerpc_err
epm_call(void *arg, const struct dcerpc_call_info *info, const uint8_t *stub,
    size_t stub_len, uint8_t **out, size_t *out_len, uint32_t *fault)
{
	struct epm_tower want, t;
	struct ndr_out o;
	enum dcerpc_err r;
	size_t end;
	bool known;

	(void)arg;
	if (info->opnum != EPM_OPNUM_MAP) {
		*fault = DCERPC_NCA_S_OP_RNG_ERROR;
		return DCERPC_E_FAULT;
	}
	if ((r = epm_map_request_parse(stub, stub_len, &want, &end)) !=
	    DCERPC_OK)
		return r;
	known = dcerpc_syntax_equal(&want.iface, &icpr_syntax);
	t = want;
	t.port = icpr_port;
	t.ip[0] = 127;
	t.ip[1] = 0;
	t.ip[2] = 0;
	t.ip[3] = 1;
	ndr_out_init(&o);
	r = epm_map_response_build(&t, known ? 1 : 0,
	    known ? 0 : EPM_S_NOT_REGISTERED, &o);
	*out = o.data;
	*out_len = o.len;
	return r;
}

static enum dcerpc_err
icpr_call(void *arg, const struct dcerpc_call_info *info, const uint8_t *stub,
    size_t stub_len, uint8_t **out, size_t *out_len, uint32_t *fault)
{
	struct icpr_request req;
	struct icpr_response resp;
	struct ndr_out o;
	enum dcerpc_err r;
	uint8_t *rev = NULL, *chain = NULL;
	char msg[1024];
	size_t end, i, kb = 0;
	const char *sz;

	(void)arg;
	if (info->opnum != ICPR_OPNUM_CERT_SERVER_REQUEST) {
		*fault = DCERPC_NCA_S_OP_RNG_ERROR;
		return DCERPC_E_FAULT;
	}
	if ((r = icpr_request_decode(stub, stub_len, &req, &end)) != DCERPC_OK)
		return r;
	memset(&resp, 0, sizeof(resp));
	resp.request_id = req.request_id ? req.request_id : 42;
	if (info->auth_level != DCERPC_AUTHN_LEVEL_PKT_PRIVACY) {
		resp.disposition = CR_DISP_ERROR;
		resp.status = HR_E_ACCESSDENIED;
	} else {
		resp.disposition = CR_DISP_ISSUED;
		rev = malloc(req.request.len + 1);
		for (i = 0; i < req.request.len; i++)
			rev[i] = req.request.data[req.request.len - 1 - i];
		resp.encoded_cert.data = rev;
		resp.encoded_cert.len = req.request.len;
		if (req.attributes != NULL &&
		    (sz = strstr(req.attributes, "size:")) != NULL)
			kb = strtoul(sz + 5, NULL, 10);
		if (kb > 0 && kb < 4096) {
			chain = malloc(kb * 1024);
			for (i = 0; i < kb * 1024; i++)
				chain[i] = (uint8_t)(i * 7);
			resp.cert_chain.data = chain;
			resp.cert_chain.len = kb * 1024;
		}
	}
	snprintf(msg, sizeof(msg), "peer=%s level=%u authority=%s "
	    "attributes=%s", info->peer_name ? info->peer_name : "-",
	    (unsigned)info->auth_level, req.authority ? req.authority : "-",
	    req.attributes ? req.attributes : "-");
	resp.disposition_message = msg;
	ndr_out_init(&o);
	r = icpr_response_encode(&resp, &o);
	*out = o.data;
	*out_len = o.len;
	free(rev);
	free(chain);
	icpr_request_clear(&req);
	return r;
}

static int
listen_on(uint16_t port)
{
	struct sockaddr_in a;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, 16) != 0) {
		perror("bind");
		exit(1);
	}
	return fd;
}

static int
serve(uint16_t epm_port, const char *keytab)
{
	struct dcerpc_server_iface epm_if = { epm_syntax, epm_call, NULL };
	struct dcerpc_server_iface icpr_if = { icpr_syntax, icpr_call, NULL };
	struct dcerpc_gss_params gp;
	struct sigaction sa;
	struct pollfd pfd[2];
	int i;

	memset(&gp, 0, sizeof(gp));
	gp.acceptor = true;
	gp.keytab = keytab;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGCHLD, SIG_IGN);
	pfd[0].fd = listen_on(epm_port);
	pfd[1].fd = listen_on(icpr_port);
	pfd[0].events = pfd[1].events = POLLIN;
	printf("listening\n");
	fflush(stdout);
	while (!stop) {
		if (poll(pfd, 2, 500) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			struct dcerpc_server_params sp;
			struct dcerpc_conn *conn;
			enum dcerpc_err r;
			int fd;

			if (!(pfd[i].revents & POLLIN))
				continue;
			if ((fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC |
			    SOCK_NONBLOCK)) < 0)
				continue;
			if (fork() != 0) {
				close(fd);
				continue;
			}
			memset(&sp, 0, sizeof(sp));
			sp.ifaces = i == 0 ? &epm_if : &icpr_if;
			sp.n_ifaces = 1;
			sp.gss = i == 0 ? NULL : &gp;
			sp.sec_addr = i == 0 ? "135" : "icpr";
			conn = malloc(sizeof(*conn));
			dcerpc_conn_init_fd(conn, fd, 20000);
			r = dcerpc_serve(conn, &sp);
			fprintf(stderr, "connection on %s: %s%s%s\n",
			    i == 0 ? "epm" : "icpr", dcerpc_strerror(r),
			    conn->error[0] ? ": " : "", conn->error);
			if (r != DCERPC_OK && getenv("DRV_RPC_DUMP") != NULL) {
				size_t k, fl = dcerpc_get16(conn->buf + 8);

				for (k = 0; k < fl && k < 2048; k++)
					fprintf(stderr, "%02x", conn->buf[k]);
				fprintf(stderr, "\n");
			}
			dcerpc_conn_close(conn);
			free(conn);
			_exit(r == DCERPC_OK ? 0 : 1);
		}
	}
	return 0;
}

static int
submit(int argc, char **argv)
{
	struct icpr_client_params p;
	struct icpr_request req;
	struct icpr_response resp;
	uint8_t *stub = NULL, *reqbytes;
	char err[512], *cred = argv[6], *colon;
	size_t n = strtoul(argv[7], NULL, 10), i;
	uint32_t fault = 0;
	enum dcerpc_err r;
	bool ok;

	memset(&p, 0, sizeof(p));
	p.host = argv[2];
	p.epm_port = (uint16_t)atoi(argv[3]);
	p.spn = argv[4];
	p.auth_type = (uint8_t)atoi(argv[5]);
	p.timeout_ms = getenv("DRV_RPC_TIMEOUT_MS") != NULL ?
	    atoi(getenv("DRV_RPC_TIMEOUT_MS")) : 20000;
	if (strncmp(cred, "keytab:", 7) == 0) {
		p.keytab = cred + 7;
		if ((colon = strchr(cred + 7, ':')) != NULL) {
			*colon = '\0';
			p.principal = colon + 1;
		}
	} else if (strncmp(cred, "ccache:", 7) == 0) {
		p.ccache = cred + 7;
	}
	reqbytes = malloc(n + 1);
	for (i = 0; i < n; i++)
		reqbytes[i] = (uint8_t)(i % 251);
	memset(&req, 0, sizeof(req));
	req.flags = ICPR_CR_IN_BINARY | ICPR_CR_IN_PKCS10;
	req.authority = "Test CA";
	req.attributes = argc > 8 ? argv[8] : "CertificateTemplate:DAOTPRA";
	req.request.data = reqbytes;
	req.request.len = n;
	r = icpr_submit(&p, &req, &resp, &stub, &fault, err, sizeof(err));
	printf("result=%s\n", dcerpc_strerror(r));
	if (r != DCERPC_OK) {
		printf("error=%s\nfault=0x%08x\n", err, (unsigned)fault);
		free(reqbytes);
		return 1;
	}
	ok = resp.encoded_cert.len == n;
	for (i = 0; ok && i < n; i++)
		ok = resp.encoded_cert.data[i] == reqbytes[n - 1 - i];
	printf("disposition=%s\nstatus=%s\nrequest_id=%u\ncert_ok=%s\n"
	    "chain_len=%zu\nmessage=%s\n",
	    hresult_disposition_name(resp.disposition),
	    hresult_name(resp.status) ? hresult_name(resp.status) : "?",
	    (unsigned)resp.request_id, ok ? "yes" : "no", resp.cert_chain.len,
	    resp.disposition_message ? resp.disposition_message : "");
	icpr_response_clear(&resp);
	free(stub);
	free(reqbytes);
	return 0;
}

/* A sealed request built by tx (which must be complete). */
static size_t
seal_request(struct dcerpc_sec *tx, uint8_t *out, size_t cap,
    const uint8_t *stub, size_t n, enum dcerpc_err *r)
{
	struct dcerpc_call_frag f;
	struct dcerpc_auth_out a;
	size_t len = 0, tok = 0;

	memset(&f, 0, sizeof(f));
	f.ptype = DCERPC_PTYPE_REQUEST;
	f.pfc_flags = DCERPC_PFC_FIRST_FRAG | DCERPC_PFC_LAST_FRAG;
	f.call_id = 5;
	f.alloc_hint = (uint32_t)n;
	f.stub = stub;
	f.stub_len = n;
	if ((*r = dcerpc_sec_token_len(tx, (n + 15) & ~(size_t)15, &tok)) !=
	    DCERPC_OK)
		return 0;
	a.type = tx->auth_type;
	a.level = DCERPC_AUTHN_LEVEL_PKT_PRIVACY;
	a.context_id = tx->auth_context_id;
	a.value = NULL;
	a.value_len = tok;
	if ((*r = dcerpc_build_call(out, cap, &len, &f, &a)) != DCERPC_OK)
		return 0;
	*r = dcerpc_seal_pdu(tx, out, len);
	return len;
}

static int
crosscheck(char **argv)
{
	struct dcerpc_gss_params cp, sp;
	struct dcerpc_sec *cl = NULL, *sv = NULL;
	uint8_t *tok = NULL, *in = NULL, stub[100], pdu[1024], copy[1024];
	size_t tok_len = 0, in_len = 0, len, i;
	struct dcerpc_pdu p;
	char err[256];
	enum dcerpc_err r;
	int legs = 0;

	memset(&cp, 0, sizeof(cp));
	cp.auth_type = (uint8_t)atoi(argv[6]);
	cp.target = argv[4];
	cp.keytab = argv[2];
	cp.principal = argv[3];
	sp = cp;
	sp.acceptor = true;
	sp.target = NULL;
	sp.principal = NULL;
	sp.keytab = argv[5];
	if (dcerpc_gss_new(&cp, &cl, err, sizeof(err)) != DCERPC_OK ||
	    dcerpc_gss_new(&sp, &sv, err, sizeof(err)) != DCERPC_OK) {
		printf("crosscheck: credentials: %s\n", err);
		return 1;
	}
	/* the legs, as bind / bind_ack / auth3 or alter_context carry them */
	while (!cl->complete || !sv->complete) {
		struct dcerpc_sec *s = legs % 2 == 0 ? cl : sv;

		if (legs++ > 8 || (s->complete && in_len == 0))
			break;
		if ((r = dcerpc_sec_step(s, in, in_len, &tok, &tok_len)) !=
		    DCERPC_OK) {
			printf("crosscheck: leg %d: %s\n", legs, s->error);
			return 1;
		}
		free(in);
		in = tok;
		in_len = tok_len;
		tok = NULL;
	}
	free(in);
	if (!cl->complete || !sv->complete) {
		printf("crosscheck: the context did not complete\n");
		return 1;
	}
	printf("legs=%d\n", legs);
	cl->header_sign = sv->header_sign = true;
	for (i = 0; i < sizeof(stub); i++)
		stub[i] = (uint8_t)(i ^ 0x5a);
	/* MIT seals (initiator), MIT opens: the GSS path itself */
	len = seal_request(cl, pdu, sizeof(pdu), stub, sizeof(stub), &r);
	if (r != DCERPC_OK) {
		printf("crosscheck: GSS sealing: %s\n", cl->error);
		return 1;
	}
	printf("token_len=%u\n", (unsigned)dcerpc_get16(pdu + 10));
	memcpy(copy, pdu, len);
	if ((r = dcerpc_unseal_pdu(sv, pdu, len, &p)) != DCERPC_OK ||
	    p.stub_len != sizeof(stub) ||
	    memcmp(pdu + p.stub_off, stub, sizeof(stub)) != 0) {
		printf("crosscheck: GSS opening GSS: %s\n", sv->error);
		return 1;
	}
	/* our RFC 4121 code opens MIT's token with the acceptor's keys */
	if ((r = dcerpc_gss_to_krb5key(&sv)) != DCERPC_OK) {
		printf("crosscheck: export: %s\n", dcerpc_strerror(r));
		return 1;
	}
	if ((r = dcerpc_unseal_pdu(sv, copy, len, &p)) != DCERPC_OK ||
	    p.stub_len != sizeof(stub) ||
	    memcmp(copy + p.stub_off, stub, sizeof(stub)) != 0) {
		printf("crosscheck: known-key opening MIT's token: %s\n",
		    dcerpc_strerror(r));
		return 1;
	}
	/* MIT opens our RFC 4121 token (a response: acceptor to initiator) */
	{
		struct dcerpc_call_frag f;
		struct dcerpc_auth_out a;
		size_t tl = 0;

		memset(&f, 0, sizeof(f));
		f.ptype = DCERPC_PTYPE_RESPONSE;
		f.pfc_flags = DCERPC_PFC_FIRST_FRAG | DCERPC_PFC_LAST_FRAG;
		f.call_id = 5;
		f.stub = stub;
		f.stub_len = sizeof(stub);
		r = dcerpc_sec_token_len(sv, 0, &tl);
		a.type = sv->auth_type;
		a.level = DCERPC_AUTHN_LEVEL_PKT_PRIVACY;
		a.context_id = sv->auth_context_id;
		a.value = NULL;
		a.value_len = tl;
		if (r == DCERPC_OK)
			r = dcerpc_build_call(pdu, sizeof(pdu), &len, &f, &a);
		if (r == DCERPC_OK)
			r = dcerpc_seal_pdu(sv, pdu, len);
	}
	if (r != DCERPC_OK || (r = dcerpc_unseal_pdu(cl, pdu, len, &p)) !=
	    DCERPC_OK || p.stub_len != sizeof(stub) ||
	    memcmp(pdu + p.stub_off, stub, sizeof(stub)) != 0) {
		printf("crosscheck: MIT opening our token: %s %s\n",
		    dcerpc_strerror(r), cl->error);
		return 1;
	}
	printf("crosscheck ok\n");
	dcerpc_sec_free(cl);
	dcerpc_sec_free(sv);
	return 0;
}

static int
lowlevel(char **argv)
{
	struct dcerpc_gss_params gp;
	struct dcerpc_sec *sec = NULL;
	struct dcerpc_conn *conn = malloc(sizeof(*conn));
	struct icpr_request req;
	struct icpr_response resp;
	struct ndr_out o;
	uint8_t *stub = NULL;
	size_t stub_len;
	uint32_t fault = 0;
	char err[256];
	int level = atoi(argv[5]);
	enum dcerpc_err r;

	memset(&req, 0, sizeof(req));
	req.authority = "Test CA";
	ndr_out_init(&o);
	icpr_request_encode(&req, &o);
	if (level != 0) {
		memset(&gp, 0, sizeof(gp));
		gp.auth_type = DCERPC_AUTHN_GSS_KERBEROS;
		gp.target = argv[4];
		gp.keytab = argv[6];
		gp.principal = argv[7];
		if (dcerpc_gss_new(&gp, &sec, err, sizeof(err)) != DCERPC_OK) {
			printf("error=%s\n", err);
			return 1;
		}
		sec->auth_level = (uint8_t)level;
	}
	if ((r = dcerpc_conn_open(conn, argv[2], (uint16_t)atoi(argv[3]),
	    20000)) != DCERPC_OK ||
	    (r = dcerpc_client_bind(conn, &icpr_syntax, sec)) != DCERPC_OK ||
	    (r = dcerpc_client_call(conn, ICPR_OPNUM_CERT_SERVER_REQUEST,
	    o.data, o.len, 0, &stub, &stub_len, &fault)) != DCERPC_OK ||
	    (r = icpr_response_decode(stub, stub_len, &resp)) != DCERPC_OK) {
		printf("result=%s\nerror=%s\nfault=0x%08x\n",
		    dcerpc_strerror(r), conn->error, (unsigned)fault);
		return 1;
	}
	printf("disposition=%s\nstatus=%s\nmessage=%s\n",
	    hresult_disposition_name(resp.disposition),
	    hresult_name(resp.status) ? hresult_name(resp.status) : "?",
	    resp.disposition_message ? resp.disposition_message : "");
	icpr_response_clear(&resp);
	free(stub);
	ndr_out_free(&o);
	dcerpc_conn_close(conn);
	free(conn);
	dcerpc_sec_free(sec);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 8 && strcmp(argv[1], "lowlevel") == 0)
		return lowlevel(argv);
	if (argc == 7 && strcmp(argv[1], "crosscheck") == 0)
		return crosscheck(argv);
	if (argc == 5 && strcmp(argv[1], "serve") == 0) {
		icpr_port = (uint16_t)atoi(argv[3]);
		return serve((uint16_t)atoi(argv[2]), argv[4]);
	}
	if (argc >= 8 && strcmp(argv[1], "submit") == 0)
		return submit(argc, argv);
	fprintf(stderr, "usage: drv_rpc serve EPM_PORT ICPR_PORT KEYTAB\n"
	    "       drv_rpc submit HOST EPM_PORT SPN AUTHTYPE CRED N [ATTRS]\n");
	return 64;
}
