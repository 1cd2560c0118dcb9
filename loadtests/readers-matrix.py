#!/usr/bin/python3
"""summary.md of a readers-load.sh run (issue 17 section 1), from the JSON reports in its folder. Standard library only.

  loadtests/readers-matrix.py OUT      prints Markdown: per target its runs, its ingest and C-MOVE alone and during the
                                       readers, the issue's goals, and ours against Orthanc at the same readers

Every figure is shown with the load average (1, 5, 15 min) read before and after its step (OUT/loadavg.tsv).
"""
import glob
import json
import os
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def num(v):
    """A number of a report, or None (a percentile of no values is written "NaN")."""
    return float(v) if isinstance(v, (int, float)) and v == v else None


def fmt(v, digits=0):
    v = num(v)
    return "-" if v is None else f"{v:,.{digits}f}"


def ratio(a, b):
    a, b = num(a), num(b)
    return None if a is None or not b else a / b


def main(out):
    loads = {}
    if os.path.exists(os.path.join(out, "loadavg.tsv")):
        with open(os.path.join(out, "loadavg.tsv"), encoding="utf-8") as f:
            for line in f:
                label, when, avg = line.rstrip("\n").split("\t")
                loads.setdefault(label, {})[when] = avg.split()[0]

    def load_of(label):
        l = loads.get(label, {})
        return f"{l.get('start', '?')} → {l.get('end', '?')}"

    reports = {}
    for path in glob.glob(os.path.join(out, "*.json")):
        if path.endswith("-catalogue.json"):
            continue
        r = load(path)
        if "label" in r:
            reports[r["label"]] = r
    targets = [os.path.basename(p)[:-len("-catalogue.json")]
               for p in sorted(glob.glob(os.path.join(out, "*-catalogue.json")), key=os.path.getmtime)]

    print(f"# Readers load matrix: {out}\n")
    print("Load average: the 1-minute figure before → after each step (this machine has "
          f"{os.cpu_count()} cores). Time to first image: from a study's first request to its first frame.\n")
    summary = {}
    for t in targets:
        runs = sorted((r for label, r in reports.items() if label.startswith(t + "-") and "readers" in r and "timeToFirstImageMs" in r),
                      key=lambda r: ("-during" in r["label"], r["label"].endswith("-idle"), r["readers"]))
        if not runs:
            continue
        names = list(runs[0].get("processes", {}).keys())
        print(f"## {t}\n")
        print("| run | readers | window s | studies | first image p50 / p95 / p99 ms | first series p50 / p95 / p99 ms | frames/s | MB/s | errors | "
              f"CPU-s per study ({' / '.join(names) or '-'}) | peak RSS MB | load avg |")
        print("|---|---:|---:|---:|---|---|---:|---:|---|---|---|---|")
        for r in runs:
            ttfi, fs = r["timeToFirstImageMs"], r["firstSeriesMs"]
            errors = str(r["errors"]) + ("" if not r["errors"] else " (" + ", ".join(f"{k}: {v}" for k, v in r["errorsByKind"].items()) + ")")
            procs = r.get("processes", {})
            per_study = " / ".join(fmt(procs[n].get("cpuSecondsPerStudy"), 3) for n in names if n in procs)
            rss = " / ".join(fmt(procs[n]["peakRssMb"]) for n in names if n in procs)
            studies = f"{r['studiesCompleted']}" + (f" (+{r['studiesIncomplete']} cut)" if r["studiesIncomplete"] else "")
            print(f"| {r['label'][len(t) + 1:]} | {r['readers']} | {fmt(r['durationSeconds'], 1)} | {studies} | "
                  f"{fmt(ttfi['p50'])} / {fmt(ttfi['p95'])} / {fmt(ttfi['p99'])} | {fmt(fs['p50'])} / {fmt(fs['p95'])} / {fmt(fs['p99'])} | "
                  f"{fmt(r['framesPerSecond'], 1)} | {fmt(r['megabytesPerSecond'], 1)} | {errors} | {per_study or '-'} | {rss or '-'} | {load_of(r['label'])} |")
        print()

        dimse = {}
        print("| DIMSE step | instances | seconds | instances/s | CPU-s per 1,000 instances (everything the target did meanwhile) | failed | load avg |")
        print("|---|---:|---:|---:|---|---|---|")
        for label in sorted(l for l in reports if l.startswith(t + "-") and reports[l].get("kind") in ("ingest", "move")):
            d = reports[label]
            rate = d["instances"] / d["seconds"] if d["seconds"] else None
            dimse[label[len(t) + 1:]] = rate
            cpu_names = str(d["cpuNames"]).split()
            start = [float(x) for x in str(d["cpuStart"]).split()]
            end = [float(x) for x in str(d["cpuEnd"]).split()]
            cpu = ", ".join(f"{n} {(e - s) * 1000 / d['instances']:.2f}" for n, s, e in zip(cpu_names, start, end)) if d["instances"] else "-"
            failed = int(d.get("failedAssociations", d.get("failedMoves", 0)))
            what = f"{int(d['moves'])} C-MOVEs" if d["kind"] == "move" else "C-STORE, 4 associations"
            print(f"| {label[len(t) + 1:]} ({what}) | {int(d['instances'])} | {fmt(d['seconds'], 1)} | {fmt(rate, 1)} | {cpu} | {failed} | {load_of(label)} |")
        print()

        during = next((r for r in runs if r["label"].endswith("-during")), None)
        idle = reports.get(during["label"] + "-idle") if during else None
        lines = []
        if during and idle:
            p95 = ratio(during["timeToFirstImageMs"]["p95"], idle["timeToFirstImageMs"]["p95"])
            lines.append(f"readers' p95 time to first image during / idle: {fmt(during['timeToFirstImageMs']['p95'])} / "
                         f"{fmt(idle['timeToFirstImageMs']['p95'])} ms = {fmt(p95, 2)}× (goal ≤ 1.5×: {verdict(p95, lambda x: x <= 1.5)})")
            lines.append(f"errors during: {during['errors']}, idle: {idle['errors']} (goal: none: {verdict(during['errors'] + idle['errors'], lambda x: x == 0)})")
        ingest = [v for k, v in dimse.items() if k.endswith("-during-ingest")]
        if "ingest-alone" in dimse and ingest:
            share = ratio(ingest[0], dimse["ingest-alone"])
            lines.append(f"ingest during / alone: {fmt(ingest[0], 1)} / {fmt(dimse['ingest-alone'], 1)} instances/s = "
                         f"{fmt(None if share is None else share * 100)} % (goal ≥ 70 %: {verdict(share, lambda x: x >= 0.7)})")
        moves = [v for k, v in dimse.items() if k.endswith("-during-move")]
        if "move-alone" in dimse and moves:
            share = ratio(moves[0], dimse["move-alone"])
            lines.append(f"C-MOVE during / alone: {fmt(moves[0], 1)} / {fmt(dimse['move-alone'], 1)} instances/s = "
                         f"{fmt(None if share is None else share * 100)} % (no goal in the issue)")
        for line in lines:
            print(f"- {line}")
        print()
        summary[t] = {r["readers"]: r for r in runs if not r["label"].endswith(("-during", "-idle"))}

    if "orthanc" in summary:
        print("## Ours against Orthanc, idle runs (goals at 50 readers: p95 time to first image ≤ 1/3 of Orthanc's, frames/s ≥ 3×)\n")
        print("| target | readers | first image p95 ms (Orthanc) | ratio | frames/s (Orthanc) | ratio |")
        print("|---|---:|---|---:|---|---:|")
        for t, by_readers in summary.items():
            if t == "orthanc":
                continue
            for n, r in sorted(by_readers.items()):
                o = summary["orthanc"].get(n)
                if o is None:
                    continue
                p95 = ratio(r["timeToFirstImageMs"]["p95"], o["timeToFirstImageMs"]["p95"])
                fps = ratio(r["framesPerSecond"], o["framesPerSecond"])
                print(f"| {t} | {n} | {fmt(r['timeToFirstImageMs']['p95'])} ({fmt(o['timeToFirstImageMs']['p95'])}) | {fmt(p95, 2)} | "
                      f"{fmt(r['framesPerSecond'], 1)} ({fmt(o['framesPerSecond'], 1)}) | {fmt(fps, 2)} |")
        print()


def verdict(value, good):
    return "no figure" if value is None else ("met" if good(value) else "NOT met")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
