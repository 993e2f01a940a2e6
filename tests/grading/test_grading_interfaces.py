"""The grades on the command line and in the API."""

import csv
import io
import json
from datetime import date

from sqlalchemy import func, select

from labsys.extensions import db
from labsys.models import GradeChange, Role
from labsys.services import api_tokens
from labsys.services.access import SYSTEM


def test_grades_on_the_command_line(app, history, make_user, freeze_clock):
    freeze_clock(date(2026, 11, 30))
    make_user("boss", Role.SUPERVISOR)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["risk", "grades", "--format", "json", "--recompute", "boss"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    first = rows[0]
    assert first["name"] == "<b>坏油厂</b>" and first["grade"] == "D" and first["score"] == "12"
    assert first["recorded"] == "D"
    # in the command line's language (CLI_LANGUAGE, else LANG)
    assert any(
        text in first["reason"]
        for text in ("12个月内2批次不合格", "2 unqualified batches in 12 months")
    )
    table = runner.invoke(args=["risk", "grades", "--date", "2026-11-30", "--grade", "D"])
    assert table.exit_code == 0 and table.output.splitlines()[0].startswith("enterprise_id\t")
    out = runner.invoke(args=["risk", "grades", "--date", "2026-11-30", "--format", "csv"])
    parsed = list(csv.DictReader(io.StringIO(out.output)))
    assert {r["grade"] for r in parsed} <= {"A", "B", "C", "D"} and len(parsed) == len(rows)
    refused = runner.invoke(args=["risk", "grades", "--recompute", "nobody"])
    assert refused.exit_code == 1


def test_recompute_records_as_of_today_only(app, history, make_user, freeze_clock):
    """A grade change dated ahead would end the grades set by hand early; one dated back
    would rewrite the history: --date with --recompute is refused, nothing recorded."""
    freeze_clock(date(2026, 11, 30))
    make_user("boss", Role.SUPERVISOR)
    runner = app.test_cli_runner()
    for day in ("2030-01-01", "2026-01-01"):
        refused = runner.invoke(args=["risk", "grades", "--date", day, "--recompute", "boss"])
        assert refused.exit_code == 1
        assert "--recompute" in refused.output and "2026-11-30" in refused.output
    assert db.session.scalar(select(func.count()).select_from(GradeChange)) == 0


def test_grades_in_the_api(app, history, make_user, freeze_clock):
    # The API grades as of today: the history's day, not the run's (from 2027-01-05 on, its
    # 2026-01-05 batch is more than 12 months old and the producer no longer a D).
    freeze_clock(date(2026, 11, 30))

    def headers(user):
        secret = api_tokens.create_token(db.session, SYSTEM, user, scope="read").secret
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    client = app.test_client()
    boss = headers(make_user("boss", Role.SUPERVISOR))
    response = client.get("/api/v1/risk/grades?grade=D", headers=boss)
    assert response.status_code == 200
    [row] = response.get_json()
    assert row["name"] == "<b>坏油厂</b>" and row["grade"] == "D"
    assert client.get("/api/v1/risk/grades?grade=Z", headers=boss).status_code == 422
    sampler = headers(make_user("sam", Role.SAMPLER))
    assert client.get("/api/v1/risk/grades", headers=sampler).status_code == 403
