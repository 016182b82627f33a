# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# HTTPS web servers in front of the responder, for tests and `make demo`:
# sourced after lib.sh and lib_pki.sh, never run. The servers run the shipped
# samples etc/lighttpd/otpcep.conf and etc/nginx/otpcep.conf, rendered into
# $T by sed (paths, port, socket), so a test exercises the files we ship.
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/lib_pki.sh"
#   . "$(dirname "$0")/lib_web.sh"
#   web_pki                          # TLS files in $PKI (root CA if missing)
#   web_responder_start CONF         # otpcep -c CONF on a Unix socket
#   lighttpd_tls_start               # or nginx_tls_start
#   web_post OUT FILE [curl args]    # POST FILE to $WEB_URL with a client cert
#
# web_pki makes (PEM), beside lib_pki.sh's root CA ca.pem/ca.key:
#   server.key server.pem       TLS server: localhost, 127.0.0.1, serverAuth
#   client.key client.pem       TLS client (a machine certificate), clientAuth
#   rogue-ca.key rogue-ca.pem   a second root nobody trusts
#   rogue-client.key rogue-client.pem  a client certificate from that root
#   rogue-server.key rogue-server.pem  a server certificate from that root
#
# lighttpd_tls_start / nginx_tls_start [KEY=VALUE...]: keys
#   socket=PATH   the responder's socket (default $WEB_SOCKET)
#   ca=FILE       client CA file (default $PKI/ca.pem)
#   cert=FILE key=FILE  server certificate and key (default server.pem/.key)
#   name=NAME     folder $T/NAME (default lighttpd or nginx)
# They set WEB_URL (https://127.0.0.1:PORT/otpcep), WEB_PORT, WEB_PID and
# WEB_DIR; the server is stopped by pid on exit (lib.sh).

WEB_SAMPLES="$TOP/etc"

# web_issue NAME KEY CA purpose...: $PKI/NAME.pem for $PKI/KEY.key by CA.
web_issue() {
	name=$1 key=$2 ca=$3
	shift 3
	{
		echo "cn = \"$name\""
		for p in "$@"; do echo "$p"; done
		echo "expiration_days = 2"
	} >"$PKI/$name.tmpl"
	TZ=UTC certtool --generate-certificate --no-text --load-privkey "$PKI/$key.key" \
	    --load-ca-certificate "$PKI/$ca.pem" --load-ca-privkey "$PKI/$ca.key" \
	    --template "$PKI/$name.tmpl" --outfile "$PKI/$name.pem" >/dev/null 2>&1 ||
	    { echo "web_issue: certtool failed for $name" >&2; return 1; }
}

web_pki() {
	[ -f "$PKI/ca.pem" ] || pki_init || return 1
	pki_key server ec && web_issue server server ca tls_www_server \
	    'dns_name = "localhost"' 'ip_address = "127.0.0.1"' signing_key || return 1
	pki_key client ec && web_issue client client ca tls_www_client \
	    signing_key || return 1
	pki_key rogue-ca ec || return 1
	printf 'cn = "rogue root"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$PKI/rogue-ca.tmpl"
	certtool --generate-self-signed --no-text --load-privkey "$PKI/rogue-ca.key" \
	    --template "$PKI/rogue-ca.tmpl" --outfile "$PKI/rogue-ca.pem" >/dev/null 2>&1 ||
	    { echo "web_pki: certtool failed for rogue-ca" >&2; return 1; }
	pki_key rogue-client ec && web_issue rogue-client rogue-client rogue-ca \
	    tls_www_client signing_key || return 1
	pki_key rogue-server ec && web_issue rogue-server rogue-server rogue-ca \
	    tls_www_server 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
	    signing_key || return 1
}

# web_responder_start CONF [SOCKET]: the responder with CONF plus
# `listen = unix:SOCKET` (default $T/otpcep.sock). Sets WEB_SOCKET, OTPCEP_PID.
web_responder_start() {
	WEB_SOCKET=${2:-$T/otpcep.sock}
	cp "$1" "$1.listen"
	echo "listen = unix:$WEB_SOCKET" >>"$1.listen"
	t_start "otpcep" "$1.log" "$OTPCEP" -c "$1.listen"
	OTPCEP_PID=$T_LAST_PID
	i=0
	while [ ! -S "$WEB_SOCKET" ] && [ $i -lt 50 ]; do
		kill -0 "$OTPCEP_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$WEB_SOCKET" ] ||
	    { echo "web_responder_start: no socket: $(cat "$1.log")" >&2; return 1; }
}

# Parses KEY=VALUE arguments into w_socket, w_ca, w_cert, w_key, w_name.
web_args() {
	w_socket=${WEB_SOCKET:-$T/otpcep.sock} w_ca=$PKI/ca.pem
	w_cert=$PKI/server.pem w_key=$PKI/server.key
	for a in "$@"; do
		case "$a" in
		socket=*) w_socket=${a#socket=} ;;
		ca=*) w_ca=${a#ca=} ;;
		cert=*) w_cert=${a#cert=} ;;
		key=*) w_key=${a#key=} ;;
		name=*) w_name=${a#name=} ;;
		*) echo "web: unknown argument $a" >&2; return 1 ;;
		esac
	done
}

# web_render SAMPLE OUT SED-ARGS...: OUT from SAMPLE; fails when a system path
# is left over (the sample changed and the test would no longer use it).
web_render() {
	sample=$1 out=$2
	shift 2
	sed "$@" "$sample" >"$out" || return 1
	if grep -nE '"?/(etc|run|var)/' "$out" | grep -v '^[0-9]*:[[:space:]]*#' | grep -q .; then
		echo "web_render: $out still names system paths:" >&2
		grep -nE '"?/(etc|run|var)/' "$out" | grep -v '^[0-9]*:[[:space:]]*#' >&2
		return 1
	fi
}

# web_wait_tls PORT: waits until the server listens (10 s).
web_wait_tls() {
	t_wait_port "$1" 10 || return 1
}

lighttpd_tls_start() {
	w_name=lighttpd
	web_args "$@" || return 1
	WEB_DIR="$T/$w_name"
	mkdir -p "$WEB_DIR/empty"
	WEB_PORT=$(t_free_port)
	web_render "$WEB_SAMPLES/lighttpd/otpcep.conf" "$WEB_DIR/lighttpd.conf" \
	    -e "s|^server.port = 443$|server.port = $WEB_PORT|" \
	    -e 's|^server.bind = "0.0.0.0"$|server.bind = "127.0.0.1"|' \
	    -e 's|^server.username = .*|# (test: runs as the caller)|' \
	    -e 's|^server.groupname = .*|# (test: runs as the caller)|' \
	    -e "s|/run/lighttpd-otpcep.pid|$WEB_DIR/lighttpd.pid|" \
	    -e "s|/var/log/lighttpd/|$WEB_DIR/|" \
	    -e "s|/var/www/otpcep-empty|$WEB_DIR/empty|" \
	    -e "s|/etc/otpcep/tls/server.pem|$w_cert|" \
	    -e "s|/etc/otpcep/tls/server.key|$w_key|" \
	    -e "s|/etc/otpcep/tls/client-ca.pem|$w_ca|" \
	    -e "s|/run/otpcep/otpcep.sock|$w_socket|" || return 1
	t_start "lighttpd $w_name" "$WEB_DIR/lighttpd.out" \
	    lighttpd -D -f "$WEB_DIR/lighttpd.conf"
	WEB_PID=$T_LAST_PID
	WEB_URL="https://127.0.0.1:$WEB_PORT/otpcep"
	web_wait_tls "$WEB_PORT" || {
		echo "lighttpd did not start: $(cat "$WEB_DIR/lighttpd.out" "$WEB_DIR/otpcep-error.log" 2>/dev/null)" >&2
		return 1
	}
}

nginx_tls_start() {
	w_name=nginx
	web_args "$@" || return 1
	WEB_DIR="$T/$w_name"
	mkdir -p "$WEB_DIR/empty" "$WEB_DIR/tmp"
	WEB_PORT=$(t_free_port)
	# The sample is a server block for the http context; this wraps it.
	web_render "$WEB_SAMPLES/nginx/otpcep.conf" "$WEB_DIR/otpcep.conf" \
	    -e "s|443 ssl|127.0.0.1:$WEB_PORT ssl|" \
	    -e 's|^\([[:space:]]*listen[[:space:]]*\[::\]:.*\)|# (test: IPv4 only) \1|' \
	    -e "s|/var/log/nginx/|$WEB_DIR/|" \
	    -e "s|/var/www/otpcep-empty|$WEB_DIR/empty|" \
	    -e "s|/etc/otpcep/tls/server.pem|$w_cert|" \
	    -e "s|/etc/otpcep/tls/server.key|$w_key|" \
	    -e "s|/etc/otpcep/tls/client-ca.pem|$w_ca|" \
	    -e "s|/run/otpcep/otpcep.sock|$w_socket|" || return 1
	cat >"$WEB_DIR/nginx.conf" <<-CONF
	worker_processes 1;
	user $(id -un) $(id -gn);
	pid $WEB_DIR/nginx.pid;
	error_log $WEB_DIR/error.log info;
	events { worker_connections 64; }
	http {
		client_body_temp_path $WEB_DIR/tmp/body;
		fastcgi_temp_path $WEB_DIR/tmp/fastcgi;
		proxy_temp_path $WEB_DIR/tmp/proxy;
		scgi_temp_path $WEB_DIR/tmp/scgi;
		uwsgi_temp_path $WEB_DIR/tmp/uwsgi;
		access_log off;
		include $WEB_DIR/otpcep.conf;
	}
	CONF
	t_start "nginx $w_name" "$WEB_DIR/nginx.out" \
	    nginx -p "$WEB_DIR" -c "$WEB_DIR/nginx.conf" -e "$WEB_DIR/error.log" -g 'daemon off;'
	WEB_PID=$T_LAST_PID
	WEB_URL="https://127.0.0.1:$WEB_PORT/otpcep"
	web_wait_tls "$WEB_PORT" || {
		echo "nginx did not start: $(cat "$WEB_DIR/nginx.out" "$WEB_DIR/error.log" 2>/dev/null)" >&2
		return 1
	}
}

# web_post OUT FILE [curl args]: POSTs FILE to $WEB_URL as a SignCert Request
# with the client certificate; the response (head and body) goes to OUT.
# WEB_CT and WEB_VERSION replace the Content-Type and X-OTPCEP-version
# headers; set to "" they are left out.
web_post() {
	out=$1 file=$2
	shift 2
	ct=${WEB_CT-application/xml;charset=utf-8} ver=${WEB_VERSION-1.0}
	if [ -n "$ct" ]; then set -- -H "Content-Type: $ct" "$@"
	else set -- -H 'Content-Type:' "$@"; fi
	if [ -n "$ver" ]; then set -- -H "X-OTPCEP-version: $ver" "$@"; fi
	curl -s --http1.1 -i -o "$out" --cacert "$PKI/ca.pem" \
	    --cert "$PKI/client.pem" --key "$PKI/client.key" \
	    --data-binary "@$file" "$@" "$WEB_URL"
}
