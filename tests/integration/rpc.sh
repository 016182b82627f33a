#!/bin/bash
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The DCE/RPC library from end to end on 127.0.0.1 with a real MIT KDC: our
# client (icpr_submit: endpoint mapper, Kerberos bind at packet privacy,
# sealed CertServerRequest) against our server (dcerpc_serve with an MIT GSS
# acceptor) in tests/integration/drv_rpc.c. Both auth types, keytab and
# credential cache, fragmentation both ways, and the failures an admin meets:
# wrong SPN, unknown SPN, no credentials, no endpoint, no server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kdc.sh"

# RPC_DRV: a wrapper (e.g. valgrind) around the driver, for hunting leaks
DRV="${RPC_DRV:-$TOP/build/tests/drv_rpc}"
kdc_start || { t_fail "krb5kdc starts"; t_done; }
kdc_add_keytab host/ca.test "$T/ca.keytab" || t_fail "CA keytab"
kdc_add_keytab 'DA1$' "$T/da1.keytab" || t_fail "computer keytab"
kdc_add_keytab host/other.test "$T/other.keytab" || t_fail "other keytab"
kdc_add_user user1 'Pass-w0rd-1' || t_fail "user"
kdc_kinit user1 'Pass-w0rd-1' "FILE:$T/cc.user1" || t_fail "kinit user1"

EPM=$(t_free_port)
ICPR=$(t_free_port)
t_start drv_rpc "$T/server.log" "$DRV" serve "$EPM" "$ICPR" "$T/ca.keytab"
SERVER_PID=$T_LAST_PID
t_wait_port "$ICPR" || t_fail "server listens"

submit() { # SPN AUTHTYPE CRED N [ATTRS]
	"$DRV" submit 127.0.0.1 "$EPM" "$@" >"$T/out" 2>&1
	echo "rc=$?" >>"$T/out"
}
has() { grep -qxF "$1" "$T/out"; }
show() { sed 's/^/    /' "$T/out"; }

submit host/ca.test 16 "keytab:$T/da1.keytab:DA1\$" 1000
if has "result=success" && has "disposition=CR_DISP_ISSUED" &&
	has "cert_ok=yes" &&
	grep -q "^message=peer=DA1\$@$KDC_REALM level=6 authority=Test CA attributes=CertificateTemplate:DAOTPRA$" "$T/out"; then
	t_pass "computer account (keytab), Kerberos (16): sealed call answered, the server saw DA1\$ at privacy"
else
	t_fail "computer account (keytab), Kerberos (16)"; show
fi

submit host/ca.test 9 "ccache:FILE:$T/cc.user1" 1000
if has "result=success" && has "cert_ok=yes" &&
	grep -q "^message=peer=user1@$KDC_REALM level=6" "$T/out"; then
	t_pass "user (credential cache), SPNEGO (9): sealed call answered as user1"
else
	t_fail "user (credential cache), SPNEGO (9)"; show
fi

# 40 KB request in fragments of at most 5840; 64 KB answer likewise.
submit host/ca.test 9 "keytab:$T/da1.keytab:DA1\$" 40000 \
	"CertificateTemplate:DAOTPRA
size:64"
if has "result=success" && has "cert_ok=yes" && has "chain_len=65536"; then
	t_pass "fragmented both ways: 40 KB request, 64 KB chain"
else
	t_fail "fragmented both ways"; show
fi

submit host/other.test 16 "keytab:$T/da1.keytab:DA1\$" 100
if has "rc=1" && grep -q "^error=.*bind" "$T/out"; then
	t_pass "a ticket for another SPN is refused at the bind: $(grep ^error= "$T/out" | head -c 160)"
else
	t_fail "wrong SPN"; show
fi

submit host/nosuch.test 16 "keytab:$T/da1.keytab:DA1\$" 100
if has "rc=1" && grep -qi "^error=.*not found" "$T/out"; then
	t_pass "an SPN the KDC does not know: $(grep ^error= "$T/out" | head -c 160)"
else
	t_fail "unknown SPN"; show
fi

submit host/ca.test 9 "ccache:FILE:$T/cc.nobody" 100
if has "rc=1" && has "result=no Kerberos credentials"; then
	t_pass "no credential cache: no Kerberos credentials"
else
	t_fail "no credentials"; show
fi

submit host/ca.test 9 "keytab:$T/nosuch.keytab:DA1\$" 100
if has "rc=1" && grep -q "^result=no Kerberos credentials\|^result=security context" "$T/out"; then
	t_pass "missing client keytab fails closed: $(grep ^error= "$T/out" | head -c 160)"
else
	t_fail "missing client keytab"; show
fi

# Below packet privacy the server's handler sees the level and refuses, as
# AD CS does since the 2021-2023 hardening (E_ACCESSDENIED).
"$DRV" lowlevel 127.0.0.1 "$ICPR" host/ca.test 0 - - >"$T/out" 2>&1
if has "status=E_ACCESSDENIED" && grep -q "^message=peer=- level=0" "$T/out"; then
	t_pass "unauthenticated bind: the call is answered E_ACCESSDENIED"
else
	t_fail "unauthenticated bind"; show
fi
"$DRV" lowlevel 127.0.0.1 "$ICPR" host/ca.test 2 "$T/da1.keytab" 'DA1$' >"$T/out" 2>&1
if has "status=E_ACCESSDENIED" &&
	grep -q "^message=peer=DA1\$@$KDC_REALM level=2" "$T/out"; then
	t_pass "connect level (authenticated, nothing sealed): E_ACCESSDENIED"
else
	t_fail "connect level"; show
fi

# MIT's DCE-style tokens against our RFC 4121 code (which opens Windows'
# capture in tests/test_dcerpc_windows.c), both directions, both auth types.
for at in 16 9; do
	"$DRV" crosscheck "$T/da1.keytab" 'DA1$' host/ca.test "$T/ca.keytab" $at \
		>"$T/out" 2>&1
	if has "crosscheck ok"; then
		t_pass "auth type $at: MIT's sealing opens with our RFC 4121 code and ours with MIT's ($(grep -E '^(legs|token_len)=' "$T/out" | tr '\n' ' '))"
	else
		t_fail "auth type $at: MIT and our RFC 4121 code disagree"; show
	fi
done

# A hostile endpoint mapper that trickles a byte every 0.3 s never trips the
# per-read timeout; the deadline of the whole exchange (2 s here) ends it.
TRICKLE=$(t_free_port)
t_start trickle "$T/trickle.log" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept()
for b in bytes.fromhex("05000c03100000000010000002000000") * 100:
    c.send(bytes([b])); time.sleep(0.3)
' "$TRICKLE"
TRICKLE_PID=$T_LAST_PID
t_wait_port "$TRICKLE" || t_fail "trickling peer listens"
start=$(date +%s)
DRV_RPC_TIMEOUT_MS=2000 "$DRV" submit 127.0.0.1 "$TRICKLE" host/ca.test 9 \
	"keytab:$T/da1.keytab:DA1\$" 100 >"$T/out" 2>&1
took=$(($(date +%s) - start))
if grep -qx "result=timed out" "$T/out" && [ "$took" -le 5 ]; then
	t_pass "a peer trickling bytes is cut off by the deadline (${took} s)"
else
	t_fail "trickling peer (${took} s)"; show
fi
t_stop "$TRICKLE_PID"

t_stop "$SERVER_PID"
submit host/ca.test 9 "keytab:$T/da1.keytab:DA1\$" 100
if has "rc=1" && has "result=cannot connect"; then
	t_pass "CA unreachable: cannot connect"
else
	t_fail "CA unreachable"; show
fi
if grep -q "connection on icpr: " "$T/server.log"; then
	t_pass "the server logged its connections"
fi
t_done
