#!/usr/bin/env bash
# store4-ab.sh OUT LABEL=CHECKOUT ...: fresh 1x1 cluster per run, 1,600 CT (send-16x100-v1) over 4 storescu associations, inst/s
set -uo pipefail
OUT=$1; shift; mkdir -p "$OUT"
export PACS_SILO_PORT_BASE=16100 PACS_SILO_GATEWAY_PORT_BASE=16200 PACS_SILO_HTTP_PORT_BASE=16300 PACS_METRICS_PORT_BASE=0 TCP_NODELAY=1
export PACS_ADMIN_PASSWORD="Ab-$(od -An -N6 -tx8 /dev/urandom | tr -d ' ')-Pw"
SET=/var/tmp/readers-data/send-16x100-v1
for spec in "$@"; do
  label=${spec%%=*}; root=${spec#*=}; d="$OUT/$label"
  "$root/pacs" up --no-build --detach --data "$d" --http-port 18810 --dicom-port 12810 --pg-port 55810 > "$d.up.log" 2>&1 || { echo "$label: up failed"; continue; }
  studies=("$SET"/s*/); pids=(); t0=$(date +%s.%N); l0=$(cut -d' ' -f1 /proc/loadavg)
  for ((i = 0; i < 4; i++)); do mine=(); for ((k = i; k < ${#studies[@]}; k += 4)); do mine+=("${studies[$k]}"); done
    storescu -aet BENCHSCU -aec CLINTON 127.0.0.1 12810 $(find "${mine[@]}" -name '*.dcm' | sort) > "$d.send-$i.log" 2>&1 & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(date +%s.%N); n=$(find "$SET" -name '*.dcm' | wc -l)
  echo "$label $(awk -v n=$n -v a=$t0 -v b=$t1 'BEGIN{printf "%.1f inst/s (%.1f s)", n/(b-a), b-a}') load $l0 -> $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/results.txt"
  "$root/pacs" down --data "$d" > /dev/null 2>&1; sleep 2
done
