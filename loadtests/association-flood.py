#!/usr/bin/python3
"""Association flood (issue 13): while one address holds its whole association quota and another floods half-open
connections, a third client's echoscu and storescu are timed. Usage:
  association-flood.py HOST PORT AET FILE [--quota 32] [--flood 1000] [--rounds 5]
Prints each round's echo and store latency (ms) and their median. Needs dcmtk and the loopback aliases 127.0.0.2/3."""
import argparse, socket, statistics, struct, subprocess, time

def associate_rq(called, calling):
    def item(t, body): return struct.pack(">BBH", t, 0, len(body)) + body
    app = item(0x10, b"1.2.840.10008.3.1.1.1")
    pc = item(0x20, bytes([1, 0, 0, 0]) + item(0x30, b"1.2.840.10008.1.1") + item(0x40, b"1.2.840.10008.1.2"))
    ui = item(0x50, item(0x51, struct.pack(">I", 16384)) + item(0x52, b"1.2.3.4"))
    body = struct.pack(">HH", 1, 0) + called.ljust(16).encode() + calling.ljust(16).encode() + bytes(32) + app + pc + ui
    return struct.pack(">BBI", 1, 0, len(body)) + body

def hold(host, port, aet, n):
    held = []
    for _ in range(n):
        s = socket.socket(); s.bind(("127.0.0.2", 0)); s.connect((host, port))
        s.sendall(associate_rq(aet, "HOLDER"))
        if s.recv(1)[:1] != b"\x02": raise SystemExit("holder association not accepted")
        held.append(s)
    return held

def flood(host, port, n):
    socks = []
    for _ in range(n):
        s = socket.socket(); s.bind(("127.0.0.3", 0))
        try:
            s.connect((host, port)); s.sendall(b"\x01\x00\x00")
        except OSError:
            pass
        socks.append(s)
    return socks

def timed(cmd):
    t = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, env={"TCP_NODELAY": "1", "PATH": "/usr/bin:/bin"})
    ms = (time.monotonic() - t) * 1000
    if r.returncode != 0: raise SystemExit(f"{cmd[0]} failed: {r.stdout}{r.stderr}")
    return ms

def main():
    a = argparse.ArgumentParser()
    a.add_argument("host"); a.add_argument("port", type=int); a.add_argument("aet"); a.add_argument("file")
    a.add_argument("--quota", type=int, default=32); a.add_argument("--flood", type=int, default=1000); a.add_argument("--rounds", type=int, default=5)
    o = a.parse_args()
    p = str(o.port)
    quiet = [timed(["echoscu", "-aec", o.aet, o.host, p]) for _ in range(o.rounds)]
    held = hold(o.host, o.port, o.aet, o.quota)
    echo, store = [], []
    try:
        for _ in range(o.rounds):
            t = time.monotonic(); socks = flood(o.host, o.port, o.flood); fl = (time.monotonic() - t) * 1000
            echo.append(timed(["echoscu", "-aec", o.aet, o.host, p]))
            store.append(timed(["storescu", "-aec", o.aet, o.host, p, o.file]))
            print(f"round: flood of {o.flood} half-open took {fl:.0f} ms; echo {echo[-1]:.0f} ms; store {store[-1]:.0f} ms", flush=True)
            for s in socks: s.close()
    finally:
        for s in held: s.close()
    print(f"quiet echo median {statistics.median(quiet):.0f} ms; under flood: echo median {statistics.median(echo):.0f} ms "
          f"(max {max(echo):.0f}), store median {statistics.median(store):.0f} ms (max {max(store):.0f})")

main()
