# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# A real slapd for the integration tests: sourced after lib.sh, never run.
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/lib_slapd.sh"
#   slapd_start [NAME]      # NAME defaults to "slapd"
#
# The first slapd_start of a NAME makes $T/NAME: a slapd.conf from
# tests/fixtures/slapd (schema ad.schema, data data.ldif loaded with slapadd),
# a free port on 127.0.0.1, and a random bind password in $T/NAME/bindpw
# (mode 0600). Later calls with the same NAME start it again on the same
# port with the same data (a restart). With SLAPD_TLS=yes at the first call,
# it also gets a test CA and a server certificate for 127.0.0.1 and listens
# on ldaps:// too (StartTLS works on ldap://).
#
# After slapd_start: SLAPD_PID, SLAPD_URI (ldap://127.0.0.1:PORT/),
# SLAPD_PORT, SLAPD_DIR, SLAPD_LOG (this run's log, with -d stats: one
# "ACCEPT" line per connection, "BIND"/"RESULT" per operation), and always
# SLAPD_BASE, SLAPD_BIND_DN, SLAPD_PW_FILE; with TLS also SLAPD_LDAPS_URI,
# SLAPD_LDAPS_PORT and SLAPD_CA_FILE. slapd_stop [NAME] stops it by pid
# (lib.sh stops every server on exit anyway).
SLAPD_BIN=${SLAPD_BIN:-/usr/sbin/slapd}
SLAPADD_BIN=${SLAPADD_BIN:-/usr/sbin/slapadd}
SLAPD_SCHEMADIR=${SLAPD_SCHEMADIR:-/etc/ldap/schema}
SLAPD_FIXTURES="$TOP/tests/fixtures/slapd"
SLAPD_BASE="DC=domain1,DC=corp,DC=company,DC=com"
SLAPD_BIND_DN="CN=otpcep,CN=Users,$SLAPD_BASE"

# _slapd_tls DIR: a CA and a server certificate for 127.0.0.1 in DIR.
_slapd_tls() {
	(
		cd "$1" || exit 1
		umask 077
		certtool --generate-privkey --key-type=ecdsa --outfile ca.key
		printf 'cn = "otpcep test CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >ca.tmpl
		certtool --generate-self-signed --load-privkey ca.key \
			--template ca.tmpl --outfile ca.pem
		certtool --generate-privkey --key-type=ecdsa --outfile server.key
		printf 'cn = "127.0.0.1"\nip_address = "127.0.0.1"\ntls_www_server\nexpiration_days = 2\n' >server.tmpl
		certtool --generate-certificate --load-privkey server.key \
			--load-ca-certificate ca.pem --load-ca-privkey ca.key \
			--template server.tmpl --outfile server.pem
	) >"$1/certtool.log" 2>&1
}

# slapd_start [NAME]: starts (or restarts) slapd NAME; returns 1 if it does not
# come up. A port taken between t_free_port and slapd's bind (another test's
# client socket) is retried: with new ports on a first start, after a pause on
# a restart (which must keep its port).
slapd_start() {
	_try=0
	while :; do
		_slapd_start_once "${1:-slapd}" && return 0
		grep -q "Address already in use" "$SLAPD_LOG" 2>/dev/null || return 1
		_try=$((_try + 1))
		[ $_try -lt 5 ] || return 1
		echo "slapd ${1:-slapd}: port taken, trying again"
		if [ "$(cat "$T/${1:-slapd}/runs")" -eq 1 ]; then
			t_free_port >"$T/${1:-slapd}/port"
			[ -f "$T/${1:-slapd}/ldaps_port" ] &&
				_slapd_other_port "$T/${1:-slapd}"
		fi
		echo $(($(cat "$T/${1:-slapd}/runs") - 1)) >"$T/${1:-slapd}/runs"
		sleep 0.5
	done
}

# _slapd_other_port DIR: an ldaps port different from DIR's ldap port.
_slapd_other_port() {
	while :; do
		t_free_port >"$1/ldaps_port"
		[ "$(cat "$1/ldaps_port")" != "$(cat "$1/port")" ] && return
	done
}

_slapd_start_once() {
	_n=${1:-slapd}
	_d="$T/$_n"
	if [ ! -d "$_d" ]; then
		mkdir -p "$_d/db" || return 1
		t_free_port >"$_d/port"
		(umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$_d/bindpw")
		_tls=""
		if [ "${SLAPD_TLS:-no}" = yes ]; then
			_slapd_tls "$_d" || { cat "$_d/certtool.log"; return 1; }
			_slapd_other_port "$_d"
			_tls="TLSCACertificateFile $_d/ca.pem\\
TLSCertificateFile $_d/server.pem\\
TLSCertificateKeyFile $_d/server.key"
		fi
		(umask 077; sed -e "s|@SCHEMADIR@|$SLAPD_SCHEMADIR|" \
			-e "s|@FIXTURES@|$SLAPD_FIXTURES|" -e "s|@DIR@|$_d|g" \
			-e "s|@BINDPW@|$(cat "$_d/bindpw")|" -e "s|@TLS@|$_tls|" \
			"$SLAPD_FIXTURES/slapd.conf.in" >"$_d/slapd.conf")
		if ! "$SLAPADD_BIN" -q -f "$_d/slapd.conf" \
			-l "$SLAPD_FIXTURES/data.ldif" >"$_d/slapadd.log" 2>&1; then
			echo "slapadd failed:"
			cat "$_d/slapadd.log"
			return 1
		fi
		echo 0 >"$_d/runs"
	fi
	_runs=$(($(cat "$_d/runs") + 1))
	echo "$_runs" >"$_d/runs"
	SLAPD_DIR=$_d
	SLAPD_PORT=$(cat "$_d/port")
	SLAPD_URI="ldap://127.0.0.1:$SLAPD_PORT/"
	SLAPD_PW_FILE="$_d/bindpw"
	SLAPD_LOG="$_d/slapd.$_runs.log"
	_urls=$SLAPD_URI
	if [ -f "$_d/ldaps_port" ]; then
		SLAPD_LDAPS_PORT=$(cat "$_d/ldaps_port")
		SLAPD_LDAPS_URI="ldaps://127.0.0.1:$SLAPD_LDAPS_PORT/"
		SLAPD_CA_FILE="$_d/ca.pem"
		_urls="$_urls $SLAPD_LDAPS_URI"
	fi
	# -d keeps slapd in the foreground (so the pid is slapd's) and logs
	# connections and operations to its stderr.
	t_start "slapd $_n" "$SLAPD_LOG" "$SLAPD_BIN" -f "$_d/slapd.conf" \
		-h "$_urls" -d stats
	SLAPD_PID=$T_LAST_PID
	echo "$SLAPD_PID" >"$_d/pid"
	_i=0
	while [ $_i -lt 100 ]; do
		if ! kill -0 "$SLAPD_PID" 2>/dev/null; then
			echo "slapd $_n exited:"
			tail -20 "$SLAPD_LOG"
			return 1
		fi
		if [ -n "$(ss -Htln "sport = :$SLAPD_PORT" 2>/dev/null)" ] &&
			grep -q "slapd starting" "$SLAPD_LOG"; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "slapd $_n did not start in 10 s:"
	tail -20 "$SLAPD_LOG"
	return 1
}

# slapd_stop [NAME]: stops slapd NAME (default: "slapd") by its pid.
slapd_stop() {
	_d="$T/${1:-slapd}"
	[ -f "$_d/pid" ] || return 0
	_p=$(cat "$_d/pid")
	kill -CONT "$_p" 2>/dev/null	# in case a test stopped it with SIGSTOP
	t_stop "$_p"
	rm -f "$_d/pid"
}
