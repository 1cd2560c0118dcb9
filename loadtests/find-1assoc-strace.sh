#!/usr/bin/env bash
# loadtests/find-1assoc-strace.sh REPO DATA LABEL: one archive (./pacs up --no-build) loaded with the harness' 5,000 tiny studies,
# then findscu --repeat 50 on one association (the harness' find-1assoc), timed, and the same under strace -c -f
# of the gateway (syscalls per query). Ports apart from the other engineers' clusters.
set -euo pipefail
mkdir -p "${OUT:-/tmp/perf17}"
REPO=$1; DATA=$2; LABEL=$3
HTTP=18180; DIMSE=18112; PG=55491
export TCP_NODELAY=1
cd "$REPO"
./pacs up --no-build --detach --data "$DATA" --http-port $HTTP --dicom-port $DIMSE --pg-port $PG > ${OUT:-/tmp/perf17}/$LABEL-up.log 2>&1
GW=$(cat "$DATA"/run/gateway-0.pid)
if [[ ! -f "$DATA/.loaded" ]]; then
  find /tmp/bench-data/small -name '*.dcm' | sort > ${OUT:-/tmp/perf17}/small.list
  head -500 ${OUT:-/tmp/perf17}/small.list > ${OUT:-/tmp/perf17}/small-a.list; tail -n +501 ${OUT:-/tmp/perf17}/small.list > ${OUT:-/tmp/perf17}/small-b.list
  # The first 500 tiny studies under strace (fsync, mkdir, rename per new study: gateway, and PostgreSQL's backends).
  PGPID=$(head -1 "$DATA"/pg/data/postmaster.pid 2>/dev/null || head -1 "$DATA"/pg/postmaster.pid 2>/dev/null || echo "")
  strace -c -f -e trace=fsync,fdatasync,mkdir,rename,renameat,renameat2 -p $GW -o ${OUT:-/tmp/perf17}/$LABEL-small-gw-strace.txt & S1=$!
  if [[ -n "$PGPID" ]]; then strace -c -f -e trace=fsync,fdatasync,sync_file_range,pwrite64,sendto -p $PGPID -o ${OUT:-/tmp/perf17}/$LABEL-small-pg-strace.txt & S2=$!; fi
  sleep 1
  storescu -aet BENCHSCU -aec CLINTON -to 10 -ta 30 -td 300 127.0.0.1 $DIMSE $(cat ${OUT:-/tmp/perf17}/small-a.list) > ${OUT:-/tmp/perf17}/$LABEL-load-a.log 2>&1 || true
  sleep 0.5; kill -INT $S1; wait $S1 || true; if [[ -n "$PGPID" ]]; then kill -INT $S2; wait $S2 || true; fi
  start=$(date +%s.%N)
  storescu -aet BENCHSCU -aec CLINTON -to 10 -ta 30 -td 300 127.0.0.1 $DIMSE $(cat ${OUT:-/tmp/perf17}/small-b.list) > ${OUT:-/tmp/perf17}/$LABEL-load.log 2>&1 || true
  end=$(date +%s.%N)
  echo "load-small: $(wc -l < ${OUT:-/tmp/perf17}/small-b.list) files in $(echo "$end - $start" | bc) s (after 500 under strace)" | tee -a ${OUT:-/tmp/perf17}/$LABEL.txt
  touch "$DATA/.loaded"
fi
Q=(-S -aet BENCHSCU -aec CLINTON -k QueryRetrieveLevel=STUDY -k PatientName=SMITH* -k StudyInstanceUID -k StudyDate -k AccessionNumber -k PatientID -k StudyDescription -k ModalitiesInStudy)
n=$(findscu -v "${Q[@]}" 127.0.0.1 $DIMSE 2>&1 | grep -c "Find Response.*Pending" || true)
echo "$LABEL: matches per query: $n" | tee -a ${OUT:-/tmp/perf17}/$LABEL.txt
findscu --repeat 20 "${Q[@]}" 127.0.0.1 $DIMSE > /dev/null 2>&1   # warm-up
for run in 1 2 3; do
  start=$(date +%s.%N)
  findscu --repeat 50 "${Q[@]}" 127.0.0.1 $DIMSE > /dev/null 2>&1
  end=$(date +%s.%N)
  echo "$LABEL: run $run: 50 queries in $(echo "$end - $start" | bc) s, load $(cut -d' ' -f1 /proc/loadavg)" | tee -a ${OUT:-/tmp/perf17}/$LABEL.txt
done
strace -c -f -p $GW -o ${OUT:-/tmp/perf17}/$LABEL-strace.txt & ST=$!
sleep 1
findscu --repeat 50 "${Q[@]}" 127.0.0.1 $DIMSE > /dev/null 2>&1
sleep 0.5; kill -INT $ST; wait $ST || true
head -25 ${OUT:-/tmp/perf17}/$LABEL-strace.txt | tee -a ${OUT:-/tmp/perf17}/$LABEL.txt
./pacs down --data "$DATA" > /dev/null 2>&1 || true
