# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The shipped web server samples, run for real: etc/lighttpd/otpcep.conf
# (mod_gnutls) and etc/nginx/otpcep.conf in front of the responder over a
# Unix socket, HTTPS with client certificates; etc/spawn-fcgi.example starts
# the responder for lighttpd; the systemd units pass systemd-analyze verify.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pki.sh"
. "$(dirname "$0")/lib_web.sh"
SPEC="$TOP/tests/data/spec"
for c in lighttpd nginx spawn-fcgi certtool curl; do
	command -v $c >/dev/null || { t_fail "$c is not installed"; t_done; }
done
web_pki || { t_fail "web_pki"; t_done; }

# The responder as deployed: HTTPS required (the default) and a verified
# client certificate required; so a 200 proves the web server passed both.
cat >"$T/otpcep.conf" <<CONF
template = OTPLogon
ca = ca1.example.com\\Issuing CA 1
log = stderr
require_client_cert = yes
workers = 2
CONF
head -c 1048576 /dev/zero | tr '\0' a >"$T/big"
printf 'not a signCertRequest' >"$T/small"

# The envelope through one web server ($1 names it in the results).
envelope() {
	w=$1
	web_post "$T/$w-44.out" "$SPEC/4.4-invalid-request.xml"
	t_check_response "$w: 4.4 with a client certificate gets 200 OtherError" "$T/$w-44.out" 200 OtherError
	curl -s --http1.1 -i -o "$T/$w-get.out" --cacert "$PKI/ca.pem" --cert "$PKI/client.pem" \
	    --key "$PKI/client.key" -H 'X-OTPCEP-version: 1.0' "$WEB_URL"
	t_check_response "$w: GET gets 405" "$T/$w-get.out" 405
	WEB_CT=text/plain web_post "$T/$w-ct.out" "$SPEC/4.4-invalid-request.xml"
	t_check_response "$w: Content-Type text/plain gets 415" "$T/$w-ct.out" 415
	WEB_VERSION= web_post "$T/$w-ver.out" "$SPEC/4.4-invalid-request.xml"
	t_check_response "$w: no X-OTPCEP-version gets 400" "$T/$w-ver.out" 400
	WEB_VERSION=2.0 web_post "$T/$w-ver2.out" "$SPEC/4.4-invalid-request.xml"
	t_check_response "$w: X-OTPCEP-version 2.0 gets 400" "$T/$w-ver2.out" 400
	web_post "$T/$w-junk.out" "$T/small"
	t_check_response "$w: a body that is not XML gets 400" "$T/$w-junk.out" 400

	# 1 MiB: the web server's limit (64 KiB) answers first; were it the
	# responder's, both headers would have to be there.
	web_post "$T/$w-big.out" "$T/big"
	if [ "$(t_http_status "$T/$w-big.out")" = 413 ]; then
		if [ -n "$(t_http_header "$T/$w-big.out" X-OTPCEP-version)" ]; then
			t_check_response "$w: 1 MiB gets 413 (responder)" "$T/$w-big.out" 413
		else
			t_pass "$w: 1 MiB gets 413 (web server)"
		fi
	else
		t_fail "$w: 1 MiB gets HTTP $(t_http_status "$T/$w-big.out"), expected 413"
	fi
	t_check "$w: the 1 MiB body did not reach the responder" \
	    sh -c "! grep -q 'http=413' '$T/otpcep.conf.log' || grep -q 'X-OTPCEP' '$T/$w-big.out'"

	# A client certificate from a CA the server does not trust: the TLS
	# handshake goes on (verification not enforced by the web server), the
	# responder sees SSL_CLIENT_VERIFY != SUCCESS and answers 403.
	web_post "$T/$w-rogue.out" "$SPEC/4.4-invalid-request.xml" \
	    --cert "$PKI/rogue-client.pem" --key "$PKI/rogue-client.key"
	# nginx (ssl_verify_client optional) refuses it itself with 400.
	if [ "$(t_http_status "$T/$w-rogue.out")" = 400 ] &&
	    [ -z "$(t_http_header "$T/$w-rogue.out" X-OTPCEP-version)" ]; then
		t_pass "$w: untrusted client certificate: 400 from the web server"
	else
		t_check_response "$w: untrusted client certificate gets 403 (require_client_cert)" "$T/$w-rogue.out" 403
	fi

	# Only /otpcep is routed; nothing else reaches the responder.
	n_before=$(grep -c ' http=' "$T/otpcep.conf.log")
	for path in / /index.html /other /otpcep/ /otpcep/x /otpcepx /OTPCEP /cgi-bin/otpcep /otpcep.conf; do
		code=$(curl -s --http1.1 -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.pem" \
		    --cert "$PKI/client.pem" --key "$PKI/client.key" -X POST \
		    -H 'Content-Type: application/xml' -H 'X-OTPCEP-version: 1.0' \
		    --data-binary "@$SPEC/4.4-invalid-request.xml" "https://127.0.0.1:$WEB_PORT$path")
		if [ "$code" = 404 ]; then t_pass "$w: POST $path gets 404"
		else t_fail "$w: POST $path gets $code, expected 404"; fi
	done
	n_after=$(grep -c ' http=' "$T/otpcep.conf.log")
	t_check "$w: no other path reached the responder" test "$n_before" = "$n_after"
	# A query string on /otpcep is the same resource.
	curl -s --http1.1 -i -o "$T/$w-q.out" --cacert "$PKI/ca.pem" --cert "$PKI/client.pem" \
	    --key "$PKI/client.key" -H 'X-OTPCEP-version: 1.0' "$WEB_URL?x=1"
	t_check_response "$w: GET /otpcep?x=1 reaches the responder: 405" "$T/$w-q.out" 405

	# Plain HTTP on the TLS port is not served by the responder.
	curl -s --http1.1 -i -o "$T/$w-plain.out" --max-time 5 -H 'Content-Type: application/xml' \
	    -H 'X-OTPCEP-version: 1.0' --data-binary "@$SPEC/4.4-invalid-request.xml" \
	    "http://127.0.0.1:$WEB_PORT/otpcep"
	if [ -s "$T/$w-plain.out" ] && { [ "$(t_http_status "$T/$w-plain.out")" = 200 ] ||
	    [ -n "$(t_http_header "$T/$w-plain.out" X-OTPCEP-version)" ]; }; then
		t_fail "$w: plain HTTP reached the responder"
	else
		t_pass "$w: plain HTTP is not served ($(t_http_status "$T/$w-plain.out" 2>/dev/null || true))"
	fi

	# The server certificate is what a client checks: a client that trusts
	# another root refuses the connection.
	curl -s -o /dev/null --cacert "$PKI/rogue-ca.pem" --cert "$PKI/client.pem" \
	    --key "$PKI/client.key" --data-binary @"$SPEC/4.4-invalid-request.xml" "$WEB_URL"
	t_check "$w: a client trusting another root refuses the server (curl exit 60)" test $? -eq 60
	# TLS 1.1 is refused.
	curl -s -o /dev/null --tlsv1.1 --tls-max 1.1 --cacert "$PKI/ca.pem" "$WEB_URL"
	t_check "$w: TLS 1.1 is refused" test $? -ne 0
}

# 1. lighttpd, the responder under spawn-fcgi started from etc/spawn-fcgi.example.
sed -e "s|/run/otpcep/otpcep.sock|$T/spawn.sock|; s|/run/otpcep/otpcep.pid|$T/spawn.pid|" \
    -e "s|/run/otpcep|$T/run|; s|/usr/local/sbin/otpcep|$OTPCEP|" \
    -e "s|/etc/otpcep/otpcep.conf|$T/otpcep.conf|" \
    -e "s| -o otpcep -g www-data | |; s| -U www-data -G www-data | |; s|-u otpcep -g otpcep ||" \
    "$TOP/etc/spawn-fcgi.example" >"$T/spawn.sh"
t_check "spawn-fcgi.example renders without system paths" \
    sh -c "! grep -v '^#' '$T/spawn.sh' | grep -qE '/(run|etc|usr)/'"
sh "$T/spawn.sh" >"$T/spawn.log" 2>&1
t_check "spawn-fcgi.example starts the responder" test -s "$T/spawn.pid"
SPAWN_PID=$(cat "$T/spawn.pid" 2>/dev/null || echo 0)
T_PIDS="$T_PIDS $SPAWN_PID"
i=0; while [ ! -S "$T/spawn.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
t_check "spawn-fcgi made the socket" test -S "$T/spawn.sock"
if lighttpd_tls_start socket="$T/spawn.sock"; then
	web_post "$T/spawn-44.out" "$SPEC/4.4-invalid-request.xml"
	t_check_response "lighttpd + spawn-fcgi.example: 4.4 gets 200 OtherError" "$T/spawn-44.out" 200 OtherError
	t_stop "$WEB_PID"
else
	t_fail "lighttpd did not start"
fi
t_stop "$SPAWN_PID"

web_responder_start "$T/otpcep.conf" || { t_fail "responder did not start"; t_done; }
if lighttpd_tls_start; then
	envelope lighttpd
	# lighttpd 1.4.69 mod_gnutls fails the handshake of a client without a
	# certificate even with ssl.verifyclient.enforce = "disable": such a
	# client gets no answer at all (docs/deployment.md). It must not reach
	# the responder, and lighttpd must live on.
	code=$(curl -s --http1.1 -o "$T/l-nocert.out" -w '%{http_code}' --cacert "$PKI/ca.pem" \
	    -H 'Content-Type: application/xml' -H 'X-OTPCEP-version: 1.0' \
	    --data-binary "@$SPEC/4.4-invalid-request.xml" "$WEB_URL")
	if [ "$code" = 403 ]; then
		t_check_response "lighttpd: no client certificate gets 403" "$T/l-nocert.out" 403
	else
		t_check "lighttpd: no client certificate is refused at TLS ($code)" test "$code" = 000
	fi
	t_check "lighttpd lives on after a client without a certificate" kill -0 "$WEB_PID"
	web_post "$T/l-after.out" "$SPEC/4.4-invalid-request.xml"
	t_check_response "lighttpd: and answers the next client" "$T/l-after.out" 200 OtherError
	t_stop "$WEB_PID"
else
	t_fail "lighttpd did not start"
fi

# 2. nginx, the responder with `listen`.
if nginx_tls_start; then
	envelope nginx
	curl -s --http1.1 -i -o "$T/n-nocert.out" --cacert "$PKI/ca.pem" \
	    -H 'Content-Type: application/xml;charset=utf-8' -H 'X-OTPCEP-version: 1.0' \
	    --data-binary "@$SPEC/4.4-invalid-request.xml" "$WEB_URL"
	t_check_response "nginx: no client certificate gets 403 (require_client_cert)" "$T/n-nocert.out" 403
	t_stop "$WEB_PID"
else
	t_fail "nginx did not start"
fi

# Without a responder behind it, the web server answers 502/503, never 200.
t_stop "$OTPCEP_PID"
if nginx_tls_start name=nginx-down; then
	web_post "$T/down.out" "$SPEC/4.4-invalid-request.xml"
	st=$(t_http_status "$T/down.out")
	t_check "nginx without a responder: 502 ($st)" test "$st" = 502
	t_stop "$WEB_PID"
fi

# 3. The systemd units: systemd-analyze verify with the binary we built.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/units"
	sed -e "s|@SBINDIR@/otpcep|$OTPCEP|g" -e "s|@SYSCONFDIR@|/etc|g" \
	    "$TOP/etc/systemd/otpcep.service.in" >"$T/units/otpcep.service"
	cp "$TOP/etc/systemd/otpcep.socket.in" "$T/units/otpcep.socket"
	(cd "$T/units" && systemd-analyze verify --man=no ./otpcep.socket ./otpcep.service) \
	    >"$T/units/verify.out" 2>&1
	t_check "systemd units pass systemd-analyze verify" \
	    sh -c "! grep -i otpcep '$T/units/verify.out'"
	grep -i otpcep "$T/units/verify.out"
	t_check "otpcep.socket: ListenStream, www-data, 0660" sh -c \
	    "grep -qx 'ListenStream=/run/otpcep/otpcep.sock' '$TOP/etc/systemd/otpcep.socket.in' &&
	     grep -qx 'SocketGroup=www-data' '$TOP/etc/systemd/otpcep.socket.in' &&
	     grep -qx 'SocketMode=0660' '$TOP/etc/systemd/otpcep.socket.in'"
else
	t_pass "systemd-analyze not installed: units not verified (SKIP)"
fi
t_done
