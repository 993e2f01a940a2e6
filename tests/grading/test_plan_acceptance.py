"""Accepting a risk-based proposal (issue 17 §3): the draft becomes a real plan with its
quotas and its enterprises to visit, through the service layer, audited, in one transaction;
crafted requests (a wrong role, a tampered quota, a stale page, a double accept) change
nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select, update

from labsys.extensions import db
from labsys.models import (
    AuditEntry,
    Plan,
    PlanProposal,
    PlanQuota,
    PlanVisit,
    ProposalStatus,
    Role,
)
from labsys.services import PermissionDenied, ServiceError, planning, proposals

from support import csrf_token

TODAY = date(2026, 11, 30)


@pytest.fixture
def draft(history, make_user, freeze_clock):
    """A draft proposal for December over the crafted history (a grade D producer not
    sampled for 8 months is on the list to visit), by the supervisor ``boss``."""
    freeze_clock(TODAY)
    boss = make_user("boss", Role.SUPERVISOR)
    proposal = proposals.create_proposal(
        db.session,
        boss,
        name="十二月风险抽检",
        period_start=date(2026, 12, 1),
        period_end=date(2026, 12, 31),
        total=12,
        min_per_category=2,
    )
    db.session.commit()
    return proposal, boss


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _page_seen(client, proposal) -> tuple[str, str]:
    html = client.get(f"/risk/proposals/{proposal.id}").get_data(as_text=True)
    seen = re.search(r'name="seen" type="hidden" value="([0-9a-f]+)"', html) or re.search(
        r'id="seen" name="seen" type="hidden" value="([0-9a-f]+)"', html
    )
    assert seen, html[:3000]
    return seen.group(1), html


def test_accepting_makes_the_plan_its_quotas_and_visits_audited(draft, history):
    proposal, boss = draft
    visits = proposals.visits_to_propose(db.session)
    assert history["producer"].id in [v.enterprise_id for v in visits]
    seen = proposals.fingerprint(proposal, visits)
    plan = proposals.accept_proposal(db.session, boss, proposal, code="R-12", seen=seen)
    db.session.commit()
    assert proposal.status is ProposalStatus.ACCEPTED and proposal.plan_id == plan.id
    quotas = db.session.scalars(select(PlanQuota).where(PlanQuota.plan_id == plan.id)).all()
    assert sorted((q.category_id, q.region_code, q.quota) for q in quotas) == sorted(
        (q.category_id, q.region_code, q.quota) for q in proposal.quotas if q.quota
    )
    assert sum(q.quota for q in quotas) == 12
    stored = db.session.scalars(
        select(PlanVisit).where(PlanVisit.plan_id == plan.id).order_by(PlanVisit.id)
    ).all()
    assert [(v.enterprise_id, v.grade.value, v.reason) for v in stored] == [
        (v.enterprise_id, v.grade, v.reason) for v in visits
    ]
    assert all(v.grade.value in ("C", "D") and v.reason for v in stored)
    actions = db.session.execute(
        select(AuditEntry.entity, AuditEntry.action).where(AuditEntry.user_id == boss.id)
    ).all()
    assert ("plan", "create") in actions and ("plan_proposal", "accept") in actions
    assert actions.count(("plan_quota", "create")) == len(quotas)


def test_a_failure_half_way_leaves_nothing(draft, monkeypatch):
    """One transaction: a quota failing after the plan was written undoes the plan, its
    audit entry and everything else the acceptance did."""
    proposal, boss = draft
    real, calls = planning.add_quota, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == len([q for q in proposal.quotas if q.quota]):
            raise ServiceError("crafted failure")  # the last quota
        return real(*args, **kwargs)

    monkeypatch.setattr(planning, "add_quota", failing)
    plans, visits, audits = _count(Plan), _count(PlanVisit), _count(AuditEntry)
    with pytest.raises(ServiceError):
        proposals.accept_proposal(db.session, boss, proposal, code="R-HALF")
    db.session.commit()
    assert (_count(Plan), _count(PlanVisit), _count(AuditEntry)) == (plans, visits, audits)
    db.session.refresh(proposal)
    assert proposal.status is ProposalStatus.DRAFT and proposal.plan_id is None


def test_a_stale_page_is_refused(draft):
    proposal, boss = draft
    seen = proposals.fingerprint(proposal, proposals.visits_to_propose(db.session))
    proposals.set_proposal_quota(db.session, boss, proposal.quotas[0], proposal.quotas[0].quota + 1)
    db.session.commit()
    with pytest.raises(ServiceError, match="打开页面后"):
        proposals.accept_proposal(db.session, boss, proposal, code="R-OLD", seen=seen)
    db.session.commit()
    assert _count(Plan) == 0 and proposal.status is ProposalStatus.DRAFT


def test_a_draft_accepted_elsewhere_meanwhile_is_not_accepted_twice(draft):
    """Another request accepted it after this one loaded the draft: the conditional claim
    finds no draft row and refuses, although the object in hand still says draft."""
    proposal, boss = draft
    db.session.execute(
        update(PlanProposal)
        .where(PlanProposal.id == proposal.id)
        .values(status=ProposalStatus.ACCEPTED),
        execution_options={"synchronize_session": False},
    )
    assert proposal.status is ProposalStatus.DRAFT  # stale in memory
    with pytest.raises(ServiceError):
        proposals.accept_proposal(db.session, boss, proposal, code="R-TWICE")
    db.session.commit()
    assert _count(Plan) == 0 and _count(PlanQuota) == 0


def test_the_wrong_role_is_refused_by_the_service(draft, make_user):
    proposal, _boss = draft
    for role in (Role.SAMPLER, Role.ADMIN, Role.REVIEWER):
        with pytest.raises(PermissionDenied):
            proposals.accept_proposal(db.session, make_user(None, role), proposal, code="R-NO")
    db.session.commit()
    assert _count(Plan) == 0 and proposal.status is ProposalStatus.DRAFT


def test_accepting_through_the_page(draft, history, client, login):
    proposal, boss = draft
    login(boss)
    seen, html = _page_seen(client, proposal)
    assert "坏油厂" not in html or "&lt;b&gt;坏油厂&lt;/b&gt;" in html
    token = csrf_token(client, f"/risk/proposals/{proposal.id}")
    stored = {q.id: q.quota for q in proposal.quotas}
    response = client.post(
        f"/risk/proposals/{proposal.id}/accept",
        # a crafted extra field cannot change a quota: the stored ones are accepted
        data={"csrf_token": token, "code": "R-WEB", "seen": seen, "quota": "999"},
    )
    assert response.status_code == 302 and "/plans/" in response.headers["Location"]
    plan = db.session.scalar(select(Plan).where(Plan.code == "R-WEB"))
    assert sum(stored.values()) == db.session.scalar(
        select(func.sum(PlanQuota.quota)).where(PlanQuota.plan_id == plan.id)
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="plan-visits"' in page and "&lt;b&gt;坏油厂&lt;/b&gt;" in page
    assert "<b>坏油厂</b>" not in page
    # The same form sent again (a double click, the back button): no second plan.
    again = client.post(
        f"/risk/proposals/{proposal.id}/accept",
        data={"csrf_token": token, "code": "R-WEB2", "seen": seen},
        follow_redirects=True,
    )
    assert again.status_code == 200 and "只有草稿" in again.get_data(as_text=True)
    assert _count(Plan) == 1


def test_crafted_requests_through_the_page(draft, client, login, make_user):
    proposal, boss = draft
    quota = proposal.quotas[0]
    before = quota.quota
    login(boss)
    seen, _html = _page_seen(client, proposal)
    token = csrf_token(client, f"/risk/proposals/{proposal.id}")
    # Tampered quotas: negative, not a number, absurdly large: refused, unchanged.
    for value in ("-3", "abc", "1e3", "99999999"):
        client.post(
            f"/risk/proposals/quotas/{quota.id}", data={"csrf_token": token, "quota": value}
        )
        db.session.refresh(quota)
        assert quota.quota == before, value
    # A tampered or missing fingerprint: refused, nothing made.
    for fake in ("0" * 32, ""):
        response = client.post(
            f"/risk/proposals/{proposal.id}/accept",
            data={"csrf_token": token, "code": "R-FAKE", "seen": fake},
        )
        assert response.status_code == 302 and "/plans/" not in response.headers["Location"]
    # Without the CSRF token: refused.
    assert (
        client.post(
            f"/risk/proposals/{proposal.id}/accept", data={"code": "R-CSRF", "seen": seen}
        ).status_code
        == 400
    )
    # A quota changed on another page after this one was opened: the old page is stale.
    client.post(f"/risk/proposals/quotas/{quota.id}", data={"csrf_token": token, "quota": "1"})
    stale = client.post(
        f"/risk/proposals/{proposal.id}/accept",
        data={"csrf_token": token, "code": "R-STALE", "seen": seen},
        follow_redirects=True,
    )
    assert "打开页面后" in stale.get_data(as_text=True)
    assert _count(Plan) == 0
    # The wrong role: 403, nothing made.
    login(make_user("sam", Role.SAMPLER))
    token = csrf_token(client, "/")
    response = client.post(
        f"/risk/proposals/{proposal.id}/accept",
        data={"csrf_token": token, "code": "R-SAM", "seen": seen},
    )
    assert response.status_code == 403
    db.session.refresh(proposal)
    assert _count(Plan) == 0 and proposal.status is ProposalStatus.DRAFT


def test_two_requests_accepting_at_once_make_one_plan(draft, app):
    """Two requests accept the same draft at the same moment: the second one's claim waits
    for the first's row lock, then finds no draft and is refused."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite lets one writer in at a time anyway)")
    import threading
    import time

    from sqlalchemy.orm import Session

    from labsys.models import User

    proposal, boss = draft
    ids = (proposal.id, boss.id)
    first = Session(bind=db.engine)
    plan = proposals.accept_proposal(
        first, first.get(User, ids[1]), first.get(PlanProposal, ids[0]), code="R-A"
    )
    assert plan.id  # flushed: the proposal's row is locked until ``first`` commits
    outcome: list = []

    def second_request():
        with app.app_context():
            other = Session(bind=db.engine)
            try:
                proposals.accept_proposal(
                    other, other.get(User, ids[1]), other.get(PlanProposal, ids[0]), code="R-B"
                )
                other.commit()
                outcome.append("accepted")
            except ServiceError as error:
                other.rollback()
                outcome.append(error)
            finally:
                other.close()

    thread = threading.Thread(target=second_request)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # waiting on the row lock
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], ServiceError), outcome
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 1
