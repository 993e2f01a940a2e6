"""Receipt in the lab: accept a sample (freezing its specification) or reject it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.core import clock, inspection
from labsys.models import DecisionRule, Role, Sample, SampleResult, SampleStatus, User
from labsys.services import ServiceError, backups, lifecycle
from labsys.services.access import writes
from labsys.services.catalog import FROZEN_COLUMNS

SEAL_STATES = ("完好", "破损", "无封条")
# A clock a few minutes ahead of the server's is not an arrival "in the future".
CLOCK_SKEW = timedelta(minutes=10)


def find_by_number(session: Session, sample_no: str) -> Sample:
    number = (sample_no or "").strip().upper()
    sample = session.scalar(select(Sample).where(Sample.sample_no == number)) if number else None
    if sample is None:
        raise ServiceError(
            _("No sample has the number %(no)s.", no=number or "—"), field="sample_no"
        )
    return sample


def frozen_specification(spec, sample: Sample) -> dict:
    """The catalog specification's columns copied onto a result row of ``sample``; a
    supervision sample is judged by simple acceptance (``core.inspection.decision_rule_for``:
    it must conclude, so the guarded rule is not available to it)."""
    frozen = {column: getattr(spec, column) for column in FROZEN_COLUMNS}
    rule = inspection.decision_rule_for(sample.inspection_type, frozen["decision_rule"])
    frozen["decision_rule"] = DecisionRule(rule)
    return frozen


def _check_receivable(sample: Sample, actor: User) -> None:
    if sample.status == SampleStatus.REJECTED:
        raise ServiceError(
            _(
                "Sample %(no)s was rejected on %(day)s: %(reason)s",
                no=sample.sample_no,
                day=_arrival_day(sample),
                reason=sample.rejection_reason or "",
            )
        )
    if sample.status != SampleStatus.REGISTERED:
        raise ServiceError(
            _(
                "Sample %(no)s was already received on %(day)s.",
                no=sample.sample_no,
                day=_arrival_day(sample),
            )
        )


def _arrival_day(sample: Sample) -> str:
    return clock.local_date(sample.received_at).isoformat() if sample.received_at else "—"


def _check_arrival(sample: Sample, arrived_at: datetime | None) -> datetime:
    arrived_at = arrived_at or clock.now()
    if arrived_at.tzinfo is None:
        raise ValueError("arrived_at must be timezone-aware")
    if arrived_at > clock.now() + CLOCK_SKEW:
        raise ServiceError(_("The arrival time is in the future."), field="arrived_at")
    if clock.local_date(arrived_at) < sample.sampling_date:
        raise ServiceError(
            _(
                "The arrival time is before the sampling date (%(day)s).",
                day=sample.sampling_date.isoformat(),
            ),
            field="arrived_at",
        )
    return arrived_at


def _clean_temperature(text: str | None) -> str | None:
    text = (text or "").strip().replace("℃", "").replace("°C", "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not Decimal(-80) <= value <= Decimal(60):
        raise ServiceError(
            _("The temperature must be a number of °C between -80 and 60."), field="temperature"
        )
    return text


@writes(Role.TECHNICIAN, message=_l("Only lab technicians receive samples."))
def receive_sample(
    session: Session,
    actor: User,
    sample: Sample,
    *,
    arrived_at: datetime | None,
    seal_state: str,
    condition: str = "",
    temperature: str | None = None,
) -> list[SampleResult]:
    """Accept the sample: status RECEIVED, the report due date, and the frozen specification.

    One PENDING result row per test item that applies to the sample's category on its
    production date when known, else its sampling date (an older edition applies to food made
    before a newer one while its shelf life and transition period last: ``core.editions``),
    and for its oil process (压榨/浸出), with the limit, unit, methods, LOD/LOQ, interval or
    significant figures, whether it is a colony count, comparison method,
    decision rule, uncertainty and microbiological plan copied: later catalog edits never
    change this sample.
    """
    from labsys.services import catalog

    _check_receivable(sample, actor)
    arrived_at = _check_arrival(sample, arrived_at)
    seal_state = (seal_state or "").strip()
    if not seal_state:
        raise ServiceError(_("Record the state of the seal."), field="seal_state")
    temperature = _clean_temperature(temperature)
    specs = catalog.specifications_for_sample(session, sample)
    if not sample.oil_process and catalog.needs_oil_process(specs):
        raise ServiceError(
            _(
                "The solvent residue limit of sample %(no)s depends on whether the oil is "
                "pressed (压榨) or solvent-extracted (浸出): record it on the sample first.",
                no=sample.sample_no,
            )
        )
    if not specs:
        raise ServiceError(
            _(
                "The category of sample %(no)s has no test items in the catalog "
                "for %(day)s: ask the administrator to add them first.",
                no=sample.sample_no,
                day=sample.sampling_date.isoformat(),
            )
        )
    _row, first_state = lifecycle.start(actor, SampleResult, "create")
    results = [
        SampleResult(
            sample_id=sample.id,
            test_item_id=spec.test_item_id,
            seq=seq,
            item_name=spec.test_item.name_zh,
            is_colony_count=spec.is_colony_count,
            status=first_state,
            **frozen_specification(spec, sample),
        )
        for seq, spec in enumerate(specs, start=1)
    ]
    session.add_all(results)
    sample.received_at = arrived_at
    sample.received_by_id = actor.id
    sample.seal_state = seal_state[:40]
    sample.condition = (condition or "").strip()[:200] or None
    sample.temperature = temperature
    lifecycle.transition(
        session,
        actor,
        sample,
        "receive",
        on=clock.local_date(arrived_at),
        new=lambda s: {
            "received_at": arrived_at,
            "seal_state": s.seal_state,
            "condition": s.condition,
            "temperature": temperature,
            "test_items": [r.item_name for r in results],
        },
    )
    backups.register(session, actor, sample)  # its sealed retest backup arrived with it
    return results


@writes(Role.TECHNICIAN, message=_l("Only lab technicians receive samples."))
def reject_sample(
    session: Session,
    actor: User,
    sample: Sample,
    *,
    reason: str,
    arrived_at: datetime | None = None,
    seal_state: str = "",
    condition: str = "",
    temperature: str | None = None,
) -> Sample:
    """Refuse the sample (broken seal, spoiled, too warm...): status REJECTED, with a reason."""
    _check_receivable(sample, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for rejecting the sample."), field="reason")
    arrived_at = _check_arrival(sample, arrived_at)
    sample.received_at = arrived_at
    sample.received_by_id = actor.id
    sample.seal_state = (seal_state or "").strip()[:40] or None
    sample.condition = (condition or "").strip()[:200] or None
    sample.temperature = _clean_temperature(temperature)
    sample.rejection_reason = reason
    lifecycle.transition(
        session,
        actor,
        sample,
        "reject",
        reason=reason,
        new=lambda s: {
            "received_at": arrived_at,
            "seal_state": s.seal_state,
            "condition": s.condition,
            "temperature": s.temperature,
        },
    )
    return sample
