"""The register of retest backups (复检备份样品).

Every received sample has one row: where its sealed backup is kept, until when (SAMR Order
No. 15 Art. 25 ¶1–2: 3 months after a qualified conclusion, 6 after an unqualified one,
or to the end of the shelf life if that is sooner: ``labsys.core.backups``), its hand-over to
a retest lab, and its disposal with who and when.  The state changes (held → handed over |
disposed) go through ``services.lifecycle``; every change is audited.

The retest workflow calls :func:`hand_over` when the backup goes to the retest lab, and
:func:`conclusion_changed` whenever a sample's conclusion changes (the results feature at
the conclusion, the retest's conclusion).

Settings: ``BACKUP_RETENTION_MONTHS`` ({"qualified": 3, "unqualified": 6}).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Table, bindparam, func, insert, literal, select, update
from sqlalchemy.orm import Session, joinedload

from labsys.core import backups as rules
from labsys.core import clock
from labsys.models import BackupSample, BackupStatus, Lab, Role, Sample, SampleStatus, User
from labsys.models.base import UTCDateTime
from labsys.services import audit, lifecycle
from labsys.services.access import writes
from labsys.services.errors import ServiceError

ARTICLE = "《食品安全抽样检验管理办法》第二十五条"  # ¶1–2; source: services/periods.py
KEEPERS = (Role.TECHNICIAN, Role.SUPERVISOR)  # not the administrator (issue 18 §1)
LIST_SIZE = 50


def retention_months() -> dict[str, int]:
    return current_app.config.get("BACKUP_RETENTION_MONTHS") or rules.RETENTION_MONTHS


def retention_for(sample: Sample) -> date | None:
    """The last day ``sample``'s backup must be kept (None without a final conclusion)."""
    concluded = clock.local_date(sample.concluded_at) if sample.concluded_at else None
    return rules.retain_until(
        sample.conclusion.value if sample.conclusion else None,
        concluded,
        production_date=sample.production_date,
        shelf_life_days=sample.shelf_life_days,
        months=retention_months(),
    )


def backup_of(session: Session, sample: Sample) -> BackupSample | None:
    return session.scalar(select(BackupSample).where(BackupSample.sample_id == sample.id))


def _values(backup: BackupSample) -> dict:
    return {
        "location": backup.location,
        "retain_until": backup.retain_until,
        "handed_over_on": backup.handed_over_on,
        "handed_to_lab_id": backup.handed_to_lab_id,
        "seal_intact": backup.seal_intact,
        "disposed_on": backup.disposed_on,
        "disposal_method": backup.disposal_method,
    }


# --- registering and retention ---------------------------------------------------------------


@writes(*KEEPERS, Role.REVIEWER)
def register(session: Session, actor: User, sample: Sample) -> BackupSample:
    """The backup of a received sample enters the register (idempotent)."""
    existing = backup_of(session, sample)
    if existing is not None:
        return existing
    row, first = lifecycle.start(actor, BackupSample, "register")
    backup = BackupSample(sample_id=sample.id, status=first, retain_until=retention_for(sample))
    session.add(backup)
    session.flush()
    audit.record(
        session,
        actor,
        "backup",
        backup.id,
        row.action,
        new={"sample_id": sample.id, "status": backup.status, **_values(backup)},
    )
    return backup


@writes(*KEEPERS, Role.REVIEWER)
def conclusion_changed(session: Session, actor: User, sample: Sample) -> BackupSample | None:
    """Recompute the retention after the sample's conclusion changed (its first conclusion,
    a retest's conclusion, a withdrawn conclusion); audited when it moves."""
    backup = backup_of(session, sample)
    if backup is None:
        return None
    until = retention_for(sample)
    if until != backup.retain_until:
        old = backup.retain_until
        backup.retain_until = until
        session.flush()
        audit.record(
            session,
            actor,
            "backup",
            backup.id,
            "backup_retention",
            old={"retain_until": old},
            new={"retain_until": until, "conclusion": sample.conclusion},
        )
    return backup


@writes(Role.ADMIN, system=True)
def sync_register(session: Session, actor: User) -> dict[str, int]:
    """Enter every received sample missing from the register (received before the register
    existed, or bulk-loaded) and bring every retention up to date, in batches of plain rows
    (national volume); one audit entry says how many rows it added and changed."""
    table = cast(Table, BackupSample.__table__)
    first = lifecycle.next_state(BackupSample, None, "register")
    received = Sample.status.not_in([SampleStatus.REGISTERED, SampleStatus.REJECTED])
    registered = select(BackupSample.id).where(BackupSample.sample_id == Sample.id).exists()
    missing = select(Sample.id).where(received, ~registered)
    added = session.scalar(select(func.count()).select_from(missing.subquery())) or 0
    session.execute(
        insert(table).from_select(
            ["sample_id", "status", "created_at", "version_id"],
            select(
                Sample.id,
                literal(first.value),
                literal(clock.now(), UTCDateTime()),
                literal(1),
            ).where(received, ~registered),
        )
    )
    months, changed, last = retention_months(), 0, 0
    while True:
        rows = session.execute(
            select(
                BackupSample.id,
                BackupSample.retain_until,
                Sample.conclusion,
                Sample.concluded_at,
                Sample.production_date,
                Sample.shelf_life_days,
            )
            .join(Sample, Sample.id == BackupSample.sample_id)
            .where(BackupSample.status != BackupStatus.DISPOSED, BackupSample.id > last)
            .order_by(BackupSample.id)
            .limit(2000)
        ).all()
        if not rows:
            break
        updates = []
        for backup_id, kept, conclusion, concluded_at, produced, shelf_days in rows:
            until = rules.retain_until(
                conclusion.value if conclusion else None,
                clock.local_date(concluded_at) if concluded_at else None,
                production_date=produced,
                shelf_life_days=shelf_days,
                months=months,
            )
            if until != kept:
                updates.append({"b_id": backup_id, "b_until": until})
        if updates:
            session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(retain_until=bindparam("b_until")),
                updates,
            )
            changed += len(updates)
        last = rows[-1][0]
    counts = {"added": added or 0, "retention_changed": changed}
    if added or changed:
        session.expire_all()
        audit.record(session, actor, "backup", "all", "backup_sync", new=counts)
        session.flush()
    return counts


# --- storing, handing over, disposing --------------------------------------------------------


def _step(session: Session, actor: User, backup: BackupSample, event: str, values: dict) -> None:
    lifecycle.check(actor, backup, event)
    old = {key: getattr(backup, key) for key in values}
    for key, value in values.items():
        setattr(backup, key, value)
    lifecycle.transition(session, actor, backup, event, old=old, new=values)


def _day(value, field: str, what: str) -> date:
    if not isinstance(value, date):
        raise ServiceError(_("Enter the date %(what)s.", what=what), field=field)
    if value > clock.today():
        raise ServiceError(_("The date cannot be in the future."), field=field)
    return value


@writes(*KEEPERS)
def store(
    session: Session, actor: User, backup: BackupSample, *, location: str, stored_on: date
) -> BackupSample:
    """Where the backup is kept (a first place, or a move); audited."""
    location = (location or "").strip()
    if not location:
        raise ServiceError(_("Say where the backup is kept."), field="location")
    if len(location) > 200:
        raise ServiceError(_("The place has at most 200 characters."), field="location")
    stored_on = _day(stored_on, "stored_on", _("it was put there"))
    _step(
        session,
        actor,
        backup,
        "store",
        {"location": location, "stored_on": stored_on, "stored_by_id": actor.id},
    )
    return backup


@writes(*KEEPERS)
def hand_over(
    session: Session,
    actor: User,
    sample: Sample,
    *,
    lab_id: int,
    handed_over_on: date,
    seal_intact: bool,
    notes: str | None = None,
) -> BackupSample:
    """The backup goes to the retest lab (复检机构), its seal checked; the retest workflow
    calls this.  A backup no longer held (handed over, disposed of) is refused."""
    if sample.status in (SampleStatus.REGISTERED, SampleStatus.REJECTED):
        raise ServiceError(
            _(
                "Sample %(no)s was not received: the lab holds no backup of it.",
                no=sample.sample_no,
            ),
            field="lab_id",
        )
    backup = backup_of(session, sample) or register(session, actor, sample)
    lab = session.get(Lab, lab_id) if lab_id else None
    if lab is None:
        raise ServiceError(_("Choose the retest lab."), field="lab_id")
    if lab.id == sample.lab_id:
        raise ServiceError(
            _(
                "The retest lab must differ from the lab that tested the sample (%(lab)s).",
                lab=lab.name,
            ),
            field="lab_id",
        )
    if seal_intact is None:
        raise ServiceError(_("Record whether the seal is intact."), field="seal_intact")
    handed_over_on = _day(handed_over_on, "handed_over_on", _("it was handed over"))
    notes = (notes or "").strip()[:500] or None
    _step(
        session,
        actor,
        backup,
        "hand_over",
        {
            "handed_over_on": handed_over_on,
            "handed_to_lab_id": lab.id,
            "handed_over_by_id": actor.id,
            "seal_intact": bool(seal_intact),
            "handover_notes": notes,
        },
    )
    return backup


@writes(*KEEPERS)
def dispose(
    session: Session, actor: User, backup: BackupSample, *, disposed_on: date, method: str
) -> BackupSample:
    """Dispose of a backup whose retention has passed, recording who, when and how."""
    method = (method or "").strip()
    if not method:
        raise ServiceError(_("Say how the backup was disposed of."), field="method")
    if len(method) > 200:
        raise ServiceError(_("The method has at most 200 characters."), field="method")
    disposed_on = _day(disposed_on, "disposed_on", _("it was disposed of"))
    lifecycle.check(actor, backup, "dispose")
    if backup.retain_until is None:
        raise ServiceError(
            _(
                "The backup of a sample without a final conclusion is kept (%(article)s).",
                article=ARTICLE,
            ),
            field="disposed_on",
        )
    if not rules.may_dispose(backup.retain_until, disposed_on):
        raise ServiceError(
            _(
                "The backup is kept until %(day)s (%(article)s): it may be disposed of "
                "from the next day on.",
                day=backup.retain_until.isoformat(),
                article=ARTICLE,
            ),
            field="disposed_on",
        )
    _step(
        session,
        actor,
        backup,
        "dispose",
        {"disposed_on": disposed_on, "disposed_by_id": actor.id, "disposal_method": method},
    )
    return backup


# --- lists -----------------------------------------------------------------------------------


@dataclass
class BackupPage:
    rows: list[BackupSample]
    next_after: int | None
    total: int


def disposable(
    session: Session, today: date | None = None, *, after: int = 0, size: int = LIST_SIZE
) -> BackupPage:
    """Held backups that may be disposed of by the end of this week (their retention ends
    before Sunday), the longest overdue first: an indexed range on (status, retain_until)."""
    today = today or clock.today()
    condition = (
        BackupSample.status == BackupStatus.HELD,
        BackupSample.retain_until < rules.week_end(today),
    )
    total = session.scalar(select(func.count()).select_from(BackupSample).where(*condition)) or 0
    rows = list(
        session.scalars(
            select(BackupSample)
            .where(*condition, BackupSample.id > after)
            .options(joinedload(BackupSample.sample))
            .order_by(BackupSample.id)
            .limit(size + 1)
        )
    )
    more = len(rows) > size
    rows = rows[:size]
    return BackupPage(rows, rows[-1].id if more else None, total)


def register_page(
    session: Session, *, status: BackupStatus | None = None, after: int = 0, size: int = LIST_SIZE
) -> BackupPage:
    """The register, newest first, optionally in one state."""
    query = select(BackupSample).options(joinedload(BackupSample.sample))
    counted = select(func.count()).select_from(BackupSample)
    if status is not None:
        query = query.where(BackupSample.status == status)
        counted = counted.where(BackupSample.status == status)
    if after:
        query = query.where(BackupSample.id < after)
    rows = list(session.scalars(query.order_by(BackupSample.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return BackupPage(rows, rows[-1].id if more else None, session.scalar(counted) or 0)
