# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# otpcep --probe against the real slapd and FreeRADIUS, as a monitoring
# plugin: a summary line, one line per part (every ldap_uri, every RADIUS
# server), exit 0 OK, 1 WARNING, 2 CRITICAL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_stack.sh"

mkdir -p "$STACK_DIR"
stack_pki >/dev/null || { t_fail "PKI"; t_done; }
SLAPD_TLS=yes slapd_start >/dev/null || { t_fail "slapd did not start"; t_done; }
freeradius_start >/dev/null || { t_fail "FreeRADIUS did not start"; t_done; }
(umask 077; printf 'probe-Pass-1\n' >"$T/probe.pw")
dead=$(t_free_port)

probe() { # NAME CONF: runs the probe, output in $T/NAME.out, status in $rc
	"$OTPCEP" --probe -c "$2" >"$T/$1.out" 2>"$T/$1.log"
	rc=$?
}
line() { grep "^$2 " "$T/$1.out"; }

stack_conf "$T/up.conf" "$T/unused.sock" "probe_user = DAProbeUser" \
	"probe_password_file = $T/probe.pw" "radius_timeout_ms = 300" "radius_retries = 0"
probe up "$T/up.conf"
cat "$T/up.out"
t_check "all up: exit 0 (OK)" test "$rc" -eq 0
t_check "summary line first" sh -c "head -1 '$T/up.out' | grep -q '^OTPCEP OK - '"
t_check "signing certificate line with days left" \
	sh -c "grep -q '^signing certificate  *OK  *serial .*days left' '$T/up.out'"
t_check "the ldap_uri bound over LDAPS, on its own line" \
	sh -c "grep -q '^directory ldaps://127.0.0.1:[0-9]*/*  *OK  *bound' '$T/up.out'"
t_check "directory summary" sh -c "grep -q '^directory  *OK  *1 of 1 ldap_uri answered' '$T/up.out'"
t_check "an unknown probe user's Access-Reject means alive" \
	sh -c "grep -q '^radius 127.0.0.1:$RADIUSD_PORT  *OK  *alive (Access-Reject)' '$T/up.out'"

# The certificate within signing_warn_hours (it is valid 2 days): WARNING, exit 1.
cp "$T/up.conf" "$T/warn.conf"
echo "signing_warn_hours = 720" >>"$T/warn.conf"
probe warn "$T/warn.conf"
t_check "certificate inside signing_warn_hours: exit 1 (WARNING)" test "$rc" -eq 1
t_check "WARNING summary names the certificate" \
	sh -c "head -1 '$T/warn.out' | grep -q '^OTPCEP WARNING - signing certificate: serial .*renew it'"

# A second ldap_uri that is down: its own line, WARNING (the first still serves).
cp "$T/up.conf" "$T/ldap2.conf"
sed -i "/^ldap_uri/a ldap_uri = ldaps://127.0.0.1:$(t_free_port)" "$T/ldap2.conf"
probe ldap2 "$T/ldap2.conf"
cat "$T/ldap2.out"
t_check "one of two ldap_uri down: exit 1 (WARNING)" test "$rc" -eq 1
t_check "every ldap_uri shown" test "$(grep -c '^directory ldaps://' "$T/ldap2.out")" -eq 2
t_check "the dead ldap_uri is CRITICAL with the reason" \
	sh -c "grep -q '^directory ldaps://127.0.0.1:[0-9]*/*  *CRITICAL  *connect: ' '$T/ldap2.out'"
t_check "the probe password is in no output" sh -c "! grep -q 'probe-Pass' '$T/up.out' '$T/up.log'"

# radius_status_server = yes: RFC 5997 Status-Server, no user, no password.
stack_conf "$T/ss.conf" "$T/unused.sock" "radius_status_server = yes" \
	"radius_timeout_ms = 300" "radius_retries = 0"
before=$(wc -l <"$RADIUSD_LOG")
probe ss "$T/ss.conf"
cat "$T/ss.out"
t_check "Status-Server: exit 0" test "$rc" -eq 0
t_check "Status-Server: the server answered it" \
	sh -c "grep -q '^radius 127.0.0.1:$RADIUSD_PORT  *OK  *alive (answered Status-Server)' '$T/ss.out'"
t_check "Status-Server: no user was authenticated" \
	sh -c "! tail -n +$((before + 1)) '$RADIUSD_LOG' | grep -q 'User-Name'"

# A second FreeRADIUS that does not sign its replies: reported as unsigned.
R1_PORT=$RADIUSD_PORT R1_SECRET=$RADIUSD_SECRET_FILE R1_PID=$RADIUSD_PID
if freeradius_start unsigned no >/dev/null; then
	(umask 077; cat "$R1_SECRET" "$RADIUSD_SECRET_FILE" >"$T/two.secret")
	cp "$T/ss.conf" "$T/unsigned.conf"
	sed -i -e "/^radius_secret_file/d" "$T/unsigned.conf"
	printf 'radius_server = 127.0.0.1:%s\nradius_secret_file = %s\n' "$RADIUSD_PORT" \
		"$T/two.secret" >>"$T/unsigned.conf"
	probe unsigned "$T/unsigned.conf"
	cat "$T/unsigned.out"
	t_check "an unsigned server: exit 1 (WARNING: the other answers)" test "$rc" -eq 1
	t_check "an unsigned server is reported as such" \
		sh -c "grep -q '^radius 127.0.0.1:$RADIUSD_PORT  *CRITICAL  *unsigned: ' '$T/unsigned.out'"
	t_stop "$RADIUSD_PID"
else
	t_fail "the unsigned FreeRADIUS did not start"
fi
RADIUSD_PORT=$R1_PORT RADIUSD_SECRET_FILE=$R1_SECRET RADIUSD_PID=$R1_PID

# A second RADIUS server that is down: its own line, exit 1.
cp "$T/up.conf" "$T/dead.conf"
echo "radius_server = 127.0.0.1:$dead" >>"$T/dead.conf"
probe dead "$T/dead.conf"
t_check "one of two RADIUS servers dead: exit 1 (WARNING)" test "$rc" -eq 1
t_check "the live server is still OK" \
	sh -c "grep -q '^radius 127.0.0.1:$RADIUSD_PORT  *OK' '$T/dead.out'"
t_check "the dead server is CRITICAL" \
	sh -c "grep -q '^radius 127.0.0.1:$dead  *CRITICAL  *no valid answer' '$T/dead.out'"

# A wrong shared secret: the replies fail authentication, the server is DOWN.
(umask 077; printf 'not-the-right-secret-at-all\n' >"$T/wrong.secret")
stack_conf "$T/secret.conf" "$T/unused.sock" "probe_user = DAProbeUser" \
	"probe_password_file = $T/probe.pw" "radius_timeout_ms = 300" \
	"radius_retries = 0" "radius_secret_file = $T/wrong.secret"
probe secret "$T/secret.conf"
t_check "a wrong RADIUS secret: exit 2 (CRITICAL)" \
	sh -c "[ $rc -eq 2 ] && grep -q '^radius 127.* CRITICAL' '$T/secret.out'"

# No probe user: RADIUS cannot be checked, and says so.
stack_conf "$T/nouser.conf" "$T/unused.sock"
probe nouser "$T/nouser.conf"
t_check "no probe_user: exit 2, says which keys" \
	sh -c "[ $rc -eq 2 ] && grep -q 'neither radius_status_server = yes nor probe_user and probe_password_file are set' '$T/nouser.out'"

# The directory stopped: DOWN with the reason.
slapd_stop >/dev/null
probe noldap "$T/up.conf"
t_check "slapd stopped: exit 2 (CRITICAL)" test "$rc" -eq 2
t_check "the ldap_uri CRITICAL with the reason" \
	sh -c "grep -q '^directory ldaps://.*  *CRITICAL  *connect: ' '$T/noldap.out'"
t_check "CRITICAL summary" sh -c "head -1 '$T/noldap.out' | grep -q '^OTPCEP CRITICAL - directory: 0 of 1'"

# A configuration without the signing step: counted as down.
grep -v '^signing_' "$T/up.conf" >"$T/nosign.conf"
probe nosign "$T/nosign.conf"
t_check "no signing certificate configured: CRITICAL" \
	sh -c "[ $rc -eq 2 ] && grep -q '^signing certificate  *CRITICAL  *not configured' '$T/nosign.out'"
t_done
