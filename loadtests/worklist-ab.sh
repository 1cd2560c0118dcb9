#!/usr/bin/env bash
# The reporting worklist (issue 14, goal p50 <= 20 ms over the harness' 5,000 studies) of two builds side by side:
# latency and CPU per query of the gateway, the silo and PostgreSQL, measured in turns (A B, B A, A B, ...) so that a
# machine getting busier or quieter favours neither. Each build runs as its own `./pacs up` (1 silo, 1 gateway, ports
# and data folder of its own), both loaded with the same "small" set (../shared/bench/gen_dataset.py small), both up
# for the whole run; each turn is `report-editors.py --worklist-only`: the six-kind query mix as a doctor (access
# group "default") and then as the admin (no group filter), 30 warm-up queries and Q timed ones each.
#   loadtests/worklist-ab.sh                 # A = main (a git-archive copy, built by its ./pacs up), B = this checkout
#   A_REF=c9735f8 ROUNDS=4 Q=300 loadtests/worklist-ab.sh
#   NO_BUILD=1 ...                           # B already built in Release; A_DIR=/path uses that checkout as A as it is
# Environment: N (5000), DATA_SET (WORK/small-N, generated when missing), WORK (/var/tmp/worklist-ab), A_PORTS / B_PORTS
# ("HTTP DICOM PG SILO SILO_GATEWAY SILO_HTTP METRICS"), KEEP=1 leaves both archives up. Prints one line per turn and,
# at the end, the medians per build; every turn's JSON goes to WORK/results.jsonl.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${N:-5000}" Q="${Q:-300}" ROUNDS="${ROUNDS:-3}"
WORK="${WORK:-/var/tmp/worklist-ab}"
DATA_SET="${DATA_SET:-$WORK/small-$N}"
SHARED_BENCH="${SHARED_BENCH:-/work/shared/bench}"
A_REF="${A_REF:-main}"
A_PORTS=${A_PORTS:-"18381 12313 55333 33350 34350 35350 36350"}
B_PORTS=${B_PORTS:-"18380 12312 55332 33300 34300 35300 36300"}
export PACS_ADMIN_PASSWORD="${PACS_ADMIN_PASSWORD:-Bench-Worklist-Passw0rd}"
mkdir -p "$WORK"

if [[ ! -s "$DATA_SET/manifest.json" ]]; then
  echo "worklist-ab: generating $N studies into $DATA_SET"
  /usr/bin/python3 "$SHARED_BENCH/gen_dataset.py" small --out "$DATA_SET" --count "$N" --quiet > /dev/null
fi

if [[ -z "${A_DIR:-}" ]]; then
  A_DIR="$WORK/a-src"
  rm -rf "$A_DIR" && mkdir -p "$A_DIR"
  git -C "$ROOT" archive "$A_REF" | tar -x -C "$A_DIR"
  # The viewer the gateway serves: the same pinned OHIF as this checkout's, if it has it (no npm download).
  if [[ -d "$ROOT/Gateway/Viewer/node_modules" && ! -e "$A_DIR/Gateway/Viewer/node_modules" ]] \
      && cmp -s "$ROOT/Gateway/Viewer/ohif.pin" "$A_DIR/Gateway/Viewer/ohif.pin"; then
    ln -s "$ROOT/Gateway/Viewer/node_modules" "$A_DIR/Gateway/Viewer/node_modules"
  fi
fi
A_LABEL="A:$A_REF" B_LABEL="B:$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD || echo +)"

up() {  # up DIR PORTS DATA [--no-build]
  local dir=$1 data=$3 http dicom pg silo silogw silohttp metrics
  read -r http dicom pg silo silogw silohttp metrics <<<"$2"
  "$dir/pacs" down --data "$data" > /dev/null 2>&1 || true
  rm -rf "$data"
  PACS_SILO_PORT_BASE=$silo PACS_SILO_GATEWAY_PORT_BASE=$silogw PACS_SILO_HTTP_PORT_BASE=$silohttp PACS_METRICS_PORT_BASE=$metrics \
    "$dir/pacs" up --detach ${4:-} --data "$data" --http-port "$http" --dicom-port "$dicom" --pg-port "$pg" --ae CLINTON \
    > "$data.up.log" 2>&1 || { tail -20 "$data.up.log" >&2; exit 1; }
  local start; start=$(date +%s.%N)
  find "$DATA_SET" -name '*.dcm' | sort | xargs storescu -nh -aec CLINTON 127.0.0.1 "$dicom"
  printf 'worklist-ab: %s stored %d studies in %.1f s (load %s)\n' "$dir" "$N" "$(echo "$(date +%s.%N) - $start" | bc -l)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
}

down() {
  [[ -n "${KEEP:-}" ]] && return 0
  "$A_DIR/pacs" down --data "$WORK/a-data" > /dev/null 2>&1 || true
  "$ROOT/pacs" down --data "$WORK/b-data" > /dev/null 2>&1 || true
}
trap down EXIT

up "$A_DIR" "$A_PORTS" "$WORK/a-data"
up "$ROOT" "$B_PORTS" "$WORK/b-data" ${NO_BUILD:+--no-build}

turn() {  # turn LABEL PORTS DATA ROUND
  local http data=$3; read -r http _ <<<"$2"
  local out; out=$(/usr/bin/python3 "$ROOT/loadtests/report-editors.py" --worklist-only --editors 1 --queries "$Q" \
    --port "$http" --manifest "$DATA_SET/manifest.json" --admin-password "$PACS_ADMIN_PASSWORD" \
    --gateway-pid "$(cat "$data/run/gateway-0.pid")" --silo-pid "$(cat "$data/run/silo-0.pid")" --pgdata "$data/pg/data")
  echo "$(date -u +%H:%M:%S) $1 round $4"; grep -v '^json: ' <<<"$out"
  grep '^json: ' <<<"$out" | sed "s/^json: /{\"build\": \"$1\", \"round\": $4, \"at\": \"$(date -u +%FT%TZ)\", \"result\": /; s/\$/}/" \
    >> "$WORK/results.jsonl"
}

: > "$WORK/results.jsonl"
for ((r = 1; r <= ROUNDS; r++)); do
  if (( r % 2 == 1 )); then
    turn "$A_LABEL" "$A_PORTS" "$WORK/a-data" "$r"; turn "$B_LABEL" "$B_PORTS" "$WORK/b-data" "$r"
  else
    turn "$B_LABEL" "$B_PORTS" "$WORK/b-data" "$r"; turn "$A_LABEL" "$A_PORTS" "$WORK/a-data" "$r"
  fi
done

/usr/bin/python3 - "$WORK/results.jsonl" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print("medians over the rounds (ms):")
for build in dict.fromkeys(r["build"] for r in rows):
    for who in ("worklist_idle", "worklist_idle_admin"):
        runs = [r["result"][who] for r in rows if r["build"] == build]
        cpu = {k: statistics.median(x["cpu_ms_per_query"][k] for x in runs) for k in runs[0]["cpu_ms_per_query"]}
        kinds = {k: statistics.median(x["by_kind"][k]["p50"] for x in runs) for k in runs[0]["by_kind"]}
        print(f"  {build:12} {'doctor' if who == 'worklist_idle' else 'admin':6}  p50 {statistics.median(x['p50'] for x in runs):6.2f}  "
              f"p95 {statistics.median(x['p95'] for x in runs):6.2f}  CPU/query gateway {cpu['gateway']:.2f} silo {cpu['silo']:.2f} "
              f"postgres {cpu['postgres']:.2f} (sum {sum(cpu.values()):.2f})  p50 per kind {kinds}  loads {[x['load_before'].split()[0] for x in runs]}")
EOF
