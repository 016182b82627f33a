# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# scripts/install-deps.sh: its command line, and that the test set's daemons
# end up out of the boot. The disabling runs the real systemctl,
# deb-systemd-helper and update-rc.d on copies of this machine's boot
# configuration (/etc/systemd/system, /etc/rc?.d, deb-systemd-helper's
# records) mounted over the originals in a private mount namespace, so the
# machine itself is left as it was (checked). Needs root and unshare(1);
# otherwise that part is skipped. (Installing packages is not tested here:
# make check must not reach a package mirror.)
. "$(dirname "$0")/lib.sh"

DEPS="$TOP/scripts/install-deps.sh"
"$DEPS" bogus >"$T/out" 2>&1
rc=$?
t_check "a bad argument: exit 64 and the usage line ($rc)" \
    sh -c "test $rc -eq 64 && grep -q '^usage: scripts/install-deps.sh' '$T/out'"
"$DEPS" --help >"$T/out" 2>&1
t_check "--help: exit 0, both sets described" \
    sh -c "test $? -eq 0 && grep -q '^  build ' '$T/out' && grep -q '^  test ' '$T/out'"
setpriv --reuid=65534 --regid=65534 --clear-groups "$DEPS" build --check >"$T/out" 2>&1
t_check "build --check as an unprivileged user: exit 0 (the build set is installed)" test $? -eq 0
t_check "the build set holds no daemon and no test tool" sh -c \
    "! sed -n '/^BUILD=/,/\"$/p' '$DEPS' | grep -Eqw 'slapd|freeradius|lighttpd|nginx-light|valgrind|krb5-kdc|prometheus|fail2ban'"
t_check "make needs the build set only: the test-set stamp is not a prerequisite of all" sh -c \
    "make -s -C '$TOP' -p -q all 2>/dev/null | grep '^all:' | grep -qv 'deps-test-ok'"

# debian/control builds with the same set (gcc and make are build-essential).
missing=$(for p in $(sed -n '/^BUILD=/,/"$/p' "$DEPS" | tr -d '"' | sed 's/^BUILD=//'); do
	case "$p" in gcc|make) continue ;; esac
	sed -n '/^Build-Depends:/,/^[A-Z]/p' "$TOP/debian/control" | grep -qw -- "$p" || printf ' %s' "$p"
done)
t_check "debian/control's Build-Depends hold the build set (missing:${missing:- none})" test -z "$missing"

if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	t_pass "--disable on a copy of the boot configuration needs root and unshare: SKIP"
	t_done
fi

# The daemons of the test set, as the script names them (service:package).
daemons=$(sed -n '/^DAEMONS="/,/"/p' "$DEPS" | tr -d '"' | sed 's/^DAEMONS=//' | tr ' ' '\n' | grep : | tr '\n' ' ')
ls -la /etc/rc?.d /etc/systemd/system 2>/dev/null | md5sum >"$T/before.sum"
shadow="/etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled"
for d in /etc/rc?.d; do shadow="$shadow $d"; done
cat >"$T/inside.sh" <<INSIDE
set -u
for d in $shadow; do
	[ -d "\$d" ] || continue
	mkdir -p "$T/shadow\$d" && cp -a "\$d/." "$T/shadow\$d/" && mount --bind "$T/shadow\$d" "\$d" || exit 3
done
"$DEPS" test --disable >"$T/disable.out" 2>&1 || exit 4
for d in $daemons; do
	svc=\${d%%:*} pkg=\${d#*:}
	dpkg-query -W -f='\${Status}' "\$pkg" 2>/dev/null | grep -q 'ok installed' || continue
	echo "checked \$svc"
	ls /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d 2>/dev/null | grep -q "^S[0-9]*\$svc\\\$" && echo "ENABLED(sysv) \$svc"
	ls /etc/systemd/system/*.wants/"\$svc.service" >/dev/null 2>&1 && echo "ENABLED(systemd) \$svc"
done
exit 0
INSIDE
unshare -m --propagation private sh "$T/inside.sh" >"$T/inside.out" 2>&1
rc=$?
t_check "--disable ran in a private mount namespace (exit $rc)" test "$rc" -eq 0
n=$(grep -c '^checked ' "$T/inside.out")
t_check "--disable: none of the $n installed test daemons is enabled at boot (sysv or systemd)" \
    sh -c "test $n -ge 1 && ! grep -q '^ENABLED' '$T/inside.out'"
[ "$rc" -eq 0 ] && grep "^ENABLED" "$T/inside.out" || cat "$T/inside.out"
ls -la /etc/rc?.d /etc/systemd/system 2>/dev/null | md5sum >"$T/after.sum"
t_check "this machine's own boot configuration is unchanged" cmp -s "$T/before.sum" "$T/after.sum"
t_done
