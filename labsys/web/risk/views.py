"""Risk early warning pages (issue 17 §1, §4): the ranked signals with their evidence."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from labsys.extensions import db
from labsys.models import Role
from labsys.pdf import charts
from labsys.pdf.risk_charts import signal_chart
from labsys.services import risk
from labsys.web.access import roles_required
from labsys.web.risk import queries

bp = Blueprint("risk", __name__, url_prefix="/risk")
PAGE_LIMIT = 100  # signals drawn on one page (each with its chart)


@bp.route("/signals")
@roles_required(Role.SUPERVISOR)
def signal_list():
    scope = request.args.get("scope", "")
    kind = request.args.get("kind", "")
    show_all = request.args.get("all") == "1"
    found = queries.signals(
        db.session, scope=scope, kind=kind, show_all=show_all, actor=current_user
    )
    shown = found[:PAGE_LIMIT]
    return render_template(
        "risk/signals.html",
        signals=shown,
        total=len(found),
        charts=[
            charts.to_svg(
                signal_chart(
                    s.series,
                    s.window_start.strftime("%Y-%m"),
                    _("Unqualified rate by month"),
                )
            )
            for s in shown
        ],
        scopes=risk.SCOPES,
        kinds=queries.KINDS,
        scope=scope,
        kind=kind,
        show_all=show_all,
        scope_titles=scope_titles(),
        kind_titles=kind_titles(),
    )


def scope_titles() -> dict[str, str]:
    return {
        "category": _("Food category"),
        "district": _("District"),
        "district_category": _("District × food category"),
        "link": _("Sampling link"),
        "producer": _("Producer"),
        "unit": _("Sampled unit"),
        "test_item": _("Test item"),
    }


def kind_titles() -> dict[str, str]:
    return {
        "above_history": _("Above its history"),
        "above_peers": _("Above its peers"),
        "trend": _("Rising trend"),
        "repeat": _("Repeat failures"),
        "cross_district": _("Across districts"),
    }
