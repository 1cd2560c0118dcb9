#!/usr/bin/env bash
# loadtests/find-floor.sh [LABEL=AET@PORT ...]: the harness' find-1assoc (findscu --repeat 50 on one association,
# STUDY level, PatientName=SMITH* with the harness' seven keys: 163 matches over its 5,000 tiny studies) against every
# target given, plus two floors this script starts itself:
#   floor-ours    loadtests/FindFloorScp: our Dicom/ network layer answering every query from memory (no database,
#                 no matching, no audit); with --from the very response data sets the first archive target sent
#                 (findscu -X), else 163 synthetic ones of the same keys
#   floor-dcmtk   dcmtk's dcmqrscp holding only the 163 matching studies (its index scan then touches nothing else)
# Targets take turns, round by round, with the first one rotating, so that a machine getting busier or quieter
# favours none; each figure is printed with the 1-minute load average at its start. Per target and round:
#   per-query    wall time of `findscu --repeat 50` / 50: the harness' figure (process start, association and
#                release included, as the harness counts them)
#   marginal     (T(--repeat 50) - T(--repeat 1)) / 49: one more query on an open association
# MODES="default -sr" measures every target twice a round: as the harness runs findscu (each response printed to its
# logger) and with -sr (--hide-responses: the client's own formatting out of the figure); -sr rows are labelled LABEL-sr.
# Knobs: ROUNDS (5), REPEAT (50), MODES (default), SMALL (/tmp/bench-data/small), OUT (/var/tmp/cfind-floor), FLOOR_PORT (11414),
# DCMQR_PORT (11416), NO_DCMQR=1 (no dcmqrscp), NO_FLOORS=1 (only the targets given), FLOOR_DLL (loadtests/FindFloorScp's Release build).
set -euo pipefail
ROUNDS=${ROUNDS:-5}
REPEAT=${REPEAT:-50}
SMALL=${SMALL:-/tmp/bench-data/small}
OUT=${OUT:-/var/tmp/cfind-floor}
FLOOR_PORT=${FLOOR_PORT:-11414}
DCMQR_PORT=${DCMQR_PORT:-11416}
HERE=$(cd "$(dirname "$0")" && pwd)
FLOOR_DLL=${FLOOR_DLL:-$HERE/FindFloorScp/bin/Release/net10.0/FindFloorScp.dll}
export TCP_NODELAY=1   # as the harness: dcmtk's clients without Nagle's algorithm
mkdir -p "$OUT"
KEYS=(-k QueryRetrieveLevel=STUDY -k PatientName=SMITH* -k StudyInstanceUID -k StudyDate -k AccessionNumber -k PatientID -k StudyDescription -k ModalitiesInStudy)
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

TARGETS=("$@")
if [[ -z "${NO_FLOORS:-}" ]]; then
  [[ -f "$FLOOR_DLL" ]] || { echo "build loadtests/FindFloorScp first (dotnet build -c Release)" >&2; exit 2; }
  from=()
  if [[ ${#TARGETS[@]} -gt 0 ]]; then
    # The first target's own responses, byte for byte, for the floor to send back.
    first=${TARGETS[0]#*=}; aet=${first%@*}; port=${first#*@}
    rm -rf "$OUT/responses" && mkdir -p "$OUT/responses"
    findscu -S -aet BENCHSCU -aec "$aet" -X -od "$OUT/responses" "${KEYS[@]}" 127.0.0.1 "$port" > /dev/null 2>&1
    from=(--from "$OUT/responses")
    echo "floor-ours answers with the $(ls "$OUT/responses" | wc -l) responses of ${TARGETS[0]%%=*}"
  fi
  dotnet "$FLOOR_DLL" --port "$FLOOR_PORT" --ae FLOOR "${from[@]}" > "$OUT/floor-ours.log" 2>&1 & PIDS+=($!)
  TARGETS=("floor-ours=FLOOR@$FLOOR_PORT" "${TARGETS[@]}")

  # dcmqrscp over the matching studies only (their files listed from the harness' manifest). NO_DCMQR=1 leaves it out:
  # Debian's dcmqrscp 3.6.7 crashed (segmentation fault) on this query in --single-process mode on 2026-12-06.
  if [[ -z "${NO_DCMQR:-}" ]]; then
  Q="$OUT/dcmqr"; rm -rf "$Q" && mkdir -p "$Q/db"
  /usr/bin/python3 - "$SMALL" > "$Q/files.txt" <<'PY'
import json, os, sys
root = sys.argv[1]
m = json.load(open(os.path.join(root, "manifest.json")))
for st in m["studies"]:
    if st["PatientName"].startswith("SMITH"):
        for se in st["series"]:
            for i in se["instances"]:
                print(os.path.join(root, i["file"]))
PY
  cat > "$Q/dcmqrscp.cfg" <<EOF
NetworkTCPPort  = $DCMQR_PORT
MaxPDUSize      = 16384
MaxAssociations = 4
HostTable BEGIN
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
FLOORQR $Q/db RW (10000, 1024mb) ANY
AETable END
EOF
  xargs dcmqridx "$Q/db" < "$Q/files.txt"
  dcmqrscp --single-process -c "$Q/dcmqrscp.cfg" > "$OUT/floor-dcmtk.log" 2>&1 & PIDS+=($!)
  TARGETS+=("floor-dcmtk=FLOORQR@$DCMQR_PORT")
  fi
  sleep 3
fi

MODES=${MODES:-default}
timed() { # AET PORT N [findscu option]: seconds for one findscu --repeat N
  local s e
  s=$(date +%s.%N)
  findscu -S -aet BENCHSCU -aec "$1" --repeat "$3" ${4:+"$4"} "${KEYS[@]}" 127.0.0.1 "$2" > /dev/null 2>&1
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}

for t in "${TARGETS[@]}"; do
  label=${t%%=*}; a=${t#*=}; aet=${a%@*}; port=${a#*@}
  n=$(findscu -v -S -aet BENCHSCU -aec "$aet" "${KEYS[@]}" 127.0.0.1 "$port" 2>&1 | grep -c "Find Response.*Pending" || true)
  echo "$label ($aet@$port): $n matches per query"
  findscu -S -aet BENCHSCU -aec "$aet" --repeat 10 "${KEYS[@]}" 127.0.0.1 "$port" > /dev/null 2>&1   # warm-up
done

RESULTS="$OUT/results.txt"; : > "$RESULTS"
echo "round target per-query-ms marginal-ms load1"
for ((r = 0; r < ROUNDS; r++)); do
  count=${#TARGETS[@]}
  for ((k = 0; k < count; k++)); do
    t=${TARGETS[$(((k + r) % count))]}
    a=${t#*=}; aet=${a%@*}; port=${a#*@}
    for mode in $MODES; do
    label=${t%%=*}; opt=""
    if [[ $mode != default ]]; then label="$label$mode"; opt=$mode; fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    t1=$(timed "$aet" "$port" 1 "$opt")
    tn=$(timed "$aet" "$port" "$REPEAT" "$opt")
    per=$(echo "1000 * $tn / $REPEAT" | bc -l)
    marg=$(echo "1000 * ($tn - $t1) / ($REPEAT - 1)" | bc -l)
    printf '%d %s %.2f %.2f %s\n' "$((r + 1))" "$label" "$per" "$marg" "$load" | tee -a "$RESULTS"
    done
  done
done

echo "medians over $ROUNDS rounds:"
/usr/bin/python3 - "$RESULTS" <<'PY' | tee "$OUT/medians.txt"
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
for label in dict.fromkeys(r[1] for r in rows):
    mine = [r for r in rows if r[1] == label]
    per = sorted(float(r[2]) for r in mine)
    marg = statistics.median(float(r[3]) for r in mine)
    load = sorted(float(r[4]) for r in mine)
    print(f"{label:14s} per-query {statistics.median(per):.2f} ms ({per[0]:.2f}-{per[-1]:.2f}), marginal {marg:.2f} ms, load {load[0]}-{load[-1]}")
PY
