#!/usr/bin/env bash
# The hosts' runtime settings, A against B (issue 16; docs/benchmarks.md, "JIT settings of the hosts"): the same build
# run with A_ENV and B_ENV in the hosts' environment, alternately (A B, then B A, ...) so that a machine getting busier
# or quieter favours neither, for the three kinds of work a JIT setting may trade against each other:
#   reindex: loadtests/reindex-rate.sh WARM=1 REUSE=1 (half the study folders on freshly started hosts, the other half
#            on the same hosts once warm; the imported blobs kept between runs);
#   store-4 and QIDO: loadtests/ingest-cpu-ab.sh with QIDO (1,000 CT instances over 4 associations on fresh hosts,
#            1,000 more warm, then QIDO requests twice).
# The figures to compare are CPU per instance and per 1,000 requests (gateway + silo + PostgreSQL), not rates.
#   loadtests/runtime-ab.sh [PAIRS]          # A_ENV="" (as built: TieredPGO off) B_ENV="DOTNET_TieredPGO=1", 2 pairs
# (the store-4 part needs the harness' ct and ct-v1 sets in DATA_DIR, /tmp/bench-data: see ingest-cpu-ab.sh)
# Environment: A_ENV, B_ENV; N, STUDIES (the rebuild's set, 6000 and 30); REINDEX_WORK (its folder, WORK/reindex);
# QIDO (1000); WORK (/var/tmp/runtime-ab); DELETE_DATA (1: each store-4 run's data folder deleted after it); the ports
# of reindex-rate.sh (BENCH_*, PACS_SILO_*) and of ingest-cpu-ab.sh (A_PORTS, B_PORTS); ONLY=reindex|ingest: one part.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PAIRS=${1:-2}
A_ENV=${A_ENV-} B_ENV=${B_ENV-DOTNET_TieredPGO=1}
WORK=${WORK:-/var/tmp/runtime-ab}
export N=${N:-6000} STUDIES=${STUDIES:-30} QIDO=${QIDO:-1000} DELETE_DATA=${DELETE_DATA:-1}
mkdir -p "$WORK"
RESULTS=${RESULTS:-$WORK/results.txt}

reindex() {  # reindex LABEL ENV
  echo "== reindex, $1 (${2:-as built}) $(date -u +%H:%M:%S)" | tee -a "$RESULTS"
  # shellcheck disable=SC2086
  env $2 WORK="${REINDEX_WORK:-$WORK/reindex}" REUSE=1 WARM=1 "$ROOT/loadtests/reindex-rate.sh" | tee -a "$RESULTS"
}

if [[ "${ONLY:-reindex}" == reindex ]]; then
  for ((i = 1; i <= PAIRS; i++)); do
    if ((i % 2)); then reindex A "$A_ENV"; reindex B "$B_ENV"; else reindex B "$B_ENV"; reindex A "$A_ENV"; fi
  done
fi
if [[ "${ONLY:-ingest}" == ingest ]]; then
  A_ENV="$A_ENV" B_ENV="$B_ENV" WORK="$WORK/ingest" RESULTS="$RESULTS" "$ROOT/loadtests/ingest-cpu-ab.sh" A "$ROOT" B "$ROOT" "$PAIRS"
fi
