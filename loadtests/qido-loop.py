#!/usr/bin/python3
"""QIDO-RS requests one after the other, for the telemetry CPU A/B (loadtests/telemetry-cpu.sh).

    qido-loop.py URL TOKEN COUNT [keep|new]

keep: one HTTP/1.1 connection for all requests (as a browser or OHIF keeps it); new: a connection per request (as
loadtests/telemetry-cost.sh's curl does). Every response must be 200 with a body; prints one line:
"requests N p50_ms X p90_ms Y seconds Z". Standard library only (Debian's /usr/bin/python3).
"""
import http.client
import sys
import time
import urllib.parse


def main() -> int:
    url, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "keep"
    parts = urllib.parse.urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    headers = {"Authorization": "Bearer " + token, "Accept": "application/dicom+json"}
    times = []
    connection = None
    start = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        if connection is None:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200 or not body:
            print(f"unexpected answer {response.status} ({len(body)} bytes)", file=sys.stderr)
            return 1
        if mode == "new":
            connection.close()
            connection = None
        times.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - start
    if connection is not None:
        connection.close()
    times.sort()
    p50 = times[(len(times) - 1) // 2] * 1000
    p90 = times[int(len(times) * 0.9) - 1] * 1000 if len(times) >= 10 else times[-1] * 1000
    print(f"requests {count} p50_ms {p50:.3f} p90_ms {p90:.3f} seconds {seconds:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
