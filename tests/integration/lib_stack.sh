# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
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
#      the TLS files of lib_web.sh's web_pki (server certificate for
#      127.0.0.1, client machine certificate, a rogue root and its client);
#      and the issuing CA of the CA step, "otpcep demo CA", under the root;
#   2. slapd with the directory fixture (lib_slapd.sh), over LDAPS (its own
#      test CA, checked by the responder through ldap_ca_file);
#   3. FreeRADIUS (lib_radius.sh) with tests/fixtures/stack/users: user1 TOTP,
#      user2 challenged, everyone else rejected;
#   4. the responder (FastCGI, `listen = unix:`), configured whole:
#      $STACK_CONF;
#   5. the web server: the shipped etc/lighttpd or etc/nginx sample, rendered
#      by lib_web.sh (TLS, client certificates asked for and verified, the
#      result passed to the responder).
# Afterwards:
#   STACK_URL            https://127.0.0.1:PORT/otpcep
#   STACK_CONF           the responder's configuration
#   STACK_OTPCEP_PID, STACK_WEB_PID, STACK_WEB_LOG
#   STACK_CA_STRING      the `ca` line (the IssuingCA the client is told)
#   STACK_TEMPLATE_OID   the template every request must name
#   PKI files: ca.pem, sign-rsa.pem/.key, server.pem/.key,
#   client.pem/.key (trusted), rogue-ca.pem, rogue-client.pem/.key,
#   demo-ca.pem/.key (the CA step's issuing CA)
#
# Other helpers:
#   stack_conf FILE SOCKET [key = value...]  a complete responder configuration;
#       each extra line replaces the key it names (or adds it)
#   stack_responder NAME CONF                starts a responder, waits for its socket
#   stack_web NAME SOCKET                    the web server (of $STACK_WEB) in
#       front of SOCKET; sets STACK_WEB_URL, STACK_WEB_PID
#   stack_csr NAME DN UPN [TEMPLATE-HEX]     $STACK_DIR/NAME.csr.der (and .key): a
#       Windows-shaped PKCS#10 made by certtool (subject DN, UPN otherName,
#       smart card logon EKU, the template extension 1.3.6.1.4.1.311.21.7)
#   stack_post OUT URL USER OTP CSR.der [curl options]   POSTs a SignCert
#       Request with curl (client certificate given by the caller), stores the
#       whole response (head and body) in OUT
#   stack_enroll OUT URL CSR.der             user1's request with the current code
#   stack_child PID COMM                     PID's child process named COMM
#   stack_wrong_code CODE                    a 6-digit code that is not CODE
. "$TOP/tests/integration/lib_pki.sh"
. "$TOP/tests/integration/lib_slapd.sh"
. "$TOP/tests/integration/lib_radius.sh"
. "$TOP/tests/integration/lib_web.sh"

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
# signed by $PKI/ISSUER.
_stack_cert() {
	pki_key "$1" "$2" || return 1
	printf '%s\n' "$4" >"$PKI/$1.tmpl"
	TZ=UTC certtool --generate-certificate --no-text --load-privkey "$PKI/$1.key" \
	    --load-ca-certificate "$PKI/$3.pem" --load-ca-privkey "$PKI/$3.key" \
	    --template "$PKI/$1.tmpl" --outfile "$PKI/$1.pem" >"$PKI/$1.log" 2>&1 ||
	    { echo "stack: certtool failed for $1:"; cat "$PKI/$1.log"; return 1; }
}

# stack_pki: every certificate the stack needs (see the top of this file).
stack_pki() {
	pki_init || return 1
	pki_key sign-rsa rsa && pki_issue sign-rsa sign-rsa || return 1
	web_pki || return 1
	_stack_cert demo-ca rsa ca 'cn = "otpcep demo CA"
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
# Below the web servers' own 64 KiB limit, so that the responder's 413 is
# reachable through them.
max_request_bytes = 32768
template = $STACK_TEMPLATE_OID
ldap_uri = $SLAPD_LDAPS_URI
ldap_ca_file = $SLAPD_CA_FILE
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

# stack_web NAME SOCKET: the shipped configuration of $STACK_WEB
# (etc/lighttpd/otpcep.conf or etc/nginx/otpcep.conf, rendered by lib_web.sh)
# in front of SOCKET, in $T/NAME. Sets STACK_WEB_URL, STACK_WEB_PID,
# STACK_WEB_LOG.
stack_web() {
	case "$STACK_WEB" in
	lighttpd) lighttpd_tls_start "socket=$2" "name=$1" ;;
	nginx) nginx_tls_start "socket=$2" "name=$1" ;;
	*) echo "stack: unknown web server $STACK_WEB"; return 1 ;;
	esac || return 1
	STACK_WEB_URL=$WEB_URL
	STACK_WEB_PID=$WEB_PID
	STACK_WEB_LOG="$WEB_DIR/otpcep-error.log"
}

# stack_start [lighttpd|nginx]
stack_start() {
	STACK_WEB=${1:-lighttpd}
	mkdir -p "$STACK_DIR"
	chmod 700 "$STACK_DIR"
	stack_pki || return 1
	SLAPD_TLS=yes slapd_start || return 1
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

# stack_enroll OUT URL CSR.der: a SignCert Request of DOMAIN1\user1 with the
# current one-time password and the trusted client certificate (Success).
stack_enroll() {
	stack_post "$1" "$2" 'DOMAIN1\user1' "$(radius_totp_code)" "$3" \
	    --cert "$PKI/client.pem" --key "$PKI/client.key"
}

# stack_child PID COMM: the pid of PID's child named COMM (e.g. the
# responder's otpcep-monitor, the monitor's otpcep-signer).
stack_child() { pgrep -P "$1" -x "$2" | head -n 1; }

# stack_wrong_code CODE: another 6-digit code.
stack_wrong_code() {
	printf '%06d\n' $(( (10#$1 + 500000) % 1000000 ))
}
