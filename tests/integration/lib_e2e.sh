# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The end-to-end test body, run once per web server by e2e_lighttpd.sh and
# e2e_nginx.sh: sourced after lib.sh, never run. e2e_run WEB starts the whole
# stack (lib_stack.sh) in front of WEB and checks every status the protocol
# has, through HTTPS, with the real slapd and FreeRADIUS: each answer's HTTP
# status, both headers, the body's schema validity and statusCode
# (t_check_response), and the responder's audit line (which step decided).
. "$TOP/tests/integration/lib_stack.sh"

E2E_CLIENT="$TOP/build/bin/otpcep-client"
E2E_CA="$TOP/build/bin/otpcep-ca"
E2E_USER1_DN="CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com"
E2E_USER1_UPN="user1@domain1.corp.company.com"
E2E_USER2_DN="CN=User 2,CN=Users,DC=domain1,DC=corp,DC=company,DC=com"
E2E_USER2_UPN="u2@corp.example"

# e2e_audit NAME LOG USER STATUS REASON-PATTERN: the responder logged one
# request of USER (as logged: "\" is "\x5c") with STATUS and a reason matching
# the pattern (grep -E).
e2e_audit() {
	if grep -F "user=\"$3\"" "$2" | grep -F "status=$4 " | grep -Eq "reason=\"$5"; then
		t_pass "$1: audit line"
	else
		t_fail "$1: no audit line user=\"$3\" status=$4 reason~\"$5\"; the log ends:"
		tail -n 5 "$2"
	fi
}

# e2e_post NAME USER OTP CSR [curl options]: a SignCert Request with the
# trusted client certificate; the response is in $T/NAME.
e2e_post() {
	ep_name=$1
	shift
	stack_post "$T/$ep_name" "$STACK_URL" "$@" \
	    --cert "$PKI/client.pem" --key "$PKI/client.key"
}

# e2e_raw OUT [curl options]: a raw request to $STACK_URL with the trusted
# client certificate; the response is in $T/OUT.
e2e_raw() {
	er_out=$1
	shift
	curl -s -S --http1.1 -i -o "$T/$er_out" --max-time 30 --cacert "$PKI/ca.pem" \
	    --cert "$PKI/client.pem" --key "$PKI/client.key" "$@" "$STACK_URL"
}

# e2e_ca_step NAME SIGNED.der: otpcep-ca verifies the SignedCertRequest
# (the logon template given with --template, as the CA issues only it) and
# issues the logon certificate; its subject, UPN, EKU and lifetime are checked
# with certtool -i.
e2e_ca_step() {
	if [ ! -x "$E2E_CA" ]; then
		t_fail "$1: $E2E_CA is not built"
		return
	fi
	if ! "$E2E_CA" --in "$2" --trust "$PKI/ca.pem" --template "$STACK_TEMPLATE_OID" \
	    --ca-cert "$PKI/demo-ca.pem" \
	    --ca-key "$PKI/demo-ca.key" --lifetime 3600 --out "$T/$1.crt" \
	    >"$T/$1.ca.out" 2>&1; then
		t_fail "$1: otpcep-ca refused the SignedCertRequest: $(cat "$T/$1.ca.out")"
		return
	fi
	t_pass "$1: otpcep-ca issued a certificate"
	certtool -i --infile "$T/$1.crt" >"$T/$1.crt.txt" 2>&1 ||
	    { t_fail "$1: certtool cannot read the certificate"; return; }
	t_check "$1: subject is the user's DN" \
	    grep -q "Subject: CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com$" "$T/$1.crt.txt"
	t_check "$1: SAN UPN is the user's" \
	    grep -q "User Principal Name: $E2E_USER1_UPN$" "$T/$1.crt.txt"
	t_check "$1: EKU smart card logon" \
	    sh -c "sed -n '/Key Purpose/,/^[[:space:]]*[A-Z].*(.*critical)/p' '$T/$1.crt.txt' | grep -Eq 'Smart Card Logon|$STACK_EKU_SMARTCARD'"
	t_check "$1: issued by the demo CA" \
	    grep -q "Issuer: .*CN=otpcep demo CA" "$T/$1.crt.txt"
	nb=$(sed -n 's/^[[:space:]]*Not Before: //p' "$T/$1.crt.txt")
	na=$(sed -n 's/^[[:space:]]*Not After: //p' "$T/$1.crt.txt")
	life=$(( $(date -d "$na" +%s) - $(date -d "$nb" +%s) ))
	# Allow for a back-dated notBefore (clock skew), never more than 1 h + 10 min.
	t_check "$1: lifetime one hour (${life} s)" test "$life" -ge 3600 -a "$life" -le 4200
	t_check "$1: not valid after an hour from now" \
	    test "$(date -d "$na" +%s)" -le $(( $(date +%s) + 3660 ))
}

# e2e_client NAME WANT-EXIT PREFIX [options]: otpcep-client to $STACK_URL
# (or $E2E_URL) with the trusted client certificate unless E2E_NOCERT=yes;
# checks its exit status, and that a SignedCertRequest was written only on
# Success.
e2e_client() {
	ec_name=$1 ec_want=$2 ec_prefix=$T/$3
	shift 3
	if [ ! -x "$E2E_CLIENT" ]; then
		t_fail "$ec_name: $E2E_CLIENT is not built"
		return
	fi
	set -- --url "${E2E_URL:-$STACK_URL}" --cacert "$PKI/ca.pem" --out "$ec_prefix" "$@"
	[ "${E2E_NOCERT:-no}" = yes ] ||
	    set -- --cert "$PKI/client.pem" --key "$PKI/client.key" "$@"
	"$E2E_CLIENT" "$@" >"$ec_prefix.out" 2>&1
	ec_rc=$?
	if [ "$ec_rc" = "$ec_want" ]; then
		t_pass "$ec_name: otpcep-client exits $ec_want"
	else
		t_fail "$ec_name: otpcep-client exits $ec_rc, expected $ec_want: $(cat "$ec_prefix.out")"
	fi
	if [ "$ec_want" = 0 ]; then
		t_check "$ec_name: SignedCertRequest written" test -s "$ec_prefix.signed.der"
	else
		t_check "$ec_name: no SignedCertRequest written" test ! -e "$ec_prefix.signed.der"
	fi
}

# e2e_user1 NAME WANT-EXIT PREFIX CODE [options]: otpcep-client for user1
# with CODE in a 0600 file and a request made by the client.
e2e_user1() {
	eu_name=$1 eu_want=$2 eu_prefix=$3 eu_code=$4
	shift 4
	(umask 077 && printf '%s\n' "$eu_code" >"$T/$eu_prefix.code")
	e2e_client "$eu_name" "$eu_want" "$eu_prefix" --user 'DOMAIN1\user1' \
	    --otp-file "$T/$eu_prefix.code" --subject "$E2E_USER1_DN" --upn "$E2E_USER1_UPN" \
	    --template-oid "$STACK_TEMPLATE_OID" --template-major 100 --template-minor 5 "$@"
}

# e2e_nocert NAME OUT [curl options]: a SignCert Request with a valid code
# but without a client certificate the web server verified.
e2e_nocert() {
	en_name=$1 en_out=$2
	shift 2
	en_before=$(grep -c 'http=' "$log")
	en_403=$(grep -c 'http=403 .*reason="no verified client certificate"' "$log")
	code=$(radius_totp_code)
	rm -f "$T/$en_out"
	stack_post "$T/$en_out" "$STACK_URL" 'DOMAIN1\user1' "$code" "$STACK_DIR/u1.csr.der" \
	    "$@" 2>"$T/$en_out.curl"
	en_status=$(t_http_status "$T/$en_out" 2>/dev/null)
	if [ -z "$en_status" ]; then
		t_pass "$en_name: refused by $STACK_WEB at the TLS handshake ($(tr -d '\n' <"$T/$en_out.curl"))"
		t_check "$en_name: nothing reached the responder" \
		    test "$(grep -c 'http=' "$log")" = "$en_before"
	elif [ -z "$(t_http_header "$T/$en_out" X-OTPCEP-version)" ]; then
		# nginx's "400 The SSL certificate error" page, for instance.
		t_check "$en_name: refused by $STACK_WEB itself (HTTP $en_status)" \
		    test "$en_status" = 400 -o "$en_status" = 403
		t_check "$en_name: nothing reached the responder" \
		    test "$(grep -c 'http=' "$log")" = "$en_before"
	else
		t_check_response "$en_name: 403" "$T/$en_out" 403
		t_check "$en_name: the responder said why" \
		    test "$(grep -c 'http=403 .*reason="no verified client certificate"' "$log")" = $((en_403 + 1))
	fi
	t_check "$en_name: no Success" test "$(grep -c 'status=Success' "$log")" = "$E2E_SUCCESSES"
}

e2e_run() {
	e2e_t0=$(date +%s)
	if ! stack_start "$1"; then
		t_fail "the $1 stack did not start"
		t_done
	fi
	t_pass "the $1 stack is up ($(($(date +%s) - e2e_t0)) s)"
	log="$STACK_DIR/main.log"
	stack_csr u1 "$E2E_USER1_DN" "$E2E_USER1_UPN" || t_fail "CSR u1"
	stack_csr u2 "$E2E_USER2_DN" "$E2E_USER2_UPN" || t_fail "CSR u2"
	stack_csr dis "CN=Disabled User,CN=Users,DC=domain1,DC=corp,DC=company,DC=com" \
	    disabled1@domain1.corp.company.com || t_fail "CSR dis"
	stack_csr nobody "CN=Nobody,CN=Users,DC=domain1,DC=corp,DC=company,DC=com" \
	    nobody@domain1.corp.company.com || t_fail "CSR nobody"
	stack_csr tpl "$E2E_USER1_DN" "$E2E_USER1_UPN" "$STACK_OTHER_TEMPLATE_HEX" || t_fail "CSR tpl"

	# --- Success, and the CA step --------------------------------------
	code=$(radius_totp_code)
	e2e_post ok 'DOMAIN1\user1' "$code" "$STACK_DIR/u1.csr.der"
	t_check_response "Success" "$T/ok" 200 Success
	e2e_audit "Success" "$log" 'DOMAIN1\x5cuser1' Success '-'
	E2E_SUCCESSES=$(grep -c 'status=Success' "$log")
	t_http_body "$T/ok" "$T/ok.xml"
	t_check "Success: IssuingCA is the configured CA" \
	    grep -qF "<IssuingCA>$STACK_CA_STRING</IssuingCA>" "$T/ok.xml"
	sed -n 's/.*SignedCertRequest="\([^"]*\)".*/\1/p' "$T/ok.xml" | base64 -d >"$T/ok.p7" 2>/dev/null
	t_check "Success: SignedCertRequest is base64 DER" test -s "$T/ok.p7"
	e2e_ca_step "Success: CA step" "$T/ok.p7"
	code=$(radius_totp_code)
	e2e_user1 "client Success" 0 cl-ok "$code"
	e2e_ca_step "client Success: CA step" "$T/cl-ok.signed.der"
	E2E_SUCCESSES=$(grep -c 'status=Success' "$log")

	# --- AuthenticationError -------------------------------------------
	code=$(radius_totp_code)
	e2e_post wrong 'DOMAIN1\user1' "$(stack_wrong_code "$code")" "$STACK_DIR/u1.csr.der"
	t_check_response "wrong code: AuthenticationError" "$T/wrong" 200 AuthenticationError
	e2e_audit "wrong code" "$log" 'DOMAIN1\x5cuser1' AuthenticationError 'step 3'
	e2e_user1 "client wrong code" 2 cl-wrong "$(stack_wrong_code "$code")"
	e2e_post unknown 'DOMAIN1\nobody' "$code" "$STACK_DIR/nobody.csr.der"
	t_check_response "unknown user: AuthenticationError" "$T/unknown" 200 AuthenticationError
	e2e_audit "unknown user" "$log" 'DOMAIN1\x5cnobody' AuthenticationError 'step 2'
	(umask 077 && printf '%s\n' "$code" >"$T/cl-nobody.code")
	e2e_client "client unknown user" 2 cl-nobody --user 'DOMAIN1\nobody' \
	    --otp-file "$T/cl-nobody.code" --csr "$STACK_DIR/nobody.csr.der"
	# disabled1 has a TOTP secret in RADIUS: only the directory stops it.
	code=$(radius_totp_code)
	e2e_post disabled 'DOMAIN1\disabled1' "$code" "$STACK_DIR/dis.csr.der"
	t_check_response "disabled user: AuthenticationError" "$T/disabled" 200 AuthenticationError
	e2e_audit "disabled user" "$log" 'DOMAIN1\x5cdisabled1' AuthenticationError 'step 2.*disabled'
	e2e_post domain 'OTHERDOM\user1' "$code" "$STACK_DIR/u1.csr.der"
	t_check_response "unknown domain: AuthenticationError" "$T/domain" 200 AuthenticationError
	e2e_audit "unknown domain" "$log" 'OTHERDOM\x5cuser1' AuthenticationError 'step 2'

	# --- ChallengeResponseRequired -------------------------------------
	e2e_post chal 'DOMAIN1\user2' challenge-me "$STACK_DIR/u2.csr.der"
	t_check_response "challenged: ChallengeResponseRequired" "$T/chal" 200 ChallengeResponseRequired
	e2e_audit "challenged" "$log" 'DOMAIN1\x5cuser2' ChallengeResponseRequired 'step 3'
	(umask 077 && printf '%s\n' challenge-me >"$T/cl-chal.code")
	e2e_client "client challenged" 3 cl-chal --user 'DOMAIN1\user2' \
	    --otp-file "$T/cl-chal.code" --subject "$E2E_USER2_DN" --upn "$E2E_USER2_UPN" \
	    --template-oid "$STACK_TEMPLATE_OID" --template-major 100 --template-minor 5

	# --- OtherError ----------------------------------------------------
	e2e_post badb64 'DOMAIN1\user1' 123456 asdf
	t_check_response "certRequest asdf: OtherError" "$T/badb64" 200 OtherError
	e2e_post baddef 'DOMAIN1\user1' 123456 "$(printf 'not a PKCS#10 request' | base64 -w 0)"
	t_check_response "certRequest not DER: OtherError" "$T/baddef" 200 OtherError
	e2e_audit "bad CSR" "$log" 'DOMAIN1\x5cuser1' OtherError 'step 1'
	code=$(radius_totp_code)
	e2e_post tpl 'DOMAIN1\user1' "$code" "$STACK_DIR/tpl.csr.der"
	t_check_response "wrong template: OtherError" "$T/tpl" 200 OtherError
	e2e_audit "wrong template" "$log" 'DOMAIN1\x5cuser1' OtherError 'step 1.*template'
	e2e_user1 "client wrong template" 4 cl-tpl "$code" --template-oid 1.3.6.1.4.1.311.21.8.9.9.9
	printf 'not a PKCS#10 request' >"$T/garbage.csr"
	(umask 077 && printf '%s\n' "$code" >"$T/cl-raw.code")
	e2e_client "client bad CSR" 4 cl-raw --user 'DOMAIN1\user1' \
	    --otp-file "$T/cl-raw.code" --raw-csr "$T/garbage.csr"
	e2e_post other 'DOMAIN1\user1' "$code" "$STACK_DIR/u2.csr.der"
	t_check_response "request naming another user: OtherError" "$T/other" 200 OtherError

	# A second responder whose RADIUS server is a port nobody listens on.
	dead=$(t_free_port)
	stack_conf "$STACK_DIR/dead.conf" "$STACK_DIR/dead.sock" \
	    "radius_server = 127.0.0.1:$dead" "radius_timeout_ms = 300" "radius_retries = 0"
	if stack_responder dead "$STACK_DIR/dead.conf" &&
	    stack_web deadweb "$STACK_DIR/dead.sock"; then
		code=$(radius_totp_code)
		stack_post "$T/dead" "$STACK_WEB_URL" 'DOMAIN1\user1' "$code" \
		    "$STACK_DIR/u1.csr.der" --cert "$PKI/client.pem" --key "$PKI/client.key"
		t_check_response "RADIUS unreachable: OtherError" "$T/dead" 200 OtherError
		e2e_audit "RADIUS unreachable" "$STACK_DIR/dead.log" 'DOMAIN1\x5cuser1' OtherError 'step 3'
		E2E_URL=$STACK_WEB_URL e2e_user1 "client, RADIUS unreachable" 4 cl-dead "$code"
	else
		t_fail "the responder with a dead RADIUS server did not start"
	fi

	# --- 403: no verified client certificate ---------------------------
	# The responder answers 403 (require_client_cert = yes) when the web
	# server passes the request on; a server that refuses the handshake
	# itself never lets it reach the responder (checked in its log).
	e2e_nocert "no client certificate" nocert
	e2e_nocert "untrusted client certificate" rogue \
	    --cert "$PKI/rogue-client.pem" --key "$PKI/rogue-client.key"
	code=$(radius_totp_code)
	E2E_NOCERT=yes e2e_user1 "client without a certificate" 5 cl-nocert "$code"
	t_check "client without a certificate: no Success" \
	    test "$(grep -c 'status=Success' "$log")" = "$E2E_SUCCESSES"

	# --- the HTTP envelope ---------------------------------------------
	e2e_raw get
	t_check_response "GET: 405" "$T/get" 405
	e2e_raw ctype -H 'Content-Type: text/plain' -H 'X-OTPCEP-version: 1.0' \
	    --data-binary "@$T/ok.req"
	t_check_response "Content-Type text/plain: 415" "$T/ctype" 415
	e2e_raw nover -H 'Content-Type: application/xml' --data-binary "@$T/ok.req"
	t_check_response "no X-OTPCEP-version: 400" "$T/nover" 400
	e2e_raw ver2 -H 'Content-Type: application/xml' -H 'X-OTPCEP-version: 2.0' \
	    --data-binary "@$T/ok.req"
	t_check_response "X-OTPCEP-version 2.0: 400" "$T/ver2" 400
	# Over the responder's max_request_bytes (32 KiB here), under the web
	# server's own limit: the responder's 413.
	head -c 40000 /dev/zero | tr '\0' a >"$T/big.body"
	e2e_raw big -H 'Content-Type: application/xml' -H 'X-OTPCEP-version: 1.0' \
	    --data-binary "@$T/big.body"
	t_check_response "40 kB body: 413" "$T/big" 413
	# 1 MiB: the web server may refuse it first (its own 413, no headers).
	head -c 1048576 /dev/zero | tr '\0' a >"$T/huge.body"
	e2e_raw huge -H 'Content-Type: application/xml' -H 'X-OTPCEP-version: 1.0' \
	    --data-binary "@$T/huge.body"
	if [ -n "$(t_http_header "$T/huge" X-OTPCEP-version)" ]; then
		t_check_response "1 MiB body: 413 (responder)" "$T/huge" 413
	else
		t_check "1 MiB body: 413 ($STACK_WEB)" test "$(t_http_status "$T/huge")" = 413
	fi
	e2e_raw notxml -H 'Content-Type: application/xml' -H 'X-OTPCEP-version: 1.0' \
	    --data-binary 'this is not XML'
	t_check_response "body not XML: 400 (docs/protocol.md)" "$T/notxml" 400

	# Only the protocol's path reaches the responder.
	curl -s -S --http1.1 -i -o "$T/path" --cacert "$PKI/ca.pem" \
	    --cert "$PKI/client.pem" --key "$PKI/client.key" "${STACK_URL%/otpcep}/index.html"
	t_check "another path is not the responder's" \
	    test -z "$(t_http_header "$T/path" X-OTPCEP-version)" -a "$(t_http_status "$T/path")" != 200

	# Everything still up; nothing logged a secret.
	t_check "the responder is still running" kill -0 "$STACK_OTPCEP_PID"
	t_check "the web server is still running" kill -0 "$STACK_MAIN_WEB_PID"
	t_check "no one-time password in the responder's log" \
	    sh -c "! grep -q 'challenge-me' '$log' '$STACK_DIR/dead.log'"
	t_pass "$1 end-to-end took $(($(date +%s) - e2e_t0)) s"
}
