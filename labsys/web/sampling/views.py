"""Sampling forms: new visit with its batches, sample lists, detail, edit, correction, labels."""

from __future__ import annotations

from enum import Enum

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Role, Sample, SampleStatus, SamplingVisit
from labsys.pdf.labels import LabelSheet
from labsys.services import (
    ConflictError,
    ServiceError,
    attachments,
    audit,
    corrections,
    reference,
    sampling,
    sampling_forms,
)
from labsys.services import catalog as catalog_svc
from labsys.services.access import savepoint
from labsys.services.sampling import ValidationErrors
from labsys.web.access import roles_required
from labsys.web.attachments.views import upload_form
from labsys.web.enterprises.forms import EnterpriseForm
from labsys.web.enterprises.views import QUICK_PREFIX
from labsys.web.forms import flash_form_errors, service_errors
from labsys.web.history.present import history_rows
from labsys.web.pagination import keyset_page
from labsys.web.sampling import queries
from labsys.web.sampling.forms import (
    ParcelForm,
    SampleCorrectionForm,
    SampleEditForm,
    VisitCorrectionForm,
    VisitForm,
    VoidForm,
    picked_label,
)

bp = Blueprint("sampling", __name__, url_prefix="/sampling")

VIEWERS = (Role.SAMPLER, Role.SUPERVISOR, Role.TECHNICIAN, Role.REVIEWER)


# --- helpers --------------------------------------------------------------------------------


def _sample_or_404(sample_id: int) -> Sample:
    return db.session.get(Sample, sample_id) or abort(404)


def _may_view(sample: Sample) -> bool:
    """Samplers see their team's samples; the lab and supervisors see every sample."""
    if current_user.has_role(Role.SUPERVISOR, Role.TECHNICIAN, Role.REVIEWER):
        return True
    return sampling.is_team_member(db.session, current_user, sample)


def _viewable_sample(sample_id: int) -> Sample:
    sample = _sample_or_404(sample_id)
    if not _may_view(sample):
        abort(403)
    return sample


def _place_errors(form, errors) -> None:
    """Put each (field, message) beside its field; the rest go to the page's error list."""
    for name, message in errors:
        field = _field(form, name) if name else None
        if field is None:
            form.form_errors.append(message)
        elif message not in field.errors:
            field.errors = [*field.errors, message]


def _field(form, name: str):
    if name.startswith("batches-"):
        _prefix, index, sub = name.split("-", 2)
        entries = form.batches.entries
        return getattr(entries[int(index)].form, sub, None) if int(index) < len(entries) else None
    return getattr(form, name, None)


def _sample_fields(form, prefix: str, errors: list) -> dict:
    """The service's batch dict from one set of sample fields; lookup errors into ``errors``."""
    values = {name: getattr(form, name).data or "" for name in form.TEXT_FIELDS}
    values["production_date"] = form.production_date.data
    values["purchase_date"] = form.purchase_date.data
    values["storage_conditions"] = list(form.storage_conditions.data or [])
    category = queries.resolve_category(db.session, form.category.data)
    if category is False:
        errors.append(
            (
                f"{prefix}category",
                _("Unknown category “%(text)s”: pick one from the list.", text=form.category.data),
            )
        )
    values["category_id"] = category.id if category else None
    producer = queries.resolve_enterprise(db.session, form.producer.data)
    if producer is False:
        errors.append(
            (
                f"{prefix}producer",
                _(
                    "Unknown enterprise “%(text)s”: pick one from the list, or register it first.",
                    text=form.producer.data,
                ),
            )
        )
    values["producer_id"] = producer.id if producer else None
    return values


def _fill_sample_form(form, sample: Sample) -> None:
    for name in form.TEXT_FIELDS:
        getattr(form, name).data = getattr(sample, name) or ""
    form.production_date.data = sample.production_date
    form.purchase_date.data = sample.purchase_date
    form.storage_conditions.data = [v for v in sample.storage_conditions.split(",") if v]
    form.category.data = picked_label(sample.category.name_zh, sample.category.code)
    if sample.producer:
        form.producer.data = picked_label(sample.producer.name, f"#{sample.producer.id}")
    form.version.data = str(sample.version_id)


def _leaf_categories():
    from labsys.services import catalog

    return catalog.leaf_categories(db.session)


# --- new visit ------------------------------------------------------------------------------


def _visit_choices(form: VisitForm) -> None:
    from labsys.services import planning

    form.region_code.choices = [("", _("District of the sampled unit"))] + [
        (r.code, r.name_zh) for r in reference.districts(db.session)
    ]
    form.task_id.choices = [("", _("No task"))] + [
        (str(t.id), f"{t.code} {t.name}")
        for t in planning.tasks_for_sampler(db.session, current_user)
    ]
    form.sampler_ids.choices = [
        (u.id, u.display_name) for u in queries.other_samplers(db.session, current_user)
    ]


def _visit_input(form: VisitForm, errors: list) -> tuple[dict, list[dict]]:
    visit_data = _visit_data(form, errors)
    batches = [
        {} if entry.form.is_blank() else _sample_fields(entry.form, f"batches-{index}-", errors)
        for index, entry in enumerate(form.batches.entries)
    ]
    return visit_data, batches


def _visit_data(form: VisitForm, errors: list) -> dict:
    """The service's ``visit_data`` from the visit fields of the new form or its correction."""
    unit = queries.resolve_enterprise(db.session, form.sampled_unit.data)
    if unit is False:
        errors.append(
            (
                "sampled_unit",
                _(
                    "Unknown enterprise “%(text)s”: pick one from the list, or register it first.",
                    text=form.sampled_unit.data,
                ),
            )
        )
    visit_data = {
        "sampled_unit_id": unit.id if unit else None,
        "sampling_date": form.sampling_date.data,
        "place": form.place.data,
        "link": form.link.data,
        "region_code": form.region_code.data or None,
        "task_id": form.task_id.data or None,
        "sampler_ids": form.sampler_ids.data,
        "parcel_arrival_date": form.parcel_arrival_date.data,
        **{name: getattr(form, name).data or "" for name in form.VISIT_FIELDS},
    }
    return visit_data


def _create_visit(visit_data: dict, batches: list, errors: list) -> SamplingVisit | None:
    """The saved visit, or None with every problem in ``errors``: the form's own ones (found
    before) and the service's, all reported at once; nothing is kept when there is any."""
    try:
        with savepoint(db.session) as transaction:
            visit = sampling.create_visit(db.session, current_user, visit_data, batches)
            if errors:
                transaction.rollback()
    except ValidationErrors as error:
        errors += error.errors
    except ServiceError as error:
        errors.append((error.field, error.message))
    return None if errors else visit


@bp.route("/visits/new", methods=["GET", "POST"])
@roles_required(Role.SAMPLER)
def visit_create():
    form = VisitForm()
    _visit_choices(form)
    if request.method == "GET":
        form.sampling_date.data = clock.today()
        form.sampling_basis.data = current_app.config.get("SAMPLING_BASIS") or ""
        # From a task's row (home page, my tasks): the form starts on that task.
        task = request.args.get("task", "")
        if any(str(value) == task for value, _label in form.task_id.choices):
            form.task_id.data = task
    if form.validate_on_submit():
        errors: list = []
        visit_data, batches = _visit_input(form, errors)
        visit = _create_visit(visit_data, batches, errors)
        if visit is not None:
            flash(
                _(
                    "Sampling form saved: %(n)d samples, numbers %(numbers)s.",
                    n=len(visit.samples),
                    numbers=", ".join(s.sample_no for s in visit.samples),
                ),
                "success",
            )
            for sample in visit.samples:
                for warning in (
                    sampling.expiry_warning(sample),
                    sampling.farm_produce_warning(db.session, sample),
                ):
                    if warning:
                        flash(warning, "warning")
            return redirect(url_for("sampling.visit_detail", visit_id=visit.id))
        _place_errors(form, errors)
    return render_template(
        "sampling/visit_form.html",
        form=form,
        leaves=_leaf_categories(),
        enterprise_form=EnterpriseForm(prefix=QUICK_PREFIX),
    )


@bp.route("/visits/<int:visit_id>")
@roles_required(*VIEWERS)
def visit_detail(visit_id: int):
    visit = db.session.get(SamplingVisit, visit_id) or abort(404)
    if not (
        current_user.has_role(Role.SUPERVISOR, Role.TECHNICIAN, Role.REVIEWER)
        or current_user.id in {link.user_id for link in visit.sampler_links}
    ):
        abort(403)
    samples = corrections.live_samples(visit)
    return render_template(
        "sampling/visit_detail.html",
        visit=visit,
        check=sampling.deadline_check(db.session),
        may_ask=_may_ask_visit(visit),
        reported=corrections.regime(samples) == "report",
        pending=queries.pending_corrections(db.session, visit_id=visit.id),
        void_form=VoidForm(data={"version": visit.version_id}),
        files=attachments.listed(db.session, "sampling_visit", [visit.id]),
        may_attach=sampling.may_attach_to_visit(db.session, current_user, visit)
        and not sampling.visit_files_locked(db.session, visit),
        upload=upload_form("sampling_visit", visit.id, request.path),
        missing=sampling.missing_online_evidence(db.session, visit),
        parcel=ParcelForm(formdata=None, parcel_arrival_date=clock.today()),
        parcel_refusal=sampling.parcel_refusal(visit),
    )


def _may_ask_visit(visit: SamplingVisit) -> bool:
    team = {link.user_id for link in visit.sampler_links}
    return visit.voided_at is None and (
        current_user.has_role(Role.SUPERVISOR)
        or (current_user.has_role(Role.SAMPLER) and current_user.id in team)
    )


def _visit_correction_choices(form: VisitCorrectionForm, visit: SamplingVisit) -> None:
    """As the new form's choices, for the form's author (whose team and tasks they are)."""
    from labsys.services import planning

    author = visit.created_by
    form.region_code.choices = [("", _("District of the sampled unit"))] + [
        (r.code, r.name_zh) for r in reference.districts(db.session)
    ]
    tasks = planning.tasks_for_sampler(db.session, author)
    if visit.task is not None and visit.task not in tasks:
        tasks.append(visit.task)
    form.task_id.choices = [("", _("No task"))] + [(str(t.id), f"{t.code} {t.name}") for t in tasks]
    form.sampler_ids.choices = [
        (u.id, u.display_name) for u in queries.other_samplers(db.session, author)
    ]


def _fill_visit_form(form: VisitCorrectionForm, visit: SamplingVisit) -> None:
    # Every field named like a column of the visit, so the form's later fields come too.
    for field in form:
        if field.name in SamplingVisit.__table__.c and field.name != "version_id":
            value = getattr(visit, field.name)
            field.data = value.value if isinstance(value, Enum) else value
    form.sampled_unit.data = picked_label(visit.sampled_unit.name, f"#{visit.sampled_unit_id}")
    form.sampling_date.data = visit.sampling_date
    form.place.data = visit.place
    form.link.data = visit.link.value
    form.region_code.data = visit.region_code or ""
    form.task_id.data = str(visit.task_id) if visit.task_id else ""
    form.sampler_ids.data = [
        link.user_id for link in visit.sampler_links if link.user_id != visit.created_by_id
    ]
    form.version.data = str(visit.version_id)


@bp.route("/visits/<int:visit_id>/correct", methods=["GET", "POST"])
@roles_required(Role.SAMPLER, Role.SUPERVISOR)
def visit_correct(visit_id: int):
    visit = db.session.get(SamplingVisit, visit_id) or abort(404)
    if not _may_ask_visit(visit):
        abort(403)
    form = VisitCorrectionForm()
    _visit_correction_choices(form, visit)
    if request.method == "GET":
        _fill_visit_form(form, visit)
    if form.validate_on_submit():
        errors: list = []
        data = _visit_data(form, errors)
        if not errors:
            with service_errors(form) as outcome:
                try:
                    asked = corrections.correct_visit(
                        db.session,
                        current_user,
                        visit,
                        changes=data,
                        reason=form.reason.data,
                        expected_version=_version(form),
                    )
                except ValidationErrors as error:
                    errors += error.errors
                    raise
            if outcome.error is None:
                _flash_outcome(asked, _("Sampling form corrected."))
                return redirect(url_for("sampling.visit_detail", visit_id=visit.id))
        _place_errors(form, errors)
    return render_template(
        "sampling/visit_correct.html",
        form=form,
        visit=visit,
        needs_reason=corrections.regime(corrections.live_samples(visit)) != "direct",
    )


@bp.route("/visits/<int:visit_id>/void", methods=["POST"])
@roles_required(Role.SAMPLER, Role.SUPERVISOR)
def visit_void(visit_id: int):
    visit = db.session.get(SamplingVisit, visit_id) or abort(404)
    if not _may_ask_visit(visit):
        abort(403)
    form = VoidForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        with service_errors() as outcome:
            asked = corrections.void_visit(
                db.session,
                current_user,
                visit,
                reason=form.reason.data,
                expected_version=_version(form),
            )
        if outcome.error is None:
            _flash_outcome(asked, _("Sampling form voided; its numbers stay on file."))
    return redirect(url_for("sampling.visit_detail", visit_id=visit.id))


def _version(form) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return -1  # an unreadable version never matches: shown as a conflict


def _flash_outcome(asked, done: str) -> None:
    if asked is None:
        flash(done, "success")
    else:
        flash(
            _(
                "Correction request #%(id)d sent: it takes effect when a reviewer or "
                "supervisor approves it.",
                id=asked.id,
            ),
            "info",
        )


@bp.route("/visits/<int:visit_id>/parcel", methods=["POST"])
@roles_required(Role.SAMPLER, Role.SUPERVISOR)
def visit_parcel(visit_id: int):
    """The parcel of an online visit arrived: the delivery clock starts."""
    visit = db.session.get(SamplingVisit, visit_id) or abort(404)
    form = ParcelForm()
    if form.validate_on_submit():
        with service_errors():
            sampling.record_parcel_arrival(
                db.session,
                current_user,
                visit,
                arrived_on=form.parcel_arrival_date.data,
                unboxing_record=form.unboxing_record.data,
            )
            flash(_("Parcel arrival recorded: the delivery deadline counts from it."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
    return redirect(url_for("sampling.visit_detail", visit_id=visit.id))


# --- lists ----------------------------------------------------------------------------------


def _render_list(query, title: str, endpoint: str):
    filters = queries.SampleFilters.from_args(request.args)
    page = keyset_page(
        filters.apply(query),
        filters.key_column(),
        after=filters.after(request.args),
        descending=True,
    )
    return render_template(
        "sampling/sample_list.html",
        page=page,
        filters=filters,
        title=title,
        endpoint=endpoint,
        statuses=SampleStatus,
        districts=reference.districts(db.session),
        check=sampling.deadline_check(db.session),
    )


@bp.route("/mine")
@roles_required(Role.SAMPLER)
def my_samples():
    return _render_list(
        queries.sample_list_query(current_user, db.session), _("My samples"), "sampling.my_samples"
    )


@bp.route("/samples")
@roles_required(Role.SUPERVISOR)
def sample_list():
    return _render_list(queries.sample_list_query(), _("All samples"), "sampling.sample_list")


# --- one sample ----------------------------------------------------------------------------


@bp.route("/samples/<int:sample_id>")
@roles_required(*VIEWERS)
def sample_detail(sample_id: int):
    sample = _viewable_sample(sample_id)
    results = queries.sample_results(db.session, sample)
    history = history_rows(db.session, audit.history(db.session, "sample", sample.id))
    return render_template(
        "sampling/sample_detail.html",
        sample=sample,
        results=results,
        history=history,
        check=sampling.deadline_check(db.session),
        warning=sampling.expiry_warning(sample),
        farm_warning=sampling.farm_produce_warning(db.session, sample),
        farm_produce=catalog_svc.is_farm_produce(db.session, sample.category),
        storage=sampling.storage_titles(sample.storage_conditions),
        can_edit=sampling.can_edit(db.session, current_user, sample),
        can_correct=sampling.can_correct(db.session, current_user, sample),
        can_void=(
            not sample.status.is_voided
            and not sample.status.is_reported
            and sampling.may_ask(db.session, current_user, sample)
        ),
        pending=queries.pending_corrections(db.session, sample_id=sample.id),
        void_form=VoidForm(data={"version": sample.version_id}),
        files=attachments.listed(db.session, "sample", [sample.id]),
        visit_files=attachments.listed(db.session, "sampling_visit", [sample.visit_id]),
        may_attach=sampling.may_attach_to_sample(db.session, current_user, sample)
        and not sampling.sample_files_locked(db.session, sample),
        upload=upload_form("sample", sample.id, request.path),
        may_view_visit=sampling.may_view_visit(db.session, current_user, sample.visit),
    )


@bp.route("/samples/<int:sample_id>/void", methods=["POST"])
@roles_required(Role.SAMPLER, Role.SUPERVISOR)
def sample_void(sample_id: int):
    sample = _viewable_sample(sample_id)
    form = VoidForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        with service_errors() as outcome:
            asked = corrections.void_sample(
                db.session,
                current_user,
                sample,
                reason=form.reason.data,
                expected_version=_version(form),
            )
        if outcome.error is None:
            _flash_outcome(
                asked, _("Sample %(no)s voided; its number stays on file.", no=sample.sample_no)
            )
    return redirect(url_for("sampling.sample_detail", sample_id=sample.id))


def _save_changes(form, sample: Sample, save):
    errors: list = []
    values = _sample_fields(form, "", errors)
    if errors:
        _place_errors(form, errors)
        return None
    with service_errors(form):
        try:
            return save(values)
        except ValidationErrors as error:
            _place_errors(form, error.errors)
        except ConflictError as error:
            flash(error.message, "warning")
            form.version.data = str(db.session.get(Sample, sample.id).version_id)
    return None


@bp.route("/samples/<int:sample_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SAMPLER)
def sample_edit(sample_id: int):
    sample = _viewable_sample(sample_id)
    if not sampling.can_edit(db.session, current_user, sample):
        flash(_("Sample %(no)s can no longer be edited here.", no=sample.sample_no), "warning")
        return redirect(url_for("sampling.sample_detail", sample_id=sample.id))
    form = SampleEditForm()
    if request.method == "GET":
        _fill_sample_form(form, sample)
    if form.validate_on_submit():
        version = int(form.version.data or 0)
        saved = _save_changes(
            form,
            sample,
            lambda values: sampling.update_sample(
                db.session, current_user, sample, version, **values
            ),
        )
        if saved is not None:
            flash(_("Sample %(no)s saved.", no=sample.sample_no), "success")
            return redirect(url_for("sampling.sample_detail", sample_id=sample.id))
    return render_template(
        "sampling/sample_form.html",
        form=form,
        sample=sample,
        leaves=_leaf_categories(),
        correction=False,
    )


@bp.route("/samples/<int:sample_id>/correct", methods=["GET", "POST"])
@roles_required(Role.SAMPLER, Role.SUPERVISOR)
def sample_correct(sample_id: int):
    sample = _viewable_sample(sample_id)
    if not sampling.can_correct(db.session, current_user, sample):
        flash(_("Sample %(no)s cannot be corrected by you now.", no=sample.sample_no), "warning")
        return redirect(url_for("sampling.sample_detail", sample_id=sample.id))
    form = SampleCorrectionForm()
    if request.method == "GET":
        _fill_sample_form(form, sample)
    if form.validate_on_submit():
        version = int(form.version.data or 0)
        asked = _save_changes(
            form,
            sample,
            lambda values: (
                corrections.correct_sample(
                    db.session,
                    current_user,
                    sample,
                    changes=values,
                    reason=form.reason.data,
                    expected_version=version,
                )
                or False
            ),
        )
        if asked is not None:
            _flash_outcome(asked or None, _("Sample %(no)s saved.", no=sample.sample_no))
            return redirect(url_for("sampling.sample_detail", sample_id=sample.id))
    return render_template(
        "sampling/sample_form.html",
        form=form,
        sample=sample,
        leaves=_leaf_categories(),
        correction=True,
    )


# --- labels ---------------------------------------------------------------------------------


def _labels_response(samples: list[Sample], filename: str) -> Response:
    if not samples:
        abort(404)
    if any(not _may_view(sample) for sample in samples):
        abort(403)
    pdf = LabelSheet(samples, font_path=current_app.config.get("PDF_FONT_PATH")).build()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@bp.route("/visits/<int:visit_id>/labels.pdf")
@roles_required(Role.SAMPLER, Role.SUPERVISOR, Role.TECHNICIAN)
def visit_labels(visit_id: int):
    visit = db.session.get(SamplingVisit, visit_id) or abort(404)
    return _labels_response(list(visit.samples), f"labels-visit-{visit.id}.pdf")


@bp.route("/labels.pdf")
@roles_required(Role.SAMPLER, Role.SUPERVISOR, Role.TECHNICIAN)
def selected_labels():
    ids = request.args.getlist("id", type=int)[:200]
    samples = queries.samples_for_labels(db.session, ids)
    return _labels_response(samples, "labels.pdf")


# --- the printed sampling form and notice ------------------------------------------------------


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def _viewable_visit(visit_id: int) -> SamplingVisit:
    visit = db.session.get(SamplingVisit, visit_id) or abort(404)
    if not sampling.may_view_visit(db.session, current_user, visit):
        abort(403)
    return visit


@bp.route("/samples/<int:sample_id>/form.pdf")
@roles_required(*VIEWERS)
def sample_form_pdf(sample_id: int):
    sample = _viewable_sample(sample_id)
    return _pdf(sampling_forms.forms_pdf([sample]), f"sampling-form-{sample.id}.pdf")


@bp.route("/visits/<int:visit_id>/forms.pdf")
@roles_required(*VIEWERS)
def visit_form_pdf(visit_id: int):
    visit = _viewable_visit(visit_id)
    if not visit.samples:
        abort(404)
    return _pdf(sampling_forms.forms_pdf(list(visit.samples)), f"sampling-forms-{visit.id}.pdf")


@bp.route("/visits/<int:visit_id>/notice.pdf")
@roles_required(*VIEWERS)
def visit_notice_pdf(visit_id: int):
    visit = _viewable_visit(visit_id)
    return _pdf(sampling_forms.visit_notice_pdf(visit), f"sampling-notice-{visit.id}.pdf")
