from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length

from labsys.web.forms import LabsysForm


class ConfirmForm(LabsysForm):
    """A bare POST form: only the CSRF token."""


class BulkIssueForm(LabsysForm):
    sample_ids = SelectMultipleField(
        _l("Samples"),
        coerce=int,
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose at least one sample."))],
    )


class CorrectionForm(LabsysForm):
    reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[
            DataRequired(message=_l("Give the reason for the correction.")),
            Length(max=1000),
        ],
    )
