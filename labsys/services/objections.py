"""异议 (objections) about a supervision sample: SAMR Order No. 15 (2019) Arts. 37-39.

From memory of the Order *(verify)*: Art. 37 — an objection about the sampling process is
filed in writing within 7 working days after sampling; one about the sample's authenticity,
the test method or the standard applied, within 7 working days of receiving the
conclusion; late ones are not accepted.  Art. 38 — the regulator decides on acceptance
within 5 working days *(verify)*.  Art. 39 — the review is completed within 20 working
days of acceptance and its conclusion told to the applicant in writing *(verify)*.  The
periods are settings (``OBJECTION_*``).  Searched (pages corpus, 2026-11): only a table of
the Order's limits was found, listing Arts. 37 ¶2–3, 38 ¶1–2 and 39 ¶2–3 without their text
(see ``services.periods``).

A sample may have several objections, each of one kind.  An upheld objection withdraws the
conclusion (the sample's conclusion is withdrawn through the sample lifecycle) or corrects
it through a superseding report (``services.reports.correct_report``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from labsys.core import clock
from labsys.models import (
    Applicant,
    FollowUp,
    Objection,
    ObjectionEffect,
    ObjectionKind,
    ObjectionStatus,
    Report,
    ReportStatus,
    Role,
    Sample,
    User,
)
from labsys.services import audit, disposals, esign, lifecycle, reports
from labsys.services import calendar as workcal
from labsys.services.access import writes
from labsys.services.errors import ConflictError, ServiceError
from labsys.services.followup import _step as step
from labsys.services.followup import is_supervision, require, setting
from labsys.services.sample_lock import lock_samples

OPEN_STATES = (ObjectionStatus.FILED, ObjectionStatus.ACCEPTED)


def objections_of(session: Session, sample_id: int) -> list[Objection]:
    return list(
        session.scalars(
            select(Objection).where(Objection.sample_id == sample_id).order_by(Objection.id)
        )
    )


def _not_after_today(day: date, field: str) -> None:
    if day > clock.today():
        raise ServiceError(_("The date cannot be in the future."), field=field)


def _last_day(session: Session, start: date) -> date:
    """Art. 37 *(verify)*: the last of the 7 working days counted from ``start``."""
    return workcal.add_workdays(session, start, setting("OBJECTION_WORKDAYS"))


def window(session: Session, sample: Sample, kind: ObjectionKind) -> tuple[date, date]:
    """Art. 37: (the day the 7 working days count from, the last day)."""
    if ObjectionKind(kind) is ObjectionKind.SAMPLING_PROCESS:
        start = sample.sampling_date
    else:
        notified = session.scalar(
            select(FollowUp.notified_on).where(FollowUp.sample_id == sample.id)
        )
        if notified is None:
            raise ServiceError(
                _(
                    "Art. 37: an objection about the result counts from the day the conclusion "
                    "was received: record that day first."
                ),
                field="kind",
            )
        start = notified
    return start, _last_day(session, start)


def windows_moved(
    session: Session, sample_id: int, notified_on: date
) -> list[tuple[Objection, date]]:
    """The objections to the result whose 7 working days (Art. 37 *(verify)*: from the day
    the conclusion was received) would end on another day were the notification recorded
    on ``notified_on``: (objection, new last day) each.  An objection decided on its window
    (accepted as in time or refused, Art. 38; then upheld or dismissed, Art. 39) keeps it:
    the notification is refused then (nothing changed; the decision was made, and told the
    applicant, on that window).  ``_move_windows`` moves the others."""
    last = _last_day(session, notified_on)
    return _moving(
        session,
        [Objection.sample_id == sample_id, Objection.kind != ObjectionKind.SAMPLING_PROCESS],
        last,
        field="notified_on",
        refusal=lambda decided: _(
            "The notification cannot be moved to %(day)s: the objection to the result "
            "filed on %(filed)s was decided (%(status)s) on its 7 working days ending "
            "%(end)s (Art. 37), which would then end on %(new)s. A decided "
            "objection's window is not moved afterwards.",
            day=notified_on.isoformat(),
            filed=decided.filed_on.isoformat(),
            status=decided.status.title,
            end=decided.window_end.isoformat(),
            new=last.isoformat(),
        ),
    )


def sampling_windows_moved(
    session: Session, sample_ids: list[int], sampling_date: date
) -> list[tuple[Objection, date]]:
    """The objections to the sampling process of ``sample_ids`` whose 7 working days (Art.
    37 *(verify)*: from the sampling) would end on another day were the sampling date
    corrected to ``sampling_date``: (objection, new last day) each, for ``_move_windows``.
    Refused, nothing changed: a date after an objection's filing day (of either kind: it
    cannot be filed before the sampling), and one that would move the window of an
    objection decided on it (as for the notification)."""
    if not sample_ids:
        return []
    filed_before = session.scalars(
        select(Objection)
        .where(Objection.sample_id.in_(sample_ids), Objection.filed_on < sampling_date)
        .order_by(Objection.filed_on, Objection.id)
        .limit(1)
    ).first()
    if filed_before is not None:
        raise ServiceError(
            _(
                "The sampling date cannot be %(day)s: an objection of sample %(no)s was filed "
                "on %(filed)s, and none can be filed before the sampling.",
                day=sampling_date.isoformat(),
                no=filed_before.sample.sample_no,
                filed=filed_before.filed_on.isoformat(),
            ),
            field="sampling_date",
        )
    last = _last_day(session, sampling_date)
    return _moving(
        session,
        [Objection.sample_id.in_(sample_ids), Objection.kind == ObjectionKind.SAMPLING_PROCESS],
        last,
        field="sampling_date",
        refusal=lambda decided: _(
            "The sampling date cannot be corrected to %(day)s: the objection to the "
            "sampling of sample %(no)s filed on %(filed)s was decided (%(status)s) on "
            "its 7 working days ending %(end)s (Art. 37), which would then end on "
            "%(new)s. A decided objection's window is not moved afterwards.",
            day=sampling_date.isoformat(),
            no=decided.sample.sample_no,
            filed=decided.filed_on.isoformat(),
            status=decided.status.title,
            end=decided.window_end.isoformat(),
            new=last.isoformat(),
        ),
    )


def _moving(
    session: Session,
    conditions: list,
    last: date,
    *,
    field: str,
    refusal: Callable[[Objection], str],
) -> list[tuple[Objection, date]]:
    """(objection, ``last``) of each objection meeting ``conditions`` whose last day is not
    ``last``, in filing order; a ``ServiceError`` (``refusal`` of it, on ``field``) when
    one of them is decided: its window is not moved."""
    moving = [
        (objection, last)
        for objection in session.scalars(
            select(Objection)
            .where(*conditions)
            .order_by(Objection.id)
            .execution_options(populate_existing=True)  # decided meanwhile: read as now
        )
        if objection.window_end != last
    ]
    decided = next((o for o, _last in moving if o.status != ObjectionStatus.FILED), None)
    if decided is not None:
        raise ServiceError(refusal(decided), field=field)
    return moving


def _move_windows(
    session: Session,
    actor: User,
    moved: list[tuple[Objection, date]],
    *,
    start: dict[str, date],
    reason: str,
    conflict: Callable[[str], str],
) -> None:
    """Each undecided objection's last day follows the day its window counts from
    (``start``: the notification recorded again, or the sampling date corrected; from
    ``windows_moved`` or ``sampling_windows_moved``), audited on the objection (action
    ``window``, with ``reason``).  ``conflict``: the message, given the sample's number,
    when an objection was decided meanwhile."""
    for objection, last in moved:
        old, number = objection.window_end, objection.sample.sample_no
        objection.window_end = last
        try:
            session.flush()  # its version: decided meanwhile, it is not moved
        except StaleDataError:
            raise ConflictError(conflict(number), field=next(iter(start))) from None
        audit.record(
            session,
            actor,
            "objection",
            objection.id,
            "window",
            old={"window_end": old},
            new={"window_end": last, **start},
            reason=reason,
        )


@writes(Role.SUPERVISOR)
def file_objection(
    session: Session,
    actor: User,
    sample: Sample,
    *,
    kind: ObjectionKind,
    applicant: Applicant,
    applicant_name: str,
    grounds: str,
    filed_on: date,
) -> Objection:
    """Art. 37: record a written objection (recorded even when late: it is then refused).
    The sample's row is locked first: the notification recorded again, or the sampling date
    corrected, at the same moment moves this objection's window once it is committed, or
    is read by it (``sample_lock``)."""
    lock_samples(session, [sample])
    if not is_supervision(sample):
        raise ServiceError(_("Art. 37: objections are about supervision sampling (监督抽检) only."))
    require(kind, _("Choose what the objection is about."), "kind")
    require(applicant, _("Choose who objects."), "applicant")
    applicant_name, grounds = (applicant_name or "").strip(), (grounds or "").strip()
    require(applicant_name, _("Enter the applicant's name."), "applicant_name")
    require(grounds, _("Art. 37: state the objection and its evidence."), "grounds")
    require(filed_on, _("Enter the date the objection was filed."), "filed_on")
    if filed_on < sample.sampling_date:
        raise ServiceError(_("An objection cannot be filed before the sampling."), field="filed_on")
    _not_after_today(filed_on, "filed_on")
    kind = ObjectionKind(kind)
    start, last = window(session, sample, kind)
    if kind is not ObjectionKind.SAMPLING_PROCESS and filed_on < start:
        # An objection to the result answers the conclusion: it cannot come before the
        # sampled unit received it (Art. 37's 7 working days count from that day).
        raise ServiceError(
            _(
                "An objection about the result cannot be filed before the conclusion was "
                "received (%(day)s).",
                day=start.isoformat(),
            ),
            field="filed_on",
        )
    objection = Objection(
        sample=sample,
        kind=kind,
        applicant=Applicant(applicant),
        applicant_name=applicant_name[:200],
        grounds=grounds,
        filed_on=filed_on,
        window_end=last,
    )
    lifecycle.create(
        session,
        actor,
        objection,
        "file",
        on=filed_on,
        new={
            "sample_id": sample.id,
            "kind": kind,
            "applicant": objection.applicant,
            "applicant_name": objection.applicant_name,
            "filed_on": filed_on,
            "window_end": last,
        },
    )
    return objection


def _late(objection: Objection) -> str | None:
    if objection.filed_on <= objection.window_end:
        return None
    if objection.kind is ObjectionKind.SAMPLING_PROCESS:
        return _(
            "Art. 37: an objection about the sampling process must come within 7 working days "
            "after sampling (by %(day)s); it was filed on %(filed)s.",
            day=objection.window_end.isoformat(),
            filed=objection.filed_on.isoformat(),
        )
    return _(
        "Art. 37: an objection about the result must come within 7 working days of receiving "
        "the conclusion (by %(day)s); it was filed on %(filed)s.",
        day=objection.window_end.isoformat(),
        filed=objection.filed_on.isoformat(),
    )


def _decision_day(objection: Objection, decided_on: date) -> None:
    require(decided_on, _("Enter the date of the decision."), "decided_on")
    if decided_on < objection.filed_on:
        raise ServiceError(
            _("The decision cannot come before the objection was filed."), field="decided_on"
        )
    _not_after_today(decided_on, "decided_on")


@writes(Role.SUPERVISOR)
def accept_objection(
    session: Session, actor: User, objection: Objection, *, decided_on: date
) -> Objection:
    """Art. 38: accept an objection filed in time; the review is then due (Art. 39)."""
    lifecycle.check(actor, objection, "accept")
    _decision_day(objection, decided_on)
    late = _late(objection)
    if late:
        raise ServiceError(late, field="decided_on")
    return step(session, actor, objection, "accept", {"decided_on": decided_on}, on=decided_on)


@writes(Role.SUPERVISOR)
def refuse_objection(
    session: Session, actor: User, objection: Objection, *, decided_on: date, note: str
) -> Objection:
    """Art. 38: not accepted, with the reason in writing (a late one: Art. 37)."""
    lifecycle.check(actor, objection, "refuse")
    _decision_day(objection, decided_on)
    note = (note or "").strip() or (_late(objection) or "")
    require(note, _("Art. 38: give the reason in writing."), "note")
    return step(
        session, actor, objection, "refuse", {"decided_on": decided_on, "refusal_note": note}
    )


def _outcome(objection: Objection, outcome_on: date, note: str) -> str:
    require(outcome_on, _("Enter the date of the review's conclusion."), "outcome_on")
    if objection.decided_on and outcome_on < objection.decided_on:
        raise ServiceError(
            _("The review cannot conclude before the objection was accepted."),
            field="outcome_on",
        )
    _not_after_today(outcome_on, "outcome_on")
    note = (note or "").strip()
    require(note, _("Art. 39: write the review's conclusion."), "note")
    return note


@writes(Role.SUPERVISOR)
def dismiss_objection(
    session: Session, actor: User, objection: Objection, *, outcome_on: date, note: str
) -> Objection:
    """Art. 39: the review finds the objection unfounded; the conclusion stands."""
    lifecycle.check(actor, objection, "dismiss")
    note = _outcome(objection, outcome_on, note)
    return step(
        session, actor, objection, "dismiss", {"outcome_on": outcome_on, "outcome_note": note}
    )


@writes(Role.SUPERVISOR)
def uphold_objection(
    session: Session,
    actor: User,
    objection: Objection,
    *,
    outcome_on: date,
    note: str,
    effect: ObjectionEffect | None,
    base_url: str = "",
    signature: esign.Signature | None = None,
) -> Objection:
    """Art. 39: the objection is founded.  ``withdrawn``: the sample's conclusion is
    withdrawn (out of the pass rates and the announcement until it is concluded again) and
    its issued report with it (signed by ``signature``; a new report follows the new
    conclusion), and the disposal under way ends;
    ``corrected``: a corrected report supersedes the current one (its results corrected
    first, through the results pages), naming the objection as its reason, signed by the
    approver (``signature``) as every issued report is."""
    lifecycle.check(actor, objection, "uphold")
    note = _outcome(objection, outcome_on, note)
    if effect not in (ObjectionEffect.WITHDRAWN, ObjectionEffect.CORRECTED):
        raise ServiceError(
            _("Choose what the upheld objection does to the conclusion."), field="effect"
        )
    sample = objection.sample
    reason = _("Objection upheld (%(kind)s): %(note)s", kind=objection.kind.title, note=note)
    values: dict = {"outcome_on": outcome_on, "outcome_note": note, "effect": effect}
    if effect is ObjectionEffect.CORRECTED:
        current = session.scalar(
            select(Report).where(
                Report.sample_id == sample.id, Report.status == ReportStatus.ISSUED
            )
        )
        if current is None:
            raise ServiceError(
                _("Sample %(no)s has no issued report to correct.", no=sample.sample_no),
                field="effect",
            )
        corrected = reports.correct_report(
            session, actor, current, reason=reason[:2000], base_url=base_url, signature=signature
        )
        values["report_id"] = corrected.id
        step(session, actor, objection, "uphold", values)
        return objection
    # A reported conclusion is withdrawn with its report (issue 18 §2): the report is
    # withdrawn, signed, before the sample's conclusion goes; the disposal of the
    # unqualified conclusion ends.  Everything is checked before anything changes.
    lifecycle.check(actor, sample, "withdraw")
    in_force = reports._current_report(session, sample)
    if in_force is not None:
        esign.check(signature, actor, esign.Meaning.APPROVAL)
        lifecycle.check(actor, in_force, "withdraw")
    step(session, actor, objection, "uphold", values)
    if in_force is not None:
        reports.withdraw_report(session, actor, in_force, reason=reason[:2000], signature=signature)
    lifecycle.transition(session, actor, sample, "withdraw", reason=reason)
    disposals.close_if_under_way(session, actor, sample, reason=reason, on=outcome_on)
    return objection
