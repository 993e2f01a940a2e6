from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from labsys.web.forms import LabsysForm


class LoginForm(LabsysForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me logged in on this computer"))
    next = HiddenField(validators=[Length(max=2000)])


class ChangePasswordForm(LabsysForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=128)]
    )
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            Length(max=128),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )


class LogoutForm(LabsysForm):
    """Logout is a POST with a CSRF token, so no other site can log a user out."""
