/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep-client: enrolls for a one-time-password logon certificate over
 * MS-OTPCE (the client role of section 3.1), and tests a deployment.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>

#include "b64.h"
#include "client.h"
#include "msg.h"
#include "otpcep.h"
#include "secret.h"

/* RFC 2865 5.2: a User-Password is at most 128 bytes. */
#define CLIENT_OTP_MAX 128

static const char client_help[] =
"NAME\n"
"    otpcep-client - enroll for a one-time-password logon certificate (MS-OTPCE)\n"
"\n"
"SYNOPSIS\n"
"    otpcep-client --url URL --user DOMAIN\\user [--otp-file FILE]\n"
"                  --subject DN [--upn UPN] (--template-oid OID | --template NAME)\n"
"                  [--out PREFIX] [options]\n"
"    otpcep-client --url URL --user DOMAIN\\user --csr FILE [options]\n"
"\n"
"DESCRIPTION\n"
"    Plays the client of the One-Time Password Certificate Enrollment protocol\n"
"    (MS-OTPCE 3.1): makes a key and a certificate request shaped like a Windows\n"
"    client's (subject DN, UPN, certificate template, ClientInfo, smart card\n"
"    logon EKU), or takes a request you give, sends it with the user name and\n"
"    one-time password to the server over HTTPS, and prints the server's status\n"
"    and IssuingCA names. On Success it writes the SignedCertRequest, which you\n"
"    then submit to the issuing CA, and the new key.\n"
"\n"
"    The one-time password is read from --otp-file, or asked for on the\n"
"    terminal without echo, or read as one line from standard input when that\n"
"    is not a terminal. --otp puts it on the command line, where other users\n"
"    can see it; use it only on a machine of your own.\n"
"\n"
"SERVER\n"
"    --url URL          the server, https:// only (e.g. https://da.example.com/otpcep)\n"
"    --cacert FILE      CA certificate(s) (PEM) to check the server's certificate\n"
"                       (default: the system's trust store)\n"
"    --cert FILE        client certificate (PEM), e.g. the machine's, when the\n"
"                       server requires one\n"
"    --key FILE         its private key (PEM, unencrypted)\n"
"    --timeout SECONDS  give up after this long (default 60: longer than a\n"
"                       server's RADIUS time-outs)\n"
"\n"
"USER\n"
"    --user NAME        the logon name, DOMAIN\\user (MS-OTPCE 3.1.5.1)\n"
"    --otp-file FILE    file holding the one-time password (one line; mode 0640\n"
"                       or stricter), or - for standard input\n"
"    --otp CODE         the one-time password itself (visible in ps: avoid)\n"
"\n"
"REQUEST (made here unless --csr is given)\n"
"    --subject DN       subject, RFC 4514, e.g. 'CN=User 1,CN=Users,DC=example,DC=com'\n"
"    --upn UPN          user principal name for the subject alternative name\n"
"    --template-oid OID the certificate template by OID (extension\n"
"                       1.3.6.1.4.1.311.21.7), with --template-major N and\n"
"                       --template-minor N (each left out unless given)\n"
"    --template NAME    the certificate template by name (1.3.6.1.4.1.311.20.2)\n"
"    --key-type TYPE    rsa (default, 2048 bits; --bits N for 2048-4096) or ec (P-256)\n"
"    --machine NAME     ClientInfo machine name (default: this host's name)\n"
"    --account NAME     ClientInfo account (default: DOMAIN\\MACHINE$, the domain\n"
"                       from --user, the first label of --machine)\n"
"    --process NAME     ClientInfo process name (default: otpcep-client)\n"
"    --csr FILE         send this PKCS#10 (PEM or DER) instead; it must verify\n"
"    --raw-csr FILE     send the bytes of FILE as the request, unchecked (to\n"
"                       test how a server handles a bad request)\n"
"    --csr-out FILE     also write the request sent (PEM), whatever the answer\n"
"\n"
"OUTPUT\n"
"    --out PREFIX       on Success write PREFIX.signed.der and PREFIX.signed.pem\n"
"                       (the SignedCertRequest, CMS), PREFIX.csr.pem and, for a\n"
"                       key made here, PREFIX.key (PKCS#8 PEM, mode 0600).\n"
"                       Default: otpcep in the current folder\n"
"    -v, --verbose      show the HTTP exchange (never the password)\n"
"\n"
"SUBMITTING TO THE CA\n"
"    --submit           after Success, send the SignedCertRequest unchanged to\n"
"                       the first IssuingCA over MS-ICPR (Kerberos, packet\n"
"                       privacy) as the user, with their ticket, and write the\n"
"                       issued certificate to PREFIX.cert.pem\n"
"    --ccache FILE      the user's Kerberos credential cache (default:\n"
"                       $KRB5CCNAME; run kinit first)\n"
"    --ca-address ADDR  connect to ADDR instead of the CA's host name (the\n"
"                       ticket is still for host/<CA host>)\n"
"    --ca-spn SPN       the CA's service principal (default host/<CA host>)\n"
"    --ca-epm-port N    the CA's endpoint mapper port (default 135)\n"
"    -h, --help         this text\n"
"    -V, --version      the version\n"
"\n"
"EXIT STATUS\n"
"    0   Success: the SignedCertRequest was written\n"
"    1   a local failure: a file could not be read or written, no key made\n"
"    2   AuthenticationError: user name or one-time password refused; wait\n"
"        for the next code and try again\n"
"    3   ChallengeResponseRequired: the RADIUS server asked for more (e.g. a\n"
"        next code); not supported by MS-OTPCE clients\n"
"    4   OtherError: the server could not process the request; its log names\n"
"        the reason\n"
"    5   HTTP or transport failure: no connection, TLS refused, an HTTP status\n"
"        other than 200, or an answer that is not a SignCert Response\n"
"    6   --submit: the CA denied the request, failed, or holds it pending\n"
"    7   --submit: the CA could not be reached, bound or sealed (DNS,\n"
"        firewall, Kerberos ticket, SPN, clock)\n"
"    64  usage: a missing or wrong option\n"
"\n"
"EXAMPLE\n"
"    oathtool --totp -b \"$SEED\" > code; chmod 600 code\n"
"    otpcep-client --url https://da.example.com/otpcep --cacert root.pem \\\n"
"        --cert machine.pem --key machine.key --user 'EXAMPLE\\alice' \\\n"
"        --otp-file code --subject 'CN=Alice,CN=Users,DC=example,DC=com' \\\n"
"        --upn alice@example.com --template OTPLogon --out alice\n";

struct client_opts {
	struct csrgen_params gen;
	struct send_params send;
	const char *user, *otp_arg, *otp_file, *csr, *raw_csr, *csr_out, *out;
	const char *key_type;
	long bits;
	bool verbose;
	struct submit_opts sub;
};

static int
client_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "otpcep-client: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: otpcep-client --url URL --user DOMAIN\\user "
	    "[--otp-file FILE] [OPTIONS]\n"
	    "Try 'otpcep-client --help'.\n");
	return CLIENT_EXIT_USAGE;
}

static bool
client_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Reads the one-time password: file, argument, terminal or stdin. */
static int
client_read_otp(const struct client_opts *o, struct secret *otp)
{
	char buf[CLIENT_OTP_MAX + 2];
	struct termios old, quiet;
	FILE *tty = NULL;
	bool echo_off = false;
	size_t len;
	enum secret_result r;

	memset(otp, 0, sizeof(*otp));
	if (o->otp_file != NULL && strcmp(o->otp_file, "-") != 0) {
		if ((r = secret_read_file(o->otp_file, otp)) != SECRET_OK) {
			fprintf(stderr, "otpcep-client: --otp-file %s: %s\n", o->otp_file,
			    secret_strerror(r));
			return -1;
		}
		goto check;
	}
	if (o->otp_arg != NULL) {
		len = strlen(o->otp_arg);
		if (len > CLIENT_OTP_MAX)
			goto too_long;
		if ((otp->data = malloc(len + 1)) == NULL)
			return -1;
		memcpy(otp->data, o->otp_arg, len + 1);
		otp->len = len;
		goto check;
	}
	if (o->otp_file == NULL && isatty(STDIN_FILENO) &&
	    (tty = fopen("/dev/tty", "r+")) != NULL) {
		fprintf(tty, "One-time password for %s: ", o->user);
		fflush(tty);
		if (tcgetattr(fileno(tty), &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			echo_off = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
		}
	}
	if (fgets(buf, sizeof(buf), tty != NULL ? tty : stdin) == NULL)
		buf[0] = '\0';
	if (tty != NULL) {
		if (echo_off)
			tcsetattr(fileno(tty), TCSAFLUSH, &old);
		fputc('\n', tty);
		fclose(tty);
	}
	len = strcspn(buf, "\r\n");
	if (buf[len] == '\0' && len > CLIENT_OTP_MAX) {
		secret_wipe(buf, sizeof(buf));
		goto too_long;
	}
	buf[len] = '\0';
	if ((otp->data = malloc(len + 1)) == NULL) {
		secret_wipe(buf, sizeof(buf));
		return -1;
	}
	memcpy(otp->data, buf, len + 1);
	otp->len = len;
	secret_wipe(buf, sizeof(buf));
check:
	if (otp->len == 0) {
		fprintf(stderr, "otpcep-client: the one-time password is empty\n");
		secret_free(otp);
		return -1;
	}
	if (otp->len > CLIENT_OTP_MAX) {
		secret_free(otp);
		goto too_long;
	}
	return 0;
too_long:
	fprintf(stderr, "otpcep-client: the one-time password is longer than %d "
	    "bytes (RADIUS cannot carry it)\n", CLIENT_OTP_MAX);
	return -1;
}

/*
 * The SignCert Request document (MS-OTPCE 2.2.2), written by the message
 * module. Returns a new buffer that holds the one-time password (wipe it), or
 * NULL after printing why.
 */
static char *
client_build_xml(const char *user, const struct secret *otp,
    const gnutls_datum_t *csr, size_t *xml_len)
{
	struct sign_cert_request req;
	char *xml = NULL;
	int rc;

	memset(&req, 0, sizeof(req));
	req.username = (char *)(uintptr_t)user;
	req.one_time_password = (char *)otp->data;
	req.one_time_password_len = otp->len;
	req.cert_request = csr->data;
	req.cert_request_len = csr->size;
	rc = msg_write_request(&req, &xml, xml_len);
	if (rc == -2)
		fprintf(stderr, "otpcep-client: the user name and one-time password "
		    "must be UTF-8 text without control characters\n");
	else if (rc != 0)
		fprintf(stderr, "otpcep-client: out of memory\n");
	return rc == 0 ? xml : NULL;
}

/* Writes data to path with mode (created or truncated; no symlinks). */
int
client_write(const char *path, const void *data, size_t len, mode_t mode)
{
	const uint8_t *d = data;
	ssize_t w;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0) {
		fprintf(stderr, "otpcep-client: cannot write %s: %s\n", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (len > 0) {
		if ((w = write(fd, d, len)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "otpcep-client: cannot write %s: %s\n", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		d += w;
		len -= (size_t)w;
	}
	if (close(fd) != 0) {
		fprintf(stderr, "otpcep-client: cannot write %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
client_write_pem(const char *path, const char *label, const gnutls_datum_t *der,
    mode_t mode)
{
	gnutls_datum_t pem = { NULL, 0 };
	int rc;

	if ((rc = gnutls_pem_base64_encode2(label, der, &pem)) < 0) {
		fprintf(stderr, "otpcep-client: %s: %s\n", path, gnutls_strerror(rc));
		return -1;
	}
	rc = client_write(path, pem.data, pem.size, mode);
	gnutls_free(pem.data);
	return rc;
}

static char *
client_path(const char *prefix, const char *suffix)
{
	char *p;

	if (asprintf(&p, "%s%s", prefix, suffix) < 0)
		return NULL;
	return p;
}

/* On Success: the SignedCertRequest (DER, PEM), the request and the key. */
static int
client_save(const struct client_opts *o, const struct sign_cert_reply *resp,
    const gnutls_datum_t *csr, gnutls_x509_privkey_t key)
{
	gnutls_datum_t scr = { resp->signed_cert_request,
	    (unsigned)resp->signed_cert_request_len };
	gnutls_datum_t k = { NULL, 0 };
	char *der = client_path(o->out, ".signed.der");
	char *pem = client_path(o->out, ".signed.pem");
	char *req = client_path(o->out, ".csr.pem");
	char *kp = client_path(o->out, ".key");
	int ret = -1, rc;

	if (der == NULL || pem == NULL || req == NULL || kp == NULL)
		goto cleanup;
	if (key != NULL) {
		if ((rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM,
		    NULL, GNUTLS_PKCS_PLAIN, &k)) < 0) {
			fprintf(stderr, "otpcep-client: exporting the key: %s\n",
			    gnutls_strerror(rc));
			goto cleanup;
		}
		if (client_write(kp, k.data, k.size, 0600) != 0)
			goto cleanup;
		printf("key: %s\n", kp);
	}
	if (client_write(der, scr.data, scr.size, 0644) != 0 ||
	    client_write_pem(pem, "PKCS7", &scr, 0644) != 0 ||
	    client_write_pem(req, "NEW CERTIFICATE REQUEST", csr, 0644) != 0)
		goto cleanup;
	printf("SignedCertRequest: %s %s\nrequest: %s\n", der, pem, req);
	ret = 0;
cleanup:
	if (k.data != NULL) {
		gnutls_memset(k.data, 0, k.size);
		gnutls_free(k.data);
	}
	free(der);
	free(pem);
	free(req);
	free(kp);
	return ret;
}

/* What a non-200 answer most likely means, for the operator. */
static const char *
client_http_hint(long status)
{
	switch (status) {
	case 400: return "the server did not accept the message (format or "
	    "X-OTPCEP-version)";
	case 403: return "refused: the server requires HTTPS and a verified client "
	    "certificate; give --cert and --key";
	case 404: return "nothing there: check the path in --url (the sample "
	    "configurations serve /otpcep)";
	case 405: return "the server accepts only POST at this URL";
	case 413: return "the request is larger than the server accepts";
	case 415: return "the server wants Content-Type application/xml";
	case 500: return "the server failed; its log says why";
	case 502: case 503: case 504: return "the web server could not reach the "
	    "responder (is otpcep running? is the FastCGI time-out long enough?)";
	default: return "not an MS-OTPCE answer";
	}
}

static int
client_parse_opts(int argc, char **argv, struct client_opts *o)
{
	enum { O_URL = 256, O_CACERT, O_CERT, O_KEY, O_TIMEOUT, O_USER, O_OTP,
	    O_OTP_FILE, O_SUBJECT, O_UPN, O_TOID, O_TMAJ, O_TMIN, O_TNAME,
	    O_KEYTYPE, O_BITS, O_MACHINE, O_ACCOUNT, O_PROCESS, O_CSR, O_RAW,
	    O_CSR_OUT, O_OUT, O_SUBMIT, O_CCACHE, O_CA_ADDRESS, O_CA_SPN,
	    O_CA_EPM_PORT };
	static const struct option opts[] = {
		{ "url", required_argument, NULL, O_URL },
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "user", required_argument, NULL, O_USER },
		{ "otp", required_argument, NULL, O_OTP },
		{ "otp-file", required_argument, NULL, O_OTP_FILE },
		{ "subject", required_argument, NULL, O_SUBJECT },
		{ "upn", required_argument, NULL, O_UPN },
		{ "template-oid", required_argument, NULL, O_TOID },
		{ "template-major", required_argument, NULL, O_TMAJ },
		{ "template-minor", required_argument, NULL, O_TMIN },
		{ "template", required_argument, NULL, O_TNAME },
		{ "key-type", required_argument, NULL, O_KEYTYPE },
		{ "bits", required_argument, NULL, O_BITS },
		{ "machine", required_argument, NULL, O_MACHINE },
		{ "account", required_argument, NULL, O_ACCOUNT },
		{ "process", required_argument, NULL, O_PROCESS },
		{ "csr", required_argument, NULL, O_CSR },
		{ "raw-csr", required_argument, NULL, O_RAW },
		{ "csr-out", required_argument, NULL, O_CSR_OUT },
		{ "out", required_argument, NULL, O_OUT },
		{ "submit", no_argument, NULL, O_SUBMIT },
		{ "ccache", required_argument, NULL, O_CCACHE },
		{ "ca-address", required_argument, NULL, O_CA_ADDRESS },
		{ "ca-spn", required_argument, NULL, O_CA_SPN },
		{ "ca-epm-port", required_argument, NULL, O_CA_EPM_PORT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "vhV", opts, NULL)) != -1) {
		switch (c) {
		case O_URL: o->send.url = optarg; break;
		case O_CACERT: o->send.cacert = optarg; break;
		case O_CERT: o->send.cert = optarg; break;
		case O_KEY: o->send.key = optarg; break;
		case O_TIMEOUT:
			if (!client_long(optarg, 1, 3600, &o->send.timeout_s))
				return client_usage("--timeout wants seconds, 1 to 3600, not '%s'", optarg);
			break;
		case O_USER: o->user = optarg; break;
		case O_OTP: o->otp_arg = optarg; break;
		case O_OTP_FILE: o->otp_file = optarg; break;
		case O_SUBJECT: o->gen.subject = optarg; break;
		case O_UPN: o->gen.upn = optarg; break;
		case O_TOID: o->gen.template_oid = optarg; break;
		case O_TMAJ:
			if (!client_long(optarg, 0, 2147483647L, &o->gen.template_major))
				return client_usage("--template-major wants a number, not '%s'", optarg);
			break;
		case O_TMIN:
			if (!client_long(optarg, 0, 2147483647L, &o->gen.template_minor))
				return client_usage("--template-minor wants a number, not '%s'", optarg);
			break;
		case O_TNAME: o->gen.template_name = optarg; break;
		case O_KEYTYPE: o->key_type = optarg; break;
		case O_BITS:
			if (!client_long(optarg, 2048, 4096, &o->bits))
				return client_usage("--bits wants 2048 to 4096, not '%s'", optarg);
			break;
		case O_MACHINE: o->gen.machine = optarg; break;
		case O_ACCOUNT: o->gen.account = optarg; break;
		case O_PROCESS: o->gen.process = optarg; break;
		case O_CSR: o->csr = optarg; break;
		case O_RAW: o->raw_csr = optarg; break;
		case O_CSR_OUT: o->csr_out = optarg; break;
		case O_OUT: o->out = optarg; break;
		case O_SUBMIT: o->sub.submit = true; break;
		case O_CCACHE: o->sub.ccache = optarg; break;
		case O_CA_ADDRESS: o->sub.ca_address = optarg; break;
		case O_CA_SPN: o->sub.spn = optarg; break;
		case O_CA_EPM_PORT: {
			long port;

			if (!client_long(optarg, 1, 65535, &port))
				return client_usage("--ca-epm-port wants a port, not '%s'", optarg);
			o->sub.epm_port = (unsigned)port;
			break;
		}
		case 'v': o->verbose = true; break;
		case 'h': fputs(client_help, stdout); exit(0);
		case 'V': printf("otpcep-client %s\n", OTPCEP_VERSION); exit(0);
		default: return client_usage("%s", "unknown option");
		}
	}
	if (optind != argc)
		return client_usage("unexpected argument '%s' (options only)", argv[optind]);
	if (o->send.url == NULL)
		return client_usage("%s", "--url is required (https://HOST/otpcep)");
	if (strncasecmp(o->send.url, "https://", 8) != 0)
		return client_usage("--url must start with https:// (MS-OTPCE 2.1 "
		    "requires HTTPS), not '%s'", o->send.url);
	if (o->user == NULL || o->user[0] == '\0')
		return client_usage("%s", "--user DOMAIN\\user is required");
	if ((o->send.cert == NULL) != (o->send.key == NULL))
		return client_usage("%s", "--cert and --key go together");
	if (o->otp_arg != NULL && o->otp_file != NULL)
		return client_usage("%s", "give --otp or --otp-file, not both");
	if (o->csr != NULL && o->raw_csr != NULL)
		return client_usage("%s", "give --csr or --raw-csr, not both");
	if (!o->sub.submit && (o->sub.ccache != NULL || o->sub.ca_address != NULL ||
	    o->sub.spn != NULL || o->sub.epm_port != 0))
		return client_usage("%s", "--ccache, --ca-address, --ca-spn and "
		    "--ca-epm-port go with --submit");
	if (o->csr != NULL || o->raw_csr != NULL) {
		if (o->gen.subject != NULL || o->gen.upn != NULL ||
		    o->gen.template_oid != NULL || o->gen.template_name != NULL ||
		    o->key_type != NULL)
			return client_usage("%s", "--subject, --upn, --template*, "
			    "--key-type make a request; they do not go with --csr");
		return 0;
	}
	if (o->gen.subject == NULL)
		return client_usage("%s", "--subject DN is required to make a request "
		    "(or give one with --csr)");
	if ((o->gen.template_oid == NULL) == (o->gen.template_name == NULL))
		return client_usage("%s", "give the certificate template: --template-oid "
		    "OID or --template NAME (one of them)");
	if (o->gen.template_oid == NULL &&
	    (o->gen.template_major >= 0 || o->gen.template_minor >= 0))
		return client_usage("%s", "--template-major/--template-minor go with "
		    "--template-oid");
	if (o->key_type == NULL || strcmp(o->key_type, "rsa") == 0)
		o->gen.ec = false;
	else if (strcmp(o->key_type, "ec") == 0)
		o->gen.ec = true;
	else
		return client_usage("--key-type is rsa or ec, not '%s'", o->key_type);
	if (o->gen.ec && o->bits != 0)
		return client_usage("%s", "--bits is for RSA keys");
	o->gen.rsa_bits = o->bits != 0 ? (unsigned)o->bits : 2048;
	return 0;
}

int
main(int argc, char **argv)
{
	struct client_opts o = {
		.gen = { .template_major = -1, .template_minor = -1 },
		.send = { .timeout_s = 60 },
		.out = "otpcep",
	};
	struct rlimit no_core = { 0, 0 };
	char host[256] = "localhost", *account = NULL, *xml = NULL;
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t csr = { NULL, 0 };
	struct secret otp = { NULL, 0 };
	struct send_result res = { 0 };
	struct sign_cert_reply resp = { 0 };
	gnutls_pkcs7_t p7 = NULL;
	size_t xml_len = 0, i;
	int ret, rc;

	/* The one-time password and the new key must not reach a core file. */
	setrlimit(RLIMIT_CORE, &no_core);
	umask(077);
	if ((ret = client_parse_opts(argc, argv, &o)) != 0)
		return ret;
	o.send.verbose = o.verbose;
	ret = CLIENT_EXIT_LOCAL;
	if (gnutls_global_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "otpcep-client: cannot initialise GnuTLS or libcurl\n");
		return CLIENT_EXIT_LOCAL;
	}
	msg_init();

	/* The certificate request: given, raw, or made here (3.1.5.1). */
	if (o.csr != NULL) {
		if (csrgen_load(o.csr, &csr) != 0)
			goto cleanup;
	} else if (o.raw_csr != NULL) {
		if ((rc = gnutls_load_file(o.raw_csr, &csr)) < 0) {
			fprintf(stderr, "otpcep-client: cannot read --raw-csr %s: %s\n",
			    o.raw_csr, gnutls_strerror(rc));
			goto cleanup;
		}
	} else {
		gethostname(host, sizeof(host) - 1);
		if (o.gen.machine == NULL)
			o.gen.machine = host;
		if (o.gen.account == NULL) {
			/* Windows writes the machine account, DOMAIN\HOST$ (4.1). */
			const char *bs = strchr(o.user, '\\');
			int dl = bs != NULL ? (int)(bs - o.user) : 0;
			size_t hl = strcspn(o.gen.machine, ".");

			if (asprintf(&account, "%.*s%s%.*s$", dl, o.user, dl ? "\\" : "",
			    (int)hl, o.gen.machine) < 0) {
				account = NULL;
				goto cleanup;
			}
			for (i = (size_t)dl; account[i] != '\0'; i++)
				if (account[i] >= 'a' && account[i] <= 'z')
					account[i] = (char)(account[i] - 'a' + 'A');
			o.gen.account = account;
		}
		if (o.gen.process == NULL)
			o.gen.process = "otpcep-client";
		if ((rc = csrgen_make(&o.gen, &key, &csr)) != 0) {
			if (rc == -2)
				ret = CLIENT_EXIT_USAGE;
			goto cleanup;
		}
	}
	if (o.csr_out != NULL && client_write_pem(o.csr_out, o.raw_csr != NULL ?
	    "RAW REQUEST BYTES" : "NEW CERTIFICATE REQUEST", &csr, 0644) != 0)
		goto cleanup;

	if (client_read_otp(&o, &otp) != 0) {
		ret = o.otp_file != NULL || o.otp_arg != NULL ? CLIENT_EXIT_USAGE :
		    CLIENT_EXIT_LOCAL;
		goto cleanup;
	}
	xml = client_build_xml(o.user, &otp, &csr, &xml_len);
	secret_free(&otp);
	if (xml == NULL) {
		ret = CLIENT_EXIT_USAGE;
		goto cleanup;
	}
	ret = CLIENT_EXIT_TRANSPORT;
	rc = send_request(&o.send, xml, xml_len, &res);
	secret_wipe(xml, xml_len);
	if (rc != 0)
		goto cleanup;
	if (res.http_status != 200) {
		fprintf(stderr, "otpcep-client: %s: HTTP %ld: %s\n", o.send.url,
		    res.http_status, client_http_hint(res.http_status));
		goto cleanup;
	}
	/* MS-OTPCE 1.7, 2.2: both headers on every response. */
	if (!res.version_ok) {
		fprintf(stderr, "otpcep-client: %s: the answer has no X-OTPCEP-version: "
		    "1.0 header; is --url the MS-OTPCE path?\n", o.send.url);
		goto cleanup;
	}
	if (strncasecmp(res.content_type, "application/xml", 15) != 0 ||
	    (res.content_type[15] != '\0' && res.content_type[15] != ';')) {
		fprintf(stderr, "otpcep-client: %s: the answer's Content-Type is '%s', "
		    "not application/xml\n", o.send.url, res.content_type);
		goto cleanup;
	}
	if (response_parse(res.body, res.body_len, &resp) != 0)
		goto cleanup;
	printf("status: %s\n", otpcep_status_name(resp.status));
	for (i = 0; i < resp.issuing_ca_count; i++)
		printf("IssuingCA: %s\n", resp.issuing_ca[i]);
	switch (resp.status) {
	case OTPCEP_SUCCESS:
		break;
	case OTPCEP_AUTHENTICATION_ERROR:
		fprintf(stderr, "otpcep-client: the server refused the user name or "
		    "one-time password; wait for the next code and try again\n");
		ret = CLIENT_EXIT_AUTH;
		goto cleanup;
	case OTPCEP_CHALLENGE_RESPONSE_REQUIRED:
		fprintf(stderr, "otpcep-client: the RADIUS server asked for a further "
		    "response (challenge), which MS-OTPCE cannot carry; ask the "
		    "administrator to turn challenges off for this user\n");
		ret = CLIENT_EXIT_CHALLENGE;
		goto cleanup;
	case OTPCEP_OTHER_ERROR:
		fprintf(stderr, "otpcep-client: the server could not process the "
		    "request; its log names the reason (look for this time and "
		    "user)\n");
		ret = CLIENT_EXIT_OTHER;
		goto cleanup;
	}
	/* The SignedCertRequest must at least be CMS (RFC 5652) to be useful. */
	{
		gnutls_datum_t d = { resp.signed_cert_request,
		    (unsigned)resp.signed_cert_request_len };

		if (gnutls_pkcs7_init(&p7) < 0 ||
		    (rc = gnutls_pkcs7_import(p7, &d, GNUTLS_X509_FMT_DER)) < 0) {
			fprintf(stderr, "otpcep-client: the SignedCertRequest is not CMS "
			    "SignedData; the server is broken\n");
			goto cleanup;
		}
	}
	ret = client_save(&o, &resp, &csr, key) == 0 ? CLIENT_EXIT_SUCCESS :
	    CLIENT_EXIT_LOCAL;
	/* MS-OTPCE 3.1: the request goes to the first IssuingCA, unchanged. */
	if (ret == CLIENT_EXIT_SUCCESS && o.sub.submit) {
		if (resp.issuing_ca_count == 0) {
			fprintf(stderr, "otpcep-client: the Success answer names no "
			    "IssuingCA to submit to\n");
			ret = CLIENT_EXIT_CA_REFUSED;
			goto cleanup;
		}
		o.sub.timeout_ms = (unsigned)o.send.timeout_s * 1000u;
		ret = client_submit(&o.sub, resp.issuing_ca[0],
		    resp.signed_cert_request, resp.signed_cert_request_len, o.out);
	}
cleanup:
	if (p7 != NULL)
		gnutls_pkcs7_deinit(p7);
	msg_reply_free(&resp);
	send_result_free(&res);
	free(xml);
	secret_free(&otp);
	gnutls_free(csr.data);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	free(account);
	msg_deinit();
	curl_global_cleanup();
	gnutls_global_deinit();
	return ret;
}
