#!/usr/bin/env bash
# loadtests/cfind-ab.sh: the harness' find-1assoc and the same query over QIDO-RS, side by side in one run, against
# two archives (A: the code before, B: this checkout), loadtests/FindFloorScp and Orthanc (issue 17 §3). Run it as one
# hold of the shared CPU lock: it starts every target, measures, and stops them all again.
#   A      ./pacs up --no-build from A_REPO on DATA_A (loaded with the harness' 5,000 tiny studies once, by storescu)
#   B      ./pacs up --no-build from this checkout on DATA_B: a copy of DATA_A made while both are down (so B migrates
#          the same index on its first start: schema changes are tested on existing data)
#   O      Orthanc from ORTHANC_CONF (the harness' orthanc-sqlite.json with its own folders), loaded once likewise
#   floor  loadtests/FindFloorScp answering with A's own responses (find-floor.sh)
# Then: QIDO /studies?PatientName=SMITH* (163 studies) on one keep-alive connection, A and B in turns
# (QIDO_WARM, then QIDO_COUNT each in QIDO_ROUNDS rounds), and loadtests/find-floor.sh with MODES="default -sr".
# Then the gateways' CPU per query: CPU_ROUNDS rounds of CPU_RUNS × `findscu -sr --repeat 50` per side, A and B in
# turns, CPU-seconds of the gateway (and of PostgreSQL) from /proc over each side's runs (cpu.txt).
# Ports (A/B): HTTP HTTP_A/+1 (18700/18701), DICOM DICOM_A/+1 (12700/12701), PostgreSQL PG_A/+1 (55700/55701), the
# silos' bases SILO_A.. (15100: silo, +100 gateway, +200 HTTP, +300 metrics) and SILO_A+50..; Orthanc on the harness'
# 18042/14242 (only inside the hold); the floor on FLOOR_PORT (12790).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(dirname "$HERE")
A_REPO=${A_REPO:-/work/main}
DATA_A=${DATA_A:-/var/tmp/cfind-a}; DATA_B=${DATA_B:-/var/tmp/cfind-b}
ORTHANC_CONF=${ORTHANC_CONF:-/var/tmp/cfind-orthanc/orthanc.json}; ORTHANC_DIR=$(dirname "$ORTHANC_CONF")
OUT=${OUT:-/var/tmp/cfind-ab}; SMALL=${SMALL:-/tmp/bench-data/small}
QIDO_WARM=${QIDO_WARM:-50}; QIDO_COUNT=${QIDO_COUNT:-100}; QIDO_ROUNDS=${QIDO_ROUNDS:-3}
PY=/usr/bin/python3
HTTP_A=${HTTP_A:-18700}; DICOM_A=${DICOM_A:-12700}; PG_A=${PG_A:-55700}; SILO_A=${SILO_A:-15100}; FLOOR_PORT=${FLOOR_PORT:-12790}
HTTP_B=$((HTTP_A + 1)); DICOM_B=$((DICOM_A + 1)); PG_B=$((PG_A + 1)); SILO_B=$((SILO_A + 50))
CPU_ROUNDS=${CPU_ROUNDS:-3}; CPU_RUNS=${CPU_RUNS:-4}
export PACS_ADMIN_PASSWORD=${PACS_ADMIN_PASSWORD:-bench-cfind-1} TCP_NODELAY=1
source "$HERE/cpu.sh"
mkdir -p "$OUT"
echo "start $(date -u +%T) load $(cat /proc/loadavg)" | tee "$OUT/load.txt"

up() { # side
  if [[ $1 == A ]]; then
    (cd "$A_REPO" && PACS_SILO_PORT_BASE=$SILO_A PACS_SILO_GATEWAY_PORT_BASE=$((SILO_A + 100)) PACS_SILO_HTTP_PORT_BASE=$((SILO_A + 200)) PACS_METRICS_PORT_BASE=$((SILO_A + 300)) \
      ./pacs up --no-build --detach --data "$DATA_A" --http-port "$HTTP_A" --dicom-port "$DICOM_A" --pg-port "$PG_A") > "$OUT/up-A.log" 2>&1
  else
    (cd "$ROOT" && PACS_SILO_PORT_BASE=$SILO_B PACS_SILO_GATEWAY_PORT_BASE=$((SILO_B + 100)) PACS_SILO_HTTP_PORT_BASE=$((SILO_B + 200)) PACS_METRICS_PORT_BASE=$((SILO_B + 300)) \
      ./pacs up --no-build --detach --data "$DATA_B" --http-port "$HTTP_B" --dicom-port "$DICOM_B" --pg-port "$PG_B") > "$OUT/up-B.log" 2>&1
  fi
}
down() { (cd "$ROOT" && ./pacs down --data "$1") > /dev/null 2>&1 || true; }
OPID=""
cleanup() {
  [[ -n $OPID ]] && kill "$OPID" 2>/dev/null && while kill -0 "$OPID" 2>/dev/null; do sleep 0.5; done
  down "$DATA_A"; down "$DATA_B"
  echo "end $(date -u +%T) load $(cat /proc/loadavg)" | tee -a "$OUT/load.txt"
}
trap cleanup EXIT
store() { # AET PORT LABEL
  local s e; s=$(date +%s.%N)
  storescu -aet BENCHSCU -aec "$1" -to 10 -ta 30 -td 300 127.0.0.1 "$2" $(find "$SMALL" -name '*.dcm' | sort) > "$OUT/load-$3.log" 2>&1 || true
  e=$(date +%s.%N); echo "$3 loaded: 5,000 tiny studies in $(echo "$e - $s" | bc) s" | tee -a "$OUT/load.txt"
}

up A
[[ -f $DATA_A/.loaded ]] || { store CLINTON "$DICOM_A" A; touch "$DATA_A/.loaded"; }
if [[ ! -d $DATA_B ]]; then down "$DATA_A"; cp -a "$DATA_A" "$DATA_B"; rm -f "$DATA_B"/run/*.pid; up A; fi
up B
(exec 3<>/dev/tcp/127.0.0.1/14242) 2>/dev/null && { echo "port 14242 busy: another Orthanc" >&2; exit 2; }
mkdir -p "$ORTHANC_DIR/storage" "$ORTHANC_DIR/index"
/usr/sbin/Orthanc --logfile="$ORTHANC_DIR/orthanc.log" "$ORTHANC_CONF" > "$ORTHANC_DIR/stdout.log" 2>&1 & OPID=$!
for _ in $(seq 60); do curl -sf http://127.0.0.1:18042/system > /dev/null && break; sleep 1; done
[[ -f $ORTHANC_DIR/.loaded ]] || { store ORTHANC 14242 O; touch "$ORTHANC_DIR/.loaded"; }

# QIDO: the same study query, A and B in turns on one keep-alive connection each.
declare -A TOKEN HTTP=([A]=$HTTP_A [B]=$HTTP_B) DICOM=([A]=$DICOM_A [B]=$DICOM_B) PG=([A]=$PG_A [B]=$PG_B)
for side in A B; do
  TOKEN[$side]=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PACS_ADMIN_PASSWORD\"}" \
    "http://127.0.0.1:${HTTP[$side]}/auth/token" | $PY -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
done
url() { echo "http://127.0.0.1:${HTTP[$1]}/dicom-web/studies?PatientName=SMITH*"; }
for side in A B; do
  n=$(curl -fsS -H "Authorization: Bearer ${TOKEN[$side]}" "$(url $side)" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
  curl -fsS -H "Authorization: Bearer ${TOKEN[$side]}" "$(url $side)" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(sorted(d, key=lambda x: x["0020000D"]["Value"][0]), sort_keys=True).replace(":'$HTTP_B'/", ":'$HTTP_A'/"))' > "$OUT/qido-$side.json"
  echo "QIDO $side: $n studies" | tee -a "$OUT/qido.txt"
  $PY "$HERE/qido-loop.py" "$(url $side)" "${TOKEN[$side]}" "$QIDO_WARM" keep > /dev/null
done
cmp -s "$OUT/qido-A.json" "$OUT/qido-B.json" && echo "QIDO answers of A and B identical" | tee -a "$OUT/qido.txt" || echo "QIDO answers of A and B DIFFER" | tee -a "$OUT/qido.txt"
for ((r = 1; r <= QIDO_ROUNDS; r++)); do
  for side in A B; do
    echo "$r $side $($PY "$HERE/qido-loop.py" "$(url $side)" "${TOKEN[$side]}" "$QIDO_COUNT" keep) load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/qido.txt"
  done
done

# The C-FIND responses of A and B, data set by data set (B's index is a copy of A's: same rows, same order).
for side in A B; do
  port=${DICOM[$side]}
  rm -rf "$OUT/cfind-$side" && mkdir -p "$OUT/cfind-$side"
  findscu -S -aet BENCHSCU -aec CLINTON -X -od "$OUT/cfind-$side" -k QueryRetrieveLevel=STUDY -k PatientName=SMITH* -k StudyInstanceUID \
    -k StudyDate -k AccessionNumber -k PatientID -k StudyDescription -k ModalitiesInStudy 127.0.0.1 "$port" > /dev/null 2>&1
  for f in $(ls "$OUT/cfind-$side" | sort); do dcmdump -q "$OUT/cfind-$side/$f" | grep -v "(0002,0003)"; done > "$OUT/cfind-$side.txt"   # findscu names each file anew
done
echo "C-FIND responses: A $(ls "$OUT/cfind-A" | wc -l), B $(ls "$OUT/cfind-B" | wc -l), $(cmp -s "$OUT/cfind-A.txt" "$OUT/cfind-B.txt" && echo identical || echo DIFFERENT)" | tee -a "$OUT/qido.txt"

MODES=${MODES:-"default -sr"} ROUNDS=${ROUNDS:-5} NO_DCMQR=1 FLOOR_PORT=$FLOOR_PORT OUT="$OUT/floor" \
  "$HERE/find-floor.sh" archive-before=CLINTON@$DICOM_A archive-after=CLINTON@$DICOM_B orthanc=ORTHANC@14242 | tee "$OUT/find-floor.txt"

# The gateways' CPU per query, A and B in turns (no statement logging).
KEYS=(-k QueryRetrieveLevel=STUDY -k PatientName=SMITH* -k StudyInstanceUID -k StudyDate -k AccessionNumber -k PatientID -k StudyDescription -k ModalitiesInStudy)
for ((r = 1; r <= CPU_ROUNDS; r++)); do
  for side in A B; do
    data=$([[ $side == A ]] && echo "$DATA_A" || echo "$DATA_B"); gw=$(cat "$data/run/gateway-0.pid"); l=$(cut -d' ' -f1 /proc/loadavg)
    g0=$(proc_cpu "$gw"); p0=$(pg_cpu "$data/pg/data"); s=$(date +%s.%N)
    for ((i = 0; i < CPU_RUNS; i++)); do
      findscu -S -aet BENCHSCU -aec CLINTON --repeat 50 -sr "${KEYS[@]}" 127.0.0.1 "${DICOM[$side]}" > /dev/null 2>&1
    done
    e=$(date +%s.%N); g1=$(proc_cpu "$gw"); p1=$(pg_cpu "$data/pg/data"); q=$((CPU_RUNS * 50))
    printf '%d %s: %d queries, wall %.2f ms/query, gateway CPU %.2f ms/query, PostgreSQL CPU %.2f ms/query, load %s\n' "$r" "$side" "$q" \
      "$(echo "1000 * ($e - $s) / $q" | bc -l)" "$(echo "1000 * ($g1 - $g0) / $q" | bc -l)" "$(echo "1000 * ($p1 - $p0) / $q" | bc -l)" "$l" | tee -a "$OUT/cpu.txt"
  done
done

# Where a query's time goes, A and B: 50 queries (findscu -sr) with every statement's duration logged by PostgreSQL
# (log_min_duration_statement = 0: parse, bind and execute of the C-FIND statement, medians), and the CPU-seconds of
# the gateway and of the whole PostgreSQL server over the 50 (from /proc).
for side in A B; do
  data=$([[ $side == A ]] && echo "$DATA_A" || echo "$DATA_B"); port=${DICOM[$side]}; pgport=${PG[$side]}
  sql() { PGPASSWORD=$(cat "$data/pg-superuser-password") psql -q -h "$data/pg/sock" -p "$pgport" -U postgres -d postgres -c "$1" > /dev/null; }
  sql "alter system set log_min_duration_statement = 0"; sql "select pg_reload_conf()"; sleep 1
  mark=$(wc -l < "$data/pg/postgres.log"); gw=$(cat "$data/run/gateway-0.pid")
  g0=$(proc_cpu "$gw"); p0=$(pg_cpu "$data/pg/data"); s=$(date +%s.%N)
  findscu -S -aet BENCHSCU -aec CLINTON --repeat 50 -sr -k QueryRetrieveLevel=STUDY -k PatientName=SMITH* -k StudyInstanceUID \
    -k StudyDate -k AccessionNumber -k PatientID -k StudyDescription -k ModalitiesInStudy 127.0.0.1 "$port" > /dev/null 2>&1
  e=$(date +%s.%N); g1=$(proc_cpu "$gw"); p1=$(pg_cpu "$data/pg/data")
  sql "alter system reset log_min_duration_statement"; sql "select pg_reload_conf()"
  tail -n +"$((mark + 1))" "$data/pg/postgres.log" > "$OUT/statements-$side.log"
  $PY - "$OUT/statements-$side.log" "$side" "$(echo "1000 * ($e - $s) / 50" | bc -l)" "$(echo "1000 * ($g1 - $g0) / 50" | bc -l)" "$(echo "1000 * ($p1 - $p0) / 50" | bc -l)" <<'PY' | tee -a "$OUT/split.txt"
import re, statistics, sys
path, side, wall, gw, pg = sys.argv[1:6]
phases = {}
for line in open(path, errors="replace"):
    m = re.search(r"duration: ([0-9.]+) ms\s+(parse|bind|execute) [^:]*: (.*)", line)
    if m and "from pacs_studies s join pacs_patients p" in m.group(3):
        phases.setdefault(m.group(2), []).append(float(m.group(1)))
parts = ", ".join(f"{k} {statistics.median(v):.3f} ms (n={len(v)})" for k, v in sorted(phases.items()))
print(f"{side}: per query wall {float(wall):.2f} ms, gateway CPU {float(gw):.2f} ms, PostgreSQL CPU {float(pg):.2f} ms; statement medians: {parts}")
PY
done
