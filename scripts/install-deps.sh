#!/bin/sh
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Installs the Debian 12 packages otpcep needs to build and to run its tests.
# Usage: scripts/install-deps.sh [--check]
#   --check  only report: exit 0 when everything is there, else print the one
#            apt-get command that installs what is missing and exit 1.
# Without --check, missing packages are installed when run as root; a non-root
# caller gets the command to run instead.
set -eu

BUILD="gcc make pkg-config libfcgi-dev libgnutls28-dev libtasn1-6-dev libtasn1-bin
libxml2-dev libldap-dev libcurl4-gnutls-dev libcmocka-dev libseccomp-dev
libmicrohttpd-dev libunistring-dev libkrb5-dev nettle-dev libgmp-dev"
# Real peers and tools used by `make check`, `make demo` and `make bench`.
TEST="libxml2-utils gnutls-bin openssl slapd ldap-utils freeradius freeradius-utils
oathtool softhsm2 p11-kit lighttpd lighttpd-mod-gnutls nginx-light spawn-fcgi
valgrind curl procps iproute2 wrk prometheus fail2ban krb5-kdc krb5-admin-server
krb5-user python3-impacket lintian debhelper dpkg-dev fakeroot"

missing=""
for p in $BUILD $TEST; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "${1:-}" = "--check" ] || [ "$(id -u)" -ne 0 ]; then
	echo "otpcep: missing Debian packages; install them with:" >&2
	echo "  sudo $cmd" >&2
	exit 1
fi

echo "otpcep: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start the system's slapd, freeradius, nginx or
# lighttpd: the tests start their own on loopback. policy-rc.d says "no".
prc=/usr/sbin/policy-rc.d
made_prc=no
if [ ! -e "$prc" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$prc" && chmod 755 "$prc" && made_prc=yes
fi
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
[ "$made_prc" = yes ] && rm -f "$prc"
exit 0
