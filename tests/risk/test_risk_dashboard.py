"""The supervisor's dashboard count of open risk signals (issue 17 §4): stored by ``labsys
risk refresh`` or by a supervisor's POST from the warnings page (which, a GET, writes
nothing) and read by the home page as one stored row, so the home page never recomputes the signals and its
number of SQL statements does not depend on them."""

from __future__ import annotations

from datetime import date

import pytest
from risk_support import add_samples, build
from sqlalchemy import event, func, select

from labsys.extensions import db
from labsys.models import RiskSignalCount, Role
from labsys.services import PermissionDenied, risk
from labsys.services.access import SYSTEM

TODAY = date(2026, 11, 20)
MONTHS = [date(2025 + (m > 12), (m - 1) % 12 + 1, 10) for m in range(8, 24)]  # 2025-08..2026-11


@pytest.fixture
def world(app, make_category, make_user, freeze_clock):
    freeze_clock(TODAY)
    w = build(make_category, make_user)
    for day in MONTHS:
        add_samples(w, category="flour", day=day, count=40, failing=1, item="acid", unit=1)
        bad = 9 if day in MONTHS[-3:] else 1
        add_samples(w, category="leafy", day=day, count=30, failing=bad, item="pesticide")
    return w


def _statements(client, path: str) -> tuple[int, str]:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
        assert response.status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen), response.get_data(as_text=True)


def test_the_home_page_shows_the_stored_count_with_a_link(
    world, client, make_user, login, monkeypatch, post
):
    login(make_user("boss", Role.SUPERVISOR))
    before, html = _statements(client, "/")
    assert 'id="overview-risk"' in html and 'data-count=""' in html  # never computed yet
    assert 'href="/risk/signals"' in html
    # The warnings page offers to store the open count it computed ...
    page = client.get("/risk/signals").get_data(as_text=True)
    assert 'id="store-count"' in page
    expected = len(risk.signalled(risk.compute_signals(db.session)))
    stored = post("/risk/signals/count", token_from="/risk/signals")
    assert stored.status_code == 302 and stored.headers["Location"].endswith("/risk/signals")
    assert 'id="store-count"' not in client.get("/risk/signals").get_data(as_text=True)
    assert expected > 0
    # ... which the home page reads without computing anything.
    monkeypatch.setattr(risk, "compute_signals", _refuse)
    after, html = _statements(client, "/")
    assert f'data-count="{expected}"' in html and "text-danger" in html
    assert after == before  # one stored row read, whatever its value


def _refuse(*_args, **_kwargs):
    raise AssertionError("the home page must not compute the signals")


def _stored_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(RiskSignalCount))


def test_the_warnings_page_writes_nothing_and_a_post_stores_once_per_change(
    world, client, make_user, login, post
):
    login(make_user("boss", Role.SUPERVISOR))
    for _ in range(2):
        assert client.get("/risk/signals").status_code == 200
    filtered = client.get("/risk/signals?scope=district").get_data(as_text=True)
    assert 'id="dashboard-count"' not in filtered  # a filtered list is not a full count
    assert _stored_rows() == 0  # a GET writes nothing
    for _ in range(2):
        post("/risk/signals/count", token_from="/risk/signals")
    assert _stored_rows() == 1
    stored = risk.latest_signal_count(db.session)
    assert stored.as_of == TODAY
    assert client.post("/risk/signals/count").status_code == 400  # no CSRF token: refused
    assert _stored_rows() == 1


def test_only_supervisors_store_the_count_from_the_page(world, client, make_user, login, post):
    login(make_user("tech", Role.TECHNICIAN))
    assert post("/risk/signals/count", token_from="/").status_code == 403
    assert _stored_rows() == 0


def test_the_home_page_statements_do_not_grow_with_the_signals(world, client, make_user, login):
    login(make_user("boss", Role.SUPERVISOR))
    risk.refresh_signal_count(db.session, SYSTEM)
    db.session.commit()
    few, _html = _statements(client, "/")
    for day in MONTHS[-3:]:
        add_samples(world, category="oil", day=day, count=10, failing=8, item="illegal", unit=3)
    risk.refresh_signal_count(db.session, SYSTEM)
    db.session.commit()
    many, html = _statements(client, "/")
    assert many == few
    assert f'data-count="{risk.latest_signal_count(db.session).open_count}"' in html


def test_refresh_on_the_command_line_and_who_may_store(world, app, make_user):
    result = app.test_cli_runner().invoke(args=["risk", "refresh"])
    assert result.exit_code == 0, result.output
    stored = risk.latest_signal_count(db.session)
    assert stored is not None and str(stored.open_count) in result.output
    with pytest.raises(PermissionDenied):
        risk.refresh_signal_count(db.session, make_user("sam", Role.SAMPLER))


def test_other_roles_see_no_risk_tile(world, client, make_user, login):
    login(make_user("tech", Role.TECHNICIAN))
    assert "overview-risk" not in client.get("/").get_data(as_text=True)
