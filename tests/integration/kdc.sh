#!/bin/bash
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The KDC fixture (lib_kdc.sh) itself: a temp realm on 127.0.0.1, the CA
# host's service principals, a computer account with a keytab as `adcli join`
# leaves it, a user with a password and a credential cache from kinit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kdc.sh"

kdc_start || { t_fail "krb5kdc starts"; t_done; }
t_pass "krb5kdc starts on 127.0.0.1:$KDC_PORT (pid $KDC_PID)"

t_check "CA host principals in the CA's keytab" \
	kdc_add_keytab host/ca.test "$T/ca.keytab"
t_check "RPCSS principal in the same keytab" \
	kdc_add_keytab RPCSS/ca.test "$T/ca.keytab"
t_check "computer account DA1\$ with a keytab" \
	kdc_add_keytab 'DA1$' "$T/da1.keytab"
t_check "user with a password" kdc_add_user user1 'Pass-w0rd-1'

t_check "keytab is mode 0600" [ "$(stat -c %a "$T/da1.keytab")" = 600 ]
t_check "kinit -k as the computer account" \
	kinit -k -t "$T/da1.keytab" -c "$T/cc.da1" "DA1\$@$KDC_REALM"
t_check "service ticket for host/ca.test" \
	kvno -c "$T/cc.da1" host/ca.test
t_check "kinit with the user's password" \
	kdc_kinit user1 'Pass-w0rd-1' "$T/cc.user1"
t_check "the user's ccache holds a TGT" \
	sh -c "klist -c '$T/cc.user1' | grep -q 'krbtgt/$KDC_REALM@$KDC_REALM'"
if echo wrong | kinit -c "$T/cc.bad" user1 >/dev/null 2>&1; then
	t_fail "a wrong password is refused"
else
	t_pass "a wrong password is refused"
fi
t_check "the KDC logged the AS requests" grep -q "AS_REQ.*user1@" "$KDC_LOG"

kdc_stop
t_check "krb5kdc stopped by pid" sh -c "! kill -0 $KDC_PID 2>/dev/null"
t_done
