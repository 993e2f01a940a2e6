"""Sampling forms (抽样单): visits with their batches, sample numbers, edits and corrections.

Shelf life.  ``shelf_life`` is kept as printed ("12个月", "180天", "6 months") and parsed to
``shelf_life_days`` with a month counted as 30 days and a year as 365.  A shelf life that
cannot be read, or is zero or negative, is an error.  A product already past its shelf life
on the sampling date is *not* refused: regulators sample expired goods precisely because
selling them is a violation.  It is kept, and :func:`expiry_warning` names the problem on
the confirmation message and the sample's page.

Sample numbers.  ``SAMPLE_NO_PATTERN`` (a ``str.format`` pattern) builds each number from:
``{prefix}`` (``SAMPLE_NO_PREFIX``), ``{year}`` (4 digits, sampling year), ``{yy}`` (2 digits),
``{region}`` (the district code, ``000000`` when none), ``{lab}`` (the lab code) and
``{serial}`` (the counter, e.g. ``{serial:05d}``).  The counter runs per year and district
(sequence ``sample:<year>:<region>``), so a pattern must contain year, region and serial to
stay unique; the unique constraint on ``samples.sample_no`` refuses a duplicate anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from labsys.core import clock
from labsys.core.form_fields import (
    licence_problem,
    normalize_licence,
    normalize_standards,
    parse_money,
    split_standards,
    standard_problem,
)
from labsys.models import (
    Enterprise,
    FoodCategory,
    InspectionType,
    Lab,
    Link,
    OilProcess,
    Packaging,
    PhysicalState,
    Region,
    Role,
    Sample,
    SampleAttribute,
    SampleSource,
    SampleStatus,
    SamplingMethod,
    SamplingVisit,
    StorageCondition,
    Task,
    TaskSampler,
    User,
    VisitSampler,
)
from labsys.models.sampling import REMARKS_MAX
from labsys.services import (
    ConflictError,
    PermissionDenied,
    ServiceError,
    attachments,
    audit,
    lifecycle,
    numbering,
    objections,
    periods,
    reference,
)
from labsys.services import calendar as workcal
from labsys.services.access import writes
from labsys.services.sample_lock import lock_samples

# Defaults of the settings of the same name (services.periods, with their articles).
DELIVERY_WORKDAYS = 5
REPORT_WORKDAYS = 20
DUE_SOON_WORKDAYS = 3
MIN_TEAM = 2
NO_REGION = "000000"

# Fields of a batch (one Sample) the sampler fills in, in form order.
BATCH_FIELDS = (
    "food_name",
    "category_id",
    "brand",
    "specification",
    "production_date",
    "batch_no",
    "shelf_life",
    "oil_process",
    "quantity",
    "quantity_unit",
    "backup_quantity",
    "sampling_base",
    "producer_id",
    "remarks",
    # The rest of the national form.
    "product_standard",
    "quality_grade",
    "licence_no",
    "sample_source",
    "sample_attribute",
    "physical_state",
    "packaging",
    "storage_conditions",
    "sampling_method",
    "unit_price",
    "purchase_cost",
    "purchase_date",
    "supplier",
    "seal_checker",
)
# The form's closed lists: field -> enum (storage_conditions takes several values).
BATCH_CHOICES = {
    "sample_source": SampleSource,
    "sample_attribute": SampleAttribute,
    "physical_state": PhysicalState,
    "packaging": Packaging,
    "sampling_method": SamplingMethod,
}
# Fields of the visit (one sampling form's header), besides unit, date, place, link, team.
VISIT_TEXT_LIMITS = {
    "sampling_basis": 300,
    "organising_authority": 200,
    "task_source": 200,
    "online_platform": 100,
    "online_shop": 200,
    "online_shop_url": 500,
    "online_order_no": 100,
    "online_buyer_account": 100,
    "online_payment_account": 100,
    "delivery_address": 300,
    "unboxing_record": 2000,
}
# What Order No. 15 Art. 18 has the buyer record for an online sample *(verify: its text
# not found in the pages corpus, 2026-11)*.
ONLINE_REQUIRED = (
    "online_platform",
    "online_shop",
    "online_order_no",
    "online_buyer_account",
    "online_payment_account",
    "delivery_address",
)
# The screenshots an online visit should carry (checked on its page, not at saving: files
# are attached after the form is saved).
ONLINE_EVIDENCE = ("online_shop", "online_order", "online_payment", "unboxing")
_URL_RE = re.compile(r"^https?://[^\s/$.?#<>\"']+\.[^\s<>\"']+$", re.IGNORECASE)
_TEXT_LIMITS = {
    "food_name": 200,
    "brand": 100,
    "specification": 100,
    "batch_no": 60,
    "shelf_life": 40,
    "quantity_unit": 20,
    "sampling_base": 60,
    "remarks": REMARKS_MAX,
    "product_standard": 200,
    "quality_grade": 40,
    "licence_no": 20,
    "unit_price": 20,
    "purchase_cost": 20,
    "supplier": 200,
    "seal_checker": 60,
}
# Longer than any food keeps (100 years): a typo such as 999999999年, refused.
MAX_SHELF_LIFE_DAYS = 36500

_DAYS_PER_UNIT = {
    "天": 1,
    "日": 1,
    "d": 1,
    "day": 1,
    "days": 1,
    "周": 7,
    "星期": 7,
    "w": 7,
    "week": 7,
    "weeks": 7,
    "月": 30,
    "个月": 30,
    "m": 30,
    "month": 30,
    "months": 30,
    "年": 365,
    "y": 365,
    "year": 365,
    "years": 365,
}
_SHELF_LIFE_RE = re.compile(
    r"(-?\d+(?:\.\d+)?)\s*(个月|星期|天|日|周|月|年|days?|weeks?|months?|years?|[dwmy])(?![a-z])",
    re.IGNORECASE,
)


class ValidationErrors(ServiceError):
    """Several field errors at once: ``errors`` is a list of (field, message).

    ``field`` names the form field: ``batches-<index>-<name>`` for a batch row (index from 0)
    or the visit field's name.  ``message`` is the first error, for callers that show one.
    """

    def __init__(self, errors: list[tuple[str | None, str]]):
        super().__init__(errors[0][1], field=errors[0][0])
        self.errors = errors


# --- Pure rules ---------------------------------------------------------------------------


def shelf_life_days(text: str | None) -> int | None:
    """Days of a printed shelf life: "12个月" → 360, "180天" → 180, "6 months" → 180.

    None for an empty text; ``ValueError`` when no number with a unit can be read.
    A month counts 30 days, a year 365, a week 7.
    """
    text = (text or "").strip()
    if not text:
        return None
    match = _SHELF_LIFE_RE.search(text)
    if match is None:
        raise ValueError(text)
    number = Decimal(match.group(1))
    days = number * _DAYS_PER_UNIT[match.group(2).lower()]
    return int(days.to_integral_value())


def parse_positive_decimal(text: str | None) -> Decimal | None:
    """The Decimal in ``text`` if it is a positive number; None otherwise (empty or bad)."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def expiry_warning(sample: Sample) -> str | None:
    """A warning when the product was past its shelf life on the sampling date."""
    if not (sample.production_date and sample.shelf_life_days):
        return None
    expires = sample.production_date + timedelta(days=sample.shelf_life_days)
    if expires < sample.sampling_date:
        return _(
            "%(no)s: past its shelf life on the sampling date (expired %(day)s).",
            no=sample.sample_no,
            day=expires.isoformat(),
        )
    return None


def farm_produce_warning(session: Session, sample: Sample) -> str | None:
    """A reminder when a 食用农产品 batch bought from someone lacks 购进日期 or 供货者.

    The national form has both in its 食用农产品 section (for tracing produce back to whoever
    sold it).  Whether they are mandatory is not settled in DOMAIN.md, so a missing one is a
    warning, never a refusal (verify against the current 抽样细则); nor are they refused for
    other foods (a bought sample of any food has a purchase date).  At the link 生产 (a farm or
    production base selling its own produce) there is no supplier, so no reminder."""
    from labsys.services import catalog

    if sample.link == Link.PRODUCTION or not catalog.is_farm_produce(session, sample.category):
        return None
    no_date, no_supplier = sample.purchase_date is None, not (sample.supplier or "").strip()
    if no_date and no_supplier:
        fields = _("the purchase date (购进日期) and the supplier (供货者)")
    elif no_date:
        fields = _("the purchase date (购进日期)")
    elif no_supplier:
        fields = _("the supplier (供货者)")
    else:
        return None
    return _(
        "%(no)s is edible farm produce (食用农产品): the national form records %(fields)s; "
        "add it (edit or correct the sample) if you have it.",
        no=sample.sample_no,
        fields=fields,
    )


def format_sample_no(
    pattern: str, *, prefix: str, year: int, region: str | None, lab: str, serial: int
) -> str:
    return pattern.format(
        prefix=prefix,
        year=f"{year:04d}",
        yy=f"{year % 100:02d}",
        region=region or NO_REGION,
        lab=lab,
        serial=serial,
    )


@dataclass(frozen=True)
class DeadlineCheck:
    """Flags for lists: a due date before ``today`` is overdue; on or before ``soon`` is due
    soon (``soon`` = today + DUE_SOON_WORKDAYS working days)."""

    today: date
    soon: date

    def due_date(self, sample: Sample) -> date | None:
        if sample.status == SampleStatus.REGISTERED:
            return sample.due_delivery
        if sample.status == SampleStatus.RECEIVED:
            return sample.due_report
        return None

    def flag(self, sample: Sample) -> str:
        due = self.due_date(sample)
        if due is None:
            return ""
        if due < self.today:
            return "overdue"
        return "due-soon" if due <= self.soon else ""


def deadline_check(session: Session, today: date | None = None) -> DeadlineCheck:
    today = today or clock.today()
    return DeadlineCheck(today, workcal.add_workdays(session, today, DUE_SOON_WORKDAYS))


# --- Creating a visit ---------------------------------------------------------------------


@writes(Role.SAMPLER, message=_l("Only samplers fill in sampling forms."))
def create_visit(
    session: Session, actor: User, visit_data: dict, batches: list[dict]
) -> SamplingVisit:
    """Save one sampling form: the visit and every batch, or nothing.

    ``visit_data``: sampled_unit_id, sampling_date, place, link, region_code (optional,
    default the sampled unit's district), task_id (optional), sampler_ids (the team; the
    actor is always part of it).  ``batches``: dicts with the keys of ``BATCH_FIELDS``
    (text as entered; dates as ``date``).  Raises ``ValidationErrors`` naming every bad field.
    """
    errors: list[tuple[str | None, str]] = []
    header = _check_visit(session, actor, visit_data, errors)
    if not [b for b in batches if not _blank(b)]:
        errors.append((None, _("Enter at least one batch.")))
    cleaned = [
        (index, _check_batch(session, index, batch, header.get("sampling_date"), errors))
        for index, batch in enumerate(batches)
        if not _blank(batch)
    ]
    if errors:
        raise ValidationErrors(errors)

    visit = SamplingVisit(
        task_id=header["task"].id if header["task"] else None,
        sampled_unit_id=header["unit"].id,
        sampling_date=header["sampling_date"],
        place=header["place"],
        link=header["link"],
        region_code=header["region_code"],
        created_by_id=actor.id,
        parcel_arrival_date=header["parcel_arrival_date"],
        online_payment_amount=header["online_payment_amount"],
        **{name: header[name] for name in VISIT_TEXT_LIMITS},
    )
    visit.sampler_links = [VisitSampler(user_id=user.id) for user in header["team"]]
    session.add(visit)
    session.flush()
    # Many batches at once: the table's first state and its delivery clock, applied here.
    register, first_state = lifecycle.start(actor, Sample, "register")
    table = workcal.holiday_table(session)
    due_delivery = delivery_due(session, visit, table)
    lab = _lab_for(session, header["task"])
    samples = []
    for _index, fields in cleaned:
        sample = Sample(
            sample_no=next_sample_no(session, visit.sampling_date, visit.region_code, lab),
            visit_id=visit.id,
            status=first_state,
            sampling_date=visit.sampling_date,
            region_code=visit.region_code,
            link=visit.link,
            task_id=visit.task_id,
            plan_id=header["task"].plan_id if header["task"] else None,
            inspection_type=_inspection_type(header["task"]),
            lab_id=lab.id if lab else None,
            sampler_id=actor.id,
            due_delivery=due_delivery,
            **fields,
            **_category_levels(fields["category"]),
        )
        session.add(sample)
        samples.append(sample)
    session.flush()
    audit.record_many(
        session,
        actor,
        [
            audit.Change("sampling_visit", visit.id, "create", new=_visit_values(visit)),
            *[audit.Change("sample", s.id, register.action, new=sample_values(s)) for s in samples],
        ],
    )
    return visit


def delivery_due(
    session: Session, visit: SamplingVisit, table=None, extension: int = 0
) -> date | None:
    """When the batches must be at the lab: DELIVERY_WORKDAYS working days after sampling
    (plus an approved ``extension``); for an online sample after the parcel arrives (None
    until it has: no clock runs while the parcel is on its way)."""
    if visit.link == Link.ONLINE:
        if visit.parcel_arrival_date is None:
            return None
        start = visit.parcel_arrival_date
    else:
        start = visit.sampling_date
    days = periods.value("DELIVERY_WORKDAYS") + extension
    return workcal.add_workdays(session, start, days, table)


def next_sample_no(
    session: Session, sampling_date: date, region_code: str | None, lab: Lab | None
) -> str:
    """Draw the next sample number for this year and district (see the module notes)."""
    config = current_app.config
    region = region_code or NO_REGION
    serial = numbering.next_value(session, f"sample:{sampling_date.year}:{region}")
    return format_sample_no(
        config["SAMPLE_NO_PATTERN"],
        prefix=config["SAMPLE_NO_PREFIX"],
        year=sampling_date.year,
        region=region,
        lab=lab.code if lab else config["LAB_CODE"],
        serial=serial,
    )


def _blank(batch: dict) -> bool:
    return not any(value not in (None, "", [], ()) for value in batch.values())


def _check_visit(session: Session, actor: User, data: dict, errors: list) -> dict:
    header: dict = {"place": (data.get("place") or "").strip()[:300], "task": None}
    unit = session.get(Enterprise, data["sampled_unit_id"]) if data.get("sampled_unit_id") else None
    if unit is None:
        errors.append(("sampled_unit", _("Choose the sampled unit.")))
    header["unit"] = unit
    sampling_date = data.get("sampling_date")
    if not isinstance(sampling_date, date):
        errors.append(("sampling_date", _("Enter the sampling date.")))
        sampling_date = None
    elif sampling_date > clock.today():
        errors.append(("sampling_date", _("The sampling date is in the future.")))
    header["sampling_date"] = sampling_date
    try:
        header["link"] = Link(data.get("link") or "")
    except ValueError:
        errors.append(("link", _("Choose the sampling link.")))
    if data.get("task_id"):
        header["task"] = _check_task(session, actor, int(data["task_id"]), errors)
    header["region_code"] = (
        data.get("region_code")
        or (header["task"].region_code if header["task"] else None)
        or (unit.region_code if unit else None)
    )
    if header["region_code"] and session.get(Region, header["region_code"]) is None:
        errors.append(("region_code", _("Choose a district from the list.")))
    header["team"] = _check_team(session, actor, data.get("sampler_ids") or [], errors)
    _check_visit_fields(data, header, errors)
    return header


def _check_visit_fields(data: dict, header: dict, errors: list) -> None:
    """抽样依据, 组织机构, 任务来源, and for 网络抽检 the order (Order No. 15 Art. 18)."""
    for name, limit in VISIT_TEXT_LIMITS.items():
        value = _stripped(data.get(name))
        header[name] = value
        if len(value) > limit:
            errors.append((name, _("At most %(n)d characters.", n=limit)))
    header["unboxing_record"] = header["unboxing_record"] or None
    if not header["task_source"] and header["task"] is not None:
        header["task_source"] = header["task"].plan.name[:200]
    online = header.get("link") == Link.ONLINE
    amount = _stripped(data.get("online_payment_amount"))
    header["online_payment_amount"] = None
    if amount:
        money = parse_money(amount)
        if money is None:
            errors.append(
                ("online_payment_amount", _("A price in yuan, zero or more, 2 decimals at most."))
            )
        else:
            header["online_payment_amount"] = str(money)
    url = header["online_shop_url"]
    if url and not _URL_RE.match(url):
        errors.append(("online_shop_url", _("Enter the shop's address, starting with https://.")))
    arrival = data.get("parcel_arrival_date") or None
    header["parcel_arrival_date"] = arrival
    if arrival is not None:
        sampling_date = header.get("sampling_date")
        if not online:
            errors.append(("parcel_arrival_date", _("Only an online sample arrives as a parcel.")))
        elif sampling_date and arrival < sampling_date:
            errors.append(
                ("parcel_arrival_date", _("The parcel arrived before the order was placed."))
            )
        elif arrival > clock.today():
            errors.append(("parcel_arrival_date", _("The arrival date is in the future.")))
    if online:
        for name in ONLINE_REQUIRED:
            if not header[name]:
                errors.append((name, _("Online sampling: enter this from the order.")))
    else:
        online_fields = (*ONLINE_REQUIRED, "online_shop_url", "online_payment_amount")
        for name in online_fields:
            if header.get(name):
                errors.append(
                    (name, _("Only online sampling records an order: choose the link Online."))
                )


def _check_task(session: Session, actor: User, task_id: int, errors: list) -> Task | None:
    task = session.get(Task, task_id)
    assigned = task is not None and session.scalar(
        select(TaskSampler.user_id).where(
            TaskSampler.task_id == task_id, TaskSampler.user_id == actor.id
        )
    )
    if task is None or not assigned:
        errors.append(("task_id", _("This task is not assigned to you.")))
        return None
    if task.closed:
        errors.append(("task_id", _("This task is closed.")))
    return task


def _check_team(session: Session, actor: User, sampler_ids, errors: list) -> list[User]:
    ids = {int(i) for i in sampler_ids} | {actor.id}
    team = list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))
    for user in team:
        if not (user.active and user.has_role(Role.SAMPLER)):
            errors.append(
                ("sampler_ids", _("%(name)s is not an active sampler.", name=user.display_name))
            )
    if len(team) < MIN_TEAM:
        errors.append(
            (
                "sampler_ids",
                _(
                    "A sampling team has at least %(n)d samplers: choose your colleague.",
                    n=MIN_TEAM,
                ),
            )
        )
    return team


def _check_batch(
    session: Session,
    index: int,
    batch: dict,
    sampling_date: date | None,
    errors: list,
    *,
    frozen: bool = False,
) -> dict:
    """Validate one batch row; add (field, "Batch n: ...") errors; return Sample columns.

    ``frozen``: the sample was received, its specification copied onto it (the category
    cannot change): the catalog is not asked again whether the category has test items."""

    def fail(field: str, message: str) -> None:
        errors.append(
            (
                f"batches-{index}-{field}",
                _("Batch %(n)d: %(message)s", n=index + 1, message=message),
            )
        )

    fields = {name: _stripped(batch.get(name)) for name in BATCH_FIELDS}
    for name, limit in _TEXT_LIMITS.items():
        if len(fields[name] or "") > limit:
            fail(name, _("at most %(n)d characters.", n=limit))
    if not fields["food_name"]:
        fail("food_name", _("enter the food name."))
    spec_date = None if frozen else sampling_date
    fields["category"] = _check_category(session, fields.pop("category_id"), spec_date, fail)
    production_date = fields["production_date"] or None
    fields["production_date"] = production_date
    if not production_date and not fields["batch_no"]:
        fail("production_date", _("enter the production date or the batch number."))
    if production_date and sampling_date and production_date > sampling_date:
        fail("production_date", _("the production date is after the sampling date."))
    try:
        fields["shelf_life_days"] = shelf_life_days(fields["shelf_life"])
    except ValueError:
        fields["shelf_life_days"] = None
        fail("shelf_life", _("cannot read the shelf life; write e.g. 12个月, 180天 or 6 months."))
    else:
        if fields["shelf_life_days"] is not None and fields["shelf_life_days"] <= 0:
            fail("shelf_life", _("the shelf life must be longer than zero days."))
        elif (fields["shelf_life_days"] or 0) > MAX_SHELF_LIFE_DAYS:
            fail("shelf_life", _("the shelf life is longer than 100 years."))
    fields["oil_process"] = _check_oil_process(
        session, fields["oil_process"], fields["category"], spec_date, fail
    )
    quantity = parse_positive_decimal(fields["quantity"])
    if quantity is None:
        fail("quantity", _("the quantity must be a number greater than zero."))
    elif not fields["quantity_unit"]:
        fail("quantity_unit", _("enter the unit of the quantity."))
    if fields["backup_quantity"] and parse_positive_decimal(fields["backup_quantity"]) is None:
        fail("backup_quantity", _("the backup quantity must be a number greater than zero."))
    fields["backup_quantity"] = fields["backup_quantity"] or None
    fields["producer"] = None
    if fields.pop("producer_id"):
        fields["producer"] = session.get(Enterprise, int(batch["producer_id"]))
        if fields["producer"] is None:
            fail("producer", _("the labelled producer does not exist."))
    fields["remarks"] = fields["remarks"] or None
    _check_national_fields(fields, sampling_date, fail)
    return fields


def _check_national_fields(fields: dict, sampling_date: date | None, fail) -> None:
    """The national form's coded fields, normalised in ``fields`` (see core/form_fields)."""
    latest = (sampling_date or clock.today()).year + 1
    for standard in split_standards(fields["product_standard"] or ""):
        problem = standard_problem(standard, latest_year=latest)
        if problem == "year":
            fail(
                "product_standard", _("%(code)s: the edition year is not possible.", code=standard)
            )
        elif problem:
            fail(
                "product_standard",
                _(
                    "%(code)s is not a standard number; write e.g. GB 2760-2024, "
                    "GB/T 1355-2021 or Q/XXX 0001S-2020.",
                    code=standard,
                ),
            )
    fields["product_standard"] = normalize_standards(fields["product_standard"] or "")[:200]
    licence = fields["licence_no"] or ""
    if licence and licence != "/":
        problem = licence_problem(licence)
        if problem == "qs":
            fail(
                "licence_no",
                _("QS numbers expired on 2018-10-01: enter the SC number on the label."),
            )
        elif problem:
            fail("licence_no", _("a production licence number is SC and 14 digits."))
        fields["licence_no"] = normalize_licence(licence)[:20]
    else:
        fields["licence_no"] = ""
    for name, enum in BATCH_CHOICES.items():
        fields[name] = _choice(enum, fields[name], name, fail)
    fields["storage_conditions"] = _storage(fields["storage_conditions"], fail)
    for name in ("unit_price", "purchase_cost"):
        text = fields[name] or ""
        if not text:
            fields[name] = None
            continue
        money = parse_money(text)
        if money is None:
            fail(name, _("a price in yuan, zero or more, with at most 2 decimals."))
            fields[name] = None
        else:
            fields[name] = str(money)
    purchase_date = fields["purchase_date"] or None
    if purchase_date is not None and not isinstance(purchase_date, date):
        fail("purchase_date", _("enter the purchase date as a date."))
        purchase_date = None
    if purchase_date and sampling_date and purchase_date > sampling_date:
        fail("purchase_date", _("the purchase date is after the sampling date."))
    fields["purchase_date"] = purchase_date


def _choice(enum, value, name: str, fail):
    if value in (None, ""):
        return None
    try:
        return enum(value)
    except ValueError:
        fail(name, _("choose a value from the list."))
        return None


def _storage(value, fail) -> str:
    """StorageCondition values (a list, or text joined by ",") in the enum's order."""
    given = value if isinstance(value, list | tuple) else str(value or "").split(",")
    chosen = {str(v).strip() for v in given if str(v).strip()}
    known = {c.value for c in StorageCondition}
    if chosen - known:
        fail("storage_conditions", _("choose the storage conditions from the list."))
    return ",".join(c.value for c in StorageCondition if c.value in chosen)


def storage_titles(value: str | None) -> str:
    """The storage conditions for people: "冷藏、避光"."""
    known = {c.value: c for c in StorageCondition}
    return "、".join(known[v].title for v in (value or "").split(",") if v in known)


def _check_oil_process(
    session: Session, value, category: FoodCategory | None, sampling_date: date | None, fail
) -> OilProcess | None:
    """压榨/浸出 from the label: required where the catalog's limits depend on it
    (GB 2716-2018 solvent residue), one of the two values otherwise optional."""
    from labsys.services import catalog

    try:
        process = OilProcess(value) if value else None
    except ValueError:
        fail("oil_process", _("choose pressed (压榨) or solvent-extracted (浸出)."))
        return None
    if process is None and category is not None and sampling_date is not None:
        specs = catalog.applicable_specifications(session, category.id, sampling_date)
        if catalog.needs_oil_process(specs):
            fail(
                "oil_process",
                _(
                    "%(name)s: record from the label whether the oil is pressed (压榨) or "
                    "solvent-extracted (浸出); its solvent residue limit depends on it.",
                    name=category.name_zh,
                ),
            )
    return process


def _stripped(value):
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else value


def _check_category(
    session: Session, category_id, sampling_date: date | None, fail
) -> FoodCategory | None:
    from labsys.services import catalog

    category = session.get(FoodCategory, int(category_id)) if category_id else None
    if category is None:
        fail("category", _("choose the food category."))
        return None
    if not catalog.is_leaf(session, category.id):
        fail(
            "category",
            _(
                "%(name)s is not a detailed category (细类); choose one below it.",
                name=category.name_zh,
            ),
        )
        return category
    if sampling_date and not catalog.applicable_specifications(session, category.id, sampling_date):
        fail(
            "category",
            _(
                "%(name)s has no test items in the catalog; ask the administrator.",
                name=category.name_zh,
            ),
        )
    return category


def _category_levels(category: FoodCategory) -> dict:
    ids = category.ancestor_ids + [None] * 4
    return {f"cat_l{level}_id": ids[level - 1] for level in range(1, 5)}


def _inspection_type(task: Task | None) -> InspectionType:
    """The plan's 检验类别; supervision for a sample taken outside a task."""
    return task.plan.inspection_type if task is not None else InspectionType.SUPERVISION


def _lab_for(session: Session, task: Task | None) -> Lab | None:
    if task is not None and task.lab_id:
        return session.get(Lab, task.lab_id)
    return reference.default_lab(session)


def _visit_values(visit: SamplingVisit) -> dict:
    return {
        "sampled_unit_id": visit.sampled_unit_id,
        "sampling_date": visit.sampling_date,
        "place": visit.place,
        "link": visit.link,
        "region_code": visit.region_code,
        "task_id": visit.task_id,
        "sampler_ids": [link.user_id for link in visit.sampler_links],
        **{name: getattr(visit, name) for name in VISIT_TEXT_LIMITS},
        "online_payment_amount": visit.online_payment_amount,
        "parcel_arrival_date": visit.parcel_arrival_date,
    }


def sample_values(sample: Sample) -> dict:
    """The sampler-entered fields of a sample, for the audit trail."""
    return {
        "sample_no": sample.sample_no,
        "food_name": sample.food_name,
        "category_id": sample.category_id,
        "brand": sample.brand,
        "specification": sample.specification,
        "production_date": sample.production_date,
        "batch_no": sample.batch_no,
        "shelf_life": sample.shelf_life,
        "oil_process": sample.oil_process,
        "quantity": sample.quantity,
        "quantity_unit": sample.quantity_unit,
        "backup_quantity": sample.backup_quantity,
        "sampling_base": sample.sampling_base,
        "producer_id": sample.producer_id,
        "remarks": sample.remarks,
        **{
            name: getattr(sample, name)
            for name in BATCH_FIELDS[BATCH_FIELDS.index("remarks") + 1 :]
        },
    }


# --- Online sampling: the parcel's arrival ------------------------------------------------


@writes(Role.SAMPLER, Role.SUPERVISOR)
def record_parcel_arrival(
    session: Session,
    actor: User,
    visit: SamplingVisit,
    *,
    arrived_on: date,
    unboxing_record: str | None = None,
) -> SamplingVisit:
    """An online visit's parcel arrived (and was unboxed): the delivery clock of its batches
    still awaiting the lab starts from that day (Order No. 15 Art. 18 *(verify)*).  Recorded
    once, on a live form before receipt; anything later is a correction of the form
    (``corrections.correct_visit``: a reason, and after receipt a reviewer's approval)."""
    if not may_attach_to_visit(session, actor, visit):
        raise PermissionDenied(_("Only the visit's samplers or a supervisor may record this."))
    if visit.link != Link.ONLINE:
        raise ServiceError(
            _("Only an online sample arrives as a parcel."), field="parcel_arrival_date"
        )
    refusal = parcel_refusal(visit)
    if refusal:
        raise ServiceError(refusal, field="parcel_arrival_date")
    if not isinstance(arrived_on, date):
        raise ServiceError(_("Enter the day the parcel arrived."), field="parcel_arrival_date")
    if arrived_on < visit.sampling_date:
        raise ServiceError(
            _("The parcel arrived before the order was placed."), field="parcel_arrival_date"
        )
    if arrived_on > clock.today():
        raise ServiceError(_("The arrival date is in the future."), field="parcel_arrival_date")
    record = (unboxing_record or "").strip()
    if len(record) > VISIT_TEXT_LIMITS["unboxing_record"]:
        raise ServiceError(
            _("At most %(n)d characters.", n=VISIT_TEXT_LIMITS["unboxing_record"]),
            field="unboxing_record",
        )
    old = {
        "parcel_arrival_date": visit.parcel_arrival_date,
        "unboxing_record": visit.unboxing_record,
    }
    visit.parcel_arrival_date = arrived_on
    visit.unboxing_record = record or visit.unboxing_record
    due = delivery_due(session, visit)
    for sample in visit.samples:
        if sample.status == SampleStatus.REGISTERED:
            sample.due_delivery = delivery_due(
                session, visit, extension=sample.delivery_extension_workdays or 0
            )
    session.flush()
    audit.record(
        session,
        actor,
        "sampling_visit",
        visit.id,
        "parcel_arrived",
        old=old,
        new={
            "parcel_arrival_date": visit.parcel_arrival_date,
            "unboxing_record": visit.unboxing_record,
            "due_delivery": due,
        },
    )
    return visit


def parcel_refusal(visit: SamplingVisit) -> str | None:
    """Why the parcel's arrival may not be recorded directly (None: it may).  A voided form
    changes no more; a recorded arrival, or one after a batch reached the lab, is corrected
    like any field of the form, with its reason and, after receipt, its approval."""
    if visit.voided_at is not None:
        return _("This sampling form is voided.")
    if any(s.status not in (SampleStatus.REGISTERED, SampleStatus.VOIDED) for s in visit.samples):
        return _(
            "A batch of this form is already at the lab: correct the parcel's arrival through "
            "a correction of the form, with a reason and a reviewer's approval."
        )
    if visit.parcel_arrival_date is not None:
        return _(
            "The parcel's arrival is already recorded (%(day)s): correct it through a "
            "correction of the form.",
            day=visit.parcel_arrival_date.isoformat(),
        )
    return None


def missing_online_evidence(session: Session, visit: SamplingVisit) -> list[str]:
    """The screenshot kinds an online visit still lacks (on the visit or any of its batches)."""
    if visit.link != Link.ONLINE:
        return []
    have = {a.kind for a in attachments.listed(session, "sampling_visit", [visit.id])}
    have |= {a.kind for a in attachments.listed(session, "sample", [s.id for s in visit.samples])}
    return [kind for kind in ONLINE_EVIDENCE if kind not in have]


# --- Editing and correcting ---------------------------------------------------------------


def is_team_member(session: Session, user: User, sample: Sample) -> bool:
    return user.id == sample.sampler_id or bool(
        session.scalar(
            select(VisitSampler.user_id).where(
                VisitSampler.visit_id == sample.visit_id, VisitSampler.user_id == user.id
            )
        )
    )


def can_edit(session: Session, user: User, sample: Sample) -> bool:
    return (
        sample.status == SampleStatus.REGISTERED
        and user.has_role(Role.SAMPLER)
        and is_team_member(session, user, sample)
    )


def may_ask(session: Session, user: User, sample: Sample) -> bool:
    """Whether ``user`` may ask to correct or void ``sample``: its team, or a supervisor."""
    return user.has_role(Role.SUPERVISOR) or (
        user.has_role(Role.SAMPLER) and is_team_member(session, user, sample)
    )


def can_correct(session: Session, user: User, sample: Sample) -> bool:
    """After receipt: a correction request (``services.corrections``)."""
    if sample.status in (SampleStatus.REGISTERED, SampleStatus.VOIDED):
        return False
    return may_ask(session, user, sample)


@writes(Role.SAMPLER)
def update_sample(
    session: Session, actor: User, sample: Sample, expected_version: int, **fields
) -> Sample:
    """Change a sample's form fields before the lab receives it (its team's samplers only)."""
    if sample.status != SampleStatus.REGISTERED:
        raise ServiceError(
            _(
                "The lab has received sample %(no)s: change it with a correction and a reason.",
                no=sample.sample_no,
            )
        )
    if not can_edit(session, actor, sample):
        raise PermissionDenied(
            _("Only the samplers who took sample %(no)s may edit it.", no=sample.sample_no)
        )
    return _apply_changes(session, actor, sample, expected_version, fields, "update", None)


def _apply_changes(
    session: Session,
    actor: User,
    sample: Sample,
    expected_version: int,
    fields: dict,
    action: str,
    reason: str | None,
) -> Sample:
    if sample.version_id != expected_version:
        raise ConflictError(
            _(
                "Someone else changed sample %(no)s meanwhile; here is its current content.",
                no=sample.sample_no,
            ),
            current=sample,
        )
    cleaned = _validated(session, sample, fields)
    old = sample_values(sample)
    for name, value in cleaned.items():
        setattr(sample, name, value)
    sample.category_id = cleaned["category"].id
    sample.producer_id = cleaned["producer"].id if cleaned["producer"] else None
    for level_name, level_id in _category_levels(cleaned["category"]).items():
        setattr(sample, level_name, level_id)
    new = sample_values(sample)
    changed = {k for k in new if new[k] != old[k]}
    if not changed:
        return sample
    try:
        session.flush()
    except StaleDataError as error:
        raise ConflictError(
            _(
                "Someone else changed sample %(no)s meanwhile; here is its current content.",
                no=sample.sample_no,
            )
        ) from error
    audit.record(
        session,
        actor,
        "sample",
        sample.id,
        action,
        old={k: old[k] for k in sorted(changed)},
        new={k: new[k] for k in sorted(changed)},
        reason=reason,
    )
    return sample


def _validated(session: Session, sample: Sample, fields: dict) -> dict:
    """The sample's columns after ``fields`` (form names of ``BATCH_FIELDS``), validated
    like the sampling form; ValidationErrors naming the fields."""
    unknown = set(fields) - set(BATCH_FIELDS)
    if unknown:
        raise ValueError(f"not sample form fields: {sorted(unknown)}")
    current = sample_values(sample)
    merged = {name: current[name] for name in BATCH_FIELDS}
    merged.update(fields)
    errors: list = []
    frozen = sample.status not in (SampleStatus.REGISTERED, SampleStatus.VOIDED)
    cleaned = _check_batch(
        session, 0, _as_form_values(merged), sample.sampling_date, errors, frozen=frozen
    )
    if errors:
        raise ValidationErrors(
            [(field.removeprefix("batches-0-"), _single(message)) for field, message in errors]
        )
    return cleaned


def sample_changes(session: Session, sample: Sample, fields: dict) -> tuple[dict, dict]:
    """(old, new): the form fields (``BATCH_FIELDS`` names) that ``fields`` would change, their
    current and their validated new values; nothing is written.  Driven by the form's field
    list, so every field the sampling form has is correctable the same way."""
    cleaned = _validated(session, sample, fields)
    new = {
        **{k: v for k, v in cleaned.items() if k not in ("category", "producer")},
        "category_id": cleaned["category"].id if cleaned["category"] else None,
        "producer_id": cleaned["producer"].id if cleaned["producer"] else None,
    }
    current = sample_values(sample)
    changed = [k for k in BATCH_FIELDS if k in new and new[k] != current.get(k)]
    return {k: current.get(k) for k in changed}, {k: new[k] for k in changed}


# --- Correcting a visit ---------------------------------------------------------------------

# The visit's own fields: what ``create_visit`` takes as ``visit_data`` (sampler_ids: the team).
VISIT_FIELDS = (
    "sampled_unit_id",
    "sampling_date",
    "place",
    "link",
    "region_code",
    "task_id",
    "sampler_ids",
)
# Columns copied from the visit onto each of its samples (lists and pass rates read them).
_COPIED = ("sampling_date", "region_code", "link", "task_id")


def _header_values(header: dict) -> dict:
    """The visit's values from a checked header (``_check_visit``), as ``_visit_values``."""
    values = {
        key: value
        for key, value in header.items()
        if key not in ("unit", "task", "team") and key in SamplingVisit.__table__.c
    }
    values["sampled_unit_id"] = header["unit"].id if header.get("unit") else None
    values["task_id"] = header["task"].id if header.get("task") else None
    values["sampler_ids"] = sorted(user.id for user in header.get("team") or [])
    return values


def visit_changes(session: Session, visit: SamplingVisit, data: dict) -> tuple[dict, dict]:
    """(old, new) of the visit fields ``data`` would change, validated like the sampling form
    (the task and the team as its author would choose them); nothing is written."""
    current = _visit_values(visit)
    merged = {**current, **{k: v for k, v in data.items() if k in current or k in VISIT_FIELDS}}
    errors: list = []
    header = _check_visit(session, visit.created_by, merged, errors)
    day = header.get("sampling_date")
    kind = _inspection_type(header.get("task"))
    for sample in visit.samples:
        if sample.status not in (SampleStatus.REGISTERED, SampleStatus.VOIDED) and (
            sample.inspection_type != kind
        ):
            errors.append(
                (
                    "task_id",
                    _(
                        "%(no)s: the inspection type cannot change after receipt (its "
                        "judgement rules were fixed then).",
                        no=sample.sample_no,
                    ),
                )
            )
        if day and sample.production_date and sample.production_date > day:
            errors.append(
                (
                    "sampling_date",
                    _(
                        "%(no)s: the production date is after the sampling date.",
                        no=sample.sample_no,
                    ),
                )
            )
    if errors:
        raise ValidationErrors(errors)
    new = _header_values(header)
    current["sampler_ids"] = sorted(current["sampler_ids"])
    changed = [k for k in new if k in current and new[k] != current[k]]
    return {k: current[k] for k in changed}, {k: new[k] for k in changed}


def _apply_visit_changes(
    session: Session, actor: User, visit: SamplingVisit, new: dict, reason: str | None
) -> None:
    """Write validated visit values (from ``visit_changes``) and their copies on the samples;
    sample numbers stay as drawn.  Audited: the visit and each sample whose copy moved.
    A corrected sampling date moves the last day of each undecided objection to the
    sampling (Art. 37's days count from it), and is refused when it would move a decided
    one's or fall after an objection's filing day (``objections.sampling_windows_moved``)."""
    moved_windows = []
    if "sampling_date" in new:
        lock_samples(session, visit.samples)  # an objection filed meanwhile is seen
        moved_windows = objections.sampling_windows_moved(
            session, [sample.id for sample in visit.samples], new["sampling_date"]
        )
    old = _visit_values(visit)
    for key, value in new.items():
        if key == "sampler_ids":
            visit.sampler_links = [VisitSampler(user_id=user_id) for user_id in value]
        else:
            setattr(visit, key, value)
    task = session.get(Task, visit.task_id) if visit.task_id else None
    restart_clock = bool({"sampling_date", "link", "parcel_arrival_date"} & set(new))
    table = workcal.holiday_table(session) if restart_clock else None
    changes = [
        audit.Change(
            "sampling_visit",
            visit.id,
            "correct",
            old={k: old[k] for k in new},
            new=dict(new),
            reason=reason,
        )
    ]
    for sample in visit.samples:
        before = {
            k: getattr(sample, k) for k in (*_COPIED, "plan_id", "inspection_type", "due_delivery")
        }
        for key in _COPIED:
            setattr(sample, key, getattr(visit, key))
        sample.plan_id = task.plan_id if task else None
        sample.inspection_type = _inspection_type(task)
        if sample.status == SampleStatus.REGISTERED and restart_clock:
            # The same clock as at save: the setting, the parcel of an online sample, and
            # any extension the regulator approved.
            sample.due_delivery = delivery_due(
                session, visit, table, extension=sample.delivery_extension_workdays or 0
            )
        after = {k: getattr(sample, k) for k in before}
        moved = sorted(k for k in before if before[k] != after[k])
        if moved:
            changes.append(
                audit.Change(
                    "sample",
                    sample.id,
                    "correct",
                    old={k: before[k] for k in moved},
                    new={k: after[k] for k in moved},
                    reason=reason,
                )
            )
    try:
        session.flush()
    except StaleDataError as error:
        raise ConflictError(
            _("Someone else changed this sampling form meanwhile; reload it and try again.")
        ) from error
    audit.record_many(session, actor, changes)
    if moved_windows:
        objections._move_windows(
            session,
            actor,
            moved_windows,
            start={"sampling_date": visit.sampling_date},
            reason=_(
                "The sampling date corrected: Art. 37's 7 working days for an objection to "
                "the sampling count from it."
            ),
            conflict=lambda number: _(
                "An objection of sample %(no)s was changed meanwhile; reload the page and "
                "correct the sampling form again.",
                no=number,
            ),
        )


def _as_form_values(values: dict) -> dict:
    """Model values back to the text the form validation reads."""
    dates = ("production_date", "purchase_date")
    return {k: ("" if v is None else v) if k not in dates else v for k, v in values.items()}


def _single(message: str) -> str:
    """Drop the "Batch 1:" prefix for a form of one sample."""
    prefix = _("Batch %(n)d: %(message)s", n=1, message="")
    rest = message.removeprefix(prefix)
    return rest[:1].upper() + rest[1:]


# --- delivery extension ------------------------------------------------------------------------


@writes(Role.SUPERVISOR)
def extend_delivery(
    session: Session, actor: User, sample: Sample, *, workdays: int, reason: str
) -> Sample:
    """A delivery extension approved by the regulator (Order No. 15 Art. 20 ¶1 *(verify)*:
    因客观原因需要延长送样期限的，应当经组织抽样检验工作的市场监督管理部门同意): the sample
    is due at the lab ``workdays`` working days later than the 5; a new extension replaces
    the previous one.  At most ``DELIVERY_EXTENSION_MAX_WORKDAYS`` (a local setting)."""
    if sample.status != SampleStatus.REGISTERED:
        raise ServiceError(
            _(
                "Sample %(no)s is already at the lab: its delivery cannot be extended.",
                no=sample.sample_no,
            ),
            field="workdays",
        )
    most = periods.value("DELIVERY_EXTENSION_MAX_WORKDAYS")
    if isinstance(workdays, bool) or not isinstance(workdays, int) or not 1 <= workdays <= most:
        raise ServiceError(_("An extension is 1 to %(n)d working days.", n=most), field="workdays")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("Give the reason and who at the regulator approved the extension."), field="reason"
        )
    if len(reason) > 300:
        raise ServiceError(_("The reason has at most 300 characters."), field="reason")
    old = {
        "delivery_extension_workdays": sample.delivery_extension_workdays,
        "delivery_extension_reason": sample.delivery_extension_reason,
        "due_delivery": sample.due_delivery,
    }
    due = delivery_due(session, sample.visit, extension=workdays)
    if due is None:
        raise ServiceError(
            _(
                "The parcel of sample %(no)s has not arrived: no delivery clock runs yet.",
                no=sample.sample_no,
            ),
            field="workdays",
        )
    sample.delivery_extension_workdays = workdays
    sample.delivery_extension_reason = reason
    sample.due_delivery = due
    session.flush()
    audit.record(
        session,
        actor,
        "sample",
        sample.id,
        "extend_delivery",
        old=old,
        new={
            "delivery_extension_workdays": workdays,
            "delivery_extension_reason": reason,
            "due_delivery": sample.due_delivery,
        },
    )
    return sample


# --- attachments: photos and scans of a visit and of a sample ------------------------------

LAB_ROLES = (Role.SUPERVISOR, Role.TECHNICIAN, Role.REVIEWER)


def _visit_team(session: Session, user: User, visit: SamplingVisit) -> bool:
    return bool(
        session.scalar(
            select(VisitSampler.user_id).where(
                VisitSampler.visit_id == visit.id, VisitSampler.user_id == user.id
            )
        )
    )


def may_view_visit(session: Session, user: User, visit: SamplingVisit) -> bool:
    """Samplers see their team's visits; the lab and supervisors see every visit."""
    return user.has_role(*LAB_ROLES) or _visit_team(session, user, visit)


def may_view_sample(session: Session, user: User, sample: Sample) -> bool:
    return user.has_role(*LAB_ROLES) or is_team_member(session, user, sample)


def may_attach_to_visit(session: Session, user: User, visit: SamplingVisit) -> bool:
    """The visit's samplers (photos, the signed form) and supervisors."""
    return user.has_role(Role.SUPERVISOR) or (
        user.has_role(Role.SAMPLER) and _visit_team(session, user, visit)
    )


def may_attach_to_sample(session: Session, user: User, sample: Sample) -> bool:
    """The sampling team, supervisors, and technicians (the unboxing of a parcel, the
    state on receipt)."""
    return user.has_role(Role.SUPERVISOR, Role.TECHNICIAN) or (
        user.has_role(Role.SAMPLER) and is_team_member(session, user, sample)
    )


def _files_locked_message(nos: list[str]) -> str:
    return _(
        "A report is issued for %(nos)s (or the record is voided): its evidence files are part "
        "of the reported record and can no longer be added or withdrawn; a change goes "
        "through a report correction (issue 18 §2; ISO/IEC 17025 7.5, 7.8.8).",
        nos="、".join(nos),
    )


def sample_files_locked(session: Session, sample: Sample) -> str | None:
    """Why a sample's files may no longer change: it is reported (or reopened after its
    report) or voided; None while they may."""
    if sample.status.is_reported or sample.status.is_voided:
        return _files_locked_message([sample.sample_no])
    return None


def visit_files_locked(session: Session, visit: SamplingVisit) -> str | None:
    """A visit's files (the form, the scene, the seal) belong to every sample of it: locked
    once any of them is reported, or when the visit is voided."""
    reported = [s.sample_no for s in visit.samples if s.status.is_reported]
    if reported or visit.voided_at is not None:
        return _files_locked_message(reported or [s.sample_no for s in visit.samples])
    return None


VISIT_KINDS = (
    "scene",
    "seal",
    "licence",
    "online_shop",
    "online_order",
    "online_payment",
    "unboxing",
    "signed_form",
    "signed_notice",
    "other",
)
SAMPLE_KINDS = (
    "scene",
    "seal",
    "label",
    "licence",
    "online_shop",
    "online_order",
    "online_payment",
    "unboxing",
    "signed_form",
    "other",
)

attachments.register_owner(
    "sampling_visit",
    SamplingVisit,
    may_attach=may_attach_to_visit,
    may_view=may_view_visit,
    kinds=VISIT_KINDS,
    locked=visit_files_locked,
)
attachments.register_owner(
    "sample",
    Sample,
    may_attach=may_attach_to_sample,
    may_view=may_view_sample,
    kinds=SAMPLE_KINDS,
    locked=sample_files_locked,
)
