"""``labsys serve``: the production WSGI server, in one process or several.

One process (the default, every platform): waitress, ``--threads`` threads.

Several processes (``--workers N``, N > 1; Linux and other Unix systems): gunicorn's master
process binds the port once and forks N worker processes of ``--threads`` threads each
(gunicorn's ``gthread`` workers), restarts a worker that dies, and on SIGTERM lets every
worker finish its requests before it exits.  A worker's threads take a connection once its
request has arrived, not before (``threads_wait_for_requests_in_poller``).  Each worker
builds the app itself after the fork, so no database connection is ever shared between
processes.  Everything a request relies on between requests is in the database or the
signed cookie: the session nonce
(logout everywhere), login throttling, the audit chain (its lock is a PostgreSQL advisory
lock) and the checkpoint file (written under a file lock).  Only the REST API's per-token
rate limit is counted per process (see ``labsys.web.api_v1.auth``).

Several processes need PostgreSQL: SQLite lets one writer in at a time, so more processes
would only queue on its file lock (and fail with "database is locked" once a long import
outlasts the busy timeout); the command refuses.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from labsys.config import SERVE_HOST, SERVE_PORT

# One line per request, the same in both servers: client, worker process, request, status,
# bytes, milliseconds.
ACCESS_LOG_FORMAT = '%(h)s pid=%(p)s "%(r)s" %(s)s %(B)s %(M)sms'


@click.command("serve")
@click.option("--host", default=SERVE_HOST, show_default=True)
@click.option("--port", default=SERVE_PORT, show_default=True, type=int)
@click.option(
    "--threads", default=8, show_default=True, type=click.IntRange(min=1), help="per process"
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="server processes; more than one needs PostgreSQL (gunicorn, Unix only)",
)
@click.option(
    "--access-log",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="append one line per request to this file (- for standard output)",
)
@with_appcontext
def serve_command(host: str, port: int, threads: int, workers: int, access_log: str | None):
    """Serve the app with the production WSGI server (waitress; gunicorn with --workers)."""
    from labsys.cli import cli_run

    with cli_run():
        app = current_app._get_current_object()
        served = served_settings(app.config, threads)
        if not app.config.get("LABSYS_WEB", True):
            # The command line's own app has no pages: serve the full one (same settings).
            from labsys.app import create_app

            app = create_app(served, web=True)
        if workers > 1:
            _check_multiprocess(app)
        click.echo(
            _(
                "labsys is serving on http://%(host)s:%(port)s/ (%(workers)d process(es), "
                "%(threads)d threads each; Ctrl+C stops it)",
                host=host,
                port=port,
                workers=workers,
                threads=threads,
            )
        )
    if workers > 1:
        serve_processes(
            host=host, port=port, workers=workers, threads=threads, log=access_log, settings=served
        )
    else:
        from waitress import serve

        wsgi = AccessLog(app, access_log) if access_log else app
        serve(wsgi, host=host, port=port, threads=threads, ident="labsys")


def _check_multiprocess(app) -> None:
    from labsys.extensions import db

    if db.engine.dialect.name != "postgresql":
        raise click.UsageError(
            _(
                "--workers above 1 needs PostgreSQL (LABSYS_DATABASE_URL=postgresql+psycopg://"
                "...): SQLite lets one writer in at a time, so more processes would only "
                "queue on its lock. Use one process with --threads."
            )
        )
    if sys.platform == "win32":
        raise click.UsageError(_("--workers above 1 needs Linux or another Unix system."))


def threads_wait_for_requests_in_poller() -> None:
    """A gthread worker's thread takes a new connection only once its request has arrived.

    gunicorn 24 and later hand every accepted connection to a pool thread at once, and the
    thread waits up to 5 s for the request's first bytes (``DEFAULT_WORKER_DATA_TIMEOUT``)
    before it gives the connection back to the worker's poller (gunicorn issue #3518, pull
    request #3519).  A connection opened before its request is sent (a browser's
    speculative pre-connect, a load tester that reconnects and then thinks) thus holds a
    thread for up to 5 s doing nothing, and requests that have arrived queue behind it,
    unseen by the access log, whose time starts when a thread reads the request.  With no
    wait, a connection whose request has not arrived yet goes back to the poller at once
    and a thread takes it when it is readable: gunicorn 21-23's behaviour, and what
    gunicorn's open pull request #3635 proposes.  Silent connections are still closed
    after the keep-alive timeout.  Measured in BENCHMARKS.md, "Mixed load on several
    processes".
    """
    from gunicorn.workers import gthread

    if hasattr(gthread, "DEFAULT_WORKER_DATA_TIMEOUT"):
        gthread.DEFAULT_WORKER_DATA_TIMEOUT = 0.0


def served_settings(config, threads: int) -> dict:
    """The served app's own settings: on PostgreSQL a connection pool per process as large
    as its threads (SQLAlchemy keeps 5 and opens the rest per request: with 8 threads busy,
    three new connections a request, each a PostgreSQL backend or a pgbouncer login, closed
    again when returned).  A pool size set in the settings is kept."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import QueuePool

    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    postgres = make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"
    # Another pool class (NullPool behind pgbouncer, say) takes no pool size.
    pooled = options.get("poolclass") in (None, QueuePool)
    if postgres and pooled:
        options.setdefault("pool_size", threads)
    return {"SQLALCHEMY_ENGINE_OPTIONS": options}


def serve_processes(
    *, host: str, port: int, workers: int, threads: int, log: str | None, settings: dict
) -> None:
    """Run gunicorn's master process until it is stopped (SIGTERM: graceful; SIGINT: quick);
    each worker builds its app with ``settings`` over the usual ones."""
    from gunicorn.app.base import BaseApplication

    threads_wait_for_requests_in_poller()  # before the fork: every worker inherits it

    class LabsysServer(BaseApplication):
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                # A worker's heartbeat comes from its main thread, so a long export or import
                # in a request thread is not taken for a hung worker; 120 s covers a busy CPU.
                "timeout": 120,
                "graceful_timeout": 30,
                "keepalive": 5,
                "proc_name": "labsys",
                # The heartbeat file in memory, not on a disk that may block (gunicorn's FAQ).
                "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
                "accesslog": log,
                "access_log_format": ACCESS_LOG_FORMAT,
                "errorlog": "-",
                "loglevel": "info",
            }
            # gunicorn 25.1+ opens a control socket at one fixed path per user: two servers
            # of one user would take each other's.  labsys is stopped by its signals.
            options["control_socket_disable"] = True
            for key, value in options.items():
                if value is not None and key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            # In each worker, after the fork: its own app, engine and connection pool.
            from labsys import create_app

            return create_app(settings)

    LabsysServer().run()


class AccessLog:
    """WSGI middleware writing ACCESS_LOG_FORMAT lines for the one-process server."""

    def __init__(self, app, path: str):
        self.app = app
        self.stream = (
            sys.stdout if path == "-" else open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        )
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        seen: dict[str, Any] = {}

        def recording_start_response(status, headers, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            seen["length"] = next((v for k, v in headers if k.lower() == "content-length"), "-")
            return start_response(status, headers, exc_info)

        body = self.app(environ, recording_start_response)
        try:
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close is not None:  # the WSGI server's duty, now ours (Flask's teardown)
                close()
            self._write(environ, seen, time.perf_counter() - started)

    def _write(self, environ, seen: dict, seconds: float) -> None:
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        line = ACCESS_LOG_FORMAT % {
            "h": environ.get("REMOTE_ADDR", "-"),
            "p": f"<{os.getpid()}>",
            "r": f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}",
            "s": seen.get("status", "-"),
            "B": seen.get("length", "-"),
            "M": int(seconds * 1000),
        }
        with self.lock:
            self.stream.write(line + "\n")
            self.stream.flush()
