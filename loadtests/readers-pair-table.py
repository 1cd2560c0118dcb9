#!/usr/bin/python3
"""The readers/ingest pair's A/B table (issue 17 section 1) from readers-pair.sh folders; standard library only.

  loadtests/readers-pair-table.py RUN_DIR...             one Markdown row per run (the build: A = main, else branch),
                                                         then medians and ranges per group (the run name's first letter)
  loadtests/readers-pair-table.py --metrics METRICS_DIR...  from readers-pair-ab.sh's gateway scrapes: the ingest
        stages and the read admission's waits by class over ingest alone and ingest during the readers

The ingest windows are found from the gateway's own count of stored instances: the matrix' data (1,052) first, then
1,600 alone, then 1,600 during the readers (readers-load.sh's defaults), each between the last scrape before and the
first after. The admission wait histogram's bounds are those of GatewayTelemetry.SecondsBuckets (scrapes of older
builds, whose bounds were the SDK's 0/5/10... s, give means only).
"""
import glob
import json
import os
import re
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def rows(dirs):
    groups = {}
    print("| run | build | 50 alone: first image p50 / p95 ms | during p50 / p95 ms | idle (same window) p50 / p95 ms"
          " | p95 during / idle (≤ 1.5×) | ingest during / alone inst/s | kept (≥ 70 %) | frames/s alone / during / idle"
          " | frame p95 during ms | C-MOVEs during | errors | load avg |")
    print("|---|---|---|---|---|---:|---|---:|---|---:|---:|---|---|")
    for d in dirs:
        # The target's files: ours-1x1 (readers-pair.sh's default) or whichever TARGETS ran (ours-2x2 ...).
        during = sorted(glob.glob(os.path.join(d, "*-50-during.json")))
        target = os.path.basename(during[0])[: -len("-50-during.json")] if during else "ours-1x1"
        j = lambda f: load(os.path.join(d, f"{target}-{f}"))
        alone, du, di = j("50.json"), j("50-during.json"), j("50-during-idle.json")
        ia, idu, mv = j("ingest-alone.json"), j("50-during-ingest.json"), j("50-during-move.json")
        rate = lambda x: x["instances"] / x["seconds"]
        t = lambda x, k: x["timeToFirstImageMs"][k]
        with open(os.path.join(d, "loadavg.tsv"), encoding="utf-8") as f:
            la = [float(line.split("\t")[2].split()[0]) for line in f if line.strip()]
        name = os.path.basename(os.path.normpath(d))
        build = "main" if name.startswith("A") else "branch"
        print(f"| {name} | {build} | {t(alone, 'p50'):.0f} / {t(alone, 'p95'):,.0f} | {t(du, 'p50'):.0f} / {t(du, 'p95'):,.0f}"
              f" | {t(di, 'p50'):.0f} / {t(di, 'p95'):,.0f} | {t(du, 'p95') / t(di, 'p95'):.2f}× | {rate(idu):.0f} / {rate(ia):.0f}"
              f" | {rate(idu) / rate(ia) * 100:.0f} % | {alone['framesPerSecond']:.0f} / {du['framesPerSecond']:.0f} / {di['framesPerSecond']:.0f}"
              f" | {du['requestsByKind']['Frame']['milliseconds']['p95']:,.0f} | {mv['moves']:.0f}"
              f" | {alone['errors'] + du['errors'] + di['errors']} | {min(la):.1f}–{max(la):.1f} |")
        groups.setdefault(name[0], []).append((t(du, "p95") / t(di, "p95"), rate(idu) / rate(ia) * 100, du["framesPerSecond"],
                                               alone["errors"] + du["errors"] + di["errors"], t(du, "p95"), rate(idu)))
    # Per group of runs (the name's first letter: A, B, C ...): medians and ranges, and the runs that met both goals.
    print()
    print("| runs | p95 during / idle: median (range) | first image p95 during ms: median (range) | ingest kept: median (range)"
          " | ingest during inst/s: median | frames/s during: median | both goals met | errors |")
    print("|---|---|---|---|---:|---:|---|---:|")
    for g, rs in groups.items():
        ratio, kept, fps, err, p95, during = ([r[i] for r in rs] for i in range(6))
        met = sum(1 for r in rs if r[0] <= 1.5 and r[1] >= 70)
        print(f"| {g} ({len(rs)}) | {median(ratio):.2f}× ({min(ratio):.2f}–{max(ratio):.2f}) | {median(p95):.0f} ({min(p95):.0f}–{max(p95):.0f})"
              f" | {median(kept):.0f} % ({min(kept):.0f}–{max(kept):.0f}) | {median(during):.0f} | {median(fps):.0f} | {met} of {len(rs)} | {sum(err)} |")


LINE = re.compile(r"(\S+?)(\{.*\})? (\S+)$")


def scrape(path):
    d = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = LINE.match(line.strip())
            if not m:
                continue
            name, labels, value = m.groups()
            labels = re.sub(r'otel_scope_[a-z_]+="[^"]*",?', "", labels or "")
            try:
                d[name + labels] = float(value)
            except ValueError:
                pass
    return d


def stored(d):
    return sum(v for k, v in d.items() if k.startswith("pacs_ingest_instances_total"))


def metrics(dirs):
    for dr in dirs:
        files = sorted(glob.glob(os.path.join(dr, "*.txt")), key=lambda f: float(os.path.basename(f)[:-4]))
        snaps = [(float(os.path.basename(f)[:-4]), scrape(f)) for f in files]
        snaps = [s for s in snaps if s[1]]
        print(f"{os.path.basename(os.path.normpath(dr))}:")
        for label, lo, hi in (("ingest alone", 1052, 2652), ("ingest during readers", 2652, 4252)):
            before = [s for s in snaps if stored(s[1]) <= lo]
            after = [s for s in snaps if stored(s[1]) >= hi]
            if not before or not after:
                print(f"  {label}: window not found")
                continue
            (t0, d0), (t1, d1) = before[-1], after[0]
            dd = lambda k: d1.get(k, 0) - d0.get(k, 0)
            out = [f"  {label} ({t1 - t0:.0f} s of scrapes, {stored(d1) - stored(d0):.0f} instances): mean ms"]
            for stage in ("receive", "blob_flush", "index_commit"):
                tag = f'{{stage="{stage}"}}'
                c = dd("pacs_ingest_stage_duration_seconds_count" + tag)
                if c:
                    out.append(f"{stage} {dd('pacs_ingest_stage_duration_seconds_sum' + tag) / c * 1000:.1f}")
            key = '{dicom_command="C-STORE",dicom_status_category="success"}'
            c = dd("pacs_dimse_operation_duration_seconds_count" + key)
            if c:
                out.append(f"C-STORE {dd('pacs_dimse_operation_duration_seconds_sum' + key) / c * 1000:.1f}")
            print(", ".join(out))
            for cls in ("interactive", "opening", "bulk"):
                c = dd(f'pacs_dicomweb_read_admission_wait_seconds_count{{class="{cls}"}}')
                if not c:
                    continue
                s = dd(f'pacs_dicomweb_read_admission_wait_seconds_sum{{class="{cls}"}}')
                buckets = sorted((float(re.search(r'le="([^"]+)"', k).group(1).replace("+Inf", "inf")), dd(k))
                                 for k in d1 if k.startswith("pacs_dicomweb_read_admission_wait_seconds_bucket") and f'class="{cls}"' in k)
                at = lambda q: next((le for le, n in buckets if n >= q * c), None)
                print(f"    read admission wait, {cls}: {c:.0f} reads, mean {s / c * 1000:.1f} ms, none {buckets[0][1] / c * 100:.0f} %,"
                      f" p50 ≤ {at(0.5)} s, p95 ≤ {at(0.95)} s")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--metrics"]:
        metrics(sys.argv[2:])
    else:
        rows(sys.argv[1:])
