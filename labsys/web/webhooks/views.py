"""Webhook subscriptions and the delivery log (administrators)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.extensions import db
from labsys.models import Role
from labsys.services import webhooks
from labsys.web.access import roles_required
from labsys.web.forms import service_errors
from labsys.web.webhooks import queries
from labsys.web.webhooks.forms import SubscriptionForm, ToggleForm

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


@bp.route("", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def index():
    form = SubscriptionForm()
    secret = None
    if form.validate_on_submit():
        with service_errors(form):
            made = webhooks.create_subscription(
                db.session, current_user, form.url.data, form.events.data or []
            )
            secret = made.secret
            form = SubscriptionForm(formdata=None)
    response = render_template(
        "webhooks/index.html",
        form=form,
        toggle=ToggleForm(),
        secret=secret,
        subscriptions=webhooks.subscriptions(db.session),
        log=webhooks.delivery_log(db.session),
    )
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/<int:subscription_id>/toggle", methods=["POST"])
@roles_required(Role.ADMIN)
def toggle(subscription_id: int):
    subscription = queries.subscription(db.session, subscription_id) or abort(404)
    if ToggleForm().validate_on_submit():
        with service_errors():
            webhooks.set_subscription_active(
                db.session, current_user, subscription, not subscription.active
            )
            flash(_("Saved."), "success")
    return redirect(url_for("webhooks.index"))
