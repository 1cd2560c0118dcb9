#!/usr/bin/python3
"""Where a .NET process's CPU samples went, from `perf script` of a `perf record -g` (loadtests/telemetry-cpu.sh).

    perf script -i FILE | perf-share.py [TOP]

Managed frames resolve through the perf map the runtime writes with DOTNET_PerfMapEnabled=1. For each group below:
the share of all samples with at least one frame of the group on the stack (inclusive: time in it and in what it
calls), then the TOP leaf functions (exclusive). A sample can count in several groups.
"""
import collections
import re
import sys

GROUPS = [
    ("OpenTelemetry SDK and instrumentation", re.compile(r"OpenTelemetry")),
    ("System.Diagnostics.Metrics (instruments, MeterListener)", re.compile(r"System\.Diagnostics\.Metrics\.")),
    ("Activity, ActivitySource, ActivityListener", re.compile(r"System\.Diagnostics\.Activity(Source|Listener|Context)?::")),
    ("DiagnosticListener events", re.compile(r"System\.Diagnostics\.DiagnosticListener::")),
    ("ASP.NET Core hosting diagnostics and metrics", re.compile(r"HostingApplicationDiagnostics|HostingMetrics")),
    ("Kestrel metrics", re.compile(r"KestrelMetrics")),
    ("Npgsql metrics and tracing", re.compile(r"Npgsql\.MetricsReporter|NpgsqlActivitySource|TraceCommand|TraceReceivedFirstResponse")),
    ("Logging scopes (activity tracking)", re.compile(r"LoggerFactoryScopeProvider|ActivityTrackingOptions")),
    ("Npgsql (all)", re.compile(r"Npgsql")),
    ("Kestrel (all)", re.compile(r"Kestrel")),
    ("DICOM JSON and query (ours)", re.compile(r"Pacs\.")),
    ("GC", re.compile(r"gc_heap|WKS::|SVR::|GCHeap|GarbageCollect")),
    ("JIT", re.compile(r"libclrjit")),
    ("kernel", re.compile(r"\[kernel\.kallsyms\]|\(\[kernel")),
]

# "  7f12ab sym+0x1f (/path/to/dso)"; the dso may hold parentheses itself ("/memfd:doublemapper (deleted)").
FRAME = re.compile(r"^\s+[0-9a-f]+\s+(?P<sym>.*?)\s+\((?P<dso>[^()]*(?:\([^()]*\))?[^()]*)\)\s*$")


def main() -> int:
    top = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    samples = 0
    counts = collections.Counter()
    leaves = collections.Counter()
    frames: list[str] = []

    def flush() -> None:
        nonlocal samples
        if not frames:
            return
        samples += 1
        text = "\n".join(frames)
        for name, pattern in GROUPS:
            if pattern.search(text):
                counts[name] += 1
        leaves[frames[0]] += 1
        frames.clear()

    for line in sys.stdin:
        if not line.strip():
            flush()
            continue
        match = FRAME.match(line)
        if match:
            sym = re.sub(r"\+0x[0-9a-f]+$", "", match.group("sym"))
            frames.append(f"{sym} ({match.group('dso')})")
    flush()
    if samples == 0:
        print("no samples")
        return 1
    print(f"samples {samples}")
    for name, _ in GROUPS:
        print(f"  {100.0 * counts[name] / samples:6.2f} %  {name}")
    print(f"top {top} leaf functions:")
    for sym, n in leaves.most_common(top):
        print(f"  {100.0 * n / samples:6.2f} %  {sym[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
