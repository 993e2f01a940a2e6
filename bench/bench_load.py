"""Benchmark: a mixed load of many users on several server processes, with an import and a
bulk report issue running alongside (issue #19 §4; issue #18 "Done when").

    python bench/bench_load.py [--samples 1000000] [--users 200] [--think-ms 3000]
                               [--seconds 60] [--workers 2] [--threads 8] [--runs 3]
                               [--import-rows 2000] [--reports 200]
                               [--client python|wrk] [--connect late|early] [--smoke]

Starts ``labsys serve --workers W`` (gunicorn) on 127.0.0.1 against a PostgreSQL database of
``--samples`` samples.  The database is built once by bench/common.py's builder but under a
name of its own, ``labsys_load_N``, because this benchmark writes to it (the read-only
benchmarks share ``labsys_bench_N``).  Logs in over HTTP as a supervisor and two
technicians, then for ``--seconds`` runs three things at once:

- ``--users`` users (bench/load_client.py; ``--client wrk`` for wrk with a Lua script),
  each of whom thinks (a random pause, exponential with mean ``--think-ms``), then opens
  a connection, sends a request (``Connection: close``) and waits for the answer, drawn
  from a mix of the pages people use most: the samples list (first page, a district, a
  search by number), the pass-rate page and ``/api/stats``, the report list, the deadline
  board, the technician's work queue, and **result saves** (the entry page's form post,
  each on a sample of its own, with its CSRF token and the row's version);
- a **results import** of ``--import-rows`` rows, uploaded on the import page by the
  second technician;
- a **bulk report issue** of ``--reports`` samples from the report queue, signed with the
  supervisor's password, in the queue page's chunks of 20.

The client times each click from the end of the user's think time to the last byte of the
answer.  wrk cannot: after a ``Connection: close`` answer it reconnects at once and thinks
on the open connection, and gunicorn's gthread workers (24+) gave each such silent
connection a thread for up to 5 s (see load_client.py and ``labsys serve``; ``--client
python --connect early`` reproduces wrk's order).

Reports the client's latency percentiles and errors (socket errors, timeouts, answers >=
400) beside the server's own (its access log: the users' clicks together and per kind,
every 5xx counted), the load average at the start and end, the import's and
the bulk issue's times; then checks the data: row counts of samples, results and visits
unchanged, reports grown by exactly the number issued, every save and imported value in
place, and the audit trail verified (the chain against its signed checkpoint, every report's
SHA-256, and every result that has audit entries: the benchmark builder copies samples and
results without their audit trail, so the copies cannot reconcile with it; on a database of
at most 20,000 samples nothing is copied and this is all of ``labsys audit verify``).

``--smoke`` (CI): 300 samples on SQLite (the database bench_http.py's smoke builds), one
waitress process, 2 s, a few users.  All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import io
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import DEMO_BASE, OUT, PG_BASE_URL, ROOT, SECRET, machine, prepare
from load_client import percentile

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
ACCESS = re.compile(r'pid=<(\d+)> "(\w+) (\S+) [^"]*" (\d{3}) \S+ (\d+)ms')
CHUNK = 20  # the report queue page issues in chunks of 20
WRK_THREADS = 2
CLICKS = "users' clicks"


# --- the database ---------------------------------------------------------------------------


def load_database(engine: str, samples: int) -> str:
    """The benchmark's own database (it writes): ``labsys_load_N``, built like the others."""
    if engine == "sqlite":
        return prepare("sqlite", samples)
    import fcntl

    import common

    OUT.mkdir(parents=True, exist_ok=True)
    url = f"{PG_BASE_URL}/labsys_load_{samples}"
    marker = OUT / f"ready_load_{samples}"
    with (OUT / f"build_load_{samples}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            common._build("postgresql", samples, url)
            marker.write_text(url)
    return url


def _engine(url: str):
    from sqlalchemy import create_engine

    return create_engine(url)


def row_counts(engine) -> dict[str, int]:
    from sqlalchemy import text

    tables = ("sampling_visits", "samples", "sample_results", "reports", "audit_log")
    with engine.connect() as connection:
        return {t: connection.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}


def choose_work(engine, *, saves: int, import_rows: int, reports: int) -> dict:
    """Result rows to save and to import (each on samples of their own, open for entry, not
    assigned to anyone else), and samples waiting for their report."""
    from sqlalchemy import text

    # The builder's copies of reported samples have no report (reports are not copied):
    # put back as concluded as many of them as the bulk issue needs.
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE samples SET status = 'concluded' WHERE id IN (SELECT s.id FROM samples s"
                " WHERE s.status = 'reported' AND s.conclusion IS NOT NULL AND NOT EXISTS"
                " (SELECT 1 FROM reports p WHERE p.sample_id = s.id) ORDER BY s.id DESC"
                " LIMIT :n)"
            ),
            {"n": reports},
        )

    with engine.connect() as connection:
        techs = dict(
            connection.execute(
                text("SELECT username, id FROM users WHERE username IN ('tech1', 'tech2')")
            ).all()
        )
        typical = dict(
            connection.execute(
                text(
                    "SELECT DISTINCT ON (test_item_id) test_item_id, measured_text"
                    " FROM sample_results WHERE status = 'accepted' AND micro_n IS NULL"
                    " AND measured_text IS NOT NULL ORDER BY test_item_id, id"
                )
                if engine.dialect.name == "postgresql"
                else text(
                    "SELECT test_item_id, min(measured_text) FROM sample_results"
                    " WHERE status = 'accepted' AND micro_n IS NULL"
                    " AND measured_text IS NOT NULL GROUP BY test_item_id"
                )
            ).all()
        )
        open_rows = connection.execute(
            text(
                "SELECT r.id, r.sample_id, r.version_id, r.test_item_id, r.item_name, r.unit,"
                " s.sample_no, a.technician_id"
                " FROM sample_results r JOIN samples s ON s.id = r.sample_id"
                " LEFT JOIN result_assignments a ON a.result_id = r.id"
                # pending rows only: a value saved here is then the row's first, and the
                # audit trail must record it (a copied row's old value has no entry)
                " WHERE r.status = 'pending' AND r.micro_n IS NULL"
                " AND s.status IN ('received', 'concluded', 'reopened')"
                " ORDER BY r.sample_id DESC, r.id LIMIT 50000"
            )
        ).all()
        waiting = connection.scalars(
            text(
                "SELECT s.id FROM samples s WHERE s.status = 'concluded'"
                " AND NOT EXISTS (SELECT 1 FROM reports p WHERE p.sample_id = s.id)"
                " ORDER BY s.id DESC LIMIT :n"
            ),
            {"n": reports},
        ).all()
        region = connection.scalar(text("SELECT region_code FROM samples LIMIT 1"))
        number = connection.scalar(text("SELECT sample_no FROM samples ORDER BY id LIMIT 1"))
    by_sample: dict[int, list] = {}
    for row in open_rows:
        if row.test_item_id in typical:
            by_sample.setdefault(row.sample_id, []).append(row)
    save_rows, import_list = [], []
    for index, rows in enumerate(by_sample.values()):
        # Samples go to the import and the saves in turn (both get some on a small database).
        wants_import = len(import_list) < import_rows
        if wants_import and (index % 2 or len(save_rows) >= saves):
            if all(r.technician_id in (None, techs["tech2"]) for r in rows):
                import_list += rows
        elif len(save_rows) < saves and all(
            r.technician_id in (None, techs["tech1"]) for r in rows
        ):
            save_rows.append(rows[0])  # one row per sample: saves never meet
    return {
        "saves": [(r, typical[r.test_item_id]) for r in save_rows],
        "imports": [(r, typical[r.test_item_id]) for r in import_list[:import_rows]],
        "reports": list(waiting),
        "region": region,
        "number": number,
    }


# --- HTTP -----------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


NO_REDIRECTS = urllib.request.build_opener(_NoRedirect)


class User:
    """A logged-in browser: its cookie and CSRF token."""

    def __init__(self, base: str, username: str, form_page: str):
        from labsys.demo.world import DEMO_PASSWORD

        self.base, self.password = base, DEMO_PASSWORD
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        token = CSRF.search(self.opener.open(f"{base}/login").read().decode()).group(1)
        data = {"username": username, "password": DEMO_PASSWORD, "csrf_token": token}
        self.opener.open(f"{base}/login", data=urllib.parse.urlencode(data).encode())
        page = self.opener.open(base + form_page).read().decode()
        self.csrf = CSRF.search(page).group(1)
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def post(self, path: str, body: bytes, content_type: str, accept: str = "text/html"):
        request = urllib.request.Request(
            self.base + path,
            data=body,
            headers={"Content-Type": content_type, "Accept": accept, "Cookie": self.cookie},
        )
        try:  # redirects are answers here (not followed): a saved import is a 302
            with NO_REDIRECTS.open(request, timeout=600) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def start_server(url: str, port: int, *, workers: int, threads: int, log: Path):
    env = {
        **os.environ,
        "LABSYS_DATABASE_URL": url,
        "LABSYS_SECRET_KEY": SECRET,
        "LABSYS_INSTANCE_PATH": str(OUT / "instance"),
    }
    labsys = Path(sys.executable).with_name("labsys")
    command = [str(labsys), "serve", "--port", str(port), "--threads", str(threads)]
    command += ["--workers", str(workers), "--access-log", str(log)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=(OUT / "load_server.log").open("w")
    )
    # Ready when every worker has answered (each builds its app after the fork): the
    # access log names the process of each answer.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda _: _get(f"http://127.0.0.1:{port}/login"), range(8)))
        except OSError:
            time.sleep(0.5)
            continue
        if log.exists() and len(set(re.findall(r"pid=<(\d+)>", log.read_text()))) >= workers:
            return server
    server.kill()
    raise RuntimeError("the server did not start (bench/out/load_server.log)")


def cpu_seconds(root: int, database: str) -> tuple[float, float]:
    """CPU seconds used so far by the server (its master and workers) and by the
    PostgreSQL backends connected to ``database`` (Linux: /proc; zeros elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def used(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

    try:
        children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
    except OSError:
        return 0.0, 0.0
    server = used(root) + sum(used(int(pid)) for pid in children)
    backends = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(b"postgres:") and f" {database} ".encode() in command:
                backends += used(int(entry.name))
    return server, backends


def _get(url: str, cookie: str = "") -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        return response.status


def warm_up(base: str, reads: list, workers: int) -> None:
    """Each page a few times on every worker first (templates compiled, mappers
    configured, the database's caches warm): the run measures the steady state."""
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda r: _get(base + r[1], r[2].cookie), reads * (2 * workers)))


def save_body(user: User, row, value: str) -> str:
    return urllib.parse.urlencode(
        {
            "csrf_token": user.csrf,
            "rows-0-result_id": row.id,
            "rows-0-version": row.version_id,
            "rows-0-measured": value,
        }
    )


def read_mix(supervisor: User, tech: User, work: dict) -> list:
    return [  # (weight, path, who)
        (10, "/sampling/samples", supervisor),
        (5, f"/sampling/samples?region_code={work['region']}", supervisor),
        (5, f"/sampling/samples?q={urllib.parse.quote(work['number'])}", supervisor),
        (10, "/stats/", supervisor),
        (10, "/api/stats", supervisor),
        (10, "/reports", supervisor),
        (10, "/followup/board", supervisor),
        (10, "/lab/work", tech),
    ]


def lua_script(*, reads: list, tech: User, work: dict, think_ms: int, path: Path) -> None:
    """The wrk script: the request mix, each connection a user with think times."""
    saves = [
        (f"/lab/samples/{row.sample_id}/enter", save_body(tech, row, value))
        for row, value in work["saves"]
    ]
    save_weight = 30 if saves else 0

    def lua_string(text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    lines = ["local reads = {"]
    for weight, target, who in reads:
        lines.append(f"  {{{weight}, {lua_string(target)}, {lua_string(who.cookie)}}},")
    lines.append("}")
    lines.append("local saves = {")
    lines += [f"  {{{lua_string(p)}, {lua_string(b)}}}," for p, b in saves]
    lines.append("}")
    lines.append(f"local save_weight, think_ms = {save_weight}, {think_ms}")
    lines.append(f"local tech_cookie = {lua_string(tech.cookie)}")
    lines.append(f"local THREADS = {WRK_THREADS}")
    lines.append(LUA_BODY)
    path.write_text("\n".join(lines), encoding="utf-8")


LUA_BODY = r"""
-- setup() runs in the main Lua state; thread:set() makes "id" a global of that thread's own.
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local total = save_weight
for _, r in ipairs(reads) do total = total + r[1] end
local next_save = 0

function init(args)
  -- thread k takes saves k+1, k+1+THREADS, ... (never the same sample twice)
  next_save = id + 1
  math.randomseed(os.time() + id * 7919)
end

function delay()
  -- a user's think time: exponential with mean think_ms
  if think_ms <= 0 then return 0 end
  return math.floor(-think_ms * math.log(1 - math.random()))
end

function request()
  local pick = math.random() * total
  if pick < save_weight and next_save <= #saves then
    local save = saves[next_save]
    next_save = next_save + THREADS
    return wrk.format("POST", save[1], {
      ["Cookie"] = tech_cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Connection"] = "close",
    }, save[2])
  end
  pick = math.random() * (total - save_weight)
  for _, r in ipairs(reads) do
    pick = pick - r[1]
    if pick <= 0 then
      return wrk.format("GET", r[2], {["Cookie"] = r[3], ["Connection"] = "close"})
    end
  end
  local r = reads[1]
  return wrk.format("GET", r[2], {["Cookie"] = r[3], ["Connection"] = "close"})
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50": %.2f, "p95": %.2f, "p99": %.2f, "max": %.2f, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def client_spec(args, port: int, *, reads: list, tech: User, work: dict) -> dict:
    """bench/load_client.py's users: the same mix as the wrk script."""
    saves = [
        (f"/lab/samples/{row.sample_id}/enter", save_body(tech, row, value))
        for row, value in work["saves"]
    ]
    return {
        "host": "127.0.0.1",
        "port": port,
        "users": args.users,
        "seconds": args.seconds,
        "think_ms": args.think_ms,
        "timeout_s": 30,
        "connect": args.connect,
        "seed": int(time.time()),
        "reads": [(weight, path, who.cookie) for weight, path, who in reads],
        "saves": saves,
        "save_weight": 30,
        "save_cookie": tech.cookie,
    }


def python_client(spec: dict, path: Path) -> dict:
    path.write_text(json.dumps(spec), encoding="utf-8")
    client = Path(__file__).with_name("load_client.py")
    output = subprocess.run(
        [sys.executable, str(client), str(path)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run_import(tech: User, rows: list, outcome: dict) -> None:
    if not rows:
        outcome.update(rows=0, ok=True)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["样品编号", "检验项目", "结果", "单位"])
    for row, value in rows:
        writer.writerow([row.sample_no, row.item_name, value, row.unit])
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f'{tech.csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="load.csv"\r\nContent-Type: text/csv\r\n\r\n{buffer.getvalue()}\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    started = time.perf_counter()
    status, page = tech.post("/lab/import", body, f"multipart/form-data; boundary={boundary}")
    ok = status == 302  # saved: redirected to the work queue (errors: the form again, 200)
    outcome.update(status=status, seconds=time.perf_counter() - started, rows=len(rows), ok=ok)
    if not ok:
        outcome["page"] = page.decode(errors="replace")[:2000]


def run_bulk_issue(supervisor: User, sample_ids: list[int], outcome: dict) -> None:
    issued, failed, statuses, times = 0, 0, [], []
    for start in range(0, len(sample_ids), CHUNK):
        chunk = sample_ids[start : start + CHUNK]
        form = [("csrf_token", supervisor.csrf), ("password", supervisor.password)]
        form += [("sample_ids", str(i)) for i in chunk]
        started = time.perf_counter()
        status, body = supervisor.post(
            "/reports/bulk-issue",
            urllib.parse.urlencode(form).encode(),
            "application/x-www-form-urlencoded",
            accept="application/json",
        )
        times.append(time.perf_counter() - started)
        statuses.append(status)
        if status == 200:
            answer = json.loads(body)
            issued += len(answer["issued"])
            failed += len(answer["failed"])
            if answer["failed"] and "failures" not in outcome:
                outcome["failures"] = answer["failed"][:3]
    outcome.update(
        issued=issued,
        failed=failed,
        statuses=sorted(set(statuses)),
        seconds=sum(times),
        chunk_median=statistics.median(times) if times else 0,
    )


def wrk(base: str, script: Path, users: int, seconds: int) -> dict:
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{users}", f"-d{seconds}s", "--timeout", "30s"]
    started = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(
        [*command, "-s", str(script), base + "/"], capture_output=True, text=True, check=True
    ).stdout
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(output.strip().splitlines()[-1])
    result["cpu_s"] = round(used.ru_utime + used.ru_stime - started.ru_utime - started.ru_stime, 2)
    result["rps"] = result["requests"] / result["seconds"]
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return result


def kind(method: str, path: str) -> str:
    if method == "POST":
        return {"/lab/import": "import", "/reports/bulk-issue": "bulk issue"}.get(
            path, "result save" if path.endswith("/enter") else "other POST"
        )
    path = path.split("?", 1)[0]
    return {
        "/sampling/samples": "samples list",
        "/stats/": "pass rates",
        "/api/stats": "api stats",
        "/reports": "reports",
        "/followup/board": "deadline board",
        "/lab/work": "work queue",
    }.get(path, "other GET")


def per_kind(log: Path, offset: int) -> tuple[dict, int, set[int]]:
    """kind -> (count, median ms, p95 ms) of the requests logged from ``offset`` on (the
    run, not the log-ins and warm-up before it); the number of 5xx answers; the workers."""
    times: dict[str, list[int]] = {}
    errors, pids = 0, set()
    with log.open(encoding="utf-8") as file:
        file.seek(offset)
        lines = file.read()
    for pid, method, path, status, ms in ACCESS.findall(lines):
        pids.add(int(pid))
        if path.startswith("/login"):
            continue
        times.setdefault(kind(method, path), []).append(int(ms))
        errors += status.startswith("5")
    table = {
        k: (len(v), statistics.median(v), _percentile(v, 95)) for k, v in sorted(times.items())
    }
    # The users' clicks together (the import and the bulk issue are not clicks of theirs).
    clicks = [t for k, v in times.items() if k not in ("import", "bulk issue") for t in v]
    if clicks:
        table[CLICKS] = (
            len(clicks),
            statistics.median(clicks),
            _percentile(clicks, 95),
            _percentile(clicks, 99),
        )
    return table, errors, pids


def _percentile(values: list[int], p: int) -> float:
    return percentile(sorted(values), p)


# --- the checks afterwards ------------------------------------------------------------------


def check_data(url: str, before: dict, after: dict, work: dict, issued: int) -> list[str]:
    """Problems found in the data after the run (an empty list: all intact)."""
    from sqlalchemy import bindparam, text

    problems = []
    for table in ("sampling_visits", "samples", "sample_results"):
        if after[table] != before[table]:
            problems.append(f"{table}: {before[table]} rows before, {after[table]} after")
    if after["reports"] != before["reports"] + issued:
        problems.append(f"reports: {before['reports']} + {issued} issued != {after['reports']}")
    engine = _engine(url)
    with engine.connect() as connection:
        imported = [r.id for r, _v in work["imports"]]
        missing = connection.scalar(
            text(
                "SELECT count(*) FROM sample_results WHERE id IN :ids AND measured_text IS NULL"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": imported or [0]},
        )
        if work["import_ok"] and missing:
            problems.append(f"{missing} imported values are missing")
    engine.dispose()
    problems += verify_audit(url, touched=[r.id for r, _v in work["saves"]] + imported)
    return problems


def verify_audit(url: str, touched: list[int]) -> list[str]:
    """The trail against its checkpoint, every report, and each result with audit entries
    (all of them when nothing was copied; else the demo year's and those touched here)."""
    from common import make_app

    app = make_app(url)
    with app.app_context():
        from sqlalchemy import func, select

        from labsys.extensions import db
        from labsys.models import AuditEntry, ResultStatus, Sample, SampleResult
        from labsys.services import integrity

        session = db.session
        samples = session.scalar(select(func.count()).select_from(Sample))
        if samples <= DEMO_BASE:
            outcome = integrity.verify(session)
            db.engine.dispose()
            return outcome.problems
        outcome = integrity.Verification()
        problem = integrity._verify_trail(session, outcome, None)
        problem = problem or integrity._verify_reports(session, outcome)
        audited = session.scalars(
            select(AuditEntry.entity_id).where(AuditEntry.entity == "result").distinct()
        )
        ids = set(touched) | {int(i) for i in audited}
        checked = 0
        ordered = sorted(ids)
        for start in range(0, len(ordered), integrity.BATCH):
            if problem:
                break
            batch = session.execute(
                select(
                    SampleResult.id,
                    SampleResult.measured_text,
                    SampleResult.unit_values,
                    SampleResult.verdict,
                ).where(
                    SampleResult.id.in_(ordered[start : start + integrity.BATCH]),
                    SampleResult.status != ResultStatus.SUPERSEDED,
                )
            ).all()
            entered = integrity._entries_with_values(session, [r.id for r in batch])
            for result in batch:
                problem = problem or integrity._result_problem(result, entered.get(str(result.id)))
                checked += 1
        print(
            f"  audit: {outcome.entries} entries chained and matching the checkpoint, "
            f"{outcome.reports} reports, {checked} audited results reconciled"
        )
        db.session.remove()
        db.engine.dispose()
        return [problem] if problem else []


# --- one run --------------------------------------------------------------------------------


def one_run(args, url: str, run: int) -> dict:
    engine = _engine(url)
    saves_needed = max(50, args.users * args.seconds * 1000 // max(args.think_ms, 100) // 3)
    work = choose_work(
        engine, saves=saves_needed, import_rows=args.import_rows, reports=args.reports
    )
    before = row_counts(engine)
    engine.dispose()
    port = free_port()
    log = OUT / f"load_access_{run}.log"
    log.unlink(missing_ok=True)
    server = start_server(url, port, workers=args.workers, threads=args.threads, log=log)
    base = f"http://127.0.0.1:{port}"
    try:
        supervisor = User(base, "supervisor1", "/reports/queue")
        tech = User(base, "tech1", "/lab/import")
        importer = User(base, "tech2", "/lab/import")
        script = OUT / "load.lua"
        reads = read_mix(supervisor, tech, work)
        warm_up(base, reads, args.workers)
        lua_script(reads=reads, tech=tech, work=work, think_ms=args.think_ms, path=script)
        imported: dict = {}
        bulk: dict = {}
        side = [
            threading.Thread(target=run_import, args=(importer, work["imports"], imported)),
            threading.Thread(target=run_bulk_issue, args=(supervisor, work["reports"], bulk)),
        ]

        def start_side_work():
            time.sleep(min(5, args.seconds / 4))  # the users are busy first
            for thread in side:
                thread.start()

        offset = log.stat().st_size
        load_before = os.getloadavg()[0]
        database = url.rsplit("/", 1)[1]
        cpu_before = cpu_seconds(server.pid, database)
        starter = threading.Thread(target=start_side_work)
        starter.start()
        if args.client == "wrk":
            result = wrk(base, script, args.users, args.seconds)
        else:
            spec = client_spec(args, port, reads=reads, tech=tech, work=work)
            result = python_client(spec, OUT / "load_client.json")
        load_after = os.getloadavg()[0]
        starter.join()
        for thread in side:
            thread.join()
        cpu_after = cpu_seconds(server.pid, database)
    finally:
        server.terminate()
        server.wait(timeout=120)
    kinds, server_errors, pids = per_kind(log, offset)
    engine = _engine(url)
    after = row_counts(engine)
    engine.dispose()
    work["import_ok"] = imported.get("ok", False)
    problems = check_data(url, before, after, work, bulk.get("issued", 0))
    return {
        "client": result,
        "load": (load_before, load_after),
        "cpu": tuple(b - a for a, b in zip(cpu_before, cpu_after, strict=True)),
        "kinds": kinds,
        "server_errors": server_errors,
        "workers_seen": len(pids),
        "import": imported,
        "bulk": bulk,
        "saves_offered": len(work["saves"]),
        "problems": problems,
        "rows": after,
    }


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report(args, runs: list[dict]) -> None:
    client = args.client if args.client == "wrk" else f"python client, connect {args.connect}"
    print(
        f"\n{len(runs)} run(s), {args.samples} samples, {args.workers} workers × "
        f"{args.threads} threads, {args.users} users thinking {args.think_ms} ms on average, "
        f"{args.seconds} s each; the users: {client}"
    )
    print(
        f"  {'run':<5}{'load':>10}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'errors':>8}{'5xx':>6}{'srv p50':>9}{'srv p95':>9}{'srv p99':>9}"
        f"{'cli cpu':>9}{'import s':>10}{'issued':>8}{'issue s':>9}  intact"
    )
    for i, run in enumerate(runs, 1):
        w = run["client"]
        server = run["kinds"].get(CLICKS, (0, 0, 0, 0))
        print(
            f"  {i:<5}{run['load'][0]:>5.1f}{run['load'][1]:>5.1f}{w['rps']:>8.1f}"
            f"{w['p50']:>9.1f}{w['p95']:>9.1f}{w['p99']:>9.1f}{w['max']:>9.1f}{w['errors']:>8}"
            f"{run['server_errors']:>6}{server[1]:>9.0f}{server[2]:>9.0f}{server[3]:>9.0f}"
            f"{w.get('cpu_s', 0):>9.1f}"
            f"{run['import'].get('seconds', 0):>10.1f}{run['bulk'].get('issued', 0):>8}"
            f"{run['bulk'].get('seconds', 0):>9.1f}  {'yes' if not run['problems'] else 'NO'}"
        )
    median = statistics.median
    print(
        f"  median: {median(r['client']['rps'] for r in runs):.1f} req/s, "
        f"p50 {median(r['client']['p50'] for r in runs):.1f} ms, "
        f"p95 {median(r['client']['p95'] for r in runs):.1f} ms, "
        f"p99 {median(r['client']['p99'] for r in runs):.1f} ms; server (access log): "
        f"p50 {median(r['kinds'].get(CLICKS, (0, 0))[1] for r in runs):.0f} ms, "
        f"p95 {median(r['kinds'].get(CLICKS, (0, 0, 0))[2] for r in runs):.0f} ms"
    )
    print("  server-side, per kind (last run): count, median ms, p95 ms")
    for name, (count, mid, p95, *_p99) in runs[-1]["kinds"].items():
        print(f"    {name:<16}{count:>7}{mid:>8.0f}{p95:>8.0f}")
    if "kinds" in runs[-1]["client"]:
        print("  client-side, per kind (last run): count, median ms, p95 ms")
        for name, (count, mid, p95) in runs[-1]["client"]["kinds"].items():
            print(f"    {name:<24}{count:>7}{mid:>8.0f}{p95:>8.0f}")
    for i, run in enumerate(runs, 1):
        w = run["client"]
        sockets = w["connect"] + w["read"] + w.get("write", 0)
        print(
            f"  run {i}: client errors: {w['timeout']} timeouts, {w['status']} answers >= 400, "
            f"{sockets} socket errors (connect {w['connect']}, read {w['read']})"
        )
        clicks = run["kinds"].get(CLICKS, (0,))[0]
        print(
            f"  run {i}: CPU seconds during the run (its {clicks} clicks, the import and the "
            f"bulk issue): server {run['cpu'][0]:.1f}, PostgreSQL {run['cpu'][1]:.1f}, "
            f"client {run['client'].get('cpu_s', 0):.1f}"
        )
        print(
            f"  run {i}: import {run['import']}, bulk issue {run['bulk']}, "
            f"workers answering {run['workers_seen']}, saves offered {run['saves_offered']}"
        )
        for problem in run["problems"]:
            print(f"  run {i} PROBLEM: {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--engine", default="postgresql")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--think-ms", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=2000)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument(
        "--client",
        choices=("python", "wrk"),
        default="python",
        help="the users: bench/load_client.py (default) or wrk (connects before thinking)",
    )
    parser.add_argument(
        "--connect",
        choices=("late", "early"),
        default="late",
        help="python client: connect after thinking (a browser) or before (wrk's order)",
    )
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.samples, args.engine, args.workers, args.users = 300, "sqlite", 1, 4
        args.seconds, args.think_ms, args.runs, args.import_rows, args.reports = 2, 200, 1, 5, 3
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian package wrk)")
    print(machine())
    url = load_database(args.engine, args.samples)
    # The audit checkpoint of this database alone: the benchmarks share one instance folder,
    # and a checkpoint written for another benchmark's database would not match this trail.
    name = Path(url.rsplit("/", 1)[1]).stem
    os.environ["LABSYS_AUDIT_CHECKPOINT_PATH"] = str(OUT / f"audit_checkpoint_{name}.json")
    runs = [one_run(args, url, run) for run in range(1, args.runs + 1)]
    report(args, runs)
    failed = any(
        r["problems"] or r["server_errors"] or r["client"]["errors"] or not r["import"].get("ok")
        for r in runs
    )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
