# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Shared by the integration tests: sourced, never run. Each test script
#   . "$(dirname "$0")/lib.sh"
# gets $TOP, $OTPCEP (the responder), $T (its own temporary folder, removed
# on exit), t_pass/t_fail/t_check to report, t_free_port, and t_start/t_stop
# to run a server in the background and stop it by pid (all stopped on exit).
set -u
TOP=${OTPCEP_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
OTPCEP="$TOP/cgi-bin/otpcep"
T=$(mktemp -d "${TMPDIR:-/tmp}/otpcep-test.XXXXXX")
chmod 700 "$T"
T_PIDS=""
T_FAILED=0

t_cleanup() {
	for p in $T_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $T_PIDS; do
		# Give each a moment, then insist.
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

t_pass() { echo "PASS: $*"; }
t_fail() { echo "FAIL: $*"; T_FAILED=1; }

# t_check NAME COMMAND...: PASS when COMMAND succeeds, else FAIL.
t_check() {
	name=$1
	shift
	if "$@"; then t_pass "$name"; else t_fail "$name"; fi
}

# An unprivileged TCP and UDP port on 127.0.0.1 that nothing listens on now.
# Below the kernel's ephemeral range (ip_local_port_range), so that no
# outgoing connection of another test can hold it when a server binds it.
t_free_port() {
	lo=10000
	hi=$(awk '{ print $1 - 1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32767)
	[ "$hi" -gt "$lo" ] 2>/dev/null || hi=32767
	while :; do
		p=$(( (($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (hi - lo))) + lo ))
		if [ -z "$(ss -Htuln "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return
		fi
	done
}

# t_start NAME LOGFILE COMMAND...: runs COMMAND in the background; the pid
# is in $T_LAST_PID and the server is stopped on exit.
t_start() {
	name=$1
	logf=$2
	shift 2
	"$@" >"$logf" 2>&1 &
	T_LAST_PID=$!
	T_PIDS="$T_PIDS $T_LAST_PID"
	echo "started $name (pid $T_LAST_PID)"
}

# t_stop PID: stops one server now.
t_stop() {
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# t_wait_port PORT [SECONDS] [tcp|udp]: waits until something listens.
t_wait_port() {
	i=0
	flag=-Htln
	[ "${3:-tcp}" = udp ] && flag=-Huln
	while [ $i -lt $((${2:-10} * 10)) ]; do
		[ -n "$(ss $flag "sport = :$1" 2>/dev/null)" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Call last: the script's exit status.
t_done() { exit $T_FAILED; }

# --- HTTP responses -------------------------------------------------------
# A response file holds the head (CGI "Status:" or an HTTP status line),
# CRLF line ends, an empty line and the body.

# t_http_status FILE: the status code of a stored response.
t_http_status() {
	head -n 1 "$1" | sed -n 's/^Status: \([0-9]*\).*/\1/p; s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p'
}

# t_http_header FILE NAME: the value of one header (case-insensitive name).
t_http_header() {
	sed -n '/^\r\{0,1\}$/q; p' "$1" | tr -d '\r' |
		awk -v n="$2" 'BEGIN { n = tolower(n) } { i = index($0, ":"); if (tolower(substr($0, 1, i - 1)) == n) { v = substr($0, i + 1); sub(/^[ \t]*/, "", v); print v } }'
}

# t_http_body FILE OUT: writes the body of a stored response to OUT.
t_http_body() {
	awk 'body { print; next } /^\r?$/ { body = 1 }' "$1" >"$2"
}

# t_check_response NAME FILE STATUS [PROTOCOL-STATUS]: the HTTP status, both
# mandatory headers (MS-OTPCE 1.7, 2.2), and for 200 a schema-valid
# signCertResponse (section 6) with the given statusCode.
t_check_response() {
	name=$1 file=$2 want=$3 proto=${4:-}
	got=$(t_http_status "$file")
	if [ "$got" != "$want" ]; then
		t_fail "$name: HTTP $got, expected $want"
		sed -n 1,20p "$file"
		return
	fi
	if [ "$(t_http_header "$file" X-OTPCEP-version)" != "1.0" ]; then
		t_fail "$name: no X-OTPCEP-version: 1.0"
		return
	fi
	if [ "$(t_http_header "$file" Content-Type)" != "application/xml;charset=utf-8" ]; then
		t_fail "$name: Content-Type is '$(t_http_header "$file" Content-Type)'"
		return
	fi
	if [ "$want" = 200 ]; then
		t_http_body "$file" "$file.body"
		if ! xmllint --noout --schema "$TOP/schema/otpcep.xsd" "$file.body" 2>"$file.xsd"; then
			t_fail "$name: body is not schema-valid: $(cat "$file.xsd")"
			return
		fi
		if [ -n "$proto" ] && ! grep -q "statusCode=\"$proto\"" "$file.body"; then
			t_fail "$name: statusCode is not $proto: $(cat "$file.body")"
			return
		fi
	fi
	t_pass "$name"
}
