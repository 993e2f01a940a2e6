"""A report whose conclusion comes from a retest (复检) says so (residual 2 of issue 12).

The retest's conclusion is the final one (SAMR Order No. 15 (2019) Art. 35).  A sample
retested before its report was issued used to print the first test's failing rows under a
合格 conclusion with no word of the retest.  The report now states, in the conclusion and
the remarks, that the conclusion comes from the retest (the retest lab, the day of its
report, its result) and whether the initial conclusion was upheld; a first-test row that
contradicts the final conclusion is marked as the initial result (初检不合格), never printed
as a bare 不合格 under 合格.  Asserted on the text a reader sees in the PDF."""

from __future__ import annotations

import pytest

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Conclusion, Report, ReportStatus, Role, SampleStatus
from labsys.services import PermissionDenied, ServiceError, followup, reports, retests
from labsys.services.access import SYSTEM

from reports_support import CADMIUM, LEAD, pdf_pages, retest_due
from support import PASSWORD, signed

BASE = "http://labsys.test"
RESULT = "镉(以Cd计) 0.05 mg/kg"


@pytest.fixture
def unqualified(concluded_sample, boss):
    """An unqualified supervision sample (lead passes, cadmium 0.32 > 0.1), not yet
    reported; the sampled unit notified today."""
    sample = concluded_sample(items=(LEAD, CADMIUM))
    sample.concluded_at = clock.now()
    record = followup.open_followup(db.session, sample, boss)
    followup.record_notification(db.session, boss, record, clock.today())
    for code, name in (("08", "复检所乙"), ("09", "复检所甲")):
        retests.set_retest_lab(db.session, SYSTEM, code=code, name=name)
    db.session.commit()
    return sample


def _retest_until_result(sample, boss):
    return retest_due(sample, boss)


def _retested(sample, boss, conclusion, signature=None):
    retest = _retest_until_result(sample, boss)
    retests.record_retest_result(
        db.session,
        boss,
        retest,
        conclusion=conclusion,
        result=RESULT,
        reported_on=clock.today(),
        base_url=BASE,
        signature=signature,
    )
    db.session.commit()
    return retest


def _issue(sample, boss) -> Report:
    report = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    return report


def _conclusion(first_page: str) -> str:
    """The 检验结论 cell (whitespace removed): from its label (the page's first 检验结论)
    to the 备注 label."""
    return first_page.split("检验结论", 1)[1].split("备注", 1)[0]


def _items(pages: list[str]) -> str:
    return "".join(pages[1:])


def test_a_qualified_retest_is_the_stated_conclusion(unqualified, boss):
    retest = _retested(unqualified, boss, Conclusion.QUALIFIED)
    lab, day = retest.lab.name, clock.today().isoformat()
    report = _issue(unqualified, boss)
    assert report.conclusion == Conclusion.QUALIFIED
    pages = pdf_pages(report.pdf)
    conclusion = _conclusion(pages[0])
    assert "经复检" in conclusion and "检验结论为合格" in conclusion
    assert lab in conclusion and day in conclusion and "第三十五条" in conclusion
    assert "镉(以Cd计)" in conclusion and "未予维持" in conclusion
    assert f"{lab}于{day}报告{RESULT.replace(' ', '')}" in pages[0]  # the remarks
    # The first test's failed row is marked as such; no bare 不合格 under 合格.
    items = _items(pages)
    assert "初检不合格" in items
    assert items.count("不合格") == items.count("初检不合格")
    assert "初检不合格" in pages[0]  # the remarks explain the mark


def test_a_confirming_retest_upholds_the_initial_conclusion(unqualified, boss):
    retest = _retested(unqualified, boss, Conclusion.UNQUALIFIED)
    report = _issue(unqualified, boss)
    pages = pdf_pages(report.pdf)
    conclusion = _conclusion(pages[0])
    assert "检验结论为不合格" in conclusion and "维持初检结论" in conclusion
    assert retest.lab.name in conclusion and clock.today().isoformat() in conclusion
    assert "初检不合格" not in _items(pages)  # the rows agree with the verdict


def test_the_preview_says_it_too(unqualified, boss):
    retest = _retested(unqualified, boss, Conclusion.QUALIFIED)
    first = pdf_pages(reports.draft_pdf(db.session, boss, unqualified))[0]
    assert "经复检" in _conclusion(first) and retest.lab.name in first


def test_a_retest_on_a_reported_sample_is_stated_once(unqualified, boss):
    first = _issue(unqualified, boss)
    retest = _retested(unqualified, boss, Conclusion.QUALIFIED, signed(boss, "approval"))
    second = db.session.get(Report, first.id).superseded_by
    assert second is not None and second.status == ReportStatus.ISSUED
    pages = pdf_pages(second.pdf)
    assert f"本报告替代{first.report_no}号报告" in pages[0]
    assert "经复检" in _conclusion(pages[0]) and pages[0].count(f"{retest.lab.name}于") == 1
    assert _items(pages).count("不合格") == _items(pages).count("初检不合格")


def test_no_retest_no_statement(concluded_sample, boss):
    pages = pdf_pages(_issue(concluded_sample(items=(LEAD, CADMIUM)), boss).pdf)
    assert "经复检" not in pages[0] and "初检" not in "".join(pages)


# --- trying to break it ---------------------------------------------------------------------------


def test_a_retest_without_its_result_states_nothing(unqualified, boss):
    """A retest under way is not the final conclusion: the report gives the first test's."""
    _retest_until_result(unqualified, boss)
    pages = pdf_pages(_issue(unqualified, boss).pdf)
    assert "经复检" not in pages[0] and "初检不合格" not in "".join(pages)
    assert "检验结论为不合格" in _conclusion(pages[0])


def test_through_the_queue_and_not_by_another_role(unqualified, boss, reviewer, login, post):
    retest = _retested(unqualified, boss, Conclusion.QUALIFIED)
    sample_id = unqualified.id
    with pytest.raises(PermissionDenied):
        reports.issue_report(
            db.session, reviewer, unqualified, base_url=BASE, signature=signed(reviewer, "approval")
        )
    db.session.rollback()
    login(reviewer)
    assert post(f"/reports/issue/{sample_id}", {"password": PASSWORD}).status_code == 403
    login(boss)
    post(f"/reports/issue/{sample_id}", {"password": PASSWORD}, token_from="/reports/queue")
    db.session.rollback()
    report = reports.current_report(db.session, unqualified)
    assert report is not None and unqualified.status == SampleStatus.REPORTED
    conclusion = _conclusion(pdf_pages(report.pdf)[0])
    assert "经复检" in conclusion and retest.lab.name in conclusion
    assert Role.REVIEWER not in boss.roles


def test_long_remarks_continue_on_a_page_of_their_own(unqualified, boss):
    """The sample's remarks at their limit and a retest's result at its own: the first page's
    备注 cell says where the rest is, and a continuation page holds them in full, before
    the results (reportlab cannot split the summary table: the report could not be issued)."""
    unqualified.remarks = "备" * 2000
    retest = _retest_until_result(unqualified, boss)
    result = "镉(以Cd计) 0.05 mg/kg；" * 100
    retests.record_retest_result(
        db.session,
        boss,
        retest,
        conclusion=Conclusion.QUALIFIED,
        result=result[: retests.RESULT_MAX],
        reported_on=clock.today(),
        base_url=BASE,
    )
    db.session.commit()
    pages = pdf_pages(_issue(unqualified, boss).pdf)
    assert "全文见备注续页" in pages[0]
    continued = next(i for i, page in enumerate(pages) if "备注（续）" in page)
    results = next(i for i, page in enumerate(pages) if "检验结果序号" in page)
    assert continued == 1 and results > continued  # pdf_pages drops the spaces
    text = "".join(pages[continued:results])
    assert "备" * 2000 in text and "复检结论为合格" in text and "镉(以Cd计)0.05mg/kg" in text


def test_a_retest_result_longer_than_its_limit_is_refused(unqualified, boss):
    retest = _retest_until_result(unqualified, boss)
    with pytest.raises(ServiceError) as refused:
        retests.record_retest_result(
            db.session,
            boss,
            retest,
            conclusion=Conclusion.QUALIFIED,
            result="复" * (retests.RESULT_MAX + 1),
            reported_on=clock.today(),
            base_url=BASE,
        )
    assert refused.value.field == "result" and str(retests.RESULT_MAX) in refused.value.message


def test_short_remarks_stay_on_the_first_page(unqualified, boss):
    unqualified.remarks = "留样一份"
    db.session.commit()
    pages = pdf_pages(_issue(unqualified, boss).pdf)
    assert "留样一份" in pages[0] and "备注续页" not in "".join(pages)
