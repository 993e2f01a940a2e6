"""Echoes across overlapping scopes (labsys.core.overlaps through services.risk): a unit or
a test item that only repeats a district's problem is listed after it, saying so; a producer
failing far above its category is a finding of its own; a plan's cells keep their signal."""

from __future__ import annotations

from datetime import date

import pytest
from risk_support import YEAR_TO_NOVEMBER, add_samples, build, plant_district_vegetables

from labsys.extensions import db
from labsys.services import briefing, proposals, risk

TODAY = date(2026, 12, 1)
MONTHS = YEAR_TO_NOVEMBER
RECENT = date(2026, 9, 1)


def _l1(world, name: str) -> int:
    return int(world.categories[name].path.strip("/").split("/")[0])


def _listing(found):
    return [
        (s.scope, s.name, s.samples, s.unqualified, s.score, s.explained_how, s.explained_by)
        for s in found
        if s.signalled
    ]


@pytest.fixture
def district_world(app, make_category, make_user, freeze_clock):
    """海淀's spinach fails a pesticide from September at two supermarkets alike
    (risk_support.plant_district_vegetables), with flour elsewhere."""
    freeze_clock(TODAY)
    w = build(make_category, make_user)
    plant_district_vegetables(w, flour=True)
    return w


def test_units_and_the_test_item_echoing_a_district_problem_are_listed_after_it(
    district_world,
):
    found = risk.compute_signals(db.session, today=TODAY)
    by_key = {(s.scope, s.key): s for s in found}
    listing = _listing(found)
    district = ("district_category", f"110108:{_l1(district_world, 'leafy')}")
    assert by_key[district].signalled and not by_key[district].explained_by, listing
    for unit in (2, 3):  # the unit path: samples found through their visits
        echo = by_key[("unit", str(district_world.units[unit].id))]
        assert echo.signalled, listing
        assert echo.explained_how == "overlap" and echo.explained_keys == [district], listing
        assert "可由与其重叠的预警解释" in echo.reason or "overlapping" in echo.reason
        assert echo.as_json()["explained_how"] == "overlap"
    item = by_key[("test_item", str(district_world.items["pesticide"].id))]
    assert item.signalled and item.explained_how == "overlap", listing  # a cross-cut
    for key in item.explained_keys:  # narrower keys holding the district's failures
        assert key[0] != "test_item" and by_key[key].signalled, listing
        chain = by_key[key]
        while chain.explained_keys:  # ends at a listed, unexplained signal
            chain = by_key[chain.explained_keys[0]]
        assert not chain.explained_by
    # Explained signals come after every unexplained one.
    ranked = risk.signalled(found)
    first_echo = min(n for n, s in enumerate(ranked) if s.explained_by)
    assert all(not s.explained_by for s in ranked[:first_echo])
    assert ranked.index(by_key[district]) < first_echo


def test_the_plan_cell_keeps_its_signal(district_world):
    veg = _l1(district_world, "leafy")
    strengths = proposals.signal_strengths(db.session, [(veg, "110108")], TODAY)
    assert strengths.get((veg, "110108"), 0) > 0


def test_one_scope_alone_explains_nothing_across_scopes(district_world):
    # An echo must point at a listed signal: a list of units alone has nothing to name.
    found = risk.compute_signals(db.session, today=TODAY, scopes=["unit"])
    assert found and all(s.explained_how != "overlap" for s in found)


@pytest.fixture
def flour_world(app, make_category, make_user, freeze_clock):
    """Flour rises a little at five producers; producer 5 (海淀) fails its 4 recent batches
    (0 of 20 before).  (Found by a review: it was listed as an echo of 通用小麦粉.)"""
    freeze_clock(TODAY)
    w = build(make_category, make_user)
    for day in MONTHS:
        recent = day >= RECENT
        for p in range(5):
            add_samples(
                w,
                category="flour",
                day=day,
                count=30,
                failing=3 if recent else 1,
                item="acid",
                unit=p,
                producer=p,
                region="110105",
            )
        add_samples(w, category="leafy", day=day, count=60, failing=1, item="pesticide")
        add_samples(
            w,
            category="flour",
            day=day,
            count=2,
            failing=2 if recent and day.month != 9 else 0,
            item="acid",
            unit=5,
            producer=5,
            region="110108",
        )
    return w


def test_a_producer_failing_far_above_its_category_is_not_an_echo_of_it(flour_world):
    found = risk.compute_signals(db.session, today=TODAY)
    by_key = {(s.scope, s.key): s for s in found}
    listing = _listing(found)
    producer = by_key[("producer", str(flour_world.producers[5].id))]
    assert producer.signalled and producer.q_value <= 0.05, listing
    assert not producer.explained_by, listing
    # The unit and 海淀 × 粮食加工品 hold exactly the producer's samples: listed under it.
    unit = by_key[("unit", str(flour_world.units[5].id))]
    place = by_key[("district_category", f"110108:{_l1(flour_world, 'flour')}")]
    for echo in (unit, place):
        while echo.explained_keys:
            echo = by_key[echo.explained_keys[0]]
        assert echo is producer, listing


def test_the_briefing_names_the_producer_failing_every_batch(flour_world):
    rows = briefing.top_signals(db.session, TODAY)
    assert "测试食品厂5" in [r.name for r in rows], [(r.scope, r.name, r.score) for r in rows]


def test_past_the_bound_the_largest_keys_are_left_out(district_world, monkeypatch):
    # The samples read are bounded: what does not fit neither explains nor is explained.
    monkeypatch.setattr(risk, "OVERLAP_MAX_SAMPLES", 0)
    found = risk.compute_signals(db.session, today=TODAY)
    assert not [s for s in found if s.explained_how == "overlap"]
    monkeypatch.setattr(risk, "OVERLAP_MAX_SAMPLES", 50)  # one unit's 45 samples fit
    found = risk.compute_signals(db.session, today=TODAY)
    district = ("district_category", f"110108:{_l1(district_world, 'leafy')}")
    overlap = [s for s in found if s.explained_how == "overlap"]
    assert all(district not in s.explained_keys for s in overlap), _listing(found)
    monkeypatch.setattr(risk, "OVERLAP_MAX_SAMPLES", 10**6)
    monkeypatch.setattr(risk, "OVERLAP_MAX_KEYS", 0)
    assert not [
        s for s in risk.compute_signals(db.session, today=TODAY) if s.explained_how == "overlap"
    ]


def test_the_warnings_page_links_an_echo_to_what_explains_it(
    district_world, client, make_user, login
):
    from labsys.models import Role

    login(make_user("boss", Role.SUPERVISOR))
    html = client.get("/risk/signals").get_data(as_text=True)
    veg = _l1(district_world, "leafy")
    unit = district_world.units[2].id
    card = html.split(f'id="signal-unit-{unit}"', 1)[1].split('<div class="card mb-3', 1)[0]
    assert 'class="small text-muted mb-2 explained-by"' in card
    assert f'href="#signal-district_category-110108:{veg}"' in card
    # the explaining card is on the page, before the echo, and not marked explained
    anchor = f'id="signal-district_category-110108:{veg}"'
    assert anchor in html and html.index(anchor) < html.index(f'id="signal-unit-{unit}"')
    head = html.split(anchor, 1)[0].rsplit("<div", 1)[1]
    assert "explained" not in head
