"""编制, 审核 and 批准 are three different people, and the approver is an authorised signatory
(授权签字人) whose scope covers the sample's food category (RB/T 214-2017 §4.2.4 *(verify)*;
ISO/IEC 17025:2017 §7.8.2.1 o)).  The admin keeps the list, audited; issuing without a
qualifying signatory names the rule that refused it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import AuditEntry, AuthorisedSignatory, Report, Role
from labsys.services import reports, signatories
from labsys.services.access import SYSTEM
from labsys.services.errors import PermissionDenied, ServiceError

from reports_support import pdf_pages
from support import signed

BASE = "http://labsys.test"


def _issue(user, sample):
    return reports.issue_report(
        db.session, user, sample, base_url=BASE, signature=signed(user, "approval")
    )


def test_three_different_people_sign(concluded_sample, boss):
    report = _issue(boss, concluded_sample())
    assert len({report.author_id, report.reviewer_id, report.approver_id}) == 3
    first = pdf_pages(report.pdf)[0]
    assert "编制：王技术" in first and "审核：赵审核" in first and "批准：钱批准" in first


def test_the_reviewer_may_not_approve(concluded_sample, make_user, flour):
    both = make_user("revboss", Role.REVIEWER, Role.SUPERVISOR, full_name="孙复核")
    signatories.authorise(db.session, SYSTEM, both, category_ids=[flour.ancestor_ids[0]])
    sample = concluded_sample()
    for result in sample.results:
        result.reviewed_by_id = both.id
    db.session.commit()
    with pytest.raises(PermissionDenied, match="批准人不得是编制人或审核人"):
        _issue(both, sample)
    db.session.rollback()
    assert db.session.scalar(select(Report)) is None


def test_the_reviewer_named_is_never_the_author(concluded_sample, tech, reviewer):
    """A technician who entered most results and reviewed others' is the author; the
    reviewer printed is the other reviewer."""
    sample = concluded_sample([("铅", "mg/kg", "≤0.2", "GB 2762-2022", "0.05", None)] * 3)
    results = sorted(sample.results, key=lambda r: r.seq)
    results[0].entered_by_id, results[0].reviewed_by_id = reviewer.id, tech.id
    results[1].reviewed_by_id = tech.id
    db.session.commit()
    author, named_reviewer = reports.signatories(results)
    assert author.id == tech.id
    assert named_reviewer.id == reviewer.id


def _signatory_supervisor(make_user, flour, *roles, username="sv", name="冯主管"):
    user = make_user(username, Role.SUPERVISOR, *roles, full_name=name)
    signatories.authorise(db.session, SYSTEM, user, category_ids=[flour.ancestor_ids[0]])
    db.session.commit()
    return user


def test_an_approver_who_entered_any_current_result_may_not_approve(
    concluded_sample, make_user, flour
):
    """Issue 18 §1: before, only the most frequent enterer (the author printed) was
    excluded; a supervisor who entered one result of three could approve the report."""
    lab_head = _signatory_supervisor(make_user, flour, Role.TECHNICIAN)
    sample = concluded_sample([("铅", "mg/kg", "≤0.2", "GB 2762-2022", "0.05", None)] * 3)
    sorted(sample.results, key=lambda r: r.seq)[2].entered_by_id = lab_head.id
    db.session.commit()
    with pytest.raises(PermissionDenied, match="录入或审核过报告中的任何结果"):
        _issue(lab_head, sample)
    db.session.rollback()
    assert db.session.scalar(select(Report)) is None


def test_an_approver_who_reviewed_any_current_result_may_not_approve(
    concluded_sample, make_user, flour
):
    lab_head = _signatory_supervisor(make_user, flour, Role.REVIEWER)
    sample = concluded_sample([("铅", "mg/kg", "≤0.2", "GB 2762-2022", "0.05", None)] * 3)
    sorted(sample.results, key=lambda r: r.seq)[0].reviewed_by_id = lab_head.id
    db.session.commit()
    with pytest.raises(PermissionDenied, match="录入或审核过报告中的任何结果"):
        _issue(lab_head, sample)
    db.session.rollback()
    assert db.session.scalar(select(Report)) is None


def test_an_approver_who_typed_the_current_value_per_the_audit_trail_may_not_approve(
    concluded_sample, make_user, flour, tech
):
    """``entered_by`` names a colleague, but the audit trail shows the supervisor saved
    this very value: they are one of its authors."""
    from labsys.services import audit

    lab_head = _signatory_supervisor(make_user, flour, Role.TECHNICIAN)
    sample = concluded_sample()
    result = sorted(sample.results, key=lambda r: r.seq)[0]
    audit.record(
        db.session, lab_head, "result", result.id, "enter", new={"measured": result.measured_text}
    )
    db.session.commit()
    with pytest.raises(PermissionDenied, match="录入或审核过"):
        _issue(lab_head, sample)


def test_a_report_without_a_reviewer_other_than_the_author_is_refused(concluded_sample, boss, tech):
    sample = concluded_sample()
    for result in sample.results:
        result.reviewed_by_id = tech.id  # as if the author had reviewed their own results
    db.session.commit()
    with pytest.raises(ServiceError, match="三人分别签署"):
        _issue(boss, sample)


def test_the_approver_signs_with_their_password(concluded_sample, boss, login, client, post):
    from labsys.models import AuditEntry

    from support import PASSWORD

    sample = concluded_sample()
    login(boss)
    html = post(
        f"/reports/issue/{sample.id}",
        {"password": "not-the-password-9"},
        token_from="/reports/queue",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "签名被拒绝：密码错误" in html
    assert db.session.scalar(select(Report)) is None
    refused = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "access", AuditEntry.action == "refused")
    ).one()
    assert refused.user_id == boss.id and "密码错误" in refused.new_values
    response = post(
        "/reports/bulk-issue",
        {"sample_ids": [sample.id], "password": ""},
        token_from="/reports/queue",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400 and "密码" in response.get_json()["error"]
    response = post(
        "/reports/bulk-issue",
        {"sample_ids": [sample.id], "password": "wrong-again-9"},
        token_from="/reports/queue",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 403 and "密码错误" in response.get_json()["error"]
    assert db.session.scalar(select(Report)) is None
    post(f"/reports/issue/{sample.id}", {"password": PASSWORD}, token_from="/reports/queue")
    report = db.session.scalar(select(Report))
    assert report is not None and report.approver_id == boss.id
    issued = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "report", AuditEntry.action == "issue")
    ).one()
    assert '"signed":"approval"' in issued.new_values


def test_a_supervisor_not_on_the_list_cannot_issue(concluded_sample, make_user):
    stranger = make_user("sup2", Role.SUPERVISOR, full_name="周主管")
    with pytest.raises(PermissionDenied, match="不是通用小麦粉的授权签字人"):
        _issue(stranger, concluded_sample())


def test_a_signatory_outside_their_scope_cannot_issue(concluded_sample, make_user, make_category):
    milk = make_category("乳制品", "液体乳", "液体乳", "巴氏杀菌乳")
    dairy_only = make_user("sup3", Role.SUPERVISOR, full_name="吴主管")
    signatories.authorise(db.session, SYSTEM, dairy_only, category_ids=[milk.ancestor_ids[0]])
    with pytest.raises(PermissionDenied, match="授权范围覆盖该样品食品类别"):
        _issue(dairy_only, concluded_sample())


def test_a_scope_of_a_sub_category_covers_what_is_below_it(concluded_sample, make_user, flour):
    flour_only = make_user("sup4", Role.SUPERVISOR)
    signatories.authorise(
        db.session, SYSTEM, flour_only, category_ids=[flour.ancestor_ids[1]]
    )  # 小麦粉 (L2)
    assert _issue(flour_only, concluded_sample()).approver_id == flour_only.id


def test_a_revoked_signatory_cannot_issue(concluded_sample, boss, make_user):
    signatory = signatories.of_user(db.session, boss)
    signatories.revoke(db.session, make_user("root", Role.ADMIN), signatory, "离职")
    with pytest.raises(PermissionDenied, match="授权签字人"):
        _issue(boss, concluded_sample())


def test_only_an_active_supervisor_can_be_authorised(make_user, flour):
    tech = make_user("t9", Role.TECHNICIAN)
    with pytest.raises(ServiceError, match="只有在职的主管"):
        signatories.authorise(db.session, SYSTEM, tech, category_ids=[flour.ancestor_ids[0]])
    supervisor = make_user("s9", Role.SUPERVISOR)
    with pytest.raises(ServiceError, match="至少选择一个"):
        signatories.authorise(db.session, SYSTEM, supervisor, category_ids=[])
    with pytest.raises(ServiceError, match="不存在"):
        signatories.authorise(db.session, SYSTEM, supervisor, category_ids=[999_999])


def test_bulk_issue_names_the_rule_for_each_refusal(concluded_sample, make_user):
    stranger = make_user("sup5", Role.SUPERVISOR)
    outcome = reports.issue_many(
        db.session,
        stranger,
        [concluded_sample()],
        base_url=BASE,
        signature=signed(stranger, "approval"),
    )
    assert not outcome.issued and "授权签字人" in outcome.failed[0][1]


# --- the admin's pages -----------------------------------------------------------------------


def test_the_admin_authorises_edits_and_revokes_audited(
    make_user, login, client, post, flour, make_category
):
    admin = make_user("adm", Role.ADMIN)
    supervisor = make_user("sup6", Role.SUPERVISOR, full_name="郑主任")
    milk = make_category("乳制品", "液体乳", "液体乳", "巴氏杀菌乳")
    grain, dairy = flour.ancestor_ids[0], milk.ancestor_ids[0]
    login(admin)
    page = client.get("/admin/signatories/new").get_data(as_text=True)
    assert "郑主任" in page and "粮食加工品" in page and "乳制品" in page

    response = post(
        "/admin/signatories/new",
        {"user_id": supervisor.id, "categories": [grain], "note": "<i>批准函</i>"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "郑主任 已列为授权签字人" in html
    assert "&lt;i&gt;批准函&lt;/i&gt;" in html  # escaped
    signatory = db.session.scalar(select(AuthorisedSignatory))
    post(f"/admin/signatories/{signatory.id}", {"categories": [grain, dairy], "note": ""})
    db.session.expire_all()
    assert {c.name_zh for c in signatory.categories} == {"粮食加工品", "乳制品"}

    post(f"/admin/signatories/{signatory.id}/revoke", token_from="/admin/signatories")
    db.session.expire_all()
    assert not signatory.active
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "signatory").order_by(AuditEntry.id)
    ).all()
    assert actions == ["authorise", "update", "revoke"]


def test_an_empty_scope_is_refused_in_the_users_language(make_user, login, client, post):
    login(make_user("adm2", Role.ADMIN))
    supervisor = make_user("sup7", Role.SUPERVISOR)
    html = post(
        "/admin/signatories/new", {"user_id": supervisor.id}, token_from="/admin/signatories/new"
    ).get_data(as_text=True)
    assert "请至少选择一个食品类别" in html
    assert db.session.scalar(select(AuthorisedSignatory)) is None


def test_a_supervisor_cannot_authorise_themselves(make_user, login, client, post, flour):
    supervisor = make_user("sup8", Role.SUPERVISOR)
    login(supervisor)
    assert client.get("/admin/signatories").status_code == 403
    response = post(
        "/admin/signatories/new",
        {"user_id": supervisor.id, "categories": [flour.ancestor_ids[0]]},
        token_from="/",
    )
    assert response.status_code == 403
    assert db.session.scalar(select(AuthorisedSignatory)) is None


def test_the_cli_authorises_for_every_top_category_or_the_ones_named(app, make_user, flour):
    make_user("sup9", Role.SUPERVISOR)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "authorise", "sup9", "--category", "粮食加工品"])
    assert result.exit_code == 0, result.output
    assert "粮食加工品" in result.output
    result = runner.invoke(args=["report", "authorise", "sup9", "--category", "不存在的类别"])
    assert result.exit_code == 1 and "不存在的类别" in result.output
