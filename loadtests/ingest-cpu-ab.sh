#!/usr/bin/env bash
# CPU-seconds per 1,000 CT instances stored, for silo, gateway and PostgreSQL apart, of two builds of the archive run
# alternately on the same machine (A B B A A B ...), so that a machine getting busier or quieter favours neither.
# Each run is a fresh cluster (`./pacs up` of that checkout, 1 silo + 1 gateway, a data folder of its own, never
# deleted before the end: on this VM's journal-less ext4 a mass deletion slows the next file creations for minutes):
#   cold: the harness' `ct` set (1,000 CT instances, 10 studies) over 4 storescu associations, JIT warm-up included;
#   warm: then `ct-v1` (the same with fresh UIDs) the same way: the figure to compare.
# Both checkouts must have been built in Release (`dotnet build Cluster.sln -c Release`); a checkout whose ./pacs has no
# --no-build (before 2026-12) is started through a copy of its ./pacs with the build steps removed (.pacs-nobuild).
#   loadtests/ingest-cpu-ab.sh A_LABEL A_CHECKOUT B_LABEL B_CHECKOUT [PAIRS]
#   e.g. loadtests/ingest-cpu-ab.sh old /work/wt-ingest-old new "$PWD" 2
# Environment: DATA_DIR (/tmp/bench-data: gen_dataset.py all), WORK (/var/tmp/ingest-ab: data folders, kept),
# A_PORTS / B_PORTS ("HTTP DICOM PG SILO SILO_GATEWAY SILO_HTTP METRICS"), A_ENV / B_ENV (extra environment for that
# side's hosts, e.g. B_ENV="Pacs__Telemetry__Enabled=false"), RESULTS (a file the rows are appended to), PROFILE
# (strace: syscall counts of gateway and silo during the warm phase, in DATA.strace-*; perf: their stacks, DATA.perf-*,
# with B_ENV/A_ENV="DOTNET_PerfMapEnabled=1"; perf-all: the whole machine, DATA.perf-all), ASSOCIATIONS (4: the harness' store-4; 1 for its store-1),
# IDLE_SECONDS (10: the hosts' CPU while nothing is sent, after the runs),
# QIDO (0: after the warm phase, that many QIDO-RS requests twice, "qido-cold" then "qido-warm", over one keep-alive
# connection, a study search, a series search and an instance search in turn; CPU seconds per 1,000 requests),
# DELETE_DATA (0; 1: each run's data folder deleted once it is down), PHASES ("cold:ct warm:ct-v1": NAME:SET pairs stored
# one after another on the same hosts, e.g. add "w3:ct-v2 w4:ct-v3" for the warm-up curve; PROFILE applies to "warm").
# Each run also leaves DATA.stages: the gateway's ingest stage histograms (receive, blob_flush, index_commit) and its
# C-STORE duration, sums and counts over both phases, scraped from its metrics port before it stops.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/loadtests/cpu.sh"
. "$ROOT/loadtests/harness.sh"
A_LABEL=$1 A_DIR=$(cd "$2" && pwd) B_LABEL=$3 B_DIR=$(cd "$4" && pwd) PAIRS=${5:-2}
DATA_DIR=${DATA_DIR:-/tmp/bench-data}
WORK=${WORK:-/var/tmp/ingest-ab}
RESULTS=${RESULTS:-$WORK/results.txt}
A_PORTS=${A_PORTS:-"18381 11313 55333 21320 31320 28720 19480"}
B_PORTS=${B_PORTS:-"18380 11312 55332 21310 31310 28710 19470"}
export TCP_NODELAY=1 # as the harness: dcmtk without Nagle's delays
export PACS_ADMIN_PASSWORD="Ab-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')-Pw"
mkdir -p "$WORK"
for set in ct ct-v1; do
  [[ -f "$DATA_DIR/$set/manifest.json" ]] || { echo "missing $DATA_DIR/$set: /usr/bin/python3 ../shared/bench/gen_dataset.py all --out $DATA_DIR" >&2; exit 2; }
done


files_of() {  # files_of SET -> the set's files in manifest order (as the harness' driver lists them)
  /usr/bin/python3 - "$DATA_DIR/$1/manifest.json" <<'EOF'
import json, os, sys
m = json.load(open(sys.argv[1])); root = os.path.dirname(os.path.abspath(sys.argv[1]))
for st in m["studies"]:
    for se in st["series"]:
        for i in se["instances"]:
            print(os.path.join(root, i["file"]))
EOF
}

count() {  # count DATA PGPORT -> rows in pacs_instances
  local user=postgres pw=""
  if [[ -f "$1/pg-pacs-password" ]]; then user=pacs; pw=$(cat "$1/pg-pacs-password"); fi
  PGPASSWORD="$pw" psql -h 127.0.0.1 -p "$2" -U "$user" -d pacs -Atc "select count(*) from pacs_instances"
}

store4() {  # store4 SET DICOMPORT -> seconds; ASSOCIATIONS storescu processes over contiguous parts, as the harness' store-4 (or store-1)
  local list; list=$(mktemp); files_of "$1" > "$list"
  xargs cat < "$list" > /dev/null # in the page cache, as the driver does
  local a=${ASSOCIATIONS:-4}
  local n; n=$(wc -l < "$list"); local q=$(( (n + a - 1) / a ))
  split -l "$q" -d "$list" "$list."
  local t0; t0=$(date +%s.%N)
  local pids=()
  for part in "$list".0*; do
    storescu -to 10 -ta 30 -td 300 -ts 300 -aet BENCHSCU -aec CLINTON -R 127.0.0.1 "$2" $(cat "$part") > "$part.log" 2>&1 &
    pids+=($!)
  done
  local rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  local t1; t1=$(date +%s.%N)
  if [[ $rc -ne 0 ]] || grep -q '^E:' "$list".0*.log; then echo "storescu failed:" >&2; tail -3 "$list".0*.log >&2; fi
  rm -f "$list" "$list".0*
  echo "$t1 - $t0" | bc
}

qido() {  # qido HTTP_PORT N: N QIDO-RS requests over one connection (curl's keep-alive), searches of three levels in turn
  local base="http://127.0.0.1:$1/dicom-web" token study series config
  token=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PACS_ADMIN_PASSWORD\"}" \
    "http://127.0.0.1:$1/auth/token" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  study=$(curl -fsS -H "Authorization: Bearer $token" "$base/studies?limit=1" \
    | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["0020000D"]["Value"][0])')
  series=$(curl -fsS -H "Authorization: Bearer $token" "$base/studies/$study/series?limit=1" \
    | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["0020000E"]["Value"][0])')
  config=$(mktemp)
  { echo "header = \"Authorization: Bearer $token\""
    for ((k = 0; k < $2; k++)); do
      case $((k % 3)) in
        0) echo "url = \"$base/studies?ModalitiesInStudy=CT&limit=10\"" ;;
        1) echo "url = \"$base/studies/$study/series\"" ;;
        2) echo "url = \"$base/studies/$study/series/$series/instances?limit=100\"" ;;
      esac
      echo "output = /dev/null"
    done
  } > "$config"
  curl -fsS -K "$config" -w '%{http_code}\n' | grep -vc '^200$' | awk '$1 > 0 { print $1 " QIDO requests failed" > "/dev/stderr" }' || true
  rm -f "$config"
}

run_one() {  # run_one LABEL CHECKOUT PORTS ENV INDEX
  local label=$1 dir=$2 index=$5
  read -r http dicom pg silo silogw silohttp metrics <<<"$3"
  local data="$WORK/$label-$index-$(date +%H%M%S)"
  local pacs nobuild; read -r pacs nobuild <<<"$(pacs_of "$dir")"
  # shellcheck disable=SC2086
  env $4 PACS_SILO_PORT_BASE=$silo PACS_SILO_GATEWAY_PORT_BASE=$silogw PACS_SILO_HTTP_PORT_BASE=$silohttp PACS_METRICS_PORT_BASE=$metrics \
    $pacs up $nobuild --detach --data "$data" --http-port "$http" --dicom-port "$dicom" --pg-port "$pg" > "$data.up.log" 2>&1 \
    || { tail -20 "$data.up.log" >&2; return 1; }
  local spid gpid; spid=$(cat "$data/run/silo-0.pid"); gpid=$(cat "$data/run/gateway-0.pid")
  sleep 5 # start-up work settles (migrations, first membership rounds)
  for phase in ${PHASES:-cold:ct warm:ct-v1}; do
    local name=${phase%%:*} set=${phase#*:}
    local n0 s0 g0 p0 n1 s1 g1 p1 secs load
    n0=$(count "$data" "$pg"); s0=$(proc_cpu "$spid"); g0=$(proc_cpu "$gpid"); p0=$(pg_cpu "$data/pg/data")
    local prof=""
    if [[ $name == warm && -n "${PROFILE:-}" ]]; then
      # Counts, not times: strace slows the process it watches; perf samples both hosts' stacks (DOTNET_PerfMapEnabled).
      case $PROFILE in
        strace) strace -c -f -o "$data.strace-gateway" -p "$gpid" & prof=$!
                strace -c -f -o "$data.strace-silo" -p "$spid" & prof="$prof $!" ;;
        perf) perf record -F 499 -g -o "$data.perf-gateway" -p "$gpid" > /dev/null 2>&1 & prof=$!
              perf record -F 499 -g -o "$data.perf-silo" -p "$spid" > /dev/null 2>&1 & prof="$prof $!" ;;
        # the whole machine (PostgreSQL's backends, storescu, the hosts): perf report --sort comm,dso,sym
        perf-all) perf record -F 499 -g -a -o "$data.perf-all" > /dev/null 2>&1 & prof=$! ;;
      esac
      sleep 2
    fi
    secs=$(store4 "$set" "$dicom")
    if [[ -n "$prof" ]]; then
      # shellcheck disable=SC2086
      kill -INT $prof; for p in $prof; do wait "$p" || true; done
    fi
    sleep 1 # the last acknowledgement's tail (audit batch, intent settles) lands in this phase
    n1=$(count "$data" "$pg"); s1=$(proc_cpu "$spid"); g1=$(proc_cpu "$gpid"); p1=$(pg_cpu "$data/pg/data")
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    awk -v l="$label" -v i="$index" -v ph="$name" -v n=$((n1 - n0)) -v t="$secs" -v s="$(echo "$s1 - $s0" | bc)" \
        -v g="$(echo "$g1 - $g0" | bc)" -v p="$(echo "$p1 - $p0" | bc)" -v la="$load" -v at="$(date -u +%H:%M:%S)" -v e="${4:--}" \
      'BEGIN { printf "%s %-4s #%s %-4s n=%4d %6.1f inst/s  CPU s per 1000: silo %5.2f gateway %5.2f pg %5.2f total %5.2f  load %s  env %s\n",
               at, l, i, ph, n, n / t, s * 1000 / n, g * 1000 / n, p * 1000 / n, (s + g + p) * 1000 / n, la, e }' | tee -a "$RESULTS"
  done
  local phase
  for phase in qido-cold qido-warm; do
    [[ ${QIDO:-0} -gt 0 ]] || break
    local s0 g0 p0 t0 t1; s0=$(proc_cpu "$spid"); g0=$(proc_cpu "$gpid"); p0=$(pg_cpu "$data/pg/data"); t0=$(date +%s.%N)
    qido "$http" "$QIDO"
    t1=$(date +%s.%N)
    awk -v l="$label" -v i="$index" -v ph="$phase" -v n="$QIDO" -v t="$(echo "$t1 - $t0" | bc)" -v s="$(echo "$(proc_cpu "$spid") - $s0" | bc)" \
        -v g="$(echo "$(proc_cpu "$gpid") - $g0" | bc)" -v p="$(echo "$(pg_cpu "$data/pg/data") - $p0" | bc)" \
        -v la="$(cut -d' ' -f1-3 /proc/loadavg)" -v at="$(date -u +%H:%M:%S)" -v e="${4:--}" \
      'BEGIN { printf "%s %-4s #%s %-9s n=%4d %6.1f req/s   CPU s per 1000: silo %5.2f gateway %5.2f pg %5.2f total %5.2f  load %s  env %s\n",
               at, l, i, ph, n, n / t, s * 1000 / n, g * 1000 / n, p * 1000 / n, (s + g + p) * 1000 / n, la, e }' | tee -a "$RESULTS"
  done
  # What the hosts spend doing nothing: per 1,000 instances it weighs more the slower the ingest.
  local s0 g0 p0; s0=$(proc_cpu "$spid"); g0=$(proc_cpu "$gpid"); p0=$(pg_cpu "$data/pg/data")
  sleep "${IDLE_SECONDS:-10}"
  awk -v l="$label" -v i="$index" -v s="$(echo "$(proc_cpu "$spid") - $s0" | bc)" -v g="$(echo "$(proc_cpu "$gpid") - $g0" | bc)" \
      -v p="$(echo "$(pg_cpu "$data/pg/data") - $p0" | bc)" -v d="${IDLE_SECONDS:-10}" -v at="$(date -u +%H:%M:%S)" \
    'BEGIN { printf "%s %-4s #%s idle CPU ms per s: silo %.1f gateway %.1f pg %.1f\n", at, l, i, s * 1000 / d, g * 1000 / d, p * 1000 / d }' | tee -a "$RESULTS"
  # Where an instance's time went (both phases): the funnel's stage histograms, as Prometheus scrapes them.
  curl -fsS "http://127.0.0.1:$metrics/metrics" 2>/dev/null | grep -E '^pacs_ingest_stage_duration_seconds_(sum|count)|^pacs_dimse_operation_duration_seconds_(sum|count).*C-STORE' > "$data.stages" || true
  $pacs down --data "$data" > /dev/null 2>&1 || true
  if [[ ${DELETE_DATA:-0} == 1 ]]; then rm -rf "$data"; fi # a disk too small to keep each run's 1 GB
}

echo "# $(date -u +%FT%TZ) $A_LABEL=$A_DIR ($(git -C "$A_DIR" rev-parse --short HEAD)) $B_LABEL=$B_DIR ($(git -C "$B_DIR" rev-parse --short HEAD)) pairs=$PAIRS" | tee -a "$RESULTS"
for ((i = 1; i <= PAIRS; i++)); do
  if (( i % 2 == 1 )); then
    run_one "$A_LABEL" "$A_DIR" "$A_PORTS" "${A_ENV:-}" "$i"; run_one "$B_LABEL" "$B_DIR" "$B_PORTS" "${B_ENV:-}" "$i"
  else
    run_one "$B_LABEL" "$B_DIR" "$B_PORTS" "${B_ENV:-}" "$i"; run_one "$A_LABEL" "$A_DIR" "$A_PORTS" "${A_ENV:-}" "$i"
  fi
done
