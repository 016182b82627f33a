# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Golden Success: example 4.1 replayed through the whole procedure (the real
# slapd, the real FreeRADIUS, a fixed signing key from tests/fixtures/golden)
# gives a byte-identical response: the MS-OTPCE signCertResponse with the
# SignedCertRequest (deterministic PKCS#1 v1.5, no signing time).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_slapd.sh"
. "$(dirname "$0")/lib_radius.sh"
G="$TOP/tests/data/golden"
F="$TOP/tests/fixtures/golden"
# The template OID of example 4.1's request (extension 1.3.6.1.4.1.311.21.7).
TEMPLATE=1.3.6.1.4.1.311.21.8.221803.1567394.12993454.3845153.13972217.75.15653661.6620273

slapd_start >/dev/null || { t_fail "slapd did not start"; t_done; }
RADIUSD_USERS="$F/users" freeradius_start >/dev/null || { t_fail "FreeRADIUS did not start"; t_done; }
install -m 0600 "$F/sign.key" "$T/sign.key"

cat >"$T/otpcep.conf" <<CONF
log = stderr
template = $TEMPLATE
ldap_uri = $SLAPD_URI
ldap_bind_dn = $SLAPD_BIND_DN
ldap_password_file = $SLAPD_PW_FILE
domain = DOMAIN1 DC=domain1,DC=corp,DC=company,DC=com
radius_server = 127.0.0.1:$RADIUSD_PORT
radius_secret_file = $RADIUSD_SECRET_FILE
radius_username = as-sent
signing_cert = $F/sign.pem
signing_key = $T/sign.key
signing_digest = sha1
signing_client_machine = DA1.domain1.corp.company.com
signing_client_account = DOMAIN1\\DA1\$
signing_client_process = w3wp.exe
ca = DC1.domain1.corp.company.com\\RootCA-DC1
CONF

"$OTPCEP" -c "$T/otpcep.conf" --replay "$G/4.1-request.http" >"$T/41.out" 2>"$T/41.log"
t_check_response "example 4.1 replayed: 200 Success" "$T/41.out" 200 Success
if [ -n "${OTPCEP_GOLDEN_WRITE:-}" ]; then
	cp "$T/41.out" "$G/4.1-success-response.http"
	echo "wrote $G/4.1-success-response.http"
fi
t_check "byte-identical to the golden response" cmp "$T/41.out" "$G/4.1-success-response.http"
"$OTPCEP" -c "$T/otpcep.conf" --replay "$G/4.1-request.http" >"$T/41b.out" 2>/dev/null
t_check "and again: deterministic" cmp "$T/41.out" "$T/41b.out"
t_check "IssuingCA is the configured CA" \
	grep -q '<IssuingCA>DC1.domain1.corp.company.com\\RootCA-DC1</IssuingCA>' "$T/41.out"

# The SignedCertRequest inside passes the CA step, and carries 4.1's PKCS#10.
t_http_body "$T/41.out" "$T/41.xml"
sed -n 's/.*SignedCertRequest="\([^"]*\)".*/\1/p' "$T/41.xml" | base64 -d >"$T/41.signed.der"
"$TOP/build/bin/otpcep-ca" --in "$T/41.signed.der" --trust "$F/ca.pem" \
	--ca-cert "$F/ca.pem" --ca-key "$F/ca.key" --out "$T/41.crt" >"$T/ca.out" 2>&1
t_check "otpcep-ca verifies it and issues a certificate" test -s "$T/41.crt"
openssl cms -cmsout -inform DER -in "$T/41.signed.der" -print >"$T/cms.txt" 2>&1
t_check "openssl cms parses it" grep -q 'd.signedData' "$T/cms.txt"
t_check "the audit line says Success for DOMAIN1\\user1" \
	grep -q 'user="DOMAIN1\\x5cuser1" http=200 status=Success' "$T/41.log"

# A changed password is refused by the real RADIUS server, never Success.
sed 's/Pa\$\$word1/Pa$$word2/' "$G/4.1-request.http" >"$T/wrong.http"
"$OTPCEP" -c "$T/otpcep.conf" --replay "$T/wrong.http" >"$T/wrong.out" 2>/dev/null
t_check_response "the same request with another password: AuthenticationError" \
	"$T/wrong.out" 200 AuthenticationError
t_done
