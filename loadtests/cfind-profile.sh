#!/usr/bin/env bash
# loadtests/cfind-profile.sh: the gateway's CPU per C-FIND query in the steady state, and where it goes (issue 17 §3).
# Run it as one hold of the shared CPU lock: it starts one cluster (./pacs up --no-build from REPO, 1 silo, 1 gateway,
# DOTNET_PerfMapEnabled=1 and W^X off so that perf names JIT frames), loads the harness' 5,000 tiny studies once
# (storescu, one association; DATA/.loaded marks it), warms up with WARM × 50 queries, then:
#   cpu    CPU_RUNS × `findscu -sr --repeat 50` (the harness' query, 163 matches): wall and gateway CPU-seconds per
#          query from /proc (loadtests/cpu.sh), PostgreSQL's too
#   perf   `perf record -F 999 -g` of the gateway over PERF_RUNS × 50 more queries; the profile's self and inclusive
#          shares with JIT frames named (loadtests/perf-jit-symbols.py) in OUT/self.txt and OUT/incl.txt
# and stops the cluster. Knobs: REPO (this checkout), DATA (/var/tmp/cfindgw-prof), OUT (/var/tmp/cfindgw-prof-out),
# WARM (10), CPU_RUNS (4), PERF_RUNS (6), PERF (1; 0: no profile), the ports HTTP_PORT DICOM_PORT PG_PORT and the silo
# bases SILO_BASE (gateway SILO_BASE+100, silo HTTP +200, metrics +300).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=${REPO:-$(dirname "$HERE")}
DATA=${DATA:-/var/tmp/cfindgw-prof}; OUT=${OUT:-/var/tmp/cfindgw-prof-out}; SMALL=${SMALL:-/tmp/bench-data/small}
WARM=${WARM:-10}; CPU_RUNS=${CPU_RUNS:-4}; PERF_RUNS=${PERF_RUNS:-6}; PERF=${PERF:-1}
HTTP_PORT=${HTTP_PORT:-18600}; DICOM_PORT=${DICOM_PORT:-12600}; PG_PORT=${PG_PORT:-55600}; SILO_BASE=${SILO_BASE:-14100}
export PACS_ADMIN_PASSWORD=${PACS_ADMIN_PASSWORD:-bench-cfind-prof} TCP_NODELAY=1
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
source "$HERE/cpu.sh"
mkdir -p "$OUT"
KEYS=(-k QueryRetrieveLevel=STUDY -k PatientName=SMITH* -k StudyInstanceUID -k StudyDate -k AccessionNumber -k PatientID -k StudyDescription -k ModalitiesInStudy)
echo "start $(date -u +%T) load $(cat /proc/loadavg)" | tee "$OUT/load.txt"
down() { (cd "$REPO" && ./pacs down --data "$DATA") > /dev/null 2>&1 || true; }
trap 'down; echo "end $(date -u +%T) load $(cat /proc/loadavg)" | tee -a "$OUT/load.txt"' EXIT
(cd "$REPO" && PACS_SILO_PORT_BASE=$SILO_BASE PACS_SILO_GATEWAY_PORT_BASE=$((SILO_BASE + 100)) PACS_SILO_HTTP_PORT_BASE=$((SILO_BASE + 200)) \
  PACS_METRICS_PORT_BASE=$((SILO_BASE + 300)) ./pacs up --no-build --detach --data "$DATA" --http-port "$HTTP_PORT" \
  --dicom-port "$DICOM_PORT" --pg-port "$PG_PORT") > "$OUT/up.log" 2>&1
if [[ ! -f $DATA/.loaded ]]; then
  s=$(date +%s.%N)
  storescu -aet BENCHSCU -aec CLINTON -to 10 -ta 30 -td 300 127.0.0.1 "$DICOM_PORT" $(find "$SMALL" -name '*.dcm' | sort) > "$OUT/load.log" 2>&1 || true
  touch "$DATA/.loaded"; echo "loaded in $(echo "$(date +%s.%N) - $s" | bc) s" | tee -a "$OUT/load.txt"
fi
gw=$(cat "$DATA/run/gateway-0.pid"); silo=$(cat "$DATA/run/silo-0.pid")
trap 'down; rm -f "/tmp/perf-$gw.map" "/tmp/perfinfo-$gw.map" "/tmp/perf-$silo.map" "/tmp/perfinfo-$silo.map"; echo "end $(date -u +%T) load $(cat /proc/loadavg)" | tee -a "$OUT/load.txt"' EXIT
find50() { findscu -S -aet BENCHSCU -aec CLINTON --repeat 50 -sr "${KEYS[@]}" 127.0.0.1 "$DICOM_PORT" > /dev/null 2>&1; }
n=$(findscu -S -aet BENCHSCU -aec CLINTON "${KEYS[@]}" 127.0.0.1 "$DICOM_PORT" 2>&1 | grep -c "Find Response:.*Pending" || true)
echo "matches per query: $n" | tee -a "$OUT/load.txt"
for ((i = 0; i < WARM; i++)); do find50; done
for ((r = 1; r <= CPU_RUNS; r++)); do
  l=$(cut -d' ' -f1 /proc/loadavg); g0=$(proc_cpu "$gw"); p0=$(pg_cpu "$DATA/pg/data"); s=$(date +%s.%N)
  find50
  e=$(date +%s.%N); g1=$(proc_cpu "$gw"); p1=$(pg_cpu "$DATA/pg/data")
  printf 'cpu run %d: wall %.2f ms/query, gateway CPU %.2f ms/query, PostgreSQL CPU %.2f ms/query, load %s\n' "$r" \
    "$(echo "20 * ($e - $s)" | bc -l)" "$(echo "20 * ($g1 - $g0)" | bc -l)" "$(echo "20 * ($p1 - $p0)" | bc -l)" "$l" | tee -a "$OUT/cpu.txt"
done
if [[ $PERF == 1 ]]; then
  perf record -F 999 -g -o "$OUT/gw.perf" -p "$gw" > "$OUT/perf-record.log" 2>&1 & prof=$!
  sleep 1
  g0=$(proc_cpu "$gw"); s=$(date +%s.%N)
  for ((i = 0; i < PERF_RUNS; i++)); do find50; done
  e=$(date +%s.%N); g1=$(proc_cpu "$gw")
  kill -INT "$prof"; wait "$prof" || true
  printf 'under perf: %d queries, wall %.2f ms/query, gateway CPU %.2f ms/query\n' $((PERF_RUNS * 50)) \
    "$(echo "1000 * ($e - $s) / ($PERF_RUNS * 50)" | bc -l)" "$(echo "1000 * ($g1 - $g0) / ($PERF_RUNS * 50)" | bc -l)" | tee -a "$OUT/cpu.txt"
  cp "/tmp/perf-$gw.map" "$OUT/perf-gw.map"; rm -f "/tmp/perf-$gw.map" "/tmp/perfinfo-$gw.map"
  down
  /usr/bin/python3 "$HERE/perf-jit-symbols.py" "$OUT/gw.perf" "$OUT/perf-gw.map" self 80 > "$OUT/self.txt"
  /usr/bin/python3 "$HERE/perf-jit-symbols.py" "$OUT/gw.perf" "$OUT/perf-gw.map" incl 5000 > "$OUT/incl.txt"
fi
