# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Every program behaves alike on its command line: -h/--help prints the full
# text (a usage or synopsis line, the options) to stdout and exits 0, -V/--version prints "NAME VERSION" and exits 0,
# and a usage error (unknown option, stray argument) exits 64 (EX_USAGE,
# sysexits.h) with a short "usage:" line on stderr and nothing on stdout.
# The programs are the responder and every tool in build/bin.
. "$(dirname "$0")/lib.sh"

VERSION=$(sed -n 's/^#define OTPCEP_VERSION "\(.*\)"/\1/p' "$TOP/include/otpcep.h")
progs="$OTPCEP"
for p in "$TOP"/build/bin/*; do
	[ -x "$p" ] && progs="$progs $p"
done

for p in $progs; do
	n=$(basename "$p")
	for h in -h --help; do
		"$p" "$h" >"$T/out" 2>"$T/err"
		rc=$?
		t_check "$n $h: exit 0, synopsis and options on stdout, nothing on stderr" \
		    sh -c "test $rc -eq 0 && grep -Eq '^(usage: )? *$n ' '$T/out' &&
			test \$(grep -c -- '--' '$T/out') -ge 3 && ! test -s '$T/err'"
	done
	for v in -V --version; do
		"$p" "$v" >"$T/out" 2>"$T/err"
		rc=$?
		t_check "$n $v: exit 0, '$n $VERSION'" \
		    sh -c "test $rc -eq 0 && test \"\$(cat '$T/out')\" = '$n $VERSION'"
	done
	for bad in --no-such-option -Z "stray-argument"; do
		"$p" "$bad" >"$T/out" 2>"$T/err"
		rc=$?
		t_check "$n $bad: exit 64 ($rc), a short usage line on stderr" \
		    sh -c "test $rc -eq 64 && grep -q '^usage: $n' '$T/err' &&
			test \$(wc -l <'$T/err') -le 8 && ! test -s '$T/out'"
	done
done
t_done
