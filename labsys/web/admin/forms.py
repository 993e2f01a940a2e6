from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional

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
    password = PasswordField(_l("Initial password"), validators=[DataRequired()])
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
    password = PasswordField(_l("New password"), validators=[DataRequired()])


class ConfirmForm(LabsysForm):
    """A bare POST form: only the CSRF token."""
