"""Correcting and voiding the record: one mechanism for sampling forms, batches and results
(issue 13 §3, issue 18 §2).

Three regimes, decided by the state of the samples concerned (for a visit: the strictest of
its batches that are not voided):

- **Before receipt** (every sample *registered*): the sampling team changes any field of a
  batch or of its visit directly, and may void a batch or the whole form with a reason.
  Each change is audited with its old and new values.
- **After receipt** (received, rejected, concluded): a change or a voiding is a *request*
  with a reason, pending until a reviewer or supervisor other than the requester approves
  it (then it is applied, audited before/after) or rejects it; the requester may withdraw
  it.  One pending request per record at a time.
- **Reported** (a report is issued): nothing changes except through a report correction.
  Sampler corrections and result corrections are requests that only a supervisor may approve,
  and approving them issues the superseding report in the same transaction
  (``reports.correct_report``: new number, "本报告替代 …", the approver an authorised
  signatory who neither wrote nor reviewed it), so the published announcement and the pass
  rates never disagree with the report in force.  A reported sample cannot be voided, and
  its results cannot be retested (``results.retest`` refuses).

Optimistic locking: a request records the version of its target; approval is refused when
the target changed since (the request must be made again), and every decision posts the
request's own version.  The states of a request: ``labsys.core.lifecycle.CORRECTION``.

The fields a request may change are the sampling form's own (``sampling.BATCH_FIELDS``,
``sampling.VISIT_FIELDS``) and a result's value: a field added to the form is correctable
without a change here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from labsys.core import clock
from labsys.models import (
    Correction,
    CorrectionAction,
    CorrectionStatus,
    CorrectionTarget,
    Report,
    ReportStatus,
    ResultStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    SamplingVisit,
    User,
)
from labsys.models.correction import REASON_MAX
from labsys.services import audit, esign, lifecycle, objections, sampling
from labsys.services.access import writes
from labsys.services.errors import ConflictError, PermissionDenied, ServiceError

ASKERS = (Role.SAMPLER, Role.REVIEWER, Role.SUPERVISOR)
DECIDERS = (Role.REVIEWER, Role.SUPERVISOR)
NOTE_MAX = 500


# --- regimes ---------------------------------------------------------------------------------


def live_samples(visit: SamplingVisit) -> list[Sample]:
    return [s for s in visit.samples if s.status != SampleStatus.VOIDED]


def regime(samples: Iterable[Sample]) -> str:
    """ "direct" (nothing received), "approval" (received) or "report" (a report issued)."""
    states = {s.status for s in samples}
    if states & {SampleStatus.REPORTED, SampleStatus.REOPENED}:
        return "report"
    if states - {SampleStatus.REGISTERED, SampleStatus.VOIDED}:
        return "approval"
    return "direct"


def _samples_of(correction: Correction, session: Session) -> list[Sample]:
    if correction.target == CorrectionTarget.VISIT:
        visit = session.get(SamplingVisit, correction.target_id)
        return live_samples(visit) if visit is not None else []
    return [correction.sample] if correction.sample else []


def pending_for(session: Session, target: CorrectionTarget, target_id: int) -> Correction | None:
    return session.scalar(
        select(Correction).where(
            Correction.target == target,
            Correction.target_id == target_id,
            Correction.status == CorrectionStatus.PENDING,
        )
    )


def may_decide(session: Session, user: User, correction: Correction) -> bool:
    """Whether ``user`` may approve or reject ``correction`` now (for the pages' buttons)."""
    if not correction.status.is_pending or user.id == correction.requested_by_id:
        return False
    if regime(_samples_of(correction, session)) == "report":
        return user.has_role(Role.SUPERVISOR)
    return user.has_role(*DECIDERS)


# --- values in a request ---------------------------------------------------------------------


def _plain(value):
    if isinstance(value, date | datetime | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _dump(values: dict) -> str:
    return json.dumps({k: _plain(v) for k, v in values.items()}, ensure_ascii=False)


def changes_of(correction: Correction) -> dict:
    return json.loads(correction.changes or "{}")


def before_of(correction: Correction) -> dict:
    return json.loads(correction.before or "{}")


def _typed(model: type, values: dict) -> dict:
    """Stored values back to what the service takes: dates of date columns as ``date``."""
    columns = model.__table__.c  # type: ignore[attr-defined]
    typed = {}
    for key, value in values.items():
        column = columns.get(key)
        if value and column is not None and isinstance(column.type, Date):
            value = date.fromisoformat(value)
        typed[key] = value
    return typed


# --- asking ----------------------------------------------------------------------------------


def _reason(reason: str | None, *, required: bool = True) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ServiceError(_("Give the reason for the correction."), field="reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(
            _("The reason is at most %(n)d characters.", n=REASON_MAX), field="reason"
        )
    return reason


def _check_version(record, expected_version: int | None, name: str) -> None:
    if expected_version is not None and record.version_id != expected_version:
        raise ConflictError(
            _(
                "Someone else changed %(name)s meanwhile; reload it and check before you "
                "correct it.",
                name=name,
            ),
            current=record,
        )


def _no_pending(session: Session, target: CorrectionTarget, target_id: int, name: str) -> None:
    pending = pending_for(session, target, target_id)
    if pending is not None:
        raise ServiceError(
            _(
                "%(name)s already has a correction request awaiting approval (#%(id)d): "
                "wait for the decision or withdraw it first.",
                name=name,
                id=pending.id,
            )
        )


def _new_request(
    session: Session,
    actor: User,
    record: Sample | SamplingVisit | SampleResult,
    action: CorrectionAction,
    *,
    old: dict,
    new: dict,
    reason: str,
) -> Correction:
    """A pending request to correct or void ``record`` (a batch, a visit or a result), with
    the record's version, audited as the requester's."""
    target, visit_id, sample_id = _request_target(record)
    request, first_state = lifecycle.start(actor, Correction, "request")
    correction = Correction(
        target=target,
        target_id=record.id,
        action=action,
        status=first_state,
        visit_id=visit_id,
        sample_id=sample_id,
        changes=_dump(new),
        before=_dump(old),
        target_version=record.version_id,
        reason=reason,
        requested_by_id=actor.id,
        requested_at=clock.now(),
    )
    session.add(correction)
    session.flush()
    audit.record(
        session,
        actor,
        "correction",
        correction.id,
        request.action,
        old=old,
        new={
            **new,
            "status": correction.status,
            "target": f"{target.value}:{record.id}",
            "action": action,
        },
        reason=reason,
    )
    return correction


def _request_target(
    record: Sample | SamplingVisit | SampleResult,
) -> tuple[CorrectionTarget, int, int | None]:
    """(target kind, visit id, sample id) of a request about ``record``."""
    if isinstance(record, SamplingVisit):
        return CorrectionTarget.VISIT, record.id, None
    if isinstance(record, Sample):
        return CorrectionTarget.SAMPLE, record.visit_id, record.id
    return CorrectionTarget.RESULT, record.sample.visit_id, record.sample_id


def _check_team_or_supervisor(session: Session, actor: User, sample: Sample) -> None:
    if not sampling.may_ask(session, actor, sample):
        raise PermissionDenied(
            _(
                "Only the sampling team or a supervisor may correct sample %(no)s.",
                no=sample.sample_no,
            )
        )


@writes(*ASKERS)
def correct_sample(
    session: Session,
    actor: User,
    sample: Sample,
    *,
    changes: dict,
    reason: str | None,
    expected_version: int | None,
) -> Correction | None:
    """Correct a batch's form fields (``sampling.BATCH_FIELDS`` names): before receipt at
    once (its team; the reason optional), after receipt as a request awaiting approval.
    Returns the request, or None when the change was applied."""
    if sample.status == SampleStatus.VOIDED:
        raise ServiceError(_("Sample %(no)s is voided.", no=sample.sample_no))
    if sample.status == SampleStatus.REGISTERED:
        if not sampling.can_edit(session, actor, sample):
            raise PermissionDenied(
                _("Only the samplers who took sample %(no)s may edit it.", no=sample.sample_no)
            )
        _no_pending(session, CorrectionTarget.SAMPLE, sample.id, sample.sample_no)
        version = sample.version_id if expected_version is None else expected_version
        sampling._apply_changes(
            session, actor, sample, version, changes, "update", _reason(reason, required=False)
        )
        return None
    if sample.status == SampleStatus.REOPENED:
        raise ServiceError(
            _(
                "Sample %(no)s is being retested: correct it once its report is corrected.",
                no=sample.sample_no,
            )
        )
    _check_team_or_supervisor(session, actor, sample)
    _refuse_during_retest(session, [sample], what="form")
    reason = _reason(reason)
    _check_version(sample, expected_version, sample.sample_no)
    category = changes.get("category_id")
    if category is not None and category != "" and int(category) != sample.category_id:
        raise ServiceError(
            _("The category cannot change after receipt: its test items are fixed."),
            field="category",
        )
    changes = {k: v for k, v in changes.items() if k != "category_id"}
    old, new = sampling.sample_changes(session, sample, changes)
    if not new:
        raise ServiceError(_("Nothing would change: correct at least one field."))
    _no_pending(session, CorrectionTarget.SAMPLE, sample.id, sample.sample_no)
    return _new_request(
        session, actor, sample, CorrectionAction.CORRECT, old=old, new=new, reason=reason
    )


def _refuse_during_retest(session: Session, samples: Sequence[Sample], *, what: str) -> None:
    """No correction of a result (``what="result"``) or of a sampling form (``"form"``),
    nor voiding (``"void"``), while a retest (复检) of one of the samples is under way
    (``retests.refuse_correction_during``)."""
    from labsys.services import retests  # retests → reports → results → … → corrections

    for sample in sorted(samples, key=lambda s: s.id):
        retests.refuse_correction_during(session, sample, what=what)


def _visit_name(visit: SamplingVisit) -> str:
    return _("sampling form #%(id)d", id=visit.id)


def _check_visit_actor(session: Session, actor: User, visit: SamplingVisit) -> None:
    team = {link.user_id for link in visit.sampler_links}
    if not (actor.has_role(Role.SUPERVISOR) or (actor.has_role(Role.SAMPLER) and actor.id in team)):
        raise PermissionDenied(
            _("Only the sampling team or a supervisor may correct this sampling form.")
        )


@writes(*ASKERS)
def correct_visit(
    session: Session,
    actor: User,
    visit: SamplingVisit,
    *,
    changes: dict,
    reason: str | None,
    expected_version: int | None,
) -> Correction | None:
    """Correct the visit's fields (``sampling.VISIT_FIELDS``; copied onto its batches): at once
    while nothing is received (its team), else as a request awaiting approval."""
    if visit.voided_at is not None:
        raise ServiceError(_("This sampling form is voided."))
    _check_visit_actor(session, actor, visit)
    samples = live_samples(visit)
    mode = regime(samples)
    if any(s.status == SampleStatus.REOPENED for s in samples):
        raise ServiceError(_("A sample of this form is being retested: correct it afterwards."))
    if mode == "direct" and not actor.has_role(Role.SAMPLER):
        raise PermissionDenied(_("Before receipt the sampling team corrects its own form."))
    _refuse_during_retest(session, samples, what="form")
    reason = _reason(reason, required=mode != "direct")
    _check_version(visit, expected_version, _visit_name(visit))
    old, new = sampling.visit_changes(session, visit, changes)
    if not new:
        raise ServiceError(_("Nothing would change: correct at least one field."))
    _no_pending(session, CorrectionTarget.VISIT, visit.id, _visit_name(visit))
    if "sampling_date" in new:  # refused now rather than at the approval (checked again then)
        objections.sampling_windows_moved(
            session, [s.id for s in visit.samples], new["sampling_date"]
        )
    if mode == "direct":
        sampling._apply_visit_changes(session, actor, visit, new, reason or None)
        return None
    return _new_request(
        session, actor, visit, CorrectionAction.CORRECT, old=old, new=new, reason=reason
    )


# --- voiding ---------------------------------------------------------------------------------


def _refuse_reported(samples: Sequence[Sample]) -> None:
    reported = [s.sample_no for s in samples if s.status.is_reported]
    if reported:
        raise ServiceError(
            _(
                "A report is issued for %(nos)s: a reported sample cannot be voided; "
                "correct its report instead.",
                nos="、".join(reported),
            )
        )


@writes(*ASKERS)
def void_sample(
    session: Session,
    actor: User,
    sample: Sample,
    *,
    reason: str | None,
    expected_version: int | None,
) -> Correction | None:
    """Void one batch (作废) with a reason: at once before receipt (its team or a supervisor),
    after receipt as a request; never once reported.  The number is never reused."""
    if sample.status == SampleStatus.VOIDED:
        raise ServiceError(_("Sample %(no)s is already voided.", no=sample.sample_no))
    _refuse_reported([sample])
    _check_team_or_supervisor(session, actor, sample)
    _refuse_during_retest(session, [sample], what="void")
    reason = _reason(reason)
    _check_version(sample, expected_version, sample.sample_no)
    _no_pending(session, CorrectionTarget.SAMPLE, sample.id, sample.sample_no)
    if sample.status == SampleStatus.REGISTERED:
        _void_samples(session, actor, [sample], reason)
        return None
    return _new_request(
        session,
        actor,
        sample,
        CorrectionAction.VOID,
        old={"status": sample.status},
        new={"status": SampleStatus.VOIDED},
        reason=reason,
    )


@writes(*ASKERS)
def void_visit(
    session: Session,
    actor: User,
    visit: SamplingVisit,
    *,
    reason: str | None,
    expected_version: int | None,
) -> Correction | None:
    """Void a whole sampling form and every batch on it, with a reason (as ``void_sample``)."""
    if visit.voided_at is not None:
        raise ServiceError(_("This sampling form is already voided."))
    _check_visit_actor(session, actor, visit)
    samples = live_samples(visit)
    _refuse_reported(samples)
    _refuse_during_retest(session, samples, what="void")
    reason = _reason(reason)
    _check_version(visit, expected_version, _visit_name(visit))
    _no_pending(session, CorrectionTarget.VISIT, visit.id, _visit_name(visit))
    if regime(samples) == "direct":
        _void_visit(session, actor, visit, reason)
        return None
    return _new_request(
        session,
        actor,
        visit,
        CorrectionAction.VOID,
        old={"sample_nos": [s.sample_no for s in samples]},
        new={"voided": True},
        reason=reason,
    )


def _void_samples(session: Session, actor: User, samples: list[Sample], reason: str) -> None:
    if samples:
        lifecycle.transition_many(session, actor, samples, "void", reason=reason)


def _void_visit(session: Session, actor: User, visit: SamplingVisit, reason: str) -> None:
    _void_samples(session, actor, live_samples(visit), reason)
    visit.voided_at = clock.now()
    visit.void_reason = reason
    session.flush()
    audit.record(
        session,
        actor,
        "sampling_visit",
        visit.id,
        "void",
        new={"voided_at": visit.voided_at, "sample_nos": [s.sample_no for s in visit.samples]},
        reason=reason,
    )


# --- results of a reported sample ------------------------------------------------------------


@writes(Role.REVIEWER, Role.SUPERVISOR)
def correct_reported_result(
    session: Session,
    actor: User,
    result: SampleResult,
    *,
    measured_text: str | None,
    reason: str,
    expected_version: int,
    unit_values: Sequence[str] | None = None,
    lod: str | None = None,
) -> Correction:
    """A result of a reported sample is changed only by a report correction: this asks for
    one (a reviewer or supervisor who did not enter it); a supervisor's approval applies the
    value and issues the superseding report."""
    from labsys.services import results

    sample = result.sample
    if sample.status != SampleStatus.REPORTED:
        raise ServiceError(
            _("Sample %(no)s has no report in force: correct the result directly.",
              no=sample.sample_no)
        )  # fmt: skip
    if result.status != ResultStatus.ACCEPTED:
        raise ServiceError(
            _(
                "Only an accepted result is corrected; this one is %(status)s.",
                status=result.status.title,
            )
        )
    if actor.id in results.value_authors(session, [result])[result.id]:
        raise PermissionDenied(
            _(
                "You entered %(item)s yourself: another reviewer must correct it.",
                item=result.item_name,
            )
        )
    _refuse_during_retest(session, [sample], what="result")
    reason = _reason(reason)
    version, value, who = results.current_state(session, [result.id]).get(result.id, (None, "", ""))
    if version != expected_version:
        raise results.conflict_error(result, value, who)
    outcome = results.judge_values(result, measured_text, unit_values, lod)
    old = {
        "measured_text": result.measured_text,
        "unit_values": json.loads(result.unit_values) if result.unit_values else None,
        "lod": result.lod,
        "reported_text": result.reported_text,
        "verdict": result.verdict,
    }
    new = {
        "measured_text": outcome.measured_text,
        "unit_values": json.loads(outcome.unit_values) if outcome.unit_values else None,
        "lod": outcome.lod,
        "reported_text": outcome.reported_text,
        "verdict": outcome.verdict,
    }
    if all(_plain(old[k]) == _plain(new[k]) for k in ("measured_text", "unit_values", "lod")):
        raise ServiceError(_("Nothing would change: correct at least one field."))
    _no_pending(session, CorrectionTarget.RESULT, result.id, result.item_name)
    return _new_request(
        session, actor, result, CorrectionAction.CORRECT, old=old, new=new, reason=reason
    )


def needs_review(correction: Correction) -> bool:
    """A reported result's correction waits for its review (审核) before approval."""
    return (
        correction.target == CorrectionTarget.RESULT
        and correction.status.is_pending
        and correction.reviewed_by_id is None
    )


def may_review(session: Session, user: User, correction: Correction) -> bool:
    """Whether ``user`` may review ``correction`` now (for the page's form)."""
    if not needs_review(correction) or not user.has_role(Role.REVIEWER):
        return False
    if user.id == correction.requested_by_id:
        return False
    from labsys.services import results

    target = _target(session, correction)
    return target is not None and user.id not in results.value_authors(session, [target])[target.id]


@writes(Role.REVIEWER)
def review_reported_result(
    session: Session,
    actor: User,
    correction: Correction,
    *,
    expected_version: int | None,
    signature: esign.Signature | None,
) -> Correction:
    """The review (审核) of a reported result's corrected value, signed by a reviewer who
    neither asked for the correction nor entered the value it corrects: the superseding
    report names this reviewer as 审核, the requester (who typed the new value) as 编制 and
    the approving supervisor as 批准, three people (issue 18 §1-2)."""
    from labsys.services import results

    _check_request_version(correction, expected_version)
    if correction.target != CorrectionTarget.RESULT:
        raise ServiceError(_("Only a correction of a result is reviewed before approval."))
    if correction.reviewed_by_id is not None:
        raise ServiceError(_("Correction request #%(id)d is already reviewed.", id=correction.id))
    esign.check(signature, actor, esign.Meaning.REVIEW)
    lifecycle.check(actor, correction, "review")  # the state, the role, not the requester
    target = _target(session, correction)
    if target is None or target.version_id != correction.target_version:
        raise ConflictError(
            _(
                "The record was changed after this request was made: reject it and ask again "
                "from the current record."
            )
        )
    if actor.id in results.value_authors(session, [target])[target.id]:
        raise PermissionDenied(
            _(
                "You entered %(item)s yourself: another reviewer must review its correction.",
                item=target.item_name,
            )
        )
    _refuse_during_retest(session, [target.sample], what="result")  # applied for since
    correction.reviewed_by_id = actor.id
    correction.reviewed_at = clock.now()
    lifecycle.transition(
        session,
        actor,
        correction,
        "review",
        new={"reviewed_by_id": actor.id, "signed": esign.Meaning.REVIEW},
        flush=lambda: _flush(session, correction),
    )
    return correction


# --- deciding --------------------------------------------------------------------------------

ONLY_DECIDERS = _l("Only a reviewer or a supervisor decides correction requests.")


def _target(session: Session, correction: Correction):
    kind = {
        CorrectionTarget.VISIT: SamplingVisit,
        CorrectionTarget.SAMPLE: Sample,
        CorrectionTarget.RESULT: SampleResult,
    }[correction.target]
    return session.get(kind, correction.target_id)


def _check_request_version(correction: Correction, expected_version: int | None) -> None:
    if expected_version is not None and correction.version_id != expected_version:
        raise ConflictError(
            _(
                "Correction request #%(id)d was changed meanwhile (now: %(status)s); reload it.",
                id=correction.id,
                status=correction.status.title,
            ),
            current=correction,
        )


def _flush(session: Session, correction: Correction) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError(
            _("Correction request #%(id)d was decided meanwhile; reload it.", id=correction.id)
        ) from None


def _decide(
    session: Session,
    actor: User,
    correction: Correction,
    event: str,
    *,
    note: str | None,
    new: dict | None = None,
) -> None:
    correction.decided_by_id = actor.id
    correction.decided_at = clock.now()
    correction.decision_note = note or None
    lifecycle.transition(
        session,
        actor,
        correction,
        event,
        reason=note or None,
        new={"decided_by_id": actor.id, **(new or {})},
        flush=lambda: _flush(session, correction),
    )


@writes(*DECIDERS, message=ONLY_DECIDERS)
def approve(
    session: Session,
    actor: User,
    correction: Correction,
    *,
    expected_version: int | None,
    base_url: str,
    note: str | None = None,
    signature: esign.Signature | None = None,
) -> Correction:
    """Approve and apply a pending request (not the requester's own).  A record with an
    issued report: only a supervisor, and the superseding report is issued now, signed by
    the approver (``signature``: an electronic signature, as issuing any report is)."""
    _check_request_version(correction, expected_version)
    lifecycle.check(actor, correction, "approve")  # the state, the role, four eyes
    note = _note(note, required=False)
    samples = _samples_of(correction, session)
    reported = regime(samples) == "report"
    if reported and not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied(
            _(
                "A report is issued: only a supervisor may approve this correction "
                "(it issues the superseding report)."
            )
        )
    target = _target(session, correction)
    if target is None or target.version_id != correction.target_version:
        raise ConflictError(
            _(
                "The record was changed after this request was made: reject it and ask again "
                "from the current record."
            )
        )
    if correction.target == CorrectionTarget.RESULT:
        from labsys.services import results

        if correction.reviewed_by_id is None:
            raise ServiceError(
                _(
                    "Correction request #%(id)d is not yet reviewed: a reviewer who neither "
                    "asked for it nor entered the value reviews (审核) the corrected value "
                    "first; the report is signed by three people (编制, 审核, 批准).",
                    id=correction.id,
                )
            )
        if actor.id == correction.reviewed_by_id:
            raise PermissionDenied(
                _(
                    "You reviewed this correction: another supervisor approves it (审核 and "
                    "批准 are two people)."
                )
            )
        if actor.id in results.value_authors(session, [target])[target.id]:
            raise PermissionDenied(
                _(
                    "You entered %(item)s yourself: another supervisor must approve its "
                    "correction.",
                    item=target.item_name,
                )
            )
        _refuse_during_retest(session, [target.sample], what="result")  # applied for since
    else:  # a retest applied for since the request
        voiding = correction.action == CorrectionAction.VOID
        _refuse_during_retest(session, samples, what="void" if voiding else "form")
        if target.version_id != correction.target_version:  # read again under the lock
            raise ConflictError(
                _(
                    "The record was changed after this request was made: reject it and ask "
                    "again from the current record."
                )
            )
    reason = _("Correction #%(id)d: %(reason)s", id=correction.id, reason=correction.reason)
    _apply(session, actor, correction, target, reason)
    issued = []
    if reported:
        issued = _supersede_reports(
            session, actor, samples, reason=reason, base_url=base_url, signature=signature
        )
        correction.report_id = issued[0].id if issued else None
    _decide(
        session,
        actor,
        correction,
        "approve",
        note=note,
        new={"reports": [r.report_no for r in issued]} if issued else None,
    )
    return correction


def _apply(session: Session, actor: User, correction: Correction, target, reason: str) -> None:
    if correction.action == CorrectionAction.VOID:
        if correction.target == CorrectionTarget.VISIT:
            _void_visit(session, actor, target, correction.reason)
        else:
            _void_samples(session, actor, [target], correction.reason)
        return
    values = changes_of(correction)
    if correction.target == CorrectionTarget.SAMPLE:
        fields = _typed(Sample, {k: v for k, v in values.items() if k in sampling.BATCH_FIELDS})
        sampling._apply_changes(
            session, actor, target, target.version_id, fields, "correct", reason
        )
    elif correction.target == CorrectionTarget.VISIT:
        _old, new = sampling.visit_changes(session, target, _typed(SamplingVisit, values))
        sampling._apply_visit_changes(session, actor, target, new, reason)
    else:
        _amend_result(session, actor, correction, target, values, reason)


def _amend_result(
    session: Session,
    actor: User,
    correction: Correction,
    result: SampleResult,
    values: dict,
    reason: str,
) -> None:
    """The approved value, judged again.  Its author is the requester (a reviewer who did not
    enter the old value: the report prints who entered the value printed); its reviewer the
    one who reviewed the request (``review_reported_result``), never the approver.  Audited
    as ``amend`` by the approver, with the request's reason; then the conclusion is derived
    again."""
    from labsys.services import results

    outcome = results.judge_values(
        result, values.get("measured_text"), values.get("unit_values"), values.get("lod")
    )
    old = results._values(result)
    result.measured_text = outcome.measured_text
    result.unit_values = outcome.unit_values
    result.reported_text = outcome.reported_text
    result.verdict = outcome.verdict
    result.lod = outcome.lod
    old_author = result.entered_by_id
    result.entered_by_id = correction.requested_by_id
    result.entered_at = clock.now()
    result.reviewed_by_id = correction.reviewed_by_id
    result.reviewed_at = correction.reviewed_at
    lifecycle.transition(
        session,
        actor,
        result,
        "amend",
        done_by={"entered_by_id": old_author},
        reason=reason,
        old=old,
        new=results._values_with_sample,
        flush=lambda: results._flush_versioned(session, [result]),
    )
    results.derive_conclusion(session, result.sample, actor=actor)


def _supersede_reports(
    session: Session,
    actor: User,
    samples: list[Sample],
    *,
    reason: str,
    base_url: str,
    signature: esign.Signature | None,
) -> list[Report]:
    from labsys.services import reports

    issued = []
    for sample in samples:
        if sample.status != SampleStatus.REPORTED:
            continue
        current = session.scalar(
            select(Report).where(
                Report.sample_id == sample.id, Report.status == ReportStatus.ISSUED
            )
        )
        if current is None:
            continue
        issued.append(
            reports.correct_report(
                session, actor, current, reason=reason, base_url=base_url, signature=signature
            )
        )
    return issued


def _note(note: str | None, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ServiceError(_("Say why the request is rejected."), field="note")
    if len(note) > NOTE_MAX:
        raise ServiceError(_("The note is at most %(n)d characters.", n=NOTE_MAX), field="note")
    return note


@writes(*DECIDERS, message=ONLY_DECIDERS)
def reject(
    session: Session,
    actor: User,
    correction: Correction,
    *,
    expected_version: int | None,
    note: str | None,
) -> Correction:
    """Reject a pending request (not the requester's own), saying why; nothing changes."""
    _check_request_version(correction, expected_version)
    lifecycle.check(actor, correction, "reject")
    note = _note(note, required=True)
    if regime(_samples_of(correction, session)) == "report" and not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied(_("A report is issued: only a supervisor decides this request."))
    _decide(session, actor, correction, "reject", note=note)
    return correction


@writes(*ASKERS)
def withdraw(
    session: Session, actor: User, correction: Correction, *, expected_version: int | None
) -> Correction:
    """The requester takes a pending request back; nothing changes."""
    _check_request_version(correction, expected_version)
    if correction.requested_by_id != actor.id:
        raise PermissionDenied(_("Only the person who asked may withdraw a correction request."))
    lifecycle.check(actor, correction, "withdraw")
    _decide(session, actor, correction, "withdraw", note=None)
    return correction
