"""The register of retest backups (复检备份样品): what may be disposed of this week, the
whole register, and one backup with its forms (keep, hand over, dispose of)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.core import clock
from labsys.core.backups import week_end
from labsys.extensions import db
from labsys.models import BackupStatus, Role
from labsys.services import backups, reference
from labsys.web.access import roles_required
from labsys.web.backups import forms, queries
from labsys.web.forms import flash_form_errors, service_errors

bp = Blueprint("backups", __name__, url_prefix="/backups")
KEEPERS = (Role.TECHNICIAN, Role.SUPERVISOR)  # not the administrator (issue 18 §1)


@bp.route("/")
@roles_required(*KEEPERS)
def this_week():
    today = clock.today()
    page = backups.disposable(db.session, today, after=request.args.get("after", 0, type=int))
    return render_template("backups/this_week.html", page=page, today=today, sunday=week_end(today))


@bp.route("/register")
@roles_required(*KEEPERS)
def register():
    status = request.args.get("status", "")
    chosen = BackupStatus(status) if status in {s.value for s in BackupStatus} else None
    page = backups.register_page(
        db.session, status=chosen, after=request.args.get("after", 0, type=int)
    )
    number = request.args.get("no", "").strip()
    if number:
        sample = queries.sample_by_no(db.session, number)
        if sample is not None:
            return redirect(url_for("backups.detail", sample_id=sample.id))
        flash(_("There is no sample %(no)s.", no=number), "warning")
    return render_template(
        "backups/register.html", page=page, status=chosen, statuses=list(BackupStatus)
    )


def _backup_or_404(sample_id: int):
    backup = queries.backup_for_sample(db.session, sample_id)
    if backup is None:
        abort(404)
    return backup


def _hand_over_form(formdata=None):
    form = forms.HandOverForm(formdata=formdata) if formdata is not None else forms.HandOverForm()
    form.lab_id.choices = [(0, "—"), *((lab.id, lab.name) for lab in reference.labs(db.session))]
    return form


@bp.route("/<int:sample_id>")
@roles_required(*KEEPERS)
def detail(sample_id: int, status: int = 200):
    backup = _backup_or_404(sample_id)
    return render_template(
        "backups/detail.html",
        backup=backup,
        today=clock.today(),
        store_form=forms.StoreForm(obj=backup),
        hand_over_form=_hand_over_form(),
        dispose_form=forms.DisposeForm(),
    ), status


def _run(sample_id: int, form, action):
    backup = _backup_or_404(sample_id)
    if form.validate_on_submit():
        with service_errors():
            action(backup, form)
            flash(_("Backup of %(no)s saved.", no=backup.sample.sample_no), "success")
    else:
        flash_form_errors(form, labelled=True)
    return redirect(url_for("backups.detail", sample_id=sample_id))


@bp.route("/<int:sample_id>/store", methods=["POST"])
@roles_required(*KEEPERS)
def store(sample_id: int):
    return _run(
        sample_id,
        forms.StoreForm(),
        lambda b, f: backups.store(
            db.session, current_user, b, location=f.location.data, stored_on=f.stored_on.data
        ),
    )


@bp.route("/<int:sample_id>/hand-over", methods=["POST"])
@roles_required(*KEEPERS)
def hand_over(sample_id: int):
    return _run(
        sample_id,
        _hand_over_form(request.form),
        lambda b, f: backups.hand_over(
            db.session,
            current_user,
            b.sample,
            lab_id=f.lab_id.data,
            handed_over_on=f.handed_over_on.data,
            seal_intact=f.seal_intact.data,
            notes=f.notes.data,
        ),
    )


@bp.route("/<int:sample_id>/dispose", methods=["POST"])
@roles_required(*KEEPERS)
def dispose(sample_id: int):
    return _run(
        sample_id,
        forms.DisposeForm(),
        lambda b, f: backups.dispose(
            db.session, current_user, b, disposed_on=f.disposed_on.data, method=f.method.data
        ),
    )
