"""Files attached to records: upload (to any record whose feature registered it, see
services/attachments.py), download and thumbnail (only for those who may see the record),
withdraw.  The service decides who may do what; these routes only let the lab's roles in."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.extensions import db
from labsys.models import Attachment, Role
from labsys.services import ServiceError, attachments
from labsys.services.attachments import AttachmentError
from labsys.web.access import roles_required
from labsys.web.attachments.forms import AttachmentForm, WithdrawForm
from labsys.web.forms import flash_form_errors, service_errors

bp = Blueprint("attachments", __name__, url_prefix="/attachments")

USERS = (Role.SAMPLER, Role.SUPERVISOR, Role.TECHNICIAN, Role.REVIEWER)


@bp.app_template_global("attachment_kind")
def attachment_kind(kind: str) -> str:
    return attachments.kind_title(kind)


def _back(target: str | None) -> str:
    """Back to the page the form was on: a path of this site only (never "//host")."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home.index")


def upload_form(entity: str, entity_id: int, back: str) -> AttachmentForm:
    """The upload form for a record's page, its kinds those the record's owner takes."""
    form = AttachmentForm(formdata=None, next=back)
    form.kind.choices = [
        (kind, attachments.kind_title(kind)) for kind in attachments.owner_of(entity).kinds
    ]
    return form


@bp.route("/<entity>/<int:entity_id>", methods=["POST"])
@roles_required(*USERS)
def upload(entity: str, entity_id: int):
    form = AttachmentForm()
    back = _back(form.next.data)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(back)
    upload = form.file.data
    with service_errors():
        saved = attachments.attach(
            db.session,
            current_user,
            entity=entity,
            entity_id=entity_id,
            kind=form.kind.data,
            filename=upload.filename,
            stream=upload.stream,
            note=form.note.data or "",
        )
        flash(
            _("%(name)s attached (SHA-256 %(hash)s).", name=saved.filename, hash=saved.sha256),
            "success",
        )
    return redirect(back)


def _viewable(attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id) or abort(404)
    if not attachments.may_view(db.session, current_user, attachment):
        abort(403)
    return attachment


@bp.route("/<int:attachment_id>")
@roles_required(*USERS)
def download(attachment_id: int):
    attachment = _viewable(attachment_id)
    try:
        path = attachments.verified_path(attachment)
    except AttachmentError as error:
        return Response(error.message, status=409, mimetype="text/plain")
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=request.args.get("download") == "1"
        or not attachment.is_image
        and attachment.content_type != attachments.PDF,
        download_name=attachment.filename,
        max_age=0,
    )
    if attachment.content_type != attachments.PDF:
        # No script may run from a stored file (Chrome's PDF viewer refuses a sandbox, and a
        # PDF is verified as one by its content before it is stored).
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/<int:attachment_id>/thumb")
@roles_required(*USERS)
def thumb(attachment_id: int):
    attachment = _viewable(attachment_id)
    try:
        data = attachments.thumbnail(attachment)
    except AttachmentError:
        data = None
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg")


@bp.route("/<int:attachment_id>/withdraw", methods=["POST"])
@roles_required(*USERS)
def withdraw(attachment_id: int):
    attachment = _viewable(attachment_id)
    form = WithdrawForm()
    back = _back(form.next.data)
    if not form.validate_on_submit():
        flash(_("Give the reason for withdrawing the file."), "danger")
        return redirect(back)
    try:
        attachments.withdraw(db.session, current_user, attachment, reason=form.reason.data)
    except ServiceError as error:
        flash(error.message, "danger")
    else:
        flash(_("%(name)s withdrawn.", name=attachment.filename), "success")
    return redirect(back)
