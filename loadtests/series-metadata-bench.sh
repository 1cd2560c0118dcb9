#!/usr/bin/env bash
# WADO-RS series metadata of 500-instance series against a running archive (docs/benchmarks.md, "Series metadata of
# a 500-instance series"): cold (first request for a series since the cluster started, JIT warmed on another series)
# and warm, with Accept-Encoding gzip and identity, from a separate client process on one keep-alive connection.
#   loadtests/series-metadata-bench.sh
# Knobs: SERIES (8: three warm the JIT, the others are measured cold), INSTANCES (500), WARM (300 requests per
# encoding), DATA (/tmp/meta-data), SET (/tmp/meta-series), HTTP/DICOM/PG ports (28080/24112/55462); to run beside
# another cluster on one machine also move the silo ports (PACS_SILO_PORT_BASE and friends, see ./pacs).
# Loads the series on the first run (kept in DATA); the cluster is restarted before each measuring pass so that no
# series is in a grain's or the gateway's memory; stops the cluster at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="${DATA:-/tmp/meta-data}" SET="${SET:-/tmp/meta-series}"
HTTP="${HTTP:-28080}" DICOM="${DICOM:-24112}" PG="${PG:-55462}"
SERIES="${SERIES:-8}" INSTANCES="${INSTANCES:-500}" WARM="${WARM:-300}"
BASE="http://127.0.0.1:$HTTP/dicom-web"
BENCH="$ROOT/loadtests/SeriesMetadataBench"

up() {
    "$ROOT/pacs" down --data "$DATA" >/dev/null 2>&1 || true
    "$ROOT/pacs" up --detach --data "$DATA" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" --ae CLINTON >/dev/null
}
trap '"$ROOT/pacs" down --data "$DATA" >/dev/null 2>&1 || true' EXIT

if [[ ! -s "$SET/series.tsv" || $(wc -l < "$SET/series.tsv") -ne $SERIES ]]; then
    rm -rf "$SET" && mkdir -p "$SET"
    /usr/bin/python3 "$BENCH/gen_series.py" --out "$SET" --series "$SERIES" --instances "$INSTANCES" > "$SET/series.tsv.tmp"
    mv "$SET/series.tsv.tmp" "$SET/series.tsv"
fi
dotnet build "$BENCH/SeriesMetadataBench.csproj" -c Release -nologo -v q >/dev/null
up

# Load what is missing (QIDO-RS: NumberOfStudyRelatedInstances of each study).
stored=0
while IFS=$'\t' read -r study series dir; do
    have=$(curl -fsS "$BASE/studies?StudyInstanceUID=$study&includefield=00201208" \
        | /usr/bin/python3 -c 'import json,sys; t=sys.stdin.read(); a=json.loads(t) if t.strip() else []; print(a[0]["00201208"]["Value"][0] if a else 0)')
    if [[ "$have" -ne "$INSTANCES" ]]; then
        echo "storing $dir ($have of $INSTANCES there)"
        storescu -aec CLINTON -to 60 127.0.0.1 "$DICOM" +sd "$dir"
        stored=1
    fi
done < "$SET/series.tsv"
[[ $stored -eq 1 ]] && up

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$BENCH/bin/Release/net10.0/SeriesMetadataBench.dll" --base "$BASE" --series "$SET/series.tsv" --warm "$WARM" --cold-encoding gzip
up
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$BENCH/bin/Release/net10.0/SeriesMetadataBench.dll" --base "$BASE" --series "$SET/series.tsv" --warm 0 --cold-encoding identity
