from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from labsys.models.user import ROLE_TITLES, Role
from labsys.web.forms import LabsysForm


class RoleField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def role_choices():
    return [(role.value, ROLE_TITLES[role]) for role in Role]


class UserCreateForm(LabsysForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=100)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=128)])
    roles = RoleField(
        _l("Roles"),
        choices=role_choices,
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )


class UserRolesForm(LabsysForm):
    roles = RoleField(
        _l("Roles"),
        choices=role_choices,
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )


class UserResetPasswordForm(LabsysForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])


class ConfirmForm(LabsysForm):
    """A bare POST form: only the CSRF token."""


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class UnlockForm(LabsysForm):
    """Unlock an account, and the addresses its failed logins came from that are locked
    (``addresses``' choices: those of security.account_lock; the service refuses any other,
    naming it, so the form does not check the choice itself)."""

    addresses = MultiCheckboxField(
        _l("Also unlock the computers these failed logins came from"),
        choices=[],
        validate_choice=False,
        validators=[Optional()],
    )

    @classmethod
    def offering(cls, lock, **kwargs) -> UnlockForm:
        form = cls(**kwargs)
        keys = lock.address_keys if lock else []
        form.addresses.choices = [(key, key) for key in keys]
        return form


class SignatoryForm(LabsysForm):
    """授权签字人: a supervisor, and the food categories (大类 or 亚类) they may sign for."""

    user_id = SelectField(_l("Supervisor"), coerce=int, validators=[InputRequired()])
    categories = MultiCheckboxField(
        _l("Food categories they may sign for"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose at least one food category."))],
    )
    note = StringField(_l("Note (e.g. the approval letter)"), validators=[Length(max=200)])


class SignatoryScopeForm(LabsysForm):
    categories = MultiCheckboxField(
        _l("Food categories they may sign for"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose at least one food category."))],
    )
    note = StringField(_l("Note (e.g. the approval letter)"), validators=[Length(max=200)])


class CalendarDayForm(LabsysForm):
    """One day of the editable working-day calendar."""

    day = DateField(_l("Day"), validators=[DataRequired(message=_l("Enter a date (YYYY-MM-DD)."))])
    is_workday = BooleanField(_l("A working day (调休, make-up day)"))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=40)])


class CalendarRemoveForm(LabsysForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
