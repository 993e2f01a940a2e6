"""``labsys demo``: fill an empty database with a realistic, reproducible year."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from labsys.cli import fail, progress_bar
from labsys.demo import has_samples, load_demo
from labsys.demo.generator import DEFAULT_SAMPLES
from labsys.demo.world import DEMO_PASSWORD, DEMO_USERS
from labsys.extensions import db


@click.command("demo")
@click.option(
    "--samples",
    default=DEFAULT_SAMPLES,
    show_default=True,
    type=click.IntRange(1, 10_000_000),
    help="How many samples (batches) the year holds (the quick start loads the same).",
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
@click.option(
    "--plant",
    "plants",
    type=click.IntRange(0, 30),
    default=0,
    help="Plant this many known problems for the risk signals (a producer that starts "
    "failing, a district's rising vegetable pesticide failures, a category's spike, in turn).",
)
@with_appcontext
def demo_command(samples: int, seed: int, year: int | None, reports: int | None, plants: int = 0):
    """Load demo data into an empty database (users, enterprises, a plan, a year of samples)."""
    if has_samples(db.session):
        fail(_("error: the database already holds samples: the demo loads only into an empty one"))
    with PhaseBars() as progress:
        summary = load_demo(
            db.session,
            samples=samples,
            seed=seed,
            year=year,
            reports=reports,
            progress=progress,
            plants=plants,
        )
    db.session.commit()
    click.echo(describe(summary))


class PhaseBars:
    """One progress bar per phase of the demo (samples, then reports), on standard error."""

    def __init__(self):
        self.phase: str | None = None
        self.bar = None
        self.done = 0

    def __enter__(self) -> PhaseBars:
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self._close()
            self.phase, self.done = phase, 0
            self.bar = progress_bar(total, _phase_label(phase)).__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _phase_label(phase: str) -> str:
    if phase == "reports":
        return _("issuing reports")
    return _("writing samples")


def describe(summary) -> str:
    users = ", ".join(name for name, _full, _roles in DEMO_USERS)
    extra = summary.extra
    counts = [
        ngettext("%(num)d sample", "%(num)d samples", summary.samples),
        ngettext("%(num)d visit", "%(num)d visits", summary.visits),
        ngettext("%(num)d result", "%(num)d results", summary.results),
        ngettext("%(num)d concluded", "%(num)d concluded", summary.concluded),
        ngettext("%(num)d unqualified", "%(num)d unqualified", summary.unqualified),
        ngettext("%(num)d report issued", "%(num)d reports issued", extra.get("reports", 0)),
        ngettext("%(num)d follow-up", "%(num)d follow-ups", extra.get("followups", 0)),
    ]
    lines = [
        _(
            "demo loaded in %(seconds)s s: %(counts)s",
            seconds=f"{summary.seconds:.1f}",
            counts=", ".join(counts),
        )
    ]
    if summary.key_food_rate is not None:
        lines.append(
            ngettext(
                "key-food pass rate: %(rate)s %% (%(num)d concluded key-food sample)",
                "key-food pass rate: %(rate)s %% (%(num)d concluded key-food samples)",
                summary.key_food_concluded,
                rate=summary.key_food_rate,
            )
        )
    for planted in extra.get("planted", []):
        lines.append(
            _(
                "planted: %(kind)s %(name)s (risk scope %(scope)s, key %(key)s)",
                kind=planted["kind"],
                name=planted["name"],
                scope=planted["scope"],
                key=planted["key"],
            )
        )
    lines.append(
        _(
            "demo users (%(users)s) log in with the password %(password)s",
            users=users,
            password=DEMO_PASSWORD,
        )
    )
    return "\n".join(lines)


def load_quickstart_demo(session) -> str | None:
    """The quick start's demo (the same default size as ``labsys demo``), for an empty
    database only, with its progress shown."""
    if has_samples(session):
        return None
    with PhaseBars() as progress:
        summary = load_demo(session, samples=DEFAULT_SAMPLES, progress=progress)
    return describe(summary)
