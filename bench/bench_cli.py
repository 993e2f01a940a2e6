"""Benchmark: ``labsys stats`` as a whole process (issue #19 §1: under 0.5 s).

    python bench/bench_cli.py [--runs R] [--engine sqlite|postgresql] [--smoke]

Initialises a database once (``labsys init``: the catalog, no samples: the process's
start-up is what is measured, not the query; SQLite in ``bench/out/cli/``, or PostgreSQL's
``labsys_bench_cli``), then runs the
installed ``labsys stats`` R times after one unmeasured run (which also writes the
bytecode cache: this machine's environment sets PYTHONDONTWRITEBYTECODE, which would make
every run compile every module again).  Prints the median wall time and CPU time
(user+sys of the child) and, for comparison, the same for building the full web app in a
fresh interpreter (what every command did before the command line had an app of its own),
for ``import flask`` (a yardstick of the machine: 0.06–0.08 s of CPU on an idle 2.8 GHz
Xeon core, BENCHMARKS.md) and for the interpreter alone.  On a shared machine the wall time
measures the queue; the CPU time is what compares.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, SECRET, create_empty, database_url, machine  # noqa: E402

VENV_BIN = Path(sys.executable).parent
FULL_APP = "from labsys import create_app; create_app()"


def environment(folder: Path, url: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        LABSYS_SECRET_KEY=SECRET,
        LABSYS_INSTANCE_PATH=str(folder),
        LABSYS_DATABASE_URL=url,
        LABSYS_CLI_LANGUAGE="en",
    )
    return env


def timed(command: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(command: list[str], env: dict, runs: int) -> tuple[float, float]:
    timed(command, env)  # warm-up: page cache and bytecode
    samples = [timed(command, env) for _ in range(runs)]
    return (
        statistics.median(wall for wall, _cpu in samples),
        statistics.median(cpu for _wall, cpu in samples),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--smoke", action="store_true", help="two runs, for CI")
    args = parser.parse_args()
    runs = 2 if args.smoke else args.runs
    folder = OUT / f"cli_{args.engine}"
    folder.mkdir(parents=True, exist_ok=True)
    url = (
        f"sqlite:///{folder / 'cli.sqlite3'}"
        if args.engine == "sqlite"
        else database_url("postgresql", 0).replace("_0", "_cli")
    )
    env = environment(folder, url)
    labsys = str(VENV_BIN / "labsys")
    if not (folder / "ready").exists():
        create_empty(args.engine, url)
        subprocess.run([labsys, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        (folder / "ready").write_text("initialised\n")
    print(machine())
    print(f"load average before: {os.getloadavg()[0]:.1f}; {runs} runs each, medians")
    for label, command in (
        (f"labsys stats ({args.engine})", [labsys, "stats"]),
        ("python: create_app() (the full web app)", [sys.executable, "-c", FULL_APP]),
        ("python: import flask (the yardstick)", [sys.executable, "-c", "import flask"]),
        ("python: pass (the interpreter alone)", [sys.executable, "-c", "pass"]),
    ):
        wall, cpu = measure(command, env, runs)
        print(f"{label:45} wall {wall:6.3f} s   CPU {cpu:6.3f} s")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
