# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Golden Success: example 4.1 replayed through the whole procedure (the real
# slapd, the real FreeRADIUS, a fixed signing key from tests/fixtures/golden)
# gives a byte-identical response: the MS-OTPCE signCertResponse with the
# SignedCertRequest (deterministic PKCS#1 v1.5, no signing time).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_golden.sh"

golden_start || t_done
golden_conf "$T/otpcep.conf"

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
