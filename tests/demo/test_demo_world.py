"""The demo looks like real work (issue 11 §6): names, producers, packages, licences, credit
codes, shelf lives and notices read as a quality manager expects them to."""

import random
import re
from datetime import date, timedelta

from sqlalchemy import select

from labsys.core.identifiers import is_valid_uscc
from labsys.demo import load_demo, world
from labsys.models import Enterprise, Link, Report, Sample
from labsys.models.followup import FollowUp

TODAY = date(2026, 11, 20)
LIQUID_PREFIXES = ("02", "0301", "0302", "05010101", "05010102", "05010103", "06", "15")
SOLID_PREFIXES = ("01", "07", "08", "11", "21", "23", "25", "34")


def test_the_demo_reads_like_real_work(app, db):
    """One demo year (loading it is the slow part), every check on it."""
    load_demo(db.session, samples=240, seed=5, year=2026, today=TODAY, reports=80)
    db.session.commit()
    for check in CHECKS:
        check(db)


def _samples(db):
    return db.session.scalars(select(Sample).order_by(Sample.id)).all()


def _enterprise_names_are_distinct_and_carry_no_serial_numbers(db):
    names = db.session.scalars(select(Enterprise.name)).all()
    assert len(names) == len(set(names))
    assert not [n for n in names if re.search(r"[（(]\d+[）)]", n)], "no （27） suffixes"


def _producers_make_what_they_are_labelled_with(db):
    checked = 0
    for sample in _samples(db):
        if sample.producer is None:
            continue
        maker = world.MAKERS[world.maker_key(sample.category.code)]
        assert sample.producer.name.endswith(maker.trades) or "（" in sample.producer.name, (
            sample.food_name,
            sample.producer.name,
        )
        checked += 1
    assert checked > 50


def _production_link_samples_are_made_by_the_sampled_plant(db):
    production = [s for s in _samples(db) if s.link == Link.PRODUCTION]
    assert production
    assert all(s.producer_id == s.visit.sampled_unit_id for s in production)


def _package_sizes_fit_the_food(db):
    for sample in _samples(db):
        code, spec = sample.category.code, sample.specification
        if spec == "散装":
            assert sample.producer_id is None and not sample.brand
            continue
        size, unit = spec.rsplit("/", 1)
        assert sample.quantity_unit == unit
        if code.startswith(LIQUID_PREFIXES):
            assert re.fullmatch(r"\d+(\.\d+)?(mL|L)", size), (sample.food_name, spec)
        if code.startswith(SOLID_PREFIXES):
            assert re.fullmatch(r"\d+(\.\d+)?(g|kg)", size), (sample.food_name, spec)


def _licences_and_credit_codes_match_the_address(db):
    seen = 0
    for enterprise in db.session.scalars(select(Enterprise)):
        assert is_valid_uscc(enterprise.uscc), enterprise.uscc
        licence = enterprise.licence_no
        assert re.fullmatch(r"(SC|JY)\d{14}", licence), licence
        # SC: 3 category digits then the county; JY: 1 业态 digit then the county.
        county = licence[5:11] if licence.startswith("SC") else licence[3:9]
        assert enterprise.uscc[2:8] == county, (enterprise.name, enterprise.uscc, licence)
        if enterprise.region_code:
            assert county == enterprise.region_code
            assert enterprise.region.name_zh in enterprise.address
            seen += 1
    assert seen > 20


def _sampled_shops_hold_trade_licences_and_plants_production_licences(db):
    for sample in _samples(db):
        unit = sample.visit.sampled_unit
        expected = "SC" if sample.link == Link.PRODUCTION else "JY"
        assert unit.licence_no.startswith(expected), (sample.link, unit.name, unit.licence_no)
        if sample.producer is not None:
            assert sample.producer.licence_no.startswith("SC")


def _shelf_lives_fit_the_food_and_cover_the_sampling_day(db):
    seen = set()
    for sample in _samples(db):
        if sample.shelf_life_days is None:
            continue
        assert sample.production_date <= sample.sampling_date
        assert sample.production_date + timedelta(days=sample.shelf_life_days) > (
            sample.sampling_date
        ), "no sample is past its shelf life when it is taken"
        if sample.food_name == "巴氏杀菌乳":
            assert sample.shelf_life.endswith("天") and sample.shelf_life_days <= 15
            seen.add("milk")
        if sample.category.code.startswith("0101"):
            assert sample.shelf_life.endswith("个月")
            seen.add("flour")
    assert seen, "the fixture's year holds milk or flour"


def test_packed_products_of_every_food_fit():
    """Every kind of food the demo can draw: pasteurised milk in days and mL, flour in
    months and kg, liquor without a printed shelf life."""
    rng = random.Random(1)
    for _ in range(30):
        milk = world.packed_product(rng, "05010101")
        assert milk["shelf_life"] in ("5天", "7天", "15天") and "mL" in milk["specification"]
        flour = world.packed_product(rng, "01010101")
        assert flour["shelf_life"].endswith("个月") and "kg" in flour["specification"]
        assert world.packed_product(rng, "15010101")["shelf_life"] == ""
    assert world.maker_key("33010101") is None and world.maker_key("31010101") is None


def _notices_are_never_sent_before_the_report(db):
    notified = db.session.scalars(select(FollowUp).where(FollowUp.notified_on.is_not(None))).all()
    assert notified
    for followup in notified:
        issued = db.session.scalars(
            select(Report.issued_at).where(Report.sample_id == followup.sample_id)
        ).all()
        assert issued, "a notice goes with an issued report"
        first = min(i.astimezone(world_tz()).date() for i in issued)
        assert followup.notified_on >= first


CHECKS = [
    _enterprise_names_are_distinct_and_carry_no_serial_numbers,
    _producers_make_what_they_are_labelled_with,
    _production_link_samples_are_made_by_the_sampled_plant,
    _package_sizes_fit_the_food,
    _licences_and_credit_codes_match_the_address,
    _sampled_shops_hold_trade_licences_and_plants_production_licences,
    _shelf_lives_fit_the_food_and_cover_the_sampling_day,
    _notices_are_never_sent_before_the_report,
]


def world_tz():
    from labsys.core.clock import LOCAL_TZ

    return LOCAL_TZ


def test_names_stay_distinct_when_draws_collide():
    """Many units in one district with one kind: the 13th clash becomes a branch (分店)."""
    rng, taken = random.Random(3), set()
    names = [
        world.sampled_unit(rng, taken, ("110101", "东城区"), Link.ONLINE)["name"]
        for _ in range(4000)
    ]
    assert len(set(names)) == 4000
    assert not [n for n in names if re.search(r"（\d+）", n)]
