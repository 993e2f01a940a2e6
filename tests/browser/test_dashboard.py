"""Home is a dashboard: each role's to-do counts (overdue, due within 3 working days) link
to the queue filtered to exactly those samples; supervisors see the lab's overdue total and
the key-food pass rate; a sampler's tasks link to a sampling form for the task.  The counts
are aggregates: the page's number of SQL statements does not grow with the samples."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from queue_data import TODAY, bulk_results, bulk_samples
from sqlalchemy import event

from labsys.extensions import db
from labsys.models import ResultStatus, Role, SampleStatus

# Of n bulk samples (index i), i % 3 == 0 is overdue and i % 3 == 1 due today (soon).


def _counts(n: int) -> tuple[int, int]:
    return len(range(0, n, 3)), len(range(1, n, 3))


@pytest.fixture
def lab(make_user, make_category, make_item, make_enterprise, freeze_clock):
    freeze_clock(TODAY)

    def build(n: int = 9, prefix: str = "D"):
        staff = make_user(None, Role.SAMPLER)
        tech = make_user(None, Role.TECHNICIAN)
        flour = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
        lead = make_item("铅(以Pb计)", "mg/kg")
        unit = make_enterprise()
        common = {"category": flour, "sampler": staff, "unit": unit}
        bulk_samples(n, status=SampleStatus.REGISTERED, prefix=f"{prefix}R", **common)
        testing = bulk_samples(n, status=SampleStatus.RECEIVED, prefix=f"{prefix}T", **common)
        bulk_results(testing, item=lead, status=ResultStatus.PENDING)
        review = bulk_samples(n, status=SampleStatus.RECEIVED, prefix=f"{prefix}V", **common)
        bulk_results(review, item=lead, status=ResultStatus.SUBMITTED, entered_by=tech)
        bulk_samples(n, status=SampleStatus.CONCLUDED, prefix=f"{prefix}C", **common)
        db.session.commit()

    return build


pytestmark = pytest.mark.browser


def test_each_count_opens_its_filtered_queue(browser_page, browser_login, make_user, lab, tmp_path):
    lab(9)
    overdue, soon = _counts(9)
    boss = make_user("boss", Role.TECHNICIAN, Role.REVIEWER, Role.SUPERVISOR, full_name="主任")
    page = browser_login(boss)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    for key in ("receive", "test", "review", "issue"):
        tile = page.locator(f"#todo-{key}")
        assert tile.locator(".todo-count").get_attribute("data-count") == "9", key
        assert tile.locator(".todo-overdue").get_attribute("data-count") == str(overdue), key
        assert tile.locator(".todo-soon").get_attribute("data-count") == str(soon), key
    # Receipt, testing and reports: the samples awaiting review have no open results.
    overview = page.locator("#overview-overdue .todo-count").get_attribute("data-count")
    assert overview == str(3 * overdue)
    assert "重点食品合格率" in page.inner_text("#overview-key-food")

    # The overdue link of each queue lists exactly the overdue samples, flagged.
    for key, row in (
        ("receive", "#awaiting tbody tr"),
        ("test", "table tbody tr"),
        ("issue", "#bulk-form tbody tr"),
    ):
        page.goto("/")
        page.click(f"#todo-{key} .todo-overdue")
        # A click waits for the navigation to commit, not for the page to load: wait for
        # the queue's load before counting its rows (counting early read an empty page).
        page.wait_for_url("**due=overdue**")
        expect(page.locator(f"{row}.overdue")).to_have_count(overdue)
    page.goto("/")
    page.click("#todo-review .todo-soon")
    page.wait_for_url("**due=soon**")
    expect(page.locator(".queue-card")).to_have_count(soon)


def test_the_supervisor_overview_counts_every_overdue_deadline(client, login, make_user, lab):
    lab(9)
    overdue, _soon = _counts(9)
    login(make_user("boss", Role.SUPERVISOR))
    html = client.get("/").get_data(as_text=True)
    # Receipt (9 registered), testing (9 with open results) and reports (9 concluded);
    # the samples awaiting review have no open results and are not "to test".
    assert 'id="overview-overdue"' in html
    assert f'data-count="{3 * overdue}"' in html
    assert "重点食品合格率" in html


def test_a_sampler_sees_the_tasks_linked_to_a_sampling_form(client, login, make_user):
    from datetime import timedelta

    from labsys.core import clock
    from labsys.models import Plan, Task, TaskSampler

    sampler = make_user("sam", Role.SAMPLER)
    plan = Plan(code="P1", name="年度计划", year=clock.today().year)
    db.session.add(plan)
    db.session.flush()
    task = Task(
        plan_id=plan.id,
        code="T1",
        name="海淀区粮食",
        quota=10,
        due_date=clock.today() + timedelta(days=30),
    )
    db.session.add(task)
    db.session.flush()
    db.session.add(TaskSampler(task_id=task.id, user_id=sampler.id))
    db.session.commit()
    login(sampler)
    html = client.get("/").get_data(as_text=True)
    link = f"/sampling/visits/new?task={task.id}"
    assert link in html
    form = client.get(link).get_data(as_text=True)
    assert f'<option selected value="{task.id}">' in form


def test_the_dashboard_reads_aggregates_not_rows(app, client, login, make_user, lab):
    """The number of SQL statements of the home page is the same for 3 and 60 samples per
    queue (no query per sample)."""
    boss = make_user("boss", Role.TECHNICIAN, Role.REVIEWER, Role.SUPERVISOR, Role.SAMPLER)
    login(boss)

    def statements() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    lab(3, prefix="A")
    few = statements()
    lab(60, prefix="B")
    assert statements() == few


def test_a_count_beyond_the_cap_reads_as_at_least(client, login, make_user, lab, monkeypatch):
    """Counts stop at COUNT_CAP (each an index read that stops there): beyond it the tile reads
    "N+", so a huge backlog costs the page no more than a small one."""
    from labsys.web.queues import queries

    lab(9)
    monkeypatch.setattr(queries, "COUNT_CAP", 4)
    login(make_user("boss", Role.SUPERVISOR, Role.TECHNICIAN))
    html = client.get("/").get_data(as_text=True)
    receive = html[html.index('id="todo-receive"') :]
    assert 'data-count="5">4+</div>' in receive  # 9 registered: "at least 4", counted to 5
    overdue, _soon = _counts(9)
    assert f'data-count="{overdue}">' in receive  # 3: under the cap, exact
    monkeypatch.setattr(queries, "COUNT_CAP", 100)
    html = client.get("/").get_data(as_text=True)
    assert 'data-count="9">9</div>' in html[html.index('id="todo-receive"') :]
