#!/bin/sh
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Step 4: the SignedCertRequest, signed by the real signer (drv_cmc) with keys
# from a throw-away PKI, checked piece by piece with openssl, which did not
# write it: the CMS parses, messageDigest is the digest of the eContent, the
# Dummy Signer's value is the digest of the signed attributes, the signing
# certificate's signature over the signed attributes (re-tagged as SET OF,
# RFC 5652 5.4) verifies, the PKCS#10 comes back byte for byte with its
# self-signature intact. RSA and P-256, SHA-1/256/384, PEM and PKCS#12 keys.
# Negative cases: broken requests, an expired or wrong certificate, a
# certificate that expires between two signatures, tampered pieces.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pki.sh"

DRV="$TOP/build/tests/drv_cmc"
CSR="$TOP/tests/data/spec/4.1-certRequest.der"
EX="$TOP/tests/data/spec/4.1-SignedCertRequest.der"

pki_standard || { t_fail "test PKI"; exit 1; }

# conf NAME CERT KEY DIGEST [extra lines]: writes $T/NAME.conf
conf() {
	f="$T/$1.conf"
	{
		echo "template = 1.3.6.1.4.1.311.21.8.1.2"
		echo "ca = ca.example\\Test CA"
		echo "signing_cert = $2"
		echo "signing_key = $3"
		echo "signing_digest = $4"
		echo "signing_client_machine = DA1.domain1.corp.company.com"
		echo "signing_client_account = DOMAIN1\\DA1\$"
		echo "signing_client_process = w3wp.exe"
		shift 4
		for l in "$@"; do echo "$l"; done
	} >"$f"
	chmod 600 "$f"
}

# at FILE.der PATTERN N: "offset header-length length" of the N-th line of
# `openssl asn1parse -i` matching PATTERN.
at() {
	openssl asn1parse -inform DER -i -in "$1" 2>/dev/null | awk -v pat="$2" -v n="$3" '
	$0 ~ pat { c++; if (c == n) {
		split($1, a, ":"); off = a[1]
		match($0, /hl= *[0-9]+/); hl = substr($0, RSTART + 3, RLENGTH - 3) + 0
		match($0, / l= *[0-9]+/); l = substr($0, RSTART + 3, RLENGTH - 3) + 0
		print off, hl, l; exit } }'
}

# cut FILE OFFSET COUNT: COUNT bytes from OFFSET
cut_bytes() { tail -c +$(($2 + 1)) "$1" | head -c "$3"; }

# content FILE.der PATTERN N OUT: the content octets of that element
content() {
	set -- "$1" "$2" "$3" "$4" $(at "$1" "$2" "$3")
	[ $# -eq 7 ] || return 1
	cut_bytes "$1" $(($5 + $6)) "$7" >"$4"
}

# whole FILE.der PATTERN N OUT: the element, tag and length included
whole() {
	set -- "$1" "$2" "$3" "$4" $(at "$1" "$2" "$3")
	[ $# -eq 7 ] || return 1
	cut_bytes "$1" "$5" $(($6 + $7)) >"$4"
}

hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# check NAME OUT.der DIGEST CERT.pem: every independent check on one output.
check() {
	n=$1 out=$2 dig=$3 cert=$4 d="$T/$1.parts"
	mkdir -p "$d"
	t_check "$n: openssl cms parses it" \
	    sh -c "openssl cms -cmsout -print -inform DER -in '$out' >'$d/print.txt'"
	t_check "$n: Dummy Signer then id-alg-noSignature" \
	    sh -c "grep -q 'issuer: 1.3.6.1.4.1.311.21.9=Dummy Signer' '$d/print.txt' &&
	    grep -q 'algorithm: id-alg-noSignature' '$d/print.txt' &&
	    grep -q 'eContentType: id-cct-PKIData' '$d/print.txt'"
	# the eContent: the first OCTET STRING at depth 5
	content "$out" 'd=5 .*prim: +OCTET STRING' 1 "$d/pkidata.der"
	# signed attributes of signer 1 and 2: [0] at depth 5, re-tagged as SET OF
	for i in 1 2; do
		whole "$out" 'd=5 .*cons: +cont \[ 0 \]' $i "$d/attrs$i.raw"
		{ printf '\061'; tail -c +2 "$d/attrs$i.raw"; } >"$d/attrs$i.der"
		content "$out" 'd=5 .*prim: +OCTET STRING' $((i + 1)) "$d/sig$i.bin"
		content "$out" 'd=8 .*prim: +OCTET STRING' $i "$d/md$i.bin"
	done
	md=$(openssl dgst -"$dig" -binary "$d/pkidata.der" | od -An -v -tx1 | tr -d ' \n')
	t_check "$n: messageDigest (both signers) = $dig(eContent)" \
	    test -n "$md" -a "$md" = "$(hexof "$d/md1.bin")" -a "$md" = "$(hexof "$d/md2.bin")"
	t_check "$n: both signers signed the same attributes" cmp -s "$d/attrs1.der" "$d/attrs2.der"
	ad=$(openssl dgst -"$dig" -binary "$d/attrs1.der" | od -An -v -tx1 | tr -d ' \n')
	t_check "$n: Dummy Signer value = $dig(signed attributes)" \
	    test -n "$ad" -a "$ad" = "$(hexof "$d/sig1.bin")"
	openssl x509 -in "$cert" -pubkey -noout >"$d/pub.pem"
	t_check "$n: the signing certificate's signature verifies (openssl dgst)" \
	    sh -c "openssl dgst -$dig -verify '$d/pub.pem' -signature '$d/sig2.bin' '$d/attrs2.der' | grep -q 'Verified OK'"
	# and the check can fail: one byte of the attributes changed
	cp "$d/attrs2.der" "$d/attrs2.bad"
	printf '\377' | dd of="$d/attrs2.bad" bs=1 seek=20 conv=notrunc 2>/dev/null
	t_check "$n: a changed attribute byte fails verification" \
	    sh -c "! openssl dgst -$dig -verify '$d/pub.pem' -signature '$d/sig2.bin' '$d/attrs2.bad' >/dev/null 2>&1"
	# the PKCS#10: in the PKIData, the SEQUENCE after tcr [0] at depth 3
	whole "$d/pkidata.der" 'd=3 .*cons: +SEQUENCE' 1 "$d/csr.der"
	t_check "$n: PKCS#10 recovered byte for byte" cmp -s "$d/csr.der" "$CSR"
	t_check "$n: its self-signature still verifies" \
	    sh -c "openssl req -inform DER -in '$d/csr.der' -noout -verify 2>&1 | grep -q 'verify OK'"
	# the certificate carried is the signing certificate
	whole "$out" 'd=4 .*cons: +SEQUENCE' 2 "$d/cert.der"
	openssl x509 -in "$cert" -outform DER -out "$d/cert.want"
	t_check "$n: certificates holds the signing certificate" cmp -s "$d/cert.der" "$d/cert.want"
}

# --- RSA, SHA-1, PEM key: the example's own shape -------------------------
conf rsa1 "$PKI/sign-rsa.pem" "$PKI/sign-rsa.key" sha1
t_check "rsa/sha1: signs" "$DRV" "$T/rsa1.conf" "$CSR" "$T/rsa1.der" "$T/rsa1b.der"
check rsa/sha1 "$T/rsa1.der" sha1 "$PKI/sign-rsa.pem"
t_check "rsa/sha1: deterministic (two signatures, same bytes)" cmp -s "$T/rsa1.der" "$T/rsa1b.der"
# The PKIData is the example's, byte for byte (same request, same ClientInfo).
content "$EX" 'd=5 .*prim: +OCTET STRING' 1 "$T/ex-pkidata.der"
t_check "rsa/sha1: PKIData identical to MS-OTPCE 4.1" cmp -s "$T/ex-pkidata.der" "$T/rsa/sha1.parts/pkidata.der"
whole "$EX" 'd=5 .*cons: +cont \[ 0 \]' 1 "$T/ex-attrs.raw"
t_check "rsa/sha1: signed attributes identical to 4.1" cmp -s "$T/ex-attrs.raw" "$T/rsa/sha1.parts/attrs1.raw"
# Same tree as the example in openssl's view: the header, the whole PKIData,
# and the OIDs of the signers in order; not the certificate, not the real
# signer's issuer name, no values.
norm() {
	sed 's/^ *[0-9]*:d=\([0-9]*\) *hl= *[0-9]* *l= *[0-9]* /d=\1 /; s/\[HEX DUMP\]:.*//;
	    s/\(INTEGER *\):.*/\1/; s/\(STRING *\):.*/\1/'
}
shape() {
	openssl asn1parse -inform DER -i -in "$1" >"$T/shape.tmp" || return 1
	awk '/d=3 .*cont \[ 0 \]/ { exit } { print }' "$T/shape.tmp" | norm
	echo "-- PKIData"
	set -- $(at "$1" 'd=5 .*prim: +OCTET STRING' 1) "$1"
	openssl asn1parse -inform DER -i -in "$4" -strparse "$1" | norm
	echo "-- signers"
	awk 'on { print } /d=3 .*cons: +SET *$/ { n++; if (n == 2) on = 1 }' "$T/shape.tmp" |
	    grep 'OBJECT' | grep -v 'd=9 .*OBJECT *:[^1]' | norm
}
shape "$EX" >"$T/shape-ex.txt"
shape "$T/rsa1.der" >"$T/shape-rsa1.txt"
t_check "rsa/sha1: openssl's view of the tree matches 4.1 (less certificate and names)" \
    cmp -s "$T/shape-ex.txt" "$T/shape-rsa1.txt"

# --- RSA, SHA-256 (the default), from PKCS#12 ----------------------------
conf rsa256 "$PKI/sign-rsa.pem" "$PKI/sign-rsa.p12" sha256 \
    "signing_key_password_file = $PKI/sign-rsa.p12.pass"
t_check "rsa/sha256/p12: signs" "$DRV" "$T/rsa256.conf" "$CSR" "$T/rsa256.der"
check rsa/sha256 "$T/rsa256.der" sha256 "$PKI/sign-rsa.pem"
shape "$T/rsa256.der" >"$T/shape-rsa256.txt"
t_check "rsa/sha256: its tree differs from 4.1 (the comparison can fail)" \
    sh -c "! cmp -s '$T/shape-ex.txt' '$T/shape-rsa256.txt'"
openssl asn1parse -inform DER -i -in "$T/rsa256.der" | grep -c ':sha256$' >"$T/n256" || true
t_check "rsa/sha256: sha256 in digestAlgorithms and both signers" test "$(cat "$T/n256")" -eq 3

# --- P-256, SHA-256 and SHA-384 ------------------------------------------
for dig in sha256 sha384; do
	conf ec$dig "$PKI/sign-ec.pem" "$PKI/sign-ec.key" $dig
	t_check "p256/$dig: signs" "$DRV" "$T/ec$dig.conf" "$CSR" "$T/ec$dig.der"
	check p256/$dig "$T/ec$dig.der" $dig "$PKI/sign-ec.pem"
	t_check "p256/$dig: signatureAlgorithm ecdsa-with-${dig#sha}... no NULL" \
	    sh -c "openssl asn1parse -inform DER -i -in '$T/ec$dig.der' | grep -A1 'ecdsa-with-SHA${dig#sha}' | tail -1 | grep -qv NULL"
done

# --- the wrong key cannot have made it -----------------------------------
openssl x509 -in "$PKI/sign-rsa2.pem" -pubkey -noout >"$T/other.pub"
t_check "another certificate's key does not verify the signature" \
    sh -c "! openssl dgst -sha256 -verify '$T/other.pub' -signature '$T/rsa/sha256.parts/sig2.bin' '$T/rsa/sha256.parts/attrs2.der' >/dev/null 2>&1"

# --- broken requests: refused (OtherError), nothing written --------------
printf 'asdf' >"$T/asdf.der"
: >"$T/empty.der"
{ cat "$CSR"; printf '\000'; } >"$T/trailing.der"
head -c 1000 "$CSR" >"$T/short.der"
for bad in asdf empty trailing short; do
	rm -f "$T/bad.der"
	"$DRV" "$T/rsa1.conf" "$T/$bad.der" "$T/bad.der" 2>"$T/bad.err"
	rc=$?
	t_check "request '$bad': refused" test $rc -eq 4 -a ! -e "$T/bad.der"
	t_check "request '$bad': says why" grep -q 'not one DER' "$T/bad.err"
done

# --- no valid certificate: never signed ---------------------------------
conf expired "$PKI/sign-expired.pem" "$PKI/sign-rsa.key" sha256
"$DRV" "$T/expired.conf" "$CSR" "$T/expired.der" 2>"$T/expired.err"
t_check "expired certificate: refused at start-up" test $? -eq 3 -a ! -e "$T/expired.der"
conf wrongkey "$PKI/sign-rsa.pem" "$PKI/other-rsa.key" sha256
"$DRV" "$T/wrongkey.conf" "$CSR" "$T/wrongkey.der" 2>"$T/wrongkey.err"
t_check "key does not match the certificate: refused" test $? -eq 3 -a ! -e "$T/wrongkey.der"

# A certificate valid for a few seconds: the first request is signed, the
# one after it expired is refused (OtherError), with a log line.
pki_issue sign-short sign-rsa seconds=3 || t_fail "short-lived certificate"
conf short "$PKI/sign-short.pem" "$PKI/sign-rsa.key" sha256
"$DRV" "$T/short.conf" "$CSR" "$T/short1.der" "$T/short2.der" 4 2>"$T/short.err"
rc=$?
t_check "short-lived certificate: signs while valid" test -s "$T/short1.der"
t_check "short-lived certificate: refuses once expired" test $rc -eq 4 -a ! -e "$T/short2.der"
t_check "short-lived certificate: the refusal is logged" grep -q 'step 4' "$T/short.err"

# CMC_KEEP=DIR keeps the parts for a look (debugging).
[ -n "${CMC_KEEP:-}" ] && cp -r "$T" "$CMC_KEEP"
t_done
