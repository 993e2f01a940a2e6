"""Uploading a file to a record, and withdrawing one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from labsys.web.forms import LabsysForm


class AttachmentForm(LabsysForm):
    kind = SelectField(_l("What it shows"), choices=[], validate_choice=False)
    file = FileField(_l("File (JPEG, PNG or PDF)"), validators=[
        FileRequired(message=_l("Choose a file to upload."))
    ])  # fmt: skip
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    next = HiddenField(validators=[Optional(), Length(max=300)])


class WithdrawForm(LabsysForm):
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Give the reason for withdrawing the file.")),
                    Length(max=500)],
    )  # fmt: skip
    next = HiddenField(validators=[Optional(), Length(max=300)])
