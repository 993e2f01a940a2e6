"""In a real browser: one unqualified supervision sample through its retest (application,
acceptance, the lab drawn, the backup handed over, the result) and its disposal."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest

from labsys.extensions import db
from labsys.models import Conclusion, Report, ReportStatus
from labsys.services import retests
from labsys.services.access import SYSTEM

from stats_support import *  # noqa: F403 - the shared fixtures

pytestmark = pytest.mark.browser


@pytest.fixture
def reported(dataset, supervisor):
    """The unqualified 通用小麦粉 sample, concluded and reported on 2026-03-01."""
    sample = dataset.samples[3]
    sample.concluded_at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    db.session.add(
        Report(
            report_no="R-2026-0001", sample_id=sample.id, status=ReportStatus.ISSUED,
            food_name=sample.food_name, sampled_unit_name="某超市",
            conclusion=Conclusion.UNQUALIFIED, author_id=supervisor.id,
            approver_id=supervisor.id, issued_at=datetime(2026, 3, 1, 3, tzinfo=UTC),
            pdf=b"%PDF", sha256="0" * 64, verify_token=secrets.token_urlsafe(32),
        )
    )  # fmt: skip
    for code, name in (("08", "复检所乙"), ("09", "复检所甲")):
        retests.set_retest_lab(db.session, SYSTEM, code=code, name=name)
    db.session.commit()
    return sample


def _submit(page, action_suffix: str) -> None:
    """Submit the form and wait for the page it returns to load (the same address)."""
    with page.expect_navigation():
        page.click(f"form[action$='{action_suffix}'] button[type=submit]")


def test_a_sample_through_retest_and_disposal(browser_page, browser_login, reported, supervisor):
    sample_id, sample_no = reported.id, reported.sample_no
    db.session.rollback()  # the server writes; the test holds no transaction meanwhile
    page = browser_login(supervisor)
    page.goto(f"/followup/{sample_id}")
    assert sample_no in page.inner_text("h1")

    page.fill("input[name='notify-notified_on']", "2026-03-02")
    _submit(page, "/notify")
    assert page.inner_text("#retest-window") == "2026-03-11"

    # 复检申请 (Art. 30), nothing chosen for the user.
    assert page.input_value("select[name='retest-apply-applicant']") == ""
    page.select_option("select[name='retest-apply-applicant']", "sampled_unit")
    page.fill("input[name='retest-apply-applicant_name']", "某超市")
    page.fill("input[name='retest-apply-conclusion_received_on']", "2026-03-02")
    page.fill("input[name='retest-apply-applied_on']", "2026-03-04")
    _submit(page, "/retests")
    assert page.inner_text(".retest-record .retest-status") == "已申请复检，待受理"

    # Acceptance (Art. 32): the only steps offered are accept and refuse.
    assert page.locator("form[action*='/choose-lab']").count() == 0
    page.fill("#retest-accept input[type=date]", "2026-03-05")
    _submit(page, "/accept")
    assert page.inner_text(".retest-record .retest-status") == "复检已受理，待确定复检机构"

    # The lab drawn at random from the list, never the first lab; the seed shown.
    page.fill("#retest-choose-lab input[type=date]", "2026-03-09")
    _submit(page, "/choose-lab")
    drawn = page.inner_text("#retest-lab")
    assert ("复检所甲" in drawn or "复检所乙" in drawn) and "种子" in drawn and "08,09" in drawn

    # The backup handed over with its seal checked (Art. 33).
    page.fill("#retest-handover input[type=date]", "2026-03-10")
    assert page.input_value("#retest-handover select") == ""
    page.select_option("#retest-handover select", "intact")
    _submit(page, "/handover")
    assert page.inner_text(".retest-record .retest-status") == "复检中"

    # The result (Art. 35): no conclusion pre-selected; it is the final one.
    assert page.input_value("#retest-result select") == ""
    page.select_option("#retest-result select", "unqualified")
    page.fill("#retest-result textarea", "铅 0.31 mg/kg，与初检一致")
    page.fill("#retest-result input[type=date]", "2026-03-20")
    _submit(page, "/result")
    assert "复检结论：不合格" in page.inner_text("#retest-conclusion")
    assert page.inner_text("#final-conclusion") == "不合格"

    # Disposal (Art. 45): the 90 days from the regulator's receipt of the report.
    page.fill("#disposal-receive input[type=date]", "2026-03-02")
    _submit(page, "/disposal")
    state = page.inner_text("#disposal-state")
    assert "核查处置中" in state and "2026-05-31" in state and "地方做法" in state
    form = "#disposal-complete"
    page.fill(f"{form} input[name='disposal-complete-completed_on']", "2026-05-01")
    page.fill(f"{form} input[name='disposal-complete-removed_quantity']", "12")
    page.fill(f"{form} input[name='disposal-complete-sealed_quantity']", "3")
    page.fill(f"{form} input[name='disposal-complete-quantity_unit']", "袋")
    page.fill(f"{form} textarea[name='disposal-complete-cause']", "原料把关不严")
    page.fill(f"{form} textarea[name='disposal-complete-corrections']", "更换供应商")
    page.select_option(f"{form} select[name='disposal-complete-case']", "yes")
    page.fill(f"{form} input[name='disposal-complete-case_no']", "京市监立〔2026〕12号")
    _submit(page, "/disposal/complete")
    outcome = page.inner_text("#disposal-outcome")
    assert "2026-05-01" in outcome and "12" in outcome and "京市监立〔2026〕12号" in outcome
    assert page.locator("#disposal-state").get_attribute("data-status") == "completed"
