#!/usr/bin/env bash
# store-4 side by side in one run (one CPU lock hold): dcmtk storescp, Orthanc SQLite, two builds of the archive
# (A_DIR, default /work/main, and this checkout), Orthanc again; 3 runs each through the shared harness
# (../shared/bench/run.sh, WORKLOADS=store-4), each archive a fresh ./pacs up --no-build (both built in Release), with
# the CPU-seconds of silo, gateway and PostgreSQL per 1,000 instances over its three runs (the first on fresh hosts).
#   OUT=/var/tmp/cmp A_DIR=/work/main loadtests/store4-side-by-side.sh
#   OUT=/var/tmp/cmp ARCHIVES="LABEL=CHECKOUT[,VAR=VALUE...] ..." loadtests/store4-side-by-side.sh   # other archives (below)
# Ports: HTTP, DICOM, PG (18600 12600 55600) and PACS_*_PORT_BASE (14100 14200 14300 14400) as env; Orthanc's are the harness'.
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
. loadtests/cpu.sh
. loadtests/harness.sh
A_DIR=${A_DIR:-/work/main}
HTTP=${HTTP:-18600} DICOM=${DICOM:-12600} PG=${PG:-55600}
OUT=${OUT:-/var/tmp/store4-cmp/$(date -u +%H%M%S)}
mkdir -p "$OUT"
BENCH=${BENCH:-$ROOT/../shared/bench}
export RUNS=3 DATA_DIR=/tmp/bench-data TCP_NODELAY=1
log() { echo "== $(date -u +%T) $*  load $(cat /proc/loadavg)" | tee -a "$OUT/session.log"; }
log "start"
TARGETS=storescp loadtests/dimse-store-bench.sh 3 > "$OUT/storescp.txt" 2>&1; grep -E 'store-4|median' "$OUT/storescp.txt" | tail -5 | tee -a "$OUT/session.log"
log "orthanc"
"$BENCH/start-orthanc.sh" sqlite >> "$OUT/session.log" 2>&1
WORKLOADS=store-4 RESULTS_DIR="$OUT" "$BENCH/run.sh" /tmp/bench-orthanc/orthanc-sqlite.env >> "$OUT/session.log" 2>&1
"$BENCH/stop-orthanc.sh" sqlite >> "$OUT/session.log" 2>&1
archive() {  # archive LABEL CHECKOUT [ENV...]
  local label=$1 dir=$2; shift 2
  local data=${DATA_PREFIX:-/var/tmp/store4-cmp}-$label-$(date -u +%H%M%S)
  export PACS_ADMIN_PASSWORD="Cmp-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')-Pw"
  log "archive $label ($dir $(git -C "$dir" rev-parse --short HEAD)) $*"
  env "$@" PACS_SILO_PORT_BASE=${PACS_SILO_PORT_BASE:-14100} PACS_SILO_GATEWAY_PORT_BASE=${PACS_SILO_GATEWAY_PORT_BASE:-14200} \
    PACS_SILO_HTTP_PORT_BASE=${PACS_SILO_HTTP_PORT_BASE:-14300} PACS_METRICS_PORT_BASE=${PACS_METRICS_PORT_BASE:-14400} \
    "$dir/pacs" up --no-build --detach --data "$data" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" --ae CLINTON > "$OUT/$label.up.log" 2>&1 || { tail "$OUT/$label.up.log"; return; }
  local token; token=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PACS_ADMIN_PASSWORD\"}" \
    "http://127.0.0.1:$HTTP/auth/token" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  harness_target "$OUT/$label.env" "$label" \
    "Clinton PACS $label $(git -C "$dir" rev-parse --short HEAD) $*: 1 silo, 1 gateway, fsync + commit per instance" "$HTTP" "$DICOM" "$token"
  local s0 g0 p0 s1 g1 p1 spid gpid
  spid=$(cat "$data/run/silo-0.pid"); gpid=$(cat "$data/run/gateway-0.pid")
  s0=$(proc_cpu "$spid"); g0=$(proc_cpu "$gpid"); p0=$(pg_cpu "$data/pg/data")
  WORKLOADS=store-4 RESULTS_DIR="$OUT" "$BENCH/run.sh" "$OUT/$label.env" >> "$OUT/session.log" 2>&1
  sleep 1
  s1=$(proc_cpu "$spid"); g1=$(proc_cpu "$gpid"); p1=$(pg_cpu "$data/pg/data")
  local n; n=$(PGPASSWORD="$(cat "$data/pg-pacs-password")" psql -h 127.0.0.1 -p "$PG" -U pacs -d pacs -Atc "select count(*) from pacs_instances")
  awk -v l="$label" -v n="$n" -v s="$(echo "$s1 - $s0" | bc)" -v g="$(echo "$g1 - $g0" | bc)" -v p="$(echo "$p1 - $p0" | bc)" \
    'BEGIN { printf "%s: CPU s per 1000 over the 3 runs (%d instances, first run on fresh hosts): silo %.2f gateway %.2f pg %.2f total %.2f\n", l, n, s*1000/n, g*1000/n, p*1000/n, (s+g+p)*1000/n }' | tee -a "$OUT/session.log"
  # Where a C-STORE's time went: the gateway's stage histograms and the silo's PostgreSQL statement durations.
  curl -fsS "http://127.0.0.1:${PACS_METRICS_PORT_BASE:-14400}/metrics" 2>/dev/null \
    | grep -E '^pacs_ingest_stage_duration_seconds_(sum|count)|^pacs_dimse_operation_duration_seconds_(sum|count).*C-STORE' > "$OUT/$label.gateway-stages" || true
  curl -fsS "http://127.0.0.1:$(( ${PACS_METRICS_PORT_BASE:-14400} + 1 ))/metrics" 2>/dev/null \
    | grep -E '^db_client_operation_duration_seconds_(sum|count)|^pacs_study_commit' > "$OUT/$label.silo-db" || true
  "$dir/pacs" down --data "$data" > /dev/null 2>&1
  sleep 3
}
if [[ -n "${ARCHIVES:-}" ]]; then
  # ARCHIVES="LABEL=CHECKOUT[,VAR=VALUE...] ...": these archives in turn instead, e.g. one build with and without a
  # variable: ARCHIVES="on=/work/wt off=/work/wt,SOME_SWITCH=0"
  for spec in $ARCHIVES; do
    label=${spec%%=*} rest=${spec#*=}
    IFS=, read -r -a parts <<<"$rest"
    archive "$label" "${parts[0]}" "${parts[@]:1}"
  done
else
  archive main "$A_DIR"
  archive store4 "$ROOT"
fi
log "orthanc again"
"$BENCH/start-orthanc.sh" sqlite >> "$OUT/session.log" 2>&1
WORKLOADS=store-4 RESULTS_DIR="$OUT" "$BENCH/run.sh" /tmp/bench-orthanc/orthanc-sqlite.env >> "$OUT/session.log" 2>&1
"$BENCH/stop-orthanc.sh" sqlite --wipe >> "$OUT/session.log" 2>&1
log "end"
grep -h 'store-4' "$OUT"/*.md 2>/dev/null | head -20
