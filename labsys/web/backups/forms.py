"""Forms of the backup register: where it is kept, its hand-over, its disposal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from labsys.web.forms import LabsysForm

REQUIRED_DATE = [DataRequired(message=_l("Enter a date (YYYY-MM-DD)."))]


class StoreForm(LabsysForm):
    location = StringField(
        _l("Kept at"),
        validators=[DataRequired(message=_l("Say where the backup is kept.")), Length(max=200)],
    )
    stored_on = DateField(_l("Put there on"), validators=REQUIRED_DATE)


class HandOverForm(LabsysForm):
    lab_id = SelectField(_l("Retest lab"), coerce=int)
    handed_over_on = DateField(_l("Handed over on"), validators=REQUIRED_DATE)
    seal_intact = BooleanField(_l("Seal checked and intact"))
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=500)])


class DisposeForm(LabsysForm):
    disposed_on = DateField(_l("Disposed of on"), validators=REQUIRED_DATE)
    method = StringField(
        _l("How"),
        validators=[
            DataRequired(message=_l("Say how the backup was disposed of.")),
            Length(max=200),
        ],
    )
