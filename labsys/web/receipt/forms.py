"""Forms of the lab's receipt desk."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from labsys.web.forms import LabsysForm


class ReceiveForm(LabsysForm):
    arrived_at = DateTimeLocalField(
        _l("Arrival time"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message=_l("Enter the arrival time."))],
    )
    seal_state = StringField(
        _l("Seal state"),
        default="完好",
        validators=[DataRequired(message=_l("Record the state of the seal.")), Length(max=40)],
    )
    condition = StringField(_l("Condition"), validators=[Optional(), Length(max=200)])
    temperature = StringField(_l("Temperature (°C)"), validators=[Optional(), Length(max=20)])


class RejectForm(ReceiveForm):
    reason = TextAreaField(
        _l("Reason for rejection"),
        validators=[
            DataRequired(message=_l("Give the reason for rejecting the sample.")),
            Length(max=500),
        ],
    )
