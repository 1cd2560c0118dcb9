#!/usr/bin/env bash
# The floor under one association's C-STORE on this machine: what one durable acknowledgement costs before any of
# our code runs. Measures, with nothing else of ours in the way:
#   1. a 525 KB blob made durable the way the archive does it (O_DIRECT write, fsync, rename, directory fsync);
#   2. one PostgreSQL transaction inserting one 2.5 KB row and committing (WAL flush), on the PostgreSQL of a running
#      `./pacs up --data DIR` (pgbench, one client).
# Add storescu's own time per instance (dcmtk storescp's store-1 rate in the same session) to get the fastest rate any
# archive that acknowledges only durable instances can reach on one association here.
# Each step also reports the CPU it costs (user + system, kernel work included), and, given a dataset, 3. storescu
# sending it to a storescp that receives and discards (--ignore): the CPU of the client and of receiving alone. Their
# sum is the CPU any durable archive spends per instance here before it parses or indexes anything; on this 2-core
# machine, 2 CPU-seconds divided by it bounds the rate of any number of associations.
#   loadtests/ingest-floor.sh [DIR [DATASET]]   # DIR: a running ./pacs data folder (default ./data);
#                                               # DATASET: a folder of .dcm files (e.g. /tmp/bench-data/ct)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/loadtests/cpu.sh"
DIR="${1:-$ROOT/data}"
DATASET="${2:-}"
SCRATCH="${SCRATCH:-/var/tmp/pacs-floor-$$}"
mkdir -p "$SCRATCH/staging" "$SCRATCH/final"
trap 'rm -rf "$SCRATCH"' EXIT

/usr/bin/python3 - "$SCRATCH" <<'EOF'
import fcntl, mmap, os, sys, time
root, n = sys.argv[1], 300
buf = mmap.mmap(-1, 1 << 20)          # page-aligned, as O_DIRECT needs
buf.write(os.urandom(1 << 20))
times = []
cpu0 = time.process_time()
for i in range(n):
    t = time.perf_counter()
    staged = f"{root}/staging/{i}.tmp"
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_DIRECT, 0o644)
    os.pwrite(fd, memoryview(buf)[:524288], 0)                  # the aligned part direct
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_DIRECT)
    os.pwrite(fd, memoryview(buf)[:1146], 524288)               # the 1,146-byte tail through the page cache
    os.fsync(fd)
    os.close(fd)
    os.rename(staged, f"{root}/final/{i}.dcm")
    d = os.open(f"{root}/final", os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(d)
    os.close(d)
    times.append(time.perf_counter() - t)
cpu = (time.process_time() - cpu0) / n
times.sort()
print(f"durable 525,434-byte blob (O_DIRECT write, fsync, rename, directory fsync), {n} times: "
      f"p50 {times[n // 2] * 1e3:.3f} ms, p90 {times[n * 9 // 10] * 1e3:.3f} ms, CPU {cpu * 1e3:.3f} ms each")
EOF

PGSOCK="$DIR/pg/sock"
PORT=$(sed -n 4p "$DIR/pg/data/postmaster.pid" 2>/dev/null || true)
if [[ -z "$PORT" ]]; then
  echo "no running PostgreSQL under $DIR (start ./pacs up --data $DIR first): skipping the commit floor"
  exit 0
fi
PGBIN=$(dirname "$(readlink -f "$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1)")")
SQL="$SCRATCH/insert.sql"
echo "INSERT INTO pacs_floor_probe (v) VALUES (repeat('x', 2500));" > "$SQL"
chmod 755 "$SCRATCH"; chmod 644 "$SQL"
# ./pacs up's PostgreSQL takes passwords (SCRAM): the superuser's is in the data folder.
as_pg() { (cd / && runuser -u postgres -- env PGPASSWORD="$(cat "$DIR/pg-superuser-password" 2>/dev/null)" "$@"); }
as_pg "$PGBIN/psql" -h "$PGSOCK" -p "$PORT" -d pacs -qAtc "CREATE TABLE IF NOT EXISTS pacs_floor_probe (id bigserial PRIMARY KEY, v text)"
# CPU of the whole server during the run (pgbench's backend exits before the second reading: pg_cpu counts it).
c0=$(pg_cpu "$DIR/pg/data")
out=$(as_pg "$PGBIN/pgbench" -h "$PGSOCK" -p "$PORT" -n -c 1 -T 5 -f "$SQL" pacs 2>&1)
c1=$(pg_cpu "$DIR/pg/data")
tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
echo "$out" | sed -n 's/^latency average = /one-row INSERT + COMMIT (WAL flush), 1 client, 5 s: mean /p'
awk -v a="$c0" -v b="$c1" -v n="$tx" 'BEGIN { printf "  PostgreSQL CPU per transaction: %.3f ms (%d transactions)\n", (b - a) * 1000 / n, n }'
as_pg "$PGBIN/psql" -h "$PGSOCK" -p "$PORT" -d pacs -qAtc "DROP TABLE pacs_floor_probe"

[[ -n "$DATASET" ]] || exit 0
find "$DATASET" -name '*.dcm' | sort > "$SCRATCH/files"
n=$(wc -l < "$SCRATCH/files")
xargs cat < "$SCRATCH/files" > /dev/null       # the files in the page cache, as in the harness' runs
storescp --ignore -aet FLOOR 14299 > "$SCRATCH/storescp.log" 2>&1 &
scp=$!
sleep 1
s0=$(proc_cpu $scp)
/usr/bin/time -f "%U %S" -o "$SCRATCH/scu.time" storescu -aet BENCHSCU -aec FLOOR 127.0.0.1 14299 $(cat "$SCRATCH/files")
s1=$(proc_cpu $scp)
kill $scp; wait $scp 2>/dev/null || true
read -r u sy < "$SCRATCH/scu.time"
awk -v u="$u" -v sy="$sy" -v a="$s0" -v b="$s1" -v n="$n" 'BEGIN {
  printf "storescu sending %d instances to storescp --ignore, CPU per instance: storescu %.3f ms, storescp %.3f ms\n", n, (u + sy) * 1000 / n, (b - a) * 1000 / n }'
