#!/usr/bin/env bash
# A perf profile of a fresh cluster's gateway and silo from 5 s after start through store-1 of the harness' ct set (cold):
#   loadtests/cold-store-profile.sh LABEL CHECKOUT   (DOTNET_EnableWriteXorExecute=0 in the environment makes JIT frames resolve)
# Profiles and perf maps in /var/tmp/prof-s6; ports 18720/12720/55720 and silo ports 375xx-378xx.
set -u
side=$1 dir=$2
OUT=/var/tmp/prof-s6; mkdir -p $OUT
data=$OUT/$side-$(date +%H%M%S)
export PACS_ADMIN_PASSWORD="Ab-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')-Pw" TCP_NODELAY=1 DOTNET_PerfMapEnabled=1
export PACS_SILO_PORT_BASE=37500 PACS_SILO_GATEWAY_PORT_BASE=37600 PACS_SILO_HTTP_PORT_BASE=37700 PACS_METRICS_PORT_BASE=37800
nb=--no-build; pacs="$dir/pacs"; grep -q -- "--no-build) NO_BUILD=1" "$dir/pacs" || { pacs="$dir/.pacs-nobuild"; nb=""; }
$pacs up $nb --detach --data $data --http-port 18720 --dicom-port 12720 --pg-port 55720 > $data.up.log 2>&1 || { tail $data.up.log; exit 1; }
g=$(cat $data/run/gateway-0.pid); s=$(cat $data/run/silo-0.pid)
sleep 5
perf record -F 999 -g -o $data.perf-gw -p $g > /dev/null 2>&1 & p1=$!
perf record -F 999 -g -o $data.perf-silo -p $s > /dev/null 2>&1 & p2=$!
sleep 1
list=$(mktemp); /usr/bin/python3 -c '
import json, os, sys
m = json.load(open("/tmp/bench-data/ct/manifest.json")); root = "/tmp/bench-data/ct"
for st in m["studies"]:
    for se in st["series"]:
        for i in se["instances"]:
            print(os.path.join(root, i["file"]))' > $list
xargs cat < $list > /dev/null
t0=$(date +%s.%N)
storescu -aet BENCHSCU -aec CLINTON 127.0.0.1 12720 $(cat $list) > $data.scu.log 2>&1
t1=$(date +%s.%N)
kill -INT $p1 $p2; wait $p1 $p2
echo "$side store-1 cold: $(echo "1000 / ($t1 - $t0)" | bc -l | cut -c1-6) inst/s  gw cpu $(awk '{print ($14+$15)/100}' /proc/$g/stat) s silo $(awk '{print ($14+$15)/100}' /proc/$s/stat) s (since start)"
cp /tmp/perf-$g.map $data.gw.map 2>/dev/null; cp /tmp/perf-$s.map $data.silo.map 2>/dev/null
echo "$data $g $s"
$pacs down --data $data > /dev/null 2>&1
