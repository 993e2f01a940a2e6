"""Lab results: entry with immediate judgement, submission, four-eyes review, corrections,
retests and the sample conclusion.

A result row moves pending → entered → submitted → accepted, or submitted → returned →
entered …; an accepted row changes only through a correction (with a reason) or is replaced
by a retest (the original becomes superseded).  When every current row of a sample is
accepted, the sample's conclusion is derived with ``labsys.core.judgement.conclude``.

Every change is written to the audit trail: entity "result" (id = the result row) for the
rows, entity "sample" for the conclusion.  ``sample_history`` reads both for one sample.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import StaleDataError

from labsys.core import clock
from labsys.core.judgement import (
    MeasuredKind,
    MicroPlan,
    Spec,
    conclude,
    judge,
    judge_plan,
    parse_measured,
    reported_text,
)
from labsys.core.lifecycle import RESULT
from labsys.core.micro import (
    ColonyCount,
    judge_colony_count,
    judge_colony_plan,
    parse_colony_count,
)
from labsys.models import (
    AuditEntry,
    Conclusion,
    DecisionRule,
    InspectionType,
    Objection,
    ObjectionEffect,
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
    VerdictValue,
)
from labsys.services import assignments, audit, backups, esign, lifecycle, traceability
from labsys.services.access import writes
from labsys.services.errors import ConflictError, PermissionDenied, ServiceError, one_language

# The default of the setting of the same name (services.periods, with its article).
UNQUALIFIED_REPORT_WORKDAYS = 2
# Where a value may be typed: the sources of the table's "enter" rows.
EDITABLE = tuple(ResultStatus(state) for state in RESULT.sources("enter"))
# A reopened sample (reported, its conclusion withdrawn) is tested again too.
TESTING_STATUSES = (SampleStatus.RECEIVED, SampleStatus.CONCLUDED, SampleStatus.REOPENED)
# Microbiological unit results are recorded joined ("10, 20") or as imported ("10;20").
_SEPARATORS = re.compile(r"[\s,;，；]+")


# --- judging ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    """What entering a value produces: the stored texts and the verdict."""

    measured_text: str | None
    unit_values: str | None  # JSON list for microbiological rows
    reported_text: str
    verdict: VerdictValue
    lod: str | None


def micro_plan(result: SampleResult) -> MicroPlan:
    if result.micro_n is None:  # MicroPlan refused it too ("n must be an int")
        raise ValueError(f"{result.item_name!r} has no sampling plan (n)")
    return MicroPlan(result.micro_n, result.micro_c or 0, result.micro_m or "0", result.micro_big_m)


def limit_display(result: SampleResult) -> str:
    """The limit as shown beside the input: the plan for micro rows, else the limit text."""
    if result.is_microbiological:
        try:
            return micro_plan(result).text
        except ValueError:
            return ""
    return result.limit_text or "/"


def units_of(result: SampleResult) -> list[str]:
    return json.loads(result.unit_values) if result.unit_values else []


def value_display(result: SampleResult) -> str:
    """The value as entered: the measured text, or the micro unit results joined."""
    if result.unit_values:
        return ", ".join(units_of(result))
    return result.measured_text or ""


def printed_value(result: SampleResult, text: str, lod: str | None = None) -> str:
    """How ``text`` (a value as entered for ``result``) is printed on pages, reports and
    exports: a colony count by GB 4789.2 ("9.4×10⁴", "<10"), a micro unit as typed, else
    rounded by the frozen reporting rule and marked by GB/T 8170 when rounding alone would
    turn the verdict ("0.20(+)"). ValueError when ``text`` is not a result."""
    lod = lod or result.lod
    if result.is_colony_count:
        return _colony(result, text, lod).text
    if result.is_microbiological:
        return reported_text(text)
    return reported_text(
        text,
        interval=result.interval,
        significant=result.significant_digits,
        lod=lod,
        unit=result.unit,
        spec=result.limit_text or "",
        method=result.comparison_method,
    )


def _colony(result: SampleResult, text: str, lod: str | None) -> ColonyCount:
    """A colony count; no growth is "<1 × the lowest dilution", the row's LOD when it has one
    (1 for a liquid plated undiluted), else 10 (GB 4789.2 *(verify)*)."""
    return parse_colony_count(text, lowest_dilution=lod or None)


def _colony_units(result: SampleResult, units: Sequence[str], lod: str | None) -> list:
    counts = []
    for index, unit in enumerate(units, start=1):
        try:
            counts.append(_colony(result, unit, lod))
        except ValueError as error:
            raise ValueError(f"第{index}个样品单元 (unit {index}): {error}") from None
    return counts


def printed_units(result: SampleResult) -> list[str]:
    """The n unit results of a microbiological row as printed (colony counts by GB 4789.2)."""
    texts = []
    for unit in units_of(result):
        try:
            texts.append(printed_value(result, str(unit)))
        except ValueError:
            texts.append(str(unit))  # stored before the rules tightened: shown as typed
    return texts


def _may_be_inconclusive(result: SampleResult) -> bool:
    """Whether the sample's inspection type allows an inconclusive verdict (not supervision)."""
    return InspectionType.of(result.sample.inspection_type).rules.allows_inconclusive


def judge_values(
    result: SampleResult,
    measured_text: str | None,
    unit_values: Sequence[str] | None = None,
    lod: str | None = None,
) -> Judged:
    """Judge what was typed for ``result`` against its frozen specification.

    Raises ServiceError (field "measured_text", "unit_values" or "lod") with the core's
    message when the input is not a result.
    """
    if result.decision_rule == DecisionRule.GUARDED and not _may_be_inconclusive(result):
        raise ServiceError(
            _(
                "A supervision sample must conclude qualified or unqualified: the guarded "
                "decision rule is not available to it."
            ),
            field="measured_text",
        )
    lod = (lod or "").strip() or result.lod
    if lod:
        try:
            parse_measured("0", lod)
        except ValueError as error:
            raise ServiceError(one_language(str(error)), field="lod") from None
    if result.is_microbiological:
        return _judge_micro(result, unit_values or [], lod)
    measured = (measured_text or "").strip()
    if not measured:
        raise ServiceError(_("Enter a result."), field="measured_text")
    if len(measured) > 60:
        raise ServiceError(_("A result has at most 60 characters."), field="measured_text")
    if not result.is_colony_count:  # a colony count refuses a negative count itself
        _refuse_negative(measured)
    try:
        if result.is_colony_count:  # judged on its reported value (GB 4789.2, GB 4789.1)
            count = _colony(result, measured, lod)
            verdict, reported = judge_colony_count(count, result.limit_text or ""), count.text
        else:
            verdict = judge(
                measured,
                Spec.parse(result.limit_text or ""),
                method=result.comparison_method,
                interval=result.interval,
                lod=lod,
                rule=result.decision_rule,
                uncertainty=result.uncertainty,
            )
            reported = printed_value(result, measured, lod)
    except ValueError as error:
        raise ServiceError(one_language(str(error)), field="measured_text") from None
    return Judged(measured, None, reported, VerdictValue(verdict.value), lod)


def _refuse_negative(measured: str) -> None:
    """A measured content is never below zero: a negative number is a typing or
    blank-correction slip, refused rather than read as "not detected" below the LOD."""
    try:
        parsed = parse_measured(measured)
    except ValueError:
        return  # the judgement below names what is wrong
    if parsed.value is not None and parsed.value < 0:
        raise ServiceError(
            _(
                "A result cannot be negative (%(value)s). Enter 未检出 or <LOD for a value "
                "below the detection limit.",
                value=measured,
            ),
            field="measured_text",
        )


def not_detected_without_lod(result: SampleResult) -> bool:
    """A result saved as not detected on an item without a detection limit (the report
    then says 未检出 without saying below what)."""
    if result.is_microbiological or not result.measured_text:
        return False
    try:
        parsed = parse_measured(result.measured_text, result.lod or None)
    except ValueError:
        return False
    return parsed.kind == MeasuredKind.NOT_DETECTED and parsed.lod is None


def _units_reported(texts: list[str]) -> str:
    """The n unit results as reported: listed one by one, or, for large plans (a pathogen
    in infant formula is tested in n=60 units), as counts of each value: "未检出×60"."""
    listed = ",".join(texts)
    if len(listed) <= 80:
        return listed
    counts = Counter(texts)
    return ",".join(f"{text}×{count}" for text, count in counts.items())


def _judge_micro(result: SampleResult, unit_values: Sequence[str], lod: str | None) -> Judged:
    units = [(u or "").strip() for u in unit_values]
    n = result.micro_n
    if len(units) != n or not all(units):
        raise ServiceError(_("Enter all %(n)d unit results.", n=n), field="unit_values")
    try:
        if result.is_colony_count:  # the plan judges the reported counts (GB 4789.1)
            counts = _colony_units(result, units, lod)
            verdict = judge_colony_plan(micro_plan(result), counts)
            reported = _units_reported([count.text for count in counts])
        else:
            verdict = judge_plan(micro_plan(result), units)
            reported = _units_reported([reported_text(u) for u in units])
    except ValueError as error:
        raise ServiceError(one_language(str(error)), field="unit_values") from None
    if len(reported) > 80:
        raise ServiceError(_("The unit results are too long to report."), field="unit_values")
    return Judged(
        None, json.dumps(units, ensure_ascii=False), reported, VerdictValue(verdict.value), lod
    )


# --- entry -----------------------------------------------------------------------------------


@dataclass
class Entry:
    """One value typed on an entry page or worksheet."""

    result: SampleResult
    measured_text: str | None
    expected_version: int
    unit_values: Sequence[str] | None = None
    lod: str | None = None


class EntryErrors(ServiceError):
    """Some values on a page were refused; nothing was saved.  ``errors``: result id → text."""

    def __init__(self, errors: dict[int, str]):
        super().__init__(_("Nothing was saved: correct the values marked below."))
        self.errors = errors


def current_state(session: Session, result_ids: Iterable[int]) -> dict[int, tuple]:
    """id → (version_id, value as entered, who entered it) read from the database now."""
    ids = list(result_ids)
    rows = (
        session.execute(
            select(
                SampleResult.id,
                SampleResult.version_id,
                SampleResult.measured_text,
                SampleResult.unit_values,
                User.full_name,
                User.username,
            )
            .outerjoin(User, User.id == SampleResult.entered_by_id)
            .where(SampleResult.id.in_(ids))
        ).all()
        if ids
        else []
    )
    state = {}
    for row in rows:
        value = ", ".join(json.loads(row.unit_values)) if row.unit_values else row.measured_text
        state[row.id] = (row.version_id, value or "", row.full_name or row.username or "")
    return state


def conflict_error(result: SampleResult, value: str, who: str) -> ConflictError:
    message = _(
        "%(item)s was changed by someone else meanwhile: it is now “%(value)s” "
        "(saved by %(who)s). Your value was not saved; reload and check.",
        item=result.item_name,
        value=value or _("(empty)"),
        who=who or "-",
    )
    return ConflictError(message, current={"value": value, "by": who}, field="measured_text")


def _check_editable(result: SampleResult) -> None:
    if result.sample.status not in TESTING_STATUSES:
        raise ServiceError(
            _("Sample %(no)s is not in testing.", no=result.sample.sample_no), field="measured_text"
        )
    if result.status not in EDITABLE:
        raise ServiceError(
            _(
                "%(item)s is %(status)s and cannot be changed here.",
                item=result.item_name,
                status=result.status.title,
            ),
            field="measured_text",
        )


def _prepare(result: SampleResult, entry: Entry, state: dict[int, tuple]) -> Judged:
    """Check one entry against the row as it is in the database now, and judge it."""
    _check_editable(result)
    version, value, who = state.get(result.id, (None, "", ""))
    if version != entry.expected_version:
        raise conflict_error(result, value, who)
    return judge_values(result, entry.measured_text, entry.unit_values, entry.lod)


def unchanged(result: SampleResult, outcome: Judged) -> bool:
    """Whether saving ``outcome`` would leave the row's value as it is (same text, units and
    LOD)."""
    return (result.measured_text, result.unit_values, result.lod) == (
        outcome.measured_text,
        outcome.unit_values,
        outcome.lod,
    )


def _apply(
    session: Session, actor: User, prepared: list[tuple[Entry, Judged]]
) -> list[SampleResult]:
    """Write the judged values.  A row posted back unchanged is left alone when it is already
    entered (a page re-saved keeps each value's author); a returned or pending row is entered
    again, but ``entered_by`` moves only when the value changed: the author of a value is who
    typed it, and the audit trail records everyone who saved it (see ``value_authors``)."""
    prepared = [
        (entry, outcome)
        for entry, outcome in prepared
        if not (entry.result.status == ResultStatus.ENTERED and unchanged(entry.result, outcome))
    ]
    if not prepared:
        return []
    now = clock.now()
    olds = {}
    for entry, outcome in prepared:
        result = entry.result
        olds[result.id] = _values(result)
        if not unchanged(result, outcome) or result.entered_by_id is None:
            result.entered_by_id = actor.id
            result.entered_at = now
        result.measured_text = outcome.measured_text
        result.unit_values = outcome.unit_values
        result.reported_text = outcome.reported_text
        result.verdict = outcome.verdict
        result.lod = outcome.lod
        result.return_reason = None
    results = [entry.result for entry, _outcome in prepared]
    lifecycle.transition_many(
        session,
        actor,
        results,
        "enter",
        old=lambda r: olds[r.id],
        new=_values_with_sample,
        flush=lambda: _flush_versioned(session, results),
    )
    return results


@writes(Role.TECHNICIAN)
def enter_results(session: Session, actor: User, entries: Sequence[Entry]) -> list[SampleResult]:
    """Save and judge several values at once, all or nothing; returns the rows that changed
    (an entered row posted back with the same value is not saved again).

    Every entry is checked first; if any is refused, EntryErrors lists them all (by result
    id) and nothing is changed.  A version that no longer matches is a conflict for that row.
    """
    if not entries:
        raise ServiceError(_("Nothing to save: enter at least one result."))
    state = current_state(session, [e.result.id for e in entries])
    # A row assigned to another technician is theirs to enter (services/assignments.py).
    errors: dict[int, str] = assignments.refusals(session, actor, [e.result for e in entries])
    prepared: list[tuple[Entry, Judged]] = []
    for entry in entries:
        try:
            prepared.append((entry, _prepare(entry.result, entry, state)))
        except ServiceError as error:
            errors.setdefault(entry.result.id, error.message)
    if errors:
        raise EntryErrors(errors)
    return _apply(session, actor, prepared)


@writes(Role.TECHNICIAN)
def enter_result(
    session: Session,
    actor: User,
    result: SampleResult,
    *,
    measured_text: str | None,
    expected_version: int,
    unit_values: Sequence[str] | None = None,
    lod: str | None = None,
) -> SampleResult:
    """Save and judge one value.  ServiceError names the field; a stale ``expected_version``
    is a ConflictError carrying the current value and who saved it."""
    assignments.check(session, actor, [result])
    entry = Entry(result, measured_text, expected_version, unit_values, lod)
    outcome = _prepare(result, entry, current_state(session, [result.id]))
    _apply(session, actor, [(entry, outcome)])
    return result


def _values_with_sample(result: SampleResult) -> dict:
    return {**_values(result), "sample_id": result.sample_id}


def _values(result: SampleResult) -> dict:
    return {
        "measured": value_display(result) or None,
        "reported": result.reported_text,
        "verdict": result.verdict,
        "status": result.status,
        "lod": result.lod,
    }


def _flush_versioned(session: Session, results: Sequence[SampleResult]) -> None:
    """Flush, unless a row was changed by another transaction since it was read: then a
    ConflictError with that row's current value (SQLAlchemy's own version check at flush
    catches the remaining race)."""
    read_versions = {r.id: r.version_id for r in results}
    with session.no_autoflush:
        state = current_state(session, read_versions)
    for result in results:
        version, value, who = state.get(result.id, (None, "", ""))
        if version != read_versions[result.id]:
            raise conflict_error(result, value, who)
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError(
            _(
                "Someone else changed this record meanwhile. Nothing was "
                "saved; reload the page and check."
            )
        ) from None


# --- submission and review -------------------------------------------------------------------


def check_seen(session: Session, results: Sequence[SampleResult], seen: Mapping[int, int]) -> None:
    """Submit and accept act on what the user saw: ``seen`` maps each result id shown on the
    page to the version it was shown at.  A row not shown, or changed since (a new value,
    returned, accepted by someone else), refuses the whole batch with a ConflictError
    naming the rows; nothing is changed."""
    state = current_state(session, [r.id for r in results])
    changed = []
    for result in results:
        version, value, _who = state.get(result.id, (None, "", ""))
        if result.id not in seen or seen[result.id] != version:
            changed.append(f"{result.item_name} “{value or '-'}”")
    if changed:
        raise ConflictError(
            _(
                "Changed since the page was opened: %(items)s. Nothing was done; reload the "
                "page and check the values.",
                items="、".join(changed),
            )
        )


@writes(Role.TECHNICIAN)
def submit_results(
    session: Session,
    actor: User,
    results: Sequence[SampleResult],
    *,
    seen: Mapping[int, int] | None = None,
) -> int:
    """Send entered results for review; returns how many were submitted.  ``seen`` (result
    id → version shown; the pages always pass it): every row given must still be as shown."""
    if seen is not None:
        check_seen(session, results, seen)
    ready = [r for r in results if r.status == ResultStatus.ENTERED]
    if not ready:
        raise ServiceError(_("There are no entered results to submit."))
    traceability.require_bench_records(session, ready)  # when BENCH_RECORD_REQUIRED
    now = clock.now()
    for result in ready:
        result.submitted_at = now
        result.return_reason = None
    lifecycle.transition_many(
        session,
        actor,
        ready,
        "submit",
        new=_sample_of,
        flush=lambda: _flush_versioned(session, ready),
    )
    return len(ready)


def _sample_of(result: SampleResult) -> dict:
    return {"sample_id": result.sample_id}


def _tokens(value) -> list[str]:
    """A value as compared for authorship: its parts, numbers by value ("0.10" is "0.1")."""
    tokens = []
    for token in _SEPARATORS.split(str(value or "")):
        if token:
            try:
                number = Decimal(token)
            except InvalidOperation:
                tokens.append(token.casefold())
            else:
                tokens.append(str(number.normalize()) if number.is_finite() else token)
    return tokens


def value_authors(session: Session, results: Sequence[SampleResult]) -> dict[int, set[int]]:
    """Per result id, everyone who entered its current value: who ``entered_by`` names, and
    every user whose entry or correction in the audit trail saved this same value (a value
    re-saved by a colleague, or typed again after being changed)."""
    authors: dict[int, set[int]] = {
        r.id: {r.entered_by_id} if r.entered_by_id is not None else set() for r in results
    }
    current = {str(r.id): (r.id, _tokens(value_display(r))) for r in results}
    if not current:
        return authors
    rows = session.execute(
        select(AuditEntry.entity_id, AuditEntry.user_id, AuditEntry.new_values).where(
            AuditEntry.entity == "result",
            AuditEntry.entity_id.in_(list(current)),
            AuditEntry.action.in_(("enter", "correct")),
        )
    )
    for entity_id, user_id, values in rows:
        result_id, tokens = current[entity_id]
        new = json.loads(values or "{}")
        if user_id is not None and _tokens(new.get("measured")) == tokens:
            authors[result_id].add(user_id)
    return authors


def check_may_review(actor: User, result: SampleResult, authors: set[int] | None = None) -> None:
    """The four-eyes rule: a reviewer, and never a person who entered the current value
    (``authors``, from :func:`value_authors`; else who ``entered_by`` names)."""
    if actor is None or not actor.has_role(Role.REVIEWER):
        raise PermissionDenied(_("Only a reviewer may review results."))
    if actor.id in (authors if authors is not None else {result.entered_by_id}):
        raise PermissionDenied(
            _(
                "You entered %(item)s yourself (this value, or saved it too): another "
                "reviewer must review it.",
                item=result.item_name,
            )
        )


@writes(Role.REVIEWER, message=_l("Only a reviewer may review results."))
def review_result(
    session: Session,
    actor: User,
    result: SampleResult,
    *,
    accept: bool,
    reason: str | None = None,
    signature: esign.Signature | None = None,
) -> SampleResult:
    """Accept a submitted result (an electronic signature: ``signature`` from
    ``esign.sign``), or return it to the technician with a reason."""
    if accept:
        esign.check(signature, actor, esign.Meaning.REVIEW)
    _review(
        session,
        actor,
        result,
        accept=accept,
        reason=reason,
        authors=value_authors(session, [result])[result.id],
    )
    if accept:
        derive_conclusion(session, result.sample, actor=actor)
    return result


def _review(
    session: Session,
    actor: User,
    result: SampleResult,
    *,
    accept: bool,
    reason: str | None,
    authors: set[int],
) -> None:
    check_may_review(actor, result, authors)
    if result.status != ResultStatus.SUBMITTED:
        raise ServiceError(_("%(item)s is not awaiting review.", item=result.item_name))
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ServiceError(_("Give the reason for returning the result."), field="reason")
    result.reviewed_by_id = actor.id
    result.reviewed_at = clock.now()
    result.return_reason = None if accept else reason
    lifecycle.transition(
        session,
        actor,
        result,
        "accept" if accept else "return",
        reason=reason or None,
        new=_signed_review if accept else _sample_of,
        flush=lambda: _flush_versioned(session, [result]),
    )


def _signed_review(result: SampleResult) -> dict:
    return {"sample_id": result.sample_id, "signed": esign.Meaning.REVIEW}


@writes(Role.REVIEWER, message=_l("Only a reviewer may review results."))
def accept_results(
    session: Session,
    actor: User,
    results: Sequence[SampleResult],
    *,
    signature: esign.Signature | None,
    seen: Mapping[int, int] | None = None,
) -> int:
    """Accept every submitted result given (e.g. all of a sample's), signed once for the
    batch; returns how many.  ``seen`` (result id → version shown; the pages always pass
    it): every result given must still be as shown, else nothing is accepted."""
    esign.check(signature, actor, esign.Meaning.REVIEW)
    if seen is not None:
        check_seen(session, results, seen)
    pending = [r for r in results if r.status == ResultStatus.SUBMITTED]
    if not pending:
        raise ServiceError(_("There are no results awaiting review."))
    authors = value_authors(session, pending)
    for result in pending:
        _review(session, actor, result, accept=True, reason=None, authors=authors[result.id])
    for sample in {r.sample_id: r.sample for r in pending}.values():
        derive_conclusion(session, sample, actor=actor)
    return len(pending)


# --- corrections and retests -----------------------------------------------------------------


def _report_in_force(sample: Sample) -> bool:
    session = object_session(sample)
    return session is not None and (
        session.scalar(
            select(Report.id).where(
                Report.sample_id == sample.id, Report.status == ReportStatus.ISSUED
            )
        )
        is not None
    )


def _refuse_reported(sample: Sample, *, retest: bool) -> None:
    """After a report is issued nothing changes except through a report correction.  A
    reopened sample (its conclusion withdrawn) is as locked while a report of it is still in
    force (reopened before issue 18): its re-conclusion would otherwise disagree with that
    report; once the report is withdrawn, the sample is concluded again and waits for a new
    report."""
    if sample.status == SampleStatus.REOPENED:
        if not _report_in_force(sample):
            return
    elif sample.status != SampleStatus.REPORTED:
        return
    if retest:
        message = _(
            "A report is issued for sample %(no)s: its results cannot be retested; request "
            "a report correction (a supervisor approves it and issues the superseding report).",
            no=sample.sample_no,
        )
    else:
        message = _(
            "A report is issued for sample %(no)s: its results change only through a report "
            "correction, which a supervisor approves and which issues the superseding report.",
            no=sample.sample_no,
        )
    raise ServiceError(message)


def _refuse_during_retest(session: Session, sample: Sample) -> None:
    from labsys.services import retests  # retests → reports → results

    retests.refuse_correction_during(session, sample)


@writes(Role.REVIEWER, Role.SUPERVISOR)
def correct_result(
    session: Session,
    actor: User,
    result: SampleResult,
    *,
    measured_text: str | None,
    expected_version: int,
    reason: str,
    unit_values: Sequence[str] | None = None,
    lod: str | None = None,
) -> SampleResult:
    """Change an accepted result: a reviewer or supervisor (not who entered it), a reason;
    old and new values go to the audit trail.  The corrected value is the corrector's (they
    become its author, ``entered_by``) and goes back to *submitted*: another reviewer, not
    the corrector, accepts it; until then the sample's conclusion is withdrawn (as for a
    retest) and derived again at that acceptance.  A reported sample's result is changed
    only by a report correction (``corrections``); none while a retest (复检) of the sample
    is under way (``retests.refuse_correction_during``)."""
    _refuse_reported(result.sample, retest=False)
    _refuse_during_retest(session, result.sample)
    if result.status != ResultStatus.ACCEPTED:
        raise ServiceError(
            _(
                "Only an accepted result is corrected; this one is %(status)s.",
                status=result.status.title,
            )
        )
    if actor.id in value_authors(session, [result])[result.id]:
        raise PermissionDenied(
            _(
                "You entered %(item)s yourself: another reviewer must correct it.",
                item=result.item_name,
            )
        )
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for the correction."), field="reason")
    version, value, who = current_state(session, [result.id]).get(result.id, (None, "", ""))
    if version != expected_version:
        raise conflict_error(result, value, who)
    outcome = judge_values(result, measured_text, unit_values, lod)
    sample = result.sample
    withdraw = sample.status in (SampleStatus.CONCLUDED, SampleStatus.REPORTED)
    if withdraw:
        lifecycle.check(actor, sample, "suspend")  # before anything changes
    old, old_author = _values(result), result.entered_by_id
    now = clock.now()
    result.measured_text = outcome.measured_text
    result.unit_values = outcome.unit_values
    result.reported_text = outcome.reported_text
    result.verdict = outcome.verdict
    result.lod = outcome.lod
    result.entered_by_id = actor.id
    result.entered_at = now
    result.submitted_at = now
    result.reviewed_by_id = None
    result.reviewed_at = None
    lifecycle.transition(
        session,
        actor,
        result,
        "correct",
        reason=reason,
        done_by={"entered_by_id": old_author},
        old=old,
        new=_values_with_sample,
        flush=lambda: _flush_versioned(session, [result]),
    )
    if withdraw:
        # Concluded → received, its conclusion suspended until the corrected value is
        # accepted (its time and deadlines kept: ``derive_conclusion``).
        lifecycle.transition(
            session, actor, sample, "suspend", reason=reason, old=_sample_values(sample)
        )
    return result


_SPEC_COLUMNS = (
    "sample_id",
    "test_item_id",
    "seq",
    "item_name",
    "unit",
    "limit_text",
    "method_standard",
    "judgement_basis",
    "lod",
    "loq",
    "interval",
    "significant_digits",
    "is_colony_count",
    "comparison_method",
    "decision_rule",
    "uncertainty",
    "micro_n",
    "micro_c",
    "micro_m",
    "micro_big_m",
)


@writes(Role.REVIEWER, Role.SUPERVISOR)
def retest(session: Session, actor: User, result: SampleResult, reason: str) -> SampleResult:
    """Test an accepted item again: a new pending row with the same frozen specification,
    linked to the original, which stays visible as superseded.  The sample's conclusion is
    withdrawn until the retest is accepted.  Never once a report is issued: the report stands
    until a report correction supersedes it (issue 18 §2), nor while a retest (复检) of the
    sample is under way at another lab."""
    _refuse_reported(result.sample, retest=True)
    _refuse_during_retest(session, result.sample)
    if result.status != ResultStatus.ACCEPTED:
        raise ServiceError(
            _(
                "Only an accepted result can be retested; this one is %(status)s.",
                status=result.status.title,
            )
        )
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for the retest."), field="reason")
    sample = result.sample
    lifecycle.check(actor, sample, "suspend")  # before anything changes
    create, first_state = lifecycle.start(actor, SampleResult, "create")
    new = SampleResult(
        **{c: getattr(result, c) for c in _SPEC_COLUMNS},
        status=first_state,
        supersedes_id=result.id,
    )
    session.add(new)
    lifecycle.transition(
        session,
        actor,
        result,
        "retest",
        reason=reason,
        new=lambda r: {"retest_id": new.id, "sample_id": r.sample_id},
        flush=lambda: _flush_versioned(session, [result]),
    )
    audit.record(
        session,
        actor,
        "result",
        new.id,
        create.action,
        new={"status": new.status, "supersedes_id": result.id, "sample_id": new.sample_id},
        reason=reason,
    )
    # Concluded → received (a reopened sample stays so), the conclusion suspended until the
    # retest is accepted (its time and deadlines kept: ``derive_conclusion``).
    lifecycle.transition(
        session, actor, sample, "suspend", reason=reason, old=_sample_values(sample)
    )
    backups.conclusion_changed(session, actor, sample)  # kept while it is tested again
    return new


# --- the conclusion --------------------------------------------------------------------------


def current_results(session: Session, sample: Sample) -> list[SampleResult]:
    """The sample's rows that count: every one but those superseded by a retest."""
    return list(
        session.scalars(
            select(SampleResult)
            .where(
                SampleResult.sample_id == sample.id, SampleResult.status != ResultStatus.SUPERSEDED
            )
            .order_by(SampleResult.seq, SampleResult.id)
        )
    )


def retest_conclusion(session: Session, sample: Sample) -> Conclusion | None:
    """The conclusion of the sample's retest (复检) that reported, if any (Art. 35: final),
    unless an objection upheld on or after the retest's report withdrew the conclusion
    (Art. 39 *(verify)*): that later decision stands, and the corrected rows conclude."""
    retest = session.execute(
        select(Retest.conclusion, Retest.reported_on)
        .where(Retest.sample_id == sample.id, Retest.status == RetestStatus.RETESTED)
        .order_by(Retest.id.desc())
        .limit(1)
    ).first()
    if retest is None or retest.reported_on is None:
        return None
    withdrawn_since = session.scalar(
        select(
            exists().where(
                Objection.sample_id == sample.id,
                Objection.status == ObjectionStatus.UPHELD,
                Objection.effect == ObjectionEffect.WITHDRAWN,
                Objection.outcome_on >= retest.reported_on,
            )
        )
    )
    return None if withdrawn_since else retest.conclusion


def _sample_values(sample: Sample) -> dict:
    return {
        "status": sample.status,
        "conclusion": sample.conclusion,
        "concluded_at": sample.concluded_at,
        "due_unqualified_report": sample.due_unqualified_report,
        "due_qualified_report": sample.due_qualified_report,
    }


def _reached_before(sample: Sample, conclusion: Conclusion, final: Conclusion | None) -> bool:
    """Whether ``conclusion`` is the sample's conclusion since ``concluded_at``, whose time
    then stays.  Periods run from it: the unqualified (qualified) result reported within 2
    (7) working days (SAMR Order No. 15 (2019) Art. 26 *(verify)*), the backup's retention
    (Art. 25), and no one can have received the conclusion before it (the notification,
    from which Arts. 30 and 37 count *(verify)*).  So it is kept when:

    - the conclusion comes from the retest (复检, Art. 35 *(verify)*): it keeps its day;
    - it is derived again unchanged (a reported result corrected by a report correction);
    - it was suspended while the lab corrected a result or tested it again (the
      ``suspend`` event) and comes out the same: the deadline of that conclusion is still
      running (``due_unqualified_report`` or ``due_qualified_report``: the effect that
      starts them keeps a running one and clears the other).

    A different conclusion is a new one: its time, and its deadline, start now."""
    if sample.concluded_at is None:
        return False
    if final is not None:
        return True
    if sample.conclusion is not None:
        return sample.conclusion == conclusion
    running = {
        Conclusion.UNQUALIFIED: sample.due_unqualified_report,
        Conclusion.QUALIFIED: sample.due_qualified_report,
    }
    return running.get(conclusion) is not None


@writes(Role.REVIEWER, Role.SUPERVISOR)
def derive_conclusion(
    session: Session, sample: Sample, actor: User, today: date | None = None
) -> Conclusion | None:
    """When every current row is accepted: the conclusion from their verdicts; an unqualified
    sample gets its reporting deadline (2 working days).  Otherwise nothing changes.

    A sample whose retest (复检) reported keeps the retest's conclusion: SAMR Order No. 15
    (2019) Art. 35 *(verify)* makes it the final one.  A first-test row corrected or tested
    again afterwards (a transcription error found later) is recorded and judged, and the
    report prints it as the initial result, but it no longer decides the conclusion.  A
    quality manager would not refuse the correction: the record must be true (ISO/IEC
    17025 7.5 *(verify)*), and refusing would leave a value known to be wrong on file.

    The time of the conclusion (``concluded_at``) is kept when the conclusion is the one
    reached before (see ``_reached_before``): a result corrected or tested again that leaves
    it unchanged does not move the periods running from it."""
    rows = current_results(session, sample)
    if not rows or any(r.status != ResultStatus.ACCEPTED for r in rows):
        return None
    final = retest_conclusion(session, sample)
    if final is None:
        conclusion = Conclusion(conclude(r.verdict.value for r in rows if r.verdict is not None))
    else:
        conclusion = final
    old = _sample_values(sample)
    if not _reached_before(sample, conclusion, final):
        sample.concluded_at = clock.now()
    sample.conclusion = conclusion
    lifecycle.transition(
        session,
        actor,
        sample,
        "conclude",
        on=today or clock.today(),
        old=old,
        new=_sample_values,
        reason=None if final is None else _("Art. 35: the retest's conclusion is the final one."),
    )
    backups.conclusion_changed(session, actor, sample)  # the backup's retention follows
    return conclusion


# --- reading ---------------------------------------------------------------------------------


def sample_history(session: Session, sample: Sample) -> list[AuditEntry]:
    """The audit entries of a sample and of all its result rows, oldest first."""
    result_ids = [
        str(i)
        for i in session.scalars(select(SampleResult.id).where(SampleResult.sample_id == sample.id))
    ]
    condition = and_(AuditEntry.entity == "sample", AuditEntry.entity_id == str(sample.id))
    if result_ids:
        condition = or_(
            condition, and_(AuditEntry.entity == "result", AuditEntry.entity_id.in_(result_ids))
        )
    return list(session.scalars(select(AuditEntry).where(condition).order_by(AuditEntry.id)))
