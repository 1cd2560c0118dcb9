#!/usr/bin/env bash
# load-small (the harness' 5,000 tiny one-instance studies over one storescu association; or any SET, e.g. warm store-4
# with ASSOCIATIONS=4 WARMUP_SET=...) against one build of the archive on a fresh cluster, with what PostgreSQL executes
# per instance (pg_stat_statements, track = all: the statements, their execution time, rows and WAL) and the CPU of
# gateway, silo and PostgreSQL per instance (in load-small, an instance is a new study).
#   loadtests/new-study-split.sh REPO DATA LABEL     # REPO built in Release; DATA a new folder (kept: delete it after)
# Env: OUT (/var/tmp/new-study-split: LABEL.txt), SET (/tmp/bench-data/small), PERF=1 (perf record -g of the silo, the
# gateway and the whole machine for 15 s from the 12th second, with the hosts' perf maps: loadtests/perf-jit-symbols.py),
# PORTS ("HTTP DICOM PG SILO SILO_GATEWAY SILO_HTTP METRICS", default "18800 12800 55800 16100 16200 16300 16400"),
# ASSOCIATIONS (1; 4 splits SET in contiguous quarters over four storescu at once, as the harness' store-4),
# WARMUP_SET (none; a set stored the same way first and not counted, e.g. /tmp/bench-data/ct before SET=.../ct-v1: warm).
# Run it under the CPU lock. The first `up` makes the cluster; it is stopped, pg_stat_statements preloaded, started again.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REPO=$1 D=$2 L=$3
read -r HTTP DICOM PGP SILO SILOGW SILOHTTP METRICS <<< "${PORTS:-18800 12800 55800 16100 16200 16300 16400}"
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 TCP_NODELAY=1
export PACS_ADMIN_PASSWORD="Ab-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')-Pw"
export PACS_SILO_PORT_BASE=$SILO PACS_SILO_GATEWAY_PORT_BASE=$SILOGW PACS_SILO_HTTP_PORT_BASE=$SILOHTTP PACS_METRICS_PORT_BASE=$METRICS
. "$ROOT/loadtests/cpu.sh"
OUT=${OUT:-/var/tmp/new-study-split}; SET=${SET:-/tmp/bench-data/small}; mkdir -p "$OUT"
up() { (cd "$REPO" && ./pacs up --no-build --detach --data "$D" --http-port $HTTP --dicom-port $DICOM --pg-port $PGP) > "$OUT/$L-up.log" 2>&1; }
if ! grep -q pg_stat_statements $D/pg/data/postgresql.auto.conf 2>/dev/null; then
  up; (cd $REPO && ./pacs down --data $D) > /dev/null 2>&1
  printf "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n" >> $D/pg/data/postgresql.auto.conf
fi
up
export PGPASSWORD=$(cat $D/pg-superuser-password)
psql() { command psql -h 127.0.0.1 -p $PGP -U postgres -d pacs "$@"; }
psql -qc "create extension if not exists pg_stat_statements"
G=$(cat $D/run/gateway-0.pid) S=$(cat $D/run/silo-0.pid)
ASSOCIATIONS=${ASSOCIATIONS:-1}
# store LIST LOG: LIST's files over $ASSOCIATIONS storescu associations at once, each a contiguous part.
store() {
  split -n "l/$ASSOCIATIONS" -d "$1" "$1.part"
  for part in "$1".part*; do
    storescu -aet BENCHSCU -aec CLINTON -R -to 30 -ta 30 -td 300 127.0.0.1 $DICOM $(cat "$part") >> "$2" 2>&1 &
  done
  wait; rm -f "$1".part*
}
if [ -n "${WARMUP_SET:-}" ]; then
  find "$WARMUP_SET" -name '*.dcm' | sort > $OUT/warmup-list; store $OUT/warmup-list $OUT/$L-warmup.log
fi
psql -qc "select pg_stat_statements_reset()" >/dev/null
find "$SET" -name '*.dcm' | sort > $OUT/list; xargs cat < $OUT/list > /dev/null; N=$(wc -l < $OUT/list)
if [ "${PERF:-1}" = 1 ]; then (sleep 12; perf record -F 499 -g -o $OUT/$L.perf-silo -p $S -- sleep 15 >/dev/null 2>&1) & (sleep 12; perf record -F 499 -g -o $OUT/$L.perf-gw -p $G -- sleep 15 >/dev/null 2>&1) & (sleep 12; perf record -F 499 -a -g -o $OUT/$L.perf-all -- sleep 15 >/dev/null 2>&1) & fi
c0="$(proc_cpu $G) $(proc_cpu $S) $(pg_cpu $D/pg/data)"; t0=$(date +%s.%N)
store $OUT/list $OUT/$L-store.log
t1=$(date +%s.%N); sleep 1; c1="$(proc_cpu $G) $(proc_cpu $S) $(pg_cpu $D/pg/data)"
echo "$L: $(echo "$N / ($t1 - $t0)" | bc -l | cut -c1-6) inst/s  load $(cut -d' ' -f1 /proc/loadavg)" | tee $OUT/$L.txt
paste <(echo $c0 | tr ' ' '\n') <(echo $c1 | tr ' ' '\n') | awk -v cnt=$N 'BEGIN{split("gateway silo postgres",n," ")} {printf "%s %.2f ms/instance  ", n[NR], ($2-$1)*1000/cnt} END{print ""}' | tee -a $OUT/$L.txt
psql -Atc "select calls, round(total_exec_time::numeric,1), round((total_exec_time/$N)::numeric,3), rows, left(regexp_replace(query,'\s+',' ','g'),140) from pg_stat_statements order by total_exec_time desc limit 25" | tee -a $OUT/$L.txt
psql -Atc "select sum(calls), round(sum(total_exec_time)::numeric,1), sum(wal_records), pg_size_pretty(sum(wal_bytes)) from pg_stat_statements" | tee -a $OUT/$L.txt
psql -Atc "select count(*) from pacs_instances" | tee -a $OUT/$L.txt
cp /tmp/perf-$S.map /tmp/perf-$G.map $OUT/ 2>/dev/null; echo "silo $S gw $G" >> $OUT/$L.txt
(cd $REPO && ./pacs down --data $D) > /dev/null 2>&1
