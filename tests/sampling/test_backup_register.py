"""The register of retest backups (复检备份样品, issue #12 §5): entered at receipt, kept until
3 / 6 months after the conclusion or the end of the shelf life (Order No. 15 Art. 25
¶1–2), handed over to a retest lab, disposed of with who and when; every allowed and
refused step, and the page of what may be disposed of this week."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import (
    AuditEntry,
    BackupSample,
    BackupStatus,
    Conclusion,
    Lab,
    SampleStatus,
)
from labsys.services import PermissionDenied, ServiceError, backups, receipt, sampling
from labsys.services.access import SYSTEM

TODAY = date(2026, 11, 30)
CONCLUDED = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10 March, Beijing


@pytest.fixture
def clock_today(freeze_clock):
    freeze_clock(datetime(2026, 11, 30, 4, 0, tzinfo=UTC))


def _sample(world, **batch):
    visit = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch(**batch)])
    db.session.commit()
    return visit.samples[0]


def _received(world, **batch):
    sample = _sample(world, **batch)
    receipt.receive_sample(
        db.session,
        world.tom,
        sample,
        arrived_at=datetime(2026, 11, 4, 1, 30, tzinfo=UTC),
        seal_state="完好",
    )
    db.session.commit()
    return sample


def _concluded(world, conclusion=Conclusion.QUALIFIED, **batch):
    sample = _received(world, **batch)
    sample.conclusion, sample.concluded_at = conclusion, CONCLUDED
    sample.status = SampleStatus.CONCLUDED
    backups.conclusion_changed(db.session, world.sue, sample)
    db.session.commit()
    return backups.backup_of(db.session, sample)


def test_receipt_enters_the_backup_and_the_conclusion_sets_its_retention(world, clock_today):
    sample = _received(world)
    backup = backups.backup_of(db.session, sample)
    assert (backup.status, backup.retain_until) == (BackupStatus.HELD, None)
    sample.conclusion, sample.concluded_at = Conclusion.UNQUALIFIED, CONCLUDED
    backups.conclusion_changed(db.session, world.sue, sample)
    assert backup.retain_until == date(2026, 9, 10)  # 6 months
    sample.conclusion = None  # withdrawn for a retest: kept
    backups.conclusion_changed(db.session, world.sue, sample)
    assert backup.retain_until is None
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "backup").order_by(AuditEntry.id)
    ).all()
    assert actions == ["backup_register", "backup_retention", "backup_retention"]


@pytest.mark.parametrize(
    ("conclusion", "shelf_life", "until"),
    [
        (Conclusion.QUALIFIED, "12个月", date(2026, 6, 10)),
        (Conclusion.UNQUALIFIED, "12个月", date(2026, 9, 10)),
        # Made 1 Oct 2025 with 180 days: the shelf life ends 30 March 2026, sooner.
        (Conclusion.UNQUALIFIED, "180天", date(2026, 3, 30)),
        (Conclusion.INCONCLUSIVE, "12个月", None),
    ],
)
def test_the_retention_by_conclusion_and_shelf_life(
    world, clock_today, conclusion, shelf_life, until
):
    backup = _concluded(world, conclusion, shelf_life=shelf_life, production_date=date(2025, 10, 1))
    assert backup.retain_until == until


# (what is done, how, the refusal's words or None when allowed)
DISPOSALS = [
    ("the day after the retention", {"disposed_on": date(2026, 6, 11)}, None),
    ("on the last day kept", {"disposed_on": date(2026, 6, 10)}, "2026-06-10"),
    ("before the retention ends", {"disposed_on": date(2026, 5, 1)}, "第二十五条"),
    ("in the future", {"disposed_on": date(2026, 12, 1)}, "晚于今天"),
    ("without a method", {"disposed_on": date(2026, 6, 11), "method": "  "}, "如何"),
]


@pytest.mark.parametrize(("case", "change", "refusal"), DISPOSALS, ids=[d[0] for d in DISPOSALS])
def test_disposal(world, clock_today, case, change, refusal):
    backup = _concluded(world)  # qualified on 10 March: kept until 10 June
    fields = {"method": "无害化销毁", **change}
    if refusal is None:
        backups.dispose(db.session, world.tom, backup, **fields)
        db.session.commit()
        assert (backup.status, backup.disposed_by_id) == (BackupStatus.DISPOSED, world.tom.id)
        assert backup.disposed_on == fields["disposed_on"]
        return
    with pytest.raises(ServiceError) as caught:
        backups.dispose(db.session, world.tom, backup, **fields)
    assert refusal in caught.value.message
    db.session.rollback()
    assert db.session.get(BackupSample, backup.id).status == BackupStatus.HELD


def test_a_backup_without_a_final_conclusion_is_kept(world, clock_today):
    backup = backups.backup_of(db.session, _received(world))
    with pytest.raises(ServiceError) as caught:
        backups.dispose(db.session, world.tom, backup, disposed_on=TODAY, method="销毁")
    assert "最终结论" in caught.value.message or "final conclusion" in caught.value.message


def _other_lab():
    lab = Lab(code="09", name="复检中心")
    db.session.add(lab)
    db.session.commit()
    return lab


def test_hand_over_then_no_disposal_nor_second_hand_over(world, clock_today):
    backup = _concluded(world, Conclusion.UNQUALIFIED)
    lab = _other_lab()
    backups.hand_over(
        db.session,
        world.sue,
        backup.sample,
        lab_id=lab.id,
        handed_over_on=date(2026, 3, 20),
        seal_intact=True,
        notes="封条完好",
    )
    db.session.commit()
    assert (backup.status, backup.handed_to_lab_id, backup.seal_intact) == (
        BackupStatus.HANDED_OVER,
        lab.id,
        True,
    )
    for attempt in (
        lambda: backups.dispose(
            db.session, world.tom, backup, disposed_on=date(2026, 10, 1), method="销毁"
        ),
        lambda: backups.hand_over(
            db.session,
            world.sue,
            backup.sample,
            lab_id=lab.id,
            handed_over_on=date(2026, 3, 21),
            seal_intact=True,
        ),
        lambda: backups.store(db.session, world.tom, backup, location="A", stored_on=TODAY),
    ):
        with pytest.raises(ServiceError):
            attempt()
        db.session.rollback()


@pytest.mark.parametrize(
    ("case", "change", "field"),
    [
        ("the first lab", {"lab_id": "first"}, "lab_id"),
        ("no lab", {"lab_id": 0}, "lab_id"),
        ("an unknown lab", {"lab_id": 99999}, "lab_id"),
        ("seal not checked", {"seal_intact": None}, "seal_intact"),
        ("in the future", {"handed_over_on": date(2027, 1, 4)}, "handed_over_on"),
    ],
)
def test_hand_over_refusals(world, clock_today, case, change, field):
    backup = _concluded(world, Conclusion.UNQUALIFIED)
    fields = {"lab_id": _other_lab().id, "handed_over_on": date(2026, 3, 20), "seal_intact": True}
    fields.update(change)
    if fields["lab_id"] == "first":
        fields["lab_id"] = backup.sample.lab_id
    with pytest.raises(ServiceError) as caught:
        backups.hand_over(db.session, world.sue, backup.sample, **fields)
    assert caught.value.field == field
    db.session.rollback()
    assert db.session.get(BackupSample, backup.id).status == BackupStatus.HELD


def test_an_unreceived_sample_has_no_backup_to_hand_over(world, clock_today):
    sample = _sample(world)
    with pytest.raises(ServiceError):
        backups.hand_over(
            db.session,
            world.sue,
            sample,
            lab_id=_other_lab().id,
            handed_over_on=date(2026, 11, 20),
            seal_intact=True,
        )


@pytest.mark.parametrize("role_user", ["ann", "bob"])
def test_samplers_keep_no_register(world, clock_today, role_user):
    backup = _concluded(world)
    with pytest.raises(PermissionDenied):
        backups.dispose(
            db.session, getattr(world, role_user), backup, disposed_on=TODAY, method="销毁"
        )


def test_store_records_the_place_and_a_move(world, clock_today):
    backup = _concluded(world)
    backups.store(
        db.session, world.tom, backup, location="留样室 A柜-1层", stored_on=date(2026, 11, 4)
    )
    backups.store(
        db.session, world.tom, backup, location="留样室 B柜-2层", stored_on=date(2026, 11, 20)
    )
    db.session.commit()
    assert (backup.location, backup.stored_on) == ("留样室 B柜-2层", date(2026, 11, 20))
    with pytest.raises(ServiceError):
        backups.store(db.session, world.tom, backup, location=" ", stored_on=TODAY)


def test_sync_enters_the_missing_and_updates_retentions(world, clock_today):
    backup = _concluded(world)
    db.session.delete(backup)
    other = _received(world)
    db.session.delete(backups.backup_of(db.session, other))
    db.session.commit()
    counts = backups.sync_register(db.session, SYSTEM)
    db.session.commit()
    assert counts == {"added": 2, "retention_changed": 1}
    rows = {b.sample_id: b.retain_until for b in db.session.scalars(select(BackupSample))}
    assert rows[backup.sample_id] == date(2026, 6, 10) and rows[other.id] is None
    assert backups.sync_register(db.session, SYSTEM) == {"added": 0, "retention_changed": 0}


def test_the_page_lists_what_may_be_disposed_of_this_week(world, clock_today, login, client, post):
    old = _concluded(world)  # kept until 10 June
    recent = _concluded(world, Conclusion.UNQUALIFIED, production_date=date(2026, 10, 1))
    recent.retain_until = date(2026, 12, 10)  # beyond this week (30 Nov - 6 Dec)
    db.session.commit()
    login(world.tom)
    page = client.get("/backups/").get_data(as_text=True).split('id="disposable"')[1]
    assert old.sample.sample_no in page and recent.sample.sample_no not in page
    # A crafted early disposal is refused and changes nothing.
    detail = f"/backups/{recent.sample_id}"
    response = post(
        f"{detail}/dispose",
        {"disposed_on": "2026-11-30", "method": "销毁"},
        token_from=detail,
        follow_redirects=True,
    )
    assert "2026-12-10" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(BackupSample, recent.id).status == BackupStatus.HELD
    hostile = '<script>alert("x")</script>'
    post(
        f"/backups/{old.sample_id}/store",
        {"location": hostile, "stored_on": "2026-11-30"},
        token_from=f"/backups/{old.sample_id}",
    )
    html = client.get(f"/backups/{old.sample_id}").get_data(as_text=True)
    assert hostile not in html and "&lt;script&gt;" in html
    response = post(
        f"/backups/{old.sample_id}/dispose",
        {"disposed_on": "2026-11-30", "method": "无害化销毁"},
        token_from=f"/backups/{old.sample_id}",
    )
    db.session.rollback()
    assert db.session.get(BackupSample, old.id).status == BackupStatus.DISPOSED
    table = client.get("/backups/").get_data(as_text=True).split('id="disposable"')[1]
    assert old.sample.sample_no not in table


def test_the_pages_are_for_the_lab(world, login, client):
    login(world.ann)
    assert client.get("/backups/").status_code == 403
    assert client.get("/backups/register").status_code == 403
    login(world.sue)
    assert client.get("/backups/register").status_code == 200


# --- every step in every state (issue 12 "Done when") ----------------------------------------

BACKUP_STEPS = {
    "store": lambda b, w, lab: backups.store(
        db.session, w.tom, b, location="留样室 A柜-1层", stored_on=date(2026, 3, 12)
    ),
    "hand_over": lambda b, w, lab: backups.hand_over(
        db.session,
        w.sue,
        b.sample,
        lab_id=lab.id,
        handed_over_on=date(2026, 3, 20),
        seal_intact=True,
    ),
    "dispose": lambda b, w, lab: backups.dispose(
        db.session, w.tom, b, disposed_on=date(2026, 9, 20), method="无害化销毁"
    ),
}
BACKUP_PATHS = {
    BackupStatus.HELD: [],
    BackupStatus.HANDED_OVER: ["hand_over"],
    BackupStatus.DISPOSED: ["dispose"],
}


def test_the_backup_table_covers_every_step():
    from labsys.core import lifecycle as tables

    assert set(BACKUP_STEPS) == set(tables.BACKUP.events) - {"register"}
    assert set(BACKUP_PATHS) == set(BackupStatus)


@pytest.mark.parametrize("state", list(BackupStatus), ids=str)
def test_every_backup_step_in_every_state(world, clock_today, state):
    """Allowed: the table's target and one audit entry naming the step.  Refused: the state
    and the article named, the backup and the audit trail unchanged."""
    from sqlalchemy import func

    from labsys.core import lifecycle as tables

    def audits(action=None):
        query = select(func.count()).select_from(AuditEntry)
        if action is not None:
            query = query.where(AuditEntry.entity == "backup", AuditEntry.action == action)
        return db.session.scalar(query)

    backup = _concluded(world, Conclusion.UNQUALIFIED)  # kept until 10 September
    lab = _other_lab()
    for event, run in BACKUP_STEPS.items():
        with db.session.begin_nested() as savepoint:
            for step in BACKUP_PATHS[state]:
                BACKUP_STEPS[step](backup, world, lab)
            assert backup.status == state
            row = tables.BACKUP.find(state, event)
            before, logged = audits(), audits(row.action) if row else 0
            if row is None:
                with pytest.raises(ServiceError) as refused:
                    run(backup, world, lab)
                assert backup.status == state and audits() == before, event
                message = refused.value.message
                assert state.title in message and "条" in message, (event, message)
            else:
                run(backup, world, lab)
                assert backup.status == row.target, event
                assert audits(row.action) == logged + 1, event
            savepoint.rollback()
