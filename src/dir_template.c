/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Step 1's template, at start-up: a `template` given by name (as Windows
 * admins know it, "DAOTPLogon") resolved to its OID from the directory, the
 * way the CA finds it: the pKICertificateTemplate object under
 * CN=Certificate Templates,CN=Public Key Services,CN=Services,
 * CN=Configuration,<forest> (MS-CRTD 2), matched by cn
 * or displayName, attribute msPKI-Cert-Template-OID (MS-CRTD 2.20). A
 * version 2 template request carries only that OID (MS-WCCE 2.2.2.7.7.2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "clock.h"
#include "dir.h"
#include "dir_internal.h"
#include "log.h"

#define DIR_TEMPLATES_RDNS \
	"CN=Certificate Templates,CN=Public Key Services,CN=Services,"

/* The first value of attr in entry as a new string, or NULL. */
static char *
dir_first_value(LDAP *ld, LDAPMessage *entry, const char *attr)
{
	struct berval **vals;
	char *v = NULL;

	if ((vals = ldap_get_values_len(ld, entry, attr)) == NULL)
		return NULL;
	if (vals[0] != NULL && memchr(vals[0]->bv_val, '\0', vals[0]->bv_len) == NULL)
		v = strndup(vals[0]->bv_val, vals[0]->bv_len);
	ldap_value_free_len(vals);
	return v;
}

/*
 * The configuration partition's DN: the root DSE's
 * configurationNamingContext (MS-ADTS 3.1.1.3.2.3), else
 * CN=Configuration,<the first domain's base DN> (a one-domain forest).
 * A new string, or NULL when out of memory.
 */
static char *
dir_configuration_dn(const struct dir *d, LDAP *ld, const struct timeval *tv)
{
	static char *attrs[] = { "configurationNamingContext", NULL };
	LDAPMessage *res = NULL, *e;
	char *dn = NULL;
	struct timeval t = *tv;

	if (ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs,
	    0, NULL, NULL, &t, 1, &res) == LDAP_SUCCESS &&
	    (e = ldap_first_entry(ld, res)) != NULL)
		dn = dir_first_value(ld, e, attrs[0]);
	ldap_msgfree(res);
	if (dn == NULL && asprintf(&dn, "CN=Configuration,%s",
	    d->domains[0].base_dn) < 0)
		dn = NULL;
	return dn;
}

enum dir_result
dir_template_resolve(const struct dir *d, const char *name, char **oid,
    char **cn)
{
	static char *attrs[] = { "cn", "msPKI-Cert-Template-OID", NULL };
	struct dir_conn *c = NULL;
	struct audit a;
	struct timeval tv;
	LDAPMessage *res = NULL, *e;
	LDAP *ld;
	enum dir_result r = DIR_NOMEM;
	char *config_dn = NULL, *base = NULL, *filter = NULL, *esc = NULL;
	int rc, count;

	*oid = *cn = NULL;
	memset(&a, 0, sizeof(a));
	if (!d->configured) {
		log_warnx("%s: template '%s' is a name and the directory that "
		    "resolves it to an OID is not configured (ldap_uri, domain): "
		    "only a request naming it by name can match", d->path, name);
		return DIR_NOT_CONFIGURED;
	}
	tv.tv_sec = (time_t)(d->timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)((d->timeout_ms % 1000) * 1000);
	if ((c = dir_conn_new(d)) == NULL)
		goto cleanup;
	if ((ld = dir_conn_ldap(c, clock_ms() + (long long)d->timeout_ms *
	    (long long)(d->uri_count + 2), &a)) == NULL) {
		log_err("%s: template '%s' cannot be resolved: %s", d->path,
		    name, a.reason);
		r = DIR_UNAVAILABLE;
		goto cleanup;
	}
	if ((config_dn = dir_configuration_dn(d, ld, &tv)) == NULL ||
	    asprintf(&base, DIR_TEMPLATES_RDNS "%s", config_dn) < 0 ||
	    (esc = dir_filter_escape(name, strlen(name))) == NULL ||
	    asprintf(&filter, "(&(objectClass=pKICertificateTemplate)"
	    "(|(cn=%s)(displayName=%s)))", esc, esc) < 0) {
		base = filter = NULL;
		goto cleanup;
	}
	/* Size limit 2: enough to tell one template from several. */
	rc = ldap_search_ext_s(ld, base, LDAP_SCOPE_ONELEVEL, filter, attrs, 0,
	    NULL, NULL, &tv, 2, &res);
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED &&
	    rc != LDAP_NO_SUCH_OBJECT) {
		log_err("%s: template '%s' cannot be resolved: search under %s "
		    "for %s: %s", d->path, name, base, filter,
		    ldap_err2string(rc));
		r = DIR_UNAVAILABLE;
		goto cleanup;
	}
	count = rc == LDAP_NO_SUCH_OBJECT ? 0 : ldap_count_entries(ld, res);
	if (count == 0) {
		log_err("%s: template '%s': no certificate template with that cn "
		    "or displayName under %s (searched one level for %s)",
		    d->path, name, base, filter);
		r = DIR_NO_SUCH_USER;
		goto cleanup;
	}
	if (count > 1 || rc == LDAP_SIZELIMIT_EXCEEDED) {
		log_err("%s: template '%s': more than one certificate template "
		    "with that cn or displayName under %s; give its OID",
		    d->path, name, base);
		r = DIR_AMBIGUOUS;
		goto cleanup;
	}
	e = ldap_first_entry(ld, res);
	*oid = dir_first_value(ld, e, "msPKI-Cert-Template-OID");
	*cn = dir_first_value(ld, e, "cn");
	if (*oid == NULL || *cn == NULL) {
		log_err("%s: template '%s': the template object under %s has no "
		    "msPKI-Cert-Template-OID (or no cn)", d->path, name, base);
		free(*oid);
		free(*cn);
		*oid = *cn = NULL;
		r = DIR_UNAVAILABLE;
		goto cleanup;
	}
	r = DIR_FOUND;
cleanup:
	if (r == DIR_NOMEM)
		log_err("%s: template '%s': out of memory", d->path, name);
	ldap_msgfree(res);
	dir_conn_free(c);
	free(config_dn);
	free(base);
	free(filter);
	free(esc);
	return r;
}
