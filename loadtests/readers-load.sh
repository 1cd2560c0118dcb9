#!/usr/bin/env bash
# The readers load test (issue 17 §1): readers replay the recorded OHIF 3.13 session (loadtests/ReadersLoad,
# ohif-3.13-session.json) against ours and against Orthanc (Debian's Orthanc + DICOMweb plugin, SQLite) holding the
# same studies. The whole matrix, one command (figures and how to read them: docs/benchmarks.md, "Readers"):
#   loadtests/readers-load.sh [OUT]            # OUT: a new folder for the reports (default /var/tmp/readers-run-DATE)
#   QUICK=1 loadtests/readers-load.sh [OUT]    # the same matrix, short: 1 and 10 readers, 10 s runs, less data sent
# For every target of TARGETS ("ours-1x1 ours-2x2 orthanc"; ours-SxG: S silos and G gateways, readers and senders
# spread round-robin over the G gateways):
#   1. the data stored once: the harness' CT (CT_STUDIES of 100 slices, LONG_STUDIES of 300), MR_STUDIES (2 series of
#      30 slices, 256x256) and CR_STUDIES (2 views of 2140x1760), from ../shared/bench/gen_dataset.py and
#      loadtests/data/readers-data.py;
#   2. READERS readers idle, each run for DURATION s (all runs of a target read the same studies: OUT/T-catalogue.json);
#   3. ingest alone: 4 storescu associations at once, each SEND_STUDIES CT studies of 100 slices with fresh UIDs;
#      C-MOVE alone: MOVES C-MOVEs of a prior (a 100-slice CT study) by movescu to a storescp started here;
#   4. the pair: DURING_READERS readers while 4 storescu send another fresh set and one workstation pulls priors by
#      C-MOVE in a loop (the readers stop starting studies when the senders are done: their window is the ramp plus the
#      ingest), then the same readers idle for the same window. Goals (issue 17): readers' p95 time to first image
#      during <= 1.5x idle, ingest during >= 70 % of alone.
# OUT/summary.md holds every figure with the load average around it (loadtests/readers-matrix.py writes it from the
# JSON reports); OUT/summary.txt the raw lines. Each target is stopped when done, and its stored data deleted unless
# KEEP_DATA=1 (logs and reports stay under OUT).
# Environment: QUICK, TARGETS, READERS ("1 10 50 100"), DURATION (30), DURING_READERS (50), PAUSE (2), RAMP (5),
# SEND_STUDIES (4 per association), MOVES (20), CT_STUDIES (5), LONG_STUDIES (1), MR_STUDIES (4), CR_STUDIES (6),
# DATA_SET (/var/tmp/readers-data: generated once, reused), KEEP_DATA (0), READERS_ONLY (1: only the readers' runs,
# no ingest, C-MOVE or pair), THROTTLE (CORES: after each readers run of ours, the same run with the target and the
# generator held to CORES cores by a CPU cgroup; root and cgroup v1 needed), ORTHANC_HTTP_COMPRESSION (0: Orthanc's gzip of answers off,
# its fastest configuration; 1: its default). Ports (defaults clear of the tests' 20000-32000): READERS_HTTP_PORT
# (18480; gateway i on +i), READERS_DICOM_PORT (12412), READERS_PG_PORT (55442), ORTHANC_HTTP_PORT (18490),
# ORTHANC_DICOM_PORT (12490), MOVE_SCP_PORT (12495), and ./pacs's PACS_SILO_PORT_BASE (33400),
# PACS_SILO_GATEWAY_PORT_BASE (34400), PACS_SILO_HTTP_PORT_BASE (35400), PACS_METRICS_PORT_BASE (0: off).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# The archive measured: this checkout's, or CLUSTER_ROOT's (an A/B with this checkout's generator and scripts).
PACS="${CLUSTER_ROOT:-$ROOT}/pacs"
# Each reader signs in with a session of its own (loadtests/ReadersLoad): 50 logins from one address in a minute.
export Pacs__Auth__LoginAttemptsPerAddressPerMinute="${Pacs__Auth__LoginAttemptsPerAddressPerMinute:-1000}"
BENCH="${BENCH:-$ROOT/../shared/bench}"
PY=/usr/bin/python3   # Debian's, with pydicom (the first python3 on PATH may lack it)
OUT="${1:-/var/tmp/readers-run-$(date +%Y%m%d-%H%M%S)}"
QUICK="${QUICK:-0}"
if [[ "$QUICK" == 1 ]]; then
  READERS="${READERS:-1 10}"; DURATION="${DURATION:-10}"; DURING_READERS="${DURING_READERS:-10}"; SEND_STUDIES="${SEND_STUDIES:-1}"
  MOVES="${MOVES:-5}"; CT_STUDIES="${CT_STUDIES:-2}"; MR_STUDIES="${MR_STUDIES:-1}"; CR_STUDIES="${CR_STUDIES:-2}"; RAMP="${RAMP:-3}"
fi
READERS="${READERS:-1 10 50 100}"
DURATION="${DURATION:-30}"
DURING_READERS="${DURING_READERS:-50}"
PAUSE="${PAUSE:-2}"
RAMP="${RAMP:-5}"
SEND_STUDIES="${SEND_STUDIES:-4}"
MOVES="${MOVES:-20}"
CT_STUDIES="${CT_STUDIES:-5}"
LONG_STUDIES="${LONG_STUDIES:-1}"
MR_STUDIES="${MR_STUDIES:-4}"
CR_STUDIES="${CR_STUDIES:-6}"
TARGETS="${TARGETS:-ours-1x1 ours-2x2 orthanc}"
DATA_SET="${DATA_SET:-/var/tmp/readers-data}"
KEEP_DATA="${KEEP_DATA:-0}"
READERS_ONLY="${READERS_ONLY:-0}"
THROTTLE="${THROTTLE:-}"
HTTP="${READERS_HTTP_PORT:-18480}" DICOM="${READERS_DICOM_PORT:-12412}" PG="${READERS_PG_PORT:-55442}"
O_HTTP="${ORTHANC_HTTP_PORT:-18490}" O_DICOM="${ORTHANC_DICOM_PORT:-12490}" SCP_PORT="${MOVE_SCP_PORT:-12495}"
export PACS_SILO_PORT_BASE="${PACS_SILO_PORT_BASE:-33400}" PACS_SILO_GATEWAY_PORT_BASE="${PACS_SILO_GATEWAY_PORT_BASE:-34400}"
export PACS_SILO_HTTP_PORT_BASE="${PACS_SILO_HTTP_PORT_BASE:-35400}" PACS_METRICS_PORT_BASE="${PACS_METRICS_PORT_BASE:-0}"
export PACS_ADMIN_PASSWORD="Readers-$(od -An -N6 -tx8 /dev/urandom | tr -d ' ')-Pw"
# The token of the readers is renewed by the generator; the one this script uses for the node registry lives long.
export Pacs__Auth__AccessTokenLifetime="06:00:00"
export TCP_NODELAY=1   # as the harness' clients: Debian's storescu leaves Nagle's algorithm on without it
MOVE_AE=BENCHSCP
[[ ! -e "$OUT" ]] || { echo "$OUT exists: give a new folder" >&2; exit 2; }
mkdir -p "$OUT"
say() { echo "readers-load: $*" | tee -a "$OUT/summary.txt"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# mark LABEL start|end: the load average around each measured step, for summary.md.
mark() { printf '%s\t%s\t%s\n' "$1" "$2" "$(loadavg)" >> "$OUT/loadavg.tsv"; }

# The data, generated once under DATA_SET (a folder per kind and size: other sizes are other folders).
CT_DIR="$DATA_SET/ct-${CT_STUDIES}x100-s17"; LONG_DIR="$DATA_SET/ct-${LONG_STUDIES}x300-s18"
MR_DIR="$DATA_SET/mr-${MR_STUDIES}x2x30-s21"; CR_DIR="$DATA_SET/cr-${CR_STUDIES}x2-s22"
SEND_ALONE="$DATA_SET/send-$((4 * SEND_STUDIES))x100-v1"; SEND_DURING="$DATA_SET/send-$((4 * SEND_STUDIES))x100-v2"
gen() {  # gen DIR COMMAND...: the generator's output in DIR, unless a finished one is there
  [[ -f "$1/.done" ]] && return 0
  rm -rf "$1"; "${@:2}"; touch "$1/.done"
}
gen "$CT_DIR" "$PY" "$BENCH/gen_dataset.py" ct --out "$CT_DIR" --studies "$CT_STUDIES" --instances 100 --seed 17 --quiet
gen "$LONG_DIR" "$PY" "$BENCH/gen_dataset.py" ct --out "$LONG_DIR" --studies "$LONG_STUDIES" --instances 300 --seed 18 --quiet
gen "$MR_DIR" "$PY" "$ROOT/loadtests/data/readers-data.py" mr --out "$MR_DIR" --studies "$MR_STUDIES" --series 2 --slices 30 --seed 21
gen "$CR_DIR" "$PY" "$ROOT/loadtests/data/readers-data.py" cr --out "$CR_DIR" --studies "$CR_STUDIES" --views 2 --seed 22
# Fresh UIDs for each send (variants 1 and 2 of seed 19): the same files twice would be duplicates, not new studies.
# Each target is a new archive, so the two sets serve every target.
[[ "$READERS_ONLY" == 1 ]] || gen "$SEND_ALONE" "$PY" "$BENCH/gen_dataset.py" ct --out "$SEND_ALONE" --studies $((4 * SEND_STUDIES)) --instances 100 --seed 19 --variant 1 --quiet
[[ "$READERS_ONLY" == 1 ]] || gen "$SEND_DURING" "$PY" "$BENCH/gen_dataset.py" ct --out "$SEND_DURING" --studies $((4 * SEND_STUDIES)) --instances 100 --seed 19 --variant 2 --quiet
files() { find "$@" -name '*.dcm' | sort; }
# The priors the workstation pulls: the 100-slice CT studies, one after the other.
mapfile -t PRIORS < <("$PY" -c 'import json,sys; [print(s["StudyInstanceUID"]) for s in json.load(open(sys.argv[1]))["studies"]]' "$CT_DIR/manifest.json")

dotnet build "$ROOT/loadtests/ReadersLoad/ReadersLoad.csproj" -c Release -v q -nologo >/dev/null
LOAD="$ROOT/loadtests/ReadersLoad/bin/Release/net10.0/Pacs.Loadtests.ReadersLoad.dll"

ORTHANC_PID="" SCP_PID="" OURS="" BG=()
cleanup() {
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -z "$ORTHANC_PID" ]] || { kill "$ORTHANC_PID" 2>/dev/null || true; wait "$ORTHANC_PID" 2>/dev/null || true; }
  [[ -z "$SCP_PID" ]] || { kill "$SCP_PID" 2>/dev/null || true; wait "$SCP_PID" 2>/dev/null || true; }
  [[ -z "$OURS" ]] || "$PACS" down --data "$OURS" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The C-MOVE destination: dcmtk's storescp, receiving and not writing (as the harness' move workload).
storescp -aet "$MOVE_AE" --ignore -ta 30 -td 300 "$SCP_PORT" >"$OUT/storescp.log" 2>&1 &
SCP_PID=$!
sleep 0.5; kill -0 "$SCP_PID" 2>/dev/null || { echo "storescp could not start on port $SCP_PORT: $(cat "$OUT/storescp.log")" >&2; exit 1; }

. "$ROOT/loadtests/cpu.sh"
pids_of() { local f p=(); for f in "$OURS"/run/$1-*.pid; do p+=("$(cat "$f")"); done; (IFS=,; echo "${p[*]}"); }
# cpu_now: CPU-seconds so far of the target's processes, "gateways silos postgres" (ours) or "orthanc".
cpu_now() {
  if [[ "$kind" == ours ]]; then
    local g=0 s=0 p
    for p in $(pids_of gateway | tr , ' '); do g=$(echo "$g + $(proc_cpu "$p")" | bc); done
    for p in $(pids_of silo | tr , ' '); do s=$(echo "$s + $(proc_cpu "$p")" | bc); done
    echo "$g $s $(pg_cpu "$OURS/pg/data")"
  else proc_cpu "$ORTHANC_PID"; fi
}
cpu_names() { [[ "$kind" == ours ]] && echo "gateway silo postgres" || echo orthanc; }

# record FILE KEY=VALUE...: one step's figures as a JSON object (numbers and strings), for readers-matrix.py.
record() {
  local file=$1; shift
  "$PY" -c 'import json,sys
d = {}
for a in sys.argv[2:]:
    k, v = a.split("=", 1)
    try: d[k] = float(v)
    except ValueError: d[k] = v
json.dump(d, open(sys.argv[1], "w"), indent=1)' "$file" "$@"
}

# send LABEL SET: four storescu associations at once (association i to gateway i mod G), each with every fourth study
# of SET; instances/s and CPU-seconds per 1,000 instances (of everything the target did meanwhile, readers included).
send() {
  local label=$1 set=$2 t0 t1 c0 c1 i d failed=0 n pids=()
  local studies=("$set"/s*/)
  n=$(files "$set" | wc -l)
  mark "$label" start; c0=$(cpu_now); t0=$(date +%s.%N)
  for ((i = 0; i < 4; i++)); do
    local mine=()
    for ((d = i; d < ${#studies[@]}; d += 4)); do mine+=("${studies[$d]}"); done
    storescu -aet BENCHSCU -aec "$ae" 127.0.0.1 $((port + i % dicom_ports)) $(files "${mine[@]}") >"$OUT/$label-$i.log" 2>&1 & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
  t1=$(date +%s.%N); c1=$(cpu_now); mark "$label" end
  record "$OUT/$label.json" kind=ingest label="$label" instances="$n" seconds="$(echo "$t1 - $t0" | bc)" failedAssociations=$failed \
    cpuNames="$(cpu_names)" cpuStart="$c0" cpuEnd="$c1"
  say "$label: $(awk -v n="$n" -v t="$(echo "$t1 - $t0" | bc)" 'BEGIN { printf "%d instances in %.1f s: %.1f instances/s", n, t, n / t }')$([[ $failed == 0 ]] || echo ", $failed associations FAILED")"
}

# move LABEL COUNT|FLAGFILE: C-MOVEs of the priors one after the other to the storescp, COUNT of them, or until
# FLAGFILE exists (the one under way then finishes); instances/s over the moves that ended.
move() {
  local label=$1 until=$2 moved=0 ok=0 failed=0 t0 t1 c0 c1 k=0
  mark "$label" start; c0=$(cpu_now); t0=$(date +%s.%N)
  while :; do
    if [[ "$until" =~ ^[0-9]+$ ]]; then [[ $k -lt $until ]] || break; else [[ ! -e "$until" ]] || break; fi
    local uid=${PRIORS[$((k % ${#PRIORS[@]}))]}
    if movescu -to 10 -ta 30 -td 300 -v -S -aet BENCHSCU -aec "$ae" -aem "$MOVE_AE" -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$uid" \
         127.0.0.1 "$port" >"$OUT/$label-$k.log" 2>&1 && grep -q "Final Move Response (Success)" "$OUT/$label-$k.log"; then
      moved=$((moved + 100)); ok=$((ok + 1))
    else
      failed=$((failed + 1))
    fi
    k=$((k + 1))
  done
  t1=$(date +%s.%N); c1=$(cpu_now); mark "$label" end
  record "$OUT/$label.json" kind=move label="$label" moves=$ok failedMoves=$failed instances=$moved seconds="$(echo "$t1 - $t0" | bc)" \
    cpuNames="$(cpu_names)" cpuStart="$c0" cpuEnd="$c1"
  say "$label: $ok C-MOVEs of 100 instances in $(echo "$t1 - $t0" | bc | xargs printf '%.1f') s$([[ $failed == 0 ]] || echo ", $failed FAILED")"
}

# readers LABEL N DURATION: one ReadersLoad run, its JSON in OUT/LABEL.json and its line in summary.txt. All runs of a
# target read the studies of its catalogue (written by the first), whatever was sent since.
readers_args() {  # readers_args LABEL N DURATION -> ARGS
  ARGS=(--readers "$2" --duration "$3" --pause "$PAUSE" --ramp "$RAMP" --label "$1" --out "$OUT/$1.json"
    --catalogue "$OUT/$target-catalogue.json" "${bases[@]}" "${pidargs[@]}" "${auth[@]}")
}
readers() {
  readers_args "$@"
  mark "$1" start
  dotnet "$LOAD" "${ARGS[@]}" | tee -a "$OUT/summary.txt"
  mark "$1" end
}

# throttled LABEL N DURATION CORES: the same readers with the target's processes (gateways, silos, PostgreSQL's
# postmaster and backends) and the generator held to CORES cores together (a CPU cgroup, v1, with a CFS quota): what
# readers get when ingest takes the rest of the machine, without ingest's other effects (disk, locks, admission).
throttled() {
  local cg=/sys/fs/cgroup/cpu/pacs-readers-$$ p
  mkdir -p "$cg"
  echo 100000 > "$cg/cpu.cfs_period_us"
  awk -v c="$4" 'BEGIN { printf "%d\n", c * 100000 }' > "$cg/cpu.cfs_quota_us"
  for p in $(pids_of gateway | tr , ' ') $(pids_of silo | tr , ' ') $(pg_pids); do echo "$p" > "$cg/cgroup.procs" 2>/dev/null || true; done
  readers_args "$1" "$2" "$3"
  mark "$1" start
  sh -c 'echo $$ > "$0/cgroup.procs"; exec "$@"' "$cg" dotnet "$LOAD" "${ARGS[@]}" | tee -a "$OUT/summary.txt"
  mark "$1" end
  for p in $(cat "$cg/cgroup.procs"); do echo "$p" > /sys/fs/cgroup/cpu/cgroup.procs 2>/dev/null || true; done
  rmdir "$cg"
}
pg_pids() { local pm; pm=$(head -1 "$OURS/pg/data/postmaster.pid"); echo "$pm"; pgrep -P "$pm" || true; }

# during LABEL N: N readers while the senders send SEND_DURING and the workstation pulls priors; the readers stop
# starting studies once the senders are done, then the same readers idle for the same window (LABEL-idle).
during() {
  local label=$1 n=$2 r s m window
  readers_args "$label" "$n" 3600
  mark "$label" start
  dotnet "$LOAD" "${ARGS[@]}" >"$OUT/$label.line" 2>"$OUT/$label.err" & r=$!; BG=("$r")
  # The senders and the workstation begin once the readers are all reading (the generator's start, its readers'
  # logins, one Argon2id hash each: LOGIN_WAIT, then its ramp).
  sleep $((RAMP + 2 + ${LOGIN_WAIT:-5}))
  rm -f "$OUT/$label.stop"
  move "$label-move" "$OUT/$label.stop" & m=$!; BG+=("$m")
  send "$label-ingest" "$SEND_DURING"
  touch "$OUT/$label.stop"
  wait "$m" || true
  kill -TERM "$r" 2>/dev/null || true
  wait "$r" || { echo "readers of $label failed: $(cat "$OUT/$label.err")" >&2; }
  BG=()
  mark "$label" end
  tee -a "$OUT/summary.txt" < "$OUT/$label.line"
  window=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["durationSeconds"])' "$OUT/$label.json")
  readers "$label-idle" "$n" "$window"
}

BUILD=()
for target in $TARGETS; do
  case "$target" in
    ours-*x*)
      kind=ours; silos=${target#ours-}; silos=${silos%x*}; gateways=${target##*x}
      OURS="$OUT/$target"
      mark "$target-up" start
      "$PACS" up --data "$OURS" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" --silos "$silos" --gateways "$gateways" \
        --detach "${BUILD[@]}" >"$OUT/$target-up.log" 2>&1 || { tail -20 "$OUT/$target-up.log" >&2; exit 1; }
      BUILD=(--no-build)
      mark "$target-up" end
      token=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PACS_ADMIN_PASSWORD\"}" \
        "http://127.0.0.1:$HTTP/auth/token" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
      curl -fsS -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d "{\"host\":\"127.0.0.1\",\"port\":$SCP_PORT,\"description\":\"readers-load C-MOVE destination\"}" \
        "http://127.0.0.1:$HTTP/api/dicom-nodes/$MOVE_AE" >/dev/null
      bases=(); for ((g = 0; g < gateways; g++)); do bases+=(--base "http://127.0.0.1:$((HTTP + g))/dicom-web/"); done
      pidargs=(--pid "gateway=$(pids_of gateway)" --pid "silo=$(pids_of silo)" --pid "postgres=$(head -1 "$OURS/pg/data/postmaster.pid")")
      auth=(--user admin --password "$PACS_ADMIN_PASSWORD")
      ae=CLINTON; port=$DICOM; dicom_ports=$gateways ;;
    orthanc)
      kind=orthanc
      mkdir -p "$OUT/orthanc/storage" "$OUT/orthanc/index"
      # HTTP compression off unless ORTHANC_HTTP_COMPRESSION=1: Orthanc gzips answers by default when the client
      # accepts it, as every browser does, and a gzipped 512 KB frame took it 0.3-0.6 s instead of 0.03 s.
      sed -e "s#/tmp/bench-orthanc/sqlite#$OUT/orthanc#g" -e "s/18042/$O_HTTP/" -e "s/14242/$O_DICOM/" -e "s/14243/$SCP_PORT/g" \
        -e "s/\"HttpServerEnabled\" : true,/\"HttpServerEnabled\" : true, \"HttpCompressionEnabled\" : $([[ "${ORTHANC_HTTP_COMPRESSION:-0}" == 1 ]] && echo true || echo false),/" \
        "$BENCH/orthanc-sqlite.json" > "$OUT/orthanc/orthanc.json"
      mark "$target-up" start
      /usr/sbin/Orthanc --logfile="$OUT/orthanc/orthanc.log" "$OUT/orthanc/orthanc.json" >/dev/null 2>&1 &
      ORTHANC_PID=$!
      for _ in $(seq 120); do curl -fsS --max-time 2 "http://127.0.0.1:$O_HTTP/system" >/dev/null 2>&1 && break; sleep 0.5; done
      mark "$target-up" end
      bases=(--base "http://127.0.0.1:$O_HTTP/dicom-web/")
      pidargs=(--pid "orthanc=$ORTHANC_PID")
      auth=()
      ae=ORTHANC; port=$O_DICOM; dicom_ports=1 ;;
    *) echo "unknown target $target (ours-SxG or orthanc)" >&2; exit 2 ;;
  esac
  mark "$target-load" start
  storescu -aet BENCHSCU -aec "$ae" 127.0.0.1 "$port" $(files "$CT_DIR" "$LONG_DIR" "$MR_DIR" "$CR_DIR") >"$OUT/$target-load.log" 2>&1
  mark "$target-load" end
  say "$target: $(files "$CT_DIR" "$LONG_DIR" "$MR_DIR" "$CR_DIR" | wc -l) instances stored (CT ${CT_STUDIES}x100 + ${LONG_STUDIES}x300, MR ${MR_STUDIES}x2x30, CR ${CR_STUDIES}x2); runs of $DURATION s, pause $PAUSE s, ramp $RAMP s; load average $(loadavg)"
  for n in $READERS; do readers "$target-$n" "$n" "$DURATION"; done
  if [[ -n "$THROTTLE" && "$kind" == ours ]]; then
    for n in $READERS; do throttled "$target-$n-on-$THROTTLE-cores" "$n" "$DURATION" "$THROTTLE"; done
  fi
  if [[ "$READERS_ONLY" != 1 ]]; then
    send "$target-ingest-alone" "$SEND_ALONE"
    move "$target-move-alone" "$MOVES"
    during "$target-$DURING_READERS-during" "$DURING_READERS"
  fi
  # Stopped, and its stored data deleted unless KEEP_DATA=1 (2 GB a target by default; the reports stay).
  case "$kind" in
    ours) "$PACS" down --data "$OURS" >/dev/null 2>&1 || true
          [[ "$KEEP_DATA" == 1 ]] || rm -rf "${OURS:?}/blobs" "${OURS:?}/pg"
          OURS="" ;;
    orthanc) kill "$ORTHANC_PID"; wait "$ORTHANC_PID" 2>/dev/null || true; ORTHANC_PID=""
             [[ "$KEEP_DATA" == 1 ]] || rm -rf "${OUT:?}/orthanc/storage" "${OUT:?}/orthanc/index" ;;
  esac
done
"$PY" "$ROOT/loadtests/readers-matrix.py" "$OUT" > "$OUT/summary.md"
cat "$OUT/summary.md"
say "reports in $OUT"
