#!/usr/bin/env python3
"""The runs of loadtests/readers-ab.sh in OUT as one markdown table (docs/benchmarks.md): readers-ab-table.py OUT LABEL..."""
import json
import re
import sys

out, labels = sys.argv[1], sys.argv[2:]
summary = open(f"{out}/summary.txt").read()
print("| run | code | studies | frames | first image p50 / p95 ms | first series p50 / p95 ms | frames/s | errors | "
      "CPU-s per study: server (gateway / silo / PostgreSQL) | server CPU ms per frame | generator CPU-s (per study) | load avg (1 min) before → after |")
print("|---|---|---:|---:|---|---|---:|---:|---|---:|---|---|")
for label in labels:
    d = json.load(open(f"{out}/{label}.json"))
    line = next(l for l in summary.splitlines() if l.startswith(label + " "))
    code = re.search(r"\((.*?)\)", line).group(1).split(", ")[-1]
    load = re.search(r"load average (\S+) \S+ \S+ -> (\S+)", line)
    gen = re.search(r"user (\S+) system (\S+)", line)
    generator = float(gen.group(1)) + float(gen.group(2))
    n, frames = d["studiesCompleted"], d["frames"]
    procs = d["processes"]
    def cpu(name):
        return next((p["cpuSeconds"] for p in procs if p["name"] == name), None) if isinstance(procs, list) else procs.get(name, {}).get("cpuSeconds")
    names = ["gateway", "silo", "postgres"] if cpu("gateway") is not None else ["orthanc"]
    per_study = " / ".join(f"{cpu(x) / n:.3f}" for x in names)
    server = sum(cpu(x) for x in names)
    t, s = d["timeToFirstImageMs"], d["firstSeriesMs"]
    errors = d["errors"]
    kinds = ", ".join(f"{k}: {v}" for k, v in d["errorsByKind"].items())
    print(f"| {label} | {code} | {n} | {frames:,} | {t['p50']:,.0f} / {t['p95']:,.0f} | {s['p50']:,.0f} / {s['p95']:,.0f} | "
          f"{d['framesPerSecond']:,.1f} | {errors}{f' ({kinds})' if kinds else ''} | {per_study} | {1000 * server / frames:.2f} | "
          f"{generator:.1f} ({generator / n:.3f}) | {load.group(1)} → {load.group(2)} |")
