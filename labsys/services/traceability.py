"""The lab's rule that a result is submitted only with its bench record (setting
``BENCH_RECORD_REQUIRED``).

ISO/IEC 17025:2017 §7.5.1: the technical records of each laboratory activity hold enough
information to repeat it (the dates, the method actually used, the equipment); §7.11: data
kept with what produced them.  A lab that wants every submitted result to carry that record
turns the setting on; then ``results.submit_results`` (the one submit path: the entry page,
the worksheet, the REST API, and so the rows an import entered) refuses any row without its
bench record (``services/bench.py``: test start and end dates, the method used), naming the
rows and the missing fields.  Off by default: see ``DefaultConfig.BENCH_RECORD_REQUIRED``.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.models import BenchRecord, SampleResult
from labsys.services.errors import ServiceError

SETTING = "BENCH_RECORD_REQUIRED"


def bench_record_required() -> bool:
    return bool(current_app.config.get(SETTING, False)) if has_app_context() else False


def missing_fields(record: BenchRecord | None) -> list[str]:
    """The bench record's fields a submission lacks, as the user reads them."""
    missing = []
    if record is None or record.started_on is None:
        missing.append(_("test start date"))
    if record is None or record.ended_on is None:
        missing.append(_("test end date"))
    if record is None or not (record.method_standard or "").strip():
        missing.append(_("method used"))
    return missing


def lacking(
    session: Session, results: Sequence[SampleResult]
) -> list[tuple[SampleResult, list[str]]]:
    """When the lab requires bench records: each of ``results`` without a complete one, with
    what it lacks (the entry page lists them before the technician submits); else []."""
    if not results or not bench_record_required():
        return []
    ids = [r.id for r in results]
    records = {
        r.result_id: r
        for r in session.scalars(select(BenchRecord).where(BenchRecord.result_id.in_(ids)))
    }
    found = []
    for result in results:
        missing = missing_fields(records.get(result.id))
        if missing:
            found.append((result, missing))
    return found


def require_bench_records(session: Session, results: Sequence[SampleResult]) -> None:
    """When the lab requires it, refuse (ServiceError, nothing submitted) rows without a
    complete bench record, naming each row and what it lacks."""
    lacking_rows = [
        _(
            "%(item)s of %(no)s (%(fields)s)",
            item=result.item_name,
            no=result.sample.sample_no,
            fields="、".join(missing),
        )
        for result, missing in lacking(session, results)
    ]
    if lacking_rows:
        raise ServiceError(
            _(
                "This lab submits a result only with its bench record (ISO/IEC 17025 §7.5.1: "
                "records sufficient to repeat the test). Nothing was submitted; record what "
                "is missing on the result's record page or in the worksheet's run details: "
                "%(rows)s.",
                rows="; ".join(lacking_rows),
            )
        )
