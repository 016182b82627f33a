# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
"""memscan.py PID STRING...: how often each STRING occurs in the writable
memory of process PID (heap, anonymous mappings, thread stacks, the data
of its libraries), read through /proc/PID/mem. Prints "STRING COUNT" per
string. The process must be stopped or idle; reading needs ptrace rights
over it (the tests run as its owner or root)."""
import re
import sys


def main():
    pid = int(sys.argv[1])
    needles = [s.encode() for s in sys.argv[2:]]
    counts = dict.fromkeys(needles, 0)
    with open("/proc/%d/maps" % pid) as maps, \
            open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            start, end, perms = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
            if "r" not in perms or "w" not in perms or "[vvar]" in line:
                continue
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            for n in needles:
                counts[n] += data.count(n)
    for n in needles:
        print(n.decode(), counts[n])


main()
