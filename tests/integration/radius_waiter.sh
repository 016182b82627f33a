# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Step 3 as the FastCGI front runs it (issue 10): every check of radius.sh
# again, each authentication started by its job and waited for by the RADIUS
# waiter (src/radius_wait.c: one epoll thread for all), not by the job's own
# thread: failover, dead-server memory, retransmissions, forgeries, Status-
# Server, concurrency.
DRV_RADIUS_WAITER=1
export DRV_RADIUS_WAITER
. "$(dirname "$0")/radius.sh"
