# Shared by the integration tests: sourced, never run. Each test script
#   . "$(dirname "$0")/lib.sh"
# gets $TOP, $OTPCEP (the responder), $T (its own temporary folder, removed
# on exit), t_pass/t_fail/t_check to report, t_free_port, and t_start/t_stop
# to run a server in the background and stop it by pid (all stopped on exit).
set -u
TOP=${OTPCEP_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
OTPCEP="$TOP/cgi-bin/otpcep"
T=$(mktemp -d "${TMPDIR:-/tmp}/otpcep-test.XXXXXX")
chmod 700 "$T"
T_PIDS=""
T_FAILED=0

t_cleanup() {
	for p in $T_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $T_PIDS; do
		# Give each a moment, then insist.
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

t_pass() { echo "PASS: $*"; }
t_fail() { echo "FAIL: $*"; T_FAILED=1; }

# t_check NAME COMMAND...: PASS when COMMAND succeeds, else FAIL.
t_check() {
	name=$1
	shift
	if "$@"; then t_pass "$name"; else t_fail "$name"; fi
}

# An unprivileged TCP and UDP port on 127.0.0.1 that nothing listens on now.
t_free_port() {
	while :; do
		p=$(( (($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000)) + 20000 ))
		if [ -z "$(ss -Htuln "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return
		fi
	done
}

# t_start NAME LOGFILE COMMAND...: runs COMMAND in the background; the pid
# is in $T_LAST_PID and the server is stopped on exit.
t_start() {
	name=$1
	logf=$2
	shift 2
	"$@" >"$logf" 2>&1 &
	T_LAST_PID=$!
	T_PIDS="$T_PIDS $T_LAST_PID"
	echo "started $name (pid $T_LAST_PID)"
}

# t_stop PID: stops one server now.
t_stop() {
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# t_wait_port PORT [SECONDS] [tcp|udp]: waits until something listens.
t_wait_port() {
	i=0
	flag=-Htln
	[ "${3:-tcp}" = udp ] && flag=-Huln
	while [ $i -lt $((${2:-10} * 10)) ]; do
		[ -n "$(ss $flag "sport = :$1" 2>/dev/null)" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Call last: the script's exit status.
t_done() { exit $T_FAILED; }
