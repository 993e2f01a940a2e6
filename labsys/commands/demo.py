"""``labsys demo``: fill an empty database with a realistic, reproducible year."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from labsys.cli import fail
from labsys.demo import has_samples, load_demo
from labsys.demo.world import DEMO_PASSWORD, DEMO_USERS
from labsys.extensions import db


@click.command("demo")
@click.option(
    "--samples",
    default=600,
    show_default=True,
    type=click.IntRange(1, 10_000_000),
    help="How many samples (batches) the year holds.",
)
@click.option(
    "--seed",
    default=2019,
    show_default=True,
    type=int,
    help="Random seed: the same seed gives the same data.",
)
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    default=None,
    help="The year to simulate (default: this year, up to today).",
)
@click.option(
    "--reports",
    type=click.IntRange(0),
    default=None,
    help="Issue at most this many reports, newest first (default 2000: each is a real PDF).",
)
@with_appcontext
def demo_command(samples: int, seed: int, year: int | None, reports: int | None):
    """Load demo data into an empty database (users, enterprises, a plan, a year of samples)."""
    if has_samples(db.session):
        fail("the database already holds samples: the demo loads only into an empty one")
    with click.progressbar(length=samples, label="samples", show_pos=True) as bar:
        last = [0]

        def progress(what: str, done: int, _total: int) -> None:
            if what == "samples":  # reports follow, a few seconds per hundred
                bar.update(done - last[0])
                last[0] = done

        summary = load_demo(
            db.session, samples=samples, seed=seed, year=year, reports=reports, progress=progress
        )
    db.session.commit()
    click.echo(describe(summary))


def describe(summary) -> str:
    users = ", ".join(name for name, _full, _roles in DEMO_USERS)
    lines = [
        f"demo loaded in {summary.seconds:.1f} s: {summary.samples} samples in "
        f"{summary.visits} visits, {summary.results} results, {summary.concluded} concluded, "
        f"{summary.unqualified} unqualified, {summary.extra.get('reports', 0)} reports issued, "
        f"{summary.extra.get('followups', 0)} follow-ups",
    ]
    if summary.key_food_rate is not None:
        lines.append(
            f"key-food pass rate: {summary.key_food_rate} % "
            f"({summary.key_food_concluded} concluded key-food samples)"
        )
    lines.append(f"demo users ({users}) log in with the password {DEMO_PASSWORD}")
    return "\n".join(lines)


QUICKSTART_SAMPLES = 300  # a small lab's year: loads in seconds, reports included


def load_quickstart_demo(session) -> str | None:
    """The quick start's small demo, for an empty database only."""
    if has_samples(session):
        return None
    return describe(load_demo(session, samples=QUICKSTART_SAMPLES))
