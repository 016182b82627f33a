# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# make demo, as a newcomer runs it: it succeeds, walks through all its steps,
# and says nothing about a crash (issue 13: the demo's front is nginx since
# lighttpd 1.4.69 with mod_gnutls may crash when stopped).
. "$(dirname "$0")/lib.sh"

OTPCEP_TOP=$TOP bash "$TOP/scripts/demo.sh" >"$T/demo.out" 2>&1
rc=$?
t_check "make demo's script exits 0 ($rc)" test "$rc" -eq 0
t_check "the demo walked through all 10 steps" grep -q '^\[10/10\] A wrong code gets AuthenticationError' "$T/demo.out"
# Issue 14: the signing certificate, near its end, renewed over MS-ICPR first.
t_check "the demo renews the signing certificate over ICPR before the enrollment" \
    sh -c "grep -q 'renewed: request [0-9]* issued (CR_DISP_ISSUED)' '$T/demo.out' &&
	grep -q 'co-signed with the renewed signing certificate' '$T/demo.out'"
t_check "the demo ends with its summary line" grep -q '^demo done in [0-9]* ms' "$T/demo.out"
t_check "no crash, segfault or kill in the demo's output" \
    sh -c "! grep -Eiq 'crash|segmentation|SIGSEGV|core dumped|did not stop|killed' '$T/demo.out'"
t_check "every server stopped cleanly" \
    test "$(grep -c '(pid [0-9]*) stopped$' "$T/demo.out")" -eq 6
[ "$T_FAILED" -eq 0 ] || cat "$T/demo.out"
t_done
