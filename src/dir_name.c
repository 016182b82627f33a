/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 2, before any traffic: the user name as sent (MS-OTPCE 3.1.5.1,
 * DOMAIN\user, or user@suffix) mapped to a configured domain, and values
 * escaped for LDAP search filters (RFC 4515).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "dir.h"
#include "dir_internal.h"
#include "log.h"
#include "utf8.h"

/*
 * RFC 4515 section 3 with libldap's escaping: NUL ( ) * \ and, as the RFC
 * allows, every other control byte, DEL and every byte >= 0x80, as \hh.
 */
char *
dir_filter_escape(const char *value, size_t value_len)
{
	struct berval in, out = { 0, NULL };
	char *copy;

	if (value_len == 0)
		return strdup("");
	in.bv_val = (char *)(uintptr_t)value;
	in.bv_len = value_len;
	if (ldap_bv2escaped_filter_value(&in, &out) != 0 || out.bv_val == NULL)
		return NULL;
	copy = strndup(out.bv_val, out.bv_len);
	ber_memfree(out.bv_val);
	return copy;
}

char *
dir_filter_build(const char *tmpl, const char *value, size_t value_len)
{
	char *esc, *out = NULL, *p;
	const char *s;
	size_t esc_len, count = 0, len;

	if ((esc = dir_filter_escape(value, value_len)) == NULL)
		return NULL;
	esc_len = strlen(esc);
	for (s = tmpl; (s = strstr(s, "%u")) != NULL; s += 2)
		count++;
	len = strlen(tmpl);
	if (count && esc_len > (SIZE_MAX - len - 1) / count)
		goto cleanup;
	if ((out = malloc(len + count * esc_len + 1)) == NULL)
		goto cleanup;
	p = out;
	for (s = tmpl; *s; ) {
		if (s[0] == '%' && s[1] == 'u') {
			memcpy(p, esc, esc_len);
			p += esc_len;
			s += 2;
		} else {
			*p++ = *s++;
		}
	}
	*p = '\0';
cleanup:
	free(esc);
	return out;
}

const struct dir_domain *
dir_domain_by_netbios(const struct dir *d, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < d->domain_count; i++)
		if (strlen(d->domains[i].netbios) == len &&
		    strncasecmp(d->domains[i].netbios, name, len) == 0)
			return &d->domains[i];
	return NULL;
}

/*
 * upn_suffix first; else a domain whose base DN spells the suffix in DC=
 * parts. Compared ignoring case as AD does (docs/protocol.md, "Names
 * compared"): a suffix may be an internationalised name.
 */
static const struct dir_domain *
domain_by_suffix(const struct dir *d, const char *suffix)
{
	size_t i;

	for (i = 0; i < d->suffix_count; i++)
		if (utf8_caseless_eq(d->suffixes[i].suffix, suffix))
			return d->suffixes[i].domain;
	for (i = 0; i < d->domain_count; i++)
		if (d->domains[i].dns && utf8_caseless_eq(d->domains[i].dns, suffix))
			return &d->domains[i];
	return NULL;
}

bool
dir_dn_same(const char *a, const char *b)
{
	return utf8_caseless_eq(a, b);
}

void
dir_name_free(struct dir_name *n)
{
	free(n->account);
	free(n->upn);
	memset(n, 0, sizeof(*n));
}

enum dir_result
dir_parse_name(const struct dir *d, const char *username, struct dir_name *out,
    struct audit *a)
{
	struct audit scratch;
	const struct dir_domain *dom;
	const char *sep, *user;
	char esc[64];
	size_t len, user_len;

	if (a == NULL) {
		memset(&scratch, 0, sizeof(scratch));
		a = &scratch;
	}
	memset(out, 0, sizeof(*out));
	len = username ? strlen(username) : 0;
	if (len == 0) {
		audit_reason(a, "step 2: empty user name");
		return DIR_BAD_NAME;
	}
	if (len > DIR_USER_MAX + 1 + DIR_SUFFIX_MAX) {
		audit_reason(a, "step 2: user name longer than %d bytes",
		    DIR_USER_MAX + 1 + DIR_SUFFIX_MAX);
		return DIR_BAD_NAME;
	}
	if (!utf8_valid((const uint8_t *)username, len, UTF8_NO_CONTROLS)) {
		audit_reason(a, "step 2: user name is not UTF-8 text");
		return DIR_BAD_NAME;
	}

	/* MS-OTPCE 3.1.5.1: "The name is in the domain\username format." */
	if ((sep = strchr(username, '\\')) != NULL) {
		user = sep + 1;
		user_len = len - (size_t)(user - username);
		if (sep == username || user_len == 0) {
			audit_reason(a, "step 2: user name is not DOMAIN\\user");
			return DIR_BAD_NAME;
		}
		if (user_len > DIR_USER_MAX) {
			audit_reason(a, "step 2: user part longer than %d bytes",
			    DIR_USER_MAX);
			return DIR_BAD_NAME;
		}
		dom = dir_domain_by_netbios(d, username, (size_t)(sep - username));
		if (dom == NULL) {
			log_escape(esc, sizeof(esc), username,
			    (size_t)(sep - username));
			audit_reason(a, "step 2: unknown domain '%s'", esc);
			return DIR_UNKNOWN_DOMAIN;
		}
		if ((out->account = strndup(user, user_len)) == NULL)
			return DIR_NOMEM;
	} else if ((sep = strrchr(username, '@')) != NULL) {
		/* Our extension: user@suffix, a userPrincipalName (MS-ADTS 3.1.1.5.1.3). */
		if (sep == username || sep[1] == '\0') {
			audit_reason(a, "step 2: user name is not user@suffix");
			return DIR_BAD_NAME;
		}
		if ((size_t)(sep - username) > DIR_USER_MAX ||
		    strlen(sep + 1) > DIR_SUFFIX_MAX) {
			audit_reason(a, "step 2: user principal name too long");
			return DIR_BAD_NAME;
		}
		if ((dom = domain_by_suffix(d, sep + 1)) == NULL) {
			log_escape(esc, sizeof(esc), sep + 1, strlen(sep + 1));
			audit_reason(a, "step 2: unknown UPN suffix '%s'", esc);
			return DIR_UNKNOWN_DOMAIN;
		}
		if ((out->upn = strdup(username)) == NULL)
			return DIR_NOMEM;
	} else {
		audit_reason(a, "step 2: user name is neither DOMAIN\\user nor user@suffix");
		return DIR_BAD_NAME;
	}
	out->netbios = dom->netbios;
	out->base_dn = dom->base_dn;
	return DIR_FOUND;
}

void
dir_dn_free(struct dir_dn *dn)
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

/* One AVA of libldap's parse into *out. DIR_FOUND, DIR_BAD_NAME or DIR_NOMEM. */
static enum dir_result
dir_ava_copy(const LDAPAVA *in, struct dir_ava *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	out->hex = (in->la_flags & LDAP_AVA_BINARY) != 0;
	if (in->la_attr.bv_len == 0 ||
	    memchr(in->la_attr.bv_val, '\0', in->la_attr.bv_len) != NULL)
		return DIR_BAD_NAME;
	if ((out->type = strndup(in->la_attr.bv_val, in->la_attr.bv_len)) == NULL)
		return DIR_NOMEM;
	if (out->hex) {
		/* #hexstring (RFC 4514 2.4): the BER, kept as lower-case hex */
		if (in->la_value.bv_len == 0 ||
		    in->la_value.bv_len > (SIZE_MAX - 1) / 2 ||
		    (out->value = malloc(in->la_value.bv_len * 2 + 1)) == NULL)
			return in->la_value.bv_len == 0 ? DIR_BAD_NAME : DIR_NOMEM;
		for (i = 0; i < in->la_value.bv_len; i++) {
			unsigned char c = (unsigned char)in->la_value.bv_val[i];

			out->value[2 * i] = hex[c >> 4];
			out->value[2 * i + 1] = hex[c & 0xf];
		}
		out->value_len = 2 * in->la_value.bv_len;
		out->value[out->value_len] = '\0';
		return DIR_FOUND;
	}
	/* an escaped NUL (\00) would end the value early for everyone else */
	if (memchr(in->la_value.bv_val, '\0', in->la_value.bv_len) != NULL)
		return DIR_BAD_NAME;
	if ((out->value = strndup(in->la_value.bv_val, in->la_value.bv_len)) == NULL)
		return DIR_NOMEM;
	out->value_len = in->la_value.bv_len;
	return DIR_FOUND;
}

enum dir_result
dir_dn_parse(const char *s, struct dir_dn *out)
{
	LDAPDN dn = NULL;
	enum dir_result r = DIR_BAD_NAME;
	size_t i, j, n_rdn = 0, n_ava;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return DIR_BAD_NAME;
	/* RFC 4514, as libldap reads it (it also takes spaces around , and +). */
	if (ldap_str2dn(s, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return DIR_BAD_NAME;
	if (dn == NULL)
		return DIR_FOUND;	/* the empty DN */
	while (dn[n_rdn] != NULL)
		n_rdn++;
	if ((out->rdn = calloc(n_rdn, sizeof(*out->rdn))) == NULL) {
		r = DIR_NOMEM;
		goto cleanup;
	}
	for (i = 0; i < n_rdn; i++) {
		for (n_ava = 0; dn[i][n_ava] != NULL; n_ava++)
			;
		out->n++;
		if ((out->rdn[i].ava = calloc(n_ava, sizeof(*out->rdn[i].ava))) == NULL) {
			r = DIR_NOMEM;
			goto cleanup;
		}
		for (j = 0; j < n_ava; j++) {
			out->rdn[i].n++;
			if ((r = dir_ava_copy(dn[i][j], &out->rdn[i].ava[j])) !=
			    DIR_FOUND)
				goto cleanup;
		}
	}
	r = DIR_FOUND;
cleanup:
	ldap_dnfree(dn);
	if (r != DIR_FOUND)
		dir_dn_free(out);
	return r;
}
