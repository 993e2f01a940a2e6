"""The audit trail as several chains (issue #19 §2): audited writers on PostgreSQL no longer
queue behind one lock, and tampering with any chain is still detected (issue #18 §3)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from labsys.extensions import db
from labsys.models import AuditEntry
from labsys.services import anchor, audit, integrity

from audit_support import Lab, run_cli, tamper


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's concurrent writers (SQLite has one writer at a time)")


def _note(session: Session, number: int) -> None:
    audit.record(session, None, "sample", number, "note", new={"n": number})


def test_writers_on_different_chains_do_not_wait_for_each_other(app, postgres):
    """One transaction has appended and stays open (a slow request); another appends and
    commits meanwhile.  With one global lock it would wait for the first: the lock timeout
    makes that a failure instead of a hang."""
    slow, quick = Session(db.engine), Session(db.engine)
    try:
        _note(slow, 1)  # holds its chain's lock until it ends
        quick.execute(text("SET LOCAL lock_timeout = '5s'"))
        _note(quick, 2)
        quick.commit()
        _note(slow, 3)  # the slow one goes on in its own chain
        slow.commit()
    finally:
        slow.close()
        quick.close()
    rows = db.session.execute(
        select(AuditEntry.entity_id, AuditEntry.chain, AuditEntry.seq).order_by(AuditEntry.id)
    ).all()
    by_number = {r.entity_id: (r.chain, r.seq) for r in rows}
    assert by_number["1"][0] == by_number["3"][0] != by_number["2"][0]
    assert [by_number[n][1] for n in ("1", "3", "2")] == [1, 2, 1]
    checkpoint = anchor.read_checkpoint()
    assert checkpoint is not None and checkpoint.seq == 3 and len(checkpoint.heads) == 2
    assert audit.verify_chain(db.session, checkpoint=checkpoint) == (3, None)


def test_a_chain_is_never_forked(app, postgres, monkeypatch):
    """With one chain only, the second writer waits for the first: two transactions never
    append to one chain at once."""
    monkeypatch.setitem(app.config, "AUDIT_CHAINS", 1)
    slow, quick = Session(db.engine), Session(db.engine)
    try:
        _note(slow, 1)
        quick.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            _note(quick, 2)
        quick.rollback()
        slow.commit()
    finally:
        slow.close()
        quick.close()
    assert audit.verify_chain(db.session) == (1, None)


@pytest.fixture
def chained(app, make_user):
    """Entries in four chains: the system's (0) and three users' (their id mod
    AUDIT_CHAINS), committed one transaction each."""
    people = [make_user(f"u{n}") for n in range(3)]
    for round_ in range(3):
        for person in people:
            audit.record(db.session, person, "sample", round_, "note", new={"by": person.id})
            db.session.commit()
    chains = db.session.scalars(
        select(AuditEntry.chain).group_by(AuditEntry.chain).order_by(AuditEntry.chain)
    ).all()
    assert len(chains) == 4
    return chains


def _rows_of(chain: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.id)
        )
    )


def _verify(app):
    result = run_cli(app, "audit", "verify")
    assert result.exit_code == 1, result.output
    return result.output


def test_every_chain_verifies_and_is_anchored(app, chained, monkeypatch):
    result = run_cli(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    checkpoint = anchor.read_checkpoint()
    assert sorted(checkpoint.heads) == chained
    assert checkpoint.seq == db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert audit.heads(db.session) == checkpoint.heads
    # Fewer chains configured later: the chains beyond still count.
    monkeypatch.setitem(app.config, "AUDIT_CHAINS", 1)
    assert audit.heads(db.session) == checkpoint.heads


def test_an_edited_row_in_any_chain_is_detected(app, chained):
    victim = _rows_of(chained[2])[1]
    tamper("UPDATE audit_log SET reason = 'forged' WHERE id = :id", id=victim.id)
    assert f"BROKEN at entry {victim.id}: content does not match its hash" in _verify(app)


def test_the_newest_row_of_one_chain_deleted_is_detected(app, chained):
    """Not the newest row of the trail: the newest of a chain that others wrote after."""
    victim = _rows_of(chained[1])[-1]
    assert victim.id != db.session.scalar(select(func.max(AuditEntry.id)))
    tamper("DELETE FROM audit_log WHERE id = :id", id=victim.id)
    output = _verify(app)
    assert f"chain {chained[1]} of the trail ends after 2 entries" in output
    assert "newest entries were deleted" in output


def test_a_whole_chain_deleted_is_detected(app, chained):
    tamper("DELETE FROM audit_log WHERE chain = :chain", chain=chained[3])
    assert f"chain {chained[3]} of the trail ends after 0 entries" in _verify(app)


def test_a_row_in_the_middle_of_a_chain_deleted_is_detected(app, chained):
    rows = _rows_of(chained[1])
    tamper("DELETE FROM audit_log WHERE id = :id", id=rows[1].id)
    assert f"BROKEN at entry {rows[2].id}: previous-hash link broken" in _verify(app)


def test_a_row_moved_to_another_chain_is_detected(app, chained):
    """The chain is in the row's HMAC: a row moved to a chain of its own, linked and
    numbered as that chain's first row, does not pass as one of its rows."""
    victim = _rows_of(chained[1])[-1]
    tamper(
        "UPDATE audit_log SET chain = 99, seq = 1, prev_hash = :prev WHERE id = :id",
        prev=audit.genesis(99), id=victim.id,
    )  # fmt: skip
    assert f"BROKEN at entry {victim.id}: content does not match its hash" in _verify(app)


def test_a_lab_working_in_several_chains_reconciles(app, make_user, make_sample, make_item,
                                                   make_category):  # fmt: skip
    lab = Lab(make_user, make_sample, make_item, make_category)
    lab.reported_sample("0.05")
    lab.reported_sample("0.12")
    assert len(audit.chains(db.session)) > 1  # technician, reviewer, supervisor
    outcome = integrity.verify(db.session)
    assert outcome.intact, outcome.problems
    assert (outcome.reports, outcome.results) == (2, 2)
    assert outcome.checkpoint is not None and len(outcome.checkpoint.heads) > 1
