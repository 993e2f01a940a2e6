"""``labsys risk grades``: enterprise risk grades (issue 17 §2) from the command line."""

from __future__ import annotations

import csv
import json
import sys
from fractions import Fraction

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from labsys.cli import fail
from labsys.core import clock, grades
from labsys.extensions import db
from labsys.services import ServiceError, exports, grading, users

FIELDS = ["enterprise_id", "name", "region_code", "grade", "recorded", "score", "reason"]
DATE = click.DateTime(formats=["%Y-%m-%d"])


def _as_dict(row: grading.GradeRow) -> dict:
    return {
        "enterprise_id": row.enterprise_id,
        "name": row.name,
        "region_code": row.region_code,
        "grade": row.grade,
        "recorded": row.recorded,
        "score": str(row.score),
        "reason": row.reason,
    }


def write_rows(rows: list[dict], fields: list[str], fmt: str) -> None:
    """Rows as a table (tab-separated, a header), JSON (a list of objects) or CSV."""
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: exports.neutralise(v) for k, v in row.items()} for row in rows)
    else:
        click.echo("\t".join(fields))
        for row in rows:
            click.echo("\t".join("" if row[f] is None else str(row[f]) for f in fields))


@click.command("grades")
@click.option("--grade", type=click.Choice(grades.GRADES), help="Only this grade.")
@click.option("--region", default="", help="Only this district (region code).")
@click.option("--date", "day", type=DATE, help="Grade as of this day (default: today).")
@click.option(
    "--recompute",
    "username",
    default=None,
    help="Also record the changed grades, acting as this supervisor (grades set by hand "
    "and still in force are kept, and counted).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@with_appcontext
def grades_command(grade, region, day, username, fmt):
    """Every enterprise's risk grade (A low … D high) by the grading rules, and why."""
    today = day.date() if day else clock.today()
    if username and today != clock.today():
        # A recorded grade is dated the day it is recorded: one dated ahead would end the
        # grades set by hand before their last day, one dated back would rewrite history.
        fail(
            _(
                "error: --recompute records the grades as of today (%(today)s); --date only "
                "lists the grades as of another day",
                today=clock.today().isoformat(),
            )
        )
    if username:
        actor = users.get_by_username(db.session, username)
        if actor is None or not actor.active:
            fail(_("error: no active user %(name)s", name=repr(username)))
        try:
            done = grading.recompute(db.session, actor, today)
        except ServiceError as error:
            fail(_("error: %(message)s", message=error.message))
        db.session.commit()
        click.echo(done.message(), err=True)
    rows = grading.grade_rows(db.session, today, grade=grade, region=region or None)
    write_rows([_as_dict(r) for r in rows], FIELDS, fmt)


PROPOSAL_FIELDS = [
    "category_id",
    "category",
    "region_code",
    "quota",
    "risk",
    "signal",
    "grade_share",
]


@click.command("propose")
@click.option("--total", type=click.IntRange(min=1), required=True, help="Batches to share out.")
@click.option(
    "--min",
    "minimum",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Batches every category receives at least.",
)
@click.option("--from", "start", type=DATE, help="First day of the period (default: today).")
@click.option(
    "--level",
    type=click.IntRange(1, 2),
    default=1,
    show_default=True,
    help="Food-category level of the quotas.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@with_appcontext
def propose_command(total, minimum, start, level, fmt):
    """Propose quotas per category × district from the 12 months before the period (nothing
    is saved: a draft to edit and accept is made on the proposals page)."""
    from labsys.services import proposals

    day = start.date() if start else clock.today()
    try:
        proposed = proposals.propose_quotas(
            db.session, total=total, minimum=minimum, history_end=day, level=level
        )
    except ServiceError as error:
        fail(_("error: %(message)s", message=error.message))
    names = proposals.category_names(db.session, {k[0] for k in proposed.quotas})
    rows = [
        {
            "category_id": key[0],
            "category": names.get(key[0], ""),
            "region_code": key[1],
            "quota": n,
            "risk": str(proposals.as_decimal(proposed.risks[key], 4)),
            "signal": str(proposals.as_decimal(proposed.signals.get(key, Fraction(0)), 2)),
            "grade_share": str(proposals.as_decimal(proposed.grades.get(key, Fraction(0)), 2)),
        }
        for key, n in sorted(proposed.quotas.items(), key=lambda kv: (-kv[1], repr(kv[0])))
        if n > 0
    ]
    write_rows(rows, PROPOSAL_FIELDS, fmt)
