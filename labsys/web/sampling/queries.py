"""Queries the sampling and receipt pages share: sample lists with filters, input lookups."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from labsys.core import clock
from labsys.core.identifiers import normalize_uscc
from labsys.models import (
    Conclusion,
    Correction,
    CorrectionStatus,
    CorrectionTarget,
    Enterprise,
    FoodCategory,
    InspectionType,
    Link,
    ResultStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    SamplingVisit,
    User,
    UserRole,
    VerdictValue,
    VisitSampler,
)
from labsys.models.search import contains_text
from labsys.web.sampling.forms import bracket_key

_NUMBER_RE = re.compile(r"^[A-Z]*\d[A-Z0-9-]*$")


def looks_like_number(q: str) -> bool:
    """Is ``q`` a sample number or its start (letters, then a digit, digits, capitals, -)?"""
    return bool(q) and _NUMBER_RE.match(q.upper()) is not None


def number_prefix(q: str):
    """The sample number starts with ``q`` (upper-cased): a range on the number's unique
    index, on both databases (``q`` must :func:`looks_like_number`)."""
    number = q.upper()
    upper = number[:-1] + chr(ord(number[-1]) + 1)
    return and_(Sample.sample_no >= number, Sample.sample_no < upper)


CATEGORY_LEVELS = {
    1: Sample.cat_l1_id,
    2: Sample.cat_l2_id,
    3: Sample.cat_l3_id,
    4: Sample.cat_l4_id,
}


def key_food_sample_ids() -> Select:
    """Ids of the samples under a key-food category (at its level), as the key-food
    indicator counts them."""
    flagged = select(FoodCategory.id).where(FoodCategory.is_key_food)
    return select(Sample.id).where(
        or_(*(column.in_(flagged) for column in CATEGORY_LEVELS.values()))
    )


@dataclass
class SampleFilters:
    q: str = ""
    status: str = ""
    region_code: str = ""
    date_from: date | None = None
    date_to: date | None = None
    # From a chart (the samples behind a bar): "level:id" of a food category, key foods.
    category: tuple[int, int] | None = None
    key_foods: bool = False
    # From a risk signal (the samples behind it): its scope, the unqualified supervision ones.
    conclusion: str = ""
    inspection_type: str = ""
    link: str = ""
    producer_id: int | None = None
    unit_id: int | None = None
    failed_item_id: int | None = None

    @classmethod
    def from_args(cls, args) -> SampleFilters:
        def day(name):
            try:
                return date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None

        status = args.get("status", "")
        level, _, category_id = args.get("category", "").partition(":")
        category = (
            (int(level), int(category_id))
            if level in {"1", "2", "3", "4"} and category_id.isdigit()
            else None
        )

        def number(name):
            value = args.get(name, "")
            return int(value) if value.isdigit() and len(value) < 12 else None

        conclusion = args.get("conclusion", "")
        kind = args.get("type", "")
        link = args.get("link", "")
        return cls(
            conclusion=conclusion if conclusion in {c.value for c in Conclusion} else "",
            inspection_type=kind if kind in {t.value for t in InspectionType} else "",
            link=link if link in {x.value for x in Link} else "",
            producer_id=number("producer"),
            unit_id=number("unit"),
            failed_item_id=number("failed_item"),
            q=args.get("q", "").strip(),
            status=status if status in {s.value for s in SampleStatus} else "",
            region_code=args.get("region_code", "").strip(),
            date_from=day("date_from"),
            date_to=day("date_to"),
            category=category,
            key_foods=args.get("key_foods") == "1",
        )

    @property
    def from_chart(self) -> bool:
        return self.category is not None or self.key_foods or self.from_signal

    @property
    def from_signal(self) -> bool:
        return bool(
            self.conclusion
            or self.inspection_type
            or self.link
            or self.producer_id
            or self.unit_id
            or self.failed_item_id
        )

    def hidden_args(self) -> dict:
        """The filters the form has no field for, kept as hidden inputs."""
        args = {
            "conclusion": self.conclusion,
            "type": self.inspection_type,
            "link": self.link,
            "producer": self.producer_id,
            "unit": self.unit_id,
            "failed_item": self.failed_item_id,
        }
        return {k: v for k, v in args.items() if v}

    @property
    def by_number(self) -> bool:
        """A search by sample number (or its start): the list is ordered by number then."""
        return looks_like_number(self.q)

    def key_column(self):
        """The unique column the list pages on (newest first): the sample number when
        searching by number, so the number range is walked on its unique index instead of
        filtering the id index; the id otherwise."""
        return Sample.sample_no if self.by_number else Sample.id

    def after(self, args):
        """The keyset position (``?after=``) typed for :meth:`key_column`."""
        if self.by_number:
            return args.get("after") or None
        return args.get("after", type=int)

    def apply(self, query: Select) -> Select:
        if self.by_number:
            query = query.where(number_prefix(self.q))
        elif self.q:
            query = query.where(contains_text(self.q, Sample.food_name))
        if self.status:
            query = query.where(Sample.status == SampleStatus(self.status))
        if self.region_code:
            query = query.where(Sample.region_code == self.region_code)
        if self.date_from:
            query = query.where(Sample.sampling_date >= self.date_from)
        if self.date_to:
            query = query.where(Sample.sampling_date <= self.date_to)
        if self.category:
            level, category_id = self.category
            query = query.where(CATEGORY_LEVELS[level] == category_id)
        if self.key_foods:
            query = query.where(Sample.id.in_(key_food_sample_ids()))
        return self._apply_signal(query)

    def _apply_signal(self, query: Select) -> Select:
        if self.conclusion:
            query = query.where(Sample.conclusion == Conclusion(self.conclusion))
        if self.inspection_type:
            query = query.where(Sample.inspection_type == InspectionType(self.inspection_type))
        if self.link:
            query = query.where(Sample.link == Link(self.link))
        if self.producer_id:
            query = query.where(Sample.producer_id == self.producer_id)
        if self.unit_id:
            visits = select(SamplingVisit.id).where(SamplingVisit.sampled_unit_id == self.unit_id)
            query = query.where(Sample.visit_id.in_(visits))
        if self.failed_item_id:
            failing = select(SampleResult.sample_id).where(
                SampleResult.test_item_id == self.failed_item_id,
                SampleResult.verdict == VerdictValue.FAIL,
                SampleResult.status == ResultStatus.ACCEPTED,
            )
            query = query.where(Sample.id.in_(failing))
        return query


# A team member with at most this many visits has their samples found from the visits (then
# sorted); with more, the newest samples are walked on the primary key, each checked against
# the team (their samples are then a large share of all, so a page needs few steps).
FEW_VISITS = 2000


def sample_list_query(team_member: User | None = None, session: Session | None = None) -> Select:
    """Samples with what a list row shows loaded; only ``team_member``'s when given (the
    samples of every visit whose team they were in; ``session`` picks the plan)."""
    query = select(Sample).options(
        joinedload(Sample.visit).joinedload(SamplingVisit.sampled_unit), joinedload(Sample.category)
    )
    if team_member is None:
        return query
    visits = select(VisitSampler.visit_id).where(VisitSampler.user_id == team_member.id)
    if (
        session is not None
        and session.scalar(
            select(func.count()).select_from(visits.limit(FEW_VISITS + 1).subquery())
        )
        > FEW_VISITS
    ):
        return query.where(
            exists().where(
                VisitSampler.visit_id == Sample.visit_id, VisitSampler.user_id == team_member.id
            )
        )
    return query.where(Sample.visit_id.in_(visits))


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
    named = list(
        session.scalars(
            select(FoodCategory)
            .where(FoodCategory.name_zh == text)
            .order_by(FoodCategory.level.desc(), FoodCategory.id)
            .limit(10)
        )
    )
    if len(named) == 1:
        return named[0]
    # The same name on several levels (小麦粉 as 亚类 and as 细类): the one detailed
    # category (without children) among them is meant; two of those stay ambiguous.
    parents = set(
        session.scalars(
            select(FoodCategory.parent_id).where(FoodCategory.parent_id.in_([c.id for c in named]))
        )
    )
    leaves = [c for c in named if c.id not in parents]
    return leaves[0] if len(leaves) == 1 else False


def other_samplers(session: Session, user: User) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.SAMPLER, User.active.is_(True), User.id != user.id)
            .order_by(User.full_name, User.username)
        )
    )


def received_on(session: Session, day: date, limit: int) -> list[Sample]:
    """Samples received on ``day`` (local time), newest first, at most ``limit``."""
    start = datetime.combine(day, time(), clock.LOCAL_TZ)
    return list(
        session.scalars(
            select(Sample)
            .options(joinedload(Sample.category))
            .where(Sample.received_at >= start, Sample.received_at < start + timedelta(days=1))
            .order_by(Sample.received_at.desc())
            .limit(limit)
        )
    )


def awaiting_receipt_query() -> Select:
    return sample_list_query().where(Sample.status == SampleStatus.REGISTERED)


def awaiting_receipt_ids(conditions: Sequence = ()) -> Select:
    """Ids of the samples awaiting receipt, narrowed by ``conditions`` (queue filters)."""
    return select(Sample.id).where(Sample.status == SampleStatus.REGISTERED, *conditions)


def reload_sample(session: Session, sample_id: int) -> Sample | None:
    """The sample as the database has it now (after a rolled-back attempt)."""
    return session.scalar(select(Sample).where(Sample.id == sample_id))


def count_awaiting(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Sample).where(Sample.status == SampleStatus.REGISTERED)
        )
        or 0
    )


def sample_results(session: Session, sample: Sample) -> list[SampleResult]:
    """Every result row of a sample (superseded ones included), in test-item order."""
    return list(
        session.scalars(
            select(SampleResult)
            .where(SampleResult.sample_id == sample.id)
            .order_by(SampleResult.seq)
        )
    )


def display_names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """The display name of each user given."""
    ids = set(user_ids)
    if not ids:
        return {}
    return {
        user.id: user.display_name for user in session.scalars(select(User).where(User.id.in_(ids)))
    }


def samples_for_labels(session: Session, ids: Sequence[int]) -> list[Sample]:
    """The chosen samples (with their visits, for the labels), by id."""
    if not ids:
        return []
    return list(
        session.scalars(
            select(Sample)
            .where(Sample.id.in_(ids))
            .options(selectinload(Sample.visit))
            .order_by(Sample.id)
        )
    )


def pending_corrections(
    session: Session, *, sample_id: int | None = None, visit_id: int | None = None
) -> list[Correction]:
    """Pending correction requests of a sample (its own and its results'), or of a visit
    (the form's own and its batches')."""
    query = select(Correction).where(Correction.status == CorrectionStatus.PENDING)
    if sample_id is not None:
        query = query.where(Correction.sample_id == sample_id)
    else:
        query = query.where(
            Correction.visit_id == visit_id,
            (Correction.target != CorrectionTarget.RESULT),
        )
    return list(session.scalars(query.order_by(Correction.id)))
