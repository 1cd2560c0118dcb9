#!/usr/bin/env bash
# Building migration 0175's audit index (pacs_audit_events (occurred_at, event_key)) on a large audit trail, and what it
# does to the writers and readers of the trail meanwhile. A private PostgreSQL (initdb in $WORK, port PG_PORT) gets the
# audit table as migrations 0100 and 0140 make it (hash chain, append-only triggers) and N rows inserted through those
# triggers with the columns of the gateway's writer (Index/Audit/AuditTrail.AppendAsync: one statement per batch of
# BATCH rows). Then, ROUNDS times and alternating, the index is built
#   A. as migration 0175 runs today: in the migrator's transaction, DROP INDEX then CREATE INDEX, then COMMIT;
#   B. as CREATE INDEX CONCURRENTLY would (outside a transaction): build under a new name, DROP INDEX CONCURRENTLY the
#      old one, rename;
# each time with the old index (occurred_at) put back first, while a writer inserts a 10-row batch every 100 ms (the
# AuditWriter's flush interval) and a reader asks for the newest 50 rows every 100 ms (the admin audit page). Prints
# for each build: wall time, the building backend's CPU seconds (/proc), the longest writer and reader waits.
#   loadtests/audit-index-build.sh                      # N=1000000 ROUNDS=2 WORK=/var/tmp/pacs-audit-index PG_PORT=55497
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${N:-1000000}" BATCH="${BATCH:-10000}" ROUNDS="${ROUNDS:-2}"
WORK="${WORK:-/var/tmp/pacs-audit-index}" PG_PORT="${PG_PORT:-55497}"
PGBIN="$(dirname "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n1)")"
MIGRATIONS="$ROOT/Index/Schema/Migrations"
as_pg() { if [[ "$(id -u)" -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

rm -rf "$WORK"
mkdir -p "$WORK/sock"
[[ "$(id -u)" -eq 0 ]] && chown -R postgres: "$WORK"
as_pg "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth=trust > "$WORK/initdb.log" 2>&1
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/postgres.log" -w -t 60 \
  -o "-p $PG_PORT -k $WORK/sock -c listen_addresses='' -c fsync=on" start > /dev/null
trap 'as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w stop > /dev/null 2>&1 || true' EXIT
psql_() { PGOPTIONS="-c client_min_messages=warning" psql -h "$WORK/sock" -p "$PG_PORT" -U postgres -X -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_ -d postgres -c "create database audit" > /dev/null
psql_ -d audit -f "$MIGRATIONS/0100_index.sql" > /dev/null
psql_ -d audit -f "$MIGRATIONS/0140_audit_chain.sql" > /dev/null

# N rows through the chain triggers, BATCH per statement (one transaction each), a year of activity in time order:
# queries, views, retrieves and stores by 50 accounts from 250 addresses, most naming a patient and a study.
start=$(date +%s.%N)
for ((from = 1; from <= N; from += BATCH)); do
  to=$((from + BATCH - 1 < N ? from + BATCH - 1 : N))
  psql_ -d audit -c "
    insert into pacs_audit_events (occurred_at, actor, role, client_address, session_id, kind, outcome, patient_id,
        study_instance_uid, sop_instance_uid, detail)
    select now() - interval '365 days' + (g::double precision / $N) * interval '365 days',
           'user-' || (g % 50), (array['doctor', 'operator', 'admin'])[1 + g % 3], '10.0.' || (g % 250) || '.' || (g % 200),
           md5((g / 40)::text), (array['query', 'view', 'retrieve', 'store'])[1 + g % 4], 'success',
           case when g % 4 <> 0 then 'PID-' || (g % 20000) end, '1.2.826.0.1.3680043.8.498.' || (g / 100),
           case when g % 4 = 3 then '1.2.826.0.1.3680043.8.498.' || (g / 100) || '.' || g end,
           jsonb_build_object('path', '/dicom-web/studies/1.2.826.0.1.3680043.8.498.' || (g / 100), 'status', 200)
    from generate_series($from, $to) g" > /dev/null
done
psql_ -d audit -c "vacuum analyze pacs_audit_events" > /dev/null
end=$(date +%s.%N)
printf 'audit-index-build: %d rows through the chain triggers in %.1f s; table %s, verify: %s\n' "$N" "$(echo "$end - $start" | bc -l)" \
  "$(psql_ -d audit -c "select pg_size_pretty(pg_total_relation_size('pacs_audit_events'))")" \
  "$(psql_ -d audit -c "select checked || ' rows, broken at ' || coalesce(broken_seq::text, 'none') from pacs_audit_verify()")"

TICKS="$(getconf CLK_TCK)"
cpu_sql="select split_part(pg_read_file('/proc/self/stat'), ' ', 14)::bigint + split_part(pg_read_file('/proc/self/stat'), ' ', 15)::bigint"

# One writer or reader: a statement every 100 ms for the given seconds; prints the longest statement (ms) and how
# many took over 100 ms.
probe() {
  local seconds="$1" sql="$2" count
  count=$((seconds * 10))
  { echo '\timing on'; for ((i = 0; i < count; i++)); do echo "$sql;"; echo '\timing off'; echo 'select pg_sleep(0.1);'; echo '\timing on'; done; } \
    | psql_ -d audit 2>&1 | awk '/^Time:/ { t = $2 + 0; if (t > max) max = t; if (t > 100) slow++ } END { printf "%.0f ms max, %d over 100 ms", max, slow }'
}
writer_sql="insert into pacs_audit_events (occurred_at, actor, role, client_address, session_id, kind, outcome, detail)
  select now(), 'probe', 'operator', '10.9.9.9', 'probe', 'store', 'success', '{}'::jsonb from generate_series(1, 10)"
reader_sql="select count(*) from (select event_key from pacs_audit_events order by occurred_at desc, event_key desc limit 50) x"

build() {
  local form="$1" sql
  # The state before 0175: the index on occurred_at alone.
  psql_ -d audit -c "drop index if exists pacs_audit_events_time; drop index if exists pacs_audit_events_time_new;
                     create index pacs_audit_events_time on pacs_audit_events (occurred_at)" > /dev/null
  if [[ "$form" == A ]]; then
    sql="begin;
         drop index pacs_audit_events_time;
         create index pacs_audit_events_time on pacs_audit_events (occurred_at, event_key);
         commit;"
  else
    sql="create index concurrently pacs_audit_events_time_new on pacs_audit_events (occurred_at, event_key);
         drop index concurrently pacs_audit_events_time;
         alter index pacs_audit_events_time_new rename to pacs_audit_events_time;"
  fi
  probe 12 "$writer_sql" > "$WORK/writer.out" &
  local writer=$!
  probe 12 "$reader_sql" > "$WORK/reader.out" &
  local reader=$!
  sleep 2
  local t0 t1 cpu
  t0=$(date +%s.%N)
  # One session, statements sent one by one (CREATE INDEX CONCURRENTLY refuses a multi-statement string); its own CPU
  # time before and after, from /proc/self/stat of the backend (utime + stime, clock ticks).
  cpu=$(printf '%s\n' "select ($cpu_sql) as c0 \gset" "$sql" "select ($cpu_sql) - :c0;" | psql_ -d audit)
  t1=$(date +%s.%N)
  wait "$writer" "$reader"
  printf '  %s %-36s %6.2f s wall, %5.2f CPU s; writer (10-row insert every 100 ms): %s; reader (newest 50): %s\n' \
    "$form" "$([[ $form == A ]] && echo 'in a transaction (0175 today)' || echo 'concurrently')" \
    "$(echo "$t1 - $t0" | bc -l)" "$(echo "${cpu##*$'\n'} / $TICKS" | bc -l)" "$(cat "$WORK/writer.out")" "$(cat "$WORK/reader.out")"
}

read -r l1 l5 l15 _ < /proc/loadavg
echo "audit-index-build: load average before the builds $l1 $l5 $l15"
for ((r = 1; r <= ROUNDS; r++)); do
  build A
  build B
done
psql_ -d audit -c "select 'index ' || pg_size_pretty(pg_relation_size('pacs_audit_events_time')) || ', verify: ' || checked || ' rows, broken at ' || coalesce(broken_seq::text, 'none') from pacs_audit_verify()"
read -r l1 l5 l15 _ < /proc/loadavg
echo "audit-index-build: load average after $l1 $l5 $l15"
