"""Queries the sampling and receipt pages share: sample lists with filters, input lookups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from labsys.core.identifiers import normalize_uscc
from labsys.models import (
    Enterprise,
    FoodCategory,
    Role,
    Sample,
    SampleStatus,
    SamplingVisit,
    User,
    UserRole,
    VisitSampler,
)
from labsys.web.sampling.forms import bracket_key

_NUMBER_RE = re.compile(r"^[A-Z]*\d[A-Z0-9-]*$")


@dataclass
class SampleFilters:
    q: str = ""
    status: str = ""
    region_code: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> SampleFilters:
        def day(name):
            try:
                return date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None

        status = args.get("status", "")
        return cls(q=args.get("q", "").strip(),
                   status=status if status in {s.value for s in SampleStatus} else "",
                   region_code=args.get("region_code", "").strip(),
                   date_from=day("date_from"), date_to=day("date_to"))

    def apply(self, query: Select) -> Select:
        if self.q and _NUMBER_RE.match(self.q.upper()):
            # A sample number (or its start): a range on the unique index, on both databases.
            number = self.q.upper()
            upper = number[:-1] + chr(ord(number[-1]) + 1)
            query = query.where(Sample.sample_no >= number, Sample.sample_no < upper)
        elif self.q:
            query = query.where(Sample.food_name.contains(self.q, autoescape=True))
        if self.status:
            query = query.where(Sample.status == SampleStatus(self.status))
        if self.region_code:
            query = query.where(Sample.region_code == self.region_code)
        if self.date_from:
            query = query.where(Sample.sampling_date >= self.date_from)
        if self.date_to:
            query = query.where(Sample.sampling_date <= self.date_to)
        return query


def sample_list_query(team_member: User | None = None) -> Select:
    """Samples with what a list row shows loaded; only ``team_member``'s when given."""
    query = select(Sample).options(
        joinedload(Sample.visit).joinedload(SamplingVisit.sampled_unit),
        joinedload(Sample.category))
    if team_member is not None:
        query = query.where(Sample.visit_id.in_(
            select(VisitSampler.visit_id).where(VisitSampler.user_id == team_member.id)))
    return query


def resolve_enterprise(session: Session, text: str | None) -> Enterprise | None | bool:
    """The enterprise named by ``text``: "name [#id]", a USCC, or a unique exact name.

    None for an empty text, False when nothing (or more than one) matches.
    """
    text = (text or "").strip()
    if not text:
        return None
    key = bracket_key(text)
    if key and key.isdigit():
        return session.get(Enterprise, int(key)) or False
    found = session.scalar(select(Enterprise).where(Enterprise.uscc == normalize_uscc(text)))
    if found:
        return found
    named = list(session.scalars(select(Enterprise).where(Enterprise.name == text).limit(2)))
    return named[0] if len(named) == 1 else False


def resolve_category(session: Session, text: str | None) -> FoodCategory | None | bool:
    """The category named by ``text``: "name [code]" or a unique exact name (None/False as
    for enterprises)."""
    text = (text or "").strip()
    if not text:
        return None
    key = bracket_key(text)
    if key:
        return session.scalar(select(FoodCategory).where(FoodCategory.code == key)) or False
    named = list(session.scalars(select(FoodCategory).where(FoodCategory.name_zh == text)
                                 .order_by(FoodCategory.level.desc()).limit(2)))
    return named[0] if len(named) == 1 else False


def other_samplers(session: Session, user: User) -> list[User]:
    return list(session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.SAMPLER, User.active.is_(True), User.id != user.id)
        .order_by(User.full_name, User.username)))


def received_between(start, end) -> Select:
    return (select(Sample).options(joinedload(Sample.category))
            .where(Sample.received_at >= start, Sample.received_at < end)
            .order_by(Sample.received_at.desc()))


def count_awaiting(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Sample)
                          .where(Sample.status == SampleStatus.REGISTERED)) or 0
