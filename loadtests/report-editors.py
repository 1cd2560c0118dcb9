"""Driver of loadtests/report-editors.sh (issue 14's benchmark): the reporting worklist's latency, idle and while
doctors save, and report saves under concurrent editors, against a running archive. Standard library only; run with
Debian's /usr/bin/python3.

Phases, each after its own warm-up:
  1. worklist, idle: Q GET /api/worklist as one doctor (default access group), a mix of the page's filters, one
     keep-alive connection, one query at a time.
  2. saves: E doctors each hold the editing lock of their own study's report (POST .../lock) and autosave it S times
     (PUT .../report with If-Match, the findings growing by a sentence each time: what the panel sends while a doctor
     types), all at once, each on its own connection, with no pause between saves (the worst case: a real panel saves
     3 s after typing stops). CPU-seconds of the gateway, the silo and PostgreSQL over the phase, per save.
  3. worklist under load: phase 2 again (new text), while the worklist doctor runs the query mix in a loop.
Prints p50/p95/p99 in ms, saves per second, refused saves (any answer but 200: there must be none), the load average
before and after each phase, and a JSON line with everything. The idle worklist's figures are also given per kind of
query (the six of worklist_queries).
With --worklist-only, phase 1 alone, once as the doctor and once as the admin (no access-group filter), each with its
CPU per query: what loadtests/worklist-ab.sh runs against two builds in turn.
"""
import argparse
import http.client
import json
import math
import os
import random
import threading
import time


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def summary(values):
    return {"n": len(values), "p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2),
            "p99": round(percentile(values, 99), 2), "max": round(max(values), 2) if values else float("nan")}


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid, with_children=False):
    """CPU-seconds (user + system) of a process from /proc/PID/stat; with its reaped children's."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the ")" of comm: field 3 (state) is fields[0], so utime (14) is fields[11].
    used = int(fields[11]) + int(fields[12])
    if with_children:
        used += int(fields[13]) + int(fields[14])
    return used / TICKS


def pg_cpu(pgdata):
    """The whole PostgreSQL server: the postmaster with reaped children, plus the children still running."""
    with open(os.path.join(pgdata, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    total = proc_cpu(postmaster, with_children=True)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / TICKS
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total


class Client:
    """One keep-alive connection with a bearer token."""

    def __init__(self, port, token=None):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None, headers=None):
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        h.update(headers or {})
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=h)
                response = self.conn.getresponse()
                return response.status, response.getheader("ETag"), response.read()
            except (http.client.HTTPException, ConnectionError):
                # A keep-alive connection the server closed: once more on a new one.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise


def token(port, user, password):
    status, _, body = Client(port).call("POST", "/auth/token", {"username": user, "password": password})
    assert status == 200, (user, status, body)
    return json.loads(body)["access_token"]


KINDS = ["default", "all", "modality", "month", "later-page", "drafts"]


def worklist_queries(studies, count, seed=7):
    rnd = random.Random(seed)
    dates = sorted(s["StudyDate"] for s in studies)
    queries = []
    for i in range(count):
        d = rnd.choice(dates)
        start = f"{d[:4]}-{d[4:6]}-01"
        stop = f"{d[:4]}-{d[4:6]}-28"
        queries.append([  # in the order of KINDS
            "/api/worklist?status=open&limit=50",                              # the page's default
            "/api/worklist?limit=50",                                          # everything
            f"/api/worklist?status=open&modality={['CT', 'MR', 'CR', 'US', 'DX'][i % 5]}&limit=50",
            f"/api/worklist?status=open&from={start}&to={stop}&limit=50",       # about a month of study dates
            f"/api/worklist?status=open&offset={50 * rnd.randrange(1, 80)}&limit=50",  # a later page
            "/api/worklist?status=draft&limit=50",                             # the reports being written
        ][i % 6])
    return queries


def run_worklist(client, queries, times, stop=None, by_kind=None):
    """The queries once each in order; with stop, round and round until it is set. by_kind: times per KINDS entry."""
    n = 0
    while (n < len(queries)) if stop is None else not stop.is_set():
        q = queries[n % len(queries)]
        kind = KINDS[n % len(queries) % len(KINDS)]
        n += 1
        t0 = time.perf_counter()
        status, _, body = client.call("GET", q)
        elapsed = (time.perf_counter() - t0) * 1000
        times.append(elapsed)
        if by_kind is not None:
            by_kind.setdefault(kind, []).append(elapsed)
        assert status == 200, (q, status, body[:200])


PARAGRAPH = ("Лёгкие расправлены, без очаговых и инфильтративных изменений. Бронхи проходимы. Лимфатические узлы "
             "средостения не увеличены. Плевральный выпот не определяется. ")


def editor(port, token_, study, saves, round_, start, times, refused):
    client = Client(port, token_)
    path = f"/api/studies/{study}/report"
    status, _, body = client.call("POST", path + "/lock")
    assert status == 200, ("lock", study, status, body)
    status, etag, body = client.call("GET", path)
    assert status == 200, ("get", study, status, body)
    findings = PARAGRAPH * 6
    start.wait()
    for n in range(saves):
        findings += f"Фраза {round_}.{n}: без динамики. "
        report = {"language": "ru", "clinicalInformation": "Кашель, 2 недели.", "technique": "КТ органов грудной клетки без контраста.",
                  "comparison": "Нет.", "findings": findings, "impression": "Без патологии.", "recommendations": "", "priority": "routine"}
        t0 = time.perf_counter()
        status, new_etag, body = client.call("PUT", path, report, {"If-Match": etag})
        times.append((time.perf_counter() - t0) * 1000)
        if status == 200:
            etag = new_etag
        else:
            refused.append((status, body[:200].decode(errors="replace")))
            status, etag, _ = client.call("GET", path)
    client.call("DELETE", path + "/lock")


def editors_phase(args, tokens, studies, round_, cpu_pids, worklist_client=None, queries=None):
    times, refused, worklist_times = [], [], []
    start = threading.Barrier(len(tokens) + 1)
    threads = [threading.Thread(target=editor, args=(args.port, t, s, args.saves, round_, start, times, refused))
               for t, s in zip(tokens, studies)]
    for t in threads:
        t.start()
    stop = threading.Event()
    reader = None
    if worklist_client is not None:
        reader = threading.Thread(target=run_worklist, args=(worklist_client, queries, worklist_times, stop))
    before = {name: fn() for name, fn in cpu_pids.items()}
    load_before = loadavg()
    t0 = time.perf_counter()
    start.wait()
    if reader:
        reader.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    stop.set()
    if reader:
        reader.join()
    after = {name: fn() for name, fn in cpu_pids.items()}
    cpu = {name: round(after[name] - before[name], 2) for name in cpu_pids}
    return {"saves": summary(times), "elapsed_s": round(elapsed, 2), "saves_per_s": round(len(times) / elapsed, 1),
            "refused": len(refused), "refused_examples": refused[:3], "cpu_s": cpu,
            "cpu_ms_per_save": {k: round(1000 * v / max(1, len(times)), 2) for k, v in cpu.items()},
            "load_before": load_before, "load_after": loadavg(),
            **({"worklist_under_load": summary(worklist_times)} if reader else {})}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--manifest", required=True, help="the data set's manifest.json (gen_dataset.py small)")
    parser.add_argument("--admin-password", required=True)
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--saves", type=int, default=30, help="saves per editor and phase")
    parser.add_argument("--queries", type=int, default=300, help="timed worklist queries, idle")
    parser.add_argument("--gateway-pid", type=int)
    parser.add_argument("--silo-pid", type=int)
    parser.add_argument("--pgdata")
    parser.add_argument("--worklist-only", action="store_true", help="phase 1 only, as a doctor and as the admin")
    args = parser.parse_args()

    studies = json.load(open(args.manifest))["studies"]
    admin = Client(args.port, token(args.port, "admin", args.admin_password))
    password = "Bench-Editor-Passw0rd-7"

    def doctor(name):
        status, _, body = admin.call("POST", "/api/users", {"username": name, "role": "doctor", "password": password, "mustChangePassword": False})
        assert status in (201, 409), (name, status, body)
        return token(args.port, name, password)

    tokens = [doctor(f"bench-editor-{i:02d}") for i in range(args.editors)]
    reader = Client(args.port, doctor("bench-reader"))
    # Studies spread over the data set (not its first ones), one per editor.
    step = max(1, len(studies) // args.editors)
    edited = [studies[i * step]["StudyInstanceUID"] for i in range(args.editors)]
    cpu_pids = {}
    if args.gateway_pid:
        cpu_pids["gateway"] = lambda: proc_cpu(args.gateway_pid)
    if args.silo_pid:
        cpu_pids["silo"] = lambda: proc_cpu(args.silo_pid)
    if args.pgdata:
        cpu_pids["postgres"] = lambda: pg_cpu(args.pgdata)

    results = {"studies": len(studies), "editors": args.editors, "saves_per_editor": args.saves}
    queries = worklist_queries(studies, args.queries)

    def worklist_idle(client):
        run_worklist(client, queries[:30], [])  # warm-up
        idle, by_kind = [], {}
        load_before = loadavg()
        before = {name: fn() for name, fn in cpu_pids.items()}
        run_worklist(client, queries, idle, by_kind=by_kind)
        after = {name: fn() for name, fn in cpu_pids.items()}
        return {**summary(idle), "load_before": load_before, "load_after": loadavg(),
                "cpu_ms_per_query": {k: round(1000 * (after[k] - before[k]) / len(idle), 2) for k in cpu_pids},
                "by_kind": {k: summary(v) for k, v in by_kind.items()}}

    def print_idle(label, w):
        print(f"worklist idle{label}: p50 {w['p50']} ms  p95 {w['p95']} ms  p99 {w['p99']} ms  ({w['n']} queries; "
              f"CPU ms/query {w['cpu_ms_per_query']}; load {w['load_before']} -> {w['load_after']})")
        print("  per kind (p50 / p95 ms): " + "; ".join(f"{k} {v['p50']} / {v['p95']}" for k, v in w["by_kind"].items()))

    if args.worklist_only:
        results["worklist_idle"] = worklist_idle(reader)
        results["worklist_idle_admin"] = worklist_idle(admin)
        print_idle(" (doctor)", results["worklist_idle"])
        print_idle(" (admin) ", results["worklist_idle_admin"])
        print("json: " + json.dumps(results, ensure_ascii=False))
        return

    results["worklist_idle"] = worklist_idle(reader)

    editors_phase(args, tokens, edited, "warm-up", cpu_pids)  # first activations of the report grains, JIT
    results["saves"] = editors_phase(args, tokens, edited, "A", cpu_pids)
    results["saves_with_worklist"] = editors_phase(args, tokens, edited, "B", cpu_pids, reader, queries)

    w, s, b = results["worklist_idle"], results["saves"], results["saves_with_worklist"]
    print_idle("       ", w)
    print(f"saves, {args.editors} editors:    p50 {s['saves']['p50']} ms  p95 {s['saves']['p95']} ms  p99 {s['saves']['p99']} ms  "
          f"({s['saves']['n']} saves, {s['saves_per_s']}/s, refused {s['refused']}; CPU ms/save {s['cpu_ms_per_save']}; "
          f"load {s['load_before']} -> {s['load_after']})")
    print(f"saves + worklist:     p50 {b['saves']['p50']} ms  p95 {b['saves']['p95']} ms  ({b['saves']['n']} saves, refused {b['refused']}); "
          f"worklist meanwhile p50 {b['worklist_under_load']['p50']} ms  p95 {b['worklist_under_load']['p95']} ms "
          f"({b['worklist_under_load']['n']} queries; load {b['load_before']} -> {b['load_after']})")
    print("json: " + json.dumps(results, ensure_ascii=False))
    if s["refused"] or b["refused"]:
        raise SystemExit("report-editors: refused saves (see refused_examples)")


if __name__ == "__main__":
    main()
