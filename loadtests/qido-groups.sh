#!/usr/bin/env bash
# QIDO-RS with access-group filtering against without (issue 12 goal: a doctor's QIDO p50 within 10 % of an admin's on
# the harness' 5,000-study data). One `./pacs up` (1 silo, 1 gateway) whose access-group rules put the studies sent by
# calling AE SITE<i> into group site-<i> (GROUP_COUNT groups); the harness' "small" set (N one-instance studies, made by
# ../shared/bench/gen_dataset.py unless DATA_SET names one) is stored split round-robin over the sites; then the same
# Q QIDO-RS study searches (the harness' five kinds: PatientName wildcard, 60-day StudyDate range, ModalitiesInStudy,
# AccessionNumber, a year's StudyDate with limit=50 and two includefields) are timed as the admin (every study, no group
# filter in the SQL), as a doctor holding site-0 only and as one holding every site's group by name (both filtered in
# the SQL; the latter selects what the admin sees, so its ratio is the filter's own cost), one client each on a
# keep-alive connection, taking turns query by query, after 20 warm-up queries each. Prints p50 and p95 per account,
# the p50 ratios to the admin, and checks that the site-0 doctor never got a study of another site.
#   loadtests/qido-groups.sh              # N=5000 GROUP_COUNT=4 Q=500; NO_BUILD=1 skips the build
#   KEEP=1 leaves the cluster up afterwards (for EXPLAIN on its data: loadtests/qido-groups-explain.sh); then
#   `./pacs down --data $WORK/data`. SKIP_STORE=1 with KEEP=1's cluster still up: only the queries, on the data stored.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${N:-5000}" GROUP_COUNT="${GROUP_COUNT:-4}" Q="${Q:-500}"
WORK="${WORK:-/tmp/pacs-qido-groups}"
SHARED_BENCH="${SHARED_BENCH:-$ROOT/../shared/bench}"
DATA_SET="${DATA_SET:-$WORK/small-$N}"
HTTP="${BENCH_HTTP_PORT:-18580}" DICOM="${BENCH_DICOM_PORT:-14612}" PG="${BENCH_PG_PORT:-55492}"
export PACS_SILO_PORT_BASE="${PACS_SILO_PORT_BASE:-21400}" PACS_SILO_GATEWAY_PORT_BASE="${PACS_SILO_GATEWAY_PORT_BASE:-31400}"
export PACS_SILO_HTTP_PORT_BASE="${PACS_SILO_HTTP_PORT_BASE:-28900}" PACS_METRICS_PORT_BASE="${PACS_METRICS_PORT_BASE:-0}"
export PACS_ADMIN_PASSWORD="Bench-Groups-Passw0rd"
DOCTOR_PASSWORD="Qido-Filter-Passw0rd-1"
DIR="$WORK/data"
mkdir -p "$WORK"
if [[ -z "${KEEP:-}" ]]; then
  trap '"$ROOT/pacs" down --data "$DIR" >/dev/null 2>&1 || true' EXIT
fi

if [[ ! -s "$DATA_SET/manifest.json" ]]; then
  echo "qido-groups: generating $N studies into $DATA_SET"
  /usr/bin/python3 "$SHARED_BENCH/gen_dataset.py" small --out "$DATA_SET" --count "$N" --quiet >/dev/null
fi

# Site i's studies arrive from calling AE SITE<i>: the rules give them group site-<i> (docs/security.md, "Access groups").
for ((i = 0; i < GROUP_COUNT; i++)); do
  export "Pacs__AccessGroups__Rules__${i}__Group=site-$i" "Pacs__AccessGroups__Rules__${i}__CallingAeTitle=SITE$i"
done
if [[ -z "${SKIP_STORE:-}" ]]; then
"$ROOT/pacs" down --data "$DIR" >/dev/null 2>&1 || true
rm -rf "$DIR"
"$ROOT/pacs" up --detach ${NO_BUILD:+--no-build} --data "$DIR" --http-port "$HTTP" --dicom-port "$DICOM" --pg-port "$PG" --ae CLINTON >/dev/null

# The studies, round-robin over the sites (study k to site k mod GROUP_COUNT), one storescu association per site.
start=$(date +%s.%N)
for ((i = 0; i < GROUP_COUNT; i++)); do
  find "$DATA_SET" -name '*.dcm' | sort | awk -v g="$GROUP_COUNT" -v i="$i" '(NR - 1) % g == i' \
    | xargs storescu -nh -aet "SITE$i" -aec CLINTON 127.0.0.1 "$DICOM" &
done
wait
end=$(date +%s.%N)
printf 'qido-groups: stored %d studies over %d sites in %.1f s\n' "$N" "$GROUP_COUNT" "$(echo "$end - $start" | bc -l)"
fi

/usr/bin/python3 - "$HTTP" "$DATA_SET/manifest.json" "$GROUP_COUNT" "$Q" "$PACS_ADMIN_PASSWORD" "$DOCTOR_PASSWORD" <<'PY'
import datetime as dt, http.client, json, random, statistics, sys, time

port, manifest_path, groups, count, admin_password, doctor_password = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
studies = json.load(open(manifest_path))["studies"]
# The files were sent in path order; manifest order is path order (k -> KK/kkkkk.dcm), so study k went to site k mod G.
site_of = {s["StudyInstanceUID"]: k % groups for k, s in enumerate(studies)}

def call(conn, method, path, token=None, body=None):
    headers = {"Accept": "application/dicom+json"}
    if token: headers["Authorization"] = "Bearer " + token
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()

def token(user, password):
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    status, body = call(conn, "POST", "/auth/token", body={"username": user, "password": password})
    assert status == 200, (user, status, body)
    return json.loads(body)["access_token"]

admin = token("admin", admin_password)
conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
status, body = call(conn, "POST", "/api/users", admin, {"username": "bench-doctor", "role": "doctor", "password": doctor_password,
                                                      "groups": ["site-0"], "mustChangePassword": False})
assert status in (201, 409), (status, body)
doctor = token("bench-doctor", doctor_password)
# A doctor holding every site's group by name: the filter runs in the SQL but selects what the admin sees, so this
# one's ratio to the admin is the filter's own cost (site-0's is also fewer rows to send).
status, body = call(conn, "POST", "/api/users", admin, {"username": "bench-sites", "role": "doctor", "password": doctor_password,
                                                      "groups": [f"site-{i}" for i in range(groups)], "mustChangePassword": False})
assert status in (201, 409), (status, body)
sites = token("bench-sites", doctor_password)

# The harness' query mix (../shared/bench/driver.py), over this data set.
rnd = random.Random(42)
prefixes = sorted({s["PatientName"][:3] for s in studies})
queries = []
for i in range(count // 5):
    a = rnd.choice(studies)["StudyDate"]
    y, m, d = int(a[:4]), int(a[4:6]), int(a[6:])
    start = dt.date(y, m, d); stop = start + dt.timedelta(days=59)
    queries += [
        f"/dicom-web/studies?PatientName={prefixes[i % len(prefixes)]}*",
        f"/dicom-web/studies?StudyDate={start:%Y%m%d}-{stop:%Y%m%d}",
        f"/dicom-web/studies?ModalitiesInStudy={['NM', 'PT', 'MG', 'CT', 'MR'][i % 5]}",
        f"/dicom-web/studies?AccessionNumber={rnd.choice(studies)['AccessionNumber']}",
        f"/dicom-web/studies?StudyDate={2018 + i % 6}0101-{2018 + i % 6}1231&limit=50&includefield=StudyDescription&includefield=ReferringPhysicianName",
    ]
rnd.shuffle(queries)

clients = {"admin": (http.client.HTTPConnection("127.0.0.1", int(port), timeout=30), admin),
           "doctor": (http.client.HTTPConnection("127.0.0.1", int(port), timeout=30), doctor),
           "sites": (http.client.HTTPConnection("127.0.0.1", int(port), timeout=30), sites)}
for who, (c, t) in clients.items():
    for q in queries[:20]:
        call(c, "GET", q, t)

times = {"admin": [], "doctor": [], "sites": []}
matches = {"admin": 0, "doctor": 0, "sites": 0}
leaks = 0
names = list(clients)
for n, q in enumerate(queries):
    order = names[n % 3:] + names[:n % 3]  # each account first, second and third in turn
    for who in order:
        c, t = clients[who]
        t0 = time.perf_counter()
        status, body = call(c, "GET", q, t)
        times[who].append((time.perf_counter() - t0) * 1000)
        assert status in (200, 204), (who, q, status, body[:200])
        found = json.loads(body) if status == 200 else []
        matches[who] += len(found)
        if who == "doctor":
            leaks += sum(1 for s in found if site_of.get(s["0020000D"]["Value"][0]) != 0)

def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]

a50, d50, s50 = (statistics.median(times[w]) for w in ("admin", "doctor", "sites"))
print(f"qido-groups: {len(queries)} queries each, {len(studies)} studies in {groups} groups")
print(f"  admin  (every study, no filter):        p50 {a50:.2f} ms, p95 {pct(times['admin'], 95):.2f} ms, {matches['admin']} matches")
print(f"  doctor (site-0 of {groups}, filtered):        p50 {d50:.2f} ms, p95 {pct(times['doctor'], 95):.2f} ms, {matches['doctor']} matches")
print(f"  doctor (all {groups} sites by name, filtered): p50 {s50:.2f} ms, p95 {pct(times['sites'], 95):.2f} ms, {matches['sites']} matches")
print(f"  p50 ratios to the admin: site-0 doctor {d50 / a50:.3f}, all-sites doctor {s50 / a50:.3f} (goal <= 1.10)")
print(f"  studies of another site in the site-0 doctor's answers: {leaks}; all-sites doctor's matches equal the admin's: {matches['sites'] == matches['admin']}")
with open("/proc/loadavg") as f: print(f"  load average at the end: {f.read().split()[0]}")
sys.exit(1 if leaks else 0)
PY
