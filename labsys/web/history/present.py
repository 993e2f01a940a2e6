"""Audit entries of a sample and its results as rows a person reads: the action's title by
entity (a sample's creation is "Sampled", a result row's creation at receipt is not a
retest), each changed field by its label with the value before and after (enums by their
titles, ids by names, internal keys left out), who and why; entries that changed nothing are
left out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from labsys.models import (
    AuditEntry,
    Conclusion,
    OilProcess,
    ResultStatus,
    SampleStatus,
    VerdictValue,
)
from labsys.services.sampling import BATCH_CHOICES
from labsys.web.history import queries

ACTIONS = {
    ("sample", "create"): _l("Sampled"),
    ("sample", "update"): _l("Edited"),
    ("sample", "correct"): _l("Corrected"),
    ("sample", "receive"): _l("Received by the lab"),
    ("sample", "reject"): _l("Rejected by the lab"),
    ("sample", "conclude"): _l("Conclusion derived"),
    # The lab corrects or tests a result again, or an upheld objection withdraws the
    # conclusion (the entry's reason says which): neither is always a retest.
    ("sample", "reopen"): _l("Conclusion withdrawn until the results are accepted again"),
    ("sample", "status"): _l("Report issued"),
    ("sample", "retest_conclusion"): _l("Conclusion of the re-inspection applied"),
    ("sample", "attach"): _l("File attached"),
    ("sample", "detach"): _l("File withdrawn"),
    ("sample", "parcel_arrived"): _l("Parcel arrived"),
    ("sample", "void"): _l("Voided"),
    ("result", "create"): _l("Test item assigned"),
    ("result", "enter"): _l("Result entered"),
    ("result", "submit"): _l("Submitted for review"),
    ("result", "accept"): _l("Accepted"),
    ("result", "return"): _l("Returned"),
    ("result", "correct"): _l("Corrected"),
    ("result", "amend"): _l("Corrected by an approved report correction"),
    ("result", "retest"): _l("Retest ordered"),
    ("result", "assign"): _l("Assigned to a technician"),
    ("result", "unassign"): _l("Assignment removed"),
    ("result", "bench"): _l("Bench record (dates, method, instrument)"),
    ("result", "attach"): _l("File attached"),
    ("result", "detach"): _l("File withdrawn"),
}
RETEST_ROW = _l("Retest row created")
OTHER_ACTION = _l("Changed")

LABELS = {
    "sample_no": _l("Sample number"),
    "food_name": _l("Food name"),
    "category_id": _l("Food category"),
    "brand": _l("Brand"),
    "specification": _l("Specification"),
    "production_date": _l("Production date"),
    "batch_no": _l("Batch number"),
    "shelf_life": _l("Shelf life"),
    "oil_process": _l("Oil process"),
    "quantity": _l("Quantity"),
    "quantity_unit": _l("Quantity unit"),
    "backup_quantity": _l("Backup quantity"),
    "sampling_base": _l("Sampling base"),
    "producer_id": _l("Producer"),
    "remarks": _l("Remarks"),
    "status": _l("Status"),
    "conclusion": _l("Conclusion"),
    "due_delivery": _l("Due at the lab"),
    "due_report": _l("Report due"),
    "due_unqualified_report": _l("Unqualified report due"),
    "measured": _l("Result"),
    "measured_text": _l("Result"),
    "reported": _l("Reported value"),
    "reported_text": _l("Reported value"),
    "verdict": _l("Item verdict"),
    "lod": _l("LOD"),
    "unit_values": _l("Unit results"),
    "received_at": _l("Arrival time"),
    "arrived_at": _l("Arrival time"),
    "seal_state": _l("Seal state"),
    "condition": _l("Condition"),
    "temperature": _l("Temperature (°C)"),
    "rejection_reason": _l("Rejection reason"),
    "return_reason": _l("Reason for returning"),
    "concluded_at": _l("Concluded at"),
    "technician": _l("Technician"),
    "started_on": _l("Test started"),
    "ended_on": _l("Test ended"),
    "method": _l("Method"),
    "instrument": _l("Instrument"),
    "kind": _l("Kind of file"),
    "filename": _l("File name"),
    "size": _l("Size (bytes)"),
    "sha256": _l("SHA-256"),
}
# Internal keys: links between rows, not facts a reader needs.
HIDDEN = {
    "sample_id", "retest_id", "supersedes_id", "version_id", "id", "instrument_id",
    "attachment_id", "content_type",
}  # fmt: skip
ENUMS = {
    "conclusion": Conclusion,
    "verdict": VerdictValue,
    "oil_process": OilProcess,
}


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class HistoryRow:
    at: datetime
    who: str
    subject: str
    action: str
    changes: list[FieldChange] = field(default_factory=list)
    reason: str = ""


def _label(key: str) -> str:
    """A field's label: ours, else the sampling form's label of that field (the national
    form's fields), else the key itself."""
    if key in LABELS:
        return str(LABELS[key])
    from labsys.web.sampling.forms import SampleEditForm

    unbound = getattr(SampleEditForm, key, None)
    label = (getattr(unbound, "args", None) or [None])[0] or (
        getattr(unbound, "kwargs", {}) or {}
    ).get("label")
    return str(label) if label else key


def _parse(values: str | None) -> dict:
    return json.loads(values) if values else {}


def history_rows(
    session: Session,
    entries: Sequence[AuditEntry],
    *,
    item_names: dict[int, str] | None = None,
    sample_title: str = "",
) -> list[HistoryRow]:
    """The readable rows of ``entries`` (oldest first), leaving out those that changed
    nothing and carry no reason."""
    parsed = [(entry, _parse(entry.old_values), _parse(entry.new_values)) for entry in entries]
    users = queries.user_names(session, (e.user_id for e in entries if e.user_id))
    categories = queries.category_names(
        session, (v.get("category_id") for _e, o, n in parsed for v in (o, n))
    )
    producers = queries.enterprise_names(
        session, (v.get("producer_id") for _e, o, n in parsed for v in (o, n))
    )

    def shown(entity: str, key: str, value) -> str:
        if value is None or value == "":
            return "—"
        if key == "status":
            states = SampleStatus if entity == "sample" else ResultStatus
            return _title(states, value)
        if key in ENUMS:
            return _title(ENUMS[key], value)
        if key in BATCH_CHOICES:
            return _title(BATCH_CHOICES[key], value)
        if key == "category_id":
            return categories.get(value, "—")
        if key == "producer_id":
            return producers.get(value, "—")
        if key == "kind" and entity == "sample":
            from labsys.services.attachments import kind_title

            return kind_title(value)
        if key == "unit_values" and isinstance(value, str):
            try:
                return ", ".join(str(v) for v in json.loads(value))
            except ValueError:
                return value
        if key.endswith("_at") and isinstance(value, str):
            try:
                return format_datetime(datetime.fromisoformat(value), "yyyy-MM-dd HH:mm")
            except ValueError:
                return value
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, bool):
            return str(_l("Yes") if value else _l("No"))
        return str(value)

    rows = []
    for entry, old, new in parsed:
        changes = []
        for key in [*new, *(k for k in old if k not in new)]:
            if key in HIDDEN or key.endswith("_by_id"):
                continue
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            changes.append(
                FieldChange(
                    _label(key),
                    shown(entry.entity, key, before) if entry.old_values else "",
                    shown(entry.entity, key, after),
                )
            )
        if not changes and not entry.reason:
            continue  # a save that changed nothing
        rows.append(
            HistoryRow(
                at=entry.at,
                who=users.get(entry.user_id, "") if entry.user_id else str(_l("System")),
                subject=_subject(entry, item_names or {}, sample_title),
                action=_action(entry, new),
                changes=changes,
                reason=entry.reason or "",
            )
        )
    return rows


def _title(enum, value) -> str:
    try:
        return str(enum(value).title)
    except ValueError:
        return str(value)


def _subject(entry: AuditEntry, items: dict[int, str], sample_title: str) -> str:
    if entry.entity == "result":
        try:
            return items.get(int(entry.entity_id), "")
        except ValueError:
            return ""
    return sample_title


def _action(entry: AuditEntry, new: dict) -> str:
    if entry.entity == "result" and entry.action == "create" and new.get("supersedes_id"):
        return str(RETEST_ROW)
    return str(ACTIONS.get((entry.entity, entry.action), OTHER_ACTION))
