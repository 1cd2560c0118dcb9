#!/usr/bin/env python3
"""Where the gateway's CPU per C-FIND query goes, from the inclusive shares perf-jit-symbols.py wrote for a profile of
loadtests/cfind-profile.sh (OUT/incl.txt): for each part of a query, the largest inclusive share among the frames that
stand for it (a part's frames nest, so the largest is the part). Parts overlap where one calls another (marked "of which").
  cfind-split.py INCL.txt [CPU_MS_PER_QUERY]   # with the CPU per query, each share also in ms per query"""
import re, sys
rows = []
for line in open(sys.argv[1]):
    if "% " in line:
        p, name = line.strip().split("% ", 1)
        rows.append((float(p), name))
cpu = float(sys.argv[2]) if len(sys.argv) > 2 else None
def share(pat):
    return max((p for p, name in rows if re.search(pat, name)), default=0.0)
PARTS = [
    ("DIMSE receive and parse (the association's read loop)", r"DicomAssociation\+<(RunAsync|ReadWithTimeoutAsync|ProcessPduAsync)"),
    ("building the query (DicomQuery.FromIdentifier, IndexQuery.Build)", r"DicomQuery::FromIdentifier|IndexQuery::Build"),
    ("Npgsql: NpgsqlDataReader.Read (rows)", r"NpgsqlDataReader\+<Read>d__"),
    ("row to data set (IndexReader.ReadMatch, its column reads included)", r"IndexReader::ReadMatch"),
    ("  of which Npgsql column values (GetFieldValue)", r"NpgsqlDataReader::GetFieldValueCore"),
    ("  of which DICOM JSON parse (DicomJsonReader.Read)", r"DicomJsonReader::Read\(valuetype \[System.Text.Json\]"),
    ("projection to the response (FindScp.Response)", r"FindScp::Response"),
    ("  of which character set check (FindScp.HasNonAscii)", r"FindScp::HasNonAscii"),
    ("encoding and writing each response (DicomAssociation.WriteMessageAsync)", r"DicomAssociation\+<WriteMessageAsync>"),
    ("  of which command encode (DimseCommandCodec.Encode)", r"DimseCommandCodec::Encode"),
    ("  of which data set encode (DicomWriter)", r"DicomWriter\+Encoder::WriteDataset"),
    ("flushes before waiting (DicomAssociation.FlushAsync)", r"DicomAssociation\+<FlushAsync>"),
    ("audit record (DimseAudit.Record)", r"DimseAudit::Record"),
    ("telemetry (DimseTelemetry)", r"DimseTelemetry::"),
    ("logging (Microsoft.Extensions.Logging)", r"Microsoft\.Extensions\.Logging\."),
    ("kernel: futex (thread wake-ups and waits)", r"^\[kernel\.kallsyms\]:__x64_sys_futex$"),
    ("kernel: sendto", r"^\[kernel\.kallsyms\]:__x64_sys_sendto$"),
    ("kernel: recvfrom", r"^\[kernel\.kallsyms\]:__x64_sys_recvfrom$"),
    ("kernel: epoll_wait", r"^\[kernel\.kallsyms\]:__x64_sys_epoll_wait$"),
]
for label, pat in PARTS:
    s = share(pat)
    print(f"{s:6.2f}%" + (f"  {cpu * s / 100:5.2f} ms" if cpu else "") + f"  {label}")
