#!/usr/bin/env bash
# The whole side-by-side of docs/benchmarks.md in one session on one machine: dcmtk storescp (the disk reference),
# Orthanc (Debian's package, SQLite index: the fastest Orthanc configuration here) and the archive (1 silo + 1 gateway)
# on the shared harness (../shared/bench), same dataset, same clients, back to back.
#   loadtests/compare-all.sh                 # RUNS=3; results in RESULTS_DIR (default /tmp/pacs-compare-<time>)
# Nothing is deleted between the targets (fresh folders for each): on this machine's journal-less ext4, creating
# files within minutes of a mass delete is slowed by the kernel's scan of recently deleted inodes, which would
# penalise whichever target ran after a cleanup. Everything is removed at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="${BENCH:-$ROOT/../shared/bench}"
export RUNS="${RUNS:-3}" DATA_DIR="${DATA_DIR:-/tmp/bench-data}"
RESULTS="${RESULTS_DIR:-/tmp/pacs-compare-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$RESULTS"
log() { echo "== $(date +%T) $*  (load $(cut -d' ' -f1 /proc/loadavg))" | tee -a "$RESULTS/session.log"; }

/usr/bin/python3 "$BENCH/gen_dataset.py" all --out "$DATA_DIR" --store-variants $((2 * RUNS - 1)) --stow-variants "$RUNS" \
  >>"$RESULTS/session.log" 2>&1

log "dcmtk storescp (no fsync), store-1 and store-4"
TARGETS=storescp DATA_DIR="$DATA_DIR" "$ROOT/loadtests/dimse-store-bench.sh" "$RUNS" 2>&1 | tee "$RESULTS/storescp.txt" | grep -E "median|ratio" || true

log "Orthanc (SQLite index, filesystem storage)"
"$BENCH/start-orthanc.sh" sqlite >>"$RESULTS/session.log" 2>&1
RESULTS_DIR="$RESULTS" "$BENCH/run.sh" /tmp/bench-orthanc/orthanc-sqlite.env >>"$RESULTS/session.log" 2>&1 || true
"$BENCH/stop-orthanc.sh" sqlite >>"$RESULTS/session.log" 2>&1

log "Clinton PACS (1 silo, 1 gateway, fsync + committed transaction before every acknowledgement)"
PACS_BENCH_DATA="/tmp/pacs-compare-archive-$$" RESULTS_DIR="$RESULTS" \
  WORKLOADS_AFTER="echo stow qido find metadata retrieve move" "$ROOT/loadtests/archive-bench.sh" >>"$RESULTS/session.log" 2>&1 || true

log "done; cleaning up"
"$BENCH/stop-orthanc.sh" sqlite --wipe >/dev/null 2>&1 || true
rm -rf "/tmp/pacs-compare-archive-$$"
# Ours ran in two harness sessions (ingest, then the rest): one file of results, so the driver sees two targets.
cat "$RESULTS"/clinton-pacs-*.jsonl >"$RESULTS/clinton-all.jsonl"
/usr/bin/python3 "$BENCH/driver.py" compare "$RESULTS/clinton-all.jsonl" "$RESULTS"/orthanc-sqlite-*.jsonl --labels clinton,orthanc \
  | tee "$RESULTS/compare.md"
grep -h "CPU per 1000" "$RESULTS"/clinton-cpu.txt || true
