"""The audit-change type: named fields, immutable, and the hash chain's payload unchanged."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

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
# The same two changes written now: HMAC-SHA256 under this key, with their positions 1, 2.
FIXED_KEY = "a-fixed-audit-key-for-the-pinned-hashes-0123"
KEYED_FIRST_HASH = "61f2df5046792d92c37b5b250cb613c0dcdc2ffc7ac01dc65ee435ed74acc6e5"
KEYED_SECOND_HASH = "a71cec7c4890f15a9e9cf79b6925aa164514230099caf5023b54fed7d9cd44b6"


def _hashes(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.row_hash).order_by(AuditEntry.id)))


def test_a_change_has_named_fields_and_cannot_be_altered():
    change = audit.Change("sample", 1, "receive", new={"status": "received"})
    assert (change.entity, change.entity_id, change.action) == ("sample", 1, "receive")
    assert (change.old, change.reason) == (None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.reason = "later"  # type: ignore[misc]


@pytest.fixture
def fixed_key(app, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_KEY", FIXED_KEY)


def test_the_unkeyed_hash_of_rows_written_before_keys_is_unchanged():
    """Rows written before the keyed chain (key_id NULL) still verify with the old payload."""
    first = _legacy_row(FIRST, audit.GENESIS_HASH)
    assert audit.entry_hash(SimpleNamespace(**first, key_id=None)) == FIRST_HASH
    second = _legacy_row(SECOND, FIRST_HASH)
    assert audit.entry_hash(SimpleNamespace(**second, key_id=None)) == SECOND_HASH


def test_record_many_writes_the_pinned_keyed_chain(db, freeze_clock, fixed_key):
    freeze_clock(AT)
    assert audit.record_many(db.session, None, [FIRST, SECOND]) == 2
    db.session.commit()
    assert _hashes(db) == [KEYED_FIRST_HASH, KEYED_SECOND_HASH]
    assert audit.verify_chain(db.session) == (2, None)


def test_record_and_append_write_the_same_payload(db, freeze_clock, fixed_key):
    freeze_clock(AT)
    audit.record(
        db.session, None, FIRST.entity, FIRST.entity_id, FIRST.action,
        old=FIRST.old, new=FIRST.new, reason=FIRST.reason,
    )  # fmt: skip
    audit.append(db.session, [audit.Stamped(SECOND, None, AT)])
    db.session.commit()
    assert _hashes(db) == [KEYED_FIRST_HASH, KEYED_SECOND_HASH]


def _legacy_row(change, prev_hash):
    return {
        "at": AT,
        "user_id": None,
        "entity": change.entity,
        "entity_id": str(change.entity_id),
        "action": change.action,
        "old_values": audit.canonical_json(change.old),
        "new_values": audit.canonical_json(change.new),
        "reason": change.reason,
        "prev_hash": prev_hash,
    }


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
