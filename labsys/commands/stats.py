"""``labsys stats`` and ``labsys export``: the machine interfaces of the compliance feature."""

from __future__ import annotations

import csv
import json
import sys

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from labsys.cli import fail, progress_bar, read_only
from labsys.extensions import db
from labsys.models import InspectionType
from labsys.services import ServiceError, stats

DATE = click.DateTime(formats=["%Y-%m-%d"])
ROW_FIELDS = [
    "name",
    "samples",
    "qualified",
    "unqualified",
    "pass_rate",
    "wilson_low",
    "wilson_high",
]


def _filters(date_from, date_to, plan, task, types=(), *, parent_id=None) -> stats.StatsFilter:
    return stats.StatsFilter(
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        plan_id=plan,
        task_id=task,
        parent_id=parent_id,
        inspection_types=stats.inspection_types(types),
    )


def _parent_id(code: str | None) -> int | None:
    """The id of the food category ``--parent`` names by its code (as ``labsys catalog
    tree`` prints it)."""
    if not code:
        return None
    from sqlalchemy import select

    from labsys.models import FoodCategory

    found = db.session.scalar(select(FoodCategory.id).where(FoodCategory.code == code.strip()))
    if found is None:
        fail(_("error: no food category with code %(code)s", code=code))
    return found


TYPE_OPTION = click.option(
    "--type",
    "types",
    type=click.Choice([t.value for t in InspectionType]),
    multiple=True,
    help="Only this inspection type (repeatable; default: all types, as a city's published "
    "monitoring figure counts them).",
)


@click.group("stats", invoke_without_command=True)
@click.option(
    "--by",
    type=click.Choice(stats.GROUPINGS),
    default="category",
    show_default=True,
    help="Group the pass rates by this.",
)
@click.option(
    "--level",
    type=click.IntRange(1, 4),
    default=1,
    show_default=True,
    help="Food-category level (1 大类 … 4 细类) for --by category.",
)
@click.option("--key-foods", is_flag=True, help="The key-food indicator: total and key foods.")
@click.option("--from", "date_from", type=DATE, help="First sampling date (YYYY-MM-DD).")
@click.option("--to", "date_to", type=DATE, help="Last sampling date (YYYY-MM-DD).")
@click.option("--plan", type=int, help="Only this sampling plan (id).")
@click.option("--task", type=int, help="Only this sampling task (id).")
@click.option(
    "--parent",
    metavar="CODE",
    help="Drill down: only samples under this food category (its code, as `labsys catalog "
    "tree` prints it); with --by category the rows are its sub-categories, as on the "
    "statistics page and with GET /api/stats?parent=ID.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@TYPE_OPTION
@click.pass_context
@with_appcontext
def stats_command(ctx, by, level, key_foods, date_from, date_to, plan, task, parent, fmt, types):
    """Pass rates (合格率) with their 95 % Wilson intervals, as the statistics pages show.

    ``labsys stats rebuild`` recomputes the rollups the pass rates are summed from;
    ``labsys stats fold`` folds PostgreSQL's pending deltas into them."""
    if ctx.invoked_subcommand is not None:
        from labsys.models import load_all

        load_all()  # the subcommands write: every model (see labsys.cli.OWN_MODELS)
        return
    try:
        with read_only():
            data = stats.stats_json(
                db.session,
                by=by,
                level=level,
                key_foods=key_foods,
                filters=_filters(
                    date_from, date_to, plan, task, types, parent_id=_parent_id(parent)
                ),
            )
    except ServiceError as error:
        fail(_("error: %(message)s", message=error.message))
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        _write_csv(data)
    else:
        _write_table(data)


@stats_command.command("rebuild")
@with_appcontext
def rebuild_command():
    """Recompute the pass-rate rollups (sample_rollups) and the deadline board's counters
    (deadline_counts) from the samples and open items, in one transaction, and say whether
    they differed (the triggers keep them exact: a repair tool)."""
    from labsys.services import followup

    click.echo(_("recounting the samples ..."), err=True)
    differing = stats.rebuild_summary(db.session)
    counters = followup.rebuild_counters(db.session)
    db.session.commit()
    if counters:
        click.echo(
            ngettext(
                "deadline_counts rebuilt: %(num)d counter differed from the open items",
                "deadline_counts rebuilt: %(num)d counters differed from the open items",
                counters,
            )
        )
    else:
        click.echo(_("deadline_counts matched the open items: nothing to rebuild"))
    if differing:
        click.echo(
            ngettext(
                "sample_rollups rebuilt: %(num)d row differed from the samples",
                "sample_rollups rebuilt: %(num)d rows differed from the samples",
                differing,
            )
        )
    else:
        click.echo(_("sample_rollups matched the samples: nothing to rebuild"))


@stats_command.command("fold")
@with_appcontext
def fold_command():
    """Fold the pass-rate rollup and deadline counter deltas into their tables (PostgreSQL;
    run it from cron or a timer: web writes fold after themselves, bulk loads and other
    clients do not)."""
    touched = stats.fold_deltas(db.session, wait=True)
    db.session.commit()
    click.echo(
        ngettext(
            "folded the deltas into %(num)d rollup row",
            "folded the deltas into %(num)d rollup rows",
            touched or 0,
        )
    )


def _write_csv(data: dict) -> None:
    from labsys.services import exports  # openpyxl and the PDF fonts: only when exporting

    writer = csv.DictWriter(sys.stdout, fieldnames=ROW_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in data["rows"]:  # names come from the catalog: still made inert
        writer.writerow({key: exports.neutralise(value) for key, value in row.items()})
    writer.writerow(
        {
            "name": "TOTAL",
            **{k: data[k] for k in ("samples", "qualified", "unqualified", "pass_rate")},
        }
    )


def _write_table(data: dict) -> None:
    header = [
        _("name"),
        _("samples"),
        _("qualified"),
        _("unqualified"),
        _("pass rate %"),
        _("95 % CI"),
    ]
    lines = [
        [
            row["name"],
            row["samples"],
            row["qualified"],
            row["unqualified"],
            row["pass_rate"] or "-",
            f"{row['wilson_low']}-{row['wilson_high']}" if row["pass_rate"] else "-",
        ]
        for row in data["rows"]
    ]
    lines.append(
        [
            "TOTAL",
            data["samples"],
            data["qualified"],
            data["unqualified"],
            data["pass_rate"] or "-",
            "",
        ]
    )
    cells = [[str(c) for c in line] for line in [header, *lines]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        click.echo(
            "  ".join(_pad(cell, widths[i], right=i > 0) for i, cell in enumerate(row)).rstrip()
        )


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * (width - _width(text))
    return space + text if right else text + space


@click.command("export")
@click.argument("kind", type=click.Choice(["samples", "announcement", "compliance"]))
@click.option("--from", "date_from", type=DATE, help="First sampling date (YYYY-MM-DD).")
@click.option("--to", "date_to", type=DATE, help="Last sampling date (YYYY-MM-DD).")
@click.option("--plan", type=int, help="Only this sampling plan (id).")
@click.option("--task", type=int, help="Only this sampling task (id).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "pdf"]), required=True)
@click.option(
    "--labels",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Headers and values for people, in Chinese or English (CSV with a BOM, XLSX with "
    "widths); default: the machine columns and codes (sample_no, qualified, ...).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    required=True,
    help="The file to write.",
)
@TYPE_OPTION
@with_appcontext
def export_command(kind, date_from, date_to, plan, task, fmt, labels, output, types):
    """Export samples or the unqualified-product announcement (CSV/XLSX), or the compliance
    report (PDF), streaming rows so that a year of a big city fits in little memory."""
    with read_only():
        _export(kind, _filters(date_from, date_to, plan, task, types), fmt, labels, output)
    click.echo(_("%(kind)s written to %(output)s", kind=kind, output=output))


def _export(kind, filters, fmt, labels, output) -> None:
    from flask import current_app

    from labsys.services import exports

    lab_name = current_app.config["LAB_NAME"]
    if kind == "compliance":
        if fmt != "pdf":
            fail(_("error: the compliance report is a PDF: use --format pdf"))
        data = exports.compliance_pdf(
            db.session,
            filters,
            lab_name=lab_name,
            font_path=current_app.config.get("PDF_FONT_PATH"),
        )
        with open(output, "wb") as out:
            out.write(data.getvalue())
    else:
        if fmt == "pdf":
            fail(_("error: the %(kind)s export is a table: use --format csv or xlsx", kind=kind))
        if fmt == "csv":
            # The samples through COPY on PostgreSQL (the server writes the CSV), as the page
            # and the API do; byte for byte what the row-by-row path writes.
            chunks = exports.export_csv_chunks(
                db.session,
                kind,
                filters,
                default_lab=lab_name,
                labels=labels,
                bom=labels is not None,
            )
            with (
                open(output, "w", encoding="utf-8", newline="") as out,
                progress_bar(
                    None, _("blocks written (the header, then 500 rows each)"), iterable=chunks
                ) as counted,
            ):
                for chunk in counted:
                    out.write(chunk)
            return
        header, rows = exports.export_table(
            db.session, kind, filters, default_lab=lab_name, labels=labels
        )
        with progress_bar(None, _("rows written"), iterable=rows) as counted:
            exports.write_xlsx(
                output,
                header,
                counted,
                title=kind,
                preamble=exports.export_preamble(kind),
                widths=exports.column_widths(kind) if labels else None,
            )
