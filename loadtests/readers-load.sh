#!/usr/bin/env bash
# The readers load test (issue 17 §1): N readers replay the recorded OHIF 3.13 session
# (loadtests/ReadersLoad/ohif-3.13-session.json) against ours and against Orthanc (Debian's Orthanc + DICOMweb plugin,
# SQLite) holding the same studies, at 1, 10 and 50 readers (READERS), then 50 readers again while four storescu
# associations send new CT studies to the same server. Figures and commands: docs/benchmarks.md, "Readers".
#   loadtests/readers-load.sh [OUT]     # OUT: a new folder for the JSON reports and summary.txt (default under /var/tmp)
# Environment: READERS ("1 10 50"), DURATION (30 s per run), PAUSE (2 s between a reader's studies), CT_STUDIES (5
# studies of 100 slices, 512x512), LONG_STUDIES (1 study of 300 slices), TARGETS ("ours orthanc"), GATEWAYS (1),
# ORTHANC_HTTP_COMPRESSION (0: Orthanc's gzip of HTTP answers off, its fastest configuration; 1: its default).
# Ours is started with `./pacs up` on a scratch data folder and ports of its own (HTTP 18180, DICOM 14212,
# PostgreSQL 55452); Orthanc from ../shared/bench/orthanc-sqlite.json with its ports moved (HTTP 18142, DICOM 14342).
# Both are stopped at the end; the data folders are left under OUT for you to delete.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="${BENCH:-$ROOT/../shared/bench}"
OUT="${1:-/var/tmp/pacs-readers-$(date +%Y%m%d-%H%M%S)}"
READERS="${READERS:-1 10 50}"
DURATION="${DURATION:-30}"
PAUSE="${PAUSE:-2}"
CT_STUDIES="${CT_STUDIES:-5}"
LONG_STUDIES="${LONG_STUDIES:-1}"
TARGETS="${TARGETS:-ours orthanc}"
GATEWAYS="${GATEWAYS:-1}"
HTTP=18180; DICOM=14212; PG=55452; O_HTTP=18142; O_DICOM=14342
export PACS_ADMIN_PASSWORD="Readers-Load-Passw0rd"
export PACS_SILO_PORT_BASE=11300 PACS_SILO_GATEWAY_PORT_BASE=30100 PACS_SILO_HTTP_PORT_BASE=8800 PACS_METRICS_PORT_BASE=0
export TCP_NODELAY=1   # as the harness' clients: Debian's storescu leaves Nagle's algorithm on without it
DATA_SET=/tmp/bench-data/readers
[[ ! -e "$OUT" ]] || { echo "$OUT exists: give a new folder" >&2; exit 2; }
mkdir -p "$OUT"
say() { echo "readers-load: $*" | tee -a "$OUT/summary.txt"; }

# The same studies for both: CT of 100 slices (the harness' generator), CT of 300 slices, and fresh-UID CT to send
# while reading.
[[ -d "$DATA_SET/ct" ]] || /usr/bin/python3 "$BENCH/gen_dataset.py" ct --out "$DATA_SET/ct" --studies "$CT_STUDIES" --instances 100 --seed 17 --quiet
[[ -d "$DATA_SET/ct300" ]] || /usr/bin/python3 "$BENCH/gen_dataset.py" ct --out "$DATA_SET/ct300" --studies "$LONG_STUDIES" --instances 300 --seed 18 --quiet
[[ -d "$DATA_SET/send" ]] || /usr/bin/python3 "$BENCH/gen_dataset.py" ct --out "$DATA_SET/send" --studies 4 --instances 100 --seed 19 --variant 1 --quiet >/dev/null
files() { find "$DATA_SET/$1" -name '*.dcm' | sort; }

dotnet build "$ROOT/loadtests/ReadersLoad/ReadersLoad.csproj" -c Release -v q -nologo >/dev/null
LOAD="$ROOT/loadtests/ReadersLoad/bin/Release/net10.0/Pacs.Loadtests.ReadersLoad.dll"

ORTHANC_PID=""
cleanup() {
  [[ -z "$ORTHANC_PID" ]] || { kill "$ORTHANC_PID" 2>/dev/null || true; wait "$ORTHANC_PID" 2>/dev/null || true; }
  [[ ! -d "$OUT/ours" ]] || "$ROOT/pacs" down --data "$OUT/ours" >/dev/null 2>&1 || true
}
trap cleanup EXIT

. "$ROOT/loadtests/cpu.sh"
# cpu_now: CPU-seconds so far of the target's processes, "gateway silo postgres" (ours) or "orthanc".
cpu_now() {
  if [[ "$target" == ours ]]; then echo "$(proc_cpu "$(cat "$OUT/ours/run/gateway-0.pid")") $(proc_cpu "$(cat "$OUT/ours/run/silo-0.pid")") $(pg_cpu "$OUT/ours/pg/data")"
  else proc_cpu "$ORTHANC_PID"; fi
}

# send AE HOST PORT: four storescu associations at once, each its own CT study of 100 slices; prints instances/s and
# the CPU-seconds per 1,000 instances of each process (readers included when they run at the same time).
send() {
  local t0 t1 d c0 c1 pids=()
  c0=$(cpu_now)
  t0=$(date +%s.%N)
  for d in "$DATA_SET"/send/*/; do
    storescu -aet BENCHSCU -aec "$1" "$2" "$3" $(find "$d" -name '*.dcm' | sort) >/dev/null 2>&1 & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(date +%s.%N)
  c1=$(cpu_now)
  awk -v n="$(files send | wc -l)" -v t="$(echo "$t1 - $t0" | bc)" -v c0="$c0" -v c1="$c1" -v names="$([[ "$target" == ours ]] && echo "gateway silo postgres" || echo orthanc)" \
    'BEGIN { printf "%.1f instances/s (%d in %.1f s); CPU-s per 1,000 instances:", n / t, n, t
             split(c0, a, " "); split(c1, b, " "); k = split(names, m, " ")
             for (i = 1; i <= k; i++) printf " %s %.2f", m[i], (b[i] - a[i]) * 1000 / n }'
}

# run LABEL READERS BASES... -- EXTRA: one ReadersLoad run, its JSON in OUT/LABEL.json and its line in summary.txt.
run() {
  local label=$1 n=$2; shift 2
  local args=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do args+=(--base "$1"); shift; done
  [[ $# -gt 0 ]] && shift
  dotnet "$LOAD" "${args[@]}" --readers "$n" --duration "$DURATION" --pause "$PAUSE" --ramp 5 --label "$label" \
    --out "$OUT/$label.json" "$@" | tee -a "$OUT/summary.txt"
}

for target in $TARGETS; do
  case "$target" in
    ours)
      "$ROOT/pacs" up --data "$OUT/ours" --http-port $HTTP --dicom-port $DICOM --pg-port $PG --gateways "$GATEWAYS" --detach >"$OUT/ours-up.log" 2>&1
      storescu -aet BENCHSCU -aec CLINTON 127.0.0.1 $DICOM $(files ct) $(files ct300) >/dev/null
      bases=(); for ((g = 0; g < GATEWAYS; g++)); do bases+=("http://127.0.0.1:$((HTTP + g))/dicom-web/"); done
      pids=(--pid "gateway=$(cat "$OUT/ours/run/gateway-0.pid")" --pid "silo=$(cat "$OUT/ours/run/silo-0.pid")" --pid "postgres=$(head -1 "$OUT/ours/pg/data/postmaster.pid")")
      auth=(--user admin --password "$PACS_ADMIN_PASSWORD")
      ae=CLINTON; port=$DICOM ;;
    orthanc)
      mkdir -p "$OUT/orthanc/storage" "$OUT/orthanc/index"
      # HTTP compression off unless ORTHANC_HTTP_COMPRESSION=1: Orthanc gzips answers by default when the client
      # accepts it, as every browser does, and a gzipped 512 KB frame took it 0.3-0.6 s instead of 0.03 s.
      sed -e "s#/tmp/bench-orthanc/sqlite#$OUT/orthanc#g" -e "s/18042/$O_HTTP/" -e "s/14242/$O_DICOM/" \
        -e "s/\"HttpServerEnabled\" : true,/\"HttpServerEnabled\" : true, \"HttpCompressionEnabled\" : $([[ "${ORTHANC_HTTP_COMPRESSION:-0}" == 1 ]] && echo true || echo false),/" \
        "$BENCH/orthanc-sqlite.json" > "$OUT/orthanc/orthanc.json"
      /usr/sbin/Orthanc --logfile="$OUT/orthanc/orthanc.log" "$OUT/orthanc/orthanc.json" >/dev/null 2>&1 &
      ORTHANC_PID=$!
      for _ in $(seq 120); do curl -fsS --max-time 2 "http://127.0.0.1:$O_HTTP/system" >/dev/null 2>&1 && break; sleep 0.5; done
      storescu -aet BENCHSCU -aec ORTHANC 127.0.0.1 $O_DICOM $(files ct) $(files ct300) >/dev/null
      bases=("http://127.0.0.1:$O_HTTP/dicom-web/")
      pids=(--pid "orthanc=$ORTHANC_PID")
      auth=()
      ae=ORTHANC; port=$O_DICOM ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
  esac
  say "$target: $(files ct | wc -l) + $(files ct300 | wc -l) CT instances stored; runs of $DURATION s, pause $PAUSE s"
  for n in $READERS; do run "$target-$n" "$n" "${bases[@]}" -- "${pids[@]}" "${auth[@]}"; done
  say "$target: ingest alone: $(send "$ae" 127.0.0.1 "$port")"
  # Fresh UIDs for the second send: the same files again would be duplicates, not new studies.
  rm -rf "$DATA_SET/send"
  /usr/bin/python3 "$BENCH/gen_dataset.py" ct --out "$DATA_SET/send" --studies 4 --instances 100 --seed 19 --variant 2 --quiet >/dev/null
  ( sleep 5; say "$target: ingest during 50 readers: $(send "$ae" 127.0.0.1 "$port")" ) &
  sender=$!
  run "$target-50-while-sending" 50 "${bases[@]}" -- "${pids[@]}" "${auth[@]}"
  wait "$sender"
  rm -rf "$DATA_SET/send"
  /usr/bin/python3 "$BENCH/gen_dataset.py" ct --out "$DATA_SET/send" --studies 4 --instances 100 --seed 19 --variant 1 --quiet >/dev/null
  case "$target" in
    ours) "$ROOT/pacs" down --data "$OUT/ours" >/dev/null 2>&1 || true ;;
    orthanc) kill "$ORTHANC_PID"; wait "$ORTHANC_PID" 2>/dev/null || true; ORTHANC_PID="" ;;
  esac
done
say "reports in $OUT"
