#!/bin/sh
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Installs the Debian 12 packages otpcep needs.
# Usage: scripts/install-deps.sh [build|test|all] [--check | --disable]
#   build    what `make` needs: compiler, pkg-config, the -dev libraries
#   test     the daemons and tools `make check`, `make demo`, `make bench`
#            and the packaging test run
#   all      both (the default, what .ci/run and a fresh machine use)
#   --check  only report: exit 0 when everything is there, else print the one
#            apt-get command that installs what is missing and exit 1.
#   --disable  take every installed daemon of the test set out of the boot
#            (for a machine set up before this script disabled them; as root)
# Without --check, missing packages are installed when run as root; a non-root
# caller gets the command to run instead (exit 1).
# A daemon installed here is never left running or enabled at boot: the tests
# start their own on 127.0.0.1 (see disable_daemons below).
set -eu

BUILD="gcc make pkg-config libfcgi-dev libgnutls28-dev libtasn1-6-dev libtasn1-bin
libxml2-dev libldap-dev libcurl4-gnutls-dev libcmocka-dev libseccomp-dev
libmicrohttpd-dev libunistring-dev libkrb5-dev nettle-dev libgmp-dev"
# Real peers and tools used by `make check`, `make demo` and `make bench`.
TEST="libxml2-utils gnutls-bin openssl slapd ldap-utils freeradius freeradius-utils
oathtool softhsm2 p11-kit lighttpd lighttpd-mod-gnutls nginx-light spawn-fcgi
valgrind curl procps iproute2 wrk prometheus fail2ban krb5-kdc krb5-admin-server
krb5-user python3-impacket lintian debhelper dpkg-dev fakeroot devscripts git
adduser"
# The services the packages above bring, with the package that ships each.
DAEMONS="slapd:slapd freeradius:freeradius lighttpd:lighttpd nginx:nginx-common
prometheus:prometheus fail2ban:fail2ban krb5-kdc:krb5-kdc
krb5-admin-server:krb5-admin-server"

usage() {
	echo "usage: scripts/install-deps.sh [build|test|all] [--check | --disable]" >&2
	exit 64
}

set_=all
check=no
disable=no
for a in "$@"; do
	case "$a" in
	build|test|all) set_=$a ;;
	--check) check=yes ;;
	--disable) disable=yes ;;
	-h|--help)
		sed -n '3,16s/^# \{0,1\}//p' "$0"
		exit 0 ;;
	*) usage ;;
	esac
done
case "$set_" in
build) want=$BUILD ;;
test) want=$TEST ;;
*) want="$BUILD $TEST" ;;
esac

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

# disable_daemons PACKAGES [stop]: for each service of the test set whose
# package is in PACKAGES and installed: (stop it, when asked) and take it out
# of the boot, with systemd (running or not: systemctl then edits the links
# offline, and deb-systemd-helper its own record) and with the SysV runlevel
# links (update-rc.d).
disable_daemons() {
	for d in $DAEMONS; do
		svc=${d%%:*}
		pkg=${d#*:}
		case " $1 " in *" $pkg "*) ;; *) continue ;; esac
		installed "$pkg" || continue
		if [ "${2:-}" = stop ]; then
			if [ -d /run/systemd/system ]; then
				systemctl stop "$svc" >/dev/null 2>&1 || true
			elif [ -x "/etc/init.d/$svc" ]; then
				"/etc/init.d/$svc" stop >/dev/null 2>&1 || true
			fi
		fi
		if command -v systemctl >/dev/null 2>&1; then
			systemctl disable "$svc" >/dev/null 2>&1 || true
		fi
		if command -v deb-systemd-helper >/dev/null 2>&1; then
			deb-systemd-helper disable "$svc.service" >/dev/null 2>&1 || true
		fi
		if [ -x "/etc/init.d/$svc" ] && command -v update-rc.d >/dev/null 2>&1; then
			update-rc.d "$svc" disable >/dev/null 2>&1 || true
		fi
		echo "otpcep: $svc (for the tests): not enabled at boot" >&2
	done
}

if [ "$disable" = yes ]; then
	[ "$(id -u)" -eq 0 ] || { echo "otpcep: --disable needs root" >&2; exit 1; }
	all_pkgs=$(for d in $DAEMONS; do printf '%s ' "${d#*:}"; done)
	disable_daemons "$all_pkgs"
	exit 0
fi

missing=""
for p in $want; do
	installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$check" = yes ] || [ "$(id -u)" -ne 0 ]; then
	echo "otpcep: missing Debian packages ($set_ set); install them with:" >&2
	echo "  sudo $cmd" >&2
	exit 1
fi

echo "otpcep: installing ($set_ set):$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start the system's slapd, freeradius, nginx or
# lighttpd: the tests start their own on loopback. policy-rc.d says "no"
# (invoke-rc.d and deb-systemd-invoke ask it before starting anything).
prc=/usr/sbin/policy-rc.d
made_prc=no
if [ ! -e "$prc" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$prc" && chmod 755 "$prc" && made_prc=yes
	trap 'rm -f "$prc"' EXIT
fi
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
disable_daemons "$missing" stop
exit 0
