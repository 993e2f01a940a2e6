"""The reviewer's to-do count is the review queue's own rows counted: samples with results
awaiting this reviewer, each once however many results it has, voided samples left out (they
are not in the queue either)."""

from __future__ import annotations

from browser.queue_data import bulk_results, bulk_samples
from sqlalchemy import update

from labsys.extensions import db
from labsys.models import ResultStatus, Role, Sample, SampleStatus
from labsys.services import sampling as sampling_svc
from labsys.web.queues.queries import todo_review


def test_the_review_count_is_the_queues_rows(
    app, client, login, make_user, make_category, make_item, make_enterprise
):
    tech = make_user("tech", Role.TECHNICIAN)
    reviewer = make_user("rev", Role.REVIEWER)
    flour = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    lead, cadmium = make_item("铅(以Pb计)", "mg/kg"), make_item("镉(以Cd计)", "mg/kg")
    common = {"category": flour, "sampler": make_user("sam", Role.SAMPLER)}
    ids = bulk_samples(6, status=SampleStatus.RECEIVED, unit=make_enterprise(), **common)
    for item in (lead, cadmium):  # two results per sample: still one row each
        bulk_results(ids, item=item, status=ResultStatus.SUBMITTED, entered_by=tech)
    db.session.execute(update(Sample).where(Sample.id == ids[0]).values(status=SampleStatus.VOIDED))
    db.session.commit()

    check = sampling_svc.deadline_check(db.session)
    assert todo_review(db.session, reviewer, check).total == 5
    assert todo_review(db.session, tech, check).total == 0  # their own results
    login(reviewer)
    page = client.get("/lab/review?sort=due").get_data(as_text=True)
    shown = [sid for sid in ids if f'id="sample-{sid}"' in page]
    assert shown == ids[1:]
