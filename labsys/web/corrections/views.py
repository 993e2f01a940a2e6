"""Correction requests: the approvers' queue and one's own requests, one request with its
before/after values, and the decisions (approve, reject, withdraw)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.core import UnboundField

from labsys.extensions import db
from labsys.models import Correction, CorrectionTarget, Role
from labsys.services import corrections, esign
from labsys.web.access import roles_required
from labsys.web.corrections import queries
from labsys.web.corrections.forms import ApproveForm, RejectForm, ReviewForm, WithdrawForm
from labsys.web.forms import flash_form_errors, service_errors
from labsys.web.pagination import keyset_page
from labsys.web.sampling.forms import SampleCorrectionForm, VisitCorrectionForm

bp = Blueprint("corrections", __name__, url_prefix="/corrections")

USERS = (Role.SAMPLER, Role.REVIEWER, Role.SUPERVISOR)
# A result's fields, by their names in a request.
RESULT_LABELS = {
    "measured_text": _l("Measured value"),
    "unit_values": _l("Values of the units"),
    "lod": _l("LOD"),
    "reported_text": _l("Reported value"),
    "verdict": _l("Verdict"),
}


def _correction_or_404(correction_id: int) -> Correction:
    correction = db.session.get(Correction, correction_id) or abort(404)
    if not (queries.may_see_queue(current_user) or correction.requested_by_id == current_user.id):
        abort(403)
    return correction


def _label(target: CorrectionTarget, field: str) -> str:
    """The label the form shows for ``field``: the request's fields are the form's own."""
    if target == CorrectionTarget.RESULT:
        return str(RESULT_LABELS.get(field, field))
    form = VisitCorrectionForm if target == CorrectionTarget.VISIT else SampleCorrectionForm
    for name in (field, field.removesuffix("_id")):
        unbound = getattr(form, name, None)
        if isinstance(unbound, UnboundField):
            return str(unbound.args[0] if unbound.args else unbound.kwargs.get("label", field))
    return field


def _lines(correction: Correction) -> list[queries.Line]:
    before, after = corrections.before_of(correction), corrections.changes_of(correction)
    if correction.action.is_void:
        return []
    return [
        queries.Line(
            field,
            _label(correction.target, field),
            queries.shown(db.session, field, before.get(field)),
            queries.shown(db.session, field, after.get(field)),
        )
        for field in after
    ]


def _base_url() -> str:
    return current_app.config.get("BASE_URL") or request.url_root


@bp.route("/")
@roles_required(*USERS)
def queue():
    page = None
    if queries.may_see_queue(current_user):
        page = keyset_page(
            queries.queue_query(current_user),
            Correction.id,
            after=request.args.get("after", type=int),
        )
    return render_template(
        "corrections/queue.html", page=page, own=queries.own_requests(db.session, current_user)
    )


@bp.route("/<int:correction_id>")
@roles_required(*USERS)
def detail(correction_id: int):
    correction = _correction_or_404(correction_id)
    version = {"version": correction.version_id}
    return render_template(
        "corrections/detail.html",
        correction=correction,
        lines=_lines(correction),
        may_decide=corrections.may_decide(db.session, current_user, correction),
        may_review=corrections.may_review(db.session, current_user, correction),
        awaiting_review=corrections.needs_review(correction),
        review_form=ReviewForm(data=version),
        reported=corrections.regime(corrections._samples_of(correction, db.session)) == "report",
        approve_form=ApproveForm(data=version),
        reject_form=RejectForm(data=version),
        withdraw_form=WithdrawForm(data=version),
    )


def _signature(correction: Correction, form) -> esign.Signature | None:
    """Approving a report correction issues the superseding report: signed (the password
    re-entered); a wrong or missing password refuses it before anything changes."""
    if corrections.regime(corrections._samples_of(correction, db.session)) != "report":
        return None
    return esign.sign(current_user, form.password.data, esign.Meaning.APPROVAL)


def _version(form) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return -1


def _decided(correction: Correction, form, decide, done: str):
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        with service_errors() as outcome:
            decide(_version(form))
        if outcome.error is None:
            flash(done, "success")
    return redirect(url_for("corrections.detail", correction_id=correction.id))


@bp.route("/<int:correction_id>/approve", methods=["POST"])
@roles_required(Role.REVIEWER, Role.SUPERVISOR)
def approve(correction_id: int):
    correction = _correction_or_404(correction_id)
    form = ApproveForm()
    return _decided(
        correction,
        form,
        lambda version: corrections.approve(
            db.session,
            current_user,
            correction,
            expected_version=version,
            note=form.note.data,
            base_url=_base_url(),
            signature=_signature(correction, form),
        ),
        _("Correction request #%(id)d approved and applied.", id=correction.id),
    )


@bp.route("/<int:correction_id>/review", methods=["POST"])
@roles_required(Role.REVIEWER)
def review(correction_id: int):
    correction = _correction_or_404(correction_id)
    form = ReviewForm()
    return _decided(
        correction,
        form,
        lambda version: corrections.review_reported_result(
            db.session,
            current_user,
            correction,
            expected_version=version,
            signature=esign.sign(
                current_user, form.password.data, esign.Meaning.REVIEW, session=db.session
            ),
        ),
        _(
            "Correction request #%(id)d reviewed: a supervisor may now approve it.",
            id=correction.id,
        ),
    )


@bp.route("/<int:correction_id>/reject", methods=["POST"])
@roles_required(Role.REVIEWER, Role.SUPERVISOR)
def reject(correction_id: int):
    correction = _correction_or_404(correction_id)
    form = RejectForm()
    return _decided(
        correction,
        form,
        lambda version: corrections.reject(
            db.session, current_user, correction, expected_version=version, note=form.note.data
        ),
        _("Correction request #%(id)d rejected; nothing was changed.", id=correction.id),
    )


@bp.route("/<int:correction_id>/withdraw", methods=["POST"])
@roles_required(*USERS)
def withdraw(correction_id: int):
    correction = _correction_or_404(correction_id)
    form = WithdrawForm()
    return _decided(
        correction,
        form,
        lambda version: corrections.withdraw(
            db.session, current_user, correction, expected_version=version
        ),
        _("Correction request #%(id)d withdrawn.", id=correction.id),
    )
