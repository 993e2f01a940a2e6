"""User administration: list, create, roles, activation, password reset."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import Role, User
from labsys.services import users
from labsys.web.access import roles_required
from labsys.web.admin.forms import ConfirmForm, UserCreateForm, UserResetPasswordForm, UserRolesForm
from labsys.web.forms import service_errors
from labsys.web.pagination import keyset_page

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/users")
@roles_required(Role.ADMIN)
def user_list():
    query = select(User)
    search = request.args.get("q", "").strip()
    if search:
        like = f"%{search}%"
        query = query.where(User.username.ilike(like) | User.full_name.ilike(like))
    page = keyset_page(query, User.id, after=request.args.get("after", type=int))
    return render_template("admin/users.html", page=page, search=search, confirm=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_create():
    form = UserCreateForm()
    if form.validate_on_submit():
        with service_errors(form):
            user = users.create_user(
                db.session,
                current_user,
                username=form.username.data,
                password=form.password.data,
                roles=form.roles.data,
                full_name=form.full_name.data,
            )
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("admin.user_list"))
    return render_template("admin/user_form.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_edit(user_id: int):
    user = _user_or_404(user_id)
    form = UserRolesForm(data={"roles": sorted(user.roles)})
    if form.validate_on_submit():
        with service_errors(form):
            users.set_roles(db.session, current_user, user, form.roles.data)
            flash(_("Roles of %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.user_list"))
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        password_form=UserResetPasswordForm(),
        confirm=ConfirmForm(),
    )


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def user_set_active(user_id: int):
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        active = request.form.get("active") == "1"
        with service_errors():
            users.set_active(db.session, current_user, user, active)
            flash(
                _("%(name)s can log in again.", name=user.username)
                if active
                else _("%(name)s can no longer log in.", name=user.username),
                "success",
            )
    return redirect(url_for("admin.user_list"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required(Role.ADMIN)
def user_reset_password(user_id: int):
    user = _user_or_404(user_id)
    form = UserResetPasswordForm()
    if form.validate_on_submit():
        with service_errors():
            users.change_password(db.session, current_user, user, new_password=form.password.data)
            flash(_("Password of %(name)s reset.", name=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))
