"""The announcement never disagrees with the issued report (issue 18 §2): the report keeps
the producer's and the sampled unit's names and addresses as printed at issue, and the
announcement reads them there, so renaming or moving an enterprise afterwards changes
neither; a superseding report takes them afresh from the sample at its own issue."""

from __future__ import annotations

from labsys.extensions import db
from labsys.models import InspectionType
from labsys.services import enterprises, exports, reports

from reports_support import CADMIUM, LEAD, pdf_pages
from support import signed

BASE = "http://labsys.test"


def _row(sample) -> dict:
    [row] = [r for r in exports.announcement_records(db.session) if r["sample_id"] == sample.id]
    return row


def _rename(actor, enterprise, name: str, address: str) -> None:
    enterprises.update_enterprise(
        db.session, actor, enterprise, enterprise.version_id, name=name, address=address
    )
    db.session.commit()


def test_renaming_an_enterprise_after_the_report_changes_neither_report_nor_announcement(
    concluded_sample, boss, client, login
):
    sample = concluded_sample(items=(LEAD, CADMIUM))
    report = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    producer, unit = sample.producer, sample.visit.sampled_unit
    old = {
        "标称生产企业名称": producer.name,
        "标称生产企业地址": producer.address,
        "被抽样单位名称": unit.name,
        "被抽样单位地址": unit.address,
    }
    assert {key: _row(sample)[key] for key in old} == old

    _rename(boss, producer, "改名后的面粉公司", "河北省石家庄市新址路9号")
    _rename(boss, unit, "改名后的超市", "北京市朝阳区新址路8号")

    assert {key: _row(sample)[key] for key in old} == old  # as the report printed them
    assert (report.producer_name, report.sampled_unit_address) == (
        old["标称生产企业名称"],
        old["被抽样单位地址"],
    )
    login(boss)
    download = client.get(f"/reports/{report.id}.pdf")
    assert download.status_code == 200
    text = "".join(pdf_pages(download.data))
    assert old["标称生产企业名称"] in text and old["被抽样单位名称"] in text
    assert "改名后" not in text

    # A superseding report prints the parties as they are at its issue, and the
    # announcement follows the report in force.
    corrected = reports.correct_report(
        db.session,
        boss,
        report,
        reason="被抽样单位更名",
        base_url=BASE,
        signature=signed(boss, "approval"),
    )
    db.session.commit()
    assert (corrected.producer_name, corrected.sampled_unit_name) == (
        "改名后的面粉公司",
        "改名后的超市",
    )
    row = _row(sample)
    assert row["标称生产企业名称"] == "改名后的面粉公司"
    assert row["标称生产企业地址"] == "河北省石家庄市新址路9号"
    assert row["被抽样单位名称"] == "改名后的超市"
    assert row["被抽样单位地址"] == "北京市朝阳区新址路8号"
    text = "".join(pdf_pages(corrected.pdf))
    assert "改名后的面粉公司" in text and "改名后的超市" in text


def test_an_unreported_sample_is_listed_with_the_register_as_it_is(concluded_sample, boss):
    """The internal list of every unqualified sample (no report yet) reads the register."""
    sample = concluded_sample(items=(LEAD, CADMIUM))
    _rename(boss, sample.producer, "尚未出报告的公司", "新地址1号")
    [row] = [
        r
        for r in exports.announcement_records(db.session, published_only=False)
        if r["sample_id"] == sample.id
    ]
    assert (row["标称生产企业名称"], row["标称生产企业地址"]) == ("尚未出报告的公司", "新地址1号")


def test_the_migration_fills_existing_reports_from_the_register(concluded_sample, boss):
    """Migration 0042's backfill: a report issued before it takes the parties as the
    register holds them (the best record there is of what was printed)."""
    import importlib.util
    from pathlib import Path

    from sqlalchemy import text, update

    from labsys.models import Report

    path = Path(__file__).parents[2] / "migrations" / "versions" / "0042_report_parties.py"
    spec = importlib.util.spec_from_file_location("migration_0042", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    sample = concluded_sample(items=(LEAD, CADMIUM))
    report = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    blank = dict.fromkeys(migration.COLUMNS)
    db.session.execute(update(Report).where(Report.id == report.id).values(**blank))
    db.session.execute(text(migration.BACKFILL))
    db.session.commit()
    db.session.refresh(report)
    assert (report.producer_name, report.producer_address, report.sampled_unit_address) == (
        sample.producer.name,
        sample.producer.address,
        sample.visit.sampled_unit.address,
    )


def test_the_risk_notice_list_keeps_the_names_the_report_printed(
    concluded_sample, boss, client, login
):
    """风险监测问题样品 (issue 18 §2, as the announcement): the list, its page and the report's
    own page show the parties as the report printed them after an enterprise is renamed."""
    sample = concluded_sample(items=(LEAD, CADMIUM), inspection_type=InspectionType.RISK_MONITORING)
    report = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    producer, unit = sample.producer, sample.visit.sampled_unit
    old = {
        "被抽样单位名称": unit.name,
        "被抽样单位地址": unit.address,
        "标称生产企业名称": producer.name,
    }

    _rename(boss, producer, "改名后的面粉公司", "河北省石家庄市新址路9号")
    _rename(boss, unit, "改名后的超市", "北京市朝阳区新址路8号")

    [row] = [r for r in exports.risk_notice_records(db.session) if r["sample_id"] == sample.id]
    assert {key: row[key] for key in old} == old
    login(boss)
    listed = client.get("/stats/risk-notices").get_data(as_text=True)
    detail = client.get(f"/reports/{report.id}").get_data(as_text=True)
    for page in (listed, detail):
        assert old["被抽样单位名称"] in page and "改名后的超市" not in page
    assert old["标称生产企业名称"] in listed and "改名后" not in listed


def test_a_risk_notice_without_a_report_reads_the_register(concluded_sample, boss):
    """No report yet (the list takes every problem sample, whatever its report): nothing was
    printed, so the register as it is now."""
    sample = concluded_sample(items=(LEAD, CADMIUM), inspection_type=InspectionType.RISK_MONITORING)
    _rename(boss, sample.visit.sampled_unit, "尚未出报告的超市", "新地址2号")
    [row] = [r for r in exports.risk_notice_records(db.session) if r["sample_id"] == sample.id]
    assert (row["被抽样单位名称"], row["被抽样单位地址"]) == ("尚未出报告的超市", "新地址2号")
