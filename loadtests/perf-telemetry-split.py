#!/usr/bin/python3
"""Telemetry's share of a gateway profile: `perf script -i FILE > F.script; perf-telemetry-split.py F.script ...`
(the perf data of loadtests/telemetry-cpu.sh PROFILE=perf). Inclusive shares of samples with a frame of each group;
OpenTelemetry's HttpServerErrorTypeStartupFilter frame is left out of "OTel other": it wraps the whole request, so
everything below it would count."""
import re, collections, sys
frame=re.compile(r"^\s+[0-9a-f]+\s+(?P<sym>.*?)\s+\((?P<dso>[^()]*(?:\([^()]*\))?[^()]*)\)\s*$")
groups=[
 ("OTel metrics (MeterProviderSdk, AggregatorStore)", r"OpenTelemetry\.Metrics\."),
 ("OTel tracing (TracerProviderSdk, samplers)", r"OpenTelemetry\.Trace\.|Pacs\.Hosting\.ArchiveSampler"),
 ("OTel ASP.NET Core listener (DiagnosticSourceListener, HttpInListener)", r"OpenTelemetry\.Instrumentation\.(DiagnosticSource|AspNetCore\.Implementation\.HttpIn)|DiagnosticSourceSubscriber"),
 ("OTel other (excl. the error-type startup filter frame)", r"OpenTelemetry(?!.*HttpServerErrorTypeStartupFilter)"),
 ("System.Diagnostics.Metrics (Instrument.Record, MeterListener)", r"System\.Diagnostics\.Metrics\."),
 ("ActivitySource / Activity", r"System\.Diagnostics\.Activity(Source|Listener)?::"),
 ("DiagnosticListener.Write", r"System\.Diagnostics\.DiagnosticListener::"),
 ("ASP.NET Core *Metrics classes", r"Microsoft\.AspNetCore\.[A-Za-z.]*Metrics::|HostingMetrics|KestrelMetrics|RoutingMetrics|AuthorizationMetrics|AuthenticationMetrics"),
 ("Npgsql MetricsReporter / tracing", r"Npgsql\.MetricsReporter|NpgsqlActivitySource|TraceCommand"),
 ("any of the above", r"OpenTelemetry(?!.*HttpServerErrorTypeStartupFilter)|System\.Diagnostics\.Metrics\.|System\.Diagnostics\.Activity(Source|Listener)?::|System\.Diagnostics\.DiagnosticListener::|Microsoft\.AspNetCore\.[A-Za-z.]*Metrics::|Npgsql\.MetricsReporter|NpgsqlActivitySource|TraceCommand"),
 ("JIT thread samples", None),
]
for path in sys.argv[1:]:
    blocks=[b for b in open(path).read().split('\n\n') if b.strip()]
    c=collections.Counter(); tot=0; tp=0
    for b in blocks:
        lines=b.split('\n')
        fr=[m.group('sym') for m in (frame.match(l) for l in lines[1:]) if m]
        tot+=1
        if lines[0].startswith('.NET Tiered'): c["JIT thread samples"]+=1
        for name,pat in groups:
            if pat and any(re.search(pat,f) for f in fr): c[name]+=1
    print(path, 'samples', tot)
    for name,_ in groups: print(f"  {100*c[name]/tot:5.2f}%  {name}")
