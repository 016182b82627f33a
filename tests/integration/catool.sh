#!/bin/sh
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# otpcep-ca, the CA step (issue 6): SignedCertRequests made by the real signer
# (drv_cmc, step 4's code) with keys from a throw-away PKI are verified as an
# Enterprise CA's policy does and issued from the test CA; the issued
# certificates are checked with certtool and openssl, which did not make them.
# Refusals: tampered PKCS#10 (messageDigest), tampered signed attribute
# (signature), tampered Dummy Signer, unsigned, a signer without the OTP EKU,
# from an untrusted CA, expired (a short-lived certificate, waited out) or
# not yet valid, the MS-OTPCE 4.1 example (untrusted), broken PKCS#10 inside,
# no UPN, wrong content types, 0 or 2 requests, garbage; each with its own
# exit status and reason. Requests the real signer will not make come from
# drv_catool (cmc_encode with a key of its own, or libtasn1 edits).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pki.sh"

CA="$TOP/build/bin/otpcep-ca"
SIGN="$TOP/build/tests/drv_cmc"
DRV="$TOP/build/tests/drv_catool"
CSR="$TOP/tests/data/spec/4.1-certRequest.der"
EX="$TOP/tests/data/spec/4.1-SignedCertRequest.der"

pki_standard || { t_fail "test PKI"; exit 1; }

# conf NAME CERT KEY DIGEST: a signer configuration for drv_cmc
conf() {
	{
		echo "template = 1.3.6.1.4.1.311.21.8.1.2"
		echo "ca = ca.example\\Test CA"
		echo "signing_cert = $2"
		echo "signing_key = $3"
		echo "signing_digest = $4"
	} >"$T/$1.conf"
	chmod 600 "$T/$1.conf"
}

# at FILE.der PATTERN N: "offset header-length length" of the N-th element
# of `openssl asn1parse -i` matching PATTERN.
at() {
	openssl asn1parse -inform DER -i -in "$1" 2>/dev/null | awk -v pat="$2" -v n="$3" '
	$0 ~ pat { c++; if (c == n) {
		split($1, a, ":"); off = a[1]
		match($0, /hl= *[0-9]+/); hl = substr($0, RSTART + 3, RLENGTH - 3) + 0
		match($0, / l= *[0-9]+/); l = substr($0, RSTART + 3, RLENGTH - 3) + 0
		print off, hl, l; exit } }'
}

# hexoff FILE HEX [N]: byte offset of the N-th (default 1) occurrence of HEX
hexoff() {
	od -An -v -tx1 "$1" | tr -d ' \n' | grep -bo "$2" |
	    awk -F: -v n="${3:-1}" '$1 % 2 == 0 { c++; if (c == n) { print $1 / 2; exit } }'
}

# flip IN OFFSET OUT: OUT is IN with the byte at OFFSET xor 1
flip() {
	[ -n "$2" ] || return 1
	cp "$1" "$3"
	b=$(od -An -j "$2" -N1 -tu1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((b ^ 1)))" |
	    dd of="$3" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# run NAME [otpcep-ca options]: $RC, stderr in $T/NAME.err, stdout $T/NAME.out
run() {
	n=$1
	shift
	"$CA" "$@" >"$T/$n.out" 2>"$T/$n.err"
	RC=$?
}

# refused NAME FILE STATUS REASON [options]: refused with that exit status,
# the reason on stderr, and no certificate written.
refused() {
	n=$1 f=$2 want=$3 why=$4
	shift 4
	rm -f "$T/$n.pem"
	run "$n" --in "$f" --trust "$PKI/ca.pem" --ca-cert "$PKI/ca.pem" \
	    --ca-key "$PKI/ca.key" --out "$T/$n.pem" "$@"
	t_check "$n: refused with status $want (got $RC)" test "$RC" -eq "$want"
	t_check "$n: says \"$why\"" grep -q "$why" "$T/$n.err"
	t_check "$n: nothing issued" test ! -e "$T/$n.pem" -a ! -s "$T/$n.out"
}

# epoch "Mon DD HH:MM:SS YYYY GMT" -> seconds
epoch() { date -u -d "$1" +%s; }

# issued NAME PEM CSR.der UPN KU: every check on an issued certificate
issued() {
	n=$(echo "$1" | tr / -) pem=$2 req=$3 upn=$4 ku=$5
	t_check "$n: certtool --verify against the test CA" \
	    sh -c "certtool --verify --load-ca-certificate '$PKI/ca.pem' --infile '$pem' >'$T/$n.verify' 2>&1"
	t_check "$n: ... and it says trusted" grep -q 'Chain verification output: Verified' "$T/$n.verify"
	certtool -i --infile "$pem" >"$T/$n.info" 2>&1
	t_check "$n: UPN $upn" grep -q "User Principal Name: $upn\$" "$T/$n.info"
	t_check "$n: EKU smart card logon and client auth" \
	    sh -c "grep -A2 'Key Purpose' '$T/$n.info' | grep -q 'Smart Card Logon' &&
	    grep -A2 'Key Purpose' '$T/$n.info' | grep -q 'TLS WWW Client'"
	openssl x509 -in "$pem" -noout -ext keyUsage 2>/dev/null | tail -1 | tr -d ' ' >"$T/$n.ku"
	t_check "$n: key usage $ku (got $(cat "$T/$n.ku"))" test "$(cat "$T/$n.ku")" = "$ku"
	t_check "$n: not a CA" grep -q 'Certificate Authority (CA): FALSE' "$T/$n.info"
	openssl req -inform DER -in "$req" -noout -subject -nameopt RFC2253 | sed 's/^subject=//' >"$T/$n.want-subj"
	openssl x509 -in "$pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//' >"$T/$n.subj"
	t_check "$n: subject from the request ($(cat "$T/$n.subj"))" cmp -s "$T/$n.want-subj" "$T/$n.subj"
	openssl req -inform DER -in "$req" -noout -pubkey >"$T/$n.want-pub"
	openssl x509 -in "$pem" -noout -pubkey >"$T/$n.pub"
	t_check "$n: the request's public key" cmp -s "$T/$n.want-pub" "$T/$n.pub"
	openssl x509 -in "$pem" -noout -issuer -nameopt RFC2253 >"$T/$n.iss"
	t_check "$n: issued by the test CA" grep -q 'CN=otpcep test root CA' "$T/$n.iss"
}

# lifetime PEM: notAfter - notBefore in seconds
lifetime() {
	nb=$(openssl x509 -in "$1" -noout -startdate | sed 's/^notBefore=//')
	na=$(openssl x509 -in "$1" -noout -enddate | sed 's/^notAfter=//')
	echo $(($(epoch "$na") - $(epoch "$nb")))
}

# --- good: RSA/SHA-256 over the 4.1 request --------------------------------
conf rsa "$PKI/sign-rsa.pem" "$PKI/sign-rsa.key" sha256
"$SIGN" "$T/rsa.conf" "$CSR" "$T/rsa.der" 2>/dev/null || t_fail "drv_cmc rsa"
now=$(date -u +%s)
run rsa --in "$T/rsa.der" --trust "$PKI/ca.pem" --ca-cert "$PKI/ca.pem" \
    --ca-key "$PKI/ca.key" --out "$T/rsa.pem" --print
t_check "rsa/sha256: issued (status $RC)" test "$RC" -eq 0 -a -s "$T/rsa.pem"
issued rsa/sha256 "$T/rsa.pem" "$CSR" user1@domain1.corp.company.com DigitalSignature,KeyEncipherment
t_check "rsa/sha256: lifetime 1 h by default ($(lifetime "$T/rsa.pem") s)" test "$(lifetime "$T/rsa.pem")" -eq 3600
nb=$(epoch "$(openssl x509 -in "$T/rsa.pem" -noout -startdate | sed 's/^notBefore=//')")
t_check "rsa/sha256: valid from now" test $((nb - now)) -ge -5 -a $((nb - now)) -le 5
t_check "rsa/sha256: --print shows subject, UPN, validity, EKU, serial" \
    sh -c "grep -q 'subject: *CN=User 1,CN=Users' '$T/rsa.out' &&
    grep -q 'UPN: *user1@domain1.corp.company.com' '$T/rsa.out' &&
    grep -q 'validity:.*(3600 s)' '$T/rsa.out' &&
    grep -q 'EKU: *1.3.6.1.4.1.311.20.2.2 (smart card logon)' '$T/rsa.out' &&
    grep -q 'serial: *[0-9a-f]\{32\}' '$T/rsa.out'"
serial=$(openssl x509 -in "$T/rsa.pem" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f')
t_check "rsa/sha256: --print's serial is the certificate's" grep -q "serial: *$serial\$" "$T/rsa.out"
# The same request again: a new random serial.
run rsa2 --in "$T/rsa.der" --trust "$PKI/ca.pem" --ca-cert "$PKI/ca.pem" --ca-key "$PKI/ca.key"
serial2=$(openssl x509 -in "$T/rsa2.out" -noout -serial 2>/dev/null | sed 's/^serial=//' | tr 'A-F' 'a-f')
t_check "without --out: PEM on stdout, another random serial" \
    test "$RC" -eq 0 -a -n "$serial2" -a "$serial2" != "$serial"

# --- good: P-256 signer (SHA-256) over a P-256 user request -----------------
pki_key user-ec ec
cat >"$PKI/user-ec.tmpl" <<-EOF
dn = "CN=User 2,CN=Users,DC=example,DC=test"
other_name_utf8 = "1.3.6.1.4.1.311.20.2.3 user2@example.test"
key_purpose_oid = 1.3.6.1.4.1.311.20.2.2
signing_key
EOF
certtool --generate-request --load-privkey "$PKI/user-ec.key" --template "$PKI/user-ec.tmpl" \
    --outder --outfile "$T/user-ec.csr" >/dev/null 2>&1 || t_fail "P-256 CSR"
conf ec "$PKI/sign-ec.pem" "$PKI/sign-ec.key" sha256
"$SIGN" "$T/ec.conf" "$T/user-ec.csr" "$T/ec.der" 2>/dev/null || t_fail "drv_cmc ec"
run ec --in "$T/ec.der" --trust "$PKI/ca.pem" --ca-cert "$PKI/ca.pem" \
    --ca-key "$PKI/ca.key" --out "$T/ec.pem" --lifetime 10m
t_check "p256: issued (status $RC)" test "$RC" -eq 0 -a -s "$T/ec.pem"
issued p256 "$T/ec.pem" "$T/user-ec.csr" user2@example.test DigitalSignature
t_check "p256: --lifetime 10m gives 600 s" test "$(lifetime "$T/ec.pem")" -eq 600

# --- good: a signer under an intermediate CA, the chain carried in the request
pki_key int rsa && pki_key sign-int rsa || t_fail "intermediate keys"
printf 'cn = "otpcep test intermediate CA"\nca\ncert_signing_key\nexpiration_days = 10\n' >"$PKI/int.tmpl"
printf 'cn = "signer under intermediate"\nsigning_key\nkey_purpose_oid = %s\nexpiration_days = 2\n' \
    "$PKI_EKU" >"$PKI/sign-int.tmpl"
TZ=UTC certtool --generate-certificate --load-privkey "$PKI/int.key" --load-ca-certificate "$PKI/ca.pem" \
    --load-ca-privkey "$PKI/ca.key" --template "$PKI/int.tmpl" --outfile "$PKI/int.pem" >/dev/null 2>&1 &&
TZ=UTC certtool --generate-certificate --load-privkey "$PKI/sign-int.key" --load-ca-certificate "$PKI/int.pem" \
    --load-ca-privkey "$PKI/int.key" --template "$PKI/sign-int.tmpl" --outfile "$PKI/sign-int.pem" >/dev/null 2>&1 ||
    t_fail "intermediate PKI"
conf int "$PKI/sign-int.pem" "$PKI/sign-int.key" sha384
echo "signing_chain = $PKI/int.pem" >>"$T/int.conf"
"$SIGN" "$T/int.conf" "$CSR" "$T/int.der" 2>/dev/null || t_fail "drv_cmc intermediate"
run int --in "$T/int.der" --trust "$PKI/ca.pem" --check
t_check "intermediate (sha384): chain built from the request's certificates ($RC)" test "$RC" -eq 0
t_check "intermediate: names its signer" grep -q 'signed by "CN=signer under intermediate"' "$T/int.err"
# The same signer without the intermediate in the request: no chain.
conf int-nochain "$PKI/sign-int.pem" "$PKI/sign-int.key" sha384
"$SIGN" "$T/int-nochain.conf" "$CSR" "$T/int-nochain.der" 2>/dev/null || t_fail "drv_cmc intermediate, no chain"
refused int-nochain "$T/int-nochain.der" 21 "untrusted"

# --- input forms: base64 as the response carries it, PEM, stdin -----------
base64 -w 64 "$T/rsa.der" >"$T/rsa.b64"
run b64 --in "$T/rsa.b64" --trust "$PKI/ca.pem" --check
t_check "base64 input (as in signedCertRequest) verifies" test "$RC" -eq 0
openssl cms -cmsout -inform DER -in "$T/rsa.der" -outform PEM >"$T/rsa.cms.pem"
"$CA" --in - --trust "$PKI/ca.pem" --check <"$T/rsa.cms.pem" 2>"$T/pem.err"
t_check "PEM input on stdin verifies" test $? -eq 0
# SHA-1 throughout, as in the 4.1 example: accepted.
conf rsa1 "$PKI/sign-rsa.pem" "$PKI/sign-rsa.key" sha1
"$SIGN" "$T/rsa1.conf" "$CSR" "$T/rsa1.der" 2>/dev/null
run sha1 --in "$T/rsa1.der" --trust "$PKI/ca.pem" --check
t_check "rsa/sha1 (the example's digest) verifies" test "$RC" -eq 0

# --- tampered ---------------------------------------------------------------
# A byte of the PKCS#10 inside the eContent ("User 1" -> "User 0").
o=$(hexoff "$T/rsa.der" 557365722031)
flip "$T/rsa.der" "$((o + 5))" "$T/t-csr.der" ||
    t_fail "tamper the PKCS#10"
refused tampered-pkcs10 "$T/t-csr.der" 20 "messageDigest is not the SHA256 digest"
# A byte of signer 2's messageDigest attribute: its signature no longer verifies.
set -- $(at "$T/rsa.der" 'd=8 .*prim: +OCTET STRING' 2)
flip "$T/rsa.der" $(($1 + $2)) "$T/t-attr.der" || t_fail "tamper an attribute"
refused tampered-attribute "$T/t-attr.der" 18 "signer 2: the signature over the signed attributes does not verify"
# The Dummy Signer's value (the digest of its attributes).
set -- $(at "$T/rsa.der" 'd=5 .*prim: +OCTET STRING' 2)
flip "$T/rsa.der" $(($1 + $2)) "$T/t-dummy.der" || t_fail "tamper the Dummy Signer"
refused tampered-dummy "$T/t-dummy.der" 15 "not the SHA256 digest of its signed attributes"
# The last byte of the real signature.
set -- $(at "$T/rsa.der" 'd=5 .*prim: +OCTET STRING' 3)
flip "$T/rsa.der" $(($1 + $2 + $3 - 1)) "$T/t-sig.der" || t_fail "tamper the signature"
refused tampered-signature "$T/t-sig.der" 18 "does not verify"
# The serial in signer 2's sid: its certificate is no longer found.
cser=$(openssl x509 -in "$PKI/sign-rsa.pem" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f')
flip "$T/rsa.der" "$(($(hexoff "$T/rsa.der" "$cser" 2) + 3))" "$T/t-sid.der" || t_fail "tamper the sid"
refused tampered-sid "$T/t-sid.der" 17 "not in the request's certificates"

# --- not signed -------------------------------------------------------------
"$DRV" strip "$T/rsa.der" "$T/unsigned.der" || t_fail "drv_catool strip"
refused unsigned "$T/unsigned.der" 14 "only one signer: not signed"
t_check "unsigned: the Dummy Signer alone is still well formed (openssl cms parses it)" \
    sh -c "openssl cms -cmsout -print -inform DER -in '$T/unsigned.der' | grep -q 'Dummy Signer'"

# --- signers the policy refuses ---------------------------------------------
# No OTP EKU: signer_new() refuses this certificate, so drv_catool signs with
# cmc_encode() directly; everything else about the request is right.
"$DRV" sign "$PKI/sign-noeku.pem" "$PKI/sign-rsa.key" sha256 "$CSR" "$T/noeku.der" ||
    t_fail "drv_catool sign noeku"
refused no-eku "$T/noeku.der" 23 "does not carry 1.3.6.1.4.1.311.81.1.1 in its extended key usage"
# ... and the check can pass: the same request when that EKU is not required.
run noeku-other --in "$T/noeku.der" --trust "$PKI/ca.pem" --check --require-eku 1.3.6.1.5.5.7.3.1
t_check "no-eku: passes with --require-eku serverAuth (the check is the EKU)" test "$RC" -eq 0
refused wrong-eku "$T/rsa.der" 23 "does not carry 1.2.3.4" --require-eku 1.2.3.4
# Only in application policies (no EKU extension): the CA looks at the EKU.
"$DRV" sign "$PKI/sign-apppol.pem" "$PKI/sign-rsa.key" sha256 "$CSR" "$T/apppol.der" ||
    t_fail "drv_catool sign apppol"
refused apppol-only "$T/apppol.der" 23 "extended key usage"
# A signer from another CA.
PKI_MAIN=$PKI
PKI="$T/pki2"
pki_init && pki_key other-sign rsa && pki_issue other-sign other-sign || t_fail "second PKI"
PKI_OTHER=$PKI
PKI=$PKI_MAIN
conf other "$PKI_OTHER/other-sign.pem" "$PKI_OTHER/other-sign.key" sha256
"$SIGN" "$T/other.conf" "$CSR" "$T/other.der" 2>/dev/null || t_fail "drv_cmc other CA"
refused other-ca "$T/other.der" 21 "is untrusted: its chain does not lead to a --trust certificate"
run other-ca-trusted --in "$T/other.der" --trust "$PKI_OTHER/ca.pem" --check
t_check "other-ca: passes with --trust set to its CA" test "$RC" -eq 0
# Expired, and not yet valid (signer_new refuses both; cmc_encode signs).
"$DRV" sign "$PKI/sign-expired.pem" "$PKI/sign-rsa.key" sha256 "$CSR" "$T/expired.der" ||
    t_fail "drv_catool sign expired"
refused expired-signer "$T/expired.der" 22 "expired at"
"$DRV" sign "$PKI/sign-future.pem" "$PKI/sign-rsa.key" sha256 "$CSR" "$T/future.der" ||
    t_fail "drv_catool sign future"
refused future-signer "$T/future.der" 22 "is not valid before"
# A certificate valid for a few seconds, signed by the real signer while it
# was valid: accepted then, refused once it has expired.
pki_issue sign-short sign-rsa seconds=4 || t_fail "short-lived certificate"
conf short "$PKI/sign-short.pem" "$PKI/sign-rsa.key" sha256
"$SIGN" "$T/short.conf" "$CSR" "$T/short.der" 2>/dev/null || t_fail "drv_cmc short"
run short-valid --in "$T/short.der" --trust "$PKI/ca.pem" --check
t_check "short-lived signer: accepted while valid" test "$RC" -eq 0
until=$(epoch "$(openssl x509 -in "$PKI/sign-short.pem" -noout -enddate | sed 's/^notAfter=//')")
while [ "$(date -u +%s)" -le "$until" ]; do sleep 0.5; done
refused short-expired "$T/short.der" 22 "expired at"

# --- the MS-OTPCE 4.1 example -----------------------------------------------
# Its signatures and digests are right (a real Windows server made it), but its
# signing certificate comes from the example's own CA.
run example --in "$EX" --trust "$PKI/ca.pem" --check
t_check "4.1: refused as untrusted (status $RC)" test "$RC" -eq 21
t_check "4.1: says untrusted" grep -q 'untrusted' "$T/example.err"
# Its signing certificate as the only trust anchor: GnuTLS accepts a
# certificate that is itself in the trust list, so the chain check passes;
# the certificate expired in 2012, so it is refused as expired.
openssl pkcs7 -inform DER -in "$EX" -print_certs -out "$T/ex-signer.pem" 2>/dev/null
run example-self --in "$EX" --trust "$T/ex-signer.pem" --check
t_check "4.1 with its own certificate as --trust: passes the chain, refused as expired ($RC)" \
    sh -c "test $RC -eq 22 && grep -q 'expired at 2012' '$T/example-self.err'"

# --- the PKCS#10 inside ------------------------------------------------------
# Its self-signature broken, the CMS around it consistent.
flip "$CSR" $(($(wc -c <"$CSR") - 1)) "$T/badsig.csr"
"$DRV" sign "$PKI/sign-rsa.pem" "$PKI/sign-rsa.key" sha256 "$T/badsig.csr" "$T/badsig.der" ||
    t_fail "drv_catool sign badsig"
refused pkcs10-signature "$T/badsig.der" 24 "PKCS#10's own signature does not verify"
# Valid, but no UPN.
cat >"$PKI/noupn.tmpl" <<-EOF
cn = "User 3"
signing_key
EOF
certtool --generate-request --load-privkey "$PKI/user-ec.key" --template "$PKI/noupn.tmpl" \
    --outder --outfile "$T/noupn.csr" >/dev/null 2>&1 || t_fail "no-UPN CSR"
"$DRV" sign "$PKI/sign-rsa.pem" "$PKI/sign-rsa.key" sha256 "$T/noupn.csr" "$T/noupn.der" ||
    t_fail "drv_catool sign noupn"
refused no-upn "$T/noupn.der" 25 "no subjectAltName, so no UPN"

# --- structure ----------------------------------------------------------------
"$DRV" requests 0 "$T/rsa.der" "$T/req0.der" || t_fail "drv_catool requests 0"
refused zero-requests "$T/req0.der" 13 "holds 0 requests"
"$DRV" requests 2 "$T/rsa.der" "$T/req2.der" || t_fail "drv_catool requests 2"
refused two-requests "$T/req2.der" 13 "holds 2 requests"
# contentType id-signedData (...07 02) -> envelopedData (...07 03)
flip "$T/rsa.der" "$(($(hexoff "$T/rsa.der" 06092a864886f70d010702) + 10))" "$T/t-ct.der"
refused not-signed-data "$T/t-ct.der" 11 "not id-signedData"
# eContentType id-cct-PKIData (...0c 02) -> ...0c 03
flip "$T/rsa.der" "$(($(hexoff "$T/rsa.der" 06082b06010505070c02) + 9))" "$T/t-ect.der"
refused not-pkidata "$T/t-ect.der" 12 "not id-cct-PKIData"
printf 'asdf!' >"$T/asdf"
refused garbage "$T/asdf" 10 "neither DER, PEM nor base64"
printf 'asdf' >"$T/asdf64"
refused base64-garbage "$T/asdf64" 10 "not a CMS SignedData"
: >"$T/empty"
refused empty "$T/empty" 10 "malformed"
head -c 500 "$T/rsa.der" >"$T/short.der"
refused truncated "$T/short.der" 10 "not a CMS SignedData"
{ cat "$T/rsa.der"; printf '\000'; } >"$T/trailing.der"
refused trailing "$T/trailing.der" 10 "not a CMS SignedData"

# --- the operator's mistakes -------------------------------------------------
run no-trust --in "$T/rsa.der" --check
t_check "no --trust: usage (64)" sh -c "test $RC -eq 64 && grep -q -- '--trust is required' '$T/no-trust.err'"
run bad-lifetime --in "$T/rsa.der" --trust "$PKI/ca.pem" --ca-cert "$PKI/ca.pem" --ca-key "$PKI/ca.key" --lifetime 1x
t_check "--lifetime 1x: usage (64)" sh -c "test $RC -eq 64 && grep -q 'lifetime' '$T/bad-lifetime.err'"
run no-ca --in "$T/rsa.der" --trust "$PKI/ca.pem"
t_check "no --ca-cert without --check: usage (64)" test "$RC" -eq 64
run wrong-ca-key --in "$T/rsa.der" --trust "$PKI/ca.pem" --ca-cert "$PKI/ca.pem" --ca-key "$PKI/other-rsa.key"
t_check "CA key not the CA certificate's: refused (2)" \
    sh -c "test $RC -eq 2 && grep -q 'does not belong to' '$T/wrong-ca-key.err'"
run not-ca --in "$T/rsa.der" --trust "$PKI/ca.pem" --ca-cert "$PKI/sign-rsa.pem" --ca-key "$PKI/sign-rsa.key"
t_check "a leaf as --ca-cert: refused (2)" sh -c "test $RC -eq 2 && grep -q 'not a CA certificate' '$T/not-ca.err'"
run too-long --in "$T/rsa.der" --trust "$PKI/ca.pem" --ca-cert "$PKI/ca.pem" --ca-key "$PKI/ca.key" --lifetime 60d
t_check "a lifetime past the CA's expiry: refused (40)" \
    sh -c "test $RC -eq 40 && grep -q 'outlast the CA' '$T/too-long.err' && test ! -s '$T/too-long.out'"
run no-input --in "$T/missing.der" --trust "$PKI/ca.pem" --check
t_check "missing input file: 2" test "$RC" -eq 2
run bad-trust --in "$T/rsa.der" --trust "$T/asdf" --check
t_check "--trust without a certificate: 2" test "$RC" -eq 2
t_done
