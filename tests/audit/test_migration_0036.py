"""Migration 0036 (the trail as several chains): a trail written before it, keyed and
anchored by a checkpoint of the one-chain format, still verifies after the upgrade and goes
on in chain 0; the downgrade keeps it whole."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from foundation.test_migrations import scratch_app  # noqa: F401 - the fixture
from sqlalchemy import text

from labsys.extensions import db
from labsys.services import anchor, audit, integrity

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _write_trail_as_before(count: int) -> str:
    """``count`` rows as the code before 0036 wrote them (one chain, positions 1...), and
    its checkpoint in the one-chain format; returns the head's hash."""
    key = anchor.current_key()
    prev = audit.GENESIS_HASH
    for seq in range(1, count + 1):
        row = {
            "at": AT, "user_id": None, "entity": "sample", "entity_id": str(seq),
            "action": "note", "old_values": None, "new_values": f'{{"n":{seq}}}',
            "reason": None, "prev_hash": prev,
        }  # fmt: skip
        fields = [row[name] for name in audit._HASHED]
        row_hash = audit._keyed_hash(key, seq, *fields)  # chain 0: the payload of before
        db.session.execute(
            text(
                "INSERT INTO audit_log (at, user_id, entity, entity_id, action, old_values, "
                "new_values, reason, prev_hash, row_hash, seq, key_id) VALUES (:at, :user_id, "
                ":entity, :entity_id, :action, :old_values, :new_values, :reason, :prev_hash, "
                ":row_hash, :seq, :key_id)"
            ),
            {**row, "at": AT.replace(tzinfo=None), "row_hash": row_hash, "seq": seq,
             "key_id": key.id},
        )  # fmt: skip
        prev = row_hash
    db.session.commit()
    unsigned = anchor.Checkpoint(count, prev, AT.isoformat(), key.id)
    mac = hmac.new(key.secret, unsigned.payload(), hashlib.sha256).hexdigest()
    assert unsigned.payload().startswith(b"labsys-checkpoint-v1")
    old = anchor.Checkpoint(count, prev, AT.isoformat(), key.id, mac)
    anchor.write_private(anchor.checkpoint_path(), old.to_json())
    assert "heads" not in old.to_json()
    return prev


def test_a_trail_written_before_verifies_after_the_upgrade(scratch_app):  # noqa: F811
    directory = scratch_app.extensions["migrate"].directory
    upgrade(directory=directory, revision="0035")
    head = _write_trail_as_before(3)

    upgrade(directory=directory)
    outcome = integrity.verify(db.session)
    assert outcome.intact, outcome.problems
    assert outcome.entries == 3 and outcome.checkpoint.heads is None  # the old format read
    db.session.rollback()

    # It goes on in chain 0 (no other writer), and the next checkpoint is of the new format.
    audit.record(db.session, None, "sample", 4, "note")
    db.session.commit()
    assert audit.heads(db.session)[0][0] == 4
    checkpoint = anchor.read_checkpoint()
    assert checkpoint.heads is not None and checkpoint.heads[0][0] == 4
    assert audit.verify_chain(db.session, checkpoint=checkpoint) == (4, None)
    assert db.session.scalar(text("SELECT prev_hash FROM audit_log WHERE seq = 4")) == head
    db.session.rollback()

    downgrade(directory=directory, revision="0035")
    upgrade(directory=directory)
    assert integrity.verify(db.session).intact
    db.session.rollback()
