#!/usr/bin/env python3
"""Who called the runtime: for the samples of a perf profile whose leaf frame names LEAF (e.g. libcoreclr), the first
managed frame above it, or "(none)" when the stack has none (GC and runtime threads). JIT frames named as perf-jit-symbols.py does.
  perf-native-callers.py PERF.data PERF-PID.map LEAF"""
import collections, importlib.util, os, re, sys

spec = importlib.util.spec_from_file_location("perf_jit_symbols", os.path.join(os.path.dirname(os.path.abspath(__file__)), "perf-jit-symbols.py"))
jit = importlib.util.module_from_spec(spec); spec.loader.exec_module(jit)
perf, mapf, leafpat = sys.argv[1], sys.argv[2], sys.argv[3]
c = collections.Counter(); tot = 0
for names in jit.named_stacks(perf, mapf):
    if leafpat not in names[0]: continue
    tot += 1
    # The first managed frame ("Namespace.Type::Method[Tier]") above the native leaf.
    for n in names[1:]:
        if "[" in n and "]" in n and "::" in n:
            c[re.sub(r"\[OptimizedTier1\]|\(.*", "", n)[:150]] += 1; break
    else: c["(none)"] += 1
for k, v in c.most_common(25): print(v, k)
print("total", tot)
