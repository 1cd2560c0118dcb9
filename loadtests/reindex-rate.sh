#!/usr/bin/env bash
# Index rebuild rate (issue 16; docs/benchmarks.md, "Index rebuild and import"). A fresh `./pacs up` (1 silo, 1 gateway,
# a data folder and ports of its own), N CT-sized instances (CT_small's header with 512x512 16-bit pixels, 514 KiB each,
# in STUDIES studies) imported with `./pacs import`, the index rows deleted and the cluster restarted (no study grain
# remembers them), then `./pacs reindex` timed; VERIFY=1 times `./pacs reindex --restart --verify` (every blob read
# whole and hashed) after it. Prints each rate with the load average; the hosts are used as last built (Release).
# PACS_ROOT=DIR runs the hosts and ./pacs of another built tree (an A/B pair against a copy of an older commit); the
# generated set is kept in WORK/set and used again by the next run with the same N and STUDIES.
#   loadtests/reindex-rate.sh              # N=2000 STUDIES=20 PARALLELISM=4
set -euo pipefail
ROOT="${PACS_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
N="${N:-2000}" STUDIES="${STUDIES:-20}" PARALLELISM="${PARALLELISM:-4}" VERIFY="${VERIFY:-0}" PERF="${PERF:-}"
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
spent() {  # spent BEFORE AFTER: CPU seconds each between two cpu readings
  local tick; tick=$(getconf CLK_TCK)
  paste -d' ' <(tr ' ' '\n' <<< "$1") <(tr ' ' '\n' <<< "$2") | awk -v t="$tick" '{ printf "%.1f ", ($2 - $1) / t }' \
    | awk '{ printf "CPU seconds: gateway %s, silo %s, PostgreSQL %s\n", $1, $2, $3 }'
}

"$ROOT/pacs" down --data "$DATA" > /dev/null 2>&1 || true
rm -rf "$DATA"
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
if [[ "$(cat "$WORK/set.made" 2> /dev/null)" == "$N $STUDIES" ]]; then
  echo "using the $N instances in $STUDIES studies of $SET"
else
  generate
fi
chmod -R a+rX "$WORK"
echo "hosts of $ROOT (commit $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || cat "$ROOT/.commit" 2> /dev/null || echo unknown))"

up
echo "import (load average $(load)):"
before=$(cpu)
"$ROOT/pacs" import "$SET" --url "$URL" --parallelism "$PARALLELISM" | grep -E '^import (done|failed|stopped)'
spent "$before" "$(cpu)"

# The disaster: the index rows are gone; the hosts restart so that no study grain remembers them.
PGPASSWORD="$(cat "$DATA/pg-pacs-password")" psql -h 127.0.0.1 -p "$PG" -U pacs -d pacs -qtA -v ON_ERROR_STOP=1 \
  -c "TRUNCATE pacs_instances, pacs_series, pacs_studies, pacs_patients, pacs_blob_intents CASCADE"
"$ROOT/pacs" down --data "$DATA" > /dev/null
# The ports of the hosts just stopped may take a moment to be free again.
for _ in $(seq 30); do
  ss -Hltn | grep -qE ":($HTTP|$DICOM|$PACS_SILO_PORT_BASE|$PACS_SILO_GATEWAY_PORT_BASE|$PACS_SILO_HTTP_PORT_BASE)\b" || break
  sleep 1
done
up
# Seconds PostgreSQL's backends spent executing statements in the pacs database (pg_stat_database.active_time, PG 14+;
# a backend reports it when idle, within 10 s: the caller waits that long first).
sql_seconds() {
  PGPASSWORD="$(cat "$DATA/pg-pacs-password")" psql -h 127.0.0.1 -p "$PG" -U pacs -d pacs -qtA \
    -c "SELECT round((active_time / 1000)::numeric, 2) FROM pg_stat_database WHERE datname = 'pacs'"
}
rebuild() {  # rebuild [ARGS]: one ./pacs reindex, with the load average and the CPU it cost
  sleep 11
  local sql; sql=$(sql_seconds)
  echo "reindex $* (load average $(load) before):"
  local before perf=""; before=$(cpu)
  if [[ -n "$PERF" && $# -eq 0 ]]; then
    # PERF=DIR: samples of the gateway and the silo during the rebuild (with DOTNET_PerfMapEnabled=1 in the environment
    # for managed names), then `perf report -i DIR/perf.data --sort comm,dso,sym`.
    mkdir -p "$PERF"
    perf record -F 199 -g -o "$PERF/perf.data" -p "$(cat "$DATA"/run/gateway-*.pid | head -1),$(cat "$DATA"/run/silo-*.pid | head -1)" \
      > "$PERF/perf.log" 2>&1 &
    perf=$!
  fi
  "$ROOT/pacs" reindex --url "$URL" --parallelism "$PARALLELISM" "$@" | grep -E '^reindex (done|failed|stopped)|^  time '
  spent "$before" "$(cpu)"
  if [[ -n "$perf" ]]; then kill -INT "$perf"; wait "$perf" || true; fi
  echo "load average after: $(load)"
  sleep 11
  echo "SQL: PostgreSQL backends active $(awk -v a="$sql" -v b="$(sql_seconds)" 'BEGIN { printf "%.1f", b - a }') s"
}
rebuild
[[ "$VERIFY" == 1 ]] && rebuild --restart --verify
exit 0
