# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Steps 2 and 3 together against a real slapd and FreeRADIUS (issue 15):
# each radius_username form, as FreeRADIUS sees it, for DOMAIN1\USER1,
# domain1\user1 (examples 4.2 to 4.4) and the UPN john.doe@... of the
# account jdoe; and a computer account refused before RADIUS is asked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_slapd.sh"
. "$(dirname "$0")/lib_radius.sh"
DRV="$TOP/build/tests/drv_peers"

slapd_start || { t_fail "slapd starts"; t_done; }
RADIUSD_USERS="$TOP/tests/fixtures/peers/users" freeradius_start radiusd yes ||
	{ t_fail "freeradius starts"; t_done; }

# conf FORM: both steps configured, radius_username = FORM (none: the default).
conf() {
	c="$T/$1.conf"
	{
		echo "template = 1.2.3.4"
		echo "ca = dc1\\CA"
		echo "ldap_uri = $SLAPD_URI"
		echo "ldap_bind_dn = $SLAPD_BIND_DN"
		echo "ldap_password_file = $SLAPD_PW_FILE"
		echo "domain = DOMAIN1 $SLAPD_BASE"
		echo "radius_server = 127.0.0.1:$RADIUSD_PORT"
		echo "radius_secret_file = $RADIUSD_SECRET_FILE"
		echo "radius_timeout_ms = 2000"
		[ "$1" = default ] || echo "radius_username = $1"
	} >"$c"
	echo "$c"
}
# check FORM NAME SENT: NAME looked up, SENT (exactly, as FreeRADIUS logs
# it) reaches FreeRADIUS in one Access-Request and is accepted.
printf 'peers-Pass 1' >"$T/pw"
check() {
	form=$1 name=$2 want=$3
	before=$(grep -c 'Received Access-Request' "$RADIUSD_LOG")
	out=$("$DRV" "$(conf "$form")" "$name" "$T/pw" 2>"$T/err")
	sleep 0.1
	# FreeRADIUS writes a backslash in a value as two.
	seen=$(grep 'User-Name = ' "$RADIUSD_LOG" | tail -n 1 |
		sed -e 's/.*User-Name = "\(.*\)"$/\1/' -e 's/\\\\/\\/g')
	after=$(grep -c 'Received Access-Request' "$RADIUSD_LOG")
	if [ "$out" = "FOUND sent=$want Access-Accept" ] && [ "$seen" = "$want" ] &&
	    [ $((after - before)) -eq 1 ]; then
		t_pass "radius_username = $form: $name reaches FreeRADIUS as $want"
	else
		t_fail "radius_username = $form: $name: got '$out', FreeRADIUS saw '$seen' $(cat "$T/err")"
	fi
}
UPN=john.doe@domain1.corp.company.com
for form in default account user; do
	check $form 'DOMAIN1\USER1' user1
	check $form 'domain1\user1' user1
	check $form "$UPN" jdoe
done
check domain-user 'DOMAIN1\USER1' 'DOMAIN1\user1'
check domain-user 'domain1\user1' 'DOMAIN1\user1'
check domain-user "$UPN" 'DOMAIN1\jdoe'
check as-sent 'DOMAIN1\USER1' 'DOMAIN1\USER1'
check as-sent 'domain1\user1' 'domain1\user1'
check as-sent "$UPN" "$UPN"
check upn 'DOMAIN1\USER1' user1@domain1.corp.company.com
check upn 'domain1\user1' user1@domain1.corp.company.com
check upn "$UPN" "$UPN"

# An unknown account, or one without the name the form needs: nothing sent.
before=$(grep -c 'Received Access-Request' "$RADIUSD_LOG")
out=$("$DRV" "$(conf upn)" 'DOMAIN1\user2x' "$T/pw" 2>"$T/err")
t_check "unknown account: step 2 refuses, RADIUS not asked ($out)" \
	[ "$out" = "no such user sent=- -" -a "$(grep -c 'Received Access-Request' "$RADIUSD_LOG")" -eq "$before" ]
out=$("$DRV" "$(conf upn)" 'DOMAIN1\nocontrol' "$T/pw" 2>"$T/err")
t_check "radius_username = upn, no userPrincipalName: nothing sent ($out)" \
	[ "$out" = "FOUND sent=- user name or password unfit for RADIUS" -a "$(grep -c 'Received Access-Request' "$RADIUSD_LOG")" -eq "$before" ]

# A computer account (issue 15) never reaches RADIUS.
out=$("$DRV" "$(conf default)" 'DOMAIN1\CLIENT2$' "$T/pw" 2>"$T/err")
t_check "computer account DOMAIN1\\CLIENT2\$ refused by step 2 ($out)" \
	[ "$out" = "no such user sent=- -" -a "$(grep -c 'Received Access-Request' "$RADIUSD_LOG")" -eq "$before" ]
t_done
