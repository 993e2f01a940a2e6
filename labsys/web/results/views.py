"""The lab's pages: my work, result entry per sample and per worksheet, review, corrections,
retests, the sample's results and history, and the instrument import."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from labsys.database import write_intent
from labsys.extensions import db
from labsys.models import (
    Conclusion,
    ResultStatus,
    Role,
    Sample,
    SampleResult,
    TestItem,
    VerdictValue,
)
from labsys.services import assignments, esign
from labsys.services import results as svc
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
from labsys.web.bench.forms import ImportConfirmForm
from labsys.web.forms import service_errors
from labsys.web.pagination import keyset_page
from labsys.web.results import queries
from labsys.web.results.forms import (
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
_UNIT_SPLIT_RE = re.compile(r"\s*[,;，；]\s*")

ACTION_TITLES = {
    "enter": _l("Result entered"),
    "submit": _l("Submitted for review"),
    "accept": _l("Accepted"),
    "return": _l("Returned"),
    "correct": _l("Corrected"),
    "retest": _l("Retest ordered"),
    "create": _l("Retest row created"),
    "reopen": _l("Conclusion withdrawn for a retest"),
    "conclude": _l("Conclusion derived"),
    "assign": _l("Assigned to a technician"),
    "unassign": _l("Assignment removed"),
    "bench": _l("Bench record (dates, method, instrument)"),
}


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
    search = request.args.get("q", "").strip()
    page = keyset_page(
        queries.my_work_query(search), Sample.id, after=request.args.get("after", type=int)
    )
    return render_template(
        "results/my_work.html",
        page=page,
        counts=queries.status_counts(db.session, page.items),
        items=queries.open_items(db.session),
        search=search,
        Status=ResultStatus,
        mine=bench_queries.my_samples(db.session, current_user),
        my_items=bench_queries.my_items(db.session, current_user),
    )


# --- entry -----------------------------------------------------------------------------------


def _form_data(results: list[SampleResult]) -> dict:
    return {
        "rows": [
            {
                "result_id": r.id,
                "version": r.version_id,
                "measured": r.measured_text or "",
                "units": svc.units_of(r) or [""] * (r.micro_n or 0),
            }
            for r in results
        ]
    }


def _pairs(form: ResultEntryForm, results: list[SampleResult]) -> list:
    by_id = {r.id: r for r in results}
    pairs = []
    for row in form.rows:
        result = by_id.get(row.form.result_id.data)
        if result is None:
            abort(400)
        pairs.append((row.form, result))
    return pairs


def _save_rows(form: ResultEntryForm, results: list[SampleResult]) -> dict[int, str] | None:
    """Save the typed rows (all or nothing); None on success, else errors by result id."""
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
        saved = svc.enter_results(db.session, current_user, entries)
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
    return None


@bp.route("/samples/<int:sample_id>/enter", methods=["GET", "POST"])
@roles_required(Role.TECHNICIAN)
def enter_sample(sample_id: int):
    sample = _sample_or_404(sample_id)
    rows = svc.current_results(db.session, sample)
    editable = [r for r in rows if r.status in svc.EDITABLE]
    form = ResultEntryForm(data=None if request.method == "POST" else _form_data(editable))
    errors: dict[int, str] = {}
    if form.validate_on_submit():
        errors = _save_rows(form, rows)
        if errors is None:
            return redirect(url_for("results.enter_sample", sample_id=sample.id))
    elif request.method == "POST":
        flash(_("The form was not valid; check the values."), "danger")
    return render_template(
        "results/enter_sample.html",
        sample=sample,
        rows=rows,
        pairs=_pairs(form, rows),
        form=form,
        errors=errors,
        confirm=ShownForm(),
        submittable=_entered(rows),
        shown=_shown(rows),
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
        _flash_form_errors(form)
    return redirect(url_for("results.enter_sample", sample_id=sample.id))


def _flash_form_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(str(message), "danger")


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
    if request.method == "POST":
        posted = [row.form.result_id.data for row in ResultEntryForm().rows]
        results = queries.posted_results(db.session, item_id, posted)
    form = ResultEntryForm(data=None if request.method == "POST" else _form_data(results))
    errors: dict[int, str] = {}
    if form.validate_on_submit():
        errors = _save_rows(form, results)
        if errors is None:
            return redirect(url_for("results.worksheet", item_id=item.id, after=after))
    elif request.method == "POST":
        flash(_("The form was not valid; check the values."), "danger")
    return render_template(
        "results/worksheet.html",
        item=item,
        page=page,
        pairs=_pairs(form, results),
        form=form,
        errors=errors,
        submittable=_entered(page.items),
        confirm=ShownForm(),
        shown=_shown(results),
        owners=assignments.assignees(db.session, (r.id for r in results)),
    )


@bp.route("/worksheet/<int:item_id>/submit", methods=["POST"])
@roles_required(Role.TECHNICIAN)
def submit_worksheet(item_id: int):
    form = ShownForm()
    if form.validate_on_submit():
        seen = _shown_pairs(form)
        _submit(queries.posted_results(db.session, item_id, list(seen)), seen)
    else:
        _flash_form_errors(form)
    return redirect(url_for("results.worksheet", item_id=item_id, after=request.args.get("after")))


# --- review ----------------------------------------------------------------------------------


@bp.route("/review")
@roles_required(Role.REVIEWER)
def review_queue():
    page = keyset_page(
        queries.review_queue_query(current_user),
        SampleResult.sample_id,
        after=request.args.get("after", type=int),
        key_of=lambda sample_id: sample_id,
    )
    page.items = queries.samples_in_order(db.session, page.items)
    grouped = _not_mine(queries.awaiting_review_by_sample(db.session, current_user, page.items))
    page.items = [sample for sample in page.items if sample.id in grouped]
    return render_template(
        "results/review.html",
        page=page,
        grouped=grouped,
        confirm=AcceptForm(),
        return_form=ReturnForm(),
        shown=_shown(r for results in grouped.values() for r in results),
    )


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
        _flash_form_errors(form)
        return redirect(url_for("results.review_queue"))
    seen = _shown_pairs(form)
    results = queries.results_of_sample(db.session, sample, list(seen))
    if len(results) != len(seen):
        flash(_("Some of these results are no longer on this page; reload it."), "danger")
        return redirect(url_for("results.review_queue"))
    with service_errors():
        signature = esign.sign(current_user, form.password.data, esign.Meaning.REVIEW)
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
    return redirect(url_for("results.review_queue"))


@bp.route("/results/<int:result_id>/return", methods=["POST"])
@roles_required(Role.REVIEWER)
def return_result(result_id: int):
    result = _result_or_404(result_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        for message in form.reason.errors or [_("The form was not valid; check the values.")]:
            flash(message, "danger")
        return redirect(url_for("results.review_queue"))
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
    return redirect(url_for("results.review_queue"))


# --- a sample's results, corrections, retests, history ---------------------------------------


@bp.route("/samples/<int:sample_id>")
@roles_required(*READERS)
def sample_results(sample_id: int):
    sample = _sample_or_404(sample_id)
    rows = queries.all_results(db.session, sample)
    return render_template(
        "results/sample.html",
        sample=sample,
        rows=rows,
        shown=_shown(rows),
        retest_form=RetestForm(),
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
        with service_errors(form, fields={"unit_values": "units", "measured_text": "measured"}):
            svc.correct_result(
                db.session,
                current_user,
                result,
                measured_text=form.measured.data,
                expected_version=int(form.version.data or 0),
                reason=form.reason.data,
                unit_values=units,
            )
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
    names = queries.full_names(db.session, (e.user_id for e in entries if e.user_id))
    items = queries.item_names(db.session, sample)
    rows = [(entry, _parse(entry.old_values), _parse(entry.new_values)) for entry in entries]
    return render_template(
        "results/history.html",
        sample=sample,
        rows=rows,
        names=names,
        items=items,
        titles=ACTION_TITLES,
    )


def _parse(values: str | None) -> dict:
    return json.loads(values) if values else {}


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
                summary = save_import(db.session, current_user, judged, confirmed=confirmed)
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
