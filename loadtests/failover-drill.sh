#!/usr/bin/env bash
# The failover drill (docs/benchmarks.md, "Failover drill"; the failover issue): a private PostgreSQL, two silos and two
# gateways as real processes (the end-to-end tests' cluster, free loopback ports), eight readers over both gateways
# (series metadata, study metadata, QIDO in a loop) and four C-STORE senders over both gateways, while one event
# happens. Prints, per event, the readers' and senders' figures and checks the issue's fixed bounds:
#   SiloKilled         SIGKILL of the silo holding the ingested study: no reader request or C-STORE over 5 s, none fails
#   SiloHung           SIGSTOP of that silo: declared dead and no reader request over 10 s, none fails
#   SiloStopped        SIGTERM of that silo (rolling update): no request over 1 s, none fails
#   DatabaseRestarted  PostgreSQL down 5 s: held metadata served, QIDO 503 + Retry-After, all back within 5 s
#   SiloSlow           a silo stopped 60 % of the time (300 ms of 500 ms, 1.5 s every 5 s) for 30 s: measured only
#   loadtests/failover-drill.sh [event ...]      (default: every event; exit code 1 when a bound does not hold)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
dotnet build "$ROOT/loadtests/FailoverDrill/FailoverDrill.csproj" -c Release -v q -nologo >/dev/null
exec dotnet "$ROOT/loadtests/FailoverDrill/bin/Release/net10.0/Pacs.Loadtests.FailoverDrill.dll" "$@"
