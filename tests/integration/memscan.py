# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
"""memscan.py PID STRING...: how often each STRING occurs in the writable
memory of process PID (heap, anonymous mappings, thread stacks, the data
of its libraries), read through /proc/PID/mem in 16 MiB pieces. Prints
"STRING COUNT" per string. The process must be stopped or idle; reading
needs ptrace rights over it (the tests run as its owner or root). Mappings
over 1 GiB are skipped: only a sanitizer's shadow memory is that large."""
import re
import sys


CHUNK = 16 << 20


def main():
    global LONGEST
    pid = int(sys.argv[1])
    needles = [s.encode() for s in sys.argv[2:]]
    LONGEST = max(len(n) for n in needles)
    counts = dict.fromkeys(needles, 0)
    with open("/proc/%d/maps" % pid) as maps, \
            open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            start, end, perms = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
            if "r" not in perms or "w" not in perms or "[vvar]" in line:
                continue
            if end - start > 1 << 30:
                continue
            keep = b""
            pos = start
            while pos < end:
                size = min(CHUNK, end - pos)
                try:
                    mem.seek(pos)
                    data = keep + mem.read(size)
                except (OSError, ValueError, OverflowError):
                    break
                for n in needles:
                    counts[n] += data.count(n)
                pos += size
                # A string across two pieces is counted once, in the next.
                keep = data[-(LONGEST - 1):] if pos < end and LONGEST > 1 else b""
                for n in needles:
                    counts[n] -= keep.count(n)
    for n in needles:
        print(n.decode(), counts[n])


main()
