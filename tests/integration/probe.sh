# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# otpcep --probe against the real slapd and FreeRADIUS: one line per part,
# exit 0 only when every part is up.
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
t_check "all up: exit 0" test "$rc" -eq 0
t_check "signing certificate line with days left" \
	sh -c "grep -q '^signing certificate  *up  *serial .*days left' '$T/up.out'"
t_check "directory bound over LDAPS" \
	sh -c "grep -q '^directory  *up  *bound to ldaps://127.0.0.1' '$T/up.out'"
t_check "an unknown probe user's Access-Reject means alive" \
	sh -c "grep -q '^radius 127.0.0.1:$RADIUSD_PORT  *up  *alive (Access-Reject)' '$T/up.out'"
t_check "the probe password is in no output" sh -c "! grep -q 'probe-Pass' '$T/up.out' '$T/up.log'"

# A second RADIUS server that is down: its own line, exit 1.
cp "$T/up.conf" "$T/dead.conf"
echo "radius_server = 127.0.0.1:$dead" >>"$T/dead.conf"
probe dead "$T/dead.conf"
t_check "a dead RADIUS server: exit 1" test "$rc" -eq 1
t_check "the live server is still up" \
	sh -c "grep -q '^radius 127.0.0.1:$RADIUSD_PORT  *up' '$T/dead.out'"
t_check "the dead server is DOWN" \
	sh -c "grep -q '^radius 127.0.0.1:$dead  *DOWN  *no valid answer' '$T/dead.out'"

# A wrong shared secret: the replies fail authentication, the server is DOWN.
(umask 077; printf 'not-the-right-secret-at-all\n' >"$T/wrong.secret")
stack_conf "$T/secret.conf" "$T/unused.sock" "probe_user = DAProbeUser" \
	"probe_password_file = $T/probe.pw" "radius_timeout_ms = 300" \
	"radius_retries = 0" "radius_secret_file = $T/wrong.secret"
probe secret "$T/secret.conf"
t_check "a wrong RADIUS secret: exit 1, DOWN" \
	sh -c "[ $rc -eq 1 ] && grep -q '^radius .* DOWN' '$T/secret.out'"

# No probe user: RADIUS cannot be checked, and says so.
stack_conf "$T/nouser.conf" "$T/unused.sock"
probe nouser "$T/nouser.conf"
t_check "no probe_user: exit 1, says which keys" \
	sh -c "[ $rc -eq 1 ] && grep -q 'probe_user and probe_password_file are not set' '$T/nouser.out'"

# The directory stopped: DOWN with the reason.
slapd_stop >/dev/null
probe noldap "$T/up.conf"
t_check "slapd stopped: exit 1" test "$rc" -eq 1
t_check "directory DOWN with the reason" \
	sh -c "grep -q '^directory  *DOWN  *step 2: directory unavailable' '$T/noldap.out'"

# A configuration without the signing step: counted as down.
grep -v '^signing_' "$T/up.conf" >"$T/nosign.conf"
probe nosign "$T/nosign.conf"
t_check "no signing certificate configured: DOWN" \
	sh -c "grep -q '^signing certificate  *DOWN  *not configured' '$T/nosign.out'"
t_done
