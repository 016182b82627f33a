# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Load on the real stack, for tests/integration/load.sh and `make bench-load`
# (tests/bench/load.sh): sourced after lib.sh and lib_stack.sh, never run.
#
#   load_setup [DELAY_MS]      PKI, slapd (plain LDAP), a slow RADIUS server
#                              (drv_fakeradius slow-accept: every request is
#                              accepted DELAY_MS later), the request body
#   load_radius NAME DELAY_MS  another slow RADIUS server; sets LOAD_RADIUS_PORT
#   load_responder NAME [key = value...]   a responder on $T/NAME.sock, its
#                              log in $T/NAME.log; sets LOAD_PID ($LOAD_APPEND:
#                              lines added as they are)
#   load_lighttpd NAME SOCKET...  plain-HTTP lighttpd with one FastCGI host per
#                              socket; sets LOAD_URL, LOAD_WEB_PID
#   load_nginx NAME SOCKET...  plain-HTTP nginx, an `upstream` of the sockets
#                              ($LOAD_KEEPALIVE=N: N kept FastCGI connections,
#                              fastcgi_keep_conn on)
#   load_burst DIR N           N requests at once (curl --parallel) to $LOAD_URL,
#                              each answer's body in DIR/rI, HTTP codes in DIR/codes
#   load_count DIR             prints "SUCCESS OTHER" for a burst
#   load_explain DIR           prints each answer that is not Success (HTTP
#                              code, body, curl's error) and the responders'
#                              non-Success audit lines and warnings
#
# The web servers speak plain HTTP on 127.0.0.1 (wrk has no client
# certificates), so the responders run with require_https = no and
# require_client_cert = no; everything else is the end-to-end stack's
# configuration (lib_stack.sh's stack_conf).
LOAD_DN="CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com"
LOAD_UPN="user1@domain1.corp.company.com"

load_radius() {
	LOAD_RADIUS_PORT=$(t_free_port)
	t_start "slow RADIUS $1" "$T/$1.out" "$TOP/build/tests/drv_fakeradius" \
	    "$LOAD_RADIUS_PORT" "$LOAD_SECRET" slow-accept "$2"
	eval "LOAD_RADIUS_PID_$1=\$T_LAST_PID"
	t_wait_port "$LOAD_RADIUS_PORT" 10 udp
}

load_setup() {
	mkdir -p "$STACK_DIR"
	chmod 700 "$STACK_DIR"
	stack_pki >"$T/pki.out" 2>&1 || { cat "$T/pki.out"; return 1; }
	SLAPD_TLS=yes slapd_start >"$T/slapd.start" 2>&1 || { cat "$T/slapd.start"; return 1; }
	LOAD_SECRET="$T/radius.secret"
	(umask 077 && printf 'load-test-secret-0123456789\n' >"$LOAD_SECRET")
	load_radius radius "${1:-0}" || return 1
	LOAD_RADIUS_MAIN=$LOAD_RADIUS_PORT
	RADIUSD_PORT=$LOAD_RADIUS_PORT RADIUSD_SECRET_FILE=$LOAD_SECRET
	stack_csr load "$LOAD_DN" "$LOAD_UPN" >/dev/null || return 1
	LOAD_BODY="$T/load.req"
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<signCertRequest xmlns="http://schemas.microsoft.com/otpcep/1.0/protocol" username="%s" oneTimePassword="%s" certRequest="%s"/>\n' \
	    'DOMAIN1\user1' "${LOAD_OTP:-314159}" "$(base64 -w 0 "$STACK_DIR/load.csr.der")" >"$LOAD_BODY"
}

# load_responder NAME [key = value...]
load_responder() {
	lr_name=$1
	shift
	stack_conf "$T/$lr_name.conf" "$T/$lr_name.sock" \
	    "ldap_uri = $SLAPD_URI" "radius_server = 127.0.0.1:$LOAD_RADIUS_MAIN" \
	    "radius_secret_file = $LOAD_SECRET" "radius_timeout_ms = 10000" \
	    "radius_retries = 0" "require_https = no" "require_client_cert = no" \
	    "workers = 64" "$@"
	# Lines stack_conf would merge (a second radius_server) come as they are.
	[ -n "${LOAD_APPEND:-}" ] && printf '%s\n' "$LOAD_APPEND" >>"$T/$lr_name.conf"
	rm -f "$T/$lr_name.sock"
	t_start "otpcep $lr_name" "$T/$lr_name.log" "$OTPCEP" -c "$T/$lr_name.conf"
	LOAD_PID=$T_LAST_PID
	eval "LOAD_PID_$lr_name=\$T_LAST_PID"
	lr_i=0
	while [ ! -S "$T/$lr_name.sock" ] && [ $lr_i -lt 100 ]; do
		kill -0 "$LOAD_PID" 2>/dev/null || break
		sleep 0.1
		lr_i=$((lr_i + 1))
	done
	[ -S "$T/$lr_name.sock" ] || { echo "load: responder $lr_name did not start:"; tail -5 "$T/$lr_name.log"; return 1; }
}

load_lighttpd() {
	ll_name=$1
	shift
	ll_port=$(t_free_port)
	mkdir -p "$T/$ll_name/www"
	{
		echo 'server.modules = ("mod_fastcgi")'
		echo 'server.bind = "127.0.0.1"'
		echo "server.port = $ll_port"
		echo "server.document-root = \"$T/$ll_name/www\""
		echo "server.errorlog = \"$T/$ll_name/error.log\""
		echo 'server.max-fds = 16384'
		echo 'server.max-connections = 8192'
		echo 'server.max-keep-alive-requests = 100000'
		echo 'fastcgi.server = ("/otpcep" => ('
		for s in "$@"; do
			echo "  (\"socket\" => \"$s\", \"check-local\" => \"disable\"),"
		done
		echo '))'
	} >"$T/$ll_name/lighttpd.conf"
	t_start "lighttpd $ll_name" "$T/$ll_name/out" lighttpd -D -f "$T/$ll_name/lighttpd.conf"
	LOAD_WEB_PID=$T_LAST_PID
	LOAD_URL="http://127.0.0.1:$ll_port/otpcep"
	t_wait_port "$ll_port" 10
}

load_nginx() {
	ln_name=$1
	shift
	ln_port=$(t_free_port)
	mkdir -p "$T/$ln_name/tmp"
	{
		echo 'worker_processes 2;'
		echo "user $(id -un) $(id -gn);"
		echo 'worker_rlimit_nofile 20000;'
		echo "pid $T/$ln_name/nginx.pid;"
		echo "error_log $T/$ln_name/error.log warn;"
		echo 'events { worker_connections 8192; }'
		echo 'http {'
		echo "  client_body_temp_path $T/$ln_name/tmp/body;"
		echo "  fastcgi_temp_path $T/$ln_name/tmp/fastcgi;"
		echo "  proxy_temp_path $T/$ln_name/tmp/proxy;"
		echo "  scgi_temp_path $T/$ln_name/tmp/scgi;"
		echo "  uwsgi_temp_path $T/$ln_name/tmp/uwsgi;"
		echo '  access_log off;'
		echo '  keepalive_requests 100000;'
		echo '  upstream otpcep {'
		for s in "$@"; do echo "    server unix:$s;"; done
		[ -n "${LOAD_KEEPALIVE:-}" ] && echo "    keepalive $LOAD_KEEPALIVE;"
		echo '  }'
		echo "  server {"
		echo "    listen 127.0.0.1:$ln_port;"
		echo '    location = /otpcep {'
		echo '      fastcgi_pass otpcep;'
		[ -n "${LOAD_KEEPALIVE:-}" ] && echo '      fastcgi_keep_conn on;'
		echo '      fastcgi_param REQUEST_METHOD $request_method;'
		echo '      fastcgi_param CONTENT_TYPE $content_type;'
		echo '      fastcgi_param CONTENT_LENGTH $content_length;'
		echo '      fastcgi_param REMOTE_ADDR $remote_addr;'
		echo '      fastcgi_read_timeout 60s;'
		echo '      fastcgi_next_upstream error timeout non_idempotent;'
		echo '    }'
		echo '  }'
		echo '}'
	} >"$T/$ln_name/nginx.conf"
	t_start "nginx $ln_name" "$T/$ln_name/out" \
	    nginx -p "$T/$ln_name" -c "$T/$ln_name/nginx.conf" -e "$T/$ln_name/error.log" -g 'daemon off;'
	LOAD_WEB_PID=$T_LAST_PID
	LOAD_URL="http://127.0.0.1:$ln_port/otpcep"
	t_wait_port "$ln_port" 10
}

# load_burst DIR N: N POSTs of the request at once.
load_burst() {
	mkdir -p "$1"
	curl -s -Z --parallel-max "$2" --parallel-immediate --max-time 60 \
	    -H 'Content-Type: application/xml' -H 'X-OTPCEP-version: 1.0' \
	    --data-binary "@$LOAD_BODY" -o "$1/r#1" -w '%{http_code}\n' \
	    "$LOAD_URL?i=[1-$2]" >"$1/codes" 2>"$1/curl.err"
}

load_count() {
	lc_ok=$(grep -l 'statusCode="Success"' "$1"/r* 2>/dev/null | wc -l)
	lc_all=$(wc -l <"$1/codes")
	echo "$lc_ok $((lc_all - lc_ok))"
}

# load_explain DIR: what the answers that were not Success were, so that a
# failure under load says what it was (the HTTP code and body, curl's own
# error, the responders' audit lines other than Success and their warnings).
load_explain() {
	le_i=0
	while read -r le_code; do
		le_i=$((le_i + 1))
		grep -q 'statusCode="Success"' "$1/r$le_i" 2>/dev/null && continue
		echo "  answer $le_i: HTTP $le_code, body: $(head -c 600 "$1/r$le_i" 2>/dev/null | tr '\n' ' ')"
	done <"$1/codes"
	[ -s "$1/curl.err" ] && sed 's/^/  curl: /' "$1/curl.err" | head -10
	for le_log in "$T"/*.log; do
		grep -v 'status=Success' "$le_log" | grep -E 'status=|warn|err|fail|timeout' |
		    tail -10 | sed "s|^|  $(basename "$le_log"): |"
	done
	for le_log in "$T"/*/error.log; do
		[ -s "$le_log" ] && tail -5 "$le_log" | sed "s|^|  $le_log: |"
	done
	return 0
}
