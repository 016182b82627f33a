/*
 * MS-OTPCE 3.2.5.1 step 1: the client's PKCS#10 request (RFC 2986), with
 * GnuTLS. csr_parse() decodes everything and checks what needs no directory
 * (signature, key, template); csr_match_user() checks every name in the
 * request against the directory entry of step 2. docs/protocol.md, "Step 1",
 * gives the reasons for each rule.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include "config.h"
#include "csr.h"
#include "dir.h"
#include "log.h"
#include "msext.h"

#define OID_EXTENSION_REQUEST	"1.2.840.113549.1.9.14"	/* RFC 2985 5.4.2 */
#define OID_EMAIL_ADDRESS	"1.2.840.113549.1.9.1"	/* RFC 2985 5.2.1 */
#define OID_SAN			"2.5.29.17"		/* RFC 5280 4.2.1.6 */

/* Larger RSA keys (or exponents) make one signature check cost seconds. */
#define CSR_MAX_RSA_BITS	16384
#define CSR_MAX_RSA_EXP_BYTES	4

/*
 * GnuTLS decodes the whole extensionRequest again for each extension read,
 * so many tiny extensions would cost quadratic time before anyone has
 * authenticated. A Windows request has 6 extensions and 4 attributes.
 */
#define CSR_MAX_EXTENSIONS	32
#define CSR_MAX_ATTRIBUTES	16
#define CSR_OID_MAX		128

/* A list of strings. */
struct csr_strs {
	char **v;
	size_t n;
};

/*
 * A distinguished name, RDN by RDN in the order of its RFC 4514 string; each
 * AVA has its type as an OID (or an upper-cased name GnuTLS and this file
 * both do not map) and its value normalised: unescaped, leading and trailing
 * spaces dropped, inner runs of spaces made one, ASCII letters lower-cased.
 * The AVAs of a multi-valued RDN are sorted.
 */
struct csr_ava {
	char *type;
	char *value;
	bool hex;	/* value was #hexstring (BER, not a string) */
};

struct csr_rdn {
	struct csr_ava *ava;
	size_t n;
};

struct csr_dn {
	struct csr_rdn *rdn;
	size_t n;
};

struct csr {
	struct csr_dn subject;		/* without its emailAddress AVAs */
	struct csr_strs emails;		/* subject emailAddress and SAN rfc822Name */
	struct csr_strs upns;		/* SAN otherName UPN */
	struct csr_dn *san_dn;		/* SAN directoryName */
	size_t san_dn_n;
	char *san_other;		/* first SAN entry of another kind */
	struct msext_client_info client_info;
	bool has_client_info;
	char *template_oid;		/* 1.3.6.1.4.1.311.21.7, or NULL */
	char *template_name;		/* 1.3.6.1.4.1.311.20.2, or NULL */
};

const char *
csr_strerror(enum csr_result r)
{
	switch (r) {
	case CSR_OK:
		return "ok";
	case CSR_MALFORMED:
		return "not a well-formed PKCS#10 request";
	case CSR_BAD_SIGNATURE:
		return "the request's self-signature does not verify";
	case CSR_WEAK_ALGORITHM:
		return "signature algorithm not allowed";
	case CSR_WEAK_KEY:
		return "key too small or of a kind not allowed";
	case CSR_NO_TEMPLATE:
		return "the request names no certificate template";
	case CSR_WRONG_TEMPLATE:
		return "the request names another certificate template";
	case CSR_NAMES_NOBODY:
		return "the request names no user";
	case CSR_NAME_MISMATCH:
		return "a name in the request is not the requesting user";
	case CSR_NOMEM:
		return "out of memory";
	case CSR_NOT_BUILT:
		return "certificate request check not built";
	}
	return "unknown error";
}

static char
csr_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

/* ASCII-only case-insensitive equality of n bytes, locale-independent. */
static bool
csr_ascii_eqn(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (csr_lower(a[i]) != csr_lower(b[i]))
			return false;
	return true;
}

/* ASCII-only case-insensitive equality, independent of the locale. */
static bool
csr_ascii_eq(const char *a, const char *b)
{
	unsigned char ca, cb;

	if (a == NULL || b == NULL)
		return false;
	do {
		ca = (unsigned char)*a++;
		cb = (unsigned char)*b++;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return false;
	} while (ca != '\0');
	return true;
}

static bool
csr_strs_add(struct csr_strs *l, const char *s, size_t len)
{
	char **v, *copy;

	if ((copy = strndup(s, len)) == NULL)
		return false;
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		free(copy);
		return false;
	}
	l->v = v;
	l->v[l->n++] = copy;
	return true;
}

static void
csr_strs_free(struct csr_strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- distinguished names (RFC 4514 strings) ---- */

static void
csr_dn_free(struct csr_dn *dn)
{
	size_t i, j;

	for (i = 0; i < dn->n; i++) {
		for (j = 0; j < dn->rdn[i].n; j++) {
			free(dn->rdn[i].ava[j].type);
			free(dn->rdn[i].ava[j].value);
		}
		free(dn->rdn[i].ava);
	}
	free(dn->rdn);
	dn->rdn = NULL;
	dn->n = 0;
}

/* RFC 4519 (and RFC 2985 for emailAddress) names, as LDAP and GnuTLS write them. */
static const struct {
	const char *name;
	const char *oid;
} csr_dn_types[] = {
	{ "CN", "2.5.4.3" },
	{ "SN", "2.5.4.4" },
	{ "SERIALNUMBER", "2.5.4.5" },
	{ "C", "2.5.4.6" },
	{ "L", "2.5.4.7" },
	{ "ST", "2.5.4.8" },
	{ "STREET", "2.5.4.9" },
	{ "O", "2.5.4.10" },
	{ "OU", "2.5.4.11" },
	{ "TITLE", "2.5.4.12" },
	{ "GIVENNAME", "2.5.4.42" },
	{ "GN", "2.5.4.42" },
	{ "INITIALS", "2.5.4.43" },
	{ "DC", "0.9.2342.19200300.100.1.25" },
	{ "UID", "0.9.2342.19200300.100.1.1" },
	{ "EMAIL", OID_EMAIL_ADDRESS },
	{ "E", OID_EMAIL_ADDRESS },
	{ "EMAILADDRESS", OID_EMAIL_ADDRESS },
};

static bool
csr_is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
csr_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
csr_hex(char c)
{
	if (csr_is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parses an attribute type at *pp (keystring or numericoid, RFC 4514 3) into
 * a new string: the OID when known, else the name upper-cased. NULL on error
 * or out of memory (*nomem tells which).
 */
static char *
csr_dn_type(const char **pp, bool *nomem)
{
	const char *p = *pp, *start = p;
	char *t;
	size_t len, i;

	if (csr_is_alpha(*p)) {
		while (csr_is_alpha(*p) || csr_is_digit(*p) || *p == '-')
			p++;
	} else if (csr_is_digit(*p)) {
		/* numericoid: number *( DOT number ), no leading zeros */
		for (;;) {
			if (!csr_is_digit(*p))
				return NULL;
			if (*p == '0' && csr_is_digit(p[1]))
				return NULL;
			while (csr_is_digit(*p))
				p++;
			if (*p != '.')
				break;
			p++;
		}
	} else {
		return NULL;
	}
	len = (size_t)(p - start);
	*pp = p;
	for (i = 0; i < sizeof(csr_dn_types) / sizeof(csr_dn_types[0]); i++)
		if (strlen(csr_dn_types[i].name) == len &&
		    csr_ascii_eqn(csr_dn_types[i].name, start, len))
			return (t = strdup(csr_dn_types[i].oid)) ? t : (*nomem = true, NULL);
	if ((t = strndup(start, len)) == NULL) {
		*nomem = true;
		return NULL;
	}
	for (i = 0; i < len; i++)
		if (t[i] >= 'a' && t[i] <= 'z')
			t[i] -= 'a' - 'A';
	return t;
}

/*
 * Normalises an unescaped value (len bytes) in place and NUL-terminates it:
 * insignificant spaces (RFC 4518 2.6.1) and ASCII case (caseIgnoreMatch).
 */
static void
csr_dn_normalise(char *v, size_t len)
{
	size_t i, o = 0;
	bool space = false;

	for (i = 0; i < len; i++) {
		char c = v[i];

		if (c == ' ') {
			space = o > 0;
			continue;
		}
		if (space)
			v[o++] = ' ';
		space = false;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		v[o++] = c;
	}
	v[o] = '\0';
}

/*
 * Parses a value at *pp (RFC 4514 3: hexstring or string with escapes) up to
 * an unescaped ',' or '+' or the end. Returns a new normalised string, NULL
 * on error (unescaped special character, bad escape, NUL) or out of memory.
 */
static char *
csr_dn_value(const char **pp, bool *hex, bool *nomem)
{
	const char *p = *pp;
	char *v;
	size_t o = 0;
	int h, l;

	if ((v = malloc(strlen(p) + 1)) == NULL) {
		*nomem = true;
		return NULL;
	}
	*hex = *p == '#';
	if (*hex) {
		p++;
		while (csr_hex(p[0]) >= 0 && csr_hex(p[1]) >= 0) {
			v[o++] = "0123456789abcdef"[csr_hex(p[0])];
			v[o++] = "0123456789abcdef"[csr_hex(p[1])];
			p += 2;
		}
		while (*p == ' ')
			p++;
		if (o == 0 || (*p != '\0' && *p != ',' && *p != '+'))
			goto bad;
		v[o] = '\0';
		*pp = p;
		return v;
	}
	while (*p != '\0' && *p != ',' && *p != '+') {
		if (*p == '\\') {
			p++;
			if ((h = csr_hex(p[0])) >= 0 && (l = csr_hex(p[1])) >= 0) {
				if (h == 0 && l == 0)
					goto bad;
				v[o++] = (char)(h << 4 | l);
				p += 2;
			} else if (*p != '\0' && strchr(" \"#+,;<=>\\", *p) != NULL) {
				v[o++] = *p++;
			} else {
				goto bad;
			}
		} else if (strchr("\";<>", *p) != NULL) {
			goto bad;	/* must be escaped (RFC 4514 2.4) */
		} else {
			v[o++] = *p++;
		}
	}
	csr_dn_normalise(v, o);
	*pp = p;
	return v;
bad:
	free(v);
	return NULL;
}

static int
csr_ava_cmp(const void *a, const void *b)
{
	const struct csr_ava *x = a, *y = b;
	int c;

	if ((c = strcmp(x->type, y->type)) != 0)
		return c;
	if (x->hex != y->hex)
		return x->hex ? 1 : -1;
	return strcmp(x->value, y->value);
}

/*
 * Parses an RFC 4514 string into *dn (also accepts spaces around the
 * separators, as people write DNs). Returns CSR_OK, CSR_MALFORMED or
 * CSR_NOMEM.
 */
static enum csr_result
csr_dn_parse(const char *s, struct csr_dn *dn)
{
	const char *p = s;
	struct csr_rdn rdn = { NULL, 0 };
	struct csr_ava ava = { NULL, NULL, false };
	bool nomem = false;
	void *grow;

	memset(dn, 0, sizeof(*dn));
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return CSR_OK;
	for (;;) {
		while (*p == ' ')
			p++;
		if ((ava.type = csr_dn_type(&p, &nomem)) == NULL)
			goto bad;
		while (*p == ' ')
			p++;
		if (*p++ != '=')
			goto bad;
		while (*p == ' ')
			p++;
		if ((ava.value = csr_dn_value(&p, &ava.hex, &nomem)) == NULL)
			goto bad;
		if ((grow = realloc(rdn.ava, (rdn.n + 1) * sizeof(*rdn.ava))) == NULL) {
			nomem = true;
			goto bad;
		}
		rdn.ava = grow;
		rdn.ava[rdn.n++] = ava;
		ava.type = ava.value = NULL;
		if (*p == '+') {
			p++;
			continue;
		}
		qsort(rdn.ava, rdn.n, sizeof(*rdn.ava), csr_ava_cmp);
		if ((grow = realloc(dn->rdn, (dn->n + 1) * sizeof(*dn->rdn))) == NULL) {
			nomem = true;
			goto bad;
		}
		dn->rdn = grow;
		dn->rdn[dn->n++] = rdn;
		rdn.ava = NULL;
		rdn.n = 0;
		if (*p == '\0')
			return CSR_OK;
		p++;	/* ',' */
	}
bad:
	free(ava.type);
	free(ava.value);
	/* hand the half-built RDN to dn so that one free covers both */
	if (rdn.n > 0 || rdn.ava != NULL) {
		if ((grow = realloc(dn->rdn, (dn->n + 1) * sizeof(*dn->rdn))) != NULL) {
			dn->rdn = grow;
			dn->rdn[dn->n++] = rdn;
		} else {
			size_t j;

			for (j = 0; j < rdn.n; j++) {
				free(rdn.ava[j].type);
				free(rdn.ava[j].value);
			}
			free(rdn.ava);
		}
	}
	csr_dn_free(dn);
	return nomem ? CSR_NOMEM : CSR_MALFORMED;
}

/* True when a and b are the same name, RDN by RDN. */
static bool
csr_dn_equal(const struct csr_dn *a, const struct csr_dn *b)
{
	size_t i, j;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		if (a->rdn[i].n != b->rdn[i].n)
			return false;
		for (j = 0; j < a->rdn[i].n; j++)
			if (csr_ava_cmp(&a->rdn[i].ava[j], &b->rdn[i].ava[j]) != 0)
				return false;
	}
	return true;
}

/*
 * Moves every emailAddress AVA of dn into emails (an AD DN never has one;
 * they are matched against the user's mail instead), dropping RDNs left
 * empty. Returns CSR_OK, CSR_MALFORMED (a BER-valued address) or CSR_NOMEM.
 */
static enum csr_result
csr_dn_take_emails(struct csr_dn *dn, struct csr_strs *emails)
{
	enum csr_result ret = CSR_OK;
	size_t i, j, k, o = 0;

	for (i = 0; i < dn->n; i++) {
		struct csr_rdn *r = &dn->rdn[i];

		for (j = k = 0; j < r->n; j++) {
			/* on error keep the AVA, so that dn stays whole to free */
			if (ret != CSR_OK ||
			    strcmp(r->ava[j].type, OID_EMAIL_ADDRESS) != 0) {
				r->ava[k++] = r->ava[j];
				continue;
			}
			if (r->ava[j].hex)
				ret = CSR_MALFORMED;
			else if (!csr_strs_add(emails, r->ava[j].value,
			    strlen(r->ava[j].value)))
				ret = CSR_NOMEM;
			if (ret != CSR_OK) {
				r->ava[k++] = r->ava[j];
				continue;
			}
			free(r->ava[j].type);
			free(r->ava[j].value);
		}
		r->n = k;
		if (k == 0) {
			free(r->ava);
			continue;
		}
		dn->rdn[o++] = *r;
	}
	dn->n = o;
	return ret;
}

/* ---- the request ---- */

/* True when s is an OID in dotted digits (then `template` is an OID). */
static bool
csr_is_oid(const char *s)
{
	bool digit = false;

	for (; *s != '\0'; s++) {
		if (csr_is_digit(*s))
			digit = true;
		else if (*s == '.' && digit)
			digit = false;
		else
			return false;
	}
	return digit;
}

void
csr_free(struct csr *csr)
{
	size_t i;

	if (csr == NULL)
		return;
	csr_dn_free(&csr->subject);
	csr_strs_free(&csr->emails);
	csr_strs_free(&csr->upns);
	for (i = 0; i < csr->san_dn_n; i++)
		csr_dn_free(&csr->san_dn[i]);
	free(csr->san_dn);
	free(csr->san_other);
	msext_client_info_free(&csr->client_info);
	free(csr->template_oid);
	free(csr->template_name);
	free(csr);
}

/* RFC 5280 4.2.1.6: reads the SAN extension into csr's name lists. */
static enum csr_result
csr_read_san(struct csr *csr, const gnutls_datum_t *ext, struct audit *a)
{
	gnutls_subject_alt_names_t sans = NULL;
	gnutls_datum_t san, other_oid, virt = { NULL, 0 }, str = { NULL, 0 };
	unsigned i, type, vtype;
	enum csr_result ret = CSR_MALFORMED;
	void *grow;
	int rc;

	if (gnutls_subject_alt_names_init(&sans) < 0)
		return CSR_NOMEM;
	if (gnutls_x509_ext_import_subject_alt_names(ext, sans, 0) < 0) {
		audit_reason(a, "step 1: subject alternative name is malformed");
		goto cleanup;
	}
	for (i = 0; ; i++) {
		rc = gnutls_subject_alt_names_get(sans, i, &type, &san, &other_oid);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0) {
			audit_reason(a, "step 1: subject alternative name is malformed");
			goto cleanup;
		}
		if (type == GNUTLS_SAN_OTHERNAME &&
		    strlen((const char *)other_oid.data) == other_oid.size &&
		    strcmp((const char *)other_oid.data, OID_MS_UPN) == 0) {
			if (gnutls_x509_othername_to_virtual(OID_MS_UPN, &san,
			    &vtype, &virt) < 0 ||
			    vtype != GNUTLS_SAN_OTHERNAME_MSUSERPRINCIPAL ||
			    strlen((const char *)virt.data) != virt.size) {
				audit_reason(a, "step 1: UPN in the request is malformed");
				goto cleanup;
			}
			if (!csr_strs_add(&csr->upns, (const char *)virt.data,
			    virt.size)) {
				ret = CSR_NOMEM;
				goto cleanup;
			}
			gnutls_free(virt.data);
			virt.data = NULL;
		} else if (type == GNUTLS_SAN_RFC822NAME) {
			if (memchr(san.data, '\0', san.size) != NULL) {
				audit_reason(a, "step 1: e-mail name in the request is malformed");
				goto cleanup;
			}
			if (!csr_strs_add(&csr->emails, (const char *)san.data,
			    san.size)) {
				ret = CSR_NOMEM;
				goto cleanup;
			}
		} else if (type == GNUTLS_SAN_DN) {
			/* GnuTLS gives a directoryName as its RFC 4514 string */
			if (memchr(san.data, '\0', san.size) != NULL) {
				audit_reason(a, "step 1: directory name in the request is malformed");
				goto cleanup;
			}
			if ((str.data = gnutls_malloc(san.size + 1)) == NULL) {
				ret = CSR_NOMEM;
				goto cleanup;
			}
			memcpy(str.data, san.data, san.size);
			str.data[san.size] = '\0';
			if ((grow = realloc(csr->san_dn, (csr->san_dn_n + 1) *
			    sizeof(*csr->san_dn))) == NULL) {
				ret = CSR_NOMEM;
				goto cleanup;
			}
			csr->san_dn = grow;
			if ((ret = csr_dn_parse((const char *)str.data,
			    &csr->san_dn[csr->san_dn_n])) != CSR_OK) {
				if (ret == CSR_MALFORMED)
					audit_reason(a, "step 1: directory name in the request is malformed");
				goto cleanup;
			}
			csr->san_dn_n++;
			ret = CSR_MALFORMED;
			gnutls_free(str.data);
			str.data = NULL;
		} else if (csr->san_other == NULL) {
			char what[64];

			if (type == GNUTLS_SAN_OTHERNAME)
				log_escape(what, sizeof(what), other_oid.data,
				    other_oid.size);
			else
				snprintf(what, sizeof(what), "type %u", type);
			if ((csr->san_other = strdup(what)) == NULL) {
				ret = CSR_NOMEM;
				goto cleanup;
			}
		}
	}
	ret = CSR_OK;
cleanup:
	gnutls_free(virt.data);
	gnutls_free(str.data);
	gnutls_subject_alt_names_deinit(sans);
	return ret;
}

/*
 * Reads the extensions the policy needs: the two template extensions and the
 * SAN. Each may appear once (RFC 5280 4.2); a duplicate could make the CA
 * read another value than this check did.
 */
static enum csr_result
csr_read_extensions(struct csr *csr, gnutls_x509_crq_t crq, struct audit *a)
{
	char oid[CSR_OID_MAX], seen[CSR_MAX_EXTENSIONS][CSR_OID_MAX];
	size_t oid_len;
	unsigned critical, i, j;
	gnutls_datum_t data = { NULL, 0 };
	enum csr_result ret = CSR_MALFORMED;
	long major, minor;
	int rc;

	for (i = 0; ; i++) {
		oid_len = sizeof(oid);
		rc = gnutls_x509_crq_get_extension_info(crq, i, oid, &oid_len,
		    &critical);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0) {
			audit_reason(a, "step 1: request extensions are malformed");
			return CSR_MALFORMED;
		}
		if (i == CSR_MAX_EXTENSIONS) {
			audit_reason(a, "step 1: more than %d extensions",
			    CSR_MAX_EXTENSIONS);
			return CSR_MALFORMED;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(seen[j], oid) == 0) {
				audit_reason(a, "step 1: extension %s appears twice", oid);
				return CSR_MALFORMED;
			}
		}
		snprintf(seen[i], sizeof(seen[i]), "%s", oid);
		if (strcmp(oid, OID_MS_TEMPLATE_V2) != 0 &&
		    strcmp(oid, OID_MS_TEMPLATE_NAME) != 0 &&
		    strcmp(oid, OID_SAN) != 0)
			continue;
		if (gnutls_x509_crq_get_extension_data2(crq, i, &data) < 0) {
			audit_reason(a, "step 1: extension %s is malformed", oid);
			return CSR_MALFORMED;
		}
		if (strcmp(oid, OID_MS_TEMPLATE_V2) == 0) {
			/* MS-WCCE 2.2.2.7.7.2 */
			switch (msext_template_v2_decode(data.data, data.size,
			    &csr->template_oid, &major, &minor)) {
			case MSEXT_OK:
				break;
			case MSEXT_NOMEM:
				ret = CSR_NOMEM;
				goto cleanup;
			default:
				audit_reason(a, "step 1: template extension (OID) is malformed");
				goto cleanup;
			}
		} else if (strcmp(oid, OID_MS_TEMPLATE_NAME) == 0) {
			/* MS-WCCE 2.2.2.7.7.1 */
			switch (msext_template_name_decode(data.data, data.size,
			    &csr->template_name)) {
			case MSEXT_OK:
				break;
			case MSEXT_NOMEM:
				ret = CSR_NOMEM;
				goto cleanup;
			default:
				audit_reason(a, "step 1: template extension (name) is malformed");
				goto cleanup;
			}
		} else {
			if ((ret = csr_read_san(csr, &data, a)) != CSR_OK)
				goto cleanup;
			ret = CSR_MALFORMED;
		}
		gnutls_free(data.data);
		data.data = NULL;
	}
	ret = CSR_OK;
cleanup:
	gnutls_free(data.data);
	return ret;
}

/*
 * Reads the attributes: each type at most once (RFC 2986 leaves it open;
 * two would let the CA and this check read different ones), extensionRequest
 * and ClientInfo single-valued, ClientInfo decoded (MS-WCCE 2.2.2.7.4).
 */
static enum csr_result
csr_read_attributes(struct csr *csr, gnutls_x509_crq_t crq, struct audit *a)
{
	char oid[CSR_OID_MAX], seen[CSR_MAX_ATTRIBUTES][CSR_OID_MAX];
	size_t oid_len, der_len;
	uint8_t *der = NULL;
	unsigned i, j;
	enum csr_result ret = CSR_MALFORMED;
	int rc;

	for (i = 0; ; i++) {
		oid_len = sizeof(oid);
		rc = gnutls_x509_crq_get_attribute_info(crq, i, oid, &oid_len);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0) {
			audit_reason(a, "step 1: request attributes are malformed");
			return CSR_MALFORMED;
		}
		if (i == CSR_MAX_ATTRIBUTES) {
			audit_reason(a, "step 1: more than %d attributes",
			    CSR_MAX_ATTRIBUTES);
			return CSR_MALFORMED;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(seen[j], oid) == 0) {
				audit_reason(a, "step 1: attribute %s appears twice", oid);
				return CSR_MALFORMED;
			}
		}
		snprintf(seen[i], sizeof(seen[i]), "%s", oid);
		if (strcmp(oid, OID_MS_CLIENT_INFO) != 0 &&
		    strcmp(oid, OID_EXTENSION_REQUEST) != 0)
			continue;
		/* a second value is there when GnuTLS can read it */
		der_len = 0;
		rc = gnutls_x509_crq_get_attribute_by_oid(crq, oid, 1, NULL,
		    &der_len);
		if (rc == 0 || rc == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			audit_reason(a, "step 1: attribute %s has several values", oid);
			return CSR_MALFORMED;
		}
		if (strcmp(oid, OID_MS_CLIENT_INFO) != 0)
			continue;
		der_len = 0;
		rc = gnutls_x509_crq_get_attribute_by_oid(crq, oid, 0, NULL, &der_len);
		if (rc != GNUTLS_E_SHORT_MEMORY_BUFFER || der_len == 0) {
			audit_reason(a, "step 1: ClientInfo attribute is malformed");
			return CSR_MALFORMED;
		}
		if ((der = malloc(der_len)) == NULL)
			return CSR_NOMEM;
		if (gnutls_x509_crq_get_attribute_by_oid(crq, oid, 0, der,
		    &der_len) < 0) {
			audit_reason(a, "step 1: ClientInfo attribute is malformed");
			goto cleanup;
		}
		switch (msext_client_info_decode(der, der_len, &csr->client_info)) {
		case MSEXT_OK:
			csr->has_client_info = true;
			break;
		case MSEXT_NOMEM:
			ret = CSR_NOMEM;
			goto cleanup;
		default:
			audit_reason(a, "step 1: ClientInfo attribute is malformed");
			goto cleanup;
		}
		free(der);
		der = NULL;
	}
	ret = CSR_OK;
cleanup:
	free(der);
	return ret;
}

/* RSA at least min_rsa_bits (and not absurdly large); EC on P-256/384/521. */
static enum csr_result
csr_check_key(const struct config *cfg, gnutls_x509_crq_t crq, struct audit *a)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t m = { NULL, 0 }, e = { NULL, 0 };
	gnutls_ecc_curve_t curve;
	enum csr_result ret = CSR_WEAK_KEY;
	unsigned bits = 0;
	size_t e_len;
	int pk;

	pk = gnutls_x509_crq_get_pk_algorithm(crq, &bits);
	switch (pk) {
	case GNUTLS_PK_RSA:
	case GNUTLS_PK_RSA_PSS:
		if (bits < cfg->min_rsa_bits) {
			audit_reason(a, "step 1: RSA key of %u bits, %u required",
			    bits, cfg->min_rsa_bits);
			return CSR_WEAK_KEY;
		}
		if (bits > CSR_MAX_RSA_BITS) {
			audit_reason(a, "step 1: RSA key of %u bits is too large", bits);
			return CSR_WEAK_KEY;
		}
		if (gnutls_x509_crq_get_key_rsa_raw(crq, &m, &e) < 0) {
			audit_reason(a, "step 1: RSA key is malformed");
			return CSR_MALFORMED;
		}
		e_len = e.size;
		for (size_t i = 0; i < e.size && e.data[i] == 0; i++)
			e_len--;
		gnutls_free(m.data);
		gnutls_free(e.data);
		if (e_len > CSR_MAX_RSA_EXP_BYTES) {
			audit_reason(a, "step 1: RSA public exponent is too large");
			return CSR_WEAK_KEY;
		}
		return CSR_OK;
	case GNUTLS_PK_ECDSA:
		if (gnutls_pubkey_init(&pub) < 0)
			return CSR_NOMEM;
		if (gnutls_pubkey_import_x509_crq(pub, crq, 0) < 0 ||
		    gnutls_pubkey_export_ecc_raw2(pub, &curve, &m, &e, 0) < 0) {
			/* GnuTLS refuses curves it does not know */
			audit_reason(a, "step 1: EC key on an unknown curve or malformed");
			goto cleanup;
		}
		if (curve != GNUTLS_ECC_CURVE_SECP256R1 &&
		    curve != GNUTLS_ECC_CURVE_SECP384R1 &&
		    curve != GNUTLS_ECC_CURVE_SECP521R1) {
			audit_reason(a, "step 1: EC curve %s not allowed",
			    gnutls_ecc_curve_get_name(curve) ?
			    gnutls_ecc_curve_get_name(curve) : "(unknown)");
			goto cleanup;
		}
		ret = CSR_OK;
		goto cleanup;
	default:
		audit_reason(a, "step 1: key algorithm %s not allowed",
		    pk >= 0 && gnutls_pk_get_name(pk) ? gnutls_pk_get_name(pk) :
		    "(unknown)");
		return CSR_WEAK_KEY;
	}
cleanup:
	gnutls_free(m.data);
	gnutls_free(e.data);
	gnutls_pubkey_deinit(pub);
	return ret;
}

/* RFC 2986 4.2: the self-signature, with an allowed hash. */
static enum csr_result
csr_check_signature(const struct config *cfg, gnutls_x509_crq_t crq,
    struct audit *a)
{
	int sign, rc;
	gnutls_digest_algorithm_t hash;

	sign = gnutls_x509_crq_get_signature_algorithm(crq);
	if (sign <= 0) {
		audit_reason(a, "step 1: signature algorithm not recognised");
		return CSR_WEAK_ALGORITHM;
	}
	hash = gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)sign);
	switch (hash) {
	case GNUTLS_DIG_SHA1:
		/* Windows 7-era clients sign with sha1WithRSA (example 4.1) */
		if (!cfg->allow_sha1_csr) {
			audit_reason(a, "step 1: SHA-1 signature and allow_sha1_csr = no");
			return CSR_WEAK_ALGORITHM;
		}
		break;
	case GNUTLS_DIG_SHA224:
	case GNUTLS_DIG_SHA256:
	case GNUTLS_DIG_SHA384:
	case GNUTLS_DIG_SHA512:
	case GNUTLS_DIG_SHA3_224:
	case GNUTLS_DIG_SHA3_256:
	case GNUTLS_DIG_SHA3_384:
	case GNUTLS_DIG_SHA3_512:
		break;
	default:
		audit_reason(a, "step 1: signature algorithm %s not allowed",
		    gnutls_sign_get_name((gnutls_sign_algorithm_t)sign) ?
		    gnutls_sign_get_name((gnutls_sign_algorithm_t)sign) : "(unknown)");
		return CSR_WEAK_ALGORITHM;
	}
	rc = gnutls_x509_crq_verify(crq, cfg->allow_sha1_csr ?
	    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 : 0);
	if (rc < 0) {
		audit_reason(a, "step 1: self-signature does not verify (%s)",
		    gnutls_strerror(rc));
		return CSR_BAD_SIGNATURE;
	}
	return CSR_OK;
}

/* MS-OTPCE 3.2.5.1 step 1: the template MUST be named and be the configured one. */
static enum csr_result
csr_check_template(const struct config *cfg, const struct csr *csr,
    struct audit *a)
{
	char esc[96];

	if (cfg->template == NULL || cfg->template[0] == '\0') {
		log_err("step 1: 'template' is not configured");
		audit_reason(a, "step 1: no template configured");
		return CSR_WRONG_TEMPLATE;
	}
	if ((csr->template_oid == NULL || csr->template_oid[0] == '\0') &&
	    (csr->template_name == NULL || csr->template_name[0] == '\0')) {
		audit_reason(a, "step 1: the request names no template");
		return CSR_NO_TEMPLATE;
	}
	if (csr_is_oid(cfg->template)) {
		if (csr->template_oid == NULL) {
			log_escape(esc, sizeof(esc), csr->template_name,
			    strlen(csr->template_name));
			audit_reason(a, "step 1: template named \"%s\" but an OID is configured", esc);
			return CSR_WRONG_TEMPLATE;
		}
		if (strcmp(csr->template_oid, cfg->template) != 0) {
			log_escape(esc, sizeof(esc), csr->template_oid,
			    strlen(csr->template_oid));
			audit_reason(a, "step 1: template %s is not the configured one", esc);
			return CSR_WRONG_TEMPLATE;
		}
		return CSR_OK;
	}
	if (csr->template_name == NULL || csr->template_name[0] == '\0') {
		log_escape(esc, sizeof(esc), csr->template_oid,
		    strlen(csr->template_oid));
		audit_reason(a, "step 1: template %s given by OID but a name is configured", esc);
		return CSR_WRONG_TEMPLATE;
	}
	if (!csr_ascii_eq(csr->template_name, cfg->template)) {
		log_escape(esc, sizeof(esc), csr->template_name,
		    strlen(csr->template_name));
		audit_reason(a, "step 1: template \"%s\" is not the configured one", esc);
		return CSR_WRONG_TEMPLATE;
	}
	return CSR_OK;
}

/*
 * True when der is exactly one DER SEQUENCE (X.690 8.1.3, definite length,
 * minimal length octets). GnuTLS alone accepts some truncated inputs.
 */
static bool
csr_one_sequence(const uint8_t *der, size_t der_len)
{
	size_t len, hdr, i, n;

	if (der_len < 2 || der[0] != 0x30)
		return false;
	if (der[1] < 0x80) {
		len = der[1];
		hdr = 2;
	} else {
		n = der[1] & 0x7f;
		if (n == 0 || n > 4 || der_len < 2 + n || der[2] == 0)
			return false;
		for (len = 0, i = 0; i < n; i++)
			len = len << 8 | der[2 + i];
		if (len < 0x80)
			return false;
		hdr = 2 + n;
	}
	return len == der_len - hdr;
}

enum csr_result
csr_parse(const struct config *cfg, const uint8_t *der, size_t der_len,
    struct csr **out, struct audit *a)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t d, dn = { NULL, 0 };
	struct csr *csr = NULL;
	enum csr_result ret = CSR_MALFORMED;
	int rc;

	*out = NULL;
	if (der == NULL || der_len == 0 || der_len > UINT32_MAX) {
		audit_reason(a, "step 1: the certificate request is empty");
		return CSR_MALFORMED;
	}
	if ((csr = calloc(1, sizeof(*csr))) == NULL ||
	    gnutls_x509_crq_init(&crq) < 0) {
		ret = CSR_NOMEM;
		goto cleanup;
	}
	if (!csr_one_sequence(der, der_len)) {
		audit_reason(a, "step 1: not a PKCS#10 request (DER framing)");
		goto cleanup;
	}
	d.data = (unsigned char *)(uintptr_t)der;
	d.size = (unsigned)der_len;
	if ((rc = gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_DER)) < 0) {
		audit_reason(a, "step 1: not a PKCS#10 request (%s)",
		    gnutls_strerror(rc));
		goto cleanup;
	}
	/* RFC 2986 4.1: version is 0 (v1) */
	if (gnutls_x509_crq_get_version(crq) != 1) {
		audit_reason(a, "step 1: PKCS#10 version is not 1");
		goto cleanup;
	}
	if ((ret = csr_check_key(cfg, crq, a)) != CSR_OK ||
	    (ret = csr_check_signature(cfg, crq, a)) != CSR_OK ||
	    (ret = csr_read_attributes(csr, crq, a)) != CSR_OK ||
	    (ret = csr_read_extensions(csr, crq, a)) != CSR_OK)
		goto cleanup;

	/* the subject, as RDNs, its e-mail addresses taken apart */
	if ((rc = gnutls_x509_crq_get_dn3(crq, &dn, 0)) < 0 &&
	    rc != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		audit_reason(a, "step 1: subject is malformed (%s)",
		    gnutls_strerror(rc));
		ret = CSR_MALFORMED;
		goto cleanup;
	}
	if (rc >= 0 && (ret = csr_dn_parse((const char *)dn.data,
	    &csr->subject)) != CSR_OK) {
		if (ret == CSR_MALFORMED)
			audit_reason(a, "step 1: subject is not understood");
		goto cleanup;
	}
	if ((ret = csr_dn_take_emails(&csr->subject, &csr->emails)) != CSR_OK) {
		if (ret == CSR_MALFORMED)
			audit_reason(a, "step 1: subject e-mail address is not a string");
		goto cleanup;
	}

	if ((ret = csr_check_template(cfg, csr, a)) != CSR_OK)
		goto cleanup;
	*out = csr;
	csr = NULL;
	ret = CSR_OK;
cleanup:
	if (ret == CSR_NOMEM)
		audit_reason(a, "step 1: out of memory");
	gnutls_free(dn.data);
	if (crq != NULL)
		gnutls_x509_crq_deinit(crq);
	csr_free(csr);
	return ret;
}

/* Writes v (from the request) escaped into buf, for a reason line. */
static const char *
csr_esc(char *buf, size_t buf_len, const char *v)
{
	return log_escape(buf, buf_len, v, v ? strlen(v) : 0);
}

enum csr_result
csr_match_user(const struct csr *csr, const char *username,
    const struct dir_user *user, struct audit *a)
{
	struct csr_dn user_dn = { NULL, 0 };
	enum csr_result ret = CSR_NAME_MISMATCH;
	bool named = false;
	char esc[80], *alt = NULL;
	size_t i;

	if (csr == NULL || username == NULL || user == NULL || user->dn == NULL) {
		audit_reason(a, "step 1: nothing to match the request against");
		return CSR_NAME_MISMATCH;
	}

	/* The subject DN and every SAN directoryName: the user's DN. */
	if (csr->subject.n > 0 || csr->san_dn_n > 0) {
		named = true;
		if ((ret = csr_dn_parse(user->dn, &user_dn)) != CSR_OK) {
			if (ret == CSR_NOMEM)
				goto cleanup;
			log_escape(esc, sizeof(esc), user->dn, strlen(user->dn));
			log_warnx("step 1: directory DN \"%s\" is not understood", esc);
			audit_reason(a, "step 1: the directory DN is not understood");
			ret = CSR_NAME_MISMATCH;
			goto cleanup;
		}
		ret = CSR_NAME_MISMATCH;
		if (csr->subject.n > 0 && !csr_dn_equal(&csr->subject, &user_dn)) {
			audit_reason(a, "step 1: subject is not the user's directory DN");
			goto cleanup;
		}
		for (i = 0; i < csr->san_dn_n; i++) {
			if (!csr_dn_equal(&csr->san_dn[i], &user_dn)) {
				audit_reason(a, "step 1: SAN directory name is not the user's directory DN");
				goto cleanup;
			}
		}
	}

	/* Every UPN otherName: the user's userPrincipalName. */
	for (i = 0; i < csr->upns.n; i++) {
		named = true;
		if (!csr_ascii_eq(csr->upns.v[i], user->upn)) {
			audit_reason(a, "step 1: UPN %s is not the user's",
			    csr_esc(esc, sizeof(esc), csr->upns.v[i]));
			goto cleanup;
		}
	}

	/* Every rfc822Name and subject emailAddress: the user's mail. */
	for (i = 0; i < csr->emails.n; i++) {
		named = true;
		if (!csr_ascii_eq(csr->emails.v[i], user->mail)) {
			audit_reason(a, "step 1: e-mail %s is not the user's",
			    csr_esc(esc, sizeof(esc), csr->emails.v[i]));
			goto cleanup;
		}
	}

	/* Any other kind of SAN names something the user is not shown to own. */
	if (csr->san_other != NULL) {
		audit_reason(a, "step 1: SAN entry of another kind (%s)",
		    csr->san_other);
		goto cleanup;
	}

	/*
	 * ClientInfo (MS-WCCE 2.2.2.7.4): at logon it names the machine account
	 * (DOMAIN\NAME$, example 4.1), which names no user. Otherwise it names
	 * the user, and must be the request's username, or the same account
	 * as DOMAIN\sAMAccountName from the directory.
	 */
	if (csr->has_client_info) {
		const char *ci_user = csr->client_info.user;
		size_t len = strlen(ci_user);

		if (len == 0 || ci_user[len - 1] != '$') {
			named = true;
			if (user->domain != NULL && user->account != NULL &&
			    asprintf(&alt, "%s\\%s", user->domain,
			    user->account) < 0) {
				alt = NULL;
				ret = CSR_NOMEM;
				goto cleanup;
			}
			if (!csr_ascii_eq(ci_user, username) &&
			    (alt == NULL || !csr_ascii_eq(ci_user, alt))) {
				audit_reason(a, "step 1: ClientInfo names user %s",
				    csr_esc(esc, sizeof(esc), ci_user));
				goto cleanup;
			}
		}
	}

	if (!named) {
		audit_reason(a, "step 1: the request names no user");
		ret = CSR_NAMES_NOBODY;
		goto cleanup;
	}
	ret = CSR_OK;
cleanup:
	if (ret == CSR_NOMEM)
		audit_reason(a, "step 1: out of memory");
	free(alt);
	csr_dn_free(&user_dn);
	return ret;
}
