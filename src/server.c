/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* Start-up of the long-lived parts, and each worker's own parts. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "csr.h"
#include "dir.h"
#include "log.h"
#include "radius.h"
#include "sandbox.h"
#include "server.h"
#include "signer.h"
#include "signer_proc.h"

/*
 * Step 1's template: an OID as written; a name resolved to its OID (and
 * cn) from the directory, as a CA finds it (src/dir_template.c). Without a
 * directory only a request naming the template by name can match. Returns
 * 0, or -1 after logging what was searched.
 */
static int
server_template(struct server *srv, const struct config *cfg)
{
	if (cfg->template == NULL || csr_is_oid(cfg->template)) {
		srv->tmpl.oid = cfg->template;
		return 0;
	}
	srv->tmpl.name = cfg->template;
	switch (dir_template_resolve(srv->dir, cfg->template, &srv->tmpl_oid,
	    &srv->tmpl_cn)) {
	case DIR_FOUND:
		if (!csr_is_oid(srv->tmpl_oid)) {
			log_err("%s: template '%s': its msPKI-Cert-Template-OID "
			    "is not an OID", cfg->path, cfg->template);
			return -1;
		}
		srv->tmpl.oid = srv->tmpl_oid;
		srv->tmpl.name = srv->tmpl_cn;
		log_info("step 1: template '%s' is %s (cn %s, from the directory)",
		    cfg->template, srv->tmpl_oid, srv->tmpl_cn);
		return 0;
	case DIR_NOT_CONFIGURED:
		return 0;
	default:
		return -1;
	}
}

int
server_init(struct server *srv, const struct config *cfg, bool signer_process)
{
	int link_fd = -1;

	memset(srv, 0, sizeof(*srv));
	srv->cfg = cfg;
	/*
	 * Issue 11: the signer process is forked first, before any secret is
	 * read here, so that it holds none of ours and we none of its.
	 */
	if (signer_process && cfg->signing_cert != NULL &&
	    cfg->signing_key != NULL && (link_fd = signer_proc_start(cfg)) < 0)
		return -1;
	if ((srv->dir = dir_new(cfg)) == NULL ||
	    server_template(srv, cfg) < 0 ||
	    (srv->radius = radius_new(cfg)) == NULL) {
		if (link_fd >= 0)
			close(link_fd);	/* the signer reads end-of-file and exits */
		goto fail;
	}
	/* signer_new_remote() takes link_fd over. */
	srv->signer = link_fd >= 0 ? signer_new_remote(cfg, link_fd) :
	    signer_new(cfg);
	if (srv->signer == NULL)
		goto fail;
	return 0;
fail:
	server_free(srv);
	return -1;
}

int
server_lockdown(const struct server *srv)
{
	if (sandbox_drop_privileges(srv->cfg) != 0 ||
	    sandbox_enter(SANDBOX_SERVE) != 0) {
		log_err("not serving without the sandbox (docs/design.md, "
		    "\"The sandbox\")");
		return -1;
	}
	return 0;
}

void
server_free(struct server *srv)
{
	signer_free(srv->signer);
	radius_free(srv->radius);
	dir_free(srv->dir);
	free(srv->tmpl_oid);
	free(srv->tmpl_cn);
	memset(srv, 0, sizeof(*srv));
}

unsigned
server_check(const struct config *cfg)
{
	unsigned failed = 0;
	struct dir *d;
	struct radius *r;
	struct signer *s;

	if ((d = dir_new(cfg)) == NULL) {
		log_err("%s:%u: the directory cannot be used (see above)", cfg->path,
		    config_line(cfg, "ldap_uri"));
		failed++;
	} else {
		/* A template name: resolved here too, and what it is printed. */
		struct server tmp;

		memset(&tmp, 0, sizeof(tmp));
		tmp.dir = d;
		if (server_template(&tmp, cfg) < 0) {
			log_err("%s:%u: template '%s' cannot be resolved (see above)",
			    cfg->path, config_line(cfg, "template"), cfg->template);
			failed++;
		} else if (tmp.tmpl_oid != NULL) {
			printf("%s: template '%s' resolved to %s (cn %s)\n",
			    cfg->path, cfg->template, tmp.tmpl_oid, tmp.tmpl_cn);
		}
		free(tmp.tmpl_oid);
		free(tmp.tmpl_cn);
	}
	dir_free(d);
	if ((r = radius_new(cfg)) == NULL) {
		log_err("%s:%u: RADIUS cannot be used (see above)", cfg->path,
		    config_line(cfg, "radius_server"));
		failed++;
	}
	radius_free(r);
	if ((s = signer_new(cfg)) == NULL) {
		log_err("%s:%u: signing_key: the signing certificate and key cannot "
		    "be used (see above)", cfg->path, config_line(cfg, "signing_key"));
		failed++;
	}
	signer_free(s);
	return failed;
}

int
worker_init(struct worker *w, const struct server *srv, unsigned index)
{
	memset(w, 0, sizeof(*w));
	w->srv = srv;
	w->index = index;
	return 0;
}

void
worker_free(struct worker *w)
{
	memset(w, 0, sizeof(*w));
}

void
server_health_refresh(void *ctx, bool radius, bool ldap)
{
	const struct server *srv = ctx;
	size_t i, n;

	if (radius && srv->cfg->radius_status_server) {
		n = radius_server_count(srv->radius);
		for (i = 0; i < n; i++)
			if (radius_status_server(srv->radius, i) == RADIUS_ACCEPT)
				break;
	}
	if (ldap) {
		n = dir_uri_count(srv->dir);
		for (i = 0; i < n; i++) {
			struct audit a;

			memset(&a, 0, sizeof(a));
			if (dir_probe_uri(srv->dir, i, &a) == DIR_FOUND)
				break;
		}
	}
}
