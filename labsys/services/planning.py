"""Sampling plans (抽样计划), their quotas, and tasks (抽样任务) given to sampler teams.

Rules:
- a quota is a positive number of batches of one food category (any level), optionally for
  one district and one link; a plan holds at most one quota per (category, district, link);
- a task takes part of a quota: the tasks of a quota together never exceed it;
- a task's team is at least two distinct active users holding the sampler role;
- a new task's due date is not in the past, and lies in the plan's year or the next one
  (year-end plans are often finished in January); an edited task may keep a past due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from labsys.core import clock
from labsys.models import (
    FoodCategory,
    InspectionType,
    Lab,
    Link,
    Plan,
    PlanQuota,
    Region,
    Role,
    Sample,
    Task,
    TaskSampler,
    User,
    UserRole,
)
from labsys.services import audit
from labsys.services.access import writes
from labsys.services.errors import ServiceError

MIN_TEAM = 2


def inspection_type_title(value: InspectionType | str | None) -> str:
    """The translated title of a plan's 检验类别."""
    try:
        return InspectionType.of(value).title
    except ValueError:
        return str(value)


def _clean_inspection_type(value) -> InspectionType:
    try:
        return InspectionType(value)
    except ValueError:
        raise ServiceError(_("Choose the inspection type."), field="inspection_type") from None


@dataclass(frozen=True)
class QuotaProgress:
    assigned: int  # batches handed out in tasks
    sampled: int  # batches taken under those tasks


# --- plans ---------------------------------------------------------------------------------


def _clean_plan(
    session: Session, plan: Plan | None, code, name, year, inspection_type, description
) -> dict:
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        raise ServiceError(_("A plan needs a code."), field="code")
    if not name:
        raise ServiceError(_("A plan needs a name."), field="name")
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise ServiceError(_("Give the plan's year, e.g. 2026."), field="year")
    inspection_type = _clean_inspection_type(inspection_type)
    other = session.scalar(select(Plan).where(Plan.code == code))
    if other is not None and other is not plan:
        raise ServiceError(
            _("The plan code %(code)s is already used by %(name)s.", code=code, name=other.name),
            field="code",
        )
    return {
        "code": code,
        "name": name,
        "year": year,
        "inspection_type": inspection_type,
        "description": (description or "").strip() or None,
    }


def _plan_values(plan: Plan) -> dict:
    return {
        "code": plan.code,
        "name": plan.name,
        "year": plan.year,
        "inspection_type": plan.inspection_type,
        "description": plan.description,
    }


@writes(Role.SUPERVISOR)
def create_plan(
    session: Session,
    actor: User,
    *,
    code: str,
    name: str,
    year: int,
    inspection_type: InspectionType | str = InspectionType.SUPERVISION,
    description: str | None = None,
) -> Plan:
    values = _clean_plan(session, None, code, name, year, inspection_type, description)
    plan = Plan(created_by_id=actor.id if actor else None, **values)
    session.add(plan)
    session.flush()
    audit.record(session, actor, "plan", plan.id, "create", new=values)
    return plan


@writes(Role.SUPERVISOR)
def update_plan(
    session: Session,
    actor: User,
    plan: Plan,
    *,
    code: str,
    name: str,
    year: int,
    inspection_type: InspectionType | str,
    description: str | None = None,
) -> Plan:
    values = _clean_plan(session, plan, code, name, year, inspection_type, description)
    old = _plan_values(plan)
    changed = {k: v for k, v in values.items() if old[k] != v}
    if "inspection_type" in changed and session.scalar(
        select(func.count()).select_from(Sample).where(Sample.plan_id == plan.id)
    ):
        # Its samples were taken, worded and given (or not) their rights under this type.
        raise ServiceError(
            _("The inspection type of a plan that has samples cannot change."),
            field="inspection_type",
        )
    if "year" in changed:
        late = session.scalar(
            select(func.min(Task.due_date)).where(
                Task.plan_id == plan.id, Task.due_date < date(values["year"], 1, 1)
            )
        )
        if late is not None:
            raise ServiceError(
                _(
                    "A task of this plan is due on %(day)s, before the year %(year)d starts.",
                    day=late.isoformat(),
                    year=values["year"],
                ),
                field="year",
            )
    if not changed:
        return plan
    for key, value in changed.items():
        setattr(plan, key, value)
    session.flush()
    audit.record(
        session, actor, "plan", plan.id, "update", old={k: old[k] for k in changed}, new=changed
    )
    return plan


# --- quotas --------------------------------------------------------------------------------


def _clean_link(value) -> Link | None:
    if value in (None, ""):
        return None
    try:
        return Link(value)
    except ValueError:
        raise ServiceError(_("Choose the sampling link."), field="link") from None


def _clean_quota_number(value, field: str = "quota") -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise ServiceError(_("The quota is a whole number of batches, at least 1."), field=field)
    return number


def _quota_values(quota: PlanQuota) -> dict:
    return {
        "category_id": quota.category_id,
        "region_code": quota.region_code,
        "link": quota.link,
        "quota": quota.quota,
    }


@writes(Role.SUPERVISOR)
def add_quota(
    session: Session,
    actor: User,
    plan: Plan,
    *,
    category_id: int,
    quota: int,
    region_code: str | None = None,
    link=None,
) -> PlanQuota:
    """A quota of ``quota`` batches of a category, optionally for one district and link."""
    category = session.get(FoodCategory, category_id) if category_id else None
    if category is None:
        raise ServiceError(_("Choose a food category."), field="category_id")
    region_code = (region_code or "").strip() or None
    if region_code and session.get(Region, region_code) is None:
        raise ServiceError(
            _("Unknown district code %(code)s.", code=region_code), field="region_code"
        )
    link = _clean_link(link)
    number = _clean_quota_number(quota)
    same = session.scalar(
        select(PlanQuota).where(
            PlanQuota.plan_id == plan.id,
            PlanQuota.category_id == category.id,
            PlanQuota.region_code.is_(None)
            if region_code is None
            else PlanQuota.region_code == region_code,
            PlanQuota.link.is_(None) if link is None else PlanQuota.link == link,
        )
    )
    if same is not None:
        raise ServiceError(
            _(
                "This plan already has a quota for %(category)s with the same "
                "district and link: change that quota instead.",
                category=category.name_zh,
            ),
            field="category_id",
        )
    row = PlanQuota(
        plan_id=plan.id, category_id=category.id, region_code=region_code, link=link, quota=number
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "plan_quota",
        row.id,
        "create",
        new={"plan_id": plan.id, **_quota_values(row)},
    )
    return row


def assigned_to_tasks(session: Session, quota: PlanQuota, *, excluding: Task | None = None) -> int:
    query = select(func.coalesce(func.sum(Task.quota), 0)).where(Task.quota_id == quota.id)
    if excluding is not None and excluding.id is not None:
        query = query.where(Task.id != excluding.id)
    return int(session.execute(query).scalar_one())


@writes(Role.SUPERVISOR)
def set_quota(session: Session, actor: User, quota: PlanQuota, number: int) -> PlanQuota:
    """Change a quota's number of batches; never below what its tasks already hold."""
    number = _clean_quota_number(number)
    assigned = assigned_to_tasks(session, quota)
    if number < assigned:
        raise ServiceError(
            _(
                "Tasks already hold %(assigned)d batches of this quota: it "
                "cannot be lowered to %(n)d.",
                assigned=assigned,
                n=number,
            ),
            field="quota",
        )
    if number == quota.quota:
        return quota
    old = quota.quota
    quota.quota = number
    session.flush()
    audit.record(
        session, actor, "plan_quota", quota.id, "update", old={"quota": old}, new={"quota": number}
    )
    return quota


# --- tasks ---------------------------------------------------------------------------------


def _clean_team(session: Session, sampler_ids) -> list[User]:
    ids = sorted({int(i) for i in sampler_ids or []})
    users = list(session.scalars(select(User).where(User.id.in_(ids)))) if ids else []
    for user in users:
        if not user.active or Role.SAMPLER not in user.roles:
            raise ServiceError(
                _("%(name)s is not an active sampler.", name=user.display_name), field="sampler_ids"
            )
    if len(users) < MIN_TEAM:
        raise ServiceError(
            _(
                "A task needs a team of at least %(min)d samplers; %(n)d chosen.",
                min=MIN_TEAM,
                n=len(users),
            ),
            field="sampler_ids",
        )
    return users


def _check_due_date(plan: Plan, due_date, today: date, *, new: bool) -> date:
    if not isinstance(due_date, date):
        raise ServiceError(_("Give the due date."), field="due_date")
    if new and due_date < today:
        raise ServiceError(
            _("The due date %(day)s is in the past.", day=due_date.isoformat()), field="due_date"
        )
    if not plan.year <= due_date.year <= plan.year + 1:
        raise ServiceError(
            _(
                "The due date must fall in the plan's year %(year)d or the next one.",
                year=plan.year,
            ),
            field="due_date",
        )
    return due_date


def _check_task_quota(session: Session, quota: PlanQuota, number, task: Task | None) -> int:
    number = _clean_quota_number(number)
    remaining = quota.quota - assigned_to_tasks(session, quota, excluding=task)
    if number > remaining:
        raise ServiceError(
            _(
                "Only %(remaining)d of this quota's %(total)d batches are not yet "
                "assigned to a task; this task asks for %(n)d.",
                remaining=remaining,
                total=quota.quota,
                n=number,
            ),
            field="quota",
        )
    return number


def _next_task_code(session: Session, plan: Plan) -> str:
    count = session.execute(
        select(func.count()).select_from(Task).where(Task.plan_id == plan.id)
    ).scalar_one()
    n = count + 1
    while session.scalar(select(Task.id).where(Task.code == f"{plan.code}-{n:03d}")):
        n += 1
    return f"{plan.code}-{n:03d}"


def _task_values(task: Task) -> dict:
    return {
        "code": task.code,
        "name": task.name,
        "quota_id": task.quota_id,
        "quota": task.quota,
        "due_date": task.due_date,
        "lab_id": task.lab_id,
        "closed": task.closed,
        "sampler_ids": sorted(link.user_id for link in task.sampler_links),
    }


@writes(Role.SUPERVISOR)
def create_task(
    session: Session,
    actor: User,
    quota: PlanQuota,
    *,
    name: str,
    number: int,
    due_date: date,
    sampler_ids,
    lab_id: int | None = None,
    today: date | None = None,
) -> Task:
    """Hand ``number`` batches of ``quota`` to a team of samplers, due on ``due_date``."""
    plan = quota.plan
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("A task needs a name."), field="name")
    number = _check_task_quota(session, quota, number, None)
    due_date = _check_due_date(plan, due_date, today or clock.today(), new=True)
    team = _clean_team(session, sampler_ids)
    if lab_id and session.get(Lab, lab_id) is None:
        raise ServiceError(_("Unknown lab."), field="lab_id")
    task = Task(
        code=_next_task_code(session, plan),
        plan_id=plan.id,
        quota_id=quota.id,
        name=name,
        category_id=quota.category_id,
        region_code=quota.region_code,
        link=quota.link,
        quota=number,
        due_date=due_date,
        lab_id=lab_id or None,
        created_by_id=actor.id if actor else None,
    )
    task.sampler_links = [TaskSampler(user_id=user.id) for user in team]
    session.add(task)
    session.flush()
    audit.record(session, actor, "task", task.id, "create", new=_task_values(task))
    return task


@writes(Role.SUPERVISOR)
def update_task(
    session: Session,
    actor: User,
    task: Task,
    *,
    name: str,
    number: int,
    due_date: date,
    sampler_ids,
    closed: bool = False,
    lab_id: int | None = None,
) -> Task:
    """Change a task; its quota may not drop below what was already sampled under it."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("A task needs a name."), field="name")
    quota = session.get(PlanQuota, task.quota_id) if task.quota_id else None
    number = (
        _check_task_quota(session, quota, number, task) if quota else _clean_quota_number(number)
    )
    sampled = task_progress(session, [task.id])[task.id]
    if number < sampled:
        raise ServiceError(
            _(
                "%(n)d batches were already sampled under this task: its quota cannot be lower.",
                n=sampled,
            ),
            field="quota",
        )
    _check_due_date(task.plan, due_date, clock.today(), new=False)
    team = _clean_team(session, sampler_ids)
    if lab_id and session.get(Lab, lab_id) is None:
        raise ServiceError(_("Unknown lab."), field="lab_id")
    old = _task_values(task)
    task.name, task.quota, task.due_date = name, number, due_date
    task.closed, task.lab_id = bool(closed), lab_id or None
    team_ids = {user.id for user in team}
    if team_ids != set(old["sampler_ids"]):
        task.sampler_links = [link for link in task.sampler_links if link.user_id in team_ids]
        kept = {link.user_id for link in task.sampler_links}
        task.sampler_links += [TaskSampler(user_id=i) for i in sorted(team_ids - kept)]
    session.flush()
    new = _task_values(task)
    changed = {k: v for k, v in new.items() if old[k] != v}
    if changed:
        audit.record(
            session, actor, "task", task.id, "update", old={k: old[k] for k in changed}, new=changed
        )
    return task


# --- queries -------------------------------------------------------------------------------


def task_progress(session: Session, task_ids) -> dict[int, int]:
    """Batches sampled under each task: one grouped query; tasks without samples get 0."""
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    progress = dict.fromkeys(ids, 0)
    progress.update(
        session.execute(
            select(Sample.task_id, func.count(Sample.id))
            .where(Sample.task_id.in_(ids))
            .group_by(Sample.task_id)
        ).all()
    )
    return progress


def quota_progress(session: Session, quota_ids) -> dict[int, QuotaProgress]:
    """For each quota: batches assigned to its tasks and batches sampled under them."""
    ids = sorted(set(quota_ids))
    if not ids:
        return {}
    assigned = dict(
        session.execute(
            select(Task.quota_id, func.sum(Task.quota))
            .where(Task.quota_id.in_(ids))
            .group_by(Task.quota_id)
        ).all()
    )
    sampled = dict(
        session.execute(
            select(Task.quota_id, func.count(Sample.id))
            .join(Sample, Sample.task_id == Task.id)
            .where(Task.quota_id.in_(ids))
            .group_by(Task.quota_id)
        ).all()
    )
    return {i: QuotaProgress(int(assigned.get(i) or 0), int(sampled.get(i) or 0)) for i in ids}


def tasks_for_sampler(session: Session, user: User) -> list[Task]:
    """Open tasks whose team includes ``user``, soonest due first."""
    return list(
        session.scalars(
            select(Task)
            .join(TaskSampler, TaskSampler.task_id == Task.id)
            .where(TaskSampler.user_id == user.id, Task.closed.is_(False))
            .options(selectinload(Task.plan), selectinload(Task.category))
            .order_by(Task.due_date, Task.id)
        )
    )


def active_samplers(session: Session) -> list[User]:
    """Users who can be put in a task's team."""
    return list(
        session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.SAMPLER, User.active.is_(True))
            .order_by(User.full_name, User.username)
        )
    )
