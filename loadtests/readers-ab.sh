#!/usr/bin/env bash
# Readers A/B: the same stored data read by two builds in turn, one silo and one gateway, READERS readers of the
# recorded OHIF session (loadtests/ReadersLoad) for DURATION s; the generator's own CPU measured too (it runs on the same
# cores). The data set is loadtests/readers-load.sh's (CT 5x100 + 1x300, MR 4x2x30, CR 6x2), stored once into DATA by
# the first checkout and then reused by every run (both builds have the same schema), so A and B read the same rows
# and blobs. Figures and how to read them: docs/benchmarks.md, "Readers".
#   loadtests/readers-ab.sh OUT LABEL CHECKOUT      # one run of CHECKOUT (built Release already) on DATA, report OUT/LABEL.json
#   PERF=1 loadtests/readers-ab.sh OUT LABEL CHECKOUT   # the same, with perf record of the gateway and PostgreSQL
#   loadtests/readers-ab.sh OUT LABEL orthanc       # Debian's Orthanc + DICOMweb (SQLite, gzip off, as readers-load.sh),
#                                                     # its data in DATA-orthanc, stored once, on ORTHANC_HTTP_PORT (18690)
# Run it under the machine's CPU lock (flock /tmp/cpu.lock ...). Environment: DATA (/var/tmp/reff-a), READERS (50),
# DURATION (30), PAUSE (2), RAMP (5), DATA_SET (/var/tmp/readers-data), PW_FILE (DATA/../LABEL-free file holding the
# admin password of DATA, made at the first store), ports READERS_HTTP_PORT (18600), READERS_DICOM_PORT (12600),
# READERS_PG_PORT (55600) and ./pacs's PACS_SILO_PORT_BASE (14100), PACS_SILO_GATEWAY_PORT_BASE (14200),
# PACS_SILO_HTTP_PORT_BASE (14300), PACS_METRICS_PORT_BASE (0).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="${BENCH:-$ROOT/../shared/bench}"
PY=/usr/bin/python3
OUT=$1 LABEL=$2 CHECKOUT=$3
[[ "$CHECKOUT" == orthanc ]] || CHECKOUT=$(cd "$3" && pwd)
DATA="${DATA:-/var/tmp/reff-a}"
READERS="${READERS:-50}" DURATION="${DURATION:-30}" PAUSE="${PAUSE:-2}" RAMP="${RAMP:-5}"
DATA_SET="${DATA_SET:-/var/tmp/readers-data}"
PW_FILE="${PW_FILE:-$DATA.password}"
HTTP="${READERS_HTTP_PORT:-18600}" DICOM="${READERS_DICOM_PORT:-12600}" PG="${READERS_PG_PORT:-55600}"
export PACS_SILO_PORT_BASE="${PACS_SILO_PORT_BASE:-14100}" PACS_SILO_GATEWAY_PORT_BASE="${PACS_SILO_GATEWAY_PORT_BASE:-14200}"
export PACS_SILO_HTTP_PORT_BASE="${PACS_SILO_HTTP_PORT_BASE:-14300}" PACS_METRICS_PORT_BASE="${PACS_METRICS_PORT_BASE:-0}"
export Pacs__Auth__AccessTokenLifetime="06:00:00" TCP_NODELAY=1
mkdir -p "$OUT"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

CT_DIR="$DATA_SET/ct-5x100-s17"; LONG_DIR="$DATA_SET/ct-1x300-s18"; MR_DIR="$DATA_SET/mr-4x2x30-s21"; CR_DIR="$DATA_SET/cr-6x2-s22"
gen() { [[ -f "$1/.done" ]] && return 0; rm -rf "$1"; "${@:2}"; touch "$1/.done"; }
gen "$CT_DIR" "$PY" "$BENCH/gen_dataset.py" ct --out "$CT_DIR" --studies 5 --instances 100 --seed 17 --quiet
gen "$LONG_DIR" "$PY" "$BENCH/gen_dataset.py" ct --out "$LONG_DIR" --studies 1 --instances 300 --seed 18 --quiet
gen "$MR_DIR" "$PY" "$ROOT/loadtests/data/readers-data.py" mr --out "$MR_DIR" --studies 4 --series 2 --slices 30 --seed 21
gen "$CR_DIR" "$PY" "$ROOT/loadtests/data/readers-data.py" cr --out "$CR_DIR" --studies 6 --views 2 --seed 22

LOAD="$ROOT/loadtests/ReadersLoad/bin/Release/net10.0/Pacs.Loadtests.ReadersLoad.dll"
[[ -f "$LOAD" ]] || dotnet build "$ROOT/loadtests/ReadersLoad/ReadersLoad.csproj" -c Release -v q -nologo >/dev/null

[[ -f "$PW_FILE" ]] || { umask 077; echo "Reff-$(od -An -N6 -tx8 /dev/urandom | tr -d ' ')-Pw" > "$PW_FILE"; }
export PACS_ADMIN_PASSWORD; PACS_ADMIN_PASSWORD=$(cat "$PW_FILE")
# The perf map names JIT frames; W^X off so that perf finds them (it sees the double-mapped code otherwise).
[[ "${PERF:-0}" == 1 ]] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
LOGIN=(--user admin --password "$PACS_ADMIN_PASSWORD")
if [[ "$CHECKOUT" == orthanc ]]; then
  O_HTTP="${ORTHANC_HTTP_PORT:-18690}" O_DICOM="${ORTHANC_DICOM_PORT:-12690}" O_DATA="$DATA-orthanc"
  mkdir -p "$O_DATA/storage" "$O_DATA/index"
  sed -e "s#/tmp/bench-orthanc/sqlite#$O_DATA#g" -e "s/18042/$O_HTTP/" -e "s/14242/$O_DICOM/" \
    -e 's/"HttpServerEnabled" : true,/"HttpServerEnabled" : true, "HttpCompressionEnabled" : false,/' "$BENCH/orthanc-sqlite.json" > "$O_DATA/orthanc.json"
  /usr/sbin/Orthanc --logfile="$OUT/$LABEL-orthanc.log" "$O_DATA/orthanc.json" >/dev/null 2>&1 & opid=$!
  trap 'kill $opid 2>/dev/null; wait $opid 2>/dev/null || true' EXIT
  for _ in $(seq 120); do curl -fsS --max-time 2 "http://127.0.0.1:$O_HTTP/system" >/dev/null 2>&1 && break; sleep 0.5; done
  if [[ ! -f "$O_DATA/.stored" ]]; then
    storescu -aet BENCHSCU -aec ORTHANC 127.0.0.1 "$O_DICOM" $(find "$CT_DIR" "$LONG_DIR" "$MR_DIR" "$CR_DIR" -name '*.dcm' | sort) >"$OUT/store-orthanc.log" 2>&1
    touch "$O_DATA/.stored"
  fi
  BASE="http://127.0.0.1:$O_HTTP/dicom-web/" PIDS=(--pid "orthanc=$opid") LOGIN=() CATALOGUE="$O_DATA.catalogue.json"
else
  up() { "$CHECKOUT/pacs" up --no-build --detach --data "$DATA" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" >"$OUT/$LABEL-up.log" 2>&1 \
    || { tail -20 "$OUT/$LABEL-up.log" >&2; exit 1; }; }
  trap '"$CHECKOUT/pacs" down --data "$DATA" >/dev/null 2>&1 || true' EXIT
  up
  if [[ ! -f "$DATA/.stored" ]]; then
    storescu -aet BENCHSCU -aec CLINTON 127.0.0.1 "$DICOM" $(find "$CT_DIR" "$LONG_DIR" "$MR_DIR" "$CR_DIR" -name '*.dcm' | sort) >"$OUT/store.log" 2>&1
    touch "$DATA/.stored"
  fi
  gw=$(cat "$DATA"/run/gateway-0.pid) silo=$(cat "$DATA"/run/silo-0.pid) pm=$(head -1 "$DATA/pg/data/postmaster.pid")
  BASE="http://127.0.0.1:$HTTP/dicom-web/" PIDS=(--pid "gateway=$gw" --pid "silo=$silo" --pid "postgres=$pm") CATALOGUE="$DATA.catalogue.json"
fi
# A short warm-up (JIT, connection pools), not measured: both sides get the same.
dotnet "$LOAD" --base "$BASE" --readers 5 --duration 5 --pause 0 --ramp 1 --label warm \
  --out "$OUT/$LABEL-warm.json" --catalogue "$CATALOGUE" "${LOGIN[@]}" >/dev/null
perfs=()
if [[ "${PERF:-0}" == 1 ]]; then
  perf record -F 499 -g -o "$OUT/$LABEL.perf-gw" -p "$gw" >/dev/null 2>&1 & perfs+=($!)
  perf record -F 499 -g -o "$OUT/$LABEL.perf-pg" -a --all-user -- sleep $((DURATION + RAMP + 15)) >/dev/null 2>&1 & perfs+=($!)
fi
l0=$(loadavg)
/usr/bin/time -f "generator CPU-s user %U system %S wall %e" -o "$OUT/$LABEL.generator" \
  dotnet "$LOAD" --base "$BASE" --readers "$READERS" --duration "$DURATION" --pause "$PAUSE" --ramp "$RAMP" \
  --label "$LABEL" --out "$OUT/$LABEL.json" --catalogue "$CATALOGUE" "${LOGIN[@]}" "${PIDS[@]}" | tee "$OUT/$LABEL.line"
l1=$(loadavg)
for p in "${perfs[@]}"; do kill -INT "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
[[ "${PERF:-0}" == 1 ]] && cp "/tmp/perf-$gw.map" "$OUT/$LABEL.gw.map" 2>/dev/null || true
echo "$LABEL ($CHECKOUT$([[ "$CHECKOUT" == orthanc ]] || echo ", $(git -C "$CHECKOUT" rev-parse --short HEAD)")): load average $l0 -> $l1; $(cat "$OUT/$LABEL.generator")" | tee -a "$OUT/summary.txt"
