"""Forms of the bench pages: the instrument register, item methods, assignment, the bench
record of one result, and the confirmation of an import that replaces values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from labsys.models import InstrumentStatus
from labsys.web.forms import LabsysForm


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


def _status_choices() -> list[SelectChoice]:
    return choices((s.value, s.title) for s in InstrumentStatus)


class InstrumentForm(LabsysForm):
    name = StringField(
        _l("Instrument name"),
        validators=[DataRequired(message=_l("Give the instrument's name.")), Length(max=100)],
    )
    model = StringField(_l("Model"), validators=[Optional(), Length(max=100)])
    asset_no = StringField(
        _l("Asset number"),
        validators=[
            DataRequired(message=_l("Give the instrument's asset number.")),
            Length(max=60),
        ],
    )
    serial_no = StringField(_l("Serial number"), validators=[Optional(), Length(max=100)])
    calibration_due = DateField(
        _l("Calibration due"),
        validators=[InputRequired(message=_l("Give the date the next calibration is due."))],
    )
    status = SelectField(_l("Status"), default="in_service")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])
    reason = StringField(_l("Reason for the change"), validators=[Optional(), Length(max=300)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = _status_choices()


class MethodForm(LabsysForm):
    method_standard = StringField(
        _l("Method (standard number)"),
        validators=[
            DataRequired(message=_l("Give the method's standard number.")),
            Length(max=120),
        ],
    )


class AssignForm(LabsysForm):
    technician = SelectField(_l("Technician"), coerce=int, validators=[InputRequired()])
    samples = TextAreaField(
        _l("Sample numbers (one per line or separated by commas)"),
        validators=[Optional(), Length(max=20_000)],
    )
    item = SelectField(_l("Test item"), coerce=int, default=0)


class RecordForm(LabsysForm):
    """One result with its bench record; "save and next" goes on through the worksheet."""

    version = HiddenField(validators=[InputRequired(), Length(max=9), Regexp(r"^\d{1,9}$")])
    measured = StringField(_l("Result"), validators=[Optional(), Length(max=60)])
    units = StringField(
        _l("Unit results (comma-separated)"), validators=[Optional(), Length(max=400)]
    )
    started_on = DateField(
        _l("Test started"),
        validators=[InputRequired(message=_l("Give the date the test started."))],
    )
    ended_on = DateField(
        _l("Test ended"), validators=[InputRequired(message=_l("Give the date the test ended."))]
    )
    method = SelectField(_l("Method used"), validators=[InputRequired()])
    instrument = SelectField(_l("Instrument"), coerce=int, default=0)
    raw_file = FileField(_l("Raw data file (instrument export)"))
    save = SubmitField(_l("Save"))
    save_next = SubmitField(_l("Save and next"))


class ImportConfirmForm(LabsysForm):
    token = HiddenField(validators=[InputRequired(), Length(max=32), Regexp(r"^[0-9a-f]{32}$")])
    fingerprint = HiddenField(
        validators=[InputRequired(), Length(max=64), Regexp(r"^[0-9a-f]{64}$")]
    )


class RunForm(LabsysForm):
    """A worksheet's run: when given, recorded on every row saved with it (prefix "run")."""

    class Meta:
        csrf = False  # part of the worksheet's form, which carries the token

    started_on = DateField(_l("Test started"), validators=[Optional()])
    ended_on = DateField(_l("Test ended"), validators=[Optional()])
    method = SelectField(_l("Method used"), default="")
    instrument = SelectField(_l("Instrument"), coerce=int, default=0)
    raw_file = FileField(_l("Raw data file (instrument export)"))
