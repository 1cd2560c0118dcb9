#!/usr/bin/env bash
# How long migration 0180 (two expression indexes on pacs_patients, plain CREATE INDEX: patient inserts wait while it
# runs) takes on a large archive: a scratch PostgreSQL (default settings, port 55898), pacs_patients as 0100 makes it,
# N patients with names of three groups on a share of them and a patient-level JSON of ~300 bytes, then 0180's two
# statements timed.   loadtests/name-group-index-build.sh [N=2000000]    (hold the shared CPU lock around it)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${1:-2000000}"
SCRATCH=/var/tmp/pacs-0180-$$; PORT="${PORT:-55898}"
PGBIN=$(dirname "$(readlink -f "$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1)")")
mkdir -p "$SCRATCH"; chown postgres "$SCRATCH"
as_pg() { (cd / && runuser -u postgres -- "$@"); }
trap 'as_pg "$PGBIN/pg_ctl" -D "$SCRATCH/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$SCRATCH"' EXIT
as_pg "$PGBIN/initdb" -D "$SCRATCH/data" -U postgres >/dev/null 2>&1
as_pg "$PGBIN/pg_ctl" -D "$SCRATCH/data" -l "$SCRATCH/log" -w -o "-p $PORT -k $SCRATCH -c listen_addresses=" start >/dev/null
psql_() { as_pg "$PGBIN/psql" -h "$SCRATCH" -p "$PORT" -U postgres -d postgres -qAt "$@"; }
psql_ <<SQL
create table pacs_patients (
    patient_key bigint generated always as identity primary key, patient_id text not null,
    issuer_of_patient_id text not null default '', patient_name text not null default '',
    patient_name_search text not null default '', patient_birth_date text not null default '',
    patient_sex text not null default '', attributes jsonb not null default '{}'::jsonb,
    updated_at timestamptz not null default now(), unique (patient_id, issuer_of_patient_id));
create index pacs_patients_name_prefix on pacs_patients (patient_name_search text_pattern_ops);
insert into pacs_patients (patient_id, patient_name, patient_name_search, patient_birth_date, patient_sex, attributes)
select 'P' || g, 'NAME' || (g % 50000) || '^GIVEN' || (g % 977),
       'name' || (g % 50000) || '^given' || (g % 977) || case when g % 10 = 0 then '=ideo' || (g % 313) || '=phon' || (g % 211) else '' end,
       '19' || lpad((g % 100)::text, 2, '0') || '0101', case when g % 2 = 0 then 'F' else 'M' end,
       jsonb_build_object('00100010', jsonb_build_object('vr', 'PN', 'Value', jsonb_build_array(jsonb_build_object('Alphabetic', 'NAME' || g))),
                          '00100020', jsonb_build_object('vr', 'LO', 'Value', jsonb_build_array('P' || g)),
                          '00100030', jsonb_build_object('vr', 'DA', 'Value', jsonb_build_array('19700101')),
                          '00100040', jsonb_build_object('vr', 'CS', 'Value', jsonb_build_array('F')))
from generate_series(1, $N) g;
vacuum analyze pacs_patients;
SQL
echo "patients: $(psql_ -c 'select count(*) from pacs_patients'), table $(psql_ -c "select pg_size_pretty(pg_table_size('pacs_patients'))"); load $(cat /proc/loadavg)"
grep -v '^--' "$ROOT/Index/Schema/Migrations/0180_person_name_group_prefix.sql" | grep -v '^$' > "$SCRATCH/0180.sql"
chmod 644 "$SCRATCH/0180.sql"
t0=$(date +%s.%N)
psql_ -f "$SCRATCH/0180.sql"
t1=$(date +%s.%N)
echo "0180's two CREATE INDEX: $(echo "$t1 - $t0" | bc) s; load $(cat /proc/loadavg)"
