"""The one place a sample, result, report, follow-up, retest, objection or disposal changes
state.

``transition(session, actor, entity, event)`` looks the entity's (state, event) up in its
table (``labsys.core.lifecycle``), checks the actor's role and the four-eyes rule, sets the
new state, applies the row's deadline effect, flushes and writes the audit entry.  A refusal
raises ``PermissionDenied`` (role, four eyes) or ``ServiceError`` (state) before anything is
changed.  Entities created by an event (a report, a follow-up, result rows at receipt) take
their first state from ``start``; bulk loaders that write rows directly take the table's
to-state from ``next_state``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from labsys.core import lifecycle as core
from labsys.core.lifecycle import Effect, Machine, Transition
from labsys.models import (
    BackupSample,
    BackupStatus,
    Conclusion,
    Correction,
    CorrectionStatus,
    Disposal,
    DisposalStatus,
    FollowUp,
    FollowUpStatus,
    Objection,
    ObjectionStatus,
    Report,
    ReportStatus,
    ResultStatus,
    Retest,
    RetestStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    User,
)
from labsys.services import audit, periods
from labsys.services import calendar as workcal
from labsys.services.errors import PermissionDenied, ServiceError

ENTITIES: dict[type, tuple[Machine, type[StrEnum]]] = {
    Sample: (core.SAMPLE, SampleStatus),
    SampleResult: (core.RESULT, ResultStatus),
    Report: (core.REPORT, ReportStatus),
    FollowUp: (core.FOLLOWUP, FollowUpStatus),
    Correction: (core.CORRECTION, CorrectionStatus),
    Retest: (core.RETEST, RetestStatus),
    Objection: (core.OBJECTION, ObjectionStatus),
    Disposal: (core.DISPOSAL, DisposalStatus),
    BackupSample: (core.BACKUP, BackupStatus),
}
NOUNS = {
    "sample": _l("Sample"),
    "result": _l("Result"),
    "report": _l("Report"),
    "followup": _l("Follow-up of sample"),
    "correction": _l("Correction request"),
    "retest": _l("Retest of sample"),
    "objection": _l("Objection about sample"),
    "disposal": _l("Disposal of sample"),
    "backup": _l("Retest backup of sample"),
}
# What each event does, as the verb of "only … may …" and "cannot … now".
EVENTS = {
    ("sample", "register"): _l("register it"),
    ("sample", "receive"): _l("receive it"),
    ("sample", "reject"): _l("reject it"),
    ("sample", "conclude"): _l("conclude it"),
    ("sample", "withdraw"): _l("withdraw its conclusion for a retest"),
    ("sample", "suspend"): _l("correct or test a result of it again"),
    ("sample", "report"): _l("issue its report"),
    ("sample", "retest_conclusion"): _l("apply the retest lab's conclusion"),
    ("sample", "void"): _l("void it"),
    ("result", "create"): _l("create it"),
    ("result", "enter"): _l("enter it"),
    ("result", "submit"): _l("submit it for review"),
    ("result", "accept"): _l("accept it"),
    ("result", "return"): _l("return it"),
    ("result", "correct"): _l("correct it"),
    ("result", "retest"): _l("retest it"),
    ("result", "amend"): _l("correct it through a report correction"),
    ("report", "issue"): _l("approve and issue it"),
    ("report", "reissue"): _l("approve and issue a correction"),
    ("report", "supersede"): _l("correct it"),
    ("followup", "open"): _l("open it"),
    ("followup", "notify"): _l("record the notification"),
    # SAMR Order No. 15 (2019): the article each step follows.
    ("retest", "apply"): _l("record a retest application (Art. 30)"),
    ("retest", "accept"): _l("accept the retest (Art. 32)"),
    ("retest", "refuse"): _l("refuse the retest (Arts. 31, 32)"),
    ("retest", "extend_lab_choice"): _l("extend the choice of the retest lab (Art. 32)"),
    ("retest", "choose_lab"): _l("choose the retest lab (Art. 32)"),
    ("retest", "receive_backup"): _l("record the backup's hand-over (Art. 33)"),
    ("retest", "backup_unusable"): _l("record the backup as unusable (Arts. 31(4), 33)"),
    ("retest", "record_result"): _l("record the retest result (Art. 35)"),
    ("objection", "file"): _l("record an objection (Art. 37)"),
    ("objection", "accept"): _l("accept the objection (Art. 38)"),
    ("objection", "refuse"): _l("refuse the objection (Arts. 37, 38)"),
    ("objection", "uphold"): _l("uphold the objection (Art. 39)"),
    ("objection", "dismiss"): _l("dismiss the objection (Art. 39)"),
    ("disposal", "receive"): _l("record the regulator's receipt of the conclusion (Art. 45)"),
    ("disposal", "extend"): _l("record an approved extension (Art. 45)"),
    ("disposal", "milestone"): _l(
        "record a milestone of the national platform (local practice, not Order No. 15)"
    ),
    ("disposal", "complete"): _l("complete the disposal (Art. 45)"),
    # A qualified retest (Art. 35) or an upheld objection withdrawing the conclusion (Art. 39)
    # ends the disposal of a conclusion that no longer stands.
    ("disposal", "close"): _l("close the disposal (Arts. 35, 39)"),
    ("report", "withdraw"): _l("withdraw the report (Art. 39)"),
    ("correction", "review"): _l("review the corrected value"),
    ("correction", "request"): _l("request it"),
    ("correction", "approve"): _l("approve it"),
    ("correction", "reject"): _l("reject the request"),
    ("correction", "withdraw"): _l("withdraw it"),
    # Art. 25 keeps the backup (services/backups.py ARTICLE); Art. 33 hands it over to the
    # retest lab (verify: not read).
    ("backup", "register"): _l("enter it in the register (Art. 25)"),
    ("backup", "store"): _l("record where it is kept (Art. 25)"),
    ("backup", "hand_over"): _l("hand it over to the retest lab (Art. 33)"),
    ("backup", "dispose"): _l("dispose of it (Art. 25)"),
}
# The four-eyes rules: the attribute naming the person, and what that person did.
FOUR_EYES = {
    "entered_by_id": _l("entered"),
    "author_id": _l("wrote"),
    "reviewer_id": _l("reviewed"),
    "requested_by_id": _l("requested"),
}

Values = Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None


# --- deciding --------------------------------------------------------------------------------


def machine_of(kind: type) -> tuple[Machine, type[StrEnum]]:
    return ENTITIES[kind]


def next_state(kind: type, state: str | None, event: str) -> StrEnum:
    """The table's to-state, for bulk paths that write rows without an entity to check."""
    machine, states = machine_of(kind)
    try:
        return states(machine.target(state, event))
    except core.IllegalTransition as refusal:
        raise _refusal(refusal, None) from None


def check(
    actor: User | None,
    entity,
    event: str,
    *,
    done_by: Mapping[str, int | None] | None = None,
) -> Transition:
    """The row that applies to ``entity`` now, or the refusal (nothing is changed).

    The four-eyes person is read from the entity (e.g. ``entered_by_id``) unless ``done_by``
    names them (a report's author is known before the report exists)."""
    machine, _states = machine_of(type(entity))
    return _decide(machine, entity.status, event, actor, entity, done_by)


def start(
    actor: User | None,
    kind: type,
    event: str,
    *,
    done_by: Mapping[str, int | None] | None = None,
) -> tuple[Transition, StrEnum]:
    """Creating an entity by ``event``: the row (its audit action) and the first state."""
    machine, states = machine_of(kind)
    row = _decide(machine, None, event, actor, None, done_by)
    return row, states(row.target)


def _decide(machine, state, event, actor, entity, done_by) -> Transition:
    roles = {str(role) for role in actor.roles} if actor is not None else set()
    if done_by is None and entity is not None:
        done_by = {attr: getattr(entity, attr, None) for attr in FOUR_EYES}
    try:
        return machine.decide(
            state,
            event,
            roles=roles,
            actor_id=actor.id if actor is not None else None,
            done_by=done_by,
        )
    except core.Refused as refusal:
        raise _refusal(refusal, entity) from None


def _name(entity) -> str:
    if entity is None:
        return ""
    if isinstance(entity, Sample):
        return entity.sample_no
    if isinstance(entity, SampleResult):
        return entity.item_name
    if isinstance(entity, Report):
        return entity.report_no
    if isinstance(entity, Correction):
        return f"#{entity.id}"
    return entity.sample.sample_no


def _refusal(refusal: core.Refused, entity) -> ServiceError:
    machine, event = refusal.machine.name, refusal.event
    names = {
        "entity": NOUNS[machine],
        "name": _name(entity),
        "event": EVENTS.get((machine, event), event),
    }
    if isinstance(refusal, core.RoleRefused):
        roles = sorted(r for r in refusal.roles if r != core.SYSTEM)
        titles = _(" or ").join(Role(r).title for r in roles)
        return PermissionDenied(
            _("%(entity)s %(name)s: only %(roles)s may %(event)s.", roles=titles, **names)
        )
    if isinstance(refusal, core.FourEyesRefused):
        return PermissionDenied(
            _(
                "%(entity)s %(name)s: four-eyes rule, you %(did)s it yourself; "
                "another person must %(event)s.",
                did=FOUR_EYES[refusal.rule],
                **names,
            )
        )
    _machine, states = machine_of(type(entity)) if entity is not None else (None, None)
    state = states(refusal.state).title if states and refusal.state else "—"
    return ServiceError(
        _("%(entity)s %(name)s is “%(state)s”: you cannot %(event)s now.", state=state, **names)
    )


def create(
    session: Session,
    actor: User | None,
    entity,
    event: str,
    *,
    on: date | None = None,
    new: Values = None,
    reason: str | None = None,
) -> Transition:
    """Create ``entity`` by ``event`` (a row whose source is None): check, set its first
    state, apply the row's deadline effect (counted from ``on``), add, flush and audit."""
    machine, states = machine_of(type(entity))
    row = _decide(machine, None, event, actor, None, None)
    entity.status = states(row.target)
    moved = _effect(session, row.effect, entity, on)
    for key, value in moved.items():
        setattr(entity, key, value)
    session.add(entity)
    session.flush()
    audit.record(
        session,
        actor,
        machine.name,
        entity.id,
        row.action,
        new={**_values(new, entity), **moved, "status": entity.status},
        reason=reason,
    )
    return row


# --- applying --------------------------------------------------------------------------------


def transition(
    session: Session,
    actor: User | None,
    entity,
    event: str,
    *,
    reason: str | None = None,
    on: date | None = None,
    done_by: Mapping[str, int | None] | None = None,
    old: Values = None,
    new: Values = None,
    flush: Callable[[], None] | None = None,
) -> Transition:
    """Check, set the new state, apply the deadline effect (counted from ``on``), flush
    (``flush`` replaces ``session.flush``, e.g. with an optimistic-locking check) and audit.

    ``old``/``new``: further values for the audit entry beside the state and the deadlines
    the effect moved (a mapping, or a function of the entity)."""
    return transition_many(
        session,
        actor,
        [entity],
        event,
        reason=reason,
        on=on,
        done_by=done_by,
        old=old,
        new=new,
        flush=flush,
    )[0]


def transition_many(
    session: Session,
    actor: User | None,
    entities: Sequence,
    event: str,
    *,
    reason: str | None = None,
    on: date | None = None,
    done_by: Mapping[str, int | None] | None = None,
    old: Values = None,
    new: Values = None,
    flush: Callable[[], None] | None = None,
) -> list[Transition]:
    """``transition`` for several entities of one kind: all are checked before any changes
    (one refusal changes nothing), then one flush and one audit write."""
    rows = [check(actor, entity, event, done_by=done_by) for entity in entities]
    befores = []
    for entity, row in zip(entities, rows, strict=True):
        _machine, states = machine_of(type(entity))
        moved = _effect(session, row.effect, entity, on)
        befores.append((entity.status, {key: getattr(entity, key) for key in moved}))
        for key, value in moved.items():
            setattr(entity, key, value)
        entity.status = states(row.target)
    (flush or session.flush)()
    audit.record_many(
        session,
        actor,
        [
            audit.Change(
                machine_of(type(entity))[0].name,
                entity.id,
                row.action,
                old={**_values(old, entity), **previous, "status": before},
                new={
                    **_values(new, entity),
                    **{key: getattr(entity, key) for key in previous},
                    "status": entity.status,
                },
                reason=reason,
            )
            for entity, row, (before, previous) in zip(entities, rows, befores, strict=True)
        ],
    )
    return rows


def _values(values: Values, entity) -> dict:
    if values is None:
        return {}
    return dict(values(entity) if callable(values) else values)


# --- deadline effects ------------------------------------------------------------------------


def _effect(session: Session, effect: Effect, entity, on: date | None) -> dict:
    """The deadline columns ``effect`` sets on ``entity``, counted from ``on``."""
    if effect is Effect.NONE:
        return {}
    if effect is Effect.SUSPEND_CONCLUSION:
        # The time and the deadlines stay: ``results.derive_conclusion`` keeps them for the
        # same conclusion reached again (``_unqualified_clock`` keeps a running clock).
        return {"conclusion": None}
    if effect is Effect.WITHDRAW_CONCLUSION:
        return {
            "conclusion": None,
            "concluded_at": None,
            "due_unqualified_report": None,
            "due_qualified_report": None,
        }
    if on is None:
        raise ValueError(f"{effect}: the day the clock starts from is needed (on=...)")
    return _CLOCKS[effect](session, entity, on)


def _delivery_clock(session: Session, sample: Sample, on: date) -> dict:
    days = periods.value("DELIVERY_WORKDAYS") + (sample.delivery_extension_workdays or 0)
    return {"due_delivery": workcal.add_workdays(session, on, days)}


def _report_clock(session: Session, sample: Sample, on: date) -> dict:
    return {"due_report": workcal.add_workdays(session, on, periods.value("REPORT_WORKDAYS"))}


def _unqualified_clock(session: Session, sample: Sample, on: date) -> dict:
    """Unqualified: reported to the regulator within 2 working days of the conclusion,
    qualified within 7 (Order No. 15 Art. 26 ¶1–2; the 2 and 7 *(verify)*); a running clock is kept; any other
    conclusion: no such deadline."""
    clocks: dict = {}
    for conclusion, column, period in (
        (Conclusion.UNQUALIFIED, "due_unqualified_report", "UNQUALIFIED_REPORT_WORKDAYS"),
        (Conclusion.QUALIFIED, "due_qualified_report", "QUALIFIED_REPORT_WORKDAYS"),
    ):
        if sample.conclusion != conclusion:
            if getattr(sample, column) is not None:
                clocks[column] = None
        elif getattr(sample, column) is None:
            clocks[column] = workcal.add_workdays(session, on, periods.value(period))
    return clocks


def _retest_window(session: Session, followup: FollowUp, on: date) -> dict:
    from labsys.services.followup import setting

    days = setting("RETEST_REQUEST_WORKDAYS")
    return {"retest_window_end": workcal.add_workdays(session, on, days)}


def _workdays_clock(column: str, setting_name: str) -> Callable[[Session, Any, date], dict]:
    """``column`` = ``on`` + the working days of the setting ``setting_name``."""

    def clock(session: Session, entity, on: date) -> dict:
        from labsys.services.followup import setting

        return {column: workcal.add_workdays(session, on, setting(setting_name))}

    return clock


def _extend_lab_clock(session: Session, retest: Retest, on: date) -> dict:
    """Art. 32: the retest lab may be chosen 5 working days later than due, once."""
    from labsys.services.followup import setting

    start = retest.lab_due or on
    days = setting("RETEST_LAB_EXTENSION_WORKDAYS")
    return {"lab_due": workcal.add_workdays(session, start, days)}


def _disposal_clock(session: Session, disposal: Disposal, on: date) -> dict:
    from labsys.services.followup import disposal_date, setting

    first, second = setting("DISPOSAL_MILESTONE_DAYS")
    return {
        "first_due": disposal_date(session, on, first),
        "second_due": disposal_date(session, on, second),
        "due": disposal_date(session, on, setting("DISPOSAL_DEADLINE_DAYS")),
    }


_CLOCKS: dict[Effect, Callable[[Session, Any, date], dict]] = {
    Effect.START_DELIVERY_CLOCK: _delivery_clock,
    Effect.START_REPORT_CLOCK: _report_clock,
    Effect.SET_UNQUALIFIED_CLOCK: _unqualified_clock,
    Effect.START_RETEST_WINDOW: _retest_window,
    Effect.START_RETEST_DECISION_CLOCK: _workdays_clock("decision_due", "RETEST_DECISION_WORKDAYS"),
    Effect.START_RETEST_LAB_CLOCK: _workdays_clock("lab_due", "RETEST_LAB_WORKDAYS"),
    Effect.EXTEND_RETEST_LAB_CLOCK: _extend_lab_clock,
    Effect.START_HANDOVER_CLOCK: _workdays_clock("handover_due", "BACKUP_HANDOVER_WORKDAYS"),
    Effect.START_RETEST_CLOCK: _workdays_clock("result_due", "RETEST_RESULT_WORKDAYS"),
    Effect.START_OBJECTION_DECISION_CLOCK: _workdays_clock(
        "decision_due", "OBJECTION_DECISION_WORKDAYS"
    ),
    Effect.START_OBJECTION_REVIEW_CLOCK: _workdays_clock("review_due", "OBJECTION_REVIEW_WORKDAYS"),
    Effect.START_DISPOSAL_CLOCK: _disposal_clock,
}
