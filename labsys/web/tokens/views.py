"""The user's own API tokens (profile page): make one (shown once), list, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.core import clock
from labsys.extensions import db
from labsys.services import api_tokens
from labsys.web.access import login_required
from labsys.web.forms import service_errors
from labsys.web.tokens import queries
from labsys.web.tokens.forms import RevokeForm, TokenForm

bp = Blueprint("tokens", __name__, url_prefix="/profile/tokens")


@bp.route("", methods=["GET", "POST"])
@login_required
def token_list():
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        with service_errors(form):
            made = api_tokens.create_token(
                db.session,
                current_user,
                current_user,
                scope=form.scope.data,
                days=form.days.data,
                name=form.name.data or "",
            )
            secret = made.secret
            form = TokenForm(formdata=None)
    response = render_template(
        "tokens/tokens.html",
        form=form,
        revoke=RevokeForm(),
        secret=secret,
        tokens=api_tokens.tokens_of(db.session, current_user),
        now=clock.now(),
    )
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    token = queries.token(db.session, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        with service_errors():
            api_tokens.revoke_token(db.session, current_user, token)
            flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")
    return redirect(url_for("tokens.token_list"))
