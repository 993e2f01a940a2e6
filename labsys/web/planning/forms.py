from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from labsys.models import InspectionType, Link
from labsys.web.forms import LabsysForm


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def inspection_type_choices():
    return InspectionType.choices()


def link_choices():
    return [("", _l("Any link")), *Link.choices()]


class PlanForm(LabsysForm):
    code = StringField(_l("Plan code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Plan name"), validators=[DataRequired(), Length(max=200)])
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    inspection_type = SelectField(_l("Inspection type"), choices=inspection_type_choices)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])


class QuotaForm(LabsysForm):
    """Choices for category and district are filled in by the view."""

    category_id = SelectField(_l("Food category"), coerce=int, validators=[InputRequired()])
    region_code = SelectField(_l("District"), validators=[Optional()])
    link = SelectField(_l("Sampling link"), choices=link_choices, validators=[Optional()])
    quota = IntegerField(_l("Quota (batches)"), validators=[InputRequired()])


class QuotaNumberForm(LabsysForm):
    quota = IntegerField(_l("Quota (batches)"), validators=[InputRequired()])


class TaskForm(LabsysForm):
    """Sampler and lab choices are filled in by the view."""

    name = StringField(_l("Task name"), validators=[DataRequired(), Length(max=200)])
    quota = IntegerField(_l("Batches to take"), validators=[InputRequired()])
    due_date = DateField(_l("Due date"), validators=[InputRequired()])
    sampler_ids = MultiCheckboxField(_l("Sampler team (at least two)"), coerce=int)
    lab_id = SelectField(_l("Testing lab"), coerce=int, validators=[Optional()])


class TaskEditForm(TaskForm):
    closed = BooleanField(_l("Closed (no more sampling under this task)"))
