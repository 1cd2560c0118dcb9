#!/usr/bin/env bash
# EXPLAIN (ANALYZE, BUFFERS) of the gateway's QIDO-RS study statements (Index/Read/IndexQuery.Build, study level,
# Candidates shape, the QIDO cap of 1000 + 1 as limit) on the data `KEEP=1 loadtests/qido-groups.sh` left in its
# PostgreSQL: for the admin (no filter), a doctor of all GROUP_COUNT sites by name and a doctor of site-0, searching
# by patient name (PatientName=NAME_PREFIX*) and by a 60-day StudyDate range (and the harness mix's three other kinds:
# ModalitiesInStudy=CT, one AccessionNumber, a year's StudyDate with limit=50), each in two forms:
#   parameter: the groups a bind parameter ($1), as before commit e7e4fa6;
#   literal:   the groups an array literal in the text (IndexQuery.GroupsLiteral), as now.
# Every statement is PREPAREd (the gateway's are: Npgsql auto-prepare) and EXECUTEd six times with custom plans
# (plan_cache_mode auto), then planned generic (force_generic_plan) and custom (force_custom_plan); for each: what
# auto chose at the 7th execution, the estimated and actual rows of the group filter, and the median of REPEAT
# EXPLAIN ANALYZE execution times. Full plans go to $WORK/explain/*.txt.
#   KEEP=1 loadtests/qido-groups.sh && loadtests/qido-groups-explain.sh && ./pacs down --data /tmp/pacs-qido-groups/data
# Takes WORK and BENCH_PG_PORT as qido-groups.sh does; NAME_PREFIX (SMI), DATE_FROM (2020-03-01), REPEAT (9).
set -euo pipefail
WORK="${WORK:-/tmp/pacs-qido-groups}"
PG="${BENCH_PG_PORT:-55492}"
GROUP_COUNT="${GROUP_COUNT:-4}"
NAME_PREFIX="${NAME_PREFIX:-SMI}" DATE_FROM="${DATE_FROM:-2020-03-01}" REPEAT="${REPEAT:-9}"
OUT="$WORK/explain"
mkdir -p "$OUT"
export PGPASSWORD
PGPASSWORD="$(cat "$WORK/data/pg-superuser-password")"

/usr/bin/python3 - "$PG" "$GROUP_COUNT" "$NAME_PREFIX" "$DATE_FROM" "$REPEAT" "$OUT" <<'PY'
import datetime as dt, re, statistics, subprocess, sys

port, groups, prefix, date_from, repeat, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
start = dt.date.fromisoformat(date_from); stop = start + dt.timedelta(days=59)

# IndexQuery.Compose, study level, Candidates shape; the QIDO cap (DicomWebOptions.MaxQidoResults 1000) + 1.
select = ("select s.study_key, (p.attributes - '00080005') || (s.attributes - '00080005'), s.modalities_in_study, "
          "s.sop_classes_in_study, s.number_of_series, s.number_of_instances, s.study_instance_uid "
          "from pacs_studies s join pacs_patients p on p.patient_key = s.patient_key")

def name_where(n):   # PersonNameCondition, a wildcard without '^' or '=': each group of the name
    return (f"(p.patient_name_search like ${n} or split_part(p.patient_name_search, '=', 2) like ${n} "
            f"or split_part(p.patient_name_search, '=', 3) like ${n})")

def date_where(n):   # DateCondition, a range
    return f"(s.study_date is not null and s.study_date >= ${n} and s.study_date <= ${n + 1})"

def modality_where(n):   # ArrayCondition, one value
    return f"${n} = any(s.modalities_in_study)"

def accession_where(n):  # TextCondition, one value
    return f"s.accession_number = ${n}"

def psql(sql):
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "pacs", "-X", "-qAt",
                           "-v", "ON_ERROR_STOP=1"], input=sql, capture_output=True, text=True, check=True).stdout

accession = psql("select accession_number from pacs_studies order by study_key limit 1 offset 100").strip()
# The harness' five kinds (qido-groups.sh): name and date (the two the brief asks for) first; the year's StudyDate
# with limit=50 (QIDO puts the client's limit in the SQL).
kinds = {"name": (name_where, ["text"], [f"'{prefix}%'"], 1001),
         "date": (date_where, ["date", "date"], [f"'{start}'", f"'{stop}'"], 1001),
         "modality": (modality_where, ["text"], ["'CT'"], 1001),
         "accession": (accession_where, ["text"], [f"'{accession}'"], 1001),
         "year": (date_where, ["date", "date"], [f"'{start.year}-01-01'", f"'{start.year}-12-31'"], 50)}
accounts = {"admin": None, "all-sites": [f"site-{i}" for i in range(groups)], "site-0": ["site-0"]}

def literal(names):  # IndexQuery.GroupsLiteral
    return "array[" + ",".join(f"'{g}'" for g in sorted(set(names))) + "]::text[]"

def statement(account, kind, form):
    where_of, types, values, limit = kinds[kind]
    tail = f" order by s.study_key limit {limit}"
    names = accounts[account]
    if names is None:
        return select + " where " + where_of(1) + tail, types, values
    if form == "parameter":
        return (select + " where s.access_groups && $1 and " + where_of(2) + tail,
                ["text[]"] + types, ["'{" + ",".join(names) + "}'"] + values)
    return select + f" where s.access_groups && {literal(names)} and " + where_of(1) + tail, types, values

def run(account, kind, form):
    sql, types, values = statement(account, kind, form)
    execute = f"execute q({', '.join(values)});"
    explain = f"explain (analyze, buffers) {execute}"
    script = [f"prepare q({', '.join(types)}) as {sql};", "\\o /dev/null"] + [execute] * 6 + ["\\o"]
    script += ["\\echo ==auto", explain, "select generic_plans, custom_plans from pg_prepared_statements where name = 'q';"]
    for mode in ("generic", "custom"):
        script += [f"set plan_cache_mode = force_{mode}_plan;"]
        script += [f"\\echo =={mode}", explain] * repeat
    text = psql("\n".join(script) + "\n")
    with open(f"{out}/{account}-{kind}-{form}.txt", "w") as f:
        f.write(f"-- {sql}\n-- {execute}\n{text}")
    sections = re.split(r"^==(auto|generic|custom)\n", text, flags=re.M)[1:]
    result = {}
    for mode, body in zip(sections[0::2], sections[1::2]):
        times = [float(t) for t in re.findall(r"Execution Time: ([0-9.]+) ms", body)]
        result.setdefault(mode, {"times": [], "plan": body})["times"] += times
        result[mode]["plan"] = body
    chose = "generic" if re.search(r"\$\d", result["auto"]["plan"]) else "custom"
    return sql, chose, result

def shape(plan):
    """The plan's nodes in one line: node kinds and index names, top down."""
    nodes = re.findall(r"^\s*(?:->\s*)?([A-Z][A-Za-z ]+?(?: on \w+(?: \w+)?| using \w+ on \w+(?: \w+)?)?)\s+\(cost", plan, flags=re.M)
    return " > ".join(n.strip() for n in nodes)

def buffers(plan):
    """Shared buffers the whole statement touched (the top node's line): steadier than the time on a busy machine."""
    m = re.search(r"Buffers: shared hit=(\d+)(?: read=(\d+))?", plan)
    return int(m.group(1)) + int(m.group(2) or 0) if m else 0

def filter_rows(plan):
    """Estimated and actual rows of the node that applies the group filter (or the top scan/join)."""
    lines = plan.splitlines()
    for i, line in enumerate(lines):
        if "access_groups" in line:
            for j in range(i, -1, -1):
                m = re.search(r"rows=(\d+) width=\d+\) \(actual time=[0-9.]+\.\.[0-9.]+ rows=(\d+) loops=(\d+)", lines[j])
                if m:
                    loops = int(m.group(3))
                    return f"{m.group(1)} est. / {m.group(2)} actual" + (f" x{loops} loops" if loops > 1 else "")
    return "-"

print(f"qido-groups-explain: PatientName={prefix}*, StudyDate={start:%Y%m%d}-{stop:%Y%m%d}, ModalitiesInStudy=CT, "
      f"AccessionNumber={accession}, StudyDate={start.year}0101-{start.year}1231&limit=50; median of {repeat} EXPLAIN ANALYZE each")
print(f"{'account':10} {'query':9} {'form':9} {'auto':7} | {'generic ms':>10} {'custom ms':>9} {'buffers g/c':>11} | {'group filter rows (generic)':34} | generic plan")
for kind in kinds:
    for account in accounts:
        for form in (["parameter", "literal"] if accounts[account] else ["none"]):
            sql, chose, r = run(account, kind, form)
            g, c = statistics.median(r["generic"]["times"]), statistics.median(r["custom"]["times"])
            bufs = f"{buffers(r['generic']['plan'])}/{buffers(r['custom']['plan'])}"
            print(f"{account:10} {kind:9} {form:9} {chose:7} | {g:10.3f} {c:9.3f} {bufs:>11} | {filter_rows(r['generic']['plan']):34} | {shape(r['generic']['plan'])}")
            print(f"{'':10} {'':9} {'':9} {'':7} | {'':10} {'':9} {'':11} | {filter_rows(r['custom']['plan']):34} | custom: {shape(r['custom']['plan'])}")
with open("/proc/loadavg") as f:
    print(f"load average: {' '.join(f.read().split()[:3])}; full plans in {out}")
PY
