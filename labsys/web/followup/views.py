"""Unqualified follow-up: the list, one sample's follow-up with a form per step, and the
deadline board."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.extensions import db
from labsys.models import Conclusion, Lab, ObjectionKind, Role, Sample
from labsys.services import followup, periods, reference, sampling
from labsys.web.access import roles_required
from labsys.web.followup import forms, queries
from labsys.web.forms import service_errors

bp = Blueprint("followup", __name__, url_prefix="/followup")
SUPERVISORS = (Role.SUPERVISOR,)  # an admin account only administers (issue 18 §1)


def _sample_or_404(sample_id: int) -> Sample:
    sample = db.session.get(Sample, sample_id)
    if sample is None or (
        sample.conclusion != Conclusion.UNQUALIFIED and not _has_followup(sample_id)
    ):
        abort(404)
    return sample


def _has_followup(sample_id: int) -> bool:
    return queries.has_followup(db.session, sample_id)


def _labs() -> list:
    return forms.choices((lab.id, lab.name) for lab in reference.labs(db.session))


def _step_forms() -> dict:
    retest = forms.RetestRequestForm()
    retest.lab_id.choices = [*forms.choices([(0, "—")]), *_labs()]
    return {
        "notify": forms.NotifyForm(),
        "retest": retest,
        "backup": forms.BackupReceivedForm(),
        "result": forms.RetestResultForm(),
        "objection": forms.ObjectionForm(),
        "disposal": forms.DisposalStartForm(),
        "disposal_step": forms.DisposalStepForm(),
    }


@bp.route("/")
@roles_required(*SUPERVISORS)
def followup_list():
    after = request.args.get("after", type=int)
    rows = followup.followup_list(db.session, after=after, size=51)
    next_after = rows[49][0].id if len(rows) > 50 else None
    return render_template("followup/list.html", rows=rows[:50], next_after=next_after)


@bp.route("/board")
@roles_required(*SUPERVISORS)
def board():
    kind = request.args.get("kind")
    kind = kind if kind in followup.DEADLINE_KINDS else None
    after = followup.parse_board_key(request.args.get("after")) if kind else None
    board = followup.deadline_board(db.session, kind=kind, after=after)
    return render_template(
        "followup/board.html",
        board=board,
        kind=kind,
        after=after,
        horizon=followup.setting("DEADLINE_HORIZON_WORKDAYS"),
        helps={k: periods.PERIODS[p].help for k, p in followup.KIND_PERIODS.items()},
    )


@bp.route("/periods")
@roles_required(*SUPERVISORS)
def period_list():
    """Every statutory period: its setting, value, unit and the article that sets it."""
    return render_template(
        "followup/periods.html", periods=list(periods.PERIODS.values()), units=periods.UNITS
    )


@bp.route("/delivery/<int:sample_id>/extend", methods=["GET", "POST"])
@roles_required(*SUPERVISORS)
def extend_delivery(sample_id: int):
    """A delivery extension approved by the regulator (Order No. 15 Art. 20 ¶1, verify)."""
    sample = db.session.get(Sample, sample_id) or abort(404)
    form = forms.DeliveryExtensionForm()
    if form.validate_on_submit():
        with service_errors(form):
            sampling.extend_delivery(
                db.session,
                current_user,
                sample,
                workdays=form.workdays.data,
                reason=form.reason.data,
            )
            flash(
                _(
                    "Sample %(no)s is now due at the lab on %(day)s.",
                    no=sample.sample_no,
                    day=sample.due_delivery.isoformat(),
                ),
                "success",
            )
            return redirect(url_for("followup.board"))
    return render_template(
        "followup/extend_delivery.html",
        sample=sample,
        form=form,
        help=periods.PERIODS["DELIVERY_EXTENSION_MAX_WORKDAYS"].help,
    )


@bp.route("/<int:sample_id>")
@roles_required(*SUPERVISORS)
def detail(sample_id: int):
    sample = _sample_or_404(sample_id)
    record = queries.followup_of(db.session, sample.id)
    return render_template(
        "followup/detail.html",
        sample=sample,
        record=record,
        forms=_step_forms(),
        first_lab=db.session.get(Lab, followup.first_lab_id(db.session, sample) or 0),
    )


def _run_step(sample_id: int, form, action):
    """Validate ``form``, open the follow-up if needed, run ``action(record, form)``."""
    sample = _sample_or_404(sample_id)
    if form.validate_on_submit():
        with service_errors():
            record = followup.open_followup(db.session, sample, current_user)
            action(record, form)
            flash(_("Follow-up of %(no)s saved.", no=sample.sample_no), "success")
    else:
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "danger")
    return redirect(url_for("followup.detail", sample_id=sample_id))


@bp.route("/<int:sample_id>/notify", methods=["POST"])
@roles_required(*SUPERVISORS)
def notify(sample_id: int):
    return _run_step(
        sample_id,
        forms.NotifyForm(),
        lambda r, f: followup.record_notification(db.session, current_user, r, f.notified_on.data),
    )


@bp.route("/<int:sample_id>/retest", methods=["POST"])
@roles_required(*SUPERVISORS)
def retest(sample_id: int):
    form = forms.RetestRequestForm()
    form.lab_id.choices = _labs()
    return _run_step(
        sample_id,
        form,
        lambda r, f: followup.request_retest(
            db.session, current_user, r, requested_on=f.requested_on.data, lab_id=f.lab_id.data
        ),
    )


@bp.route("/<int:sample_id>/backup", methods=["POST"])
@roles_required(*SUPERVISORS)
def backup(sample_id: int):
    return _run_step(
        sample_id,
        forms.BackupReceivedForm(),
        lambda r, f: followup.record_backup_received(
            db.session, current_user, r, f.received_on.data
        ),
    )


@bp.route("/<int:sample_id>/retest-result", methods=["POST"])
@roles_required(*SUPERVISORS)
def retest_result(sample_id: int):
    return _run_step(
        sample_id,
        forms.RetestResultForm(),
        lambda r, f: followup.record_retest_result(
            db.session,
            current_user,
            r,
            conclusion=Conclusion(f.conclusion.data),
            result=f.result.data,
            reported_on=f.reported_on.data,
        ),
    )


@bp.route("/<int:sample_id>/objection", methods=["POST"])
@roles_required(*SUPERVISORS)
def objection(sample_id: int):
    return _run_step(
        sample_id,
        forms.ObjectionForm(),
        lambda r, f: followup.record_objection(
            db.session,
            current_user,
            r,
            kind=ObjectionKind(f.kind.data),
            filed_on=f.filed_on.data,
            outcome=f.outcome.data,
        ),
    )


@bp.route("/<int:sample_id>/disposal", methods=["POST"])
@roles_required(*SUPERVISORS)
def disposal(sample_id: int):
    return _run_step(
        sample_id,
        forms.DisposalStartForm(),
        lambda r, f: followup.start_disposal(db.session, current_user, r, f.started_on.data),
    )


@bp.route("/<int:sample_id>/disposal-step", methods=["POST"])
@roles_required(*SUPERVISORS)
def disposal_step(sample_id: int):
    return _run_step(
        sample_id,
        forms.DisposalStepForm(),
        lambda r, f: followup.record_disposal_step(
            db.session,
            current_user,
            r,
            step=f.step.data,
            done_on=f.done_on.data,
            notes=f.notes.data,
        ),
    )
