"""The audit-change type: named fields, immutable, and the hash chain's payload unchanged."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from labsys.models import AuditEntry, ResultStatus
from labsys.services import audit

AT = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
# Row hashes of these two entries as written by the code before the Change type (positional
# 6-tuples), computed with it: chains written then must still verify.
FIRST_HASH = "9d0a418c45bd22ce43450d057a30427141d185040f9c687a8b35c6330f3d50fd"
SECOND_HASH = "ec2e72d6ec8d7ac912b8c7945f04c22c3aba2c0b0c203ef9344d40235110eba9"
FIRST = audit.Change(
    "result",
    7,
    "submit",
    old={"status": ResultStatus.ENTERED, "measured": Decimal("0.10")},
    new={"status": ResultStatus.SUBMITTED, "sample_id": 7},
    reason="checked",
)
SECOND = audit.Change("catalog_version", "GB 2762", "load", new={"version": "2"})


def _hashes(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.row_hash).order_by(AuditEntry.id)))


def test_a_change_has_named_fields_and_cannot_be_altered():
    change = audit.Change("sample", 1, "receive", new={"status": "received"})
    assert (change.entity, change.entity_id, change.action) == ("sample", 1, "receive")
    assert (change.old, change.reason) == (None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.reason = "later"  # type: ignore[misc]


def test_record_many_writes_the_same_chain_as_before(db, freeze_clock):
    freeze_clock(AT)
    assert audit.record_many(db.session, None, [FIRST, SECOND]) == 2
    db.session.commit()
    assert _hashes(db) == [FIRST_HASH, SECOND_HASH]
    assert audit.verify_chain(db.session) == (2, None)


def test_record_and_append_write_the_same_payload(db, freeze_clock):
    freeze_clock(AT)
    audit.record(
        db.session, None, FIRST.entity, FIRST.entity_id, FIRST.action,
        old=FIRST.old, new=FIRST.new, reason=FIRST.reason,
    )  # fmt: skip
    audit.append(db.session, [audit.Stamped(SECOND, None, AT)])
    db.session.commit()
    assert _hashes(db) == [FIRST_HASH, SECOND_HASH]


def test_a_chain_written_before_extends_and_verifies(db, make_user):
    """An existing chain (rows as the old code stored them) stays valid when new changes
    are appended after it."""
    db.session.execute(
        AuditEntry.__table__.insert(),
        [
            {
                "at": AT,
                "user_id": None,
                "entity": "result",
                "entity_id": "7",
                "action": "submit",
                "old_values": audit.canonical_json(FIRST.old),
                "new_values": audit.canonical_json(FIRST.new),
                "reason": "checked",
                "prev_hash": audit.GENESIS_HASH,
                "row_hash": FIRST_HASH,
            }
        ],
    )
    make_user("ann")  # audited through the service, chained after the old row
    db.session.commit()
    checked, broken = audit.verify_chain(db.session)
    assert broken is None and checked == 2


def test_a_positional_tuple_is_refused_and_nothing_is_written(db):
    with pytest.raises(TypeError, match="Change"):
        audit.record_many(db.session, None, [("sample", 1, "receive", None, None, None)])
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
