"""Unqualified follow-up: the list, one sample's follow-up (notification, retest, objections,
disposal: each shows only the step that is due), the deadline board and the list of retest
labs."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.extensions import db
from labsys.models import (
    Applicant,
    Conclusion,
    Disposal,
    DisposalStatus,
    Objection,
    ObjectionEffect,
    ObjectionKind,
    ObjectionStatus,
    Retest,
    RetestGround,
    RetestStatus,
    Role,
    Sample,
)
from labsys.services import disposals, esign, followup, objections, periods, retests, sampling
from labsys.web.access import roles_required
from labsys.web.followup import forms, queries
from labsys.web.forms import flash_form_errors, service_errors
from labsys.web.queues import queries as queue_queries
from labsys.web.queues import support as queue_support

bp = Blueprint("followup", __name__, url_prefix="/followup")
SUPERVISORS = (Role.SUPERVISOR,)  # an admin account only administers (issue 18 §1)


def _sample_or_404(sample_id: int) -> Sample:
    sample = db.session.get(Sample, sample_id)
    if sample is None or (
        sample.conclusion != Conclusion.UNQUALIFIED
        and not queries.has_followup(db.session, sample_id)
    ):
        abort(404)
    return sample


def _base_url() -> str:
    return current_app.config.get("BASE_URL") or request.url_root


@bp.route("/")
@roles_required(*SUPERVISORS)
def followup_list():
    """The unqualified samples, newest first or by their next deadline, with the work queues'
    search and filters."""
    filters, check = queue_support.current_filters()
    deadlines = followup.next_deadlines()
    page = queue_queries.queue_page(
        db.session,
        queries.followup_queue(filters.conditions(deadlines.c.due, check), deadlines),
        id_column=Sample.id,
        due_column=deadlines.c.due,
        filters=filters,
        after=request.args.get("after"),
        size=current_app.config["PAGE_SIZE"],
        newest_first=True,
    )
    page.items = followup.followup_rows(db.session, page.items)
    return render_template(
        "followup/list.html",
        page=page,
        filters=filters,
        choices=queue_support.choices(),
        check=check,
    )


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
        helps={k: followup.kind_help(k) for k in followup.DEADLINE_KINDS},
        followup_kinds=followup.FOLLOWUP_KINDS,
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


def _prefix(workflow: str, step: str, entity_id: int | None = None) -> str:
    """Each form on the page has its own prefix (its fields' ids are unique on the page)."""
    return f"{workflow}{entity_id or ''}-{step}"


def _step_forms(context: dict) -> dict:
    """The forms of the steps that are due, by (workflow, step[, id])."""
    built: dict = {
        ("notify",): forms.NotifyForm(prefix="notify"),
        ("retest", "apply"): forms.RetestApplicationForm(prefix=_prefix("retest", "apply")),
        ("objection", "file"): forms.ObjectionForm(prefix=_prefix("objection", "file")),
        ("disposal", "receive"): forms.ConclusionReceivedForm(
            prefix=_prefix("disposal", "receive")
        ),
    }
    retest = context["current_retest"]
    for step, (form_class, _action) in RETEST_STEPS.items():
        if retest is not None:
            built[("retest", step)] = form_class(prefix=_prefix("retest", step, retest.id))
    for objection in context["objections"]:
        for step, (form_class, _action) in OBJECTION_STEPS.items():
            built[("objection", step, objection.id)] = form_class(
                prefix=_prefix("objection", step, objection.id)
            )
    for step, (form_class, _action) in DISPOSAL_STEPS.items():
        built[("disposal", step)] = form_class(prefix=_prefix("disposal", step))
    return built


def _detail_page(sample: Sample, bound=None):
    """The follow-up page of ``sample``; ``bound`` (a posted step form that was refused) takes
    the place of its blank form, showing what was typed and the errors on their fields."""
    context = queries.detail_context(db.session, sample)
    step_forms = _step_forms(context)
    if bound is not None:
        for key, blank in step_forms.items():
            if blank._prefix == bound._prefix:
                step_forms[key] = bound
    record = context["record"]
    if record is not None and record.notified_on is not None:
        # The conclusion is not received before it was served (Art. 30; the service checks).
        received = step_forms[("retest", "apply")].conclusion_received_on
        received.render_kw = {**(received.render_kw or {}), "min": record.notified_on.isoformat()}
    return render_template(
        "followup/detail.html",
        sample=sample,
        forms=step_forms,
        supervision=followup.is_supervision(sample),
        setting=followup.setting,
        Conclusion=Conclusion,
        RetestStatus=RetestStatus,
        ObjectionStatus=ObjectionStatus,
        DisposalStatus=DisposalStatus,
        **context,
    )


@bp.route("/<int:sample_id>")
@roles_required(*SUPERVISORS)
def detail(sample_id: int):
    return _detail_page(_sample_or_404(sample_id))


def _run(sample_id: int, form, action: Callable[[Sample, object], object], anchor: str = ""):
    """Every step's POST: validate ``form``, run ``action(sample, form)`` (nothing it wrote
    stays when it is refused), flash and go back to the page at ``anchor``.  A refused form
    is shown again with its errors on its fields, and flashed with the field's label."""
    sample = _sample_or_404(sample_id)
    if form.validate_on_submit():
        with service_errors(form):
            action(sample, form)
            flash(_("Follow-up of %(no)s saved.", no=sample.sample_no), "success")
            return redirect(url_for("followup.detail", sample_id=sample_id) + anchor)
    flash_form_errors(form, labelled=True)  # at the top too: the form may be far below or gone
    return _detail_page(sample, form)


def _run_step(
    sample_id: int,
    steps: dict[str, tuple[type, Callable]],
    workflow: str,
    step: str,
    entity_id: int | None,
    entity_of: Callable[[Sample, int | None], object],
    anchor: str | None = None,
):
    """A later step of a workflow (``steps``: step → (form class, action on the workflow's
    record)): the record is ``entity_of(sample, entity_id)`` (404 when it is not the
    sample's); an unknown step is a 404."""
    if step not in steps:
        abort(404)
    form_class, action = steps[step]
    return _run(
        sample_id,
        form_class(prefix=_prefix(workflow, step, entity_id)),
        lambda s, f: action(entity_of(s, entity_id), f),
        anchor or f"#{workflow}",
    )


def _followup(sample: Sample):
    return followup.open_followup(db.session, sample, current_user)


@bp.route("/<int:sample_id>/notify", methods=["POST"])
@roles_required(*SUPERVISORS)
def notify(sample_id: int):
    return _run(
        sample_id,
        forms.NotifyForm(prefix="notify"),
        lambda s, f: followup.record_notification(
            db.session, current_user, _followup(s), f.notified_on.data
        ),
    )


# --- retest ----------------------------------------------------------------------------------


def _enum_or_none(enum_class, value):
    try:
        return enum_class(value) if value else None
    except ValueError:
        return None


def _retest_of(sample: Sample, retest_id: int) -> Retest:
    retest = db.session.get(Retest, retest_id)
    if retest is None or retest.sample_id != sample.id:
        abort(404)
    return retest


def _seal(value: str) -> bool | None:
    return {"intact": True, "broken": False}.get(value)


def _password_signature(form) -> esign.Signature | None:
    """The signature of the password typed, if any: a step that changes a reported record
    issues (or withdraws) a report, which the service refuses unsigned."""
    if not form.password.data:
        return None
    return esign.sign(current_user, form.password.data, esign.Meaning.APPROVAL, session=db.session)


RETEST_STEPS: dict[str, tuple[type, Callable]] = {
    "accept": (
        forms.DecisionForm,
        lambda r, f: retests.accept_retest(
            db.session, current_user, r, decided_on=f.decided_on.data
        ),
    ),
    "refuse": (
        forms.RetestRefusalForm,
        lambda r, f: retests.refuse_retest(
            db.session,
            current_user,
            r,
            decided_on=f.decided_on.data,
            ground=_enum_or_none(RetestGround, f.ground.data),
            note=f.note.data,
        ),
    ),
    "extend": (
        forms.LabExtensionForm,
        lambda r, f: retests.extend_lab_choice(db.session, current_user, r, reason=f.reason.data),
    ),
    "choose-lab": (
        forms.LabChoiceForm,
        lambda r, f: retests.choose_retest_lab(
            db.session, current_user, r, chosen_on=f.chosen_on.data
        ),
    ),
    "handover": (
        forms.HandoverForm,
        lambda r, f: retests.record_backup_handover(
            db.session,
            current_user,
            r,
            received_on=f.received_on.data,
            seal_intact=_seal(f.seal.data),
            seal_note=f.seal_note.data,
        ),
    ),
    "unusable": (
        forms.BackupUnusableForm,
        lambda r, f: retests.record_backup_unusable(
            db.session, current_user, r, on=f.on.data, note=f.note.data
        ),
    ),
    "result": (
        forms.RetestResultForm,
        lambda r, f: retests.record_retest_result(
            db.session,
            current_user,
            r,
            conclusion=_enum_or_none(Conclusion, f.conclusion.data),
            result=f.result.data,
            reported_on=f.reported_on.data,
            base_url=_base_url(),
            signature=_password_signature(f),
        ),
    ),
}


@bp.route("/<int:sample_id>/retests", methods=["POST"])
@roles_required(*SUPERVISORS)
def retest_apply(sample_id: int):
    return _run(
        sample_id,
        forms.RetestApplicationForm(prefix=_prefix("retest", "apply")),
        lambda s, f: retests.apply_for_retest(
            db.session,
            current_user,
            s,
            applicant=_enum_or_none(Applicant, f.applicant.data),
            applicant_name=f.applicant_name.data,
            conclusion_received_on=f.conclusion_received_on.data,
            applied_on=f.applied_on.data,
        ),
        "#retest",
    )


@bp.route("/<int:sample_id>/retests/<int:retest_id>/<step>", methods=["POST"])
@roles_required(*SUPERVISORS)
def retest_step(sample_id: int, retest_id: int, step: str):
    return _run_step(sample_id, RETEST_STEPS, "retest", step, retest_id, _retest_of)


# --- objections --------------------------------------------------------------------------------


def _objection_of(sample: Sample, objection_id: int) -> Objection:
    objection = db.session.get(Objection, objection_id)
    if objection is None or objection.sample_id != sample.id:
        abort(404)
    return objection


def _signature(form) -> esign.Signature | None:
    """A corrected report is an issued report: its approver signs it (password again); so is
    the withdrawal of an issued report (the service asks for it when there is one)."""
    if _enum_or_none(ObjectionEffect, form.effect.data) is not ObjectionEffect.CORRECTED:
        return _password_signature(form)
    return esign.sign(current_user, form.password.data, esign.Meaning.APPROVAL, session=db.session)


OBJECTION_STEPS: dict[str, tuple[type, Callable]] = {
    "accept": (
        forms.DecisionForm,
        lambda o, f: objections.accept_objection(
            db.session, current_user, o, decided_on=f.decided_on.data
        ),
    ),
    "refuse": (
        forms.ObjectionRefusalForm,
        lambda o, f: objections.refuse_objection(
            db.session, current_user, o, decided_on=f.decided_on.data, note=f.note.data
        ),
    ),
    "dismiss": (
        forms.ObjectionOutcomeForm,
        lambda o, f: objections.dismiss_objection(
            db.session, current_user, o, outcome_on=f.outcome_on.data, note=f.note.data
        ),
    ),
    "uphold": (
        forms.ObjectionUpholdForm,
        lambda o, f: objections.uphold_objection(
            db.session,
            current_user,
            o,
            outcome_on=f.outcome_on.data,
            note=f.note.data,
            effect=_enum_or_none(ObjectionEffect, f.effect.data),
            base_url=_base_url(),
            signature=_signature(f),
        ),
    ),
}


@bp.route("/<int:sample_id>/objections", methods=["POST"])
@roles_required(*SUPERVISORS)
def objection_file(sample_id: int):
    return _run(
        sample_id,
        forms.ObjectionForm(prefix=_prefix("objection", "file")),
        lambda s, f: objections.file_objection(
            db.session,
            current_user,
            s,
            kind=_enum_or_none(ObjectionKind, f.kind.data),
            applicant=_enum_or_none(Applicant, f.applicant.data),
            applicant_name=f.applicant_name.data,
            grounds=f.grounds.data,
            filed_on=f.filed_on.data,
        ),
        "#objections",
    )


@bp.route("/<int:sample_id>/objections/<int:objection_id>/<step>", methods=["POST"])
@roles_required(*SUPERVISORS)
def objection_step(sample_id: int, objection_id: int, step: str):
    return _run_step(
        sample_id, OBJECTION_STEPS, "objection", step, objection_id, _objection_of, "#objections"
    )


# --- disposal ----------------------------------------------------------------------------------


def _disposal_of(sample: Sample) -> Disposal:
    disposal = disposals.disposal_of(db.session, sample.id)
    if disposal is None:
        abort(404)
    return disposal


DISPOSAL_STEPS: dict[str, tuple[type, Callable]] = {
    "extend": (
        forms.DisposalExtensionForm,
        lambda d, f: disposals.extend_disposal(
            db.session,
            current_user,
            d,
            days=f.days.data,
            approved_by=f.approved_by.data,
            approved_on=f.approved_on.data,
            reason=f.reason.data,
        ),
    ),
    "milestone": (
        forms.MilestoneForm,
        lambda d, f: disposals.record_milestone(
            db.session, current_user, d, milestone=f.milestone.data, done_on=f.done_on.data
        ),
    ),
    "complete": (
        forms.DisposalCompletionForm,
        lambda d, f: disposals.complete_disposal(
            db.session,
            current_user,
            d,
            completed_on=f.completed_on.data,
            removed_quantity=f.removed_quantity.data,
            sealed_quantity=f.sealed_quantity.data,
            recalled_quantity=f.recalled_quantity.data,
            quantity_unit=f.quantity_unit.data,
            cause=f.cause.data,
            corrections=f.corrections.data,
            case_filed={"yes": True, "no": False}.get(f.case.data),
            case_no=f.case_no.data,
            penalty=f.penalty.data,
            penalty_amount=f.penalty_amount.data,
        ),
    ),
}


@bp.route("/<int:sample_id>/disposal", methods=["POST"])
@roles_required(*SUPERVISORS)
def disposal_receive(sample_id: int):
    return _run(
        sample_id,
        forms.ConclusionReceivedForm(prefix=_prefix("disposal", "receive")),
        lambda s, f: disposals.record_conclusion_received(
            db.session, current_user, s, received_on=f.received_on.data
        ),
        "#disposal",
    )


@bp.route("/<int:sample_id>/disposal/<step>", methods=["POST"])
@roles_required(*SUPERVISORS)
def disposal_step(sample_id: int, step: str):
    return _run_step(
        sample_id, DISPOSAL_STEPS, "disposal", step, None, lambda s, _id: _disposal_of(s)
    )


# --- the list of retest labs (复检机构名录), kept by the administrator -----------------------


@bp.route("/retest-labs", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def retest_labs():
    form = forms.RetestLabForm()
    if form.validate_on_submit():
        with service_errors(form):
            retests.set_retest_lab(
                db.session,
                current_user,
                code=form.code.data,
                name=form.name.data,
                active=form.active.data,
                note=form.note.data,
            )
            flash(_("The list of retest labs is saved."), "success")
            return redirect(url_for("followup.retest_labs"))
    return render_template(
        "followup/retest_labs.html",
        form=form,
        entries=retests.retest_labs(db.session),
    )
