#!/usr/bin/env bash
set -u
cd /work/wt-store4
echo "hold4 start $(date -u +%T) load $(cat /proc/loadavg)"
export WORK=/var/tmp/store4-ab IDLE_SECONDS=3 A_PORTS="18600 12600 55600 14100 14200 14300 14400" B_PORTS="18601 12601 55601 14150 14250 14350 14450"
RESULTS=/var/tmp/store4-ab/ab2.txt loadtests/ingest-cpu-ab.sh main /work/main store4 /work/wt-store4 2
RESULTS=/var/tmp/store4-ab/ab2.txt B_ENV="Pacs__Telemetry__SamplingRatio=1" loadtests/ingest-cpu-ab.sh main /work/main store4r1 /work/wt-store4 1
RESULTS=/var/tmp/store4-ab/perfall2.txt PROFILE=perf-all A_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0" B_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0" \
  loadtests/ingest-cpu-ab.sh mainp /work/main store4p /work/wt-store4 1
echo "hold4 end $(date -u +%T) load $(cat /proc/loadavg)"
