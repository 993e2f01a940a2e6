from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from labsys.web.forms import LabsysForm


class ResultRowForm(Form):
    """One result row on an entry page or worksheet (no CSRF of its own)."""

    result_id = IntegerField(validators=[InputRequired()])
    version = IntegerField(validators=[InputRequired()])
    measured = StringField(_l("Result"), validators=[Optional(), Length(max=60)])
    units = FieldList(StringField(_l("Unit result"), validators=[Optional(), Length(max=30)]))


class ResultEntryForm(LabsysForm):
    rows = FieldList(FormField(ResultRowForm))

    class Meta:
        def bind_field(self, form, unbound_field, options):
            # A list of subforms takes no filters; its row fields are stripped by the service.
            if unbound_field.field_class in (FieldList, FormField):
                return unbound_field.bind(form=form, **options)
            return LabsysForm.Meta.bind_field(self, form, unbound_field, options)


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
