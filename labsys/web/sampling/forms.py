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

from labsys.models import (
    Link,
    OilProcess,
    Packaging,
    PhysicalState,
    SampleAttribute,
    SampleSource,
    SamplingMethod,
    StorageCondition,
)
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


def _choice(label, enum) -> SelectField:
    """A closed list of the national form; "" = not recorded (the service checks values)."""
    return SelectField(
        label,
        choices=lambda: [("", "—"), *enum.choices()],
        validators=[Optional()],
        validate_choice=False,
    )


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
    # The rest of the national form; the service validates and normalises each.
    product_standard = StringField(_l("Product standard"), validators=[Optional(), Length(max=200)])
    quality_grade = StringField(_l("Quality grade"), validators=[Optional(), Length(max=40)])
    licence_no = StringField(_l("Production licence (SC)"), validators=[Optional(), Length(max=30)])
    sample_source = _choice(_l("Sample source"), SampleSource)
    sample_attribute = _choice(_l("Sample attribute"), SampleAttribute)
    physical_state = _choice(_l("Physical state"), PhysicalState)
    packaging = _choice(_l("Packaging"), Packaging)
    storage_conditions = SelectMultipleField(
        _l("Storage conditions"),
        choices=StorageCondition.choices,
        validators=[Optional()],
        validate_choice=False,
    )
    sampling_method = _choice(_l("Sampling method"), SamplingMethod)
    unit_price = StringField(_l("Unit price (yuan)"), validators=[Optional(), Length(max=20)])
    purchase_cost = StringField(_l("Purchase cost (yuan)"), validators=[Optional(), Length(max=20)])
    purchase_date = DateField(_l("Purchase date (farm produce)"), validators=[Optional()])
    supplier = StringField(_l("Supplier (farm produce)"), validators=[Optional(), Length(max=200)])
    seal_checker = StringField(_l("Seal checked by"), validators=[Optional(), Length(max=60)])

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
        "product_standard",
        "quality_grade",
        "licence_no",
        "sample_source",
        "sample_attribute",
        "physical_state",
        "packaging",
        "sampling_method",
        "unit_price",
        "purchase_cost",
        "supplier",
        "seal_checker",
    )

    def is_blank(self) -> bool:
        return not any(
            getattr(self, name).data
            for name in (
                *self.TEXT_FIELDS,
                "category",
                "production_date",
                "producer",
                "purchase_date",
                "storage_conditions",
            )
        )


class BatchForm(SampleFieldsMixin, Form):
    """One row of the batch table (no CSRF token of its own: the visit form carries it)."""

    class Meta(LabsysForm.Meta):
        csrf = False


class VisitForm(LabsysForm):
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
    # Who organised the sampling and why (the national form's header).
    sampling_basis = StringField(_l("Sampling basis"), validators=[Optional(), Length(max=300)])
    organising_authority = StringField(
        _l("Organising authority"), validators=[Optional(), Length(max=200)]
    )
    task_source = StringField(_l("Task source"), validators=[Optional(), Length(max=200)])
    # 网络抽检: the order (Order No. 15 Art. 18).
    online_platform = StringField(_l("Platform"), validators=[Optional(), Length(max=100)])
    online_shop = StringField(_l("Shop name"), validators=[Optional(), Length(max=200)])
    online_shop_url = StringField(
        _l("Shop address (URL)"), validators=[Optional(), Length(max=500)]
    )
    online_order_no = StringField(_l("Order number"), validators=[Optional(), Length(max=100)])
    online_buyer_account = StringField(
        _l("Buyer account"), validators=[Optional(), Length(max=100)]
    )
    online_payment_account = StringField(
        _l("Payment account"), validators=[Optional(), Length(max=100)]
    )
    online_payment_amount = StringField(
        _l("Amount paid (yuan)"), validators=[Optional(), Length(max=20)]
    )
    delivery_address = StringField(_l("Delivery address"), validators=[Optional(), Length(max=300)])
    parcel_arrival_date = DateField(_l("Parcel arrived on"), validators=[Optional()])
    unboxing_record = TextAreaField(
        _l("Unboxing record"), validators=[Optional(), Length(max=2000)]
    )
    batches = FieldList(FormField(BatchForm), min_entries=BATCH_ROWS, max_entries=MAX_BATCHES)

    VISIT_FIELDS = (
        "sampling_basis",
        "organising_authority",
        "task_source",
        "online_platform",
        "online_shop",
        "online_shop_url",
        "online_order_no",
        "online_buyer_account",
        "online_payment_account",
        "online_payment_amount",
        "delivery_address",
        "unboxing_record",
    )


class ParcelForm(LabsysForm):
    """An online visit's parcel has arrived: its delivery clock starts."""

    parcel_arrival_date = DateField(
        _l("Parcel arrived on"),
        validators=[InputRequired(message=_l("Enter the day the parcel arrived."))],
    )
    unboxing_record = TextAreaField(
        _l("Unboxing record"), validators=[Optional(), Length(max=2000)]
    )


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
