# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# make valgrind's Success path: example 4.1 through handler_serve(), what each
# FastCGI worker runs for a request (HTTP envelope, signCertRequest, PKCS#10,
# the real slapd, the real FreeRADIUS, co-signing, signCertResponse), three
# times, under valgrind's memcheck: no error and no leak. The responder itself
# cannot run under valgrind, which does not implement seccomp(2) (the
# responder then refuses to serve without its sandbox), so build/bench/
# bench_request runs the requests with the signing key in-process.
. "$(dirname "$0")/../integration/lib.sh"
. "$TOP/tests/integration/lib_golden.sh"

golden_start || t_done
golden_conf "$T/otpcep.conf"
t_http_body "$G/4.1-request.http" "$T/41.xml"
valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	"$TOP/build/bench/bench_request" "$T/otpcep.conf" "$T/41.xml" 3 \
	>"$T/vg.out" 2>"$T/vg.err"
rc=$?
t_check "example 4.1 under valgrind: 3 Success ($(cat "$T/vg.out"))" grep -qx '3 Success' "$T/vg.out"
t_check "valgrind: no memory error and no leak (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || grep '^==' "$T/vg.err" | head -60
t_done
