# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Privileges and seccomp (issue 11): the filters of src/sandbox.c let each
# kind of process do its work and kill it, with a log line naming the call,
# on anything else (drv_sandbox runs the responder's own sandbox code); the
# serving and signer processes of the real stack show `Seccomp: 2` and
# `NoNewPrivs: 1`; a forbidden call inside the real responder (preloaded
# test library) kills the signer (restarted) and the serving process, each
# logged; with `user = nobody` (when run as root) every process of the
# responder runs as nobody:nogroup and still enrolls through lighttpd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_stack.sh"
DRV="$TOP/build/tests/drv_sandbox"
DN="CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com"
UPN="user1@domain1.corp.company.com"

# --- the filters, through the driver ----------------------------------------
for role in serve signer signer-pkcs11; do
	"$DRV" "$role" ok >"$T/$role-ok.out" 2>&1
	t_check "$role filter: the process's own work is allowed" test $? -eq 0
done
# forbidden ROLE CALL WHO
forbidden() {
	"$DRV" "$1" "$2" >"$T/$1-$2.out" 2>&1
	rc=$?
	nr=$(sed -n 's/^CALL .* NR \([0-9]*\)$/\1/p' "$T/$1-$2.out")
	t_check "$1 filter: $2 kills the process by SIGSYS (exit $rc)" test "$rc" -eq 159
	t_check "$1 filter: $2 is logged with its number ($nr) and the process" \
		grep -q "seccomp: forbidden system call $nr in the $3 (pid [0-9]*): killed" "$T/$1-$2.out"
	t_check "$1 filter: nothing ran after $2" sh -c "! grep -q SURVIVED '$T/$1-$2.out'"
}
forbidden serve execve "serving process"
forbidden serve fork "serving process"
forbidden serve ptrace "serving process"
forbidden serve write "serving process"
# TIOCSTI would type into the operator's terminal, out of the sandbox.
forbidden serve tiocsti "serving process"
forbidden serve tiocsti-hi "serving process"
forbidden signer tiocsti "signer process"
# Processes of the same user leave each other alone (signals, limits).
forbidden serve tgkill "serving process"
forbidden serve prlimit "serving process"
forbidden signer tgkill "signer process"
forbidden signer prlimit "signer process"
forbidden signer execve "signer process"
forbidden signer inet "signer process"
forbidden signer fork "signer process"
forbidden signer write "signer process"
forbidden signer-pkcs11 inet "signer process"
"$DRV" signer-pkcs11 write >"$T/p11-write.out" 2>&1
t_check "signer-pkcs11 filter: a token module may write its files" test $? -eq 0

# --- the real stack -----------------------------------------------------------
if ! stack_start lighttpd >"$T/stack.out" 2>&1; then
	t_fail "the stack did not start: $(tail -5 "$T/stack.out")"
	t_done
fi
stack_csr u1 "$DN" "$UPN" || t_fail "CSR u1"
post() { stack_enroll "$1" "$2" "$STACK_DIR/u1.csr.der"; }
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s ' \t' ' ' | sed 's/ *$//'; }
# locked NAME PID: seccomp filter mode and no_new_privs.
locked() {
	t_check "$1 (pid $2): Seccomp: 2 ($(field "$2" Seccomp))" test "$(field "$2" Seccomp)" = 2
	t_check "$1 (pid $2): NoNewPrivs: 1" test "$(field "$2" NoNewPrivs)" = 1
}
post "$T/main" "$STACK_URL"
t_check_response "the stack under its filters: Success" "$T/main" 200 Success
mon=$(stack_child "$STACK_OTPCEP_PID" otpcep-monitor)
sig=$(stack_child "$mon" otpcep-signer)
locked "serving process" "$STACK_OTPCEP_PID"
locked "signer process" "$sig"
t_check "monitor (pid $mon): NoNewPrivs: 1" test "$(field "$mon" NoNewPrivs)" = 1
t_check "no forbidden call in the stack's log" sh -c "! grep -q 'forbidden system call' '$STACK_DIR/main.log'"

# --- a forbidden call in the real responder -------------------------------------
# preload_forbidden.so makes the process that gets SIGUSR2 call ptrace(2):
# the signer is killed by its filter, the monitor logs it and starts a new
# one; the serving process is killed by its own, with the line in its log.
nr=$(sed -n 's/^CALL ptrace NR \([0-9]*\)$/\1/p' "$T/serve-ptrace.out")
if ldd "$OTPCEP" | grep -qE 'libasan|libtsan'; then
	# make SAN=...: the sanitizer runtime must load first, and ThreadSanitizer
	# defers signal handlers (the drv_sandbox cases above still run).
	echo "SKIP: forbidden call in the responder: not with a sanitizer runtime"
else
	stack_conf "$STACK_DIR/trap.conf" "$STACK_DIR/trap.sock"
	export LD_PRELOAD="$TOP/build/tests/preload_forbidden.so"
	stack_responder trap "$STACK_DIR/trap.conf"
	trap_started=$?
	unset LD_PRELOAD
	if [ "$trap_started" = 0 ] && stack_web trapweb "$STACK_DIR/trap.sock"; then
		w=$STACK_RESPONDER_PID
		m=$(stack_child "$w" otpcep-monitor)
		s=$(stack_child "$m" otpcep-signer)
		kill -USR2 "$s"
		i=0
		while { n=$(stack_child "$m" otpcep-signer); [ -z "$n" ] || [ "$n" = "$s" ]; } && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		t_check "signer: the forbidden call is logged with its number ($nr)" \
			grep -q "seccomp: forbidden system call $nr in the signer process (pid $s): killed" "$STACK_DIR/trap.log"
		t_check "signer: the monitor logs its death by SIGSYS" \
			grep -q "signer process (pid $s) was killed by SIGSYS: a system call outside its seccomp filter" "$STACK_DIR/trap.log"
		post "$T/trap-after" "$STACK_WEB_URL"
		t_check_response "signer: a new one signs (Success)" "$T/trap-after" 200 Success
		kill -USR2 "$w"
		wait "$w"
		rc=$?
		t_check "serving process: killed by SIGSYS (exit $rc)" test "$rc" -eq 159
		t_check "serving process: the forbidden call is logged with its number ($nr)" \
			grep -q "seccomp: forbidden system call $nr in the serving process (pid $w): killed" "$STACK_DIR/trap.log"
		i=0
		while kill -0 "$m" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		t_check "serving process gone: the monitor and the signer end too" \
			sh -c "! kill -0 $m 2>/dev/null && ! kill -0 $n 2>/dev/null"
	else
		t_fail "the responder with preload_forbidden.so did not start"
	fi
fi

# --- user = nobody --------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the privilege drop needs root (this test runs as $(id -un))"
	t_done
fi
D="$STACK_DIR/drop"
mkdir -p "$D"
# The service user's files (docs/deployment.md): root-owned, group nogroup.
cp "$PKI/sign-rsa.pem" "$PKI/sign-rsa.key" "$SLAPD_CA_FILE" "$D/"
chown root:nogroup "$D" "$D"/*
chmod 750 "$D"
chmod 640 "$D"/*
chmod 711 "$T" "$STACK_DIR"
stack_conf "$STACK_DIR/drop.conf" "$STACK_DIR/drop.sock" "user = nobody" \
	"group = nogroup" "signing_cert = $D/sign-rsa.pem" \
	"signing_key = $D/sign-rsa.key" "ldap_ca_file = $D/ca.pem"
if stack_responder drop "$STACK_DIR/drop.conf" && stack_web dropweb "$STACK_DIR/drop.sock"; then
	post "$T/drop" "$STACK_WEB_URL"
	t_check_response "user = nobody: Success through lighttpd" "$T/drop" 200 Success
	w=$STACK_RESPONDER_PID
	m=$(stack_child "$w" otpcep-monitor)
	s=$(stack_child "$m" otpcep-signer)
	for p in "$w" "$m" "$s"; do
		t_check "pid $p ($(cat /proc/"$p"/comm)) runs as nobody: Uid $(field "$p" Uid)" \
			test "$(field "$p" Uid)" = "65534 65534 65534 65534"
		t_check "pid $p: Gid nogroup, no other group" \
			test "$(field "$p" Gid)" = "65534 65534 65534 65534" -a "$(field "$p" Groups)" = "65534"
		# Not dumpable after the drop (prctl(2): /proc/PID files of a
		# non-dumpable process belong to root), whatever fs.suid_dumpable is.
		t_check "pid $p: not dumpable as nobody (/proc/$p/mem owned by root)" \
			test "$(stat -c %u "/proc/$p/mem")" = 0
	done
	locked "serving process as nobody" "$w"
	locked "signer process as nobody" "$s"
	t_check "no forbidden call as nobody" sh -c "! grep -q 'forbidden system call' '$STACK_DIR/drop.log'"
else
	t_fail "the responder with user = nobody did not start: $(tail -5 "$STACK_DIR/drop.log")"
fi
t_done
