#!/usr/bin/env python3
"""A perf profile of a .NET process with its JIT frames named from its perf map (DOTNET_PerfMapEnabled=1), with W^X on
(code in memfd:doublemapper, translated through the mmap events) or off. Used for docs/benchmarks.md "Readers":
  perf-jit-symbols.py PERF.data PERF-PID.map [self|incl] [N] [FILTER]   # self or inclusive shares; FILTER: samples whose stack names it
named_stacks() is shared with perf-native-callers.py."""
import bisect, collections, re, subprocess, sys


def named_stacks(perf, mapf):
    """Each sample's stack, leaf first, as frame names."""
    ents = []
    for line in open(mapf):
        a, s, name = line.rstrip("\n").split(" ", 2)
        ents.append((int(a, 16), int(s, 16), name))
    ents.sort(); starts = [e[0] for e in ents]

    def sym(ip):
        i = bisect.bisect_right(starts, ip) - 1
        if i >= 0 and ip < ents[i][0] + ents[i][1]: return ents[i][2]
        return None
    mm = subprocess.run(["perf", "script", "-i", perf, "--show-mmap-events", "-F", "ip"], capture_output=True, text=True).stdout
    maps = []
    for m in re.finditer(r"\[0x([0-9a-f]+)\(0x([0-9a-f]+)\) @ (0x[0-9a-f]+|0) [^\]]*\]: r-x\w* /memfd:doublemapper", mm):
        maps.append((int(m.group(3), 16), int(m.group(2), 16), int(m.group(1), 16)))
    maps.sort(); mstarts = [m[0] for m in maps]

    def off2addr(off):
        i = bisect.bisect_right(mstarts, off) - 1
        if i >= 0 and off < maps[i][0] + maps[i][1]: return maps[i][2] + off - maps[i][0]
        return None
    out = subprocess.run(["perf", "script", "-i", perf, "-F", "ip,sym,dso"], capture_output=True, text=True).stdout
    for block in out.split("\n\n"):
        lines = [l.strip() for l in block.strip().split("\n") if l.strip()]
        if not lines: continue
        names = []
        for l in lines:
            parts = l.split(" ", 1); ip = int(parts[0], 16); rest = parts[1] if len(parts) > 1 else ""
            if "doublemapper" in rest:
                a = off2addr(ip); name = (sym(a) if a else None) or "jit:?"
            else:
                name = sym(ip) or (rest.split("(")[-1].rstrip(")").split("/")[-1] + ":" + rest.split(" (")[0])
            names.append(name)
        yield names


if __name__ == "__main__":
    perf, mapf = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "self"
    N = int(sys.argv[4]) if len(sys.argv) > 4 else 60
    filt = sys.argv[5] if len(sys.argv) > 5 else None
    self_c = collections.Counter(); incl = collections.Counter(); total = 0
    for names in named_stacks(perf, mapf):
        if filt and not any(filt in n for n in names): continue
        total += 1
        self_c[names[0]] += 1
        for n in set(names): incl[n] += 1
    c = self_c if mode == "self" else incl
    for name, n in c.most_common(N):
        print(f"{100.0*n/total:6.2f}% {name[:180]}")
    print("samples", total)
