"""Forms of the sampling form (抽样单): the visit header, its batch rows, edit and correction."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from labsys.models import Link, OilProcess
from labsys.models.correction import REASON_MAX
from labsys.models.sampling import REMARKS_MAX
from labsys.web.forms import LabsysForm

BATCH_ROWS = 5  # rows shown without JavaScript; the page script adds more
MAX_BATCHES = 100
# "name [#12]" (picked from a list) or "name [CODE]" (a category code).
_BRACKET_RE = re.compile(r"\[#?([^\[\]]+)\]\s*$")


def bracket_key(text: str | None) -> str | None:
    match = _BRACKET_RE.search(text or "")
    return match.group(1).strip() if match else None


def picked_label(name: str, key) -> str:
    return f"{name} [{key}]"


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class SampleFieldsMixin:
    """The fields of one batch, shared by the batch row and the edit/correction forms."""

    food_name = StringField(_l("Food name"), validators=[Optional(), Length(max=200)])
    category = StringField(_l("Food category (detailed)"), validators=[Optional(), Length(max=300)])
    brand = StringField(_l("Brand"), validators=[Optional(), Length(max=100)])
    specification = StringField(_l("Specification"), validators=[Optional(), Length(max=100)])
    production_date = DateField(_l("Production date"), validators=[Optional()])
    batch_no = StringField(_l("Batch number"), validators=[Optional(), Length(max=60)])
    shelf_life = StringField(_l("Shelf life"), validators=[Optional(), Length(max=40)])
    # Validated by the service (required for edible oils); "" = not an oil / not recorded.
    oil_process = SelectField(
        _l("Pressed / solvent-extracted"),
        choices=lambda: [("", "—"), *OilProcess.choices()],
        validators=[Optional()],
        validate_choice=False,
    )
    quantity = StringField(_l("Quantity"), validators=[Optional(), Length(max=30)])
    quantity_unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    backup_quantity = StringField(
        _l("Retest backup quantity"), validators=[Optional(), Length(max=30)]
    )
    sampling_base = StringField(_l("Sampling base"), validators=[Optional(), Length(max=60)])
    producer = StringField(_l("Labelled producer"), validators=[Optional(), Length(max=300)])
    remarks = StringField(_l("Remarks"), validators=[Optional(), Length(max=REMARKS_MAX)])

    TEXT_FIELDS = (
        "food_name",
        "brand",
        "specification",
        "batch_no",
        "shelf_life",
        "oil_process",
        "quantity",
        "quantity_unit",
        "backup_quantity",
        "sampling_base",
        "remarks",
    )

    def is_blank(self) -> bool:
        return not any(
            getattr(self, name).data
            for name in (*self.TEXT_FIELDS, "category", "production_date", "producer")
        )


class BatchForm(SampleFieldsMixin, Form):
    """One row of the batch table (no CSRF token of its own: the visit form carries it)."""

    class Meta(LabsysForm.Meta):
        csrf = False


class VisitForm(LabsysForm):
    class Meta(LabsysForm.Meta):
        def bind_field(self, form, unbound_field, options):
            # The batch list takes no filters; its rows strip their own fields.
            if issubclass(unbound_field.field_class, (FieldList, FormField)):
                return unbound_field.bind(form=form, **options)
            return LabsysForm.Meta.bind_field(self, form, unbound_field, options)

    sampled_unit = StringField(
        _l("Sampled unit"),
        validators=[DataRequired(message=_l("Choose the sampled unit.")), Length(max=300)],
    )
    sampling_date = DateField(
        _l("Sampling date"), validators=[InputRequired(message=_l("Enter the sampling date."))]
    )
    place = StringField(_l("Sampling place"), validators=[Optional(), Length(max=300)])
    link = SelectField(_l("Sampling link"), choices=Link.choices, default=Link.RETAIL.value)
    region_code = SelectField(_l("District"), choices=[], validate_choice=False)
    task_id = SelectField(_l("Sampling task"), choices=[], validate_choice=False)
    sampler_ids = MultiCheckboxField(
        _l("Sampling team (besides you)"), choices=[], coerce=int, validate_choice=False
    )
    batches = FieldList(FormField(BatchForm), min_entries=BATCH_ROWS, max_entries=MAX_BATCHES)


class SampleEditForm(SampleFieldsMixin, LabsysForm):
    version = HiddenField(validators=[Length(max=12)])


class SampleCorrectionForm(SampleEditForm):
    reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[
            DataRequired(message=_l("Give the reason for the correction.")),
            Length(max=REASON_MAX),
        ],
    )


class VisitCorrectionForm(VisitForm):
    """The visit's own fields (the new-form's, without the batch table), a reason and the
    version read: every field of the sampling form's header is correctable."""

    batches = None  # type: ignore[assignment]
    version = HiddenField(validators=[Length(max=12)])
    reason = TextAreaField(
        _l("Reason for the correction"), validators=[Optional(), Length(max=REASON_MAX)]
    )


class VoidForm(LabsysForm):
    """作废: a batch or a whole form, with a reason."""

    version = HiddenField(validators=[Length(max=12)])
    reason = TextAreaField(
        _l("Reason for voiding"),
        validators=[
            DataRequired(message=_l("Give the reason for voiding.")),
            Length(max=REASON_MAX),
        ],
    )
