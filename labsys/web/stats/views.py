"""Pass-rate pages: the summary (key-food indicator and charts), tables by any grouping with
drill-down from 大类 to 细类, and the downloads (CSV, XLSX, PDF, announcement)."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.database import read_engine, read_session, write_intent
from labsys.extensions import db
from labsys.models import FoodCategory, InspectionType, Role
from labsys.pdf import charts
from labsys.services import ServiceError, exports, stats
from labsys.web import i18n
from labsys.web.access import roles_required
from labsys.web.api import BadParameter, stats_options
from labsys.web.stats import queries

bp = Blueprint("stats", __name__, url_prefix="/stats")

FILTER_ARGS = ("from", "to", "plan", "task")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS = {
    ("samples", "csv"),
    ("samples", "xlsx"),
    ("announcement", "csv"),
    ("announcement", "xlsx"),
    ("compliance", "pdf"),
}


def _options() -> dict:
    """Options from the query string; a bad value is reported and the defaults used."""
    try:
        return stats_options(request.args)
    except BadParameter as error:
        flash(str(error), "danger")
        return stats_options({})


def _filter_args() -> dict:
    args: dict = {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}
    types = [v for v in request.args.getlist("type") if v]
    if types:
        args["type"] = types  # repeatable: ?type=supervision&type=evaluation
    return args


def _filter_choices() -> dict:
    plans = queries.plan_choices(db.session)
    plan_id = request.args.get("plan", type=int)
    tasks = queries.task_choices(db.session, plan_id) if plan_id else []
    return {
        "plans": plans,
        "tasks": tasks,
        "args": request.args,
        "types": InspectionType.choices(),
        "chosen_types": request.args.getlist("type"),
    }


@bp.route("/")
@roles_required(Role.SUPERVISOR)
def summary():
    filters = _options()["filters"]
    try:
        session = read_session()  # the replica, when one is configured
        categories = stats.compute(session, by="category", level=1, filters=filters)
        key_foods = stats.key_food_indicator(session, filters)
        key_food_rows = stats.compute(session, key_foods=True, filters=filters)
        districts = stats.compute(session, by="district", filters=filters)
    except ServiceError as error:
        flash(error.message, "danger")
        return render_template(
            "stats/summary.html", error=True, filter_args={}, **_filter_choices()
        )
    return render_template(
        "stats/summary.html",
        error=False,
        categories=categories,
        key_foods=key_foods,
        key_food_rows=key_food_rows,
        districts=districts,
        filter_args=_filter_args(),
        trend_svg=charts.to_svg(
            charts.trend_line(
                key_foods, _("Key-food pass rate by month"), link=_samples_link(filters, "month")
            )
        ),
        category_svg=charts.to_svg(
            charts.category_bars(
                categories,
                _("Pass rate by food category (worst first)"),
                link=_samples_link(filters, "category", level=1),
            )
        ),
        district_svg=charts.to_svg(
            charts.district_columns(
                districts, _("Pass rate by district"), link=_samples_link(filters, "district")
            )
        ),
        **_filter_choices(),
    )


def _samples_link(filters, by: str, level: int = 1):
    """The address of the samples behind a chart's bar or point (the sample list, filtered
    as the statistic was: its dates, and the bar's category, district or month)."""
    base = {}
    if filters and filters.date_from:
        base["date_from"] = filters.date_from.isoformat()
    if filters and filters.date_to:
        base["date_to"] = filters.date_to.isoformat()

    def link(row) -> str | None:
        args = dict(base)
        if by == "category":
            args["category"] = f"{level}:{row.key}"
        elif by == "district":
            if not row.key:
                return None
            args["region_code"] = row.key
        elif by == "month":
            try:
                first = date.fromisoformat(f"{row.name}-01")
            except ValueError:
                return None
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            args["date_from"] = (
                max(first, filters.date_from) if filters and filters.date_from else first
            )
            last = following - timedelta(days=1)
            args["date_to"] = min(last, filters.date_to) if filters and filters.date_to else last
            args["key_foods"] = "1"
        return url_for("sampling.sample_list", **args)

    return link


@bp.route("/table")
@roles_required(Role.SUPERVISOR)
def table():
    options = _options()
    try:
        result = stats.compute(read_session(), **options)
    except ServiceError as error:
        flash(error.message, "danger")
        options = stats_options({})
        result = stats.compute(read_session(), **options)
    chart = charts.category_bars(result, _("Pass rate (worst first)"))
    return render_template(
        "stats/table.html",
        result=result,
        trail=_trail(result.parent),
        filter_args=_filter_args(),
        chart_svg=charts.to_svg(chart),
        groupings=_groupings(),
        **_filter_choices(),
    )


def _trail(parent: FoodCategory | None) -> list[FoodCategory]:
    """The drill-down path from 大类 to ``parent``."""
    if parent is None:
        return []
    ids = parent.ancestor_ids or [parent.id]
    found = queries.categories_by_id(read_session(), ids)
    return [found[i] for i in ids if i in found]


def _groupings() -> list[tuple[str, str]]:
    return [
        ("category", _("Food category")),
        ("district", _("District")),
        ("link", _("Sampling link")),
        ("month", _("Month")),
        ("quarter", _("Quarter")),
        ("year", _("Year")),
        ("lab", _("Lab")),
        ("sampler", _("Sampler")),
    ]


ANNOUNCEMENT_PAGE_SIZE = 50


@bp.route("/announcement")
@roles_required(Role.SUPERVISOR)
def announcement():
    """不合格产品信息 as a page: the published table, paged by sample id (``after``) with the
    serial carried on (``n``), filtered by period, plan and 大类 (``parent``)."""
    filters = _options()["filters"]
    after = request.args.get("after", 0, type=int)
    serial = request.args.get("n", 0, type=int)
    records = list(
        exports.announcement_records(
            read_session(),
            filters,
            current_app.config["LAB_NAME"],
            after=after,
            limit=ANNOUNCEMENT_PAGE_SIZE + 1,
        )
    )
    more = len(records) > ANNOUNCEMENT_PAGE_SIZE
    records = records[:ANNOUNCEMENT_PAGE_SIZE]
    filter_args = {**_filter_args(), **_category_arg()}
    next_args = None
    if more:
        next_args = {**filter_args, "after": records[-1]["sample_id"], "n": serial + len(records)}
    return render_template(
        "stats/announcement.html",
        records=records,
        first_serial=serial + 1,
        columns=exports.ANNOUNCEMENT_COLUMNS,
        title=exports.ANNOUNCEMENT_TITLE,
        declaration=exports.ANNOUNCEMENT_DECLARATION,
        filter_args=filter_args,
        next_args=next_args,
        categories=queries.top_categories(db.session),
        **_filter_choices(),
    )


@bp.route("/risk-notices")
@roles_required(Role.SUPERVISOR)
def risk_notices():
    """风险监测问题样品: the risk-monitoring samples with a result beyond its reference value,
    for the regulator's risk analysis (never published), paged by sample id."""
    filters = _options()["filters"]
    after = request.args.get("after", 0, type=int)
    serial = request.args.get("n", 0, type=int)
    records = list(
        exports.risk_notice_records(
            read_session(),
            filters,
            current_app.config["LAB_NAME"],
            after=after,
            limit=ANNOUNCEMENT_PAGE_SIZE + 1,
        )
    )
    more = len(records) > ANNOUNCEMENT_PAGE_SIZE
    records = records[:ANNOUNCEMENT_PAGE_SIZE]
    next_args = None
    if more:
        next_args = {
            **_filter_args(),
            "after": records[-1]["sample_id"],
            "n": serial + len(records),
        }
    return render_template(
        "stats/risk_notices.html",
        records=records,
        first_serial=serial + 1,
        columns=exports.RISK_NOTICE_COLUMNS,
        title=exports.RISK_NOTICE_TITLE,
        next_args=next_args,
        **_filter_choices(),
    )


def _category_arg() -> dict:
    parent = request.args.get("parent", "")
    return {"parent": parent} if parent.isdigit() else {}


@bp.route("/download/<kind>.<fmt>")
@roles_required(Role.SUPERVISOR)
def download(kind: str, fmt: str):
    if (kind, fmt) not in DOWNLOADS:
        abort(404)
    filters = _options()["filters"]
    lab_name = current_app.config["LAB_NAME"]
    name = f"{kind}-{clock.today():%Y%m%d}.{fmt}"
    if kind == "compliance":
        pdf = exports.compliance_pdf(
            read_session(),
            filters,
            lab_name=lab_name,
            font_path=current_app.config.get("PDF_FONT_PATH"),
        )
        return send_file(pdf, mimetype="application/pdf", as_attachment=True, download_name=name)
    # Downloads from the pages are for people: headers and values in the interface
    # language; the CSV starts with a BOM so that Excel reads it as UTF-8.
    labels = "en" if i18n.select_locale() == "en" else "zh"
    words = exports.value_labels(labels)
    if fmt == "csv":
        return Response(
            _csv_stream(kind, filters, lab_name, labels, words),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}"},
        )
    header, rows = exports.export_table(
        read_session(), kind, filters, default_lab=lab_name, labels=labels, words=words
    )
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes (removes) it
    exports.write_xlsx(
        spool,
        header,
        rows,
        title=kind,
        preamble=exports.export_preamble(kind),
        widths=exports.column_widths(kind),
    )
    spool.seek(0)
    return send_file(spool, mimetype=XLSX, as_attachment=True, download_name=name)


def _csv_stream(kind: str, filters, lab_name: str, labels: str, words: dict):
    """CSV chunks read through a session of their own: the response body is produced after
    the request (and its app context and session) has ended."""
    engine = read_engine()

    def generate():
        write_intent.set(False)  # read only: a plain BEGIN on SQLite, never the write lock
        with Session(engine) as session:  # the samples through COPY on PostgreSQL
            yield from exports.export_csv_chunks(
                session, kind, filters, default_lab=lab_name, labels=labels, words=words, bom=True
            )

    return generate()
