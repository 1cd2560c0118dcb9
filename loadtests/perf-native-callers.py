#!/usr/bin/env python3
"""Who called the runtime: for the samples of a perf profile whose leaf frame names LEAF (e.g. libcoreclr), the first
managed frame above it, or "(none)" when the stack has none (GC and runtime threads). JIT frames named as perf-jit-symbols.py does.
  perf-native-callers.py PERF.data PERF-PID.map LEAF"""
import os
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'perf-jit-symbols.py')).read().split("self_c = collections.Counter()")[0].split("out = subprocess.run")[0])
out = subprocess.run(["perf", "script", "-i", perf, "-F", "ip,sym,dso"], capture_output=True, text=True).stdout
leafpat = sys.argv[3]; c = collections.Counter(); tot=0
for block in out.split("\n\n"):
    lines = [l.strip() for l in block.strip().split("\n") if l.strip()]
    if not lines: continue
    names = []
    for l in lines:
        parts = l.split(" ", 1); ip = int(parts[0], 16); rest = parts[1] if len(parts) > 1 else ""
        if "doublemapper" in rest:
            a = off2addr(ip); name = (sym(a) if a else None) or "jit:?"
        else:
            name = sym(ip) or (rest.split("(")[-1].rstrip(")").split("/")[-1] + ":" + rest.split(" (")[0])
        names.append(name)
    if leafpat not in names[0]: continue
    tot+=1
    # first frame not matching libcoreclr/libc/unknown
    for n in names[1:]:
        if "[" in n and "]" in n and "::" in n:
            c[re.sub(r"\[OptimizedTier1\]|\(.*","",n)[:150]] += 1; break
    else: c["(none)"]+=1
for k,v in c.most_common(25): print(v, k)
print("total", tot)
