"""Follow-up of unqualified samples and the deadline board.

Deadlines count working days (``services.calendar``) unless a setting says otherwise; the
figures DOMAIN.md marks *(verify)* are settings with these defaults:

``RETEST_REQUEST_WORKDAYS`` 7, ``RETEST_RESULT_WORKDAYS`` 10, ``OBJECTION_WORKDAYS`` 7,
``DISPOSAL_MILESTONE_DAYS`` (5, 30), ``DISPOSAL_DEADLINE_DAYS`` 90 (calendar days unless
``DISPOSAL_WORKDAYS`` is true), ``BACKUP_RETENTION_MONTHS`` {"qualified": 3,
"unqualified": 6}, ``DEADLINE_HORIZON_WORKDAYS`` 3 (the board's "due soon").
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from labsys.core import clock
from labsys.models import (
    Conclusion,
    FollowUp,
    InspectionType,
    Lab,
    ObjectionKind,
    Report,
    ReportStatus,
    ResultStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    User,
    VerdictValue,
)
from labsys.services import ServiceError, audit, backups, lifecycle, reference
from labsys.services import calendar as workcal
from labsys.services.access import writes

BACKUP_RETENTION_MONTHS = {"qualified": 3, "unqualified": 6}
DEFAULTS = {
    "RETEST_REQUEST_WORKDAYS": 7,
    "RETEST_RESULT_WORKDAYS": 10,
    "OBJECTION_WORKDAYS": 7,
    "DISPOSAL_MILESTONE_DAYS": (5, 30),
    "DISPOSAL_DEADLINE_DAYS": 90,
    "DISPOSAL_WORKDAYS": False,
    "BACKUP_RETENTION_MONTHS": BACKUP_RETENTION_MONTHS,
    "DEADLINE_HORIZON_WORKDAYS": 3,
}


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


# --- pure rules ----------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def backup_retention_until(
    conclusion: Conclusion | None,
    concluded_on: date,
    *,
    production_date: date | None = None,
    shelf_life_days: int | None = None,
    months: dict[str, int] | None = None,
) -> date | None:
    """Keep the retest backup 3 months after a qualified, 6 after an unqualified conclusion,
    or until the shelf life ends if that is sooner.  None without a final conclusion."""
    if conclusion not in (Conclusion.QUALIFIED, Conclusion.UNQUALIFIED):
        return None
    retention = months or BACKUP_RETENTION_MONTHS
    until = add_months(concluded_on, retention[conclusion.value])
    if production_date and shelf_life_days:
        until = min(until, production_date + timedelta(days=shelf_life_days))
    return until


# --- opening -------------------------------------------------------------------------------


@writes(Role.SUPERVISOR)
def open_followup(session: Session, sample: Sample, actor: User) -> FollowUp:
    """The follow-up of an unqualified sample, created on first use (idempotent).

    The results feature may call it when a sample concludes unqualified; the follow-up
    pages call it lazily.
    """
    existing = session.scalar(select(FollowUp).where(FollowUp.sample_id == sample.id))
    if existing is not None:
        return existing
    if sample.conclusion != Conclusion.UNQUALIFIED:
        raise ServiceError(_("Only an unqualified sample has a follow-up."))
    if not InspectionType.of(sample.inspection_type).rules.followup:
        # Only supervision gives retest and objection rights and is followed up and
        # published; a risk-monitoring problem goes to the regulator's risk notice list.
        raise ServiceError(
            _(
                "Only a supervision sample is followed up (retest, objection, disposal); "
                "this one is %(kind)s.",
                kind=InspectionType.of(sample.inspection_type).title,
            )
        )
    opening, first_state = lifecycle.start(actor, FollowUp, "open")
    followup = FollowUp(sample=sample, opened_by_id=actor.id, status=first_state)
    followup.backup_retain_until = _retention(sample, Conclusion.UNQUALIFIED)
    session.add(followup)
    session.flush()
    audit.record(
        session,
        actor,
        "followup",
        followup.id,
        opening.action,
        new={
            "sample_id": sample.id,
            "status": followup.status,
            "backup_retain_until": followup.backup_retain_until,
        },
    )
    return followup


def _retention(sample: Sample, conclusion: Conclusion) -> date | None:
    concluded = clock.local_date(sample.concluded_at) if sample.concluded_at else clock.today()
    return backup_retention_until(
        conclusion,
        concluded,
        production_date=sample.production_date,
        shelf_life_days=sample.shelf_life_days,
        months=setting("BACKUP_RETENTION_MONTHS"),
    )


def _step(
    session: Session,
    actor: User,
    followup: FollowUp,
    event: str,
    values: dict,
    *,
    on: date | None = None,
) -> FollowUp:
    """Record ``values`` and fire ``event`` of the follow-up's table (its deadlines are the
    event's effect, counted from ``on``)."""
    lifecycle.check(actor, followup, event)
    old = {key: getattr(followup, key) for key in values}
    for key, value in values.items():
        setattr(followup, key, value)
    lifecycle.transition(session, actor, followup, event, on=on, old=old, new=values)
    return followup


def _require(value, message: str, field: str) -> None:
    if value is None or value == "":
        raise ServiceError(message, field=field)


# --- notification and retest ---------------------------------------------------------------


@writes(Role.SUPERVISOR)
def record_notification(
    session: Session, actor: User, followup: FollowUp, notified_on: date
) -> FollowUp:
    """The sampled unit received the conclusion: the retest window starts."""
    _require(
        notified_on, _("Enter the date the sampled unit received the conclusion."), "notified_on"
    )
    concluded = followup.sample.concluded_at
    if concluded and notified_on < concluded.date():
        raise ServiceError(
            _(
                "The notification cannot be before the conclusion (%(day)s).",
                day=concluded.date().isoformat(),
            ),
            field="notified_on",
        )
    return _step(session, actor, followup, "notify", {"notified_on": notified_on}, on=notified_on)


def first_lab_id(session: Session, sample: Sample) -> int | None:
    if sample.lab_id:
        return sample.lab_id
    lab = reference.default_lab(session)
    return lab.id if lab else None


@writes(Role.SUPERVISOR)
def request_retest(
    session: Session, actor: User, followup: FollowUp, *, requested_on: date, lab_id: int
) -> FollowUp:
    """复检: within the window after notification, in a lab other than the first, never for
    failed microbiological items."""
    _require(requested_on, _("Enter the date of the retest request."), "requested_on")
    window_end = followup.retest_window_end  # set with the notification
    if followup.notified_on is None or window_end is None:
        raise ServiceError(
            _("Record when the sampled unit was notified before a retest."), field="requested_on"
        )
    if requested_on > window_end:
        raise ServiceError(
            _(
                "The retest request came after the window closed on %(day)s.",
                day=window_end.isoformat(),
            ),
            field="requested_on",
        )
    lab = session.get(Lab, lab_id) if lab_id else None
    if lab is None:
        raise ServiceError(_("Choose the retest lab."), field="lab_id")
    if lab.id == first_lab_id(session, followup.sample):
        raise ServiceError(
            _(
                "The retest lab must differ from the lab that tested the sample (%(lab)s).",
                lab=lab.name,
            ),
            field="lab_id",
        )
    if _failed_microbiological(session, followup.sample_id):
        raise ServiceError(_("No retest for failed microbiological items."), field="requested_on")
    return _step(
        session,
        actor,
        followup,
        "request_retest",
        {"retest_requested_on": requested_on, "retest_lab_id": lab.id},
    )


def _failed_microbiological(session: Session, sample_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    SampleResult.sample_id == sample_id,
                    SampleResult.verdict == VerdictValue.FAIL,
                    SampleResult.status != ResultStatus.SUPERSEDED,
                    SampleResult.micro_n.is_not(None),
                )
            )
        )
    )


@writes(Role.SUPERVISOR)
def record_backup_received(
    session: Session, actor: User, followup: FollowUp, received_on: date
) -> FollowUp:
    """The retest lab received the backup: its result is due in 10 working days."""
    _require(received_on, _("Enter the date the retest lab received the backup."), "received_on")
    if followup.retest_requested_on is None:
        raise ServiceError(_("Record the retest request first."), field="received_on")
    if received_on < followup.retest_requested_on:
        raise ServiceError(
            _("The backup cannot arrive before the retest was requested."), field="received_on"
        )
    return _step(
        session,
        actor,
        followup,
        "receive_backup",
        {"retest_backup_received_on": received_on},
        on=received_on,
    )


@writes(Role.SUPERVISOR)
def record_retest_result(
    session: Session,
    actor: User,
    followup: FollowUp,
    *,
    conclusion: Conclusion,
    result: str,
    reported_on: date,
) -> FollowUp:
    """The retest's conclusion decides: the sample's conclusion follows it (audited)."""
    lab = followup.retest_lab  # set with the retest request, before the backup is received
    if followup.retest_backup_received_on is None or lab is None:
        raise ServiceError(
            _("Record when the retest lab received the backup first."), field="conclusion"
        )
    if conclusion not in (Conclusion.QUALIFIED, Conclusion.UNQUALIFIED):
        raise ServiceError(_("A retest concludes qualified or unqualified."), field="conclusion")
    _require(result, _("Describe the retest result."), "result")
    _require(reported_on, _("Enter the date of the retest report."), "reported_on")
    sample = followup.sample
    if sample.conclusion != conclusion:
        lifecycle.check(actor, sample, "retest_conclusion")
    _step(
        session,
        actor,
        followup,
        "record_retest",
        {
            "retest_conclusion": conclusion,
            "retest_result": result,
            "retest_reported_on": reported_on,
            "backup_retain_until": _retention(sample, conclusion),
        },
    )
    if sample.conclusion != conclusion:
        old = sample.conclusion
        sample.conclusion = conclusion
        lifecycle.transition(
            session,
            actor,
            sample,
            "retest_conclusion",
            old={"conclusion": old},
            new={"conclusion": conclusion},
            reason=_("Retest by %(lab)s", lab=lab.name),
        )
        backups.conclusion_changed(session, actor, sample)
    return followup


# --- objection -----------------------------------------------------------------------------


@writes(Role.SUPERVISOR)
def record_objection(
    session: Session,
    actor: User,
    followup: FollowUp,
    *,
    kind: ObjectionKind,
    filed_on: date,
    outcome: str | None = None,
) -> FollowUp:
    """异议: about sampling within 7 working days after sampling, about the result within 7
    working days of receiving it."""
    _require(kind, _("Choose what the objection is about."), "kind")
    _require(filed_on, _("Enter the date the objection was filed."), "filed_on")
    days = setting("OBJECTION_WORKDAYS")
    sample = followup.sample
    if kind == ObjectionKind.SAMPLING:
        last = workcal.add_workdays(session, sample.sampling_date, days)
        if filed_on > last:
            raise ServiceError(
                _(
                    "An objection about sampling must come within %(n)s working "
                    "days after sampling (by %(day)s).",
                    n=days,
                    day=last.isoformat(),
                ),
                field="filed_on",
            )
    else:
        if followup.notified_on is None:
            raise ServiceError(
                _("Record when the sampled unit received the result first."), field="filed_on"
            )
        last = workcal.add_workdays(session, followup.notified_on, days)
        if filed_on > last:
            raise ServiceError(
                _(
                    "An objection about the result must come within %(n)s working"
                    " days of receiving it (by %(day)s).",
                    n=days,
                    day=last.isoformat(),
                ),
                field="filed_on",
            )
    return _step(
        session,
        actor,
        followup,
        "object",
        {
            "objection_kind": kind,
            "objection_filed_on": filed_on,
            "objection_outcome": outcome or None,
        },
    )


# --- disposal ------------------------------------------------------------------------------


def disposal_date(session: Session, start: date, days: int) -> date:
    if setting("DISPOSAL_WORKDAYS"):
        return workcal.add_workdays(session, start, days)
    return start + timedelta(days=days)


@writes(Role.SUPERVISOR)
def start_disposal(session: Session, actor: User, followup: FollowUp, started_on: date) -> FollowUp:
    """核查处置 starts: milestones and the deadline are set from the start."""
    _require(started_on, _("Enter the date the disposal started."), "started_on")
    return _step(
        session,
        actor,
        followup,
        "start_disposal",
        {"disposal_started_on": started_on},
        on=started_on,
    )


MILESTONES = {
    "first": "disposal_first_done_on",
    "second": "disposal_second_done_on",
    "completed": "disposal_completed_on",
}


@writes(Role.SUPERVISOR)
def record_disposal_step(
    session: Session,
    actor: User,
    followup: FollowUp,
    *,
    step: str,
    done_on: date,
    notes: str | None = None,
) -> FollowUp:
    """A milestone reached (``first``, ``second``) or the disposal completed."""
    if followup.disposal_started_on is None:
        raise ServiceError(_("Start the disposal first."), field="done_on")
    if step not in MILESTONES:
        raise ServiceError(_("Unknown disposal step."), field="step")
    _require(done_on, _("Enter the date."), "done_on")
    if done_on < followup.disposal_started_on:
        raise ServiceError(_("The date cannot be before the disposal started."), field="done_on")
    values: dict[str, object] = {MILESTONES[step]: done_on}
    if notes:
        values["disposal_notes"] = notes
    return _step(session, actor, followup, f"disposal_{step}", values)


# --- lists and the deadline board ----------------------------------------------------------


def followup_list(session: Session, after: int | None = None, size: int = 50) -> list[tuple]:
    """Unqualified samples (newest first) with their follow-up if opened: (sample, followup)."""
    query = (
        select(Sample, FollowUp)
        .outerjoin(FollowUp, FollowUp.sample_id == Sample.id)
        .where(
            Sample.conclusion == Conclusion.UNQUALIFIED,
            Sample.inspection_type.in_([t for t in InspectionType if t.rules.followup]),
        )
        .options(joinedload(FollowUp.retest_lab))
    )
    if after:
        query = query.where(Sample.id < after)
    return list(session.execute(query.order_by(Sample.id.desc()).limit(size)).all())


@dataclass(frozen=True)
class Deadline:
    kind: str  # delivery | report | unqualified_report | retest | disposal
    sample_id: int
    sample_no: str
    food_name: str
    due: date
    overdue: bool

    @property
    def key(self) -> str:
        """Keyset position within its kind: ``?after=`` for the next items of the kind."""
        return f"{self.due.isoformat()}_{self.sample_id}"


DEADLINE_KINDS = (
    "delivery",
    "report",
    "qualified_report",
    "unqualified_report",
    "service",
    "retest",
    "disposal",
)
# The period (services.periods: the setting, its article) behind each kind of deadline.
KIND_PERIODS = {
    "delivery": "DELIVERY_WORKDAYS",
    "report": "REPORT_WORKDAYS",
    "qualified_report": "QUALIFIED_REPORT_WORKDAYS",
    "unqualified_report": "UNQUALIFIED_REPORT_WORKDAYS",
    "service": "SERVICE_WORKDAYS",
    "retest": "RETEST_RESULT_WORKDAYS",
    "disposal": "DISPOSAL_DEADLINE_DAYS",
}
BOARD_SIZE = 50  # items per kind on the board (the most urgent)


@dataclass
class DeadlineKind:
    """One kind of deadline on the board: how many are overdue and due soon (counted in SQL),
    and the most urgent items (at most ``size``) after ``after``."""

    kind: str
    overdue: int
    due_soon: int
    items: list[Deadline]
    next_after: str | None  # key of the last item shown when more follow

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon


@dataclass
class DeadlineBoard:
    today: date
    horizon: date
    kinds: list[DeadlineKind]
    # Years of the horizon or of a stored due date without an official holiday table: their
    # deadlines count Monday–Friday only (services.calendar.unknown_years).
    unknown_years: list[int] = field(default_factory=list)

    def __iter__(self):
        """The items shown, the most urgent first (by due date, kind, sample number)."""
        items = [item for kind in self.kinds for item in kind.items]
        return iter(sorted(items, key=lambda d: (d.due, DEADLINE_KINDS.index(d.kind), d.sample_no)))

    def __len__(self) -> int:
        return sum(len(kind.items) for kind in self.kinds)


def parse_board_key(text: str | None) -> tuple[date, int] | None:
    """``2026-03-02_123`` (a :attr:`Deadline.key`) as (due, sample id); None when malformed."""
    try:
        day, _sep, sample_id = (text or "").partition("_")
        return date.fromisoformat(day), int(sample_id)
    except ValueError:
        return None


def _deadline_branches(kind: str) -> list[tuple]:
    """(query of sample id, number, food name, due; due column) per branch of ``kind``.

    Each branch is ordered by (due, sample id) on an index whose leading columns are the
    branch's equality conditions, so "the first N" and the counts are index range scans;
    a kind with several statuses has one branch per status, merged in Python.
    """
    columns = (Sample.id, Sample.sample_no, Sample.food_name)
    if kind == "delivery":
        return [
            (
                select(*columns, Sample.due_delivery).where(
                    Sample.status == SampleStatus.REGISTERED
                ),
                Sample.due_delivery,
            )
        ]
    if kind == "report":
        return [
            (select(*columns, Sample.due_report).where(Sample.status == status), Sample.due_report)
            for status in (SampleStatus.RECEIVED, SampleStatus.CONCLUDED)
        ]
    issued = exists().where(Report.sample_id == Sample.id, Report.status == ReportStatus.ISSUED)
    if kind == "qualified_report":
        return [
            (
                select(*columns, Sample.due_qualified_report).where(
                    Sample.conclusion == Conclusion.QUALIFIED, ~issued
                ),
                Sample.due_qualified_report,
            )
        ]
    if kind == "service":
        served = exists().where(FollowUp.sample_id == Sample.id, FollowUp.notified_on.is_not(None))
        return [
            (
                select(*columns, Sample.due_service).where(
                    Sample.due_service.is_not(None), ~served
                ),
                Sample.due_service,
            )
        ]
    if kind == "unqualified_report":
        return [
            (
                select(*columns, Sample.due_unqualified_report).where(
                    Sample.conclusion == Conclusion.UNQUALIFIED, ~issued
                ),
                Sample.due_unqualified_report,
            )
        ]
    joined = select(*columns).join(FollowUp, FollowUp.sample_id == Sample.id)
    if kind == "retest":
        return [
            (
                joined.add_columns(FollowUp.retest_due).where(FollowUp.retest_conclusion.is_(None)),
                FollowUp.retest_due,
            )
        ]
    return [
        (
            joined.add_columns(FollowUp.disposal_due).where(
                FollowUp.disposal_completed_on.is_(None)
            ),
            FollowUp.disposal_due,
        )
    ]


def _count(session: Session, query, *conditions) -> int:
    counted = query.with_only_columns(func.count()).where(*conditions).order_by(None)
    return session.scalar(counted) or 0


def deadline_kind(
    session: Session,
    kind: str,
    *,
    today: date,
    horizon: date,
    after: tuple[date, int] | None = None,
    size: int = BOARD_SIZE,
) -> DeadlineKind:
    """One kind of the board: SQL counts of overdue and due-soon items, and the ``size`` most
    urgent items (after the keyset position ``after``: (due, sample id))."""
    overdue = due_soon = 0
    rows: list[tuple] = []
    for query, due in _deadline_branches(kind):
        overdue += _count(session, query, due < today)
        due_soon += _count(session, query, due >= today, due <= horizon)
        page = query.where(due <= horizon)
        if after is not None:
            page = page.where(due >= after[0], or_(due > after[0], Sample.id > after[1]))
        rows += session.execute(page.order_by(due, Sample.id).limit(size + 1)).all()
    rows.sort(key=lambda row: (row[3], row[0]))
    items = [
        Deadline(kind, sid, number, food, due, due < today)
        for sid, number, food, due in rows[:size]
    ]
    return DeadlineKind(kind, overdue, due_soon, items, items[-1].key if len(rows) > size else None)


def _latest_dues(session: Session, kinds) -> list[date]:
    """The latest stored due date of each kind (one indexed MAX per branch)."""
    latest = []
    for name in kinds:
        for query, due in _deadline_branches(name):
            latest.append(session.scalar(query.with_only_columns(func.max(due)).order_by(None)))
    return [day for day in latest if day is not None]


def deadline_board(
    session: Session,
    today: date | None = None,
    *,
    size: int | None = None,
    kind: str | None = None,
    after: tuple[date, int] | None = None,
) -> DeadlineBoard:
    """Everything overdue or due within the horizon (3 working days): per kind the counts and
    the ``size`` most urgent items; iterating gives the items shown, the most urgent first.

    ``kind`` limits the board to one kind (its next items after ``after``). Every supervisor
    sees every sample: users have no district scope yet.
    """
    today = today or clock.today()
    table = workcal.holiday_table(session)
    horizon = workcal.add_workdays(session, today, setting("DEADLINE_HORIZON_WORKDAYS"), table)
    kinds = [kind] if kind in DEADLINE_KINDS else DEADLINE_KINDS
    return DeadlineBoard(
        today,
        horizon,
        unknown_years=workcal.unknown_years(
            session, [today, horizon, *_latest_dues(session, kinds)], table
        ),
        kinds=[
            deadline_kind(
                session,
                name,
                today=today,
                horizon=horizon,
                after=after if kind else None,
                size=size or BOARD_SIZE,
            )
            for name in kinds
        ],
    )
