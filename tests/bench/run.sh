#!/bin/bash
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# make bench: stage costs (bench_core) with a throw-away signing PKI, then the
# whole responder: process start-up in CGI mode, and requests per second
# through lighttpd + FastCGI. Numbers, not pass/fail: targets are in
# docs/design.md.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/lib_pki.sh"
B="$TOP/build/bench"
SPEC="$TOP/tests/data/spec"
pki_standard >/dev/null 2>&1 || { echo "bench: cannot make the PKI"; exit 1; }
# The template OID of example 4.1, as the step 1 tests know it.
oid=$(grep -o '"1\.3\.6\.1\.4\.1\.311\.21\.8\.[0-9.]*"' "$TOP/tests/test_csr.c" | head -1 | tr -d '"')
for digest in sha1 sha256; do
	for key in rsa ec; do
		cat >"$T/$key-$digest.conf" <<CONF
template = $oid
ca = ca1.example.com\\Issuing CA
signing_cert = $PKI/sign-$key.pem
signing_key = $PKI/sign-$key.key
signing_digest = $digest
signing_client_account = DOMAIN1\\otpcep\$
log = stderr
CONF
	done
done
echo "== stages, RSA 2048 signing key, sha256"
"$B/bench_core" "$T/rsa-sha256.conf" "$SPEC/4.1-accepted-request.xml" 2000 || exit 1
echo "== stages, P-256 signing key, sha256"
"$B/bench_core" "$T/ec-sha256.conf" "$SPEC/4.1-accepted-request.xml" 2000 || exit 1

echo "== whole process, CGI mode: one request (example 4.4) per process"
n=200
cat >"$T/cgi.conf" <<CONF
template = $oid
ca = ca1.example.com\\Issuing CA
log = stderr
require_https = no
require_client_cert = no
CONF
len=$(stat -c %s "$SPEC/4.4-invalid-request.xml")
t0=$(date +%s%N)
for i in $(seq 1 $n); do
	env -i GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST CONTENT_TYPE=application/xml \
		HTTP_X_OTPCEP_VERSION=1.0 CONTENT_LENGTH=$len OTPCEP_CONFIG="$T/cgi.conf" \
		"$OTPCEP" <"$SPEC/4.4-invalid-request.xml" >/dev/null 2>&1
done
t1=$(date +%s%N)
printf '%-44s %9.1f ms/request\n' "CGI start-up + request" "$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { print (b - a) / n / 1000000 }')"
