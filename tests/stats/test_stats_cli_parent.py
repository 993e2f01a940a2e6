"""``labsys stats --parent CODE``: the drill-down of the statistics page on the command line
(issue #19 §1), with the JSON of ``GET /api/stats?parent=ID``."""

from __future__ import annotations

import json

from labsys.extensions import db
from labsys.models import FoodCategory

from stats_support import *  # noqa: F403 - the shared fixtures


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["stats", *args, "--format", "json"])


def test_parent_drills_down_like_the_api(app, dataset, supervisor, login, client):
    login(supervisor)
    grain = db.session.get(FoodCategory, dataset.flour.ancestor_ids[0])
    wheat = db.session.get(FoodCategory, dataset.flour.ancestor_ids[1])
    cases = [
        (["--parent", grain.code, "--level", "2"], {"parent": grain.id, "level": 2}),
        (["--parent", grain.code], {"parent": grain.id}),  # level follows the parent
        (["--parent", wheat.code, "--level", "3"], {"parent": wheat.id, "level": 3}),
        (["--parent", grain.code, "--by", "district"], {"parent": grain.id, "by": "district"}),
    ]
    for args, query in cases:
        result = _cli(app, *args)
        assert result.exit_code == 0, result.output
        cli = json.loads(result.output)
        response = client.get("/api/stats", query_string=query)
        assert response.status_code == 200
        assert response.get_json() == cli, args
    grain_only = json.loads(_cli(app, "--parent", grain.code, "--level", "2").output)
    assert [(r["name"], r["samples"]) for r in grain_only["rows"]] == [("小麦粉", 5)]
    assert grain_only["samples"] == 5


def test_unknown_parent_code_is_an_error(app, dataset):
    result = app.test_cli_runner().invoke(args=["stats", "--parent", "NOPE"])
    assert result.exit_code == 1
    assert "no food category with code NOPE" in result.output
