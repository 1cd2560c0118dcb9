#!/usr/bin/env bash
# The archive (1 silo + 1 gateway, an fsync before every acknowledgement) on the shared harness
# (../shared/bench/run.sh), with CPU-seconds of silo and gateway per 1,000 stored instances.
# Run the references in the same session: ../shared/bench/start-orthanc.sh sqlite|pgindex + run.sh, and
# ../shared/bench/physical.sh for dcmtk storescp. Everything on 127.0.0.1, bounded in time.
#   loadtests/archive-bench.sh            # RUNS=3, store workloads then echo/find/move
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/loadtests/cpu.sh"
. "$ROOT/loadtests/harness.sh"
BENCH="${BENCH:-$ROOT/../shared/bench}"
DATA="${PACS_BENCH_DATA:-/tmp/pacs-bench-archive}"
RESULTS="${RESULTS_DIR:-/tmp/pacs-bench-results}"
export RUNS="${RUNS:-3}" DATA_DIR="${DATA_DIR:-/tmp/bench-data}" RESULTS_DIR="$RESULTS"
# Ports: BENCH_HTTP_PORT, BENCH_DICOM_PORT, BENCH_PG_PORT (and the ./pacs PACS_SILO_*_PORT_BASE variables) when the
# defaults are taken by someone else on a shared machine.
HTTP="${BENCH_HTTP_PORT:-18080}" DICOM="${BENCH_DICOM_PORT:-14112}" PG="${BENCH_PG_PORT:-55442}"
# The harness calls DICOMweb as the first admin (BEARER_TOKEN): a password of this run only, and a token that outlives
# the run (the default access token lives 15 minutes; the harness does not refresh).
export PACS_ADMIN_PASSWORD="Bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')-Pw" Pacs__Auth__AccessTokenLifetime="06:00:00"
mkdir -p "$RESULTS"

# Two targets, one after the other, each a fresh `./pacs up` under $DATA: `ingest/` for store-1 and store-4 (bracketed
# by the CPU readings), `query/` for the rest. The harness computes the expected QIDO and C-FIND counts from the
# datasets one run.sh invocation loaded, so the second invocation must not meet the first one's store sets (in one
# target they showed up as 50 "mismatches" per QIDO run: right answers to a count that left them out).
start_target() {  # start_target FOLDER -> writes $ENV for it
  local dir="$DATA/$1"
  "$ROOT/pacs" down --data "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
  "$ROOT/pacs" up --detach --data "$dir" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" --ae CLINTON
  TARGET="$dir"
  TOKEN=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PACS_ADMIN_PASSWORD\"}" \
    "http://127.0.0.1:$HTTP/auth/token" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -fsS -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"host":"127.0.0.1","port":14243,"description":"bench move destination"}' \
    "http://127.0.0.1:$HTTP/api/dicom-nodes/BENCHSCP" >/dev/null
  ENV="$RESULTS/clinton.env"
  harness_target "$ENV" clinton-pacs \
    "Clinton PACS $(git -C "$ROOT" rev-parse --short HEAD): 1 silo, 1 gateway, PostgreSQL index, filesystem blobs, fsync per instance" \
    "$HTTP" "$DICOM" "$TOKEN" MOVE_DEST_AET=BENCHSCP MOVE_DEST_PORT=14243 "TARGET_DISK_CMD=du -sb $dir/blobs $dir/pg/data"
}
TARGET=""
trap '[[ -n "$TARGET" ]] && "$ROOT/pacs" down --data "$TARGET" >/dev/null 2>&1 || true' EXIT

start_target ingest
sleep "${SETTLE_SECONDS:-0}" # SETTLE_SECONDS: time the fresh hosts get before the first C-STORE (a gateway is rarely sent to the second it starts)
DATA_ROOT="$DATA"
DATA="$TARGET"

cpu() { proc_cpu "$(cat "$DATA/run/$1.pid")"; }  # cpu NAME: of the process named in DATA/run/NAME.pid
count() { PGPASSWORD="$(cat "$DATA/pg-pacs-password")" psql -h "$DATA/pg/sock" -p "$PG" -U pacs -d pacs -Atc "select count(*) from pacs_instances"; }

s0=$(cpu silo-0); g0=$(cpu gateway-0); n0=$(count)
WORKLOADS="store-1 store-4" "$BENCH/run.sh" "$ENV"
s1=$(cpu silo-0); g1=$(cpu gateway-0); n1=$(count)
awk -v s="$(echo "$s1 - $s0" | bc)" -v g="$(echo "$g1 - $g0" | bc)" -v n="$((n1 - n0))" \
  'BEGIN { printf "CPU per 1000 instances stored (%d instances): silo %.2f s, gateway %.2f s\n", n, s * 1000 / n, g * 1000 / n }' \
  | tee "$RESULTS/clinton-cpu.txt"
"$ROOT/pacs" down --data "$TARGET" >/dev/null 2>&1 || true
DATA="$DATA_ROOT"
start_target query
WORKLOADS="${WORKLOADS_AFTER:-echo find move}" "$BENCH/run.sh" "$ENV"
