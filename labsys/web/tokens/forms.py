from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from labsys.services.api_tokens import DEFAULT_DAYS, MAX_DAYS
from labsys.web.forms import LabsysForm


def _scopes():
    return [("read", _l("Read only")), ("write", _l("Read and write (within your roles)"))]


class TokenForm(LabsysForm):
    name = StringField(_l("What it is for"), validators=[Optional(), Length(max=100)])
    scope = SelectField(
        _l("Scope"),
        choices=_scopes,
        default="read",
    )
    days = IntegerField(
        _l("Valid for (days)"),
        default=DEFAULT_DAYS,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_DAYS)],
    )


class RevokeForm(LabsysForm):
    pass
