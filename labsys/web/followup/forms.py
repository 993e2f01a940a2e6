"""Forms of the follow-up steps: one small form per step."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from labsys.models import Conclusion, ObjectionKind
from labsys.web.forms import LabsysForm


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


REQUIRED_DATE = [DataRequired(message=_l("Enter a date (YYYY-MM-DD)."))]


class NotifyForm(LabsysForm):
    notified_on = DateField(_l("Sampled unit received the conclusion on"), validators=REQUIRED_DATE)


class RetestRequestForm(LabsysForm):
    requested_on = DateField(_l("Retest requested on"), validators=REQUIRED_DATE)
    lab_id = SelectField(
        _l("Retest lab"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose the retest lab."))],
    )


class BackupReceivedForm(LabsysForm):
    received_on = DateField(_l("Retest lab received the backup on"), validators=REQUIRED_DATE)


class RetestResultForm(LabsysForm):
    conclusion = SelectField(
        _l("Retest conclusion"),
        choices=choices(
            [
                (Conclusion.QUALIFIED.value, _l("Qualified")),
                (Conclusion.UNQUALIFIED.value, _l("Unqualified")),
            ]
        ),
    )
    result = TextAreaField(
        _l("Retest result"),
        validators=[DataRequired(message=_l("Describe the retest result.")), Length(max=2000)],
    )
    reported_on = DateField(_l("Retest reported on"), validators=REQUIRED_DATE)


class ObjectionForm(LabsysForm):
    kind = SelectField(_l("Objection about"), choices=lambda: choices(ObjectionKind.choices()))
    filed_on = DateField(_l("Filed on"), validators=REQUIRED_DATE)
    outcome = TextAreaField(_l("Outcome"), validators=[Optional(), Length(max=2000)])


class DisposalStartForm(LabsysForm):
    started_on = DateField(_l("Disposal started on"), validators=REQUIRED_DATE)


class DisposalStepForm(LabsysForm):
    step = SelectField(
        _l("Step"),
        choices=choices(
            [
                ("first", _l("First milestone reached")),
                ("second", _l("Second milestone reached")),
                ("completed", _l("Disposal completed")),
            ]
        ),
    )
    done_on = DateField(_l("On"), validators=REQUIRED_DATE)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])


class DeliveryExtensionForm(LabsysForm):
    workdays = IntegerField(
        _l("Extension (working days)"),
        validators=[InputRequired(message=_l("Enter the number of working days."))],
    )
    reason = TextAreaField(
        _l("Reason, and who at the regulator approved it"),
        validators=[DataRequired(message=_l("Give the reason.")), Length(max=300)],
    )
