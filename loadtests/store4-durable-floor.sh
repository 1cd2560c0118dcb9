#!/usr/bin/env bash
# The floor under store-4 on this machine's disk: four writers making 525 KB blobs durable
# (store4-durable-floor.py: the archive's sequence, fdatasync alone, and group syncfs), four PostgreSQL clients each
# inserting one 2.5 KB row per transaction and committing (the WAL flush an acknowledgement waits for), and both at
# once: an archive that acknowledges only durable, committed instances cannot go faster than the "both" line, whatever
# its code does. Compare with Orthanc's store-4 rate measured in the same window (loadtests/compare-all.sh).
#   loadtests/store4-durable-floor.sh [SCRATCH]      # SCRATCH on the blob store's filesystem (default /var/tmp/...)
# Hold the shared CPU lock around it. Starts and stops its own PostgreSQL (port 55899, default settings, fsync on).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCRATCH="${1:-/var/tmp/pacs-store4-floor-$$}"
PORT="${FLOOR_PG_PORT:-55899}"
PGBIN=$(dirname "$(readlink -f "$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1)")")
mkdir -p "$SCRATCH/pg" "$SCRATCH/blobs"
chown -R postgres "$SCRATCH/pg"
as_pg() { (cd / && runuser -u postgres -- "$@"); }
cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$SCRATCH/pg/data" -m immediate -w stop > /dev/null 2>&1 || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$SCRATCH/pg/data" -U postgres > /dev/null
as_pg "$PGBIN/pg_ctl" -D "$SCRATCH/pg/data" -l "$SCRATCH/pg/log" -w \
  -o "-p $PORT -k $SCRATCH/pg -c listen_addresses= -c fsync=on" start > /dev/null
psql_() { as_pg "$PGBIN/psql" -h "$SCRATCH/pg" -p "$PORT" -U postgres -d postgres -qAt "$@"; }
psql_ -c "CREATE TABLE probe (id bigserial PRIMARY KEY, v text)"
echo "INSERT INTO probe (v) VALUES (repeat('x', 2500));" > "$SCRATCH/pg/insert.sql"
pgb() { as_pg "$PGBIN/pgbench" -h "$SCRATCH/pg" -p "$PORT" -U postgres -n -c 4 -j 2 -T "$1" -f "$SCRATCH/pg/insert.sql" postgres 2>&1 \
  | sed -n 's/^latency average = \(.*\)/\1/p; s/^tps = \([0-9.]*\).*/\1 commits\/s/p' | paste -sd' ' | sed 's/^/  4 clients, INSERT + COMMIT: latency /'; }

echo "load before: $(cat /proc/loadavg)"
echo "== blobs alone"
/usr/bin/python3 "$ROOT/loadtests/store4-durable-floor.py" "$SCRATCH/blobs" 1000 4
echo "== commits alone (5 s)"
pgb 5
echo "== both at once: the archive's blob sequence by 4 writers while 4 clients commit"
pgb 8 > "$SCRATCH/both.pgb" &
bg=$!
sleep 1
FLOOR_ONLY=archive /usr/bin/python3 "$ROOT/loadtests/store4-durable-floor.py" "$SCRATCH/blobs" 2000 4
wait $bg
cat "$SCRATCH/both.pgb"
echo "load after: $(cat /proc/loadavg)"
