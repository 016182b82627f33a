/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 2, at start-up: the directory's part of the configuration (ldap_*,
 * domain, upn_suffix) checked and turned into the read-only struct dir, and
 * the bind password read from its file.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "config.h"
#include "dir.h"
#include "dir_internal.h"
#include "log.h"
#include "secret.h"
#include "utf8.h"

static bool
netbios_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > DIR_NETBIOS_MAX)
		return false;
	for (i = 0; i < len; i++)
		/* Characters Windows refuses in NetBIOS names, and '@'. */
		if (!isgraph((unsigned char)s[i]) || strchr("\\/:*?\"<>|@", s[i]))
			return false;
	return true;
}

/*
 * Checks base as an LDAPv3 DN (RFC 4514) and computes the DNS name its DC=
 * parts spell (RFC 2247), or NULL when it has other parts. Returns -1 for a
 * bad DN, -2 when out of memory, else 0.
 */
static int
base_dn_parse(const char *base, char **dns)
{
	LDAPDN dn = NULL;
	size_t len = 0, i;
	int ret = -1;
	char *p;

	*dns = NULL;
	if (ldap_str2dn(base, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    dn == NULL || dn[0] == NULL)
		goto cleanup;
	ret = 0;
	for (i = 0; dn[i] != NULL; i++) {
		LDAPAVA *ava = dn[i][0];

		if (dn[i][1] != NULL || ava->la_attr.bv_len != 2 ||
		    strncasecmp(ava->la_attr.bv_val, "dc", 2) != 0 ||
		    ava->la_value.bv_len == 0 ||
		    memchr(ava->la_value.bv_val, '\0', ava->la_value.bv_len))
			goto cleanup;
		len += ava->la_value.bv_len + 1;
	}
	if ((*dns = malloc(len)) == NULL) {
		ret = -2;
		goto cleanup;
	}
	p = *dns;
	for (i = 0; dn[i] != NULL; i++) {
		memcpy(p, dn[i][0]->la_value.bv_val, dn[i][0]->la_value.bv_len);
		p += dn[i][0]->la_value.bv_len;
		*p++ = dn[i + 1] ? '.' : '\0';
	}
cleanup:
	if (dn)
		ldap_dnfree(dn);
	return ret;
}

/* Splits "first rest of line" at the first blank; NULL when out of memory. */
static int
split_pair(const char *item, char **first, char **rest)
{
	size_t n = strcspn(item, " \t");
	const char *r = item + n + strspn(item + n, " \t");

	*first = strndup(item, n);
	*rest = strdup(r);
	return *first && *rest ? 0 : -1;
}

static int
dir_load_domains(struct dir *d, const struct config *cfg)
{
	size_t i, j;
	int errors = 0, r;

	d->domains = calloc(cfg->domain.count, sizeof(*d->domains));
	d->suffixes = calloc(cfg->upn_suffix.count ? cfg->upn_suffix.count : 1,
	    sizeof(*d->suffixes));
	if (d->domains == NULL || d->suffixes == NULL)
		goto nomem;
	for (i = 0; i < cfg->domain.count; i++) {
		struct dir_domain *dom = &d->domains[d->domain_count++];

		if (split_pair(cfg->domain.items[i], &dom->netbios,
		    &dom->base_dn) < 0)
			goto nomem;
		if (!netbios_ok(dom->netbios)) {
			log_err("%s: domain: '%s' is not a NetBIOS domain name "
			    "(1-%d characters, none of \\/:*?\"<>|@)", d->path,
			    dom->netbios, DIR_NETBIOS_MAX);
			errors++;
		}
		if ((r = base_dn_parse(dom->base_dn, &dom->dns)) == -2)
			goto nomem;
		if (r < 0) {
			log_err("%s: domain %s: '%s' is not a DN", d->path,
			    dom->netbios, dom->base_dn);
			errors++;
		}
		for (j = 0; j < i; j++)
			if (strcasecmp(d->domains[j].netbios, dom->netbios) == 0) {
				log_err("%s: domain %s: given twice", d->path,
				    dom->netbios);
				errors++;
			}
	}
	for (i = 0; i < cfg->upn_suffix.count; i++) {
		struct dir_suffix *suf = &d->suffixes[d->suffix_count++];
		char *netbios = NULL;

		if (split_pair(cfg->upn_suffix.items[i], &suf->suffix,
		    &netbios) < 0) {
			free(netbios);
			goto nomem;
		}
		suf->domain = dir_domain_by_netbios(d, netbios, strlen(netbios));
		if (suf->domain == NULL) {
			log_err("%s: upn_suffix %s: '%s' is not a configured domain",
			    d->path, suf->suffix, netbios);
			errors++;
		}
		free(netbios);
		if (strchr(suf->suffix, '@') || strlen(suf->suffix) > DIR_SUFFIX_MAX ||
		    !utf8_valid((const uint8_t *)suf->suffix,
		    strlen(suf->suffix), UTF8_NO_CONTROLS)) {
			log_err("%s: upn_suffix: '%s' is not a UPN suffix", d->path,
			    suf->suffix);
			errors++;
		}
		for (j = 0; j < i; j++)
			/* As lookups compare suffixes (dir_name.c): Unicode case. */
			if (utf8_caseless_eq(d->suffixes[j].suffix, suf->suffix)) {
				log_err("%s: upn_suffix %s: given twice", d->path,
				    suf->suffix);
				errors++;
			}
	}
	return errors ? -1 : 0;
nomem:
	log_err("%s: out of memory", d->path);
	return -1;
}

/* A filter must at least be one parenthesised item (RFC 4515 section 3). */
static bool
filter_shape_ok(const char *f)
{
	size_t depth = 0, len = strlen(f), i;

	if (len < 3 || f[0] != '(' || f[len - 1] != ')')
		return false;
	for (i = 0; i < len; i++) {
		if (f[i] == '\\') {
			if (!isxdigit((unsigned char)f[i + 1]) ||
			    !isxdigit((unsigned char)f[i + 2]))
				return false;
			i += 2;
		} else if (f[i] == '(') {
			depth++;
		} else if (f[i] == ')') {
			if (depth == 0)
				return false;
			if (--depth == 0 && i != len - 1)
				return false;
		}
	}
	return depth == 0;
}

static int
dir_load_uris(struct dir *d, const struct config *cfg)
{
	int errors = 0;
	size_t i;

	if ((d->uris = calloc(cfg->ldap_uri.count, sizeof(*d->uris))) == NULL) {
		log_err("%s: out of memory", d->path);
		return -1;
	}
	for (i = 0; i < cfg->ldap_uri.count; i++) {
		const char *u = cfg->ldap_uri.items[i];
		LDAPURLDesc *lud = NULL;

		/* One URI per key: we choose the order and know which one answered. */
		if (strpbrk(u, " \t,") != NULL ||
		    ldap_url_parse(u, &lud) != LDAP_URL_SUCCESS ||
		    lud->lud_next != NULL || (strcasecmp(lud->lud_scheme, "ldap") != 0 &&
		    strcasecmp(lud->lud_scheme, "ldaps") != 0 &&
		    strcasecmp(lud->lud_scheme, "ldapi") != 0)) {
			log_err("%s: ldap_uri: '%s' is not one ldap://, ldaps:// or "
			    "ldapi:// URI", d->path, u);
			errors++;
		} else if (!cfg->ldap_starttls && strcasecmp(lud->lud_scheme,
		    "ldap") == 0 && cfg->ldap_bind_dn) {
			log_warnx("%s: ldap_uri %s: the bind password goes in clear "
			    "text (use ldaps:// or ldap_starttls = yes)", d->path, u);
		}
		if (lud)
			ldap_free_urldesc(lud);
		if ((d->uris[i] = strdup(u)) == NULL) {
			log_err("%s: out of memory", d->path);
			return -1;
		}
		d->uri_count++;
	}
	return errors ? -1 : 0;
}

struct dir *
dir_new(const struct config *cfg)
{
	enum secret_result sr;
	struct dir *d;
	int v;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		log_err("step 2: out of memory");
		return NULL;
	}
	d->path = cfg->path ? cfg->path : "configuration";
	if (cfg->ldap_uri.count == 0 || cfg->domain.count == 0) {
		log_warnx("step 2: the directory is not configured (ldap_uri, "
		    "domain): every request will be answered OtherError");
		return d;
	}
	/* libldap's global defaults are set up once, here, before any thread. */
	ldap_get_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &v);

	d->starttls = cfg->ldap_starttls;
	d->timeout_ms = cfg->ldap_timeout_ms;
	d->dead_time_ms = (long long)cfg->ldap_dead_time_s * 1000;
	if (dir_load_uris(d, cfg) < 0 || dir_load_domains(d, cfg) < 0)
		goto fail;
	if ((d->uri_dead_until = calloc(d->uri_count,
	    sizeof(*d->uri_dead_until))) == NULL ||
	    (d->pool = dir_pool_new(d, cfg->ldap_connections)) == NULL) {
		log_err("step 2: out of memory");
		goto fail;
	}
	if ((d->filter = strdup(cfg->ldap_filter)) == NULL ||
	    (cfg->ldap_bind_dn && (d->bind_dn = strdup(cfg->ldap_bind_dn)) == NULL) ||
	    (cfg->ldap_ca_file && (d->ca_file = strdup(cfg->ldap_ca_file)) == NULL)) {
		log_err("step 2: out of memory");
		goto fail;
	}
	if (!filter_shape_ok(d->filter)) {
		log_err("%s: ldap_filter: '%s' is not an LDAP filter (RFC 4515)",
		    d->path, d->filter);
		goto fail;
	}
	if (cfg->ldap_password_file) {
		sr = secret_read_file(cfg->ldap_password_file, &d->password);
		if (sr != SECRET_OK) {
			log_err("%s: ldap_password_file %s: %s", d->path,
			    cfg->ldap_password_file, secret_strerror(sr));
			goto fail;
		}
	}
	d->configured = true;
	return d;
fail:
	dir_free(d);
	return NULL;
}

void
dir_free(struct dir *d)
{
	size_t i;

	if (d == NULL)
		return;
	dir_pool_free(d->pool);
	for (i = 0; i < d->uri_count; i++)
		free(d->uris[i]);
	free(d->uris);
	free(d->uri_dead_until);
	for (i = 0; i < d->domain_count; i++) {
		free(d->domains[i].netbios);
		free(d->domains[i].base_dn);
		free(d->domains[i].dns);
	}
	free(d->domains);
	for (i = 0; i < d->suffix_count; i++)
		free(d->suffixes[i].suffix);
	free(d->suffixes);
	free(d->bind_dn);
	free(d->ca_file);
	free(d->filter);
	secret_free(&d->password);
	free(d);
}
