# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The file rules (issue 11, "Files") and the file stage of --check-config
# (issue 12): the signing key, the PKCS#12 file and every *_file secret are
# refused unless regular, owned by root or the service user, and mode at most
# 0640; the configuration file is refused when group or others may write it.
# Each rule through --check-config (file:line, the mode, the owner, what to
# run) and at start-up; --check-config reports every problem in one run,
# missing files, unresolvable hosts and a key that does not match included.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pki.sh"

pki_init >/dev/null && pki_key sign-rsa rsa >/dev/null && pki_issue sign-rsa sign-rsa >/dev/null &&
	pki_p12 sign-rsa >/dev/null && pki_key other-rsa rsa >/dev/null ||
	{ t_fail "PKI"; t_done; }
printf 'radius-secret-1234\n' >"$T/radius.secret"
printf 'ldap-password\n' >"$T/ldap.pw"
chmod 0600 "$T/radius.secret" "$T/ldap.pw"

# conf NAME KEYFILE [extra lines...]: a configuration whose lines are known:
# line 5 signing_key, 6 signing_key_password_file (when given), 7 radius_secret_file.
conf() {
	n=$1 key=$2
	shift 2
	{
		printf 'template = OTPLogon\nca = ca1.example.com\\CA 1\nlog = stderr\n'
		printf 'signing_cert = %s\n' "$PKI/sign-rsa.pem"
		printf 'signing_key = %s\n' "$key"
		case "$key" in *.p12) printf 'signing_key_password_file = %s\n' "$PKI/sign-rsa.p12.pass" ;;
			*) printf '# no password\n' ;; esac
		printf 'radius_secret_file = %s\nradius_server = 127.0.0.1:1812\n' "$T/radius.secret"
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$T/$n.conf"
	chmod 0640 "$T/$n.conf"
}

# expect NAME CONF PATTERN: --check-config fails and prints PATTERN (fixed
# string); a start (replay of an empty request) fails with the same message.
expect() {
	"$OTPCEP" --check-config -c "$2" >"$T/$1.check" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && grep -qF -- "$3" "$T/$1.check"; then
		t_pass "$1: --check-config"
	else
		t_fail "$1: --check-config (exit $rc), expected: $3"; cat "$T/$1.check"
	fi
	printf 'GET / HTTP/1.1\r\n\r\n' | "$OTPCEP" -c "$2" --replay - >"$T/$1.out" 2>"$T/$1.start"
	rc=$?
	if [ $rc -ne 0 ] && grep -qF -- "$3" "$T/$1.start" && grep -q "not starting" "$T/$1.start" &&
		[ ! -s "$T/$1.out" ]; then
		t_pass "$1: refused at start-up"
	else
		t_fail "$1: start-up (exit $rc)"; cat "$T/$1.start"
	fi
}

cp "$PKI/sign-rsa.key" "$T/key.pem"
chmod 0600 "$T/key.pem"
conf good "$T/key.pem"
"$OTPCEP" --check-config -c "$T/good.conf" >"$T/good.out" 2>&1
t_check "key 0600 owned by root or us: configuration OK" grep -q "configuration OK" "$T/good.out"
cat "$T/good.out"
chmod 0640 "$T/key.pem"
"$OTPCEP" --check-config -c "$T/good.conf" >/dev/null 2>&1
t_check "key 0640 is allowed" [ $? -eq 0 ]

# The signing key: world-readable, group-writable, executable, not regular.
for m in 0644 0660 0604 0700; do
	chmod "$m" "$T/key.pem"
	expect "key-$m" "$T/good.conf" \
		"$T/good.conf:5: signing_key $T/key.pem: insecure: mode $m, owner $(id -un):$(id -gn); it must be at most 0640"
done
grep -qF "run chmod 0640 $T/key.pem; chown root:" "$T/key-0644.check"
t_check "the message says what to run" [ $? -eq 0 ]
# The FastCGI responder too (what systemd or spawn-fcgi starts): refused, no socket.
chmod 0644 "$T/key.pem"
conf fcgi "$T/key.pem" "listen = unix:$T/fcgi.sock"
"$OTPCEP" -c "$T/fcgi.conf" </dev/null >"$T/fcgi.out" 2>&1
rc=$?
t_check "FastCGI start with a 0644 key: refused (exit $rc), no socket, the reason logged" \
	sh -c "[ $rc -ne 0 ] && [ ! -e '$T/fcgi.sock' ] && grep -qF 'signing_key $T/key.pem: insecure: mode 0644' '$T/fcgi.out'"
chmod 0600 "$T/key.pem"
mkdir "$T/keydir"
conf dir "$T/keydir"
expect "key is a directory" "$T/dir.conf" "$T/dir.conf:5: signing_key $T/keydir: not a regular file"

# The PKCS#12 file and its password file.
cp "$PKI/sign-rsa.p12" "$T/sign.p12"
chmod 0644 "$T/sign.p12"
conf p12 "$T/sign.p12"
expect "PKCS#12 0644" "$T/p12.conf" "$T/p12.conf:5: signing_key $T/sign.p12: insecure: mode 0644"
chmod 0640 "$T/sign.p12"
chmod 0644 "$PKI/sign-rsa.p12.pass"
expect "PKCS#12 password file 0644" "$T/p12.conf" \
	"$T/p12.conf:6: signing_key_password_file $PKI/sign-rsa.p12.pass: insecure: mode 0644"
chmod 0600 "$PKI/sign-rsa.p12.pass"
"$OTPCEP" --check-config -c "$T/p12.conf" >"$T/p12ok.out" 2>&1
t_check "PKCS#12 0640 with its password 0600: OK" [ $? -eq 0 ]

# A *_file secret: mode, a symbolic link, missing.
chmod 0664 "$T/radius.secret"
expect "secret 0664" "$T/good.conf" "$T/good.conf:7: radius_secret_file $T/radius.secret: insecure: mode 0664"
chmod 0600 "$T/radius.secret"
ln -s "$T/radius.secret" "$T/radius.link"
conf link "$T/key.pem"
sed -i "s|^radius_secret_file = .*|radius_secret_file = $T/radius.link|" "$T/link.conf"
expect "secret through a symbolic link" "$T/link.conf" "$T/link.conf:7: radius_secret_file $T/radius.link: Too many levels of symbolic links"
conf missing "$T/key.pem" "ldap_uri = ldap://127.0.0.1:389" "domain = D DC=d" \
	"ldap_bind_dn = cn=x" "ldap_password_file = $T/nothing"
expect "missing secret" "$T/missing.conf" "$T/missing.conf:12: ldap_password_file $T/nothing: No such file or directory"

# Owner: a key owned by another user (not root, not the service user).
if [ "$(id -u)" = 0 ]; then
	chown nobody "$T/key.pem"
	expect "key owned by nobody" "$T/good.conf" "$T/good.conf:5: signing_key $T/key.pem: insecure: mode 0600, owner nobody:"
	# ... which is fine when nobody is the service user.
	conf svc "$T/key.pem" "user = nobody"
	"$OTPCEP" --check-config -c "$T/svc.conf" >"$T/svc.out" 2>&1
	t_check "owned by the service user (user = nobody): accepted" \
		sh -c "! grep -q 'signing_key.*insecure' '$T/svc.out'"
	chown root "$T/key.pem"
else
	echo "not root: the owner case is covered only when the tests run as root"
fi

# The configuration file itself: writable by its group, by others.
for m in 0660 0646; do
	conf cw "$T/key.pem"
	chmod "$m" "$T/cw.conf"
	expect "configuration file $m" "$T/cw.conf" \
		"$T/cw.conf: insecure: the configuration file is writable by"
	t_check "configuration file $m: mode and owner named, chmod go-w given" \
		grep -qF "(mode $m, owner $(id -un):$(id -gn)): run chmod go-w $T/cw.conf" \
		"$T/configuration file $m.check"
done

# Every problem in one run: a bad mode, a missing file, an unresolvable host,
# a key that does not match its certificate, each with its line.
cp "$PKI/other-rsa.key" "$T/other.key"
chmod 0600 "$T/other.key"
printf 'secret' >"$T/loose.secret"
chmod 0644 "$T/loose.secret"
cat >"$T/all.conf" <<CONF
template = OTPLogon
ca = ca1.example.com\\CA 1
log = stderr
signing_cert = $PKI/sign-rsa.pem
signing_key = $T/other.key
radius_server = 127.0.0.1:1812
radius_server = no-such-host.invalid:1812
radius_secret_file = $T/loose.secret
signing_chain = $T/no-chain.pem
probe_user = probe
probe_password_file = $T/no-probe.pw
CONF
chmod 0600 "$T/all.conf"
"$OTPCEP" --check-config -c "$T/all.conf" >"$T/all.out" 2>&1
rc=$?
cat "$T/all.out"
t_check "all problems: exit non-zero" [ $rc -ne 0 ]
t_check "all problems: the secret's mode (line 8)" grep -qF "$T/all.conf:8: radius_secret_file $T/loose.secret: insecure: mode 0644" "$T/all.out"
t_check "all problems: the missing chain (line 9), with strerror" grep -qF "$T/all.conf:9: signing_chain $T/no-chain.pem: No such file or directory" "$T/all.out"
t_check "all problems: the missing probe password (line 11)" grep -qF "$T/all.conf:11: probe_password_file $T/no-probe.pw: No such file or directory" "$T/all.out"
t_check "all problems: the host that does not resolve (line 7)" grep -qF "$T/all.conf:7: radius_server: cannot resolve 'no-such-host.invalid'" "$T/all.out"
t_check "all problems: the key does not match (line 5)" grep -qF "$T/all.conf:5: signing_key: the signing certificate and key cannot be used" "$T/all.out"
t_check "all problems: counted" grep -qF "$T/all.conf: 6 problems found" "$T/all.out"
t_done
