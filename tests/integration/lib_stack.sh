# The whole otpcep stack on 127.0.0.1, for the end-to-end tests and
# `make demo`: sourced after lib.sh, never run.
#
#   . "$TOP/tests/integration/lib.sh"
#   . "$TOP/tests/integration/lib_stack.sh"
#   stack_start [lighttpd|nginx]     # returns non-zero if any part is down
#
# stack_start makes, in order (every daemon real, on free unprivileged ports,
# all state under $T, each stopped by pid when the script exits):
#   1. the PKI ($PKI = $T/pki, lib_pki.sh): root CA "otpcep test root CA";
#      signing key and certificate (OTP signing EKU 1.3.6.1.4.1.311.81.1.1);
#      a TLS server certificate for 127.0.0.1; a client machine certificate
#      (tls_www_client, as a DirectAccess client presents); a second root and a
#      client certificate under it (a client the web server must not trust);
#      and the issuing CA of the CA step, "otpcep demo CA", under the root;
#   2. slapd with the directory fixture (lib_slapd.sh);
#   3. FreeRADIUS (lib_radius.sh) with tests/fixtures/stack/users: user1 TOTP,
#      user2 challenged, everyone else rejected;
#   4. the responder (FastCGI, `listen = unix:`), configured whole:
#      $STACK_CONF;
#   5. the web server with TLS that asks for a client certificate and passes
#      the verification result to the responder.
# Afterwards:
#   STACK_URL            https://127.0.0.1:PORT/otpcep
#   STACK_CONF           the responder's configuration
#   STACK_OTPCEP_PID, STACK_WEB_PID, STACK_WEB_LOG
#   STACK_CA_STRING      the `ca` line (the IssuingCA the client is told)
#   STACK_TEMPLATE_OID   the template every request must name
#   PKI files: ca.pem, sign-rsa.pem/.key, tls-server.pem/.key,
#   client.pem/.key (trusted), rogue-ca.pem, rogue-client.pem/.key,
#   demo-ca.pem/.key (the CA step's issuing CA)
#
# Other helpers:
#   stack_conf FILE SOCKET [key = value...]  a complete responder configuration;
#       each extra line replaces the key it names (or adds it)
#   stack_responder NAME CONF                starts a responder, waits for its socket
#   stack_web NAME SOCKET                    a web server (of $STACK_WEB) in
#       front of SOCKET; sets STACK_WEB_URL, STACK_WEB_PID
#   stack_csr NAME DN UPN [TEMPLATE-HEX]     $STACK_DIR/NAME.csr.der (and .key): a
#       Windows-shaped PKCS#10 made by certtool (subject DN, UPN otherName,
#       smart card logon EKU, the template extension 1.3.6.1.4.1.311.21.7)
#   stack_post OUT URL USER OTP CSR.der [curl options]   POSTs a SignCert
#       Request with curl (client certificate given by the caller), stores the
#       whole response (head and body) in OUT
#   stack_wrong_code CODE                    a 6-digit code that is not CODE
. "$TOP/tests/integration/lib_pki.sh"
. "$TOP/tests/integration/lib_slapd.sh"
. "$TOP/tests/integration/lib_radius.sh"
[ -f "$TOP/tests/integration/lib_web.sh" ] && . "$TOP/tests/integration/lib_web.sh"

STACK_DIR="$T/stack"
STACK_DOMAIN_BASE="DC=domain1,DC=corp,DC=company,DC=com"
STACK_CA_STRING='ca.demo.test\otpcep demo CA'
# The logon template, by OID (MS-WCCE 2.2.2.7.7.2), and the extension value a
# client sends for it: SEQUENCE { OID, major 100, minor 5 }, as in 4.1.
STACK_TEMPLATE_OID=1.3.6.1.4.1.311.21.8.1.2.3.4.5.6
STACK_TEMPLATE_HEX=3017060f2b0601040182371508010203040506020164020105
# Another template (1.3.6.1.4.1.311.21.8.9.9.9): "wrong template".
STACK_OTHER_TEMPLATE_HEX=3014060c2b0601040182371508090909020164020105
STACK_EKU_SMARTCARD=1.3.6.1.4.1.311.20.2.2
RADIUSD_USERS="$TOP/tests/fixtures/stack/users"

# _stack_cert NAME KEY-TYPE ISSUER TEMPLATE-LINES: $PKI/NAME.key and NAME.pem
# signed by $PKI/ISSUER (self-signed when ISSUER is "self").
_stack_cert() {
	pki_key "$1" "$2" || return 1
	printf '%s\n' "$4" >"$PKI/$1.tmpl"
	if [ "$3" = self ]; then
		TZ=UTC certtool --generate-self-signed --no-text --load-privkey "$PKI/$1.key" \
		    --template "$PKI/$1.tmpl" --outfile "$PKI/$1.pem" >"$PKI/$1.log" 2>&1
	else
		TZ=UTC certtool --generate-certificate --no-text --load-privkey "$PKI/$1.key" \
		    --load-ca-certificate "$PKI/$3.pem" --load-ca-privkey "$PKI/$3.key" \
		    --template "$PKI/$1.tmpl" --outfile "$PKI/$1.pem" >"$PKI/$1.log" 2>&1
	fi || { echo "stack: certtool failed for $1:"; cat "$PKI/$1.log"; return 1; }
}

# stack_pki: every certificate the stack needs (see the top of this file).
stack_pki() {
	pki_init || return 1
	pki_key sign-rsa rsa && pki_issue sign-rsa sign-rsa || return 1
	_stack_cert tls-server ec ca 'cn = "127.0.0.1"
ip_address = "127.0.0.1"
dns_name = "localhost"
tls_www_server
signing_key
expiration_days = 2' || return 1
	_stack_cert client ec ca 'cn = "client2.domain1.corp.company.com"
dns_name = "client2.domain1.corp.company.com"
tls_www_client
signing_key
expiration_days = 2' || return 1
	_stack_cert rogue-ca ec self 'cn = "rogue root CA"
ca
cert_signing_key
expiration_days = 2' || return 1
	_stack_cert rogue-client ec rogue-ca 'cn = "client2.domain1.corp.company.com"
tls_www_client
signing_key
expiration_days = 2' || return 1
	_stack_cert demo-ca rsa ca 'cn = "otpcep demo CA"
dc = "test"
dc = "demo"
ca
cert_signing_key
crl_signing_key
expiration_days = 7' || return 1
}

# stack_conf FILE SOCKET [key = value...]
stack_conf() {
	sc_file=$1 sc_sock=$2
	shift 2
	cat >"$sc_file" <<CONF
# otpcep.conf for the end-to-end stack (tests/integration/lib_stack.sh)
listen = unix:$sc_sock
log = stderr
workers = 4
require_https = yes
require_client_cert = yes
template = $STACK_TEMPLATE_OID
ldap_uri = $SLAPD_URI
ldap_bind_dn = $SLAPD_BIND_DN
ldap_password_file = $SLAPD_PW_FILE
ldap_timeout_ms = 3000
domain = DOMAIN1 $STACK_DOMAIN_BASE
radius_server = 127.0.0.1:$RADIUSD_PORT
radius_secret_file = $RADIUSD_SECRET_FILE
radius_username = user
radius_timeout_ms = 2000
radius_retries = 1
signing_cert = $PKI/sign-rsa.pem
signing_key = $PKI/sign-rsa.key
signing_client_machine = da1.domain1.corp.company.com
signing_client_account = DOMAIN1\\DA1\$
ca = $STACK_CA_STRING
CONF
	for sc_line in "$@"; do
		sc_key=${sc_line%% *}
		sed -i "/^$sc_key = /d" "$sc_file"
		printf '%s\n' "$sc_line" >>"$sc_file"
	done
}

# stack_responder NAME CONF: the responder on the conf's unix socket.
stack_responder() {
	sr_sock=$(sed -n 's/^listen = unix://p' "$2")
	if ! "$OTPCEP" --check-config -c "$2" >"$STACK_DIR/$1.check" 2>&1; then
		echo "stack: otpcep --check-config refused $2:"
		cat "$STACK_DIR/$1.check"
		return 1
	fi
	t_start "otpcep $1" "$STACK_DIR/$1.log" "$OTPCEP" -c "$2"
	STACK_RESPONDER_PID=$T_LAST_PID
	sr_i=0
	while [ ! -S "$sr_sock" ] && [ $sr_i -lt 50 ]; do
		kill -0 "$STACK_RESPONDER_PID" 2>/dev/null || break
		sleep 0.1
		sr_i=$((sr_i + 1))
	done
	[ -S "$sr_sock" ] && return 0
	echo "stack: responder $1 did not open $sr_sock:"
	tail -20 "$STACK_DIR/$1.log"
	return 1
}

# _stack_lighttpd NAME SOCKET PORT: lighttpd with TLS. mod_openssl, because
# Debian 12's lighttpd 1.4.69 mod_gnutls, once ssl.verifyclient.activate is
# on, refuses a client without a certificate at the handshake even with
# ssl.verifyclient.enforce = "disable" (GNUTLS_E_NO_CERTIFICATE_FOUND), and
# segfaults in libtasn1 when stopped after serving any connection.
_stack_lighttpd() {
	sl_d="$STACK_DIR/$1"
	mkdir -p "$sl_d/www"
	cat >"$sl_d/lighttpd.conf" <<CONF
server.modules = ("mod_openssl", "mod_fastcgi")
server.bind = "127.0.0.1"
server.port = $3
server.document-root = "$sl_d/www"
server.errorlog = "$sl_d/error.log"
ssl.engine = "enable"
ssl.pemfile = "$PKI/tls-server.pem"
ssl.privkey = "$PKI/tls-server.key"
ssl.ca-file = "$PKI/ca.pem"
ssl.verifyclient.activate = "enable"
ssl.verifyclient.enforce = "disable"
ssl.verifyclient.depth = 2
fastcgi.server = ("/otpcep" => (( "socket" => "$2", "check-local" => "disable" )))
CONF
	t_start "lighttpd $1" "$sl_d/lighttpd.out" lighttpd -D -f "$sl_d/lighttpd.conf"
}

# _stack_nginx NAME SOCKET PORT
_stack_nginx() {
	sn_d="$STACK_DIR/$1"
	mkdir -p "$sn_d/tmp"
	# Started as root, nginx would run its workers as nobody, who cannot
	# reach the socket inside the private $T: keep the caller's identity.
	sn_user=""
	[ "$(id -u)" = 0 ] && sn_user="user root root;"
	cat >"$sn_d/nginx.conf" <<CONF
$sn_user
daemon off;
master_process on;
worker_processes 1;
pid $sn_d/nginx.pid;
error_log $sn_d/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $sn_d/tmp/body;
	fastcgi_temp_path $sn_d/tmp/fastcgi;
	proxy_temp_path $sn_d/tmp/proxy;
	uwsgi_temp_path $sn_d/tmp/uwsgi;
	scgi_temp_path $sn_d/tmp/scgi;
	client_max_body_size 2m;
	server {
		listen 127.0.0.1:$3 ssl;
		ssl_certificate $PKI/tls-server.pem;
		ssl_certificate_key $PKI/tls-server.key;
		ssl_client_certificate $PKI/ca.pem;
		ssl_verify_client optional_no_ca;
		ssl_verify_depth 2;
		location = /otpcep {
			fastcgi_param GATEWAY_INTERFACE CGI/1.1;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param CONTENT_TYPE \$content_type;
			fastcgi_param CONTENT_LENGTH \$content_length;
			fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
			fastcgi_param REQUEST_URI \$request_uri;
			fastcgi_param SERVER_PROTOCOL \$server_protocol;
			fastcgi_param REMOTE_ADDR \$remote_addr;
			fastcgi_param HTTPS \$https;
			fastcgi_param SSL_CLIENT_VERIFY \$ssl_client_verify;
			fastcgi_pass unix:$2;
		}
		location / { return 404; }
	}
}
CONF
	t_start "nginx $1" "$sn_d/nginx.out" nginx -p "$sn_d" -e "$sn_d/error.log" -c "$sn_d/nginx.conf"
}

# stack_web NAME SOCKET: a web server of kind $STACK_WEB in front of SOCKET.
stack_web() {
	sw_try=0
	while [ $sw_try -lt 3 ]; do
		sw_port=$(t_free_port)
		case "$STACK_WEB" in
		lighttpd) _stack_lighttpd "$1" "$2" "$sw_port" ;;
		nginx) _stack_nginx "$1" "$2" "$sw_port" ;;
		*) echo "stack: unknown web server $STACK_WEB"; return 1 ;;
		esac
		STACK_WEB_PID=$T_LAST_PID
		STACK_WEB_LOG="$STACK_DIR/$1/error.log"
		STACK_WEB_URL="https://127.0.0.1:$sw_port/otpcep"
		if t_wait_port "$sw_port" 10 && kill -0 "$STACK_WEB_PID" 2>/dev/null; then
			return 0
		fi
		t_stop "$STACK_WEB_PID"
		sw_try=$((sw_try + 1))
	done
	echo "stack: $STACK_WEB $1 did not start:"
	cat "$STACK_DIR/$1/"*.out "$STACK_WEB_LOG" 2>/dev/null | tail -20
	return 1
}

# stack_start [lighttpd|nginx]
stack_start() {
	STACK_WEB=${1:-lighttpd}
	mkdir -p "$STACK_DIR"
	chmod 700 "$STACK_DIR"
	stack_pki || return 1
	slapd_start || return 1
	freeradius_start || return 1
	STACK_CONF="$STACK_DIR/otpcep.conf"
	stack_conf "$STACK_CONF" "$STACK_DIR/otpcep.sock" || return 1
	stack_responder main "$STACK_CONF" || return 1
	STACK_OTPCEP_PID=$STACK_RESPONDER_PID
	stack_web web "$STACK_DIR/otpcep.sock" || return 1
	STACK_URL=$STACK_WEB_URL
	STACK_MAIN_WEB_PID=$STACK_WEB_PID
}

# stack_csr NAME DN UPN [TEMPLATE-HEX]
stack_csr() {
	pki_key "csr-$1" rsa || return 1
	{
		echo "dn = \"$2\""
		[ -n "$3" ] && echo "other_name_utf8 = \"1.3.6.1.4.1.311.20.2.3 $3\""
		echo "key_purpose_oid = $STACK_EKU_SMARTCARD"
		echo "signing_key"
		echo "encryption_key"
		echo "add_extension = \"1.3.6.1.4.1.311.21.7 0x${4:-$STACK_TEMPLATE_HEX}\""
	} >"$STACK_DIR/$1.csr.tmpl"
	certtool --generate-request --no-text --load-privkey "$PKI/csr-$1.key" \
	    --template "$STACK_DIR/$1.csr.tmpl" --outder \
	    --outfile "$STACK_DIR/$1.csr.der" >"$STACK_DIR/$1.csr.log" 2>&1 ||
	    { echo "stack: certtool could not make the request $1"; cat "$STACK_DIR/$1.csr.log"; return 1; }
}

# stack_post OUT URL USER OTP CSR.der [curl options]
stack_post() {
	sp_out=$1 sp_url=$2 sp_user=$3 sp_otp=$4 sp_csr=$5
	shift 5
	if [ -f "$sp_csr" ]; then
		sp_b64=$(base64 -w 0 "$sp_csr")
	else
		sp_b64=$sp_csr	# given as text: a broken request on purpose
	fi
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<signCertRequest xmlns="http://schemas.microsoft.com/otpcep/1.0/protocol" username="%s" oneTimePassword="%s" certRequest="%s"/>\n' \
	    "$sp_user" "$sp_otp" "$sp_b64" >"$sp_out.req"
	curl -s -S --http1.1 -i -o "$sp_out" --max-time 30 --cacert "$PKI/ca.pem" \
	    -H 'Content-Type: application/xml' -H 'X-OTPCEP-version: 1.0' \
	    --data-binary "@$sp_out.req" "$@" "$sp_url"
}

# stack_wrong_code CODE: another 6-digit code.
stack_wrong_code() {
	printf '%06d\n' $(( (10#$1 + 500000) % 1000000 ))
}
