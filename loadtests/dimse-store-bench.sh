#!/usr/bin/env bash
# C-STORE throughput of our storage SCP (Dicom/Network + a file writer: loadtests/StoreScp) against dcmtk's storescp,
# side by side in one run on the same files: storescu with 1 and 4 associations (../shared/bench harness).
# Everything on 127.0.0.1; every process under a timeout. Usage: loadtests/dimse-store-bench.sh [RUNS]
# TARGETS="storescp ours ours-fsync" (default) chooses the receivers. Every run writes to a folder of its own and
# nothing is deleted until the end: on this machine's journal-less ext4, inode allocation right after a mass delete
# scans the recently deleted inodes (recently_deleted() in the kernel, 1-5 min), which would slow whichever run
# followed a cleanup.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="${BENCH:-$ROOT/../shared/bench}"
RUNS="${1:-3}"
DATA_DIR="${DATA_DIR:-/tmp/bench-data}"
SCRATCH="$(mktemp -d /tmp/pacs-dimse-bench.XXXXXX)"
JSONL="$SCRATCH/results.jsonl"
PORT=14311
PY=/usr/bin/python3
export TCP_NODELAY=1
TARGETS="${TARGETS:-storescp ours ours-fsync}"
trap 'kill $SCP_PID 2>/dev/null || true; rm -rf "$SCRATCH"/out-*' EXIT
SCP_PID=""

[ -f "$DATA_DIR/ct/manifest.json" ] || $PY "$BENCH/gen_dataset.py" ct --out "$DATA_DIR/ct" --quiet
dotnet build "$ROOT/loadtests/StoreScp" -c Release -nologo -v q >/dev/null
OURS="$ROOT/loadtests/StoreScp/bin/Release/net10.0/StoreScp.dll"

start() {  # start NAME OUT
  OUT="$2"; mkdir -p "$OUT"; sync
  case "$1" in
    storescp) timeout 1800 storescp -aet REFSCP -ta 30 -td 300 -ts 300 --fork -od "$OUT" "$PORT" >"$SCRATCH/scp.log" 2>&1 & ;;
    ours) timeout 1800 dotnet "$OURS" --port "$PORT" --out "$OUT" >"$SCRATCH/scp.log" 2>&1 & ;;
    ours-fsync) timeout 1800 dotnet "$OURS" --port "$PORT" --out "$OUT" --fsync >"$SCRATCH/scp.log" 2>&1 & ;;
  esac
  SCP_PID=$!
  for _ in $(seq 1 50); do echoscu -to 2 -aec REFSCP 127.0.0.1 "$PORT" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "$1 did not start: $(cat "$SCRATCH/scp.log")" >&2; exit 1
}
stop() { kill "$SCP_PID" 2>/dev/null || true; wait "$SCP_PID" 2>/dev/null || true; SCP_PID=""; }

STORESCU="storescu -to 10 -ta 30 -td 300 -ts 300 -aet REFSCU -aec REFSCP -R 127.0.0.1 $PORT"
for r in $(seq 1 "$RUNS"); do
  for par in 1 4; do
    for target in $TARGETS; do
      start "$target" "$SCRATCH/out-$r-$par-$target"
      timeout 1300 $PY "$BENCH/driver.py" store --jsonl "$JSONL" --target "$target" --run "$r" \
        --name "store-$par" --parallel "$par" --timeout 1200 --manifest "$DATA_DIR/ct/manifest.json" "$STORESCU"
      echo "   $target received $(find "$OUT" -type f | wc -l) files"
      stop
    done
  done
done
echo "results: $JSONL"
$PY - "$JSONL" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows: by.setdefault((r["name"], r["target"]), []).append(r["rate"])
for name in ("store-1", "store-4"):
    base = statistics.median(by.get((name, "storescp"), [float("nan")]))
    for t in ("storescp", "ours", "ours-fsync"):
        v = by.get((name, t), [])
        if v: print(f"{name} {t:11s} median {statistics.median(v):7.0f} inst/s (min {min(v):.0f}, max {max(v):.0f})  ratio to storescp {statistics.median(v)/base:.2f}")
PY
