"""Work queues sorted by due date: the order across pages (undated samples last), and each
queue's page read in the order of its index (status, due date, id), with no sort of the
whole queue, on both databases."""

from __future__ import annotations

import pytest
from browser.queue_data import bulk_samples
from sqlalchemy import event, select, update

from labsys.extensions import db
from labsys.models import Role, Sample, SampleStatus
from labsys.web.queues.queries import page_ids

COUNT = 23


@pytest.fixture
def queue(make_user, make_category, make_enterprise):
    sampler = make_user("sam", Role.SAMPLER)
    flour = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    ids = bulk_samples(
        COUNT,
        category=flour,
        sampler=sampler,
        unit=make_enterprise(),
        status=SampleStatus.REGISTERED,
    )
    # A few without a due date (data from before the deadlines): they come last.
    db.session.execute(update(Sample).where(Sample.id.in_(ids[::5])).values(due_delivery=None))
    db.session.commit()
    return ids


def test_pages_by_due_date_follow_one_order_undated_last(app, queue):
    rows = db.session.execute(
        select(Sample.id, Sample.due_delivery).where(Sample.id.in_(queue))
    ).all()
    dated = sorted((due, sid) for sid, due in rows if due is not None)
    expected = [sid for _due, sid in dated] + sorted(sid for sid, due in rows if due is None)
    query = select(Sample.id).where(Sample.status == SampleStatus.REGISTERED)
    for size in (1, 4, 5, COUNT, COUNT + 1):
        seen, after = [], None
        while True:
            page = page_ids(
                db.session,
                query,
                id_column=Sample.id,
                due_column=Sample.due_delivery,
                sort="due",
                after=after,
                size=size,
            )
            assert len(page.items) <= size
            seen += page.items
            after = page.next_after
            if after is None:
                break
        assert seen == expected, size


def _explain(statement: str, parameters) -> str:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Tiny tables: make the planner show whether the index can give the order at all.
        for setting in ("enable_seqscan", "enable_sort", "enable_bitmapscan"):
            connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars()
    else:
        plan = [
            row[-1]
            for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        ]
    return "\n".join(plan)


@pytest.mark.parametrize(
    ("path", "role", "index"),
    [
        ("/lab/receipt/?sort=due", Role.TECHNICIAN, "ix_samples_status_due_delivery"),
        ("/lab/work?sort=due", Role.TECHNICIAN, "ix_samples_status_due_report"),
        ("/reports/queue?sort=due", Role.SUPERVISOR, "ix_samples_status_due_report"),
    ],
)
def test_a_queue_by_due_date_reads_its_index_in_order(
    app, queue, make_user, login, client, path, role, index
):
    login(make_user("worker", role))
    paged = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if "due_key" in statement and "LIMIT" in statement:  # the page, by due date
            paged.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert paged, "the page query was not seen"
    db.session.rollback()
    plan = _explain(*paged[0])
    db.session.rollback()
    assert index in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
