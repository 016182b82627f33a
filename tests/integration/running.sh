# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The running responder behind lighttpd, with the real slapd and FreeRADIUS:
# twelve enrollments at once on four workers all succeed;
# a slow RADIUS server holds only the worker waiting on it (issue 2), and a
# signing certificate renewed on disk signs the next response (issue 5).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_stack.sh"
DN="CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com"
UPN="user1@domain1.corp.company.com"
SPEC="$TOP/tests/data/spec"

if ! stack_start lighttpd >"$T/stack.out" 2>&1; then
	t_fail "the stack did not start: $(tail -5 "$T/stack.out")"
	t_done
fi
stack_csr u1 "$DN" "$UPN" || t_fail "CSR u1"
post() { # OUT URL USER OTP CSR
	stack_post "$@" --cert "$PKI/client.pem" --key "$PKI/client.key"
}
signed_cert() { # RESPONSE OUT.der: the signing certificate inside the SignedCertRequest
	t_http_body "$1" "$1.xml"
	sed -n 's/.*SignedCertRequest="\([^"]*\)".*/\1/p' "$1.xml" | base64 -d >"$1.p7"
	openssl pkcs7 -inform DER -in "$1.p7" -print_certs 2>/dev/null |
		openssl x509 -outform DER -out "$2" 2>/dev/null
}
der_of() { openssl x509 -in "$1" -outform DER; }

# --- A slow RADIUS server does not stall the other workers ---------------
# A responder whose RADIUS server never answers: every request that reaches
# step 3 waits 3 s. One such request in flight must not delay another.
dead=$(t_free_port)
stack_conf "$STACK_DIR/slow.conf" "$STACK_DIR/slow.sock" "workers = 4" \
	"radius_server = 127.0.0.1:$dead" "radius_timeout_ms = 3000" "radius_retries = 0"
if stack_responder slow "$STACK_DIR/slow.conf" && stack_web slowweb "$STACK_DIR/slow.sock"; then
	code=$(radius_totp_code)
	t0=$(date +%s%3N)
	post "$T/slow" "$STACK_WEB_URL" 'DOMAIN1\user1' "$code" "$STACK_DIR/u1.csr.der" &
	slow_pid=$!
	sleep 0.3
	f0=$(date +%s%3N)
	post "$T/fast" "$STACK_WEB_URL" 'DOMAIN1\user1' "$code" asdf
	f1=$(date +%s%3N)
	t_check "while one worker waits on RADIUS, another answers at once ($((f1 - f0)) ms)" \
		test $((f1 - f0)) -lt 1000
	t_check_response "that answer is 4.4's OtherError" "$T/fast" 200 OtherError
	t_check "the slow request is still waiting" kill -0 "$slow_pid"
	wait "$slow_pid"
	s1=$(date +%s%3N)
	t_check_response "the slow request ends in OtherError" "$T/slow" 200 OtherError
	t_check "after its RADIUS bound, about 3 s ($((s1 - t0)) ms)" \
		test $((s1 - t0)) -ge 2900 -a $((s1 - t0)) -lt 6000
else
	t_fail "the slow responder did not start"
fi

# --- Many enrollments at once on four workers ----------------------------
# Every step runs concurrently: PKCS#10 checks, one LDAP connection per
# worker, one RADIUS socket per request, the shared signer. All must succeed
# and every SignedCertRequest must pass the CA step.
code=$(radius_totp_code)
pids=""
for i in $(seq 1 12); do
	post "$T/par$i" "$STACK_URL" 'DOMAIN1\user1' "$code" "$STACK_DIR/u1.csr.der" &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
ok=0 verified=0
for i in $(seq 1 12); do
	grep -q 'statusCode="Success"' "$T/par$i" 2>/dev/null || continue
	ok=$((ok + 1))
	t_http_body "$T/par$i" "$T/par$i.xml"
	sed -n 's/.*SignedCertRequest="\([^"]*\)".*/\1/p' "$T/par$i.xml" | base64 -d >"$T/par$i.p7"
	"$TOP/build/bin/otpcep-ca" --check --in "$T/par$i.p7" --trust "$PKI/ca.pem" \
		--ca-cert "$PKI/demo-ca.pem" --ca-key "$PKI/demo-ca.key" >/dev/null 2>&1 &&
		verified=$((verified + 1))
done
t_check "12 concurrent enrollments: all Success ($ok)" test "$ok" -eq 12
t_check "12 concurrent enrollments: all pass the CA step ($verified)" test "$verified" -eq 12
t_check "12 concurrent enrollments: byte-identical signed requests" \
	sh -c "for i in \$(seq 2 12); do cmp -s '$T/par1.p7' '$T/par'\$i'.p7' || exit 1; done"

# --- Renewal while running -------------------------------------------------
# The responder signs with files in live/; the PKI renews them (new key,
# new certificate) by rename, as certmonger or a deployment script would.
pki_key sign-rsa2 rsa >/dev/null && pki_issue sign-rsa2 sign-rsa2 >/dev/null ||
	t_fail "second signing certificate"
mkdir -p "$STACK_DIR/live"
install -m 0600 "$PKI/sign-rsa.key" "$STACK_DIR/live/sign.key"
install -m 0644 "$PKI/sign-rsa.pem" "$STACK_DIR/live/sign.pem"
stack_conf "$STACK_DIR/renew.conf" "$STACK_DIR/renew.sock" \
	"signing_cert = $STACK_DIR/live/sign.pem" "signing_key = $STACK_DIR/live/sign.key"
if stack_responder renew "$STACK_DIR/renew.conf" && stack_web renewweb "$STACK_DIR/renew.sock"; then
	renew_pid=$STACK_RESPONDER_PID
	code=$(radius_totp_code)
	post "$T/r1" "$STACK_WEB_URL" 'DOMAIN1\user1' "$code" "$STACK_DIR/u1.csr.der"
	t_check_response "before renewal: Success" "$T/r1" 200 Success
	signed_cert "$T/r1" "$T/r1.der"
	t_check "before renewal: signed by the first certificate" \
		sh -c "der_of() { openssl x509 -in \"\$1\" -outform DER; }; der_of '$PKI/sign-rsa.pem' | cmp -s - '$T/r1.der'"

	install -m 0600 "$PKI/sign-rsa2.key" "$STACK_DIR/live/sign.key.new"
	install -m 0644 "$PKI/sign-rsa2.pem" "$STACK_DIR/live/sign.pem.new"
	mv "$STACK_DIR/live/sign.key.new" "$STACK_DIR/live/sign.key"
	mv "$STACK_DIR/live/sign.pem.new" "$STACK_DIR/live/sign.pem"
	sleep 1.2	# the signer looks at the files at most once a second
	code=$(radius_totp_code)
	post "$T/r2" "$STACK_WEB_URL" 'DOMAIN1\user1' "$code" "$STACK_DIR/u1.csr.der"
	t_check_response "after renewal, no restart: Success" "$T/r2" 200 Success
	signed_cert "$T/r2" "$T/r2.der"
	t_check "after renewal: signed by the new certificate" \
		sh -c "openssl x509 -in '$PKI/sign-rsa2.pem' -outform DER | cmp -s - '$T/r2.der'"
	t_check "the same responder process" kill -0 "$renew_pid"
	# A request that meets the renewal is built again with the new
	# snapshot: its Success names no failure (the refused attempt's reason
	# is dropped, src/cmc.c).
	t_check "after renewal: no Success audited with a failure reason" \
		sh -c "! grep -E 'status=Success reason=\"([^\"-]|-[^\"])' '$STACK_DIR/renew.log'"
	"$TOP/build/bin/otpcep-ca" --check --in "$T/r2.p7" --trust "$PKI/ca.pem" \
		--ca-cert "$PKI/demo-ca.pem" --ca-key "$PKI/demo-ca.key" >"$T/r2.ca" 2>&1
	t_check "otpcep-ca verifies the renewed signature" test $? -eq 0

	# Back to the first pair, with a SIGHUP as an operator would send (the
	# signer would also notice the files).
	install -m 0600 "$PKI/sign-rsa.key" "$STACK_DIR/live/sign.key"
	install -m 0644 "$PKI/sign-rsa.pem" "$STACK_DIR/live/sign.pem"
	kill -HUP "$renew_pid"
	code=$(radius_totp_code)
	post "$T/r3" "$STACK_WEB_URL" 'DOMAIN1\user1' "$code" "$STACK_DIR/u1.csr.der"
	signed_cert "$T/r3" "$T/r3.der"
	t_check "after SIGHUP and the files put back: signed by the first certificate again" \
		sh -c "openssl x509 -in '$PKI/sign-rsa.pem' -outform DER | cmp -s - '$T/r3.der'"
else
	t_fail "the renewal responder did not start"
fi
t_done
