"""Pass-rate statistics: every grouping on hand-counted data, key foods, CLI and API."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from labsys.extensions import db
from labsys.models import Link, Role
from labsys.services import ServiceError, stats
from labsys.services.stats import StatsFilter

from stats_support import *  # noqa: F403 - the shared fixtures


def rows_by_name(result):
    return {
        row["name"]: (row["samples"], row["qualified"], row["unqualified"], row["pass_rate"])
        for row in result["rows"]
    }


def test_total_counts_judged_samples_only_in_the_rate(dataset):
    data = stats.stats_json(db.session)
    assert (data["samples"], data["qualified"], data["unqualified"]) == (11, 7, 2)
    assert data["pass_rate"] == "77.78"  # 7 / 9, GB/T 8170 at 0.01


def test_by_category_level_1_and_drill_down_to_level_4(dataset):
    data = stats.stats_json(db.session, by="category", level=1)
    assert rows_by_name(data) == {
        "粮食加工品": (5, 3, 1, "75.00"),
        "食用农产品": (3, 2, 1, "66.67"),
        "乳制品": (3, 2, 0, "100.00"),
    }
    grain_id = dataset.flour.ancestor_ids[0]
    drill = stats.compute(
        db.session, by="category", level=2, filters=StatsFilter(parent_id=grain_id)
    )
    assert [(r.name, r.samples) for r in drill.rows] == [("小麦粉", 5)]
    assert drill.total.samples == 5
    leaf = stats.stats_json(db.session, by="category", level=4)
    assert rows_by_name(leaf)["通用小麦粉"] == (5, 3, 1, "75.00")


def test_wilson_interval_strings(dataset):
    row = {r["name"]: r for r in stats.stats_json(db.session)["rows"]}["乳制品"]
    assert row["pass_rate"] == "100.00"
    assert row["wilson_high"] == "100.00"
    assert row["wilson_low"] == "34.24"  # 2 of 2


GROUPINGS = [
    ("district", {"东城区": (8, 5, 1, "83.33"), "朝阳区": (3, 2, 1, "66.67")}),
    (
        "link",
        {
            Link.RETAIL: (5, 3, 1, "75.00"),
            Link.CATERING: (3, 2, 1, "66.67"),
            Link.PRODUCTION: (3, 2, 0, "100.00"),
        },
    ),
    (
        "month",
        {
            "2026-01": (5, 3, 1, "75.00"),
            "2026-02": (3, 2, 1, "66.67"),
            "2026-04": (3, 2, 0, "100.00"),
        },
    ),
    ("quarter", {"2026-Q1": (8, 5, 2, "71.43"), "2026-Q2": (3, 2, 0, "100.00")}),
    ("year", {"2026": (11, 7, 2, "77.78")}),
    ("sampler", {"李抽样": (8, 5, 1, "83.33"), "王抽样": (3, 2, 1, "66.67")}),
]


def test_every_grouping(dataset):
    for by, expected in GROUPINGS:
        # Links are named by their (translated) title.
        expected = {(k.title if isinstance(k, Link) else k): v for k, v in expected.items()}
        assert rows_by_name(stats.stats_json(db.session, by=by)) == expected, by


def test_by_lab_names_unrecorded_lab(dataset):
    rows = rows_by_name(stats.stats_json(db.session, by="lab"))
    assert rows["第二检验所"] == (3, 2, 1, "66.67")
    assert sum(r[0] for r in rows.values()) == 11


def test_date_range_filter(dataset):
    data = stats.stats_json(
        db.session, filters=StatsFilter(date_from=date(2026, 2, 1), date_to=date(2026, 3, 31))
    )
    assert (data["samples"], data["qualified"], data["unqualified"]) == (3, 2, 1)


def test_empty_slice_has_no_rate(dataset):
    data = stats.stats_json(db.session, filters=StatsFilter(date_from=date(2030, 1, 1)))
    assert data == {"samples": 0, "qualified": 0, "unqualified": 0, "pass_rate": None, "rows": []}


def test_key_foods_total_and_rows(dataset):
    data = stats.stats_json(db.session, key_foods=True)
    assert (data["samples"], data["qualified"], data["unqualified"]) == (8, 5, 2)
    assert data["pass_rate"] == "71.43"
    sampled = {k: v for k, v in rows_by_name(data).items() if v[0]}
    assert sampled == {"小麦粉": (5, 3, 1, "75.00"), "蔬菜": (3, 2, 1, "66.67")}
    # Key foods without samples are listed too, with no rate.
    assert all(v == (0, 0, 0, None) for k, v in rows_by_name(data).items() if k not in sampled)


def test_key_food_total_counts_each_sample_once(dataset):
    # 食用农产品 (level 1) is a key food too: 韭菜 samples count in both rows, once in the total.
    produce = db.session.get(type(dataset.leek), dataset.leek.ancestor_ids[0])
    produce.is_key_food = True
    db.session.commit()
    data = stats.stats_json(db.session, key_foods=True)
    assert data["samples"] == 8
    assert rows_by_name(data)["食用农产品"] == (3, 2, 1, "66.67")
    assert sum(r["samples"] for r in data["rows"]) == 11


def test_key_food_monthly_trend(dataset):
    trend = stats.key_food_indicator(db.session)
    assert [(r.name, r.samples) for r in trend.rows] == [("2026-01", 5), ("2026-02", 3)]


def test_bad_options_are_refused(dataset):
    with pytest.raises(ServiceError, match="未知的分组方式"):
        stats.compute(db.session, by="colour")
    with pytest.raises(ServiceError, match="层级"):
        stats.compute(db.session, level=5)


def test_worst_first(dataset):
    result = stats.compute(db.session)
    assert [r.name for r in result.worst_first()] == ["食用农产品", "粮食加工品", "乳制品"]


# --- CLI and API: the same JSON -------------------------------------------------------------


def run_cli(app, *args):
    result = app.test_cli_runner().invoke(args=["stats", *args])
    assert result.exit_code == 0, result.output
    return result.output


CLI_AND_API_OPTIONS = [
    ([], {}),
    (["--by", "district"], {"by": "district"}),
    (["--by", "category", "--level", "4"], {"by": "category", "level": "4"}),
    (["--key-foods"], {"key_foods": "1"}),
    (
        ["--by", "month", "--from", "2026-01-01", "--to", "2026-02-28"],
        {"by": "month", "from": "2026-01-01", "to": "2026-02-28"},
    ),
]


def test_cli_and_api_give_identical_json(app, dataset, supervisor, login, client):
    login(supervisor)
    for cli_args, query in CLI_AND_API_OPTIONS:
        cli = json.loads(run_cli(app, *cli_args, "--format", "json"))
        response = client.get("/api/stats", query_string=query)
        assert response.status_code == 200
        assert response.get_json() == cli, cli_args
        assert set(cli) == {"samples", "qualified", "unqualified", "pass_rate", "rows"}
        assert all(
            set(row)
            == {
                "name",
                "samples",
                "qualified",
                "unqualified",
                "pass_rate",
                "wilson_low",
                "wilson_high",
            }
            for row in cli["rows"]
        )


def test_cli_csv_and_table(app, dataset):
    rows = list(csv.DictReader(io.StringIO(run_cli(app, "--format", "csv"))))
    assert rows[0]["name"] == "粮食加工品" and rows[0]["pass_rate"] == "75.00"
    assert rows[-1]["name"] == "TOTAL" and rows[-1]["pass_rate"] == "77.78"
    table = run_cli(app, "--by", "district")
    assert "东城区" in table and "83.33" in table


def test_cli_refuses_bad_level(app, dataset):
    result = app.test_cli_runner().invoke(args=["stats", "--level", "7"])
    assert result.exit_code != 0


def test_api_bad_parameter_is_a_400_with_message(dataset, supervisor, login, client):
    login(supervisor)
    response = client.get("/api/stats?from=yesterday")
    assert response.status_code == 400
    assert "yesterday" in response.get_json()["error"]


def test_api_is_for_supervisors_only(dataset, make_user, login, client):
    """Issue 18 §1: an admin-only account administers; it does not read pass rates."""
    login(make_user("root", Role.ADMIN))
    assert client.get("/api/stats").status_code == 403
    login(make_user("rootsup", Role.ADMIN, Role.SUPERVISOR))
    assert client.get("/api/stats").status_code == 200
    login(make_user("tech", Role.TECHNICIAN))
    assert client.get("/api/stats").status_code == 403
