# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The one-shot CGI front as a real process: the envelope rules of MS-OTPCE
# 1.7, 2.1, 2.2 and example 4.4 (issue 2's "done when").
. "$(dirname "$0")/lib.sh"
SPEC="$TOP/tests/data/spec"

cat >"$T/otpcep.conf" <<CONF
template = OTPLogon
ca = ca1.example.com\\Issuing CA 1
log = stderr
require_https = no
# a test without a web server: no client certificate to verify
require_client_cert = no
CONF
cp "$T/otpcep.conf" "$T/https.conf"
sed -i '/require_https/d' "$T/https.conf"

# cgi NAME CONFIG BODYFILE VAR=VALUE...: runs one CGI request.
cgi() {
	n=$1 conf=$2 body=$3
	shift 3
	env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 OTPCEP_CONFIG="$conf" "$@" \
		"$OTPCEP" <"$body" >"$T/$n.out" 2>"$T/$n.log"
}
post() { # NAME CONFIG BODYFILE [VAR=VALUE...]
	n=$1 conf=$2 body=$3
	shift 3
	cgi "$n" "$conf" "$body" REQUEST_METHOD=POST CONTENT_TYPE=application/xml \
		HTTP_X_OTPCEP_VERSION=1.0 CONTENT_LENGTH="$(stat -c %s "$body")" "$@"
}

# Example 4.4: 200, both headers, a schema-valid OtherError.
post ex44 "$T/otpcep.conf" "$SPEC/4.4-invalid-request.xml"
t_check_response "example 4.4 gets 200 OtherError" "$T/ex44.out" 200 OtherError
t_check "example 4.4 has no SignedCertRequest" \
	sh -c "! grep -q SignedCertRequest '$T/ex44.out'"
t_check "the audit line names the user and the outcome" \
	grep -q 'user="domain1.*status=OtherError' "$T/ex44.log"

# A GET: 405 with Allow: POST.
cgi get "$T/otpcep.conf" /dev/null REQUEST_METHOD=GET
t_check_response "GET gets 405" "$T/get.out" 405
t_check "405 carries Allow: POST" test "$(t_http_header "$T/get.out" Allow)" = POST

# The version header: missing, or another version.
cgi nover "$T/otpcep.conf" "$SPEC/4.4-invalid-request.xml" REQUEST_METHOD=POST \
	CONTENT_TYPE=application/xml CONTENT_LENGTH="$(stat -c %s "$SPEC/4.4-invalid-request.xml")"
t_check_response "missing X-OTPCEP-version gets 400" "$T/nover.out" 400
post v2 "$T/otpcep.conf" "$SPEC/4.4-invalid-request.xml" HTTP_X_OTPCEP_VERSION=2.0
t_check_response "X-OTPCEP-version 2.0 gets 400" "$T/v2.out" 400

# 1 MiB body: 413, and the responder does not read it whole.
head -c 1048576 /dev/zero | tr '\0' 'a' >"$T/big"
post big "$T/otpcep.conf" "$T/big"
t_check_response "1 MiB body gets 413" "$T/big.out" 413
t_check "413 is logged with its reason" grep -q 'http=413.*max_request_bytes' "$T/big.log"

# Content-Type, Content-Length, short body.
post text "$T/otpcep.conf" "$SPEC/4.4-invalid-request.xml" CONTENT_TYPE=text/plain
t_check_response "text/plain gets 415" "$T/text.out" 415
cgi nolen "$T/otpcep.conf" "$SPEC/4.4-invalid-request.xml" REQUEST_METHOD=POST \
	CONTENT_TYPE=application/xml HTTP_X_OTPCEP_VERSION=1.0
t_check_response "no Content-Length gets 411" "$T/nolen.out" 411
post short "$T/otpcep.conf" "$SPEC/4.4-invalid-request.xml" CONTENT_LENGTH=5000
t_check_response "a body shorter than Content-Length gets 400" "$T/short.out" 400
post badlen "$T/otpcep.conf" "$SPEC/4.4-invalid-request.xml" CONTENT_LENGTH=12x
t_check_response "a bad Content-Length gets 400" "$T/badlen.out" 400

# Not a signCertRequest at all: 400. Hostile XML: 400, no network, no file.
printf 'hello' >"$T/hello"
post hello "$T/otpcep.conf" "$T/hello"
t_check_response "a body that is not XML gets 400" "$T/hello.out" 400
printf '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><signCertRequest xmlns="http://schemas.microsoft.com/otpcep/1.0/protocol" username="&x;" oneTimePassword="1" certRequest="Zm9v"/>' >"$T/xxe"
post xxe "$T/otpcep.conf" "$T/xxe"
t_check_response "an XXE document gets 400" "$T/xxe.out" 400
t_check "the XXE refusal says why" grep -q 'DTD refused' "$T/xxe.log"
t_check "no file content leaks into the log" sh -c "! grep -q 'root:' '$T/xxe.log'"

# require_https = yes (the default): plain HTTP is 403, HTTPS=on goes on.
post plain "$T/https.conf" "$SPEC/4.4-invalid-request.xml"
t_check_response "plain HTTP with require_https gets 403" "$T/plain.out" 403
post tls "$T/https.conf" "$SPEC/4.4-invalid-request.xml" HTTPS=on
t_check_response "HTTPS=on gets 200" "$T/tls.out" 200 OtherError

# The one-time password never reaches the log.
t_check "no one-time password in any log" sh -c "! grep -q 'Pa\\\$\\\$word1' '$T'/*.log"

# Steps not configured fail closed with OtherError and say so (never Success).
post ex41 "$T/otpcep.conf" "$SPEC/4.1-accepted-request.xml"
t_check_response "example 4.1 without the steps configured is OtherError" \
	"$T/ex41.out" 200 OtherError
t_done
