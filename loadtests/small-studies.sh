#!/usr/bin/env bash
# Many tiny studies over one association into a fresh, warmed-up archive, with the CPU each process spends per
# instance: the A/B measurement behind the patient-grain change in docs/benchmarks.md (fourth session).
#   loadtests/small-studies.sh [DATA]     # DATA: a new scratch folder for `./pacs up` (default: a fresh one under /var/tmp)
# Generates 3,000 tiny studies (../shared/bench/gen_dataset.py small, seed 9) once, starts `./pacs up` on a fresh
# DATA, stores the first 1,500 to warm up, then measures 1,501–2,250 and 2,251–3,000, and stops the archive, leaving
# DATA for you to delete. Run it on an idle machine, and not within ten minutes of deleting many files: on this VM's
# journal-less ext4 that slows file creation (docs/benchmarks.md, "The archive and DICOMweb").
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/loadtests/cpu.sh"
BENCH="${BENCH:-$ROOT/../shared/bench}"
DATA="${1:-/var/tmp/pacs-small-studies-$(date +%Y%m%d-%H%M%S)}"
SET="${SMALL_SET:-/tmp/bench-data/small-s9}"
export TCP_NODELAY=1   # as the harness' clients: Debian's storescu leaves Nagle's algorithm on without it
[[ -d "$SET" ]] || /usr/bin/python3 "$BENCH/gen_dataset.py" small --out "$SET" --count 3000 --seed 9 >/dev/null
[[ ! -e "$DATA" ]] || { echo "$DATA exists: give a new folder" >&2; exit 2; }
"$ROOT/pacs" up --data "$DATA" --http-port 18080 --dicom-port 14112 --pg-port 55442 --detach >/dev/null
trap '"$ROOT/pacs" down --data "$DATA" >/dev/null 2>&1 || true' EXIT

G=$(cat "$DATA/run/gateway-0.pid"); S=$(cat "$DATA/run/silo-0.pid")
slice() {  # slice FROM TO [quiet]
  find "$SET" -name '*.dcm' | sort | sed -n "$1,$2p" > "$DATA/slice.txt"
  local n g0 s0 p0 t0 t1; n=$(wc -l < "$DATA/slice.txt")
  xargs cat < "$DATA/slice.txt" > /dev/null
  g0=$(proc_cpu "$G"); s0=$(proc_cpu "$S"); p0=$(pg_cpu "$DATA/pg/data"); t0=$(date +%s.%N)
  storescu -aet BENCHSCU -aec CLINTON 127.0.0.1 14112 $(cat "$DATA/slice.txt")
  t1=$(date +%s.%N)
  [[ "${3:-}" == quiet ]] && return
  awk -v n="$n" -v t="$(echo "$t1 - $t0" | bc)" -v g="$(echo "$(proc_cpu "$G") - $g0" | bc)" -v s="$(echo "$(proc_cpu "$S") - $s0" | bc)" \
      -v p="$(echo "$(pg_cpu "$DATA/pg/data") - $p0" | bc)" -v r="$1-$2" \
    'BEGIN { printf "tiny studies %s: %.0f inst/s; CPU per instance: gateway %.2f ms, silo %.2f ms, PostgreSQL %.2f ms\n", r, n / t, g * 1000 / n, s * 1000 / n, p * 1000 / n }'
}
slice 1 1500 quiet
slice 1501 2250
slice 2251 3000
echo "data left in $DATA"
