"""The lab's receipt desk: scan a sample number, accept the sample or reject it."""

from __future__ import annotations

from datetime import datetime

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

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Role, Sample
from labsys.services import receipt, sampling
from labsys.web.access import roles_required
from labsys.web.forms import service_errors
from labsys.web.queues import queries as queue_queries
from labsys.web.queues import support as queue_support
from labsys.web.receipt.forms import ReceiveForm, RejectForm
from labsys.web.sampling import queries

bp = Blueprint("receipt", __name__, url_prefix="/lab/receipt")

RECEIVED_TODAY_LIMIT = 200


def _local_now() -> datetime:
    return clock.local_now().replace(second=0, microsecond=0, tzinfo=None)


def _aware(local: datetime | None) -> datetime | None:
    return local.replace(tzinfo=clock.LOCAL_TZ) if local else None


@bp.route("/")
@roles_required(Role.TECHNICIAN)
def index():
    number = request.args.get("no", "").strip()
    if number:
        with service_errors():
            sample = receipt.find_by_number(db.session, number)
            return redirect(url_for("receipt.receive", sample_id=sample.id))
    today = clock.today()
    received = queries.received_on(db.session, today, RECEIVED_TODAY_LIMIT)
    filters, check = queue_support.current_filters()
    awaiting = queue_queries.queue_page(
        db.session,
        queries.awaiting_receipt_ids(filters.conditions(Sample.due_delivery, check)),
        id_column=Sample.id,
        due_column=Sample.due_delivery,
        filters=filters,
        after=request.args.get("after"),
        size=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "receipt/index.html",
        number=number,
        received=received,
        awaiting=awaiting,
        awaiting_count=queries.count_awaiting(db.session),
        filters=filters,
        choices=queue_support.choices(),
        check=check,
    )


def _form_values(form) -> dict:
    return {
        "arrived_at": _aware(form.arrived_at.data),
        "seal_state": form.seal_state.data,
        "condition": form.condition.data,
        "temperature": form.temperature.data,
    }


@bp.route("/samples/<int:sample_id>", methods=["GET", "POST"])
@roles_required(Role.TECHNICIAN)
def receive(sample_id: int):
    sample = db.session.get(Sample, sample_id) or abort(404)
    form = ReceiveForm()
    reject_form = RejectForm(formdata=None, prefix="reject")
    if request.method == "GET":
        form.arrived_at.data = reject_form.arrived_at.data = _local_now()
    if form.validate_on_submit():
        with service_errors(form):
            results = receipt.receive_sample(db.session, current_user, sample, **_form_values(form))
            flash(
                _(
                    "Sample %(no)s received: %(n)d test items to do.",
                    no=sample.sample_no,
                    n=len(results),
                ),
                "success",
            )
            return redirect(url_for("receipt.index"))
    return _render(sample, form, reject_form)


@bp.route("/samples/<int:sample_id>/reject", methods=["POST"])
@roles_required(Role.TECHNICIAN)
def reject(sample_id: int):
    sample = db.session.get(Sample, sample_id) or abort(404)
    reject_form = RejectForm(prefix="reject")
    if reject_form.validate_on_submit():
        with service_errors(reject_form):
            receipt.reject_sample(
                db.session,
                current_user,
                sample,
                reason=reject_form.reason.data,
                **_form_values(reject_form),
            )
            flash(_("Sample %(no)s rejected.", no=sample.sample_no), "warning")
            return redirect(url_for("receipt.index"))
    form = ReceiveForm(formdata=None, data={"arrived_at": _local_now()})
    return _render(sample, form, reject_form)


def _render(sample: Sample, form, reject_form):
    sample = queries.reload_sample(db.session, sample.id)
    return render_template(
        "receipt/receive.html",
        sample=sample,
        form=form,
        reject_form=reject_form,
        seal_states=receipt.SEAL_STATES,
        check=sampling.deadline_check(db.session),
    )
