#!/usr/bin/env bash
# The floor under one association's C-STORE on this machine: what one durable acknowledgement costs before any of
# our code runs. Measures, with nothing else of ours in the way:
#   1. a 525 KB blob made durable the way the archive does it (O_DIRECT write, fsync, rename, directory fsync);
#   2. one PostgreSQL transaction inserting one 2.5 KB row and committing (WAL flush), on the PostgreSQL of a running
#      `./pacs up --data DIR` (pgbench, one client).
# Add storescu's own time per instance (dcmtk storescp's store-1 rate in the same session) to get the fastest rate any
# archive that acknowledges only durable instances can reach on one association here.
#   loadtests/ingest-floor.sh [DIR]        # DIR: a running ./pacs data folder (default ./data)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${1:-$ROOT/data}"
SCRATCH="${SCRATCH:-/var/tmp/pacs-floor-$$}"
mkdir -p "$SCRATCH/staging" "$SCRATCH/final"
trap 'rm -rf "$SCRATCH"' EXIT

/usr/bin/python3 - "$SCRATCH" <<'EOF'
import fcntl, mmap, os, sys, time
root, n = sys.argv[1], 300
buf = mmap.mmap(-1, 1 << 20)          # page-aligned, as O_DIRECT needs
buf.write(os.urandom(1 << 20))
times = []
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
times.sort()
print(f"durable 525,434-byte blob (O_DIRECT write, fsync, rename, directory fsync), {n} times: "
      f"p50 {times[n // 2] * 1e3:.3f} ms, p90 {times[n * 9 // 10] * 1e3:.3f} ms")
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
as_pg() { (cd / && runuser -u postgres -- "$@"); }
as_pg "$PGBIN/psql" -h "$PGSOCK" -p "$PORT" -d pacs -qAtc "CREATE TABLE IF NOT EXISTS pacs_floor_probe (id bigserial PRIMARY KEY, v text)"
as_pg "$PGBIN/pgbench" -h "$PGSOCK" -p "$PORT" -n -c 1 -T 5 -f "$SQL" pacs 2>&1 | sed -n 's/^latency average = /one-row INSERT + COMMIT (WAL flush), 1 client, 5 s: mean /p'
as_pg "$PGBIN/psql" -h "$PGSOCK" -p "$PORT" -d pacs -qAtc "DROP TABLE pacs_floor_probe"
