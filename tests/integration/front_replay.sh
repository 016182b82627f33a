# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Replay mode: a stored HTTP request in, the HTTP response out.
. "$(dirname "$0")/lib.sh"
G="$TOP/tests/data/golden"

cat >"$T/otpcep.conf" <<CONF
template = OTPLogon
ca = ca1.example.com\\Issuing CA 1
log = stderr
CONF

# Golden: example 4.4 gives exactly the stored response.
"$OTPCEP" -c "$T/otpcep.conf" --replay "$G/4.4-request.http" >"$T/44.out" 2>"$T/44.log"
t_check "replay exits 0" test $? -eq 0
t_check_response "replayed 4.4 is 200 OtherError" "$T/44.out" 200 OtherError
t_check "replayed 4.4 is byte-identical to the golden response" \
	cmp -s "$T/44.out" "$G/4.4-response.http"

# From standard input, too.
"$OTPCEP" -c "$T/otpcep.conf" --replay - <"$G/4.4-request.http" >"$T/stdin.out" 2>/dev/null
t_check "replay from stdin gives the same" cmp -s "$T/stdin.out" "$G/4.4-response.http"

# The envelope still applies: a stored GET gets 405.
printf 'GET /otpcep HTTP/1.1\r\nHost: x\r\n\r\n' >"$T/get.http"
"$OTPCEP" -c "$T/otpcep.conf" --replay "$T/get.http" >"$T/get.out" 2>/dev/null
t_check_response "replayed GET gets 405" "$T/get.out" 405

# Broken stored requests: a clear message and exit status 1, no response.
printf 'garbage\r\n\r\n' >"$T/bad1.http"
printf 'POST /x HTTP/1.1\r\nContent-Type: application/xml\r\n' >"$T/bad2.http"
printf 'POST /x HTTP/1.1\r\nno colon here\r\n\r\n' >"$T/bad3.http"
for b in bad1 bad2 bad3; do
	"$OTPCEP" -c "$T/otpcep.conf" --replay "$T/$b.http" >"$T/$b.out" 2>"$T/$b.log"
	rc=$?
	t_check "$b: exit 1" test $rc -eq 1
	t_check "$b: says why" grep -q 'replay:' "$T/$b.log"
done
"$OTPCEP" -c "$T/otpcep.conf" --replay "$T/missing.http" >/dev/null 2>"$T/missing.log"
t_check "a missing file is exit 1" test $? -eq 1

# Example 4.1 reaches the procedure; the steps not configured fail closed.
"$OTPCEP" -c "$T/otpcep.conf" --replay "$G/4.1-request.http" >"$T/41.out" 2>"$T/41.log"
t_check_response "replayed 4.1 without the steps is OtherError" "$T/41.out" 200 OtherError
t_check "the log says which step failed" grep -q 'reason="step' "$T/41.log"
t_check "the one-time password is not in the log" sh -c "! grep -q 'word1' '$T/41.log'"
t_done
