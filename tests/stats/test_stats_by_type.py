"""Pass rates, the API, the CLI and the exports filter by inspection type; by default they
count every type (a city's published monitoring figure), a supervision rate names one."""

from __future__ import annotations

import csv
import io
import json

import pytest

from labsys.extensions import db
from labsys.models import InspectionType, ResultStatus, Role, SampleResult, VerdictValue
from labsys.services import ServiceError, exports, stats
from labsys.services.stats import StatsFilter

from stats_support import *  # noqa: F403 - the shared fixtures

S, R, E = "supervision", "risk_monitoring", "evaluation"


@pytest.fixture
def typed(dataset):
    """The hand-counted dataset with 韭菜 as risk monitoring and 巴氏杀菌乳 as evaluation:
    supervision 通用小麦粉 3 Q 1 U (+1 pending); risk monitoring 2 Q 1 U; evaluation 2 Q
    (+1 inconclusive)."""
    for sample in dataset.samples[5:8]:
        sample.inspection_type = InspectionType.RISK_MONITORING
    for sample in dataset.samples[8:11]:
        sample.inspection_type = InspectionType.EVALUATION
    db.session.commit()
    return dataset


# (types, samples, qualified, unqualified, pass rate)
BY_TYPE = [
    ((), 11, 7, 2, "77.78"),  # default: every type
    ((S, R, E), 11, 7, 2, "77.78"),
    ((S,), 5, 3, 1, "75.00"),
    ((R,), 3, 2, 1, "66.67"),
    ((E,), 3, 2, 0, "100.00"),
    ((S, E), 8, 5, 1, "83.33"),
    ((S, S), 5, 3, 1, "75.00"),  # repeated: counted once
]


@pytest.mark.parametrize(("types", "samples", "qualified", "unqualified", "rate"), BY_TYPE)
def test_pass_rates_by_inspection_type(typed, types, samples, qualified, unqualified, rate):
    filters = StatsFilter(inspection_types=stats.inspection_types(types))
    data = stats.stats_json(db.session, filters=filters)
    assert (data["samples"], data["qualified"], data["unqualified"], data["pass_rate"]) == (
        samples,
        qualified,
        unqualified,
        rate,
    )


@pytest.mark.parametrize(("types", "samples", "qualified", "unqualified", "rate"), BY_TYPE)
def test_cli_and_api_filter_alike(
    app, typed, supervisor, login, client, types, samples, qualified, unqualified, rate
):
    login(supervisor)
    args = [arg for kind in types for arg in ("--type", kind)]
    result = app.test_cli_runner().invoke(args=["stats", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    response = client.get("/api/stats", query_string=[("type", kind) for kind in types])
    assert response.status_code == 200
    assert response.get_json() == cli
    assert (cli["samples"], cli["pass_rate"]) == (samples, rate)


def test_the_key_food_figure_counts_every_type_by_default(typed):
    every = stats.compute(db.session, key_foods=True)
    supervision = stats.compute(
        db.session,
        key_foods=True,
        filters=StatsFilter(inspection_types=(InspectionType.SUPERVISION,)),
    )
    # 小麦粉 (supervision) and 蔬菜 (risk monitoring) are the key foods here.
    assert (every.total.qualified, every.total.unqualified) == (5, 2)
    assert (supervision.total.qualified, supervision.total.unqualified) == (3, 1)


@pytest.mark.parametrize("value", ["监督抽检", "bogus", "SUPERVISION"])
def test_an_unknown_type_is_refused_everywhere(app, typed, supervisor, login, client, value):
    with pytest.raises(ServiceError):
        stats.inspection_types([value])
    login(supervisor)
    response = client.get("/api/stats", query_string={"type": value})
    assert response.status_code == 400 and value in response.get_json()["error"]
    result = app.test_cli_runner().invoke(args=["stats", "--type", value])
    assert result.exit_code != 0


def test_the_samples_export_has_the_inspection_type_and_filters_by_it(app, typed, tmp_path):
    out = tmp_path / "samples.csv"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export", "samples", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    assert {row["inspection_type"] for row in rows} == {S, R, E}
    assert sum(row["inspection_type"] == R for row in rows) == 3
    result = runner.invoke(
        args=["export", "samples", "--type", R, "--format", "csv", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    assert [row["inspection_type"] for row in rows] == [R, R, R]


def test_the_stats_page_filters_by_type(typed, supervisor, login, client):
    login(supervisor)
    page = client.get("/stats/table?by=category&type=risk_monitoring").get_data(as_text=True)
    assert 'id="f-type-risk_monitoring" name="type" value="risk_monitoring" checked' in page
    assert "食用农产品" in page and "粮食加工品" not in page


def test_risk_monitoring_problems_go_to_the_risk_notice_list(
    typed, make_item, supervisor, login, client
):
    leek = typed.samples[7]  # risk monitoring, unqualified
    item = make_item("腐霉利", "mg/kg")
    db.session.add(
        SampleResult(
            sample_id=leek.id,
            test_item_id=item.id,
            seq=1,
            item_name="腐霉利",
            unit="mg/kg",
            limit_text="≤0.2",
            method_standard="GB 23200.113-2018",
            judgement_basis="GB 2763-2021",
            measured_text="0.56",
            reported_text="0.56",
            verdict=VerdictValue.FAIL,
            status=ResultStatus.ACCEPTED,
        )
    )
    db.session.commit()
    records = list(exports.risk_notice_records(db.session))
    assert [r["样品编号"] for r in records] == [leek.sample_no]
    assert records[0][exports.PROBLEMS_COLUMN] == "腐霉利║0.56mg/kg║≤0.2mg/kg"
    # Supervision and evaluation samples never appear, qualified ones neither.
    flour_unqualified = typed.samples[3]
    assert flour_unqualified.sample_no not in {r["样品编号"] for r in records}
    login(supervisor)
    page = client.get("/stats/risk-notices").get_data(as_text=True)
    assert leek.sample_no in page and "风险监测问题样品清单" in page
    assert flour_unqualified.sample_no not in page
    assert client.get("/stats/risk-notices?plan=999999").status_code == 200


def test_the_risk_notice_list_is_for_supervisors(typed, make_user, login, client):
    login(make_user("tech", Role.TECHNICIAN))
    assert client.get("/stats/risk-notices").status_code == 403
