"""The bench record of a result: when the test ran, by which method, on which instrument.

ISO/IEC 17025:2017 §7.5.1: technical records include "the date and the identity of
personnel responsible for each laboratory activity"; §7.5.1 also asks for enough information
to repeat the activity (the method actually used, the equipment: §6.4.13 b) links equipment
to records).  The rules checked here, each refused with a message naming the field:

- start and end dates given, end ≥ start, end not in the future (the lab's local day), start
  not before the sample was received (a test cannot start on a sample the lab does not have);
- the method is one the result may be tested by (``instruments.allowed_methods``);
- the instrument, if any, is in service and its calibration was not overdue on the end date;
- a result obtained on an instrument has the instrument's raw data file attached (its export:
  CSV/text, XLSX, PDF or an image), kept in the attachment store (services/attachments.py,
  owner "result", kind "raw_data") with its SHA-256 in the audit trail.

The record is saved with the value (``record_result``; a worksheet run for several rows with
``enter_run``), in the same savepoint: a refused record saves no value either.  Audited on the
result row: entity "result", action "bench".
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.models import BenchRecord, Instrument, Role, SampleResult, User
from labsys.services import assignments, attachments, audit, instruments
from labsys.services import results as results_svc
from labsys.services.access import writes
from labsys.services.errors import ServiceError

RAW_DATA = "raw_data"  # the attachment kind of an instrument's export


def _may_attach_raw(session: Session, user: User, result: SampleResult) -> bool:
    """A technician, while the result may still be entered, and not someone else's row."""
    return (
        bool(user)
        and user.has_role(Role.TECHNICIAN)
        and result.status in results_svc.EDITABLE
        and not assignments.refusals(session, user, [result])
    )


def _may_view_raw(session: Session, user: User, result: SampleResult) -> bool:
    return bool(user) and user.has_role(Role.TECHNICIAN, Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN)


attachments.register_owner(
    "result", SampleResult, may_attach=_may_attach_raw, may_view=_may_view_raw, kinds=(RAW_DATA,)
)


@dataclass(frozen=True)
class RawFile:
    """An uploaded raw data file: its name as uploaded and its content."""

    filename: str | None
    stream: IO[bytes]


def raw_files(session: Session, result_ids: Sequence[int]) -> list:
    """The raw data files (not withdrawn) of these results, oldest first."""
    return attachments.listed(session, "result", result_ids)


@dataclass(frozen=True)
class BenchDetails:
    """What the technician states about how a result was obtained."""

    started_on: date | None
    ended_on: date | None
    method_standard: str
    instrument_id: int | None = None


def record_of(session: Session, result_id: int) -> BenchRecord | None:
    return session.get(BenchRecord, result_id)


def records(session: Session, result_ids: Sequence[int]) -> dict[int, BenchRecord]:
    ids = list(set(result_ids))
    if not ids:
        return {}
    return {
        r.result_id: r
        for r in session.scalars(select(BenchRecord).where(BenchRecord.result_id.in_(ids)))
    }


def check_details(session: Session, result: SampleResult, details: BenchDetails) -> None:
    """ServiceError naming the field ("started_on", "ended_on", "method", "instrument")
    when ``details`` cannot stand as the record of ``result``."""
    received = result.sample.received_at
    check_record(
        details.started_on,
        details.ended_on,
        details.method_standard,
        received_on=clock.local_date(received) if received is not None else None,
        allowed=instruments.allowed_methods(session, result),
        item_name=result.item_name,
    )
    if details.instrument_id is not None:
        instrument = session.get(Instrument, details.instrument_id)
        if instrument is None:
            raise ServiceError(_("There is no such instrument."), field="instrument")
        assert details.ended_on is not None  # checked
        instruments.check_usable(instrument, details.ended_on)


def check_record(
    start: date | None,
    end: date | None,
    method: str | None,
    *,
    received_on: date | None,
    allowed: Sequence[str],
    item_name: str,
) -> None:
    """The rules of a bench record's dates and method, on plain values (the page, the
    worksheet and the import all check through here); ServiceError naming the field."""
    if start is None:
        raise ServiceError(_("Give the date the test started."), field="started_on")
    if end is None:
        raise ServiceError(_("Give the date the test ended."), field="ended_on")
    if end < start:
        raise ServiceError(
            _("The test cannot end (%(end)s) before it started (%(start)s).", end=end, start=start),
            field="ended_on",
        )
    today = clock.today()
    if end > today:
        raise ServiceError(
            _("The end date %(end)s is in the future.", end=end.isoformat()), field="ended_on"
        )
    if received_on is not None and start < received_on:
        raise ServiceError(
            _(
                "The test cannot start (%(start)s) before the sample was received (%(received)s).",
                start=start.isoformat(),
                received=received_on.isoformat(),
            ),
            field="started_on",
        )
    method = (method or "").strip()
    if method not in allowed:
        raise ServiceError(
            _(
                "%(method)s is not a method of %(item)s; choose one of: %(allowed)s.",
                method=method or _("(none)"),
                item=item_name,
                allowed="; ".join(allowed) or "-",
            ),
            field="method",
        )


def snapshot(record: BenchRecord | None) -> dict | None:
    if record is None:
        return None
    return {
        "started_on": record.started_on,
        "ended_on": record.ended_on,
        "method": record.method_standard,
        "instrument_id": record.instrument_id,
    }


def _save_record(
    session: Session, actor: User, result: SampleResult, details: BenchDetails
) -> BenchRecord:
    record = session.get(BenchRecord, result.id)
    old = snapshot(record)
    if record is None:
        record = BenchRecord(result_id=result.id)
        session.add(record)
    assert details.started_on is not None and details.ended_on is not None  # checked
    record.started_on = details.started_on
    record.ended_on = details.ended_on
    record.method_standard = details.method_standard.strip()
    record.instrument_id = details.instrument_id
    record.recorded_by_id = actor.id
    record.recorded_at = clock.now()
    session.flush()
    new = snapshot(record)
    if new != old:
        instrument = (
            session.get(Instrument, details.instrument_id) if details.instrument_id else None
        )
        audit.record(
            session,
            actor,
            "result",
            result.id,
            "bench",
            old=old,
            new={
                **(new or {}),
                "instrument": instrument.asset_no if instrument else None,
                "sample_id": result.sample_id,
            },
        )
    return record


@writes(Role.TECHNICIAN)
def record_result(
    session: Session,
    actor: User,
    result: SampleResult,
    *,
    measured_text: str | None,
    expected_version: int,
    details: BenchDetails,
    unit_values: Sequence[str] | None = None,
    raw_file: RawFile | None = None,
) -> SampleResult:
    """Save and judge one value with its bench record and raw data file, all or nothing.
    A result obtained on an instrument needs its raw data: attached now or before."""
    check_details(session, result, details)
    if (
        details.instrument_id is not None
        and raw_file is None
        and not raw_files(session, [result.id])
    ):
        raise ServiceError(
            _("Attach the instrument's raw data file (its export) for this result."),
            field="raw_file",
        )
    results_svc.enter_result(
        session,
        actor,
        result,
        measured_text=measured_text,
        expected_version=expected_version,
        unit_values=unit_values,
    )
    _save_record(session, actor, result, details)
    if raw_file is not None:
        _attach_raw(session, actor, result, raw_file)
    return result


@writes(Role.TECHNICIAN)
def enter_run(
    session: Session,
    actor: User,
    entries: Sequence[results_svc.Entry],
    *,
    details: BenchDetails | None,
    raw_file: RawFile | None = None,
) -> list[SampleResult]:
    """A worksheet saved as one run: every value (all or nothing, as ``enter_results``), and,
    when ``details`` are given, the same bench record on each saved row; the run's raw data
    file (one export for the whole run) is attached to each (stored once on disk)."""
    if details is not None and entries:
        errors: dict[int, str] = {}
        with_raw = {a.entity_id for a in raw_files(session, [e.result.id for e in entries])}
        for entry in entries:
            try:
                check_details(session, entry.result, details)
                if details.instrument_id and raw_file is None and entry.result.id not in with_raw:
                    raise ServiceError(
                        _("Attach the instrument's raw data file (its export) for this result."),
                        field="raw_file",
                    )
            except ServiceError as error:
                errors[entry.result.id] = error.message
        if errors:
            raise results_svc.EntryErrors(errors)
    saved = results_svc.enter_results(session, actor, entries)
    if details is not None:
        for result in saved:
            _save_record(session, actor, result, details)
    if raw_file is not None:
        data = raw_file.stream.read()
        for result in saved:
            _attach_raw(session, actor, result, RawFile(raw_file.filename, io.BytesIO(data)))
    return saved


def _attach_raw(session: Session, actor: User, result: SampleResult, raw_file: RawFile) -> None:
    try:
        attachments.attach(
            session,
            actor,
            entity="result",
            entity_id=result.id,
            kind=RAW_DATA,
            filename=raw_file.filename,
            stream=raw_file.stream,
            allowed=attachments.RAW_DATA_TYPES,
        )
    except ServiceError as error:
        raise ServiceError(error.message, field="raw_file") from None
