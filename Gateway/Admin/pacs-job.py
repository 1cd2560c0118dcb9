#!/usr/bin/env python3
"""Starts a job on a gateway's admin API and follows it to the end: ./pacs reindex and ./pacs import (docs/operations.md);
and streams an audit export to stdout: ./pacs audit export.

  pacs-job.py --url URL reindex [--restart] [--verify] [--parallelism N]
  pacs-job.py --url URL import [--parallelism N] PATH...
  pacs-job.py --url URL audit-export --from TIME --to TIME

Logs in with PACS_USER (admin) and PACS_PASSWORD (or PACS_ADMIN_PASSWORD). Prints progress every few seconds and a
summary at the end; exit 0 when the job finished, 1 when it failed or stopped, 2 on a usage or login error.
Python 3 standard library only.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class Api:
    def __init__(self, url, user, password):
        self.url = url.rstrip("/")
        self.user = user
        self.password = password
        self.token = None

    def login(self):
        status, body = self._send("POST", "/auth/token", {"username": self.user, "password": self.password}, auth=False)
        if status != 200:
            fail(f"login as {self.user} at {self.url} failed ({status}): {detail(body)}", 2)
        self.token = body["access_token"]

    def call(self, method, path, body=None):
        if self.token is None:
            self.login()
        status, answer = self._send(method, path, body)
        if status == 401:  # the access token lasts 15 minutes
            self.login()
            status, answer = self._send(method, path, body)
        return status, answer

    def _send(self, method, path, body, auth=True):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", "Bearer " + self.token)
        for attempt in range(30):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, json.loads(response.read() or b"null")
            except urllib.error.HTTPError as e:
                raw = e.read()
                try:
                    return e.code, json.loads(raw) if raw else None
                except ValueError:
                    return e.code, {"detail": raw.decode(errors="replace")}
            except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
                if attempt == 29:
                    fail(f"{self.url} does not answer: {e}", 1)
                time.sleep(1)


def detail(body):
    if isinstance(body, dict):
        return body.get("detail") or body.get("title") or json.dumps(body)
    return str(body)


def fail(message, code):
    print(f"pacs: {message}", file=sys.stderr)
    sys.exit(code)


def eta(p):
    return "" if p.get("etaSeconds") is None else f", ETA {int(p['etaSeconds'])} s"


def reindex_line(p):
    return (f"reindex: {p['done'] + p['skipped']}/{p['total']} instances ({p['skipped']} skipped by the checkpoint), "
            f"{p['instancesPerSecond']}/s{eta(p)}, {p['refused']} refused")


def reindex_summary(p):
    print(f"reindex {p['state']} in {p['elapsedSeconds']} s: {p['total']} blobs, {p['done']} read at {p['instancesPerSecond']}/s "
          f"({p['headerOnly']} by their header alone), {p['skipped']} skipped (checkpoint)")
    print(f"  indexed          {p['indexed']}")
    print(f"  already indexed  {p['alreadyIndexed']}")
    print(f"  kept aside       {p['keptAside']}")
    print(f"  refused          {p['refused']}")
    stages = p.get("stages")
    if stages:
        print(f"  time (summed over concurrent work): reads {stages['readSeconds']} s, records {stages['recordSeconds']} s, "
              f"grain commits {stages['commitSeconds']} s")
    for r in p["refusedBlobs"]:
        print(f"    {r['key']}: {r['reason']}")


def import_line(p):
    return (f"import: {p['done'] + p['skipped']}/{p['files']} files, {p['instancesPerSecond']} instances/s, "
            f"{p['megabytesPerSecond']} MB/s{eta(p)}")


def import_summary(p):
    print(f"import {p['state']} in {p['elapsedSeconds']} s: {p['files']} files ({p['skipped']} finished by an earlier run), "
          f"{p['instancesPerSecond']} instances/s, {p['megabytesPerSecond']} MB/s")
    print(f"  stored      {p['stored']}")
    print(f"  duplicates  {p['duplicates']}")
    print(f"  refused     {p['refused']}")
    for reason, count in sorted(p["refusedByReason"].items()):
        print(f"    {reason}: {count}")
    print(f"  not DICOM   {p['notDicom']}")
    for f in p["refusedFiles"]:
        print(f"  refused:   {f['path']}: {f['reason']}")
    for f in p["notDicomFiles"]:
        print(f"  skipped:   {f['path']}: {f['reason']}")


def audit_export(api, start, end):
    """GET /api/audit/export, copied to stdout as it arrives (the gateway streams it page by page)."""
    api.login()
    query = urllib.parse.urlencode({"from": start, "to": end})
    request = urllib.request.Request(api.url + "/api/audit/export?" + query, method="GET")
    request.add_header("Accept", "application/xml")
    request.add_header("Authorization", "Bearer " + api.token)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            out = sys.stdout.buffer
            while True:
                chunk = response.read(65536)
                if not chunk:
                    break
                out.write(chunk)
            out.flush()
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        fail(f"audit export refused ({e.code}): {detail(body)}", 2)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        fail(f"{api.url} does not answer: {e}", 1)


def main():
    parser = argparse.ArgumentParser(prog="pacs-job.py")
    parser.add_argument("--url", required=True)
    parser.add_argument("--parallelism", type=int)
    parser.add_argument("--restart", action="store_true")
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--from", dest="start")
    parser.add_argument("--to", dest="end")
    parser.add_argument("job", choices=["reindex", "import", "audit-export"])
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    password = os.environ.get("PACS_PASSWORD") or os.environ.get("PACS_ADMIN_PASSWORD")
    if not password:
        fail("set PACS_PASSWORD (and PACS_USER, default admin) to an administrator's credentials", 2)
    api = Api(args.url, os.environ.get("PACS_USER", "admin"), password)

    if args.job == "audit-export":
        if not args.start or not args.end:
            fail("audit-export needs --from and --to", 2)
        audit_export(api, args.start, args.end)
        sys.exit(0)

    if args.job == "reindex":
        path, line, summary = "/api/admin/reindex", reindex_line, reindex_summary
        query = []
        if args.restart:
            query.append("restart=true")
        if args.verify:
            query.append("verify=true")
        if args.parallelism:
            query.append(f"parallelism={args.parallelism}")
        status, body = api.call("POST", path + ("?" + "&".join(query) if query else ""))
    else:
        if not args.paths:
            fail("import needs at least one folder or file", 2)
        path, line, summary = "/api/admin/import", import_line, import_summary
        request = {"paths": [os.path.abspath(p) for p in args.paths]}
        if args.parallelism:
            request["parallelism"] = args.parallelism
        status, body = api.call("POST", path, request)

    if status == 409:
        print(f"pacs: {detail(body)}; following it", file=sys.stderr)
    elif status != 202:
        fail(f"{args.job} refused ({status}): {detail(body)}", 2)

    last = 0.0
    while True:
        status, progress = api.call("GET", path)
        if status != 200:
            fail(f"progress unavailable ({status}): {detail(progress)}", 1)
        if progress["state"] != "running":
            break
        if time.monotonic() - last >= 2:
            print(line(progress), flush=True)
            last = time.monotonic()
        time.sleep(0.5)
    summary(progress)
    if progress.get("error"):
        print(f"pacs: {progress['error']}", file=sys.stderr)
    sys.exit(0 if progress["state"] == "done" else 1)


if __name__ == "__main__":
    main()
