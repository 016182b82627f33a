# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# A real MIT Kerberos KDC (Debian krb5-kdc) for the integration tests:
# sourced after lib.sh, never run.
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/lib_kdc.sh"
#   kdc_start                       # realm $KDC_REALM on a free port
#   kdc_add_keytab PRINC KEYTAB     # a service or computer account, random key
#   kdc_add_user PRINC PASSWORD [kadmin options]
#   kdc_kinit PRINC PASSWORD CCACHE [kinit options]
#
# kdc_start makes $T/kdc: a krb5.conf and a kdc.conf (exported as KRB5_CONFIG
# and KRB5_KDC_PROFILE, so every Kerberos program and library of the test
# uses this realm and nothing of the machine's), a database made with
# kdb5_util create -s (a random master password, stash file), and starts
# krb5kdc in the foreground (-n) on 127.0.0.1, UDP and TCP on one free port;
# it is stopped by pid on exit (or with kdc_stop). After kdc_start: KDC_PID,
# KDC_PORT, KDC_DIR, KDC_LOG, KDC_REALM.
#
# The principals the ICPR tests use (docs/adcs.md): the CA host's
# host/NAME and RPCSS/NAME (a Windows client asks for either, both are the
# CA computer's keys in AD), the computer account NAME$ with a keytab as
# `adcli join` leaves it, and users with passwords.
KDC_REALM=${KDC_REALM:-DOMAIN1.CORP.COMPANY.COM}
KDC_BIN=${KDC_BIN:-/usr/sbin/krb5kdc}

kdc_start() {
	KDC_DIR="$T/kdc"
	mkdir -p "$KDC_DIR"
	_try=0
	while :; do
		_kdc_start_once && return 0
		grep -q "Address already in use" "$KDC_LOG" 2>/dev/null || return 1
		_try=$((_try + 1))
		[ $_try -lt 5 ] || return 1
		echo "kdc: port taken, trying again"
		sleep 0.5
	done
}

_kdc_start_once() {
	KDC_PORT=$(t_free_port)
	KDC_LOG="$KDC_DIR/krb5kdc.log"
	# clockskew: the tests' "clock skew" case shifts a peer's clock by
	# more than this; ticket lifetimes stay short so "expired" is quick.
	cat >"$KDC_DIR/krb5.conf" <<EOF
[libdefaults]
	default_realm = $KDC_REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	ignore_acceptor_hostname = false
	udp_preference_limit = 1
	clockskew = ${KDC_CLOCKSKEW:-300}
	default_ccache_name = FILE:$KDC_DIR/ccache.default
	default_keytab_name = FILE:$KDC_DIR/keytab.default
[realms]
	$KDC_REALM = {
		kdc = 127.0.0.1:$KDC_PORT
		admin_server = 127.0.0.1:1
	}
[domain_realm]
	.test = $KDC_REALM
	.${KDC_REALM,,} = $KDC_REALM
[logging]
	default = FILE:$KDC_DIR/lib.log
EOF
	cat >"$KDC_DIR/kdc.conf" <<EOF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$KDC_PORT
	kdc_tcp_listen = 127.0.0.1:$KDC_PORT
[realms]
	$KDC_REALM = {
		database_name = $KDC_DIR/principal
		key_stash_file = $KDC_DIR/stash
		acl_file = $KDC_DIR/kadm5.acl
		max_life = 10h
		max_renewable_life = 0
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
		master_key_type = aes256-cts-hmac-sha1-96
	}
[logging]
	kdc = FILE:$KDC_LOG
	default = FILE:$KDC_LOG
EOF
	: >"$KDC_DIR/kadm5.acl"
	export KRB5_CONFIG="$KDC_DIR/krb5.conf"
	export KRB5_KDC_PROFILE="$KDC_DIR/kdc.conf"
	export KRB5CCNAME="FILE:$KDC_DIR/ccache.default"
	if [ ! -f "$KDC_DIR/principal" ]; then
		if ! kdb5_util create -s -r "$KDC_REALM" \
			-P "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
			>"$KDC_DIR/kdb5_util.log" 2>&1; then
			echo "kdb5_util create failed:"
			cat "$KDC_DIR/kdb5_util.log"
			return 1
		fi
	fi
	: >"$KDC_LOG"
	t_start krb5kdc "$KDC_DIR/krb5kdc.out" "$KDC_BIN" -n -r "$KDC_REALM"
	KDC_PID=$T_LAST_PID
	echo "$KDC_PID" >"$KDC_DIR/pid"
	_i=0
	while [ $_i -lt 100 ]; do
		if ! kill -0 "$KDC_PID" 2>/dev/null; then
			echo "krb5kdc exited:"
			cat "$KDC_DIR/krb5kdc.out"
			tail -20 "$KDC_LOG"
			cat "$KDC_DIR/krb5kdc.out" >>"$KDC_LOG"
			return 1
		fi
		if [ -n "$(ss -Htln "sport = :$KDC_PORT" 2>/dev/null)" ] &&
			grep -q "commencing operation" "$KDC_LOG"; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "krb5kdc did not start in 10 s:"
	tail -20 "$KDC_LOG"
	return 1
}

# kdc_kadmin QUERY: one kadmin.local query on the test realm's database.
kdc_kadmin() {
	kadmin.local -r "$KDC_REALM" -q "$1" >>"$KDC_DIR/kadmin.log" 2>&1 &&
		! tail -3 "$KDC_DIR/kadmin.log" | grep -qiE "error|cannot|unable|failed"
}

# kdc_add_keytab PRINC KEYTAB: a principal with a random key, written to
# KEYTAB (appended when it exists); the keytab is mode 0600.
kdc_add_keytab() {
	kdc_kadmin "addprinc -randkey $1" || { echo "addprinc $1 failed"; tail -5 "$KDC_DIR/kadmin.log"; return 1; }
	(umask 077; kdc_kadmin "ktadd -k $2 $1") || { echo "ktadd $1 failed"; tail -5 "$KDC_DIR/kadmin.log"; return 1; }
}

# kdc_add_user PRINC PASSWORD [OPTIONS]: a principal with a password;
# OPTIONS go to addprinc (e.g. -maxlife "5 seconds").
kdc_add_user() {
	_p=$1 _pw=$2
	shift 2
	kdc_kadmin "addprinc $* -pw $_pw $_p" || { echo "addprinc $_p failed"; tail -5 "$KDC_DIR/kadmin.log"; return 1; }
}

# kdc_kinit PRINC PASSWORD CCACHE [OPTIONS]: a credential cache for PRINC.
kdc_kinit() {
	_p=$1 _pw=$2 _cc=$3
	shift 3
	echo "$_pw" | kinit "$@" -c "$_cc" "$_p" >>"$KDC_DIR/kinit.log" 2>&1 ||
		{ echo "kinit $_p failed"; tail -5 "$KDC_DIR/kinit.log"; return 1; }
}

# kdc_stop: stops the KDC by its pid.
kdc_stop() {
	[ -f "$KDC_DIR/pid" ] || return 0
	t_stop "$(cat "$KDC_DIR/pid")"
	rm -f "$KDC_DIR/pid"
}
