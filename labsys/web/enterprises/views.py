"""Enterprises: list and search, create, edit, detail with sampling history, JSON lookup."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Enterprise, Region, RiskGrade, Role
from labsys.services import ConflictError, ServiceError, enterprises, grading
from labsys.web.access import login_required, roles_required
from labsys.web.enterprises import queries
from labsys.web.enterprises.forms import EnterpriseEditForm, EnterpriseForm
from labsys.web.forms import service_errors
from labsys.web.grading.forms import ClearHandGradeForm, HandGradeForm
from labsys.web.pagination import keyset_page

bp = Blueprint("enterprises", __name__, url_prefix="/enterprises")

# Who registers and corrects enterprises; everyone logged in may look them up.
EDITORS = (Role.SAMPLER, Role.SUPERVISOR, Role.ADMIN)
LOOKUP_LIMIT = 20
QUICK_PREFIX = "new"  # the sampling form's dialog: its fields apart from the visit's


def _enterprise_or_404(enterprise_id: int) -> Enterprise:
    return db.session.get(Enterprise, enterprise_id) or abort(404)


def _regions() -> list[Region]:
    return queries.regions(db.session)


@bp.route("/")
@login_required
def enterprise_list():
    q = request.args.get("q", "").strip()
    region = request.args.get("region", "").strip()
    risk = request.args.get("risk", "").strip()
    page = keyset_page(
        queries.enterprise_list_query(q, region, risk),
        Enterprise.id,
        after=request.args.get("after", type=int),
        descending=True,
    )
    history = enterprises.sampling_history(db.session, [e.id for e in page.items], clock.today())
    return render_template(
        "enterprises/list.html",
        page=page,
        history=history,
        q=q,
        region=region,
        risk=risk,
        regions=_regions(),
        grades=list(RiskGrade),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def enterprise_create():
    form = EnterpriseForm()
    if form.validate_on_submit():
        with service_errors(form):
            enterprise = enterprises.create_enterprise(
                db.session, current_user, **form.service_fields()
            )
            flash(_("Enterprise %(name)s added.", name=enterprise.name), "success")
            return redirect(url_for("enterprises.enterprise_detail", enterprise_id=enterprise.id))
    return render_template(
        "enterprises/form.html", form=form, enterprise=None, regions=_regions(), current=None
    )


@bp.route("/<int:enterprise_id>")
@login_required
def enterprise_detail(enterprise_id: int):
    enterprise = _enterprise_or_404(enterprise_id)
    history = enterprises.sampling_history(db.session, [enterprise.id], clock.today())
    samples = enterprises.recent_samples(db.session, enterprise.id, **_sample_scope())
    return render_template(
        "enterprises/detail.html",
        enterprise=enterprise,
        history=history[enterprise.id],
        samples=samples,
        grading=_grading_panel(enterprise),
    )


def _grading_panel(enterprise: Enterprise) -> dict | None:
    """The risk grade by today's rules and its recorded history (supervisors, admins)."""
    if not current_user.has_role(Role.SUPERVISOR, Role.ADMIN):
        return None
    window = grading.rules(db.session).window_months
    today = clock.today()
    history = grading.grade_history(db.session, enterprise.id)
    held = grading.hand_grades(db.session, today, [enterprise.id]).get(enterprise.id)
    supervisor = current_user.has_role(Role.SUPERVISOR)
    current = enterprise.risk_grade.value if enterprise.risk_grade else None
    return {
        "now": grading.grade_enterprises(db.session, today, [enterprise.id]).get(enterprise.id),
        "history": history,
        "explain": lambda reasons: grading.explain(reasons, window),
        "why": lambda change: grading.change_reason(change, window),
        # The grade set by hand in force (the latest change), if any.
        "by_hand": history[0] if held else None,
        "hand_form": HandGradeForm(data={"grade": current}) if supervisor else None,
        "clear_form": ClearHandGradeForm() if supervisor else None,
    }


# Who sees every sample taken at an enterprise (the lab and the supervisors, as on the sample
# pages); a sampler sees their own team's; anyone else none.
ALL_SAMPLES = (Role.SUPERVISOR, Role.TECHNICIAN, Role.REVIEWER)


def _sample_scope() -> dict:
    if current_user.has_role(*ALL_SAMPLES):
        return {}
    if current_user.has_role(Role.SAMPLER):
        return {"team_member": current_user}
    return {"limit": 0}


@bp.route("/<int:enterprise_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def enterprise_edit(enterprise_id: int):
    enterprise = _enterprise_or_404(enterprise_id)
    form = EnterpriseEditForm(
        obj=enterprise,
        data={"version": enterprise.version_id},
    )
    current = None
    if form.validate_on_submit():
        with service_errors(form):
            try:
                enterprises.update_enterprise(
                    db.session,
                    current_user,
                    enterprise,
                    _int(form.version.data),
                    **form.service_fields(),
                )
            except ConflictError as error:
                flash(error.message, "warning")
                current = error.current
                # Saving again now overwrites what is shown, on purpose.
                form.version.data = _enterprise_or_404(enterprise_id).version_id
            else:
                flash(_("Enterprise %(name)s saved.", name=enterprise.name), "success")
                return redirect(
                    url_for("enterprises.enterprise_detail", enterprise_id=enterprise.id)
                )
    return render_template(
        "enterprises/form.html",
        form=form,
        regions=_regions(),
        enterprise=_enterprise_or_404(enterprise_id),
        current=current,
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # an unreadable version never matches: shown as a conflict


@bp.route("/quick", methods=["POST"])
@roles_required(*EDITORS)
def quick_create():
    """Register an enterprise from inside the sampling form (a dialog; JSON in and out), so
    the batches already typed stay on the page: ``{"id", "name", "label"}``, or 400 with the
    errors by field."""
    form = EnterpriseForm(prefix=QUICK_PREFIX)
    if not form.validate_on_submit():
        return jsonify({"errors": form.errors}), 400
    try:
        enterprise = enterprises.create_enterprise(
            db.session, current_user, **form.service_fields()
        )
    except ServiceError as error:  # the writer's savepoint is rolled back; 400 rolls back
        return jsonify({"errors": {error.field or "": [error.message]}}), 400
    return jsonify(
        {
            "id": enterprise.id,
            "name": enterprise.name,
            "label": f"{enterprise.name} [#{enterprise.id}]",
        }
    )


@bp.route("/lookup")
@roles_required(*EDITORS)
def lookup():
    """JSON for the sampling form's enterprise pickers (sampled unit, labelled producer)."""
    found = enterprises.search(db.session, request.args.get("q", ""), limit=LOOKUP_LIMIT)
    history = enterprises.sampling_history(db.session, [e.id for e in found], clock.today())
    regions = queries.region_names(db.session, (e.region_code for e in found if e.region_code))
    return jsonify(
        [
            {
                "id": e.id,
                "name": e.name,
                "address": e.address,
                "uscc": e.uscc,
                "region_code": e.region_code,
                "region_name": regions.get(e.region_code),
                "licence_no": e.licence_no,
                "risk_grade": e.risk_grade.value if e.risk_grade else None,
                "history": {
                    "year": history[e.id].this_year,
                    "last_30_days": history[e.id].last_30_days,
                },
            }
            for e in found
        ]
    )
