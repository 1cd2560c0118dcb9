#!/usr/bin/env python3
"""One markdown row per target and round from a session.log of loadtests/retrieve-side-by-side.sh:
  retrieve-summary.py RESULTS/session.log
move: the harness' three C-MOVEs of 100 instances (run 1 is the target's first C-MOVE since it started: JIT included),
their median, then the MOVES loop (the same study again and again) with CPU per sub-operation; retrieve-series-c1/c8:
run 1 and the median of three (series/s)."""
import re, statistics, sys

rows, cur = [], None
for line in open(sys.argv[1]):
    m = re.match(r"== (\S+) round (\d+): (\S+)\s+\(load ([\d.]+)", line)
    if m:
        cur = {"time": m.group(1), "round": m.group(2), "target": m.group(3), "load": m.group(4), "runs": {}}
        rows.append(cur)
        continue
    m = re.match(r"\s+(move|retrieve-series-c1|retrieve-series-c8)\s+run (\d+):\s+([\d.]+)", line)
    if m and cur:
        cur["runs"].setdefault(m.group(1), []).append(float(m.group(3)))
        continue
    m = re.match(r"move-cpu \S+: \d+ sub-operations in [\d.]+ s = (\d+) inst/s, [\d.]+ ms each; target CPU ([\d.]+) ms"
                 r"(?: \(gateway ([\d.]+)\))?, storescp CPU ([\d.]+) ms", line)
    if m and cur:
        cur["loop"], cur["cpu"], cur["gw"], cur["scp"] = m.group(1), m.group(2), m.group(3), m.group(4)

def fmt(v):
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}"

print("| round | target | load | move runs 1 / 2 / 3, inst/s | move median | MOVES loop, inst/s | CPU per sub-operation: target (gateway), storescp, ms | whole series c1: run 1, median | c8 median |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    mv = r["runs"].get("move", [])
    c1 = r["runs"].get("retrieve-series-c1", [])
    c8 = r["runs"].get("retrieve-series-c8", [])
    gw = "" if r.get("gw") in (None, "0.000") else f" ({r['gw']})"
    print(f"| {r['round']} | {r['target']} | {r['load']} | {' / '.join(fmt(v) for v in mv)} | {fmt(statistics.median(mv)) if mv else ''} "
          f"| {r.get('loop', '')} | {r.get('cpu', '')}{gw}, {r.get('scp', '')} "
          f"| {fmt(c1[0]) + ', ' + fmt(statistics.median(c1)) if c1 else ''} | {fmt(statistics.median(c8)) if c8 else ''} |")
