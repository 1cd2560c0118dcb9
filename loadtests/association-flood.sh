#!/usr/bin/env bash
# Issue 13 goal, repeated: one address (127.0.0.2) holds its whole association quota, another (127.0.0.3) floods
# half-open connections, and a third client's (127.0.0.1) echoscu and storescu are timed.
# Against a running system: loadtests/association-flood.sh [DICOM_PORT] [AE_TITLE] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-11112}
aet=${2:-CLINTON}
rounds=${3:-5}
exec /usr/bin/python3 loadtests/association-flood.py 127.0.0.1 "$port" "$aet" tests/Dicom.Tests/Corpus/test_files/CT_small.dcm --rounds "$rounds"
