from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length

from labsys.web.forms import LabsysForm


class ConfirmForm(LabsysForm):
    """A bare POST form: only the CSRF token."""


def _signature_field():
    return PasswordField(
        _l("Your password (signature)"),
        validators=[DataRequired(message=_l("Enter your password to sign.")), Length(max=128)],
    )


class IssueForm(LabsysForm):
    """Issue one report: the approver's password (an electronic signature)."""

    password = _signature_field()


class BulkIssueForm(LabsysForm):
    sample_ids = SelectMultipleField(
        _l("Samples"),
        coerce=int,
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose at least one sample."))],
    )
    password = _signature_field()


class CorrectionForm(LabsysForm):
    reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[
            DataRequired(message=_l("Give the reason for the correction.")),
            Length(max=1000),
        ],
    )
    password = _signature_field()
