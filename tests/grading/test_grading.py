"""Enterprise risk grades from the stored history: the inputs, recomputing (only changes are
recorded), the rules as an audited setting, and the pages."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from labsys.core import grades
from labsys.extensions import db
from labsys.models import (
    AuditEntry,
    GradeChange,
    HazardClass,
    RiskGrade,
    Role,
)
from labsys.services import ServiceError, grading

from support import csrf_token

TODAY = date(2026, 11, 30)


def test_the_history_counts_the_window_the_hazards_and_the_months(app, history):
    rules = grading.rules(db.session)
    found = grading.histories(db.session, TODAY, rules)
    assert found[history["producer"].id] == grades.History(
        unqualified_batches=2,
        failed_hazards=("illegal_additive", "quality_indicator"),
        months_since_sampled=8,  # 2026-03-01: the voided batch of September is left out
        licence=grades.FOOD_PRODUCTION,
    )
    assert found[history["unit"].id] == grades.History(0, (), 29, grades.NO_LICENCE)


def test_the_grade_explains_itself(app, history):
    grading_ = grading.grade_enterprises(db.session, TODAY)[history["producer"].id]
    # 2×2 + 5 (illegal additive) + 1 (acid value) + 0 (8 months) + 2 (food production) = 12
    assert grading_.score == Decimal("12")
    assert grading_.grade == "D"
    text = grading.explain(grading_.reasons)
    assert text.startswith(
        "12个月内2批次不合格，1项非法添加/禁用物质，1项质量指标，距上次抽检8个月"
    )


def test_recomputing_twice_records_no_change(app, history, make_user):
    boss = make_user("boss", Role.SUPERVISOR)
    first = grading.recompute(db.session, boss, TODAY)
    db.session.commit()
    assert first.changed == first.graded >= 2
    rows = db.session.scalar(select(func.count()).select_from(GradeChange))
    audits = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "grade")
    )
    assert rows == audits == first.changed
    second = grading.recompute(db.session, boss, TODAY)
    db.session.commit()
    assert second.changed == 0
    assert db.session.scalar(select(func.count()).select_from(GradeChange)) == rows
    producer = history["producer"]
    db.session.refresh(producer)
    assert producer.risk_grade is RiskGrade.D
    [change] = grading.grade_history(db.session, producer.id)
    assert change.previous_grade is None and change.grade is RiskGrade.D


def test_a_grade_recorded_outside_the_grading_is_replaced(app, history, make_user):
    """A grade with no change of its own (from before the grades, the demo's register) is
    not a grade set by hand (tests/grading/test_hand_grades.py): recomputing replaces it,
    recording it as the previous grade."""
    producer = history["producer"]
    producer.risk_grade = RiskGrade.A
    db.session.commit()
    grading.recompute(db.session, make_user("boss", Role.SUPERVISOR), TODAY)
    db.session.commit()
    [change] = grading.grade_history(db.session, producer.id)
    assert (change.previous_grade, change.grade) == (RiskGrade.A, RiskGrade.D)


def test_the_first_grading_is_recorded_even_for_the_registers_grade(app, history, make_user):
    """The register's grade (imported, the demo's) has no score nor reasons: the first
    recomputation records the rules' grading even when the grade is the same, so the grades
    page explains it; it is not counted as a change, and the next one records nothing."""
    producer = history["producer"]
    producer.risk_grade = RiskGrade.D  # what the rules give it too
    db.session.commit()
    boss = make_user("boss", Role.SUPERVISOR)
    first = grading.recompute(db.session, boss, TODAY)
    db.session.commit()
    [change] = grading.grade_history(db.session, producer.id)
    assert (change.previous_grade, change.grade) == (RiskGrade.D, RiskGrade.D)
    assert change.score and grading.reasons_from_json(change.reasons)
    rows = db.session.scalar(select(func.count()).select_from(GradeChange))
    assert first.changed == rows - 1  # recorded, not a change
    assert grading.recompute(db.session, boss, TODAY).changed == 0
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(GradeChange)) == rows


def test_new_rules_change_the_grade_on_the_next_recomputation(app, history, make_user):
    admin = make_user("admin", Role.ADMIN)  # keeps the rules; a supervisor recomputes
    boss = make_user("boss", Role.SUPERVISOR)
    grading.recompute(db.session, boss, TODAY)
    grading.save_rules(db.session, admin, {"thresholds": ["20", "30", "40"]})
    db.session.commit()
    assert grading.rules(db.session).thresholds == (Decimal(20), Decimal(30), Decimal(40))
    grading.recompute(db.session, boss, TODAY)
    db.session.commit()
    # 12 points is grade A by the new thresholds, but the illegal additive holds it at C.
    changes = grading.grade_history(db.session, history["producer"].id)
    assert [c.grade for c in changes] == [RiskGrade.C, RiskGrade.D]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity == "risk_setting"))
    assert entry.action == "update" and "thresholds" in entry.new_values


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"thresholds": ["5", "5", "9"]}, "thresholds"),
        ({"batch_points": "-1"}, "batch_points"),
        ({"batch_points": "lots"}, "batch_points"),
        ({"stale_points": [["24", "1"], ["12", "2"]]}, "stale_points"),
        ({"hazard_weights": {"pathogen": "NaN"}}, "hazard_weights.pathogen"),
        ({"severe_floor": "Z"}, "severe_floor"),
        ({"window_months": "0"}, "window_months"),
    ],
)
def test_rules_that_cannot_grade_are_refused(app, make_user, values, field):
    with pytest.raises(ServiceError) as error:
        grading.save_rules(db.session, make_user("admin", Role.ADMIN), values)
    assert error.value.field == field
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "risk_setting")
        )
        == 0
    )


# --- pages ----------------------------------------------------------------------------------


def test_the_grades_page_lists_and_filters(app, client, history, make_user, login, freeze_clock):
    freeze_clock(TODAY)
    boss = make_user("boss", Role.SUPERVISOR)
    grading.recompute(db.session, boss, TODAY)
    db.session.commit()
    login(boss)
    page = client.get("/risk/grades?grade=D").get_data(as_text=True)
    assert "&lt;b&gt;坏油厂&lt;/b&gt;" in page and "<b>坏油厂" not in page
    assert "12个月内2批次不合格" in page
    assert "坏油厂" not in client.get("/risk/grades?grade=A").get_data(as_text=True)
    detail = client.get(f"/enterprises/{history['producer'].id}").get_data(as_text=True)
    assert 'id="grade-history"' in detail and "非法添加/禁用物质" in detail


def test_recompute_from_the_page(app, client, history, make_user, login):
    login(make_user("boss", Role.SUPERVISOR))
    response = client.post(
        "/risk/grades/recompute", data={"csrf_token": csrf_token(client, "/risk/grades")}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(GradeChange)) >= 2
    assert client.post("/risk/grades/recompute", data={}).status_code == 400


@pytest.mark.parametrize("role", [Role.SAMPLER, Role.TECHNICIAN, Role.REVIEWER])
def test_only_supervisors_and_admins_see_the_grades(app, client, make_user, login, role):
    login(make_user("someone", role))
    assert client.get("/risk/grades").status_code == 403
    assert client.get("/risk/grades/rules").status_code == 403


def test_the_rules_page_is_the_administrators(app, client, make_user, login):
    login(make_user("boss", Role.SUPERVISOR))
    assert client.get("/risk/grades/rules").status_code == 403
    login(make_user("admin", Role.ADMIN))
    form = client.get("/risk/grades/rules").get_data(as_text=True)
    assert 'name="threshold_d"' in form and 'name="hazard_illegal_additive"' in form
    data = {
        "csrf_token": csrf_token(client, "/risk/grades/rules"),
        "window_months": "12",
        "batch_points": "2",
        "stale_points": "12:1，24:3",
        "never_points": "3",
        "threshold_b": "3",
        "threshold_c": "7",
        "threshold_d": "12",
        "severe_weight": "5",
        "severe_floor": "D",
        **{f"hazard_{h.value}": "1" for h in HazardClass},
        **{f"licence_{c}": "1" for c in grades.LICENCE_CATEGORIES},
    }
    assert client.post("/risk/grades/rules", data=data).status_code == 302
    rules = grading.rules(db.session)
    assert rules.severe_floor == "D"
    assert rules.stale_points == ((12, Decimal(1)), (24, Decimal(3)))
    refused = client.post("/risk/grades/rules", data={**data, "threshold_c": "1"})
    assert refused.status_code == 200 and "B、C、D" in refused.get_data(as_text=True)
    no_token = {k: v for k, v in data.items() if k != "csrf_token"}
    assert client.post("/risk/grades/rules", data=no_token).status_code == 400
