"""A grade set by hand (a supervisor, with the reason) survives recomputing, which says so;
it ends when cleared or after its last day, and the rules then grade the enterprise again,
recorded.  Through the service, the pages and the command line."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from labsys.extensions import db
from labsys.models import AuditEntry, GradeChange, RiskGrade, Role
from labsys.services import ServiceError, grading

from support import csrf_token

TODAY = date(2026, 11, 30)
REASON = "监督检查发现原料台账缺失，提级管理"


def _changes() -> int:
    return db.session.scalar(select(func.count()).select_from(GradeChange))


@pytest.fixture
def boss(make_user):
    return make_user("boss", Role.SUPERVISOR)


@pytest.fixture
def graded(app, history, boss):
    """The history graded once: the producer is D by the rules, the clean unit B or lower."""
    grading.recompute(db.session, boss, TODAY)
    db.session.commit()
    assert history["producer"].risk_grade is RiskGrade.D
    return history


def test_recomputing_keeps_a_grade_set_by_hand_and_says_so(graded, boss, freeze_clock):
    # The rules' score beside the hand's grade is today's: TODAY's, not the run's (from
    # 2027-01-05 on, a batch of the history is more than 12 months old and the score drops).
    freeze_clock(TODAY)
    producer = graded["producer"]
    change = grading.set_grade_by_hand(
        db.session, boss, producer, grade="b", reason="  整改到位，现场核查通过 "
    )
    db.session.commit()
    assert (change.by_hand, change.grade, change.previous_grade) == (True, RiskGrade.B, RiskGrade.D)
    assert change.note == "整改到位，现场核查通过" and change.set_by_id == boss.id
    assert change.score == "12"  # the rules' score of the day, kept beside the hand's grade
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "grade").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.reason == "整改到位，现场核查通过" and '"by_hand":true' in entry.new_values
    rows = _changes()

    done = grading.recompute(db.session, boss, TODAY)
    db.session.commit()
    assert (done.changed, done.kept) == (0, 1)
    assert "保留 1 个人工设定的等级" in done.message()
    db.session.refresh(producer)
    assert producer.risk_grade is RiskGrade.B and _changes() == rows
    # A later day, other rules: still kept while it is in force.
    assert grading.recompute(db.session, boss, TODAY + timedelta(days=90)).kept == 1


def test_a_grade_set_by_hand_ends_after_its_last_day(graded, boss):
    producer, last_day = graded["producer"], TODAY + timedelta(days=10)
    grading.set_grade_by_hand(
        db.session, boss, producer, grade="D", reason=REASON, hold_until=last_day, today=TODAY
    )
    db.session.commit()
    assert grading.recompute(db.session, boss, last_day).kept == 1
    db.session.commit()
    rows = _changes()

    after = grading.recompute(db.session, boss, last_day + timedelta(days=1))
    db.session.commit()
    # The same grade D by the rules, yet recorded: the history shows the rules took over.
    assert (after.kept, after.changed) == (0, 0) and _changes() == rows + 1
    latest = grading.grade_history(db.session, producer.id)[0]
    assert (latest.by_hand, latest.grade, latest.previous_grade) == (
        False,
        RiskGrade.D,
        RiskGrade.D,
    )
    assert grading.change_reason(latest).startswith(
        "人工设定的等级已到截止日期，12个月内2批次不合格"
    )
    assert grading.recompute(db.session, boss, last_day + timedelta(days=2)).changed == 0
    assert _changes() == rows + 1


def test_clearing_a_grade_set_by_hand_grades_by_the_rules_at_once(graded, boss):
    producer = graded["producer"]
    grading.set_grade_by_hand(db.session, boss, producer, grade="A", reason=REASON, today=TODAY)
    cleared = grading.clear_grade_by_hand(
        db.session, boss, producer, reason="复查发现问题", today=TODAY
    )
    db.session.commit()
    assert (cleared.by_hand, cleared.grade, cleared.previous_grade) == (
        False,
        RiskGrade.D,
        RiskGrade.A,
    )
    assert producer.risk_grade is RiskGrade.D
    assert grading.change_reason(cleared).startswith("人工设定的等级已取消，12个月内2批次不合格")
    assert grading.change_reason(cleared).endswith("复查发现问题")
    with pytest.raises(ServiceError, match="没有仍有效的人工设定等级"):
        grading.clear_grade_by_hand(db.session, boss, producer, today=TODAY)
    assert grading.recompute(db.session, boss, TODAY).kept == 0


@pytest.mark.parametrize(
    ("grade", "reason", "last_day", "field"),
    [
        ("B", "   ", None, "reason"),
        ("B", None, None, "reason"),
        ("B", "x" * 501, None, "reason"),
        ("E", REASON, None, "grade"),
        ("B", REASON, TODAY - timedelta(days=1), "hold_until"),
    ],
)
def test_a_grade_set_by_hand_needs_a_grade_a_reason_and_a_day_not_past(
    graded, boss, grade, reason, last_day, field
):
    rows = _changes()
    with pytest.raises(ServiceError) as refused:
        grading.set_grade_by_hand(
            db.session,
            boss,
            graded["producer"],
            grade=grade,
            reason=reason,
            hold_until=last_day,
            today=TODAY,
        )
    assert refused.value.field == field
    assert _changes() == rows and graded["producer"].risk_grade is RiskGrade.D


@pytest.mark.parametrize("role", [Role.SAMPLER, Role.ADMIN, Role.TECHNICIAN])
def test_only_a_supervisor_sets_or_clears_a_grade_by_hand(graded, boss, make_user, role):
    someone = make_user("someone", role)
    producer = graded["producer"]
    with pytest.raises(ServiceError):
        grading.set_grade_by_hand(
            db.session, someone, producer, grade="A", reason=REASON, today=TODAY
        )
    grading.set_grade_by_hand(db.session, boss, producer, grade="A", reason=REASON, today=TODAY)
    db.session.commit()
    with pytest.raises(ServiceError):
        grading.clear_grade_by_hand(db.session, someone, producer, today=TODAY)
    assert producer.risk_grade is RiskGrade.A


# --- pages -----------------------------------------------------------------------------------


def test_the_pages_set_a_grade_by_hand_and_recomputing_keeps_it(
    graded, boss, client, login, freeze_clock
):
    freeze_clock(TODAY)
    producer = graded["producer"]
    login(boss)
    page = f"/enterprises/{producer.id}"
    assert 'id="set-grade-by-hand"' in client.get(page).get_data(as_text=True)
    token = csrf_token(client, page)
    refused = client.post(
        f"/risk/grades/{producer.id}/by-hand",
        data={"csrf_token": token, "grade": "B", "reason": ""},
        follow_redirects=True,
    )
    assert "理由（与等级一并保存）：该字段是必填字段。" in refused.get_data(as_text=True)
    assert producer.risk_grade is RiskGrade.D
    done = client.post(
        f"/risk/grades/{producer.id}/by-hand",
        data={"csrf_token": token, "grade": "B", "reason": REASON, "hold_until": "2027-03-31"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已人工设定为 B 级" in done and 'id="grade-by-hand"' in done
    assert f"人工设定，有效至 2027-03-31：{REASON}" in done

    recomputed = client.post(
        "/risk/grades/recompute",
        data={"csrf_token": csrf_token(client, "/risk/grades")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "0家等级变化。 保留 1 个人工设定的等级" in recomputed
    assert f"人工设定，有效至 2027-03-31：{REASON}" in recomputed  # the list's "why"
    db.session.refresh(producer)
    assert producer.risk_grade is RiskGrade.B

    cleared = client.post(
        f"/risk/grades/{producer.id}/by-hand/clear",
        data={"csrf_token": csrf_token(client, page), "reason": ""},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "按规则评定为 D 级" in cleared and 'id="grade-by-hand"' not in cleared
    db.session.refresh(producer)
    assert producer.risk_grade is RiskGrade.D


@pytest.mark.parametrize("role", [Role.SAMPLER, Role.ADMIN, Role.REVIEWER])
def test_other_roles_cannot_set_a_grade_by_hand_by_a_crafted_request(
    graded, boss, app, make_user, login, client, role
):
    producer = graded["producer"]
    grading.set_grade_by_hand(db.session, boss, producer, grade="C", reason=REASON, today=TODAY)
    db.session.commit()
    rows = _changes()
    login(make_user("someone", role))
    token = csrf_token(client, "/")
    for path in (
        f"/risk/grades/{producer.id}/by-hand",
        f"/risk/grades/{producer.id}/by-hand/clear",
    ):
        response = client.post(path, data={"csrf_token": token, "grade": "A", "reason": "x"})
        assert response.status_code == 403
    detail = client.get(f"/enterprises/{producer.id}").get_data(as_text=True)
    assert 'id="set-grade-by-hand"' not in detail and "/by-hand/clear" not in detail
    # Nor through the register's edit form: the posted grade is not a field of it.
    if role != Role.REVIEWER:
        edit = f"/enterprises/{producer.id}/edit"
        client.post(
            edit,
            data={
                "csrf_token": csrf_token(client, edit),
                "version": producer.version_id,
                "name": producer.name,
                "risk_grade": "A",
            },
        )
    db.session.refresh(producer)
    assert producer.risk_grade is RiskGrade.C and _changes() == rows


def test_a_supervisor_without_the_token_changes_nothing(graded, boss, client, login):
    producer = graded["producer"]
    login(boss)
    response = client.post(
        f"/risk/grades/{producer.id}/by-hand", data={"grade": "A", "reason": "x"}
    )
    assert response.status_code == 400
    assert producer.risk_grade is RiskGrade.D


# --- the command line ------------------------------------------------------------------------


def test_the_command_line_recompute_keeps_it_and_says_so(graded, boss, app, freeze_clock):
    freeze_clock(TODAY)
    producer = graded["producer"]
    grading.set_grade_by_hand(db.session, boss, producer, grade="B", reason=REASON, today=TODAY)
    db.session.commit()
    rows = _changes()
    result = app.test_cli_runner().invoke(
        args=["risk", "grades", "--format", "json", "--recompute", "boss"],
    )
    assert result.exit_code == 0, result.output
    assert any(
        text in result.stderr for text in ("保留 1 个人工设定的等级", "1 grades set by hand kept")
    )
    db.session.refresh(producer)
    assert producer.risk_grade is RiskGrade.B and _changes() == rows


def test_a_grade_set_by_hand_while_recomputing_is_not_written_over(graded, boss, app):
    """A supervisor sets a grade by hand while a recompute (which read none) is writing:
    the hand-set grade waits for the recompute, then holds."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("table locks: PostgreSQL (SQLite lets one writer in at a time anyway)")
    import threading
    import time

    from sqlalchemy.orm import Session

    from labsys.models import Enterprise, User

    producer_id, boss_id = graded["producer"].id, boss.id
    first = Session(bind=db.engine)
    grading.recompute(first, first.get(User, boss_id), TODAY)  # holds the lock, uncommitted
    outcome: list = []

    def supervisor_sets_it():
        with app.app_context():
            other = Session(bind=db.engine)
            try:
                grading.set_grade_by_hand(
                    other,
                    other.get(User, boss_id),
                    other.get(Enterprise, producer_id),
                    grade="B",
                    reason=REASON,
                    today=TODAY,
                )
                other.commit()
                outcome.append("set")
            finally:
                other.close()

    thread = threading.Thread(target=supervisor_sets_it)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # waiting for the recompute
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert outcome == ["set"]
    db.session.expire_all()
    assert db.session.get(Enterprise, producer_id).risk_grade is RiskGrade.B
    assert grading.recompute(db.session, boss, TODAY).kept == 1
