#!/usr/bin/env bash
# Senders that leave Nagle's algorithm on (Debian's storescu without TCP_NODELAY=1): C-STORE rates into a warmed-up
# archive and into dcmtk's storescp (itself with TCP_NODELAY=1, receiving and discarding), with and without TCP_NODELAY
# on the sending side. The measurement behind Dicom/Network/QuickAck.cs (docs/benchmarks.md, fourth session).
#   loadtests/nagle-senders.sh [DATA]     # DATA: a new scratch folder for `./pacs up` (default: a fresh one under /var/tmp)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="${BENCH:-$ROOT/../shared/bench}"
DATA="${1:-/var/tmp/pacs-nagle-$(date +%Y%m%d-%H%M%S)}"
SMALL="${SMALL_SET:-/tmp/bench-data/small-s9}" CT="${CT_SET:-/tmp/bench-data/ct-v1}"
[[ -d "$SMALL" ]] || /usr/bin/python3 "$BENCH/gen_dataset.py" small --out "$SMALL" --count 3000 --seed 9 >/dev/null
[[ -d "$CT" ]] || /usr/bin/python3 "$BENCH/gen_dataset.py" ct --out "$CT" --studies 10 --instances 100 --variant 1 >/dev/null
[[ ! -e "$DATA" ]] || { echo "$DATA exists: give a new folder" >&2; exit 2; }
"$ROOT/pacs" up --data "$DATA" --http-port 18080 --dicom-port 14112 --pg-port 55442 --detach >/dev/null
TCP_NODELAY=1 storescp --ignore -aet SINK 14298 >/dev/null 2>&1 &
SINK=$!
trap 'kill $SINK 2>/dev/null || true; "$ROOT/pacs" down --data "$DATA" >/dev/null 2>&1 || true' EXIT
find "$SMALL" -name '*.dcm' | sort > "$DATA/small.txt"
find "$CT" -name '*.dcm' | sort > "$DATA/ct.txt"
xargs cat < "$DATA/small.txt" > /dev/null; xargs cat < "$DATA/ct.txt" > /dev/null

send() {  # send LABEL AE PORT LIST FROM TO NODELAY
  sed -n "$5,$6p" "$4" > "$DATA/slice.txt"
  local n t0 t1; n=$(wc -l < "$DATA/slice.txt"); t0=$(date +%s.%N)
  if [[ "$7" == 1 ]]; then TCP_NODELAY=1 storescu -aet BENCHSCU -aec "$2" 127.0.0.1 "$3" $(cat "$DATA/slice.txt")
  else env -u TCP_NODELAY storescu -aet BENCHSCU -aec "$2" 127.0.0.1 "$3" $(cat "$DATA/slice.txt"); fi
  t1=$(date +%s.%N)
  [[ -z "$1" ]] || awk -v n="$n" -v t="$(echo "$t1 - $t0" | bc)" -v l="$1" 'BEGIN { printf "%s: %.0f inst/s\n", l, n / t }'
}
send "" CLINTON 14112 "$DATA/small.txt" 1 1500 1        # warm-up
send "" CLINTON 14112 "$DATA/ct.txt" 1 300 1
send "archive, tiny studies, TCP_NODELAY=1" CLINTON 14112 "$DATA/small.txt" 1501 2000 1
send "archive, tiny studies, Nagle on     " CLINTON 14112 "$DATA/small.txt" 2001 2500 0
send "archive, CT, TCP_NODELAY=1          " CLINTON 14112 "$DATA/ct.txt" 301 600 1
send "archive, CT, Nagle on               " CLINTON 14112 "$DATA/ct.txt" 601 900 0
send "storescp --ignore, tiny, TCP_NODELAY=1" SINK 14298 "$DATA/small.txt" 1 500 1
send "storescp --ignore, tiny, Nagle on     " SINK 14298 "$DATA/small.txt" 1 500 0
send "storescp --ignore, CT, TCP_NODELAY=1  " SINK 14298 "$DATA/ct.txt" 1 300 1
send "storescp --ignore, CT, Nagle on       " SINK 14298 "$DATA/ct.txt" 1 300 0
echo "data left in $DATA"
