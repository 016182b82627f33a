# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The golden fixture on real peers: MS-OTPCE example 4.1's user DOMAIN1\user1
# in slapd, its static password in FreeRADIUS (tests/fixtures/golden/users)
# and a fixed signing key. Sourced after lib.sh, never run.
#
#   golden_start                        slapd, FreeRADIUS, the key in $T
#   golden_conf FILE [key = value...]   a responder configuration for them;
#       each extra line replaces the key it names (or adds it)
#
# G is tests/data/golden (4.1-request.http and its Success response), F the
# fixture folder, GOLDEN_TEMPLATE the template OID of example 4.1's request.
. "$TOP/tests/integration/lib_slapd.sh"
. "$TOP/tests/integration/lib_radius.sh"
G="$TOP/tests/data/golden"
F="$TOP/tests/fixtures/golden"
# The template OID of example 4.1's request (extension 1.3.6.1.4.1.311.21.7).
GOLDEN_TEMPLATE=1.3.6.1.4.1.311.21.8.221803.1567394.12993454.3845153.13972217.75.15653661.6620273

# golden_start: returns 1 (with a FAIL line) if a peer does not start.
golden_start() {
	slapd_start >/dev/null || { t_fail "slapd did not start"; return 1; }
	RADIUSD_USERS="$F/users" freeradius_start >/dev/null ||
		{ t_fail "FreeRADIUS did not start"; return 1; }
	install -m 0600 "$F/sign.key" "$T/sign.key"
}

# golden_conf FILE [key = value...]
golden_conf() {
	gc_file=$1
	shift
	cat >"$gc_file" <<CONF
log = stderr
template = $GOLDEN_TEMPLATE
ldap_uri = $SLAPD_URI
ldap_bind_dn = $SLAPD_BIND_DN
ldap_password_file = $SLAPD_PW_FILE
domain = DOMAIN1 DC=domain1,DC=corp,DC=company,DC=com
radius_server = 127.0.0.1:$RADIUSD_PORT
radius_secret_file = $RADIUSD_SECRET_FILE
radius_username = as-sent
signing_cert = $F/sign.pem
signing_key = $T/sign.key
signing_digest = sha1
signing_client_machine = DA1.domain1.corp.company.com
signing_client_account = DOMAIN1\\DA1\$
signing_client_process = w3wp.exe
ca = DC1.domain1.corp.company.com\\RootCA-DC1
CONF
	for gc_line in "$@"; do
		sed -i "/^${gc_line%% *} = /d" "$gc_file"
		printf '%s\n' "$gc_line" >>"$gc_file"
	done
}
