"""Forms of the follow-up steps: one small form per step, shown only when the step is due.
No choice of outcome is pre-selected: every select that decides something starts empty."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from labsys.models import (
    Applicant,
    Conclusion,
    ObjectionEffect,
    ObjectionKind,
    RetestGround,
)
from labsys.web.forms import LabsysForm, NotInFuture


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


def with_blank(pairs) -> list[SelectChoice]:
    """The choices after an empty first one: nothing is decided until someone chooses."""
    return choices([("", "—"), *pairs])


REQUIRED_DATE = [DataRequired(message=_l("Enter a date (YYYY-MM-DD)."))]
# Every step records something that has happened: none of its dates is after today (the
# services refuse it too, for the API and the CLI).
PAST_DATE = [*REQUIRED_DATE, NotInFuture()]
TEXT = [Optional(), Length(max=2000)]


def _required_text(message) -> list:
    return [DataRequired(message=message), Length(max=2000)]


class NotifyForm(LabsysForm):
    notified_on = DateField(_l("Sampled unit received the conclusion on"), validators=PAST_DATE)


# --- retest (复检) -----------------------------------------------------------------------------


class RetestApplicationForm(LabsysForm):
    applicant = SelectField(
        _l("Applicant"), choices=lambda: with_blank(Applicant.choices()), validate_choice=False
    )
    applicant_name = StringField(
        _l("Applicant's name"),
        validators=[DataRequired(message=_l("Enter the applicant's name.")), Length(max=200)],
    )
    conclusion_received_on = DateField(
        _l("Applicant received the conclusion on"), validators=PAST_DATE
    )
    applied_on = DateField(_l("Retest applied for on"), validators=PAST_DATE)


class DecisionForm(LabsysForm):
    decided_on = DateField(_l("Decided on"), validators=PAST_DATE)


class RetestRefusalForm(LabsysForm):
    decided_on = DateField(_l("Decided on"), validators=PAST_DATE)
    ground = SelectField(
        _l("Art. 31 ground"), choices=lambda: with_blank(RetestGround.choices()),
        validate_choice=False,
    )  # fmt: skip
    note = TextAreaField(_l("Reason in writing"), validators=TEXT)


class LabChoiceForm(LabsysForm):
    chosen_on = DateField(_l("Retest lab drawn on"), validators=PAST_DATE)


class LabExtensionForm(LabsysForm):
    reason = TextAreaField(
        _l("Objective reason for the extension"),
        validators=_required_text(_l("Art. 32: give the objective reason for the extension.")),
    )


class HandoverForm(LabsysForm):
    received_on = DateField(_l("Retest lab received the backup on"), validators=PAST_DATE)
    seal = SelectField(
        _l("Package and seal"),
        choices=lambda: with_blank([("intact", _l("Intact")), ("broken", _l("Broken"))]),
        validate_choice=False,
    )
    seal_note = TextAreaField(_l("Seal check notes (photos, record)"), validators=TEXT)


class BackupUnusableForm(LabsysForm):
    on = DateField(_l("On"), validators=PAST_DATE)
    note = TextAreaField(
        _l("Why the backup cannot serve the retest"),
        validators=_required_text(_l("Art. 31(4): say why the backup cannot serve the retest.")),
    )


class RetestResultForm(LabsysForm):
    conclusion = SelectField(
        _l("Retest conclusion"),
        choices=lambda: with_blank(
            [
                (Conclusion.QUALIFIED.value, _l("Qualified")),
                (Conclusion.UNQUALIFIED.value, _l("Unqualified")),
            ]
        ),
        validate_choice=False,
    )
    result = TextAreaField(
        _l("Retest result"),
        validators=_required_text(_l("Describe the retest result.")),
    )
    reported_on = DateField(_l("Retest reported on"), validators=PAST_DATE)
    password = PasswordField(
        _l("Your password (signs the superseding report when a reported conclusion changes)"),
        validators=[Optional(), Length(max=128)],
    )


# --- objections (异议) -------------------------------------------------------------------------


class ObjectionForm(LabsysForm):
    kind = SelectField(
        _l("Objection about"), choices=lambda: with_blank(ObjectionKind.choices()),
        validate_choice=False,
    )  # fmt: skip
    applicant = SelectField(
        _l("Applicant"), choices=lambda: with_blank(Applicant.choices()), validate_choice=False
    )
    applicant_name = StringField(
        _l("Applicant's name"),
        validators=[DataRequired(message=_l("Enter the applicant's name.")), Length(max=200)],
    )
    grounds = TextAreaField(
        _l("Objection and evidence"),
        validators=_required_text(_l("Art. 37: state the objection and its evidence.")),
    )
    filed_on = DateField(_l("Filed on"), validators=PAST_DATE)


class ObjectionRefusalForm(LabsysForm):
    decided_on = DateField(_l("Decided on"), validators=PAST_DATE)
    note = TextAreaField(_l("Reason in writing"), validators=TEXT)


class ObjectionOutcomeForm(LabsysForm):
    outcome_on = DateField(_l("Review concluded on"), validators=PAST_DATE)
    note = TextAreaField(
        _l("Review conclusion"),
        validators=_required_text(_l("Art. 39: write the review's conclusion.")),
    )


class ObjectionUpholdForm(ObjectionOutcomeForm):
    effect = SelectField(
        _l("Effect on the conclusion"), choices=lambda: with_blank(ObjectionEffect.choices()),
        validate_choice=False,
    )  # fmt: skip
    password = PasswordField(
        _l("Your password (signs the corrected or withdrawn report)"),
        validators=[Optional(), Length(max=128)],
    )


# --- disposal (核查处置) -----------------------------------------------------------------------


class ConclusionReceivedForm(LabsysForm):
    received_on = DateField(_l("Regulator received the conclusion on"), validators=PAST_DATE)


class DisposalExtensionForm(LabsysForm):
    days = IntegerField(
        _l("Extension (days)"),
        validators=[DataRequired(message=_l("Enter a number of days.")), NumberRange(1, 365)],
    )
    approved_by = StringField(
        _l("Approved by (head of the regulator)"),
        validators=[DataRequired(message=_l("Enter who approved it.")), Length(max=100)],
    )
    approved_on = DateField(_l("Approved on"), validators=PAST_DATE)
    reason = TextAreaField(
        _l("Reason"), validators=_required_text(_l("Give the reason for the extension."))
    )


class MilestoneForm(LabsysForm):
    milestone = SelectField(
        _l("Milestone (national platform practice)"),
        choices=lambda: with_blank(
            [("first", _l("First milestone")), ("second", _l("Second milestone"))]
        ),
        validate_choice=False,
    )
    done_on = DateField(_l("Reached on"), validators=PAST_DATE)


class DisposalCompletionForm(LabsysForm):
    completed_on = DateField(_l("Completed on"), validators=PAST_DATE)
    removed_quantity = StringField(
        _l("Removed from sale (下架)"), validators=[Optional(), Length(max=30)]
    )
    sealed_quantity = StringField(_l("Sealed (封存)"), validators=[Optional(), Length(max=30)])
    recalled_quantity = StringField(_l("Recalled (召回)"), validators=[Optional(), Length(max=30)])
    quantity_unit = StringField(
        _l("Unit of the quantities"), validators=[Optional(), Length(max=20)]
    )
    cause = TextAreaField(
        _l("Cause of the failure"), validators=_required_text(_l("Enter the cause of the failure."))
    )
    corrections = TextAreaField(
        _l("Corrections"), validators=_required_text(_l("Enter the corrections made."))
    )
    case = SelectField(
        _l("Case filed (立案)"),
        choices=lambda: with_blank([("yes", _l("Yes")), ("no", _l("No"))]),
        validate_choice=False,
    )
    case_no = StringField(_l("Case number"), validators=[Optional(), Length(max=60)])
    penalty = TextAreaField(_l("Penalty"), validators=TEXT)
    penalty_amount = StringField(_l("Fine (yuan)"), validators=[Optional(), Length(max=30)])


# --- the list of retest labs -------------------------------------------------------------------


class RetestLabForm(LabsysForm):
    code = StringField(
        _l("Lab code"),
        validators=[DataRequired(message=_l("Enter the lab's code.")), Length(max=20)],
    )
    name = StringField(_l("Lab name (for a new lab)"), validators=[Optional(), Length(max=120)])
    note = StringField(_l("Note (qualification, scope)"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("On the list (drawn from)"), default=True)


class DeliveryExtensionForm(LabsysForm):
    workdays = IntegerField(
        _l("Extension (working days)"),
        validators=[InputRequired(message=_l("Enter the number of working days."))],
    )
    reason = TextAreaField(
        _l("Reason, and who at the regulator approved it"),
        validators=[DataRequired(message=_l("Give the reason.")), Length(max=300)],
    )
