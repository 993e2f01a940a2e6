"""Benchmark: judging results against pre-parsed limits with labsys.core.judgement.judge.

    python bench/bench_judge.py [--n N] [--runs R] [--smoke]

Prints the median wall time of R runs over the same N results, results per second, and the
machine. The mix imitates a routine lab: mostly upper limits (contaminants, residues), a share
of 不得检出 items (banned drugs, additives), ranges and minimums (composition), about one in six
results "未检出"/"<LOD", a tenth judged by the rounded-value method and a few by a guard band.
Results are text, as technicians type them.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labsys.core.judgement import Spec, judge  # noqa: E402

# (limit, decimal places of the results, lowest and highest result as integers at those places),
# with how often each occurs. Most results comply, as in real surveillance (2–3 % unqualified).
LIMITS = [
    ("≤0.2", 3, 0, 210, 20),  # lead, mg/kg: 0.000–0.210
    ("≤0.05", 3, 0, 52, 10),  # lead in milk
    ("≤0.1", 3, 0, 104, 10),  # cadmium
    ("≤5.0", 1, 0, 52, 8),  # benzo[a]pyrene, µg/kg
    ("≤100", 0, 0, 104, 8),  # enrofloxacin, µg/kg
    ("≤3.0", 2, 10, 305, 6),  # acid value, mg/g
    ("<0.5", 2, 0, 51, 4),
    ("不得检出", 3, 1, 20, 12),  # clenbuterol, chloramphenicol …
    ("不得使用", 3, 1, 20, 4),  # sodium saccharin …
    ("≥2.9", 2, 288, 360, 8),  # protein, g/100g
    ("≥97.0", 2, 9680, 9990, 4),  # purity, %
    ("12～18", 1, 118, 182, 6),  # acidity, °T
]
WEIGHTS = [weight for *_, weight in LIMITS]


def make_cases(n: int, seed: int = 8170) -> list[tuple[str, Spec, dict]]:
    """``n`` deterministic (result text, parsed limit, judge options) triples."""
    rng = random.Random(seed)
    specs = {text: Spec.parse(text) for text, *_ in LIMITS}
    cases = []
    for _ in range(n):
        text, places, low, high, _ = rng.choices(LIMITS, WEIGHTS)[0]
        spec = specs[text]
        roll = rng.randrange(100)  # percent
        if spec.kind == "not_detected" and roll < 98 or roll < 15 and spec.kind == "upper":
            measured = rng.choice(["未检出", "ND", "<0.005", "<0.01"])
        else:
            measured = _number_text(rng.randint(low, high), places)
        options: dict = {}
        if roll >= 90:
            options["method"] = "rounded"
        elif roll >= 87 and spec.kind in ("upper", "lower", "range"):
            options.update(rule="guarded", uncertainty=_number_text(rng.randint(1, 9), places))
        cases.append((measured, spec, options))
    return cases


def _number_text(integer: int, places: int) -> str:
    """``integer`` × 10^-places written as a technician would ("0.153")."""
    if places == 0:
        return str(integer)
    digits = str(integer).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}"


def run(cases: list[tuple[str, Spec, dict]]) -> tuple[float, Counter]:
    """Seconds to judge every case once, and the verdict counts."""
    counts: Counter = Counter()
    start = time.perf_counter()
    for measured, spec, options in cases:
        counts[judge(measured, spec, **options)] += 1
    return time.perf_counter() - start, counts


def machine() -> str:
    """Cores, memory and Python, for the record."""
    memory = "unknown"
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    memory = f"{int(line.split()[1]) // 1024} MiB"
                    break
    except OSError:
        pass
    return (
        f"cores={os.cpu_count()} memory={memory} python={platform.python_version()} "
        f"machine={platform.machine()} processor={platform.processor() or 'unknown'}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="results per run")
    parser.add_argument("--runs", type=int, default=3, help="runs; the median is reported")
    parser.add_argument("--smoke", action="store_true", help="n=2000, 1 run (for CI)")
    args = parser.parse_args(argv)
    n, runs = (2000, 1) if args.smoke else (args.n, args.runs)
    cases = make_cases(n)
    results = [run(cases) for _ in range(runs)]
    median = statistics.median(seconds for seconds, _ in results)
    counts = results[0][1]
    print(f"judge: n={n} runs={runs} median={median:.3f} s  {n / median:,.0f} results/s")
    print("verdicts: " + ", ".join(f"{v}={counts[v]}" for v in sorted(counts)))
    print(machine())


if __name__ == "__main__":
    main()
