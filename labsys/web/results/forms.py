from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from labsys.web.forms import LabsysForm

MEASURED_MAX, UNIT_MAX = 60, 30  # characters of a typed result, of one unit's result
TOO_LONG = _l("At most %(max)d characters.")  # WTForms' Length fills in max


class ResultRowForm(Form):
    """One result row on an entry page or worksheet (no CSRF of its own).  The pages write
    the rows' inputs themselves (``results/_macros.html``, from ``views.RowInputs``); this
    form reads and validates them when they come back."""

    result_id = IntegerField(validators=[InputRequired()])
    version = IntegerField(validators=[InputRequired()])
    measured = StringField(
        _l("Result"), validators=[Optional(), Length(max=MEASURED_MAX, message=TOO_LONG)]
    )
    units = FieldList(
        StringField(
            _l("Unit result"), validators=[Optional(), Length(max=UNIT_MAX, message=TOO_LONG)]
        )
    )


class ResultEntryForm(LabsysForm):
    # Its row fields are stripped by the service (a list of subforms takes no filters).
    rows = FieldList(FormField(ResultRowForm))


class ReturnForm(LabsysForm):
    reason = TextAreaField(
        _l("Reason for returning"),
        validators=[
            DataRequired(message=_l("Give the reason for returning the result.")),
            Length(max=500),
        ],
    )


class CorrectionForm(LabsysForm):
    version = HiddenField(validators=[Length(max=12)])
    measured = StringField(_l("Corrected result"), validators=[Optional(), Length(max=60)])
    units = StringField(
        _l("Unit results (comma-separated)"), validators=[Optional(), Length(max=200)]
    )
    reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[
            DataRequired(message=_l("Give the reason for the correction.")),
            Length(max=500),
        ],
    )


class RetestForm(LabsysForm):
    reason = TextAreaField(
        _l("Reason for the retest"),
        validators=[DataRequired(message=_l("Give the reason for the retest.")), Length(max=500)],
    )


class ImportForm(LabsysForm):
    file = FileField(
        _l("Results file (CSV or XLSX)"),
        validators=[
            FileRequired(message=_l("Choose a file to upload.")),
            FileAllowed(["csv", "xlsx"], _l("Upload a .csv or .xlsx file.")),
        ],
    )


class ConfirmForm(LabsysForm):
    """A bare POST form: only the CSRF token."""


class ShownForm(LabsysForm):
    """Submit: the (result id, version) pairs shown on the page, as ``id:version``."""

    shown = SelectMultipleField(
        coerce=str,
        validate_choice=False,
        validators=[DataRequired(message=_l("There are no results on this page to act on."))],
    )

    def pairs(self) -> dict[int, int] | None:
        """result id → version shown, or None when a value is not ``id:version``."""
        pairs = {}
        for value in self.shown.data or []:
            result_id, _sep, version = str(value).partition(":")
            if not (result_id.isdigit() and version.isdigit()) or len(value) > 40:
                return None
            pairs[int(result_id)] = int(version)
        return pairs


class AcceptForm(ShownForm):
    """Accept: the pairs shown, and the reviewer's password (an electronic signature)."""

    password = PasswordField(
        _l("Your password (signature)"),
        validators=[DataRequired(message=_l("Enter your password to sign.")), Length(max=128)],
    )
