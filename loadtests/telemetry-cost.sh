#!/usr/bin/env bash
# Telemetry on against off, side by side (issue 15: on must cost <= 5 % of store-4 throughput and of QIDO p50).
# Each round starts a fresh `./pacs up` (1 silo, 1 gateway) with Pacs__Telemetry__Enabled=true (traces sampled at 1.0,
# Prometheus on the management port, no OTLP receiver) or false, stores N fresh CT instances over 4 concurrent storescu
# associations (store-4), then times Q QIDO-RS study searches one after the other (curl, p50 of time_total).
#   loadtests/telemetry-cost.sh            # ROUNDS=2 (on, off, off, on), N=400, Q=200; figures in docs/benchmarks.md
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${ROUNDS:-2}" N="${N:-400}" Q="${Q:-200}"
WORK="${WORK:-/tmp/pacs-telemetry-cost}"
HTTP="${BENCH_HTTP_PORT:-18480}" DICOM="${BENCH_DICOM_PORT:-14512}" PG="${BENCH_PG_PORT:-55482}"
export PACS_SILO_PORT_BASE="${PACS_SILO_PORT_BASE:-21300}" PACS_SILO_GATEWAY_PORT_BASE="${PACS_SILO_GATEWAY_PORT_BASE:-31300}"
export PACS_SILO_HTTP_PORT_BASE="${PACS_SILO_HTTP_PORT_BASE:-28800}" PACS_METRICS_PORT_BASE="${PACS_METRICS_PORT_BASE:-19464}"
export PACS_ADMIN_PASSWORD="Bench-Telemetry-Passw0rd"
SOURCE="$ROOT/tests/Dicom.Tests/Corpus/test_files/CT_small.dcm"
mkdir -p "$WORK"
TARGET=""
trap '[[ -n "$TARGET" ]] && "$ROOT/pacs" down --data "$TARGET" >/dev/null 2>&1 || true' EXIT

# make_set DIR: N copies of CT_small with fresh study/series/instance UIDs (one study per 100 instances).
make_set() {
  mkdir -p "$1"
  local i study series
  for ((i = 0; i < N; i++)); do
    if ((i % 100 == 0)); then
      study="2.25.$(python3 -c 'import uuid; print(uuid.uuid4().int)')"
      series="2.25.$(python3 -c 'import uuid; print(uuid.uuid4().int)')"
    fi
    printf -v f '%s/%05d.dcm' "$1" "$i"
    cp "$SOURCE" "$f"
    # dcmtk: a new SOP Instance UID per file (-gin, meta header updated too), the batch's study and series.
    dcmodify -nb -q -gin -m "(0020,000d)=$study" -m "(0020,000e)=$series" "$f"
  done
}

round() {  # round on|off INDEX
  local mode=$1 i=$2 dir="$WORK/data-$1-$2" set="$WORK/set-$1-$2"
  make_set "$set"
  "$ROOT/pacs" down --data "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
  Pacs__Telemetry__Enabled=$([[ $mode == on ]] && echo true || echo false) \
    "$ROOT/pacs" up --detach --data "$dir" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" --ae CLINTON >/dev/null
  TARGET="$dir"
  # store-4: the set split over 4 concurrent associations.
  local start end
  start=$(date +%s.%N)
  for k in 0 1 2 3; do
    find "$set" -name '*.dcm' | sort | awk -v k=$k 'NR % 4 == k' | xargs storescu -nh -aet BENCHSCU -aec CLINTON 127.0.0.1 "$DICOM" &
  done
  wait
  end=$(date +%s.%N)
  local store; store=$(echo "$N / ($end - $start)" | bc -l)
  # QIDO p50: one client, one query after the other, after a warm-up.
  local token
  token=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PACS_ADMIN_PASSWORD\"}" \
    "http://127.0.0.1:$HTTP/auth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  local url="http://127.0.0.1:$HTTP/dicom-web/studies?ModalitiesInStudy=CT&limit=10"
  for _ in $(seq 20); do curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$url"; done
  local p50
  p50=$(for _ in $(seq "$Q"); do curl -fsS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$url"; done \
    | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] * 1000 }')
  printf '%s round %d: store-4 %.0f inst/s, QIDO p50 %s ms (load average %s)\n' "$mode" "$i" "$store" "$p50" "$(cut -d' ' -f1 /proc/loadavg)"
  "$ROOT/pacs" down --data "$dir" >/dev/null 2>&1 || true
  TARGET=""
  rm -rf "$dir" "$set"
}

# The order alternates (on-off, off-on, ...) so that a machine getting busier or quieter favours neither.
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then round on "$r"; round off "$r"; else round off "$r"; round on "$r"; fi
done
