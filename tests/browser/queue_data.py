"""Bulk rows for the queue tests: many samples in one INSERT each (a thousand in well under
a second), in the states the work queues list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from labsys.core import clock
from labsys.extensions import db
from labsys.models import (
    Link,
    ResultStatus,
    Sample,
    SampleResult,
    SampleStatus,
    SamplingVisit,
    VisitSampler,
)

# Every third sample is overdue, every third due today (so due soon), the rest due later.
OVERDUE, SOON, LATER = 0, 1, 2

# The day the browser tests' queues are built and read on (their fixtures freeze the clock
# there): a run that crosses midnight would otherwise find "due today" overdue on the page.
TODAY = date(2026, 12, 1)


def go(page, selector: str) -> None:
    """Click a link or submit button and wait for the next page's load event: its rows are
    in the DOM before its stylesheets apply, and a colour read then is the unstyled one."""
    with page.expect_navigation():
        page.click(selector)


def due_kind(index: int) -> int:
    return index % 3


def due_of(index: int, today: date) -> date:
    return {
        OVERDUE: today - timedelta(days=10 + index % 7),
        SOON: today,
        LATER: today + timedelta(days=60),
    }[due_kind(index)]


def bulk_samples(
    count: int,
    *,
    category,
    sampler,
    unit,
    status: SampleStatus,
    prefix: str = "QA",
    region_code: str | None = None,
    food=lambda i: f"样品{i}",
) -> list[int]:
    """``count`` samples in ``status`` (numbered f"{prefix}{i:06d}"); their ids in order."""
    today = clock.today()
    visit = SamplingVisit(
        sampled_unit_id=unit.id,
        sampling_date=today - timedelta(days=20),
        place=unit.address,
        link=Link.RETAIL,
        region_code=region_code,
        created_by_id=sampler.id,
    )
    visit.sampler_links = [VisitSampler(user_id=sampler.id)]
    db.session.add(visit)
    db.session.flush()
    levels = [int(p) for p in category.path.strip("/").split("/")] + [None] * 4
    received = status != SampleStatus.REGISTERED
    rows = [
        {
            "sample_no": f"{prefix}{i:06d}",
            "visit_id": visit.id,
            "status": status,
            "category_id": category.id,
            "food_name": food(i),
            "quantity": "2",
            "quantity_unit": "袋",
            "sampling_date": visit.sampling_date - timedelta(days=i % 5),
            "region_code": region_code,
            "link": Link.RETAIL,
            "sampler_id": sampler.id,
            "cat_l1_id": levels[0],
            "cat_l2_id": levels[1],
            "cat_l3_id": levels[2],
            "cat_l4_id": levels[3],
            "received_at": datetime(2026, 11, 3, 2, 0, tzinfo=UTC) if received else None,
            "due_delivery": due_of(i, today),
            "due_report": due_of(i, today) if received else None,
        }
        for i in range(count)
    ]
    db.session.execute(insert(Sample), rows)
    return list(
        db.session.scalars(
            select(Sample.id).where(Sample.sample_no.startswith(prefix)).order_by(Sample.id)
        )
    )


def bulk_results(sample_ids, *, item, status: ResultStatus, entered_by=None) -> None:
    """One result row per sample (lead, 0.05 mg/kg against ≤0.2) in ``status``."""
    entered = status not in (ResultStatus.PENDING,)
    db.session.execute(
        insert(SampleResult),
        [
            {
                "sample_id": sample_id,
                "test_item_id": item.id,
                "seq": 1,
                "item_name": item.name_zh,
                "unit": item.unit,
                "limit_text": "≤0.2",
                "lod": "0.005",
                "measured_text": "0.05" if entered else None,
                "reported_text": "0.05" if entered else None,
                "verdict": "pass" if entered else None,
                "status": status,
                "entered_by_id": entered_by.id if entered and entered_by else None,
                "entered_at": datetime(2026, 11, 4, 2, 0, tzinfo=UTC) if entered else None,
            }
            for sample_id in sample_ids
        ],
    )
