"""Issue 18 §1: four eyes over the value actually accepted, and (result, version) pairs.

- A page saved again without a change keeps each value's author (``entered_by``).
- Nobody who entered the current value (the audit trail knows) reviews it.
- Submit and accept act on the pairs shown on the page; a change meanwhile refuses the lot.
- Accepting is an electronic signature: the password, re-entered once per batch.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from labsys.models import AuditEntry, ResultStatus, Role
from labsys.services import ConflictError, PermissionDenied, esign
from labsys.services import results as svc

from results_support import by_name
from support import PASSWORD, shown_on, signed


@pytest.fixture
def both(make_user):
    """A technician who also reviews (common in a small lab)."""
    return make_user("both", Role.TECHNICIAN, Role.REVIEWER, full_name="Bo Both")


def _entry(result, value):
    return svc.Entry(result, value, result.version_id)


def _save(db, user, result, value):
    saved = svc.enter_results(db.session, user, [_entry(result, value)])
    db.session.commit()
    return saved


def _enter_actions(db, result):
    return db.session.scalars(
        select(AuditEntry.user_id).where(
            AuditEntry.entity == "result",
            AuditEntry.entity_id == str(result.id),
            AuditEntry.action == "enter",
        )
    ).all()


# --- the author of a value -------------------------------------------------------------------


def test_resaving_an_unchanged_row_keeps_its_author(db, tech, both, flour_sample):
    """Before: every row posted back was re-assigned to whoever saved the page, so the
    person who typed a value could then accept it."""
    lead = by_name(flour_sample(), "铅")
    _save(db, both, lead, "0.1")
    assert _save(db, tech, lead, " 0.1 ") == []  # the colleague saves the page again
    assert lead.entered_by_id == both.id and _enter_actions(db, lead) == [both.id]
    svc.submit_results(db.session, tech, [lead])
    with pytest.raises(PermissionDenied, match="本人录入|yourself"):
        svc.accept_results(db.session, both, [lead], signature=signed(both))
    db.session.rollback()
    assert lead.status == ResultStatus.ENTERED  # the submit was in the refused transaction


def test_whoever_entered_the_current_value_may_not_review_it(
    db, tech, both, reviewer, flour_sample
):
    """``entered_by`` names the last person who changed the value; the audit trail knows
    everyone who typed the value now current: none of them reviews it."""
    lead = by_name(flour_sample(), "铅")
    _save(db, both, lead, "0.1")
    _save(db, tech, lead, "0.2")
    _save(db, tech, lead, "0.10")  # back to the value "both" typed (the same number)
    assert lead.entered_by_id == tech.id
    assert svc.value_authors(db.session, [lead])[lead.id] == {both.id, tech.id}
    svc.submit_results(db.session, tech, [lead])
    db.session.commit()
    with pytest.raises(PermissionDenied, match="本人录入|yourself"):
        svc.review_result(db.session, both, lead, accept=True, signature=signed(both))
    db.session.rollback()
    assert lead.status == ResultStatus.SUBMITTED
    svc.review_result(db.session, reviewer, lead, accept=True, signature=signed(reviewer))
    db.session.commit()
    assert lead.status == ResultStatus.ACCEPTED


def test_a_returned_value_confirmed_by_a_colleague_keeps_both_out_of_review(
    db, tech, both, reviewer, flour_sample
):
    lead = by_name(flour_sample(), "铅")
    _save(db, both, lead, "0.1")
    svc.submit_results(db.session, both, [lead])
    svc.review_result(db.session, reviewer, lead, accept=False, reason="check the blank")
    db.session.commit()
    _save(db, tech, lead, "0.1")  # re-entered unchanged after the return
    assert lead.status == ResultStatus.ENTERED and lead.entered_by_id == both.id
    assert svc.value_authors(db.session, [lead])[lead.id] == {both.id, tech.id}


def test_the_corrector_of_a_value_may_not_accept_it(db, tech, reviewer, both, flour_sample):
    sample = flour_sample()
    lead = by_name(sample, "铅")
    _save(db, tech, lead, "0.1")
    svc.submit_results(db.session, tech, [lead])
    svc.accept_results(db.session, both, [lead], signature=signed(both))
    db.session.commit()
    svc.correct_result(
        db.session,
        reviewer,
        lead,
        measured_text="0.12",
        expected_version=lead.version_id,
        reason="transcription",
    )
    db.session.commit()
    assert lead.status == ResultStatus.SUBMITTED and lead.entered_by_id == reviewer.id
    with pytest.raises(PermissionDenied):
        svc.accept_results(db.session, reviewer, [lead], signature=signed(reviewer))
    db.session.rollback()
    svc.accept_results(db.session, both, [lead], signature=signed(both))
    db.session.commit()
    assert lead.status == ResultStatus.ACCEPTED and lead.reviewed_by_id == both.id


# --- what the page showed --------------------------------------------------------------------


def test_accepting_a_value_changed_since_the_page_was_read_is_refused(
    db, tech, reviewer, make_user, flour_sample
):
    sample = flour_sample()
    lead, banned = by_name(sample, "铅"), by_name(sample, "过氧化")
    svc.enter_results(db.session, tech, [_entry(lead, "0.1"), _entry(banned, "未检出")])
    svc.submit_results(db.session, tech, [lead, banned])
    db.session.commit()
    seen = {lead.id: lead.version_id, banned.id: banned.version_id}  # the reviewer's page
    other = make_user("rev2", Role.REVIEWER)
    svc.review_result(db.session, other, lead, accept=False, reason="re-run")
    _save(db, tech, lead, "0.5")
    svc.submit_results(db.session, tech, [lead])
    db.session.commit()
    with pytest.raises(ConflictError, match="0.5"):
        svc.accept_results(
            db.session, reviewer, [lead, banned], signature=signed(reviewer), seen=seen
        )
    db.session.rollback()
    assert (lead.status, banned.status) == (ResultStatus.SUBMITTED, ResultStatus.SUBMITTED)


def test_the_review_page_refuses_an_accept_of_values_it_did_not_show(
    client, login, post, db, tech, reviewer, make_user, flour_sample
):
    sample = flour_sample()
    lead, banned = by_name(sample, "铅"), by_name(sample, "过氧化")
    svc.enter_results(db.session, tech, [_entry(lead, "0.1"), _entry(banned, "未检出")])
    svc.submit_results(db.session, tech, [lead, banned])
    db.session.commit()
    action = f"/lab/review/{sample.id}/accept"
    login(reviewer)
    shown = shown_on(client, "/lab/review", form=action)
    assert sorted(shown) == sorted(f"{r.id}:{r.version_id}" for r in (lead, banned))
    # Meanwhile another reviewer returns lead and the technician submits another value.
    other = make_user("rev2", Role.REVIEWER)
    svc.review_result(db.session, other, lead, accept=False, reason="re-run")
    _save(db, tech, lead, "0.5")
    svc.submit_results(db.session, tech, [lead])
    db.session.commit()
    html = post(action, {"shown": shown, "password": PASSWORD}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "打开本页后以下结果已被修改" in html and "0.5" in html
    db.session.expire_all()
    assert {lead.status, banned.status} == {ResultStatus.SUBMITTED}
    # A crafted post naming a result of another sample, or garbage, changes nothing.
    assert post(action, {"shown": ["x:y"], "password": PASSWORD}).status_code == 400
    # Reloaded, the page shows the new value and accepting it works.
    shown = shown_on(client, "/lab/review", form=action)
    html = post(action, {"shown": shown, "password": PASSWORD}, follow_redirects=True).get_data(
        as_text=True
    )
    db.session.expire_all()
    assert {lead.status, banned.status} == {ResultStatus.ACCEPTED}


def test_submitting_a_page_whose_values_changed_meanwhile_is_refused(
    client, login, post, db, tech, make_user, flour_sample
):
    sample = flour_sample()
    lead = by_name(sample, "铅")
    _save(db, tech, lead, "0.1")
    login(tech)
    page = f"/lab/samples/{sample.id}/enter"
    shown = shown_on(client, page, form=f"/lab/samples/{sample.id}/submit")
    assert shown == [f"{lead.id}:{lead.version_id}"]
    _save(db, make_user("tech2", Role.TECHNICIAN), lead, "0.9")  # a colleague's change
    html = post(
        f"/lab/samples/{sample.id}/submit", {"shown": shown}, follow_redirects=True
    ).get_data(as_text=True)
    assert "打开本页后以下结果已被修改" in html
    db.session.expire_all()
    assert lead.status == ResultStatus.ENTERED


# --- the electronic signature ----------------------------------------------------------------


def test_accepting_needs_the_reviewers_password(
    client, login, post, db, tech, reviewer, flour_sample
):
    sample = flour_sample()
    lead = by_name(sample, "铅")
    _save(db, tech, lead, "0.1")
    svc.submit_results(db.session, tech, [lead])
    db.session.commit()
    # Services refuse without a signature, or with one made for someone else.
    with pytest.raises(PermissionDenied, match="电子签名|electronic signature"):
        svc.accept_results(db.session, reviewer, [lead], signature=None)
    forged = esign.Signature(reviewer.id, esign.Meaning.REVIEW, lead.entered_at)
    with pytest.raises(PermissionDenied):
        svc.accept_results(db.session, reviewer, [lead], signature=forged)
    with pytest.raises(PermissionDenied):
        svc.accept_results(db.session, reviewer, [lead], signature=signed(tech))
    db.session.rollback()

    action = f"/lab/review/{sample.id}/accept"
    login(reviewer)
    shown = shown_on(client, "/lab/review", form=action)
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    html = post(
        action, {"shown": shown, "password": "not-my-password-1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "签名被拒绝：密码错误" in html
    db.session.expire_all()
    assert lead.status == ResultStatus.SUBMITTED
    refusal = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (refusal.entity, refusal.action, refusal.user_id) == ("access", "refused", reviewer.id)
    assert "密码错误" in refusal.new_values and "not-my-password" not in refusal.new_values
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
    html = post(action, {"shown": shown}, follow_redirects=True).get_data(as_text=True)
    assert "请输入您的密码以签名" in html

    post(action, {"shown": shown, "password": PASSWORD})
    db.session.expire_all()
    assert lead.status == ResultStatus.ACCEPTED
    accepted = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "result", AuditEntry.action == "accept")
    ).one()
    assert accepted.user_id == reviewer.id and '"signed":"review"' in accepted.new_values


def test_reimporting_the_same_file_keeps_each_values_author(db, tech, both, flour_sample):
    """The instrument import follows the entry pages: an unchanged value is not saved
    again, so its author stays who first entered it."""
    from labsys.services.results_import import import_results

    sample = flour_sample()
    data = f"样品编号,检验项目,结果,单位\n{sample.sample_no},铅(以Pb计),0.153,mg/kg\n".encode()
    import_results(db.session, both, data, "run.csv")
    db.session.commit()
    lead = by_name(sample, "铅")
    version = lead.version_id
    import_results(db.session, tech, data, "run.csv")  # a colleague imports it again
    db.session.commit()
    db.session.expire_all()
    assert (lead.entered_by_id, lead.version_id) == (both.id, version)
    assert _enter_actions(db, lead) == [both.id]


def test_the_review_page_does_not_offer_a_value_the_reviewer_entered(
    client, login, db, tech, both, reviewer, flour_sample
):
    sample = flour_sample()
    lead = by_name(sample, "铅")
    _save(db, both, lead, "0.1")
    _save(db, tech, lead, "0.2")
    _save(db, tech, lead, "0.1")  # entered_by: tech; "both" typed this value too
    svc.submit_results(db.session, tech, [lead])
    db.session.commit()
    login(both)
    assert sample.sample_no not in client.get("/lab/review").get_data(as_text=True)
    login(reviewer)
    assert sample.sample_no in client.get("/lab/review").get_data(as_text=True)
