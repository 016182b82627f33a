/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * otpcep --probe: checks each part a request depends on, the way a request
 * would use it, and prints one line each: the signing certificate (valid
 * now, days left), the directory (connect and bind), every RADIUS server
 * (asked with probe_user; any authenticated answer, even Access-Reject,
 * proves it is alive and shares our secret). A part that is not configured
 * counts as down: every request would fail there with OtherError.
 */
#include <stdio.h>
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

static void
probe_line(const char *part, bool up, const char *detail)
{
	printf("%-28s %-5s %s\n", part, up ? "up" : "DOWN", detail);
}

static bool
probe_signer(struct server *srv)
{
	struct signer_cert *c = NULL;
	char detail[256];
	double days;

	if (srv->cfg->signing_cert == NULL) {
		probe_line("signing certificate", false,
		    "not configured (signing_cert, signing_key)");
		return false;
	}
	if (signer_acquire(srv->signer, &c) != SIGNER_OK) {
		probe_line("signing certificate", false,
		    "not valid now: see the log line above");
		return false;
	}
	days = difftime(signer_not_after(c), time(NULL)) / 86400.0;
	snprintf(detail, sizeof(detail), "serial %s, %.1f days left%s",
	    signer_serial(c), days, days * 24 < srv->cfg->signing_warn_hours ?
	    " (renewal due)" : "");
	signer_release(srv->signer, c);
	probe_line("signing certificate", true, detail);
	return true;
}

/*
 * The signing certificate's renewal by otpcep-enroll (docs/adcs.md): due,
 * overdue, and the last attempt's error from the state file. Down when the
 * certificate is overdue or expired; renewal by hand (no enroll_ca) is not
 * a fault.
 */
static bool
probe_renewal(struct server *srv)
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
		probe_line("renewal", true, "not configured (enroll_ca): renewed by hand");
		return true;
	}
	if (renewal_cert_phase(cfg->signing_cert, now, &ph, &nb, &na, &due) != 0) {
		probe_line("renewal", false, "the signing certificate cannot be read");
		return false;
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
	probe_line("renewal", ph == RENEWAL_NOT_DUE || ph == RENEWAL_DUE, detail);
	return ph == RENEWAL_NOT_DUE || ph == RENEWAL_DUE;
}

static bool
probe_dir(struct server *srv)
{
	struct dir_conn *c = dir_conn_new(srv->dir);
	struct audit a;
	const char *uri = NULL;
	char detail[AUDIT_REASON_MAX + 32];
	enum dir_result r;

	if (c == NULL) {
		probe_line("directory", false, "out of memory");
		return false;
	}
	memset(&a, 0, sizeof(a));
	r = dir_probe(c, &uri, &a);
	if (r == DIR_FOUND)
		snprintf(detail, sizeof(detail), "bound to %s", uri);
	else
		snprintf(detail, sizeof(detail), "%s", a.reason);
	probe_line("directory", r == DIR_FOUND, detail);
	dir_conn_free(c);
	return r == DIR_FOUND;
}

static const char *
probe_radius_answer(enum radius_result r)
{
	switch (r) {
	case RADIUS_ACCEPT: return "alive (Access-Accept)";
	case RADIUS_REJECT: return "alive (Access-Reject)";
	case RADIUS_CHALLENGE: return "alive (Access-Challenge)";
	case RADIUS_UNREACHABLE: return "no valid answer (down, wrong secret, or no Message-Authenticator)";
	default: return radius_strerror(r);
	}
}

static bool
probe_radius(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	struct secret pw = { 0 };
	enum secret_result sr;
	enum radius_result r;
	char part[64];
	bool all_up = true;
	size_t i, n = radius_server_count(srv->radius);

	if (n == 0) {
		probe_line("radius", false, "not configured (radius_server, radius_secret_file)");
		return false;
	}
	if (cfg->probe_user == NULL) {
		probe_line("radius", false, "probe_user and probe_password_file are not set");
		return false;
	}
	if ((sr = secret_read_file(cfg->probe_password_file, &pw)) != SECRET_OK) {
		probe_line("radius", false, secret_strerror(sr));
		return false;
	}
	for (i = 0; i < n; i++) {
		r = radius_probe(srv->radius, i, cfg->probe_user, pw.data, pw.len);
		snprintf(part, sizeof(part), "radius %s", radius_server_name(srv->radius, i));
		all_up &= r == RADIUS_ACCEPT || r == RADIUS_REJECT ||
		    r == RADIUS_CHALLENGE;
		probe_line(part, r == RADIUS_ACCEPT || r == RADIUS_REJECT ||
		    r == RADIUS_CHALLENGE, probe_radius_answer(r));
	}
	secret_free(&pw);
	return all_up;
}

int
probe_run(struct server *srv)
{
	bool up = true;

	probe_line("configuration", true, srv->cfg->path);
	up &= probe_signer(srv);
	up &= probe_renewal(srv);
	up &= probe_dir(srv);
	up &= probe_radius(srv);
	fflush(stdout);
	return up ? 0 : 1;
}
