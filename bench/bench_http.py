"""Benchmark: HTTP throughput and latency of the main pages under the production server.

    python bench/bench_http.py [--samples 100000] [--engine sqlite|postgresql]
                               [--connections 16] [--seconds 20] [--threads 8] [--smoke]

Starts ``labsys serve`` (waitress) on 127.0.0.1 against a prepared database, logs in over
HTTP as a supervisor, and drives each page with wrk (Debian's ``wrk``: ``--connections``
concurrent clients on 2 threads) for ``--seconds``; reports requests/s, p50/p95/p99 latency
and every error (socket errors and non-2xx/3xx answers).  All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from common import ROOT, SECRET, machine, prepare, smoke_args

PAGES = [
    ("start page", "/"),
    ("samples list", "/sampling/samples"),
    ("pass rates", "/stats/"),
    ("deadline board", "/followup/board"),
    ("reports", "/reports"),
    ("login page (anonymous)", "/login"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "LABSYS_DATABASE_URL": url,
        "LABSYS_SECRET_KEY": SECRET,
        "LABSYS_INSTANCE_PATH": str(ROOT / "bench" / "out" / "instance"),
    }
    labsys = Path(sys.executable).with_name("labsys")
    server = subprocess.Popen(
        [str(labsys), "serve", "--port", str(port), "--threads", str(threads)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def session_cookie(base: str) -> str:
    from labsys.demo.world import DEMO_PASSWORD

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode(
        {"username": "supervisor1", "password": DEMO_PASSWORD, "csrf_token": token}
    ).encode()
    opener.open(f"{base}/login", data=data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(base: str, path: str, cookie: str | None, connections: int, seconds: int) -> dict:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "latency.lua"),
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        [*command, base + path], capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--engine", default="sqlite")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if smoke_args():
        args.samples, args.seconds, args.connections = 300, 1, 2
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian package wrk)")
    print(machine())
    url = prepare(args.engine, args.samples)
    port = free_port()
    server = start_server(url, port, args.threads)
    base = f"http://127.0.0.1:{port}"
    try:
        cookie = session_cookie(base)
        print(
            f"{args.engine}, {args.samples} samples, waitress {args.threads} threads, "
            f"{args.connections} connections, {args.seconds} s per page"
        )
        print(f"  {'page':<26}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for label, path in PAGES:
            r = wrk(
                base, path, None if "anonymous" in label else cookie, args.connections, args.seconds
            )
            print(
                f"  {label:<26}{r['rps']:>8.1f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
                f"{r['p99']:>9.1f}{r['errors']:>8}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
