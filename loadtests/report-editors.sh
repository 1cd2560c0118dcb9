#!/usr/bin/env bash
# Issue 14's reporting benchmark: the worklist query p50/p95 (goal p50 <= 20 ms) over the harness' 5,000-study data,
# idle and while doctors save, and report save p50/p95 under 20 concurrent editors on 20 reports, with CPU-seconds per
# save of the gateway, the silo and PostgreSQL (/proc). One `./pacs up` (1 silo, 1 gateway) on ports of its own; the
# harness' "small" set (N one-instance studies, made by ../shared/bench/gen_dataset.py unless DATA_SET names one) is
# stored with storescu; then loadtests/report-editors.py (its docstring says what each phase does).
#   loadtests/report-editors.sh            # N=5000 EDITORS=20 SAVES=30 Q=300; NO_BUILD=1 skips the build
#   KEEP=1 loadtests/report-editors.sh     # leaves the archive up (./pacs down --data "$WORK/data" stops it)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${N:-5000}" EDITORS="${EDITORS:-20}" SAVES="${SAVES:-30}" Q="${Q:-300}"
WORK="${WORK:-/var/tmp/reports-bench}"
SHARED_BENCH="${SHARED_BENCH:-/work/shared/bench}"
DATA_SET="${DATA_SET:-$WORK/small-$N}"
HTTP="${BENCH_HTTP_PORT:-18180}" DICOM="${BENCH_DICOM_PORT:-11118}" PG="${BENCH_PG_PORT:-55132}"
export PACS_SILO_PORT_BASE="${PACS_SILO_PORT_BASE:-21180}" PACS_SILO_GATEWAY_PORT_BASE="${PACS_SILO_GATEWAY_PORT_BASE:-31180}"
export PACS_SILO_HTTP_PORT_BASE="${PACS_SILO_HTTP_PORT_BASE:-28180}" PACS_METRICS_PORT_BASE="${PACS_METRICS_PORT_BASE:-0}"
export PACS_ADMIN_PASSWORD="${PACS_ADMIN_PASSWORD:-Bench-Reports-Passw0rd}"
DIR="$WORK/data"
mkdir -p "$WORK"
[[ -n "${KEEP:-}" ]] || trap '"$ROOT/pacs" down --data "$DIR" >/dev/null 2>&1 || true' EXIT

if [[ ! -s "$DATA_SET/manifest.json" ]]; then
  echo "report-editors: generating $N studies into $DATA_SET"
  /usr/bin/python3 "$SHARED_BENCH/gen_dataset.py" small --out "$DATA_SET" --count "$N" --quiet >/dev/null
fi

"$ROOT/pacs" down --data "$DIR" >/dev/null 2>&1 || true
rm -rf "$DIR"
"$ROOT/pacs" up --detach ${NO_BUILD:+--no-build} --data "$DIR" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" --ae CLINTON >/dev/null

start=$(date +%s.%N)
find "$DATA_SET" -name '*.dcm' | sort | xargs storescu -nh -aec CLINTON 127.0.0.1 "$DICOM"
printf 'report-editors: stored %d studies in %.1f s (load %s)\n' "$N" "$(echo "$(date +%s.%N) - $start" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"

/usr/bin/python3 "$ROOT/loadtests/report-editors.py" --port "$HTTP" --manifest "$DATA_SET/manifest.json" \
  --admin-password "$PACS_ADMIN_PASSWORD" --editors "$EDITORS" --saves "$SAVES" --queries "$Q" \
  --gateway-pid "$(cat "$DIR/run/gateway-0.pid")" --silo-pid "$(cat "$DIR/run/silo-0.pid")" --pgdata "$DIR/pg/data"
