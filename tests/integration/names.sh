# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Step 1's names and template against the real slapd and FreeRADIUS (issue 15
# items 1, 2, 6; issue 11's secure defaults): `template` given by name and
# resolved from the fixture's configuration partition, a Windows-shaped v2
# request (template OID only) accepted, a name-plus-OID conflict refused with
# no RADIUS traffic, a request naming another user refused with no LDAP
# search and the same answer as for an unknown user, Jörg/JÖRG accepted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_slapd.sh"
. "$(dirname "$0")/lib_radius.sh"
F="$TOP/tests/fixtures/golden"
BASE=$SLAPD_BASE
TEMPLATES="CN=Certificate Templates,CN=Public Key Services,CN=Services,CN=Configuration,$BASE"
OID=1.3.6.1.4.1.311.21.8.1.2.3.4.5.6
# SEQUENCE { OID, major 100, minor 5 } (MS-WCCE 2.2.2.7.7.2), as in 4.1.
OID_HEX=3017060f2b0601040182371508010203040506020164020105
OTHER_OID_HEX=3014060c2b0601040182371508090909020164020105

cat >"$T/users" <<'USERS'
DOMAIN1\user1	Cleartext-Password := "otp-user1"
DOMAIN1\JÖRG	Cleartext-Password := "otp-joerg"
DEFAULT	Auth-Type := Reject
USERS
slapd_start >/dev/null || { t_fail "slapd did not start"; t_done; }
RADIUSD_USERS="$T/users" freeradius_start >/dev/null ||
	{ t_fail "FreeRADIUS did not start"; t_done; }
install -m 0600 "$F/sign.key" "$T/sign.key"

conf() { # FILE TEMPLATE
	cat >"$1" <<CONF
log = stderr
template = $2
ldap_uri = $SLAPD_URI
ldap_bind_dn = $SLAPD_BIND_DN
ldap_password_file = $SLAPD_PW_FILE
domain = DOMAIN1 $BASE
radius_server = 127.0.0.1:$RADIUSD_PORT
radius_secret_file = $RADIUSD_SECRET_FILE
radius_username = as-sent
signing_cert = $F/sign.pem
signing_key = $T/sign.key
ca = DC1.domain1.corp.company.com\\RootCA-DC1
CONF
}

# csr NAME DN UPN TEMPLATE-OID-HEX [TEMPLATE-NAME]: a Windows-shaped PKCS#10
# (certtool) in $T/NAME.der; the name goes in 1.3.6.1.4.1.311.20.2 as a
# BMPString, as Windows writes it.
csr() {
	certtool --generate-privkey --key-type=rsa --bits=2048 \
		--outfile "$T/$1.key" >/dev/null 2>&1 || return 1
	{
		echo "dn = \"$2\""
		[ -n "$3" ] && echo "other_name_utf8 = \"1.3.6.1.4.1.311.20.2.3 $3\""
		echo "key_purpose_oid = 1.3.6.1.4.1.311.20.2.2"
		echo "signing_key"
		[ -n "$4" ] && echo "add_extension = \"1.3.6.1.4.1.311.21.7 0x$4\""
		if [ -n "${5:-}" ]; then
			n=$(printf '%s' "$5" | iconv -t UTF-16BE | od -An -tx1 | tr -d ' \n')
			printf 'add_extension = "1.3.6.1.4.1.311.20.2 0x1e%02x%s"\n' \
				$((${#n} / 2)) "$n"
		fi
	} >"$T/$1.tmpl"
	certtool --generate-request --no-text --load-privkey "$T/$1.key" \
		--template "$T/$1.tmpl" --outder --outfile "$T/$1.der" \
		>"$T/$1.csr.log" 2>&1
}

# ask NAME CONF USER OTP CSR: one request through --replay, the HTTP response
# in $T/NAME.out and the responder's log in $T/NAME.log.
ask() {
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<signCertRequest xmlns="http://schemas.microsoft.com/otpcep/1.0/protocol" username="%s" oneTimePassword="%s" certRequest="%s"/>\n' \
		"$3" "$4" "$(base64 -w 0 "$T/$5.der")" >"$T/$1.xml"
	printf 'POST /otpcep HTTP/1.1\r\nHost: otp.example.com\r\nContent-Type: application/xml\r\nX-OTPCEP-version: 1.0\r\nContent-Length: %s\r\n\r\n' \
		"$(stat -c %s "$T/$1.xml")" | cat - "$T/$1.xml" >"$T/$1.http"
	"$OTPCEP" -c "$2" --replay "$T/$1.http" >"$T/$1.out" 2>"$T/$1.log"
}

# User searches slapd has logged so far, and RADIUS requests FreeRADIUS has.
searches() { grep -c 'SRCH.*filter=.*\(sAMAccountName\|userPrincipalName\)' "$SLAPD_LOG"; }
radius_requests() { grep -c 'Received Access-Request' "$RADIUSD_LOG"; }

# 1. template by name: cn or displayName, printed by --check-config.
conf "$T/name.conf" DAOTPLogon
"$OTPCEP" -c "$T/name.conf" --check-config >"$T/check.out" 2>&1
t_check "--check-config resolves the name DAOTPLogon to its OID" \
	grep -q "template 'DAOTPLogon' resolved to $OID (cn DAOTPLogon)" "$T/check.out"
conf "$T/display.conf" "DirectAccess OTP Logon"
"$OTPCEP" -c "$T/display.conf" --check-config >"$T/display.out" 2>&1
t_check "--check-config resolves the displayName too" \
	grep -q "resolved to $OID (cn DAOTPLogon)" "$T/display.out"
conf "$T/none.conf" NoSuchTemplate
"$OTPCEP" -c "$T/none.conf" --check-config >"$T/none.out" 2>&1
rc=$?
t_check "an unknown template name fails --check-config (exit $rc)" test $rc -ne 0
t_check "and the message names what was searched" \
	grep -q "NoSuchTemplate.*no certificate template with that cn or displayName under $TEMPLATES" "$T/none.out"
ask none "$T/none.conf" 'DOMAIN1\user1' otp-user1 none 2>/dev/null
t_check "and the responder does not start with it" \
	grep -q "NoSuchTemplate" "$T/none.log"

# 2. A Windows v2 request (template OID only) with the name configured.
csr v2 "CN=User 1,CN=Users,$BASE" user1@domain1.corp.company.com "$OID_HEX" ||
	t_fail "certtool: $(cat "$T/v2.csr.log")"
ask v2 "$T/name.conf" 'DOMAIN1\user1' otp-user1 v2
t_check_response "v2 request, template configured by name: Success" "$T/v2.out" 200 Success
csr v2other "CN=User 1,CN=Users,$BASE" user1@domain1.corp.company.com "$OTHER_OID_HEX"
ask v2other "$T/name.conf" 'DOMAIN1\user1' otp-user1 v2other
t_check_response "another template's OID: OtherError" "$T/v2other.out" 200 OtherError

# 3. Two templates in one request: refused before any RADIUS traffic.
before=$(radius_requests)
csr both "CN=User 1,CN=Users,$BASE" user1@domain1.corp.company.com "$OID_HEX" Administrator
ask both "$T/name.conf" 'DOMAIN1\user1' otp-user1 both
t_check_response "configured OID plus the name Administrator: OtherError" "$T/both.out" 200 OtherError
t_check "the audit line says why" grep -q "template .Administrator. is not the configured one" "$T/both.log"
t_check "no request reached FreeRADIUS ($before before, $(radius_requests) after)" \
	test "$(radius_requests)" -eq "$before"
csr bothok "CN=User 1,CN=Users,$BASE" user1@domain1.corp.company.com "$OID_HEX" DAOTPLogon
ask bothok "$T/name.conf" 'DOMAIN1\user1' otp-user1 bothok
t_check_response "the OID and its own name: Success" "$T/bothok.out" 200 Success
conf "$T/oid.conf" "$OID"
ask bothoid "$T/oid.conf" 'DOMAIN1\user1' otp-user1 both
t_check_response "the conflict with the OID configured: OtherError" "$T/bothoid.out" 200 OtherError

# 4. Another user's name: no LDAP search, the answer of an unknown user.
before=$(searches)
rbefore=$(radius_requests)
csr admin "CN=Administrator,CN=Users,$BASE" administrator@domain1.corp.company.com "$OID_HEX"
ask admin "$T/name.conf" user1@domain1.corp.company.com otp-user1 admin
ask nobody "$T/name.conf" nosuch@domain1.corp.company.com otp-user1 admin
t_check_response "user1 asking for Administrator's UPN: OtherError" "$T/admin.out" 200 OtherError
t_check "an unknown user with that request gets the very same answer" \
	cmp "$T/admin.out" "$T/nobody.out"
csr outside "CN=Administrator,CN=Users,DC=other,DC=example" "" "$OID_HEX"
ask outside "$T/name.conf" 'DOMAIN1\user1' otp-user1 outside
t_check_response "a subject outside the domain: OtherError" "$T/outside.out" 200 OtherError
t_check "slapd saw no user search for them ($before before, $(searches) after)" \
	test "$(searches)" -eq "$before"
t_check "no request reached FreeRADIUS either" test "$(radius_requests)" -eq "$rbefore"

# 5. International names, as AD compares them (ignoring Unicode case).
csr joerg "CN=JÖRG MÜLLER,CN=Users,$BASE" "Jörg@domain1.corp.company.com" "$OID_HEX"
ask joerg "$T/name.conf" 'DOMAIN1\JÖRG' otp-joerg joerg
t_check_response "DOMAIN1\\JÖRG for CN=Jörg Müller (subject and UPN in other case): Success" \
	"$T/joerg.out" 200 Success
csr jorg "CN=Jorg Muller,CN=Users,$BASE" "jörg@domain1.corp.company.com" "$OID_HEX"
ask jorg "$T/name.conf" 'DOMAIN1\JÖRG' otp-joerg jorg
t_check_response "CN=Jorg Muller is another name: OtherError" "$T/jorg.out" 200 OtherError
t_check "the audit line says the subject is not the user's" \
	grep -q "subject is not the user's directory DN" "$T/jorg.log"

# 6. otpcep-ca, the CA's policy: --template, conflicts, key rules. Requests
# otpcep refuses to co-sign are signed by drv_catool (the signer's encoder).
CA="$TOP/build/bin/otpcep-ca"
ca() { # NAME SIGNED.der [--template T]...: exit status in $rc
	n=$1 in=$2
	shift 2
	"$CA" --check --in "$in" --trust "$F/ca.pem" "$@" >"$T/ca-$n.out" 2>&1
	rc=$?
}
signed() { # NAME: $T/NAME.der co-signed by drv_catool into $T/NAME.p7
	"$TOP/build/tests/drv_catool" sign "$F/sign.pem" "$T/sign.key" sha256 \
		"$T/$1.der" "$T/$1.p7" >/dev/null 2>&1
}
t_http_body "$T/v2.out" "$T/v2.xml"
sed -n 's/.*SignedCertRequest="\([^"]*\)".*/\1/p' "$T/v2.xml" | base64 -d >"$T/v2.p7"
ca v2 "$T/v2.p7" --template "DAOTPLogon=$OID"
t_check "otpcep-ca --template DAOTPLogon=OID issues the co-signed v2 request" test $rc -eq 0
ca v2oid "$T/v2.p7" --template "$OID"
t_check "and with --template OID" test $rc -eq 0
ca v2other "$T/v2.p7" --template "Administrator=1.3.6.1.4.1.311.21.8.9.9.9"
t_check "a template it was not told to issue: exit 28 ($rc)" test $rc -eq 28
t_check "with the CA's error name" grep -q CERTSRV_E_UNSUPPORTED_CERT_TYPE "$T/ca-v2other.out"
signed both || t_fail "drv_catool sign"
ca both "$T/both.p7" --template "DAOTPLogon=$OID" \
	--template "Administrator=1.3.6.1.4.1.311.21.8.9.9.9"
t_check "OID of one template and name of another: exit 29 ($rc)" test $rc -eq 29
t_check "CERTSRV_E_TEMPLATE_CONFLICT (0x80094802)" \
	grep -q 'CERTSRV_E_TEMPLATE_CONFLICT (0x80094802)' "$T/ca-both.out"
csr notmpl "CN=User 1,CN=Users,$BASE" user1@domain1.corp.company.com ""
signed notmpl
ca notmpl "$T/notmpl.p7" --template "DAOTPLogon=$OID"
t_check "no template extension: exit 27 ($rc), CERTSRV_E_NO_CERT_TYPE" \
	grep -q CERTSRV_E_NO_CERT_TYPE "$T/ca-notmpl.out"
ca notmplfree "$T/notmpl.p7"
t_check "without --template the template is not checked ($rc)" test $rc -eq 0
# An RSA key with public exponent 3 (openssl makes one; certtool cannot).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-pkeyopt rsa_keygen_pubexp:3 -out "$T/e3.key" 2>/dev/null &&
openssl req -new -key "$T/e3.key" -subj "/CN=User 1" -outform DER \
	-addext "subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user1@domain1.corp.company.com" \
	-addext "1.3.6.1.4.1.311.21.7=DER:$OID_HEX" -out "$T/e3.der" 2>"$T/e3.log" ||
	t_fail "openssl could not make the exponent-3 request: $(cat "$T/e3.log")"
signed e3
ca e3 "$T/e3.p7" --template "DAOTPLogon=$OID"
t_check "otpcep-ca refuses RSA exponent 3: exit 26 ($rc)" test $rc -eq 26
t_check "and says why" grep -q "exponent 3 is below 65537" "$T/ca-e3.out"
ask e3 "$T/name.conf" 'DOMAIN1\user1' otp-user1 e3
t_check_response "the responder refuses it too: OtherError" "$T/e3.out" 200 OtherError
t_check "its audit line says why" grep -q "exponent 3 is below 65537" "$T/e3.log"
t_done
