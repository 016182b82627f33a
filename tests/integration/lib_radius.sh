# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Shared by integration tests that need a real FreeRADIUS: sourced after
# lib.sh, never run. Defines
#   freeradius_start [NAME] [SIGN_REPLIES]
# which copies tests/fixtures/freeradius into $T/NAME (default "radiusd"),
# fills in a free port, a fresh shared secret and the TOTP secret, starts
# `freeradius -f -X -d $T/NAME` in the foreground (stopped by pid on exit) and
# waits for its UDP port. SIGN_REPLIES (default yes) makes the server put a
# Message-Authenticator in every reply; "no" leaves FreeRADIUS 3.2.1 as
# shipped, which signs none. Afterwards:
#   RADIUSD_PID, RADIUSD_PORT     the server
#   RADIUSD_SECRET_FILE           the shared secret, mode 0600
#   RADIUSD_DIR                   its configuration and state ($T/NAME)
#   RADIUSD_LOG                   its debug output
#   RADIUS_TOTP_SECRET            base32 secret of user "totpuser"
# Users: totpuser (TOTP), staticuser and DOMAIN1\staticuser ("static-Pass 1"),
# challengeuser ("challenge-me": Access-Challenge); everyone else is rejected.
# RADIUSD_USERS, when set, names another users file to use instead (same
# @TOTP_SECRET@ placeholder), e.g. tests/fixtures/stack/users.
# Also: radius_totp_code prints the current code, first waiting for the next
# 30-second step when fewer than 3 seconds of this one remain (FreeRADIUS
# 3.2.1's totp module accepts only the current step).
RADIUS_TOTP_SECRET=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ

fr_source() { # FILE: the template a configuration file is made from
	if [ "$(basename "$1")" = users ] && [ -n "${RADIUSD_USERS:-}" ]; then
		echo "$RADIUSD_USERS"
	else
		echo "$TOP/tests/fixtures/freeradius/$(basename "$1")"
	fi
}

freeradius_start() {
	fr_name=${1:-radiusd}
	fr_sign=${2:-yes}
	RADIUSD_DIR="$T/$fr_name"
	RADIUSD_LOG="$T/$fr_name.log"
	RADIUSD_SECRET_FILE="$T/$fr_name.secret"
	rm -rf "$RADIUSD_DIR"
	cp -r "$TOP/tests/fixtures/freeradius" "$RADIUSD_DIR" || return 1
	chmod -R go-rwx "$RADIUSD_DIR"
	fr_secret=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	(umask 077 && printf '%s\n' "$fr_secret" >"$RADIUSD_SECRET_FILE")
	fr_try=0
	while [ $fr_try -lt 5 ]; do
		RADIUSD_PORT=$(t_free_port)
		for f in "$RADIUSD_DIR"/radiusd.conf "$RADIUSD_DIR"/clients.conf \
		    "$RADIUSD_DIR"/users; do
			sed -e "s|@STATE@|$RADIUSD_DIR|g" \
			    -e "s|@PORT@|$RADIUSD_PORT|g" \
			    -e "s|@SECRET@|$fr_secret|g" \
			    -e "s|@SIGN_REPLIES@|$fr_sign|g" \
			    -e "s|@TOTP_SECRET@|$RADIUS_TOTP_SECRET|g" \
			    "$(fr_source "$f")" >"$f"
		done
		t_start "$fr_name" "$RADIUSD_LOG" freeradius -f -X -d "$RADIUSD_DIR"
		RADIUSD_PID=$T_LAST_PID
		# Ready once the port is open and the server says so.
		fr_i=0
		while [ $fr_i -lt 100 ] && kill -0 "$RADIUSD_PID" 2>/dev/null; do
			if grep -q '^Ready to process requests' "$RADIUSD_LOG" &&
			    t_wait_port "$RADIUSD_PORT" 1 udp; then
				return 0
			fi
			sleep 0.1
			fr_i=$((fr_i + 1))
		done
		t_stop "$RADIUSD_PID"
		# Someone took the port between t_free_port and bind: try again.
		grep -q 'Address already in use' "$RADIUSD_LOG" || break
		fr_try=$((fr_try + 1))
	done
	echo "freeradius did not start; its output:"
	tail -n 30 "$RADIUSD_LOG"
	return 1
}

radius_totp_code() {
	fr_left=$((30 - $(date +%s) % 30))
	[ $fr_left -lt 3 ] && sleep "$fr_left"
	oathtool --totp -b "$RADIUS_TOTP_SECRET"
}
