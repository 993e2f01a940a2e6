"""Plans, quotas and tasks: validation, progress, the supervisor's and sampler's pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from labsys.core import clock
from labsys.models import AuditEntry, InspectionType, Link, Plan, PlanQuota, Role, Sample, Task
from labsys.services import ServiceError, planning

TODAY = date(2026, 11, 28)


@pytest.fixture
def boss(make_user):
    return make_user("boss", Role.SUPERVISOR)


@pytest.fixture
def team(make_user):
    return [make_user("ann", Role.SAMPLER), make_user("bob", Role.SAMPLER)]


@pytest.fixture
def wheat(make_category):
    return make_category("粮食加工品", "小麦粉")


@pytest.fixture
def quota(db, boss, wheat, reference_data):
    plan = planning.create_plan(
        db.session,
        boss,
        code="BJ2026-01",
        name="2026年北京市食品监督抽检",
        year=2026,
        inspection_type="supervision",
    )
    row = planning.add_quota(
        db.session, boss, plan, category_id=wheat.id, quota=10, region_code="110105", link="retail"
    )
    db.session.commit()
    return row


def new_task(db, boss, quota, team, number=4, due=date(2026, 12, 20), **kwargs):
    task = planning.create_task(
        db.session,
        boss,
        quota,
        name="朝阳区小麦粉抽检",
        number=number,
        due_date=due,
        sampler_ids=[u.id for u in team],
        today=TODAY,
        **kwargs,
    )
    db.session.commit()
    return task


def count(db, model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# --- services ------------------------------------------------------------------------------


def test_plan_quota_and_task_are_created_and_audited(db, boss, team, quota):
    task = new_task(db, boss, quota, team)
    assert task.code == "BJ2026-01-001"
    assert (task.category_id, task.region_code, task.link) == (
        quota.category_id,
        "110105",
        Link.RETAIL,
    )
    assert {u.username for u in task.samplers} == {"ann", "bob"}
    actions = db.session.scalars(
        select(AuditEntry.entity + ":" + AuditEntry.action)
        .where(AuditEntry.entity.in_(["plan", "plan_quota", "task"]))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["plan:create", "plan_quota:create", "task:create"]


def test_task_needs_a_team_of_two(db, boss, team, quota):
    with pytest.raises(ServiceError) as caught:
        new_task(db, boss, quota, team[:1])
    assert caught.value.field == "sampler_ids"
    assert "至少需要 2 名抽样人员，当前只选了 1 名" in caught.value.message
    with pytest.raises(ServiceError):  # the same person twice is still one
        planning.create_task(
            db.session,
            boss,
            quota,
            name="x",
            number=1,
            due_date=date(2026, 12, 1),
            sampler_ids=[team[0].id, team[0].id],
            today=TODAY,
        )


def test_team_members_must_be_active_samplers(db, boss, team, quota, make_user):
    tech = make_user("tina", Role.TECHNICIAN, full_name="Tina")
    with pytest.raises(ServiceError) as caught:
        new_task(db, boss, quota, [team[0], tech])
    assert "Tina 不是在职的抽样人员" in caught.value.message


def test_tasks_cannot_exceed_the_quota(db, boss, team, quota):
    new_task(db, boss, quota, team, number=7)
    with pytest.raises(ServiceError) as caught:
        new_task(db, boss, quota, team, number=4)
    assert caught.value.field == "quota"
    assert "尚未分配的只剩 3 批次" in caught.value.message
    assert new_task(db, boss, quota, team, number=3).quota == 3
    assert count(db, Task) == 2


def test_due_date_rules(db, boss, team, quota):
    with pytest.raises(ServiceError, match="已过"):
        new_task(db, boss, quota, team, due=TODAY - timedelta(days=1))
    with pytest.raises(ServiceError, match="2026 年或次年"):
        new_task(db, boss, quota, team, due=date(2028, 1, 5))
    assert new_task(db, boss, quota, team, due=date(2027, 1, 15)).due_date.year == 2027


def test_quota_validation(db, boss, wheat, quota):
    plan = quota.plan
    for number in (0, -3, "x"):
        with pytest.raises(ServiceError, match="至少为 1"):
            planning.add_quota(db.session, boss, plan, category_id=wheat.id, quota=number)
    with pytest.raises(ServiceError, match="相同区和环节"):
        planning.add_quota(
            db.session,
            boss,
            plan,
            category_id=wheat.id,
            quota=5,
            region_code="110105",
            link="retail",
        )
    assert planning.add_quota(
        db.session, boss, plan, category_id=wheat.id, quota=5, region_code="110105", link="catering"
    )
    with pytest.raises(ServiceError, match="未知的区代码"):
        planning.add_quota(
            db.session, boss, plan, category_id=wheat.id, quota=5, region_code="999999"
        )


def test_quota_cannot_drop_below_its_tasks(db, boss, team, quota):
    new_task(db, boss, quota, team, number=6)
    with pytest.raises(ServiceError, match="任务已占用此指标 6 批次"):
        planning.set_quota(db.session, boss, quota, 5)
    planning.set_quota(db.session, boss, quota, 6)
    assert quota.quota == 6


def test_duplicate_plan_code_is_refused(db, boss, quota):
    with pytest.raises(ServiceError, match="已被“2026年北京市食品监督抽检”使用"):
        planning.create_plan(db.session, boss, code="BJ2026-01", name="另一个", year=2026)


@pytest.fixture
def sample_for(db, make_sample, wheat):
    def make(task, n=1, **kwargs):
        for _ in range(n):
            sample = make_sample(
                wheat, received=False, task_id=task.id, plan_id=task.plan_id, **kwargs
            )
        return sample

    return make


def test_progress_counts_samples_per_task_and_quota(db, boss, team, quota, sample_for):
    first = new_task(db, boss, quota, team, number=4)
    second = new_task(db, boss, quota, team, number=5)
    idle = new_task(db, boss, quota, team, number=1)
    sample_for(first, 3)
    sample_for(second, 1)
    ids = [first.id, second.id, idle.id]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        progress = planning.task_progress(db.session, ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert progress == {first.id: 3, second.id: 1, idle.id: 0}
    assert len(statements) == 1
    assert planning.quota_progress(db.session, [quota.id]) == {
        quota.id: planning.QuotaProgress(assigned=10, sampled=4)
    }


def test_task_quota_cannot_drop_below_sampled(db, boss, team, quota, sample_for):
    task = new_task(db, boss, quota, team, number=4)
    sample_for(task, 3)
    with pytest.raises(ServiceError, match="已抽样 3 批次"):
        planning.update_task(
            db.session,
            boss,
            task,
            name=task.name,
            number=2,
            due_date=task.due_date,
            sampler_ids=[u.id for u in team],
        )


def test_tasks_for_sampler_lists_open_tasks_of_their_team(db, boss, team, quota, make_user):
    carl = make_user("carl", Role.SAMPLER)
    mine = new_task(db, boss, quota, team, number=2, due=date(2026, 12, 31))
    soon = new_task(db, boss, quota, team, number=2, due=date(2026, 12, 1))
    new_task(db, boss, quota, [team[1], carl], number=2)
    planning.update_task(
        db.session,
        boss,
        soon,
        name=soon.name,
        number=2,
        due_date=soon.due_date,
        sampler_ids=[u.id for u in team],
        closed=True,
    )
    db.session.commit()
    assert [t.id for t in planning.tasks_for_sampler(db.session, team[0])] == [mine.id]
    assert len(planning.tasks_for_sampler(db.session, team[1])) == 2


# --- pages ---------------------------------------------------------------------------------


def test_supervisor_creates_plan_quota_and_task_through_the_pages(
    client, post, db, login, boss, team, wheat, reference_data
):
    login(boss)
    response = post(
        "/plans/new",
        {
            "code": "P-1",
            "name": "年度计划",
            "year": "2026",
            "inspection_type": "risk_monitoring",
            "description": "",
        },
        token_from="/plans/new",
    )
    assert response.status_code == 302
    plan = db.session.scalar(select(Plan))
    assert plan.inspection_type == InspectionType.RISK_MONITORING
    detail = f"/plans/{plan.id}"
    response = post(
        f"/plans/{plan.id}/quotas",
        {"category_id": str(wheat.id), "region_code": "", "link": "", "quota": "0"},
        token_from=detail,
    )
    assert response.status_code == 200 and "至少为 1" in response.get_data(as_text=True)
    response = post(
        f"/plans/{plan.id}/quotas",
        {"category_id": str(wheat.id), "region_code": "110108", "link": "production", "quota": "5"},
        token_from=detail,
    )
    assert response.status_code == 302
    quota = db.session.scalar(select(PlanQuota))
    path = f"/quotas/{quota.id}/tasks/new"
    due = (clock.today() + timedelta(days=10)).isoformat()
    data = {
        "name": "海淀生产环节",
        "quota": "3",
        "due_date": due,
        "lab_id": "0",
        "sampler_ids": [str(team[0].id)],
    }
    response = post(path, data, token_from=path)
    assert "至少需要 2 名抽样人员" in response.get_data(as_text=True)
    data["sampler_ids"] = [str(u.id) for u in team]
    data["quota"] = "6"
    response = post(path, data, token_from=path)
    assert "尚未分配的只剩 5 批次" in response.get_data(as_text=True)
    assert count(db, Task) == 0
    data["quota"] = "3"
    assert post(path, data, token_from=path).status_code == 302
    html = client.get(detail).get_data(as_text=True)
    assert "海淀生产环节" in html and "0 / 3" in html and "0 / 5" in html


def test_my_tasks_shows_progress_and_overdue(
    client, db, login, boss, team, quota, sample_for, freeze_clock
):
    # The page judges "overdue" by today: the day these tasks were made, not the day the test
    # runs (from 2026-12-21 on, the task due 2026-12-20 was overdue as well).
    freeze_clock(TODAY)
    task = new_task(db, boss, quota, team, number=4)
    sample_for(task, 3)
    late = db.session.get(Task, new_task(db, boss, quota, team, number=2).id)
    late.due_date = date(2026, 1, 10)  # long past
    db.session.commit()
    login(team[0])
    html = client.get("/tasks/mine").get_data(as_text=True)
    assert "3 / 4" in html and "0 / 2" in html
    assert html.count("已逾期") == 1
    assert "2026-01-10" in html


def test_supervisor_sees_all_tasks(client, db, login, boss, team, quota, sample_for):
    task = new_task(db, boss, quota, team, number=4)
    sample_for(task, 1)
    login(boss)
    html = client.get("/tasks?show=all").get_data(as_text=True)
    assert task.code in html and "1 / 4" in html
    assert "BJ2026-01" in client.get("/plans").get_data(as_text=True)


def test_supervisor_edits_a_task(client, post, db, login, boss, team, quota, make_user):
    task = new_task(db, boss, quota, team)
    carl = make_user("carl", Role.SAMPLER)
    login(boss)
    path = f"/tasks/{task.id}/edit"
    response = post(
        path,
        {
            "name": "改名",
            "quota": "5",
            "due_date": "2026-12-25",
            "lab_id": "0",
            "sampler_ids": [str(team[0].id), str(carl.id)],
        },
        token_from=path,
    )
    assert response.status_code == 302
    db.session.rollback()
    task = db.session.get(Task, task.id)
    assert (task.name, task.quota) == ("改名", 5)
    assert {u.username for u in task.samplers} == {"ann", "carl"}


def test_sampler_cannot_plan(client, post, login, team, quota):
    login(team[0])
    assert client.get("/plans").status_code == 403
    assert (
        post(
            "/plans/new",
            {"code": "X", "name": "X", "year": "2026", "inspection_type": "supervision"},
        ).status_code
        == 403
    )
    assert client.get(f"/quotas/{quota.id}/tasks/new").status_code == 403
    assert client.get("/tasks/mine").status_code == 200


def test_nav_shows_entries_by_role(client, login, boss, team, reference_data):
    login(team[0])
    html = client.get("/").get_data(as_text=True)
    assert "我的任务" in html and "企业" in html and 'href="/plans"' not in html
    login(boss)
    assert 'href="/plans"' in client.get("/").get_data(as_text=True)


def test_samples_of_a_task_count_in_plan_list(client, db, login, boss, team, quota, sample_for):
    sample_for(new_task(db, boss, quota, team, number=4), 2)
    assert count(db, Sample) == 2
    login(boss)
    assert "2 / 10" in client.get("/plans").get_data(as_text=True)


def test_supervisor_edits_plan_and_quota_through_the_pages(
    client, post, db, login, boss, team, quota
):
    new_task(db, boss, quota, team, number=6)
    login(boss)
    plan_path = f"/plans/{quota.plan_id}"
    response = post(
        f"/quotas/{quota.id}", {"quota": "5"}, token_from=plan_path, follow_redirects=True
    )
    assert "任务已占用此指标 6 批次" in response.get_data(as_text=True)
    response = post(
        f"/quotas/{quota.id}", {"quota": "12"}, token_from=plan_path, follow_redirects=True
    )
    assert "已保存任务指标" in response.get_data(as_text=True)
    edit = f"{plan_path}/edit"
    response = post(
        edit,
        {
            "code": "BJ2026-01",
            "name": "改名后的计划",
            "year": "2026",
            "inspection_type": "evaluation",
            "description": "说明",
        },
        token_from=edit,
    )
    assert response.status_code == 302
    db.session.rollback()
    plan = db.session.get(Plan, quota.plan_id)
    assert (plan.name, plan.inspection_type) == ("改名后的计划", InspectionType.EVALUATION)
    assert db.session.get(PlanQuota, quota.id).quota == 12
