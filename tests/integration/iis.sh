# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# IIS-style FastCGI variables (issue 15 item 10): a FastCGI client
# (drv_fcgi) sends the variable set IIS passes, to a responder with the
# secure defaults (require_https = yes, require_client_cert = yes):
# CERT_FLAGS bit 0 set and bit 1 clear is a verified client certificate,
# CERT_SUBJECT its subject in the audit line, SERVER_PORT_SECURE=1 or
# HTTPS=on is HTTPS, HTTPS=off is not.
. "$(dirname "$0")/lib.sh"
DRV="$TOP/build/tests/drv_fcgi"
BODY="$TOP/tests/data/spec/4.4-invalid-request.xml"
[ -x "$DRV" ] || { t_fail "drv_fcgi is not built"; t_done; }

cat >"$T/otpcep.conf" <<CONF
# the defaults are the point: require_https and require_client_cert are yes
template = 1.3.6.1.4.1.311.21.8.1.2.3.4.5.6
ca = ca1.example.com\\Issuing CA 1
log = stderr
workers = 2
listen = unix:$T/otpcep.sock
CONF
t_start "otpcep" "$T/otpcep.log" "$OTPCEP" -c "$T/otpcep.conf"
i=0; while [ ! -S "$T/otpcep.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$T/otpcep.sock" ] || { t_fail "the responder did not open its socket: $(cat "$T/otpcep.log")"; t_done; }

SUBJ="CN=CLIENT2.domain1.corp.company.com"
# iis NAME VAR=VALUE...: one request with IIS's variables (and those given,
# which replace IIS's of the same name), the response in $T/NAME.out.
iis() {
	n=$1
	shift
	set -- REQUEST_METHOD=POST CONTENT_TYPE=application/xml \
		"CONTENT_LENGTH=$(stat -c %s "$BODY")" HTTP_X_OTPCEP_VERSION=1.0 \
		GATEWAY_INTERFACE=CGI/1.1 SERVER_SOFTWARE=Microsoft-IIS/10.0 \
		SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=otp.domain1.corp.company.com \
		SERVER_PORT=443 SCRIPT_NAME=/otpcep REMOTE_ADDR=127.0.0.1 \
		HTTPS=on SERVER_PORT_SECURE=1 HTTPS_KEYSIZE=256 CERT_FLAGS=1 \
		"CERT_SUBJECT=$SUBJ" "CERT_ISSUER=CN=RootCA-DC1" \
		CERT_SERIALNUMBER=61-5f-a4-50 "$@"
	# later duplicates win: keep only the last of each name
	args=$(printf '%s\n' "$@" | tac | awk -F= '!seen[$1]++' | tac)
	# shellcheck disable=SC2086
	(IFS='
'; "$DRV" "unix:$T/otpcep.sock" "$BODY" $args) >"$T/$n.out" 2>"$T/$n.err"
}

iis ok
t_check_response "IIS, CERT_FLAGS=1 and HTTPS=on: 200 (4.4 gets OtherError)" "$T/ok.out" 200 OtherError
iis untrusted CERT_FLAGS=3
t_check_response "CERT_FLAGS=3 (issuer not trusted): 403" "$T/untrusted.out" 403
iis nocert CERT_FLAGS=0 CERT_SUBJECT=
t_check_response "CERT_FLAGS=0 (no certificate): 403" "$T/nocert.out" 403
iis garbage CERT_FLAGS=1x
t_check_response "CERT_FLAGS=1x (not a number): 403" "$T/garbage.out" 403
iis noflags CERT_FLAGS=
t_check_response "CERT_FLAGS empty: 403" "$T/noflags.out" 403
iis portsecure HTTPS=
t_check_response "SERVER_PORT_SECURE=1 alone is HTTPS: 200" "$T/portsecure.out" 200 OtherError
iis plain HTTPS=off SERVER_PORT_SECURE=0
t_check_response "HTTPS=off: 403" "$T/plain.out" 403
iis offwins HTTPS=off
t_check_response "HTTPS=off with SERVER_PORT_SECURE=1: 403" "$T/offwins.out" 403
# SSL_CLIENT_VERIFY (lighttpd, nginx), when a front sends it, decides.
iis both SSL_CLIENT_VERIFY=NONE
t_check_response "SSL_CLIENT_VERIFY=NONE beside CERT_FLAGS=1: 403" "$T/both.out" 403
sleep 0.2
t_check "the audit line names the client certificate from CERT_SUBJECT" \
	grep -q "client=\"$SUBJ\"" "$T/otpcep.log"
t_check "a 403 says why" grep -q "client certificate" "$T/otpcep.log"
t_done
