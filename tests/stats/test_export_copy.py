"""The samples CSV through COPY on PostgreSQL (issue #19 §3): byte for byte the CSV that
Python writes row by row — the same columns, BOM, headers and words for people, and the
same protection against cells a spreadsheet would run as formulas; SQLite keeps the Python
path."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest

from labsys.extensions import db
from labsys.models import InspectionType, Report, ReportStatus
from labsys.services import exports
from labsys.services.stats import StatsFilter

from stats_support import *  # noqa: F403 - the shared fixtures

# Cells of every kind a CSV writer or a spreadsheet treats specially.
HOSTILE = {
    "food_name": '=HYPERLINK("http://x","y")',
    "product_standard": "-2+3+cmd|' /C calc'!A0",
    "quality_grade": "+1",
    "licence_no": "\tSC123",
    "storage_conditions": "frozen,dry",
    "unit_price": "-0.5",  # a plain number: kept
    "purchase_cost": "1e-3",
    "supplier": 'He said "hi", then left',
    "seal_checker": "@SUM(A1:A9)",
}
VISIT_HOSTILE = {
    "delivery_address": "第一行\n第二行",
    "online_shop_url": "\rhttp://x",
    "online_order_no": "",
    "organising_authority": "-",
    "task_source": " leading space",
    "online_payment_amount": "-12\n",
    "unboxing_record": "=1+1 拆封\n外包装完好",
}


@pytest.fixture
def hostile(dataset, supervisor):
    first, second = dataset.samples[0], dataset.samples[1]
    for name, value in HOSTILE.items():
        setattr(first, name, value)
    second.food_name = "-１"  # a full-width digit
    second.purchase_date = date(2026, 1, 9)
    second.storage_conditions = "refrigerated,dark"
    for name, value in VISIT_HOSTILE.items():
        setattr(first.visit, name, value)
    first.visit.parcel_arrival_date = date(2026, 1, 12)
    for number, (sample, status) in enumerate(
        [
            (first, ReportStatus.ISSUED),  # superseded by the next one, later issued
            (first, ReportStatus.ISSUED),
            (second, ReportStatus.SUPERSEDED),  # not issued: no number
        ]
    ):
        db.session.add(
            Report(
                report_no=f"R-{number}",
                sample_id=sample.id,
                status=status,
                food_name=sample.food_name,
                sampled_unit_name="x",
                conclusion=sample.conclusion,
                author_id=supervisor.id,
                approver_id=supervisor.id,
                issued_at=datetime(2026, 3, 2, tzinfo=UTC),
                pdf=b"%PDF",
                sha256="0" * 64,
                verify_token=secrets.token_urlsafe(32),
            )
        )
    db.session.commit()
    return dataset


def _python_csv(session, filters, labels, bom) -> str:
    header, rows = exports.export_table(session, "samples", filters, labels=labels)
    return "".join(exports.csv_chunks(header, rows, bom=bom))


FILTERS = [
    None,
    StatsFilter(date_from=date(2026, 2, 1), date_to=date(2026, 4, 30)),
    StatsFilter(inspection_types=(InspectionType.SUPERVISION,)),
]


@pytest.mark.parametrize("labels", [None, "zh", "en"])
@pytest.mark.parametrize("filters", FILTERS, ids=["all", "dates", "supervision"])
def test_copy_writes_the_csv_python_writes(app, hostile, monkeypatch, labels, filters):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    copied = []
    monkeypatch.setattr(
        exports,
        "copy_csv_chunks",
        lambda *a, _real=exports.copy_csv_chunks, **k: copied.append(1) or _real(*a, **k),
    )
    bom = labels is not None
    expected = _python_csv(db.session, filters, labels, bom)
    got = "".join(exports.export_csv_chunks(db.session, "samples", filters, labels=labels, bom=bom))
    assert copied, "the samples CSV did not go through COPY"
    assert got == expected
    if filters is None:
        assert "'=HYPERLINK" in got and "'@SUM(A1:A9)" in got and ",+1," in got
        assert ",-0.5," in got and "R-1" in got and "R-0" not in got and "R-2" not in got
        assert "'=1+1 拆封" in got  # the unboxing record, made inert
        listed = {None: "refrigerated,dark", "zh": "冷藏、避光", "en": "Refrigerated (冷藏)、"}
        assert listed[labels] in got
        assert ("冷冻、dry" in got) == (labels == "zh")  # an unknown code stays as it is


def test_small_chunks_split_between_rows(app, hostile):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    query = exports.sample_copy_query(db.session)
    chunks = list(exports.copy_csv_chunks(db.session, ["h"], query, rows_per_chunk=2))
    assert chunks[0] == "h\r\n"
    assert all(chunk.endswith("\r\n") for chunk in chunks)
    assert "".join(chunks[1:]) == _python_csv(db.session, None, None, False).split("\r\n", 1)[1]


def test_sqlite_keeps_the_python_path(app, hostile, monkeypatch):
    if db.engine.dialect.name == "postgresql":
        pytest.skip("the SQLite path")
    monkeypatch.setattr(exports, "copy_csv_chunks", lambda *a, **k: pytest.fail("COPY on SQLite"))
    got = "".join(exports.export_csv_chunks(db.session, "samples", labels="zh", bom=True))
    assert got == _python_csv(db.session, None, "zh", True)


def test_the_page_downloads_the_same_csv(hostile, supervisor, login, client):
    """The page's download (words, BOM), through COPY on PostgreSQL, as Python writes it."""
    login(supervisor)
    page = client.get("/stats/download/samples.csv").get_data(as_text=True)
    assert page == _python_csv(db.session, StatsFilter(), "zh", True)


@pytest.mark.parametrize("labels", [None, "zh"])
def test_the_command_line_writes_the_same_csv(app, hostile, monkeypatch, tmp_path, labels):
    """``labsys export samples --format csv``: through COPY on PostgreSQL (the Python path on
    SQLite), the file byte for byte what Python writes row by row."""
    copied = []
    monkeypatch.setattr(
        exports,
        "copy_csv_chunks",
        lambda *a, _real=exports.copy_csv_chunks, **k: copied.append(1) or _real(*a, **k),
    )
    target = tmp_path / "samples.csv"
    args = ["export", "samples", "--format", "csv", "-o", str(target)]
    result = app.test_cli_runner().invoke(args=args + (["--labels", labels] if labels else []))
    assert result.exit_code == 0, result.output
    expected = _python_csv(db.session, StatsFilter(), labels, labels is not None)
    assert target.read_bytes() == expected.encode("utf-8")
    assert bool(copied) == (db.engine.dialect.name == "postgresql")
