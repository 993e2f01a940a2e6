"""What the API reads and answers (marshmallow; the OpenAPI document is made from these).

Inputs refuse what the database cannot store (as the forms do, ``labsys.web.inputs``):
NUL characters, integers beyond INTEGER, dates outside 1900–2099.  Everything else is
checked by the services, exactly as for the pages.
"""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate

from labsys.models import Conclusion, Link, ResultStatus, SampleStatus, VerdictValue
from labsys.models.api import SCOPES
from labsys.models.correction import REASON_MAX
from labsys.models.enums import (
    InspectionType,
    Packaging,
    PhysicalState,
    SampleAttribute,
    SampleSource,
    SamplingMethod,
    StorageCondition,
)
from labsys.models.report import ReportStatus
from labsys.web.inputs import INT_MAX


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("This field contains a NUL character; remove it.")


def Text(max_length: int = 200, **kwargs) -> fields.String:  # noqa: N802 - a field factory
    return fields.String(validate=[validate.Length(max=max_length), _no_nul], **kwargs)


def Id(**kwargs) -> fields.Integer:  # noqa: N802
    """An id in a JSON body: a JSON integer within INTEGER."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=INT_MAX), **kwargs)


def QueryId(**kwargs) -> fields.Integer:  # noqa: N802
    """An id in the query string (text there), within INTEGER."""
    return fields.Integer(validate=validate.Range(min=1, max=INT_MAX), **kwargs)


def Day(**kwargs) -> fields.Date:  # noqa: N802
    return fields.Date(
        validate=validate.Range(min=date(1900, 1, 1), max=date(2099, 12, 31)), **kwargs
    )


def Nullable(field: fields.Field) -> fields.Field:  # noqa: N802
    field.allow_none = True
    return field


class Strict(Schema):
    class Meta:
        ordered = True


# --- pages ------------------------------------------------------------------------------------


class PageArgs(Strict):
    after = QueryId(metadata={"description": "the last id of the previous page (keyset paging)"})
    limit = fields.Integer(strict=False, validate=validate.Range(min=1, max=200), load_default=50)


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    return type(
        name,
        (Strict,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next_after": fields.Integer(
                allow_none=True,
                required=True,
                metadata={"description": "pass as ?after= for the next page; null at the end"},
            ),
        },
    )


# --- tokens -----------------------------------------------------------------------------------


class Me(Strict):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))
    token_expires_at = fields.DateTime(required=True)


# --- enterprises --------------------------------------------------------------------------------


class Enterprise(Strict):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    address = fields.String(required=True)
    region_code = fields.String(allow_none=True, required=True)
    uscc = fields.String(allow_none=True, required=True)
    licence_no = fields.String(required=True)
    risk_grade = fields.Function(
        lambda e: e.risk_grade.value if e.risk_grade else None,
        allow_none=True,
        required=True,
        metadata={"type": "string"},
    )
    phone = fields.String(required=True)
    contact = fields.String(required=True)
    version = fields.Integer(attribute="version_id", required=True)


class EnterpriseSearchArgs(Strict):
    q = Text(100, load_default="", metadata={"description": "name, USCC or licence number"})
    limit = fields.Integer(validate=validate.Range(min=1, max=100), load_default=20)


class EnterpriseIn(Strict):
    name = Text(200, required=True)
    address = Text(300, load_default="")
    region_code = Nullable(Text(12, load_default=None))
    region_name = Nullable(Text(100, load_default=None))
    uscc = Nullable(Text(30, load_default=None))
    licence_no = Text(60, load_default="")
    phone = Text(40, load_default="")
    contact = Text(60, load_default="")


# --- catalog ----------------------------------------------------------------------------------


class Category(Strict):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    level = fields.Integer(required=True)
    parent_id = fields.Integer(allow_none=True, required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    is_key_food = fields.Boolean(required=True)


class CategoryArgs(Strict):
    parent = QueryId(metadata={"description": "children of this category (top level without)"})
    q = Text(100, metadata={"description": "search by name or code instead"})


class Specification(Strict):
    id = fields.Integer(required=True)
    test_item_id = fields.Integer(required=True)
    item_name = fields.String(attribute="test_item.name_zh", required=True)
    limit_text = fields.String(required=True)
    unit = fields.String(required=True)
    method_standard = fields.String(required=True)
    judgement_basis = fields.String(required=True)
    lod = fields.String(allow_none=True, required=True)
    loq = fields.String(allow_none=True, required=True)
    effective_from = fields.Date(required=True)
    oil_process = fields.String(required=True)


class SpecificationArgs(Strict):
    on = Day(metadata={"description": "the day the specification applies (default today)"})


# --- plans and tasks --------------------------------------------------------------------------


class Plan(Strict):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    year = fields.Integer(required=True)
    inspection_type = fields.Enum(InspectionType, by_value=True, required=True)


class Task(Strict):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    plan_id = fields.Integer(required=True)
    name = fields.String(required=True)
    category_id = fields.Integer(allow_none=True, required=True)
    region_code = fields.String(allow_none=True, required=True)
    quota = fields.Integer(required=True)
    due_date = fields.Date(required=True)
    closed = fields.Boolean(required=True)
    sampler_ids = fields.Function(
        lambda t: [link.user_id for link in t.sampler_links],
        required=True,
        metadata={"type": "array", "items": {"type": "integer"}},
    )


# --- visits and samples -------------------------------------------------------------------------


MONEY = {"description": 'yuan as decimal text, at most 2 decimals, e.g. "25.50"'}
STANDARD = {"description": "执行标准, e.g. GB/T 1355-2021 (several separated by 、)"}
LICENCE = {"description": "生产许可证编号: SC and 14 digits"}
PURCHASE_DATE = {"description": "食用农产品: 购进日期 (not after the sampling date)"}
SUPPLIER = {"description": "食用农产品: 供货者"}
ONLINE = {"description": "online sampling (link online) only, and required then"}
STORAGE = [c.value for c in StorageCondition]


def _choice(enum, **kwargs) -> fields.Field:
    """A closed list of the national form (the enum's values; "" or null: not given)."""
    return Nullable(
        fields.String(
            validate=validate.OneOf(["", *(m.value for m in enum)]),
            metadata={"enum": ["", *(m.value for m in enum), None]},
            **kwargs,
        )
    )


def _storage(**kwargs) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(STORAGE)),
        validate=validate.Length(max=len(STORAGE)),
        metadata={"description": "储存条件, several allowed: " + ", ".join(STORAGE)},
        **kwargs,
    )


class BatchIn(Strict):
    food_name = Text(200, required=True)
    category_id = Nullable(Id(load_default=None))
    brand = Text(100, load_default="")
    specification = Text(100, load_default="")
    production_date = Nullable(Day(load_default=None))
    batch_no = Text(60, load_default="")
    shelf_life = Text(40, load_default="")
    oil_process = Text(20, load_default="")
    quantity = Text(20, load_default="")
    quantity_unit = Text(20, load_default="")
    backup_quantity = Text(20, load_default="")
    sampling_base = Text(60, load_default="")
    producer_id = Nullable(Id(load_default=None))
    remarks = Text(1000, load_default="")
    # The rest of the national 抽样单, validated by the service as on the page (the standard
    # number's form, the SC licence, the money, the purchase date); each may be left out.
    product_standard = Text(200, load_default="", metadata=STANDARD)
    quality_grade = Text(40, load_default="")
    licence_no = Text(40, load_default="", metadata=LICENCE)
    sample_source = _choice(SampleSource, load_default=None)
    sample_attribute = _choice(SampleAttribute, load_default=None)
    physical_state = _choice(PhysicalState, load_default=None)
    packaging = _choice(Packaging, load_default=None)
    storage_conditions = _storage(load_default=list)
    sampling_method = _choice(SamplingMethod, load_default=None)
    unit_price = Nullable(Text(20, load_default=None, metadata=MONEY))
    purchase_cost = Nullable(Text(20, load_default=None, metadata=MONEY))
    purchase_date = Nullable(Day(load_default=None, metadata=PURCHASE_DATE))
    supplier = Text(200, load_default="", metadata=SUPPLIER)
    seal_checker = Text(60, load_default="", metadata={"description": "检查封样人员"})


class SampleChangeIn(Strict):
    """Only the fields sent change.  Before receipt an edit by the sampling team; after it a
    correction, which needs a ``reason`` (the category cannot change then)."""

    food_name = Text(200)
    category_id = Id()
    brand = Text(100)
    specification = Text(100)
    production_date = Nullable(Day())
    batch_no = Text(60)
    shelf_life = Text(40)
    oil_process = Text(20)
    quantity = Text(20)
    quantity_unit = Text(20)
    backup_quantity = Text(20)
    sampling_base = Text(60)
    producer_id = Nullable(Id())
    remarks = Text(1000)
    product_standard = Text(200, metadata=STANDARD)
    quality_grade = Text(40)
    licence_no = Text(40, metadata=LICENCE)
    sample_source = _choice(SampleSource)
    sample_attribute = _choice(SampleAttribute)
    physical_state = _choice(PhysicalState)
    packaging = _choice(Packaging)
    storage_conditions = _storage()
    sampling_method = _choice(SamplingMethod)
    unit_price = Nullable(Text(20, metadata=MONEY))
    purchase_cost = Nullable(Text(20, metadata=MONEY))
    purchase_date = Nullable(Day(metadata=PURCHASE_DATE))
    supplier = Text(200, metadata=SUPPLIER)
    seal_checker = Text(60, metadata={"description": "检查封样人员"})
    reason = Text(500)


class VisitIn(Strict):
    sampled_unit_id = Id(required=True)
    sampling_date = Day(required=True)
    place = Text(300, load_default="")
    link = fields.Enum(Link, by_value=True, required=True)
    region_code = Nullable(Text(12, load_default=None))
    task_id = Nullable(Id(load_default=None))
    sampler_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=20))
    sampling_basis = Text(
        300,
        load_default="",
        metadata={"description": "抽样依据 (empty: the lab's setting is printed)"},
    )
    organising_authority = Text(200, load_default="", metadata={"description": "组织机构"})
    task_source = Text(
        200, load_default="", metadata={"description": "任务来源 (empty: the task's plan)"}
    )
    # 网络抽检 (link "online"), Order No. 15 Art. 18 (verify): required when online,
    # refused otherwise, as on the page.
    online_platform = Text(100, load_default="", metadata=ONLINE)
    online_shop = Text(200, load_default="", metadata=ONLINE)
    online_shop_url = Text(500, load_default="", metadata={"description": "https://…"})
    online_order_no = Text(100, load_default="", metadata=ONLINE)
    online_buyer_account = Text(100, load_default="", metadata=ONLINE)
    online_payment_account = Text(100, load_default="", metadata=ONLINE)
    online_payment_amount = Nullable(Text(20, load_default=None, metadata=MONEY))
    delivery_address = Text(300, load_default="", metadata=ONLINE)
    parcel_arrival_date = Nullable(
        Day(
            load_default=None,
            metadata={"description": "online only: the delivery clock starts on this day"},
        )
    )
    unboxing_record = Nullable(Text(2000, load_default=None))
    batches = fields.List(
        fields.Nested(BatchIn), required=True, validate=validate.Length(min=1, max=50)
    )


class VisitChangeIn(Strict):
    """Only the fields sent change (the visit's, copied onto its batches).  While nothing is
    received the sampling team corrects at once; after receipt it is a correction request
    that needs a ``reason`` and a second person's approval.  The parcel's arrival of an
    online visit, once recorded, is corrected here too."""

    sampled_unit_id = Id()
    sampling_date = Day()
    place = Text(300)
    link = fields.Enum(Link, by_value=True)
    region_code = Nullable(Text(12))
    task_id = Nullable(Id())
    sampler_ids = fields.List(Id(), validate=validate.Length(max=20))
    sampling_basis = Text(300)
    organising_authority = Text(200)
    task_source = Text(200)
    online_platform = Text(100, metadata=ONLINE)
    online_shop = Text(200, metadata=ONLINE)
    online_shop_url = Text(500)
    online_order_no = Text(100, metadata=ONLINE)
    online_buyer_account = Text(100, metadata=ONLINE)
    online_payment_account = Text(100, metadata=ONLINE)
    online_payment_amount = Nullable(Text(20, metadata=MONEY))
    delivery_address = Text(300, metadata=ONLINE)
    parcel_arrival_date = Nullable(Day())
    unboxing_record = Nullable(Text(2000))
    reason = Text(REASON_MAX)


class CorrectionRequestOut(Strict):
    """A correction or voiding of a received sample or form: it waits for a reviewer's or
    supervisor's approval (on the corrections page) before it changes anything."""

    id = fields.Integer(required=True)
    status = fields.String(required=True)
    action = fields.String(
        required=True, metadata={"description": '"correct" or "void"', "enum": ["correct", "void"]}
    )
    visit_id = fields.Integer(required=True)
    sample_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null for a whole form"}
    )
    reason = fields.String(required=True)


class VoidIn(Strict):
    """作废, with the reason (required, as on the page)."""

    reason = Text(REASON_MAX, required=True)


class SampleOut(Strict):
    id = fields.Integer(required=True)
    sample_no = fields.String(required=True)
    visit_id = fields.Integer(required=True)
    status = fields.Enum(SampleStatus, by_value=True, required=True)
    food_name = fields.String(required=True)
    category_id = fields.Integer(required=True)
    brand = fields.String(required=True)
    specification = fields.String(required=True)
    production_date = fields.Date(allow_none=True, required=True)
    batch_no = fields.String(required=True)
    sampling_date = fields.Date(required=True)
    region_code = fields.String(allow_none=True, required=True)
    link = fields.Enum(Link, by_value=True, required=True)
    task_id = fields.Integer(allow_none=True, required=True)
    plan_id = fields.Integer(allow_none=True, required=True)
    received_at = fields.DateTime(allow_none=True, required=True)
    conclusion = fields.Enum(Conclusion, by_value=True, allow_none=True, required=True)
    due_delivery = fields.Date(allow_none=True, required=True)
    due_report = fields.Date(allow_none=True, required=True)
    shelf_life = fields.String(required=True)
    quantity = fields.String(required=True)
    quantity_unit = fields.String(required=True)
    product_standard = fields.String(required=True)
    quality_grade = fields.String(required=True)
    licence_no = fields.String(required=True)
    sample_source = fields.Enum(SampleSource, by_value=True, allow_none=True, required=True)
    sample_attribute = fields.Enum(SampleAttribute, by_value=True, allow_none=True, required=True)
    physical_state = fields.Enum(PhysicalState, by_value=True, allow_none=True, required=True)
    packaging = fields.Enum(Packaging, by_value=True, allow_none=True, required=True)
    storage_conditions = fields.Function(
        lambda sample: [v for v in (sample.storage_conditions or "").split(",") if v],
        required=True,
        metadata={"type": "array", "items": {"type": "string", "enum": STORAGE}},
    )
    sampling_method = fields.Enum(SamplingMethod, by_value=True, allow_none=True, required=True)
    unit_price = fields.String(allow_none=True, required=True)
    purchase_cost = fields.String(allow_none=True, required=True)
    purchase_date = fields.Date(allow_none=True, required=True)
    supplier = fields.String(required=True)
    seal_checker = fields.String(required=True)
    version = fields.Integer(attribute="version_id", required=True)


class VisitOut(Strict):
    id = fields.Integer(required=True)
    sampled_unit_id = fields.Integer(required=True)
    sampling_date = fields.Date(required=True)
    place = fields.String(required=True)
    link = fields.Enum(Link, by_value=True, required=True)
    region_code = fields.String(allow_none=True, required=True)
    task_id = fields.Integer(allow_none=True, required=True)
    voided_at = fields.DateTime(allow_none=True, required=True)
    void_reason = fields.String(allow_none=True, required=True)
    sampling_basis = fields.String(required=True)
    organising_authority = fields.String(required=True)
    task_source = fields.String(required=True)
    online_platform = fields.String(required=True)
    online_shop = fields.String(required=True)
    online_shop_url = fields.String(required=True)
    online_order_no = fields.String(required=True)
    online_buyer_account = fields.String(required=True)
    online_payment_account = fields.String(required=True)
    online_payment_amount = fields.String(allow_none=True, required=True)
    delivery_address = fields.String(required=True)
    parcel_arrival_date = fields.Date(allow_none=True, required=True)
    unboxing_record = fields.String(allow_none=True, required=True)
    version = fields.Integer(attribute="version_id", required=True)
    samples = fields.List(fields.Nested(SampleOut), required=True)


class SampleArgs(PageArgs):
    q = Text(
        100,
        metadata={
            "description": "the food name contains it (ASCII case ignored; % and _ are plain "
            "characters), or the sample number starts with it"
        },
    )
    status = fields.Enum(SampleStatus, by_value=True)
    region_code = Text(12)
    date_from = Day()
    date_to = Day()
    conclusion = fields.Enum(Conclusion, by_value=True)


class ReceiveIn(Strict):
    arrived_at = Nullable(
        fields.AwareDateTime(
            load_default=None,
            metadata={"description": "when the sample reached the lab (default now)"},
        )
    )
    seal_state = Text(40, required=True)
    condition = Text(200, load_default="")
    temperature = Nullable(Text(20, load_default=None))


# --- results ----------------------------------------------------------------------------------


class ResultOut(Strict):
    id = fields.Integer(required=True)
    sample_id = fields.Integer(required=True)
    seq = fields.Integer(required=True)
    item_name = fields.String(required=True)
    unit = fields.String(required=True)
    limit_text = fields.String(required=True)
    method_standard = fields.String(required=True)
    lod = fields.String(allow_none=True, required=True)
    is_colony_count = fields.Boolean(required=True)
    measured_text = fields.String(allow_none=True, required=True)
    reported_text = fields.String(allow_none=True, required=True)
    verdict = fields.Enum(VerdictValue, by_value=True, allow_none=True, required=True)
    status = fields.Enum(ResultStatus, by_value=True, required=True)
    return_reason = fields.String(allow_none=True, required=True)
    version = fields.Integer(attribute="version_id", required=True)


class ResultsOut(Strict):
    items = fields.List(fields.Nested(ResultOut), required=True)


class EntryIn(Strict):
    value = Nullable(Text(100, load_default=None, metadata={"description": "the value as read"}))
    unit_values = Nullable(
        fields.List(Text(40), load_default=None, validate=validate.Length(max=20))
    )
    lod = Nullable(Text(40, load_default=None))


PASSWORD_HELP = (
    "the signer's password, re-entered: accepting results (审核) and issuing a report (批准) "
    "are electronic signatures (services.esign), through the API as on the pages"
)


class ReviewIn(Strict):
    accept = fields.Boolean(required=True)
    reason = Nullable(Text(500, load_default=None))
    password = Text(128, load_only=True, metadata={"description": PASSWORD_HELP, "writeOnly": True})


class SeenResult(Strict):
    id = Id(required=True)
    version = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=INT_MAX),
        metadata={"description": "the version read (`version`, or the ETag's number)"},
    )


class SubmitIn(Strict):
    results = fields.List(
        fields.Nested(SeenResult),
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={
            "description": "every result to submit as read (`GET /samples/{id}/results`): "
            "its id and version; refused with 409 when any changed since (issue 18 §1)"
        },
    )


class CountOut(Strict):
    count = fields.Integer(required=True)


class ImportIn(Strict):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImportOut(Strict):
    rows = fields.Integer(required=True)
    samples = fields.Integer(required=True)
    verdicts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


# --- reports ----------------------------------------------------------------------------------


class ReportOut(Strict):
    id = fields.Integer(required=True)
    report_no = fields.String(required=True)
    sample_id = fields.Integer(required=True)
    status = fields.Enum(ReportStatus, by_value=True, required=True)
    food_name = fields.String(required=True)
    sampled_unit_name = fields.String(required=True)
    conclusion = fields.Enum(Conclusion, by_value=True, required=True)
    issued_at = fields.DateTime(required=True)
    sha256 = fields.String(required=True)
    replaces_id = fields.Integer(allow_none=True, required=True)
    superseded_by_id = fields.Integer(allow_none=True, required=True)


class ReportIn(Strict):
    sample_id = Id(required=True)
    password = Text(
        128,
        required=True,
        load_only=True,
        metadata={"description": PASSWORD_HELP, "writeOnly": True},
    )
    confirm_signature = fields.Boolean(
        required=True,
        metadata={
            "description": "true: I approve and sign this report (the API's signature "
            "confirmation; the token must have the write scope)"
        },
    )


class ReportArgs(PageArgs):
    sample_id = QueryId()


class VerifyOut(Strict):
    valid = fields.Boolean(required=True)
    report_no = fields.String(required=True)
    status = fields.Enum(ReportStatus, by_value=True, required=True)
    sha256 = fields.String(required=True)
    issued_at = fields.DateTime(required=True)
    superseded_by = fields.String(allow_none=True, required=True)
    replaced_by = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "the report issued in its place (a correction, or the new report "
            "after a withdrawal), as the verify page names it; null while valid or if none"
        },
    )


class VerifyIn(Strict):
    file = fields.Raw(metadata={"type": "string", "format": "binary"})


# --- stats, follow-up, deadlines, exports -----------------------------------------------------------


class StatsArgs(Strict):
    by = Text(20, load_default="category")
    level = fields.Integer(validate=validate.Range(min=1, max=4), load_default=1)
    key_foods = fields.Boolean(load_default=False)
    from_ = Day(data_key="from")
    to = Day()
    plan = QueryId()
    task = QueryId()
    parent = QueryId()


class FollowUpOut(Strict):
    id = fields.Integer(required=True)
    sample_id = fields.Integer(required=True)
    sample_no = fields.String(required=True)
    status = fields.String(required=True)
    opened_at = fields.DateTime(required=True)


class DeadlineOut(Strict):
    kind = fields.String(required=True)
    due = fields.Date(required=True)
    sample_id = fields.Integer(allow_none=True, required=True)
    sample_no = fields.String(allow_none=True, required=True)
    overdue = fields.Boolean(required=True)


class ExportArgs(Strict):
    from_ = Day(data_key="from")
    to = Day()
    plan = QueryId()
    task = QueryId()


# --- risk grades ------------------------------------------------------------------------------


class GradeArgs(Strict):
    grade = fields.String(
        validate=validate.OneOf(["A", "B", "C", "D"]),
        load_default=None,
        metadata={"description": "only this grade"},
    )
    region = Text(12, load_default="", metadata={"description": "only this district"})
    limit = fields.Integer(validate=validate.Range(min=1, max=1000), load_default=100)


class Grade(Strict):
    enterprise_id = fields.Integer(required=True)
    name = fields.String(required=True)
    region_code = fields.String(allow_none=True, required=True)
    grade = fields.String(
        required=True, metadata={"description": "A (low risk) … D (high), by today's rules"}
    )
    recorded = fields.String(
        allow_none=True, required=True, metadata={"description": "the grade last recorded"}
    )
    score = fields.String(required=True, metadata={"description": "a decimal number"})
    reason = fields.String(required=True, metadata={"description": "why, in words"})
