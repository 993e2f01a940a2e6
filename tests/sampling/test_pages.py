"""The sampling and receipt pages, as samplers, supervisors and technicians use them."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import func, select

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Sample, SampleResult, SampleStatus
from labsys.services import sampling


def _form(world, rows, **visit):
    data = {
        "sampled_unit": f"{world.shop.name} [#{world.shop.id}]",
        "sampling_date": "2026-11-02",
        "place": "朝阳区测试路1号",
        "link": "retail",
        "region_code": "",
        "task_id": "",
        "sampler_ids": [str(world.bob.id)],
    }
    data.update(visit)
    for index, row in enumerate(rows):
        values = {
            "food_name": "通用小麦粉",
            "category": f"通用小麦粉 [{world.leaf.code}]",
            "production_date": "2026-10-01",
            "shelf_life": "12个月",
            "quantity": "2",
            "quantity_unit": "袋",
            "backup_quantity": "1",
            "sampling_base": "100袋",
            "producer": world.producer.name,
        }
        values.update(row)
        data.update({f"batches-{index}-{k}": v for k, v in values.items()})
    return data


def _count(model=Sample):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_sampler_saves_a_visit_with_two_batches(world, client, login, post):
    login(world.ann)
    page = client.get("/sampling/visits/new").get_data(as_text=True)
    assert "新建抽样单" in page and 'name="batches-4-food_name"' in page
    assert f"通用小麦粉 [{world.leaf.code}]" in page  # the leaf picker
    response = post(
        "/sampling/visits/new",
        _form(world, [{}, {"food_name": "高筋小麦粉"}]),
        token_from="/sampling/visits/new",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "抽样单已保存：共 2 个样品" in html
    numbers = list(db.session.scalars(select(Sample.sample_no).order_by(Sample.id)))
    assert len(numbers) == 2 and all(n in html for n in numbers)
    sample = db.session.scalars(select(Sample).order_by(Sample.id)).first()
    assert sample.producer_id == world.producer.id and sample.region_code == "110105"


def test_errors_keep_every_typed_value_and_save_nothing(world, client, login, post):
    login(world.ann)
    data = _form(
        world,
        [
            {"food_name": "特制一等小麦粉"},
            {"production_date": "2026-11-05", "brand": "古船牌"},
            {"category": "不存在的分类", "quantity": "0"},
        ],
    )
    html = post("/sampling/visits/new", data, token_from="/sampling/visits/new").get_data(
        as_text=True
    )
    assert "第2批：生产日期晚于抽样日期。" in html
    assert "第3批：样品数量须为大于零的数字。" in html
    assert "未知的食品分类“不存在的分类”" in html
    for typed in (
        "特制一等小麦粉",
        "古船牌",
        "2026-11-05",
        "不存在的分类",
        f"{world.shop.name} [#{world.shop.id}]",
    ):
        assert typed in html
    assert _count() == 0


def test_a_team_of_one_is_refused(world, client, login, post):
    login(world.ann)
    html = post(
        "/sampling/visits/new",
        _form(world, [{}], sampler_ids=[]),
        token_from="/sampling/visits/new",
    ).get_data(as_text=True)
    assert "抽样小组至少需要 2 名抽样人员" in html and _count() == 0


def _visit(world, n=1, actor=None, **visit):
    made = sampling.create_visit(
        db.session,
        actor or world.ann,
        world.visit(**visit),
        [world.batch(food_name=f"小麦粉{i}") for i in range(n)],
    )
    db.session.commit()
    return made


def test_my_samples_lists_the_team_s_samples_with_flags(world, client, login):
    today = clock.today()
    old = _visit(world, sampling_date=today - timedelta(days=30))
    new = _visit(world, sampling_date=today)
    other = _visit(world, actor=world.eve, sampler_ids=[world.bob.id])
    login(world.ann)
    html = client.get("/sampling/mine").get_data(as_text=True)
    assert old.samples[0].sample_no in html and new.samples[0].sample_no in html
    assert other.samples[0].sample_no not in html
    assert f'class="overdue" data-sample-no="{old.samples[0].sample_no}"' in html
    assert f'class="due-soon" data-sample-no="{new.samples[0].sample_no}"' not in html
    html = client.get("/sampling/mine?q=" + new.samples[0].sample_no).get_data(as_text=True)
    assert new.samples[0].sample_no in html and old.samples[0].sample_no not in html


def test_due_soon_flag(world, client, login):
    today = clock.today()
    visit = _visit(world, sampling_date=today - timedelta(days=5))
    sample = visit.samples[0]
    sample.due_delivery = today + timedelta(days=1)
    db.session.commit()
    login(world.ann)
    html = client.get("/sampling/mine").get_data(as_text=True)
    assert f'class="due-soon" data-sample-no="{sample.sample_no}"' in html


def test_the_supervisor_sees_all_samples_with_filters(world, client, login):
    first = _visit(world)
    second = _visit(world, actor=world.eve, sampler_ids=[world.bob.id])
    login(world.sue)
    html = client.get("/sampling/samples").get_data(as_text=True)
    assert first.samples[0].sample_no in html and second.samples[0].sample_no in html
    html = client.get(
        "/sampling/samples?status=received&region_code=110105"
        "&date_from=2026-01-01&date_to=2026-12-31"
    ).get_data(as_text=True)
    assert first.samples[0].sample_no not in html


def test_keyset_pagination(world, client, login, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    visit = _visit(world, n=3)
    login(world.ann)
    html = client.get("/sampling/mine").get_data(as_text=True)
    numbers = [s.sample_no for s in visit.samples]
    assert numbers[2] in html and numbers[1] in html and numbers[0] not in html
    html = client.get(f"/sampling/mine?after={visit.samples[1].id}").get_data(as_text=True)
    assert numbers[0] in html and numbers[1] not in html


def test_detail_edit_and_history(world, client, login, post):
    sample = _visit(world).samples[0]
    login(world.bob)
    path = f"/sampling/samples/{sample.id}"
    form = client.get(path + "/edit").get_data(as_text=True)
    assert "小麦粉0" in form
    response = post(
        path + "/edit",
        {
            "food_name": "小麦粉（改）",
            "category": f"x [{world.leaf.code}]",
            "brand": "",
            "production_date": "2026-10-01",
            "shelf_life": "180天",
            "quantity": "3",
            "quantity_unit": "袋",
            "version": "1",
        },
        token_from=path + "/edit",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert f"样品 {sample.sample_no} 已保存。" in html
    assert "小麦粉（改）" in html and "修改" in html  # the history row
    db.session.refresh(sample)
    assert sample.shelf_life_days == 180 and sample.producer_id is None


def test_a_stale_edit_shows_a_conflict(world, client, login, post):
    sample = _visit(world).samples[0]
    sampling.update_sample(db.session, world.ann, sample, 1, brand="新")
    db.session.commit()
    login(world.bob)
    path = f"/sampling/samples/{sample.id}/edit"
    html = post(
        path,
        {
            "food_name": "旧页面",
            "category": f"x [{world.leaf.code}]",
            "production_date": "2026-10-01",
            "quantity": "2",
            "quantity_unit": "袋",
            "version": "1",
        },
        token_from=path,
    ).get_data(as_text=True)
    assert "已被他人修改" in html
    db.session.refresh(sample)
    assert sample.food_name == "小麦粉0"


def test_others_cannot_open_or_edit_a_team_s_sample(world, client, login):
    sample = _visit(world).samples[0]
    login(world.eve)
    assert client.get(f"/sampling/samples/{sample.id}").status_code == 403
    assert client.get(f"/sampling/samples/{sample.id}/edit").status_code == 403
    assert client.get(f"/sampling/visits/{sample.visit_id}").status_code == 403


def test_after_receipt_the_page_offers_correction_with_a_reason(world, client, login, post):
    from labsys.services import receipt

    sample = _visit(world).samples[0]
    receipt.receive_sample(db.session, world.tom, sample, arrived_at=None, seal_state="完好")
    db.session.commit()
    login(world.ann)
    edit = client.get(f"/sampling/samples/{sample.id}/edit", follow_redirects=True)
    assert "已不能在此修改" in edit.get_data(as_text=True)
    path = f"/sampling/samples/{sample.id}/correct"
    data = {
        "food_name": "小麦粉0",
        "category": f"x [{world.leaf.code}]",
        "brand": "古船",
        "production_date": "2026-10-01",
        "shelf_life": "12个月",
        "quantity": "2",
        "quantity_unit": "袋",
        "version": str(sample.version_id),
        "reason": "",
    }
    html = post(path, data, token_from=path).get_data(as_text=True)
    assert "请填写更正原因。" in html
    data["reason"] = "商标抄错"
    html = post(path, data, token_from=path, follow_redirects=True).get_data(as_text=True)
    assert "更正申请 #" in html and "经审核人员或主管批准后生效" in html
    assert "商标抄错" in html  # the pending request, on the sample's page
    assert "铅(以Pb计)" in html  # the frozen result rows are on the page
    db.session.expire_all()
    assert db.session.get(Sample, sample.id).brand == "五得利"  # not before the approval


def test_label_sheet_pdf(world, client, login):
    visit = _visit(world, n=8)
    login(world.ann)
    response = client.get(f"/sampling/visits/{visit.id}/labels.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 2  # 16 labels, 14 a sheet
    text = "".join(page.extract_text() for page in reader.pages)
    for sample in visit.samples:
        assert text.count(sample.sample_no) == 2
    assert "检验样品" in text and "复检备份样品" in text and "小麦粉7" in text
    ids = "&".join(f"id={s.id}" for s in visit.samples[:2])
    one = PdfReader(io.BytesIO(client.get(f"/sampling/labels.pdf?{ids}").data))
    assert len(one.pages) == 1 and visit.samples[2].sample_no not in one.pages[0].extract_text()


def _just_now() -> str:
    return (clock.local_now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")


def test_receipt_desk(world, client, login, post):
    visit = _visit(world, n=2)
    first, second = visit.samples
    login(world.tom)
    desk = client.get("/lab/receipt/").get_data(as_text=True)
    assert "扫描或输入样品编号" in desk and first.sample_no in desk
    response = client.get(f"/lab/receipt/?no={first.sample_no.lower()}")
    assert response.headers["Location"].endswith(f"/lab/receipt/samples/{first.id}")
    missing = client.get("/lab/receipt/?no=XYZ").get_data(as_text=True)
    assert "没有样品编号为 XYZ 的样品" in missing
    path = f"/lab/receipt/samples/{first.id}"
    page = client.get(path).get_data(as_text=True)
    assert "确认接收" in page
    html = post(
        path,
        {"arrived_at": _just_now(), "seal_state": "完好", "condition": "常温", "temperature": "20"},
        token_from=path,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"样品 {first.sample_no} 已接收：待检 2 个检验项目。" in html
    assert "今日已接收" in html
    db.session.refresh(first)
    assert first.status == SampleStatus.RECEIVED and _count(SampleResult) == 2
    again = post(path, {"arrived_at": _just_now(), "seal_state": "完好"}, token_from=path).get_data(
        as_text=True
    )
    assert "不在待接收状态" in again
    reject = f"/lab/receipt/samples/{second.id}/reject"
    html = post(
        reject,
        {"reject-arrived_at": _just_now(), "reject-seal_state": "破损", "reject-reason": ""},
        token_from=f"/lab/receipt/samples/{second.id}",
    ).get_data(as_text=True)
    assert "请填写拒收原因。" in html
    html = post(
        reject,
        {
            "reject-arrived_at": _just_now(),
            "reject-seal_state": "破损",
            "reject-reason": "封条破损",
        },
        token_from=f"/lab/receipt/samples/{second.id}",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"样品 {second.sample_no} 已拒收。" in html
    db.session.refresh(second)
    assert second.status == SampleStatus.REJECTED and second.rejection_reason == "封条破损"


def test_my_samples_same_on_both_plans(world, client, login, monkeypatch):
    """Few visits: from the visits; many: the newest samples checked against the team."""
    from labsys.web.sampling import queries

    mine = [_visit(world, n=2), _visit(world, n=1)]
    other = _visit(world, actor=world.eve, sampler_ids=[world.bob.id])
    login(world.ann)
    pages = []
    for few in (queries.FEW_VISITS, 0):
        monkeypatch.setattr(queries, "FEW_VISITS", few)
        pages.append(client.get("/sampling/mine").get_data(as_text=True))
    for html in pages:
        for visit in mine:
            assert all(s.sample_no in html for s in visit.samples)
        assert other.samples[0].sample_no not in html


def test_search_by_number_pages_on_the_number(world, client, login, app, monkeypatch):
    """A number search walks the number index (newest number first), keyset on the number."""
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    visit = _visit(world, n=3)
    numbers = sorted(s.sample_no for s in visit.samples)
    prefix = numbers[0][:-1]
    login(world.sue)

    def listed(path):
        rows = client.get(path).get_data(as_text=True).split("<tbody>")[1]
        return re.findall(r'data-sample-no="([^"]+)"', rows)

    assert listed(f"/sampling/samples?q={prefix}") == [numbers[2], numbers[1]]
    assert listed(f"/sampling/samples?q={prefix}&after={numbers[1]}") == [numbers[0]]
