# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The FastCGI front behind a real lighttpd: a responder with `listen`, one
# that lighttpd spawns itself (socket on fd 0), one under spawn-fcgi; many
# requests at once, a client that goes away, SIGHUP and SIGTERM.
. "$(dirname "$0")/lib.sh"
SPEC="$TOP/tests/data/spec"
command -v lighttpd >/dev/null || { t_fail "lighttpd is not installed"; t_done; }

conf() { # FILE [extra lines]
	cat >"$1" <<CONF
template = OTPLogon
ca = ca1.example.com\\Issuing CA 1
log = stderr
require_https = no
# lighttpd without TLS here: no client certificate to verify
require_client_cert = no
workers = 4
CONF
	shift
	for l in "$@"; do echo "$l" >>"$1" 2>/dev/null || true; done
}

# lighttpd on a free port routing /otpcep to a FastCGI backend.
lighttpd_start() { # NAME BACKEND-LINES
	port=$(t_free_port)
	mkdir -p "$T/$1/www"
	cat >"$T/$1/lighttpd.conf" <<CONF
server.modules = ("mod_fastcgi")
server.bind = "127.0.0.1"
server.port = $port
server.document-root = "$T/$1/www"
server.errorlog = "$T/$1/error.log"
fastcgi.server = ("/otpcep" => (( $2, "check-local" => "disable" )))
CONF
	t_start "lighttpd $1" "$T/$1/lighttpd.out" lighttpd -D -f "$T/$1/lighttpd.conf"
	LIGHTTPD_PID=$T_LAST_PID
	t_wait_port "$port" 30 || t_fail "lighttpd $1 did not start: $(cat "$T/$1/lighttpd.out" "$T/$1/error.log" 2>/dev/null)"
	URL="http://127.0.0.1:$port/otpcep"
}

post() { # OUT [curl args]: POSTs example 4.4
	out=$1
	shift
	curl -s -i -o "$out" -H 'Content-Type: application/xml' \
		-H 'X-OTPCEP-version: 1.0' --data-binary "@$SPEC/4.4-invalid-request.xml" \
		"$@" "$URL"
}

# serving LOG PID: waits (30 s, for a loaded machine) until the responder
# says it serves; its socket is listening by then (front_fcgi.c), whereas a
# Unix socket file exists from bind(), before listen(): a connection in
# between is refused and lighttpd answers 503.
serving() {
	i=0
	while ! grep -q 'serving FastCGI with' "$1" && kill -0 "$2" 2>/dev/null &&
	    [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q 'serving FastCGI with' "$1"
}

# 1. The responder listens on a Unix socket of its own (`listen`).
conf "$T/a.conf"
echo "listen = unix:$T/a.sock" >>"$T/a.conf"
t_start "otpcep (listen)" "$T/a.log" "$OTPCEP" -c "$T/a.conf"
A_PID=$T_LAST_PID
serving "$T/a.log" "$A_PID" || t_fail "otpcep (listen) did not start: $(tail -n 3 "$T/a.log")"
t_check "listen = unix: creates the socket" test -S "$T/a.sock"
lighttpd_start a "\"socket\" => \"$T/a.sock\""
post "$T/a1.out"
t_check_response "lighttpd + listen: 4.4 gets 200 OtherError" "$T/a1.out" 200 OtherError
curl -s -i -o "$T/a2.out" "$URL"
t_check_response "lighttpd + listen: GET gets 405" "$T/a2.out" 405
curl -s -i -o "$T/a3.out" -H 'Content-Type: application/xml' \
	--data-binary "@$SPEC/4.4-invalid-request.xml" "$URL"
t_check_response "lighttpd + listen: no version header gets 400" "$T/a3.out" 400
head -c 1048576 /dev/zero | tr '\0' a >"$T/big"
curl -s -i -o "$T/a4.out" -H 'Content-Type: application/xml' -H 'X-OTPCEP-version: 1.0' \
	--data-binary "@$T/big" "$URL"
t_check_response "lighttpd + listen: 1 MiB gets 413" "$T/a4.out" 413

# Twenty requests at once on four workers: every one answered.
pids=""
for i in $(seq 1 20); do post "$T/par$i.out" & pids="$pids $!"; done
for p in $pids; do wait "$p"; done
ok=0
for i in $(seq 1 20); do [ "$(t_http_status "$T/par$i.out")" = 200 ] && ok=$((ok + 1)); done
t_check "20 concurrent requests all get 200 ($ok)" test $ok -eq 20

# Clients that go away before the answer: the workers live on.
for i in $(seq 1 8); do
	{ printf 'POST /otpcep HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nX-OTPCEP-version: 1.0\r\nContent-Length: %s\r\n\r\n' \
		"$(stat -c %s "$SPEC/4.4-invalid-request.xml")"; cat "$SPEC/4.4-invalid-request.xml"; } |
		timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/${URL#http://127.0.0.1:}; cat >&3; exec 3>&-" 2>/dev/null
done
sleep 0.5
t_check "the responder survives clients that go away" kill -0 "$A_PID"
post "$T/a5.out"
t_check_response "and answers the next request" "$T/a5.out" 200 OtherError

# SIGHUP reloads, it does not stop; SIGTERM stops by pid, cleanly.
kill -HUP "$A_PID"; sleep 0.3
t_check "SIGHUP does not stop the responder" kill -0 "$A_PID"
t_check "SIGHUP is logged" grep -q SIGHUP "$T/a.log"
kill -TERM "$A_PID"
i=0; while kill -0 "$A_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
t_check "SIGTERM stops the responder within 5 s" sh -c "! kill -0 $A_PID 2>/dev/null"
wait "$A_PID"
t_check "SIGTERM exit status is 0" test $? -eq 0
t_check "the socket is removed on exit" test ! -e "$T/a.sock"
t_stop "$LIGHTTPD_PID"

# 2. lighttpd spawns the responder itself: the socket arrives on fd 0.
conf "$T/b.conf"
lighttpd_start b "\"socket\" => \"$T/b.sock\", \"bin-path\" => \"$OTPCEP\", \"max-procs\" => 1, \"bin-environment\" => (\"OTPCEP_CONFIG\" => \"$T/b.conf\")"
sleep 0.5
post "$T/b1.out"
t_check_response "lighttpd-spawned responder: 4.4 gets 200 OtherError" "$T/b1.out" 200 OtherError
t_stop "$LIGHTTPD_PID"

# 3. spawn-fcgi (no fork: the pid is the responder's), and a TCP listener.
if command -v spawn-fcgi >/dev/null; then
	conf "$T/c.conf"
	t_start "spawn-fcgi" "$T/c.log" env OTPCEP_CONFIG="$T/c.conf" \
		spawn-fcgi -n -s "$T/c.sock" -- "$OTPCEP"
	i=0; while [ ! -S "$T/c.sock" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	lighttpd_start c "\"socket\" => \"$T/c.sock\""
	post "$T/c1.out"
	t_check_response "spawn-fcgi: 4.4 gets 200 OtherError" "$T/c1.out" 200 OtherError
	t_stop "$LIGHTTPD_PID"
else
	t_fail "spawn-fcgi is not installed"
fi
tport=$(t_free_port)
conf "$T/d.conf"
echo "listen = 127.0.0.1:$tport" >>"$T/d.conf"
t_start "otpcep (tcp)" "$T/d.log" "$OTPCEP" -c "$T/d.conf"
serving "$T/d.log" "$T_LAST_PID" || t_fail "otpcep (tcp) did not start: $(tail -n 3 "$T/d.log")"
t_check "listen = 127.0.0.1:PORT: listens on $tport" t_wait_port "$tport" 1
lighttpd_start d "\"host\" => \"127.0.0.1\", \"port\" => $tport"
post "$T/d1.out"
t_check_response "listen = 127.0.0.1:PORT: 4.4 gets 200 OtherError" "$T/d1.out" 200 OtherError

# 4. systemd socket activation: the socket on fd 3, LISTEN_FDS=1, LISTEN_PID.
# The socket stays systemd's: after the responder stops, the next one started
# on the same socket must still get the requests.
conf "$T/f.conf"
t_start "socket activation" "$T/f.log" \
	"$TOP/build/tests/drv_sdactivate" "$T/f.sock" "$T/f.pid" 2 "$OTPCEP" -c "$T/f.conf"
F_PID=$T_LAST_PID
i=0; while { [ ! -S "$T/f.sock" ] || [ ! -s "$T/f.pid" ]; } && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
lighttpd_start f "\"socket\" => \"$T/f.sock\""
post "$T/f1.out"
t_check_response "socket activation: 4.4 gets 200 OtherError" "$T/f1.out" 200 OtherError
first=$(cat "$T/f.pid")
kill -TERM "$first"
i=0; while [ "$(cat "$T/f.pid")" = "$first" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_check "socket activation: the first responder stopped cleanly" grep -q 'run 1 ended with status 0' "$T/f.log"
post "$T/f2.out"
t_check_response "socket activation: the next responder serves the same socket" "$T/f2.out" 200 OtherError
kill -TERM "$(cat "$T/f.pid")"
t_stop "$LIGHTTPD_PID"
t_stop "$F_PID"

# Without any socket, FastCGI mode says what to do and exits non-zero.
conf "$T/e.conf"
"$OTPCEP" -c "$T/e.conf" </dev/null >/dev/null 2>"$T/e.log"
t_check "no socket: exit non-zero" test $? -ne 0
t_check "no socket: says what to do" grep -q 'no socket' "$T/e.log"
t_done
