"""Enterprise risk grades (issue 17 §2): the rules as settings, grading from the stored
history, and the history of each enterprise's grade.

Every enterprise that is a producer (标称生产者) or a sampled unit (被抽样单位) of a batch, or
neither yet, is graded by ``labsys.core.grades`` from

- its batches (as producer or as sampled unit, voided ones left out) concluded unqualified
  with a sampling date in the rules' window (12 months), of every inspection type;
- the hazard class of each failed item (accepted results judged *fail*) of those batches;
- the months since its last batch was taken; its licence category (from the licence number).

:func:`recompute` grades them all and records a :class:`GradeChange` (and an audit entry) only
for an enterprise whose grade differs from its current one, so running it twice changes
nothing.

A supervisor may set a grade by hand, with its reason (:func:`set_grade_by_hand`): what an
inspection found that the sampling history does not show, or a rectification verified on
site.  It holds, whatever the rules say, until a supervisor clears it
(:func:`clear_grade_by_hand`) or its last day (``hold_until``, when given) has passed; a
recomputation keeps it and counts it (``Recomputed.kept``), and once it has ended grades the
enterprise by the rules again, recording that (even when the grade is the same), so the
history shows when the rules took over.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text, union
from sqlalchemy.orm import Session

from labsys.core import clock, grades, hazards
from labsys.core.grades import GradeRules, Grading, History, Reason, RulesError
from labsys.models import (
    Conclusion,
    Enterprise,
    GradeChange,
    HazardClass,
    ResultStatus,
    RiskGrade,
    RiskSetting,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    SamplingVisit,
    TestItem,
    User,
    VerdictValue,
)
from labsys.services import audit
from labsys.services.access import writes
from labsys.services.errors import ServiceError

SETTING = "grade_rules"

LICENCE_TITLES = {
    grades.SPECIAL_FOOD: _l("Special foods production (SC 127–130)"),
    grades.FOOD_PRODUCTION: _l("Food production (SC 1xx)"),
    grades.ADDITIVE_PRODUCTION: _l("Food additive production (SC 2xx)"),
    grades.CATERING: _l("Catering (JY 2)"),
    grades.CANTEEN: _l("Canteen (JY 3)"),
    grades.FOOD_SALES: _l("Food sales (JY 1)"),
    grades.OTHER_LICENCE: _l("Other licence"),
    grades.NO_LICENCE: _l("No licence number"),
}


# --- the rules as a setting ------------------------------------------------------------------


def hazard_defaults() -> dict[str, Decimal]:
    """The hazard weights of the risk signals (``RISK_HAZARD_WEIGHTS``), as the grade's
    default weight of one failed item of each class."""
    weights = hazards.weights(current_app.config.get("RISK_HAZARD_WEIGHTS"))
    return {k: _plain(Decimal(str(v))) for k, v in weights.items()}


def _plain(number: Decimal) -> Decimal:
    """5.0 as 5, 2.50 as 2.5 (the settings page and the scores show them so)."""
    return number.to_integral() if number == number.to_integral() else number.normalize()


def default_rules() -> GradeRules:
    return GradeRules(hazard_weights=hazard_defaults())


def _to_json(rules: GradeRules) -> dict:
    return {
        "window_months": rules.window_months,
        "batch_points": str(rules.batch_points),
        "hazard_weights": {k: str(v) for k, v in sorted(rules.hazard_weights.items())},
        "stale_points": [[m, str(p)] for m, p in rules.stale_points],
        "never_points": str(rules.never_points),
        "licence_points": {k: str(v) for k, v in rules.licence_points.items()},
        "thresholds": [str(t) for t in rules.thresholds],
        "severe_weight": str(rules.severe_weight),
        "severe_floor": rules.severe_floor,
    }


def _number(value, name: str) -> Decimal:
    try:
        return grades.decimal(value, name)
    except RulesError as error:
        raise ServiceError(_("Enter a number, zero or more."), field=error.field) from None


def _whole(value, name: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ServiceError(_("Enter a whole number."), field=name) from None


def _from_values(values: Mapping, base: GradeRules) -> GradeRules:
    """Rules from submitted or stored values (missing ones keep ``base``'s)."""
    changes: dict = {}
    if "window_months" in values:
        changes["window_months"] = _whole(values["window_months"], "window_months")
    for name in ("batch_points", "never_points", "severe_weight"):
        if name in values:
            changes[name] = _number(values[name], name)
    if "severe_floor" in values:
        changes["severe_floor"] = str(values["severe_floor"]).strip().upper()
    if "hazard_weights" in values:
        weights = dict(base.hazard_weights)
        for key, value in dict(values["hazard_weights"]).items():
            if key in weights:
                weights[key] = _number(value, f"hazard_weights.{key}")
        changes["hazard_weights"] = weights
    if "licence_points" in values:
        points = dict(base.licence_points)
        for key, value in dict(values["licence_points"]).items():
            if key in points:
                points[key] = _number(value, f"licence_points.{key}")
        changes["licence_points"] = points
    if "stale_points" in values:
        changes["stale_points"] = tuple(
            (_whole(m, "stale_points"), _number(p, "stale_points"))
            for m, p in values["stale_points"]
        )
    if "thresholds" in values:
        thresholds = tuple(_number(t, "thresholds") for t in values["thresholds"])
        if len(thresholds) != 3:
            raise ServiceError(_("Give the scores at which B, C and D start."), field="thresholds")
        changes["thresholds"] = thresholds
    return replace(base, **changes)


def rules(session: Session) -> GradeRules:
    """The grading rules in force: the defaults with the administrator's settings."""
    row = session.get(RiskSetting, SETTING)
    base = default_rules()
    if row is None:
        return base
    return _from_values(json.loads(row.value), base)


MESSAGES = {
    "window_months": _l("The window is 1 to 120 months."),
    "stale_points": _l(
        "Periods since the last sampling increase, and a longer one never gives fewer points."
    ),
    "never_points": _l(
        "Never sampled gives at least the points of the longest period since the last sampling."
    ),
    "thresholds": _l("The scores at which B, C and D start increase, and B's is above zero."),
    "severe_floor": _l("The floor is a grade, A to D."),
}


@writes(Role.ADMIN)
def save_rules(session: Session, actor: User, values: Mapping) -> GradeRules:
    """Store the grading rules (validated; the change audited)."""
    old = rules(session)
    new = _from_values(values, old)
    try:
        grades.validate(new)
    except RulesError as error:
        message = MESSAGES.get(error.field, _l("Enter a number, zero or more."))
        raise ServiceError(str(message), field=error.field) from None
    before, after = _to_json(old), _to_json(new)
    if before == after:
        return new
    row = session.get(RiskSetting, SETTING)
    if row is None:
        row = RiskSetting(name=SETTING, value="")
        session.add(row)
    row.value = json.dumps(after, sort_keys=True)
    row.updated_by_id = actor.id if actor else None
    row.updated_at = clock.now()
    session.flush()
    changed = [k for k in after if before[k] != after[k]]
    audit.record(
        session,
        actor,
        "risk_setting",
        SETTING,
        "update",
        old={k: before[k] for k in changed},
        new={k: after[k] for k in changed},
    )
    return new


# --- the history each grade is computed from -------------------------------------------------


def _pairs():
    """(enterprise, batch, sampling date, conclusion) for every batch, once per enterprise
    that produced it or was sampled; voided batches left out."""
    counted = Sample.status != SampleStatus.VOIDED
    producer = select(
        Sample.producer_id.label("enterprise_id"),
        Sample.id.label("sample_id"),
        Sample.sampling_date.label("day"),
        Sample.conclusion.label("conclusion"),
    ).where(Sample.producer_id.is_not(None), counted)
    unit = (
        select(
            SamplingVisit.sampled_unit_id.label("enterprise_id"),
            Sample.id.label("sample_id"),
            Sample.sampling_date.label("day"),
            Sample.conclusion.label("conclusion"),
        )
        .join(SamplingVisit, Sample.visit_id == SamplingVisit.id)
        .where(counted)
    )
    return union(producer, unit).subquery("pairs")


def histories(
    session: Session,
    today: date,
    the_rules: GradeRules,
    enterprise_ids: Iterable[int] | None = None,
) -> dict[int, History]:
    """The grading input of each enterprise (all, or those given): three grouped queries."""
    query = select(Enterprise.id, Enterprise.licence_no)
    if enterprise_ids is not None:
        query = query.where(Enterprise.id.in_(list(enterprise_ids)))
    licences = dict(session.execute(query).all())
    pairs = _pairs()
    start = grades.months_before(today, the_rules.window_months)
    where = [pairs.c.day <= today]
    if enterprise_ids is not None:
        where.append(pairs.c.enterprise_id.in_(list(licences)))
    last: dict[int, date] = dict(
        session.execute(
            select(pairs.c.enterprise_id, func.max(pairs.c.day))
            .where(*where)
            .group_by(pairs.c.enterprise_id)
        ).all()
    )
    window = [*where, pairs.c.day > start, pairs.c.conclusion == Conclusion.UNQUALIFIED.value]
    unqualified: dict[int, int] = dict(
        session.execute(
            select(pairs.c.enterprise_id, func.count(pairs.c.sample_id))
            .where(*window)
            .group_by(pairs.c.enterprise_id)
        ).all()
    )
    failed: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(pairs.c.enterprise_id, TestItem.hazard_class, func.count())
        .join(SampleResult, SampleResult.sample_id == pairs.c.sample_id)
        .join(TestItem, SampleResult.test_item_id == TestItem.id)
        .where(
            *window,
            SampleResult.verdict == VerdictValue.FAIL,
            SampleResult.status == ResultStatus.ACCEPTED,
        )
        .group_by(pairs.c.enterprise_id, TestItem.hazard_class)
    )
    for enterprise_id, hazard, count in rows:
        failed[int(str(enterprise_id))].extend([HazardClass(str(hazard)).value] * int(str(count)))
    result = {}
    for enterprise_id, licence_no in licences.items():
        day = last.get(enterprise_id)
        result[enterprise_id] = History(
            unqualified_batches=int(unqualified.get(enterprise_id, 0)),
            failed_hazards=tuple(sorted(failed.get(enterprise_id, ()))),
            months_since_sampled=None if day is None else grades.months_between(day, today),
            licence=grades.licence_category(licence_no),
        )
    return result


def grade_enterprises(
    session: Session, today: date | None = None, enterprise_ids: Iterable[int] | None = None
) -> dict[int, Grading]:
    """The grade each enterprise has by the rules today (nothing is written)."""
    today = today or clock.today()
    the_rules = rules(session)
    return {
        eid: grades.grade(history, the_rules)
        for eid, history in histories(session, today, the_rules, enterprise_ids).items()
    }


# --- explanations ----------------------------------------------------------------------------

# Why the rules grade an enterprise again after a grade set by hand (the first reason of the
# change the rules then record; worded when shown, as the others).
HAND_ENDED, HAND_CLEARED = "hand_ended", "hand_cleared"


def reasons_json(reasons: Iterable[Reason]) -> str:
    return json.dumps(
        [
            {"kind": r.kind, "count": r.count, "key": r.key, "points": str(r.points)}
            for r in reasons
        ],
        ensure_ascii=False,
    )


def reasons_from_json(text: str | None) -> tuple[Reason, ...]:
    if not text:
        return ()
    return tuple(
        Reason(r["kind"], int(r.get("count", 0)), r.get("key", ""), Decimal(r.get("points", "0")))
        for r in json.loads(text)
    )


def _hazard_title(key: str) -> str:
    try:
        return HazardClass(key).title
    except ValueError:
        return key


def reason_text(reason: Reason, window_months: int = 12) -> str:
    """One reason in words (translated)."""
    if reason.kind == "unqualified":
        return _(
            "%(n)d unqualified batches in %(months)d months", n=reason.count, months=window_months
        )
    if reason.kind == "hazard":
        return _("%(n)d × %(hazard)s", n=reason.count, hazard=_hazard_title(reason.key))
    if reason.kind == "stale":
        return _("last sampled %(months)d months ago", months=reason.count)
    if reason.kind == "never":
        return _("never sampled")
    if reason.kind == "licence":
        return str(LICENCE_TITLES.get(reason.key, reason.key))
    if reason.kind == "floor":
        return _("a severe hazard holds the grade at %(grade)s at least", grade=reason.key)
    if reason.kind == HAND_ENDED:
        return _("the grade set by hand reached its last day")
    if reason.kind == HAND_CLEARED:
        return _("the grade set by hand was cleared")
    return reason.kind


def explain(reasons: Iterable[Reason], window_months: int = 12) -> str:
    """The grade's explanation, e.g. 12个月内2批次不合格，1项非法添加/禁用物质，距上次抽检14个月."""
    return _(", ").join(reason_text(r, window_months) for r in reasons)


# --- recomputing and the history -------------------------------------------------------------


@dataclass(frozen=True)
class Recomputed:
    graded: int
    changed: int
    kept: int = 0  # grades set by hand still in force, left as they are

    def message(self) -> str:
        """What the recomputation did, the grades set by hand it kept included (the page's
        message and the command's)."""
        text = _(
            "%(graded)d enterprises graded, %(changed)d grades changed.",
            graded=self.graded,
            changed=self.changed,
        )
        if self.kept:
            text += " " + _(
                "%(kept)d grades set by hand kept (they hold until cleared or their last day).",
                kept=self.kept,
            )
        return text


def _latest_by_hand(session: Session, enterprise_ids: Iterable[int] | None = None):
    """(enterprise id, hold_until) of each enterprise whose latest change was set by hand."""
    latest = select(func.max(GradeChange.id)).group_by(GradeChange.enterprise_id)
    if enterprise_ids is not None:
        latest = latest.where(GradeChange.enterprise_id.in_(list(enterprise_ids)))
    return session.execute(
        select(GradeChange.enterprise_id, GradeChange.hold_until).where(
            GradeChange.id.in_(latest), GradeChange.by_hand
        )
    ).all()


def _in_force(hold_until: date | None, today: date) -> bool:
    return hold_until is None or hold_until >= today


def hand_grades(
    session: Session, today: date, enterprise_ids: Iterable[int] | None = None
) -> dict[int, bool]:
    """Enterprise id → whether its grade set by hand is still in force today (True) or has
    ended by its last day (False), for each enterprise whose latest change was by hand."""
    return {eid: _in_force(until, today) for eid, until in _latest_by_hand(session, enterprise_ids)}


def _change(
    enterprise_id: int,
    today: date,
    grading: Grading,
    old: RiskGrade | None,
    *,
    grade: RiskGrade | None = None,
    first: Reason | None = None,
    **fields,
) -> GradeChange:
    """A history row: ``grade`` (default the rules'), with the rules' score and reasons
    (after ``first``, where given)."""
    reasons = (first, *grading.reasons) if first else grading.reasons
    return GradeChange(
        enterprise_id=enterprise_id,
        graded_on=today,
        grade=grade or RiskGrade(grading.grade),
        previous_grade=old,
        score=str(grading.score),
        reasons=reasons_json(reasons),
        **fields,
    )


def _grade_entry(change: GradeChange, reason: str | None = None) -> audit.Change:
    old = change.previous_grade
    new: dict = {"risk_grade": change.grade.value, "score": change.score}
    if change.by_hand:
        new.update(by_hand=True, hold_until=change.hold_until)
    return audit.Change(
        "enterprise",
        change.enterprise_id,
        "grade",
        {"risk_grade": old.value if old else None},
        new,
        reason,
    )


def _one_grader_at_a_time(session: Session, enterprise: Enterprise | None = None) -> None:
    """Recomputing and setting or clearing a grade by hand take turns (PostgreSQL; SQLite
    lets one writer in anyway): a recompute that read no grade set by hand must not write
    over one committed meanwhile.  Each takes the same table lock first, before touching an
    enterprise's row (in either order they would deadlock), and reads the grade again."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE grade_changes IN SHARE ROW EXCLUSIVE MODE"))
        if enterprise is not None:
            session.refresh(enterprise, ["risk_grade"])


@writes(Role.SUPERVISOR)
def recompute(session: Session, actor: User, today: date | None = None) -> Recomputed:
    """Grade every enterprise; record a change (history row, audit entry) only where the grade
    differs from the current one, or where the rules grade the enterprise for the first time
    (a grade from the register, imported or typed before the grading, has no score nor
    reasons: the first recomputation records them even for the same grade, so every graded
    enterprise's grade is explained).  A grade set by hand still in force is kept (counted
    in ``kept``); one past its last day is replaced by the rules' grade, recorded even when
    it is the same grade.  ``changed`` counts the grades that changed."""
    today = today or clock.today()
    _one_grader_at_a_time(session)
    graded = grade_enterprises(session, today)
    current = dict(session.execute(select(Enterprise.id, Enterprise.risk_grade)).all())
    explained = set(session.scalars(select(GradeChange.enterprise_id).distinct()))
    by_hand = hand_grades(session, today)
    changes = []
    entries = []
    kept = 0
    for enterprise_id, grading in graded.items():
        new = RiskGrade(grading.grade)
        old = current.get(enterprise_id)
        if by_hand.get(enterprise_id):
            kept += 1
            continue
        ended = by_hand.get(enterprise_id) is False
        if old == new and not ended and enterprise_id in explained:
            continue
        first = Reason(HAND_ENDED) if ended else None
        change = _change(enterprise_id, today, grading, old, first=first)
        changes.append(change)
        entries.append(_grade_entry(change))
    if changes:
        by_id = {c.enterprise_id: c.grade for c in changes}
        for enterprise in session.scalars(select(Enterprise).where(Enterprise.id.in_(list(by_id)))):
            enterprise.risk_grade = by_id[enterprise.id]
        session.add_all(changes)
        session.flush()
        audit.record_many(session, actor, entries)
    changed = sum(1 for c in changes if c.grade != c.previous_grade)
    return Recomputed(graded=len(graded), changed=changed, kept=kept)


MAX_NOTE = 500


def _clean_note(text: str | None) -> str:
    note = (text or "").strip()
    if not note:
        raise ServiceError(
            _("Give the reason for the grade set by hand: it is kept with the grade."),
            field="reason",
        )
    if len(note) > MAX_NOTE:
        raise ServiceError(_("The reason is at most %(n)d characters.", n=MAX_NOTE), field="reason")
    return note


def _clean_grade(value) -> RiskGrade:
    try:
        return RiskGrade(str(value or "").strip().upper())
    except ValueError:
        raise ServiceError(_("The risk grade is A, B, C or D."), field="grade") from None


@writes(Role.SUPERVISOR)
def set_grade_by_hand(
    session: Session,
    actor: User,
    enterprise: Enterprise,
    *,
    grade,
    reason: str | None,
    hold_until: date | None = None,
    today: date | None = None,
) -> GradeChange:
    """Set ``enterprise``'s grade by hand, for ``reason``, until ``hold_until`` (its last
    day; None: until cleared).  Recorded (history row with the rules' score and reasons of
    the day, audit entry with the reason) even when the grade does not change: the grade
    is then held against the rules."""
    today = today or clock.today()
    new = _clean_grade(grade)
    note = _clean_note(reason)
    _one_grader_at_a_time(session, enterprise)
    if hold_until is not None and hold_until < today:
        raise ServiceError(
            _("The last day of the grade set by hand cannot be before today."),
            field="hold_until",
        )
    grading = grade_enterprises(session, today, [enterprise.id])[enterprise.id]
    change = _change(
        enterprise.id,
        today,
        grading,
        enterprise.risk_grade,
        grade=new,
        by_hand=True,
        note=note,
        hold_until=hold_until,
        set_by_id=actor.id,
    )
    return _recorded(session, actor, enterprise, change, note)


def _recorded(
    session: Session, actor: User, enterprise: Enterprise, change: GradeChange, note: str | None
) -> GradeChange:
    """A change made by hand (set or cleared): the enterprise takes its grade, audited."""
    enterprise.risk_grade = change.grade
    session.add(change)
    session.flush()
    audit.record_many(session, actor, [_grade_entry(change, note)])
    return change


@writes(Role.SUPERVISOR)
def clear_grade_by_hand(
    session: Session,
    actor: User,
    enterprise: Enterprise,
    *,
    reason: str | None = None,
    today: date | None = None,
) -> GradeChange:
    """End ``enterprise``'s grade set by hand now: the rules grade it again (recorded, even
    when the grade is the same).  Refused when no grade set by hand is in force."""
    today = today or clock.today()
    _one_grader_at_a_time(session, enterprise)
    if not hand_grades(session, today, [enterprise.id]).get(enterprise.id):
        raise ServiceError(_("%(name)s has no grade set by hand in force.", name=enterprise.name))
    note = (reason or "").strip()[:MAX_NOTE] or None
    grading = grade_enterprises(session, today, [enterprise.id])[enterprise.id]
    change = _change(
        enterprise.id,
        today,
        grading,
        enterprise.risk_grade,
        first=Reason(HAND_CLEARED),
        note=note,
        set_by_id=actor.id,
    )
    return _recorded(session, actor, enterprise, change, note)


def change_reason(change: GradeChange, window_months: int = 12) -> str:
    """Why a recorded change has its grade: set by hand (its reason, its last day), else the
    rules' reasons (after why a grade set by hand ended, where it did, and the reason given
    for clearing it)."""
    if change.by_hand:
        if change.hold_until:
            return _(
                "set by hand until %(day)s: %(reason)s",
                day=change.hold_until.isoformat(),
                reason=change.note or "",
            )
        return _("set by hand: %(reason)s", reason=change.note or "")
    explained = explain(reasons_from_json(change.reasons), window_months)
    return _(", ").join([explained, change.note]) if change.note else explained


def is_change(change: GradeChange) -> bool:
    """Whether a recorded grading changed what a reader follows: the grade, or a grade set by
    hand (set, cleared, or ended by its last day).  Not the rules confirming the register's
    grade at an enterprise's first grading (recorded for its score and reasons)."""
    if change.by_hand or change.grade != change.previous_grade:
        return True
    ended = (HAND_ENDED, HAND_CLEARED)
    return any(reason.kind in ended for reason in reasons_from_json(change.reasons))


def grade_history(session: Session, enterprise_id: int) -> list[GradeChange]:
    """An enterprise's grade changes, newest first."""
    return list(
        session.scalars(
            select(GradeChange)
            .where(GradeChange.enterprise_id == enterprise_id)
            .order_by(GradeChange.id.desc())
        )
    )


def latest_changes(session: Session, enterprise_ids: Iterable[int]) -> dict[int, GradeChange]:
    """The latest grade change of each enterprise given (those with one)."""
    ids = list(set(enterprise_ids))
    if not ids:
        return {}
    latest = (
        select(func.max(GradeChange.id))
        .where(GradeChange.enterprise_id.in_(ids))
        .group_by(GradeChange.enterprise_id)
    )
    return {
        c.enterprise_id: c
        for c in session.scalars(select(GradeChange).where(GradeChange.id.in_(latest)))
    }


# --- the grades as rows (command line, API, briefing) -----------------------------------------


@dataclass(frozen=True)
class GradeRow:
    enterprise_id: int
    name: str
    region_code: str | None
    grade: str  # by the rules today
    recorded: str | None  # the enterprise's recorded grade
    score: Decimal
    reason: str
    months_since_sampled: int | None = None  # None: never sampled


def grade_rows(
    session: Session,
    today: date | None = None,
    *,
    grade: str | None = None,
    region: str | None = None,
) -> list[GradeRow]:
    """Every enterprise's grade by today's rules, highest risk and score first (of one grade
    and district when given)."""
    today = today or clock.today()
    query = select(Enterprise.id, Enterprise.name, Enterprise.region_code, Enterprise.risk_grade)
    if region:
        query = query.where(Enterprise.region_code == region)
    found = session.execute(query).all()
    the_rules = rules(session)
    window = the_rules.window_months
    inputs = histories(session, today, the_rules, [row[0] for row in found] if region else None)
    rows = []
    for enterprise_id, name, region_code, recorded in found:
        result = grades.grade(inputs[enterprise_id], the_rules)
        if grade and result.grade != grade:
            continue
        rows.append(
            GradeRow(
                enterprise_id=enterprise_id,
                name=name,
                region_code=region_code,
                grade=result.grade,
                recorded=recorded.value if recorded else None,
                score=result.score,
                reason=explain(result.reasons, window),
                months_since_sampled=inputs[enterprise_id].months_since_sampled,
            )
        )
    rows.sort(key=lambda r: (grades.order_key(r.grade), -r.score, r.enterprise_id))
    return rows


VISIT_AFTER_MONTHS = 6  # an enterprise sampled more recently than this is not on the list


def visit_list(
    session: Session,
    today: date | None = None,
    *,
    region: str | None = None,
    months: int = VISIT_AFTER_MONTHS,
    limit: int = 50,
) -> list[GradeRow]:
    """Enterprises to visit: grade C or D by today's rules, not sampled in the last
    ``months`` months (or never), highest grade, then score, first."""
    rows = [
        r
        for r in grade_rows(session, today, region=region)
        if r.grade in ("C", "D")
        and (r.months_since_sampled is None or r.months_since_sampled >= months)
    ]
    return rows[:limit]
