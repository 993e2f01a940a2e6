"""Benchmark: peak memory (RSS) and time of exporting every sample to CSV and XLSX.

    python bench/bench_export.py [--samples 100000 1000000] [--engine sqlite] [--smoke]

Runs ``labsys export samples --format csv|xlsx -o FILE`` as its own process and reads its
peak resident set size and CPU time from the kernel (``wait4``).  Constant memory means the peak does
not grow with the number of rows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from common import OUT, ROOT, SECRET, machine, prepare, smoke_args


def export(url: str, fmt: str) -> tuple[float, float, float, int]:
    target = OUT / f"export.{fmt}"
    env = {
        **os.environ,
        "LABSYS_DATABASE_URL": url,
        "LABSYS_SECRET_KEY": SECRET,
        "LABSYS_INSTANCE_PATH": str(ROOT / "bench" / "out" / "instance"),
    }
    labsys = Path(sys.executable).with_name("labsys")
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(labsys), "export", "samples", "--format", fmt, "-o", str(target)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"export to {fmt} failed")
    size = target.stat().st_size
    target.unlink()
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024, size  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--engine", default="sqlite")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if smoke_args():
        args.samples = [300]
    print(machine())
    print(
        f"{'samples':>10}{'format':>8}{'seconds':>10}{'CPU s':>10}{'rows/CPU s':>12}"
        f"{'peak RSS MiB':>14}{'file MiB':>10}"
    )
    for samples in args.samples:
        url = prepare(args.engine, samples)
        for fmt in ("csv", "xlsx"):
            seconds, cpu, rss, size = export(url, fmt)
            print(
                f"{samples:>10}{fmt:>8}{seconds:>10.1f}{cpu:>10.1f}{samples / cpu:>12,.0f}"
                f"{rss:>14.0f}{size / 2**20:>10.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
