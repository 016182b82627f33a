/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep-ca: verifies a SignedCertRequest as an Enterprise CA's policy does
 * and issues the short-lived smart card logon certificate from a local test
 * CA. The manual is docs/man/otpcep-ca.1; the exit statuses are
 * enum catool_status (catool.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "b64.h"
#include "catool.h"
#include "csr.h"
#include "log.h"
#include "otpcep.h"
#include "utf8.h"

/* A SignedCertRequest is a few kilobytes; anything above this is refused. */
#define CATOOL_INPUT_MAX (1024 * 1024)
/* An upper bound for --lifetime: one year. */
#define CATOOL_LIFETIME_MAX (366UL * 86400UL)

#define CATOOL_USAGE_LINE \
"usage: otpcep-ca --in FILE --trust FILE [--require-eku OID] [--template T]...\n" \
"                 (--check | --ca-cert FILE --ca-key FILE [--lifetime TIME]\n" \
"                  [--out FILE] [--print])\n"

static const char usage_text[] =
CATOOL_USAGE_LINE
"\n"
"Verifies a SignedCertRequest (MS-OTPCE 3.2.5.1 step 4: the client's PKCS#10\n"
"co-signed by the OTP signing certificate) as an Enterprise CA's policy does,\n"
"then issues a short-lived smart card logon certificate from a local CA.\n"
"\n"
"  --in FILE           the SignedCertRequest: DER, PEM, or base64 as the\n"
"                      Success response carries it; - reads standard input\n"
"  --trust FILE        PEM file of the CA certificates the signing\n"
"                      certificate must chain to\n"
"  --require-eku OID   the EKU the signing certificate must carry\n"
"                      (default " OID_MS_OTP_SIGNING ")\n"
"  --template T        a template this CA issues: NAME=OID, OID or NAME (up\n"
"                      to 8); then the request must name one of them, with\n"
"                      no conflict between its OID and name extensions\n"
"  --check             verify only, issue nothing\n"
"  --ca-cert FILE      the issuing CA's certificate (PEM or DER)\n"
"  --ca-key FILE       its private key (unencrypted PEM or DER)\n"
"  --lifetime TIME     validity of the issued certificate: N, Ns, Nm, Nh or\n"
"                      Nd (default 1h, at most 366d)\n"
"  --out FILE          write the certificate (PEM) there, else to stdout\n"
"  --print             describe the issued certificate (to stdout with\n"
"                      --out, else to stderr)\n"
"  -h, --help          this text\n"
"  -V, --version       print the version\n"
"\n"
"Exit status: 0 issued (or verified, with --check); 64 usage; 2 a file cannot\n"
"be read or written, or the CA is unusable; 10 malformed; 11 not signedData;\n"
"12 not PKIData; 13 not exactly one PKCS#10; 14 not signed; 15 bad null\n"
"signer; 16 unsupported algorithm; 17 signer certificate missing; 18 bad\n"
"signature; 19 wrong contentType; 20 messageDigest mismatch; 21 untrusted;\n"
"22 expired; 23 no signing EKU; 24 bad PKCS#10; 25 no UPN; 26 bad public key;\n"
"27 no template; 28 template not issued here; 29 template conflict; 40 issuing\n"
"failed.\n"
"See otpcep-ca(1).\n";

/*
 * A usage error: the reason (when given), the short usage line and where the
 * full text is, on stderr. Returns CATOOL_USAGE (64, EX_USAGE).
 */
static int
catool_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "otpcep-ca: %s\n", why);
	fputs(CATOOL_USAGE_LINE "Try 'otpcep-ca --help'.\n", stderr);
	return CATOOL_USAGE;
}

/* Reads path ("-": stdin) whole into a new buffer; NULL with a message. */
static uint8_t *
read_input(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, got;

	if (f == NULL) {
		fprintf(stderr, "otpcep-ca: cannot read %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	if ((buf = malloc(CATOOL_INPUT_MAX + 1)) == NULL) {
		fprintf(stderr, "otpcep-ca: out of memory\n");
		goto done;
	}
	while ((got = fread(buf + n, 1, CATOOL_INPUT_MAX + 1 - n, f)) > 0)
		n += got;
	if (ferror(f) || n > CATOOL_INPUT_MAX) {
		fprintf(stderr, "otpcep-ca: %s: %s\n", path, ferror(f) ?
		    "read error" : "larger than 1 MiB: not a SignedCertRequest");
		free(buf);
		buf = NULL;
		goto done;
	}
	*len = n;
done:
	if (f != stdin)
		fclose(f);
	return buf;
}

/*
 * The DER of the input: as is when it starts with a SEQUENCE tag, the body of
 * a PEM block, or base64 (white space allowed, MS-OTPCE 2.2.3 carries it so).
 * NULL when none of these.
 */
static uint8_t *
to_der(const uint8_t *in, size_t in_len, size_t *der_len)
{
	uint8_t *der = NULL;

	if (in_len > 0 && in[0] == 0x30) {
		if ((der = malloc(in_len)) != NULL) {
			memcpy(der, in, in_len);
			*der_len = in_len;
		}
		return der;
	}
	if (memmem(in, in_len, "-----BEGIN ", 11) != NULL) {
		gnutls_datum_t pem = { (unsigned char *)(uintptr_t)in,
		    (unsigned)in_len }, out = { NULL, 0 };

		if (gnutls_pem_base64_decode2(NULL, &pem, &out) < 0)
			return NULL;
		if ((der = malloc(out.size > 0 ? out.size : 1)) != NULL) {
			memcpy(der, out.data, out.size);
			*der_len = out.size;
		}
		gnutls_free(out.data);
		return der;
	}
	if (b64_decode((const char *)in, in_len, &der, der_len) != B64_OK)
		return NULL;
	return der;
}

/* N, Ns, Nm, Nh or Nd into seconds; 0 when not one of these or too long. */
static unsigned long
parse_lifetime(const char *s)
{
	unsigned long n, unit = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0)
		return 0;
	if (*end != '\0') {
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return 0;
		}
		if (end[1] != '\0')
			return 0;
	}
	if (n == 0 || n > CATOOL_LIFETIME_MAX / unit)
		return 0;
	return n * unit;
}

/* Writes the PEM to path (mode 0644: a certificate is public) or stdout. */
static int
write_cert(gnutls_x509_crt_t crt, const char *path)
{
	gnutls_datum_t pem = { NULL, 0 };
	FILE *f;
	int ok, fd;

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) < 0) {
		fprintf(stderr, "otpcep-ca: cannot encode the certificate\n");
		return CATOOL_ISSUE_FAILED;
	}
	if (path == NULL) {
		ok = fwrite(pem.data, 1, pem.size, stdout) == pem.size &&
		    fflush(stdout) == 0;
	} else if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0 || (f = fdopen(fd, "wb")) == NULL) {
		if (fd >= 0)
			close(fd);
		ok = 0;
	} else {
		ok = fwrite(pem.data, 1, pem.size, f) == pem.size;
		ok = fclose(f) == 0 && ok;
	}
	gnutls_free(pem.data);
	if (!ok) {
		fprintf(stderr, "otpcep-ca: cannot write %s: %s\n",
		    path != NULL ? path : "standard output", strerror(errno));
		if (path != NULL)
			unlink(path);
		return CATOOL_FILES;
	}
	return CATOOL_OK;
}

/* --template NAME=OID, OID or NAME into p. -1 (and a message) when bad. */
static int
add_template(struct catool_policy *p, char *arg)
{
	struct catool_template *t;
	char *eq = strrchr(arg, '=');

	if (p->template_count == CATOOL_TEMPLATES_MAX) {
		fprintf(stderr, "otpcep-ca: more than %d --template\n",
		    CATOOL_TEMPLATES_MAX);
		return -1;
	}
	t = &p->templates[p->template_count];
	if (eq != NULL) {
		*eq = '\0';
		t->name = arg;
		t->oid = eq + 1;
	} else if (csr_is_oid(arg)) {
		t->oid = arg;
	} else {
		t->name = arg;
	}
	if ((t->oid != NULL && !csr_is_oid(t->oid)) ||
	    (t->name != NULL && (t->name[0] == '\0' ||
	    !utf8_valid((const uint8_t *)t->name, strlen(t->name),
	    UTF8_NO_CONTROLS)))) {
		fprintf(stderr, "otpcep-ca: --template: give NAME=OID, a dotted "
		    "OID or a name\n");
		return -1;
	}
	p->template_count++;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "in", required_argument, NULL, 'i' },
		{ "trust", required_argument, NULL, 't' },
		{ "require-eku", required_argument, NULL, 'e' },
		{ "template", required_argument, NULL, 'T' },
		{ "check", no_argument, NULL, 'k' },
		{ "ca-cert", required_argument, NULL, 'c' },
		{ "ca-key", required_argument, NULL, 'K' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "out", required_argument, NULL, 'o' },
		{ "print", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *in = NULL, *trust = NULL, *ca_cert = NULL, *ca_key = NULL;
	const char *out = NULL, *eku = OID_MS_OTP_SIGNING;
	unsigned long lifetime = 3600;
	bool check_only = false, print = false;
	struct catool_policy pol = { .trust = NULL };
	struct catool_verified v = { NULL, NULL, 0, NULL };
	struct catool_ca ca = { NULL, NULL };
	gnutls_x509_crt_t crt = NULL;
	uint8_t *raw = NULL, *der = NULL;
	size_t raw_len = 0, der_len = 0;
	char why[1024];
	int c, st, rc;

	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'i': in = optarg; break;
		case 't': trust = optarg; break;
		case 'e': eku = optarg; break;
		case 'T':
			if (add_template(&pol, optarg) < 0)
				return CATOOL_USAGE;
			break;
		case 'k': check_only = true; break;
		case 'c': ca_cert = optarg; break;
		case 'K': ca_key = optarg; break;
		case 'o': out = optarg; break;
		case 'p': print = true; break;
		case 'l':
			if ((lifetime = parse_lifetime(optarg)) == 0) {
				fprintf(stderr, "otpcep-ca: --lifetime %s: give "
				    "N, Ns, Nm, Nh or Nd, more than 0 and at "
				    "most 366d\n", optarg);
				return CATOOL_USAGE;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return CATOOL_OK;
		case 'V':
			printf("otpcep-ca %s\n", OTPCEP_VERSION);
			return CATOOL_OK;
		default:
			return catool_usage(NULL);
		}
	}
	if (optind != argc || in == NULL || trust == NULL ||
	    (!check_only && (ca_cert == NULL || ca_key == NULL))) {
		return catool_usage(optind != argc ?
		    "unexpected argument" : in == NULL ? "--in is required" :
		    trust == NULL ? "--trust is required" :
		    "--ca-cert and --ca-key are required (or --check)");
	}
	if (eku[0] < '0' || eku[0] > '2' || strspn(eku, "0123456789.") !=
	    strlen(eku) || strstr(eku, "..") != NULL ||
	    eku[strlen(eku) - 1] == '.' || strlen(eku) >= 128) {
		fprintf(stderr, "otpcep-ca: --require-eku %s is not a dotted "
		    "OID\n", eku);
		return CATOOL_USAGE;
	}
	pol.require_eku = eku;
	pol.now = time(NULL);

	st = CATOOL_FILES;
	if ((rc = gnutls_x509_trust_list_init(&pol.trust, 0)) < 0)
		goto cleanup;
	rc = gnutls_x509_trust_list_add_trust_file(pol.trust, trust, NULL,
	    GNUTLS_X509_FMT_PEM, 0, 0);
	if (rc <= 0) {
		fprintf(stderr, "otpcep-ca: --trust %s: %s\n", trust, rc < 0 ?
		    gnutls_strerror(rc) : "no certificate in it");
		goto cleanup;
	}
	if (!check_only && catool_ca_load(&ca, ca_cert, ca_key, pol.now, why,
	    sizeof(why)) != CATOOL_OK) {
		fprintf(stderr, "otpcep-ca: %s\n", why);
		goto cleanup;
	}
	if ((raw = read_input(in, &raw_len)) == NULL)
		goto cleanup;
	if ((der = to_der(raw, raw_len, &der_len)) == NULL) {
		fprintf(stderr, "otpcep-ca: refused (malformed): %s is neither "
		    "DER, PEM nor base64\n", in);
		st = CATOOL_MALFORMED;
		goto cleanup;
	}
	if ((st = catool_verify(&pol, der, der_len, &v, why, sizeof(why))) !=
	    CATOOL_OK) {
		fprintf(stderr, "otpcep-ca: refused (%s): %s\n",
		    catool_status_name((enum catool_status)st), why);
		goto cleanup;
	}
	{
		char esc[512];

		fprintf(stderr, "otpcep-ca: verified: signed by \"%s\"%s, "
		    "for UPN %s\n", v.signer_dn, v.signers > 1 ?
		    " and others" : "", log_escape(esc, sizeof(esc),
		    v.upn, strlen(v.upn)));
	}
	if (check_only)
		goto cleanup;
	if ((st = catool_issue(&ca, &v, time(NULL), lifetime, &crt, why,
	    sizeof(why))) != CATOOL_OK) {
		fprintf(stderr, "otpcep-ca: %s\n", why);
		goto cleanup;
	}
	if ((st = write_cert(crt, out)) != CATOOL_OK)
		goto cleanup;
	if (print)
		catool_print(out != NULL ? stdout : stderr, crt);
cleanup:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	catool_verified_free(&v);
	catool_ca_free(&ca);
	if (pol.trust != NULL)
		gnutls_x509_trust_list_deinit(pol.trust, 1);
	free(raw);
	free(der);
	return st;
}
