# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# End-to-end through lighttpd: see lib_e2e.sh.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/integration/lib_e2e.sh"
e2e_run lighttpd
t_done
