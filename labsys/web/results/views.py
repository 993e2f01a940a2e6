"""The lab's pages: my work, result entry per sample and per worksheet, review, corrections,
retests, the sample's results and history, and the instrument import."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from flask import (
    Blueprint,
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

from labsys.database import write_intent
from labsys.extensions import db
from labsys.models import (
    Conclusion,
    ResultStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    TestItem,
    VerdictValue,
)
from labsys.services import assignments, bench, corrections, esign, reports, traceability
from labsys.services import results as svc
from labsys.services import sampling as sampling_svc
from labsys.services.results_import import (
    ImportErrors,
    OverwriteNeedsConfirmation,
    prepare_import,
    save_import,
)
from labsys.web import reads_first
from labsys.web.access import roles_required
from labsys.web.bench import pending
from labsys.web.bench import queries as bench_queries
from labsys.web.bench import run as bench_run
from labsys.web.bench.forms import ImportConfirmForm
from labsys.web.forms import flash_form_errors, service_errors
from labsys.web.history.present import history_rows
from labsys.web.pagination import keyset_page
from labsys.web.queues import queries as queue_queries
from labsys.web.queues import support as queue_support
from labsys.web.results import queries
from labsys.web.results.forms import (
    MEASURED_MAX,
    UNIT_MAX,
    AcceptForm,
    CorrectionForm,
    ImportForm,
    ResultEntryForm,
    RetestForm,
    ReturnForm,
    ShownForm,
)

bp = Blueprint("results", __name__, url_prefix="/lab")

READERS = (Role.TECHNICIAN, Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN)
DECIDERS = (Role.REVIEWER, Role.SUPERVISOR)
WORKSHEET_SIZE = 100
# Samples per page of the review queue (each is a card of its results).
REVIEW_PAGE_SIZE = 20
_UNIT_SPLIT_RE = re.compile(r"\s*[,;，；]\s*")


@dataclass(frozen=True)
class Shown:
    """A result's limit and value as the lab pages show them."""

    limit: str
    value: str


def _shown(results: Iterable[SampleResult]) -> dict[int, Shown]:
    return {r.id: Shown(svc.limit_display(r), svc.value_display(r)) for r in results}


def _sample_or_404(sample_id: int) -> Sample:
    return db.session.get(Sample, sample_id) or abort(404)


def _result_or_404(result_id: int) -> SampleResult:
    return db.session.get(SampleResult, result_id) or abort(404)


# --- my work ---------------------------------------------------------------------------------


@bp.route("/work")
@roles_required(Role.TECHNICIAN)
def my_work():
    filters, check = queue_support.current_filters()
    page = queue_queries.queue_page(
        db.session,
        queries.my_work_query(filters.conditions(Sample.due_report, check)),
        id_column=Sample.id,
        due_column=Sample.due_report,
        filters=filters,
        after=request.args.get("after"),
        size=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "results/my_work.html",
        page=page,
        counts=queries.status_counts(db.session, page.items),
        items=queries.open_items(db.session),
        filters=filters,
        choices=queue_support.choices(),
        check=check,
        Status=ResultStatus,
        mine=bench_queries.my_samples(db.session, current_user),
        my_items=bench_queries.my_items(db.session, current_user),
    )


# --- entry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowInputs:
    """One result row's inputs as plain values: what the entry page and the worksheet show
    (``results/_macros.html`` writes the inputs, named as ``ResultEntryForm`` reads them
    back: ``rows-<index>-measured`` ...).  Rendering 100 rows of WTForms subforms cost most
    of the worksheet's time; the form still parses and validates every POST."""

    measured_max: ClassVar[int] = MEASURED_MAX
    unit_max: ClassVar[int] = UNIT_MAX

    index: int
    result_id: int
    version: object  # the version shown (optimistic locking), or what was posted
    measured: str
    units: list[str]


def _row_inputs(form: ResultEntryForm, results: list[SampleResult]) -> list:
    """(inputs, result) per editable row: on GET the results' stored values, after a POST
    the values typed (every posted row must be one of ``results``: 400 otherwise)."""
    if request.method != "POST":
        return [
            (
                RowInputs(
                    index,
                    r.id,
                    r.version_id,
                    r.measured_text or "",
                    svc.units_of(r) or [""] * (r.micro_n or 0),
                ),
                r,
            )
            for index, r in enumerate(results)
        ]
    rows = []
    for index, (row, result) in enumerate(_pairs(form, results)):
        units = [unit.data or "" for unit in row.units]
        units += [""] * ((result.micro_n or 0) - len(units))
        version = row.version.raw_data[0] if row.version.raw_data else ""
        rows.append((RowInputs(index, result.id, version, row.measured.data or "", units), result))
    return rows


def _row_errors(form: ResultEntryForm) -> dict[int, str]:
    """The rows' own validation messages (a value too long ...), by result id."""
    errors: dict[int, str] = {}
    for row in form.rows:
        result_id = row.form.result_id.data
        for field in row.form:
            messages = field.errors
            if messages and isinstance(messages[0], list):  # a FieldList: one list per entry
                messages = [m for entry in messages for m in entry]
            if messages and result_id is not None and result_id not in errors:
                errors[result_id] = _(
                    "%(field)s: %(message)s", field=field.label.text, message=messages[0]
                )
    return errors


def _pairs(form: ResultEntryForm, results: list[SampleResult]) -> list:
    by_id = {r.id: r for r in results}
    pairs = []
    for row in form.rows:
        result = by_id.get(row.form.result_id.data)
        if result is None:
            abort(400)
        pairs.append((row.form, result))
    return pairs


def _save_rows(
    form: ResultEntryForm,
    results: list[SampleResult],
    run: bench.BenchDetails | None = None,
    raw_file: bench.RawFile | None = None,
) -> dict[int, str] | None:
    """Save the typed rows (all or nothing), with the worksheet's ``run`` details on each
    when given; None on success, else errors by result id."""
    entries = []
    for row, result in _pairs(form, results):
        units = [u.data or "" for u in row.units] if result.is_microbiological else None
        if not (row.measured.data or "").strip() and not any(u.strip() for u in units or []):
            continue  # left blank: not entered yet
        entries.append(svc.Entry(result, row.measured.data, row.version.data, units))
    if not entries:
        flash(_("Nothing to save: enter at least one result."), "warning")
        return {}
    with service_errors() as outcome:
        if run is None:
            saved = svc.enter_results(db.session, current_user, entries)
        else:
            saved = bench.enter_run(
                db.session, current_user, entries, details=run, raw_file=raw_file
            )
    if isinstance(outcome.error, svc.EntryErrors):
        return outcome.error.errors
    if outcome.error is not None:
        return {}
    if not saved:
        flash(_("Nothing changed: the values are as they were saved."), "info")
        return None
    failed = sum(1 for r in saved if r.verdict == VerdictValue.FAIL)
    flash(_("%(n)d results saved and judged.", n=len(saved)), "success")
    if failed:
        flash(_("%(n)d of them fail their limit.", n=failed), "warning")
    for result in saved:
        if svc.not_detected_without_lod(result):
            flash(
                _(
                    "%(item)s of %(no)s was saved as not detected, but the item has no "
                    "detection limit: the report will not say below what. Enter <LOD (for "
                    "example <0.005) if the method has one.",
                    item=result.item_name,
                    no=result.sample.sample_no,
                ),
                "warning",
            )
    return None


@bp.route("/samples/<int:sample_id>/enter", methods=["GET", "POST"])
@roles_required(Role.TECHNICIAN)
def enter_sample(sample_id: int):
    sample = _sample_or_404(sample_id)
    rows = svc.current_results(db.session, sample)
    editable = [r for r in rows if r.status in svc.EDITABLE]
    form = ResultEntryForm()  # on GET only its CSRF token: the rows are plain inputs
    errors: dict[int, str] = {}
    if form.validate_on_submit():
        errors = _save_rows(form, rows)
        if errors is None:
            return redirect(url_for("results.enter_sample", sample_id=sample.id))
    elif request.method == "POST":
        flash(_("The form was not valid; check the values."), "danger")
        errors = _row_errors(form)
    return render_template(
        "results/enter_sample.html",
        sample=sample,
        rows=rows,
        inputs=_row_inputs(form, rows if request.method == "POST" else editable),
        form=form,
        errors=errors,
        confirm=ShownForm(),
        submittable=_entered(rows),
        shown=_shown(rows),
        lacking=traceability.lacking(db.session, _entered(rows)),
    )


def _entered(results: Iterable[SampleResult]) -> list[SampleResult]:
    """The rows a submit form lists (as ``id:version``): the entered ones shown."""
    return [r for r in results if r.status == ResultStatus.ENTERED]


def _shown_pairs(form: ShownForm) -> dict[int, int]:
    """The (result id, version) pairs a submit or accept form posted; 400 when malformed."""
    pairs = form.pairs()
    if pairs is None:
        abort(400)
    return pairs


@bp.route("/samples/<int:sample_id>/submit", methods=["POST"])
@roles_required(Role.TECHNICIAN)
def submit_sample(sample_id: int):
    sample = _sample_or_404(sample_id)
    form = ShownForm()
    if form.validate_on_submit():
        seen = _shown_pairs(form)
        rows = [r for r in svc.current_results(db.session, sample) if r.id in seen]
        _submit(rows, seen)
    else:
        flash_form_errors(form)
    return redirect(url_for("results.enter_sample", sample_id=sample.id))


def _submit(results: list[SampleResult], seen: dict[int, int]) -> None:
    if len(results) != len(seen):
        flash(_("Some of these results are no longer on this page; reload it."), "danger")
        return
    with service_errors():
        count = svc.submit_results(db.session, current_user, results, seen=seen)
        flash(_("%(n)d results submitted for review.", n=count), "success")


@bp.route("/worksheet/<int:item_id>", methods=["GET", "POST"])
@roles_required(Role.TECHNICIAN)
def worksheet(item_id: int):
    item = db.session.get(TestItem, item_id) or abort(404)
    after = request.args.get("after", type=int)
    page = keyset_page(
        queries.worksheet_query(item_id), SampleResult.id, after=after, size=WORKSHEET_SIZE
    )
    results = page.items
    form = ResultEntryForm()  # on GET only its CSRF token: the rows are plain inputs
    if request.method == "POST":
        posted = [row.form.result_id.data for row in form.rows]
        results = queries.posted_results(db.session, item_id, posted)
    run = bench_run.run_form(db.session, current_user, item, results)
    errors: dict[int, str] = {}
    if form.validate_on_submit() and run.validate():
        errors = _save_rows(form, results, bench_run.details(run), bench_run.raw_file(run))
        if errors is None:
            return redirect(url_for("results.worksheet", item_id=item.id, after=after))
    elif request.method == "POST":
        flash(_("The form was not valid; check the values."), "danger")
        errors = _row_errors(form)
    return render_template(
        "results/worksheet.html",
        item=item,
        page=page,
        inputs=_row_inputs(form, results),
        form=form,
        errors=errors,
        submittable=_entered(page.items),
        confirm=ShownForm(),
        shown=_shown(results),
        owners=assignments.assignees(db.session, (r.id for r in results)),
        run=run,
    )


@bp.route("/worksheet/<int:item_id>/submit", methods=["POST"])
@roles_required(Role.TECHNICIAN)
def submit_worksheet(item_id: int):
    form = ShownForm()
    if form.validate_on_submit():
        seen = _shown_pairs(form)
        _submit(queries.posted_results(db.session, item_id, list(seen)), seen)
    else:
        flash_form_errors(form)
    return redirect(url_for("results.worksheet", item_id=item_id, after=request.args.get("after")))


# --- review ----------------------------------------------------------------------------------


def _review_ids(filters, check):
    return queries.review_queue_query(current_user, filters.conditions(Sample.due_report, check))


@bp.route("/review")
@roles_required(Role.REVIEWER)
def review_queue():
    filters, check = queue_support.current_filters()
    page = queue_queries.queue_page(
        db.session,
        _review_ids(filters, check),
        id_column=Sample.id,
        due_column=Sample.due_report,
        filters=filters,
        after=request.args.get("after"),
        size=REVIEW_PAGE_SIZE,
    )
    grouped = _not_mine(queries.awaiting_review_by_sample(db.session, current_user, page.items))
    page.items = [sample for sample in page.items if sample.id in grouped]
    return render_template(
        "results/review.html",
        page=page,
        grouped=grouped,
        filters=filters,
        choices=queue_support.choices(),
        check=check,
        back=request.query_string.decode("latin-1"),
        confirm=AcceptForm(),
        return_form=ReturnForm(),
        shown=_shown(r for results in grouped.values() for r in results),
    )


def _next_in_review(sample: Sample) -> int | None:
    """The sample that follows ``sample`` in the review queue as the posted form's "back"
    had it filtered and ordered (it moves up when ``sample`` leaves the queue)."""
    args = queue_support.queue_args(request.form.get("back"))
    filters = queue_queries.QueueFilters.from_args(args).resolve(db.session)
    check = sampling_svc.deadline_check(db.session)
    position = (
        f"{(sample.due_report or queue_queries.NO_DUE).isoformat()}_{sample.id}"
        if filters.sort == "due"
        else str(sample.id)
    )
    following = queue_queries.page_ids(
        db.session,
        _review_ids(filters, check),
        id_column=Sample.id,
        due_column=Sample.due_report,
        sort=filters.sort,
        after=position,
        size=1,
    )
    return following.items[0] if following.items else None


def _back_to_review(sample: Sample, *, stay: bool = False):
    """Back to the queue, filtered as it was, at the next sample (or this one, ``stay``)."""
    target = sample.id if stay else _next_in_review(sample)
    anchor = f"sample-{target}" if target else "review-top"
    return redirect(queue_support.back_to("results.review_queue", anchor=anchor))


def _not_mine(grouped: dict[int, list[SampleResult]]) -> dict[int, list[SampleResult]]:
    """The results without those whose current value the reviewer entered too (the audit
    trail's authors, beyond ``entered_by`` which the query already excludes): the service
    would refuse them, so the page does not offer them."""
    authors = svc.value_authors(db.session, [r for rows in grouped.values() for r in rows])
    kept = {
        sample_id: [r for r in rows if current_user.id not in authors[r.id]]
        for sample_id, rows in grouped.items()
    }
    return {sample_id: rows for sample_id, rows in kept.items() if rows}


@bp.route("/review/<int:sample_id>/accept", methods=["POST"])
@roles_required(Role.REVIEWER)
def accept_sample(sample_id: int):
    sample = _sample_or_404(sample_id)
    form = AcceptForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back_to_review(sample, stay=True)
    seen = _shown_pairs(form)
    results = queries.results_of_sample(db.session, sample, list(seen))
    if len(results) != len(seen):
        flash(_("Some of these results are no longer on this page; reload it."), "danger")
        return _back_to_review(sample, stay=True)
    with service_errors() as outcome:
        signature = esign.sign(
            current_user, form.password.data, esign.Meaning.REVIEW, session=db.session
        )
        count = svc.accept_results(
            db.session, current_user, results, signature=signature, seen=seen
        )
        flash(_("%(n)d results of %(no)s accepted.", n=count, no=sample.sample_no), "success")
        if sample.conclusion is not None:
            flash(
                _(
                    "Sample %(no)s concluded: %(conclusion)s.",
                    no=sample.sample_no,
                    conclusion=sample.conclusion_title,
                ),
                "danger" if sample.conclusion == Conclusion.UNQUALIFIED else "info",
            )
    # Signed: on to the next sample; refused (a wrong password): stay at this one.
    return _back_to_review(sample, stay=outcome.error is not None)


@bp.route("/results/<int:result_id>/return", methods=["POST"])
@roles_required(Role.REVIEWER)
def return_result(result_id: int):
    result = _result_or_404(result_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        for message in form.reason.errors or [_("The form was not valid; check the values.")]:
            flash(message, "danger")
        return _back_to_review(result.sample, stay=True)
    with service_errors():
        svc.review_result(db.session, current_user, result, accept=False, reason=form.reason.data)
        flash(
            _(
                "%(item)s of %(no)s returned to the technician.",
                item=result.item_name,
                no=result.sample.sample_no,
            ),
            "success",
        )
    return _back_to_review(result.sample, stay=True)


# --- a sample's results, corrections, retests, history ---------------------------------------


@bp.route("/samples/<int:sample_id>")
@roles_required(*READERS)
def sample_results(sample_id: int):
    sample = _sample_or_404(sample_id)
    rows = queries.all_results(db.session, sample)
    stale = sample.status in reports.STALE_STATES
    in_force = reports.current_report(db.session, sample) if stale else None
    return render_template(
        "results/sample.html",
        sample=sample,
        rows=rows,
        shown=_shown(rows),
        retest_form=RetestForm(),
        bench_records=bench_queries.records_of(db.session, rows),
        stale_report=in_force if in_force and reports.is_stale(in_force) else None,
    )


@bp.route("/results/<int:result_id>/correct", methods=["GET", "POST"])
@roles_required(*DECIDERS)
def correct(result_id: int):
    result = _result_or_404(result_id)
    form = CorrectionForm(
        data={
            "version": result.version_id,
            "measured": result.measured_text or "",
            "units": ", ".join(svc.units_of(result)),
        }
    )
    if form.validate_on_submit():
        units = (
            _UNIT_SPLIT_RE.split(form.units.data)
            if result.is_microbiological and form.units.data
            else None
        )
        reported = result.sample.status == SampleStatus.REPORTED
        with service_errors(form, fields={"unit_values": "units", "measured_text": "measured"}):
            # A reported sample's result changes only by a report correction: a request.
            correct = corrections.correct_reported_result if reported else svc.correct_result
            asked = correct(
                db.session,
                current_user,
                result,
                measured_text=form.measured.data,
                expected_version=int(form.version.data or 0),
                reason=form.reason.data,
                unit_values=units,
            )
            if reported:
                flash(
                    _(
                        "Report correction request #%(id)d sent: a supervisor's approval "
                        "applies it and issues the superseding report.",
                        id=asked.id,
                    ),
                    "info",
                )
                return redirect(url_for("corrections.detail", correction_id=asked.id))
            flash(
                _(
                    "%(item)s corrected; the corrected value awaits review by another reviewer.",
                    item=result.item_name,
                ),
                "success",
            )
            return redirect(url_for("results.sample_results", sample_id=result.sample_id))
    return render_template(
        "results/correct.html", result=result, form=form, shown=_shown([result])[result.id]
    )


@bp.route("/results/<int:result_id>/retest", methods=["POST"])
@roles_required(*DECIDERS)
def order_retest(result_id: int):
    result = _result_or_404(result_id)
    form = RetestForm()
    if not form.validate_on_submit():
        for message in form.reason.errors or [_("The form was not valid; check the values.")]:
            flash(message, "danger")
    else:
        with service_errors():
            svc.retest(db.session, current_user, result, form.reason.data)
            flash(
                _(
                    "Retest of %(item)s ordered; the original stays on file as superseded.",
                    item=result.item_name,
                ),
                "success",
            )
    return redirect(url_for("results.sample_results", sample_id=result.sample_id))


@bp.route("/samples/<int:sample_id>/history")
@roles_required(*READERS)
def sample_history(sample_id: int):
    sample = _sample_or_404(sample_id)
    entries = svc.sample_history(db.session, sample)
    rows = history_rows(
        db.session,
        entries,
        item_names=queries.item_names(db.session, sample),
        sample_title=_("Sample"),
    )
    return render_template("results/history.html", sample=sample, rows=rows)


# --- import ----------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@reads_first
@roles_required(Role.TECHNICIAN)
def import_file():
    """Check a file; save it, or, when it would replace values already entered, show the
    differences (old → new) and keep the file until the user confirms exactly them."""
    form = ImportForm()
    confirm = ImportConfirmForm(prefix="confirm")
    problems, total = [], 0
    data = filename = token = None
    if request.method == "POST" and "confirm-token" in request.form:
        if not confirm.validate_on_submit():
            abort(400)
        token = confirm.token.data
        kept = pending.load(current_user.id, token)
        if kept is None:
            flash(_("That import is no longer waiting: upload the file again."), "warning")
            return redirect(url_for("results.import_file"))
        data, filename = kept
    elif form.validate_on_submit():
        upload = form.file.data
        data, filename = upload.read(), upload.filename or ""
    if data is not None:
        judged = None
        with service_errors(form) as outcome:
            judged = prepare_import(db.session, current_user, data, filename or "")
        if isinstance(outcome.error, ImportErrors):
            problems, total = outcome.error.errors, outcome.error.total
        if judged is not None:
            # The file was read and checked in a read transaction; the write lock is taken
            # for the final write only (other users' saves go on meanwhile).
            db.session.rollback()
            write_intent.set(True)
            confirmed = confirm.fingerprint.data if token else None
            with service_errors(form) as outcome:
                summary = save_import(
                    db.session,
                    current_user,
                    judged,
                    confirmed=confirmed,
                    data=data,
                    filename=filename or "",
                )
                if token:
                    pending.discard(current_user.id, token)
                flash(
                    _(
                        "%(rows)d results imported for %(samples)d samples and judged.",
                        rows=summary.rows,
                        samples=summary.samples,
                    ),
                    "success",
                )
                if summary.overwritten:
                    flash(
                        _("%(n)d values entered before were replaced.", n=summary.overwritten),
                        "warning",
                    )
                if summary.without_record:
                    flash(
                        _(
                            "%(n)d imported results have no bench record (test dates, method): "
                            "this lab submits them only once it is recorded (the import's "
                            "columns 开始日期, 结束日期, 检验方法, or each result's record page).",
                            n=summary.without_record,
                        ),
                        "warning",
                    )
                return redirect(url_for("results.my_work"))
            if isinstance(outcome.error, OverwriteNeedsConfirmation):
                # Shown, not saved: the user confirms exactly these replacements.
                if token:
                    pending.discard(current_user.id, token)
                token = pending.store(current_user.id, data, filename or "")
                confirm = ImportConfirmForm(
                    prefix="confirm",
                    formdata=None,
                    data={"token": token, "fingerprint": outcome.error.fingerprint},
                )
                return render_template(
                    "results/import.html",
                    form=ImportForm(formdata=None),
                    problems=[],
                    total=0,
                    overwrites=outcome.error.overwrites,
                    confirm=confirm,
                )
    return render_template(
        "results/import.html", form=form, problems=problems, total=total, overwrites=[]
    )
