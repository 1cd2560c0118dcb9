#!/usr/bin/env bash
# The harness' load-small (5,000 tiny one-instance studies, one storescu association, a fresh target) against one
# target, with the CPU each process spends per 1,000 instances, and optionally what each study costs in durable writes.
#   loadtests/small-ingest.sh REPO LABEL      # the archive built in REPO (./pacs up --no-build, 1 silo, 1 gateway)
#   loadtests/small-ingest.sh orthanc LABEL   # Debian's Orthanc, ../shared/bench/orthanc-sqlite.json on ports of its own
# Env: SET (the tiny studies, default /var/tmp/small-data: gen_dataset.py small --count 5000), OUT (results folder),
# WORKLOAD (the label of the result line; e.g. store-1 with SET=a ct set), COUNT (instances sent, default all), STRACE=1 (the first TRACE_COUNT=300 studies under `strace -f -T` of the gateway
# or Orthanc and `strace -f -c` of PostgreSQL, then the rest untraced and not timed), DATA (the target's data folder,
# default /var/tmp/small-LABEL; must not exist; kept: deleting many files just before the next run slows its file
# creation on this VM's journal-less ext4, docs/benchmarks.md; CLEAN=1 deletes it at the end).
# Ports (this session's): HTTP 18700, DICOM 12700, PostgreSQL 55700; Orthanc 18790 / 12790. Run it under the CPU lock.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/loadtests/cpu.sh"
TARGET=$1; LABEL=$2
SET="${SET:-/var/tmp/small-data}"
OUT="${OUT:-/var/tmp/small-results}"
DATA="${DATA:-/var/tmp/small-$LABEL}"
TRACE_COUNT="${TRACE_COUNT:-300}"
export TCP_NODELAY=1   # as the harness: Debian's storescu leaves Nagle's algorithm on without it
# METRICS=PORT: the hosts' management ports from PORT (gateway PORT, silo PORT+1), and the gateway's stage latencies
# (pacs.ingest.stage.duration, pacs.dimse.operation.duration) reported as means over the run.
export PACS_SILO_PORT_BASE=15100 PACS_SILO_GATEWAY_PORT_BASE=15200 PACS_SILO_HTTP_PORT_BASE=15300 PACS_METRICS_PORT_BASE="${METRICS:-0}"
mkdir -p "$OUT"
[[ ! -e "$DATA" ]] || { echo "$DATA exists: give a new folder" >&2; exit 2; }
find "$SET" -name '*.dcm' | sort > "$OUT/$LABEL.list"
[[ -z "${COUNT:-}" ]] || { head -n "$COUNT" "$OUT/$LABEL.list" > "$OUT/$LABEL.list.tmp"; mv "$OUT/$LABEL.list.tmp" "$OUT/$LABEL.list"; }
xargs cat < "$OUT/$LABEL.list" > /dev/null   # the files in the page cache, as the harness does
log() { echo "$(date -u +%T) $LABEL: $*  (load $(cut -d' ' -f1 /proc/loadavg))" | tee -a "$OUT/$LABEL.txt"; }

if [[ "$TARGET" == orthanc ]]; then
  AEC=ORTHANC; PORT=12790
  mkdir -p "$DATA/storage" "$DATA/index"
  sed -e "s#/tmp/bench-orthanc/sqlite/storage#$DATA/storage#" -e "s#/tmp/bench-orthanc/sqlite/index#$DATA/index#" \
      -e 's#"HttpPort" : 18042#"HttpPort" : 18790#' -e 's#"DicomPort" : 14242#"DicomPort" : 12790#' \
      "$ROOT/../shared/bench/orthanc-sqlite.json" > "$DATA/orthanc.json"
  /usr/sbin/Orthanc --logfile="$DATA/orthanc.log" "$DATA/orthanc.json" > "$DATA/stdout.log" 2>&1 &
  MAIN=$!; PROCS="orthanc=$MAIN"
  for _ in $(seq 1 120); do curl -fsS --max-time 2 http://127.0.0.1:18790/system > /dev/null 2>&1 && break; sleep 0.5; done
  stop() { kill "$MAIN" 2>/dev/null || true; wait "$MAIN" 2>/dev/null || true; }
else
  AEC=CLINTON; PORT=12700
  (cd "$TARGET" && ./pacs up --no-build --detach --data "$DATA" --http-port 18700 --dicom-port 12700 --pg-port 55700) > "$OUT/$LABEL-up.log" 2>&1
  MAIN=$(cat "$DATA/run/gateway-0.pid"); SILO=$(cat "$DATA/run/silo-0.pid")
  PROCS="gateway=$MAIN silo=$SILO"
  stop() { (cd "$TARGET" && ./pacs down --data "$DATA") > /dev/null 2>&1 || true; }
fi
trap stop EXIT
PGDATA="$DATA/pg/data"

cpu_all() {  # gateway silo postgres (or orthanc)
  local p; for p in $PROCS; do printf '%s ' "$(proc_cpu "${p#*=}")"; done
  [[ -f "$PGDATA/postmaster.pid" ]] && pg_cpu "$PGDATA" || echo 0
}
send() { storescu -aet BENCHSCU -aec $AEC -R -to 30 -ta 30 -td 300 127.0.0.1 $PORT "$@"; }

if [[ "${STRACE:-0}" == 1 ]]; then
  head -n "$TRACE_COUNT" "$OUT/$LABEL.list" > "$OUT/$LABEL.trace.list"
  strace -f -T -tt -e trace=fsync,fdatasync,openat,mkdir,rename,renameat,renameat2,sync_file_range -p "$MAIN" -o "$OUT/$LABEL-strace-T.txt" & S1=$!
  S2=
  if [[ -f "$PGDATA/postmaster.pid" ]]; then
    pm=$(head -1 "$PGDATA/postmaster.pid")   # the postmaster and every backend already running (-f follows only new ones)
    strace -c -f -e trace=fsync,fdatasync,sync_file_range,pwrite64,sendto $(for p in $pm $(pgrep -P "$pm"); do printf -- '-p %s ' "$p"; done) -o "$OUT/$LABEL-pg-strace-c.txt" & S2=$!
  fi
  sleep 1
  t0=$(date +%s.%N); send $(cat "$OUT/$LABEL.trace.list") > "$OUT/$LABEL-trace-store.log" 2>&1 || true; t1=$(date +%s.%N)
  sleep 0.5; kill -INT $S1; wait $S1 || true; [[ -z "$S2" ]] || { kill -INT $S2; wait $S2 || true; }
  log "$TRACE_COUNT studies under strace in $(echo "$t1 - $t0" | bc) s"
  # Per call kind: count and total seconds (the -T figure), and per study.
  awk -v n="$TRACE_COUNT" '
    /<[0-9.]+>$/ { if (match($0, /<\.\.\. [a-z_0-9]+ resumed>/)) call = substr($0, RSTART + 5, RLENGTH - 14); else { match($0, /[a-z_0-9]+\(/); call = substr($0, RSTART, RLENGTH - 1) }
                   match($0, /<[0-9.]+>$/);
                   t = substr($0, RSTART + 1, RLENGTH - 2); c[call]++; s[call] += t }
    END { for (k in c) printf "  %-16s %6d calls  %6.2f per study  %8.3f ms each (mean)  %8.3f ms per study\n", k, c[k], c[k] / n, s[k] * 1000 / c[k], s[k] * 1000 / n }' \
    "$OUT/$LABEL-strace-T.txt" | sort | tee -a "$OUT/$LABEL.txt"
  log "done (strace)"
  exit 0
fi

scrape() {  # scrape FILE: the gateway's histograms' sums and counts
  [[ "${METRICS:-0}" != 0 && "$TARGET" != orthanc ]] || return 0
  curl -fsS --max-time 5 "http://127.0.0.1:$METRICS/metrics" | grep -E '^pacs_(ingest_stage|dimse_operation)_duration_seconds_(sum|count)' > "$1" || true
}
scrape "$OUT/$LABEL-metrics-0.txt"
read -r -a c0 <<< "$(cpu_all)"
t0=$(date +%s.%N)
send $(cat "$OUT/$LABEL.list") > "$OUT/$LABEL-store.log" 2>&1 || true
t1=$(date +%s.%N)
read -r -a c1 <<< "$(cpu_all)"
scrape "$OUT/$LABEL-metrics-1.txt"
n=$(wc -l < "$OUT/$LABEL.list")
failed=$(grep -ci "error\|fail" "$OUT/$LABEL-store.log" || true)
secs=$(echo "$t1 - $t0" | bc)
cpu_line=""; i=0
for p in $PROCS postgres=0; do
  cpu_line+="$(awk -v a="${c0[$i]}" -v b="${c1[$i]}" -v n="$n" -v name="${p%%=*}" 'BEGIN { printf "%s %.2f s  ", name, (b - a) * 1000 / n }')"
  i=$((i + 1))
done
log "${WORKLOAD:-load-small} $n instances in $secs s: $(awk -v n="$n" -v t="$secs" 'BEGIN { printf "%.0f", n / t }') inst/s; error lines $failed; CPU per 1,000: $cpu_line"
if [[ -s "$OUT/$LABEL-metrics-1.txt" ]]; then
  # Mean of each histogram series over the run: (sum1 - sum0) / (count1 - count0).
  awk 'FILENAME == ARGV[1] { v0[$1] = $2; next } { v1[$1] = $2 }
       END { for (k in v1) if (k ~ /_sum/) { c = k; sub(/_sum/, "_count", c); n = v1[c] - v0[c];
               if (n > 0) printf "  %s: %d, mean %.3f ms\n", k, n, (v1[k] - v0[k]) * 1000 / n } }' \
    "$OUT/$LABEL-metrics-0.txt" "$OUT/$LABEL-metrics-1.txt" | sed 's/_sum//' | sort | tee -a "$OUT/$LABEL.txt"
fi
if [[ "$TARGET" != orthanc ]]; then
  rows=$(PGPASSWORD=$(cat "$DATA/pg-pacs-password" 2>/dev/null || true) psql -h 127.0.0.1 -p 55700 -U pacs -d pacs -Atc "select count(*) from pacs_instances" 2>/dev/null || echo "?")
  log "pacs_instances rows: $rows"
fi
stop; trap - EXIT
[[ "${CLEAN:-0}" != 1 ]] || rm -rf "$DATA"
