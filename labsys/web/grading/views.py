"""Enterprise risk grades (issue 17 §2): the graded list, recomputing, the grading rules."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Enterprise, RiskGrade, Role
from labsys.services import grading
from labsys.web.access import roles_required
from labsys.web.enterprises import queries as enterprise_queries
from labsys.web.forms import LabsysForm, service_errors
from labsys.web.grading import queries
from labsys.web.grading.forms import error_fields, rules_form
from labsys.web.pagination import keyset_page

bp = Blueprint("grading", __name__, url_prefix="/risk")

# Who reads the grades and recomputes them; the rules are the administrator's.
READERS = (Role.SUPERVISOR, Role.ADMIN)


@bp.route("/grades")
@roles_required(*READERS)
def grade_list():
    grade = request.args.get("grade", "").strip().upper()
    region = request.args.get("region", "").strip()
    page = keyset_page(
        queries.graded_query(grade, region),
        Enterprise.id,
        after=request.args.get("after", type=int),
        descending=True,
    )
    the_rules = grading.rules(db.session)
    return render_template(
        "grading/grades.html",
        page=page,
        latest=grading.latest_changes(db.session, [e.id for e in page.items]),
        grade=grade,
        region=region,
        regions=enterprise_queries.regions(db.session),
        grades=list(RiskGrade),
        explain=lambda change: grading.explain(
            grading.reasons_from_json(change.reasons), the_rules.window_months
        ),
        form=LabsysForm(),
    )


@bp.route("/grades/recompute", methods=["POST"])
@roles_required(*READERS)
def recompute():
    form = LabsysForm()
    if form.validate_on_submit():
        with service_errors():
            done = grading.recompute(db.session, current_user, clock.today())
            flash(
                _(
                    "%(graded)d enterprises graded, %(changed)d grades changed.",
                    graded=done.graded,
                    changed=done.changed,
                ),
                "success",
            )
    return redirect(url_for("grading.grade_list"))


@bp.route("/grades/rules", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def rules_page():
    form = rules_form(grading.rules(db.session))
    if form.validate_on_submit():
        with service_errors(form, fields=error_fields()):
            grading.save_rules(db.session, current_user, form.values())
            flash(_("The grading rules are saved; recompute the grades to apply them."), "success")
            return redirect(url_for("grading.rules_page"))
    return render_template("grading/rules.html", form=form)
