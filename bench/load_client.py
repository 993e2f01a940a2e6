"""The users of bench_load.py: a closed-loop HTTP client that times each click itself.

    python bench/load_client.py SPEC.json

Each of ``users`` users thinks (a random pause, exponential with mean ``think_ms``), then
clicks: opens a connection to the server, sends one request (``Connection: close``), reads
the whole answer, closes the connection, and thinks again.  A click's latency runs from the
moment the user stops thinking (before the connection is opened) to the last byte of the
answer: connecting, waiting to be accepted and served, the answer.  This is what a browser
without a kept-alive connection sees.

wrk, the client this benchmark used first, cannot do this with think times: after an answer
with ``Connection: close`` it reconnects at once (src/wrk.c, ``response_complete`` →
``reconnect_socket``) and only then waits its ``delay()`` (``socket_writeable``), so every
user holds an open, silent connection while it thinks.  A server that gives each accepted
connection a thread until its first bytes arrive (gunicorn's gthread worker since 24: up to
5 s, ``DEFAULT_WORKER_DATA_TIMEOUT``) then spends its threads on the thinking users.  wrk
starts its timer when it writes the request, so that wait is in wrk's latency but not in
the server's access log.  ``"connect": "early"`` in the spec reproduces wrk's order, to
measure that difference.

SPEC (JSON): host, port, users, seconds, think_ms, timeout_s, connect ("late" | "early"),
seed, reads [[weight, path, cookie], ...], saves [[path, body], ...], save_weight,
save_cookie.  Saves are posted each at most once, in order, on 30 % of the clicks while any
are left (as bench_load.py's wrk script did).

Prints one JSON line: requests, seconds, p50/p95/p99/max (ms), errors by kind (connect,
read, timeout, status >= 400), the client's own CPU seconds, and per kind (path without
query for reads, "save") the count, median and p95.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time


def percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


class Users:
    def __init__(self, spec: dict):
        self.spec = spec
        self.random = random.Random(spec.get("seed", 1))
        self.reads = spec["reads"]
        self.saves = list(spec.get("saves", []))
        self.save_weight = spec.get("save_weight", 0) if self.saves else 0
        self.total = self.save_weight + sum(r[0] for r in self.reads)
        self.next_save = 0
        self.latencies: list[float] = []
        self.by_kind: dict[str, list[float]] = {}
        self.errors = {"connect": 0, "read": 0, "timeout": 0, "status": 0}
        self.deadline = 0.0

    def think(self) -> float:
        mean = self.spec["think_ms"] / 1000
        return self.random.expovariate(1 / mean) if mean > 0 else 0.0

    def pick(self) -> tuple[str, bytes]:
        host = f"{self.spec['host']}:{self.spec['port']}"
        pick = self.random.random() * self.total
        if pick < self.save_weight and self.next_save < len(self.saves):
            path, body = self.saves[self.next_save]
            self.next_save += 1
            data = body.encode()
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {self.spec['save_cookie']}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
            )
            return "save", head.encode() + data
        pick = self.random.random() * (self.total - self.save_weight)
        chosen = self.reads[0]
        for read in self.reads:
            pick -= read[0]
            if pick <= 0:
                chosen = read
                break
        _weight, path, cookie = chosen
        head = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        )
        return path.split("?", 1)[0], head.encode()

    async def click(self, request: bytes, connection=None) -> int:
        """Send one request and read its whole answer; returns the status."""
        if connection is None:
            connection = await asyncio.open_connection(self.spec["host"], self.spec["port"])
        reader, writer = connection
        try:
            writer.write(request)
            await writer.drain()
            answer = await reader.read()  # Connection: close: the answer ends at EOF
        finally:
            writer.close()
        if not answer.startswith(b"HTTP/1."):
            raise ConnectionError("no answer")
        return int(answer.split(b" ", 2)[1])

    async def user(self) -> None:
        early = self.spec.get("connect", "late") == "early"
        timeout = self.spec.get("timeout_s", 30)
        while True:
            connection = None
            if early:  # wrk's order: connect, think, then send
                try:
                    connection = await asyncio.open_connection(self.spec["host"], self.spec["port"])
                except OSError:
                    self.errors["connect"] += 1
                    await asyncio.sleep(0.1)
                    continue
            # A think that would outlast the run ends with it (the run is ``seconds`` long).
            await asyncio.sleep(min(self.think(), max(0.0, self.deadline - time.monotonic())))
            if time.monotonic() >= self.deadline:
                if connection:
                    connection[1].close()
                return
            kind, request = self.pick()
            started = time.monotonic()
            try:
                status = await asyncio.wait_for(self.click(request, connection), timeout)
            except TimeoutError:
                self.errors["timeout"] += 1
                continue
            except (OSError, ConnectionError) as error:
                connect_error = connection is None and not isinstance(error, ConnectionError)
                self.errors["connect" if connect_error else "read"] += 1
                continue
            elapsed = (time.monotonic() - started) * 1000
            if status >= 400:
                self.errors["status"] += 1
            self.latencies.append(elapsed)
            self.by_kind.setdefault(kind, []).append(elapsed)

    async def run(self) -> dict:
        started = time.monotonic()
        self.deadline = started + self.spec["seconds"]
        users = [asyncio.create_task(self.user()) for _ in range(self.spec["users"])]
        await asyncio.gather(*users)
        seconds = time.monotonic() - started
        ordered = sorted(self.latencies)
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "requests": len(ordered),
            "seconds": round(seconds, 3),
            "rps": round(len(ordered) / seconds, 2),
            "p50": round(percentile(ordered, 50), 1),
            "p95": round(percentile(ordered, 95), 1),
            "p99": round(percentile(ordered, 99), 1),
            "max": round(ordered[-1] if ordered else 0.0, 1),
            **self.errors,
            "errors": sum(self.errors.values()),
            "cpu_s": round(cpu.ru_utime + cpu.ru_stime, 2),
            "kinds": {
                k: [
                    len(v),
                    round(percentile(sorted(v), 50), 1),
                    round(percentile(sorted(v), 95), 1),
                ]
                for k, v in sorted(self.by_kind.items())
            },
        }


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    # 200 users hold up to 200 sockets at once (and the default limit may be 1024).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 4 * spec["users"] + 64))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    result = asyncio.run(Users(spec).run())
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
