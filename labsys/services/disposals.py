"""核查处置 (disposal) of an unqualified supervision sample: SAMR Order No. 15 (2019) Art. 45.

From memory of the Order *(verify; a public table of its limits lists Art. 45 under 核查处置,
its text not read)*: the regulator completes the disposal of the unqualified
food within 90 days of receiving the unqualified conclusion; a longer period is approved in
writing by the head of the responsible regulator.  The clock therefore starts with a
recorded event — the regulator's receipt of the issued report — never a typed start date.

The milestones at 5 and 30 days are the national platform's practice, not the Order: they
are settings (``DISPOSAL_MILESTONE_DAYS``) and the pages label them so.  The outcome records
下架 (removed from sale), 封存 (sealed) and 召回 (recalled) quantities, the cause, the
corrections, whether a case was filed (立案) and the penalty.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.models import (
    Conclusion,
    Disposal,
    DisposalExtension,
    DisposalStatus,
    FollowUp,
    Report,
    ReportStatus,
    Role,
    Sample,
    User,
)
from labsys.services import calendar as workcal
from labsys.services import lifecycle, periods
from labsys.services.access import writes
from labsys.services.errors import ServiceError
from labsys.services.followup import _step as step
from labsys.services.followup import disposal_date, is_supervision, require

MILESTONES = {"first": "first_done_on", "second": "second_done_on"}
MAX_EXTENSION_DAYS = 365


def disposal_of(session: Session, sample_id: int) -> Disposal | None:
    return session.scalar(select(Disposal).where(Disposal.sample_id == sample_id))


def _not_after_today(day: date, field: str) -> None:
    if day > clock.today():
        raise ServiceError(_("The date cannot be in the future."), field=field)


def unqualified_report(session: Session, sample: Sample) -> Report | None:
    """The issued (current) report carrying the unqualified conclusion."""
    return session.scalar(
        select(Report).where(
            Report.sample_id == sample.id,
            Report.status == ReportStatus.ISSUED,
            Report.conclusion == Conclusion.UNQUALIFIED,
        )
    )


@writes(Role.SUPERVISOR)
def record_conclusion_received(
    session: Session, actor: User, sample: Sample, *, received_on: date
) -> Disposal:
    """Art. 45: the regulator received the unqualified conclusion (its issued report): the
    disposal and its 90 days start that day."""
    if not is_supervision(sample):
        raise ServiceError(
            _("Art. 45: the disposal follows an unqualified supervision (监督抽检) conclusion.")
        )
    report = unqualified_report(session, sample)
    if sample.conclusion != Conclusion.UNQUALIFIED or report is None:
        raise ServiceError(
            _(
                "Art. 45: the disposal starts when the regulator receives the unqualified "
                "conclusion: sample %(no)s has no issued unqualified report.",
                no=sample.sample_no,
            )
        )
    existing = disposal_of(session, sample.id)
    if existing is not None:
        raise ServiceError(
            _(
                "Art. 45: the regulator's receipt of sample %(no)s is already recorded; its "
                "disposal is “%(state)s”.",
                no=sample.sample_no,
                state=existing.status.title,
            )
        )
    require(received_on, _("Enter the date the regulator received the conclusion."), "received_on")
    issued = clock.local_date(report.issued_at)
    if received_on < issued:
        raise ServiceError(
            _(
                "The conclusion cannot be received before its report was issued (%(day)s).",
                day=issued.isoformat(),
            ),
            field="received_on",
        )
    _not_after_today(received_on, "received_on")
    disposal = Disposal(sample=sample, report_id=report.id, received_on=received_on)
    lifecycle.create(
        session,
        actor,
        disposal,
        "receive",
        on=received_on,
        new={"sample_id": sample.id, "report_no": report.report_no, "received_on": received_on},
    )
    _restart_service_clock(session, sample, received_on)
    return disposal


def _restart_service_clock(session: Session, sample: Sample, received_on: date) -> None:
    """The regulator serves the report and the notice of results within 5 working days of
    receiving the unqualified conclusion (Order No. 15 Art. 29, verify): until that receipt
    is recorded the clock counts from the report's issue (the day the lab sends it); once it
    is, from the recorded day.  Nothing moves once the sampled unit has been served."""
    served = session.scalar(
        select(FollowUp.id).where(
            FollowUp.sample_id == sample.id, FollowUp.notified_on.is_not(None)
        )
    )
    if served is not None or sample.due_service is None:
        return
    sample.due_service = workcal.add_workdays(
        session, received_on, periods.value("SERVICE_WORKDAYS")
    )


@writes(Role.SUPERVISOR)
def extend_disposal(
    session: Session,
    actor: User,
    disposal: Disposal,
    *,
    days: int | None,
    approved_by: str,
    approved_on: date,
    reason: str,
) -> DisposalExtension:
    """Art. 45: an extension approved in writing by the head of the regulator."""
    lifecycle.check(actor, disposal, "extend")
    if not isinstance(days, int) or not 0 < days <= MAX_EXTENSION_DAYS:
        raise ServiceError(
            _("Enter the extension in days (1 to %(n)s).", n=MAX_EXTENSION_DAYS), field="days"
        )
    approved_by, reason = (approved_by or "").strip(), (reason or "").strip()
    require(approved_by, _("Art. 45: name the head who approved the extension."), "approved_by")
    require(reason, _("Give the reason for the extension."), "reason")
    require(approved_on, _("Enter the date of the approval."), "approved_on")
    if approved_on < disposal.received_on:
        raise ServiceError(
            _("The approval cannot come before the disposal started."), field="approved_on"
        )
    _not_after_today(approved_on, "approved_on")
    previous = disposal.due or disposal.received_on
    new_due = disposal_date(session, previous, days)
    extension = DisposalExtension(
        disposal=disposal,
        days=days,
        approved_by=approved_by[:100],
        approved_on=approved_on,
        reason=reason,
        previous_due=previous,
        new_due=new_due,
        recorded_by_id=actor.id,
    )
    session.add(extension)
    step(
        session,
        actor,
        disposal,
        "extend",
        {"due": new_due},
        reason=_(
            "Extension of %(n)s days approved by %(who)s: %(why)s",
            n=days,
            who=approved_by,
            why=reason,
        ),
    )
    return extension


@writes(Role.SUPERVISOR)
def record_milestone(
    session: Session, actor: User, disposal: Disposal, *, milestone: str, done_on: date
) -> Disposal:
    """A milestone of the national platform's practice (not Order No. 15) reached."""
    lifecycle.check(actor, disposal, "milestone")
    if milestone not in MILESTONES:
        raise ServiceError(_("Unknown milestone."), field="milestone")
    require(done_on, _("Enter the date."), "done_on")
    if done_on < disposal.received_on:
        raise ServiceError(_("The date cannot be before the disposal started."), field="done_on")
    _not_after_today(done_on, "done_on")
    return step(session, actor, disposal, "milestone", {MILESTONES[milestone]: done_on})


def _quantity(text: str | None, field: str) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise ServiceError(_("Enter a number of 0 or more."), field=field)
    return text[:30]


@writes(Role.SUPERVISOR)
def complete_disposal(
    session: Session,
    actor: User,
    disposal: Disposal,
    *,
    completed_on: date,
    removed_quantity: str | None = None,
    sealed_quantity: str | None = None,
    recalled_quantity: str | None = None,
    quantity_unit: str | None = None,
    cause: str,
    corrections: str,
    case_filed: bool | None,
    case_no: str | None = None,
    penalty: str | None = None,
    penalty_amount: str | None = None,
) -> Disposal:
    """Art. 45: the disposal is complete: what was done with the product, why it failed, how
    the business corrected it, and the enforcement (立案, penalty)."""
    lifecycle.check(actor, disposal, "complete")
    require(completed_on, _("Enter the date the disposal was completed."), "completed_on")
    if completed_on < disposal.received_on:
        raise ServiceError(
            _("The date cannot be before the disposal started."), field="completed_on"
        )
    _not_after_today(completed_on, "completed_on")
    quantities = {
        "removed_quantity": _quantity(removed_quantity, "removed_quantity"),
        "sealed_quantity": _quantity(sealed_quantity, "sealed_quantity"),
        "recalled_quantity": _quantity(recalled_quantity, "recalled_quantity"),
    }
    unit = (quantity_unit or "").strip()[:20] or None
    if any(quantities.values()) and not unit:
        raise ServiceError(_("Enter the unit of the quantities."), field="quantity_unit")
    cause, corrections = (cause or "").strip(), (corrections or "").strip()
    require(cause, _("Enter the cause of the failure."), "cause")
    require(corrections, _("Enter the corrections made."), "corrections")
    if case_filed is None:
        raise ServiceError(_("Record whether a case was filed (立案)."), field="case_filed")
    case_no = (case_no or "").strip()[:60] or None
    if case_filed:
        require(case_no, _("Enter the case number."), "case_no")
    values = {
        "completed_on": completed_on,
        **quantities,
        "quantity_unit": unit,
        "cause": cause,
        "corrections": corrections,
        "case_filed": bool(case_filed),
        "case_no": case_no if case_filed else None,
        "penalty": (penalty or "").strip() or None,
        "penalty_amount": _quantity(penalty_amount, "penalty_amount"),
    }
    return step(session, actor, disposal, "complete", values)


@writes(Role.SUPERVISOR)
def close_disposal(
    session: Session, actor: User, disposal: Disposal, *, reason: str, closed_on: date
) -> Disposal:
    """The unqualified conclusion no longer stands (a qualified retest, Art. 35; an objection
    upheld by withdrawing it, Art. 39): the disposal under way ends without an outcome, with
    the reason, and its deadline leaves the board."""
    lifecycle.check(actor, disposal, "close")
    reason = (reason or "").strip()
    require(reason, _("Give the reason for closing the disposal."), "reason")
    require(closed_on, _("Enter the date the disposal was closed."), "closed_on")
    values = {"closed_on": closed_on, "closed_reason": reason[:2000]}
    return step(session, actor, disposal, "close", values, reason=reason[:2000])


@writes(Role.SUPERVISOR)
def close_if_under_way(
    session: Session, actor: User, sample: Sample, *, reason: str, on: date
) -> Disposal | None:
    """Called by the retest and objection services, in their transaction, when the sample's
    unqualified conclusion goes: its disposal, if one is under way, is closed."""
    disposal = disposal_of(session, sample.id)
    if disposal is None or disposal.status != DisposalStatus.UNDER_WAY:
        return disposal
    return close_disposal(session, actor, disposal, reason=reason, closed_on=on)
