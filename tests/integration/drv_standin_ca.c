/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * A stand-in for an AD CS Enterprise CA, for the tests only (never shipped):
 * the endpoint mapper (ept_map, C706 appendix I) on one port and
 * ICertPassage::CertServerRequest (MS-ICPR 3.2.4.1.1) on another, over the
 * project's own DCE/RPC code (src/dcerpc*.c) with an MIT GSS acceptor
 * (keytab). As AD CS does, it
 *  - refuses a call below packet privacy with E_ACCESSDENIED (the 2021-2023
 *    hardening, KB5004442);
 *  - takes the template from the CertificateTemplate: attribute, else from
 *    the request's template extension; an unknown one is
 *    CERTSRV_E_UNSUPPORTED_CERT_TYPE, one the principal may not enroll for
 *    CERTSRV_E_TEMPLATE_DENIED;
 *  - checks a co-signed request (MS-OTPCE SignedCertRequest) with otpcep-ca's
 *    own policy code (catool_verify: signatures, chain, the OTP signing EKU);
 *  - builds the subject from the directory entry of the authenticated
 *    principal (slapd), never from the request;
 *  - issues through a test CA; holds requests pending (--pending) until they
 *    are polled by request id; can pad its answer's chain to many kilobytes
 *    (--big-chain) so that it goes out in several fragments, or leave the CA's
 *    certificate out of it (--leaf-chain: no path to a root).
 * One line per call on stderr. Each connection is served by a child process;
 * SIGTERM stops the server and its children.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>
#include <ldap.h>

#include "catool.h"
#include "dcerpc.h"
#include "dcerpc_conn.h"
#include "epm.h"
#include "hresult.h"
#include "icpr.h"
#include "msext.h"
#include "ndr.h"

#define MAX_TEMPLATES 8
#define MAX_CHILDREN 64

enum tmpl_kind { TMPL_SIGNING, TMPL_LOGON };

struct tmpl {
	const char *name;		/* name or OID */
	enum tmpl_kind kind;
};

static struct {
	uint16_t epm_port, icpr_port;
	const char *keytab;
	struct catool_ca ca;
	struct catool_policy policy;
	const char *ldap_uri, *ldap_base, *ldap_bind_dn, *ldap_pw_file;
	const char *state;
	unsigned long lifetime;
	bool pending, big_chain;
	bool leaf_chain;		/* the chain without the CA's certificate */
	const char *deny;		/* a principal without the Enroll right */
	struct tmpl templates[MAX_TEMPLATES];
	size_t n_templates;
	const char *ca_name;
} g;

/*
 * --skew SECONDS: this process's clock runs that far ahead, for the
 * "clock skew" case. The Kerberos library reads the time through these
 * functions; the executable's definitions come first in symbol lookup.
 */
static long skew;

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	long r = syscall(SYS_gettimeofday, tv, tz);

	if (r == 0)
		tv->tv_sec += skew;
	return (int)r;
}

time_t
time(time_t *t)
{
	struct timespec ts;
	time_t now;

	syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
	now = ts.tv_sec + skew;
	if (t != NULL)
		*t = now;
	return now;
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	long r = syscall(SYS_clock_gettime, id, ts);

	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += skew;
	return (int)r;
}

static volatile sig_atomic_t stop;
static pid_t children[MAX_CHILDREN];

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "standin[%d]: ", (int)getpid());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The NDR of a call, in hex, for the tests' byte comparison. */
static void
say_hex(const char *what, const uint8_t *p, size_t len)
{
	size_t i;

	if (len > 8192)
		return;
	fprintf(stderr, "standin[%d]: %s ", (int)getpid(), what);
	for (i = 0; i < len; i++)
		fprintf(stderr, "%02x", p[i]);
	fputc('\n', stderr);
}

/* ---- The directory: the authenticated principal's entry. ---- */

struct dir_entry {
	char *dn;
	char *upn;	/* userPrincipalName, or NULL */
};

static int
dir_find(const char *principal, struct dir_entry *e)
{
	LDAP *ld = NULL;
	LDAPMessage *res = NULL, *m;
	struct berval cred = { 0, NULL }, **vals;
	char account[256], filter[300], pw[256] = "", *at;
	char *attrs[] = { "userPrincipalName", NULL };
	int version = LDAP_VERSION3, rc, ret = -1;
	FILE *f;
	size_t n;

	memset(e, 0, sizeof(*e));
	/* "DA1$@REALM" -> sAMAccountName DA1$ (test names need no escaping). */
	snprintf(account, sizeof(account), "%s", principal ? principal : "");
	if ((at = strrchr(account, '@')) != NULL)
		*at = '\0';
	if (account[0] == '\0' || strpbrk(account, "()*\\") != NULL)
		return -1;
	snprintf(filter, sizeof(filter), "(sAMAccountName=%s)", account);
	if (g.ldap_pw_file && (f = fopen(g.ldap_pw_file, "r")) != NULL) {
		n = fread(pw, 1, sizeof(pw) - 1, f);
		fclose(f);
		pw[n] = '\0';
		pw[strcspn(pw, "\r\n")] = '\0';
	}
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	if (ldap_initialize(&ld, g.ldap_uri) != LDAP_SUCCESS)
		return -1;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	if ((rc = ldap_sasl_bind_s(ld, g.ldap_bind_dn, LDAP_SASL_SIMPLE, &cred,
	    NULL, NULL, NULL)) != LDAP_SUCCESS ||
	    (rc = ldap_search_ext_s(ld, g.ldap_base, LDAP_SCOPE_SUBTREE, filter,
	    attrs, 0, NULL, NULL, NULL, 10, &res)) != LDAP_SUCCESS) {
		say("directory: %s", ldap_err2string(rc));
		goto cleanup;
	}
	if (ldap_count_entries(ld, res) != 1 ||
	    (m = ldap_first_entry(ld, res)) == NULL)
		goto cleanup;
	e->dn = ldap_get_dn(ld, m);
	if ((vals = ldap_get_values_len(ld, m, "userPrincipalName")) != NULL) {
		if (vals[0])
			e->upn = strndup(vals[0]->bv_val, vals[0]->bv_len);
		ldap_value_free_len(vals);
	}
	ret = e->dn ? 0 : -1;
cleanup:
	if (res)
		ldap_msgfree(res);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return ret;
}

static void
dir_entry_free(struct dir_entry *e)
{
	if (e->dn)
		ldap_memfree(e->dn);
	free(e->upn);
	memset(e, 0, sizeof(*e));
}

/* ---- Issuing. ---- */

/*
 * The OTP signing certificate (template kind signing): the directory DN as
 * subject, the request's key, EKU and application policy
 * 1.3.6.1.4.1.311.81.1.1 (DAOTPRA's), digitalSignature.
 */
static int
issue_signing(gnutls_x509_crq_t crq, const char *dn, gnutls_x509_crt_t *out)
{
	/* SEQUENCE { SEQUENCE { OID 1.3.6.1.4.1.311.81.1.1 } } */
	static const uint8_t apppol[] = { 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x0a,
	    0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x51, 0x01, 0x01 };
	gnutls_x509_crt_t crt = NULL;
	uint8_t serial[16];
	time_t now = time(NULL);

	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_set_crq(crt, crq) < 0 ||
	    gnutls_x509_crt_set_dn(crt, dn, NULL) < 0 ||
	    gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) < 0)
		goto fail;
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 60) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now +
	    (time_t)g.lifetime) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, OID_MS_OTP_SIGNING, 0) < 0 ||
	    gnutls_x509_crt_set_extension_by_oid(crt, OID_MS_APP_POLICIES,
	    apppol, sizeof(apppol), 0) < 0 ||
	    gnutls_x509_crt_privkey_sign(crt, g.ca.crt, g.ca.key,
	    GNUTLS_DIG_SHA256, 0) < 0)
		goto fail;
	*out = crt;
	return 0;
fail:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return -1;
}

/* The chain blob: a degenerate PKCS#7 (certs only), padded when asked. */
static int
chain_pkcs7(gnutls_x509_crt_t crt, gnutls_datum_t *out)
{
	gnutls_pkcs7_t p7 = NULL;
	int i, rc = -1;

	if (gnutls_pkcs7_init(&p7) < 0 || gnutls_pkcs7_set_crt(p7, crt) < 0 ||
	    (!g.leaf_chain && gnutls_pkcs7_set_crt(p7, g.ca.crt) < 0))
		goto cleanup;
	/* --big-chain: the CA certificate again and again, > 16 KiB. */
	for (i = 0; g.big_chain && i < 24; i++)
		if (gnutls_pkcs7_set_crt(p7, g.ca.crt) < 0)
			goto cleanup;
	rc = gnutls_pkcs7_export2(p7, GNUTLS_X509_FMT_DER, out) < 0 ? -1 : 0;
cleanup:
	if (p7)
		gnutls_pkcs7_deinit(p7);
	return rc;
}

/* ---- The policy. ---- */

struct outcome {
	uint32_t disposition;
	uint32_t status;
	uint32_t request_id;
	const char *message;
	gnutls_datum_t cert;		/* DER */
	gnutls_datum_t chain;
};

static void
deny(struct outcome *o, uint32_t disp, uint32_t hr, const char *msg)
{
	o->disposition = disp;
	o->status = hr;
	o->message = msg;
}

static const struct tmpl *
tmpl_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < g.n_templates; i++)
		if (strcmp(g.templates[i].name, name) == 0)
			return &g.templates[i];
	return NULL;
}

/* "CertificateTemplate:NAME" among the "\n"-separated attributes. */
static char *
attr_template(const char *attrs)
{
	const char *p = attrs;
	size_t n;

	while (p && *p) {
		n = strcspn(p, "\r\n");
		if (n > 20 && strncasecmp(p, "CertificateTemplate:", 20) == 0)
			return strndup(p + 20, n - 20);
		p += n;
		p += strspn(p, "\r\n");
	}
	return NULL;
}

/* The template named by a PKCS#10's extensions (v1 name or v2 OID). */
static char *
crq_template(gnutls_x509_crq_t crq)
{
	uint8_t buf[512];
	size_t len;
	unsigned crit;
	char *name = NULL;
	long maj, min;

	len = sizeof(buf);
	if (gnutls_x509_crq_get_extension_by_oid(crq, OID_MS_TEMPLATE_NAME, 0,
	    buf, &len, &crit) == 0 &&
	    msext_template_name_decode(buf, len, &name) == MSEXT_OK)
		return name;
	len = sizeof(buf);
	if (gnutls_x509_crq_get_extension_by_oid(crq, OID_MS_TEMPLATE_V2, 0,
	    buf, &len, &crit) == 0 &&
	    msext_template_v2_decode(buf, len, &name, &maj, &min) == MSEXT_OK)
		return name;
	return NULL;
}

static uint32_t
next_request_id(void)
{
	char path[PATH_MAX];
	unsigned long id = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/next_id", g.state);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%lu", &id) != 1)
			id = 0;
		fclose(f);
	}
	id = id ? id : 100;
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%lu\n", id + 1);
		fclose(f);
	}
	return (uint32_t)id;
}

/* Saves or loads a pending request: the bytes and the attributes. */
static int
pending_io(uint32_t id, bool save, const char *principal, uint8_t **req,
    size_t *req_len, char **attrs)
{
	char path[PATH_MAX], who[256] = "";
	FILE *f;
	long n;
	size_t alen;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/pending.%u", g.state, (unsigned)id);
	if ((f = fopen(path, save ? "w" : "r")) == NULL)
		return -1;
	if (save) {
		fprintf(f, "%s\n%zu\n%s\n", principal, strlen(*attrs), *attrs);
		rc = fwrite(*req, 1, *req_len, f) == *req_len ? 0 : -1;
	} else if (fgets(who, sizeof(who), f) != NULL &&
	    (who[strcspn(who, "\n")] = '\0', strcmp(who, principal) == 0) &&
	    fscanf(f, "%zu", &alen) == 1 && fgetc(f) == '\n' && alen < 4096 &&
	    (*attrs = calloc(1, alen + 1)) != NULL &&
	    fread(*attrs, 1, alen, f) == alen && fgetc(f) == '\n') {
		long start = ftell(f);

		fseek(f, 0, SEEK_END);
		n = ftell(f) - start;
		fseek(f, start, SEEK_SET);
		if (n > 0 && (*req = malloc((size_t)n)) != NULL &&
		    fread(*req, 1, (size_t)n, f) == (size_t)n) {
			*req_len = (size_t)n;
			rc = 0;
		}
	}
	fclose(f);
	if (!save && rc == 0)
		unlink(path);
	return rc;
}

/* Decides and issues. The request is DER (PKCS#10 or a SignedCertRequest). */
static void
policy(const char *principal, const uint8_t *req, size_t req_len,
    const char *attrs, struct outcome *o)
{
	struct catool_verified v;
	struct dir_entry e;
	gnutls_x509_crq_t crq = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)req, (unsigned)req_len };
	char why[512], *tname = NULL;
	const struct tmpl *t;
	bool cosigned = false;

	memset(&v, 0, sizeof(v));
	memset(&e, 0, sizeof(e));
	if (req_len == 0) {
		deny(o, CR_DISP_ERROR, HR_ERROR_INVALID_DATA, "empty request");
		return;
	}
	/* A PKCS#10, or a co-signed request checked as otpcep-ca does. */
	if (gnutls_x509_crq_init(&crq) < 0)
		return deny(o, CR_DISP_ERROR, 0x8007000eu, "no memory");
	if (gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crq_deinit(crq);
		crq = NULL;
		g.policy.now = time(NULL);
		if (catool_verify(&g.policy, req, req_len, &v, why,
		    sizeof(why)) != CATOOL_OK) {
			say("co-signature refused: %s", why);
			deny(o, CR_DISP_DENIED, HR_CERTSRV_E_SIGNATURE_REJECTED,
			    "the request's signatures do not satisfy the policy");
			goto cleanup;
		}
		cosigned = true;
		crq = v.crq;
	} else if (gnutls_x509_crq_verify(crq, 0) < 0) {
		deny(o, CR_DISP_DENIED, HR_NTE_BAD_SIGNATURE, "bad PKCS#10 signature");
		goto cleanup;
	}
	tname = attr_template(attrs);
	if (tname == NULL)
		tname = crq_template(crq);
	if ((t = tmpl_find(tname)) == NULL) {
		deny(o, CR_DISP_DENIED, tname ? HR_CERTSRV_E_UNSUPPORTED_CERT_TYPE :
		    HR_CERTSRV_E_NO_CERT_TYPE, "the template is not offered by this CA");
		goto cleanup;
	}
	if (g.deny && principal && strcmp(principal, g.deny) == 0) {
		deny(o, CR_DISP_DENIED, HR_CERTSRV_E_TEMPLATE_DENIED,
		    "no Enroll permission on the template");
		goto cleanup;
	}
	if (t->kind == TMPL_LOGON && !cosigned) {
		deny(o, CR_DISP_DENIED, HR_CERTSRV_E_SIGNATURE_POLICY_REQUIRED,
		    "the template needs the OTP signing co-signature");
		goto cleanup;
	}
	if (dir_find(principal, &e) != 0) {
		deny(o, CR_DISP_DENIED, HR_CERTSRV_E_BAD_REQUESTSUBJECT,
		    "the requester is not in the directory");
		goto cleanup;
	}
	if (t->kind == TMPL_LOGON) {
		/* The subject comes from the directory; the UPN must be the user's. */
		if (e.upn == NULL || strcasecmp(e.upn, v.upn) != 0) {
			deny(o, CR_DISP_DENIED, HR_CERTSRV_E_SUBJECT_UPN_REQUIRED,
			    "the request's UPN is not the requester's");
			goto cleanup;
		}
		if (catool_issue(&g.ca, &v, time(NULL), g.lifetime, &crt, why,
		    sizeof(why)) != CATOOL_OK ||
		    gnutls_x509_crt_set_dn(crt, e.dn, NULL) < 0 ||
		    gnutls_x509_crt_privkey_sign(crt, g.ca.crt, g.ca.key,
		    GNUTLS_DIG_SHA256, 0) < 0) {
			deny(o, CR_DISP_ERROR, 0x80004005u, "issuing failed");
			goto cleanup;
		}
	} else if (issue_signing(crq, e.dn, &crt) != 0) {
		deny(o, CR_DISP_ERROR, 0x80004005u, "issuing failed");
		goto cleanup;
	}
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &o->cert) < 0 ||
	    chain_pkcs7(crt, &o->chain) < 0) {
		deny(o, CR_DISP_ERROR, 0x80004005u, "encoding failed");
		goto cleanup;
	}
	deny(o, CR_DISP_ISSUED, HR_S_OK, "Issued");
	say("issued %s for %s, subject %s", t->name, principal, e.dn);
cleanup:
	free(tname);
	dir_entry_free(&e);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (cosigned)
		catool_verified_free(&v);
	else if (crq)
		gnutls_x509_crq_deinit(crq);
}

/* ---- The two interfaces. ---- */

static enum dcerpc_err
icpr_call(void *arg, const struct dcerpc_call_info *info, const uint8_t *stub,
    size_t stub_len, uint8_t **out, size_t *out_len, uint32_t *fault)
{
	struct icpr_request req;
	struct icpr_response resp;
	struct outcome o;
	struct ndr_out w;
	size_t ndr_end;
	uint8_t *held = NULL;
	size_t held_len = 0;
	char *held_attrs = NULL, hr[16];

	(void)arg;
	memset(&o, 0, sizeof(o));
	memset(&req, 0, sizeof(req));
	if (info->opnum != ICPR_OPNUM_CERT_SERVER_REQUEST) {
		*fault = DCERPC_NCA_S_OP_RNG_ERROR;
		return DCERPC_E_FAULT;
	}
	if (icpr_request_decode(stub, stub_len, &req, &ndr_end) != DCERPC_OK) {
		*fault = DCERPC_NCA_S_FAULT_NDR;
		return DCERPC_E_FAULT;
	}
	if (info->auth_level < DCERPC_AUTHN_LEVEL_PKT_PRIVACY) {
		/* KB5004442: AD CS refuses ICPR below packet privacy. */
		deny(&o, CR_DISP_ERROR, HR_E_ACCESSDENIED,
		    "packet privacy is required");
	} else if (req.request_id != 0 && req.request.len == 0) {
		/* MS-ICPR 3.2.4.1.1: polling a request by its id. */
		o.request_id = req.request_id;
		if (pending_io(req.request_id, false, info->peer_name, &held,
		    &held_len, &held_attrs) != 0)
			deny(&o, CR_DISP_ERROR, 0x80094002u /* NO_REQUEST */,
			    "no such pending request of this requester");
		else
			policy(info->peer_name, held, held_len, held_attrs, &o);
	} else if (g.pending && req.request.len > 0) {
		uint8_t *copy = malloc(req.request.len);
		char *a = req.attributes ? req.attributes : "";

		o.request_id = next_request_id();
		if (copy)
			memcpy(copy, req.request.data, req.request.len);
		held_len = req.request.len;
		if (copy == NULL || pending_io(o.request_id, true,
		    info->peer_name ? info->peer_name : "", &copy, &held_len,
		    &a) != 0)
			deny(&o, CR_DISP_ERROR, 0x80004005u, "cannot hold the request");
		else
			deny(&o, CR_DISP_UNDER_SUBMISSION, HR_S_OK,
			    "Taken Under Submission");
		free(copy);
	} else {
		o.request_id = next_request_id();
		policy(info->peer_name, req.request.data, req.request.len,
		    req.attributes ? req.attributes : "", &o);
	}
	say("CertServerRequest from %s (level %u, authority '%s', request %zu "
	    "bytes, id %u, attributes '%s'): %s, %s", info->peer_name ?
	    info->peer_name : "(anonymous)", info->auth_level,
	    req.authority ? req.authority : "", req.request.len,
	    (unsigned)req.request_id, req.attributes ? req.attributes : "",
	    hresult_disposition_name(o.disposition),
	    hresult_format(o.status, hr, sizeof(hr)));
	memset(&resp, 0, sizeof(resp));
	resp.request_id = o.request_id;
	resp.disposition = o.disposition;
	resp.cert_chain.data = o.chain.data;
	resp.cert_chain.len = o.chain.size;
	resp.encoded_cert.data = o.cert.data;
	resp.encoded_cert.len = o.cert.size;
	resp.disposition_message = (char *)(uintptr_t)o.message;
	resp.status = o.status;
	ndr_out_init(&w);
	icpr_response_encode(&resp, &w);
	gnutls_free(o.cert.data);
	gnutls_free(o.chain.data);
	free(held);
	free(held_attrs);
	icpr_request_clear(&req);
	if (w.failed) {
		ndr_out_free(&w);
		*fault = DCERPC_NCA_S_FAULT_REMOTE_NO_MEMORY;
		return DCERPC_E_FAULT;
	}
	say_hex("request stub", stub, ndr_end);
	say("answer stub %zu bytes", w.len);
	*out = w.data;
	*out_len = w.len;
	return DCERPC_OK;
}

static enum dcerpc_err
epm_call(void *arg, const struct dcerpc_call_info *info, const uint8_t *stub,
    size_t stub_len, uint8_t **out, size_t *out_len, uint32_t *fault)
{
	struct epm_tower want, have;
	struct ndr_out w;
	size_t ndr_end;
	bool found;

	(void)arg;
	if (info->opnum != EPM_OPNUM_MAP ||
	    epm_map_request_parse(stub, stub_len, &want, &ndr_end) != DCERPC_OK) {
		*fault = info->opnum != EPM_OPNUM_MAP ? DCERPC_NCA_S_OP_RNG_ERROR :
		    DCERPC_NCA_S_FAULT_NDR;
		return DCERPC_E_FAULT;
	}
	found = dcerpc_syntax_equal(&want.iface, &icpr_syntax);
	memset(&have, 0, sizeof(have));
	have.iface = icpr_syntax;
	have.transfer = dcerpc_syntax_ndr;
	have.port = g.icpr_port;
	have.ip[0] = 127;
	have.ip[3] = 1;
	say("ept_map: %s", found ? "ICPR" : "not registered");
	ndr_out_init(&w);
	epm_map_response_build(&have, found ? 1 : 0, found ? 0 :
	    EPM_S_NOT_REGISTERED, &w);
	if (w.failed) {
		ndr_out_free(&w);
		*fault = DCERPC_NCA_S_FAULT_REMOTE_NO_MEMORY;
		return DCERPC_E_FAULT;
	}
	*out = w.data;
	*out_len = w.len;
	return DCERPC_OK;
}

/* ---- Sockets and processes. ---- */

static int
listen_on(uint16_t port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0) {
		fprintf(stderr, "standin: port %u: %s\n", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void
serve_child(int fd, bool is_epm)
{
	struct dcerpc_gss_params gss;
	struct dcerpc_server_iface iface;
	struct dcerpc_server_params p;
	struct dcerpc_conn *conn = calloc(1, sizeof(*conn));
	char port[8];
	enum dcerpc_err r;

	if (conn == NULL)
		_exit(1);
	memset(&gss, 0, sizeof(gss));
	gss.acceptor = true;
	gss.auth_type = DCERPC_AUTHN_GSS_NEGOTIATE;
	gss.keytab = g.keytab;
	memset(&iface, 0, sizeof(iface));
	iface.abstract = is_epm ? epm_syntax : icpr_syntax;
	iface.call = is_epm ? epm_call : icpr_call;
	memset(&p, 0, sizeof(p));
	p.ifaces = &iface;
	p.n_ifaces = 1;
	p.gss = is_epm ? NULL : &gss;
	snprintf(port, sizeof(port), "%u", is_epm ? g.epm_port : g.icpr_port);
	p.sec_addr = port;
	dcerpc_conn_init_fd(conn, fd, 15000);
	r = dcerpc_serve(conn, &p);
	if (r != DCERPC_OK)
		say("connection ended: %s: %s", dcerpc_strerror(r), conn->error);
	dcerpc_conn_close(conn);
	free(conn);
	_exit(0);
}

static void
reap(void)
{
	size_t i;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0 && waitpid(children[i], NULL, WNOHANG) != 0)
			children[i] = 0;
}

static void
spawn(int lfd, bool is_epm)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	size_t i;
	pid_t pid;

	if (fd < 0)
		return;
	reap();
	for (i = 0; i < MAX_CHILDREN && children[i] > 0; i++)
		;
	if (i == MAX_CHILDREN || (pid = fork()) < 0) {
		close(fd);
		return;
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		serve_child(fd, is_epm);
	}
	children[i] = pid;
	close(fd);
}

static const char usage[] =
"usage: drv_standin_ca --epm-port N --port N --keytab FILE --ca-cert FILE\n"
"         --ca-key FILE --trust FILE --ldap-uri URI --ldap-base DN\n"
"         --ldap-bind-dn DN --ldap-pw-file FILE --state DIR\n"
"         --template NAME=signing|logon ... [--lifetime SECONDS] [--pending]\n"
"         [--big-chain] [--leaf-chain] [--deny PRINCIPAL] [--skew SECONDS]\n";

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "epm-port", required_argument, NULL, 'e' },
		{ "port", required_argument, NULL, 'p' },
		{ "keytab", required_argument, NULL, 'k' },
		{ "ca-cert", required_argument, NULL, 'c' },
		{ "ca-key", required_argument, NULL, 'K' },
		{ "trust", required_argument, NULL, 't' },
		{ "ldap-uri", required_argument, NULL, 'u' },
		{ "ldap-base", required_argument, NULL, 'b' },
		{ "ldap-bind-dn", required_argument, NULL, 'D' },
		{ "ldap-pw-file", required_argument, NULL, 'w' },
		{ "state", required_argument, NULL, 's' },
		{ "template", required_argument, NULL, 'T' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "pending", no_argument, NULL, 'P' },
		{ "big-chain", no_argument, NULL, 'B' },
		{ "leaf-chain", no_argument, NULL, 'L' },
		{ "deny", required_argument, NULL, 'd' },
		{ "skew", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ca_cert = NULL, *ca_key = NULL, *trust = NULL;
	struct pollfd pf[2];
	struct sigaction sa;
	char why[512], *eq;
	size_t i;
	int c;

	g.lifetime = 3600;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e': g.epm_port = (uint16_t)atoi(optarg); break;
		case 'p': g.icpr_port = (uint16_t)atoi(optarg); break;
		case 'k': g.keytab = optarg; break;
		case 'c': ca_cert = optarg; break;
		case 'K': ca_key = optarg; break;
		case 't': trust = optarg; break;
		case 'u': g.ldap_uri = optarg; break;
		case 'b': g.ldap_base = optarg; break;
		case 'D': g.ldap_bind_dn = optarg; break;
		case 'w': g.ldap_pw_file = optarg; break;
		case 's': g.state = optarg; break;
		case 'l': g.lifetime = strtoul(optarg, NULL, 10); break;
		case 'P': g.pending = true; break;
		case 'B': g.big_chain = true; break;
		case 'L': g.leaf_chain = true; break;
		case 'd': g.deny = optarg; break;
		case 'S': skew = atol(optarg); break;
		case 'T':
			if (g.n_templates == MAX_TEMPLATES ||
			    (eq = strchr(optarg, '=')) == NULL)
				goto usage;
			*eq = '\0';
			g.templates[g.n_templates].name = optarg;
			g.templates[g.n_templates++].kind =
			    strcmp(eq + 1, "logon") == 0 ? TMPL_LOGON : TMPL_SIGNING;
			break;
		default:
			goto usage;
		}
	}
	if (!g.epm_port || !g.icpr_port || !g.keytab || !ca_cert || !ca_key ||
	    !trust || !g.ldap_uri || !g.ldap_base || !g.state)
		goto usage;
	if (catool_ca_load(&g.ca, ca_cert, ca_key, time(NULL), why,
	    sizeof(why)) != CATOOL_OK) {
		fprintf(stderr, "standin: %s\n", why);
		return 1;
	}
	if (gnutls_x509_trust_list_init(&g.policy.trust, 0) < 0 ||
	    gnutls_x509_trust_list_add_trust_file(g.policy.trust, trust, NULL,
	    GNUTLS_X509_FMT_PEM, 0, 0) <= 0) {
		fprintf(stderr, "standin: no trust anchors in %s\n", trust);
		return 1;
	}
	g.policy.require_eku = OID_MS_OTP_SIGNING;
	if ((pf[0].fd = listen_on(g.epm_port)) < 0 ||
	    (pf[1].fd = listen_on(g.icpr_port)) < 0)
		return 1;
	pf[0].events = pf[1].events = POLLIN;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	say("listening: endpoint mapper 127.0.0.1:%u, ICPR 127.0.0.1:%u",
	    g.epm_port, g.icpr_port);
	while (!stop) {
		if (poll(pf, 2, 1000) <= 0) {
			reap();
			continue;
		}
		if (pf[0].revents & POLLIN)
			spawn(pf[0].fd, true);
		if (pf[1].revents & POLLIN)
			spawn(pf[1].fd, false);
	}
	for (i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0) {
			kill(children[i], SIGTERM);
			waitpid(children[i], NULL, 0);
		}
	close(pf[0].fd);
	close(pf[1].fd);
	catool_ca_free(&g.ca);
	gnutls_x509_trust_list_deinit(g.policy.trust, 1);
	say("stopped");
	return 0;
usage:
	fputs(usage, stderr);
	return 64;
}
