"""Helpers of the API tests (imported by name: ``from api_support import ...``)."""

from __future__ import annotations

from labsys.extensions import db
from labsys.models import Role
from labsys.services import signatories
from labsys.services.access import SYSTEM


def lab_world(make_user, make_category, make_item, make_spec, make_enterprise):
    """Two samplers, a technician, a reviewer, a supervisor who may sign for the category,
    one leaf category with one test item (lead ≤0.2 mg/kg), a sampled unit."""
    flour = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    lead = make_item("铅(以Pb计)", "mg/kg")
    make_spec(flour, lead, "≤0.2")
    people = {
        "sam": make_user("sam", Role.SAMPLER, full_name="孙抽样"),
        "pat": make_user("pat", Role.SAMPLER, full_name="潘抽样"),
        "tech": make_user("tech", Role.TECHNICIAN, full_name="王技术"),
        "rev": make_user("rev", Role.REVIEWER, full_name="赵审核"),
        "boss": make_user("boss", Role.SUPERVISOR, full_name="钱批准"),
    }
    signatories.authorise(db.session, SYSTEM, people["boss"], category_ids=[flour.ancestor_ids[0]])
    db.session.commit()
    unit = make_enterprise("北京某超市有限公司")
    return {"flour": flour, "lead": lead, "unit": unit, **people}
