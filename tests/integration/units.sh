# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The systemd units carry the paths of the make that asks for them (issue 13,
# Makefile "build/systemd/%"): built once for PREFIX=/usr/local, a later make
# with PREFIX=/usr (as `make install PREFIX=/usr` after a plain `make`) makes
# them again with /usr paths, and a make with the same paths leaves them be.
# Runs the project's Makefile in a copy of the files the units are made from.
. "$(dirname "$0")/lib.sh"

W="$T/tree"
mkdir -p "$W/include" "$W/etc" "$W/scripts" &&
	cp "$TOP/Makefile" "$W/" && cp -r "$TOP/etc/systemd" "$W/etc/" &&
	cp "$TOP/include/otpcep.h" "$W/include/" &&
	cp "$TOP/scripts/"*.sh "$W/scripts/" ||
	{ t_fail "copy of the Makefile and etc/systemd"; t_done; }
UNIT=build/systemd/otpcep.service
# unit PREFIX: makes the units with that PREFIX; prints the service's ExecStart.
unit() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$W" "$UNIT" build/systemd/otpcep-enroll.service PREFIX="$1" >"$T/make.out" 2>&1 ||
		cat "$T/make.out"
	grep '^ExecStart=' "$W/$UNIT"
}

first=$(unit /usr/local)
t_check "PREFIX=/usr/local: ExecStart in /usr/local/sbin ($first)" \
    sh -c "echo '$first' | grep -q '^ExecStart=/usr/local/sbin/otpcep '"
second=$(unit /usr)
t_check "then PREFIX=/usr: the units are made again, ExecStart in /usr/sbin ($second)" \
    sh -c "echo '$second' | grep -q '^ExecStart=/usr/sbin/otpcep '"
t_check "then PREFIX=/usr: otpcep-enroll.service too" \
    grep -q '/usr/bin/otpcep-enroll' "$W/build/systemd/otpcep-enroll.service"
t_check "then PREFIX=/usr: no /usr/local left in any unit" \
    sh -c "! grep -q /usr/local '$W/build/systemd/otpcep.service' '$W/build/systemd/otpcep-enroll.service'"
before=$(stat -c %y "$W/$UNIT")
sleep 1.1
unit /usr >/dev/null
t_check "the same PREFIX again: the units are not made again" \
    test "$(stat -c %y "$W/$UNIT")" = "$before"
third=$(unit /opt/otpcep)
t_check "SBINDIR follows another PREFIX too ($third)" \
    sh -c "echo '$third' | grep -q '^ExecStart=/opt/otpcep/sbin/otpcep '"
t_done
