"""Plans, quotas and tasks: supervisors plan; samplers see their tasks and progress."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Plan, PlanQuota, Role, Task
from labsys.services import planning, reference
from labsys.web.access import roles_required
from labsys.web.forms import service_errors
from labsys.web.pagination import keyset_page
from labsys.web.planning import queries
from labsys.web.planning.forms import (
    PlanForm,
    QuotaForm,
    QuotaNumberForm,
    TaskEditForm,
    TaskForm,
)

bp = Blueprint("planning", __name__)

PLANNERS = (Role.SUPERVISOR,)


def _get_or_404(model, key):
    return db.session.get(model, key) or abort(404)


# --- plans -----------------------------------------------------------------------------------


@bp.route("/plans")
@roles_required(*PLANNERS)
def plan_list():
    page = keyset_page(
        queries.plan_list_query(),
        Plan.id,
        after=request.args.get("after", type=int),
        descending=True,
    )
    ids = [plan.id for plan in page.items]
    return render_template(
        "planning/plans.html",
        page=page,
        quotas=queries.quota_totals(db.session, ids),
        sampled=queries.sampled_counts(db.session, ids),
        type_title=planning.inspection_type_title,
    )


@bp.route("/plans/new", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def plan_create():
    form = PlanForm(data={"year": clock.today().year})
    if form.validate_on_submit():
        with service_errors(form):
            plan = planning.create_plan(
                db.session,
                current_user,
                code=form.code.data,
                name=form.name.data,
                year=form.year.data,
                inspection_type=form.inspection_type.data,
                description=form.description.data,
            )
            flash(_("Plan %(code)s created: now add its quotas.", code=plan.code), "success")
            return redirect(url_for("planning.plan_detail", plan_id=plan.id))
    return render_template("planning/plan_form.html", form=form, plan=None)


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def plan_edit(plan_id: int):
    plan = _get_or_404(Plan, plan_id)
    form = PlanForm(obj=plan)
    if form.validate_on_submit():
        with service_errors(form):
            planning.update_plan(
                db.session,
                current_user,
                plan,
                code=form.code.data,
                name=form.name.data,
                year=form.year.data,
                inspection_type=form.inspection_type.data,
                description=form.description.data,
            )
            flash(_("Plan %(code)s saved.", code=plan.code), "success")
            return redirect(url_for("planning.plan_detail", plan_id=plan.id))
    return render_template("planning/plan_form.html", form=form, plan=_get_or_404(Plan, plan_id))


def _quota_form(formdata=None) -> QuotaForm:
    form = QuotaForm(formdata=formdata) if formdata is not None else QuotaForm()
    categories = queries.categories_in_tree_order(db.session)
    form.category_id.choices = [(c.id, "\u3000" * (c.level - 1) + c.name_zh) for c in categories]
    form.region_code.choices = [("", _("All districts"))] + [
        (r.code, r.name_zh) for r in reference.districts(db.session)
    ]
    return form


def _render_plan(plan: Plan, quota_form: QuotaForm, status: int = 200):
    quotas = queries.plan_quotas(db.session, plan)
    tasks = queries.plan_tasks(db.session, plan)
    return render_template(
        "planning/plan_detail.html",
        plan=plan,
        quotas=quotas,
        tasks=tasks,
        visits=queries.plan_visits(db.session, plan),
        quota_progress=planning.quota_progress(db.session, [q.id for q in quotas]),
        task_progress=planning.task_progress(db.session, [t.id for t in tasks]),
        quota_form=quota_form,
        today=clock.today(),
        type_title=planning.inspection_type_title,
    ), status


@bp.route("/plans/<int:plan_id>")
@roles_required(*PLANNERS)
def plan_detail(plan_id: int):
    return _render_plan(_get_or_404(Plan, plan_id), _quota_form())


@bp.route("/plans/<int:plan_id>/quotas", methods=["POST"])
@roles_required(*PLANNERS)
def quota_create(plan_id: int):
    plan = _get_or_404(Plan, plan_id)
    form = _quota_form()
    if form.validate_on_submit():
        with service_errors(form):
            planning.add_quota(
                db.session,
                current_user,
                plan,
                category_id=form.category_id.data,
                quota=form.quota.data,
                region_code=form.region_code.data,
                link=form.link.data,
            )
            flash(_("Quota added."), "success")
            return redirect(url_for("planning.plan_detail", plan_id=plan.id))
    return _render_plan(_get_or_404(Plan, plan_id), form)


@bp.route("/quotas/<int:quota_id>", methods=["POST"])
@roles_required(*PLANNERS)
def quota_update(quota_id: int):
    quota = _get_or_404(PlanQuota, quota_id)
    plan_id = quota.plan_id
    form = QuotaNumberForm()
    if form.validate_on_submit():
        with service_errors():
            planning.set_quota(db.session, current_user, quota, form.quota.data)
            flash(_("Quota saved."), "success")
    else:
        flash(_("The quota is a whole number of batches, at least 1."), "danger")
    return redirect(url_for("planning.plan_detail", plan_id=plan_id))


# --- tasks -----------------------------------------------------------------------------------


def _fill_task_choices(form: TaskForm) -> TaskForm:
    form.sampler_ids.choices = [
        (u.id, u.display_name) for u in planning.active_samplers(db.session)
    ]
    form.lab_id.choices = [(0, _("Not set"))] + [
        (lab.id, lab.name) for lab in reference.labs(db.session)
    ]
    return form


@bp.route("/quotas/<int:quota_id>/tasks/new", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def task_create(quota_id: int):
    quota = _get_or_404(PlanQuota, quota_id)
    remaining = quota.quota - planning.assigned_to_tasks(db.session, quota)
    form = _fill_task_choices(TaskForm(data={"quota": max(remaining, 0) or None}))
    if form.validate_on_submit():
        with service_errors(form):
            task = planning.create_task(
                db.session,
                current_user,
                quota,
                name=form.name.data,
                number=form.quota.data,
                due_date=form.due_date.data,
                sampler_ids=form.sampler_ids.data,
                lab_id=form.lab_id.data or None,
            )
            flash(_("Task %(code)s assigned.", code=task.code), "success")
            return redirect(url_for("planning.plan_detail", plan_id=task.plan_id))
    quota = _get_or_404(PlanQuota, quota_id)
    return render_template(
        "planning/task_form.html", form=form, quota=quota, task=None, remaining=remaining
    )


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def task_edit(task_id: int):
    task = _get_or_404(Task, task_id)
    form = _fill_task_choices(
        TaskEditForm(obj=task, data={"sampler_ids": [link.user_id for link in task.sampler_links]})
    )
    if request.method == "GET":
        form.sampler_ids.data = [link.user_id for link in task.sampler_links]
        form.lab_id.data = task.lab_id or 0
    if form.validate_on_submit():
        with service_errors(form):
            planning.update_task(
                db.session,
                current_user,
                task,
                name=form.name.data,
                number=form.quota.data,
                due_date=form.due_date.data,
                sampler_ids=form.sampler_ids.data,
                closed=form.closed.data,
                lab_id=form.lab_id.data or None,
            )
            flash(_("Task %(code)s saved.", code=task.code), "success")
            return redirect(url_for("planning.plan_detail", plan_id=task.plan_id))
    task = _get_or_404(Task, task_id)
    quota = db.session.get(PlanQuota, task.quota_id) if task.quota_id else None
    return render_template(
        "planning/task_form.html", form=form, quota=quota, task=task, remaining=None
    )


@bp.route("/tasks")
@roles_required(*PLANNERS)
def task_list():
    show = request.args.get("show", "open")
    today = clock.today()
    query = queries.task_list_query(show, today, request.args.get("plan", type=int))
    page = keyset_page(query, Task.id, after=request.args.get("after", type=int), descending=True)
    progress = planning.task_progress(db.session, [t.id for t in page.items])
    return render_template(
        "planning/tasks.html", page=page, progress=progress, today=today, show=show, mine=False
    )


@bp.route("/tasks/mine")
@roles_required(Role.SAMPLER)
def my_tasks():
    tasks = planning.tasks_for_sampler(db.session, current_user)
    progress = planning.task_progress(db.session, [t.id for t in tasks])
    return render_template(
        "planning/tasks.html",
        page=None,
        tasks=tasks,
        progress=progress,
        today=clock.today(),
        show="open",
        mine=True,
    )
