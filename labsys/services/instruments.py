"""The instrument register and the methods a test item may be tested by.

ISO/IEC 17025:2017 §6.4.13 asks the lab to keep, per item of equipment, its identity
(name, type, serial number), its calibration dates and the date the next calibration is
due; §6.4.4 asks that equipment be verified as fit before it is placed or returned into
service.  So a result may name only an instrument that is in service and whose calibration
was not overdue on the day the test ended (:func:`check_usable`).

The methods a result may be tested by (§7.2.1: the lab uses appropriate methods and, where
it deviates, records it) are the method frozen on the result at receipt (the
specification's 检验依据), the item's usual method, and any further method the lab added for
the item here (:func:`allowed_methods`).

Every change is audited: entity "instrument" (id = the instrument) and "test_item" for the
methods.
"""

from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.models import (
    Instrument,
    InstrumentStatus,
    Role,
    SampleResult,
    TestItem,
    TestItemMethod,
    User,
)
from labsys.services import audit
from labsys.services.access import writes
from labsys.services.errors import NotFound, ServiceError

REGISTRARS = (Role.ADMIN, Role.SUPERVISOR)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_LIMITS = {"name": 100, "model": 100, "asset_no": 60, "serial_no": 100, "note": 500}


def get(session: Session, instrument_id: int) -> Instrument:
    instrument = session.get(Instrument, instrument_id)
    if instrument is None:
        raise NotFound(_("There is no such instrument."))
    return instrument


def register(session: Session) -> list[Instrument]:
    """Every instrument: in service first, then by name."""
    return list(
        session.scalars(
            select(Instrument).order_by(
                Instrument.status != InstrumentStatus.IN_SERVICE, Instrument.name, Instrument.id
            )
        )
    )


def in_service(session: Session) -> list[Instrument]:
    return list(
        session.scalars(
            select(Instrument)
            .where(Instrument.status == InstrumentStatus.IN_SERVICE)
            .order_by(Instrument.name, Instrument.id)
        )
    )


def _snapshot(instrument: Instrument) -> dict:
    return {
        "name": instrument.name,
        "model": instrument.model,
        "asset_no": instrument.asset_no,
        "serial_no": instrument.serial_no,
        "calibration_due": instrument.calibration_due,
        "status": instrument.status,
        "note": instrument.note,
    }


def _clean(fields: dict) -> dict:
    values: dict = {}
    for name, limit in _LIMITS.items():
        text = (fields.get(name) or "").strip()
        if name != "note" and _CONTROL_RE.search(text):
            raise ServiceError(_("Control characters are not allowed here."), field=name)
        if len(text) > limit:
            raise ServiceError(
                _("At most %(n)d characters.", n=limit),
                field=name,
            )
        values[name] = text
    if not values["name"]:
        raise ServiceError(_("Give the instrument's name."), field="name")
    if not values["asset_no"]:
        raise ServiceError(_("Give the instrument's asset number."), field="asset_no")
    due = fields.get("calibration_due")
    if not isinstance(due, date):
        raise ServiceError(_("Give the date the next calibration is due."), field="calibration_due")
    values["calibration_due"] = due
    try:
        values["status"] = InstrumentStatus(fields.get("status") or InstrumentStatus.IN_SERVICE)
    except ValueError:
        raise ServiceError(_("Choose a status from the list."), field="status") from None
    values["note"] = values["note"] or None
    return values


def _check_unique(session: Session, asset_no: str, instrument_id: int | None) -> None:
    other = session.scalar(select(Instrument.id).where(Instrument.asset_no == asset_no))
    if other is not None and other != instrument_id:
        raise ServiceError(
            _("Another instrument has the asset number %(no)s.", no=asset_no), field="asset_no"
        )


@writes(*REGISTRARS)
def create_instrument(session: Session, actor: User, **fields) -> Instrument:
    """Add an instrument to the register (name, model, asset and serial numbers, calibration
    due date, status, note), audited."""
    values = _clean(fields)
    _check_unique(session, values["asset_no"], None)
    instrument = Instrument(**values)
    session.add(instrument)
    session.flush()
    audit.record(session, actor, "instrument", instrument.id, "create", new=_snapshot(instrument))
    return instrument


@writes(*REGISTRARS)
def update_instrument(
    session: Session, actor: User, instrument: Instrument, reason: str = "", **fields
) -> Instrument:
    """Change an instrument's entry (a new calibration due date after calibration, a status),
    audited with the old and new values."""
    values = _clean(fields)
    _check_unique(session, values["asset_no"], instrument.id)
    old = _snapshot(instrument)
    for name, value in values.items():
        setattr(instrument, name, value)
    new = _snapshot(instrument)
    if new == old:
        raise ServiceError(_("Nothing was changed."))
    session.flush()
    audit.record(
        session,
        actor,
        "instrument",
        instrument.id,
        "update",
        old=old,
        new=new,
        reason=(reason or "").strip() or None,
    )
    return instrument


def check_usable(instrument: Instrument, on: date) -> None:
    """ServiceError (field "instrument") unless ``instrument`` may be named for a test that
    ended on ``on``: in service, and its calibration not overdue that day."""
    if instrument.status != InstrumentStatus.IN_SERVICE:
        raise ServiceError(
            _(
                "%(instrument)s is %(status)s and cannot be used.",
                instrument=instrument.label,
                status=instrument.status.title,
            ),
            field="instrument",
        )
    if on > instrument.calibration_due:
        raise ServiceError(
            _(
                "%(instrument)s was due for calibration on %(due)s: it cannot be used for a "
                "test ending on %(day)s. Calibrate it and update the register, or choose "
                "another instrument.",
                instrument=instrument.label,
                due=instrument.calibration_due.isoformat(),
                day=on.isoformat(),
            ),
            field="instrument",
        )


# --- methods ---------------------------------------------------------------------------------


def further_methods(session: Session, item: TestItem) -> list[TestItemMethod]:
    return list(
        session.scalars(
            select(TestItemMethod)
            .where(TestItemMethod.test_item_id == item.id)
            .order_by(TestItemMethod.method_standard)
        )
    )


def allowed_methods(session: Session, result: SampleResult) -> list[str]:
    """The methods ``result`` may be tested by: its frozen method first, then the item's usual
    method, then the further methods of the item (each once)."""
    methods = [result.method_standard, result.test_item.method_standard]
    methods += [m.method_standard for m in further_methods(session, result.test_item)]
    return list(dict.fromkeys(m for m in methods if m))


@writes(*REGISTRARS)
def add_method(
    session: Session, actor: User, item: TestItem, method_standard: str
) -> TestItemMethod:
    """Allow a further method for ``item`` (e.g. GB 5009.12-2023 第二法), audited."""
    method = (method_standard or "").strip()
    if not method:
        raise ServiceError(_("Give the method's standard number."), field="method_standard")
    if len(method) > 120 or _CONTROL_RE.search(method):
        raise ServiceError(
            _("A method is at most 120 characters, without control characters."),
            field="method_standard",
        )
    if method in (
        item.method_standard,
        *(m.method_standard for m in further_methods(session, item)),
    ):
        raise ServiceError(
            _("%(method)s is already a method of this item.", method=method),
            field="method_standard",
        )
    row = TestItemMethod(test_item_id=item.id, method_standard=method)
    session.add(row)
    session.flush()
    audit.record(session, actor, "test_item", item.id, "add_method", new={"method": method})
    return row


@writes(*REGISTRARS)
def remove_method(session: Session, actor: User, row: TestItemMethod) -> None:
    """No longer allow a further method (results already recorded with it keep it)."""
    item_id, method = row.test_item_id, row.method_standard
    session.delete(row)
    session.flush()
    audit.record(session, actor, "test_item", item_id, "remove_method", old={"method": method})
