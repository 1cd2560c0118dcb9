#!/usr/bin/env bash
# C-MOVE and WADO-RS whole-series retrieve of the archive against Orthanc (SQLite index), side by side in one go, plus
# the CPU each target spends per C-MOVE sub-operation. Run it inside one hold of the shared CPU lock: it starts its
# targets, measures and stops them again.
#   flock -o /tmp/cpu.lock loadtests/retrieve-side-by-side.sh [LABEL=CHECKOUT ...]    # default: this=<this checkout>
# Each checkout must have been built (dotnet build Cluster.sln -c Release); an old one whose ./pacs has no --no-build is
# started through a copy of its ./pacs with the build steps removed (.pacs-nobuild), its node API found either way.
# Per target, in the order "orthanc" (unless ORTHANC=0) then the checkouts, repeated ROUNDS times:
#   1. the shared harness (BENCH/run.sh) with WORKLOADS (default "retrieve move"), RUNS (3) runs each; the ct set is
#      loaded by the harness on a fresh target; FRAMES_C1 / FRAMES_C8 default to 30 / 80 here (frames are not the
#      subject; the harness' defaults are 300 / 800);
#   2. MOVES (20) more C-MOVEs of the first ct study (100 instances) to a storescp --ignore on the harness' move
#      destination port (14243, AE BENCHSCP), one movescu each, with the target's CPU (ours: gateway + silo +
#      PostgreSQL; Orthanc: its process) and storescp's read before and after: "move-cpu" lines in RESULTS/session.log
#      with the wall time and CPU per sub-operation.
# Environment: BENCH (../shared/bench), DATA_DIR (/tmp/bench-data), WORK (/var/tmp/retrieve-sbs: data folders,
# deleted at the end unless KEEP=1), RESULTS (WORK/results), PORTS ("HTTP DICOM PG SILO SILO_GATEWAY SILO_HTTP
# METRICS" for our clusters), TARGET_ENV (extra environment for our hosts, e.g. "DOTNET_PerfMapEnabled=1"),
# PERF (1: perf record -g of our gateway during the MOVES loop, WORK/<label>-<round>.perf + its perf map kept).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/loadtests/cpu.sh"
. "$ROOT/loadtests/harness.sh"
BENCH="${BENCH:-$ROOT/../shared/bench}"
export DATA_DIR="${DATA_DIR:-/tmp/bench-data}" RUNS="${RUNS:-3}"
export FRAMES_C1="${FRAMES_C1:-30}" FRAMES_C8="${FRAMES_C8:-80}"
WORKLOADS="${WORKLOADS:-retrieve move}"
WORK="${WORK:-/var/tmp/retrieve-sbs}"
RESULTS="${RESULTS:-$WORK/results}"
ROUNDS="${ROUNDS:-1}" MOVES="${MOVES:-20}" ORTHANC="${ORTHANC:-1}"
read -r HTTP DICOM PG SILO SILO_GW SILO_HTTP METRICS <<<"${PORTS:-18900 12900 55900 17100 17200 17300 17400}"
export Pacs__AdminToken="rt-$(od -An -N16 -tx8 /dev/urandom | tr -d ' \n')"
export TCP_NODELAY=1 PACS_ADMIN_PASSWORD="Rt-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')-Pw" Pacs__Auth__AccessTokenLifetime="06:00:00"
export PACS_SILO_PORT_BASE="$SILO" PACS_SILO_GATEWAY_PORT_BASE="$SILO_GW" PACS_SILO_HTTP_PORT_BASE="$SILO_HTTP" PACS_METRICS_PORT_BASE="$METRICS"
mkdir -p "$WORK" "$RESULTS"
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("this=$ROOT")
log() { echo "== $(date +%T) $*  (load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$RESULTS/session.log"; }

STUDY=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["studies"][0]["StudyInstanceUID"])' "$DATA_DIR/ct/manifest.json")
NSUB=$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["studies"][0]; print(sum(len(se["instances"]) for se in s["series"]))' "$DATA_DIR/ct/manifest.json")

CURRENT=""  # the data folder of the cluster that is up, or "orthanc"
stop_current() {
  if [[ "$CURRENT" == orthanc ]]; then
    "$BENCH/stop-orthanc.sh" sqlite --wipe >>"$RESULTS/session.log" 2>&1 || true
  elif [[ -n "$CURRENT" ]]; then
    "$ROOT/pacs" down --data "$CURRENT" >>"$RESULTS/session.log" 2>&1 || true
  fi
  CURRENT=""
}
SCP_PID=""
trap '[[ -n "$SCP_PID" ]] && kill "$SCP_PID" 2>/dev/null; stop_current; [[ "${KEEP:-0}" == 1 ]] || rm -rf "$WORK"/data-*' EXIT

target_cpu() {  # target_cpu -> CPU-seconds of the running target's processes, then of its gateway alone (ours)
  if [[ "$CURRENT" == orthanc ]]; then
    echo "$(proc_cpu "$(cat /tmp/bench-orthanc/sqlite/orthanc.pid)") 0"
  else
    echo "$(proc_cpu "$(cat "$CURRENT/run/gateway-0.pid")") $(proc_cpu "$(cat "$CURRENT/run/silo-0.pid")") $(pg_cpu "$CURRENT/pg/data")" \
      | awk '{ print $1 + $2 + $3, $1 }'
  fi
}

start_ours() {  # start_ours LABEL CHECKOUT ROUND -> ENV
  local dir="$WORK/data-$1-$3" pacs nobuild; read -r pacs nobuild <<<"$(pacs_of "$2")"
  rm -rf "$dir"
  # shellcheck disable=SC2086
  env ${TARGET_ENV:-} $pacs up $nobuild --detach --data "$dir" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" --ae CLINTON \
    >>"$RESULTS/session.log" 2>&1
  CURRENT="$dir"
  # An account's token; code from before accounts (November) takes the static Pacs__AdminToken instead.
  local token
  token=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PACS_ADMIN_PASSWORD\"}" \
    "http://127.0.0.1:$HTTP/auth/token" 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' 2>/dev/null) \
    || token="$Pacs__AdminToken"
  local node='{"host":"127.0.0.1","port":14243,"description":"bench move destination"}'
  curl -fsS -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$node" \
    "http://127.0.0.1:$HTTP/api/dicom-nodes/BENCHSCP" >/dev/null 2>&1 \
    || curl -fsS -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$node" \
      "http://127.0.0.1:$HTTP/api/admin/nodes/BENCHSCP" >/dev/null
  ENV="$RESULTS/$1-$3.env"
  harness_target "$ENV" "clinton-$1" "Clinton PACS $1 $(git -C "$2" rev-parse --short HEAD): 1 silo, 1 gateway, round $3" \
    "$HTTP" "$DICOM" "$token" MOVE_DEST_AET=BENCHSCP MOVE_DEST_PORT=14243
}

start_orthanc() {
  "$BENCH/start-orthanc.sh" sqlite >>"$RESULTS/session.log" 2>&1
  CURRENT=orthanc
  ENV=/tmp/bench-orthanc/orthanc-sqlite.env
}

move_cpu() {  # move_cpu LABEL: MOVES C-MOVEs of one study with the CPU of target and destination
  local aec port
  aec=$(sed -n 's/^CALLED_AET=//p' "$ENV"); port=$(sed -n 's/^DICOM_PORT=//p' "$ENV")
  timeout 900 storescp -aet BENCHSCP --ignore -ta 30 -td 300 -ts 300 14243 >"$WORK/storescp.log" 2>&1 &
  SCP_PID=$!
  sleep 0.5
  local scp; scp=$(pgrep -P "$SCP_PID" storescp)  # the storescp under timeout, whose CPU is read
  local perf_pid=""
  if [[ "${PERF:-0}" == 1 && "$CURRENT" != orthanc ]]; then
    perf record -F 999 -g -p "$(cat "$CURRENT/run/gateway-0.pid")" -o "$WORK/$1.perf" >/dev/null 2>&1 &
    perf_pid=$!
    sleep 1
  fi
  local c0 g0 d0 t0 c1 g1 d1 t1 fails=0
  read -r c0 g0 <<<"$(target_cpu)"; d0=$(proc_cpu "$scp"); t0=$(date +%s.%N)
  for _ in $(seq 1 "$MOVES"); do
    timeout 300 movescu -to 10 -ta 30 -td 300 -S -aet BENCHSCU -aec "$aec" -aem BENCHSCP \
      -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" 127.0.0.1 "$port" >"$WORK/movescu.log" 2>&1 || fails=$((fails + 1))
  done
  t1=$(date +%s.%N); read -r c1 g1 <<<"$(target_cpu)"; d1=$(proc_cpu "$scp")
  if [[ -n "$perf_pid" ]]; then
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    cp "/tmp/perf-$(cat "$CURRENT/run/gateway-0.pid").map" "$WORK/$1.map" 2>/dev/null || true
  fi
  kill "$SCP_PID" 2>/dev/null; wait "$SCP_PID" 2>/dev/null || true; SCP_PID=""
  awk -v l="$1" -v n="$((MOVES * NSUB))" -v w="$(echo "$t1 - $t0" | bc)" -v c="$(echo "$c1 - $c0" | bc)" -v d="$(echo "$d1 - $d0" | bc)" -v f="$fails" -v g="$(echo "$g1 - $g0" | bc)" \
    'BEGIN { printf "move-cpu %s: %d sub-operations in %.2f s = %.0f inst/s, %.3f ms each; target CPU %.3f ms (gateway %.3f), storescp CPU %.3f ms per sub-operation; movescu failures %d\n", l, n, w, n / w, w * 1000 / n, c * 1000 / n, g * 1000 / n, d * 1000 / n, f }' \
    | tee -a "$RESULTS/session.log"
}

for round in $(seq 1 "$ROUNDS"); do
  order=()
  [[ "$ORTHANC" == 1 ]] && order+=("orthanc")
  order+=("${TARGETS[@]}")
  for t in "${order[@]}"; do
    label=${t%%=*}
    log "round $round: $label"
    if [[ "$t" == orthanc ]]; then start_orthanc; else start_ours "$label" "${t#*=}" "$round"; fi
    WORKLOADS="$WORKLOADS" RESULTS_DIR="$RESULTS" "$BENCH/run.sh" "$ENV" >>"$RESULTS/session.log" 2>&1 || log "run.sh failed for $label"
    grep -h '"name": "\(move\|retrieve-series-c1\|retrieve-series-c8\)"' "$(ls -t "$RESULTS"/*.jsonl | head -1)" \
      | /usr/bin/python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l); print("  %-20s run %s: %8.2f %s, p50 %.2f ms" % (r["name"], r["run"], r["rate"], r["unit"], r.get("p50_ms") or 0))' \
      | tee -a "$RESULTS/session.log"
    [[ "$MOVES" -gt 0 ]] && move_cpu "$label-$round"
    stop_current
    sleep 3
  done
done
log "done"
