#!/usr/bin/env bash
# WADO-RS series metadata of 500-instance series against a running archive (docs/benchmarks.md, "Series metadata of
# a 500-instance series"): cold (first request for a series since the cluster started, in processes whose JIT was
# warmed on other series) and warm, with Accept-Encoding gzip and identity, from a separate client process on one
# keep-alive connection (loadtests/SeriesMetadataBench). Client times and the gateway's Server-Timing.
#   loadtests/series-metadata-bench.sh
# Knobs: PASSES (4: each restarts the cluster and measures every cold series once, gzip and identity in turn; the
# first pass also measures warm), SERIES (8: three warm the JIT, five are measured cold), INSTANCES (500), WARM (300
# requests per encoding), DATA (/tmp/meta-data), SET (/tmp/meta-series), HTTP/DICOM/PG ports (28080/24112/55462),
# PACS (the ./pacs of the build to measure, default this checkout's). To run beside another cluster on one machine
# also move the silo ports (PACS_SILO_PORT_BASE and friends, see ./pacs). Loads the series on the first run (kept in
# DATA); stops the cluster at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PACS="${PACS:-$ROOT/pacs}"
DATA="${DATA:-/tmp/meta-data}" SET="${SET:-/tmp/meta-series}"
HTTP="${HTTP:-28080}" DICOM="${DICOM:-24112}" PG="${PG:-55462}"
PASSES="${PASSES:-4}" SERIES="${SERIES:-8}" INSTANCES="${INSTANCES:-500}" WARM="${WARM:-300}"
BASE="http://127.0.0.1:$HTTP/dicom-web"
BENCH="$ROOT/loadtests/SeriesMetadataBench"
LOG="$(mktemp /tmp/series-metadata-bench.XXXXXX)"

up() {
    "$PACS" down --data "$DATA" >/dev/null 2>&1 || true
    "$PACS" up --detach --data "$DATA" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" --ae CLINTON >/dev/null
}
trap '"$PACS" down --data "$DATA" >/dev/null 2>&1 || true; rm -f "$LOG"' EXIT

if [[ ! -s "$SET/series.tsv" || $(wc -l < "$SET/series.tsv") -ne $SERIES ]]; then
    rm -rf "$SET" && mkdir -p "$SET"
    /usr/bin/python3 "$BENCH/gen_series.py" --out "$SET" --series "$SERIES" --instances "$INSTANCES" > "$SET/series.tsv.tmp"
    mv "$SET/series.tsv.tmp" "$SET/series.tsv"
fi
dotnet build "$BENCH/SeriesMetadataBench.csproj" -c Release -nologo -v q >/dev/null
up

# Load what is missing (QIDO-RS: NumberOfStudyRelatedInstances of each study).
while IFS=$'\t' read -r study series dir; do
    have=$(curl -fsS "$BASE/studies?StudyInstanceUID=$study&includefield=00201208" \
        | /usr/bin/python3 -c 'import json,sys; t=sys.stdin.read(); a=json.loads(t) if t.strip() else []; print(a[0]["00201208"]["Value"][0] if a else 0)')
    if [[ "$have" -ne "$INSTANCES" ]]; then
        echo "storing $dir ($have of $INSTANCES there)"
        storescu -aec CLINTON -to 60 127.0.0.1 "$DICOM" +sd "$dir"
    fi
done < "$SET/series.tsv"

echo "build: $(git -C "$(dirname "$PACS")" rev-parse --short HEAD 2>/dev/null || dirname "$PACS"), $(nproc) cores"
for ((pass = 1; pass <= PASSES; pass++)); do
    up # nothing in any grain's or the gateway's memory
    encoding=$([[ $((pass % 2)) -eq 1 ]] && echo gzip || echo identity)
    warm=$([[ $pass -eq 1 ]] && echo "$WARM" || echo 0)
    echo "pass $pass: load average $(cut -d' ' -f1-3 /proc/loadavg)"
    dotnet "$BENCH/bin/Release/net10.0/SeriesMetadataBench.dll" --base "$BASE" --series "$SET/series.tsv" \
        --warm "$warm" --cold-encoding "$encoding" | tee -a "$LOG"
done

# Cold over all passes: p50 / p95 of client total and the gateway's total (Server-Timing) per encoding.
/usr/bin/python3 - "$LOG" <<'PY'
import re, sys
samples = {}
for line in open(sys.argv[1]):
    m = re.match(r"cold (\w+)\s+\S+: total\s+([\d.]+) ms, ttfb\s+([\d.]+) ms, server \[(.*)\]", line)
    if not m:
        continue
    server = re.search(r"total;dur=([\d.]+)", m.group(4))
    samples.setdefault(m.group(1), []).append((float(m.group(2)), float(server.group(1)) if server else float("nan")))
def q(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]
for encoding, rows in samples.items():
    client = [r[0] for r in rows]
    server = [r[1] for r in rows]
    print(f"COLD {encoding:<8} n={len(rows):<3} client total p50 {q(client, .5):7.2f} p95 {q(client, .95):7.2f} ms;"
          f" gateway total p50 {q(server, .5):7.2f} p95 {q(server, .95):7.2f} ms")
PY
