/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep-client: the client role of MS-OTPCE 3.1 for Linux. Makes a key and
 * a Windows-shaped PKCS#10 (or takes one), sends the SignCert Request
 * (2.2.2) over HTTPS and reads the SignCert Response (2.2.3).
 */
#ifndef OTPCEP_CLIENT_H
#define OTPCEP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/* Exit status, one per outcome (documented in --help and the man page). */
enum client_exit {
	CLIENT_EXIT_SUCCESS = 0,
	CLIENT_EXIT_LOCAL = 1,		/* our side: files, key generation */
	CLIENT_EXIT_AUTH = 2,		/* AuthenticationError */
	CLIENT_EXIT_CHALLENGE = 3,	/* ChallengeResponseRequired */
	CLIENT_EXIT_OTHER = 4,		/* OtherError */
	CLIENT_EXIT_TRANSPORT = 5,	/* HTTP, TLS, or not a SignCert Response */
	CLIENT_EXIT_CA_REFUSED = 6,	/* --submit: the CA denied, failed or holds it pending */
	CLIENT_EXIT_CA_UNREACHABLE = 7,	/* --submit: CA not reached, bound or sealed */
	CLIENT_EXIT_USAGE = 64,		/* EX_USAGE */
};

/* What the PKCS#10 says (MS-OTPCE 3.1.5.1; MS-WCCE 2.2.2.7). */
struct csrgen_params {
	const char *subject;		/* RFC 4514 DN, e.g. CN=User 1,CN=Users,DC=... */
	const char *upn;		/* user@suffix, or NULL */
	const char *template_oid;	/* v2 template extension, or NULL */
	long template_major;		/* -1: absent */
	long template_minor;		/* -1: absent */
	const char *template_name;	/* v1 template name extension, or NULL */
	const char *machine;		/* ClientInfo machineName */
	const char *account;		/* ClientInfo userName (DOMAIN\MACHINE$) */
	const char *process;		/* ClientInfo processName */
	bool ec;			/* P-256 instead of RSA */
	unsigned rsa_bits;
};

/*
 * Makes a new key and a PKCS#10 signed with it (SHA-256). On success returns
 * 0, *key is the new key and *der the request (free with gnutls_free);
 * otherwise -2 for a subject or template that cannot be encoded (a usage
 * error) or -1 for any other failure, after printing why.
 */
int csrgen_make(const struct csrgen_params *p, gnutls_x509_privkey_t *key,
    gnutls_datum_t *der);

/*
 * Reads a PKCS#10 from path (PEM or DER), checks it parses and that its
 * self-signature verifies. Returns 0 and the DER in *der (gnutls_free), or
 * -1 after printing why.
 */
int csrgen_load(const char *path, gnutls_datum_t *der);

/* The HTTPS side. */
struct send_params {
	const char *url;
	const char *cacert;		/* NULL: the system's trust store */
	const char *cert, *key;		/* client certificate, or NULL */
	long timeout_s;
	bool verbose;
};

struct send_result {
	long http_status;
	bool version_ok;		/* X-OTPCEP-version: 1.0 present */
	char content_type[128];
	uint8_t *body;			/* malloc, NUL-terminated */
	size_t body_len;
};

/*
 * POSTs body with the MS-OTPCE headers. Returns 0 when an HTTP response
 * arrived (whatever its status), or -1 after printing the transport error.
 */
int send_request(const struct send_params *p, const char *body, size_t body_len,
    struct send_result *out);
void send_result_free(struct send_result *r);

/*
 * Parses a signCertResponse (MS-OTPCE 2.2.3) with the message module.
 * Returns 0, or -1 after printing why the document is not a valid response.
 */
struct sign_cert_reply;
int response_parse(const uint8_t *body, size_t body_len,
    struct sign_cert_reply *out);

/* --submit: how to reach the first IssuingCA (MS-ICPR, Kerberos). */
struct submit_opts {
	bool submit;
	const char *ccache;		/* NULL: KRB5CCNAME or the default */
	const char *ca_address;		/* connect here instead of the CA host */
	const char *spn;		/* NULL: host/<CA host> */
	unsigned epm_port;		/* 0: 135 */
	unsigned timeout_ms;
};

/*
 * Sends the SignedCertRequest (DER) unchanged to issuing_ca ("host\CA
 * name") as the user and writes PREFIX.cert.pem when it is issued. Returns
 * the exit status: SUCCESS, CA_REFUSED (denied, error, pending),
 * CA_UNREACHABLE, or LOCAL, after printing the CA's disposition.
 */
int client_submit(const struct submit_opts *so, const char *issuing_ca,
    const uint8_t *scr, size_t scr_len, const char *prefix);

/* Writes data to path with mode (created or truncated; no symlinks). */
int client_write(const char *path, const void *data, size_t len, mode_t mode);

#endif
