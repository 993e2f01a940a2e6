"""User administration: list, create, roles, activation, password reset; the authorised
signatories (授权签字人) and the food categories each may sign for."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.core import clock
from labsys.extensions import db
from labsys.models import AuthorisedSignatory, Role, User
from labsys.services import calendar, security, signatories, users
from labsys.web.access import roles_required
from labsys.web.admin import queries
from labsys.web.admin.forms import (
    CalendarDayForm,
    CalendarRemoveForm,
    ConfirmForm,
    SignatoryForm,
    SignatoryScopeForm,
    UnlockForm,
    UserCreateForm,
    UserResetPasswordForm,
    UserRolesForm,
)
from labsys.web.forms import service_errors
from labsys.web.pagination import keyset_page

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/users")
@roles_required(Role.ADMIN)
def user_list():
    search = request.args.get("q", "").strip()
    page = keyset_page(
        queries.user_list_query(search), User.id, after=request.args.get("after", type=int)
    )
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
    lock = security.account_lock(db.session, user)
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
        lock=lock,
        # Offered unticked: lifting an address's lock lets everyone there try again, so the
        # administrator ticks the colleague's own computer.
        unlock_form=UnlockForm.offering(lock, data={"addresses": []}),
    )


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@roles_required(Role.ADMIN)
def user_unlock(user_id: int):
    """Lift a login lock (too many failed logins) before it lapses, and the locks of the
    addresses offered with it that the administrator left ticked."""
    user = _user_or_404(user_id)
    form = UnlockForm.offering(security.account_lock(db.session, user))
    if form.validate_on_submit():
        with service_errors():
            if security.unlock_account(db.session, current_user, user, form.addresses.data):
                flash(_("%(name)s can log in again now.", name=user.username), "success")
            else:
                flash(_("%(name)s was not locked.", name=user.username), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


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


# --- authorised signatories (授权签字人) -----------------------------------------------------


def _signatory_or_404(signatory_id: int) -> AuthorisedSignatory:
    return db.session.get(AuthorisedSignatory, signatory_id) or abort(404)


def _category_choices(current: list[int] = ()) -> list[tuple[int, str]]:
    return [(c.id, c.name_zh) for c in queries.scope_categories(db.session, current)]


def _supervisor_choices() -> list[tuple[int, str]]:
    return [(u.id, f"{u.display_name} ({u.username})") for u in queries.supervisors(db.session)]


@bp.route("/signatories")
@roles_required(Role.ADMIN)
def signatory_list():
    return render_template(
        "admin/signatories.html",
        signatories=signatories.signatory_list(db.session),
        confirm=ConfirmForm(),
    )


@bp.route("/signatories/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def signatory_create():
    form = SignatoryForm()
    form.user_id.choices = _supervisor_choices()
    form.categories.choices = _category_choices()
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data) or abort(404)
        with service_errors(form):
            signatories.authorise(
                db.session,
                current_user,
                user,
                category_ids=form.categories.data,
                note=form.note.data,
            )
            flash(_("%(name)s is an authorised signatory.", name=user.display_name), "success")
            return redirect(url_for("admin.signatory_list"))
    return render_template("admin/signatory_form.html", form=form, signatory=None)


@bp.route("/signatories/<int:signatory_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def signatory_edit(signatory_id: int):
    signatory = _signatory_or_404(signatory_id)
    current = [link.category_id for link in signatory.scope_links]
    form = SignatoryScopeForm(data={"categories": current, "note": signatory.note})
    form.categories.choices = _category_choices(current)
    if form.validate_on_submit():
        with service_errors(form):
            signatories.authorise(
                db.session,
                current_user,
                signatory.user,
                category_ids=form.categories.data,
                note=form.note.data,
            )
            flash(_("Scope of %(name)s saved.", name=signatory.user.display_name), "success")
            return redirect(url_for("admin.signatory_list"))
    return render_template("admin/signatory_form.html", form=form, signatory=signatory)


@bp.route("/signatories/<int:signatory_id>/revoke", methods=["POST"])
@roles_required(Role.ADMIN)
def signatory_revoke(signatory_id: int):
    signatory = _signatory_or_404(signatory_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with service_errors():
        signatories.revoke(db.session, current_user, signatory)
        flash(
            _("%(name)s may no longer approve reports.", name=signatory.user.display_name),
            "success",
        )
    return redirect(url_for("admin.signatory_list"))


# --- the working-day calendar ------------------------------------------------------------------


def _calendar_page(year: int, form: CalendarDayForm, status: int = 200):
    this_year = clock.today().year
    years = range(min(year, this_year - 1), max(year, this_year + 2) + 1)
    coverage = calendar.year_coverage(db.session, years)
    return render_template(
        "admin/calendar.html",
        year=year,
        coverage=coverage,
        uncovered=[y for y, source, _n in coverage if source == "none"],
        entries=calendar.entries_of_year(db.session, year),
        form=form,
        remove=CalendarRemoveForm(),
        last_known=calendar.workdays.last_known_year(),
    ), status


def _year_arg() -> int:
    year = request.args.get("year", type=int) or clock.today().year
    return year if 2000 <= year <= 2100 else clock.today().year


@bp.route("/calendar", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def calendar_page():
    """The official holidays and make-up working days (调休) deadlines count with; a year
    without them (beyond chinese-calendar and not entered) is flagged."""
    form = CalendarDayForm()
    year = _year_arg()
    if form.validate_on_submit():
        with service_errors(form):
            calendar.set_day(
                db.session,
                current_user,
                day=form.day.data,
                is_workday=form.is_workday.data,
                name=form.name.data,
            )
            flash(_("Calendar day %(day)s saved.", day=form.day.data.isoformat()), "success")
            return redirect(url_for("admin.calendar_page", year=form.day.data.year))
        return _calendar_page(year, form, 400)
    return _calendar_page(year, form)


@bp.route("/calendar/remove", methods=["POST"])
@roles_required(Role.ADMIN)
def calendar_remove():
    form = CalendarRemoveForm()
    if form.validate_on_submit():
        with service_errors():
            calendar.remove_day(db.session, current_user, day=form.day.data)
            flash(_("Calendar day %(day)s removed.", day=form.day.data.isoformat()), "success")
        return redirect(url_for("admin.calendar_page", year=form.day.data.year))
    abort(400)
