#!/usr/bin/env bash
# CPU-seconds per 1,000 QIDO-RS requests, telemetry on against off (issue 15), for the gateway, PostgreSQL and the silo
# apart, and each block's p50. Two clusters run side by side for the whole run (`./pacs up --no-build`, 1 silo +
# 1 gateway each, the same N CT_small copies in STUDIES studies stored into both): A (default: telemetry on, traces
# sampled at RATIO) and B (default: Pacs__Telemetry__Enabled=false). Then blocks of Q study searches
# (`ModalitiesInStudy=CT&limit=10`, as telemetry-cost.sh) one after the other from one client (loadtests/qido-loop.py)
# alternate A B, B A, A B, ... so that a machine getting busier or quieter favours neither. Each block's CPU comes from
# /proc (loadtests/cpu.sh) of the cluster that served it; "net" subtracts what that cluster spends idle per second
# (measured once, IDLE_SECONDS, both clusters idle), which matters little for blocks of a few seconds.
# The checkouts must have been built in Release (`dotnet build Cluster.sln -c Release`).
#   loadtests/telemetry-cpu.sh                       # PAIRS=8 Q=2000 RATIO=0.1: on against off, this checkout
#   A_LABEL=before A_CHECKOUT=/var/tmp/old-tree B_LABEL=after B_ENV="Pacs__Telemetry__SamplingRatio=0.1" \
#     B_CHECKOUT="$PWD" loadtests/telemetry-cpu.sh   # two builds, both on
# Environment: PAIRS (8), Q (2000 per block), WARM (1000 per cluster before the blocks), N (200 instances), STUDIES (10),
# CONN (keep: one keep-alive connection per block; new: a connection per request, as curl in telemetry-cost.sh),
# RATIO (0.1), A_ENV / B_ENV (each side's extra environment, replacing the defaults above), A_CHECKOUT / B_CHECKOUT (this
# checkout), A_PORTS / B_PORTS ("HTTP DICOM PG SILO SILO_GATEWAY SILO_HTTP METRICS"), WORK (/var/tmp/telemetry-cpu:
# data folders, removed at the end unless KEEP=1), RESULTS (a file the block rows are appended to), IDLE_SECONDS (10),
# SCRAPES (0: after the blocks, this many /metrics scrapes of A's gateway, CPU per scrape),
# PROFILE=perf (after the pairs, one more block per side under `perf record -g` of the gateway, with
# DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 in both clusters for the whole run; loadtests/perf-share.py's
# summary in WORK/LABEL.perf-share.txt).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/loadtests/cpu.sh"
PAIRS=${PAIRS:-8} Q=${Q:-2000} WARM=${WARM:-1000} N=${N:-200} STUDIES=${STUDIES:-10} CONN=${CONN:-keep} RATIO=${RATIO:-0.1}
A_LABEL=${A_LABEL:-on} B_LABEL=${B_LABEL:-off}
A_ENV=${A_ENV-"Pacs__Telemetry__Enabled=true Pacs__Telemetry__SamplingRatio=$RATIO"}
B_ENV=${B_ENV-"Pacs__Telemetry__Enabled=false"}
A_CHECKOUT=$(cd "${A_CHECKOUT:-$ROOT}" && pwd) B_CHECKOUT=$(cd "${B_CHECKOUT:-$ROOT}" && pwd)
A_PORTS=${A_PORTS:-"18490 14520 55490 21340 31340 28740 19490"}
B_PORTS=${B_PORTS:-"18491 14521 55491 21350 31350 28750 19494"}
WORK=${WORK:-/var/tmp/telemetry-cpu}
RESULTS=${RESULTS:-$WORK/results.txt}
IDLE_SECONDS=${IDLE_SECONDS:-10}
PY=/usr/bin/python3
export PACS_ADMIN_PASSWORD="Tc-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')-Pw"
if [[ "${PROFILE:-}" == perf ]]; then
  # W^X off: with it the JIT's code lives in a double-mapped memfd that perf does not symbolize from the perf map.
  A_ENV="$A_ENV DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0" B_ENV="$B_ENV DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0"
fi
mkdir -p "$WORK"
RUN_ID=$(date -u +%Y%m%dT%H%M%S)
BLOCKS="$WORK/blocks-$RUN_ID.txt"
SOURCE="$ROOT/tests/Dicom.Tests/Corpus/test_files/CT_small.dcm"
STARTED=()
cleanup() {
  for entry in "${STARTED[@]}"; do
    "${entry%%|*}/pacs" down --data "${entry#*|}" >/dev/null 2>&1 || true
    [[ "${KEEP:-0}" == 1 ]] || rm -rf "${entry#*|}"
  done
}
trap cleanup EXIT

make_set() {  # make_set DIR: N copies of CT_small with fresh UIDs, N / STUDIES instances per study
  mkdir -p "$1"
  local i study="" series="" per=$(( (N + STUDIES - 1) / STUDIES ))
  for ((i = 0; i < N; i++)); do
    if ((i % per == 0)); then
      study="2.25.$($PY -c 'import uuid; print(uuid.uuid4().int)')"
      series="2.25.$($PY -c 'import uuid; print(uuid.uuid4().int)')"
    fi
    printf -v f '%s/%05d.dcm' "$1" "$i"
    cp "$SOURCE" "$f"
    # dcmtk: a new SOP Instance UID per file (-gin, meta header updated too), the batch's study and series.
    dcmodify -nb -q -gin -m "(0020,000d)=$study" -m "(0020,000e)=$series" "$f"
  done
}

count() {  # count DATA PGPORT -> rows in pacs_instances
  local user=postgres pw=""
  if [[ -f "$1/pg-pacs-password" ]]; then user=pacs; pw=$(cat "$1/pg-pacs-password"); fi
  PGPASSWORD="$pw" psql -h 127.0.0.1 -p "$2" -U "$user" -d pacs -Atc "select count(*) from pacs_instances"
}

declare -A DATA HTTP GPID SPID TOKEN
start() {  # start SIDE LABEL CHECKOUT PORTS ENV
  local side=$1 label=$2 dir=$3 env=$5
  local http dicom pg silo silogw silohttp metrics
  read -r http dicom pg silo silogw silohttp metrics <<<"$4"
  local data="$WORK/$label-$RUN_ID"
  # shellcheck disable=SC2086
  env $env PACS_SILO_PORT_BASE=$silo PACS_SILO_GATEWAY_PORT_BASE=$silogw PACS_SILO_HTTP_PORT_BASE=$silohttp PACS_METRICS_PORT_BASE=$metrics \
    "$dir/pacs" up --no-build --detach --data "$data" --http-port "$http" --dicom-port "$dicom" --pg-port "$pg" > "$data.up.log" 2>&1 \
    || { tail -20 "$data.up.log" >&2; return 1; }
  STARTED+=("$dir|$data")
  DATA[$side]=$data HTTP[$side]=$http GPID[$side]=$(cat "$data/run/gateway-0.pid") SPID[$side]=$(cat "$data/run/silo-0.pid")
  # store: the set over 4 concurrent associations
  for k in 0 1 2 3; do
    find "$WORK/set-$RUN_ID" -name '*.dcm' | sort | awk -v k=$k 'NR % 4 == k' \
      | xargs storescu -nh -aet BENCHSCU -aec CLINTON 127.0.0.1 "$dicom" > "$data.store-$k.log" 2>&1 &
  done
  wait
  local n; n=$(count "$data" "$pg")
  [[ "$n" == "$N" ]] || { echo "$label: $n instances indexed, not $N" >&2; return 1; }
  TOKEN[$side]=$(curl -fsS -X POST -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$PACS_ADMIN_PASSWORD\"}" "http://127.0.0.1:$http/auth/token" \
    | $PY -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
}

url() { echo "http://127.0.0.1:${HTTP[$1]}/dicom-web/studies?ModalitiesInStudy=CT&limit=10"; }
cpu_of() { echo "$(proc_cpu "${GPID[$1]}") $(proc_cpu "${SPID[$1]}") $(pg_cpu "${DATA[$1]}/pg/data")"; }

declare -A IDLE_G IDLE_S IDLE_P
block() {  # block SIDE LABEL PAIR: Q requests against SIDE, one row
  local side=$1 label=$2 pair=$3 g0 s0 p0 g1 s1 p1 out
  read -r g0 s0 p0 <<<"$(cpu_of "$side")"
  out=$($PY "$ROOT/loadtests/qido-loop.py" "$(url "$side")" "${TOKEN[$side]}" "$Q" "$CONN")
  read -r g1 s1 p1 <<<"$(cpu_of "$side")"
  local p50 p90 secs
  p50=$(awk '{print $4}' <<<"$out") p90=$(awk '{print $6}' <<<"$out") secs=$(awk '{print $8}' <<<"$out")
  awk -v at="$(date -u +%H:%M:%S)" -v l="$label" -v i="$pair" -v q="$Q" -v c="$CONN" -v p50="$p50" -v p90="$p90" -v t="$secs" \
      -v g="$(echo "$g1 - $g0" | bc)" -v s="$(echo "$s1 - $s0" | bc)" -v p="$(echo "$p1 - $p0" | bc)" \
      -v ig="${IDLE_G[$side]}" -v is="${IDLE_S[$side]}" -v ip="${IDLE_P[$side]}" -v la="$(cut -d' ' -f1-3 /proc/loadavg)" \
    'BEGIN { k = 1000 / q;
             printf "%s %-6s #%-2s %d req (%s) p50 %.3f p90 %.3f ms  %.2f s  CPU s per 1000: gateway %.3f pg %.3f silo %.3f total %.3f  net gateway %.3f pg %.3f total %.3f  load %s\n",
               at, l, i, q, c, p50, p90, t, g * k, p * k, s * k, (g + s + p) * k,
               (g - ig * t) * k, (p - ip * t) * k, (g + s + p - (ig + is + ip) * t) * k, la }' | tee -a "$RESULTS" >> "$BLOCKS"
  tail -1 "$BLOCKS"
}

echo "telemetry-cpu $RUN_ID: A=$A_LABEL ($A_CHECKOUT, $A_ENV) B=$B_LABEL ($B_CHECKOUT, $B_ENV) PAIRS=$PAIRS Q=$Q CONN=$CONN N=$N" | tee -a "$RESULTS"
make_set "$WORK/set-$RUN_ID"
start A "$A_LABEL" "$A_CHECKOUT" "$A_PORTS" "$A_ENV"
start B "$B_LABEL" "$B_CHECKOUT" "$B_PORTS" "$B_ENV"
rm -rf "$WORK/set-$RUN_ID"

# Warm-up (JIT tiers, prepared statements, the session cache), then what each cluster spends with nothing to do.
for side in A B A B; do $PY "$ROOT/loadtests/qido-loop.py" "$(url $side)" "${TOKEN[$side]}" $((WARM / 2)) "$CONN" > /dev/null; done
sleep 2
read -r ag0 as0 ap0 <<<"$(cpu_of A)"; read -r bg0 bs0 bp0 <<<"$(cpu_of B)"
sleep "$IDLE_SECONDS"
read -r ag1 as1 ap1 <<<"$(cpu_of A)"; read -r bg1 bs1 bp1 <<<"$(cpu_of B)"
IDLE_G[A]=$(echo "($ag1 - $ag0) / $IDLE_SECONDS" | bc -l) IDLE_S[A]=$(echo "($as1 - $as0) / $IDLE_SECONDS" | bc -l) IDLE_P[A]=$(echo "($ap1 - $ap0) / $IDLE_SECONDS" | bc -l)
IDLE_G[B]=$(echo "($bg1 - $bg0) / $IDLE_SECONDS" | bc -l) IDLE_S[B]=$(echo "($bs1 - $bs0) / $IDLE_SECONDS" | bc -l) IDLE_P[B]=$(echo "($bp1 - $bp0) / $IDLE_SECONDS" | bc -l)
printf 'idle CPU s per s: %s gateway %.4f silo %.4f pg %.4f; %s gateway %.4f silo %.4f pg %.4f\n' \
  "$A_LABEL" "${IDLE_G[A]}" "${IDLE_S[A]}" "${IDLE_P[A]}" "$B_LABEL" "${IDLE_G[B]}" "${IDLE_S[B]}" "${IDLE_P[B]}" | tee -a "$RESULTS"

for ((r = 1; r <= PAIRS; r++)); do
  if ((r % 2)); then block A "$A_LABEL" "$r"; block B "$B_LABEL" "$r"; else block B "$B_LABEL" "$r"; block A "$A_LABEL" "$r"; fi
done

# Medians over the pairs, and the median of the pairwise differences (A - B) in per cent of B.
$PY - "$BLOCKS" "$A_LABEL" "$B_LABEL" <<'EOF' | tee -a "$RESULTS"
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    label, pair = f[1], int(f[2].lstrip('#'))
    v = dict(p50=float(f[7]), gateway=float(f[f.index('gateway') + 1]), pg=float(f[f.index('pg') + 1]),
             total=float(f[f.index('total') + 1]), net_gateway=float(f[f.index('net') + 2]))
    rows.setdefault(label, {})[pair] = v
a, b = sys.argv[2], sys.argv[3]
pairs = sorted(set(rows.get(a, {})) & set(rows.get(b, {})))
for key in ("gateway", "net_gateway", "pg", "total", "p50"):
    ma = statistics.median(rows[a][p][key] for p in pairs)
    mb = statistics.median(rows[b][p][key] for p in pairs)
    diffs = [100 * (rows[a][p][key] - rows[b][p][key]) / rows[b][p][key] for p in pairs]
    unit = "ms" if key == "p50" else "CPU s per 1000"
    print(f"median {key:11s} ({unit}): {a} {ma:.3f}  {b} {mb:.3f}  pairwise {a}-{b}: median {statistics.median(diffs):+.1f} % (range {min(diffs):+.1f} to {max(diffs):+.1f} %, {len(pairs)} pairs)")
EOF

if ((${SCRAPES:-0} > 0)); then
  # What one Prometheus scrape of A's gateway costs (its management port: METRICS base of A_PORTS), after the blocks.
  read -r _ _ _ _ _ _ metrics <<<"$A_PORTS"
  g0=$(proc_cpu "${GPID[A]}")
  for ((i = 0; i < SCRAPES; i++)); do bytes=$(curl -fsS "http://127.0.0.1:$metrics/metrics" | wc -c); done
  g1=$(proc_cpu "${GPID[A]}")
  printf '%s gateway: %.1f ms CPU per /metrics scrape (%d scrapes, %d bytes each)\n' "$A_LABEL" \
    "$(echo "($g1 - $g0) * 1000 / $SCRAPES" | bc -l)" "$SCRAPES" "$bytes" | tee -a "$RESULTS"
fi

if [[ "${PROFILE:-}" == perf ]]; then
  for side in A B; do
    label=$([[ $side == A ]] && echo "$A_LABEL" || echo "$B_LABEL")
    perf record -F 999 -g -o "$WORK/$label-$RUN_ID.perf" -p "${GPID[$side]}" > /dev/null 2>&1 & prof=$!
    sleep 1
    $PY "$ROOT/loadtests/qido-loop.py" "$(url $side)" "${TOKEN[$side]}" "$Q" "$CONN" > /dev/null
    kill -INT "$prof"; wait "$prof" || true
    perf script -i "$WORK/$label-$RUN_ID.perf" 2> /dev/null | $PY "$ROOT/loadtests/perf-share.py" 30 > "$WORK/$label.perf-share.txt"
    echo "== $label gateway profile ($WORK/$label.perf-share.txt)"; head -36 "$WORK/$label.perf-share.txt"
  done
fi
