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

#include "dir.h"
#include "dir_internal.h"
#include "log.h"
#include "utf8.h"

char *
dir_filter_escape(const char *value, size_t value_len)
{
	static const char hex[] = "0123456789abcdef";
	char *out, *p;
	size_t i;

	if (value_len > (SIZE_MAX - 1) / 3 || (out = malloc(value_len * 3 + 1)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i < value_len; i++) {
		unsigned char c = (unsigned char)value[i];

		/* RFC 4515 section 3: escaped are NUL ( ) * \; we add every byte
		 * that is not printable ASCII, which the RFC allows. */
		if (c < 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '*' ||
		    c == '\\') {
			*p++ = '\\';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 0xf];
		} else {
			*p++ = (char)c;
		}
	}
	*p = '\0';
	return out;
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

/* upn_suffix first; else a domain whose base DN spells the suffix in DC= parts. */
static const struct dir_domain *
domain_by_suffix(const struct dir *d, const char *suffix)
{
	size_t i;

	for (i = 0; i < d->suffix_count; i++)
		if (strcasecmp(d->suffixes[i].suffix, suffix) == 0)
			return d->suffixes[i].domain;
	for (i = 0; i < d->domain_count; i++)
		if (d->domains[i].dns && strcasecmp(d->domains[i].dns, suffix) == 0)
			return &d->domains[i];
	return NULL;
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
