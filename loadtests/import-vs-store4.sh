#!/usr/bin/env bash
# Import against store-4 (issue 16: `./pacs import` at >= 90 % of the harness' store-4 throughput; docs/benchmarks.md,
# "Index rebuild and import"). Each round is a fresh `./pacs up` (1 silo, 1 gateway, PostgreSQL, a data folder and
# ports of its own) that receives the harness' 1,000-instance CT set twice, under different UIDs: once with
# `./pacs import DIR --parallelism 4` and once with 4 concurrent storescu associations (the harness' driver, as its
# store-4); the order and the sets swap every round (round 1: import ct, then store-4 ct-v1; round 2: store-4 ct, then
# import ct-v1), so that neither a busier machine nor a fuller archive favours one. Files are read into the page cache
# first for both. Prints each rate, the CPU seconds of gateway, silo and PostgreSQL, and the load average.
#   ROUNDS=2 loadtests/import-vs-store4.sh
set -euo pipefail
ROOT="${PACS_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
BENCH="${BENCH:-$(cd "$(dirname "$0")/.." && pwd)/../shared/bench}"
DATA_DIR="${DATA_DIR:-/tmp/bench-data}"
ROUNDS="${ROUNDS:-2}"
WORK="${WORK:-/tmp/pacs-import-vs-store4}"
HTTP="${BENCH_HTTP_PORT:-18580}" DICOM="${BENCH_DICOM_PORT:-14612}" PG="${BENCH_PG_PORT:-55492}"
export PACS_SILO_PORT_BASE="${PACS_SILO_PORT_BASE:-21400}" PACS_SILO_GATEWAY_PORT_BASE="${PACS_SILO_GATEWAY_PORT_BASE:-31400}"
export PACS_SILO_HTTP_PORT_BASE="${PACS_SILO_HTTP_PORT_BASE:-28900}" PACS_METRICS_PORT_BASE=0
export PACS_ADMIN_PASSWORD="Bench-Import-Passw0rd" PACS_PASSWORD="Bench-Import-Passw0rd" TCP_NODELAY=1
URL="http://127.0.0.1:$HTTP"
DATA=""
trap '[[ -n "$DATA" ]] && "$ROOT/pacs" down --data "$DATA" > /dev/null 2>&1 || true' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2> /dev/null || echo 0; }
cpu() {  # CPU ticks so far of the gateway, the silo and PostgreSQL (postmaster, backends, reaped children)
  local gw silo pg child sum
  gw=$(ticks "$(cat "$DATA"/run/gateway-*.pid | head -1)")
  silo=$(ticks "$(cat "$DATA"/run/silo-*.pid | head -1)")
  pg=$(head -1 "$DATA/pg/data/postmaster.pid")
  sum=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pg/stat")
  for child in $(pgrep -P "$pg"); do sum=$((sum + $(ticks "$child"))); done
  echo "$gw $silo $sum"
}
spent() {
  local tick; tick=$(getconf CLK_TCK)
  paste -d' ' <(tr ' ' '\n' <<< "$1") <(tr ' ' '\n' <<< "$2") | awk -v t="$tick" '{ printf "%.1f ", ($2 - $1) / t }' \
    | awk '{ printf "  CPU seconds: gateway %s, silo %s, PostgreSQL %s\n", $1, $2, $3 }'
}
instances() { /usr/bin/python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print(sum(len(se["instances"]) for st in m["studies"] for se in st["series"]))' "$1/manifest.json"; }
warm() { find "$1" -type f -exec cat {} + > /dev/null; }

import_set() {
  local set="$DATA_DIR/$1" n before start seconds out job
  n=$(instances "$set"); warm "$set"
  echo "import $1 ($n instances; load average $(load) before)"
  before=$(cpu); start=$(date +%s.%N)
  out=$("$ROOT/pacs" import "$set" --url "$URL" --parallelism 4 | grep -E '^import (done|failed|stopped)|^  (stored|duplicates|refused) ')
  seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  echo "$out"
  # The job's own clock (its first file to its last) is the rate to compare; the command's adds login and its polling.
  job=$(sed -nE 's/^import done in ([0-9.]+) s.*/\1/p' <<< "$out")
  awk -v n="$n" -v s="$seconds" -v j="${job:-0}" \
    'BEGIN { printf "  import: %d instances, job %.2f s = %.0f instances/s (command %.1f s)\n", n, j, (j > 0 ? n / j : 0), s }'
  spent "$before" "$(cpu)"
}

store4_set() {
  local set="$DATA_DIR/$1" before
  echo "store-4 $1 (load average $(load) before)"
  before=$(cpu)
  /usr/bin/python3 "$BENCH/driver.py" store --name store-4 --parallel 4 --timeout 1200 --manifest "$set/manifest.json" \
    "storescu -to 10 -ta 30 -td 300 -ts 300 -aet BENCHSCU -aec CLINTON -R 127.0.0.1 $DICOM" | grep -E 'RESULT|rate' || true
  spent "$before" "$(cpu)"
}

[[ -f "$DATA_DIR/ct/manifest.json" && -f "$DATA_DIR/ct-v1/manifest.json" ]] \
  || { echo "needs $DATA_DIR/ct and ct-v1: /usr/bin/python3 $BENCH/gen_dataset.py all --out $DATA_DIR" >&2; exit 2; }
echo "hosts of $ROOT (commit $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || cat "$ROOT/.commit" 2> /dev/null || echo unknown))"
mkdir -p "$WORK"
for round in $(seq "$ROUNDS"); do
  # A data folder per round, deleted at the end only (on this machine's ext4 a mass delete slows the next writer).
  DATA="$WORK/data-$round"
  rm -rf "$DATA"
  "$ROOT/pacs" up --detach --no-build --data "$DATA" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" > /dev/null
  echo "round $round"
  if (( round % 2 == 1 )); then
    import_set ct
    store4_set ct-v1
  else
    store4_set ct
    import_set ct-v1
  fi
  "$ROOT/pacs" down --data "$DATA" > /dev/null
  for _ in $(seq 30); do
    ss -Hltn | grep -qE ":($HTTP|$DICOM|$PACS_SILO_PORT_BASE|$PACS_SILO_GATEWAY_PORT_BASE|$PACS_SILO_HTTP_PORT_BASE)\b" || break
    sleep 1
  done
done
DATA=""
rm -rf "$WORK"
