# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The signer process (issue 11) through the whole stack (lighttpd, slapd,
# FreeRADIUS): after real Success requests, the signing key's secret numbers
# (RSA d, p, q; the P-256 private scalar), in both byte orders, are in the
# memory of the signer process and of no process that holds the FastCGI
# socket (drv_memscan reads /proc/PID/mem); with the key in SoftHSM2, in none
# of them. Raw messages to the signer: only well-formed sign requests for its
# current pair are answered. The signer killed by pid under load: every
# answer Success or OtherError, a new signer, then Success again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_stack.sh"
DN="CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com"
UPN="user1@domain1.corp.company.com"
SCAN="$TOP/build/tests/drv_memscan"

if ! stack_start lighttpd >"$T/stack.out" 2>&1; then
	t_fail "the stack did not start: $(tail -5 "$T/stack.out")"
	t_done
fi
stack_csr u1 "$DN" "$UPN" || t_fail "CSR u1"
post() { stack_enroll "$1" "$2" "$STACK_DIR/u1.csr.der"; }
# holders SOCKET: every process that holds the listening socket.
holders() { ss -Hxlp src "$1" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u; }

# A second responder and web server with a P-256 signing key.
pki_key sign-ec ec && pki_issue sign-ec sign-ec || t_fail "the P-256 signing pair"
stack_conf "$STACK_DIR/ec.conf" "$STACK_DIR/ec.sock" \
	"signing_cert = $PKI/sign-ec.pem" "signing_key = $PKI/sign-ec.key"
if stack_responder ec "$STACK_DIR/ec.conf" && stack_web ecweb "$STACK_DIR/ec.sock"; then
	EC_URL=$STACK_WEB_URL EC_PID=$STACK_RESPONDER_PID
else
	t_fail "the P-256 responder did not start"
	t_done
fi

# --- the key is in the signer only -----------------------------------------
# scan NAME KEY SOCKET PID URL [token]: with "token" the key is in SoftHSM2,
# which keeps it encrypted between signatures: not expected in the signer.
scan() {
	for i in 1 2 3; do post "$T/$1-ok$i" "$5"; done
	t_check_response "$1: a real request gets Success" "$T/$1-ok1" 200 Success
	mon=$(stack_child "$4" otpcep-monitor)
	sig=$(stack_child "$mon" otpcep-signer)
	t_check "$1: the responder forked a monitor and a signer" test -n "$mon" -a -n "$sig"
	hold=$(holders "$3")
	t_check "$1: the responder holds the FastCGI socket" sh -c "echo '$hold' | grep -qx '$4'"
	t_check "$1: the monitor and the signer do not hold it" \
		sh -c "! echo '$hold' | grep -qx -e '$mon' -e '$sig'"
	# shellcheck disable=SC2086
	if ! "$SCAN" "$2" $hold "$sig" >"$T/$1.scan" 2>&1; then
		t_fail "$1: the memory scan failed: $(cat "$T/$1.scan")"
		return
	fi
	cat "$T/$1.scan"
	if [ "${6:-}" != token ]; then
		t_check "$1: the scanner finds the key's secret numbers in the signer" \
			sh -c "grep '^$sig ' '$T/$1.scan' | grep -qv 'found 0$'"
	fi
	for p in $hold; do
		t_check "$1: none in pid $p, which holds the FastCGI socket" \
			grep -q "^$p .* found 0\$" "$T/$1.scan"
	done
}
scan rsa "$PKI/sign-rsa.key" "$STACK_DIR/otpcep.sock" "$STACK_OTPCEP_PID" "$STACK_URL"
grep -q 'p/\|q/\|d/' "$T/rsa.scan" || t_fail "rsa: no RSA number named in the scan"
scan p256 "$PKI/sign-ec.key" "$STACK_DIR/ec.sock" "$EC_PID" "$EC_URL"

# The same P-256 key in a SoftHSM2 token (PKCS#11): the module is loaded and
# logged in by the signer only, under the signer's seccomp filter.
if pki_softhsm sign-ec; then
	stack_conf "$STACK_DIR/hsm.conf" "$STACK_DIR/hsm.sock" \
		"signing_cert = $PKI/sign-ec.pem" "signing_key = $PKI_P11_URI" \
		"signing_key_password_file = $PKI_P11_PIN_FILE"
	if stack_responder hsm "$STACK_DIR/hsm.conf" && stack_web hsmweb "$STACK_DIR/hsm.sock"; then
		scan pkcs11 "$PKI/sign-ec.key" "$STACK_DIR/hsm.sock" "$STACK_RESPONDER_PID" "$STACK_WEB_URL" token
		t_check "pkcs11: no forbidden call" sh -c "! grep -q 'forbidden system call' '$STACK_DIR/hsm.log'"
		hmon=$(stack_child "$STACK_RESPONDER_PID" otpcep-monitor)
		kill -9 "$(stack_child "$hmon" otpcep-signer)"
		sleep 0.5
		post "$T/hsm-again" "$STACK_WEB_URL"
		t_check_response "pkcs11: a new signer logs in to the token again: Success" "$T/hsm-again" 200 Success
	else
		t_fail "the SoftHSM2 responder did not start: $(tail -5 "$STACK_DIR/hsm.log")"
	fi
else
	t_fail "SoftHSM2 token set up"
fi

# --- strict framing: raw messages to the real signer process ---------------
stack_conf "$STACK_DIR/link.conf" "$STACK_DIR/link.sock" "signing_digest = sha256"
"$TOP/build/tests/drv_signerlink" "$STACK_DIR/link.conf" >"$T/link.out" 2>"$T/link.log"
cat "$T/link.out"
# link CASE ANSWER
link() { t_check "signer link: $1 -> $2" grep -qx "CASE $1: $2" "$T/link.out"; }
link get SNAPSHOT
link sign SIGNATURE
link "stale generation" ERROR-STALE
link "arbitrary bytes" ERROR-BAD
link "truncated attributes" ERROR-BAD
link "another attribute" ERROR-BAD
link oversized ERROR-BAD
link "unknown type" ERROR-BAD
link "unknown flag" ERROR-BAD
link "length mismatch" ERROR-BAD
link "short header" NONE
link "sign after all that" SIGNATURE
t_check "signer link: refusals are logged" grep -q "signer: refused to sign 5 bytes" "$T/link.log"
t_check "signer link: malformed requests are logged" grep -q "signer: a malformed request" "$T/link.log"

# --- the signer killed under load ---------------------------------------------
# FreeRADIUS 3.2.1 takes a TOTP code in its own 30 s step only, and the 24
# requests queue behind the workers: on a loaded machine the last ones reach
# FreeRADIUS seconds after their code was made. Start the burst with at least
# 20 s of the step left (a code that goes stale would be AuthenticationError).
left=$((30 - $(date +%s) % 30))
[ "$left" -lt 20 ] && sleep "$left"
mon=$(stack_child "$STACK_OTPCEP_PID" otpcep-monitor)
old=$(stack_child "$mon" otpcep-signer)
pids=""
for i in $(seq 1 24); do
	post "$T/load$i" "$STACK_URL" &
	pids="$pids $!"
	[ "$i" = 6 ] && kill -9 "$old"
	sleep 0.05
done
for p in $pids; do wait "$p"; done
ok=0 other=0 bad=0
for i in $(seq 1 24); do
	if grep -q 'statusCode="Success"' "$T/load$i" 2>/dev/null; then ok=$((ok + 1))
	elif grep -q 'statusCode="OtherError"' "$T/load$i" 2>/dev/null; then other=$((other + 1))
	else bad=$((bad + 1)); echo "load$i: $(head -n 1 "$T/load$i" 2>/dev/null) $(grep -o 'statusCode="[A-Za-z]*"' "$T/load$i" 2>/dev/null)"; fi
done
[ "$bad" -eq 0 ] || grep -v ' debug ' "$STACK_DIR/main.log" | tail -n 40
t_check "signer killed under load: every answer Success or OtherError ($ok + $other)" test "$bad" -eq 0
i=0
while new=$(stack_child "$mon" otpcep-signer) && { [ -z "$new" ] || [ "$new" = "$old" ]; } && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_check "a new signer process ($old -> $new)" test -n "$new" -a "$new" != "$old"
t_check "its death and restart are logged" \
	grep -q "signer process (pid $old) was killed by signal 9.*starting a new one" "$STACK_DIR/main.log"
post "$T/after" "$STACK_URL"
t_check_response "after the restart: Success" "$T/after" 200 Success

# --- a signer that hangs (SIGSTOP): OtherError within the bound, no hang -----
stuck=$(stack_child "$mon" otpcep-signer)
kill -STOP "$stuck"
t0=$(date +%s%3N)
post "$T/stuck1" "$STACK_URL" & p1=$!
post "$T/stuck2" "$STACK_URL" & p2=$!
wait "$p1" "$p2"
t1=$(date +%s%3N)
kill -CONT "$stuck"
t_check_response "signer stopped: OtherError" "$T/stuck1" 200 OtherError
t_check_response "signer stopped: the other worker too" "$T/stuck2" 200 OtherError
t_check "signer stopped: both answered, bounded by the 5 s limit, not hung ($((t1 - t0)) ms)" \
	test $((t1 - t0)) -ge 4500 -a $((t1 - t0)) -lt 20000
t_check "the timeout is logged" grep -q "the signer process: no answer in time" "$STACK_DIR/main.log"
post "$T/resumed" "$STACK_URL"
t_check_response "signer resumed: Success (late answers dropped)" "$T/resumed" 200 Success
t_check "the responder kept running" kill -0 "$STACK_OTPCEP_PID"
t_done
