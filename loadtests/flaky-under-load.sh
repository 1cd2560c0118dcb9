#!/usr/bin/env bash
# Runs one test filter again and again beside busy loops (CPU contention like the whole suite's -maxcpucount:8 run on
# two cores) and counts passes and failures; each failure's messages are kept. One lock hold:
#   flock -o /tmp/cpu.lock loadtests/flaky-under-load.sh OUT_DIR
# Settings (environment): PROJECT (tests/Gateway.Tests/Gateway.Tests.csproj), FILTER (FullyQualifiedName~IngestConflictTests),
# HOGS (busy loops beside the tests, 8), BUDGET_SECONDS (stop starting runs after this, 540), MAX_RUNS (100).
# The project must be built (Release); the run uses --no-build.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?output folder}
mkdir -p "$out"
PROJECT=${PROJECT:-tests/Gateway.Tests/Gateway.Tests.csproj}
FILTER=${FILTER:-FullyQualifiedName~IngestConflictTests}
HOGS=${HOGS:-8}
BUDGET_SECONDS=${BUDGET_SECONDS:-540}
MAX_RUNS=${MAX_RUNS:-100}

hogs=()
stop_hogs() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; done; wait "${hogs[@]}" 2>/dev/null; hogs=(); }
trap stop_hogs EXIT
for _ in $(seq "$HOGS"); do (while :; do :; done) & hogs+=($!); done

start=$SECONDS runs=0 passed=0 failed=0
echo "start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg) hogs $HOGS filter $FILTER" | tee "$out/summary.txt"
while (( SECONDS - start < BUDGET_SECONDS && runs < MAX_RUNS )); do
    runs=$((runs + 1))
    log="$out/run-$runs.log"
    t0=$SECONDS
    if dotnet test "$PROJECT" -c Release --no-build --filter "$FILTER" --logger "console;verbosity=normal" > "$log" 2>&1; then
        passed=$((passed + 1)); rm -f "$log"; verdict=pass
    else
        failed=$((failed + 1)); verdict=FAIL
    fi
    echo "run $runs $verdict $((SECONDS - t0)) s loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/summary.txt"
done
stop_hogs
echo "end $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg) runs $runs passed $passed failed $failed" | tee -a "$out/summary.txt"
