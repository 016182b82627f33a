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
#include "dir.h"
#include "utf8.h"

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
csr_dn_free(struct dir_dn *dn)
{
	dir_dn_free(dn);
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

bool
csr_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The type of an AVA as compared: the OID when the name is known (or it is
 * an OID), else the name upper-cased. Returns a new string or NULL.
 */
static char *
csr_dn_type(const char *type)
{
	size_t len = strlen(type), i;
	char *t;

	for (i = 0; i < sizeof(csr_dn_types) / sizeof(csr_dn_types[0]); i++)
		if (strlen(csr_dn_types[i].name) == len &&
		    csr_ascii_eqn(csr_dn_types[i].name, type, len))
			return strdup(csr_dn_types[i].oid);
	if ((t = strdup(type)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		if (t[i] >= 'a' && t[i] <= 'z')
			t[i] -= 'a' - 'A';
	return t;
}

/*
 * The value as compared (RFC 4518): insignificant spaces removed (2.6.1:
 * none at either end, inner runs made one), then case folded and NFKC
 * (utf8_fold). Returns a new string, NULL when not UTF-8 or out of memory.
 */
static char *
csr_dn_value(const char *v, size_t len)
{
	char *spaced, *folded;
	size_t i, o = 0;
	bool space = false;

	if ((spaced = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (v[i] == ' ') {
			space = o > 0;
			continue;
		}
		if (space)
			spaced[o++] = ' ';
		space = false;
		spaced[o++] = v[i];
	}
	spaced[o] = '\0';
	folded = utf8_fold(spaced, o, NULL);
	free(spaced);
	return folded;
}

static int
csr_ava_cmp(const void *a, const void *b)
{
	const struct dir_ava *x = a, *y = b;
	int c;

	if ((c = strcmp(x->type, y->type)) != 0)
		return c;
	if (x->hex != y->hex)
		return x->hex ? 1 : -1;
	return strcmp(x->value, y->value);
}

enum csr_result
csr_dn_parse(const char *s, struct dir_dn *dn)
{
	struct dir_ava *ava;
	char *t;
	size_t i, j;

	switch (dir_dn_parse(s, dn)) {
	case DIR_FOUND:
		break;
	case DIR_NOMEM:
		return CSR_NOMEM;
	default:
		return CSR_MALFORMED;
	}
	for (i = 0; i < dn->n; i++) {
		for (j = 0; j < dn->rdn[i].n; j++) {
			ava = &dn->rdn[i].ava[j];
			if ((t = csr_dn_type(ava->type)) == NULL)
				goto nomem;
			free(ava->type);
			ava->type = t;
			if (ava->hex)
				continue;
			if (!utf8_valid((const uint8_t *)ava->value,
			    ava->value_len, UTF8_NO_NUL)) {
				dir_dn_free(dn);
				return CSR_MALFORMED;
			}
			if ((t = csr_dn_value(ava->value, ava->value_len)) == NULL)
				goto nomem;
			free(ava->value);
			ava->value = t;
			ava->value_len = strlen(t);
		}
		/* a multi-valued RDN is a set (RFC 4514 2.2): compare it sorted */
		qsort(dn->rdn[i].ava, dn->rdn[i].n, sizeof(*dn->rdn[i].ava),
		    csr_ava_cmp);
	}
	return CSR_OK;
nomem:
	dir_dn_free(dn);
	return CSR_NOMEM;
}

/* True when a and b are the same name, RDN by RDN. */
bool
csr_dn_equal(const struct dir_dn *a, const struct dir_dn *b)
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
csr_dn_take_emails(struct dir_dn *dn, struct csr_strs *emails)
{
	enum csr_result ret = CSR_OK;
	size_t i, j, k, o = 0;

	for (i = 0; i < dn->n; i++) {
		struct dir_rdn *r = &dn->rdn[i];

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

