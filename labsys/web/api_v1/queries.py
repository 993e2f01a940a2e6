"""The API's reads (the pages' own queries where they exist)."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from labsys.core import search
from labsys.models import (
    Plan,
    Report,
    Role,
    Sample,
    SampleResult,
    SamplingVisit,
    Task,
    TaskSampler,
    User,
)
from labsys.models.search import contains_text
from labsys.web.sampling import queries as sampling_queries

LAB_AND_SUPERVISION = (Role.SUPERVISOR, Role.TECHNICIAN, Role.REVIEWER)


def sample_query(user: User, session: Session) -> Select:
    """The samples this user may read: all for the lab and supervisors, a sampler's team's
    otherwise (as on the pages)."""
    if user.has_role(*LAB_AND_SUPERVISION):
        return sampling_queries.sample_list_query()
    return sampling_queries.sample_list_query(user, session)


def filtered_samples(query: Select, args: dict) -> Select:
    """The list's filters (``SampleArgs``): the food name contains ``q`` or (when ``q``
    looks like one) the sample number starts with it; status, district and conclusion
    equal; sampled from ``date_from`` to ``date_to``."""
    condition = contains_text(args.get("q"), Sample.food_name)
    if condition is not None:
        q = search.clean(args["q"])
        if sampling_queries.looks_like_number(q):
            condition = or_(condition, sampling_queries.number_prefix(q))
        query = query.where(condition)
    for name in ("status", "region_code", "conclusion"):
        if args.get(name) is not None:
            query = query.where(getattr(Sample, name) == args[name])
    if args.get("date_from"):
        query = query.where(Sample.sampling_date >= args["date_from"])
    if args.get("date_to"):
        query = query.where(Sample.sampling_date <= args["date_to"])
    return query


def readable_sample(session: Session, user: User, sample_id: int) -> Sample | None:
    return session.scalar(sample_query(user, session).where(Sample.id == sample_id))


def visit(session: Session, visit_id: int) -> SamplingVisit | None:
    return session.get(SamplingVisit, visit_id)


def results_of(session: Session, sample_id: int) -> list[SampleResult]:
    return list(
        session.scalars(
            select(SampleResult)
            .where(SampleResult.sample_id == sample_id)
            .order_by(SampleResult.seq, SampleResult.id)
        )
    )


def result(session: Session, result_id: int) -> SampleResult | None:
    return session.get(SampleResult, result_id)


def plans(session: Session) -> list[Plan]:
    return list(session.scalars(select(Plan).order_by(Plan.year.desc(), Plan.id.desc())))


def tasks(session: Session, user: User) -> list[Task]:
    """Every task for supervisors; a sampler's own tasks otherwise."""
    query = select(Task).order_by(Task.due_date, Task.id)
    if not user.has_role(Role.SUPERVISOR, Role.ADMIN):
        query = query.where(
            Task.id.in_(select(TaskSampler.task_id).where(TaskSampler.user_id == user.id))
        )
    return list(session.scalars(query))


def report_query(sample_id: int | None) -> Select:
    query = select(Report)
    if sample_id is not None:
        query = query.where(Report.sample_id == sample_id)
    return query


def report(session: Session, report_id: int) -> Report | None:
    return session.get(Report, report_id)
