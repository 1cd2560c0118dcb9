#!/usr/bin/env bash
# The readers/ingest pair of loadtests/readers-load.sh alone, for A/B runs of the read admission (issue 17 §1,
# docs/benchmarks.md "Read admission"): ours-1x1 only, the harness data stored, ingest and C-MOVE alone, then 50
# readers while four storescu associations send and a workstation pulls priors, then the same readers idle.
#   loadtests/readers-pair.sh OUT                  # this checkout
#   READERS=50 loadtests/readers-pair.sh OUT       # also a 30 s run of 50 readers idle, before the pair
#   ROOT=/path/to/other/checkout loadtests/readers-pair.sh OUT   # the same against another build (A/B)
#   CLUSTER_ROOT=/path/to/other/checkout loadtests/readers-pair.sh OUT   # another build's archive, this generator
# Settings reach the gateway from the environment, e.g. Pacs__DicomWeb__ReadConcurrencyDuringIngest=2.
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
export PACS_SILO_PORT_BASE="${PACS_SILO_PORT_BASE:-16100}" PACS_SILO_GATEWAY_PORT_BASE="${PACS_SILO_GATEWAY_PORT_BASE:-16200}"
export PACS_SILO_HTTP_PORT_BASE="${PACS_SILO_HTTP_PORT_BASE:-16300}" PACS_METRICS_PORT_BASE="${PACS_METRICS_PORT_BASE:-0}"
export READERS_HTTP_PORT="${READERS_HTTP_PORT:-18800}" READERS_DICOM_PORT="${READERS_DICOM_PORT:-12800}" READERS_PG_PORT="${READERS_PG_PORT:-55800}"
export MOVE_SCP_PORT="${MOVE_SCP_PORT:-12895}"
export TARGETS="${TARGETS:-ours-1x1}" READERS="${READERS:- }" MOVES="${MOVES:-5}"
exec "$ROOT/loadtests/readers-load.sh" "$1"
