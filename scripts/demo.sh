#!/bin/bash
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# make demo: the whole MS-OTPCE flow on 127.0.0.1, from nothing.
#
# Generates a throw-away PKI, starts slapd (the directory), FreeRADIUS (a TOTP
# user), the responder and nginx (HTTPS, client certificates) on free
# unprivileged ports, renews the signing certificate (near its end) over
# MS-ICPR from a stand-in AD CS with a real KDC (otpcep-enroll watch), enrolls
# DOMAIN1\user1 with otpcep-client using a code
# from `oathtool --totp`, hands the SignedCertRequest to otpcep-ca (the CA
# step), prints the issued certificate, then shows a wrong code getting
# AuthenticationError. Everything runs from one temporary folder, every daemon
# is stopped by its pid, and the script exits non-zero if any step fails.
#
# The daemons are the ones the end-to-end tests use (tests/integration/
# lib_stack.sh and the helpers it sources): real slapd, FreeRADIUS, nginx
# with the shipped etc/nginx/otpcep.conf, and the responder.
# The front is nginx, not lighttpd: lighttpd 1.4.69 (Debian 12) with mod_gnutls
# and client certificates may crash with SIGSEGV when stopped after serving
# (a bug of that lighttpd, serving is not affected); the shipped lighttpd
# configuration is tested by make check (e2e_lighttpd.sh, web.sh).
set -u
OTPCEP_TOP=$(cd "$(dirname "$0")/.." && pwd)
export OTPCEP_TOP
. "$OTPCEP_TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/lib_stack.sh"
. "$TOP/tests/integration/lib_kdc.sh"

CLIENT="$TOP/build/bin/otpcep-client"
CATOOL="$TOP/build/bin/otpcep-ca"
ENROLLTOOL="$TOP/build/bin/otpcep-enroll"
STANDIN="$TOP/build/tests/drv_standin_ca"
USER1='DOMAIN1\user1'
USER1_DN="CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com"
USER1_UPN="user1@domain1.corp.company.com"
LIFETIME=3600
DEMO_T0=$(date +%s%N)
DEMO_STEP=0
DEMO_STEPS=10

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# step TITLE: starts a numbered step.
step() {
	DEMO_STEP=$((DEMO_STEP + 1))
	STEP_T0=$(date +%s%N)
	printf '\n[%d/%d] %s\n' "$DEMO_STEP" "$DEMO_STEPS" "$1"
}
# say TEXT: one indented line of a step.
say() { printf '      %s\n' "$*"; }
done_step() { say "($(ms_since "$STEP_T0") ms)"; }
# fail TEXT [FILE]: the step failed; shows FILE's tail and stops (exit 1).
fail() {
	printf '      FAILED: %s\n' "$1" >&2
	if [ -n "${2:-}" ] && [ -f "$2" ]; then
		tail -n 15 "$2" | sed 's/^/      | /' >&2
	fi
	exit 1
}
# quietly LOG COMMAND...: runs a helper with its chatter in LOG.
quietly() {
	ql=$1
	shift
	"$@" >>"$ql" 2>&1
}
pid_of_log() { sed -n "s/^started $1 (pid \([0-9]*\))$/\1/p" "$2" | tail -n 1; }

for tool in slapd freeradius nginx oathtool certtool curl; do
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
	    fail "$tool is not installed: run scripts/install-deps.sh as root"
done
[ -x "$OTPCEP" ] || fail "$OTPCEP is not built: run make"
[ -x "$CLIENT" ] || fail "$CLIENT is not built: run make"
[ -x "$CATOOL" ] || fail "$CATOOL is not built: run make"
[ -x "$ENROLLTOOL" ] || fail "$ENROLLTOOL is not built: run make"
[ -x "$STANDIN" ] || fail "$STANDIN is not built: run make demo"

echo "otpcep demo: MS-OTPCE from a one-time password to a smart card logon certificate"
echo "everything on 127.0.0.1, all state in $T (removed at the end)"
STACK_WEB=nginx
mkdir -p "$STACK_DIR"
chmod 700 "$STACK_DIR"
LOG="$T/demo.log"

step "A throw-away PKI (certtool)"
quietly "$LOG" stack_pki || fail "could not make the PKI" "$LOG"
# The signing certificate near its end (2 hours of its 2 days left): the
# renewal step below replaces it over MS-ICPR before the enrollment.
quietly "$LOG" pki_issue sign-rsa sign-rsa from=-165600 to=7200 ||
    fail "could not re-issue the signing certificate" "$LOG"
say "root CA            $(certtool -i --infile "$PKI/ca.pem" | sed -n 's/^[[:space:]]*Subject: //p')"
say "TLS server         127.0.0.1, for nginx"
say "client machine     $(certtool -i --infile "$PKI/client.pem" | sed -n 's/^[[:space:]]*Subject: //p'), presented by the client over TLS"
say "signing (RA)       EKU 1.3.6.1.4.1.311.81.1.1 (DirectAccess OTP), co-signs requests; 2 hours left"
say "issuing CA         $(certtool -i --infile "$PKI/demo-ca.pem" | sed -n 's/^[[:space:]]*Subject: //p'), used by otpcep-ca"
done_step

step "The directory: slapd"
SLAPD_TLS=yes quietly "$LOG" slapd_start || fail "slapd did not start" "$LOG"
say "$SLAPD_LDAPS_URI (pid $SLAPD_PID), domain DOMAIN1 = $STACK_DOMAIN_BASE"
say "user $USER1: $USER1_DN, UPN $USER1_UPN"
done_step

step "The OTP server: FreeRADIUS"
quietly "$LOG" freeradius_start || fail "FreeRADIUS did not start" "$LOG"
say "127.0.0.1:$RADIUSD_PORT/udp (pid $RADIUSD_PID), user1 has TOTP secret $RADIUS_TOTP_SECRET"
done_step

step "The responder: otpcep (FastCGI)"
STACK_CONF="$STACK_DIR/otpcep.conf"
stack_conf "$STACK_CONF" "$STACK_DIR/otpcep.sock"
quietly "$LOG" stack_responder main "$STACK_CONF" ||
    fail "the responder did not start" "$STACK_DIR/main.log"
STACK_OTPCEP_PID=$STACK_RESPONDER_PID
say "unix:$STACK_DIR/otpcep.sock (pid $STACK_OTPCEP_PID), configuration $STACK_CONF:"
grep -E '^(template|ldap_uri|domain|radius_server|radius_username|signing_cert|ca|require_client_cert) ' \
    "$STACK_CONF" | sed 's/^/        /'
done_step

step "The web server: nginx (etc/nginx/otpcep.conf)"
quietly "$LOG" stack_web web "$STACK_DIR/otpcep.sock" ||
    fail "nginx did not start" "$LOG"
STACK_URL=$STACK_WEB_URL
say "$STACK_URL (pid $STACK_WEB_PID), HTTPS, client certificates verified against the root CA"
done_step

step "Renew the signing certificate over MS-ICPR (otpcep-enroll, Kerberos, packet privacy)"
quietly "$LOG" kdc_start || fail "krb5kdc did not start" "$LOG"
quietly "$LOG" kdc_add_keytab host/ca.test "$T/ca.keytab" &&
    quietly "$LOG" kdc_add_keytab 'DA1$' "$T/da1.keytab" ||
    fail "the realm's principals" "$LOG"
say "KDC 127.0.0.1:$KDC_PORT (pid $KDC_PID), realm $KDC_REALM: host/ca.test (the CA), DA1\$ (this server's computer account, keytab)"
printf 'dn: CN=Computers,%s\nobjectClass: container\ncn: Computers\n\ndn: CN=DA1,CN=Computers,%s\nobjectClass: user\ncn: DA1\nsAMAccountName: DA1$\nuserAccountControl: 4096\n' \
    "$STACK_DOMAIN_BASE" "$STACK_DOMAIN_BASE" |
    ldapadd -x -H "$SLAPD_URI" -D "$SLAPD_BIND_DN" -y "$SLAPD_PW_FILE" >>"$LOG" 2>&1 ||
    fail "cannot add DA1\$ to the directory" "$LOG"
CA_EPM=$(t_free_port)
while :; do CA_PORT=$(t_free_port); [ "$CA_PORT" != "$CA_EPM" ] && break; done
t_start "stand-in CA" "$T/standin.log" "$STANDIN" --epm-port "$CA_EPM" --port "$CA_PORT" \
    --keytab "$T/ca.keytab" --ca-cert "$PKI/ca.pem" --ca-key "$PKI/ca.key" --trust "$PKI/ca.pem" \
    --ldap-uri "$SLAPD_URI" --ldap-base "$STACK_DOMAIN_BASE" --ldap-bind-dn "$SLAPD_BIND_DN" \
    --ldap-pw-file "$SLAPD_PW_FILE" --state "$T" --template DAOTPRA=signing \
    --lifetime 172800 >>"$LOG"
CA_PID=$T_LAST_PID
t_wait_port "$CA_PORT" 10 || fail "the stand-in CA did not start" "$T/standin.log"
say "stand-in AD CS (tests/integration/drv_standin_ca): endpoint mapper 127.0.0.1:$CA_EPM, ICPR 127.0.0.1:$CA_PORT, template DAOTPRA"
cp "$STACK_CONF" "$T/enroll.conf"
cat >>"$T/enroll.conf" <<CONF
enroll_ca = ca.test\\otpcep stand-in CA
enroll_ca_address = 127.0.0.1
enroll_epm_port = $CA_EPM
enroll_template = DAOTPRA
enroll_keytab = $T/da1.keytab
enroll_principal = DA1\$@$KDC_REALM
enroll_state_file = $T/renewal.state
CONF
say "the signing certificate: serial $(certtool -i --infile "$PKI/sign-rsa.pem" | sed -n 's/^[[:space:]]*Serial Number (hex): //p'), not after $(certtool -i --infile "$PKI/sign-rsa.pem" | sed -n 's/^[[:space:]]*Not After: //p')"
"$OTPCEP" --probe -c "$T/enroll.conf" 2>/dev/null | grep '^renewal' | sed 's/^/      > otpcep --probe: /'
say "otpcep-enroll watch   (what otpcep-enroll.timer runs)"
"$ENROLLTOOL" -c "$T/enroll.conf" watch >"$T/watch.out" 2>&1
rc=$?
sed 's/^/      > /' "$T/watch.out"
[ $rc -eq 0 ] || fail "otpcep-enroll exited with $rc" "$T/standin.log"
say "CA: $(grep 'CertServerRequest from' "$T/standin.log" | tail -n 1 | sed 's/^standin\[[0-9]*\]: //')"
say "new signing certificate: serial $(certtool -i --infile "$PKI/sign-rsa.pem" | sed -n 's/^[[:space:]]*Serial Number (hex): //p'), subject $(certtool -i --infile "$PKI/sign-rsa.pem" | sed -n 's/^[[:space:]]*Subject: //p'), not after $(certtool -i --infile "$PKI/sign-rsa.pem" | sed -n 's/^[[:space:]]*Not After: //p')"
"$OTPCEP" --probe -c "$T/enroll.conf" 2>/dev/null | grep '^renewal' | sed 's/^/      > otpcep --probe: /'
say "the responder (pid $STACK_OTPCEP_PID, not restarted) signs the next enrollment with it"
done_step
sleep 1.1	# the responder's signer looks at its files at most once a second

step "Enroll DOMAIN1\\user1 with otpcep-client"
CODE=$(radius_totp_code) || fail "oathtool failed"
(umask 077 && printf '%s\n' "$CODE" >"$T/code")
say "one-time password: oathtool --totp -b $RADIUS_TOTP_SECRET -> $CODE (into $T/code, mode 0600)"
client() { # OUT-PREFIX CODE-FILE
	"$CLIENT" --url "$STACK_URL" --cacert "$PKI/ca.pem" \
	    --cert "$PKI/client.pem" --key "$PKI/client.key" \
	    --user "$USER1" --otp-file "$2" \
	    --subject "$USER1_DN" --upn "$USER1_UPN" \
	    --template-oid "$STACK_TEMPLATE_OID" --template-major 100 --template-minor 5 \
	    --out "$1"
}
say "otpcep-client --url $STACK_URL --cacert ca.pem --cert client.pem --key client.key \\"
say "    --user '$USER1' --otp-file code --subject '$USER1_DN' \\"
say "    --upn $USER1_UPN --template-oid $STACK_TEMPLATE_OID --out user1"
client "$T/user1" "$T/code" >"$T/client.out" 2>&1
rc=$?
sed 's/^/      > /' "$T/client.out"
[ $rc -eq 0 ] || fail "otpcep-client exited with $rc, expected 0 (Success)" "$STACK_DIR/main.log"
[ -s "$T/user1.signed.der" ] || fail "otpcep-client wrote no SignedCertRequest ($T/user1.signed.der)"
say "Success: user1.signed.der, $(stat -c %s "$T/user1.signed.der") bytes (CMS SignedData around CMC PKIData, co-signed); the user's key in user1.key"
openssl pkcs7 -inform DER -in "$T/user1.signed.der" -print_certs -out "$T/user1.signers.pem" 2>/dev/null
cosigner=$(certtool -i --infile "$T/user1.signers.pem" 2>/dev/null | sed -n 's/^[[:space:]]*Serial Number (hex): //p' | head -n 1)
renewed=$(certtool -i --infile "$PKI/sign-rsa.pem" | sed -n 's/^[[:space:]]*Serial Number (hex): //p')
say "co-signed with the renewed signing certificate: serial $cosigner"
[ "$cosigner" = "$renewed" ] || fail "the request was co-signed by serial $cosigner, not the renewed $renewed" "$STACK_DIR/main.log"
say "responder: $(grep 'status=Success' "$STACK_DIR/main.log" | tail -n 1 | sed 's/^otpcep: //')"
done_step

step "The CA step: otpcep-ca checks the co-signature and issues the certificate"
say "otpcep-ca --in user1.signed.der --trust ca.pem --ca-cert demo-ca.pem --ca-key demo-ca.key \\"
say "    --lifetime $LIFETIME --out user1.crt --print"
"$CATOOL" --in "$T/user1.signed.der" --trust "$PKI/ca.pem" --ca-cert "$PKI/demo-ca.pem" \
    --ca-key "$PKI/demo-ca.key" --lifetime "$LIFETIME" --out "$T/user1.crt" --print \
    >"$T/ca.out" 2>&1
rc=$?
sed 's/^/      > /' "$T/ca.out"
[ $rc -eq 0 ] || fail "otpcep-ca exited with $rc"
[ -s "$T/user1.crt" ] || fail "otpcep-ca wrote no certificate"
done_step

step "The issued certificate (certtool -i)"
certtool -i --infile "$T/user1.crt" >"$T/user1.crt.txt" 2>&1 || fail "certtool cannot read it" "$T/user1.crt.txt"
field() { sed -n "s/^[[:space:]]*$1: //p" "$T/user1.crt.txt" | head -n 1; }
subject=$(field Subject)
upn=$(sed -n 's/^[[:space:]]*User Principal Name: //p' "$T/user1.crt.txt" | head -n 1)
nb=$(field 'Not Before')
na=$(field 'Not After')
life=$(( $(date -d "$na" +%s) - $(date -d "$nb" +%s) ))
eku=$(sed -n '/Key Purpose/,/^[[:space:]]*[A-Z].*(.*critical)/p' "$T/user1.crt.txt" |
    sed -n '2,$s/^[[:space:]]*\([A-Za-z0-9 .]*[A-Za-z0-9]\)\.$/\1/p' | paste -sd, - | sed 's/,/, /g')
say "Subject   $subject"
say "UPN       $upn"
say "Issuer    $(field Issuer)"
say "Validity  $nb -> $na ($((life / 60)) minutes)"
say "EKU       ${eku:-none}"
say "Serial    $(field 'Serial Number (hex)')"
[ "$subject" = "$USER1_DN" ] || fail "the subject is not $USER1_DN"
[ "$upn" = "$USER1_UPN" ] || fail "the UPN is not $USER1_UPN" "$T/user1.crt.txt"
case "$eku" in *"Smart Card Logon"*) ;; *) fail "no smart card logon EKU" "$T/user1.crt.txt" ;; esac
[ "$life" -le $((LIFETIME + 600)) ] || fail "the lifetime is $life s, over $LIFETIME s"
done_step

step "A wrong code gets AuthenticationError"
CODE=$(radius_totp_code)
WRONG=$(stack_wrong_code "$CODE")
(umask 077 && printf '%s\n' "$WRONG" >"$T/wrong-code")
say "otpcep-client ... --user '$USER1' with $WRONG in the code file (the right one is $CODE)"
client "$T/wrong" "$T/wrong-code" >"$T/wrong.out" 2>&1
rc=$?
sed 's/^/      > /' "$T/wrong.out"
[ $rc -eq 2 ] || fail "otpcep-client exited with $rc, expected 2 (AuthenticationError)" "$STACK_DIR/main.log"
[ ! -e "$T/wrong.signed.der" ] || fail "a SignedCertRequest was written for a wrong code"
say "responder: $(grep 'status=AuthenticationError' "$STACK_DIR/main.log" | tail -n 1 | sed 's/^otpcep: //')"
done_step

echo
echo "Stopping everything by pid"
# stop NAME PID: SIGTERM, up to 5 s, then SIGKILL; says how it ended.
stop() {
	kill "$2" 2>/dev/null
	i=0
	while kill -0 "$2" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$2" 2>/dev/null && say "$1 (pid $2) did not stop on SIGTERM: killed"
	{ wait "$2"; } 2>/dev/null
	st=$?
	case $st in
	0 | 143) say "$1 (pid $2) stopped" ;;
	139) say "$1 (pid $2) stopped, but crashed on the way out (SIGSEGV)" ;;
	*) say "$1 (pid $2) stopped, exit status $st" ;;
	esac
}
# The shell's own "Segmentation fault" notice is kept off the screen: stop()
# says how each one ended.
exec 3>&2 2>/dev/null
stop nginx "$STACK_WEB_PID"
stop otpcep "$STACK_OTPCEP_PID"
stop FreeRADIUS "$RADIUSD_PID"
stop slapd "$SLAPD_PID"
stop "stand-in CA" "$CA_PID"
stop krb5kdc "$KDC_PID"
exec 2>&3 3>&-
echo
echo "demo done in $(ms_since "$DEMO_T0") ms: a TOTP one-time password became a $((life / 60))-minute smart card logon certificate"
