#!/usr/bin/env bash
set -u
cd /work/wt-store4
echo "hold1 start $(date -u +%T) load $(cat /proc/loadavg)"
dotnet build Cluster.sln -c Release -v q -nologo 2>&1 | grep -E 'error|warn' ; echo "build done $(date -u +%T)"
(cd /var/tmp/store4-hashbench && timeout 120 dotnet run hb.cs -c Release 2>&1 | tail -12); echo "hashbench done $(date -u +%T) load $(cat /proc/loadavg)"
P="A_PORTS=18600_12600_55600_14100_14200_14300_14400"
export WORK=/var/tmp/store4-ab IDLE_SECONDS=3 A_PORTS="18600 12600 55600 14100 14200 14300 14400" B_PORTS="18601 12601 55601 14150 14250 14350 14450"
RESULTS=/var/tmp/store4-ab/perfall.txt PROFILE=perf-all A_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0" B_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0" \
  loadtests/ingest-cpu-ab.sh main /work/main store4 /work/wt-store4 1
RESULTS=/var/tmp/store4-ab/ab.txt B_ENV="Pacs__Telemetry__SamplingRatio=1" loadtests/ingest-cpu-ab.sh main /work/main store4r1 /work/wt-store4 1
RESULTS=/var/tmp/store4-ab/ab.txt loadtests/ingest-cpu-ab.sh main /work/main store4 /work/wt-store4 1
echo "hold1 end $(date -u +%T) load $(cat /proc/loadavg)"
