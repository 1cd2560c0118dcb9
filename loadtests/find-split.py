#!/usr/bin/python3
"""Splits C-FIND queries on one association into the archive's parts, from an strace of the gateway.

    strace -f -tt -yy -e trace=sendto,recvfrom,sendmsg,recvmsg,read,write -p GATEWAY_PID -o gw.strace &
    findscu --repeat 20 ... ; kill %1
    loadtests/find-split.py gw.strace DICOM_PORT PG_PORT

Per query (the first read on the DICOM connection after the previous query's last send starts one):
  to-sql       query arrived -> statement sent to PostgreSQL (parse, plan, connection from the pool)
  sql-first    statement sent -> first bytes of its answer (PostgreSQL's planning and first rows)
  sql-last     statement sent -> last bytes of its answer
  answered     query arrived -> last response sent (the archive's whole time)
  peer         last response sent -> next query arrived (findscu reading the responses, and its next request)
Times in ms, medians over the queries seen (the first is skipped: it may be cut by the trace's start).
strace slows every system call, so the absolute figures are above the untraced ones; the proportions are the point.
"""
import re
import statistics
import sys
from datetime import datetime

path, dicom_port, pg_port = sys.argv[1], sys.argv[2], sys.argv[3]
line_re = re.compile(r'^(\d+)\s+(\d\d:\d\d:\d\d\.\d+)\s+(\w+)\((\d+)<(.*?\])>')


def ts(s):
    t = datetime.strptime(s, "%H:%M:%S.%f")
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


events = []  # (time, kind, direction, connection)
for line in open(path):
    m = line_re.match(line)
    if not m or "resumed" in line or "EAGAIN" in line:
        continue
    _, t, call, _, sock = m.groups()
    if not sock.startswith("TCP"):
        continue
    rc = line.rsplit("=", 1)[-1].strip().split()[0]
    if not rc.lstrip("-").isdigit() or int(rc) <= 0:
        continue
    ends = sock[sock.index("[") + 1:].rstrip("]").split("->")
    if ends[0].endswith(":" + dicom_port):
        kind = "dicom"
    elif ends[-1].endswith(":" + pg_port):
        kind = "pg"
    else:
        continue
    events.append((ts(t), kind, "out" if call in ("sendto", "sendmsg", "write") else "in", sock))

queries = []
current = None
answered = False
for t, kind, direction, conn in events:
    if kind == "dicom" and direction == "in":
        # The first read after responses went out starts the next query (its command and identifier may take two).
        if current is None or answered:
            if current is not None:
                current["next"] = t
                queries.append(current)
            current = {"arrived": t, "sql_conn": None, "sql_sent": None, "sql_first": None, "sql_last": None,
                       "answered": None, "other_pg": 0}
            answered = False
        continue
    if current is None:
        continue
    if kind == "pg":
        if direction == "out" and current["sql_conn"] is None:
            current["sql_conn"], current["sql_sent"] = conn, t
        elif direction == "in" and conn == current["sql_conn"]:
            current["sql_first"] = current["sql_first"] or t
            current["sql_last"] = t
        elif direction == "out":
            current["other_pg"] += 1  # another statement in the query's window (the audit INSERT)
    else:
        current["answered"] = t  # the last send so far; the query's last is its final response
        answered = True

rows = {k: [] for k in ("to-sql", "sql-first", "sql-last", "answered", "peer")}
others = []
for q in queries[1:]:
    if None in (q["sql_sent"], q["sql_first"], q["answered"]):
        continue
    rows["to-sql"].append(q["sql_sent"] - q["arrived"])
    rows["sql-first"].append(q["sql_first"] - q["sql_sent"])
    rows["sql-last"].append(q["sql_last"] - q["sql_sent"])
    rows["answered"].append(q["answered"] - q["arrived"])
    rows["peer"].append(q["next"] - q["answered"])
    others.append(q["other_pg"])
print(f"{len(rows['answered'])} queries; other PostgreSQL system calls per query (median): {statistics.median(others) if others else 0}")
for k, v in rows.items():
    if v:
        print(f"{k:10s} median {1000 * statistics.median(v):7.2f} ms  (min {1000 * min(v):.2f}, max {1000 * max(v):.2f})")
