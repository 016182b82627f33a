# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# otpcep-client against the responder behind lighttpd (the shipped sample,
# HTTPS with client certificates, from lib_web.sh): what it sends, what it
# makes, how it fails. Success needs the directory, RADIUS and the signer:
# see the end-to-end tests.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pki.sh"
. "$(dirname "$0")/lib_web.sh"
CLIENT="$TOP/build/bin/otpcep-client"
SPEC="$TOP/tests/data/spec"
[ -x "$CLIENT" ] || { t_fail "build/bin/otpcep-client is not built"; t_done; }
web_pki || { t_fail "web_pki"; t_done; }
cat >"$T/otpcep.conf" <<CONF
template = OTPLogon
ca = ca1.example.com\\Issuing CA 1
log = stderr
require_client_cert = yes
workers = 2
CONF
web_responder_start "$T/otpcep.conf" || { t_fail "responder"; t_done; }
lighttpd_tls_start || { t_fail "lighttpd"; t_done; }
printf '123456\n' >"$T/otp"
chmod 600 "$T/otp"

# run NAME WANT-EXIT args...: runs the client, output in $T/NAME.out/.err.
run() {
	name=$1 want=$2
	shift 2
	"$CLIENT" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null
	got=$?
	if [ "$got" = "$want" ]; then
		t_pass "$name: exit $want"
	else
		t_fail "$name: exit $got, expected $want: $(cat "$T/$name.err")"
	fi
}
TLS=(--cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client.key")
SUBJ='CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com'
GEN=(--subject "$SUBJ" --upn user1@domain1.corp.company.com)
U=(--url "$WEB_URL" --user 'DOMAIN1\user1' --otp-file "$T/otp")

# 1. The request it makes, read back with certtool.
run gen-rsa 4 "${U[@]}" "${TLS[@]}" "${GEN[@]}" --template-oid 1.3.6.1.4.1.311.21.8.1.2 \
    --template-major 100 --template-minor 5 --machine CLIENT2.domain1.corp.company.com \
    --process LogonUI.exe --csr-out "$T/gen-rsa.csr" --out "$T/gen-rsa"
t_check "gen-rsa: prints the status" grep -qx 'status: OtherError' "$T/gen-rsa.out"
certtool --crq-info --infile "$T/gen-rsa.csr" >"$T/gen-rsa.info" 2>&1
t_check "gen-rsa: certtool reads it, self-signature verified" grep -q 'Self signature: verified' "$T/gen-rsa.info"
t_check "gen-rsa: subject" grep -qF "Subject: $SUBJ" "$T/gen-rsa.info"
t_check "gen-rsa: RSA 2048" grep -q 'Modulus (bits 2048)' "$T/gen-rsa.info"
t_check "gen-rsa: UPN" grep -q 'User Principal Name: user1@domain1.corp.company.com' "$T/gen-rsa.info"
t_check "gen-rsa: smart card logon EKU" grep -q 'Smart Card Logon' "$T/gen-rsa.info"
t_check "gen-rsa: client auth EKU" grep -q 'TLS WWW Client' "$T/gen-rsa.info"
t_check "gen-rsa: key usage critical, signature + encipherment" \
    sh -c "grep -A2 'Key Usage (critical)' '$T/gen-rsa.info' | grep -q 'Key encipherment'"
t_check "gen-rsa: SHA-256 signature" grep -q 'Signature Algorithm: RSA-SHA256' "$T/gen-rsa.info"
# The template extension, byte for byte: SEQUENCE { OID 1.3.6.1.4.1.311.21.8.1.2, 100, 5 }
TPL=$(sed -n '/1.3.6.1.4.1.311.21.7/,/Hexdump/p' "$T/gen-rsa.info" | sed -n 's/.*Hexdump: //p')
t_check "gen-rsa: v2 template extension, DER SEQUENCE { OID, 100, 5 } ($TPL)" \
    test "$TPL" = 3013060b2b06010401823715080102020164020105
CI=$(sed -n '/1.3.6.1.4.1.311.21.20/,/Hexdump/p' "$T/gen-rsa.info" | sed -n 's/.*Hexdump: //p')
want_ci=$(printf '%s' 'CLIENT2.domain1.corp.company.com' | od -An -tx1 | tr -d ' \n')
t_check "gen-rsa: ClientInfo names the machine" sh -c "echo '$CI' | grep -q '$want_ci'"
want_acct=$(printf '%s' 'DOMAIN1\CLIENT2$' | od -An -tx1 | tr -d ' \n')
t_check "gen-rsa: ClientInfo account DOMAIN1\\CLIENT2\$ (from --user and the machine)" \
    sh -c "echo '$CI' | grep -q '$want_acct'"
t_check "gen-rsa: ClientInfo clientId 5" sh -c "echo '$CI' | grep -q '^30..020105'"
t_check "gen-rsa: application policies smart card logon" \
    grep -q '1.3.6.1.4.1.311.21.10' "$T/gen-rsa.info"
t_check "gen-rsa: subject key identifier" grep -q 'Subject Key Identifier' "$T/gen-rsa.info"
t_check "gen-rsa: no key or SignedCertRequest written without Success" \
    test ! -e "$T/gen-rsa.key" -a ! -e "$T/gen-rsa.signed.der"
# The responder's own reading of it: its log names the user, and it is the
# certificate request step (or a later one) that answered, not the envelope.
t_check "gen-rsa: the responder parsed the SignCert Request (user in the audit line)" \
    grep -q 'user="DOMAIN1\\x5cuser1".*status=OtherError' "$T/otpcep.conf.log"
t_check "gen-rsa: the one-time password is not in the responder's log" \
    sh -c "! grep -q 123456 '$T/otpcep.conf.log'"

run gen-ec 4 "${U[@]}" "${TLS[@]}" "${GEN[@]}" --template OTPLogon --key-type ec \
    --csr-out "$T/gen-ec.csr"
certtool --crq-info --infile "$T/gen-ec.csr" >"$T/gen-ec.info" 2>&1
t_check "gen-ec: P-256 key, ECDSA-SHA256" sh -c \
    "grep -q 'Curve:[[:space:]]*SECP256R1' '$T/gen-ec.info' && grep -q 'ECDSA-SHA256' '$T/gen-ec.info'"
t_check "gen-ec: v1 template name extension (BMPString OTPLogon)" \
    grep -q 'Hexdump: 1e10004f00540050004c006f0067006f006e' "$T/gen-ec.info"
t_check "gen-ec: self-signature verified" grep -q 'Self signature: verified' "$T/gen-ec.info"

# 2. Given requests.
run csr-der 4 "${U[@]}" "${TLS[@]}" --csr "$SPEC/4.1-certRequest.der" --csr-out "$T/csr-der.pem"
certtool --crq-info --infile "$T/csr-der.pem" --outder --outfile "$T/csr-der.der" >/dev/null 2>&1
t_check "csr-der: the 4.1 request is sent byte for byte" cmp -s "$T/csr-der.der" "$SPEC/4.1-certRequest.der"
run csr-pem 4 "${U[@]}" "${TLS[@]}" --csr "$T/gen-rsa.csr"
printf 'asdf' | base64 -d >"$T/asdf.bin" 2>/dev/null
run raw-4.4 4 "${U[@]}" "${TLS[@]}" --raw-csr "$T/asdf.bin"
t_check "raw-4.4: example 4.4 (certRequest=asdf): OtherError printed" grep -qx 'status: OtherError' "$T/raw-4.4.out"
head -c 100 /dev/urandom >"$T/junk.csr"
run csr-junk 1 "${U[@]}" "${TLS[@]}" --csr "$T/junk.csr"
t_check "csr-junk: says it is not a PKCS#10" grep -q 'not a PKCS#10' "$T/csr-junk.err"
# A request whose signature is broken: flip a byte near the end.
cp "$SPEC/4.1-certRequest.der" "$T/badsig.der"
sz=$(stat -c %s "$T/badsig.der")
printf '\x00' | dd of="$T/badsig.der" bs=1 seek=$((sz - 5)) conv=notrunc 2>/dev/null
run csr-badsig 1 "${U[@]}" "${TLS[@]}" --csr "$T/badsig.der"
t_check "csr-badsig: says the self-signature does not verify" grep -q 'self-signature' "$T/csr-badsig.err"

# 3. The one-time password from standard input and from an argument.
printf '654321\n' | "$CLIENT" --url "$WEB_URL" --user 'DOMAIN1\user1' "${TLS[@]}" \
    --csr "$T/gen-rsa.csr" --otp-file - >"$T/stdin.out" 2>&1
t_check "--otp-file - reads standard input (exit 4)" test $? -eq 4
printf '\n' | "$CLIENT" --url "$WEB_URL" --user 'DOMAIN1\user1' "${TLS[@]}" \
    --csr "$T/gen-rsa.csr" >"$T/empty.out" 2>&1
t_check "an empty one-time password is refused before sending (exit 1)" test $? -eq 1
head -c 200 /dev/zero | tr '\0' 7 >"$T/long"; chmod 600 "$T/long"
run otp-long 64 "${U[@]:0:4}" --otp-file "$T/long" "${TLS[@]}" --csr "$T/gen-rsa.csr"
t_check "otp-long: says why" grep -q 'longer than 128' "$T/otp-long.err"
chmod 644 "$T/otp"
run otp-mode 64 "${U[@]}" "${TLS[@]}" --csr "$T/gen-rsa.csr"
t_check "otp-mode: a world-readable --otp-file is refused" grep -qi 'insecure\|permission\|mode' "$T/otp-mode.err"
chmod 600 "$T/otp"
run otp-arg 4 --url "$WEB_URL" --user 'DOMAIN1\user1' --otp '<&"x">' "${TLS[@]}" --csr "$T/gen-rsa.csr"

# 4. Usage errors: 64, and a message saying what to do.
run use-nourl 64 --user 'D\u' --otp-file "$T/otp" "${GEN[@]}" --template X
t_check "use-nourl: names --url" grep -q -- '--url' "$T/use-nourl.err"
run use-http 64 --url "http://127.0.0.1:$WEB_PORT/otpcep" --user 'D\u' --otp-file "$T/otp" --csr "$T/gen-rsa.csr"
t_check "use-http: says https" grep -q 'https://' "$T/use-http.err"
run use-nouser 64 --url "$WEB_URL" --otp-file "$T/otp" --csr "$T/gen-rsa.csr"
run use-nosubject 64 "${U[@]}" --template X
run use-notemplate 64 "${U[@]}" "${GEN[@]}"
run use-twotemplates 64 "${U[@]}" "${GEN[@]}" --template X --template-oid 1.2.3
run use-keytype 64 "${U[@]}" "${GEN[@]}" --template X --key-type dsa
run use-bits 64 "${U[@]}" "${GEN[@]}" --template X --bits 1024
run use-certkey 64 "${U[@]}" "${GEN[@]}" --template X --cert "$PKI/client.pem"
run use-csrgen 64 "${U[@]}" --csr "$T/gen-rsa.csr" --subject CN=x
run use-timeout 64 "${U[@]}" --csr "$T/gen-rsa.csr" --timeout 0
run use-unknown 64 "${U[@]}" --csr "$T/gen-rsa.csr" --frobnicate
run use-extra 64 "${U[@]}" --csr "$T/gen-rsa.csr" extra
run use-subject 64 "${U[@]}" --subject 'not a DN' --template X
run use-bothotp 64 "${U[@]}" --otp 1 --csr "$T/gen-rsa.csr"
"$CLIENT" --help >"$T/help.out" 2>&1
t_check "--help exits 0 and documents the exit status" sh -c \
    "grep -q 'EXIT STATUS' '$T/help.out' && grep -q 'ChallengeResponseRequired' '$T/help.out'"

# 5. Transport: 5, with a hint.
dead=$(t_free_port)
run unreachable 5 --url "https://127.0.0.1:$dead/otpcep" --user 'D\u' --otp-file "$T/otp" \
    "${TLS[@]}" --csr "$T/gen-rsa.csr" --timeout 5
t_check "unreachable: says to check the host and port" grep -q 'host and port' "$T/unreachable.err"
run badserver 5 --url "$WEB_URL" --user 'D\u' --otp-file "$T/otp" --cacert "$PKI/rogue-ca.pem" \
    --cert "$PKI/client.pem" --key "$PKI/client.key" --csr "$T/gen-rsa.csr"
t_check "badserver: says to give --cacert" grep -q -- '--cacert' "$T/badserver.err"
run wrongname 5 --url "https://localhost.localdomain:$WEB_PORT/otpcep" --user 'D\u' \
    --otp-file "$T/otp" "${TLS[@]}" --csr "$T/gen-rsa.csr"
run rogue-cert 5 "${U[@]}" --cacert "$PKI/ca.pem" --cert "$PKI/rogue-client.pem" \
    --key "$PKI/rogue-client.key" --csr "$T/gen-rsa.csr"
t_check "rogue-cert: HTTP 403 with a hint about --cert" grep -q 'HTTP 403.*--cert' "$T/rogue-cert.err"
run nopath 5 --url "https://127.0.0.1:$WEB_PORT/other" --user 'D\u' --otp-file "$T/otp" \
    "${TLS[@]}" --csr "$T/gen-rsa.csr"
t_check "nopath: HTTP 404 with a hint about the path" grep -q 'HTTP 404.*path' "$T/nopath.err"
run badkey 5 "${U[@]}" --cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/rogue-client.key" \
    --csr "$T/gen-rsa.csr"

# A server that is not MS-OTPCE: answers 200 without the headers, then 200
# with the headers and a body that is not a signCertResponse.
fake() { # NAME HEAD-LINES BODY: a one-shot TLS server with a fixed answer
	port=$(t_free_port)
	printf 'HTTP/1.1 200 OK\r\n%bContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
	    "$2" "${#3}" "$3" >"$T/fake-$1.resp"
	t_start "fake $1" "$T/fake-$1.log" sh -c "{ cat '$T/fake-$1.resp'; sleep 10; } |
	    exec openssl s_server -quiet -naccept 1 -accept 127.0.0.1:$port \
	    -cert '$PKI/server.pem' -key '$PKI/server.key'"
	t_wait_port "$port" 10
	FAKE_URL="https://127.0.0.1:$port/otpcep"
}
if command -v openssl >/dev/null; then
	fake nohdr 'Content-Type: application/xml\r\n' '<signCertResponse xmlns="http://schemas.microsoft.com/otpcep/1.0/protocol" statusCode="Success"/>'
	run fake-nohdr 5 --url "$FAKE_URL" --user 'D\u' --otp-file "$T/otp" --cacert "$PKI/ca.pem" --csr "$T/gen-rsa.csr"
	t_check "fake-nohdr: says X-OTPCEP-version is missing" grep -q 'X-OTPCEP-version' "$T/fake-nohdr.err"
	fake succ-noscr 'Content-Type: application/xml;charset=utf-8\r\nX-OTPCEP-version: 1.0\r\n' '<signCertResponse xmlns="http://schemas.microsoft.com/otpcep/1.0/protocol" statusCode="Success"/>'
	run fake-succ-noscr 5 --url "$FAKE_URL" --user 'D\u' --otp-file "$T/otp" --cacert "$PKI/ca.pem" --csr "$T/gen-rsa.csr"
	fake dtd 'Content-Type: application/xml;charset=utf-8\r\nX-OTPCEP-version: 1.0\r\n' '<!DOCTYPE x [<!ENTITY e "Success">]><signCertResponse xmlns="http://schemas.microsoft.com/otpcep/1.0/protocol" statusCode="&e;"/>'
	run fake-dtd 5 --url "$FAKE_URL" --user 'D\u' --otp-file "$T/otp" --cacert "$PKI/ca.pem" --csr "$T/gen-rsa.csr"
	fake auth 'Content-Type: application/xml;charset=utf-8\r\nX-OTPCEP-version: 1.0\r\n' '<signCertResponse statusCode="AuthenticationError" xmlns="http://schemas.microsoft.com/otpcep/1.0/protocol"/>'
	run fake-auth 2 --url "$FAKE_URL" --user 'D\u' --otp-file "$T/otp" --cacert "$PKI/ca.pem" --csr "$T/gen-rsa.csr"
	fake chal 'Content-Type: application/xml;charset=utf-8\r\nX-OTPCEP-version: 1.0\r\n' '<signCertResponse statusCode="ChallengeResponseRequired" xmlns="http://schemas.microsoft.com/otpcep/1.0/protocol"/>'
	run fake-chal 3 --url "$FAKE_URL" --user 'D\u' --otp-file "$T/otp" --cacert "$PKI/ca.pem" --csr "$T/gen-rsa.csr"
	fake badstatus 'Content-Type: application/xml;charset=utf-8\r\nX-OTPCEP-version: 1.0\r\n' '<signCertResponse statusCode="Maybe" xmlns="http://schemas.microsoft.com/otpcep/1.0/protocol"/>'
	run fake-badstatus 5 --url "$FAKE_URL" --user 'D\u' --otp-file "$T/otp" --cacert "$PKI/ca.pem" --csr "$T/gen-rsa.csr"
	# Success, as the 4.1 example: the SignedCertRequest and IssuingCA.
	fake success 'Content-Type: application/xml;charset=utf-8\r\nX-OTPCEP-version: 1.0\r\n' "$(cat "$SPEC/4.1-accepted-response.xml")"
	run fake-success 0 --url "$FAKE_URL" --user 'D\u' --otp-file "$T/otp" --cacert "$PKI/ca.pem" \
	    "${GEN[@]}" --template OTPLogon --out "$T/ok"
	t_check "fake-success: SignedCertRequest DER as sent" cmp -s "$T/ok.signed.der" "$SPEC/4.1-SignedCertRequest.der"
	t_check "fake-success: PEM of the same" sh -c \
	    "certtool --p7-info --infile '$T/ok.signed.pem' >/dev/null 2>&1"
	t_check "fake-success: key mode 0600" test "$(stat -c %a "$T/ok.key" 2>/dev/null)" = 600
	kid=$(certtool --key-info --infile "$T/ok.key" 2>/dev/null | sed -n 's/^[[:space:]]*sha256:/sha256:/p' | head -1)
	rid=$(certtool --crq-info --infile "$T/ok.csr.pem" 2>/dev/null | sed -n 's/^[[:space:]]*sha256:/sha256:/p' | head -1)
	t_check "fake-success: the key written belongs to the request ($kid)" test -n "$kid" -a "$kid" = "$rid"
	t_check "fake-success: prints IssuingCA" grep -q '^IssuingCA: ' "$T/fake-success.out"
else
	t_fail "openssl is not installed"
fi
t_done
