#!/bin/bash
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# make bench-load (issue 10): the real slapd, our own RADIUS test server whose
# answer delay is a parameter (drv_fakeradius slow-accept), the responder and
# lighttpd or nginx, driven by wrk with keep-alive connections, every POST a
# valid request for a real user. One line per scenario:
#   Success/s, errors (anything but a Success answer, and socket errors),
#   p50/p99 latency, the responder's RSS before and after, CPU per process.
# Then the bare GnuTLS signature rate on every core (the reference), and the
# instructions per Success request against its signature and CSR check
# (callgrind). Numbers, not pass/fail: docs/design.md compares them with the
# targets. BENCH_SECONDS (default 10) is each scenario's length,
# BENCH_FLAT_REQUESTS (default 100000) the RSS-flat run's (runs of 20 s until
# that many Success), BENCH_PAIR_SECONDS (default 5) each run of the
# back-to-back rounds (1024 connections against the immediate rate, measured
# next to each other: the machine's speed drifts), BENCH_CALLGRIND=no skips
# callgrind.
. "$(dirname "$0")/../integration/lib.sh"
. "$TOP/tests/integration/lib_stack.sh"
. "$TOP/tests/integration/lib_load.sh"
SECS=${BENCH_SECONDS:-10}
FLAT=${BENCH_FLAT_REQUESTS:-100000}
HZ=$(getconf CLK_TCK)
export LOAD_BODY

command -v wrk >/dev/null || { echo "bench-load: wrk is not installed (apt-get install wrk)"; exit 1; }
echo "bench-load: $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
load_setup 0 >"$T/setup.out" 2>&1 || { echo "bench-load: setup failed"; cat "$T/setup.out"; exit 1; }
IMM_PORT=$LOAD_RADIUS_MAIN
load_radius slow 200 >/dev/null || exit 1
SLOW_PORT=$LOAD_RADIUS_PORT
DEAD_PORT=$(t_free_port)
t_start "silent RADIUS" "$T/dead.out" "$TOP/build/tests/drv_fakeradius" "$DEAD_PORT" "$LOAD_SECRET" silent
DEAD_PID=$T_LAST_PID
pki_key sign-ec ec && pki_issue sign-ec sign-ec || { echo "bench-load: no P-256 key"; exit 1; }
FAKE_PIDS="$LOAD_RADIUS_PID_radius $LOAD_RADIUS_PID_slow $DEAD_PID"
export LOAD_BODY

# A process and its children (the signer, when there is one).
family() { echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"; }
ticks() { # PIDS: utime + stime, in clock ticks
	for p in $*; do awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null; done | awk '{ s += $1 } END { print s + 0 }'
}
rss_kib() { # PIDS
	for p in $*; do awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null; done | awk '{ s += $1 } END { print s + 0 }'
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# scenario NAME RESPONDER-PID WEB-PID CONNS SECONDS [KILL-PID KILL-AFTER]
scenario() {
	sc_name=$1 sc_otp=$2 sc_web=$3 sc_conns=$4 sc_secs=$5
	sc_fam=$(family "$sc_otp")
	sc_webfam=$(family "$sc_web")
	sc_rss0=$(rss_kib "$sc_fam")
	c_otp0=$(ticks "$sc_fam") c_web0=$(ticks "$sc_webfam")
	c_ldap0=$(ticks "$SLAPD_PID") c_rad0=$(ticks "$FAKE_PIDS")
	sc_t0=$(date +%s%N)
	sc_killer=""
	if [ -n "${6:-}" ]; then
		(sleep "$7"; kill -9 "$6") &
		sc_killer=$!
	fi
	wrk -t 2 -c "$sc_conns" -d "${sc_secs}s" --timeout 30s -s "$TOP/tests/bench/load.lua" \
	    "$LOAD_URL" >"$T/wrk.out" 2>&1
	sc_t1=$(date +%s%N)
	[ -n "$sc_killer" ] && wait "$sc_killer"
	sc_rss1=$(rss_kib "$(family "$sc_otp")")
	c_otp1=$(ticks "$(family "$sc_otp")") c_web1=$(ticks "$(family "$sc_web")")
	c_ldap1=$(ticks "$SLAPD_PID") c_rad1=$(ticks "$FAKE_PIDS")
	sc_el=$(awk -v a="$sc_t0" -v b="$sc_t1" 'BEGIN { print (b - a) / 1e9 }')
	cpu() { awk -v a="$1" -v b="$2" -v hz="$HZ" -v s="$sc_el" 'BEGIN { printf "%.0f%%", (b - a) / hz / s * 100 }'; }
	set -- $(sed -n 's/^RESULT //p' "$T/wrk.out" | tr ' ' '\n' | cut -d= -f2 | tr '\n' ' ')
	if [ $# -lt 6 ]; then
		echo "$sc_name: wrk failed: $(cat "$T/wrk.out")"
		return
	fi
	LAST_SUCCESS=$1 LAST_RATE=$(awk -v n="$1" -v s="$6" 'BEGIN { printf "%.0f", n / s }')
	printf '%-34s %7s Success/s %6s errors  p50 %7s ms  p99 %7s ms  RSS %s -> %s MiB  CPU otpcep %s, web %s, slapd %s, RADIUS %s\n' \
	    "$sc_name" "$LAST_RATE" "$(($2 + $3))" "$4" "$5" "$(mib "$sc_rss0")" "$(mib "$sc_rss1")" \
	    "$(cpu "$c_otp0" "$c_otp1")" "$(cpu "$c_web0" "$c_web1")" \
	    "$(cpu "$c_ldap0" "$c_ldap1")" "$(cpu "$c_rad0" "$c_rad1")"
	LAST_RSS0=$sc_rss0 LAST_RSS1=$sc_rss1
}

# supported "key = value": whether this build knows a configuration key
# (the LDAP pool and the RADIUS dead-server memory come from other work).
supported() {
	printf 'template = T\nca = h\\CA\n%s\n' "$1" >"$T/probe.conf"
	"$OTPCEP" --check-config -c "$T/probe.conf" >/dev/null 2>&1
}
OPT_POOL=""
supported "ldap_connections = 8" && OPT_POOL="ldap_connections = 8"
OPT_DEAD=""
supported "radius_dead_time_s = 30" && OPT_DEAD="radius_dead_time_s = 30"
echo "bench-load: LDAP pool: ${OPT_POOL:-not in this build (one connection per worker)}; RADIUS dead-server memory: ${OPT_DEAD:-not in this build}"

# responder NAME RADIUS-PORT KEY WORKERS [more lines]: on $T/NAME.sock
responder() {
	r_name=$1 r_port=$2 r_key=$3 r_workers=$4
	shift 4
	set -- "radius_server = 127.0.0.1:$r_port" "signing_cert = $PKI/$r_key.pem" \
	    "signing_key = $PKI/$r_key.key" "workers = $r_workers" "$@"
	[ -n "$OPT_POOL" ] && set -- "$@" "$OPT_POOL"
	load_responder "$r_name" "$@" >"$T/$r_name.start" 2>&1 ||
	    { echo "bench-load: responder $r_name: $(cat "$T/$r_name.start")"; exit 1; }
}

echo "== reference: bare signatures, GnuTLS, all cores (2 s each)"
printf '%-34s %s\n' "RSA-2048" "$("$TOP/build/bench/bench_sign" "$PKI/sign-rsa.key" 2)"
printf '%-34s %s\n' "P-256" "$("$TOP/build/bench/bench_sign" "$PKI/sign-ec.key" 2)"

echo "== scenarios (lighttpd 1.4 unless said, FastCGI over a Unix socket, wrk keep-alive, ${SECS} s each)"
responder rsa "$IMM_PORT" sign-rsa 64
load_lighttpd lrsa "$T/rsa.sock" >/dev/null
scenario "RSA-2048, RADIUS at once, 32 conn" "$LOAD_PID_rsa" "$LOAD_WEB_PID" 32 "$SECS"
t_stop "$LOAD_PID_rsa"

responder ec "$IMM_PORT" sign-ec 64
load_lighttpd lec "$T/ec.sock" >/dev/null
EC_URL=$LOAD_URL EC_WEB=$LOAD_WEB_PID
scenario "P-256, RADIUS at once, 32 conn" "$LOAD_PID_ec" "$EC_WEB" 32 "$SECS"
IMM_RATE=$LAST_RATE

responder slow "$SLOW_PORT" sign-ec 2048
load_lighttpd lslow "$T/slow.sock" >/dev/null
SLOW_URL_L=$LOAD_URL SLOW_WEB_L=$LOAD_WEB_PID
scenario "P-256, RADIUS 200 ms, 256 conn" "$LOAD_PID_slow" "$LOAD_WEB_PID" 256 "$SECS"
scenario "P-256, RADIUS 200 ms, 1024 conn" "$LOAD_PID_slow" "$LOAD_WEB_PID" 1024 "$SECS"
SLOW_RATE=$LAST_RATE
load_nginx nslow "$T/slow.sock" >/dev/null
scenario "nginx, P-256, 200 ms, 1024 conn" "$LOAD_PID_slow" "$LOAD_WEB_PID" 1024 "$SECS"
NGINX_RATE=$LAST_RATE
SLOW_URL_N=$LOAD_URL SLOW_WEB_N=$LOAD_WEB_PID

# The 1024-connection target compares two rates; on a shared machine whose
# speed drifts by 10-20 % within a minute (the RSS runs below show it), runs
# made minutes apart compare the drift as much as the responder. So the
# pair is also measured back to back, in rounds, and the median ratio kept.
PAIR_SECS=${BENCH_PAIR_SECONDS:-5}
echo "== 200 ms RADIUS at 1024 conn against RADIUS at once at 32, back to back (3 rounds of ${PAIR_SECS} s each)"
PAIR_L="" PAIR_N=""
for round in 1 2 3; do
	LOAD_URL=$EC_URL scenario "round $round: P-256, RADIUS at once, 32" "$LOAD_PID_ec" "$EC_WEB" 32 "$PAIR_SECS"
	p_imm=$LAST_RATE
	LOAD_URL=$SLOW_URL_L scenario "round $round: 200 ms, 1024, lighttpd" "$LOAD_PID_slow" "$SLOW_WEB_L" 1024 "$PAIR_SECS"
	PAIR_L="$PAIR_L $(awk -v a="$p_imm" -v b="$LAST_RATE" 'BEGIN { r = 5120; if (a < r) r = a; printf "%.0f", (r > 0 ? 100 * b / r : 0) }')"
	LOAD_URL=$SLOW_URL_N scenario "round $round: 200 ms, 1024, nginx" "$LOAD_PID_slow" "$SLOW_WEB_N" 1024 "$PAIR_SECS"
	PAIR_N="$PAIR_N $(awk -v a="$p_imm" -v b="$LAST_RATE" 'BEGIN { r = 5120; if (a < r) r = a; printf "%.0f", (r > 0 ? 100 * b / r : 0) }')"
done
median() { echo "$@" | tr ' ' '\n' | grep . | sort -n | sed -n 2p; }
t_stop "$LOAD_PID_slow"

LOAD_APPEND="radius_server = 127.0.0.1:$IMM_PORT${OPT_DEAD:+
$OPT_DEAD}" responder dead "$DEAD_PORT" sign-ec 256 "radius_timeout_ms = 1000"
load_lighttpd ldead "$T/dead.sock" >/dev/null
scenario "P-256, first RADIUS dead, 32 conn" "$LOAD_PID_dead" "$LOAD_WEB_PID" 32 "$SECS"
t_stop "$LOAD_PID_dead"

responder two1 "$IMM_PORT" sign-ec 64
T1=$LOAD_PID_two1
responder two2 "$IMM_PORT" sign-ec 64
load_nginx ntwo "$T/two1.sock" "$T/two2.sock" >/dev/null
scenario "nginx, two instances, one kill -9" "$T1" "$LOAD_WEB_PID" 64 "$SECS" "$LOAD_PID_two2" "$((SECS / 2))"
t_stop "$T1"

echo "== RSS over ${FLAT} requests (P-256, RADIUS at once, 32 conn, in runs of 20 s)"
LOAD_URL=$EC_URL
flat_total=0 flat_rss0=""
while [ "$flat_total" -lt "$FLAT" ]; do
	LAST_SUCCESS=0
	scenario "P-256, requests $flat_total+" "$LOAD_PID_ec" "$EC_WEB" 32 20
	[ "${LAST_SUCCESS:-0}" -gt 0 ] || break
	[ -n "$flat_rss0" ] || flat_rss0=$LAST_RSS0
	flat_total=$((flat_total + LAST_SUCCESS))
done
echo "   $flat_total Success; RSS $(mib "${flat_rss0:-0}") -> $(mib "${LAST_RSS1:-0}") MiB (grew by $(mib $((${LAST_RSS1:-0} - ${flat_rss0:-0}))) MiB)"
t_stop "$LOAD_PID_ec"

if [ "${BENCH_CALLGRIND:-yes}" != no ] && command -v valgrind >/dev/null; then
	# The responder cannot run under valgrind (no support for its seccomp
	# filter): bench_request runs the workers' handler_serve() on the same
	# configuration, slapd and RADIUS server, the key in-process.
	echo "== callgrind: instructions per Success request (P-256, RADIUS at once, 200 requests)"
	stack_conf "$T/cg.conf" "$T/cg.sock" "ldap_uri = $SLAPD_URI" \
	    "radius_server = 127.0.0.1:$IMM_PORT" "radius_secret_file = $LOAD_SECRET" \
	    "radius_retries = 0" "signing_cert = $PKI/sign-ec.pem" "signing_key = $PKI/sign-ec.key"
	valgrind -q --tool=callgrind --toggle-collect=handler_serve \
	    --callgrind-out-file="$T/cg.out" "$TOP/build/bench/bench_request" \
	    "$T/cg.conf" "$LOAD_BODY" 200 >"$T/cg.run" 2>&1
	callgrind_annotate --inclusive=yes "$T/cg.out" >"$T/cg.txt" 2>/dev/null
	total=$(sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$T/cg.txt" | tr -d , | head -1)
	incl() { grep -E "[ :]$1( |\$)" "$T/cg.txt" | head -1 | awk '{ gsub(",", "", $1); print $1 }'; }
	sign=$(incl gnutls_privkey_sign_data2)
	crq=$(incl gnutls_x509_crq_verify)
	echo "   $(tail -1 "$T/cg.run")"
	awk -v a="${total:-0}" -v s="${sign:-0}" -v c="${crq:-0}" 'BEGIN {
		per = a / 200; sig = s / 200; chk = c / 200
		printf "   %.0f instructions per request; its signature %.0f + CSR signature check %.0f = %.0f; ratio %.2f (target <= 2)\n",
		    per, sig, chk, sig + chk, ((sig + chk) > 0 ? per / (sig + chk) : 0) }'
	callgrind_annotate --inclusive=yes "$T/cg.out" 2>/dev/null | sed -n '/PROGRAM TOTALS/,$p' | sed -n '3,22p' >"$TOP/build/bench/callgrind-top.txt"
	echo "   (the 20 costliest functions, inclusive: build/bench/callgrind-top.txt)"
fi
# The issue's throughput target, worked out (the others are read off the lines above).
awk -v imm="${IMM_RATE:-0}" -v l="${SLOW_RATE:-0}" -v n="${NGINX_RATE:-0}" 'BEGIN {
	ref = 1024 / 0.2; if (imm < ref) ref = imm
	if (ref > 0)
		printf "== 200 ms RADIUS, 1024 conn, runs minutes apart: %.0f %% (lighttpd), %.0f %% (nginx) of min(1024 / 0.2 s, %d) = %d Success/s\n",
		    100 * l / ref, 100 * n / ref, imm, ref }'
echo "== 200 ms RADIUS, 1024 conn, back to back: median $(median $PAIR_L) % (lighttpd; rounds:$PAIR_L), $(median $PAIR_N) % (nginx; rounds:$PAIR_N) of min(1024 / 0.2 s, the same round's rate at once) (target >= 80 %)"
echo "bench-load: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
