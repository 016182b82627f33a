/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 1's distinguished names: RFC 4514 strings (as GnuTLS prints a subject
 * and as the directory gives a DN) parsed RDN by RDN and compared by type OID
 * and normalised value, and the string helpers step 1 shares.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csr_dn.h"

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
bool
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

bool
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

void
csr_strs_free(struct csr_strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}


void
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

bool
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
enum csr_result
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
bool
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
enum csr_result
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

