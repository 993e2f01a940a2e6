"""``labsys risk``: risk early warning (issue 17) from the command line.

``signals`` lists the ranked warnings (``labsys.services.risk``); other risk commands
(enterprise grades, proposed plans) join this group.
"""

from __future__ import annotations

import csv
import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from labsys.cli import read_only
from labsys.extensions import db
from labsys.services import exports, risk
from labsys.services.access import SYSTEM

CSV_FIELDS = [
    "scope",
    "key",
    "name",
    "samples",
    "unqualified",
    "rate",
    "score",
    "signalled",
    "kinds",
    "history_rate",
    "peer_rate",
    "interval_low",
    "interval_high",
    "test",
    "p_value",
    "q_value",
    "reason",
]


@click.group("risk")
def risk_group():
    """Risk early warning: signals, enterprise grades and risk-based plans."""


@risk_group.command("signals")
@click.option(
    "--scope",
    "scopes",
    type=click.Choice(risk.SCOPES),
    multiple=True,
    help="Only this scope (repeatable; default: every scope).",
)
@click.option(
    "--all", "show_all", is_flag=True, help="Every key tested, not only those that signal."
)
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many rows.")
@click.option(
    "--date",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Compute as of this day (default: today).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@with_appcontext
def signals_command(scopes, show_all, limit, on, fmt):
    """Ranked risk signals: where the unqualified rate runs above its history or its peers."""
    with read_only():
        found = risk.compute_signals(
            db.session,
            risk.Settings.from_config(current_app.config),
            today=on.date() if on else None,
            scopes=scopes or risk.SCOPES,
        )
        rows = [s.as_json() for s in (found if show_all else risk.signalled(found))][:limit]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.DictWriter(
            sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n", extrasaction="ignore"
        )
        writer.writeheader()
        for row in rows:  # names come from the data: made inert for spreadsheets
            row = {**row, "kinds": " ".join(row["kinds"])}
            writer.writerow({k: exports.neutralise(row[k]) for k in CSV_FIELDS})
    else:
        _table(rows)


@risk_group.command("refresh")
@with_appcontext
def refresh_command():
    """Compute every signal for today and store the open count the supervisors' home page
    shows (run it from cron, e.g. nightly, after the day's conclusions)."""
    stored = risk.refresh_signal_count(
        db.session, SYSTEM, risk.Settings.from_config(current_app.config)
    )
    db.session.commit()
    click.echo(_("%(n)d open risk signals on %(day)s.", n=stored.open_count, day=stored.as_of))


def _table(rows: list[dict]) -> None:
    if not rows:
        click.echo(_("no risk signals"))
        return
    for n, row in enumerate(rows, start=1):
        mark = "!" if row["signalled"] else " "
        click.echo(
            f"{n:>3}{mark} {row['score']:>7.2f}  {row['scope']:<17} {row['name']}  "
            f"{row['unqualified']}/{row['samples']}  q={row['q_value']:.3g}"
        )
        click.echo(f"       {row['reason']}")


def _add_grading_commands() -> None:
    """``grades`` and ``propose`` (labsys.commands.grading) join the group."""
    from labsys.commands.grading import grades_command, propose_command

    risk_group.add_command(grades_command)
    risk_group.add_command(propose_command)


_add_grading_commands()
