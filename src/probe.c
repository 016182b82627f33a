/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep --probe: a monitoring plugin (Nagios plugin guidelines: exit 0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN; a summary line first, then one line per
 * part). It checks each part a request depends on, the way a request would
 * use it: the signing certificate (valid now, and beyond signing_warn_hours:
 * else WARNING), its renewal by otpcep-enroll (docs/adcs.md), every ldap_uri
 * (connect and bind), every RADIUS server. A
 * part that is not configured is CRITICAL: every request would fail there
 * with OtherError. One of several directory URIs or RADIUS servers down is a
 * WARNING (the others still serve); all of them down is CRITICAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "dir.h"
#include "probe.h"
#include "radius.h"
#include "renewal.h"
#include "secret.h"
#include "server.h"
#include "signer.h"

enum probe_state { PROBE_OK = 0, PROBE_WARNING = 1, PROBE_CRITICAL = 2 };

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL" };

/* Part lines are kept until the summary line is printed. */
struct probe_out {
	FILE *lines;
	char *text;
	size_t len;
	enum probe_state worst;
	char worst_part[700];
};

static void
probe_line(struct probe_out *o, const char *part, enum probe_state st,
    const char *detail)
{
	fprintf(o->lines, "%-28s %-8s %s\n", part, state_names[st], detail);
	/* The summary names the first part in the worst state. */
	if (st > o->worst) {
		snprintf(o->worst_part, sizeof(o->worst_part), "%s: %s", part,
		    detail);
		o->worst = st;
	}
}

/* Several servers of one kind: all down is CRITICAL, some down WARNING. */
static enum probe_state
probe_group(size_t up, size_t n)
{
	return up == n ? PROBE_OK : up == 0 ? PROBE_CRITICAL : PROBE_WARNING;
}

static void
probe_signer(struct probe_out *o, struct server *srv)
{
	struct signer_cert *c = NULL;
	char detail[256];
	double hours;

	if (srv->cfg->signing_cert == NULL) {
		probe_line(o, "signing certificate", PROBE_CRITICAL,
		    "not configured (signing_cert, signing_key)");
		return;
	}
	if (signer_acquire(srv->signer, &c) != SIGNER_OK) {
		probe_line(o, "signing certificate", PROBE_CRITICAL,
		    "not valid now: see the log line above");
		return;
	}
	hours = difftime(signer_not_after(c), time(NULL)) / 3600.0;
	snprintf(detail, sizeof(detail), "serial %s, %.1f days left%s",
	    signer_serial(c), hours / 24.0, hours < srv->cfg->signing_warn_hours ?
	    " (within signing_warn_hours: renew it)" : "");
	signer_release(srv->signer, c);
	probe_line(o, "signing certificate", hours < srv->cfg->signing_warn_hours ?
	    PROBE_WARNING : PROBE_OK, detail);
}

/*
 * The signing certificate's renewal by otpcep-enroll (docs/adcs.md): due,
 * overdue, and the last attempt's error from the state file. WARNING when it
 * is due and the last attempt failed, CRITICAL when the certificate is
 * overdue or expired; renewal by hand (no enroll_ca) is not a fault.
 */
static void
probe_renewal(struct probe_out *o, struct server *srv)
{
	const struct config *cfg = srv->cfg;
	const char *state_path = cfg->enroll_state_file ? cfg->enroll_state_file :
	    RENEWAL_STATE_DEFAULT;
	struct renewal_state st;
	enum renewal_phase ph;
	time_t nb, na, due, now = time(NULL);
	char detail[RENEWAL_ERROR_MAX + 160], when[32];
	struct tm tm;
	int sr;

	if (cfg->enroll_ca == NULL || cfg->signing_cert == NULL) {
		probe_line(o, "renewal", PROBE_OK,
		    "not configured (enroll_ca): renewed by hand");
		return;
	}
	if (renewal_cert_phase(cfg->signing_cert, now, &ph, &nb, &na, &due) != 0) {
		probe_line(o, "renewal", PROBE_CRITICAL,
		    "the signing certificate cannot be read");
		return;
	}
	sr = renewal_state_read(state_path, &st);
	gmtime_r(&due, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(detail, sizeof(detail), "%s (renewal time %s); %s%s%s",
	    renewal_phase_name(ph), when,
	    sr == 1 ? "otpcep-enroll never ran" : sr < 0 ?
	    "state file unreadable" : st.last_error[0] ? "last error: " :
	    "last attempt succeeded", sr == 0 ? st.last_error : "",
	    sr == 0 && st.pending_id ? ", a request is pending at the CA" : "");
	/* Due and failing is a warning; overdue or expired is critical. */
	probe_line(o, "renewal", ph == RENEWAL_NOT_DUE ? PROBE_OK :
	    ph == RENEWAL_DUE ? (sr == 0 && st.last_error[0] ? PROBE_WARNING :
	    PROBE_OK) : PROBE_CRITICAL, detail);
}

static void
probe_dir(struct probe_out *o, struct server *srv)
{
	const struct config *cfg = srv->cfg;
	size_t i, up = 0, n = dir_uri_count(srv->dir);
	char part[300], detail[AUDIT_REASON_MAX + 64];

	if (n == 0) {
		probe_line(o, "directory", PROBE_CRITICAL,
		    "not configured (ldap_uri, domain)");
		return;
	}
	for (i = 0; i < n; i++) {
		struct audit a;
		enum dir_result r;

		memset(&a, 0, sizeof(a));
		r = dir_probe_uri(srv->dir, i, &a);
		snprintf(part, sizeof(part), "directory %s", cfg->ldap_uri.items[i]);
		if (r == DIR_FOUND) {
			up++;
			snprintf(detail, sizeof(detail), "%s",
			    cfg->ldap_bind_dn ? "bound" : "connected (anonymous)");
		} else {
			snprintf(detail, sizeof(detail), "%s", a.reason);
		}
		fprintf(o->lines, "%-28s %-8s %s\n", part, r == DIR_FOUND ? "OK" :
		    "CRITICAL", detail);
	}
	snprintf(detail, sizeof(detail), "%zu of %zu ldap_uri answered", up, n);
	probe_line(o, "directory", probe_group(up, n), detail);
}

static const char *
probe_radius_answer(enum radius_result r, bool status_server)
{
	switch (r) {
	case RADIUS_ACCEPT:
		return status_server ? "alive (answered Status-Server)" :
		    "alive (Access-Accept)";
	case RADIUS_REJECT: return "alive (Access-Reject)";
	case RADIUS_CHALLENGE: return "alive (Access-Challenge)";
	case RADIUS_UNSIGNED:
		return "unsigned: it answered without Message-Authenticator, so "
		    "every request to it fails (sign replies there, or set "
		    "message_authenticator=optional on its radius_server line)";
	case RADIUS_UNREACHABLE:
		return status_server ? "no valid answer to Status-Server (down, "
		    "wrong secret, or status_server not enabled there)" :
		    "no valid answer (down, wrong secret, or no Message-Authenticator)";
	default: return radius_strerror(r);
	}
}

/*
 * Every RADIUS server on its own: with radius_status_server = yes an RFC 5997
 * Status-Server (no user is authenticated, nothing can lock an account),
 * else an Access-Request for probe_user, whose Access-Reject proves life too.
 */
static void
probe_radius(struct probe_out *o, struct server *srv)
{
	const struct config *cfg = srv->cfg;
	bool status_server = cfg->radius_status_server;
	struct secret pw = { 0 };
	enum secret_result sr;
	enum radius_result r;
	char part[300], detail[96];
	size_t i, up = 0, n = radius_server_count(srv->radius);

	if (n == 0) {
		probe_line(o, "radius", PROBE_CRITICAL,
		    "not configured (radius_server, radius_secret_file)");
		return;
	}
	if (!status_server && cfg->probe_user == NULL) {
		probe_line(o, "radius", PROBE_CRITICAL, "neither radius_status_server "
		    "= yes nor probe_user and probe_password_file are set");
		return;
	}
	if (!status_server &&
	    (sr = secret_read_file(cfg->probe_password_file, &pw)) != SECRET_OK) {
		probe_line(o, "radius", PROBE_CRITICAL, secret_strerror(sr));
		return;
	}
	for (i = 0; i < n; i++) {
		bool alive;

		r = status_server ? radius_status_server(srv->radius, i) :
		    radius_probe(srv->radius, i, cfg->probe_user, pw.data, pw.len);
		alive = r == RADIUS_ACCEPT || r == RADIUS_REJECT ||
		    r == RADIUS_CHALLENGE;
		up += alive;
		snprintf(part, sizeof(part), "radius %s",
		    radius_server_name(srv->radius, i));
		fprintf(o->lines, "%-28s %-8s %s\n", part, alive ? "OK" : "CRITICAL",
		    probe_radius_answer(r, status_server));
	}
	secret_free(&pw);
	snprintf(detail, sizeof(detail), "%zu of %zu servers answered%s", up, n,
	    status_server ? " Status-Server" : "");
	probe_line(o, "radius", probe_group(up, n), detail);
}

int
probe_run(struct server *srv)
{
	struct probe_out o;

	memset(&o, 0, sizeof(o));
	if ((o.lines = open_memstream(&o.text, &o.len)) == NULL) {
		printf("OTPCEP UNKNOWN - out of memory\n");
		return 3;
	}
	probe_signer(&o, srv);
	probe_renewal(&o, srv);
	probe_dir(&o, srv);
	probe_radius(&o, srv);
	fclose(o.lines);
	if (o.worst == PROBE_OK)
		printf("OTPCEP OK - signing, directory and RADIUS answer (%s)\n",
		    srv->cfg->path);
	else
		printf("OTPCEP %s - %s\n", state_names[o.worst], o.worst_part);
	fputs(o.text ? o.text : "", stdout);
	free(o.text);
	fflush(stdout);
	return (int)o.worst;
}
