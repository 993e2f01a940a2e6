"""Enterprise risk grades (issue 17 §2): the graded list, recomputing, the grading rules."""

from __future__ import annotations

import tempfile
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Enterprise, PlanProposal, ProposalQuota, RiskGrade, Role
from labsys.services import briefing, grading, proposals
from labsys.web.access import roles_required
from labsys.web.enterprises import queries as enterprise_queries
from labsys.web.forms import LabsysForm, flash_form_errors, service_errors
from labsys.web.grading import queries
from labsys.web.grading.forms import (
    AcceptForm,
    BacktestForm,
    ClearHandGradeForm,
    HandGradeForm,
    ProposalForm,
    QuotaEditForm,
    error_fields,
    rules_form,
)
from labsys.web.pagination import keyset_page

bp = Blueprint("grading", __name__, url_prefix="/risk")

# Who reads the grades and recomputes them; the rules are the administrator's, who reads the
# grades only when also a supervisor (issue 18 §1: the administrator administers).
READERS = (Role.SUPERVISOR,)


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
        explain=lambda change: grading.change_reason(change, the_rules.window_months),
        form=LabsysForm(),
    )


@bp.route("/grades/recompute", methods=["POST"])
@roles_required(*READERS)
def recompute():
    form = LabsysForm()
    if form.validate_on_submit():
        with service_errors():
            done = grading.recompute(db.session, current_user, clock.today())
            flash(done.message(), "success")
    return redirect(url_for("grading.grade_list"))


def _enterprise_or_404(enterprise_id: int) -> Enterprise:
    return db.session.get(Enterprise, enterprise_id) or abort(404)


def _back_to(enterprise: Enterprise):
    return redirect(
        url_for("enterprises.enterprise_detail", enterprise_id=enterprise.id, _anchor="risk-grade")
    )


@bp.route("/grades/<int:enterprise_id>/by-hand", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def set_by_hand(enterprise_id: int):
    """Set the enterprise's grade by hand, with the reason (the enterprise page's form)."""
    enterprise = _enterprise_or_404(enterprise_id)
    form = HandGradeForm()
    if form.validate_on_submit():
        with service_errors():
            grading.set_grade_by_hand(
                db.session,
                current_user,
                enterprise,
                grade=form.grade.data,
                reason=form.reason.data,
                hold_until=form.hold_until.data,
                today=clock.today(),
            )
            flash(_("Grade %(grade)s set by hand.", grade=form.grade.data), "success")
    else:
        flash_form_errors(form, labelled=True)
    return _back_to(enterprise)


@bp.route("/grades/<int:enterprise_id>/by-hand/clear", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def clear_by_hand(enterprise_id: int):
    """End the grade set by hand: the rules grade the enterprise again, now."""
    enterprise = _enterprise_or_404(enterprise_id)
    form = ClearHandGradeForm()
    if form.validate_on_submit():
        with service_errors():
            change = grading.clear_grade_by_hand(
                db.session, current_user, enterprise, reason=form.reason.data, today=clock.today()
            )
            flash(
                _("Cleared: by the rules the grade is %(grade)s.", grade=change.grade.value),
                "success",
            )
    else:
        flash_form_errors(form, labelled=True)
    return _back_to(enterprise)


@bp.route("/grades/rules", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def rules_page():
    form = rules_form(grading.rules(db.session))
    if form.validate_on_submit():
        with service_errors(form, fields=error_fields()):
            grading.save_rules(db.session, current_user, form.values())
            flash(
                _(
                    "The grading rules are saved; they apply when a supervisor next recomputes the grades."
                ),
                "success",
            )
            return redirect(url_for("grading.rules_page"))
    return render_template("grading/rules.html", form=form)


# --- risk-based plan proposals (the planners: supervisors) ----------------------------------


def _proposal_or_404(proposal_id: int) -> PlanProposal:
    return db.session.get(PlanProposal, proposal_id) or abort(404)


@bp.route("/proposals", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def proposal_list():
    form = ProposalForm()
    if form.validate_on_submit():
        with service_errors(form):
            proposal = proposals.create_proposal(
                db.session,
                current_user,
                name=form.name.data,
                period_start=form.period_start.data,
                period_end=form.period_end.data,
                total=form.total.data,
                min_per_category=form.min_per_category.data,
            )
            return redirect(url_for("grading.proposal_detail", proposal_id=proposal.id))
    page = keyset_page(
        queries.proposals_query(),
        PlanProposal.id,
        after=request.args.get("after", type=int),
        descending=True,
    )
    return render_template("grading/proposals.html", page=page, form=form)


@bp.route("/proposals/<int:proposal_id>")
@roles_required(Role.SUPERVISOR)
def proposal_detail(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    backtest_form = BacktestForm(request.args)
    backtest = None
    if request.args and backtest_form.validate():
        with service_errors(backtest_form, fields={None: "first"}):
            backtest = proposals.run_backtest(
                db.session,
                first=backtest_form.first.data,
                last=backtest_form.last.data,
                minimum=proposal.min_per_category,
            )
    visits = proposals.visits_to_propose(db.session)
    return render_template(
        "grading/proposal.html",
        proposal=proposal,
        quotas=queries.proposal_quotas(db.session, proposal),
        visits=visits,
        backtest=backtest,
        backtest_form=backtest_form,
        accept_form=AcceptForm(seen=proposals.fingerprint(proposal, visits)),
        quota_form=QuotaEditForm(),
        form=LabsysForm(),
    )


@bp.route("/proposals/quotas/<int:quota_id>", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def proposal_quota_edit(quota_id: int):
    quota = db.session.get(ProposalQuota, quota_id) or abort(404)
    form = QuotaEditForm()
    if form.validate_on_submit():
        with service_errors():
            proposals.set_proposal_quota(db.session, current_user, quota, form.quota.data)
    else:
        flash(_("The quota is a whole number of batches, zero or more."), "danger")
    return redirect(url_for("grading.proposal_detail", proposal_id=quota.proposal_id))


@bp.route("/proposals/<int:proposal_id>/accept", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def proposal_accept(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    form = AcceptForm()
    if form.validate_on_submit():
        with service_errors():
            plan = proposals.accept_proposal(
                db.session, current_user, proposal, code=form.code.data, seen=form.seen.data
            )
            flash(_("Plan %(code)s made from the proposal.", code=plan.code), "success")
            return redirect(url_for("planning.plan_detail", plan_id=plan.id))
    else:
        flash(_("Enter the plan code (and accept from the proposal's page)."), "danger")
    return redirect(url_for("grading.proposal_detail", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/discard", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def proposal_discard(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    if LabsysForm().validate_on_submit():
        with service_errors():
            proposals.discard_proposal(db.session, current_user, proposal)
    return redirect(url_for("grading.proposal_detail", proposal_id=proposal.id))


# --- the weekly briefing ----------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _briefing_day():
    text = request.args.get("date", "")
    try:
        return date.fromisoformat(text) if text else clock.today()
    except ValueError:
        abort(400)


@bp.route("/briefing.<any(pdf, xlsx):fmt>")
@roles_required(*READERS)
def briefing_download(fmt: str):
    day = _briefing_day()
    lab_name = current_app.config["LAB_NAME"]
    name = f"risk-briefing-{day:%Y%m%d}.{fmt}"
    if fmt == "pdf":
        pdf = briefing.briefing_pdf(
            db.session, lab_name, day, current_app.config.get("PDF_FONT_PATH")
        )
        return send_file(pdf, mimetype="application/pdf", as_attachment=True, download_name=name)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes (removes) it
    briefing.briefing_xlsx(db.session, spool, lab_name, day)
    spool.seek(0)
    return send_file(spool, mimetype=XLSX, as_attachment=True, download_name=name)
