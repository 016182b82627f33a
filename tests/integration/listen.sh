# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Issue 11's listening rules, each through --check-config and at start-up:
# TCP on anything but loopback needs fastcgi_allowed_clients, and other
# addresses are closed unread; loopback TCP is warned about; a Unix socket of
# a live process is never replaced, a path that is not a socket never
# deleted, a stale socket replaced, and only our own socket removed at exit.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

conf() { # FILE [lines]
	f=$1
	shift
	printf 'template = OTPLogon\nca = ca1.example.com\\Issuing CA 1\nlog = stderr\nrequire_https = no\nrequire_client_cert = no\nworkers = 2\n' >"$f"
	for l in "$@"; do echo "$l" >>"$f"; done
}

# fcgi ADDRESS [SOURCE-IP]: a FastCGI GET (unix:PATH or HOST:PORT); prints
# the HTTP status the responder answered, or "closed" when it closed unread.
fcgi() {
	$PY - "$@" <<'PY'
import socket, struct, sys
addr = sys.argv[1]
if addr.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(addr[5:])
else:
    host, port = addr.rsplit(":", 1)
    s = socket.socket(); s.settimeout(5)
    if len(sys.argv) > 2:
        s.bind((sys.argv[2], 0))
    s.connect((host, int(port)))
def rec(t, body):
    return struct.pack(">BBHHBB", 1, t, 1, len(body), 0, 0) + body
def nv(n, v):
    return bytes([len(n), len(v)]) + n + v
try:
    s.sendall(rec(1, struct.pack(">HB5x", 1, 0)) + rec(4, nv(b"REQUEST_METHOD", b"GET")) +
              rec(4, b"") + rec(5, b""))
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except (ConnectionResetError, BrokenPipeError):
    data = b""
i = data.find(b"Status: ")
print(data[i + 8:i + 11].decode() if i >= 0 else "closed")
PY
}

wait_sock() { i=0; while [ ! -S "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; }
stopped() { # PID: waits for it to end; its exit status
	i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	wait "$1"
}

# --- TCP on all addresses without fastcgi_allowed_clients: refused --------
p=$(t_free_port)
for l in "0.0.0.0:$p" ":$p" "[::]:$p"; do
	conf "$T/any.conf" "listen = $l"
	"$OTPCEP" --check-config -c "$T/any.conf" >"$T/any.check" 2>&1
	t_check "--check-config refuses $l without fastcgi_allowed_clients" test $? -ne 0
	t_check "... and says why" grep -q 'needs fastcgi_allowed_clients' "$T/any.check"
done
conf "$T/any.conf" "listen = 0.0.0.0:$p"
timeout 10 "$OTPCEP" -c "$T/any.conf" >"$T/any.log" 2>&1
t_check "start-up refuses it too (exit non-zero)" test $? -ne 0 -a $? -ne 124
t_check "... with the reason in the log" grep -q 'needs fastcgi_allowed_clients' "$T/any.log"
conf "$T/badcl.conf" "listen = 0.0.0.0:$p" "fastcgi_allowed_clients = web1.example.com"
"$OTPCEP" --check-config -c "$T/badcl.conf" >"$T/badcl.check" 2>&1
t_check "fastcgi_allowed_clients takes addresses, not names" test $? -ne 0
t_check "... and says so" grep -q 'is not an IPv4 or IPv6 address' "$T/badcl.check"

# --- ... allowed with the web servers listed; anyone else closed unread ---
conf "$T/allow.conf" "listen = 0.0.0.0:$p" "fastcgi_allowed_clients = 127.0.0.2, 10.1.2.3"
"$OTPCEP" --check-config -c "$T/allow.conf" >"$T/allow.check" 2>&1
t_check "--check-config accepts it with fastcgi_allowed_clients" test $? -eq 0
t_start "otpcep (0.0.0.0, allowed 127.0.0.2)" "$T/allow.log" "$OTPCEP" -c "$T/allow.conf"
ALLOW_PID=$T_LAST_PID
t_wait_port "$p" 10
t_check "a listed address is served (from 127.0.0.2: GET gets 405)" \
	test "$(fcgi "127.0.0.1:$p" 127.0.0.2)" = 405
t_check "another address is closed unread (from 127.0.0.1)" \
	test "$(fcgi "127.0.0.1:$p")" = closed
t_check "... and logged with its address" \
	grep -q 'connection from 127.0.0.1 port [0-9]* refused: not in fastcgi_allowed_clients' "$T/allow.log"
t_check "... nothing of it was parsed (one request logged, the 405)" \
	test "$(grep -c 'http=' "$T/allow.log")" = 1
t_stop "$ALLOW_PID"

# --- Loopback TCP: allowed, with a warning -------------------------------
p=$(t_free_port)
conf "$T/lo.conf" "listen = 127.0.0.1:$p"
"$OTPCEP" --check-config -c "$T/lo.conf" >"$T/lo.check" 2>&1
t_check "--check-config accepts loopback TCP" test $? -eq 0
t_check "... with a warning that any local user can connect" grep -q 'any local user can connect' "$T/lo.check"
t_start "otpcep (loopback TCP)" "$T/lo.log" "$OTPCEP" -c "$T/lo.conf"
LO_PID=$T_LAST_PID
t_wait_port "$p" 10
t_check "loopback TCP serves (GET gets 405)" test "$(fcgi "127.0.0.1:$p")" = 405
t_check "start-up warns about loopback TCP" grep -q 'any local user can connect' "$T/lo.log"
t_stop "$LO_PID"

# --- A path that is not a socket is never deleted ------------------------
echo "precious" >"$T/file.sock"
conf "$T/file.conf" "listen = unix:$T/file.sock"
"$OTPCEP" --check-config -c "$T/file.conf" >"$T/file.check" 2>&1
t_check "--check-config refuses a path that is not a socket" test $? -ne 0
t_check "... and says so" grep -q 'exists and is not a socket' "$T/file.check"
timeout 10 "$OTPCEP" -c "$T/file.conf" >"$T/file.log" 2>&1
t_check "start-up refuses it (exit non-zero)" test $? -ne 0 -a $? -ne 124
t_check "... and leaves the file as it was" test "$(cat "$T/file.sock")" = precious

# --- A live socket is never replaced -------------------------------------
S="$T/live.sock"
conf "$T/live.conf" "listen = unix:$S"
t_start "otpcep (first)" "$T/live1.log" "$OTPCEP" -c "$T/live.conf"
L1=$T_LAST_PID
wait_sock "$S"
"$OTPCEP" --check-config -c "$T/live.conf" >"$T/live.check" 2>&1
t_check "--check-config on a live socket passes (the service may be running)" test $? -eq 0
t_check "... and says another process listens on it" grep -q 'another process listens' "$T/live.check"
timeout 10 "$OTPCEP" -c "$T/live.conf" >"$T/live2.log" 2>&1
t_check "a second responder on the same socket exits non-zero" test $? -ne 0 -a $? -ne 124
t_check "... saying address in use" grep -q 'address in use' "$T/live2.log"
t_check "the first still serves on it" test "$(fcgi "unix:$S")" = 405

# --- Only our own socket is removed at exit -------------------------------
# The first one's socket is replaced behind its back (removed, a new
# responder binds the path): when the first stops, the new socket stays.
rm -f "$S"
t_start "otpcep (second)" "$T/live3.log" "$OTPCEP" -c "$T/live.conf"
L2=$T_LAST_PID
wait_sock "$S"
kill -TERM "$L1"
stopped "$L1"
t_check "the first stops with status 0" test $? -eq 0
t_check "it did not remove the second one's socket" test -S "$S"
t_check "the second serves" test "$(fcgi "unix:$S")" = 405

# --- A stale socket is replaced ------------------------------------------
kill -9 "$L2"
stopped "$L2"
t_check "after kill -9 the socket is stale" test -S "$S"
t_start "otpcep (third)" "$T/live4.log" "$OTPCEP" -c "$T/live.conf"
L3=$T_LAST_PID
sleep 0.5
i=0; while ! grep -q 'serving FastCGI' "$T/live4.log" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
t_check "a stale socket is replaced (logged)" grep -q 'replacing the stale socket' "$T/live4.log"
t_check "the new responder serves" test "$(fcgi "unix:$S")" = 405
kill -TERM "$L3"
stopped "$L3"
t_check "its own socket is removed at exit" test ! -e "$S"
t_done
