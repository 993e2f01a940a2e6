"""Report pages: queue, preview, issue (one or many), list, detail, download, correction,
ZIP of many; and the public verification page (``verify`` blueprint)."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from labsys.database import read_session
from labsys.extensions import db
from labsys.models import Report, ReportStatus, Role, Sample
from labsys.services import esign, reports
from labsys.web.access import public, roles_required
from labsys.web.forms import service_errors
from labsys.web.pagination import keyset_page
from labsys.web.queues import queries as queue_queries
from labsys.web.queues import support as queue_support
from labsys.web.reports import queries
from labsys.web.reports.forms import BulkIssueForm, CorrectionForm, IssueForm

bp = Blueprint("reports", __name__, url_prefix="/reports")
verify_bp = Blueprint("verify", __name__)

READERS = (Role.SUPERVISOR, Role.REVIEWER, Role.TECHNICIAN)
MAX_ZIP = 500


def _base_url() -> str:
    return current_app.config.get("BASE_URL") or request.url_root


def _sample_or_404(sample_id: int) -> Sample:
    return db.session.get(Sample, sample_id) or abort(404)


def _report_or_404(report_id: int) -> Report:
    return db.session.get(Report, report_id) or abort(404)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _pdf_response(data: bytes, filename: str, *, inline: bool):
    response = current_app.response_class(data, mimetype="application/pdf")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/queue")
@roles_required(Role.SUPERVISOR)
def queue():
    filters, check = queue_support.current_filters()
    page = queue_queries.queue_page(
        db.session,
        queries.queue_ids(filters.conditions(Sample.due_report, check)),
        id_column=Sample.id,
        due_column=Sample.due_report,
        filters=filters,
        after=request.args.get("after"),
        size=current_app.config["PAGE_SIZE"],
        options=queries.QUEUE_OPTIONS,
    )
    return render_template(
        "reports/queue.html",
        page=page,
        filters=filters,
        choices=queue_support.choices(),
        check=check,
        form=BulkIssueForm(),
        setup_warnings=reports.setup_warnings(current_app.config),
    )


@bp.route("/preview/<int:sample_id>.pdf")
@roles_required(Role.SUPERVISOR)
def preview(sample_id: int):
    sample = _sample_or_404(sample_id)
    with service_errors():
        pdf = reports.draft_pdf(db.session, current_user, sample)
        return _pdf_response(pdf, f"draft-{sample.sample_no}.pdf", inline=True)
    return redirect(url_for("reports.queue"))


@bp.route("/issue/<int:sample_id>", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def issue(sample_id: int):
    sample = _sample_or_404(sample_id)
    form = IssueForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        for message in form.password.errors:
            flash(str(message), "danger")
        return redirect(url_for("reports.queue"))
    with service_errors():
        signature = esign.sign(
            current_user, form.password.data, esign.Meaning.APPROVAL, session=db.session
        )
        report = reports.issue_report(
            db.session, current_user, sample, base_url=_base_url(), signature=signature
        )
        flash(_("Report %(no)s issued.", no=report.report_no), "success")
        return redirect(url_for("reports.detail", report_id=report.id))
    return redirect(url_for("reports.queue"))


@bp.route("/bulk-issue", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def bulk_issue():
    """Issue the chosen samples' reports.  The queue page calls this in small chunks with
    ``Accept: application/json`` to drive its progress bar; without JavaScript it is a plain
    form post that ends on the report list."""
    form = BulkIssueForm()
    if not form.validate_on_submit():
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        if _wants_json():
            return jsonify(error=message), 400
        flash(message, "danger")
        return redirect(url_for("reports.queue"))
    ids = list(dict.fromkeys(form.sample_ids.data))
    found = queries.samples_by_id(db.session, ids)
    with service_errors() as signing:
        signature = esign.sign(
            current_user, form.password.data, esign.Meaning.APPROVAL, session=db.session
        )
    if signing.error is not None:
        if _wants_json():
            return jsonify(error=signing.error.message), 403
        return redirect(url_for("reports.queue"))
    outcome = reports.issue_many(
        db.session,
        current_user,
        [found[i] for i in ids if i in found],
        base_url=_base_url(),
        signature=signature,
    )
    failed = [
        {"sample_id": s.id, "sample_no": s.sample_no, "message": m} for s, m in outcome.failed
    ]
    failed += [
        {"sample_id": i, "sample_no": str(i), "message": _("There is no such sample.")}
        for i in ids
        if i not in found
    ]
    issued = [
        {"sample_id": r.sample_id, "report_id": r.id, "report_no": r.report_no}
        for r in outcome.issued
    ]
    if _wants_json():
        return jsonify(issued=issued, failed=failed)
    if issued:
        flash(_("%(n)d reports issued.", n=len(issued)), "success")
    for item in failed:
        flash(f"{item['sample_no']}: {item['message']}", "danger")
    return redirect(url_for("reports.report_list"))


@bp.route("")
@roles_required(*READERS)
def report_list():
    search = request.args.get("q", "").strip()
    status = request.args.get("status", "")
    query = queries.report_list_query(search, status)
    page = keyset_page(query, Report.id, after=request.args.get("after", type=int), descending=True)
    return render_template(
        "reports/list.html", page=page, search=search, status=status, statuses=ReportStatus
    )


def _detail_page(report: Report, form: CorrectionForm):
    return render_template(
        "reports/detail.html",
        report=report,
        form=form,
        stale=reports.is_stale(report),
        successor=reports.successor_of(db.session, report) if report.status.is_withdrawn else None,
    )


@bp.route("/<int:report_id>")
@roles_required(*READERS)
def detail(report_id: int):
    return _detail_page(_report_or_404(report_id), CorrectionForm())


@bp.route("/<int:report_id>.pdf")
@roles_required(*READERS)
def download(report_id: int):
    # An issued PDF never changes: the replica's copy, or the primary's if it is newer.
    report = read_session().get(Report, report_id) or _report_or_404(report_id)
    response = _pdf_response(report.pdf, f"{report.report_no}.pdf", inline=False)
    response.headers["ETag"] = f'"{report.sha256}"'
    return response


@bp.route("/<int:report_id>/correct", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def correct(report_id: int):
    report = _report_or_404(report_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        with service_errors(form):
            new = reports.correct_report(
                db.session,
                current_user,
                report,
                reason=form.reason.data,
                base_url=_base_url(),
                signature=esign.sign(
                    current_user, form.password.data, esign.Meaning.APPROVAL, session=db.session
                ),
            )
            flash(
                _(
                    "Corrected report %(new)s issued; %(old)s is superseded.",
                    new=new.report_no,
                    old=report.report_no,
                ),
                "success",
            )
            return redirect(url_for("reports.detail", report_id=new.id))
    return _detail_page(report, form), 422


@bp.route("/zip")
@roles_required(*READERS)
def download_zip():
    ids = list(dict.fromkeys(request.args.getlist("id", type=int)))[: MAX_ZIP + 1]
    if not ids:
        flash(_("Choose at least one report."), "warning")
        return redirect(url_for("reports.report_list"))
    if len(ids) > MAX_ZIP:
        flash(_("At most %(n)d reports fit in one ZIP.", n=MAX_ZIP), "warning")
        return redirect(url_for("reports.report_list"))
    chosen = queries.reports_by_number(read_session(), ids)
    if len(chosen) < len(ids):  # some not yet on the replica: the primary has them all
        chosen = queries.reports_by_number(db.session, ids)
    if not chosen:
        abort(404)
    buffer = io.BytesIO()
    reports.write_zip(chosen, buffer)
    response = current_app.response_class(buffer.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="reports-{len(chosen)}.zip"'
    return response


@verify_bp.route("/verify/<token>")
@public
def verify(token: str):
    """Anyone may check a report from its QR code: only the fields printed below."""
    report = reports.get_by_token(db.session, token) or abort(404)
    # A superseded or withdrawn report names the report issued in its place (its number and
    # its own verification link, both public on that report's QR code), nothing more.
    successor = None if report.status.is_issued else reports.successor_of(db.session, report)
    page = render_template("reports/verify.html", report=report, successor=successor)
    response = current_app.make_response(page)
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"  # a withdrawn report must not be cached
    return response
