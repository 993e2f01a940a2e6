"""The start page: each role's to-do counts, linking to the filtered queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from labsys.core import clock
from labsys.extensions import db
from labsys.models import RiskSignalCount, Role
from labsys.services import planning, risk, sampling, stats
from labsys.web.access import login_required
from labsys.web.queues import queries

bp = Blueprint("home", __name__)


@dataclass
class Tile:
    """One to-do count of the dashboard and the queue it opens (overdue / due-soon links
    open the same queue filtered, most urgent first)."""

    key: str
    label: object
    endpoint: str
    todo: queries.Todo

    def url(self, due: str = "") -> str:
        if due:
            return url_for(self.endpoint, due=due, sort="due")
        return url_for(self.endpoint, sort="due")


@bp.route("/")
@login_required
def index():
    check = sampling.deadline_check(db.session)
    tiles: list[Tile] = []
    user = current_user
    supervisor = user.has_role(Role.SUPERVISOR)
    # Each count once: a supervisor's overview reuses the tiles' counts.
    lab_counts = user.has_role(Role.TECHNICIAN) or supervisor
    receipt = queries.todo_receipt(db.session, check) if lab_counts else None
    testing = queries.todo_testing(db.session, check) if lab_counts else None
    reports = queries.todo_reports(db.session, check) if supervisor else None
    if user.has_role(Role.TECHNICIAN):
        assert receipt is not None and testing is not None
        tiles.append(Tile("receive", _l("To receive"), "receipt.index", receipt))
        tiles.append(Tile("test", _l("To test"), "results.my_work", testing))
    if user.has_role(Role.REVIEWER):
        tiles.append(
            Tile(
                "review",
                _l("To review"),
                "results.review_queue",
                queries.todo_review(db.session, user, check),
            )
        )
    overview = None
    if supervisor:
        assert receipt is not None and testing is not None and reports is not None
        tiles.append(Tile("issue", _l("To issue"), "reports.queue", reports))
        overview = _supervisor_overview(check, receipt, testing, reports)
    tasks = []
    if user.has_role(Role.SAMPLER):
        tasks = planning.tasks_for_sampler(db.session, user)
    return render_template(
        "home/index.html",
        tiles=tiles,
        overview=overview,
        tasks=tasks,
        progress=planning.task_progress(db.session, [t.id for t in tasks]) if tasks else {},
        check=check,
        today=clock.today(),
    )


@dataclass
class Overview:
    """What a supervisor watches: every deadline overdue in the lab, the unqualified
    samples still without a report, and this year's key-food pass rate."""

    receipt: queries.Todo
    testing: queries.Todo
    reports: queries.Todo
    unqualified_waiting: int
    key_foods: stats.StatsResult
    year: int
    # The open risk signals as last computed in full (None: never): one read of a stored
    # row, so the page's statement count does not depend on the signals (services.risk).
    risk_signals: RiskSignalCount | None = None

    @property
    def overdue(self) -> int:
        return self.receipt.overdue + self.testing.overdue + self.reports.overdue


def _supervisor_overview(
    check: sampling.DeadlineCheck,
    receipt: queries.Todo,
    testing: queries.Todo,
    reports: queries.Todo,
) -> Overview:
    year = check.today.year
    # The calendar year (whole months): the indicator sums the month rows of the rollups.
    year_filter = stats.StatsFilter(date_from=date(year, 1, 1), date_to=date(year, 12, 31))
    return Overview(
        receipt=receipt,
        testing=testing,
        reports=reports,
        unqualified_waiting=queries.unqualified_without_report(db.session),
        key_foods=stats.key_food_indicator(db.session, year_filter),
        year=year,
        risk_signals=risk.latest_signal_count(db.session),
    )
