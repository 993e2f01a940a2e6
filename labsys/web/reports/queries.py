"""Read queries of the report pages (the queue and the verification lookup are read by
services.reports)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from labsys.models import Report, ReportStatus, Sample, SampleStatus, SamplingVisit
from labsys.models.search import contains_text


def queue_ids(conditions: Sequence = ()) -> Select:
    """Ids of the concluded samples awaiting their report, narrowed by ``conditions`` (the
    queue filters)."""
    return select(Sample.id).where(Sample.status == SampleStatus.CONCLUDED, *conditions)


# What a row of the queue shows besides the sample: its sampled unit.
QUEUE_OPTIONS = (selectinload(Sample.visit).selectinload(SamplingVisit.sampled_unit),)


def samples_by_id(session: Session, ids: Sequence[int]) -> dict[int, Sample]:
    return {s.id: s for s in session.scalars(select(Sample).where(Sample.id.in_(ids)))}


def report_list_query(search: str, status: str) -> Select:
    """Reports whose number, food or sampled unit contains ``search`` (literally: ``%`` and
    ``_`` are plain characters), in ``status`` (each when given)."""
    query = select(Report).options(selectinload(Report.approver))
    condition = contains_text(search, Report.report_no, Report.food_name, Report.sampled_unit_name)
    if condition is not None:
        query = query.where(condition)
    if status in {s.value for s in ReportStatus}:
        query = query.where(Report.status == status)
    return query


def reports_by_number(session: Session, ids: Sequence[int]) -> list[Report]:
    return list(
        session.scalars(select(Report).where(Report.id.in_(ids)).order_by(Report.report_no))
    )
