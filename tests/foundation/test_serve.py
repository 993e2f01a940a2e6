"""``labsys serve --workers N`` (issue 19 §4): several server processes on PostgreSQL.

The real command in a child process, over loopback: requests are answered by distinct
worker processes (their ids in the access log), a login made on one worker holds on the
others, logout and login throttling hold across them (both live in the database), and
SIGTERM stops the master and its workers cleanly.  On SQLite the command refuses.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from labsys.commands.serve import serve_command, threads_wait_for_requests_in_poller
from labsys.models import Role

from support import CSRF_RE, PASSWORD, TEST_SECRET

LOCKED = "登录失败次数过多"
PID = re.compile(r'pid=<(\d+)> "(\w+) (\S+) [^"]*" (\d{3})')


def test_several_processes_need_postgresql(app, db):
    if db.engine.dialect.name == "postgresql":
        pytest.skip("refused on SQLite only")
    result = app.test_cli_runner().invoke(serve_command, ["--workers", "2"])
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.output


def test_gthread_threads_do_not_wait_for_a_request_to_arrive(monkeypatch):
    """gunicorn 24+ gives each accepted connection a thread that waits up to 5 s for its
    first bytes; ``labsys serve`` leaves the waiting to the worker's poller."""
    gthread = pytest.importorskip("gunicorn.workers.gthread")
    if not hasattr(gthread, "DEFAULT_WORKER_DATA_TIMEOUT"):
        pytest.skip("gunicorn before 24 waits in its poller already")
    monkeypatch.setattr(gthread, "DEFAULT_WORKER_DATA_TIMEOUT", 5.0)
    threads_wait_for_requests_in_poller()
    assert gthread.DEFAULT_WORKER_DATA_TIMEOUT == 0


class Browser:
    """One user's cookie, each request on a new connection (so any worker may take it)."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""

    def request(self, method: str, path: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            html = response.read().decode()
            for value in response.headers.get_all("Set-Cookie") or []:
                name_value = value.split(";", 1)[0]
                if name_value.startswith("session="):
                    self.cookie = name_value
            return response.status, html
        finally:
            connection.close()

    def csrf(self, path: str) -> str:
        _status, html = self.request("GET", path)
        match = CSRF_RE.search(html)
        assert match, html[:300]
        return match.group(1) or match.group(2)

    def login(self, username: str, password: str):
        token = self.csrf("/login")
        form = {"username": username, "password": password, "csrf_token": token}
        return self.request("POST", "/login", form)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(app, db, tmp_path):
    """``labsys serve --workers 2`` on the test database; yields (port, access log, process)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several server processes need PostgreSQL")
    db.session.rollback()
    port, log = _free_port(), tmp_path / "access.log"
    env = {
        **os.environ,
        "LABSYS_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "LABSYS_SECRET_KEY": TEST_SECRET,
        "LABSYS_INSTANCE_PATH": app.instance_path,
    }
    labsys = Path(sys.executable).with_name("labsys")
    command = [str(labsys), "serve", "--workers", "2", "--threads", "2", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--access-log", str(log)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_both_workers_answer(process, port, log)
        yield port, log, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        process.stdout.close()


def _wait_until_both_workers_answer(process, port: int, log: Path) -> None:
    """Both workers have booted (each builds its app after the fork): the server is ready
    once it answers and gunicorn has reported two booted workers."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            Browser(port).request("GET", "/login")
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail("the server did not answer within 120 s")


def _pids(log: Path, method: str | None = None, path: str | None = None) -> dict[int, list[int]]:
    """{worker pid: [status, ...]} of the access log's lines (for one method and path)."""
    seen: dict[int, list[int]] = {}
    for pid, verb, target, status in PID.findall(log.read_text()):
        if (method is None or verb == method) and (path is None or target == path):
            seen.setdefault(int(pid), []).append(int(status))
    return seen


def _spread(browser: Browser, path: str, log: Path, *, until: int = 200) -> list[int]:
    """GET ``path`` from 4 threads at once until two workers have answered it (at most
    ``until`` requests); returns every status."""
    statuses: list[int] = []
    with ThreadPoolExecutor(4) as pool:
        while len(statuses) < until:
            statuses += [
                s for s, _html in pool.map(lambda _: browser.request("GET", path), range(8))
            ]
            if len(_pids(log, "GET", path)) >= 2:
                break
    return statuses


def test_two_worker_processes_share_logins_and_stop_cleanly(server, make_user):
    port, log, process = server
    make_user("ann", Role.SUPERVISOR)
    make_user("bob", Role.SAMPLER)
    ann = Browser(port)

    # A login made on one worker holds on every worker: the session is the signed cookie
    # and its nonce is in the database.
    status, _html = ann.login("ann", PASSWORD)
    assert status == 302
    statuses = _spread(ann, "/stats/", log)
    workers = _pids(log, "GET", "/stats/")
    assert len(workers) == 2, f"one worker took all {len(statuses)} requests: {workers}"
    assert set(statuses) == {200}
    assert process.pid not in workers  # the master only hands out connections

    # Logout on one worker ends the session on all: the old cookie is refused everywhere.
    old_cookie = ann.cookie
    ann.request("POST", "/logout", {"csrf_token": ann.csrf("/")})
    ann.cookie = old_cookie
    refused = _spread(ann, "/", log, until=40)
    assert set(refused) == {302}

    # Login throttling counts failures in the database, whichever worker took them.
    bob = Browser(port)
    for attempt in range(5):
        bob.login("bob", f"wrong-{attempt}")
    status, html = bob.login("bob", PASSWORD)
    assert status == 200 and LOCKED in html

    # SIGTERM: the master lets its workers finish and exits with status 0.
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    output = process.stdout.read()
    assert "Shutting down: Master" in output and "Traceback" not in output, output
    for pid in workers:  # gone, and reaped by the master
        assert not Path(f"/proc/{pid}").exists()
    assert 500 not in [s for statuses in _pids(log).values() for s in statuses]


def test_silent_connections_do_not_hold_the_threads(server):
    """Connections that send nothing yet (a browser's pre-connect, a user's next click
    opened before it is made) leave the threads free: 8 of them against 2 workers × 2
    threads, and a request that arrives meanwhile is answered at once.  With gunicorn's own
    setting each silent connection held a thread for 5 s: this request waited 14.5 s
    (BENCHMARKS.md, "Mixed load on several processes")."""
    port, _log, _process = server
    silent = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(8)]
    try:
        time.sleep(0.5)  # accepted by the workers meanwhile
        started = time.monotonic()
        status, _html = Browser(port).request("GET", "/login")
        elapsed = time.monotonic() - started
    finally:
        for connection in silent:
            connection.close()
    assert status == 200
    assert elapsed < 2.5, f"the request waited {elapsed:.1f} s for a thread"
