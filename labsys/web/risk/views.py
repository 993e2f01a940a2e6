"""Risk early warning pages (issue 17 §1, §4): the ranked signals with their evidence."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Role
from labsys.pdf import charts
from labsys.pdf.risk_charts import signal_chart
from labsys.services import risk
from labsys.web.access import roles_required
from labsys.web.forms import LabsysForm, service_errors
from labsys.web.risk import queries

bp = Blueprint("risk", __name__, url_prefix="/risk")
PAGE_LIMIT = 100  # signals drawn on one page (each with its chart)


@bp.route("/signals")
@roles_required(Role.SUPERVISOR)
def signal_list():
    scope = request.args.get("scope", "")
    kind = request.args.get("kind", "")
    show_all = request.args.get("all") == "1"
    found, open_now = queries.signals(db.session, scope=scope, kind=kind, show_all=show_all)
    shown = found[:PAGE_LIMIT]
    stored = risk.latest_signal_count(db.session)
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
        open_now=open_now,
        stored=stored,
        stale=open_now is not None
        and (stored is None or (stored.as_of, stored.open_count) != (clock.today(), open_now)),
        form=LabsysForm(),
    )


@bp.route("/signals/count", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def store_count():
    """Store today's open count for the dashboards (the page itself, a GET, writes nothing;
    ``labsys risk refresh`` does the same from cron)."""
    if LabsysForm().validate_on_submit():
        with service_errors():
            stored = risk.refresh_signal_count(
                db.session,
                current_user,
                risk.Settings.from_config(current_app.config),
                today=clock.today(),
            )
            flash(_("The dashboards now show %(n)d open signals.", n=stored.open_count), "success")
    return redirect(url_for("risk.signal_list"))


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
