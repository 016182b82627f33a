# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# --check-config reports every problem of a broken file as file:line and
# exits non-zero; a good file passes, found through $OTPCEP_CONFIG.
. "$(dirname "$0")/lib.sh"

printf 'template = T\nca = h\\CA\nworkers = 0\nnonsense = 1\n' >"$T/bad.conf"
out=$("$OTPCEP" --check-config -c "$T/bad.conf" 2>&1)
rc=$?
t_check "bad config exits non-zero" [ $rc -ne 0 ]
case "$out" in *"$T/bad.conf:3: workers:"*) t_pass "line 3 reported" ;;
	*) t_fail "line 3 reported: $out" ;; esac
case "$out" in *"$T/bad.conf:4: unknown key 'nonsense'"*) t_pass "line 4 reported" ;;
	*) t_fail "line 4 reported: $out" ;; esac

printf 'template = T\nca = h\\CA\n' >"$T/min.conf"
OTPCEP_CONFIG="$T/min.conf" "$OTPCEP" --check-config >"$T/out" 2>&1
t_check "minimal config from \$OTPCEP_CONFIG passes --check-config" [ $? -eq 0 ]
"$OTPCEP" --check-config -c "$T/missing.conf" >/dev/null 2>&1
t_check "missing file fails" [ $? -ne 0 ]
t_done
