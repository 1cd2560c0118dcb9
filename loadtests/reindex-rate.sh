#!/usr/bin/env bash
# Index rebuild rate (issue 16; docs/benchmarks.md, "Index rebuild and import"). A fresh `./pacs up` (1 silo, 1 gateway,
# a data folder and ports of its own), N CT-sized instances (CT_small's header with 512x512 16-bit pixels, 514 KiB each,
# in STUDIES studies) imported with `./pacs import`, the index rows deleted and the cluster restarted (no study grain
# remembers them), then `./pacs reindex` timed; VERIFY=1 times `./pacs reindex --restart --verify` (every blob read
# whole and hashed) after it. Prints each rate with the load average; the hosts are used as last built (Release).
# PACS_ROOT=DIR runs the hosts and ./pacs of another built tree (an A/B pair against a copy of an older commit); the
# generated set is kept in WORK/set and used again by the next run with the same N and STUDIES.
# REUSE=1 keeps the data folder of the last run when it holds the same set (no import: the index rows are truncated and
# the checkpoint removed instead). WARM=1 times two rebuilds of half the study folders each on the same hosts (the
# checkpoint names the other half as done): the first on freshly started hosts (JIT warm-up included), the second on
# warm ones (its study grains never active before). The hosts get this script's environment (e.g. DOTNET_TieredPGO=0).
#   loadtests/reindex-rate.sh              # N=2000 STUDIES=20 PARALLELISM=4
set -euo pipefail
ROOT="${PACS_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
N="${N:-2000}" STUDIES="${STUDIES:-20}" PARALLELISM="${PARALLELISM:-4}" VERIFY="${VERIFY:-0}" PERF="${PERF:-}"
REUSE="${REUSE:-0}" WARM="${WARM:-0}"
WORK="${WORK:-/tmp/pacs-reindex-rate}"
HTTP="${BENCH_HTTP_PORT:-18580}" DICOM="${BENCH_DICOM_PORT:-14612}" PG="${BENCH_PG_PORT:-55492}"
export PACS_SILO_PORT_BASE="${PACS_SILO_PORT_BASE:-21400}" PACS_SILO_GATEWAY_PORT_BASE="${PACS_SILO_GATEWAY_PORT_BASE:-31400}"
export PACS_SILO_HTTP_PORT_BASE="${PACS_SILO_HTTP_PORT_BASE:-28900}" PACS_METRICS_PORT_BASE=0
export PACS_ADMIN_PASSWORD="Bench-Reindex-Passw0rd" PACS_PASSWORD="Bench-Reindex-Passw0rd"
DATA="$WORK/data" SET="$WORK/set"
URL="http://127.0.0.1:$HTTP"
up() { "$ROOT/pacs" up --detach --no-build --data "$DATA" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" > /dev/null; }
trap '"$ROOT/pacs" down --data "$DATA" > /dev/null 2>&1 || true' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
# CPU seconds used so far by the gateway, the silo and this cluster's PostgreSQL (the postmaster, its children, and
# the children it has reaped), as "gateway silo postgres": on a shared machine, what the rebuild itself costs.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2> /dev/null || echo 0; }
cpu() {
  local gw silo pg child sum
  gw=$(ticks "$(cat "$DATA"/run/gateway-*.pid | head -1)")
  silo=$(ticks "$(cat "$DATA"/run/silo-*.pid | head -1)")
  pg=$(head -1 "$DATA/pg/data/postmaster.pid")
  sum=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pg/stat")
  for child in $(pgrep -P "$pg"); do sum=$((sum + $(ticks "$child"))); done
  echo "$gw $silo $sum"
}
spent() {  # spent BEFORE AFTER [INSTANCES]: CPU seconds each between two cpu readings (and ms per instance, all three)
  local tick; tick=$(getconf CLK_TCK)
  paste -d' ' <(tr ' ' '\n' <<< "$1") <(tr ' ' '\n' <<< "$2") | awk -v t="$tick" '{ printf "%.2f ", ($2 - $1) / t }' \
    | awk -v n="${3:-0}" '{ printf "CPU seconds: gateway %s, silo %s, PostgreSQL %s", $1, $2, $3
                            if (n > 0) printf " (%.2f ms per instance)", ($1 + $2 + $3) * 1000 / n
                            printf "\n" }'
}

"$ROOT/pacs" down --data "$DATA" > /dev/null 2>&1 || true
generate() {
  rm -rf "$WORK" && mkdir -p "$SET"
  echo "generating $N instances in $STUDIES studies into $SET"
  /usr/bin/python3 - "$ROOT/tests/Dicom.Tests/Corpus/test_files/CT_small.dcm" "$SET" "$N" "$STUDIES" <<'PY'
import sys
import pydicom
from pydicom.uid import generate_uid
source, out, n, studies = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ds = pydicom.dcmread(source)
ds.Rows, ds.Columns = 512, 512
ds.PixelData = bytes(range(256)) * (512 * 512 * 2 // 256)
per = -(-n // studies)
for i in range(n):
    if i % per == 0:
        ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.InstanceNumber = i % per + 1
    ds.save_as(f"{out}/{i:05d}.dcm")
PY
  echo "$N $STUDIES" > "$WORK/set.made"
}
reusing=0
if [[ "$REUSE" == 1 && "$(cat "$DATA/imported" 2> /dev/null)" == "$N $STUDIES" ]]; then
  reusing=1 # the set itself is not needed (and may have been deleted to save space)
elif [[ "$(cat "$WORK/set.made" 2> /dev/null)" == "$N $STUDIES" ]]; then
  echo "using the $N instances in $STUDIES studies of $SET"
else
  generate
fi
[[ $reusing == 1 ]] || { chmod a+rX "$WORK" && chmod -R a+rX "$SET"; }
echo "hosts of $ROOT (commit $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || cat "$ROOT/.commit" 2> /dev/null || echo unknown))"

truncate_index() {
  PGPASSWORD="$(cat "$DATA/pg-pacs-password")" psql -h 127.0.0.1 -p "$PG" -U pacs -d pacs -qtA -v ON_ERROR_STOP=1 \
    -c "TRUNCATE pacs_instances, pacs_series, pacs_studies, pacs_patients, pacs_blob_intents CASCADE"
}
if [[ $reusing == 1 ]]; then
  echo "using the blobs already imported into $DATA"
  up
  # The last run's rebuild (and its checkpoint) undone.
  truncate_index
  rm -rf "$DATA/blobs/.reindex"
else
  rm -rf "$DATA"
  up
  echo "import (load average $(load)):"
  before=$(cpu)
  "$ROOT/pacs" import "$SET" --url "$URL" --parallelism "$PARALLELISM" | grep -E '^import (done|failed|stopped)'
  spent "$before" "$(cpu)"
  # The disaster: the index rows are gone.
  truncate_index
  echo "$N $STUDIES" > "$DATA/imported"
fi
# The hosts restart so that no study grain remembers the deleted rows.
"$ROOT/pacs" down --data "$DATA" > /dev/null
# The ports of the hosts just stopped may take a moment to be free again.
for _ in $(seq 30); do
  ss -Hltn | grep -qE ":($HTTP|$DICOM|$PACS_SILO_PORT_BASE|$PACS_SILO_GATEWAY_PORT_BASE|$PACS_SILO_HTTP_PORT_BASE)\b" || break
  sleep 1
done
up
# What starting cost them (the JIT settings trade this against the rebuild's CPU): their CPU seconds so far.
spent "0 0 0" "$(cpu)" | sed 's/^CPU seconds/hosts started, CPU seconds since their start/; s/, PostgreSQL.*//'
# Seconds PostgreSQL's backends spent executing statements in the pacs database (pg_stat_database.active_time, PG 14+;
# a backend reports it when idle, within 10 s: the caller waits that long first).
sql_seconds() {
  PGPASSWORD="$(cat "$DATA/pg-pacs-password")" psql -h 127.0.0.1 -p "$PG" -U pacs -d pacs -qtA \
    -c "SELECT round((active_time / 1000)::numeric, 2) FROM pg_stat_database WHERE datname = 'pacs'"
}
rebuild() {  # rebuild LABEL [ARGS]: one ./pacs reindex, with the load average and the CPU it cost
  local label=$1; shift
  sleep 11
  local sql; sql=$(sql_seconds)
  echo "reindex $* ($label; load average $(load) before):"
  local before perf="" out read; before=$(cpu)
  if [[ -n "$PERF" && $# -eq 0 ]]; then
    # PERF=DIR: samples of the gateway and the silo during the rebuild (with DOTNET_PerfMapEnabled=1 in the environment
    # for managed names), then `perf report -i DIR/perf.data --sort comm,dso,sym`.
    mkdir -p "$PERF"
    perf record -F 199 -g -o "$PERF/perf.data" -p "$(cat "$DATA"/run/gateway-*.pid | head -1),$(cat "$DATA"/run/silo-*.pid | head -1)" \
      > "$PERF/perf.log" 2>&1 &
    perf=$!
  fi
  out=$("$ROOT/pacs" reindex --url "$URL" --parallelism "$PARALLELISM" "$@" | grep -E '^reindex (done|failed|stopped)|^  time ' || true)
  echo "$out"
  read=$(sed -nE 's/^reindex [a-z]+ in [0-9.]+ s: [0-9]+ blobs, ([0-9]+) read .*/\1/p' <<< "$out")
  spent "$before" "$(cpu)" "${read:-0}"
  if [[ -n "$perf" ]]; then kill -INT "$perf"; wait "$perf" || true; PERF=""; fi
  echo "load average after: $(load)"
  sleep 11
  echo "SQL: PostgreSQL backends active $(awk -v a="$sql" -v b="$(sql_seconds)" 'BEGIN { printf "%.1f", b - a }') s"
}
if [[ "$WARM" == 1 ]]; then
  # Two halves of the study folders, each rebuilt while the checkpoint names the other as done.
  mapfile -t folders < <(find "$DATA/blobs" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n' | sort)
  half=$((${#folders[@]} / 2))
  mkdir -p "$DATA/blobs/.reindex"
  printf '%s\n' "${folders[@]:half}" > "$DATA/blobs/.reindex/studies-done"
  rebuild "fresh hosts, first $half study folders"
  printf '%s\n' "${folders[@]:0:half}" > "$DATA/blobs/.reindex/studies-done"
  rebuild "warm hosts, the other $((${#folders[@]} - half)) study folders"
else
  rebuild "fresh hosts"
fi
[[ "$VERIFY" == 1 ]] && rebuild "warm hosts" --restart --verify
exit 0
