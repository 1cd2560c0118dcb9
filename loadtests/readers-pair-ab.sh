#!/usr/bin/env bash
# A/B of the readers/ingest pair (issue 17 §1, docs/benchmarks.md "first image while modalities send"): runs of
# loadtests/readers-pair.sh alternated between another checkout's archive (A, through CLUSTER_ROOT: this checkout's
# generator and scripts drive both) and this one's (B, or B with settings), each in a lock hold of its own, the
# gateway's metrics scraped every 2 s meanwhile (for loadtests/readers-pair-table.py).
#   loadtests/readers-pair-ab.sh BASE_ROOT OUT_PREFIX RUN...
#   RUN: NAME:A | NAME:B | NAME:B:Setting=value[,Setting=value] (settings reach the gateway from the environment)
#   e.g. loadtests/readers-pair-ab.sh /var/tmp/firstimage-main /var/tmp/firstimage- A5:A B5:B C6:B:Pacs__DicomWeb__ReadBulkShareDuringIngest=0.3
# Per run: OUT_PREFIX NAME/ (readers-pair.sh's reports, READERS=50: also 50 readers idle for 30 s first),
# OUT_PREFIX metrics-NAME/ (scrapes: pacs_*, process CPU, thread pool), OUT_PREFIX logs/NAME.log.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BASE=$1 PREFIX=$2; shift 2
METRICS_PORT="${PACS_METRICS_PORT_BASE:-16400}"
mkdir -p "${PREFIX}logs"
for run in "$@"; do
  IFS=: read -r name which settings <<<"$run"
  env_args=(PACS_ADMIN_PASSWORD="${PACS_ADMIN_PASSWORD:-bench}" READERS=50 PACS_METRICS_PORT_BASE="$METRICS_PORT")
  [[ "$which" == A ]] && env_args+=(CLUSTER_ROOT="$BASE")
  if [[ -n "${settings:-}" ]]; then IFS=, read -r -a more <<<"$settings"; env_args+=("${more[@]}"); fi
  # One lock hold per run (docs: the shared CPU lock; -o: the daemons started inside do not inherit it).
  flock -o /tmp/cpu.lock bash -c '
    name=$1 prefix=$2 root=$3 port=$4; shift 4
    met="${prefix}metrics-$name"; mkdir -p "$met"
    echo "== $name start $(date -u +%T) load $(cat /proc/loadavg)"
    ( while sleep 2; do curl -s --max-time 1 "http://127.0.0.1:$port/metrics" 2>/dev/null \
        | grep -E "^pacs_|^process_cpu|^dotnet_thread" > "$met/$(date +%s.%N).txt" || true; done ) & scraper=$!
    rc=0; env "$@" "$root/loadtests/readers-pair.sh" "$prefix$name" > "${prefix}logs/$name.log" 2>&1 || rc=$?
    kill "$scraper"; find "$met" -size 0 -delete
    echo "== $name end $(date -u +%T) load $(cat /proc/loadavg) rc=$rc"' _ "$name" "$PREFIX" "$ROOT" "$METRICS_PORT" "${env_args[@]}"
  sleep 5
done
