"""docs/API.md's client example runs as written, against a live test server."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from labsys.extensions import db
from labsys.models import Report

from api_support import lab_world
from support import PASSWORD

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "API.md"


def _example_code() -> str:
    (code,) = re.findall(r"```python\n(.*?)```", EXAMPLE.read_text(encoding="utf-8"), re.S)
    return code


def test_the_client_example_in_the_docs_runs(
    app, live_server, token_for, make_user, make_category, make_item, make_spec,
    make_enterprise, tmp_path,
):  # fmt: skip
    world = lab_world(make_user, make_category, make_item, make_spec, make_enterprise)
    names = {"sampler": "sam", "technician": "tech", "reviewer": "rev", "supervisor": "boss"}
    tokens = {role: token_for(world[name]) for role, name in names.items()}
    scope = {
        "BASE": f"{live_server}/api/v1",
        "TOKENS": tokens,
        "PASSWORDS": {"reviewer": PASSWORD, "supervisor": PASSWORD},
        "UNIT_ID": world["unit"].id,
        "CATEGORY_ID": world["flour"].id,
        "COLLEAGUE_ID": world["pat"].id,
    }
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(_example_code(), str(EXAMPLE), "exec"), scope)  # noqa: S102
    finally:
        os.chdir(here)
    assert scope["imported"]["rows"] == 1
    db.session.rollback()
    report = db.session.query(Report).one()
    written = (tmp_path / f"{report.report_no}.pdf").read_bytes()
    assert hashlib.sha256(written).hexdigest() == report.sha256


def test_the_reference_page_and_document_are_served_by_labsys_itself(app, client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    spec = document.get_json()
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/api/v1/docs/assets/") for source in sources)
    for source in sources:
        with client.get(source) as asset:  # a file response: closed here
            assert asset.status_code == 200 and len(asset.data) > 1000, source
    assert "/api/v1/openapi.json" in page
