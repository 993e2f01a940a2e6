"""Fixtures of the reports feature: the people who sign a report, and concluded samples."""

from __future__ import annotations

import pytest

from labsys.extensions import db
from labsys.models import Conclusion, ResultStatus, Role, SampleStatus, VerdictValue
from labsys.services import signatories
from labsys.services.access import SYSTEM

from reports_support import BAP, LEAD


@pytest.fixture
def tech(make_user):
    return make_user("tech", Role.TECHNICIAN, full_name="王技术")


@pytest.fixture
def reviewer(make_user):
    return make_user("rev", Role.REVIEWER, full_name="赵审核")


@pytest.fixture
def boss(make_user, flour):
    """The approver: a supervisor on the list of authorised signatories for 粮食加工品."""
    user = make_user("boss", Role.SUPERVISOR, full_name="钱批准")
    signatories.authorise(db.session, SYSTEM, user, category_ids=[flour.ancestor_ids[0]])
    db.session.commit()
    return user


@pytest.fixture
def flour(make_category):
    return make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")


@pytest.fixture
def concluded_sample(make_sample, make_item, make_enterprise, flour, tech, reviewer):
    """concluded_sample(items=[LEAD, ...], micro=False, author=tech) -> a CONCLUDED sample
    with every result ACCEPTED, entered by ``author`` and reviewed by ``reviewer``."""

    def make(items=(LEAD, BAP), *, micro: bool = False, author=None, **fields):
        specs = []
        for name, unit, limit, basis, _value, _verdict in items:
            specs.append(
                {"test_item": make_item(name, unit), "limit_text": limit, "judgement_basis": basis}
            )
        if micro:
            specs.append(
                {
                    "test_item": make_item("菌落总数", "CFU/g", micro=True),
                    "limit_text": "",
                    "micro_n": 5,
                    "micro_c": 2,
                    "micro_m": "50000",
                    "micro_big_m": "100000",
                    "judgement_basis": "GB 19644-2010",
                    "method_standard": "GB 4789.2-2022",
                }
            )
        producer = make_enterprise("河北某面粉有限公司", phone="0311-88886666")
        fields.setdefault("brand", "金麦穗")
        fields.setdefault("specification", "5kg/袋")
        fields.setdefault("batch_no", "B20261001")
        fields.setdefault("sampling_base", "200袋")
        sample = make_sample(flour, specs, producer_id=producer.id, **fields)
        sample.visit.sampled_unit.phone = "010-66668888"
        values = [(value, verdict) for *_, value, verdict in items]
        if micro:
            values.append(("", VerdictValue.PASS))
        for result, (value, verdict) in zip(
            sorted(sample.results, key=lambda r: r.seq), values, strict=True
        ):
            if result.is_microbiological:
                result.unit_values = '["12000", "30000", "60", "80", "100"]'
                result.measured_text = result.reported_text = "见各单元结果"
            else:
                result.measured_text = result.reported_text = value
            result.verdict = verdict
            result.status = ResultStatus.ACCEPTED
            result.entered_by_id = (author or tech).id
            result.reviewed_by_id = reviewer.id
        failed = any(v == VerdictValue.FAIL for _, v in values)
        sample.status = SampleStatus.CONCLUDED
        sample.conclusion = Conclusion.UNQUALIFIED if failed else Conclusion.QUALIFIED
        db.session.commit()
        return sample

    return make
