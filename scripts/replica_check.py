"""Check labsys against a real PostgreSQL primary and streaming replica (issue #19 §4).

    .venv/bin/python scripts/replica_check.py [--samples 30] [--keep]

Everything happens in a temporary folder, on two free loopback ports, with the PostgreSQL
server binaries found under /usr/lib/postgresql/*/bin (run as the ``postgres`` user when
this script runs as root: initdb refuses root):

1. ``initdb`` a primary (``wal_level = replica``), start it; ``pg_basebackup -R`` a hot
   standby from it, start that: a streaming replica.
2. ``labsys init`` and ``labsys demo`` on the primary (written there only), then wait until
   the replica has replayed everything.
3. An app with ``REPLICA_DATABASE_URL`` pointing at the replica, logged in as the demo's
   supervisor: ``/api/stats``, the pass-rate page and the samples export answer from the
   replica; a write the replica has not replayed yet (replay paused) is not in them, the
   primary's own reading has it, and once replay resumes they agree again.  A report issued
   on the primary while the replica lags is downloaded from the primary (fallback); a write
   through the replica's engine is refused by PostgreSQL (a hot standby is read-only).

Exit status 0 when every check holds; the first failed check is printed otherwise.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET = "replica-check-secret-key-0123456789-abcdefgh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not found:
        sys.exit("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    return Path(found[-1])


def as_server_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as ``postgres`` then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


class Cluster:
    def __init__(self, folder: Path, port: int, binaries: Path):
        self.folder, self.port, self.bin = folder, port, binaries
        self.data = folder / f"data_{port}"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/labsys"

    def pg(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        return run(as_server_user([str(self.bin / tool), *args]))

    def configure(self, extra: str = "") -> None:
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.folder}'\n"
                # a throwaway cluster: no fsync (faster on a shared machine)
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" + extra
            )

    def start(self) -> None:
        log = self.folder / f"server_{self.port}.log"
        self.pg("pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", "120", "start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def sql(self, statement: str, database: str = "labsys") -> str:
        command = [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port)]
        command += ["-U", "postgres", "-d", database, "-AtX", "-v", "ON_ERROR_STOP=1"]
        return run([*command, "-c", statement]).stdout.strip()


@contextmanager
def primary_and_replica(keep: bool):
    binaries = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="labsys-replica-"))
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(folder, postgres.pw_uid, postgres.pw_gid)
    primary = Cluster(folder, free_port(), binaries)
    replica = Cluster(folder, free_port(), binaries)
    try:
        primary.pg("initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        primary.configure("wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n")
        primary.start()
        primary.sql("CREATE DATABASE labsys", database="postgres")
        primary.pg("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U",
                   "postgres", "-D", str(replica.data), "-R", "-X", "stream")  # fmt: skip
        replica.configure()  # its own port; standby.signal and primary_conninfo from -R
        replica.start()
        assert replica.sql("SELECT pg_is_in_recovery()") == "t", "the replica is not a standby"
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            try:
                cluster.stop()
            except subprocess.CalledProcessError as error:
                print(f"stopping {cluster.port}: {error.stderr}", file=sys.stderr)
        if keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def caught_up(primary: Cluster, replica: Cluster, timeout: float = 120) -> None:
    target = primary.sql("SELECT pg_current_wal_lsn()", database="postgres")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'", database="postgres")
        if done == "t":
            return
        time.sleep(0.2)
    raise AssertionError("the replica did not catch up within 120 s")


def labsys_command(env: dict, *args: str, stdin: str | None = None) -> None:
    labsys = Path(sys.executable).with_name("labsys")
    run([str(labsys), *args], env=env, input=stdin)


def check(condition: bool, what: str) -> None:
    print(f"  {'ok ' if condition else 'FAILED'} {what}")
    if not condition:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    with primary_and_replica(args.keep) as (primary, replica):
        print(f"primary on {primary.port}, streaming replica on {replica.port}")
        instance = primary.folder / "instance"
        env = {
            **os.environ,
            "LABSYS_DATABASE_URL": primary.url,
            "LABSYS_SECRET_KEY": SECRET,
            "LABSYS_INSTANCE_PATH": str(instance),
            "LABSYS_CLI_LANGUAGE": "en",
        }
        labsys_command(env, "init")
        labsys_command(env, "demo", "--samples", str(args.samples), "--reports", "0")
        caught_up(primary, replica)
        print(f"labsys init and a demo of {args.samples} samples on the primary, replayed")
        exercise(primary, replica, instance)
    print("all checks hold")


def exercise(primary: Cluster, replica: Cluster, instance: Path) -> None:
    from labsys import create_app
    from labsys.database import REPLICA
    from labsys.demo.world import DEMO_PASSWORD
    from labsys.extensions import db

    def app_for(replica_url: str | None):
        settings = {"SECRET_KEY": SECRET, "DATABASE_URL": primary.url}
        settings |= {"INSTANCE_PATH": str(instance), "WTF_CSRF_ENABLED": False}
        if replica_url:
            settings["REPLICA_DATABASE_URL"] = replica_url
        return create_app(settings)

    app, primary_only = app_for(replica.url), app_for(None)
    clients = {}
    for name, application in (("replica", app), ("primary", primary_only)):
        client = application.test_client()
        form = {"username": "supervisor1", "password": DEMO_PASSWORD}
        assert client.post("/login", data=form).status_code == 302, "login failed"
        clients[name] = client

    def stats(name: str) -> dict:
        response = clients[name].get("/api/stats")
        assert response.status_code == 200, response.status_code
        return response.get_json()

    def export_lines(name: str) -> int:
        response = clients[name].get("/stats/download/samples.csv")
        return len(response.get_data(as_text=True).splitlines())

    before = stats("replica")
    check(before == stats("primary"), "in step: /api/stats is the same from either side")
    check(export_lines("replica") == export_lines("primary"), "in step: the same export")

    # Replay paused: the primary moves on, the replica stays where it was.
    replica.sql("SELECT pg_wal_replay_pause()", database="postgres")
    sample_id = primary.sql(
        "SELECT id FROM samples WHERE conclusion = 'qualified' ORDER BY id LIMIT 1"
    )
    primary.sql(f"UPDATE samples SET conclusion = 'unqualified' WHERE id = {sample_id}")
    moved = stats("primary")
    check(moved != before, "a conclusion changed on the primary changes its pass rates")
    check(stats("replica") == before, "the app's pass rates come from the (paused) replica")
    page = clients["replica"].get("/stats/")
    check(page.status_code == 200, "the pass-rate page answers from the replica")

    report_id = issue_one_report(app, clients["replica"], DEMO_PASSWORD)
    on_replica = replica.sql(f"SELECT count(*) FROM reports WHERE id = {report_id}")
    check(on_replica == "0", "a report issued now is not yet on the paused replica")
    pdf = clients["replica"].get(f"/reports/{report_id}.pdf")
    check(pdf.status_code == 200 and pdf.data.startswith(b"%PDF"), "...and downloads anyway")

    with app.app_context():
        from sqlalchemy import text

        refused = False
        try:
            with db.engines[REPLICA].begin() as connection:
                connection.execute(text("UPDATE samples SET remarks = 'x' WHERE id = 1"))
        except Exception as error:  # psycopg's ReadOnlySqlTransaction, wrapped
            refused = "read-only" in str(error)
        check(refused, "a write through the replica's engine is refused (hot standby)")

    replica.sql("SELECT pg_wal_replay_resume()", database="postgres")
    caught_up(primary, replica)
    check(stats("replica") == moved, "replay resumed: the replica's pass rates are the new ones")
    check(export_lines("replica") == export_lines("primary"), "and the exports agree again")
    for application in (app, primary_only):
        with application.app_context():
            for engine in db.engines.values():
                engine.dispose()


def issue_one_report(app, client, password: str) -> int:
    """Issue one waiting sample's report through the bulk-issue endpoint (a write on the
    primary); returns the new report's id."""
    with app.app_context():
        from sqlalchemy import select

        from labsys.extensions import db
        from labsys.models import Report, Sample, SampleStatus

        waiting = db.session.scalars(
            select(Sample.id)
            .where(Sample.status == SampleStatus.CONCLUDED)
            .where(~select(Report.id).where(Report.sample_id == Sample.id).exists())
            .order_by(Sample.id)
            .limit(1)
        ).first()
        db.session.remove()
    assert waiting is not None, "no sample waits for its report"
    response = client.post(
        "/reports/bulk-issue",
        data={"sample_ids": [waiting], "password": password},
        headers={"Accept": "application/json"},
    )
    answer = response.get_json()
    assert response.status_code == 200 and answer["issued"], answer
    return answer["issued"][0]["report_id"]


if __name__ == "__main__":
    main()
