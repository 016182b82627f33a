#!/bin/sh
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Runs the unit test programs given as arguments, then (unless --unit-only)
# every tests/integration/*.sh. Counts cmocka's tests and the integration
# scripts' PASS:/FAIL: lines, and ends with "N passed, N failed".
# $VALGRIND, when set, is put in front of each unit test program.
# $TESTS, when set, runs only the integration scripts whose name contains it.
set -u
unit_only=no
if [ "${1:-}" = "--unit-only" ]; then unit_only=yes; shift; fi
top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp -d "${TMPDIR:-/tmp}/otpcep-run.XXXXXX")
trap 'rm -rf "$log"' EXIT
passed=0
failed=0
failures=""

count() { # file name rc
	p=$(grep -c '^PASS: ' "$1" || true)
	f=$(grep -c '^FAIL: ' "$1" || true)
	cp=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -n 1)
	cf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -n 1)
	p=$((p + ${cp:-0}))
	f=$((f + ${cf:-0}))
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures="$failures $2"
		echo "---- $2 failed (exit $3); its output:"
		cat "$1"
		echo "----"
	else
		echo "ok   $2 ($p)"
	fi
}

for t in "$@"; do
	out="$log/$(basename "$t").out"
	# shellcheck disable=SC2086
	${VALGRIND:-} "$t" >"$out" 2>&1
	count "$out" "$(basename "$t")" $?
done

if [ "$unit_only" = no ]; then
	for s in "$top"/tests/integration/*.sh; do
		[ -e "$s" ] || continue
		case "$(basename "$s")" in lib.sh|lib_*.sh) continue ;; esac
		if [ -n "${TESTS:-}" ]; then
			case "$(basename "$s")" in *"$TESTS"*) ;; *) continue ;; esac
		fi
		out="$log/$(basename "$s").out"
		OTPCEP_TOP="$top" bash "$s" >"$out" 2>&1 </dev/null
		count "$out" "integration/$(basename "$s")" $?
	done
fi

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
