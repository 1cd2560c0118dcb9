#!/usr/bin/env bash
set -u
OUT=/var/tmp/cfind-prof; mkdir -p $OUT
echo "start $(date -u +%T) $(cat /proc/loadavg)" | tee $OUT/load.txt
cd /work/wt-cfind
export PACS_ADMIN_PASSWORD=bench-cfind-1 TCP_NODELAY=1 DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
PACS_SILO_PORT_BASE=15150 PACS_SILO_GATEWAY_PORT_BASE=15250 PACS_SILO_HTTP_PORT_BASE=15350 PACS_METRICS_PORT_BASE=15402 \
  ./pacs up --no-build --detach --data /var/tmp/cfind-b --http-port 18701 --dicom-port 12701 --pg-port 55701 > $OUT/up.log 2>&1
Q=(-S -aet BENCHSCU -aec CLINTON -sr -k QueryRetrieveLevel=STUDY -k PatientName=SMITH* -k StudyInstanceUID -k StudyDate -k AccessionNumber -k PatientID -k StudyDescription -k ModalitiesInStudy)
findscu --repeat 30 "${Q[@]}" 127.0.0.1 12701 > /dev/null 2>&1
data=/var/tmp/cfind-b
{ echo "set plan_cache_mode = force_generic_plan;"
  echo "prepare q(text, text, text) as $(cat /var/tmp/cfind-work/stmt-B.sql);"
  for i in 1 2 3; do echo "explain (analyze, buffers) execute q('SMITH', 'SMITI', 'SMITH%');"; done
} > $OUT/explain.sql
PGPASSWORD=$(cat $data/pg-superuser-password) psql -h $data/pg/sock -p 55701 -U postgres -d pacs -f $OUT/explain.sql > $OUT/explain.txt 2>&1
gw=$(cat $data/run/gateway-0.pid)
perf record -F 999 -g -o $OUT/perf-gw.data -p $gw > /dev/null 2>&1 & pp=$!
sleep 1
s=$(date +%s.%N)
findscu --repeat 100 "${Q[@]}" 127.0.0.1 12701 > /dev/null 2>&1
e=$(date +%s.%N)
kill -INT $pp; wait $pp
echo "100 queries under perf: $(echo "$e - $s" | bc) s" | tee -a $OUT/load.txt
cp /tmp/perf-$gw.map $OUT/ 2>/dev/null
./pacs down --data $data > /dev/null 2>&1
/usr/bin/python3 loadtests/perf-jit-symbols.py $OUT/perf-gw.data $OUT/perf-$gw.map self 45 > $OUT/self.txt 2>&1
/usr/bin/python3 loadtests/perf-jit-symbols.py $OUT/perf-gw.data $OUT/perf-$gw.map incl 60 > $OUT/incl.txt 2>&1
echo "end $(date -u +%T) $(cat /proc/loadavg)" | tee -a $OUT/load.txt
