#!/usr/bin/env bash
# What one warm store-4 instance costs, per process and in PostgreSQL's own counters (issue 17 §3): a fresh ./pacs up
# of this checkout as last built (Release), the harness' store-4 once to warm it (ct-v1), then store-4 twice more
# (ct-v2, ct-v3) measured: CPU-ms per instance of silo, gateway and PostgreSQL, context switches per instance
# (voluntary + involuntary, all threads), and per instance the database's commits, WAL records, bytes, syncs and full
# page images, and the rows inserted, updated and deleted per table (pg_stat_*; the statistics are flushed lazily, so
# a row count a few % under 1 is one per instance).
#   flock -o /tmp/cpu.lock loadtests/store4-per-instance.sh OUT
#   UP_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0" PERF=1 loadtests/store4-per-instance.sh OUT
#       (and perf record -g of gateway and silo over the measured runs: OUT/perf-gateway, OUT/perf-silo and the perf
#        maps, for loadtests/perf-jit-symbols.py)
# Environment: UP_ENV (the hosts' environment, e.g. a runtime setting to compare), BENCH (../shared/bench),
# DATA_DIR (/tmp/bench-data: the harness' ct-v1..ct-v3), ports HTTP DICOM PG (19000 13000 56000) and PACS_*_PORT_BASE
# (19100 19200 19300 19400), KEEP=1 (leave the cluster up; ./pacs down --data DATA later).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
. loadtests/cpu.sh
. loadtests/harness.sh
OUT=${1:?usage: store4-per-instance.sh OUT}
mkdir -p "$OUT"
BENCH=${BENCH:-$ROOT/../shared/bench}
export DATA_DIR=${DATA_DIR:-/tmp/bench-data} TCP_NODELAY=1
HTTP=${HTTP:-19000} DICOM=${DICOM:-13000} PG=${PG:-56000}
export PACS_SILO_PORT_BASE=${PACS_SILO_PORT_BASE:-19100} PACS_SILO_GATEWAY_PORT_BASE=${PACS_SILO_GATEWAY_PORT_BASE:-19200}
export PACS_SILO_HTTP_PORT_BASE=${PACS_SILO_HTTP_PORT_BASE:-19300} PACS_METRICS_PORT_BASE=${PACS_METRICS_PORT_BASE:-19400}
data=/var/tmp/store4-per-instance-$(date -u +%H%M%S)
export PACS_ADMIN_PASSWORD="Spi-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')-Pw"
# shellcheck disable=SC2086 # UP_ENV is a list of NAME=VALUE words
env ${UP_ENV:-} ./pacs up --no-build --detach --data "$data" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" --ae CLINTON \
  > "$OUT/up.log" 2>&1 || { tail "$OUT/up.log"; exit 1; }
[[ -n "${KEEP:-}" ]] || trap './pacs down --data "$data" > /dev/null 2>&1' EXIT
token=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PACS_ADMIN_PASSWORD\"}" \
  "http://127.0.0.1:$HTTP/auth/token" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
harness_target "$OUT/target.env" clinton-pacs "Clinton PACS $(git rev-parse --short HEAD) ${UP_ENV:-}: 1 silo, 1 gateway" "$HTTP" "$DICOM" "$token"
export PGPASSWORD; PGPASSWORD="$(cat "$data/pg-pacs-password")"
psql_() { psql -h 127.0.0.1 -p "$PG" -U pacs -d pacs -At "$@"; }
snapshot() {
  psql_ -F '|' -c "select 'commits', xact_commit from pg_stat_database where datname = 'pacs'
    union all select 'wal records', wal_records from pg_stat_wal union all select 'wal bytes', wal_bytes from pg_stat_wal
    union all select 'wal syncs', wal_sync from pg_stat_wal union all select 'wal full page images', wal_fpi from pg_stat_wal
    union all select 'inserted ' || relname, n_tup_ins from pg_stat_user_tables
    union all select 'updated ' || relname, n_tup_upd from pg_stat_user_tables
    union all select 'deleted ' || relname, n_tup_del from pg_stat_user_tables"
}
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }
pg_switches() {
  local pm; pm=$(head -1 "$data/pg/data/postmaster.pid")
  for p in $(pgrep -P "$pm"); do cat /proc/"$p"/task/*/status 2>/dev/null; done | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'
}

WORKLOADS=store-4 RUNS=1 RESULTS_DIR="$OUT" "$BENCH/run.sh" "$OUT/target.env" > "$OUT/warm.log" 2>&1   # ct-v1
spid=$(cat "$data/run/silo-0.pid"); gpid=$(cat "$data/run/gateway-0.pid")
sleep 2
snapshot > "$OUT/before"; n0=$(psql_ -c "select count(*) from pacs_instances")
s0=$(proc_cpu "$spid"); g0=$(proc_cpu "$gpid"); p0=$(pg_cpu "$data/pg/data")
cg0=$(switches "$gpid"); cs0=$(switches "$spid"); cp0=$(pg_switches)
prof=""
if [[ -n "${PERF:-}" ]]; then
  perf record -F 999 -g -o "$OUT/perf-gateway" -p "$gpid" > /dev/null 2>&1 & prof=$!
  perf record -F 999 -g -o "$OUT/perf-silo" -p "$spid" > /dev/null 2>&1 & prof="$prof $!"
fi
WORKLOADS=store-4 RUNS=2 RESULTS_DIR="$OUT" "$BENCH/run.sh" "$OUT/target.env" > "$OUT/measured.log" 2>&1   # ct-v2, ct-v3
if [[ -n "$prof" ]]; then
  # shellcheck disable=SC2086
  kill -INT $prof; sleep 2; cp "/tmp/perf-$gpid.map" "/tmp/perf-$spid.map" "$OUT/" 2>/dev/null || true
fi
sleep 2
s1=$(proc_cpu "$spid"); g1=$(proc_cpu "$gpid"); p1=$(pg_cpu "$data/pg/data")
cg1=$(switches "$gpid"); cs1=$(switches "$spid"); cp1=$(pg_switches)
snapshot > "$OUT/after"; n1=$(psql_ -c "select count(*) from pacs_instances")
n=$((n1 - n0))
{
  echo "build $(git rev-parse --short HEAD) ${UP_ENV:-}; $n instances measured (gateway pid $gpid, silo pid $spid)"
  grep -h '| store-4' "$OUT/measured.log" | tail -1
  awk -v n="$n" -v s="$(echo "$s1 - $s0" | bc)" -v g="$(echo "$g1 - $g0" | bc)" -v p="$(echo "$p1 - $p0" | bc)" \
    'BEGIN { printf "CPU ms per instance: silo %.2f gateway %.2f postgresql %.2f total %.2f\n", s*1000/n, g*1000/n, p*1000/n, (s+g+p)*1000/n }'
  awk -v n="$n" -v g=$((cg1 - cg0)) -v s=$((cs1 - cs0)) -v p=$((cp1 - cp0)) \
    'BEGIN { printf "context switches per instance: gateway %.1f silo %.1f postgresql %.1f\n", g/n, s/n, p/n }'
  join -t '|' <(sort "$OUT/before") <(sort "$OUT/after") | awk -F '|' -v n="$n" '$3 - $2 > 0 { printf "  %-40s %9.2f per instance\n", $1, ($3 - $2) / n }'
} | tee "$OUT/summary.txt"
[[ -z "${KEEP:-}" ]] || echo "left up: ./pacs down --data $data"
