# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Step 3 (MS-OTPCE 3.2.5.1): the PAP client against a real FreeRADIUS 3.2
# started from tests/fixtures/freeradius, and against drv_fakeradius for the
# replies FreeRADIUS will not send (BlastRADIUS forgeries and friends).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_radius.sh"
DRV="$TOP/build/tests/drv_radius"
FAKE="$TOP/build/tests/drv_fakeradius"

freeradius_start radiusd yes || { t_fail "freeradius starts"; t_done; }
t_pass "freeradius starts from its own configuration directory"
FR_PORT=$RADIUSD_PORT FR_SECRET=$RADIUSD_SECRET_FILE FR_LOG=$RADIUSD_LOG

# conf NAME KEY=VALUE...: a configuration with the step 3 keys given.
conf() {
	c="$T/$1.conf"
	shift
	printf 'template = T\nca = h\\CA\n' >"$c"
	for kv in "$@"; do
		printf '%s = %s\n' "${kv%%=*}" "${kv#*=}" >>"$c"
	done
	echo "$c"
}
# run CONF USER PASSWORD [drv options]: sets OUT (result word), MS, ERR.
run() {
	printf '%s' "$3" >"$T/pw"
	r_out=$("$DRV" ${4:-} "$1" "$2" "$T/pw" 2>"$T/err")
	OUT=${r_out%% *}
	MS=${r_out##* }
	ERR=$(cat "$T/err")
}
# between V LO HI: LO <= V < HI
between() { [ "$1" -ge "$2" ] && [ "$1" -lt "$3" ]; }
expect() { # NAME WANT
	if [ "$OUT" = "$2" ]; then t_pass "$1: $OUT ($MS ms)"
	else t_fail "$1: want $2, got '$OUT' ($MS ms) $ERR"; fi
}

ok=$(conf ok radius_server=127.0.0.1:$FR_PORT radius_secret_file=$FR_SECRET \
	radius_nas_identifier=otpcep-test radius_nas_ip=192.0.2.7)

# The four answers of a real server (MS-OTPCE 3.2.5.1 step 3).
run "$ok" staticuser 'static-Pass 1'; expect "static password" ACCEPT
run "$ok" 'DOMAIN1\staticuser' 'static-Pass 1'; expect "DOMAIN\\user as sent" ACCEPT
run "$ok" staticuser 'static-Pass 2'; expect "wrong static password" REJECT
run "$ok" nobody 'static-Pass 1'; expect "unknown user" REJECT
run "$ok" challengeuser 'challenge-me'; expect "challenge" CHALLENGE
code=$(radius_totp_code)
run "$ok" totpuser "$code"; expect "TOTP code from oathtool" ACCEPT
code=$(radius_totp_code)
wrong=$(printf '%06d' $(( (10#$code + 1) % 1000000 )))
run "$ok" totpuser "$wrong"; expect "wrong TOTP code" REJECT
run "$ok" totpuser ""; expect "empty password refused locally" BAD_INPUT
# What the server saw: NAS attributes, and the Message-Authenticator first.
grep -q 'NAS-IP-Address = 192.0.2.7' "$FR_LOG" &&
	grep -q 'NAS-Identifier = "otpcep-test"' "$FR_LOG"
t_check "NAS-Identifier and NAS-IP-Address reach the server" [ $? -eq 0 ]
first=$(grep -A1 'Received Access-Request' "$FR_LOG" | grep -v Received |
	grep -v -- -- | grep -vc 'Message-Authenticator')
nreq=$(grep -c 'Received Access-Request' "$FR_LOG")
t_check "Message-Authenticator is the first attribute of all $nreq requests" [ "$first" -eq 0 -a "$nreq" -ge 7 ]

# Concurrency: 16 workers at once, one server.
out=$(printf 'static-Pass 1' | "$DRV" -j 16 "$ok" staticuser 2>/dev/null |
	cut -d' ' -f1 | sort | uniq -c | tr -s ' ')
t_check "16 concurrent requests all accepted ($out)" [ "$out" = " 16 ACCEPT" ]

v6=$(conf v6 radius_server=127.0.0.1:$FR_PORT radius_secret_file=$FR_SECRET \
	radius_nas_ip=2001:db8::7)
run "$v6" staticuser 'static-Pass 1'; expect "NAS-IPv6-Address config" ACCEPT
t_check "NAS-IPv6-Address reaches the server" grep -q 'NAS-IPv6-Address = 2001:db8::7' "$FR_LOG"

# Fail-over and the time bound: sum of timeout * (1 + retries).
down1=$(t_free_port)
down2=$(t_free_port)
fo=$(conf fo radius_server=127.0.0.1:$down1 radius_server=127.0.0.1:$FR_PORT \
	radius_secret_file=$FR_SECRET radius_timeout_ms=300 radius_retries=1)
run "$fo" staticuser 'static-Pass 1'; expect "first server down, second up" ACCEPT
t_check "fail-over waited the first server's 2 x 300 ms ($MS ms)" between "$MS" 600 1500
dn=$(conf dn radius_server=127.0.0.1:$down1 radius_server=127.0.0.1:$down2 \
	radius_secret_file=$FR_SECRET radius_timeout_ms=300 radius_retries=1)
run "$dn" staticuser 'static-Pass 1'; expect "all servers down" UNREACHABLE
t_check "all down ends within the bound 2 x 2 x 300 ms ($MS ms)" between "$MS" 1200 2000

# Per-server timeout and retries: the first server's own options, not the keys.
ps=$(conf ps "radius_server=127.0.0.1:$down1 timeout_ms=150 retries=0" \
	radius_server=127.0.0.1:$FR_PORT radius_secret_file=$FR_SECRET \
	radius_timeout_ms=2000 radius_retries=2)
run "$ps" staticuser 'static-Pass 1'; expect "per-server options: fail-over" ACCEPT
t_check "fail-over after the first server's own 1 x 150 ms ($MS ms)" between "$MS" 150 1000
pd=$(conf pd "radius_server=127.0.0.1:$down1 timeout_ms=200 retries=1" \
	"radius_server=127.0.0.1:$down2 retries=0" radius_secret_file=$FR_SECRET \
	radius_timeout_ms=300 radius_retries=3)
run "$pd" staticuser 'static-Pass 1'; expect "per-server options: all down" UNREACHABLE
t_check "all down within 2 x 200 + 1 x 300 ms ($MS ms)" between "$MS" 700 1300
for bad in "timeout_ms=5" "retries=11" "speed=1" "timeout_ms="; do
	bc=$(conf bad "radius_server=127.0.0.1:$FR_PORT $bad" radius_secret_file=$FR_SECRET)
	"$OTPCEP" --check-config -c "$bc" >/dev/null 2>"$T/bad.err"
	t_check "radius_server option '$bad' refused at start with file:line" \
		sh -c "grep -q 'bad.conf:3: radius_server: .* is not timeout_ms=' '$T/bad.err'"
done

# A wrong shared secret: FreeRADIUS drops the request (bad Message-Authenticator).
(umask 077 && echo "not-the-right-shared-secret" >"$T/wrong.secret")
ws=$(conf ws radius_server=127.0.0.1:$FR_PORT radius_secret_file=$T/wrong.secret \
	radius_timeout_ms=300 radius_retries=0)
run "$ws" staticuser 'static-Pass 1'; expect "wrong shared secret" UNREACHABLE

# Per-server secrets: line N is the secret of the Nth radius_server.
(umask 077 && { echo "fake-server-secret-0123"; cat "$FR_SECRET"; } >"$T/two.secret")
(umask 077 && { cat "$FR_SECRET"; echo "fake-server-secret-0123"; } >"$T/swapped.secret")
two=$(conf two radius_server=127.0.0.1:$down1 radius_server=127.0.0.1:$FR_PORT \
	radius_secret_file=$T/two.secret radius_timeout_ms=200 radius_retries=0)
run "$two" staticuser 'static-Pass 1'; expect "per-server secrets" ACCEPT
sw=$(conf sw radius_server=127.0.0.1:$down1 radius_server=127.0.0.1:$FR_PORT \
	radius_secret_file=$T/swapped.secret radius_timeout_ms=200 radius_retries=0)
run "$sw" staticuser 'static-Pass 1'; expect "per-server secrets in the wrong order" UNREACHABLE
(umask 077 && printf 'a-secret-of-16-bytes\nb-secret-of-16-bytes\nc-secret-of-16-bytes\n' >"$T/three.secret")
three=$(conf three radius_server=127.0.0.1:$down1 radius_server=127.0.0.1:$FR_PORT \
	radius_secret_file=$T/three.secret)
run "$three" staticuser x; expect "3 secrets for 2 servers refused at start-up" SETUP_FAILED
chmod 0644 "$T/two.secret"
run "$two" staticuser x; expect "world-readable secret file refused" SETUP_FAILED
bad=$(conf bad radius_server=127.0.0.1:$FR_PORT radius_secret_file=$FR_SECRET radius_nas_ip=192.0.2.300)
run "$bad" staticuser x; expect "bad radius_nas_ip refused" SETUP_FAILED

# A FreeRADIUS 3.2.1 as shipped signs no reply: refused unless allowed.
freeradius_start unsigned no || t_fail "second freeradius starts"
us=$(conf us radius_server=127.0.0.1:$RADIUSD_PORT radius_secret_file=$RADIUSD_SECRET_FILE \
	radius_timeout_ms=300 radius_retries=0)
run "$us" staticuser 'static-Pass 1' -v; expect "unsigned replies of a real server refused" UNREACHABLE
case "$ERR" in *"dropped a reply: no Message-Authenticator"*) t_pass "logged why (debug)" ;;
	*) t_fail "logged why: $ERR" ;; esac
us2=$(conf us2 radius_server=127.0.0.1:$RADIUSD_PORT radius_secret_file=$RADIUSD_SECRET_FILE \
	radius_timeout_ms=300 radius_retries=0 radius_require_message_authenticator=no)
run "$us2" staticuser 'static-Pass 1'; expect "unsigned replies with radius_require_message_authenticator = no" ACCEPT
t_stop "$RADIUSD_PID"

# The fake server: FAKE MODE [DELAY]; sets FAKE_PORT, FAKE_OUT.
(umask 077 && echo "fake-server-secret-0123" >"$T/fake.secret")
fake() {
	FAKE_PORT=$(t_free_port)
	FAKE_OUT="$T/fake-$1.out"
	t_start "fake $1" "$FAKE_OUT" "$FAKE" "$FAKE_PORT" "$T/fake.secret" "$@"
	FAKE_PID=$T_LAST_PID
	t_wait_port "$FAKE_PORT" 5 udp || t_fail "fake server $1 starts"
}
fconf() { # NAME TIMEOUT RETRIES [more keys]
	n=$1 to=$2 re=$3
	shift 3
	conf "$n" radius_server=127.0.0.1:$FAKE_PORT radius_secret_file=$T/fake.secret \
		radius_timeout_ms=$to radius_retries=$re "$@"
}

fake no-ma
c=$(fconf noma 400 0)
run "$c" staticuser pw; expect "reply without Message-Authenticator refused by default" UNREACHABLE
t_check "...and the wait went on to the timeout ($MS ms)" [ "$MS" -ge 400 ]
c=$(fconf noma2 400 0 radius_require_message_authenticator=no)
run "$c" staticuser pw; expect "...accepted when radius_require_message_authenticator = no" ACCEPT
t_stop "$FAKE_PID"

fake forge-then-reject 300
c=$(fconf ftr 2000 0)
run "$c" staticuser pw -v; expect "forged replies ignored, the real Reject counts" REJECT
t_check "...which came after 300 ms ($MS ms)" between "$MS" 300 2000
for why in "Identifier does not match" "wrong Response Authenticator" \
    "wrong Message-Authenticator" "no Message-Authenticator" \
    "shorter than its header or its Length" "malformed attribute" \
    "at most 4096" "not Access-Accept"; do
	case "$ERR" in *"$why"*) t_pass "dropped: $why" ;;
		*) t_fail "dropped: $why: $ERR" ;; esac
done
t_stop "$FAKE_PID"

fake forge
c=$(fconf forge 300 1)
run "$c" staticuser pw; expect "only forged replies: no answer" UNREACHABLE
t_check "...after the whole 2 x 300 ms ($MS ms)" [ "$MS" -ge 600 ]
case "$ERR" in *"(20 replies dropped)"*) t_pass "20 forgeries counted" ;;
	*) t_fail "20 forgeries counted: $ERR" ;; esac
t_stop "$FAKE_PID"

fake other-port
c=$(fconf op 300 0)
run "$c" staticuser pw; expect "reply from another port ignored" UNREACHABLE
t_stop "$FAKE_PID"

fake accept
c=$(fconf acc 300 0)
run "$c" staticuser pw; expect "the fake server's correct reply" ACCEPT
t_stop "$FAKE_PID"

# Retransmissions keep Identifier and Request Authenticator; passwords hidden right.
fake silent
c=$(fconf sil 150 2)
pw40='0123456789abcdefghijklmnopqrstuvwxyz!"#$'
run "$c" 'DOMAIN1\someone' "$pw40"; expect "silent server" UNREACHABLE
sleep 0.1
n=$(grep -c '^REQUEST' "$FAKE_OUT")
t_check "1 + 2 retries sent ($n)" [ "$n" -eq 3 ]
n=$(grep '^REQUEST' "$FAKE_OUT" | sed 's/ user=.*//' | sort -u | wc -l)
t_check "retransmissions keep Identifier and Request Authenticator" [ "$n" -eq 1 ]
t_check "Message-Authenticator first and valid" [ "$(grep -c 'first=80 ma=ok' "$FAKE_OUT")" -eq 3 ]
t_check "40-byte password recovered by the server" grep -qF "user=DOMAIN1\\someone pw=$pw40" "$FAKE_OUT"
pw128=$(printf 'p%.0s' $(seq 128))
c1=$(fconf sil1 100 0)
run "$c1" u "$pw128"; expect "128-byte password sent" UNREACHABLE
t_check "128-byte password recovered by the server" grep -qF "pw=$pw128" "$FAKE_OUT"
before=$(grep -c '^REQUEST' "$FAKE_OUT")
run "$c1" u "${pw128}q"; expect "129-byte password refused" BAD_INPUT
run "$c1" "$(printf 'u%.0s' $(seq 300))" pw; expect "300-byte user name refused" BAD_INPUT
run "$c1" "$(printf 'u%.0s' $(seq 254))" pw; expect "254-byte user name refused" BAD_INPUT
sleep 0.1
t_check "nothing sent for refused input" [ "$(grep -c '^REQUEST' "$FAKE_OUT")" -eq "$before" ]
run "$c1" u pw; run "$c1" u pw
n=$(grep '^REQUEST' "$FAKE_OUT" | tail -2 | sed 's/.*auth=\([0-9a-f]*\).*/\1/' | sort -u | wc -l)
t_check "each request a fresh Request Authenticator" [ "$n" -eq 2 ]
t_stop "$FAKE_PID"

# Not configured: fails closed.
nc=$(conf nc)
run "$nc" staticuser pw; expect "RADIUS not configured" NOT_CONFIGURED
t_done
