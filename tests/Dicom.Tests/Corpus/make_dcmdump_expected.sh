#!/usr/bin/env bash
# Regenerates dcmdump/<file>.txt from dcmtk's dcmdump (Debian dcmtk 3.6.7): values in full (+L) except those over 4 KB (-M: "(not loaded)"), UIDs as numbers (-Un).
set -euo pipefail
cd "$(dirname "$0")"
for f in test_files/*.dcm; do
  n=$(basename "$f")
  case "$n" in MR_truncated.dcm|rtplan_truncated.dcm|no_meta.dcm) continue ;; esac
  dcmdump -q -Un +L -M "$f" > "dcmdump/$n.txt" 2>/dev/null || echo "dcmdump failed on $n" >&2
done
