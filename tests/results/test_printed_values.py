"""Printed values never contradict their verdict (GB/T 8170 marks, significant figures), and
colony counts are entered, judged, imported and shown as GB 4789.2 reports them."""

from __future__ import annotations

import json

import pytest

from labsys.models import ResultStatus, VerdictValue
from labsys.services import ServiceError
from labsys.services import results as svc
from labsys.services.results_import import ImportErrors, import_results

from results_support import by_name


@pytest.fixture
def counted_sample(make_sample, make_item, flour):
    """A sample with lead (≤0.2, interval 0.01), cadmium (≤0.1, two significant figures),
    a colony-count plan (菌落总数 n=5,c=2,m=10⁴,M=10⁵) and a plain colony-count limit
    (霉菌 ≤150 CFU/g; LOD "1": no growth is "<1")."""
    plate = make_item("菌落总数", "CFU/g", micro=True)
    plate.is_colony_count = True
    mould = make_item("霉菌", "CFU/g")
    mould.is_colony_count = True

    def make():
        sample = make_sample(
            flour,
            [
                {"test_item": make_item("铅(以Pb计)", "mg/kg"), "limit_text": "≤0.2"}
                | {"interval": "0.01", "lod": "0.005", "judgement_basis": "GB 2762-2022"},
                {"test_item": make_item("镉(以Cd计)", "mg/kg"), "limit_text": "≤0.1"}
                | {"significant_digits": 2, "judgement_basis": "GB 2762-2022"},
                {"test_item": plate, "limit_text": "", "is_colony_count": True}
                | {"micro_n": 5, "micro_c": 2, "micro_m": "10000", "micro_big_m": "100000"},
                {"test_item": mould, "limit_text": "≤150", "is_colony_count": True, "lod": "1"},
            ],
        )
        return sample

    return make


def _enter(db, tech, result, measured=None, units=None):
    svc.enter_result(
        db.session,
        tech,
        result,
        measured_text=measured,
        expected_version=result.version_id,
        unit_values=units,
    )
    db.session.commit()
    return result


@pytest.mark.parametrize(
    ("item", "typed", "reported", "verdict"),
    [
        # The case: a report must not read "0.20 不合格" against ≤0.2.
        ("铅", "0.204", "0.20(+)", VerdictValue.FAIL),
        ("铅", "0.196", "0.20", VerdictValue.PASS),
        ("铅", "0.214", "0.21", VerdictValue.FAIL),
        # Significant figures: 0.1049 → 0.10, which alone would pass ≤0.1.
        ("镉", "0.1049", "0.10(+)", VerdictValue.FAIL),
        ("镉", "0.0325", "0.032", VerdictValue.PASS),  # GB/T 8170: half to even
        # Colony counts against a plain limit, judged as reported (GB 4789.2).
        ("霉菌", "150.4", "1.5×10²", VerdictValue.PASS),
        ("霉菌", "155", "1.6×10²", VerdictValue.FAIL),  # half up: 155 → 1.6×10²
        ("霉菌", "0", "<1", VerdictValue.PASS),
        ("霉菌", "<1", "<1", VerdictValue.PASS),
        ("霉菌", "多不可计", "多不可计", VerdictValue.FAIL),
        ("霉菌", "57 CFU/g", "57", VerdictValue.PASS),
    ],
)
def test_entry_prints_what_the_verdict_says(
    db, tech, counted_sample, item, typed, reported, verdict
):
    result = _enter(db, tech, by_name(counted_sample(), item), typed)
    assert (result.measured_text, result.reported_text, result.verdict) == (
        typed,
        reported,
        verdict,
    )


@pytest.mark.parametrize(
    ("units", "reported", "verdict"),
    [
        (["93672", "<10", "9.4×10^4", "9.4x10⁴", "0"], "9.4×10⁴,<10,9.4×10⁴,9.4×10⁴,<10", "fail"),
        (["5000", "<10", "<10", "<10", "99"], "5.0×10³,<10,<10,<10,99", "pass"),
        # 100 499 reports 1.0×10⁵ = M: within M, judged on the reported value.
        (["100499", "<10", "<10", "<10", "<10"], "1.0×10⁵,<10,<10,<10,<10", "pass"),
        (["多不可计", "<10", "<10", "<10", "<10"], "多不可计,<10,<10,<10,<10", "fail"),
    ],
)
def test_a_colony_count_plan_is_judged_on_reported_values(
    db, tech, counted_sample, units, reported, verdict
):
    count = _enter(db, tech, by_name(counted_sample(), "菌落"), units=units)
    assert (count.reported_text, count.verdict) == (reported, VerdictValue(verdict))
    assert json.loads(count.unit_values) == units  # kept exactly as typed
    assert svc.printed_units(count) == reported.split(",")


@pytest.mark.parametrize("typed", ["未检出", "abc", "-3", "检出"])
def test_a_colony_count_entry_that_is_not_a_count_is_refused_clearly(
    db, tech, counted_sample, typed
):
    mould = by_name(counted_sample(), "霉菌")
    with pytest.raises(ServiceError) as error:
        svc.enter_result(
            db.session, tech, mould, measured_text=typed, expected_version=mould.version_id
        )
    assert error.value.field == "measured_text"
    assert "菌落数" in error.value.message or "negative" in error.value.message


def test_a_bad_unit_count_names_the_unit(db, tech, counted_sample):
    plate = by_name(counted_sample(), "菌落")
    with pytest.raises(ServiceError, match="第2个样品单元|unit 2") as error:  # one language
        svc.enter_result(
            db.session,
            tech,
            plate,
            measured_text=None,
            expected_version=plate.version_id,
            unit_values=["1", "x", "1", "1", "1"],
        )
    assert error.value.field == "unit_values"


def test_import_accepts_what_a_technician_types(db, tech, counted_sample):
    sample = counted_sample()
    no = sample.sample_no
    data = (
        "样品编号,检验项目,结果,单位\n"
        f"{no},铅(以Pb计),0.204,mg/kg\n"
        f'{no},菌落总数,"93672; <10; 9.4×10^4; 多不可计; 0",CFU/g\n'
        f"{no},霉菌,9.4x10^1,CFU/g\n"
    ).encode()
    import_results(db.session, tech, data, "run.csv")
    db.session.commit()
    db.session.expire_all()
    assert by_name(sample, "铅").reported_text == "0.20(+)"
    assert by_name(sample, "菌落").reported_text == "9.4×10⁴,<10,9.4×10⁴,多不可计,<10"
    assert by_name(sample, "霉菌").reported_text == "94"


def test_import_refuses_a_colony_count_that_is_not_one(db, tech, counted_sample):
    no = counted_sample().sample_no
    data = f"样品编号,检验项目,结果,单位\n{no},霉菌,未检出,CFU/g\n".encode()
    with pytest.raises(ImportErrors) as error:
        import_results(db.session, tech, data, "run.csv")
    (problem,) = error.value.errors
    assert problem.row == 2 and "菌落数" in problem.message


def test_the_entry_page_shows_the_marked_and_the_colony_texts(
    client, login, db, tech, counted_sample
):
    sample = counted_sample()
    _enter(db, tech, by_name(sample, "铅"), "0.204")
    _enter(db, tech, by_name(sample, "菌落"), units=["93672", "<10", "<10", "<10", "<10"])
    login(tech)
    html = client.get(f"/lab/samples/{sample.id}/enter").get_data(as_text=True)
    assert "0.20(+)" in html and "9.4×10⁴" in html
    assert "菌落数：如 93672" in html or "Colony count: 93672" in html


def test_a_retest_keeps_the_reporting_rule_and_the_colony_flag(db, reviewer, counted_sample):
    sample = counted_sample()
    mould, cadmium = by_name(sample, "霉菌"), by_name(sample, "镉")
    for result in (mould, cadmium):
        result.status = ResultStatus.ACCEPTED
    db.session.commit()
    new_mould = svc.retest(db.session, reviewer, mould, "平板污染")
    new_cadmium = svc.retest(db.session, reviewer, cadmium, "复测")
    assert (new_mould.is_colony_count, new_mould.lod) == (True, "1")
    assert new_cadmium.significant_digits == 2
