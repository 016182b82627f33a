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

# A FreeRADIUS 3.2.1 as shipped signs no reply (issue 15): refused, but
# diagnosed at once (not after every retransmission) and the next server asked.
freeradius_start unsigned no || t_fail "second freeradius starts"
US_PORT=$RADIUSD_PORT US_LOG=$RADIUSD_LOG
(umask 077 && { cat "$RADIUSD_SECRET_FILE"; cat "$FR_SECRET"; } >"$T/us.secret")
us=$(conf us radius_server=127.0.0.1:$US_PORT radius_secret_file=$RADIUSD_SECRET_FILE \
	radius_timeout_ms=2000 radius_retries=2)
run "$us" staticuser 'static-Pass 1' -v; expect "unsigned replies of a real server refused" UNSIGNED
t_check "...diagnosed within one timeout, not 3 x 2000 ms ($MS ms)" [ "$MS" -lt 1000 ]
case "$ERR" in *"audit: step 3: server 127.0.0.1:$US_PORT answered without Message-Authenticator"*)
	t_pass "audit reason names the unsigned server" ;; *) t_fail "audit reason: $ERR" ;; esac
case "$ERR" in *"RADIUS server 127.0.0.1:$US_PORT answered without Message-Authenticator"*)
	t_pass "log line says why" ;; *) t_fail "log line says why: $ERR" ;; esac
t_check "one Access-Request, no retransmission" [ "$(grep -c 'Received Access-Request' "$US_LOG")" -eq 1 ]
us3=$(conf us3 radius_server=127.0.0.1:$US_PORT radius_server=127.0.0.1:$FR_PORT \
	radius_secret_file=$T/us.secret radius_timeout_ms=2000 radius_retries=2)
run "$us3" staticuser 'static-Pass 1'; expect "unsigned first server: the next one answers" ACCEPT
t_check "...within one timeout ($MS ms)" [ "$MS" -lt 1000 ]
us2=$(conf us2 radius_server=127.0.0.1:$US_PORT radius_secret_file=$RADIUSD_SECRET_FILE \
	radius_timeout_ms=300 radius_retries=0 radius_require_message_authenticator=no)
run "$us2" staticuser 'static-Pass 1'; expect "unsigned replies with radius_require_message_authenticator = no" ACCEPT
# Per server: the old one optional, the other still strict.
us4=$(conf us4 "radius_server=127.0.0.1:$US_PORT message_authenticator=optional" \
	radius_server=127.0.0.1:$FR_PORT radius_secret_file=$T/us.secret \
	radius_timeout_ms=300 radius_retries=0)
run "$us4" staticuser 'static-Pass 1'; expect "message_authenticator=optional on the unsigned server" ACCEPT
t_check "...answered by it" [ "$(grep -c 'Received Access-Request' "$US_LOG")" -eq 4 ]
# RFC 5997 Status-Server: the signed server answers, the unsigned one is named.
st=$(conf st radius_server=127.0.0.1:$FR_PORT radius_server=127.0.0.1:$US_PORT \
	radius_server=127.0.0.1:$(t_free_port) radius_secret_file=$T/us3.secret \
	radius_timeout_ms=300 radius_retries=0)
(umask 077 && { cat "$FR_SECRET"; cat "$RADIUSD_SECRET_FILE"; cat "$FR_SECRET"; } >"$T/us3.secret")
out=$("$DRV" -S "$st" 2>"$T/err" | tr '\n' ' ')
case "$out" in "STATUS 0 ACCEPT "*"STATUS 1 UNSIGNED "*"STATUS 2 UNREACHABLE "*"STATE 0 alive STATE 1 unsigned STATE 2 dead ")
	t_pass "Status-Server: alive, unsigned, silent ($out)" ;; *) t_fail "Status-Server: $out $(cat "$T/err")" ;; esac
grep -q 'Received Status-Server' "$FR_LOG" && t_pass "FreeRADIUS saw a Status-Server" ||
	t_fail "FreeRADIUS saw a Status-Server"
for bad in "message_authenticator=maybe" "message_authenticator="; do
	bc=$(conf bad "radius_server=127.0.0.1:$FR_PORT $bad" radius_secret_file=$FR_SECRET)
	"$OTPCEP" --check-config -c "$bc" >/dev/null 2>"$T/bad.err"
	t_check "radius_server option '$bad' refused at start with file:line" \
		sh -c "grep -q 'bad.conf:3: radius_server: .* is not timeout_ms=' '$T/bad.err'"
done
UNSIGNED_PID=$RADIUSD_PID

# --- Dead-server memory (issue 10) -----------------------------------------
# A dead first server costs one timeout, not one per request.
dd=$(conf dd radius_server=127.0.0.1:$down1 radius_server=127.0.0.1:$FR_PORT \
	radius_secret_file=$FR_SECRET radius_timeout_ms=400 radius_retries=0 \
	radius_dead_time_s=1)
printf 'static-Pass 1' >"$T/pw0"
"$DRV" -n 3 -p 0,1200 "$dd" staticuser "$T/pw0" >"$T/dd.out" 2>"$T/dd.err"
ms1=$(sed -n '1s/^ACCEPT //p' "$T/dd.out")
ms2=$(sed -n '4s/^ACCEPT //p' "$T/dd.out")
ms3=$(sed -n '7s/^ACCEPT //p' "$T/dd.out")
t_check "first request waits out the dead server (${ms1:-?} ms)" between "${ms1:-0}" 400 1500
t_check "second request skips it: far less than one timeout (${ms2:-?} ms)" between "${ms2:--1}" 0 200
t_check "...the server is remembered dead" [ "$(sed -n 5p "$T/dd.out")" = "STATE 0 dead" ]
t_check "after radius_dead_time_s it is asked again (${ms3:-?} ms)" between "${ms3:-0}" 400 1500
grep -q "127.0.0.1:$down1: no answer: skipped for 1 s" "$T/dd.err" && t_pass "marking dead logged" ||
	t_fail "marking dead logged: $(cat "$T/dd.err")"
# All dead: the first is tried again, alone.
ad=$(conf ad radius_server=127.0.0.1:$down1 radius_server=127.0.0.1:$down2 \
	radius_secret_file=$FR_SECRET radius_timeout_ms=300 radius_retries=0)
"$DRV" -n 2 "$ad" staticuser "$T/pw0" >"$T/ad.out" 2>"$T/ad.err"
ms1=$(sed -n '1s/^UNREACHABLE //p' "$T/ad.out")
ms2=$(sed -n '4s/^UNREACHABLE //p' "$T/ad.out")
t_check "all dead, first request: both asked (${ms1:-?} ms)" between "${ms1:-0}" 600 1500
t_check "all dead, next request: the first alone (${ms2:-?} ms)" between "${ms2:-0}" 300 580
# A stopped and continued FreeRADIUS, revived by Status-Server only.
freeradius_start second yes || t_fail "third freeradius starts"
SEC_PID=$RADIUSD_PID SEC_LOG=$RADIUSD_LOG
(umask 077 && { cat "$RADIUSD_SECRET_FILE"; cat "$FR_SECRET"; } >"$T/ss.secret")
ss=$(conf ss radius_server=127.0.0.1:$RADIUSD_PORT radius_server=127.0.0.1:$FR_PORT \
	radius_secret_file=$T/ss.secret radius_timeout_ms=300 radius_retries=0 \
	radius_dead_time_s=1 radius_status_server=yes)
kill -STOP "$SEC_PID"
"$DRV" -v -n 3 -p 2000 "$ss" staticuser "$T/pw0" >"$T/ss.out" 2>"$T/ss.err" &
ss_drv=$!
sleep 2.5
kill -CONT "$SEC_PID"
wait "$ss_drv"
ms2=$(sed -n '4s/^ACCEPT //p' "$T/ss.out")
t_check "radius_status_server: past its dead time, still skipped until it answers (${ms2:-?} ms)" \
	between "${ms2:--1}" 0 200
grep -q "alive again (answered Status-Server)" "$T/ss.err" && t_pass "revived by Status-Server" ||
	t_fail "revived by Status-Server: $(grep -v '^otpcep: radius.*dropped' "$T/ss.err" | tail -5)"
t_check "...and asked again: it answered the third request" \
	[ "$(sed -n 8p "$T/ss.out")" = "STATE 0 alive" -a "$(grep -c 'Received Access-Request' "$SEC_LOG")" -ge 2 ]
# Shutdown does not wait for a Status-Server in flight: round 2 ends at about
# 1.5 + 1.2 s while the monitor is asking the dead server (1 s after it died)
# with its 1500 ms timeout, which would end at about 4 s.
sd=$(conf sd "radius_server=127.0.0.1:$down1 timeout_ms=1500 retries=0" \
	radius_server=127.0.0.1:$FR_PORT radius_secret_file=$FR_SECRET \
	radius_dead_time_s=1 radius_status_server=yes)
t0=$(date +%s%N)
"$DRV" -v -n 2 -p 1200 "$sd" staticuser "$T/pw0" >"$T/sd.out" 2>"$T/sd.err"
ms=$((($(date +%s%N) - t0) / 1000000))
t_check "a Status-Server in flight does not delay the exit ($ms ms)" between "$ms" 2600 3700
t_check "...both requests accepted" [ "$(grep -c '^ACCEPT' "$T/sd.out")" -eq 2 ]
t_stop "$SEC_PID"
t_stop "$UNSIGNED_PID"

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
run "$c" staticuser pw; expect "reply without Message-Authenticator refused by default" UNSIGNED
t_check "...and the wait on that server ended at once ($MS ms)" [ "$MS" -lt 400 ]
c=$(fconf noma2 400 0 radius_require_message_authenticator=no)
run "$c" staticuser pw; expect "...accepted when radius_require_message_authenticator = no" ACCEPT
t_stop "$FAKE_PID"

fake forge-then-reject 300
c=$(fconf ftr 2000 0)
run "$c" staticuser pw -v; expect "forged replies ignored, the real Reject counts" REJECT
t_check "...which came after 300 ms ($MS ms)" between "$MS" 300 2000
for why in "Identifier does not match" "wrong Response Authenticator" \
    "wrong Message-Authenticator" \
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
case "$ERR" in *"(18 replies dropped)"*) t_pass "18 forgeries counted" ;;
	*) t_fail "18 forgeries counted: $ERR" ;; esac
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
