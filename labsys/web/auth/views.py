"""Logging in and out, the language switch, and changing one's own password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from labsys.extensions import db
from labsys.services import security, users
from labsys.web import i18n
from labsys.web.access import login_required, public
from labsys.web.auth.forms import ChangePasswordForm, LoginForm, LogoutForm
from labsys.web.forms import service_errors

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        address = request.remote_addr
        # Locked (too many failures of this account or from this address): refused without
        # checking the password, and recorded (services/security.py).
        minutes = security.login_blocked(db.session, form.username.data, address)
        if minutes is not None:
            security.login_failed(db.session, form.username.data, address, throttled=True)
            _flash_locked(minutes)
            return render_template("auth/login.html", form=form)
        user = users.authenticate(db.session, form.username.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            security.login_succeeded(db.session, user, address)
            return redirect(i18n.safe_next(url_for("home.index")))
        if security.login_failed(db.session, form.username.data, address):
            _flash_locked(security.login_blocked(db.session, form.username.data, address) or 1)
        else:
            # One message for unknown user, wrong password and deactivated account.
            flash(_("Wrong username or password."), "danger")
    return render_template("auth/login.html", form=form)


def _flash_locked(minutes: int) -> None:
    flash(
        _(
            "Too many failed logins for this account or from this computer: logging in is "
            "locked for %(n)d minutes. Try again later, or ask the administrator.",
            n=minutes,
        ),
        "danger",
    )


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if LogoutForm().validate_on_submit():
        if current_user.is_authenticated:
            users.end_sessions(db.session, current_user)
        logout_user()
        flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>")
@public
def language(code: str):
    if not i18n.set_locale(code):
        flash(_("Unknown language."), "warning")
    return redirect(i18n.safe_next(url_for("home.index")))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with service_errors(form, fields={"password": "new_password"}):
            users.change_password(
                db.session,
                current_user,
                current_user,
                new_password=form.new_password.data,
                current_password=form.current_password.data,
            )
            # The session id carries the password version; renew it so this login stays.
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)
