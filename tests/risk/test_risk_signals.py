"""Risk signals (issue 17 §1, §4) on a small hand-made history: what signals, why, and
where people see it (the page, the dashboard, the CLI, the API, the samples behind it)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from risk_support import add_samples, build

from labsys.extensions import db
from labsys.models import HazardClass, Link, Plan, Role
from labsys.services import api_tokens, risk
from labsys.services.access import SYSTEM

TODAY = date(2026, 11, 20)
MONTHS = [date(2025 + (m > 12), (m - 1) % 12 + 1, 10) for m in range(8, 24)]  # 2025-08..2026-11
RECENT = MONTHS[-3:]


@pytest.fixture
def world(app, make_category, make_user, freeze_clock):
    freeze_clock(TODAY)
    w = build(make_category, make_user)
    for day in MONTHS:
        add_samples(w, category="leafy", day=day, count=40, failing=1, item="pesticide")
        add_samples(w, category="flour", day=day, count=40, failing=1, item="acid", unit=1)
        add_samples(w, category="oil", day=day, count=40, failing=1, item="acid", region="110108")
        planted = 8 if day in RECENT else 1
        add_samples(
            w, category="leafy", day=day, count=30, failing=planted, item="pesticide",
            region="110108", unit=2,
        )  # fmt: skip
    # A producer failing twice, in two districts, on an illegal additive.
    add_samples(
        w, category="flour", day=RECENT[0], count=2, failing=1, item="illegal", producer=0, unit=3
    )
    add_samples(
        w, category="flour", day=RECENT[1], count=1, failing=1, item="illegal", producer=0,
        region="110108", unit=4,
    )  # fmt: skip
    # One failure of two samples in a category of its own: shrunk, never a signal.
    add_samples(w, category="oil", day=RECENT[2], count=2, failing=1, region="110101", unit=5)
    return w


def _find(signals, scope, name_part):
    return next(s for s in signals if s.scope == scope and name_part in s.name)


def test_planted_rise_and_repeat_producer_rank_at_the_top(world):
    signals = risk.compute_signals(db.session)
    top = risk.signalled(signals)
    assert top, "nothing signalled"
    haidian_veg = _find(signals, "district_category", "海淀区")
    assert haidian_veg.signalled and "above_history" in haidian_veg.kinds
    assert haidian_veg.unqualified == 24 and haidian_veg.samples == 90
    assert haidian_veg.history_unqualified == 12 and haidian_veg.history_samples == 360
    assert haidian_veg.p_history < 0.001 and haidian_veg.q_value <= 0.05
    low, high = haidian_veg.interval
    assert low < haidian_veg.posterior.mean < high
    assert haidian_veg.weight == 3.0  # pesticide residues
    producer = _find(signals, "producer", "测试食品厂0")
    assert producer.signalled and {"repeat", "cross_district"} <= set(producer.kinds)
    assert producer.weight == 5.0  # illegal additive
    assert producer.districts == 2
    # The statistical signals: the planted rise leads; the small 1-of-2 category is quiet.
    statistical = [s for s in top if not s.rule]
    assert statistical[0].name.startswith(("海淀区", "菠菜", "叶菜类蔬菜", "蔬菜", "食用农产品"))
    small = [s for s in signals if s.scope == "district_category" and s.key.startswith("110101")]
    assert small and not small[0].signalled
    assert all(s.scope != "district" or s.key != "110105" for s in top)


def test_risk_monitoring_samples_never_count(world, make_user):
    before = {
        (s.scope, s.key): (s.samples, s.unqualified) for s in risk.compute_signals(db.session)
    }
    plan = Plan(code="RM-1", name="风险监测", year=2026, inspection_type="risk_monitoring")
    db.session.add(plan)
    db.session.commit()
    add_samples(
        world, category="oil", day=RECENT[2], count=20, failing=20, region="110105",
        inspection_type="risk_monitoring", plan_id=plan.id,
    )  # fmt: skip
    after = {(s.scope, s.key): (s.samples, s.unqualified) for s in risk.compute_signals(db.session)}
    assert after == before  # counted on samples now (the summary knows no types): the same


def test_the_samples_behind_a_signal_are_one_click_away(world, client, make_user, login):
    signal = _find(risk.compute_signals(db.session), "producer", "测试食品厂0")
    login(make_user("boss", Role.SUPERVISOR))
    html = client.get("/sampling/samples", query_string=signal.filters).get_data(as_text=True)
    assert html.count('name="id"') == 2  # its two unqualified supervision samples
    item_signal = _find(risk.compute_signals(db.session), "test_item", "苏丹红")
    html = client.get("/sampling/samples", query_string=item_signal.filters).get_data(as_text=True)
    assert html.count('name="id"') == 2


def test_the_warnings_page_is_for_supervisors(world, client, make_user, login):
    login(make_user("sam", Role.SAMPLER))
    assert client.get("/risk/signals").status_code == 403
    login(make_user("boss", Role.SUPERVISOR))
    html = client.get("/risk/signals").get_data(as_text=True)
    assert "测试食品厂0" in html and "<svg" in html and "海淀区" in html
    assert "/sampling/samples?" in html
    only = client.get("/risk/signals?scope=producer&kind=cross_district").get_data(as_text=True)
    assert "测试食品厂0" in only and "海淀区 · " not in only
    everything = client.get("/risk/signals?all=1&scope=district").get_data(as_text=True)
    assert "朝阳区" in everything


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_cli_formats(world, app, fmt):
    result = app.test_cli_runner().invoke(args=["risk", "signals", "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        rows = json.loads(result.output)
        assert rows and {"scope", "key", "name", "samples", "unqualified", "rate", "score",
                         "reason"} <= set(rows[0])  # fmt: skip
        assert any(r["scope"] == "producer" and "repeat" in r["kinds"] for r in rows)
    elif fmt == "csv":
        assert result.output.startswith("scope,key,name,samples,unqualified,rate,score")
    else:
        assert "测试食品厂0" in result.output


def test_api_lists_the_signals_for_supervisors(world, client, make_user):
    boss = make_user("api-boss", Role.SUPERVISOR)
    sam = make_user("api-sam", Role.SAMPLER)
    boss_token = api_tokens.create_token(db.session, SYSTEM, boss, scope="read").secret
    sam_token = api_tokens.create_token(db.session, SYSTEM, sam, scope="read").secret
    db.session.commit()
    response = client.get(
        "/api/v1/risk/signals?scope=producer", headers={"Authorization": f"Bearer {boss_token}"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body[0]["name"] == "测试食品厂0" and body[0]["samples_filter"]["producer"]
    denied = client.get("/api/v1/risk/signals", headers={"Authorization": f"Bearer {sam_token}"})
    assert denied.status_code == 403
    bad = client.get(
        "/api/v1/risk/signals?scope=nope", headers={"Authorization": f"Bearer {boss_token}"}
    )
    assert bad.status_code == 422


def test_hazard_weights_are_a_setting(world, app):
    heavy = risk.Settings(weights={**risk.Settings().weights, "pesticide_vet_residue": 10.0})
    signals = risk.compute_signals(db.session, heavy, scopes=["district_category"])
    veg = _find(signals, "district_category", "海淀区 · 食用农产品")
    assert veg.weight == 10.0
    assert HazardClass.PESTICIDE_VET_RESIDUE.value in heavy.weights
    assert risk.Settings.from_config({"RISK_FDR": 0.01}).fdr == 0.01
    with pytest.raises(ValueError):
        risk.Settings.from_config({"RISK_HAZARD_WEIGHTS": {"nope": 1}})
    assert Link.RETAIL.value == "retail"


def test_a_parent_explained_by_its_nested_signal_ranks_after_the_rest(world):
    """海淀区 (the district) and 食用农产品/蔬菜… rise only through 海淀区's vegetables: once
    those samples are set aside the rest is not above its baseline, so they are listed after
    the unexplained signals, saying which key explains them."""
    signals = risk.compute_signals(db.session)
    top = risk.signalled(signals)
    district = _find(signals, "district", "海淀区")
    assert district.signalled
    assert district.explained_keys and district.explained_keys[0][0] == "district_category"
    assert "海淀区 · " in district.explained_by[0]
    assert "explained by" in district.reason or "可由其内" in district.reason
    assert district.as_json()["explained_by"][0].startswith("district_category:110108:")
    explained = [n for n, s in enumerate(top) if s.explained_by]
    unexplained = [n for n, s in enumerate(top) if not s.explained_by]
    assert explained and max(unexplained) < min(explained)
    # The key that explains it is listed; followed on, the explanations end at an
    # unexplained signal (here the supermarket that holds exactly 海淀's vegetables: the
    # same samples are listed at the enterprise, labsys.core.overlaps).
    inner = next(s for s in top if (s.scope, s.key) == district.explained_keys[0])
    while inner.explained_by:
        inner = next(s for s in top if (s.scope, s.key) == inner.explained_keys[0])
    assert inner.scope in ("district_category", "unit") and not inner.explained_by


def test_clean_district_categories_are_tested_but_not_listed(world, monkeypatch):
    """District × 大类 (46,000 keys at national scale) lists only keys with a recent failure;
    the clean ones still count in Benjamini–Hochberg's m and as peers, so every listed key's
    numbers are those it had when every key was listed."""
    add_samples(world, category="flour", day=RECENT[1], count=5, region="110102")  # clean
    listed = risk.compute_signals(db.session)
    assert all(s.unqualified for s in listed if s.scope == "district_category")

    original = risk._district_categories

    def listing_every_key(*args):
        counts = original(*args)
        counts.list_clean = True
        return counts

    monkeypatch.setitem(risk._COUNTERS, "district_category", listing_every_key)
    every = risk.compute_signals(db.session)
    clean = [s for s in every if s.scope == "district_category" and not s.unqualified]
    assert clean and not any(s.signalled for s in clean)
    assert every.tested == listed.tested == len(every)
    assert len(listed) == len(every) - len(clean)
    numbers = {
        (s.scope, s.key): (s.samples, s.unqualified, s.peer_samples, s.q_value, s.signalled)
        for s in every
    }
    assert all(
        numbers[(s.scope, s.key)]
        == (s.samples, s.unqualified, s.peer_samples, s.q_value, s.signalled)
        for s in listed
    )
