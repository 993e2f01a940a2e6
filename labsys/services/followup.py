"""Follow-up of unqualified samples and the deadline board.

The follow-up records when the sampled unit received the conclusion (the retest and
result-objection windows count from it) and how long the retest backup is kept; the retest
(``services.retests``), the objections (``services.objections``) and the disposal
(``services.disposals``) are workflows of their own.

Deadlines count working days (``services.calendar``) unless a setting says otherwise.  Every
period is a setting kept in ``services.periods`` with the article it comes from.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    Date,
    Integer,
    String,
    column,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.models import (
    Conclusion,
    DeadlineCount,
    DeadlineCountDelta,
    Disposal,
    DisposalStatus,
    FollowUp,
    InspectionType,
    Objection,
    ObjectionKind,
    ObjectionStatus,
    Report,
    ReportStatus,
    Retest,
    RetestStatus,
    Role,
    Sample,
    SampleStatus,
    User,
    deadline_sql,
)
from labsys.services import ServiceError, audit, lifecycle, reference
from labsys.services import calendar as workcal
from labsys.services.access import writes
from labsys.services.sample_lock import lock_samples

# The workflows' settings that are not periods (the periods, each with its default, unit and
# article, are kept in services.periods).
DEFAULTS = {
    "DISPOSAL_WORKDAYS": False,  # the disposal periods count calendar days (Art. 45)
}


def setting(name: str):
    """A period (``services.periods``) or one of the workflows' other settings."""
    from labsys.services import periods

    if name in periods.PERIODS:
        return periods.value(name)
    return current_app.config.get(name, DEFAULTS[name])


# --- pure rules ----------------------------------------------------------------------------


# --- who has the rights, and the first lab -------------------------------------------------


def is_supervision(sample: Sample) -> bool:
    """Only supervision sampling (监督抽检) gives retest and objection rights and follow-up
    deadlines (#12 §1; the rules of ``labsys.core.inspection``)."""
    rules = InspectionType.of(sample.inspection_type).rules
    return rules.retest_rights and rules.followup


def first_lab_id(session: Session, sample: Sample) -> int | None:
    if sample.lab_id:
        return sample.lab_id
    lab = reference.default_lab(session)
    return lab.id if lab else None


# --- opening and notification ----------------------------------------------------------------


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
    session.add(followup)
    session.flush()
    audit.record(
        session,
        actor,
        "followup",
        followup.id,
        opening.action,
        new={"sample_id": sample.id, "status": followup.status},
    )
    return followup


def _step(
    session: Session,
    actor: User,
    entity,
    event: str,
    values: dict,
    *,
    on: date | None = None,
    reason: str | None = None,
):
    """Record ``values`` on ``entity`` and fire ``event`` of its table (the deadlines are the
    event's effect, counted from ``on``): one audited transition."""
    lifecycle.check(actor, entity, event)
    old = {key: getattr(entity, key) for key in values}
    for key, value in values.items():
        setattr(entity, key, value)
    lifecycle.transition(session, actor, entity, event, on=on, old=old, new=values, reason=reason)
    return entity


def require(value, message: str, field: str) -> None:
    if value is None or value == "":
        raise ServiceError(message, field=field)


@writes(Role.SUPERVISOR)
def record_notification(
    session: Session, actor: User, followup: FollowUp, notified_on: date
) -> FollowUp:
    """The sampled unit received the conclusion: the retest window starts (Art. 30).

    Days are local days (``clock.local_date``), as the retest application's received-date
    check counts them: a conclusion at 00:30 in Beijing is that day's, not the UTC day
    before.  A notification recorded again is never later than the day a retest applicant
    already said they received the conclusion: it cannot be received before it was served.
    The objections to the result count from it (Art. 37 *(verify)*): an undecided one's
    last day follows it, and a day that would move a decided one's is refused
    (``objections.windows_moved``).  The sample's row is locked first: an objection filed
    at the same moment is seen once committed (``sample_lock``)."""
    lock_samples(session, [followup.sample])
    require(
        notified_on, _("Enter the date the sampled unit received the conclusion."), "notified_on"
    )
    concluded_at = followup.sample.concluded_at
    concluded = clock.local_date(concluded_at) if concluded_at else None
    if concluded and notified_on < concluded:
        raise ServiceError(
            _(
                "The notification cannot be before the conclusion (%(day)s).",
                day=concluded.isoformat(),
            ),
            field="notified_on",
        )
    if notified_on > clock.today():
        raise ServiceError(_("The date cannot be in the future."), field="notified_on")
    received = session.scalar(
        select(func.min(Retest.conclusion_received_on)).where(
            Retest.sample_id == followup.sample_id
        )
    )
    objected = session.scalar(
        select(func.min(Objection.filed_on)).where(
            Objection.sample_id == followup.sample_id,
            Objection.kind != ObjectionKind.SAMPLING_PROCESS,
        )
    )
    if objected is not None and notified_on > objected:
        raise ServiceError(
            _(
                "The notification cannot be after %(day)s: an objection to the result was "
                "filed that day (Art. 37), so the conclusion had been received by then.",
                day=objected.isoformat(),
            ),
            field="notified_on",
        )
    if received is not None and notified_on > received:
        raise ServiceError(
            _(
                "The notification cannot be after %(day)s: a retest applicant received the "
                "conclusion that day (Art. 30), so it was served by then.",
                day=received.isoformat(),
            ),
            field="notified_on",
        )
    from labsys.services import objections  # objections → followup

    moved = objections.windows_moved(session, followup.sample_id, notified_on)
    _step(session, actor, followup, "notify", {"notified_on": notified_on}, on=notified_on)
    objections._move_windows(
        session,
        actor,
        moved,
        start={"notified_on": notified_on},
        reason=_(
            "The notification (the day the conclusion was received) recorded again: Art. 37's "
            "7 working days count from it."
        ),
        conflict=lambda number: _(
            "An objection of sample %(no)s was changed meanwhile; reload the page "
            "and record the notification again.",
            no=number,
        ),
    )
    return followup


def disposal_date(session: Session, start: date, days: int) -> date:
    if setting("DISPOSAL_WORKDAYS"):
        return workcal.add_workdays(session, start, days)
    return start + timedelta(days=days)


# --- lists and the deadline board ----------------------------------------------------------


@dataclass
class FollowUpRow:
    """One line of the follow-up list: the sample, its follow-up (if opened), its latest
    retest, its open objections, its disposal and its next open workflow deadline."""

    sample: Sample
    followup: FollowUp | None
    retest: Retest | None
    open_objections: int
    disposal: Disposal | None
    due: date | None = None


def followup_conditions() -> list:
    """The samples the follow-up list holds: unqualified, of an inspection type followed up."""
    return [
        Sample.conclusion == Conclusion.UNQUALIFIED,
        Sample.inspection_type.in_([t for t in InspectionType if t.rules.followup]),
    ]


def next_deadlines():
    """A subquery (sample_id, due): each sample's earliest open workflow deadline (the
    current step of its retest, objections and disposal; see WORKFLOW_DEADLINES)."""
    branches = [
        select(table.sample_id.label("sample_id"), getattr(table, column).label("due")).where(
            table.status == state
        )
        for table, column, state in WORKFLOW_DEADLINES.values()
    ]
    union = union_all(*branches).subquery("open_deadlines")
    return (
        select(union.c.sample_id, func.min(union.c.due).label("due"))
        .group_by(union.c.sample_id)
        .subquery("next_deadlines")
    )


def followup_list(session: Session, after: int | None = None, size: int = 50) -> list[FollowUpRow]:
    """Unqualified samples (newest first) with their follow-up workflows."""
    query = select(Sample).where(*followup_conditions())
    if after:
        query = query.where(Sample.id < after)
    return followup_rows(
        session, list(session.scalars(query.order_by(Sample.id.desc()).limit(size)))
    )


def followup_rows(session: Session, samples: list[Sample]) -> list[FollowUpRow]:
    """The follow-up list's lines of ``samples`` (in that order)."""
    ids = [sample.id for sample in samples]
    if not ids:
        return []
    records = {
        f.sample_id: f for f in session.scalars(select(FollowUp).where(FollowUp.sample_id.in_(ids)))
    }
    retests = {
        r.sample_id: r
        for r in session.scalars(
            select(Retest).where(Retest.sample_id.in_(ids)).order_by(Retest.id)
        )
    }
    disposals = {
        d.sample_id: d for d in session.scalars(select(Disposal).where(Disposal.sample_id.in_(ids)))
    }
    objections = dict(
        session.execute(
            select(Objection.sample_id, func.count())
            .where(
                Objection.sample_id.in_(ids),
                Objection.status.in_((ObjectionStatus.FILED, ObjectionStatus.ACCEPTED)),
            )
            .group_by(Objection.sample_id)
        ).all()
    )
    deadlines = next_deadlines()
    dues: dict[int, Any] = dict(
        session.execute(
            select(deadlines.c.sample_id, deadlines.c.due).where(deadlines.c.sample_id.in_(ids))
        ).all()
    )
    return [
        FollowUpRow(
            sample,
            records.get(sample.id),
            retests.get(sample.id),
            objections.get(sample.id, 0),
            disposals.get(sample.id),
            _as_day(dues.get(sample.id)),
        )
        for sample in samples
    ]


def _as_day(value) -> date | None:
    """A date from an aggregate (SQLite returns MIN() of dates as text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Deadline:
    kind: str  # one of DEADLINE_KINDS
    sample_id: int
    sample_no: str
    food_name: str
    due: date
    overdue: bool

    @property
    def key(self) -> str:
        """Keyset position within its kind: ``?after=`` for the next items of the kind."""
        return f"{self.due.isoformat()}_{self.sample_id}"


# Each kind: the table and column of its due date and the state it is due in (the workflows
# of SAMR Order No. 15 (2019): retest Arts. 32-35, objections Arts. 38-39, disposal Art. 45).
WORKFLOW_DEADLINES: dict[str, tuple[Any, str, StrEnum]] = {
    "retest_decision": (Retest, "decision_due", RetestStatus.APPLIED),
    "retest_lab": (Retest, "lab_due", RetestStatus.ACCEPTED),
    "retest_handover": (Retest, "handover_due", RetestStatus.LAB_CHOSEN),
    "retest_result": (Retest, "result_due", RetestStatus.BACKUP_RECEIVED),
    "objection_decision": (Objection, "decision_due", ObjectionStatus.FILED),
    "objection_review": (Objection, "review_due", ObjectionStatus.ACCEPTED),
    "disposal": (Disposal, "due", DisposalStatus.UNDER_WAY),
}
DEADLINE_KINDS = (
    "delivery",
    "report",
    "qualified_report",
    "unqualified_report",
    "service",
    *WORKFLOW_DEADLINES,
)
# link to the follow-up page
FOLLOWUP_KINDS = ("unqualified_report", "service", *WORKFLOW_DEADLINES)
# The period behind each kind: a setting of services.periods (with its article).
KIND_PERIODS = {
    "delivery": "DELIVERY_WORKDAYS",
    "report": "REPORT_WORKDAYS",
    "qualified_report": "QUALIFIED_REPORT_WORKDAYS",
    "unqualified_report": "UNQUALIFIED_REPORT_WORKDAYS",
    "service": "SERVICE_WORKDAYS",
    "retest_decision": "RETEST_DECISION_WORKDAYS",
    "retest_lab": "RETEST_LAB_WORKDAYS",
    "retest_handover": "BACKUP_HANDOVER_WORKDAYS",
    "retest_result": "RETEST_RESULT_WORKDAYS",
    "objection_decision": "OBJECTION_DECISION_WORKDAYS",
    "objection_review": "OBJECTION_REVIEW_WORKDAYS",
    "disposal": "DISPOSAL_DEADLINE_DAYS",
}


def kind_help(kind: str) -> str:
    """The help text of a kind's period: what it is, its value and its article."""
    from labsys.services import periods

    name = KIND_PERIODS.get(kind)
    return periods.PERIODS[name].help if name else ""


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
    table, column, state = WORKFLOW_DEADLINES[kind]
    due = getattr(table, column)
    return [
        (
            select(*columns, due)
            .join(table, table.sample_id == Sample.id)
            .where(table.status == state),
            due,
        )
    ]


def counted(
    session: Session,
    kind: str,
    *,
    before: date | None = None,
    since: date | None = None,
    until: date | None = None,
) -> int:
    """Open items of ``kind`` due before ``before`` or within ``since``..``until`` (both
    included), from the counters the database keeps per kind and due date
    (``deadline_counts``, migration 0034): a sum over due dates, whatever the number of items."""
    parts = []
    for table in (DeadlineCount.__table__, DeadlineCountDelta.__table__):
        # The counters, and on PostgreSQL the deltas its triggers appended and no fold has
        # folded in yet (a handful: folded after every web write); one query for both.
        conditions = [table.c.kind == kind]
        if before is not None:
            conditions.append(table.c.due < before)
        if since is not None:
            conditions.append(table.c.due >= since)
        if until is not None:
            conditions.append(table.c.due <= until)
        parts.append(select(table.c["items"].label("items")).where(*conditions))
    both = union_all(*parts).subquery()
    return int(session.scalar(select(func.sum(both.c["items"]))) or 0)


def counter_rows(session: Session) -> dict[tuple[str, date], int]:
    """(kind, due) -> open items by the counters (deltas added), the zeros left out."""
    rows: dict[tuple[str, date], int] = defaultdict(int)
    for table in (DeadlineCount.__table__, DeadlineCountDelta.__table__):
        query = select(table.c.kind, table.c.due, func.sum(table.c["items"])).group_by(
            table.c.kind, table.c.due
        )
        result: Any = session.execute(query)
        for kind, due, items in result:
            rows[kind, due] += int(items)
    return {key: items for key, items in rows.items() if items}


def recounted_rows(session: Session) -> dict[tuple[str, date], int]:
    """(kind, due) -> open items counted from the items themselves."""
    query = text(deadline_sql.recount_sql()).columns(
        column("kind", String), column("due", Date), column("items", Integer)
    )
    rows: dict[tuple[str, date], int] = defaultdict(int)
    result: Any = session.execute(query)
    for kind, due, items in result:
        rows[kind, due] += int(items)
    return {key: items for key, items in rows.items() if items}


def rebuild_counters(session: Session) -> int:
    """Recount the deadline counters from the items (the operator's repair tool, with the
    pass-rate rollups: ``labsys stats rebuild``); how many (kind, due) differed (0: exact,
    left untouched)."""
    if session.get_bind().dialect.name == "postgresql":
        # Writers wait until this transaction ends: nothing changes between count and rewrite.
        for table in ("samples", *deadline_sql.WORKFLOW_KINDS):
            session.execute(text(f"LOCK TABLE {table} IN SHARE MODE"))
    current, recounted = counter_rows(session), recounted_rows(session)
    differing = sum(
        1 for key in current.keys() | recounted.keys() if current.get(key) != recounted.get(key)
    )
    if differing:
        session.execute(delete(DeadlineCountDelta))
        session.execute(delete(DeadlineCount))
        session.execute(text(deadline_sql.fill_sql()))
        audit.record(
            session, None, "deadline_counts", "all", "rebuild", new={"differing": differing}
        )
        session.flush()
    return differing


def counted_by_query(session: Session, kind: str, *conditions_of_due) -> int:
    """The same count from the items themselves (every branch of ``kind``), for checking the
    counters: ``conditions_of_due`` maps the branch's due column to conditions."""
    total = 0
    for query, due in _deadline_branches(kind):
        counting = query.with_only_columns(func.count()).order_by(None)
        total += session.scalar(counting.where(*(c(due) for c in conditions_of_due))) or 0
    return total


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
    overdue = counted(session, kind, before=today)
    due_soon = counted(session, kind, since=today, until=horizon)
    rows: list[tuple] = []
    for query, due in _deadline_branches(kind):
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
    """The latest due date with an open item, of each kind, from the counters (the deltas
    added): one grouped query over a row per kind and due date.  (A MAX over each kind's
    items was one query per branch, and the qualified reports' took 0.4 s at 1,000,000
    samples: it cannot stop early while so many qualified samples have their report.)"""
    parts = [
        select(table.c.kind, table.c.due, table.c["items"].label("items")).where(
            table.c.kind.in_(list(kinds))
        )
        for table in (DeadlineCount.__table__, DeadlineCountDelta.__table__)
    ]
    both = union_all(*parts).subquery()
    open_days = (
        select(both.c.kind, both.c.due)
        .group_by(both.c.kind, both.c.due)
        .having(func.sum(both.c["items"]) > 0)
        .subquery()
    )
    latest = session.scalars(select(func.max(open_days.c.due)).group_by(open_days.c.kind)).all()
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
