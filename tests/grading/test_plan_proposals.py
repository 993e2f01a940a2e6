"""Risk-based proposals from the stored history: the total and the minimum kept, a draft
accepted into a real plan, the backtest on a crafted history, the command line."""

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from labsys.extensions import db
from labsys.models import Conclusion, PlanProposal, PlanQuota, ProposalStatus, Role
from labsys.services import ServiceError, proposals, reference

from support import csrf_token


@pytest.fixture
def crafted(app, make_category, make_sample):
    """Vegetables in two districts and one quiet category: in 2025, district 110101 found
    10 unqualified of 20, 110102 none of 20; in January 2026 the plan actually used took 5
    batches in 110101 (2 unqualified) and 15 in 110102 (none)."""
    reference.seed_regions(db.session)
    db.session.commit()
    veg = make_category("蔬菜")
    oil = make_category("食用油")

    def batches(category, region, day, n, bad):
        for i in range(n):
            sample = make_sample(category, sampling_date=day, region_code=region)
            sample.conclusion = Conclusion.UNQUALIFIED if i < bad else Conclusion.QUALIFIED
        db.session.commit()

    batches(veg, "110101", date(2025, 6, 10), 20, 10)
    batches(veg, "110102", date(2025, 6, 10), 20, 0)
    batches(oil, "110101", date(2025, 7, 1), 4, 0)
    batches(veg, "110101", date(2026, 1, 10), 5, 2)
    batches(veg, "110102", date(2026, 1, 10), 15, 0)
    return {"veg": veg, "oil": oil}


def test_the_proposal_keeps_the_total_and_the_minimum(app, crafted):
    proposed = proposals.propose_quotas(
        db.session, total=40, minimum=3, history_end=date(2026, 1, 1)
    )
    assert sum(proposed.quotas.values()) == 40
    by_category = {}
    for (category, _region), n in proposed.quotas.items():
        by_category[category] = by_category.get(category, 0) + n
    assert by_category[crafted["oil"].id] >= 3 and by_category[crafted["veg"].id] >= 3
    veg = crafted["veg"].id
    assert proposed.quotas[(veg, "110101")] > proposed.quotas[(veg, "110102")]
    with pytest.raises(ServiceError):
        proposals.propose_quotas(db.session, total=1, minimum=3, history_end=date(2026, 1, 1))


def test_backtest_on_a_crafted_history(app, crafted):
    result = proposals.run_backtest(
        db.session, first=date(2026, 1, 1), last=date(2026, 1, 31), minimum=0
    )
    assert (result.total, result.actual_found) == (20, 2)
    # The proposal from 2025 gives 110101 (10/20, shrunk toward 10/44) more of the 20:
    quotas = proposals.propose_quotas(
        db.session, total=20, minimum=0, history_end=date(2026, 1, 1)
    ).quotas
    veg = crafted["veg"].id
    # risks 15/40 and 5/40 (shrunk toward 10/40), oil's none: 15 and 5 of the 20
    assert (quotas[(veg, "110101")], quotas[(veg, "110102")]) == (15, 5)
    # 15 × 2/5 (110101's rate in January) + 5 × 0 = 6 expected, against the 2 found
    assert result.proposal_found == Decimal("6.0")


def test_a_draft_accepted_becomes_a_plan(app, crafted, make_user):
    boss = make_user("boss", Role.SUPERVISOR)
    proposal = proposals.create_proposal(
        db.session,
        boss,
        name="2026年2月风险抽检",
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        total=30,
        min_per_category=2,
    )
    assert sum(q.quota for q in proposal.quotas) == 30
    first = proposal.quotas[0]
    proposals.set_proposal_quota(db.session, boss, first, first.quota + 5)
    plan = proposals.accept_proposal(db.session, boss, proposal, code="RISK-2026-02")
    db.session.commit()
    assert proposal.status is ProposalStatus.ACCEPTED and proposal.plan_id == plan.id
    total = db.session.scalar(select(func.sum(PlanQuota.quota)).where(PlanQuota.plan_id == plan.id))
    assert total == 35
    with pytest.raises(ServiceError):
        proposals.set_proposal_quota(db.session, boss, first, 1)
    with pytest.raises(ServiceError):
        proposals.accept_proposal(db.session, boss, proposal, code="AGAIN")


def test_propose_on_the_command_line(app, crafted):
    result = app.test_cli_runner().invoke(
        args=[
            "risk",
            "propose",
            "--total",
            "30",
            "--min",
            "2",
            "--from",
            "2026-01-01",
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert sum(r["quota"] for r in rows) == 30
    assert {"category_id", "category", "region_code", "quota", "risk"} <= set(rows[0])
    refused = app.test_cli_runner().invoke(args=["risk", "propose", "--total", "1", "--min", "5"])
    assert refused.exit_code == 1


def test_the_proposal_pages(app, client, crafted, make_user, login, freeze_clock):
    freeze_clock(date(2026, 1, 20))
    login(make_user("boss", Role.SUPERVISOR))
    token = csrf_token(client, "/risk/proposals")
    response = client.post(
        "/risk/proposals",
        data={
            "csrf_token": token,
            "name": "<script>x</script>二月",
            "period_start": "2026-02-01",
            "period_end": "2026-02-28",
            "total": "20",
            "min_per_category": "1",
        },
    )
    assert response.status_code == 302
    path = response.headers["Location"]
    page = client.get(path + "?first=2026-01-01&last=2026-01-31").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;二月" in page and "<script>x</script>" not in page
    assert 'id="backtest"' in page and "发现不合格2批次" in page
    proposal = db.session.scalar(select(PlanProposal))
    quota = proposal.quotas[0]
    edited = client.post(
        f"/risk/proposals/quotas/{quota.id}", data={"csrf_token": token, "quota": "7"}
    )
    assert edited.status_code == 302
    db.session.refresh(quota)
    assert quota.quota == 7
    seen = proposals.fingerprint(proposal, proposals.visits_to_propose(db.session))
    accepted = client.post(
        f"/risk/proposals/{proposal.id}/accept",
        data={"csrf_token": token, "code": "R-1", "seen": seen},
    )
    assert accepted.status_code == 302 and "/plans/" in accepted.headers["Location"]
    assert (
        client.post(f"/risk/proposals/{proposal.id}/accept", data={"code": "R-2"}).status_code
        == 400
    )


@pytest.mark.parametrize("role", [Role.SAMPLER, Role.TECHNICIAN, Role.REVIEWER, Role.ADMIN])
def test_only_supervisors_plan(app, client, make_user, login, role):
    login(make_user("someone", role))
    assert client.get("/risk/proposals").status_code == 403
