"""The report and the announcement print what the verdict says: "0.20(+)" against ≤0.2 when
0.204 failed, and colony counts as GB 4789.2 reports them ("9.4×10⁴", "<10")."""

from __future__ import annotations

from labsys.extensions import db
from labsys.models import Conclusion, ResultStatus, SampleStatus
from labsys.services import exports, reports
from labsys.services import results as svc

from reports_support import pdf_pages
from support import signed


def _concluded(make_sample, make_item, make_enterprise, flour, tech, reviewer):
    """A concluded sample whose values were judged by the results service itself."""
    plate = make_item("菌落总数", "CFU/g", micro=True)
    plate.is_colony_count = True
    producer = make_enterprise("河北某面粉有限公司")
    sample = make_sample(
        flour,
        [
            {"test_item": make_item("铅(以Pb计)", "mg/kg"), "limit_text": "≤0.2"}
            | {"interval": "0.01", "lod": "0.005", "judgement_basis": "GB 2762-2022"},
            {"test_item": plate, "limit_text": "", "is_colony_count": True}
            | {"micro_n": 5, "micro_c": 2, "micro_m": "10000", "micro_big_m": "100000"}
            | {"judgement_basis": "GB 2726-2016", "method_standard": "GB 4789.2-2022"},
        ],
        producer_id=producer.id,
    )
    typed = {"铅": ("0.204", None), "菌落": (None, ["93672", "<10", "0", "57", "150000"])}
    for result in sample.results:
        measured, units = typed["铅" if result.item_name.startswith("铅") else "菌落"]
        judged = svc.judge_values(result, measured, units)
        result.measured_text, result.unit_values = judged.measured_text, judged.unit_values
        result.reported_text, result.verdict = judged.reported_text, judged.verdict
        result.status = ResultStatus.ACCEPTED
        result.entered_by_id, result.reviewed_by_id = tech.id, reviewer.id
    sample.status = SampleStatus.CONCLUDED
    sample.conclusion = Conclusion.UNQUALIFIED
    db.session.commit()
    return sample


def test_the_report_prints_the_mark_and_colony_counts(
    make_sample, make_item, make_enterprise, flour, tech, reviewer, boss
):
    sample = _concluded(make_sample, make_item, make_enterprise, flour, tech, reviewer)
    report = reports.issue_report(
        db.session, boss, sample, base_url="http://labsys.test", signature=signed(boss, "approval")
    )
    db.session.commit()
    text = "".join(pdf_pages(report.pdf))
    assert "≤0.20.20(+)不合格" in text  # limit, result and verdict in one row
    # ⁵ has no glyph in the CJK font: it is set as <super>5</super>, which reads back as 5
    assert "9.4×10⁴；<10；<10；57；1.5×105" in text
    assert "93672" not in text and "未检出" not in text.split("菌落总数")[-1]


def test_the_announcement_prints_the_mark(
    make_sample, make_item, make_enterprise, flour, tech, reviewer
):
    sample = _concluded(make_sample, make_item, make_enterprise, flour, tech, reviewer)
    failures = exports.failed_items(db.session, [sample.id])[sample.id]
    assert failures[0] == "铅(以Pb计)║0.20(+)mg/kg║≤0.2mg/kg"
    assert failures[1].startswith("菌落总数║9.4×10⁴,<10,<10,57,1.5×10⁵CFU/g║")
