/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * What the responder holds for its whole life (struct server, read-only
 * after start-up but for the signer's own reload, the directory's pool of
 * connections and the peers' dead-or-alive state) and what each worker owns.
 */
#ifndef OTPCEP_SERVER_H
#define OTPCEP_SERVER_H

#include <stdbool.h>

#include "csr.h"

struct config;

struct server {
	const struct config *cfg;
	struct dir *dir;
	struct radius *radius;
	struct signer *signer;
	struct csr_template tmpl;	/* `template`, resolved at start-up */
	char *tmpl_oid, *tmpl_cn;	/* owned: what the directory said */
};

struct worker {
	const struct server *srv;
	unsigned index;
};

/*
 * Start-up: loads secrets and the signing certificate. With signer_process
 * (the serving modes), the key is loaded by a signer process forked first
 * (src/signer_proc.c) and this process gets only the certificates; without
 * it (--check-config, --probe: no request is parsed), here. Returns 0, or
 * -1 after logging what is wrong.
 */
int server_init(struct server *srv, const struct config *cfg,
    bool signer_process);
/*
 * After the listening socket is open and before the first request: the
 * service user, PR_SET_NO_NEW_PRIVS and the serving seccomp filter
 * (src/sandbox.c). Returns 0, or -1 after logging: then do not serve.
 */
int server_lockdown(const struct server *srv);
void server_free(struct server *srv);

/*
 * --check-config: starts each part (directory, RADIUS, signing) on its own
 * and stops it again, so that one broken part does not hide another. Each
 * failure is logged, with the configuration line of the part. Returns how
 * many parts failed.
 */
unsigned server_check(const struct config *cfg);

/*
 * /health (metrics_refresh_fn, ctx a struct server): asks the parts that
 * have not answered lately. RADIUS only by RFC 5997 Status-Server, when
 * radius_status_server = yes (an Access-Request would authenticate someone);
 * the directory by a bind to each ldap_uri in turn. Stops at the first of
 * each that answers.
 */
void server_health_refresh(void *ctx, bool radius, bool ldap);

int worker_init(struct worker *w, const struct server *srv, unsigned index);
void worker_free(struct worker *w);

#endif
